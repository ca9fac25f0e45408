//! What clients send, parsed at the edge: unknown fields are refused, ids are uuids, times
//! carry their offset, and nothing here is a price. Anything that parses is well-formed; the
//! handlers then check it against the catalogue and the calendar.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::availability::Place;
use crate::lifecycle::{AssignmentStatus, BookingStatus};
use crate::types::{GenderPreference, GeoPoint};

/// Longest free text kept from a request (instructions, reasons).
const MAX_TEXT: usize = 1000;

/// `bookings.booking_type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingType {
    #[default]
    SpaVisit,
    HomeService,
    HotelService,
}

impl BookingType {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingType::SpaVisit => "spa_visit",
            BookingType::HomeService => "home_service",
            BookingType::HotelService => "hotel_service",
        }
    }

    /// Whether the therapist travels to the customer.
    pub fn is_visit(self) -> bool {
        self != BookingType::SpaVisit
    }

    pub fn place(self, location: Option<GeoPoint>) -> Option<Place> {
        match (self, location) {
            (BookingType::SpaVisit, _) => Some(Place::SpaVisit),
            (BookingType::HomeService, Some(location)) => Some(Place::HomeService { location }),
            (BookingType::HotelService, Some(location)) => Some(Place::HotelService { location }),
            (_, None) => None,
        }
    }
}

/// One service of the booking, as the customer chose it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    pub service_id: Uuid,
    #[serde(default)]
    pub variant_id: Option<Uuid>,
    /// Treatment minutes; defaults to the variant's, or 60.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default = "one")]
    pub quantity: u32,
    #[serde(default)]
    pub addon_ids: Vec<Uuid>,
}

fn one() -> u32 {
    1
}

/// A place given inline instead of a saved address (a hotel room, say).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(deserialize_with = "text")]
    pub address: String,
    #[serde(default, deserialize_with = "optional_text")]
    pub landmark: Option<String>,
}

/// The body of `POST /quote` and `POST /bookings`: the same document, so an app can show the
/// quote and then book exactly what was quoted. The booking-only fields are ignored by
/// `/quote` except where they change the price.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub vendor_id: Uuid,
    #[serde(default)]
    pub booking_type: BookingType,
    /// RFC 3339 with an offset, e.g. `2025-10-15T11:00:00+05:30`.
    pub start: DateTime<FixedOffset>,
    pub items: Vec<ItemRequest>,
    #[serde(default)]
    pub package_id: Option<Uuid>,
    /// A coupon code or a promotion's public code.
    #[serde(default, deserialize_with = "optional_text")]
    pub coupon_code: Option<String>,
    /// A saved address of the caller, for home and hotel visits.
    #[serde(default)]
    pub address_id: Option<Uuid>,
    #[serde(default)]
    pub location: Option<LocationRequest>,
    /// A therapist the customer picked; without it the best free one is assigned.
    #[serde(default)]
    pub therapist_id: Option<Uuid>,
    #[serde(default)]
    pub gender_preference: GenderPreference,
    #[serde(default, deserialize_with = "optional_text")]
    pub special_instructions: Option<String>,
    /// The total the customer was shown, in paise. When present and different from the
    /// price now, nothing is booked (409 `price_changed`): the customer never pays a price
    /// they did not see.
    #[serde(default)]
    pub expected_total_amount: Option<i64>,
}

impl BookingRequest {
    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start.with_timezone(&Utc)
    }

    /// SHA-256 (lower-case hex) of the request in canonical form: every field present with
    /// its default filled in, the start as a UTC instant, the coupon code in capitals (codes
    /// match whatever their case), fields in a fixed order. Two requests share a fingerprint
    /// exactly when they ask for the same booking; an `Idempotency-Key` may only be sent again
    /// with the request it was first used for.
    pub fn fingerprint(&self) -> String {
        let canonical = Canonical {
            vendor_id: self.vendor_id,
            booking_type: self.booking_type.as_str(),
            start: self.start_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true),
            items: self
                .items
                .iter()
                .map(|i| CanonicalItem {
                    service_id: i.service_id,
                    variant_id: i.variant_id,
                    duration_minutes: i.duration_minutes,
                    quantity: i.quantity,
                    addon_ids: &i.addon_ids,
                })
                .collect(),
            package_id: self.package_id,
            coupon_code: self.coupon_code.as_deref().map(str::to_uppercase),
            address_id: self.address_id,
            location: self.location.as_ref().map(|l| CanonicalLocation {
                latitude: l.latitude,
                longitude: l.longitude,
                address: &l.address,
                landmark: l.landmark.as_deref(),
            }),
            therapist_id: self.therapist_id,
            gender_preference: match self.gender_preference {
                GenderPreference::Any => "any",
                GenderPreference::Female => "female",
                GenderPreference::Male => "male",
            },
            special_instructions: self.special_instructions.as_deref(),
            expected_total_amount: self.expected_total_amount,
        };
        let json = serde_json::to_vec(&canonical).expect("the canonical request is plain data");
        let digest = Sha256::new()
            .chain_update(b"ombaro.booking-request.v1\n")
            .chain_update(json)
            .finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// [`BookingRequest`] as [`BookingRequest::fingerprint`] hashes it. Serialised in field
/// order, so the bytes do not depend on how the client ordered its JSON.
#[derive(Serialize)]
struct Canonical<'a> {
    vendor_id: Uuid,
    booking_type: &'static str,
    start: String,
    items: Vec<CanonicalItem<'a>>,
    package_id: Option<Uuid>,
    coupon_code: Option<String>,
    address_id: Option<Uuid>,
    location: Option<CanonicalLocation<'a>>,
    therapist_id: Option<Uuid>,
    gender_preference: &'static str,
    special_instructions: Option<&'a str>,
    expected_total_amount: Option<i64>,
}

#[derive(Serialize)]
struct CanonicalItem<'a> {
    service_id: Uuid,
    variant_id: Option<Uuid>,
    duration_minutes: Option<u32>,
    quantity: u32,
    addon_ids: &'a [Uuid],
}

#[derive(Serialize)]
struct CanonicalLocation<'a> {
    latitude: f64,
    longitude: f64,
    address: &'a str,
    landmark: Option<&'a str>,
}

/// `GET /slots` query.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    pub vendor_id: Uuid,
    pub service_id: Uuid,
    /// Local date at the vendor, `YYYY-MM-DD`.
    pub date: NaiveDate,
    #[serde(default)]
    pub variant_id: Option<Uuid>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// Comma-separated add-on ids; their minutes lengthen the session.
    #[serde(default)]
    pub addon_ids: Option<String>,
    #[serde(default)]
    pub booking_type: BookingType,
    #[serde(default)]
    pub address_id: Option<Uuid>,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub gender_preference: GenderPreference,
}

impl SlotsQuery {
    pub fn addon_ids(&self) -> Result<Vec<Uuid>, String> {
        self.addon_ids
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Uuid::parse_str(s).map_err(|_| format!("addon_ids: {s:?} is not a uuid")))
            .collect()
    }
}

/// `POST /bookings/{id}/assign`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// Without it, the best free therapist is chosen.
    #[serde(default)]
    pub therapist_id: Option<Uuid>,
}

/// `POST /bookings/{id}/status`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingStatusRequest {
    pub status: BookingStatus,
    #[serde(default, deserialize_with = "optional_text")]
    pub reason: Option<String>,
}

/// `POST /assignments/{id}/status`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentStatusRequest {
    pub status: AssignmentStatus,
    #[serde(default, deserialize_with = "optional_text")]
    pub reason: Option<String>,
}

/// `POST /bookings/{id}/reschedule`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    pub start: DateTime<FixedOffset>,
    #[serde(default, deserialize_with = "optional_text")]
    pub reason: Option<String>,
}

/// `booking_cancellations.reason_code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    ChangeOfPlans,
    FoundAlternative,
    TherapistUnavailable,
    VendorClosed,
    CustomerNoShow,
    SafetyConcern,
    Duplicate,
    Other,
}

impl CancelReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::ChangeOfPlans => "change_of_plans",
            CancelReason::FoundAlternative => "found_alternative",
            CancelReason::TherapistUnavailable => "therapist_unavailable",
            CancelReason::VendorClosed => "vendor_closed",
            CancelReason::CustomerNoShow => "customer_no_show",
            CancelReason::SafetyConcern => "safety_concern",
            CancelReason::Duplicate => "duplicate",
            CancelReason::Other => "other",
        }
    }
}

/// `POST /bookings/{id}/cancel`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    #[serde(default)]
    pub reason_code: Option<CancelReason>,
    #[serde(default, deserialize_with = "optional_text")]
    pub reason: Option<String>,
}

/// Non-blank text up to [`MAX_TEXT`] characters, trimmed.
fn text<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let raw = String::deserialize(de)?;
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(serde::de::Error::custom("must not be blank"));
    }
    if trimmed.chars().count() > MAX_TEXT {
        return Err(serde::de::Error::custom(format!(
            "must be at most {MAX_TEXT} characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Like [`text`]; blank means absent.
fn optional_text<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
    let raw: Option<String> = Option::deserialize(de)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > MAX_TEXT => Err(serde::de::Error::custom(format!(
            "must be at most {MAX_TEXT} characters"
        ))),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_request_refuses_prices_and_unknown_fields() {
        let base = serde_json::json!({
            "vendor_id": Uuid::nil(),
            "start": "2025-10-15T11:00:00+05:30",
            "items": [{"service_id": Uuid::nil(), "duration_minutes": 60}]
        });
        let parsed: BookingRequest = serde_json::from_value(base.clone()).unwrap();
        assert_eq!(parsed.start_utc().to_rfc3339(), "2025-10-15T05:30:00+00:00");
        assert_eq!(parsed.booking_type, BookingType::SpaVisit);

        let mut tampered = base.clone();
        tampered["items"][0]["price"] = 100.into();
        let err = serde_json::from_value::<BookingRequest>(tampered).unwrap_err();
        assert!(err.to_string().contains("unknown field `price`"), "{err}");

        let mut no_offset = base;
        no_offset["start"] = "2025-10-15T11:00:00".into();
        assert!(serde_json::from_value::<BookingRequest>(no_offset).is_err());
    }

    #[test]
    fn fingerprints_name_the_request_not_its_spelling() {
        let vendor = Uuid::new_v4();
        let service = Uuid::new_v4();
        let therapist = Uuid::new_v4();
        let parse = |v: serde_json::Value| serde_json::from_value::<BookingRequest>(v).unwrap().fingerprint();
        let base = parse(serde_json::json!({
            "vendor_id": vendor, "start": "2025-10-15T11:00:00+05:30",
            "items": [{"service_id": service, "duration_minutes": 60}],
            "therapist_id": therapist, "coupon_code": "welcome20"
        }));
        assert_eq!(base.len(), 64);
        assert!(base.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        // The same booking, spelt differently: other key order, the instant in UTC, defaults
        // written out, the code in capitals, padding around text.
        let same = parse(serde_json::json!({
            "coupon_code": " WELCOME20 ", "therapist_id": therapist,
            "items": [{"duration_minutes": 60, "service_id": service, "quantity": 1, "addon_ids": []}],
            "start": "2025-10-15T05:30:00Z", "booking_type": "spa_visit", "vendor_id": vendor,
            "gender_preference": "any", "special_instructions": "   "
        }));
        assert_eq!(same, base);
        // Anything that changes what is booked changes the fingerprint.
        let other = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = serde_json::json!({
                "vendor_id": vendor, "start": "2025-10-15T11:00:00+05:30",
                "items": [{"service_id": service, "duration_minutes": 60}],
                "therapist_id": therapist, "coupon_code": "welcome20"
            });
            edit(&mut v);
            parse(v)
        };
        let changes: [&dyn Fn(&mut serde_json::Value); 7] = [
            &|v| v["therapist_id"] = serde_json::json!(Uuid::new_v4()),
            &|v| v["therapist_id"] = serde_json::Value::Null,
            &|v| v["items"][0]["duration_minutes"] = 90.into(),
            &|v| v["items"][0]["quantity"] = 2.into(),
            &|v| v["items"][0]["addon_ids"] = serde_json::json!([Uuid::new_v4()]),
            &|v| v["start"] = "2025-10-15T11:30:00+05:30".into(),
            &|v| v["expected_total_amount"] = 100.into(),
        ];
        for (i, change) in changes.iter().enumerate() {
            assert_ne!(other(change), base, "change {i}");
        }
    }

    #[test]
    fn addon_ids_are_a_comma_list_of_uuids() {
        let q = |ids: &str| SlotsQuery {
            vendor_id: Uuid::nil(),
            service_id: Uuid::nil(),
            date: NaiveDate::from_ymd_opt(2025, 10, 15).unwrap(),
            variant_id: None,
            duration_minutes: None,
            addon_ids: Some(ids.into()),
            booking_type: BookingType::SpaVisit,
            address_id: None,
            latitude: None,
            longitude: None,
            gender_preference: GenderPreference::Any,
        };
        let id = Uuid::new_v4();
        assert_eq!(q(&format!("{id}, {id}")).addon_ids().unwrap(), vec![id, id]);
        assert!(q("").addon_ids().unwrap().is_empty());
        assert!(q("nope").addon_ids().is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        let r: CancelRequest = serde_json::from_value(serde_json::json!({"reason": "  late  "})).unwrap();
        assert_eq!(r.reason.as_deref(), Some("late"));
        let r: CancelRequest = serde_json::from_value(serde_json::json!({"reason": "   "})).unwrap();
        assert_eq!(r.reason, None);
        assert!(serde_json::from_value::<CancelRequest>(serde_json::json!({"reason": "x".repeat(1001)})).is_err());
    }
}
