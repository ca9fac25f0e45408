//! The endpoints. Each one: parse the request, open one transaction as the caller, ask the
//! core, persist, commit, answer. A refusal at any step returns before anything is written,
//! and the transaction is dropped (rolled back) with it.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::{DateTime, Utc};
use ombaro_common::{
    cache::Cache,
    http::{ApiJson, ApiQuery},
    ApiError, AppState, Caller,
};
use serde_json::{json, Value};
use uuid::Uuid;

use super::requests::{
    AssignRequest, AssignmentStatusRequest, BookingRequest, BookingStatusRequest, BookingType, CancelReason,
    CancelRequest, ItemRequest, RescheduleRequest, SlotsQuery,
};
use super::store::{self, Address, Booking, OfferedService, Transaction, Vendor};
use super::ServiceOptions;
use crate::availability::{self, AvailabilityInput, Minutes, Place, SlotRefusal};
use crate::lifecycle::{self, Actor, AssignmentStatus, BookingStatus, Notice, StatusGateError, TransitionError};
use crate::pricing::{self, ItemChoice, PricingError, PricingVendor, Quote, QuoteInput};
use crate::types::{GeoPoint, Id};

/// Most services one booking may hold.
const MAX_ITEMS: usize = 10;
/// Header a client sets so that a retried create returns the first booking.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

type Result<T> = std::result::Result<T, ApiError>;

// ---------------------------------------------------------------------------------------
// Errors from the core

fn pricing_error(err: PricingError) -> ApiError {
    ApiError::unprocessable(err.code(), err.to_string())
}

fn slot_error(err: SlotRefusal) -> ApiError {
    if err.is_conflict() {
        ApiError::conflict(err.code(), err.to_string())
    } else {
        ApiError::unprocessable(err.code(), err.to_string())
    }
}

fn transition_error(err: TransitionError) -> ApiError {
    match err {
        TransitionError::NotAllowed { .. } => ApiError::forbidden(err.code(), err.to_string()),
        TransitionError::Illegal { .. } => ApiError::conflict(err.code(), err.to_string()),
    }
}

fn gate_error(err: StatusGateError) -> ApiError {
    match err {
        StatusGateError::Transition(err) => transition_error(err),
        StatusGateError::NotAssignable(_) | StatusGateError::NotReschedulable(_) => {
            ApiError::conflict(err.code(), err.to_string())
        }
    }
}

/// A compare-and-set on a status found the row moved on: someone else changed it first, and
/// the whole request is rolled back rather than half done.
fn status_changed(what: &str) -> ApiError {
    ApiError::conflict("status_changed", format!("the {what} changed meanwhile; look again"))
}

fn parse_path_id(raw: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request("invalid_id", format!("{what} id {raw:?} is not a uuid")))
}

fn core_id(id: Uuid) -> Id {
    Id::new(id.to_string()).expect("a uuid is a valid id")
}

fn uuid_of(id: &Id) -> Result<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| ApiError::internal(format!("catalogue id {:?} is not a uuid", id.as_str())))
}

/// Catalogue rows by their uuid. A row whose id does not parse is the database's fault and
/// fails the request; it never becomes the nil uuid, which a request could then name.
fn by_uuid<T>(rows: Vec<T>, id: impl Fn(&T) -> &Id) -> Result<HashMap<Uuid, T>> {
    rows.into_iter().map(|row| Ok((uuid_of(id(&row))?, row))).collect()
}

fn not_found() -> ApiError {
    ApiError::not_found("booking_not_found", "no booking with that id is visible to you")
}

// ---------------------------------------------------------------------------------------
// Pricing a request

/// A priced request: what `/quote` shows and `/bookings` stores.
struct Priced {
    vendor: Vendor,
    quote: Quote,
    /// Treatment plus add-on minutes of all items, done one after another by one therapist.
    session: Minutes,
    service_id: Uuid,
    service_code: String,
}

/// Where a request's service happens, resolved as the caller (a saved address must be theirs).
async fn resolve_place(
    tx: &Transaction<'_>,
    caller: &Caller,
    booking_type: BookingType,
    address_id: Option<Uuid>,
    inline: Option<(f64, f64, String, Option<String>)>,
) -> Result<(Place, Option<Address>)> {
    let address = match (address_id, inline) {
        (Some(id), _) => {
            let customer = caller.require_user()?;
            let found = store::own_address(tx, id, customer).await?;
            Some(found.ok_or_else(|| {
                ApiError::unprocessable("address_not_found", "that address is not one of your saved addresses")
            })?)
        }
        (None, Some((lat, lon, text, landmark))) => Some(Address {
            id: None,
            text,
            landmark,
            point: GeoPoint::new(lat, lon).map_err(|e| ApiError::unprocessable("invalid_location", e))?,
        }),
        (None, None) => None,
    };
    let place = booking_type.place(address.as_ref().map(|a| a.point)).ok_or_else(|| {
        ApiError::unprocessable(
            "location_required",
            format!("a {} needs address_id or location", booking_type.as_str()),
        )
    })?;
    Ok((place, address))
}

/// Loads the catalogue rows the request names and prices it. Runs as `service_role`.
async fn price(
    tx: &Transaction<'_>,
    req: &BookingRequest,
    customer: Option<Uuid>,
    now: DateTime<Utc>,
    cache: Option<&Cache>,
) -> Result<Priced> {
    if req.items.is_empty() || req.items.len() > MAX_ITEMS {
        return Err(ApiError::unprocessable(
            "invalid_request",
            format!("a booking holds 1 to {MAX_ITEMS} services"),
        ));
    }
    let service_ids: Vec<Uuid> = req.items.iter().map(|i| i.service_id).collect();
    let addon_ids: Vec<Uuid> = req.items.iter().flat_map(|i| i.addon_ids.iter().copied()).collect();
    // Every catalogue read at once: the connection pipelines them, so the request waits for
    // one round trip instead of eight. Results are judged in this order, whatever finished
    // first, so the error a caller sees does not depend on timing.
    let (vendor, services, addons, package, promotion, tiers, tax_rates, convenience_fee) = tokio::join!(
        store::vendor(tx, req.vendor_id),
        store::services_cached(tx, cache, req.vendor_id, &service_ids),
        store::addons(tx, &addon_ids),
        async {
            match req.package_id {
                Some(id) => store::package(tx, id).await.map(|p| p.map(Some)),
                None => Ok(Some(None)),
            }
        },
        async {
            match &req.coupon_code {
                Some(code) => store::promotion(tx, code, customer).await.map(|p| p.map(Some)),
                None => Ok(Some(None)),
            }
        },
        store::tiers(tx, req.vendor_id, &service_ids),
        store::tax_rates(tx),
        store::convenience_fee(tx),
    );
    let vendor = vendor?;
    if !vendor.bookable {
        return Err(ApiError::unprocessable(
            "vendor_not_bookable",
            "this vendor is not taking bookings",
        ));
    }
    let services = by_uuid(services?, |s| &s.service.id)?;
    let addons = by_uuid(addons?, |(a, _)| &a.id)?;
    let items = req
        .items
        .iter()
        .map(|item| choose_item(services.get(&item.service_id), item, &addons, req.booking_type))
        .collect::<Result<Vec<_>>>()?;

    let package = match (package?, req.package_id) {
        (Some(package), _) => package,
        (None, id) => {
            let id = id.map(|id| id.to_string()).unwrap_or_default();
            return Err(ApiError::unprocessable(
                "unknown_package",
                format!("no active package {id}"),
            ));
        }
    };
    let promotion = match (promotion?, &req.coupon_code) {
        (Some(promotion), _) => promotion,
        (None, code) => {
            return Err(ApiError::unprocessable(
                "unknown_coupon",
                format!("no coupon or promotion {code:?}"),
            ))
        }
    };
    let input = QuoteInput {
        now,
        booked_at: None,
        start: req.start_utc(),
        vendor: PricingVendor {
            id: core_id(vendor.id),
            timezone: vendor.timezone,
            city_tier: vendor.city_tier,
        },
        customer_id: customer.map(core_id),
        items,
        package,
        tiers: tiers?,
        promotion,
        tax_rates: tax_rates?,
        convenience_fee: convenience_fee?,
    };
    let quote = pricing::quote(&input).map_err(pricing_error)?;
    // Items are done one after another by one therapist.
    let minutes = quote
        .items
        .iter()
        .try_fold(0u32, |total, i| total.checked_add(i.session_minutes))
        .ok_or_else(|| pricing_error(PricingError::SessionTooLong))?;
    let session = session_length(minutes)?;
    let first = &input.items[0].service;
    Ok(Priced {
        service_id: uuid_of(&first.id)?,
        service_code: first.code.clone(),
        vendor,
        quote,
        session,
    })
}

/// A session's minutes as a slot length: at most a day.
fn session_length(minutes: u32) -> Result<Minutes> {
    Minutes::new(minutes).map_err(|e| ApiError::unprocessable("session_too_long", e))
}

/// One requested item as the core prices and times it: the service as this vendor offers it
/// at the place asked for, the add-ons named (each must exist and be available there), and
/// the treatment minutes asked for. Whether the service (or the variant) offers those minutes
/// is the core's call ([`pricing::session_minutes`]).
fn choose_item(
    offered: Option<&OfferedService>,
    item: &ItemRequest,
    addons: &HashMap<Uuid, (pricing::Addon, bool)>,
    booking_type: BookingType,
) -> Result<ItemChoice> {
    let offered = offered
        .ok_or_else(|| ApiError::unprocessable("unknown_service", format!("no active service {}", item.service_id)))?;
    let name = &offered.service.name;
    if !offered.offered {
        return Err(ApiError::unprocessable(
            "service_not_offered",
            format!("{name} is not offered by this vendor"),
        ));
    }
    let visit = booking_type.is_visit();
    if (visit && !offered.at_home) || (!visit && !offered.in_spa) {
        return Err(ApiError::unprocessable(
            "service_not_offered_here",
            format!("{name} is not offered as a {}", booking_type.as_str()),
        ));
    }
    let mut chosen = Vec::with_capacity(item.addon_ids.len());
    for id in &item.addon_ids {
        let (addon, home_ok) = addons
            .get(id)
            .ok_or_else(|| ApiError::unprocessable("unknown_addon", format!("no active add-on {id}")))?;
        if visit && !home_ok {
            return Err(ApiError::unprocessable(
                "addon_not_offered_here",
                format!("{} is not available for visits", addon.name),
            ));
        }
        chosen.push(addon.clone());
    }
    let variant_id = item.variant_id.map(core_id);
    Ok(ItemChoice {
        duration_minutes: pricing::requested_minutes(&offered.service, variant_id.as_ref(), item.duration_minutes),
        service: offered.service.clone(),
        variant_id,
        quantity: item.quantity,
        addons: chosen,
    })
}

fn inline_location(req: &BookingRequest) -> Option<(f64, f64, String, Option<String>)> {
    req.location
        .as_ref()
        .map(|l| (l.latitude, l.longitude, l.address.clone(), l.landmark.clone()))
}

// ---------------------------------------------------------------------------------------
// POST /quote

/// Prices a booking request; writes nothing. Anyone may ask (the catalogue is public);
/// personal coupons need the customer's token.
pub async fn quote(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    cache: Option<Extension<Cache>>,
    ApiJson(req): ApiJson<BookingRequest>,
) -> Result<Json<Value>> {
    let cache = cache.map(|Extension(c)| c);
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    store::act_as_service(&tx).await?;
    let now = store::now(&tx).await?;
    let priced = price(&tx, &req, caller.user_id, now, cache.as_ref()).await?;
    tx.rollback().await?;
    Ok(Json(json!({
        "vendor_id": priced.vendor.id,
        "start": req.start_utc(),
        "session_minutes": priced.session.get(),
        "quote": priced.quote,
    })))
}

// ---------------------------------------------------------------------------------------
// GET /slots

/// Free slots for one service at one vendor on one local date.
pub async fn slots(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    cache: Option<Extension<Cache>>,
    ApiQuery(query): ApiQuery<SlotsQuery>,
) -> Result<Json<Value>> {
    let cache = cache.map(|Extension(c)| c);
    let addon_ids = query
        .addon_ids()
        .map_err(|e| ApiError::bad_request("invalid_query", e))?;
    let inline = match (query.latitude, query.longitude) {
        (Some(lat), Some(lon)) => Some((lat, lon, String::new(), None)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "latitude and longitude go together",
            ))
        }
    };
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let (place, _) = resolve_place(&tx, &caller, query.booking_type, query.address_id, inline).await?;
    store::act_as_service(&tx).await?;
    let now = store::now(&tx).await?;
    let vendor = store::vendor(&tx, query.vendor_id).await?;
    if !vendor.bookable {
        return Err(ApiError::unprocessable(
            "vendor_not_bookable",
            "this vendor is not taking bookings",
        ));
    }
    let today = now.with_timezone(&vendor.timezone).date_naive();
    if query.date < today {
        return Err(ApiError::unprocessable(
            "date_in_past",
            format!("{} is in the past", query.date),
        ));
    }
    let service_ids = [query.service_id];
    let (services, addons) = tokio::join!(
        store::services_cached(&tx, cache.as_ref(), vendor.id, &service_ids),
        store::addons(&tx, &addon_ids),
    );
    let services = by_uuid(services?, |s| &s.service.id)?;
    let addons = by_uuid(addons?, |(a, _)| &a.id)?;
    // The same choice a booking makes, so a slot is always as long as the session it is for:
    // a variant's own minutes, an offered duration, add-ons that exist and go there.
    let item = ItemRequest {
        service_id: query.service_id,
        variant_id: query.variant_id,
        duration_minutes: query.duration_minutes,
        quantity: 1,
        addon_ids,
    };
    let choice = choose_item(services.get(&query.service_id), &item, &addons, query.booking_type)?;
    let duration = session_length(pricing::session_minutes(&choice).map_err(pricing_error)?)?;
    let service = &choice.service;
    let input = store::availability(
        &tx,
        store::SlotSearch {
            date: query.date,
            now,
            duration,
            service_code: Some(service.code.clone()),
            place,
            gender_preference: query.gender_preference,
            ignore_booking: None,
            vendor: &vendor,
        },
    )
    .await?;
    tx.rollback().await?;
    let slots = availability::free_slots(&input);
    Ok(Json(json!({
        "vendor_id": vendor.id,
        "date": query.date,
        "timezone": vendor.timezone.name(),
        "duration_minutes": duration.get(),
        "slots": slots,
    })))
}

// ---------------------------------------------------------------------------------------
// POST /bookings

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (8..=200).contains(&k.len()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 8 to 200 visible ASCII characters",
            )
        })?;
    Ok(Some(key.to_owned()))
}

fn created(view: Value, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// A create request's `Idempotency-Key` with the fingerprint of the request it came with.
struct Idempotency {
    key: String,
    fingerprint: String,
}

/// The booking made earlier with this key, if any. The key is refused (422
/// `idempotency_key_reused`) when that booking was made from a different request: a key names
/// one request, and answering another with its booking would book what was not asked for.
async fn replay(tx: &Transaction<'_>, customer: Uuid, idempotency: &Idempotency) -> Result<Option<Value>> {
    match store::booking_by_idempotency_key(tx, customer, &idempotency.key).await? {
        None => Ok(None),
        Some((id, fingerprint)) if fingerprint.as_deref() == Some(idempotency.fingerprint.as_str()) => {
            Ok(Some(store::booking_view(tx, id).await?))
        }
        Some(_) => Err(ApiError::unprocessable(
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request; use a new key for a new booking",
        )),
    }
}

/// Creates a pending booking that holds its slot until its payment hold expires: booking,
/// items, promotion use, status history (by trigger), the therapist assignment and the
/// notification outbox, in one transaction.
///
/// With an `Idempotency-Key`, the same request again answers with the first booking
/// (`Idempotent-Replayed: true`) and another request with the same key is refused. The key is
/// looked up before any work ([`ServiceOptions::early_replay`]) and again whenever the
/// request is refused: a retry that raced its original past the first look-up then finds the
/// slot or the therapist taken, or the key in the unique index, and is still answered with
/// the booking it asked for.
pub async fn create_booking(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(options): Extension<ServiceOptions>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<BookingRequest>,
) -> Result<Response> {
    let customer = caller.require_user()?;
    if !caller.is_signed_in() {
        return Err(ApiError::forbidden(
            "customers_only",
            "bookings are made with a customer's token",
        ));
    }
    let idempotency = idempotency_key(&headers)?.map(|key| Idempotency {
        key,
        fingerprint: req.fingerprint(),
    });
    let mut client = state.db.get().await?;
    let outcome = {
        let tx = state.db.begin_as(&mut client, &caller).await?;
        let early = idempotency.as_ref().filter(|_| options.early_replay);
        match book(&tx, &caller, customer, early, idempotency.as_ref(), &req).await {
            Ok(Booked::New(view)) => tx.commit().await.map(|()| created(view, false)).map_err(ApiError::from),
            Ok(Booked::Replayed(view)) => Ok(created(view, true)),
            Err(err) => Err(err),
        }
    };
    match (outcome, idempotency) {
        // Whatever refused it, a booking already made with this key settles the answer.
        (Err(err), Some(idempotency)) => {
            let tx = state.db.begin_as(&mut client, &caller).await?;
            store::act_as_service(&tx).await?;
            match replay(&tx, customer, &idempotency).await? {
                Some(view) => Ok(created(view, true)),
                None => Err(err),
            }
        }
        (outcome, _) => outcome,
    }
}

enum Booked {
    New(Value),
    Replayed(Value),
}

/// Prices, places and books the request. `replay_first`: the key to look up before doing any
/// of it; `idempotency`: the key and fingerprint stored with the booking.
async fn book(
    tx: &Transaction<'_>,
    caller: &Caller,
    customer: Uuid,
    replay_first: Option<&Idempotency>,
    idempotency: Option<&Idempotency>,
    req: &BookingRequest,
) -> Result<Booked> {
    // As the caller: the address must be theirs.
    let (place, address) = resolve_place(tx, caller, req.booking_type, req.address_id, inline_location(req)).await?;
    let (service, now) = tokio::join!(store::act_as_service(tx), store::now(tx));
    service?;
    let now = now?;
    if let Some(idempotency) = replay_first {
        if let Some(view) = replay(tx, customer, idempotency).await? {
            return Ok(Booked::Replayed(view));
        }
    }
    // A booking reads the catalogue itself: what is charged never comes from a cache.
    let priced = price(tx, req, Some(customer), now, None).await?;
    if let Some(expected) = req.expected_total_amount {
        if expected != priced.quote.total_amount.get() {
            return Err(ApiError::conflict(
                "price_changed",
                format!(
                    "the total is now {}, not the {} you were shown; quote again",
                    priced.quote.total_amount,
                    crate::Paise::new(expected)
                ),
            )
            .with_details(json!({ "total_amount": priced.quote.total_amount })));
        }
    }

    let vendor = &priced.vendor;
    let start = req.start_utc();
    let (input, hold_minutes) = tokio::join!(
        store::availability(
            tx,
            store::SlotSearch {
                date: start.with_timezone(&vendor.timezone).date_naive(),
                now,
                duration: priced.session,
                service_code: Some(priced.service_code.clone()),
                place,
                gender_preference: req.gender_preference,
                ignore_booking: None,
                vendor,
            },
        ),
        store::integer_setting(tx, "booking_hold_minutes", 10),
    );
    let input = input?;
    let hold_minutes = hold_minutes?;
    let wanted = req.therapist_id.map(core_id);
    let slot = availability::check_start(&input, start, wanted.as_ref()).map_err(slot_error)?;

    let location_text = match &address {
        Some(a) => a.text.clone(),
        None => format!("{}, {}", vendor.business_name, vendor.address),
    };
    let service_location = match &address {
        Some(a) => json!({
            "address": a.text, "landmark": a.landmark,
            "latitude": a.point.latitude, "longitude": a.point.longitude,
        }),
        None => json!({ "address": location_text, "at_vendor": true }),
    };
    let inserted = store::insert_booking(
        tx,
        &store::NewBooking {
            customer_id: customer,
            vendor_id: vendor.id,
            booking_type: req.booking_type.as_str(),
            service_location,
            address_id: address.as_ref().and_then(|a| a.id),
            point: address.as_ref().map(|a| a.point),
            start: slot.start,
            end: slot.end,
            timezone: vendor.timezone.name(),
            hold_minutes,
            quote: &priced.quote,
            gender_preference: req.gender_preference,
            special_instructions: req.special_instructions.as_deref(),
            idempotency_key: idempotency.map(|i| i.key.as_str()),
            request_hash: idempotency.map(|i| i.fingerprint.as_str()),
        },
    )
    .await?;
    let id = inserted.id;
    store::redeem_promotion(tx, &priced.quote, customer, id).await?;

    // The chosen therapist, or the best ranked; if a concurrent booking takes the best one
    // first, the next one in rank gets it.
    let candidates: Vec<Uuid> = match req.therapist_id {
        Some(therapist) => vec![therapist],
        None => availability::rank_therapists(&input, &slot)
            .iter()
            .map(|r| uuid_of(&r.therapist_id))
            .collect::<Result<_>>()?,
    };
    let therapist = assign_first_free(tx, &candidates, |therapist_id| store::NewAssignment {
        booking_id: id,
        therapist_id,
        vendor_id: vendor.id,
        customer_id: customer,
        service_id: priced.service_id,
        start: slot.start,
        end: slot.end,
        address: &location_text,
        point: address.as_ref().map(|a| a.point),
    })
    .await?;

    let number = &inserted.booking_number;
    let to_customer = json!({ "booking_id": id, "booking_number": number, "scheduled_start": slot.start,
                              "total_amount": priced.quote.total_amount, "hold_expires_at": inserted.hold_expires_at });
    let to_vendor =
        json!({ "booking_id": id, "booking_number": number, "scheduled_start": slot.start, "therapist_id": therapist });
    let (customer_key, vendor_key) = (
        format!("booking.created:{id}:customer"),
        format!("booking.created:{id}:vendor"),
    );
    let (view, told_customer, told_vendor) = tokio::join!(
        store::booking_view(tx, id),
        store::enqueue_notification(
            tx,
            "booking.created",
            customer,
            "booking_created",
            to_customer,
            &customer_key
        ),
        store::enqueue_notification(
            tx,
            "booking.created",
            vendor.id,
            "vendor_new_booking",
            to_vendor,
            &vendor_key
        ),
    );
    let view = view?;
    told_customer?;
    told_vendor?;
    Ok(Booked::New(view))
}

/// Inserts the assignment for the first candidate the database accepts; a refused attempt
/// leaves nothing behind ([`store::try_insert_assignment`]).
async fn assign_first_free<'a>(
    tx: &Transaction<'_>,
    candidates: &[Uuid],
    assignment_of: impl Fn(Uuid) -> store::NewAssignment<'a>,
) -> Result<Uuid> {
    const MAX_ATTEMPTS: usize = 3;
    let mut last = ApiError::conflict("slot_unavailable", "no therapist is free for that slot");
    for &therapist in candidates.iter().take(MAX_ATTEMPTS) {
        let assignment = assignment_of(therapist);
        match store::try_insert_assignment(tx, &assignment).await {
            Ok(_) => return Ok(therapist),
            Err(err) if err.code == "slot_unavailable" => last = err,
            Err(err) => return Err(err),
        }
    }
    Err(last)
}

// ---------------------------------------------------------------------------------------
// Changing a booking

/// Opens the caller's transaction and finds the booking as they see it, with who they are to
/// it. Bookings the caller cannot see are 404, not 403: their existence is not disclosed.
async fn visible_booking(tx: &Transaction<'_>, caller: &Caller, id: Uuid) -> Result<(Booking, Actor)> {
    let booking = store::booking(tx, id, false).await?.ok_or_else(not_found)?;
    let actor = store::actor(tx, caller, &booking)
        .await?
        .ok_or_else(|| ApiError::forbidden("not_allowed", "you have no part in this booking"))?;
    Ok((booking, actor))
}

/// Locks the booking (as the service) and re-reads it, so no concurrent change slips in
/// between the checks and the write.
async fn lock_booking(tx: &Transaction<'_>, id: Uuid) -> Result<Booking> {
    store::act_as_service(tx).await?;
    store::booking(tx, id, true).await?.ok_or_else(not_found)
}

fn place_of(booking: &Booking) -> Result<Place> {
    match (booking.booking_type.as_str(), booking.location) {
        ("spa_visit", _) => Ok(Place::SpaVisit),
        ("home_service", Some(location)) => Ok(Place::HomeService { location }),
        ("hotel_service", Some(location)) => Ok(Place::HotelService { location }),
        _ => Err(ApiError::unprocessable(
            "location_required",
            "this booking has no location to send a therapist to",
        )),
    }
}

/// The availability around `start` for moving or staffing an existing booking: its own
/// assignments do not count as busy.
async fn availability_for(
    tx: &Transaction<'_>,
    booking: &Booking,
    vendor: &Vendor,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    business: bool,
) -> Result<AvailabilityInput> {
    let duration =
        Minutes::new(((booking.scheduled_end - booking.scheduled_start).num_minutes()).clamp(1, 1440) as u32)
            .map_err(ApiError::internal)?;
    let mut input = store::availability(
        tx,
        store::SlotSearch {
            date: start.with_timezone(&vendor.timezone).date_naive(),
            now,
            duration,
            service_code: Some(booking.service_code.clone()),
            place: place_of(booking)?,
            gender_preference: booking.gender_preference,
            ignore_booking: Some(booking.id),
            vendor,
        },
    )
    .await?;
    if business {
        // The vendor and operations staff the calendar as it stands: no notice or horizon.
        input.vendor.min_notice_minutes = 0;
        input.vendor.booking_horizon_days = 366;
    }
    Ok(input)
}

fn new_assignment(
    booking: &Booking,
    therapist: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> store::NewAssignment<'_> {
    store::NewAssignment {
        booking_id: booking.id,
        therapist_id: therapist,
        vendor_id: booking.vendor_id,
        customer_id: booking.customer_id,
        service_id: booking.service_id,
        start,
        end,
        address: &booking.location_address,
        point: booking.location,
    }
}

/// `POST /bookings/{id}/assign`: the vendor (or operations) puts a therapist on a booking,
/// the one named or the best free one, replacing any current assignment. Assigning the
/// therapist who already has the booking keeps their assignment, so a retried request
/// changes nothing and tells nobody twice (the outbox keys name the assignment).
pub async fn assign(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<ApiJson<AssignRequest>>,
) -> Result<Json<Value>> {
    let id = parse_path_id(&id, "booking")?;
    let req = body.map(|ApiJson(r)| r).unwrap_or_default();
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let (_, actor) = visible_booking(&tx, &caller, id).await?;
    if !matches!(actor, Actor::Vendor | Actor::Admin | Actor::System) {
        return Err(ApiError::forbidden(
            "not_allowed",
            "only the vendor or operations assign therapists",
        ));
    }
    let booking = lock_booking(&tx, id).await?;
    let moves_to = lifecycle::on_assign(booking.status, actor).map_err(gate_error)?;
    let vendor = store::vendor(&tx, booking.vendor_id).await?;
    let now = store::now(&tx).await?;
    let input = availability_for(&tx, &booking, &vendor, booking.scheduled_start, now, true).await?;
    let wanted = req.therapist_id.map(core_id);
    let slot = availability::check_start(&input, booking.scheduled_start, wanted.as_ref()).map_err(slot_error)?;
    let therapist = match req.therapist_id {
        Some(t) => t,
        None => {
            let best = availability::best_therapist(&input, &slot)
                .ok_or_else(|| ApiError::conflict("slot_unavailable", "no therapist is free for that slot"))?;
            uuid_of(&best.therapist_id)?
        }
    };

    // The writes are the caller's own: RLS and the assignment guards judge them again.
    store::act_as_caller(&tx, &caller).await?;
    let assignment = match booking.assignments.as_slice() {
        [(assignment, current)] if *current == therapist => *assignment,
        _ => {
            store::cancel_assignments(&tx, booking.id).await?;
            store::insert_assignment(
                &tx,
                &new_assignment(&booking, therapist, booking.scheduled_start, booking.scheduled_end),
            )
            .await?
        }
    };
    if let Some(to) = moves_to {
        if !store::set_booking_status(&tx, booking.id, booking.status, to).await? {
            return Err(status_changed("booking"));
        }
    }
    store::act_as_service(&tx).await?;
    if let Some(user) = store::therapist_user(&tx, therapist).await? {
        store::enqueue_notification(
            &tx,
            "assignment.created",
            user,
            "therapist_new_assignment",
            json!({ "booking_id": booking.id, "booking_number": booking.booking_number,
                    "scheduled_start": booking.scheduled_start }),
            &format!("assignment.created:{}:{assignment}", booking.id),
        )
        .await?;
    }
    store::enqueue_notification(
        &tx,
        "booking.therapist_assigned",
        booking.customer_id,
        "therapist_assigned",
        json!({ "booking_id": booking.id, "booking_number": booking.booking_number, "therapist_id": therapist }),
        &format!("booking.therapist_assigned:{}:{assignment}", booking.id),
    )
    .await?;
    let view = store::booking_view(&tx, booking.id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// `POST /bookings/{id}/status`: confirm, start or complete a booking. Cancelling and
/// rescheduling have their own endpoints, because they are priced.
pub async fn booking_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<BookingStatusRequest>,
) -> Result<Json<Value>> {
    let id = parse_path_id(&id, "booking")?;
    match req.status {
        BookingStatus::Cancelled => {
            return Err(ApiError::unprocessable(
                "use_cancel",
                "cancel through POST .../bookings/{id}/cancel",
            ))
        }
        BookingStatus::Rescheduled => {
            return Err(ApiError::unprocessable(
                "use_reschedule",
                "reschedule through POST .../bookings/{id}/reschedule",
            ))
        }
        _ => {}
    }
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let (booking, actor) = visible_booking(&tx, &caller, id).await?;
    lifecycle::booking_transition(booking.status, req.status, actor).map_err(transition_error)?;
    store::set_change_reason(&tx, req.reason.as_deref()).await?;
    // As the caller: the database checks the move and the actor again (V11, V27).
    if !store::set_booking_status(&tx, booking.id, booking.status, req.status).await? {
        return Err(ApiError::conflict(
            "status_changed",
            "the booking changed meanwhile; look again",
        ));
    }
    store::act_as_service(&tx).await?;
    let template = match req.status {
        BookingStatus::Confirmed => "booking_confirmed",
        BookingStatus::InProgress => "booking_started",
        _ => "booking_completed",
    };
    store::enqueue_notification(
        &tx,
        "booking.status_changed",
        booking.customer_id,
        template,
        json!({ "booking_id": booking.id, "booking_number": booking.booking_number,
                "from": booking.status, "to": req.status }),
        &format!("booking.status:{}:{}", booking.id, req.status),
    )
    .await?;
    let view = store::booking_view(&tx, booking.id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// `POST /assignments/{id}/status`: the therapist reports progress; the vendor or operations
/// cancel or re-dispatch. The booking follows when its service starts and ends
/// ([`lifecycle::booking_follows`]); the booking is locked first, so what it follows from is
/// what it is, and a move that does not happen fails the whole request.
pub async fn assignment_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AssignmentStatusRequest>,
) -> Result<Json<Value>> {
    let id = parse_path_id(&id, "assignment")?;
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let assignment = store::assignment(&tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("assignment_not_found", "no assignment with that id is visible to you"))?;
    let booking = lock_booking(&tx, assignment.booking_id).await?;
    let actor = if caller.is_service() {
        Actor::System
    } else if assignment.is_own {
        Actor::Therapist
    } else {
        match store::actor(&tx, &caller, &booking).await? {
            Some(a @ (Actor::Vendor | Actor::Admin)) => a,
            _ => {
                return Err(ApiError::forbidden(
                    "not_allowed",
                    "only its therapist, the vendor or operations",
                ))
            }
        }
    };
    lifecycle::assignment_transition(assignment.status, req.status, actor).map_err(transition_error)?;
    store::act_as_caller(&tx, &caller).await?;
    store::set_change_reason(&tx, req.reason.as_deref()).await?;
    if !store::set_assignment_status(&tx, id, assignment.status, req.status).await? {
        return Err(status_changed("assignment"));
    }

    // The booking follows, as the platform's doing.
    store::act_as_service(&tx).await?;
    let others_active = store::has_active_assignments(&tx, booking.id).await?;
    let mut from = booking.status;
    for to in lifecycle::booking_follows(req.status, booking.status, others_active) {
        if !store::set_booking_status(&tx, booking.id, from, to).await? {
            return Err(status_changed("booking"));
        }
        from = to;
    }
    if matches!(req.status, AssignmentStatus::InTransit | AssignmentStatus::Reached) {
        store::enqueue_notification(
            &tx,
            "assignment.progress",
            booking.customer_id,
            "therapist_arriving",
            json!({ "booking_id": booking.id, "booking_number": booking.booking_number, "status": req.status }),
            &format!("assignment.progress:{id}:{}", req.status),
        )
        .await?;
    }
    let view = store::booking_view(&tx, booking.id).await?;
    tx.commit().await?;
    Ok(Json(
        json!({ "assignment": { "id": id, "status": req.status }, "booking": view }),
    ))
}

/// `POST /bookings/{id}/reschedule`: moves the booking and its therapist to a new start,
/// within the vendor's reschedule policy for customers. The therapist stays when free, else
/// the best free one takes over; recorded in `booking_reschedules`.
pub async fn reschedule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RescheduleRequest>,
) -> Result<Json<Value>> {
    let id = parse_path_id(&id, "booking")?;
    let to_start = req.start.with_timezone(&Utc);
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let (_, actor) = visible_booking(&tx, &caller, id).await?;
    if actor == Actor::Therapist {
        return Err(ApiError::forbidden("not_allowed", "therapists cannot move bookings"));
    }
    let booking = lock_booking(&tx, id).await?;
    let moves = lifecycle::reschedule_moves(booking.status, actor).map_err(gate_error)?;
    if to_start == booking.scheduled_start {
        return Err(ApiError::unprocessable("same_start", "the booking already starts then"));
    }
    let vendor = store::vendor(&tx, booking.vendor_id).await?;
    let now = store::now(&tx).await?;
    if actor == Actor::Customer {
        lifecycle::reschedule_allowed(
            &vendor.policy,
            Notice::between(now, booking.scheduled_start),
            booking.reschedule_count,
        )
        .map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    }
    let business = actor != Actor::Customer;
    let input = availability_for(&tx, &booking, &vendor, to_start, now, business).await?;
    let current = booking.assignments.first().map(|&(_, t)| t);
    let slot = match availability::check_start(&input, to_start, current.map(core_id).as_ref()) {
        Ok(slot) => slot,
        Err(SlotRefusal::TherapistUnavailable) => {
            availability::check_start(&input, to_start, None).map_err(slot_error)?
        }
        Err(err) => return Err(slot_error(err)),
    };
    let keep = current.filter(|t| slot.therapist_ids.contains(&core_id(*t)));
    let therapist = match (current, keep) {
        (_, Some(t)) => Some(t),
        (Some(_), None) => Some(
            availability::best_therapist(&input, &slot)
                .map(|r| uuid_of(&r.therapist_id))
                .transpose()?
                .ok_or_else(|| ApiError::conflict("slot_unavailable", "no therapist is free for that slot"))?,
        ),
        (None, None) => None,
    };

    let policy = json!({
        "code": if business { "business_move" } else { "customer_reschedule" },
        "free_until_hours": vendor.policy.reschedule_cutoff_hours,
        "max_reschedules": vendor.policy.max_reschedules,
        "fee_percent": 0,
    });
    let to_end = slot.end;
    store::insert_reschedule(
        &tx,
        &store::NewReschedule {
            booking: &booking,
            to_start,
            to_end,
            requested_by: caller.user_id,
            role: actor_role(actor),
            reason: req.reason.as_deref(),
            policy,
        },
    )
    .await?;
    store::set_change_reason(&tx, Some(req.reason.as_deref().unwrap_or("rescheduled"))).await?;
    if !store::reschedule_booking(&tx, &booking, to_start, to_end, &moves).await? {
        return Err(status_changed("booking"));
    }
    let moved = match (booking.assignments.first(), therapist) {
        (Some(&(assignment, t)), Some(new)) if t == new => {
            store::move_assignment(&tx, assignment, to_start, to_end).await?
        }
        (_, Some(new)) => {
            store::cancel_assignments(&tx, booking.id).await?;
            store::insert_assignment(&tx, &new_assignment(&booking, new, to_start, to_end)).await?;
            true
        }
        _ => true,
    };
    if !moved {
        return Err(status_changed("assignment"));
    }
    store::enqueue_notification(
        &tx,
        "booking.rescheduled",
        booking.customer_id,
        "booking_rescheduled",
        json!({ "booking_id": booking.id, "booking_number": booking.booking_number,
                "from": booking.scheduled_start, "to": to_start }),
        &format!("booking.rescheduled:{}:{}", booking.id, to_start.timestamp()),
    )
    .await?;
    let view = store::booking_view(&tx, booking.id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// `actor_role` as the reschedule and cancellation tables record it.
fn actor_role(actor: Actor) -> &'static str {
    match actor {
        Actor::Customer => "customer",
        Actor::Vendor | Actor::Therapist => "vendor",
        Actor::Admin => "admin",
        Actor::System => "system",
    }
}

/// `POST /bookings/{id}/cancel`: cancels with the fee the vendor's policy sets for the notice
/// given (nothing when the business cancels), and records the refund due.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Option<ApiJson<CancelRequest>>,
) -> Result<Json<Value>> {
    let id = parse_path_id(&id, "booking")?;
    let req = body.map(|ApiJson(r)| r).unwrap_or_default();
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let (_, actor) = visible_booking(&tx, &caller, id).await?;
    if actor == Actor::Therapist {
        return Err(ApiError::forbidden("not_allowed", "therapists cannot cancel bookings"));
    }
    let booking = lock_booking(&tx, id).await?;
    lifecycle::booking_transition(booking.status, BookingStatus::Cancelled, actor).map_err(transition_error)?;
    let vendor = store::vendor(&tx, booking.vendor_id).await?;
    let now = store::now(&tx).await?;
    let paid = store::amount_paid(&tx, booking.id).await?;
    let charge = lifecycle::cancellation_fee(
        &vendor.policy,
        Notice::between(now, booking.scheduled_start),
        actor,
        booking.total_amount,
        paid,
    )
    .map_err(|_| ApiError::internal("cancellation fee out of range"))?;
    let reason_code = req.reason_code.unwrap_or(if actor == Actor::Customer {
        CancelReason::ChangeOfPlans
    } else {
        CancelReason::Other
    });
    let policy = json!({
        "code": charge.tier,
        "free_until_hours": vendor.policy.free_cancellation_hours,
        "fee_percent": f64::from(vendor.policy.cancellation_fee_bps.get()) / 100.0,
        "amount_paid": paid,
    });
    store::cancel_booking(
        &tx,
        &store::NewCancellation {
            booking: booking.id,
            cancelled_by: caller.user_id,
            role: actor_role(actor),
            reason_code: reason_code.as_str(),
            reason: req.reason.as_deref(),
            charge: &charge,
            policy,
        },
        booking.status,
    )
    .await?;
    let payload = json!({ "booking_id": booking.id, "booking_number": booking.booking_number,
                          "cancellation_fee": charge.cancellation_fee, "refund_due": charge.refund_due });
    store::enqueue_notification(
        &tx,
        "booking.cancelled",
        booking.customer_id,
        "booking_cancelled",
        payload.clone(),
        &format!("booking.cancelled:{}:customer", booking.id),
    )
    .await?;
    store::enqueue_notification(
        &tx,
        "booking.cancelled",
        booking.vendor_id,
        "vendor_booking_cancelled",
        payload,
        &format!("booking.cancelled:{}:vendor", booking.id),
    )
    .await?;
    let view = store::booking_view(&tx, booking.id).await?;
    tx.commit().await?;
    Ok(Json(json!({ "booking": view, "cancellation": charge })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_that_are_not_uuids_fail_instead_of_becoming_nil() {
        let id = |s: &str| Id::new(s).unwrap();
        let good = Uuid::new_v4();
        let rows = vec![id(&good.to_string())];
        let map = by_uuid(rows, |r| r).unwrap();
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), vec![good]);
        let err = by_uuid(vec![id(&good.to_string()), id("not-a-uuid")], |r| r).unwrap_err();
        assert_eq!(err.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
