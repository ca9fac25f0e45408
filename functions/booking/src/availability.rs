//! Free slots and therapist choice.
//!
//! [`free_slots`] answers "when can this service be booked on this local date, and with
//! whom": candidate starts on a fixed grid inside the vendor's opening hours, each kept when
//! at least one therapist can take it. A therapist can take a slot when they match the
//! customer's filters, work that weekday and are not on break, on approved leave or busy.
//! Local rules (opening hours, shifts, breaks, leave dates) are read in the vendor's time
//! zone; instants (`now`, busy intervals, slots) are UTC.
//!
//! Everything the answer depends on is in [`AvailabilityInput`]; the service loads the rows
//! (vendor, `vendor_availability`, holidays in the vendor's scope, the vendor's active
//! therapists with their schedules, leaves and non-cancelled assignments of that day).

use std::cmp::Ordering;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::types::{day_of_week, default_timezone, local_to_utc, Gender, GenderPreference, GeoPoint, Id, LocalTime};

// ---------------------------------------------------------------------------------------
// Input

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInput {
    /// Minimum notice and booking horizon count from here.
    pub now: DateTime<Utc>,
    /// The local date (vendor time zone) to list slots for.
    pub date: NaiveDate,
    /// Session length: treatment plus add-ons (`QuotedItem::session_minutes`).
    pub duration_minutes: Minutes,
    /// Distance between candidate starts, aligned to local midnight (15 -> :00, :15, ...).
    #[serde(default = "default_granularity")]
    pub granularity_minutes: Minutes,
    /// `services.code` the therapist must be trained for (`therapists.specialization`).
    #[serde(default)]
    pub service_code: Option<String>,
    /// When false, therapists without the specialisation stay eligible and only rank lower.
    #[serde(default = "yes")]
    pub specialization_required: bool,
    #[serde(default)]
    pub gender_preference: GenderPreference,
    pub place: Place,
    pub vendor: VendorRules,
    /// The vendor's `vendor_availability` rows (weekly and dated).
    #[serde(default)]
    pub opening_hours: Vec<OpeningHours>,
    /// Holidays in the vendor's scope (national, its state, its city).
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    #[serde(default)]
    pub therapists: Vec<Therapist>,
}

fn default_granularity() -> Minutes {
    Minutes(30)
}

fn yes() -> bool {
    true
}

/// A positive number of minutes up to one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Minutes(u32);

impl Minutes {
    pub fn new(minutes: u32) -> Result<Minutes, String> {
        if (1..=24 * 60).contains(&minutes) {
            Ok(Minutes(minutes))
        } else {
            Err(format!("minutes must be between 1 and 1440, got {minutes}"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Minutes {
    type Error = String;
    fn try_from(minutes: u32) -> Result<Self, Self::Error> {
        Minutes::new(minutes)
    }
}

impl From<Minutes> for u32 {
    fn from(minutes: Minutes) -> u32 {
        minutes.0
    }
}

/// Where the service happens (`bookings.booking_type`).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Place {
    SpaVisit,
    HomeService { location: GeoPoint },
    HotelService { location: GeoPoint },
}

impl Place {
    /// Where the therapist must travel to, if anywhere.
    pub fn visit_location(self) -> Option<GeoPoint> {
        match self {
            Place::SpaVisit => None,
            Place::HomeService { location } | Place::HotelService { location } => Some(location),
        }
    }
}

/// The booking rules of a `vendors` row.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorRules {
    #[serde(default = "default_timezone")]
    pub timezone: Tz,
    /// Premises; the starting point of therapists whose own position is unknown.
    #[serde(default)]
    pub location: Option<GeoPoint>,
    #[serde(default = "default_radius")]
    pub service_radius_km: RadiusKm,
    #[serde(default = "default_notice")]
    pub min_notice_minutes: u32,
    #[serde(default = "default_horizon")]
    pub booking_horizon_days: u32,
    #[serde(default = "default_buffer")]
    pub travel_buffer_minutes: u32,
}

fn default_radius() -> RadiusKm {
    RadiusKm(10.0)
}
fn default_notice() -> u32 {
    60
}
fn default_horizon() -> u32 {
    30
}
fn default_buffer() -> u32 {
    30
}

/// A positive, finite distance in km.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Deserialize)]
#[serde(try_from = "f64")]
pub struct RadiusKm(f64);

impl RadiusKm {
    pub fn new(km: f64) -> Result<RadiusKm, String> {
        if km.is_finite() && km > 0.0 {
            Ok(RadiusKm(km))
        } else {
            Err(format!("service radius must be a positive number of km, got {km}"))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for RadiusKm {
    type Error = String;
    fn try_from(km: f64) -> Result<Self, Self::Error> {
        RadiusKm::new(km)
    }
}

/// A `vendor_availability` row: weekly (`day_of_week`) or for one date (`specific_date`),
/// either closed or one opening window. Rows for a date replace that weekday's rows.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    #[serde(default)]
    pub day_of_week: Option<u8>,
    #[serde(default)]
    pub specific_date: Option<NaiveDate>,
    #[serde(default)]
    pub open_time: Option<LocalTime>,
    #[serde(default)]
    pub close_time: Option<LocalTime>,
    #[serde(default)]
    pub is_closed: bool,
}

/// A `holidays` row; only those with `blocks_bookings` close the day.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub blocks_bookings: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Therapist {
    pub id: Id,
    #[serde(default)]
    pub gender: Option<Gender>,
    /// Service codes the therapist is trained for.
    #[serde(default)]
    pub specialization: Vec<String>,
    /// Average rating 0..5 (0 = not yet rated).
    #[serde(default)]
    pub rating: f64,
    /// Where the therapist sets out from (home or last known position).
    #[serde(default)]
    pub location: Option<GeoPoint>,
    #[serde(default)]
    pub schedules: Vec<Schedule>,
    #[serde(default)]
    pub leaves: Vec<Leave>,
    /// Instants already taken: assignments, holds.
    #[serde(default)]
    pub busy: Vec<Busy>,
}

/// A `therapist_schedules` row, local time.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub day_of_week: u8,
    pub start_time: LocalTime,
    pub end_time: LocalTime,
    #[serde(default = "yes")]
    pub is_available: bool,
    #[serde(default)]
    pub break_start: Option<LocalTime>,
    #[serde(default)]
    pub break_end: Option<LocalTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

/// A `therapist_leaves` row; only approved leave blocks, both dates inclusive.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leave {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub status: LeaveStatus,
}

/// A time the therapist is already committed: an active `therapist_assignments` row (or a
/// live payment hold), `[start, end)`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Minutes kept free after it to travel on: the assignment's `travel_buffer_minutes`
    /// (the vendor's buffer for home and hotel visits, 0 at the spa).
    #[serde(default)]
    pub travel_buffer_minutes: u32,
}

// ---------------------------------------------------------------------------------------
// Output

/// A bookable start, and everyone who could take it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub therapist_ids: Vec<Id>,
}

/// A free therapist with the facts auto-assignment ranks on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TherapistRank {
    pub therapist_id: Id,
    pub specialization_match: bool,
    /// km from where they set out to the visit; none for spa visits.
    pub distance_km: Option<f64>,
    pub rating: f64,
    /// Minutes already committed on the slot's local date.
    pub load_minutes: u32,
}

// ---------------------------------------------------------------------------------------
// Slots

/// Bookable slots of `input.date`, in start order.
pub fn free_slots(input: &AvailabilityInput) -> Vec<Slot> {
    let date = input.date;
    if input.holidays.iter().any(|h| h.date == date && h.blocks_bookings) {
        return Vec::new();
    }
    let tz = input.vendor.timezone;
    let duration = input.duration_minutes.get();
    let step = input.granularity_minutes.get();
    let earliest = later_by(input.now, Duration::minutes(i64::from(input.vendor.min_notice_minutes)));
    let latest = later_by(input.now, Duration::days(i64::from(input.vendor.booking_horizon_days)));
    let candidates: Vec<&Therapist> = input.therapists.iter().filter(|t| eligible(input, t)).collect();

    let mut slots = Vec::new();
    for (open, close) in opening_windows(input) {
        // First grid point at or after opening.
        let mut minute = open.div_ceil(step) * step;
        while minute + duration <= close {
            let (from, to) = (minute, minute + duration);
            let start = local_to_utc(tz, date, LocalTime::from_minutes(from).unwrap_or(LocalTime::END_OF_DAY));
            let end = local_to_utc(tz, date, LocalTime::from_minutes(to).unwrap_or(LocalTime::END_OF_DAY));
            minute += step;
            if start < earliest || start > latest {
                continue;
            }
            let therapist_ids: Vec<Id> = candidates
                .iter()
                .filter(|t| on_shift(input, t, from, to) && !clashes(input, t, start, end))
                .map(|t| t.id.clone())
                .collect();
            if !therapist_ids.is_empty() {
                slots.push(Slot {
                    start,
                    end,
                    therapist_ids,
                });
            }
        }
    }
    slots.sort_by_key(|s| s.start);
    slots
}

/// The vendor's open windows on the date in local minutes, sorted. Dated rows override the
/// weekly ones; a closed row closes the day; a vendor without hours is closed.
fn opening_windows(input: &AvailabilityInput) -> Vec<(u32, u32)> {
    let dated: Vec<&OpeningHours> = input
        .opening_hours
        .iter()
        .filter(|h| h.specific_date == Some(input.date))
        .collect();
    let rows = if dated.is_empty() {
        let dow = day_of_week(input.date);
        input
            .opening_hours
            .iter()
            .filter(|h| h.specific_date.is_none() && h.day_of_week == Some(dow))
            .collect()
    } else {
        dated
    };
    if rows.iter().any(|h| h.is_closed) {
        return Vec::new();
    }
    let mut windows: Vec<(u32, u32)> = rows
        .iter()
        .filter_map(|h| match (h.open_time, h.close_time) {
            (Some(open), Some(close)) if close > open => Some((open.minutes(), close.minutes())),
            _ => None,
        })
        .collect();
    windows.sort_unstable();
    windows
}

/// Filters that do not depend on the time: gender, training, reach, leave, a shift that day.
fn eligible(input: &AvailabilityInput, therapist: &Therapist) -> bool {
    let date = input.date;
    let dow = day_of_week(date);
    input.gender_preference.accepts(therapist.gender)
        && (!input.specialization_required || specialization_match(input, therapist))
        && within_reach(input, therapist)
        && !therapist
            .leaves
            .iter()
            .any(|l| l.status == LeaveStatus::Approved && l.start_date <= date && date <= l.end_date)
        && therapist
            .schedules
            .iter()
            .any(|s| s.day_of_week == dow && s.is_available)
}

fn specialization_match(input: &AvailabilityInput, therapist: &Therapist) -> bool {
    match &input.service_code {
        Some(code) => therapist.specialization.iter().any(|s| s.eq_ignore_ascii_case(code)),
        None => true,
    }
}

/// For visits: how far the therapist sets out from the address, if known. Their own position
/// when known, else the vendor's premises.
fn travel_distance_km(input: &AvailabilityInput, therapist: &Therapist) -> Option<f64> {
    let visit = input.place.visit_location()?;
    let origin = therapist.location.or(input.vendor.location)?;
    Some(origin.distance_km(visit))
}

fn within_reach(input: &AvailabilityInput, therapist: &Therapist) -> bool {
    if input.place.visit_location().is_none() {
        return true;
    }
    // A visit with no known starting point cannot be promised.
    travel_distance_km(input, therapist).is_some_and(|d| d <= input.vendor.service_radius_km.get())
}

/// The local span `[from, to)` lies inside an available shift of that weekday and misses its break.
fn on_shift(input: &AvailabilityInput, therapist: &Therapist, from: u32, to: u32) -> bool {
    let dow = day_of_week(input.date);
    therapist.schedules.iter().any(|s| {
        s.day_of_week == dow
            && s.is_available
            && s.start_time.minutes() <= from
            && to <= s.end_time.minutes()
            && match (s.break_start, s.break_end) {
                (Some(bs), Some(be)) => !(from < be.minutes() && bs.minutes() < to),
                _ => true,
            }
    })
}

/// Whether the slot collides with a commitment, measured as the database's no-double-booking
/// constraint does (V31 `busy_during`): each visit occupies its time plus its travel buffer
/// after it, so a new visit must also end a buffer before the next commitment starts. Two
/// home visits are therefore a buffer apart on both sides; two spa sessions may touch.
fn clashes(input: &AvailabilityInput, therapist: &Therapist, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let slot_buffer = match input.place.visit_location() {
        Some(_) => Duration::minutes(i64::from(input.vendor.travel_buffer_minutes)),
        None => Duration::zero(),
    };
    therapist.busy.iter().any(|b| {
        let busy_end = later_by(b.end, Duration::minutes(i64::from(b.travel_buffer_minutes)));
        start < busy_end && b.start < later_by(end, slot_buffer)
    })
}

/// `at + by`, or the last representable instant when that is past it: minutes and days
/// that come from input never panic, however large (a horizon of `u32::MAX` days is simply
/// no horizon).
fn later_by(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

// ---------------------------------------------------------------------------------------
// Auto-assignment

/// The slot's free therapists, best first: trained for the service, then nearer (visits;
/// distances in the same whole kilometre count as equal, so rating decides between
/// therapists about as near), then higher rated, then less loaded that day, then by id so
/// the choice is deterministic.
pub fn rank_therapists(input: &AvailabilityInput, slot: &Slot) -> Vec<TherapistRank> {
    let tz = input.vendor.timezone;
    let local_date = slot.start.with_timezone(&tz).date_naive();
    let day_start = local_to_utc(tz, local_date, LocalTime::MIDNIGHT);
    let day_end = local_to_utc(tz, local_date, LocalTime::END_OF_DAY);
    let mut ranked: Vec<TherapistRank> = input
        .therapists
        .iter()
        .filter(|t| slot.therapist_ids.contains(&t.id))
        .map(|t| TherapistRank {
            therapist_id: t.id.clone(),
            specialization_match: input.service_code.is_some() && specialization_match(input, t),
            distance_km: travel_distance_km(input, t),
            rating: t.rating,
            load_minutes: t
                .busy
                .iter()
                .map(|b| {
                    let overlap = b.end.min(day_end) - b.start.max(day_start);
                    overlap.num_minutes().max(0) as u32
                })
                .sum(),
        })
        .collect();
    ranked.sort_by(compare_ranks);
    ranked
}

fn compare_ranks(a: &TherapistRank, b: &TherapistRank) -> Ordering {
    let km = |r: &TherapistRank| r.distance_km.map(|d| d.floor() as i64).unwrap_or(i64::MAX);
    b.specialization_match
        .cmp(&a.specialization_match)
        .then_with(|| km(a).cmp(&km(b)))
        .then_with(|| b.rating.total_cmp(&a.rating))
        .then_with(|| a.load_minutes.cmp(&b.load_minutes))
        .then_with(|| a.therapist_id.cmp(&b.therapist_id))
}

/// The therapist auto-assignment should pick for the slot, if anyone is free.
pub fn best_therapist(input: &AvailabilityInput, slot: &Slot) -> Option<TherapistRank> {
    rank_therapists(input, slot).into_iter().next()
}

// ---------------------------------------------------------------------------------------
// One requested start

/// Why a requested start cannot be booked, most basic reason first. `code()` is stable and
/// goes to clients as-is; [`SlotRefusal::is_conflict`] tells a taken slot (worth retrying
/// with another time or therapist) from a request that can never succeed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotRefusal {
    #[error("the start is in the past")]
    InPast,
    #[error("bookings need at least {minutes} minutes' notice")]
    TooSoon { minutes: u32 },
    #[error("bookings open at most {days} days ahead")]
    BeyondHorizon { days: u32 },
    #[error("the vendor is closed that day{}", .holiday.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Closed { holiday: Option<String> },
    #[error("the session would not fit inside the vendor's opening hours")]
    OutsideOpeningHours,
    #[error("starts are offered every {granularity} minutes from midnight")]
    OffGrid { granularity: u32 },
    #[error("no therapist is free for that slot")]
    Unavailable,
    #[error("that therapist is not free for that slot")]
    TherapistUnavailable,
}

impl SlotRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            SlotRefusal::InPast => "start_in_past",
            SlotRefusal::TooSoon { .. } => "too_short_notice",
            SlotRefusal::BeyondHorizon { .. } => "beyond_booking_horizon",
            SlotRefusal::Closed { .. } => "vendor_closed",
            SlotRefusal::OutsideOpeningHours => "outside_opening_hours",
            SlotRefusal::OffGrid { .. } => "start_off_grid",
            SlotRefusal::Unavailable => "slot_unavailable",
            SlotRefusal::TherapistUnavailable => "therapist_unavailable",
        }
    }

    /// The slot exists but someone else holds it: the same request may succeed later.
    pub fn is_conflict(&self) -> bool {
        matches!(self, SlotRefusal::Unavailable | SlotRefusal::TherapistUnavailable)
    }
}

/// The slot starting at `start` on `input.date`, if it can be booked (with `therapist`, when
/// one is asked for), or the first reason it cannot. Agrees with [`free_slots`]: `Ok` exactly
/// when `free_slots` lists a slot at `start` (that includes `therapist`).
pub fn check_start(
    input: &AvailabilityInput,
    start: DateTime<Utc>,
    therapist: Option<&Id>,
) -> Result<Slot, SlotRefusal> {
    let rules = &input.vendor;
    if start <= input.now {
        return Err(SlotRefusal::InPast);
    }
    if start < later_by(input.now, Duration::minutes(i64::from(rules.min_notice_minutes))) {
        return Err(SlotRefusal::TooSoon {
            minutes: rules.min_notice_minutes,
        });
    }
    if start > later_by(input.now, Duration::days(i64::from(rules.booking_horizon_days))) {
        return Err(SlotRefusal::BeyondHorizon {
            days: rules.booking_horizon_days,
        });
    }
    if let Some(h) = input
        .holidays
        .iter()
        .find(|h| h.date == input.date && h.blocks_bookings)
    {
        return Err(SlotRefusal::Closed {
            holiday: Some(h.name.clone()),
        });
    }
    let windows = opening_windows(input);
    if windows.is_empty() {
        return Err(SlotRefusal::Closed { holiday: None });
    }
    let local = start.with_timezone(&rules.timezone);
    let from = if local.date_naive() == input.date {
        LocalTime::of(local.time()).minutes()
    } else {
        return Err(SlotRefusal::OutsideOpeningHours);
    };
    let to = from + input.duration_minutes.get();
    if !windows.iter().any(|&(open, close)| open <= from && to <= close) {
        return Err(SlotRefusal::OutsideOpeningHours);
    }
    let step = input.granularity_minutes.get();
    if from % step != 0 || local.time() != chrono::NaiveTime::MIN + Duration::minutes(i64::from(from)) {
        return Err(SlotRefusal::OffGrid { granularity: step });
    }
    let slot = free_slots(input)
        .into_iter()
        .find(|s| s.start == start)
        .ok_or(SlotRefusal::Unavailable)?;
    match therapist {
        Some(id) if !slot.therapist_ids.contains(id) => Err(SlotRefusal::TherapistUnavailable),
        _ => Ok(slot),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn t(h: u16, m: u16) -> LocalTime {
        LocalTime::hm(h, m).unwrap()
    }

    fn ist(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        default_timezone()
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Wednesday 15 Oct 2025.
    fn wed() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 10, 15).unwrap()
    }

    const BANDRA: (f64, f64) = (19.0596, 72.8295);

    fn point(p: (f64, f64)) -> GeoPoint {
        GeoPoint::new(p.0, p.1).unwrap()
    }

    fn shift(dow: u8, from: LocalTime, to: LocalTime) -> Schedule {
        Schedule {
            day_of_week: dow,
            start_time: from,
            end_time: to,
            is_available: true,
            break_start: None,
            break_end: None,
        }
    }

    fn therapist(name: &str, gender: Gender) -> Therapist {
        Therapist {
            id: id(name),
            gender: Some(gender),
            specialization: vec!["SWD".into(), "ARO".into()],
            rating: 4.5,
            location: Some(point(BANDRA)),
            schedules: (0..7).map(|d| shift(d, t(10, 0), t(18, 0))).collect(),
            leaves: vec![],
            busy: vec![],
        }
    }

    /// A spa open 10:00-20:00 every day, one therapist working 10:00-18:00, 60-minute
    /// service on a 60-minute grid, asked the day before.
    fn base() -> AvailabilityInput {
        AvailabilityInput {
            now: ist(2025, 10, 14, 9, 0),
            date: wed(),
            duration_minutes: Minutes(60),
            granularity_minutes: Minutes(60),
            service_code: Some("SWD".into()),
            specialization_required: true,
            gender_preference: GenderPreference::Any,
            place: Place::SpaVisit,
            vendor: VendorRules {
                timezone: default_timezone(),
                location: Some(point(BANDRA)),
                service_radius_km: RadiusKm(10.0),
                min_notice_minutes: 60,
                booking_horizon_days: 30,
                travel_buffer_minutes: 30,
            },
            opening_hours: (0..7)
                .map(|d| OpeningHours {
                    day_of_week: Some(d),
                    specific_date: None,
                    open_time: Some(t(10, 0)),
                    close_time: Some(t(20, 0)),
                    is_closed: false,
                })
                .collect(),
            holidays: vec![],
            therapists: vec![therapist("asha", Gender::Female)],
        }
    }

    /// Local start times (HH:MM) of the slots.
    fn starts(slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|s| LocalTime::of(s.start.with_timezone(&default_timezone()).time()).to_string())
            .collect()
    }

    #[test]
    fn shift_bounds_the_slots() {
        let slots = free_slots(&base());
        assert_eq!(
            starts(&slots),
            ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00"]
        );
        assert_eq!(slots[0].start, Utc.with_ymd_and_hms(2025, 10, 15, 4, 30, 0).unwrap());
        assert_eq!(slots[0].end - slots[0].start, Duration::minutes(60));
        assert_eq!(slots[0].therapist_ids, vec![id("asha")]);
    }

    #[test]
    fn granularity_and_long_sessions() {
        let mut input = base();
        input.granularity_minutes = Minutes(30);
        input.duration_minutes = Minutes(90);
        let s = starts(&free_slots(&input));
        assert_eq!(s.first().unwrap(), "10:00");
        assert_eq!(s.last().unwrap(), "16:30"); // 16:30 + 90 = 18:00, the shift end
        assert_eq!(s.len(), 14);
        // Opening at 10:10 moves the grid's first point to 10:15.
        input.granularity_minutes = Minutes(15);
        for h in &mut input.opening_hours {
            h.open_time = Some(t(10, 10));
        }
        assert_eq!(starts(&free_slots(&input))[0], "10:15");
    }

    #[test]
    fn slots_skip_the_break() {
        let mut input = base();
        input.granularity_minutes = Minutes(30);
        for s in &mut input.therapists[0].schedules {
            s.break_start = Some(t(13, 0));
            s.break_end = Some(t(14, 0));
        }
        let s = starts(&free_slots(&input));
        // 12:00-13:00 ends as the break starts; 14:00 starts as it ends; nothing in between.
        assert!(s.contains(&"12:00".to_string()));
        assert!(!s.contains(&"12:30".to_string()));
        assert!(!s.contains(&"13:00".to_string()));
        assert!(!s.contains(&"13:30".to_string()));
        assert!(s.contains(&"14:00".to_string()));
    }

    #[test]
    fn approved_leave_blocks_the_day_only_when_approved() {
        let mut input = base();
        input.therapists[0].leaves = vec![Leave {
            start_date: NaiveDate::from_ymd_opt(2025, 10, 14).unwrap(),
            end_date: wed(),
            status: LeaveStatus::Pending,
        }];
        assert_eq!(free_slots(&input).len(), 8);
        input.therapists[0].leaves[0].status = LeaveStatus::Approved;
        assert!(free_slots(&input).is_empty());
        input.date = NaiveDate::from_ymd_opt(2025, 10, 16).unwrap();
        assert_eq!(free_slots(&input).len(), 8);
    }

    #[test]
    fn blocking_holiday_closes_the_day() {
        let mut input = base();
        input.holidays = vec![Holiday {
            date: wed(),
            name: "Diwali".into(),
            blocks_bookings: false,
        }];
        assert_eq!(free_slots(&input).len(), 8);
        input.holidays[0].blocks_bookings = true;
        assert!(free_slots(&input).is_empty());
    }

    #[test]
    fn dated_hours_override_weekly_ones() {
        let mut input = base();
        input.opening_hours.push(OpeningHours {
            day_of_week: None,
            specific_date: Some(wed()),
            open_time: Some(t(12, 0)),
            close_time: Some(t(15, 0)),
            is_closed: false,
        });
        assert_eq!(starts(&free_slots(&input)), ["12:00", "13:00", "14:00"]);
        input.opening_hours.last_mut().unwrap().is_closed = true;
        assert!(free_slots(&input).is_empty());
        // Closed weekly day, and a vendor with no hours at all.
        let mut input = base();
        input.opening_hours.retain(|h| h.day_of_week != Some(3));
        input.opening_hours.push(OpeningHours {
            day_of_week: Some(3),
            specific_date: None,
            open_time: None,
            close_time: None,
            is_closed: true,
        });
        assert!(free_slots(&input).is_empty());
        input.opening_hours.clear();
        assert!(free_slots(&input).is_empty());
    }

    #[test]
    fn split_opening_hours() {
        let mut input = base();
        input.opening_hours = vec![
            OpeningHours {
                day_of_week: Some(3),
                specific_date: None,
                open_time: Some(t(15, 0)),
                close_time: Some(t(18, 0)),
                is_closed: false,
            },
            OpeningHours {
                day_of_week: Some(3),
                specific_date: None,
                open_time: Some(t(10, 0)),
                close_time: Some(t(12, 0)),
                is_closed: false,
            },
        ];
        assert_eq!(
            starts(&free_slots(&input)),
            ["10:00", "11:00", "15:00", "16:00", "17:00"]
        );
    }

    #[test]
    fn minimum_notice_and_horizon() {
        let mut input = base();
        // 12:10 IST on the day, 60 minutes notice: 13:10 earliest, so 14:00 first.
        input.now = ist(2025, 10, 15, 12, 10);
        assert_eq!(starts(&free_slots(&input))[0], "14:00");
        // Exactly at the notice boundary the slot is kept.
        input.now = ist(2025, 10, 15, 12, 0);
        assert_eq!(starts(&free_slots(&input))[0], "13:00");
        // Horizon: 30 days from 14 Sep 12:00 IST reaches 14 Oct 12:00 only.
        input.now = ist(2025, 9, 15, 12, 0);
        assert_eq!(starts(&free_slots(&input)), ["10:00", "11:00", "12:00"]);
        input.now = ist(2025, 9, 14, 12, 0);
        assert!(free_slots(&input).is_empty());
        // The past is never bookable.
        input.now = ist(2025, 10, 16, 9, 0);
        assert!(free_slots(&input).is_empty());
    }

    #[test]
    fn huge_notice_horizon_and_buffers_saturate_instead_of_panicking() {
        let mut input = base();
        input.now = ist(2025, 10, 14, 12, 0);
        // u32::MAX days is past the last instant chrono can hold: no horizon, not a panic.
        input.vendor.booking_horizon_days = u32::MAX;
        assert!(!free_slots(&input).is_empty());
        assert!(check_start(&input, ist(2025, 10, 15, 10, 0), None).is_ok());
        // Notice that never ends: nothing is bookable.
        input.vendor.min_notice_minutes = u32::MAX;
        assert!(free_slots(&input).is_empty());
        assert_eq!(
            check_start(&input, ist(2025, 10, 15, 10, 0), None).unwrap_err().code(),
            "too_short_notice"
        );
        input.vendor.min_notice_minutes = 0;
        input.vendor.travel_buffer_minutes = u32::MAX;
        input.therapists[0].busy = vec![Busy {
            start: ist(2025, 10, 15, 9, 0),
            end: ist(2025, 10, 15, 10, 0),
            travel_buffer_minutes: u32::MAX,
        }];
        assert!(free_slots(&input)
            .iter()
            .all(|s| !s.therapist_ids.contains(&input.therapists[0].id)));
    }

    #[test]
    fn busy_interval_blocks_overlapping_slots() {
        let mut input = base();
        input.therapists[0].busy = vec![Busy {
            start: ist(2025, 10, 15, 12, 0),
            end: ist(2025, 10, 15, 13, 0),
            travel_buffer_minutes: 0,
        }];
        let s = starts(&free_slots(&input));
        assert_eq!(s, ["10:00", "11:00", "13:00", "14:00", "15:00", "16:00", "17:00"]);
    }

    #[test]
    fn travel_buffer_separates_visits() {
        let home = Place::HomeService {
            location: point((19.0728, 72.8826)),
        }; // ~5.7 km away
        let mut input = base();
        input.granularity_minutes = Minutes(30);
        input.place = home;
        let visit = Busy {
            start: ist(2025, 10, 15, 12, 0),
            end: ist(2025, 10, 15, 13, 0),
            travel_buffer_minutes: 30,
        };
        input.therapists[0].busy = vec![visit.clone()];
        let has = |input: &AvailabilityInput, hhmm: &str| starts(&free_slots(input)).iter().any(|s| s == hhmm);
        // Home visit next to a home visit: 30 minutes clear on both sides.
        assert!(has(&input, "10:30") && !has(&input, "11:00"));
        assert!(!has(&input, "13:00") && has(&input, "13:30"));
        // Spa session after a home visit: the therapist needs the buffer to come back first.
        input.place = Place::SpaVisit;
        assert!(has(&input, "11:00") && !has(&input, "13:00") && has(&input, "13:30"));
        // Spa session next to a spa session: back to back is fine.
        input.therapists[0].busy = vec![Busy {
            travel_buffer_minutes: 0,
            ..visit.clone()
        }];
        assert!(has(&input, "11:00") && !has(&input, "12:30") && has(&input, "13:00"));
        // Home visit before a spa session: leave in time to travel on.
        input.place = home;
        assert!(has(&input, "10:30") && !has(&input, "11:00") && has(&input, "13:00"));
        input.vendor.travel_buffer_minutes = 0;
        assert!(has(&input, "11:00"));
    }

    #[test]
    fn home_service_radius_filter() {
        let mut input = base();
        let mut far = therapist("far", Gender::Female);
        far.location = Some(point((19.2183, 72.9781))); // Thane side, ~23 km from Bandra
        let mut unknown = therapist("nowhere", Gender::Female);
        unknown.location = None;
        input.therapists = vec![therapist("asha", Gender::Female), far, unknown];
        input.place = Place::HomeService {
            location: point((19.0728, 72.8826)),
        };
        assert_eq!(free_slots(&input)[0].therapist_ids, vec![id("asha"), id("nowhere")]); // nowhere sets out from the spa
        input.vendor.location = None;
        assert_eq!(free_slots(&input)[0].therapist_ids, vec![id("asha")]);
        // Spa visits ignore the radius.
        input.place = Place::SpaVisit;
        assert_eq!(free_slots(&input)[0].therapist_ids.len(), 3);
        // An address beyond every therapist's reach has no slots.
        input.place = Place::HotelService {
            location: point((18.5204, 73.8567)),
        }; // Pune
        assert!(free_slots(&input).is_empty());
    }

    #[test]
    fn gender_and_specialization_filters() {
        let mut input = base();
        let mut ravi = therapist("ravi", Gender::Male);
        ravi.specialization = vec!["DPT".into()];
        input.therapists = vec![therapist("asha", Gender::Female), ravi];
        input.service_code = Some("dpt".into());
        assert_eq!(free_slots(&input)[0].therapist_ids, vec![id("ravi")]);
        input.gender_preference = GenderPreference::Female;
        assert!(free_slots(&input).is_empty());
        input.specialization_required = false;
        assert_eq!(free_slots(&input)[0].therapist_ids, vec![id("asha")]);
        input.service_code = None;
        input.gender_preference = GenderPreference::Male;
        assert_eq!(free_slots(&input)[0].therapist_ids, vec![id("ravi")]);
    }

    #[test]
    fn day_off_and_other_weekdays() {
        let mut input = base();
        input.therapists[0].schedules[3].is_available = false; // Wednesday off
        assert!(free_slots(&input).is_empty());
        input.therapists[0].schedules.retain(|s| s.day_of_week != 3);
        assert!(free_slots(&input).is_empty());
    }

    #[test]
    fn slot_lists_every_free_therapist() {
        let mut input = base();
        let mut late = therapist("late", Gender::Male);
        late.schedules = (0..7).map(|d| shift(d, t(14, 0), t(20, 0))).collect();
        input.therapists.push(late);
        let slots = free_slots(&input);
        assert_eq!(starts(&slots).len(), 10);
        let at = |h: &str| {
            slots
                .iter()
                .find(|s| starts(std::slice::from_ref(s))[0] == h)
                .unwrap()
                .therapist_ids
                .clone()
        };
        assert_eq!(at("10:00"), vec![id("asha")]);
        assert_eq!(at("15:00"), vec![id("asha"), id("late")]);
        assert_eq!(at("19:00"), vec![id("late")]);
    }

    #[test]
    fn shift_to_midnight() {
        let mut input = base();
        input.opening_hours = vec![OpeningHours {
            day_of_week: Some(3),
            specific_date: None,
            open_time: Some(t(22, 0)),
            close_time: Some(LocalTime::END_OF_DAY),
            is_closed: false,
        }];
        input.therapists[0].schedules = vec![shift(3, t(20, 0), LocalTime::END_OF_DAY)];
        let slots = free_slots(&input);
        assert_eq!(starts(&slots), ["22:00", "23:00"]);
        assert_eq!(slots[1].end, ist(2025, 10, 16, 0, 0));
    }

    #[test]
    fn no_slot_overlaps_a_busy_interval() {
        // Property: for many busy patterns, buffers and granularities, every listed therapist
        // is clear of every (buffered) busy interval and inside the shift, and slots are ordered.
        for seed in 0..200u32 {
            let mut input = base();
            input.granularity_minutes = Minutes([5, 15, 20, 30, 45][(seed % 5) as usize]);
            input.duration_minutes = Minutes(30 + (seed % 4) * 30);
            input.vendor.travel_buffer_minutes = (seed % 3) * 15;
            if seed % 2 == 0 {
                input.place = Place::HomeService {
                    location: point((19.0728, 72.8826)),
                };
            }
            let mut x = seed.wrapping_mul(2_654_435_761);
            let mut busy = Vec::new();
            for _ in 0..3 {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let start_min = 9 * 60 + (x >> 8) % (10 * 60);
                let len = 15 + (x >> 20) % 120;
                let start = ist(2025, 10, 15, 0, 0) + Duration::minutes(i64::from(start_min));
                busy.push(Busy {
                    start,
                    end: start + Duration::minutes(i64::from(len)),
                    travel_buffer_minutes: if x % 2 == 0 { 30 } else { 0 },
                });
            }
            input.therapists[0].busy = busy.clone();
            let slots = free_slots(&input);
            let slot_buffer = match input.place {
                Place::SpaVisit => Duration::zero(),
                _ => Duration::minutes(i64::from(input.vendor.travel_buffer_minutes)),
            };
            for pair in slots.windows(2) {
                assert!(pair[0].start < pair[1].start);
            }
            for s in &slots {
                assert!(s.start >= ist(2025, 10, 15, 10, 0) && s.end <= ist(2025, 10, 15, 18, 0));
                for b in &busy {
                    // Half-open [start, end + buffer) ranges must be disjoint, as in the database.
                    let busy_end = b.end + Duration::minutes(i64::from(b.travel_buffer_minutes));
                    assert!(
                        s.end + slot_buffer <= b.start || s.start >= busy_end,
                        "seed {seed}: {s:?} vs {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn best_therapist_ranking() {
        let mut input = base();
        input.specialization_required = false;
        input.place = Place::HomeService {
            location: point((19.0728, 72.8826)),
        };
        let mut near_low = therapist("near_low", Gender::Female);
        near_low.rating = 4.0;
        near_low.location = Some(point((19.0700, 72.8800))); // < 1 km
        let mut near_high = therapist("near_high", Gender::Female);
        near_high.rating = 4.9;
        near_high.location = Some(point((19.0750, 72.8850))); // < 1 km
        let mut far_top = therapist("far_top", Gender::Female);
        far_top.rating = 5.0; // at Bandra, ~5.7 km
        let mut untrained = therapist("untrained", Gender::Female);
        untrained.specialization = vec![];
        untrained.rating = 5.0;
        untrained.location = near_high.location;
        input.therapists = vec![far_top, near_low, untrained, near_high];
        let slot = free_slots(&input).into_iter().next().unwrap();
        let order: Vec<String> = rank_therapists(&input, &slot)
            .into_iter()
            .map(|r| r.therapist_id.to_string())
            .collect();
        assert_eq!(order, ["near_high", "near_low", "far_top", "untrained"]);

        // Same reach and rating: the less loaded therapist that day wins.
        let mut a = therapist("a", Gender::Female);
        let mut b = therapist("b", Gender::Female);
        a.busy = vec![Busy {
            start: ist(2025, 10, 15, 16, 0),
            end: ist(2025, 10, 15, 18, 0),
            travel_buffer_minutes: 0,
        }];
        b.busy = vec![
            Busy {
                start: ist(2025, 10, 15, 16, 0),
                end: ist(2025, 10, 15, 17, 0),
                travel_buffer_minutes: 0,
            },
            // The previous day does not count towards today's load.
            Busy {
                start: ist(2025, 10, 14, 10, 0),
                end: ist(2025, 10, 14, 18, 0),
                travel_buffer_minutes: 0,
            },
        ];
        input.therapists = vec![a, b];
        input.place = Place::SpaVisit;
        let slot = free_slots(&input).into_iter().next().unwrap();
        let best = best_therapist(&input, &slot).unwrap();
        assert_eq!(best.therapist_id, id("b"));
        assert_eq!(best.load_minutes, 60);
        assert_eq!(best.distance_km, None);
        assert!(best.specialization_match);

        let empty = Slot {
            start: slot.start,
            end: slot.end,
            therapist_ids: vec![],
        };
        assert_eq!(best_therapist(&input, &empty), None);
    }

    #[test]
    fn parses_json_input() {
        let json = r#"{
            "now": "2025-10-14T03:30:00Z",
            "date": "2025-10-15",
            "duration_minutes": 60,
            "place": {"type": "home_service", "location": {"latitude": 19.0728, "longitude": 72.8826}},
            "vendor": {"location": {"latitude": 19.0596, "longitude": 72.8295}, "service_radius_km": 8},
            "opening_hours": [{"day_of_week": 3, "open_time": "10:00:00", "close_time": "12:00:00"}],
            "therapists": [{"id": "t1", "gender": "female", "schedules": [
                {"day_of_week": 3, "start_time": "10:00", "end_time": "24:00", "break_start": "13:00", "break_end": "14:00"}
            ]}]
        }"#;
        let input: AvailabilityInput = serde_json::from_str(json).unwrap();
        assert_eq!(input.vendor.timezone, default_timezone());
        assert_eq!(input.granularity_minutes, Minutes(30));
        assert_eq!(starts(&free_slots(&input)), ["10:00", "10:30", "11:00"]);

        let bad = json.replace("\"duration_minutes\": 60", "\"duration_minutes\": 0");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
        let bad = json.replace("\"service_radius_km\": 8", "\"service_radius_km\": -1");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
        let bad = json.replace("\"date\"", "\"colour\": 1, \"date\"");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
        let bad = json.replace("\"type\": \"home_service\",", "\"type\": \"home_service\", \"x\": 1,");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
        let bad = json.replace("\"end_time\": \"24:00\"", "\"end_time\": \"25:00\"");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
        let bad = json.replace("\"latitude\": 19.0728", "\"latitude\": 99.0");
        assert!(serde_json::from_str::<AvailabilityInput>(&bad).is_err());
    }

    #[test]
    fn check_start_gives_the_first_reason() {
        let input = base();
        let at = |h, m| ist(2025, 10, 15, h, m);
        let slot = check_start(&input, at(11, 0), None).unwrap();
        assert_eq!(slot.therapist_ids, vec![id("asha")]);
        assert!(check_start(&input, at(11, 0), Some(&id("asha"))).is_ok());
        assert_eq!(
            check_start(&input, at(11, 0), Some(&id("ravi"))),
            Err(SlotRefusal::TherapistUnavailable)
        );
        assert_eq!(
            check_start(&input, ist(2025, 10, 14, 8, 0), None),
            Err(SlotRefusal::InPast)
        );
        assert_eq!(
            check_start(&input, ist(2025, 10, 14, 9, 30), None),
            Err(SlotRefusal::TooSoon { minutes: 60 })
        );
        assert_eq!(
            check_start(&input, ist(2025, 12, 1, 11, 0), None),
            Err(SlotRefusal::BeyondHorizon { days: 30 })
        );
        // Opens at 10:00 and closes at 20:00: 09:00 and 19:30 (ends 20:30) do not fit.
        assert_eq!(
            check_start(&input, at(9, 0), None),
            Err(SlotRefusal::OutsideOpeningHours)
        );
        assert_eq!(
            check_start(&input, at(19, 30), None),
            Err(SlotRefusal::OutsideOpeningHours)
        );
        assert_eq!(
            check_start(&input, at(11, 15), None),
            Err(SlotRefusal::OffGrid { granularity: 60 })
        );
        // Open, on the grid, but the only therapist's shift ends at 18:00.
        let refusal = check_start(&input, at(18, 0), None).unwrap_err();
        assert_eq!(refusal, SlotRefusal::Unavailable);
        assert!(refusal.is_conflict());
        assert_eq!(refusal.code(), "slot_unavailable");
    }

    #[test]
    fn check_start_agrees_with_free_slots() {
        let mut input = base();
        input.granularity_minutes = Minutes(30);
        input.therapists[0].busy.push(Busy {
            start: ist(2025, 10, 15, 12, 0),
            end: ist(2025, 10, 15, 13, 0),
            travel_buffer_minutes: 30,
        });
        let listed: Vec<DateTime<Utc>> = free_slots(&input).into_iter().map(|s| s.start).collect();
        for minutes in (0..24 * 60).step_by(30) {
            let start = ist(2025, 10, 15, 0, 0) + Duration::minutes(minutes);
            assert_eq!(
                check_start(&input, start, None).is_ok(),
                listed.contains(&start),
                "{start}"
            );
        }
    }

    #[test]
    fn holidays_and_closed_days_close() {
        let mut input = base();
        input.holidays.push(Holiday {
            date: wed(),
            name: "Diwali".into(),
            blocks_bookings: true,
        });
        let refusal = check_start(&input, ist(2025, 10, 15, 11, 0), None).unwrap_err();
        assert_eq!(refusal.code(), "vendor_closed");
        assert!(refusal.to_string().contains("Diwali"));
        input.holidays.clear();
        input.opening_hours.push(OpeningHours {
            day_of_week: None,
            specific_date: Some(wed()),
            open_time: None,
            close_time: None,
            is_closed: true,
        });
        assert_eq!(
            check_start(&input, ist(2025, 10, 15, 11, 0), None),
            Err(SlotRefusal::Closed { holiday: None })
        );
    }
}
