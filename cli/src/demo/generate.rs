//! Deterministic generation of the demo world: users, customers, vendors, therapists and
//! bookings with everything that hangs off them. Pure: no I/O and no clock; the reference
//! catalogue and the anchor instant come in, and the same seed and anchor give the same
//! world, id for id.
//!
//! Bookings are generated fate first: how many end completed, cancelled, in progress or
//! lie ahead is fixed by the plan, and only their placement in time follows the anchor.
//! Row counts therefore never depend on the hour the generator runs at.

use std::ops::Range;

use anyhow::Context;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use ombaro_booking::{
    pricing::{self, ItemChoice, PricingVendor, Promotion, PromotionStatus, PromotionType, Quote, QuoteInput, TaxRate},
    types::{default_timezone, Id},
    Paise,
};
use rand::{seq::IndexedRandom, Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::{copy::IST_OFFSET, words};

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// How much demo data to make, from what seed, relative to which instant.
#[derive(Debug, Clone)]
pub struct DemoPlan {
    pub seed: u64,
    /// The anchor: bookings lie within 90 days before and 30 days after it, GPS trails in
    /// the 24 hours before it. Truncated to the hour.
    pub now: DateTime<Utc>,
    pub customers: usize,
    pub vendors: usize,
    pub therapists: usize,
    pub bookings: usize,
}

impl DemoPlan {
    /// Scale 1 is about 10 000 bookings by 2 000 customers at 50 vendors employing 300
    /// therapists; everything grows linearly with the scale.
    pub fn for_scale(scale: u32, seed: u64, now: DateTime<Utc>) -> Self {
        let s = scale.max(1) as usize;
        Self {
            seed,
            now: now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now),
            customers: 2_000 * s,
            vendors: 50 * s,
            therapists: 300 * s,
            bookings: 10_000 * s,
        }
    }

    pub fn now_secs(&self) -> i64 {
        self.now.timestamp()
    }
}

// Reference data ------------------------------------------------------------------------

/// The seeded catalogue and geography the demo data points at, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub cities: Vec<City>,
    pub pincodes: Vec<Pincode>,
    pub services: Vec<Service>,
    pub variants: Vec<Variant>,
    pub addons: Vec<Addon>,
    pub gateways: Vec<Gateway>,
    /// `system_settings.gst_rate`, as the booking core reads it.
    pub tax_rates: Vec<TaxRate>,
    pub convenience_fee: i64,
    /// (tier code, minimum 12-month spend in paise), lowest tier first.
    pub tiers: Vec<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct City {
    pub id: Uuid,
    pub name: String,
    pub state: String,
    pub gst_state_code: String,
}

#[derive(Debug, Clone)]
pub struct Pincode {
    pub id: Uuid,
    pub code: String,
    pub area: String,
    pub city: usize,
    pub zone_id: Option<Uuid>,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub home: bool,
    pub female_only: bool,
    pub couples: bool,
    pub variants: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: Uuid,
    pub duration: i64,
    pub price: i64,
}

#[derive(Debug, Clone)]
pub struct Addon {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub price: i64,
    pub duration: i64,
    pub home: bool,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub id: Uuid,
    pub code: String,
}

impl Reference {
    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.pincodes.is_empty(),
            "no serviceable PIN codes with a location: load the reference seeds first (`ombaro seed`)"
        );
        anyhow::ensure!(
            self.services.iter().any(|s| !s.variants.is_empty()),
            "no services with variants: load the reference seeds first (`ombaro seed`)"
        );
        Ok(())
    }
}

/// The demo catalogue as the booking core reads it, built once: every demo booking is priced
/// by [`pricing::quote`], exactly as the booking service prices a request, so demo totals,
/// discounts and GST follow the same rules (GST at the rate in force when the booking was
/// made, rounded half up).
struct Pricing {
    /// Per reference service, with its variants.
    services: Vec<pricing::Service>,
    /// Per reference variant, its id as the core knows it.
    variants: Vec<Id>,
    /// Per reference add-on.
    addons: Vec<pricing::Addon>,
}

impl Pricing {
    fn new(reference: &Reference) -> anyhow::Result<Self> {
        let id = |uuid: Uuid| Id::new(uuid.to_string()).map_err(anyhow::Error::msg);
        let minutes = |m: i64| u32::try_from(m).context("catalogue minutes out of range");
        let variants = reference
            .variants
            .iter()
            .map(|v| id(v.id))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let services = reference
            .services
            .iter()
            .map(|s| {
                Ok(pricing::Service {
                    id: id(s.id)?,
                    code: s.code.clone(),
                    name: s.name.clone(),
                    category_ids: Vec::new(),
                    // Demo bookings always name a variant, whose price is the list price.
                    base_price_60min: Paise::ZERO,
                    duration_options: None,
                    variants: s
                        .variants
                        .iter()
                        .map(|&x| {
                            let v = &reference.variants[x];
                            Ok(pricing::Variant {
                                id: variants[x].clone(),
                                name: format!("{} min", v.duration),
                                duration_minutes: minutes(v.duration)?,
                                price: Paise::new(v.price),
                            })
                        })
                        .collect::<anyhow::Result<_>>()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let addons = reference
            .addons
            .iter()
            .map(|a| {
                Ok(pricing::Addon {
                    id: id(a.id)?,
                    code: a.code.clone(),
                    name: a.name.clone(),
                    price: Paise::new(a.price),
                    duration: minutes(a.duration)?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            services,
            variants,
            addons,
        })
    }

    /// Prices a booking of `items` at `vendor`, made at `booked_at` for `start` (seconds
    /// since the epoch); `goodwill` adds the demo's occasional offer: 10 % off, at most ₹300.
    #[allow(clippy::too_many_arguments)]
    fn quote(
        &self,
        reference: &Reference,
        items: &[Item],
        vendor: Uuid,
        booked_at: i64,
        start: i64,
        convenience_fee: i64,
        goodwill: bool,
    ) -> anyhow::Result<Quote> {
        let at = |secs: i64| DateTime::<Utc>::from_timestamp(secs, 0).context("instant out of range");
        let items = items
            .iter()
            .map(|item| {
                Ok(ItemChoice {
                    service: self.services[item.service].clone(),
                    variant_id: Some(self.variants[item.variant].clone()),
                    duration_minutes: u32::try_from(item.duration)?,
                    quantity: u32::try_from(item.quantity)?,
                    addons: item.addons.iter().map(|&a| self.addons[a].clone()).collect(),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let input = QuoteInput {
            // Made then: GST is taken at this instant, as for a booking made through the service.
            now: at(booked_at)?,
            booked_at: None,
            start: at(start)?,
            vendor: PricingVendor {
                id: Id::new(vendor.to_string()).map_err(anyhow::Error::msg)?,
                timezone: default_timezone(),
                city_tier: None,
            },
            customer_id: None,
            items,
            package: None,
            tiers: Vec::new(),
            promotion: goodwill.then(goodwill_offer),
            tax_rates: reference.tax_rates.clone(),
            convenience_fee: Paise::new(convenience_fee),
        };
        pricing::quote(&input).map_err(|e| anyhow::anyhow!("the booking core cannot price a demo booking: {e}"))
    }
}

/// The demo's goodwill discount as the core prices offers: 10 % of the booking, at most ₹300.
/// Never written as a promotion row; only its amount lands on the booking.
fn goodwill_offer() -> Promotion {
    Promotion {
        id: Id::new("demo-goodwill").expect("a non-blank id"),
        code: "GOODWILL".into(),
        kind: PromotionType::Percentage,
        discount_value: 1_000,
        min_booking_amount: Paise::ZERO,
        max_discount_amount: Some(Paise::rupees(300)),
        applicable_services: Vec::new(),
        applicable_vendors: Vec::new(),
        applicable_categories: Vec::new(),
        usage_limit_per_customer: None,
        total_usage_limit: None,
        current_usage_count: 0,
        customer_usage_count: 0,
        first_booking_only: false,
        customer_booking_count: 0,
        valid_from: DateTime::<Utc>::MIN_UTC,
        valid_to: DateTime::<Utc>::MAX_UTC,
        status: PromotionStatus::Active,
        coupon: None,
    }
}

// Ids -----------------------------------------------------------------------------------

/// What an id is for; each kind draws from its own ChaCha stream.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    User = 1,
    Address,
    VendorStaff,
    VendorAvailability,
    VendorService,
    Therapist,
    Schedule,
    Leave,
    Booking,
    Item,
    History,
    Cancellation,
    Payment,
    Refund,
    Assignment,
    Timeline,
    Review,
    ServiceReview,
    Loyalty,
    Location,
    Event,
    RoleHistory,
}

/// Random-access UUIDs: id `index` of `kind` is the 16 bytes at word `4 * index` of the
/// kind's ChaCha8 stream, so any table can name any row without generating the others.
#[derive(Clone)]
pub struct Ids {
    base: ChaCha8Rng,
}

impl Ids {
    fn new(seed: u64) -> Self {
        Self {
            base: ChaCha8Rng::seed_from_u64(seed ^ 0x6f6d_6261_726f_6964),
        }
    }

    pub fn get(&self, kind: Kind, index: u64) -> Uuid {
        let mut rng = self.base.clone();
        rng.set_stream(kind as u64);
        rng.set_word_pos(u128::from(index) * 4);
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A generator for per-row details (GPS noise, event times) that depend only on the row.
    pub fn detail_rng(&self, kind: Kind, index: u64) -> ChaCha8Rng {
        let mut rng = self.base.clone();
        rng.set_stream(1_000 + kind as u64);
        rng.set_word_pos(u128::from(index) * 64);
        rng
    }
}

/// The generator of one stage (users, vendors, bookings ...): stages do not share a stream,
/// so changing how one stage draws leaves the others as they were.
fn stage_rng(seed: u64, stage: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stage);
    rng
}

// The world -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    Other,
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Customer,
    Vendor,
    Therapist,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Vendor => "vendor",
            Role::Therapist => "therapist",
        }
    }
}

pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub gender: Gender,
    /// Days since the epoch.
    pub date_of_birth: i64,
    pub mobile: String,
    pub role: Role,
    pub created: i64,
    pub city: usize,
}

pub struct Customer {
    pub user: usize,
    pub city: usize,
    pub addresses: Range<usize>,
    pub referred_by: Option<usize>,
    pub referral_code: String,
    pub platform: &'static str,
    pub app_opens: u32,
    pub completed: i64,
    pub spent: i64,
    pub points: i64,
    pub referrals: i64,
}

pub struct Address {
    pub id: Uuid,
    pub customer: usize,
    pub kind: &'static str,
    pub label: &'static str,
    pub line1: String,
    pub line2: String,
    pub landmark: &'static str,
    pub pincode: usize,
    pub lat: f64,
    pub lon: f64,
    pub is_default: bool,
    pub created: i64,
}

pub struct VendorService {
    pub id: Uuid,
    pub service: usize,
    pub surcharge: i64,
    pub is_home: bool,
    pub is_in_spa: bool,
}

pub struct Vendor {
    pub user: usize,
    pub manager: usize,
    pub staff_ids: [Uuid; 2],
    pub receptionist: (String, String),
    pub city: usize,
    pub pincode: usize,
    pub lat: f64,
    pub lon: f64,
    pub name: String,
    pub kind: &'static str,
    pub offers_home: bool,
    pub in_spa: bool,
    pub line1: String,
    pub gst_number: String,
    pub pan_number: String,
    pub services: Vec<VendorService>,
    pub therapists: Range<usize>,
    /// Weekday (0 = Sunday) the premises are closed, if any.
    pub closed_day: Option<i64>,
    /// Opening and closing, minutes after local midnight.
    pub open: i64,
    pub close: i64,
    pub created: i64,
    pub verified: i64,
    pub commission_bps: i64,
    pub radius_km: i64,
    weight: f64,
    pub rating_sum: i64,
    pub rating_count: i64,
}

pub struct Leave {
    pub id: Uuid,
    pub kind: &'static str,
    pub reason: &'static str,
    pub start_day: i64,
    pub end_day: i64,
    pub status: &'static str,
    pub created: i64,
    pub decided: Option<i64>,
}

pub struct Therapist {
    pub id: Uuid,
    pub user: usize,
    pub vendor: usize,
    /// Service indices, in catalogue order.
    pub specialization: Vec<usize>,
    pub languages: Vec<&'static str>,
    pub experience: i64,
    pub home_lat: f64,
    pub home_lon: f64,
    pub shift_start: i64,
    pub shift_end: i64,
    pub off_day: i64,
    pub leave: Option<Leave>,
    /// Occupied intervals, padded by travel and turnaround time, while bookings are placed.
    busy: Vec<(i64, i64)>,
    pub completed: i64,
    pub in_progress: bool,
    pub rating_sum: i64,
    pub rating_count: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingKind {
    Home,
    Spa,
    Hotel,
}

impl BookingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingKind::Home => "home_service",
            BookingKind::Spa => "spa_visit",
            BookingKind::Hotel => "hotel_service",
        }
    }

    pub fn travels(self) -> bool {
        self != BookingKind::Spa
    }
}

/// How a booking ends up, decided before it is placed in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Pending,
    Confirmed,
    Assigned {
        acknowledged: bool,
    },
    InProgress,
    Completed,
    /// Cancelled before it was paid.
    Unpaid(UnpaidReason),
    /// Paid, then cancelled and refunded in full.
    Refunded {
        by_vendor: bool,
    },
    /// Assigned and paid, but the customer was not there; nothing refunded.
    NoShow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnpaidReason {
    HoldExpired,
    PaymentFailed,
    ChangedMind,
}

impl Fate {
    pub fn status(self) -> &'static str {
        match self {
            Fate::Pending => "pending",
            Fate::Confirmed => "confirmed",
            Fate::Assigned { .. } => "assigned",
            Fate::InProgress => "in_progress",
            Fate::Completed => "completed",
            Fate::Unpaid(_) | Fate::Refunded { .. } | Fate::NoShow => "cancelled",
        }
    }

    pub fn needs_therapists(self) -> bool {
        matches!(
            self,
            Fate::Assigned { .. } | Fate::InProgress | Fate::Completed | Fate::NoShow
        )
    }

    pub fn is_paid(self) -> bool {
        !matches!(self, Fate::Pending | Fate::Unpaid(_))
    }

    pub fn payment_status(self) -> &'static str {
        match self {
            Fate::Pending | Fate::Unpaid(_) => "pending",
            Fate::Refunded { .. } => "refunded",
            _ => "paid",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    Past,
    Recent,
    InProgress,
    Future,
}

pub struct Item {
    pub id: Uuid,
    pub service: usize,
    pub variant: usize,
    pub price: i64,
    pub quantity: i64,
    pub addons: Vec<usize>,
    pub addon_amount: i64,
    pub duration: i64,
    /// Treatment plus add-on minutes.
    pub minutes: i64,
}

impl Item {
    pub fn subtotal(&self) -> i64 {
        self.price * self.quantity + self.addon_amount
    }
}

pub struct Assignment {
    pub id: Uuid,
    pub therapist: usize,
    pub item: usize,
    pub start: i64,
    pub end: i64,
    pub acknowledged_at: Option<i64>,
    pub transit_at: Option<i64>,
    pub reached_at: Option<i64>,
    pub actual_start: Option<i64>,
    pub actual_end: Option<i64>,
    pub travel_minutes: i64,
    /// Kilometres travelled, in hundredths.
    pub distance: i64,
    pub rating: Option<i64>,
}

pub struct Payment {
    pub id: Uuid,
    pub method: &'static str,
    pub gateway: Option<usize>,
    pub created: i64,
    pub paid_at: Option<i64>,
    pub failure: Option<&'static str>,
}

pub struct Refund {
    pub id: Uuid,
    pub created: i64,
    pub approved: i64,
    pub processed: i64,
}

pub struct Review {
    pub id: Uuid,
    pub at: i64,
    pub overall: i64,
    pub details: [i64; 4],
    pub status: &'static str,
    pub moderated_at: Option<i64>,
    pub title: &'static str,
    pub text: &'static str,
    pub recommend: bool,
    pub vendor_response: Option<i64>,
    pub helpful: i64,
}

pub struct Booking {
    pub id: Uuid,
    pub number: String,
    pub customer: usize,
    pub vendor: usize,
    pub kind: BookingKind,
    pub source: &'static str,
    pub address: Option<usize>,
    pub lat: f64,
    pub lon: f64,
    pub place: String,
    pub landmark: Option<&'static str>,
    pub start: i64,
    pub end: i64,
    pub created: i64,
    pub fate: Fate,
    pub confirmed_at: Option<i64>,
    pub assigned_at: Option<i64>,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub preferred_gender: &'static str,
    pub instructions: Option<&'static str>,
    pub subtotal: i64,
    pub discount: i64,
    /// GST rate in hundredths of a percent.
    pub tax_rate: i64,
    pub tax: i64,
    pub fee: i64,
    pub total: i64,
    pub payment: Option<Payment>,
    pub failed_payment: Option<Payment>,
    pub refund: Option<Refund>,
    pub items: Range<usize>,
    pub assignments: Range<usize>,
    pub review: Option<Review>,
    pub search_term: &'static str,
}

impl Booking {
    pub fn hold_expires_at(&self) -> Option<i64> {
        (self.fate == Fate::Pending).then_some(self.created + 10 * MINUTE)
    }
}

pub struct LoyaltyEntry {
    pub customer: usize,
    pub booking: usize,
    pub points: i64,
    pub balance_after: i64,
    pub at: i64,
}

/// Everything the demo load writes, as plain data the table emitters format.
pub struct World {
    pub plan: DemoPlan,
    pub reference: Reference,
    pub ids: Ids,
    pub users: Vec<User>,
    pub customers: Vec<Customer>,
    pub addresses: Vec<Address>,
    pub vendors: Vec<Vendor>,
    pub therapists: Vec<Therapist>,
    pub bookings: Vec<Booking>,
    pub items: Vec<Item>,
    pub assignments: Vec<Assignment>,
    pub loyalty: Vec<LoyaltyEntry>,
    /// (booking, assignment) pairs with a GPS trail in the last 24 hours.
    pub trails: Vec<(usize, usize)>,
    /// Earliest analytics event, for partition creation.
    pub first_event_at: i64,
}

impl World {
    pub fn generate(plan: &DemoPlan, reference: &Reference) -> anyhow::Result<World> {
        reference.check()?;
        let mut g = Generator {
            plan: plan.clone(),
            now: plan.now_secs(),
            today: local_day(plan.now_secs()),
            reference,
            pricing: Pricing::new(reference)?,
            ids: Ids::new(plan.seed),
            users: Vec::new(),
            customers: Vec::new(),
            addresses: Vec::new(),
            vendors: Vec::new(),
            therapists: Vec::new(),
            bookings: Vec::new(),
            items: Vec::new(),
            assignments: Vec::new(),
            customers_by_city: vec![Vec::new(); reference.cities.len()],
        };
        g.customers();
        g.vendors();
        g.bookings()?;
        Ok(g.finish())
    }

    pub fn now(&self) -> i64 {
        self.plan.now_secs()
    }

    pub fn user_id(&self, user: usize) -> Uuid {
        self.users[user].id
    }

    pub fn customer_user(&self, booking: &Booking) -> &User {
        &self.users[self.customers[booking.customer].user]
    }

    pub fn vendor_owner(&self, booking: &Booking) -> &User {
        &self.users[self.vendors[booking.vendor].user]
    }
}

/// Days since the epoch of the local (IST) date of an instant.
pub fn local_day(secs: i64) -> i64 {
    (secs + IST_OFFSET).div_euclid(DAY)
}

/// Minutes after local (IST) midnight of an instant.
pub fn local_minute(secs: i64) -> i64 {
    (secs + IST_OFFSET).rem_euclid(DAY) / MINUTE
}

/// The instant of a local (IST) day and minute.
pub fn instant(day: i64, minute: i64) -> i64 {
    day * DAY + minute * MINUTE - IST_OFFSET
}

/// 0 = Sunday.
pub fn weekday(day: i64) -> i64 {
    (day + 4).rem_euclid(7)
}

/// Great-circle distance in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6_371.0 * 2.0 * a.sqrt().asin()
}

/// A point within `km` of (lat, lon), uniformly over the disc.
fn jitter(rng: &mut ChaCha8Rng, lat: f64, lon: f64, km: f64) -> (f64, f64) {
    let r = km * rng.random::<f64>().sqrt();
    let theta = rng.random::<f64>() * std::f64::consts::TAU;
    let dlat = r * theta.cos() / 111.0;
    let dlon = r * theta.sin() / (111.0 * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

/// Index into `weights` drawn proportionally (weights are cumulative sums).
fn pick_weighted(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = *cumulative.last().expect("weights");
    let x = rng.random::<f64>() * total;
    cumulative.partition_point(|&c| c <= x).min(cumulative.len() - 1)
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .into_iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// How often a service is booked, relative to the others.
fn popularity(code: &str) -> f64 {
    match code {
        "SWD" => 10.0,
        "ARO" | "DPT" => 9.0,
        "ABH" => 7.0,
        "BAL" | "FRF" | "HSM" | "BNS" => 6.0,
        "THA" | "SIG" => 5.0,
        "HST" | "SHI" | "CPL" | "SPT" => 4.0,
        "CPA" | "BWR" | "PRN" | "UDV" | "KTB" => 2.0,
        _ => 3.0,
    }
}

fn email_part(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn base36(mut n: u64, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    String::from_utf8(out).expect("ascii")
}

fn letters(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| (b'A' + rng.random_range(0..26u8)) as char).collect()
}

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| (b'0' + rng.random_range(0..10u8)) as char).collect()
}

struct Generator<'a> {
    plan: DemoPlan,
    now: i64,
    today: i64,
    reference: &'a Reference,
    pricing: Pricing,
    ids: Ids,
    users: Vec<User>,
    customers: Vec<Customer>,
    addresses: Vec<Address>,
    vendors: Vec<Vendor>,
    therapists: Vec<Therapist>,
    bookings: Vec<Booking>,
    items: Vec<Item>,
    assignments: Vec<Assignment>,
    customers_by_city: Vec<Vec<usize>>,
}

const STAGE_CUSTOMERS: u64 = 1;
const STAGE_VENDORS: u64 = 2;
const STAGE_BOOKINGS: u64 = 3;
const STAGE_SHAPES: u64 = 4;

/// What a booking will consist of, drawn before it is placed: everything that decides how
/// many rows it makes. Drawn from its own stream, a fixed number of draws per booking, so
/// the shapes are the same whatever happens while placing them.
struct Shape {
    window: Window,
    fate: Fate,
    kind: BookingKind,
    /// Therapists per item (1, or 2 for couples treatments and two-guest bookings).
    staff: Vec<usize>,
    reviewed: bool,
}

impl Shape {
    fn draw(rng: &mut ChaCha8Rng, window: Window) -> Shape {
        let fate_roll = rng.random_range(0..100);
        let flag = rng.random_bool(0.3);
        let coin = rng.random_bool(0.5);
        let kind_roll = rng.random_range(0..100);
        let two_items = rng.random_bool(0.15);
        let pairs = [rng.random_bool(0.08), rng.random_bool(0.08)];
        let reviewed = rng.random_bool(0.35);
        let fate = match window {
            Window::InProgress => Fate::InProgress,
            Window::Past | Window::Recent => match fate_roll {
                0..83 => Fate::Completed,
                83..86 => Fate::Unpaid(UnpaidReason::HoldExpired),
                86..89 => Fate::Unpaid(UnpaidReason::PaymentFailed),
                89..92 => Fate::Unpaid(UnpaidReason::ChangedMind),
                92..98 => Fate::Refunded { by_vendor: flag },
                _ => Fate::NoShow,
            },
            Window::Future => match fate_roll {
                0..4 => Fate::Pending,
                4..34 => Fate::Confirmed,
                34..90 => Fate::Assigned { acknowledged: coin },
                90..94 => Fate::Unpaid(if coin {
                    UnpaidReason::HoldExpired
                } else {
                    UnpaidReason::ChangedMind
                }),
                _ => Fate::Refunded { by_vendor: flag },
            },
        };
        // Visits under way are home services: the live-tracking demo wants therapists on
        // the road at the anchor.
        let kind = match (window, kind_roll) {
            (Window::InProgress, _) => BookingKind::Home,
            (_, 0..55) => BookingKind::Spa,
            (_, 55..95) => BookingKind::Home,
            _ => BookingKind::Hotel,
        };
        let items = if two_items { 2 } else { 1 };
        Shape {
            window,
            fate,
            kind,
            staff: pairs[..items].iter().map(|&p| if p { 2 } else { 1 }).collect(),
            reviewed: reviewed && fate == Fate::Completed,
        }
    }
}

/// An item chosen while placing a booking, before it is committed.
struct Draft {
    service: usize,
    variant: usize,
    quantity: i64,
    addons: Vec<usize>,
    duration: i64,
    minutes: i64,
    staff: usize,
}

impl Generator<'_> {
    fn new_user(&mut self, rng: &mut ChaCha8Rng, role: Role, gender: Gender, tag: char, created: i64) -> usize {
        let index = self.users.len();
        let first = match gender {
            Gender::Male => *words::MALE_NAMES.choose(rng).expect("names"),
            _ => *words::FEMALE_NAMES.choose(rng).expect("names"),
        };
        let last = *words::SURNAMES.choose(rng).expect("names");
        let age_years = match role {
            Role::Customer => rng.random_range(21..62),
            Role::Vendor => rng.random_range(28..60),
            Role::Therapist => rng.random_range(21..48),
        };
        let born = local_day(self.now) - age_years * 365 - rng.random_range(0..365);
        // Unique by construction (distinct index times a stride larger than the noise),
        // so re-runs never trip the unique index on user_profiles.mobile.
        let mobile = format!(
            "+91{}",
            6_000_000_000u64 + index as u64 * 13 + rng.random_range(0..13u64)
        );
        let email = format!(
            "{}.{}.{}{:06}@{}",
            email_part(first),
            email_part(last),
            tag,
            index,
            super::DEMO_EMAIL_DOMAIN
        );
        self.users.push(User {
            id: self.ids.get(Kind::User, index as u64),
            email,
            name: format!("{first} {last}"),
            gender,
            date_of_birth: born,
            mobile,
            role,
            created,
            city: 0,
        });
        index
    }

    fn customers(&mut self) {
        let mut rng = stage_rng(self.plan.seed, STAGE_CUSTOMERS);
        let pin_weights = cumulative(self.reference.pincodes.iter().map(|_| 1.0));
        for c in 0..self.plan.customers {
            let gender = match rng.random_range(0..100) {
                0..58 => Gender::Female,
                58..98 => Gender::Male,
                _ => Gender::Other,
            };
            let created = self.now - rng.random_range(120 * DAY..365 * DAY);
            let user = self.new_user(&mut rng, Role::Customer, gender, 'c', created);
            let home_pin = pick_weighted(&mut rng, &pin_weights);
            let city = self.reference.pincodes[home_pin].city;
            self.users[user].city = city;
            let first_address = self.addresses.len();
            let count = if rng.random_bool(0.3) { 2 } else { 1 };
            for a in 0..count {
                // Second addresses (work, parents) lie elsewhere in the same city.
                let pin = if a == 0 {
                    home_pin
                } else {
                    let same_city: Vec<usize> = (0..self.reference.pincodes.len())
                        .filter(|&p| self.reference.pincodes[p].city == city)
                        .collect();
                    *same_city.choose(&mut rng).expect("the home PIN code is in the city")
                };
                let p = &self.reference.pincodes[pin];
                let (lat, lon) = jitter(&mut rng, p.lat, p.lon, 1.5);
                let (kind, label) = match a {
                    0 => ("home", "Home"),
                    _ if rng.random_bool(0.6) => ("work", "Office"),
                    _ => ("other", "Parents' place"),
                };
                let index = self.addresses.len();
                self.addresses.push(Address {
                    id: self.ids.get(Kind::Address, index as u64),
                    customer: c,
                    kind,
                    label,
                    line1: format!(
                        "{}, {} {}",
                        if kind == "work" {
                            format!("Floor {}", rng.random_range(1..12))
                        } else {
                            format!("Flat {}{:02}", rng.random_range(1..15), rng.random_range(1..9))
                        },
                        words::BUILDINGS.choose(&mut rng).expect("words"),
                        words::STREETS.choose(&mut rng).expect("words"),
                    ),
                    line2: p.area.clone(),
                    landmark: words::LANDMARKS.choose(&mut rng).expect("words"),
                    pincode: pin,
                    lat,
                    lon,
                    is_default: a == 0,
                    created: created + a as i64 * rng.random_range(DAY..20 * DAY),
                });
            }
            let referred_by = {
                let peers = &self.customers_by_city[city];
                (!peers.is_empty() && rng.random_bool(0.08)).then(|| peers[rng.random_range(0..peers.len())])
            };
            if let Some(r) = referred_by {
                self.customers[r].referrals += 1;
            }
            let first_name = self.users[user].name.split(' ').next().unwrap_or("OMB").to_uppercase();
            self.customers.push(Customer {
                user,
                city,
                addresses: first_address..self.addresses.len(),
                referred_by,
                referral_code: format!("{}{}", email_part(&first_name).to_uppercase(), base36(c as u64, 4)),
                platform: match rng.random_range(0..10) {
                    0..6 => "android",
                    6..9 => "ios",
                    _ => "web",
                },
                app_opens: rng.random_range(1..5),
                completed: 0,
                spent: 0,
                points: 0,
                referrals: 0,
            });
            self.customers_by_city[city].push(c);
        }
    }

    fn vendors(&mut self) {
        let mut rng = stage_rng(self.plan.seed, STAGE_VENDORS);
        let reference = self.reference;
        // Vendors go where the customers are: a city without customers gets no vendor.
        let pin_weights = cumulative(reference.pincodes.iter().map(|p| {
            if self.customers_by_city[p.city].is_empty() {
                0.0
            } else {
                1.0
            }
        }));
        let per_vendor = self.plan.therapists / self.plan.vendors.max(1);
        let extra = self.plan.therapists % self.plan.vendors.max(1);
        for v in 0..self.plan.vendors {
            let created = self.now - rng.random_range(200 * DAY..720 * DAY);
            let owner_gender = if rng.random_bool(0.5) {
                Gender::Female
            } else {
                Gender::Male
            };
            let user = self.new_user(&mut rng, Role::Vendor, owner_gender, 'v', created);
            let manager_gender = if rng.random_bool(0.6) {
                Gender::Female
            } else {
                Gender::Male
            };
            let manager = self.new_user(&mut rng, Role::Vendor, manager_gender, 'm', created + DAY);
            let pin = pick_weighted(&mut rng, &pin_weights);
            let p = &reference.pincodes[pin];
            let city = p.city;
            self.users[user].city = city;
            self.users[manager].city = city;
            let (lat, lon) = jitter(&mut rng, p.lat, p.lon, 0.8);
            let kind = match rng.random_range(0..100) {
                0..45 => "spa",
                45..55 => "salon",
                55..70 => "wellness_center",
                70..80 => "hotel_spa",
                _ => "home_service",
            };
            let in_spa = kind != "home_service";
            let offers_home = !in_spa || rng.random_bool(0.5);
            let word = *words::VENDOR_WORDS.choose(&mut rng).expect("words");
            let suffix = if in_spa {
                *words::SPA_SUFFIXES.choose(&mut rng).expect("words")
            } else {
                *words::HOME_SUFFIXES.choose(&mut rng).expect("words")
            };
            let name = format!("{word} {suffix} - {}", p.area);
            let closed_day = rng.random_bool(0.25).then(|| rng.random_range(1..3));
            let (open, close) = if rng.random_bool(0.7) {
                (9 * 60, 21 * 60)
            } else {
                (10 * 60, 20 * 60)
            };
            let pan = format!(
                "{}F{}{}",
                letters(&mut rng, 4),
                digits(&mut rng, 4),
                letters(&mut rng, 1)
            );
            let gst_number = format!(
                "{}{}1Z{}",
                reference.cities[city].gst_state_code,
                pan,
                digits(&mut rng, 1)
            );
            let staff_index = 2 * v as u64;
            let receptionist_gender = if rng.random_bool(0.7) {
                &words::FEMALE_NAMES
            } else {
                &words::MALE_NAMES
            };
            let receptionist = (
                format!(
                    "{} {}",
                    receptionist_gender.choose(&mut rng).expect("words"),
                    words::SURNAMES.choose(&mut rng).expect("words")
                ),
                format!("+91{}", 8_000_000_000u64 + v as u64 * 17 + rng.random_range(0..17u64)),
            );

            // Therapists first: whether a vendor can offer prenatal care depends on them.
            let first_therapist = self.therapists.len();
            let count = per_vendor + usize::from(v < extra);
            for _ in 0..count {
                let gender = if rng.random_bool(0.7) {
                    Gender::Female
                } else {
                    Gender::Male
                };
                let t_created = created + rng.random_range(10 * DAY..100 * DAY);
                let t_user = self.new_user(&mut rng, Role::Therapist, gender, 't', t_created);
                self.users[t_user].city = city;
                let (home_lat, home_lon) = jitter(&mut rng, lat, lon, 8.0);
                let (shift_start, shift_end) = match rng.random_range(0..10) {
                    0..4 => (open, open + 9 * 60),
                    4..8 => (close - 9 * 60, close),
                    _ => (open, close),
                };
                let off_day = closed_day.unwrap_or_else(|| rng.random_range(0..7));
                let regional = words::regional_language(&reference.cities[city].gst_state_code);
                let mut languages = vec!["English", "Hindi"];
                if regional != "Hindi" {
                    languages.push(regional);
                }
                let index = self.therapists.len();
                self.therapists.push(Therapist {
                    id: self.ids.get(Kind::Therapist, index as u64),
                    user: t_user,
                    vendor: v,
                    specialization: Vec::new(),
                    languages,
                    experience: rng.random_range(1..15),
                    home_lat,
                    home_lon,
                    shift_start,
                    shift_end,
                    off_day,
                    leave: None,
                    busy: Vec::new(),
                    completed: 0,
                    in_progress: false,
                    rating_sum: 0,
                    rating_count: 0,
                });
            }
            let therapists = first_therapist..self.therapists.len();
            let has_female = therapists
                .clone()
                .any(|t| self.users[self.therapists[t].user].gender == Gender::Female);

            // The menu: 8 to 16 services the premises (or a travelling therapist) can do.
            let mut candidates: Vec<usize> = (0..reference.services.len())
                .filter(|&s| {
                    let svc = &reference.services[s];
                    !svc.variants.is_empty() && (in_spa || svc.home) && (has_female || !svc.female_only)
                })
                .collect();
            let want = rng.random_range(8..=16).min(candidates.len());
            let mut menu = Vec::with_capacity(want);
            while menu.len() < want {
                let weights = cumulative(candidates.iter().map(|&s| popularity(&reference.services[s].code)));
                let k = pick_weighted(&mut rng, &weights);
                menu.push(candidates.swap_remove(k));
            }
            menu.sort_unstable();
            let services: Vec<VendorService> = menu
                .iter()
                .enumerate()
                .map(|(i, &s)| {
                    let svc = &reference.services[s];
                    let is_home = offers_home && svc.home;
                    VendorService {
                        id: self.ids.get(Kind::VendorService, (v * 64 + i) as u64),
                        service: s,
                        surcharge: if is_home {
                            [0, 10_000, 20_000][rng.random_range(0..3)]
                        } else {
                            0
                        },
                        is_home,
                        is_in_spa: in_spa,
                    }
                })
                .collect();

            // Each therapist is trained for part of the menu; every item on the menu has at
            // least two therapists so couples treatments can be staffed.
            for t in therapists.clone() {
                let female = self.users[self.therapists[t].user].gender == Gender::Female;
                let eligible: Vec<usize> = menu
                    .iter()
                    .copied()
                    .filter(|&s| female || !reference.services[s].female_only)
                    .collect();
                let n = rng.random_range(4..=8).min(eligible.len());
                let mut spec: Vec<usize> = eligible.choose_multiple(&mut rng, n).copied().collect();
                spec.sort_unstable();
                self.therapists[t].specialization = spec;
            }
            for &s in &menu {
                let eligible: Vec<usize> = therapists
                    .clone()
                    .filter(|&t| {
                        !reference.services[s].female_only
                            || self.users[self.therapists[t].user].gender == Gender::Female
                    })
                    .collect();
                let mut trained = eligible
                    .iter()
                    .filter(|&&t| self.therapists[t].specialization.contains(&s))
                    .count();
                for &t in &eligible {
                    if trained >= 2 {
                        break;
                    }
                    let spec = &mut self.therapists[t].specialization;
                    if !spec.contains(&s) {
                        spec.push(s);
                        spec.sort_unstable();
                        trained += 1;
                    }
                }
            }

            // Some therapists take leave: most of it approved, some still waiting.
            for t in therapists.clone() {
                if !rng.random_bool(0.15) {
                    continue;
                }
                let (kind, reason) = *words::LEAVE_REASONS.choose(&mut rng).expect("words");
                let status = match rng.random_range(0..100) {
                    0..70 => "approved",
                    70..85 => "pending",
                    85..95 => "rejected",
                    _ => "cancelled",
                };
                let start_day = if status == "pending" {
                    self.today + rng.random_range(3..25)
                } else {
                    self.today + rng.random_range(-60..25)
                };
                let end_day = start_day + rng.random_range(0..3);
                let created = (instant(start_day, 10 * 60) - rng.random_range(3..10) * DAY).min(self.now - HOUR);
                let decided = (status != "pending").then(|| (created + rng.random_range(HOUR..DAY)).min(self.now));
                let index = t as u64;
                self.therapists[t].leave = Some(Leave {
                    id: self.ids.get(Kind::Leave, index),
                    kind,
                    reason,
                    start_day,
                    end_day,
                    status,
                    created,
                    decided,
                });
            }

            self.vendors.push(Vendor {
                user,
                manager,
                staff_ids: [
                    self.ids.get(Kind::VendorStaff, staff_index),
                    self.ids.get(Kind::VendorStaff, staff_index + 1),
                ],
                receptionist,
                city,
                pincode: pin,
                lat,
                lon,
                name,
                kind,
                offers_home,
                in_spa,
                line1: format!(
                    "Shop {}, {}, {}",
                    rng.random_range(1..40),
                    words::BUILDINGS.choose(&mut rng).expect("words"),
                    words::STREETS.choose(&mut rng).expect("words")
                ),
                gst_number,
                pan_number: pan,
                services,
                therapists,
                closed_day,
                open,
                close,
                created,
                verified: created + rng.random_range(3..20) * DAY,
                commission_bps: [1_500, 1_500, 1_250, 1_800][rng.random_range(0..4)],
                radius_km: if offers_home { rng.random_range(8..21) } else { 10 },
                weight: 0.4 + rng.random::<f64>() * 1.6,
                rating_sum: 0,
                rating_count: 0,
            });
        }
    }

    fn bookings(&mut self) -> anyhow::Result<()> {
        let mut shapes = stage_rng(self.plan.seed, STAGE_SHAPES);
        let mut rng = stage_rng(self.plan.seed, STAGE_BOOKINGS);
        let total = self.plan.bookings;
        anyhow::ensure!(
            self.vendors.iter().any(|v| !v.therapists.is_empty()),
            "the plan has no therapists to serve bookings"
        );
        // The share of each window matches a steady flow of bookings over 90 days behind
        // and 30 days ahead; the counts are fixed so the row counts of every table are.
        let in_progress = (total / 1_000).max(usize::from(total >= 100));
        let recent = total * 8 / 1_000;
        let future = (total / 4).saturating_sub(in_progress);
        let past = total - in_progress - recent - future;
        let plan = [
            (Window::InProgress, in_progress),
            (Window::Recent, recent),
            (Window::Future, future),
            (Window::Past, past),
        ];
        let weights_for = |capable: &dyn Fn(&Vendor) -> bool| {
            cumulative(self.vendors.iter().map(|v| {
                if v.therapists.is_empty() || !capable(v) {
                    0.0
                } else {
                    v.weight
                }
            }))
        };
        let spa_weights = weights_for(&|v| v.in_spa);
        let home_weights = weights_for(&|v| v.offers_home);
        let mut n = 0u64;
        for (window, count) in plan {
            for _ in 0..count {
                let mut shape = Shape::draw(&mut shapes, window);
                let weights = if shape.kind.travels() {
                    &home_weights
                } else {
                    &spa_weights
                };
                if weights.last().is_none_or(|&w| w <= 0.0) {
                    // No vendor of that kind (tiny plans): the other kind has the same rows.
                    shape.kind = if shape.kind.travels() {
                        BookingKind::Spa
                    } else {
                        BookingKind::Home
                    };
                }
                let weights = if shape.kind.travels() {
                    &home_weights
                } else {
                    &spa_weights
                };
                let mut placed = false;
                for attempt in 0..400 {
                    if self.try_booking(&mut rng, weights, &shape, attempt, n)? {
                        placed = true;
                        break;
                    }
                }
                anyhow::ensure!(
                    placed,
                    "could not place a {:?} booking: too few therapists for the number of bookings",
                    shape.fate
                );
                n += 1;
            }
        }
        Ok(())
    }

    /// Tries to make one booking of the given shape; false when the random choices led
    /// nowhere (no free therapist, no slot in the window), to be retried with new ones. Fails
    /// only when the booking core cannot price the catalogue.
    fn try_booking(
        &mut self,
        rng: &mut ChaCha8Rng,
        vendor_weights: &[f64],
        shape: &Shape,
        attempt: u32,
        index: u64,
    ) -> anyhow::Result<bool> {
        let reference = self.reference;
        let (window, fate, kind) = (shape.window, shape.fate, shape.kind);
        let v = pick_weighted(rng, vendor_weights);
        let vendor = &self.vendors[v];
        let peers = &self.customers_by_city[vendor.city];
        if peers.is_empty() {
            return Ok(false);
        }
        // A few customers book often, most rarely.
        let c = peers[((peers.len() as f64) * rng.random::<f64>().powf(1.8)) as usize];
        let customer_gender = self.users[self.customers[c].user].gender;

        // Items: one service, sometimes two different ones done side by side; an item with
        // two therapists is a couples treatment or one service for two guests.
        let mut drafts: Vec<Draft> = Vec::with_capacity(shape.staff.len());
        for &staff in &shape.staff {
            let menu: Vec<usize> = (0..vendor.services.len())
                .filter(|&i| {
                    let vs = &vendor.services[i];
                    let svc = &reference.services[vs.service];
                    (if kind.travels() { vs.is_home } else { vs.is_in_spa })
                        && (!svc.female_only || customer_gender == Gender::Female)
                        && (if staff == 2 { !svc.female_only } else { !svc.couples })
                        && !drafts.iter().any(|d| d.service == vs.service)
                })
                .collect();
            if menu.is_empty() {
                return Ok(false);
            }
            let weights = cumulative(
                menu.iter()
                    .map(|&i| popularity(&reference.services[vendor.services[i].service].code)),
            );
            let vs = &vendor.services[menu[pick_weighted(rng, &weights)]];
            let svc = &reference.services[vs.service];
            let dur_weights = cumulative(svc.variants.iter().map(|&x| match reference.variants[x].duration {
                60 => 5.0,
                90 => 3.0,
                120 => 1.0,
                _ => 3.0,
            }));
            let variant = svc.variants[pick_weighted(rng, &dur_weights)];
            let var = &reference.variants[variant];
            let n_addons = match rng.random_range(0..10) {
                0..6 => 0,
                6..9 => 1,
                _ => 2,
            };
            let addon_pool: Vec<usize> = (0..reference.addons.len())
                .filter(|&a| !kind.travels() || reference.addons[a].home)
                .collect();
            let mut addons: Vec<usize> = addon_pool
                .choose_multiple(rng, n_addons.min(addon_pool.len()))
                .copied()
                .collect();
            addons.sort_unstable();
            drafts.push(Draft {
                service: vs.service,
                variant,
                quantity: if staff == 2 && !svc.couples { 2 } else { 1 },
                duration: var.duration,
                minutes: var.duration + addons.iter().map(|&a| reference.addons[a].duration).sum::<i64>(),
                addons,
                staff,
            });
        }
        let minutes = drafts.iter().map(|d| d.minutes).max().unwrap_or(60);
        let duration = minutes * MINUTE;
        let female_only = drafts.iter().any(|d| reference.services[d.service].female_only);
        let preferred_gender = if female_only {
            "female"
        } else if attempt > 50 {
            "any"
        } else {
            match (customer_gender, rng.random_range(0..100)) {
                (Gender::Female, 0..40) => "female",
                (Gender::Male, 0..15) => "female",
                (Gender::Male, 15..25) => "male",
                _ => "any",
            }
        };

        // When: a slot on the local quarter-hour grid inside opening hours, or for a visit
        // under way right now, a start shortly before the anchor.
        let now = self.now;
        let start = match window {
            Window::InProgress => {
                let max_back = (minutes - 15) / 15;
                if max_back < 1 {
                    return Ok(false);
                }
                now - rng.random_range(1..=max_back.min(4)) * 15 * MINUTE
            }
            _ => {
                let (first_day, last_day) = match window {
                    Window::Past => (self.today - 90, self.today),
                    Window::Recent => (self.today - 1, self.today),
                    _ => (self.today, self.today + 29),
                };
                let day = rng.random_range(first_day..=last_day);
                let latest = vendor.close - minutes;
                if latest < vendor.open {
                    return Ok(false);
                }
                let minute = vendor.open + rng.random_range(0..=(latest - vendor.open) / 15) * 15;
                let start = instant(day, minute);
                let fits = match window {
                    Window::Past => start < now - 22 * HOUR && start + duration + 15 * MINUTE <= now,
                    Window::Recent => start >= now - 22 * HOUR && start + duration + 15 * MINUTE <= now,
                    _ => start >= now + HOUR,
                };
                if !fits {
                    return Ok(false);
                }
                start
            }
        };
        let end = start + duration;
        let day = local_day(start);
        if window != Window::InProgress && vendor.closed_day == Some(weekday(day)) {
            return Ok(false);
        }

        // Who: therapists trained for the service, of the preferred gender, on shift, not on
        // leave and free (with room to travel before and to turn around after).
        let pad_before = if kind.travels() { 100 * MINUTE } else { 15 * MINUTE };
        let pad_after = 15 * MINUTE;
        let mut staffing: Vec<Vec<usize>> = Vec::new();
        if fate.needs_therapists() {
            let mut taken: Vec<usize> = Vec::new();
            for d in &drafts {
                let mut candidates: Vec<usize> = vendor
                    .therapists
                    .clone()
                    .filter(|&t| {
                        let th = &self.therapists[t];
                        let g = self.users[th.user].gender;
                        !taken.contains(&t)
                            && th.specialization.contains(&d.service)
                            && (preferred_gender == "any" || g.as_str() == preferred_gender)
                            && (window == Window::InProgress
                                || (weekday(day) != th.off_day
                                    && local_minute(start) >= th.shift_start
                                    && local_minute(start) + minutes <= th.shift_end
                                    && !th.leave.as_ref().is_some_and(|l| {
                                        l.status == "approved" && l.start_day <= day && day <= l.end_day
                                    })))
                            && th
                                .busy
                                .iter()
                                .all(|&(s, e)| e <= start - pad_before || s >= end + pad_after)
                    })
                    .collect();
                if candidates.len() < d.staff {
                    return Ok(false);
                }
                let mut team = Vec::with_capacity(d.staff);
                for _ in 0..d.staff {
                    let t = candidates.swap_remove(rng.random_range(0..candidates.len()));
                    team.push(t);
                    taken.push(t);
                }
                staffing.push(team);
            }
        }

        // Committed from here on: every draw below belongs to this booking.
        let customer = &self.customers[c];
        let (address, lat, lon, place, landmark) = match kind {
            BookingKind::Spa => {
                let p = &reference.pincodes[vendor.pincode];
                (
                    None,
                    vendor.lat,
                    vendor.lon,
                    format!("{}, {}, {} {}", vendor.name, vendor.line1, p.area, p.code),
                    None,
                )
            }
            BookingKind::Home => {
                let a = if customer.addresses.len() > 1 && rng.random_bool(0.2) {
                    customer.addresses.start + 1
                } else {
                    customer.addresses.start
                };
                let addr = &self.addresses[a];
                let p = &reference.pincodes[addr.pincode];
                (
                    Some(a),
                    addr.lat,
                    addr.lon,
                    format!(
                        "{}, {}, {} {}",
                        addr.line1, addr.line2, reference.cities[p.city].name, p.code
                    ),
                    Some(addr.landmark),
                )
            }
            BookingKind::Hotel => {
                let p = &reference.pincodes[vendor.pincode];
                let (lat, lon) = jitter(rng, p.lat, p.lon, 3.0);
                (
                    None,
                    lat,
                    lon,
                    format!(
                        "Room {}{:02}, {}, {}",
                        rng.random_range(1..9),
                        rng.random_range(1..40),
                        words::HOTELS.choose(rng).expect("words"),
                        reference.cities[p.city].name
                    ),
                    None,
                )
            }
        };

        let source = match (window, fate, kind, rng.random_range(0..100)) {
            (Window::Past | Window::Recent, Fate::Completed, BookingKind::Spa, 0..5) => "walk_in",
            (_, _, _, 0..8) => "phone",
            (_, _, _, 8..30) => "web",
            _ => "app",
        };

        // The story of the booking, every step at or before the anchor.
        let lead = if source == "walk_in" {
            rng.random_range(5..30) * MINUTE
        } else {
            2 * HOUR + ((-(1.0 - rng.random::<f64>()).ln() * 36.0 * HOUR as f64) as i64).min(18 * DAY)
        };
        let created = match fate {
            Fate::Pending => now - rng.random_range(MINUTE..9 * MINUTE),
            _ if window == Window::Future => (now - rng.random_range(10 * MINUTE..14 * DAY))
                .max(start - 30 * DAY)
                .min(now - 10 * MINUTE),
            _ => start - lead,
        };
        let confirmed_at = fate.is_paid().then(|| {
            if source == "walk_in" {
                created + MINUTE
            } else {
                created + rng.random_range(MINUTE..5 * MINUTE)
            }
        });
        let assigned_at = fate.needs_therapists().then(|| {
            let lo = confirmed_at.expect("paid") + 2 * MINUTE;
            let hi = (start - 45 * MINUTE).min(now).min(lo + 6 * HOUR).max(lo);
            rng.random_range(lo..=hi)
        });
        let cancelled_at = match fate {
            Fate::Unpaid(UnpaidReason::HoldExpired) => Some(created + 10 * MINUTE),
            Fate::Unpaid(UnpaidReason::PaymentFailed) => Some(created + 4 * MINUTE),
            Fate::Unpaid(UnpaidReason::ChangedMind) => Some((created + rng.random_range(2..9) * MINUTE).min(now)),
            Fate::Refunded { by_vendor } => {
                let lo = confirmed_at.expect("paid") + MINUTE;
                let hi = if by_vendor {
                    (start - 2 * HOUR).min(now - MINUTE)
                } else {
                    (start - 24 * HOUR).min(now - MINUTE)
                };
                Some(if hi > lo { rng.random_range(lo..=hi) } else { lo })
            }
            Fate::NoShow => Some(start + 30 * MINUTE),
            _ => None,
        };

        let item_start = self.items.len();
        let assignment_start = self.assignments.len();
        let mut started_at: Option<i64> = None;
        let mut completed_at: Option<i64> = None;
        for (i, d) in drafts.into_iter().enumerate() {
            let item_index = self.items.len();
            let item_minutes = d.minutes;
            self.items.push(Item {
                id: self.ids.get(Kind::Item, item_index as u64),
                service: d.service,
                variant: d.variant,
                // Priced below with the rest of the booking.
                price: 0,
                quantity: d.quantity,
                addons: d.addons,
                addon_amount: 0,
                duration: d.duration,
                minutes: d.minutes,
            });
            let Some(team) = staffing.get(i) else { continue };
            for &t in team {
                let a_index = self.assignments.len();
                let th = &self.therapists[t];
                let assigned = assigned_at.expect("therapists are assigned");
                let acknowledged_at = match fate {
                    Fate::Assigned { acknowledged: false } => None,
                    _ => Some(
                        (assigned + rng.random_range(MINUTE..20 * MINUTE))
                            .min(now)
                            .min(start - 30 * MINUTE)
                            .max(assigned),
                    ),
                };
                let km = if kind.travels() {
                    distance_km(th.home_lat, th.home_lon, lat, lon) * 1.35
                } else {
                    0.0
                };
                let travel_minutes = if kind.travels() {
                    ((km / 18.0 * 60.0) as i64 + 5).clamp(10, 90)
                } else {
                    0
                };
                let on_the_way = kind.travels() && matches!(fate, Fate::InProgress | Fate::Completed | Fate::NoShow);
                let transit_at = on_the_way.then(|| {
                    (start - (travel_minutes + 10) * MINUTE).max(acknowledged_at.unwrap_or(assigned) + MINUTE)
                });
                let reached_at = on_the_way.then(|| start - rng.random_range(2..10) * MINUTE);
                let actual_start = matches!(fate, Fate::InProgress | Fate::Completed)
                    .then(|| (start + rng.random_range(0..5) * MINUTE).min(now));
                let actual_end = (fate == Fate::Completed).then(|| {
                    let s = actual_start.expect("started");
                    s + item_minutes * MINUTE + rng.random_range(-2..4) * MINUTE
                });
                started_at = match (started_at, actual_start) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                completed_at = match (completed_at, actual_end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                self.assignments.push(Assignment {
                    id: self.ids.get(Kind::Assignment, a_index as u64),
                    therapist: t,
                    item: item_index,
                    start,
                    end: start + item_minutes * MINUTE,
                    acknowledged_at,
                    transit_at,
                    reached_at,
                    actual_start,
                    actual_end,
                    travel_minutes,
                    distance: if on_the_way { (km * 100.0) as i64 } else { 0 },
                    rating: None,
                });
                let th = &mut self.therapists[t];
                th.busy.push((start - pad_before, end + pad_after));
                if fate == Fate::Completed {
                    th.completed += 1;
                }
                if fate == Fate::InProgress {
                    th.in_progress = true;
                }
            }
        }
        let items = item_start..self.items.len();
        let assignments = assignment_start..self.assignments.len();

        // Money, priced by the booking core as the booking service prices a request: the
        // variants' and add-ons' catalogue prices, now and then a goodwill offer, GST at the
        // rate in force when the booking was made, the platform fee for online bookings.
        let goodwill = rng.random_bool(0.12);
        let fee = if matches!(source, "phone" | "walk_in") {
            0
        } else {
            reference.convenience_fee
        };
        let vendor_id = self.users[self.vendors[v].user].id;
        let quote = self.pricing.quote(
            reference,
            &self.items[items.clone()],
            vendor_id,
            created,
            start,
            fee,
            goodwill,
        )?;
        for (item, priced) in self.items[items.clone()].iter_mut().zip(&quote.items) {
            item.price = priced.price.get();
            item.addon_amount = priced.addon_amount.get();
        }
        let subtotal = quote.subtotal.get();
        let discount = quote.discount_amount.get();
        let tax_rate = i64::from(quote.tax_rate_bps.get());
        let tax = quote.tax_amount.get();
        let total = quote.total_amount.get();

        let method = match rng.random_range(0..100) {
            0..55 => "upi",
            55..70 => "credit_card",
            70..82 => "debit_card",
            82..90 => "net_banking",
            _ => "wallet",
        };
        let gateway = self.pick_gateway(rng, method);
        let method = if gateway.is_none() { "cash" } else { method };
        let payment = confirmed_at.map(|paid| Payment {
            id: self.ids.get(Kind::Payment, index * 2),
            method,
            gateway,
            created: created + 30,
            paid_at: Some(paid),
            failure: None,
        });
        let failed_payment = (fate == Fate::Unpaid(UnpaidReason::PaymentFailed)).then(|| Payment {
            id: self.ids.get(Kind::Payment, index * 2 + 1),
            method,
            gateway,
            created: created + 30,
            paid_at: None,
            failure: Some(*words::PAYMENT_FAILURES.choose(rng).expect("words")),
        });
        let refund = matches!(fate, Fate::Refunded { .. }).then(|| {
            let at = cancelled_at.expect("cancelled");
            let approved = (at + rng.random_range(MINUTE..30 * MINUTE)).min(now);
            let processed = (at + rng.random_range(HOUR..72 * HOUR)).min(now).max(approved);
            Refund {
                id: self.ids.get(Kind::Refund, index),
                created: at,
                approved,
                processed,
            }
        });

        let review = shape.reviewed.then(|| {
            let done = completed_at.expect("completed");
            let at = (done + rng.random_range(HOUR..72 * HOUR)).min(now);
            let overall = match rng.random_range(0..100) {
                0..50 => 5,
                50..80 => 4,
                80..92 => 3,
                92..97 => 2,
                _ => 1,
            };
            let mut details = [0; 4];
            for d in &mut details {
                *d = (overall + rng.random_range(-1..=1)).clamp(1, 5);
            }
            let status = match rng.random_range(0..100) {
                0..90 => "approved",
                90..97 => "pending",
                _ => "rejected",
            };
            let moderated_at = (status != "pending").then(|| (at + rng.random_range(HOUR..24 * HOUR)).min(now));
            let vendor_response = (status == "approved" && rng.random_bool(0.2))
                .then(|| (moderated_at.unwrap_or(at) + rng.random_range(HOUR..48 * HOUR)).min(now));
            Review {
                id: self.ids.get(Kind::Review, index),
                at,
                overall,
                details,
                status,
                moderated_at,
                title: words::REVIEW_TITLES[(overall - 1) as usize].choose(rng).expect("words"),
                text: words::REVIEW_TEXTS[(overall - 1) as usize].choose(rng).expect("words"),
                recommend: overall >= 4,
                vendor_response,
                helpful: if rng.random_bool(0.3) {
                    rng.random_range(1..25)
                } else {
                    0
                },
            }
        });
        if let Some(r) = &review {
            for a in assignments.clone() {
                self.assignments[a].rating = Some(r.overall);
            }
            if r.status == "approved" {
                self.vendors[v].rating_sum += r.overall;
                self.vendors[v].rating_count += 1;
                if !assignments.is_empty() {
                    let t = self.assignments[assignments.start].therapist;
                    self.therapists[t].rating_sum += r.overall;
                    self.therapists[t].rating_count += 1;
                }
            }
        }

        let instructions = rng
            .random_bool(0.1)
            .then(|| *words::SPECIAL_INSTRUCTIONS.choose(rng).expect("words"));
        let search_term = *words::SEARCH_TERMS.choose(rng).expect("words");
        self.bookings.push(Booking {
            id: self.ids.get(Kind::Booking, index),
            number: String::new(),
            customer: c,
            vendor: v,
            kind,
            source,
            address,
            lat,
            lon,
            place,
            landmark,
            start,
            end,
            created,
            fate,
            confirmed_at,
            assigned_at,
            started_at,
            completed_at,
            cancelled_at,
            preferred_gender,
            instructions,
            subtotal,
            discount,
            tax_rate,
            tax,
            fee,
            total,
            payment,
            failed_payment,
            refund,
            items,
            assignments,
            review,
            search_term,
        });
        Ok(true)
    }

    fn pick_gateway(&self, rng: &mut ChaCha8Rng, method: &str) -> Option<usize> {
        let gateways = &self.reference.gateways;
        if gateways.is_empty() {
            return None;
        }
        let card = method.ends_with("_card");
        let roll = rng.random_range(0..100);
        let wanted = match (card, roll) {
            (true, 0..75) | (false, 0..85) => "razorpay",
            (true, 75..90) => "stripe",
            (_, 85..95) | (true, _) => "cashfree",
            _ => "paytm",
        };
        Some(gateways.iter().position(|g| g.code == wanted).unwrap_or(0))
    }

    fn finish(mut self) -> World {
        let now = self.now;
        // Numbered in the order they were made, as the sequence would have numbered them.
        self.bookings.sort_by_key(|b| (b.created, b.id));
        for (i, b) in self.bookings.iter_mut().enumerate() {
            b.number = format!(
                "OBO-{}-{}",
                super::copy::compact_date(local_day(b.created)),
                90_000_000 + i as u64
            );
        }

        let mut loyalty_source: Vec<(usize, i64, usize)> = Vec::new();
        let mut trails = Vec::new();
        for (i, b) in self.bookings.iter().enumerate() {
            if b.fate == Fate::Completed {
                let c = &mut self.customers[b.customer];
                c.completed += 1;
                c.spent += b.total;
                loyalty_source.push((b.customer, b.completed_at.expect("completed"), i));
            }
            if b.kind.travels() && b.start >= now - 22 * HOUR {
                for a in b.assignments.clone() {
                    if self.assignments[a].transit_at.is_some() {
                        trails.push((i, a));
                    }
                }
            }
        }
        // One point per ₹100 of completed bookings, in the order they were earned.
        loyalty_source.sort_unstable();
        let mut loyalty = Vec::with_capacity(loyalty_source.len());
        let mut balance = 0;
        let mut last_customer = usize::MAX;
        for (customer, at, booking) in loyalty_source {
            if customer != last_customer {
                balance = 0;
                last_customer = customer;
            }
            let points = (self.bookings[booking].total / 10_000).max(1);
            balance += points;
            loyalty.push(LoyaltyEntry {
                customer,
                booking,
                points,
                balance_after: balance,
                at,
            });
            self.customers[customer].points = balance;
        }
        let first_event_at = self
            .customers
            .iter()
            .map(|c| self.users[c.user].created)
            .chain(self.bookings.iter().map(|b| b.created - HOUR))
            .min()
            .unwrap_or(now);
        World {
            plan: self.plan,
            reference: self.reference.clone(),
            ids: self.ids,
            users: self.users,
            customers: self.customers,
            addresses: self.addresses,
            vendors: self.vendors,
            therapists: self.therapists,
            bookings: self.bookings,
            items: self.items,
            assignments: self.assignments,
            loyalty,
            trails,
            first_event_at,
        }
    }
}

impl World {
    /// Membership tier earned by a customer's spend.
    pub fn tier_of(&self, customer: &Customer) -> &str {
        self.reference
            .tiers
            .iter()
            .rev()
            .find(|(_, min)| customer.spent >= *min)
            .map(|(code, _)| code.as_str())
            .unwrap_or("silver")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_round_trips() {
        let t = instant(20_000, 9 * 60 + 30);
        assert_eq!(local_day(t), 20_000);
        assert_eq!(local_minute(t), 570);
        // 1970-01-04 was a Sunday.
        assert_eq!(weekday(3), 0);
    }

    #[test]
    fn ids_are_random_access_and_distinct() {
        let ids = Ids::new(42);
        let a = ids.get(Kind::Booking, 7);
        assert_eq!(a, Ids::new(42).get(Kind::Booking, 7));
        assert_ne!(a, ids.get(Kind::Booking, 8));
        assert_ne!(a, ids.get(Kind::Item, 7));
        assert_ne!(a, Ids::new(43).get(Kind::Booking, 7));
        assert_eq!(a.get_version_num(), 4);
    }

    #[test]
    fn base36_is_fixed_width() {
        assert_eq!(base36(0, 4), "0000");
        assert_eq!(base36(35, 4), "000Z");
        assert_eq!(base36(36, 4), "0010");
    }
}
