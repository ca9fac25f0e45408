//! Every query of the booking service, in one place. Rows come back as the core's own input
//! types: where a row maps onto a core type field for field, the SQL builds the JSON object
//! and serde parses it, so the column-to-field mapping is written once, here.
//!
//! Who runs what: a request's transaction starts as the caller (PostgREST-style, so RLS and
//! the guard triggers judge them). Reads that need more than the caller may see (other
//! customers' assignments, to know when a therapist is busy) and the writes that carry a
//! price the service computed run after [`act_as_service`]; the JWT claims stay set, so the
//! history still records who asked.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use ombaro_common::{
    cache::{keys, Cache},
    ApiError, Caller,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio_postgres::{types::ToSql, Row};
use uuid::Uuid;

use crate::availability::{AvailabilityInput, Holiday, Minutes, OpeningHours, Place, RadiusKm, Therapist, VendorRules};
use crate::lifecycle::{Actor, BookingPolicy, BookingStatus};
use crate::money::{Bps, Paise};
use crate::pricing::{Addon, Package, PricingTier, Promotion, Service, TaxRate};
use crate::types::{GenderPreference, GeoPoint};

/// A request's transaction. Every statement below goes through the connection's statement
/// cache ([`query`] and friends): the service's SQL is fixed, so it is parsed and planned
/// once per pooled connection instead of on every request.
pub type Transaction<'a> = ombaro_common::db::PooledTransaction<'a>;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub async fn query(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<Vec<Row>, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query(&statement, params).await?)
}

pub async fn query_one(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<Row, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&statement, params).await?)
}

pub async fn query_opt(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<Option<Row>, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_opt(&statement, params).await?)
}

pub async fn execute(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<u64, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, params).await?)
}

/// Assignment statuses that hold a therapist's time (V31's exclusion constraint).
pub const ACTIVE_ASSIGNMENT: &str = "('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')";

/// Switches the transaction to `service_role`, keeping the caller's claims.
pub async fn act_as_service(tx: &Transaction<'_>) -> Result<(), ApiError> {
    Ok(ombaro_common::db::act_as_service(tx).await?)
}

/// Switches back to the caller's own role.
pub async fn act_as_caller(tx: &Transaction<'_>, caller: &Caller) -> Result<(), ApiError> {
    execute(tx, "select set_config('role', $1, true)", &[&caller.role]).await?;
    Ok(())
}

/// The transaction's clock: `now()` is the same instant for every statement of it, and the
/// database's hold expiry compares against the same clock.
pub async fn now(tx: &Transaction<'_>) -> Result<DateTime<Utc>, ApiError> {
    Ok(query_one(tx, "select now()", &[]).await?.get(0))
}

/// Reason recorded in the status history of what this transaction changes.
pub async fn set_change_reason(tx: &Transaction<'_>, reason: Option<&str>) -> Result<(), ApiError> {
    if let Some(reason) = reason {
        execute(tx, "select set_config('ombaro.change_reason', $1, true)", &[&reason]).await?;
    }
    Ok(())
}

fn from_json<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::internal(format!("{what} row does not parse: {e}")))
}

// ---------------------------------------------------------------------------------------
// Vendor

/// A bookable vendor: active, verified, not deleted.
#[derive(Clone, Debug)]
pub struct Vendor {
    pub id: Uuid,
    pub business_name: String,
    pub address: String,
    pub timezone: Tz,
    pub city_tier: Option<u8>,
    pub city_id: Option<Uuid>,
    pub state_id: Option<Uuid>,
    pub rules: VendorRules,
    pub policy: BookingPolicy,
    /// Active, verified and not deleted: new bookings are taken. Existing ones can still be
    /// cancelled and moved when it is not.
    pub bookable: bool,
}

/// The vendor, bookable or not; 404 when there is no such vendor.
pub async fn vendor(tx: &Transaction<'_>, id: Uuid) -> Result<Vendor, ApiError> {
    let row = query_opt(
        tx,
        "select v.id, v.business_name, coalesce(v.business_address ->> 'line1', v.business_name), v.timezone,
                    c.tier::int4, v.city_id, c.state_id,
                    extensions.st_y(v.location::extensions.geometry), extensions.st_x(v.location::extensions.geometry),
                    v.service_radius_km::float8, v.min_notice_minutes, v.booking_horizon_days, v.travel_buffer_minutes,
                    v.free_cancellation_hours, v.cancellation_fee_percentage::text, v.reschedule_cutoff_hours,
                    v.max_reschedules,
                    v.status = 'active' and v.verification_status = 'verified' and v.deleted_at is null
               from public.vendors v
               left join public.cities c on c.id = v.city_id
              where v.id = $1",
        &[&id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("vendor_not_found", "no vendor with that id"))?;
    // A vendor row the service cannot read is refused, not read as something else: a wrong
    // time zone would shift every slot, a wrong percentage every cancellation fee.
    let timezone: Tz = {
        let name: String = row.get(3);
        name.parse()
            .map_err(|_| ApiError::internal(format!("vendor time zone {name:?} is not a time zone")))?
    };
    let fee_percent: String = row.get(14);
    let cancellation_fee_bps = Bps::parse_percent(&fee_percent).ok_or_else(|| {
        ApiError::internal(format!(
            "vendor cancellation_fee_percentage {fee_percent:?} is not a percentage"
        ))
    })?;
    let location = match (row.get::<_, Option<f64>>(7), row.get::<_, Option<f64>>(8)) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).ok(),
        _ => None,
    };
    let nonneg = |i: usize| row.get::<_, i32>(i).max(0) as u32;
    Ok(Vendor {
        id: row.get(0),
        business_name: row.get(1),
        address: row.get(2),
        timezone,
        city_tier: row.get::<_, Option<i32>>(4).and_then(|t| u8::try_from(t).ok()),
        city_id: row.get(5),
        state_id: row.get(6),
        rules: VendorRules {
            timezone,
            location,
            service_radius_km: RadiusKm::new(row.get(9)).map_err(ApiError::internal)?,
            min_notice_minutes: nonneg(10),
            booking_horizon_days: nonneg(11),
            travel_buffer_minutes: nonneg(12),
        },
        policy: BookingPolicy {
            free_cancellation_hours: nonneg(13),
            cancellation_fee_bps,
            reschedule_cutoff_hours: nonneg(15),
            max_reschedules: nonneg(16),
        },
        bookable: row.get(17),
    })
}

// ---------------------------------------------------------------------------------------
// Catalogue

/// A service as this vendor offers it.
#[derive(Clone, Debug)]
pub struct OfferedService {
    pub service: Service,
    pub offered: bool,
    pub in_spa: bool,
    pub at_home: bool,
}

/// The services with these ids that exist and are active, with the vendor's own price and
/// durations where it sets them. Missing ids are simply absent.
pub async fn services(tx: &Transaction<'_>, vendor: Uuid, ids: &[Uuid]) -> Result<Vec<OfferedService>, ApiError> {
    offered_services(service_rows(tx, vendor, ids).await?)
}

/// A row of [`services`]: the service as JSON, offered, in spa, at home.
type ServiceRow = (Value, bool, bool, bool);

/// [`services`] read through `cache` (`services:catalog:v<version>:<vendor>:<ids>`, one
/// hour), for the quote and the slots: a catalogue or price change bumps the version in its
/// own transaction and the database then drops every such key (V71), so a changed price is
/// not quoted from cache. Bookings read [`services`].
pub async fn services_cached(
    tx: &Transaction<'_>,
    cache: Option<&Cache>,
    vendor: Uuid,
    ids: &[Uuid],
) -> Result<Vec<OfferedService>, ApiError> {
    let Some(cache) = cache else {
        return services(tx, vendor, ids).await;
    };
    let mut sorted = ids.to_vec();
    sorted.sort();
    sorted.dedup();
    let names: Vec<String> = sorted.iter().map(Uuid::to_string).collect();
    // The catalogue's version in this transaction's snapshot (V71): an entry read at an
    // older version is never taken, even before the change's NOTIFY has dropped it.
    let version: i64 = query_one(tx, "select private.cache_version('services:catalog')", &[])
        .await?
        .get(0);
    let key = format!("{}:v{version}:{vendor}:{}", keys::SERVICES_CATALOG, names.join(","));
    if let Some(rows) = cache.get_json::<Vec<ServiceRow>>(&key).await {
        return offered_services(rows);
    }
    let generation = cache.generation();
    let rows = service_rows(tx, vendor, &sorted).await?;
    cache
        .put_json_unless_invalidated(&key, &rows, keys::SERVICES_CATALOG_TTL, generation)
        .await;
    offered_services(rows)
}

async fn service_rows(tx: &Transaction<'_>, vendor: Uuid, ids: &[Uuid]) -> Result<Vec<ServiceRow>, ApiError> {
    let rows = query(
        tx,
            "select jsonb_strip_nulls(jsonb_build_object(
                      'id', s.id, 'code', s.code, 'name', s.name,
                      'category_ids', (with recursive up(id) as (
                                          select s.category_id
                                          union
                                          select c.parent_id from public.service_categories c join up on c.id = up.id
                                       )
                                       select coalesce(jsonb_agg(id), '[]') from up where id is not null),
                      'base_price_60min', coalesce(vs.custom_price_60min, s.base_price_60min),
                      'duration_options', coalesce(vs.durations_offered, s.duration_options),
                      'variants', (select coalesce(jsonb_agg(jsonb_build_object(
                                             'id', v.id, 'name', v.name, 'duration_minutes', v.duration_minutes, 'price', v.price)
                                           order by v.sort_order, v.id), '[]')
                                     from public.service_variants v
                                    where v.service_id = s.id and v.is_active))),
                    vs.id is not null, coalesce(vs.is_in_spa, false),
                    coalesce(vs.is_home_service, false) and s.is_home_service_available
               from public.services s
               left join public.vendor_services vs on vs.service_id = s.id and vs.vendor_id = $1 and vs.is_active
              where s.id = any ($2) and s.is_active and s.deleted_at is null",
            &[&vendor, &ids],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect())
}

fn offered_services(rows: Vec<ServiceRow>) -> Result<Vec<OfferedService>, ApiError> {
    rows.into_iter()
        .map(|(service, offered, in_spa, at_home)| {
            Ok(OfferedService {
                service: from_json(service, "services")?,
                offered,
                in_spa,
                at_home,
            })
        })
        .collect()
}

/// Active add-ons with these ids, with whether each may be done at home.
pub async fn addons(tx: &Transaction<'_>, ids: &[Uuid]) -> Result<Vec<(Addon, bool)>, ApiError> {
    let rows = query(
        tx,
            "select jsonb_build_object('id', a.id, 'code', a.code, 'name', a.name, 'price', a.price, 'duration', a.duration),
                    a.is_home_service_available
               from public.addon_services a
              where a.id = any ($1) and a.is_active",
            &[&ids],
        )
        .await?;
    rows.into_iter()
        .map(|row| Ok((from_json(row.get(0), "addon_services")?, row.get(1))))
        .collect()
}

pub async fn package(tx: &Transaction<'_>, id: Uuid) -> Result<Option<Package>, ApiError> {
    let row = query_opt(
        tx,
        "select jsonb_strip_nulls(jsonb_build_object('id', p.id, 'code', p.code, 'name', p.name,
                      'service_ids', p.service_ids, 'package_price', p.package_price,
                      'valid_from', p.valid_from, 'valid_to', p.valid_to))
               from public.service_packages p
              where p.id = $1 and p.is_active",
        &[&id],
    )
    .await?;
    row.map(|r| from_json(r.get(0), "service_packages")).transpose()
}

/// Active pricing tiers that could apply to these services at this vendor.
pub async fn tiers(tx: &Transaction<'_>, vendor: Uuid, services: &[Uuid]) -> Result<Vec<PricingTier>, ApiError> {
    let rows = query(
        tx,
        "select jsonb_strip_nulls(to_jsonb(t) - 'id' - 'created_at' - 'updated_at')
               from public.service_pricing_tiers t
              where t.is_active
                and (t.vendor_id is null or t.vendor_id = $1)
                and (t.service_id is null or t.service_id = any ($2))",
        &[&vendor, &services],
    )
    .await?;
    rows.into_iter()
        .map(|r| from_json(r.get(0), "service_pricing_tiers"))
        .collect()
}

/// The promotion a code names (a coupon code first, then a promotion's own code), with this
/// customer's use of it so far. `None` when no such code exists.
pub async fn promotion(
    tx: &Transaction<'_>,
    code: &str,
    customer: Option<Uuid>,
) -> Result<Option<Promotion>, ApiError> {
    let row = query_opt(
        tx,
            "with coupon as (
               select c.* from public.coupon_codes c where upper(c.code) = upper($1) limit 1
             ), promo as (
               select p.* from public.promotions p
                where p.id = (select promotion_id from coupon)
                   or (not exists (select 1 from coupon) and upper(p.code) = upper($1))
                limit 1
             )
             select jsonb_strip_nulls(jsonb_build_object(
                      'id', p.id, 'code', p.code, 'type', p.type, 'discount_value', p.discount_value,
                      'min_booking_amount', p.min_booking_amount, 'max_discount_amount', p.max_discount_amount,
                      'applicable_services', p.applicable_services, 'applicable_vendors', p.applicable_vendors,
                      'applicable_categories', p.applicable_categories,
                      'usage_limit_per_customer', p.usage_limit_per_customer, 'total_usage_limit', p.total_usage_limit,
                      'current_usage_count', p.current_usage_count,
                      'customer_usage_count', (select count(*) from public.promotion_usage u
                                                where u.promotion_id = p.id and u.customer_id = $2),
                      'first_booking_only', p.first_booking_only,
                      'customer_booking_count', (select count(*) from public.bookings b
                                                  where b.customer_id = $2 and b.status <> 'cancelled'),
                      'valid_from', p.valid_from, 'valid_to', p.valid_to, 'status', p.status,
                      'coupon', (select jsonb_strip_nulls(jsonb_build_object(
                                          'id', c.id, 'code', c.code, 'customer_id', c.customer_id, 'max_uses', c.max_uses,
                                          'times_used', c.times_used, 'valid_from', c.valid_from, 'valid_to', c.valid_to,
                                          'status', c.status))
                                   from coupon c)))
               from promo p",
            &[&code, &customer],
        )
        .await?;
    row.map(|r| from_json(r.get(0), "promotions")).transpose()
}

/// Every GST rate with the instant it took effect (`None`: since always).
pub async fn tax_rates(tx: &Transaction<'_>) -> Result<Vec<TaxRate>, ApiError> {
    let rows = query(
        tx,
        "select value #>> '{}', nullif(effective_from, '-infinity')
               from public.system_settings where key = 'gst_rate'",
        &[],
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let text: String = r.get(0);
            let rate_bps = Bps::parse_percent(&text)
                .ok_or_else(|| ApiError::internal(format!("system_settings gst_rate {text:?} is not a percentage")))?;
            Ok(TaxRate {
                rate_bps,
                effective_from: r.get(1),
            })
        })
        .collect()
}

/// An integer `system_settings` value in force now, or `default` when unset.
pub async fn integer_setting(tx: &Transaction<'_>, key: &str, default: i64) -> Result<i64, ApiError> {
    let row = query_opt(
        tx,
        "select (value #>> '{}')::bigint from public.system_settings
              where key = $1 and effective_from <= now() and jsonb_typeof(value) = 'number'
              order by effective_from desc limit 1",
        &[&key],
    )
    .await?;
    Ok(row.map(|r| r.get(0)).unwrap_or(default))
}

pub async fn convenience_fee(tx: &Transaction<'_>) -> Result<Paise, ApiError> {
    Ok(Paise::new(integer_setting(tx, "convenience_fee", 0).await?))
}

// ---------------------------------------------------------------------------------------
// Addresses

/// A saved address as booked: the snapshot stored with the booking, and its point.
#[derive(Clone, Debug)]
pub struct Address {
    pub id: Option<Uuid>,
    pub text: String,
    pub landmark: Option<String>,
    pub point: GeoPoint,
}

/// The caller's own saved address. Runs as the caller: another customer's address is
/// invisible under RLS, and the explicit owner check keeps it so for staff who can read all.
pub async fn own_address(tx: &Transaction<'_>, id: Uuid, customer: Uuid) -> Result<Option<Address>, ApiError> {
    let row = query_opt(
        tx,
        "select concat_ws(', ', a.address_line1, a.address_line2, a.city, a.state, a.pincode), a.landmark,
                    coalesce(a.latitude::float8, extensions.st_y(a.location::extensions.geometry)),
                    coalesce(a.longitude::float8, extensions.st_x(a.location::extensions.geometry))
               from public.customer_addresses a
              where a.id = $1 and a.customer_id = $2",
        &[&id, &customer],
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let point = match (row.get::<_, Option<f64>>(2), row.get::<_, Option<f64>>(3)) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).map_err(ApiError::internal)?,
        _ => {
            return Err(ApiError::unprocessable(
                "address_not_located",
                "that address has no coordinates; pick it on the map first",
            ))
        }
    };
    Ok(Some(Address {
        id: Some(id),
        text: row.get(0),
        landmark: row.get(1),
        point,
    }))
}

// ---------------------------------------------------------------------------------------
// Availability

/// What a slot search needs besides the vendor.
pub struct SlotSearch<'a> {
    pub date: NaiveDate,
    pub now: DateTime<Utc>,
    pub duration: Minutes,
    pub service_code: Option<String>,
    pub place: Place,
    pub gender_preference: GenderPreference,
    /// A booking whose own assignments do not count as busy (it is being moved).
    pub ignore_booking: Option<Uuid>,
    pub vendor: &'a Vendor,
}

/// Loads everything [`crate::availability::free_slots`] needs for one vendor and local date.
/// Needs `service_role`: busy times come from other customers' assignments.
pub async fn availability(tx: &Transaction<'_>, search: SlotSearch<'_>) -> Result<AvailabilityInput, ApiError> {
    let vendor = search.vendor;
    let date = search.date;
    let dow = i32::from(crate::types::day_of_week(date));
    // Busy times a day either side, so travel buffers across midnight count.
    let from = crate::types::local_to_utc(vendor.timezone, date, crate::types::LocalTime::MIDNIGHT) - Duration::days(1);
    let to = from + Duration::days(3);

    let therapists_sql = format!(
        "select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                  'id', t.id, 'gender', t.gender, 'specialization', t.specialization,
                  'rating', t.rating::float8,
                  'location', case when t.home_location is not null then jsonb_build_object(
                                'latitude', extensions.st_y(t.home_location::extensions.geometry),
                                'longitude', extensions.st_x(t.home_location::extensions.geometry)) end,
                  'schedules', (select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                                          'day_of_week', s.day_of_week,
                                          'start_time', to_char(s.start_time, 'HH24:MI'),
                                          'end_time', case when s.end_time = '24:00' then '24:00'
                                                           else to_char(s.end_time, 'HH24:MI') end,
                                          'is_available', s.is_available,
                                          'break_start', to_char(s.break_start, 'HH24:MI'),
                                          'break_end', to_char(s.break_end, 'HH24:MI')))), '[]')
                                  from public.therapist_schedules s
                                 where s.therapist_id = t.id and s.day_of_week = $3),
                  'leaves', (select coalesce(jsonb_agg(jsonb_build_object(
                                       'start_date', l.start_date, 'end_date', l.end_date, 'status', l.status)), '[]')
                               from public.therapist_leaves l
                              where l.therapist_id = t.id and l.status = 'approved'
                                and $2 between l.start_date and l.end_date),
                  'busy', (select coalesce(jsonb_agg(jsonb_build_object(
                                     'start', a.scheduled_start, 'end', a.scheduled_end,
                                     'travel_buffer_minutes', a.travel_buffer_minutes)), '[]')
                             from public.therapist_assignments a
                             join public.bookings b on b.id = a.booking_id
                            where a.therapist_id = t.id
                              and a.status in {ACTIVE_ASSIGNMENT}
                              and a.busy_during && tstzrange($4, $5)
                              and a.booking_id is distinct from $6
                              and not (b.status = 'pending' and b.hold_expires_at <= now()))))
                order by t.id), '[]')
           from public.therapists t
          where t.vendor_id = $1 and t.status = 'active' and t.deleted_at is null"
    );
    let hours_params: [&(dyn ToSql + Sync); 2] = [&vendor.id, &date];
    let holiday_params: [&(dyn ToSql + Sync); 3] = [&date, &vendor.state_id, &vendor.city_id];
    let therapist_params: [&(dyn ToSql + Sync); 6] = [&vendor.id, &date, &dow, &from, &to, &search.ignore_booking];
    // Pipelined on the connection: the three reads cost one round trip.
    let (opening_hours, holidays, therapists) = tokio::join!(
        query_one(
            tx,
            "select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                      'day_of_week', h.day_of_week, 'specific_date', h.specific_date,
                      'open_time', to_char(h.open_time, 'HH24:MI'), 'close_time', to_char(h.close_time, 'HH24:MI'),
                      'is_closed', h.is_closed))), '[]')
               from public.vendor_availability h
              where h.vendor_id = $1 and (h.specific_date is null or h.specific_date = $2)",
            &hours_params,
        ),
        query_one(
            tx,
            "select coalesce(jsonb_agg(jsonb_build_object('date', h.holiday_date, 'name', h.name,
                                                           'blocks_bookings', h.blocks_bookings)), '[]')
               from public.holidays h
              where h.holiday_date = $1
                and (h.scope = 'national' or (h.scope = 'state' and h.state_id = $2) or (h.scope = 'city' and h.city_id = $3))",
            &holiday_params,
        ),
        query_one(tx, &therapists_sql, &therapist_params),
    );
    let opening_hours: Vec<OpeningHours> = from_json(opening_hours?.get(0), "vendor_availability")?;
    let holidays: Vec<Holiday> = from_json(holidays?.get(0), "holidays")?;
    let therapists: Vec<Therapist> = from_json(therapists?.get(0), "therapists")?;

    Ok(AvailabilityInput {
        now: search.now,
        date,
        duration_minutes: search.duration,
        granularity_minutes: Minutes::new(30).expect("30 minutes is a valid granularity"),
        service_code: search.service_code,
        specialization_required: true,
        gender_preference: search.gender_preference,
        place: search.place,
        vendor: vendor.rules.clone(),
        opening_hours,
        holidays,
        therapists,
    })
}

// ---------------------------------------------------------------------------------------
// Bookings

/// A booking as the service reasons about it.
#[derive(Clone, Debug)]
pub struct Booking {
    pub id: Uuid,
    pub booking_number: String,
    pub customer_id: Uuid,
    pub vendor_id: Uuid,
    pub booking_type: String,
    pub status: BookingStatus,
    pub scheduled_start: DateTime<Utc>,
    pub scheduled_end: DateTime<Utc>,
    pub reschedule_count: u32,
    pub total_amount: Paise,
    pub location: Option<GeoPoint>,
    pub location_address: String,
    pub gender_preference: GenderPreference,
    /// The first item's service, for assignments.
    pub service_id: Uuid,
    pub service_code: String,
    /// Active assignments: (id, therapist).
    pub assignments: Vec<(Uuid, Uuid)>,
}

/// The booking if the transaction's current role may see it; with `lock`, the row is locked
/// for the rest of the transaction (needs `service_role`).
pub async fn booking(tx: &Transaction<'_>, id: Uuid, lock: bool) -> Result<Option<Booking>, ApiError> {
    let sql = format!(
        "select b.id, b.booking_number, b.customer_id, b.vendor_id, b.booking_type, to_jsonb(b.status),
                b.scheduled_start, b.scheduled_end, b.reschedule_count, b.total_amount,
                extensions.st_y(b.location::extensions.geometry), extensions.st_x(b.location::extensions.geometry),
                coalesce(b.service_location ->> 'address', ''), to_jsonb(b.preferred_therapist_gender),
                i.service_id, s.code,
                (select coalesce(jsonb_agg(jsonb_build_array(a.id, a.therapist_id) order by a.created_at), '[]')
                   from public.therapist_assignments a
                  where a.booking_id = b.id and a.status in {ACTIVE_ASSIGNMENT})
           from public.bookings b
           cross join lateral (select bi.service_id from public.booking_items bi
                                where bi.booking_id = b.id order by bi.created_at, bi.id limit 1) i
           join public.services s on s.id = i.service_id
          where b.id = $1 {}",
        if lock { "for update of b" } else { "" }
    );
    let Some(row) = query_opt(tx, &sql, &[&id]).await? else {
        return Ok(None);
    };
    let location = match (row.get::<_, Option<f64>>(10), row.get::<_, Option<f64>>(11)) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).ok(),
        _ => None,
    };
    let assignments: Vec<(Uuid, Uuid)> = from_json(row.get(16), "therapist_assignments")?;
    Ok(Some(Booking {
        id: row.get(0),
        booking_number: row.get(1),
        customer_id: row.get(2),
        vendor_id: row.get(3),
        booking_type: row.get(4),
        status: from_json(row.get(5), "bookings.status")?,
        scheduled_start: row.get(6),
        scheduled_end: row.get(7),
        reschedule_count: row.get::<_, i32>(8).max(0) as u32,
        total_amount: Paise::new(row.get(9)),
        location,
        location_address: row.get(12),
        gender_preference: from_json(row.get(13), "bookings.preferred_therapist_gender")?,
        service_id: row.get(14),
        service_code: row.get(15),
        assignments,
    }))
}

/// Who the caller is to this booking, strongest claim first.
pub async fn actor(tx: &Transaction<'_>, caller: &Caller, booking: &Booking) -> Result<Option<Actor>, ApiError> {
    if caller.is_service() {
        return Ok(Some(Actor::System));
    }
    let row = query_one(
        tx,
        "select private.has_permission('bookings', 'update'),
                    private.vendor_staff_can($1, 'bookings.manage'),
                    $2 = (select auth.uid()),
                    exists (select 1 from public.therapist_assignments a
                             where a.booking_id = $3
                               and a.therapist_id = any (private.therapist_ids_of_current_user()))",
        &[&booking.vendor_id, &booking.customer_id, &booking.id],
    )
    .await?;
    let flags: [bool; 4] = [
        row.get::<_, Option<bool>>(0).unwrap_or(false),
        row.get::<_, Option<bool>>(1).unwrap_or(false),
        row.get::<_, Option<bool>>(2).unwrap_or(false),
        row.get::<_, Option<bool>>(3).unwrap_or(false),
    ];
    Ok([Actor::Admin, Actor::Vendor, Actor::Customer, Actor::Therapist]
        .into_iter()
        .zip(flags)
        .find_map(|(actor, yes)| yes.then_some(actor)))
}

/// What the customer has paid for the booking so far, net of refunds.
pub async fn amount_paid(tx: &Transaction<'_>, booking: Uuid) -> Result<Paise, ApiError> {
    let paid: i64 = query_one(
        tx,
        "select coalesce(sum(p.total_amount - coalesce(p.refund_amount, 0)), 0)::int8
               from public.payments p
              where p.booking_id = $1 and p.status in ('success', 'partially_refunded')",
        &[&booking],
    )
    .await?
    .get(0);
    Ok(Paise::new(paid.max(0)))
}

/// An existing booking of this customer made with this idempotency key, with the fingerprint
/// of the request that made it.
pub async fn booking_by_idempotency_key(
    tx: &Transaction<'_>,
    customer: Uuid,
    key: &str,
) -> Result<Option<(Uuid, Option<String>)>, ApiError> {
    let row = query_opt(
        tx,
        "select b.id, b.idempotency_request_hash from public.bookings b
              where b.customer_id = $1 and b.idempotency_key = $2",
        &[&customer, &key],
    )
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// A new booking's row: everything priced, placed and timed.
pub struct NewBooking<'a> {
    pub customer_id: Uuid,
    pub vendor_id: Uuid,
    pub booking_type: &'a str,
    pub service_location: Value,
    pub address_id: Option<Uuid>,
    pub point: Option<GeoPoint>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: &'a str,
    pub hold_minutes: i64,
    pub quote: &'a crate::pricing::Quote,
    pub gender_preference: GenderPreference,
    pub special_instructions: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    /// [`crate::service::requests::BookingRequest::fingerprint`], with the key.
    pub request_hash: Option<&'a str>,
}

/// What the database filled in on a new booking.
pub struct InsertedBooking {
    pub id: Uuid,
    pub booking_number: String,
    /// As JSON, exactly as [`booking_view`] renders it.
    pub hold_expires_at: Value,
}

/// Inserts the booking and its items. The id is made here rather than by the column default
/// so that both inserts go out together, pipelined on the connection.
pub async fn insert_booking(tx: &Transaction<'_>, b: &NewBooking<'_>) -> Result<InsertedBooking, ApiError> {
    let id = Uuid::new_v4();
    let q = b.quote;
    let promotion_id = parse_id(q.promotion_id.as_ref())?;
    let coupon_id = parse_id(q.coupon_code_id.as_ref())?;
    let (lat, lon) = match b.point {
        Some(p) => (Some(p.latitude), Some(p.longitude)),
        None => (None, None),
    };
    let gender = match b.gender_preference {
        GenderPreference::Any => "any",
        GenderPreference::Female => "female",
        GenderPreference::Male => "male",
    };
    let tax_bps = i32::try_from(q.tax_rate_bps.get()).map_err(ApiError::internal)?;
    let params: [&(dyn ToSql + Sync); 24] = [
        &id,
        &b.customer_id,
        &b.vendor_id,
        &b.booking_type,
        &b.service_location,
        &b.address_id,
        &lat,
        &lon,
        &b.start,
        &b.end,
        &b.timezone,
        &b.hold_minutes,
        &q.subtotal.get(),
        &q.discount_amount.get(),
        &tax_bps,
        &q.tax_amount.get(),
        &q.convenience_fee.get(),
        &q.total_amount.get(),
        &promotion_id,
        &coupon_id,
        &gender,
        &b.special_instructions,
        &b.idempotency_key,
        &b.request_hash,
    ];
    // Both statements are prepared before they are pipelined: only a prepared statement is
    // sent the moment it is polled, so the booking is sure to go first.
    let insert_booking = tx
        .prepare_cached(
            "insert into public.bookings (
               id, customer_id, vendor_id, booking_type, source, service_location, address_id, location,
               scheduled_start, scheduled_end, timezone, hold_expires_at,
               subtotal, discount_amount, tax_rate, tax_amount, convenience_fee, total_amount,
               promotion_id, coupon_code_id, preferred_therapist_gender, special_instructions, idempotency_key,
               idempotency_request_hash)
             values (
               $1, $2, $3, $4, 'app', $5, $6,
               case when $7::float8 is null then null
                    else extensions.st_setsrid(extensions.st_makepoint($8::float8, $7::float8), 4326)::extensions.geography end,
               $9, $10, $11, now() + make_interval(mins => $12::int8::int4),
               $13, $14, ($15::int4 / 100.0)::numeric(5,2), $16, $17, $18,
               $19, $20, $21, $22, $23, $24)
             returning booking_number, to_jsonb(hold_expires_at)",
        )
        .await?;

    let items = Value::Array(
        q.items
            .iter()
            .map(|i| {
                json!({
                    "service_id": i.service_id, "variant_id": i.variant_id, "package_id": i.package_id,
                    "service_name": i.service_name, "duration": i.duration, "price": i.price,
                    "quantity": i.quantity, "addon_services": i.addon_services, "addon_amount": i.addon_amount,
                    "subtotal": i.subtotal,
                })
            })
            .collect(),
    );
    let item_params: [&(dyn ToSql + Sync); 2] = [&id, &items];
    let insert_items = tx
        .prepare_cached(
            "insert into public.booking_items (booking_id, service_id, variant_id, package_id, service_name, duration, price,
                                               quantity, addon_services, addon_amount, subtotal)
             select $1, x.service_id, x.variant_id, x.package_id, x.service_name, x.duration, x.price,
                    x.quantity, x.addon_services, x.addon_amount, x.subtotal
               from jsonb_to_recordset($2::jsonb) as x(service_id uuid, variant_id uuid, package_id uuid, service_name text,
                                                       duration int4, price int8, quantity int4, addon_services jsonb,
                                                       addon_amount int8, subtotal int8)",
        )
        .await?;
    // Judged in order: when the booking is refused, the items' "transaction aborted" is not
    // the answer.
    let (booking, items) = tokio::join!(
        tx.query_one(&insert_booking, &params),
        tx.execute(&insert_items, &item_params)
    );
    let booking = booking?;
    items?;
    Ok(InsertedBooking {
        id,
        booking_number: booking.get(0),
        hold_expires_at: booking.get(1),
    })
}

fn parse_id(id: Option<&crate::types::Id>) -> Result<Option<Uuid>, ApiError> {
    id.map(|id| Uuid::parse_str(id.as_str()).map_err(ApiError::internal))
        .transpose()
}

/// Records the redemption: the usage row (its trigger counts it against the promotion's
/// limits) and the coupon's use. A limit reached by a concurrent booking is a 409.
pub async fn redeem_promotion(
    tx: &Transaction<'_>,
    quote: &crate::pricing::Quote,
    customer: Uuid,
    booking: Uuid,
) -> Result<(), ApiError> {
    let Some(promotion) = parse_id(quote.promotion_id.as_ref())? else {
        return Ok(());
    };
    let exhausted = |e: ApiError| {
        if e.code == "invalid_value" {
            ApiError::conflict(
                "promotion_exhausted",
                "the promotion was used up while booking; book again without it",
            )
        } else {
            e
        }
    };
    execute(
        tx,
        "insert into public.promotion_usage (promotion_id, customer_id, booking_id, discount_amount)
         values ($1, $2, $3, $4)",
        &[&promotion, &customer, &booking, &quote.discount_amount.get()],
    )
    .await
    .map_err(exhausted)?;
    if let Some(coupon) = parse_id(quote.coupon_code_id.as_ref())? {
        let used = execute(
            tx,
            "update public.coupon_codes
                    set times_used = times_used + 1,
                        status = case when times_used + 1 >= max_uses then 'redeemed' else status end
                  where id = $1 and status = 'active' and times_used < max_uses",
            &[&coupon],
        )
        .await?;
        if used == 0 {
            return Err(ApiError::conflict(
                "promotion_exhausted",
                "the coupon was used up while booking; book again without it",
            ));
        }
    }
    Ok(())
}

/// A therapist's assignment to a booking.
pub struct NewAssignment<'a> {
    pub booking_id: Uuid,
    pub therapist_id: Uuid,
    pub vendor_id: Uuid,
    pub customer_id: Uuid,
    pub service_id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub address: &'a str,
    pub point: Option<GeoPoint>,
}

const INSERT_ASSIGNMENT: &str = "insert into public.therapist_assignments (
       booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date, assignment_time,
       scheduled_start, scheduled_end, location_address, location_latitude, location_longitude,
       estimated_duration)
     -- assignment_date and assignment_time follow scheduled_start in the booking's zone (V31).
     values ($1, $2, $3, $4, $5, null, null,
             $6, $7, $8, $9::float8::numeric(10,8), $10::float8::numeric(11,8), $11)
     returning id";

/// Inserts an assignment. An overlap with the therapist's other work is refused by the
/// exclusion constraint, whatever the checks before said: that is a 409.
pub async fn insert_assignment(tx: &Transaction<'_>, a: &NewAssignment<'_>) -> Result<Uuid, ApiError> {
    let columns = a.columns()?;
    let row = query_one(tx, INSERT_ASSIGNMENT, &a.params(&columns))
        .await
        .map_err(overlap)?;
    Ok(row.get(0))
}

/// [`insert_assignment`] inside a savepoint, so that a refusal (409 `slot_unavailable`)
/// leaves the transaction usable for the next candidate.
///
/// One round trip: `savepoint`, the insert and `release` go out together, pipelined. The
/// statement is prepared first, because only a prepared statement is sent the moment it is
/// polled, which keeps the three in order. When the insert is refused the release fails too
/// (the subtransaction is aborted) and the savepoint is still there to roll back to.
pub async fn try_insert_assignment(tx: &Transaction<'_>, a: &NewAssignment<'_>) -> Result<Uuid, ApiError> {
    let statement = tx.prepare_cached(INSERT_ASSIGNMENT).await?;
    let columns = a.columns()?;
    let params = a.params(&columns);
    let (opened, inserted, released) = tokio::join!(
        tx.batch_execute("savepoint assignment"),
        tx.query_one(&statement, &params),
        tx.batch_execute("release savepoint assignment"),
    );
    opened?;
    match inserted.map_err(|e| overlap(e.into())) {
        Ok(row) => {
            released?;
            Ok(row.get(0))
        }
        Err(err) => {
            tx.batch_execute("rollback to savepoint assignment").await?;
            Err(err)
        }
    }
}

/// The columns an assignment's fields become: latitude, longitude, minutes.
type AssignmentColumns = (Option<f64>, Option<f64>, i32);

impl NewAssignment<'_> {
    fn columns(&self) -> Result<AssignmentColumns, ApiError> {
        let (lat, lon) = match self.point {
            Some(p) => (Some(p.latitude), Some(p.longitude)),
            None => (None, None),
        };
        let minutes = i32::try_from((self.end - self.start).num_minutes()).map_err(ApiError::internal)?;
        Ok((lat, lon, minutes))
    }

    /// The parameters of [`INSERT_ASSIGNMENT`].
    fn params<'p>(&'p self, columns: &'p AssignmentColumns) -> [&'p (dyn ToSql + Sync); 11] {
        [
            &self.booking_id,
            &self.therapist_id,
            &self.vendor_id,
            &self.customer_id,
            &self.service_id,
            &self.start,
            &self.end,
            &self.address,
            &columns.0,
            &columns.1,
            &columns.2,
        ]
    }
}

/// Moves an active assignment to new instants, keeping its therapist; false when it is no
/// longer active (someone finished or cancelled it meanwhile).
pub async fn move_assignment(
    tx: &Transaction<'_>,
    id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let minutes = i32::try_from((end - start).num_minutes()).map_err(ApiError::internal)?;
    let n = execute(
        tx,
        &format!(
            "update public.therapist_assignments
                set scheduled_start = $2, scheduled_end = $3, estimated_duration = $4
              where id = $1 and status in {ACTIVE_ASSIGNMENT}"
        ),
        &[&id, &start, &end, &minutes],
    )
    .await
    .map_err(overlap)?;
    Ok(n == 1)
}

/// Cancels the booking's active assignments (a re-assignment or a move to another therapist).
pub async fn cancel_assignments(tx: &Transaction<'_>, booking: Uuid) -> Result<(), ApiError> {
    execute(
        tx,
        &format!(
            "update public.therapist_assignments set status = 'cancelled'
              where booking_id = $1 and status in {ACTIVE_ASSIGNMENT}"
        ),
        &[&booking],
    )
    .await?;
    Ok(())
}

/// The database refused an assignment because the therapist is taken: the exclusion
/// constraint (23P01), or a deadlock between two inserts checking it against each other
/// (40P01; the survivor commits). Either way this request lost the slot.
fn overlap(api: ApiError) -> ApiError {
    if api.code == "overlap" || api.code == "concurrent_update" {
        ApiError::conflict(
            "slot_unavailable",
            "that therapist was booked for an overlapping time a moment ago; pick another slot",
        )
        .with_details(api.details.unwrap_or(Value::Null))
    } else {
        api
    }
}

/// Moves the booking to `to` if it is still in `from`; false when someone else moved it first.
pub async fn set_booking_status(
    tx: &Transaction<'_>,
    id: Uuid,
    from: BookingStatus,
    to: BookingStatus,
) -> Result<bool, ApiError> {
    let n = execute(
        tx,
        "update public.bookings set status = $3 where id = $1 and status = $2",
        &[&id, &from.as_str(), &to.as_str()],
    )
    .await?;
    Ok(n == 1)
}

/// Moves the booking's instants, and its status through `moves` in order
/// ([`crate::lifecycle::reschedule_moves`]: through `rescheduled` and back, so the history
/// shows the move). Each write is a compare-and-set on the status it expects; false when one
/// found the booking moved on, and the caller must not commit.
pub async fn reschedule_booking(
    tx: &Transaction<'_>,
    booking: &Booking,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    moves: &[BookingStatus],
) -> Result<bool, ApiError> {
    let first = moves.first().copied().unwrap_or(booking.status);
    let n = execute(
        tx,
        "update public.bookings set scheduled_start = $3, scheduled_end = $4, status = $5
          where id = $1 and status = $2",
        &[&booking.id, &booking.status.as_str(), &start, &end, &first.as_str()],
    )
    .await?;
    if n != 1 {
        return Ok(false);
    }
    for pair in moves.windows(2) {
        if !set_booking_status(tx, booking.id, pair[0], pair[1]).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

pub struct NewReschedule<'a> {
    pub booking: &'a Booking,
    pub to_start: DateTime<Utc>,
    pub to_end: DateTime<Utc>,
    pub requested_by: Option<Uuid>,
    pub role: &'a str,
    pub reason: Option<&'a str>,
    pub policy: Value,
}

pub async fn insert_reschedule(tx: &Transaction<'_>, r: &NewReschedule<'_>) -> Result<Uuid, ApiError> {
    let row = query_one(
        tx,
        "insert into public.booking_reschedules (
               booking_id, from_scheduled_start, to_scheduled_start, to_scheduled_end, requested_by,
               requested_by_role, reason, policy_applied, fee, status, decided_by, decided_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, 0, 'completed', $5, now())
             returning id",
        &[
            &r.booking.id,
            &r.booking.scheduled_start,
            &r.to_start,
            &r.to_end,
            &r.requested_by,
            &r.role,
            &r.reason,
            &r.policy,
        ],
    )
    .await?;
    Ok(row.get(0))
}

pub struct NewCancellation<'a> {
    pub booking: Uuid,
    pub cancelled_by: Option<Uuid>,
    pub role: &'a str,
    pub reason_code: &'a str,
    pub reason: Option<&'a str>,
    pub charge: &'a crate::lifecycle::CancellationCharge,
    pub policy: Value,
}

/// Records the cancellation and cancels the booking (its assignments follow, V31).
pub async fn cancel_booking(
    tx: &Transaction<'_>,
    c: &NewCancellation<'_>,
    from: BookingStatus,
) -> Result<(), ApiError> {
    let reason = c.reason.unwrap_or(c.reason_code);
    let notice =
        i32::try_from(c.charge.notice_minutes.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or_default();
    execute(
        tx,
        "insert into public.booking_cancellations (
           booking_id, cancelled_by, actor_role, reason_code, reason, notice_minutes, cancellation_fee, refund_due, policy)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &c.booking,
            &c.cancelled_by,
            &c.role,
            &c.reason_code,
            &c.reason,
            &notice,
            &c.charge.cancellation_fee.get(),
            &c.charge.refund_due.get(),
            &c.policy,
        ],
    )
    .await?;
    let n = execute(
        tx,
        "update public.bookings set status = 'cancelled', cancellation_reason = $3
              where id = $1 and status = $2",
        &[&c.booking, &from.as_str(), &reason],
    )
    .await?;
    if n == 0 {
        return Err(ApiError::conflict(
            "status_changed",
            "the booking changed while cancelling; look again",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Assignments

#[derive(Clone, Debug)]
pub struct Assignment {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub therapist_id: Uuid,
    pub status: crate::lifecycle::AssignmentStatus,
    /// The caller is this assignment's therapist.
    pub is_own: bool,
}

/// The assignment if the current role may see it.
pub async fn assignment(tx: &Transaction<'_>, id: Uuid) -> Result<Option<Assignment>, ApiError> {
    let row = query_opt(
        tx,
        "select a.id, a.booking_id, a.therapist_id, to_jsonb(a.status),
                    coalesce(a.therapist_id = any (private.therapist_ids_of_current_user()), false)
               from public.therapist_assignments a where a.id = $1",
        &[&id],
    )
    .await?;
    row.map(|r| {
        Ok(Assignment {
            id: r.get(0),
            booking_id: r.get(1),
            therapist_id: r.get(2),
            status: from_json(r.get(3), "therapist_assignments.status")?,
            is_own: r.get(4),
        })
    })
    .transpose()
}

pub async fn set_assignment_status(
    tx: &Transaction<'_>,
    id: Uuid,
    from: crate::lifecycle::AssignmentStatus,
    to: crate::lifecycle::AssignmentStatus,
) -> Result<bool, ApiError> {
    let n = execute(
        tx,
        "update public.therapist_assignments set status = $3 where id = $1 and status = $2",
        &[&id, &from.as_str(), &to.as_str()],
    )
    .await?;
    Ok(n == 1)
}

/// Whether the booking has active assignments (assigned .. in progress).
pub async fn has_active_assignments(tx: &Transaction<'_>, booking: Uuid) -> Result<bool, ApiError> {
    Ok(query_one(
        tx,
        &format!(
            "select exists (select 1 from public.therapist_assignments
                             where booking_id = $1 and status in {ACTIVE_ASSIGNMENT})"
        ),
        &[&booking],
    )
    .await?
    .get(0))
}

/// The user behind a therapist, to notify them.
pub async fn therapist_user(tx: &Transaction<'_>, therapist: Uuid) -> Result<Option<Uuid>, ApiError> {
    Ok(
        query_opt(tx, "select user_id from public.therapists where id = $1", &[&therapist])
            .await?
            .and_then(|r| r.get(0)),
    )
}

// ---------------------------------------------------------------------------------------
// Outbox and answers

/// Queues a notification in the same transaction as the change it announces: it is sent if
/// and only if the change commits. `dedupe_key` makes a retried change queue it once.
pub async fn enqueue_notification(
    tx: &Transaction<'_>,
    event: &str,
    user: Uuid,
    template: &str,
    payload: Value,
    dedupe_key: &str,
) -> Result<(), ApiError> {
    execute(
        tx,
        "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
         values ($1, $2, 'push', $3, $4, $5)
         on conflict (dedupe_key) do nothing",
        &[&event, &user, &template, &payload, &dedupe_key],
    )
    .await?;
    Ok(())
}

/// The booking as the service answers with it: the row's money and times, its items and its
/// active assignments.
pub async fn booking_view(tx: &Transaction<'_>, id: Uuid) -> Result<Value, ApiError> {
    let row = query_one(
        tx,
            &format!(
                "select jsonb_build_object(
                   'id', b.id, 'booking_number', b.booking_number, 'status', b.status,
                   'customer_id', b.customer_id, 'vendor_id', b.vendor_id, 'booking_type', b.booking_type,
                   'scheduled_start', b.scheduled_start, 'scheduled_end', b.scheduled_end, 'timezone', b.timezone,
                   'booking_date', b.booking_date, 'booking_time', to_char(b.booking_time, 'HH24:MI'),
                   'hold_expires_at', b.hold_expires_at, 'reschedule_count', b.reschedule_count,
                   'payment_status', b.payment_status,
                   'subtotal', b.subtotal, 'discount_amount', b.discount_amount, 'tax_rate', b.tax_rate,
                   'tax_amount', b.tax_amount, 'convenience_fee', b.convenience_fee, 'total_amount', b.total_amount,
                   'promotion_id', b.promotion_id, 'coupon_code_id', b.coupon_code_id,
                   'service_location', b.service_location, 'created_at', b.created_at,
                   'items', (select coalesce(jsonb_agg(jsonb_build_object(
                                 'id', i.id, 'service_id', i.service_id, 'variant_id', i.variant_id,
                                 'package_id', i.package_id, 'service_name', i.service_name, 'duration', i.duration,
                                 'price', i.price, 'quantity', i.quantity, 'addon_services', i.addon_services,
                                 'addon_amount', i.addon_amount, 'subtotal', i.subtotal) order by i.created_at, i.id), '[]')
                               from public.booking_items i where i.booking_id = b.id),
                   'assignments', (select coalesce(jsonb_agg(jsonb_build_object(
                                       'id', a.id, 'therapist_id', a.therapist_id, 'status', a.status,
                                       'scheduled_start', a.scheduled_start, 'scheduled_end', a.scheduled_end,
                                       'travel_buffer_minutes', a.travel_buffer_minutes) order by a.created_at), '[]')
                                     from public.therapist_assignments a
                                    where a.booking_id = b.id and a.status in {ACTIVE_ASSIGNMENT}))
                   from public.bookings b where b.id = $1"
            ),
            &[&id],
        )
        .await?;
    Ok(row.get(0))
}
