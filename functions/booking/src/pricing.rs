//! Booking prices.
//!
//! [`quote`] turns catalogue rows (services, variants, add-ons, packages, pricing tiers, a
//! promotion or coupon, GST rates, the convenience fee) plus the customer's choices into an
//! itemised [`Quote`]. The client never sends a price: the service loads every amount here
//! from the database, so what is charged is what the catalogue says.
//!
//! The order of operations, per item:
//! 1. list price: the chosen variant's price, or `base_price_60min * minutes / 60`;
//! 2. package: if the item belongs to the chosen package, list prices of the package's items
//!    are scaled pro rata so they add up to `package_price` (the saving is its own line);
//! 3. pricing tiers that match, in ascending `priority` (ties by `code`), each applied to the
//!    price left by the previous one: multipliers compound, flat amounts add, and the price
//!    never goes below zero;
//! 4. the unit price times the quantity, plus the add-ons (once per item, as
//!    `booking_items.subtotal = price * quantity + addon_amount`).
//!
//! Then, for the booking: one promotion or coupon on the subtotal of the items it applies to
//! (capped), GST at the rate in force when the booking was made on `subtotal - discount`, and
//! the flat convenience fee (GST is not added to it here: the fee is configured inclusive).
//! Every scaling rounds half up to the paisa (see [`crate::money`]).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::money::{Bps, Overflow, Paise};
use crate::types::{day_of_week, default_timezone, Id, LocalTime};

/// Guests one item may be booked for (`booking_items.quantity`).
const MAX_QUANTITY: u32 = 20;

// ---------------------------------------------------------------------------------------
// Input

/// Everything a price depends on. Built by the service from database rows and the request.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    /// When the quote is made: promotion and coupon windows are checked at this instant.
    pub now: DateTime<Utc>,
    /// When the booking was first made, for a booking that already exists (re-quote after a
    /// reschedule). GST is taken at this instant, so a booking keeps the rate in force when it
    /// was made. Defaults to `now`.
    #[serde(default)]
    pub booked_at: Option<DateTime<Utc>>,
    /// Scheduled start: weekend, peak-hour and festival tiers read its local day and time.
    pub start: DateTime<Utc>,
    pub vendor: PricingVendor,
    /// The customer asking, for personal coupons.
    #[serde(default)]
    pub customer_id: Option<Id>,
    pub items: Vec<ItemChoice>,
    #[serde(default)]
    pub package: Option<Package>,
    /// Active tiers that may apply (the service may pass more; non-matching ones are ignored).
    #[serde(default)]
    pub tiers: Vec<PricingTier>,
    /// The promotion the customer entered, directly or through one of its coupon codes.
    #[serde(default)]
    pub promotion: Option<Promotion>,
    /// `system_settings` rows for `gst_rate`, any order.
    pub tax_rates: Vec<TaxRate>,
    /// `system_settings.convenience_fee` in force.
    pub convenience_fee: Paise,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingVendor {
    pub id: Id,
    #[serde(default = "default_timezone")]
    pub timezone: Tz,
    /// `cities.tier` of the vendor's city (1 metro .. 3), if known.
    #[serde(default)]
    pub city_tier: Option<u8>,
}

/// One booked service with its options (a future `booking_items` row).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemChoice {
    pub service: Service,
    /// One of `service.variants`; without it the price scales from `base_price_60min`.
    #[serde(default)]
    pub variant_id: Option<Id>,
    pub duration_minutes: u32,
    #[serde(default = "one")]
    pub quantity: u32,
    /// Add-ons chosen for this item, as catalogue rows.
    #[serde(default)]
    pub addons: Vec<Addon>,
}

fn one() -> u32 {
    1
}

/// A `services` row with its active `service_variants`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: Id,
    pub code: String,
    pub name: String,
    /// The service's `category_id` and its ancestors, so a promotion limited to a parent
    /// category reaches its sub-categories.
    #[serde(default)]
    pub category_ids: Vec<Id>,
    pub base_price_60min: Paise,
    /// `services.duration_options`; null means 60 minutes or a variant's duration.
    #[serde(default)]
    pub duration_options: Option<Vec<u32>>,
    #[serde(default)]
    pub variants: Vec<Variant>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: Id,
    pub name: String,
    pub duration_minutes: u32,
    pub price: Paise,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Addon {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub price: Paise,
    /// Extra minutes the add-on adds to the session.
    #[serde(default)]
    pub duration: u32,
}

/// A `service_packages` row.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub service_ids: Vec<Id>,
    pub package_price: Paise,
    /// First and last local dates (inclusive) the bundle can be booked for.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierType {
    Weekend,
    PeakHour,
    CityTier,
    Festival,
    VendorPremium,
}

/// A `service_pricing_tiers` row. Every condition present must hold for it to apply.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingTier {
    pub code: String,
    pub name: String,
    pub tier_type: TierType,
    #[serde(default)]
    pub service_id: Option<Id>,
    #[serde(default)]
    pub vendor_id: Option<Id>,
    /// Local days, 0 = Sunday.
    #[serde(default)]
    pub days_of_week: Option<Vec<u8>>,
    /// Local time-of-day window of the start, `[start_time, end_time)`.
    #[serde(default)]
    pub start_time: Option<LocalTime>,
    #[serde(default)]
    pub end_time: Option<LocalTime>,
    #[serde(default)]
    pub city_tier: Option<u8>,
    /// Local dates of the start, both inclusive (festival pricing).
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Exactly one of `multiplier_bps` and `flat_adjustment`, as in the table.
    #[serde(default)]
    pub multiplier_bps: Option<Bps>,
    #[serde(default)]
    pub flat_adjustment: Option<Paise>,
    #[serde(default = "default_priority")]
    pub priority: i32,
    #[serde(default = "yes")]
    pub is_active: bool,
}

fn default_priority() -> i32 {
    100
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionType {
    /// `discount_value` in basis points of the eligible amount.
    Percentage,
    /// `discount_value` in paise.
    FixedAmount,
    /// The free item is already a zero-priced line; not priced here.
    FreeService,
    FreeAddon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromotionStatus {
    Active,
    Inactive,
    Expired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponStatus {
    Active,
    Redeemed,
    Expired,
    Disabled,
}

/// A `promotions` row, the customer's use of it so far, and the coupon code entered if any.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    pub id: Id,
    pub code: String,
    #[serde(rename = "type")]
    pub kind: PromotionType,
    pub discount_value: i64,
    #[serde(default)]
    pub min_booking_amount: Paise,
    #[serde(default)]
    pub max_discount_amount: Option<Paise>,
    #[serde(default)]
    pub applicable_services: Vec<Id>,
    #[serde(default)]
    pub applicable_vendors: Vec<Id>,
    #[serde(default)]
    pub applicable_categories: Vec<Id>,
    #[serde(default)]
    pub usage_limit_per_customer: Option<u32>,
    #[serde(default)]
    pub total_usage_limit: Option<u32>,
    #[serde(default)]
    pub current_usage_count: u32,
    /// This customer's redemptions of the promotion so far.
    #[serde(default)]
    pub customer_usage_count: u32,
    #[serde(default)]
    pub first_booking_only: bool,
    /// This customer's earlier bookings that count against `first_booking_only`.
    #[serde(default)]
    pub customer_booking_count: u32,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub status: PromotionStatus,
    #[serde(default)]
    pub coupon: Option<Coupon>,
}

/// A `coupon_codes` row of the promotion.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub id: Id,
    pub code: String,
    #[serde(default)]
    pub customer_id: Option<Id>,
    pub max_uses: u32,
    #[serde(default)]
    pub times_used: u32,
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub valid_to: Option<DateTime<Utc>>,
    pub status: CouponStatus,
}

/// One effective-dated GST rate. `effective_from: null` means since always (`-infinity`).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxRate {
    pub rate_bps: Bps,
    #[serde(default)]
    pub effective_from: Option<DateTime<Utc>>,
}

// ---------------------------------------------------------------------------------------
// Output

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Service,
    PackageSaving,
    Tier,
    Addon,
    Discount,
    Tax,
    ConvenienceFee,
}

/// One row of the breakdown shown to the customer. Lines add up to `total_amount`; the
/// lines before the discount add up to `subtotal`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuoteLine {
    pub kind: LineKind,
    pub label: String,
    pub amount: Paise,
    /// Index into `Quote::items` for lines that belong to one item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
}

/// A priced item, shaped like a `booking_items` row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuotedItem {
    pub service_id: Id,
    pub variant_id: Option<Id>,
    pub package_id: Option<Id>,
    pub service_name: String,
    /// Treatment minutes, without add-ons.
    pub duration: u32,
    /// Unit price after package and tiers, before GST.
    pub price: Paise,
    pub quantity: u32,
    pub addon_services: Vec<Addon>,
    pub addon_amount: Paise,
    /// `price * quantity + addon_amount`.
    pub subtotal: Paise,
    /// Treatment plus add-on minutes: the length of the slot to look for.
    pub session_minutes: u32,
}

/// The priced booking, shaped like the money columns of `bookings`:
/// `total_amount = subtotal - discount_amount + tax_amount + convenience_fee`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub items: Vec<QuotedItem>,
    pub subtotal: Paise,
    pub discount_amount: Paise,
    pub tax_rate_bps: Bps,
    pub tax_amount: Paise,
    pub convenience_fee: Paise,
    pub total_amount: Paise,
    pub promotion_id: Option<Id>,
    pub coupon_code_id: Option<Id>,
}

/// Why no quote can be given. `code()` is stable and goes to clients as-is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{service} is not offered for {minutes} minutes")]
    DurationNotOffered { service: String, minutes: u32 },
    #[error("variant {0} is not a variant of this service")]
    VariantNotFound(Id),
    #[error("package {0} needs all of its services in the booking")]
    PackageIncomplete(String),
    #[error("package {0} cannot be booked for that date")]
    PackageNotValid(String),
    #[error("promotion {0} is not active")]
    PromotionInactive(String),
    #[error("promotion {0} has not started yet")]
    PromotionNotStarted(String),
    #[error("promotion {0} has expired")]
    PromotionExpired(String),
    #[error("promotion {0} has been used up")]
    PromotionExhausted(String),
    #[error("promotion {0} was already used the maximum number of times by this customer")]
    CustomerLimitReached(String),
    #[error("promotion {0} is for first bookings only")]
    FirstBookingOnly(String),
    #[error("coupon {0} belongs to another customer")]
    CouponNotOwned(String),
    #[error("promotion needs a booking of at least {minimum}, this one is {subtotal}")]
    MinimumNotMet { minimum: Paise, subtotal: Paise },
    #[error("promotion {0} does not apply to this booking")]
    NotApplicable(String),
    #[error("promotion {0} is not a price discount")]
    UnsupportedPromotion(String),
    #[error("no GST rate is in force at {0}")]
    TaxRateMissing(DateTime<Utc>),
    #[error("amount out of range")]
    AmountOutOfRange,
    #[error("the session is too long: its minutes do not add up to a length")]
    SessionTooLong,
}

impl PricingError {
    pub fn code(&self) -> &'static str {
        match self {
            PricingError::InvalidInput(_) => "invalid_input",
            PricingError::DurationNotOffered { .. } => "duration_not_offered",
            PricingError::VariantNotFound(_) => "variant_not_found",
            PricingError::PackageIncomplete(_) => "package_incomplete",
            PricingError::PackageNotValid(_) => "package_not_valid",
            PricingError::PromotionInactive(_) => "promotion_inactive",
            PricingError::PromotionNotStarted(_) => "promotion_not_started",
            PricingError::PromotionExpired(_) => "promotion_expired",
            PricingError::PromotionExhausted(_) => "promotion_exhausted",
            PricingError::CustomerLimitReached(_) => "customer_limit_reached",
            PricingError::FirstBookingOnly(_) => "first_booking_only",
            PricingError::CouponNotOwned(_) => "coupon_not_owned",
            PricingError::MinimumNotMet { .. } => "minimum_not_met",
            PricingError::NotApplicable(_) => "not_applicable",
            PricingError::UnsupportedPromotion(_) => "unsupported_promotion",
            PricingError::TaxRateMissing(_) => "tax_rate_missing",
            PricingError::AmountOutOfRange => "amount_out_of_range",
            PricingError::SessionTooLong => "session_too_long",
        }
    }
}

impl From<Overflow> for PricingError {
    fn from(_: Overflow) -> Self {
        PricingError::AmountOutOfRange
    }
}

fn invalid(message: impl Into<String>) -> PricingError {
    PricingError::InvalidInput(message.into())
}

// ---------------------------------------------------------------------------------------
// Quote

/// Prices a booking. Pure: the same input always gives the same quote.
pub fn quote(input: &QuoteInput) -> Result<Quote, PricingError> {
    check_input(input)?;
    let tz = input.vendor.timezone;
    let local_start = input.start.with_timezone(&tz).naive_local();
    let local_date = local_start.date();
    let local_time = LocalTime::of(local_start.time());

    // 1. list unit prices.
    let mut units = Vec::with_capacity(input.items.len());
    let mut variants = Vec::with_capacity(input.items.len());
    for item in &input.items {
        let (price, variant) = list_price(item)?;
        units.push(price);
        variants.push(variant);
    }

    // 2. package pro rata.
    let package_members = match &input.package {
        Some(package) => package_members(package, input, local_date)?,
        None => BTreeSet::new(),
    };
    let mut package_units = units.clone();
    if let Some(package) = &input.package {
        prorate(&mut package_units, &package_members, package.package_price)?;
    }

    let mut tiers: Vec<&PricingTier> = input.tiers.iter().filter(|t| t.is_active).collect();
    tiers.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.code.cmp(&b.code)));

    let mut lines = Vec::new();
    let mut items = Vec::with_capacity(input.items.len());
    for (index, item) in input.items.iter().enumerate() {
        let quantity = i64::from(item.quantity);
        let variant = variants[index];
        let duration_label = match variant {
            Some(v) => format!("{} – {}", item.service.name, v.name),
            None => format!("{} ({} min)", item.service.name, item.duration_minutes),
        };
        let label = if item.quantity > 1 {
            format!("{duration_label} × {}", item.quantity)
        } else {
            duration_label
        };
        lines.push(line(
            LineKind::Service,
            label,
            units[index].checked_mul(quantity)?,
            Some(index),
        ));

        let saving = package_units[index].checked_sub(units[index])?;
        if saving != Paise::ZERO {
            let name = input.package.as_ref().map(|p| p.name.as_str()).unwrap_or_default();
            lines.push(line(
                LineKind::PackageSaving,
                format!("{name} package saving"),
                saving.checked_mul(quantity)?,
                Some(index),
            ));
        }

        // 3. tiers, in order, each on the price the previous one left.
        let mut unit = package_units[index];
        for tier in tiers
            .iter()
            .filter(|t| tier_matches(t, item, input, local_date, local_time))
        {
            let adjusted = match (tier.multiplier_bps, tier.flat_adjustment) {
                (Some(bps), _) => unit.percent_of(bps)?,
                (None, Some(flat)) => unit.checked_add(flat)?,
                (None, None) => unit,
            }
            .max(Paise::ZERO);
            let delta = adjusted.checked_sub(unit)?;
            unit = adjusted;
            if delta != Paise::ZERO {
                lines.push(line(
                    LineKind::Tier,
                    tier.name.clone(),
                    delta.checked_mul(quantity)?,
                    Some(index),
                ));
            }
        }

        // 4. add-ons.
        for addon in &item.addons {
            lines.push(line(LineKind::Addon, addon.name.clone(), addon.price, Some(index)));
        }
        let addon_amount = Paise::checked_sum(item.addons.iter().map(|a| a.price))?;
        let subtotal = unit.checked_mul(quantity)?.checked_add(addon_amount)?;
        items.push(QuotedItem {
            service_id: item.service.id.clone(),
            variant_id: variant.map(|v| v.id.clone()),
            package_id: input
                .package
                .as_ref()
                .filter(|_| package_members.contains(&index))
                .map(|p| p.id.clone()),
            service_name: item.service.name.clone(),
            duration: item.duration_minutes,
            price: unit,
            quantity: item.quantity,
            addon_services: item.addons.clone(),
            addon_amount,
            subtotal,
            session_minutes: session_minutes(item)?,
        });
    }
    let subtotal = Paise::checked_sum(items.iter().map(|i| i.subtotal))?;

    // Promotion or coupon.
    let mut discount_amount = Paise::ZERO;
    if let Some(promotion) = &input.promotion {
        discount_amount = promotion_discount(promotion, input, &items, subtotal)?;
        if discount_amount != Paise::ZERO {
            let label = match &promotion.coupon {
                Some(coupon) => format!("Coupon {}", coupon.code),
                None => format!("Offer {}", promotion.code),
            };
            lines.push(line(LineKind::Discount, label, discount_amount.checked_neg()?, None));
        }
    }

    // GST at the rate in force when the booking was made.
    let tax_rate_bps = tax_rate_at(&input.tax_rates, input.booked_at.unwrap_or(input.now))?;
    let taxable = subtotal.checked_sub(discount_amount)?;
    let tax_amount = taxable.percent_of(tax_rate_bps)?;
    lines.push(line(LineKind::Tax, format!("GST {tax_rate_bps}"), tax_amount, None));

    let convenience_fee = input.convenience_fee;
    if convenience_fee != Paise::ZERO {
        lines.push(line(
            LineKind::ConvenienceFee,
            "Convenience fee".into(),
            convenience_fee,
            None,
        ));
    }

    let total_amount = taxable.checked_add(tax_amount)?.checked_add(convenience_fee)?;
    Ok(Quote {
        lines,
        items,
        subtotal,
        discount_amount,
        tax_rate_bps,
        tax_amount,
        convenience_fee,
        total_amount,
        promotion_id: input.promotion.as_ref().map(|p| p.id.clone()),
        coupon_code_id: input
            .promotion
            .as_ref()
            .and_then(|p| p.coupon.as_ref())
            .map(|c| c.id.clone()),
    })
}

fn line(kind: LineKind, label: String, amount: Paise, item: Option<usize>) -> QuoteLine {
    QuoteLine {
        kind,
        label,
        amount,
        item,
    }
}

/// Shape checks the database would also refuse, so a bad row is a clear 4xx, not a bad price.
fn check_input(input: &QuoteInput) -> Result<(), PricingError> {
    if input.items.is_empty() {
        return Err(invalid("a booking needs at least one service"));
    }
    if input.convenience_fee.is_negative() {
        return Err(invalid("convenience_fee must not be negative"));
    }
    if input.vendor.city_tier.is_some_and(|t| !(1..=3).contains(&t)) {
        return Err(invalid("vendor.city_tier must be 1, 2 or 3"));
    }
    for item in &input.items {
        let service = &item.service;
        if service.base_price_60min.is_negative() {
            return Err(invalid(format!(
                "{}: base_price_60min must not be negative",
                service.code
            )));
        }
        if item.duration_minutes == 0 {
            return Err(invalid("duration_minutes must be positive"));
        }
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(invalid(format!("quantity must be between 1 and {MAX_QUANTITY}")));
        }
        if service.variants.iter().any(|v| v.price.is_negative()) {
            return Err(invalid(format!(
                "{}: variant prices must not be negative",
                service.code
            )));
        }
        if item.addons.iter().any(|a| a.price.is_negative()) {
            return Err(invalid("add-on prices must not be negative"));
        }
    }
    if let Some(package) = &input.package {
        if package.package_price.is_negative() || package.service_ids.is_empty() {
            return Err(invalid(format!("package {} is malformed", package.code)));
        }
    }
    for tier in &input.tiers {
        if tier.multiplier_bps.is_some() == tier.flat_adjustment.is_some() {
            return Err(invalid(format!(
                "tier {}: exactly one of multiplier_bps and flat_adjustment",
                tier.code
            )));
        }
        if tier.multiplier_bps.is_some_and(|m| m.get() == 0 || m.get() > 100_000) {
            return Err(invalid(format!(
                "tier {}: multiplier_bps must be 1..=100000",
                tier.code
            )));
        }
        match (tier.start_time, tier.end_time) {
            (None, None) => {}
            (Some(s), Some(e)) if e > s => {}
            _ => {
                return Err(invalid(format!(
                    "tier {}: time window must have start < end",
                    tier.code
                )))
            }
        }
        if tier.days_of_week.as_ref().is_some_and(|d| d.iter().any(|&d| d > 6)) {
            return Err(invalid(format!("tier {}: days_of_week are 0..=6", tier.code)));
        }
    }
    for rate in &input.tax_rates {
        if rate.rate_bps > Bps::WHOLE {
            return Err(invalid("tax rate above 100 %"));
        }
    }
    if let Some(promotion) = &input.promotion {
        let ok = match promotion.kind {
            PromotionType::Percentage => (1..=10_000).contains(&promotion.discount_value),
            PromotionType::FixedAmount => promotion.discount_value > 0,
            PromotionType::FreeService | PromotionType::FreeAddon => true,
        };
        if !ok
            || promotion.min_booking_amount.is_negative()
            || promotion.max_discount_amount.is_some_and(|m| m.is_negative())
        {
            return Err(invalid(format!("promotion {} is malformed", promotion.code)));
        }
    }
    Ok(())
}

/// The treatment minutes a customer asks for: the duration given, else the chosen variant's,
/// else 60. Whether the service offers that length is [`session_minutes`]'s question.
pub fn requested_minutes(service: &Service, variant_id: Option<&Id>, duration_minutes: Option<u32>) -> u32 {
    duration_minutes
        .or_else(|| {
            let id = variant_id?;
            service
                .variants
                .iter()
                .find(|v| &v.id == id)
                .map(|v| v.duration_minutes)
        })
        .unwrap_or(60)
}

/// The length of an item's session: its treatment plus its add-ons, once the treatment
/// length is one the service offers (a variant offers exactly its own length). Never wraps:
/// minutes that do not add up are [`PricingError::SessionTooLong`].
pub fn session_minutes(item: &ItemChoice) -> Result<u32, PricingError> {
    offered_variant(item)?;
    item.addons
        .iter()
        .try_fold(item.duration_minutes, |minutes, a| minutes.checked_add(a.duration))
        .ok_or(PricingError::SessionTooLong)
}

/// The variant an item names, once its duration is checked against what the service (or the
/// variant) offers.
fn offered_variant(item: &ItemChoice) -> Result<Option<&Variant>, PricingError> {
    let service = &item.service;
    let minutes = item.duration_minutes;
    let not_offered = || PricingError::DurationNotOffered {
        service: service.code.clone(),
        minutes,
    };
    let variant = match &item.variant_id {
        Some(id) => {
            let variant = service
                .variants
                .iter()
                .find(|v| &v.id == id)
                .ok_or_else(|| PricingError::VariantNotFound(id.clone()))?;
            if variant.duration_minutes != minutes {
                return Err(not_offered());
            }
            Some(variant)
        }
        None => None,
    };
    let offered = match &service.duration_options {
        Some(options) if !options.is_empty() => options.contains(&minutes),
        // No list: 60 minutes from the base price, or exactly a variant's length.
        _ => minutes == 60 || variant.is_some(),
    };
    if !offered {
        return Err(not_offered());
    }
    Ok(variant)
}

/// The catalogue unit price of an item for its chosen duration, and the variant used.
fn list_price(item: &ItemChoice) -> Result<(Paise, Option<&Variant>), PricingError> {
    let service = &item.service;
    let minutes = item.duration_minutes;
    let variant = offered_variant(item)?;
    let price = match variant {
        Some(v) => v.price,
        // Linear in time: 90 minutes costs 1.5 x the 60-minute reference.
        None => service.base_price_60min.scale(i64::from(minutes), 60)?,
    };
    Ok((price, variant))
}

/// Indexes of the items the package covers (the first item of each of its services).
fn package_members(package: &Package, input: &QuoteInput, date: NaiveDate) -> Result<BTreeSet<usize>, PricingError> {
    if package.valid_from.is_some_and(|from| date < from) || package.valid_to.is_some_and(|to| date > to) {
        return Err(PricingError::PackageNotValid(package.code.clone()));
    }
    let mut members = BTreeSet::new();
    for service_id in &package.service_ids {
        let index = input
            .items
            .iter()
            .enumerate()
            .find(|(i, item)| &item.service.id == service_id && !members.contains(i))
            .map(|(i, _)| i)
            .ok_or_else(|| PricingError::PackageIncomplete(package.code.clone()))?;
        members.insert(index);
    }
    Ok(members)
}

/// Scales the member unit prices so they sum to `total`, keeping their proportions; the
/// rounding remainder goes to the last member so the sum is exact. Never raises a price.
fn prorate(units: &mut [Paise], members: &BTreeSet<usize>, total: Paise) -> Result<(), PricingError> {
    let list_sum = Paise::checked_sum(members.iter().map(|&i| units[i]))?;
    if list_sum <= total || list_sum == Paise::ZERO {
        return Ok(());
    }
    let mut allocated = Paise::ZERO;
    let last = members.iter().next_back().copied();
    for &i in members {
        let share = if Some(i) == last {
            total.checked_sub(allocated)?
        } else {
            units[i].scale(total.get(), list_sum.get())?
        };
        allocated = allocated.checked_add(share)?;
        units[i] = share;
    }
    Ok(())
}

fn tier_matches(tier: &PricingTier, item: &ItemChoice, input: &QuoteInput, date: NaiveDate, time: LocalTime) -> bool {
    tier.service_id.as_ref().is_none_or(|id| *id == item.service.id)
        && tier.vendor_id.as_ref().is_none_or(|id| *id == input.vendor.id)
        && tier
            .days_of_week
            .as_ref()
            .is_none_or(|days| days.contains(&day_of_week(date)))
        && match (tier.start_time, tier.end_time) {
            (Some(start), Some(end)) => start <= time && time < end,
            _ => true,
        }
        && tier.city_tier.is_none_or(|t| input.vendor.city_tier == Some(t))
        && tier.valid_from.is_none_or(|from| date >= from)
        && tier.valid_to.is_none_or(|to| date <= to)
}

/// Checks the promotion (and coupon) at `now` and returns the discount it gives.
fn promotion_discount(
    promotion: &Promotion,
    input: &QuoteInput,
    items: &[QuotedItem],
    subtotal: Paise,
) -> Result<Paise, PricingError> {
    let code = || match &promotion.coupon {
        Some(coupon) => coupon.code.clone(),
        None => promotion.code.clone(),
    };
    let coupon = promotion.coupon.as_ref();

    match (promotion.status, coupon.map(|c| c.status)) {
        (PromotionStatus::Expired, _) | (_, Some(CouponStatus::Expired)) => {
            return Err(PricingError::PromotionExpired(code()))
        }
        (PromotionStatus::Inactive, _) | (_, Some(CouponStatus::Disabled)) => {
            return Err(PricingError::PromotionInactive(code()))
        }
        (_, Some(CouponStatus::Redeemed)) => return Err(PricingError::PromotionExhausted(code())),
        _ => {}
    }
    // A coupon may narrow its promotion's window; the end is exclusive, as in the database.
    let from = coupon.and_then(|c| c.valid_from).unwrap_or(promotion.valid_from);
    let to = coupon.and_then(|c| c.valid_to).unwrap_or(promotion.valid_to);
    if input.now < from {
        return Err(PricingError::PromotionNotStarted(code()));
    }
    if input.now >= to {
        return Err(PricingError::PromotionExpired(code()));
    }
    if promotion
        .total_usage_limit
        .is_some_and(|limit| promotion.current_usage_count >= limit)
        || coupon.is_some_and(|c| c.times_used >= c.max_uses)
    {
        return Err(PricingError::PromotionExhausted(code()));
    }
    if promotion
        .usage_limit_per_customer
        .is_some_and(|limit| promotion.customer_usage_count >= limit)
    {
        return Err(PricingError::CustomerLimitReached(code()));
    }
    if let Some(owner) = coupon.and_then(|c| c.customer_id.as_ref()) {
        if input.customer_id.as_ref() != Some(owner) {
            return Err(PricingError::CouponNotOwned(code()));
        }
    }
    if promotion.first_booking_only && promotion.customer_booking_count > 0 {
        return Err(PricingError::FirstBookingOnly(code()));
    }
    if !promotion.applicable_vendors.is_empty() && !promotion.applicable_vendors.contains(&input.vendor.id) {
        return Err(PricingError::NotApplicable(code()));
    }

    // Only the items the promotion covers count towards its discount.
    let services: HashMap<&Id, &Service> = input.items.iter().map(|i| (&i.service.id, &i.service)).collect();
    let eligible = items.iter().filter(|item| {
        let service = services[&item.service_id];
        (promotion.applicable_services.is_empty() || promotion.applicable_services.contains(&service.id))
            && (promotion.applicable_categories.is_empty()
                || service
                    .category_ids
                    .iter()
                    .any(|c| promotion.applicable_categories.contains(c)))
    });
    let eligible: Vec<&QuotedItem> = eligible.collect();
    if eligible.is_empty() {
        return Err(PricingError::NotApplicable(code()));
    }
    let eligible_amount = Paise::checked_sum(eligible.iter().map(|i| i.subtotal))?;

    if subtotal < promotion.min_booking_amount {
        return Err(PricingError::MinimumNotMet {
            minimum: promotion.min_booking_amount,
            subtotal,
        });
    }

    let raw = match promotion.kind {
        PromotionType::Percentage => {
            let bps = u32::try_from(promotion.discount_value).map_err(|_| invalid("discount_value"))?;
            eligible_amount.percent_of(Bps::new(bps))?
        }
        PromotionType::FixedAmount => Paise::new(promotion.discount_value),
        PromotionType::FreeService | PromotionType::FreeAddon => {
            return Err(PricingError::UnsupportedPromotion(code()));
        }
    };
    let capped = match promotion.max_discount_amount {
        Some(cap) => raw.min(cap),
        None => raw,
    };
    // Never more than what it applies to, so discount_amount <= subtotal always holds.
    Ok(capped.min(eligible_amount))
}

/// The rate whose `effective_from` is the latest one not after `at`.
pub fn tax_rate_at(rates: &[TaxRate], at: DateTime<Utc>) -> Result<Bps, PricingError> {
    rates
        .iter()
        .filter(|r| r.effective_from.is_none_or(|from| from <= at))
        .max_by_key(|r| r.effective_from)
        .map(|r| r.rate_bps)
        .ok_or(PricingError::TaxRateMissing(at))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn id(s: &str) -> Id {
        Id::new(s).unwrap()
    }

    fn ist(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        default_timezone()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The two seeded GST rates: 18 % until 2025-09-22 00:00 IST, 5 % from then.
    fn gst() -> Vec<TaxRate> {
        vec![
            TaxRate {
                rate_bps: Bps::new(1800),
                effective_from: None,
            },
            TaxRate {
                rate_bps: Bps::new(500),
                effective_from: Some(ist(2025, 9, 22, 0, 0)),
            },
        ]
    }

    fn swedish() -> Service {
        Service {
            id: id("svc-swd"),
            code: "SWD".into(),
            name: "Swedish Massage".into(),
            category_ids: vec![id("cat-relax")],
            base_price_60min: Paise::rupees(1999),
            duration_options: Some(vec![60, 90, 120]),
            variants: vec![Variant {
                id: id("var-sig90"),
                name: "Signature 90".into(),
                duration_minutes: 90,
                price: Paise::rupees(3200),
            }],
        }
    }

    fn scrub() -> Service {
        Service {
            id: id("svc-scr"),
            code: "SCR".into(),
            name: "Body Scrub".into(),
            category_ids: vec![id("cat-spec")],
            base_price_60min: Paise::rupees(1500),
            duration_options: Some(vec![45, 60]),
            variants: vec![],
        }
    }

    fn head_massage() -> Addon {
        Addon {
            id: id("a2"),
            code: "HEAD15".into(),
            name: "Head massage 15".into(),
            price: Paise::rupees(399),
            duration: 15,
        }
    }

    fn item(service: Service, minutes: u32) -> ItemChoice {
        ItemChoice {
            service,
            variant_id: None,
            duration_minutes: minutes,
            quantity: 1,
            addons: vec![],
        }
    }

    /// Wednesday 2025-10-15 11:00 IST, booked on 2025-10-01: no weekend, no peak, 5 % GST.
    fn base_input() -> QuoteInput {
        QuoteInput {
            now: ist(2025, 10, 1, 12, 0),
            booked_at: None,
            start: ist(2025, 10, 15, 11, 0),
            vendor: PricingVendor {
                id: id("vendor-1"),
                timezone: default_timezone(),
                city_tier: Some(1),
            },
            customer_id: Some(id("cust-1")),
            items: vec![item(swedish(), 60)],
            package: None,
            tiers: vec![],
            promotion: None,
            tax_rates: gst(),
            convenience_fee: Paise::new(4900),
        }
    }

    fn tier(code: &str, priority: i32, multiplier: Option<u32>, flat: Option<i64>) -> PricingTier {
        PricingTier {
            code: code.into(),
            name: code.into(),
            tier_type: TierType::VendorPremium,
            service_id: None,
            vendor_id: None,
            days_of_week: None,
            start_time: None,
            end_time: None,
            city_tier: None,
            valid_from: None,
            valid_to: None,
            multiplier_bps: multiplier.map(Bps::new),
            flat_adjustment: flat.map(Paise::new),
            priority,
            is_active: true,
        }
    }

    fn weekend() -> PricingTier {
        PricingTier {
            tier_type: TierType::Weekend,
            days_of_week: Some(vec![0, 6]),
            name: "Weekend".into(),
            ..tier("weekend", 10, Some(11_000), None)
        }
    }

    fn evening_peak() -> PricingTier {
        PricingTier {
            tier_type: TierType::PeakHour,
            start_time: Some(LocalTime::hm(18, 0).unwrap()),
            end_time: Some(LocalTime::hm(21, 0).unwrap()),
            name: "Evening peak".into(),
            ..tier("evening_peak", 20, None, Some(20_000))
        }
    }

    fn promo(kind: PromotionType, value: i64) -> Promotion {
        Promotion {
            id: id("promo-1"),
            code: "WELCOME".into(),
            kind,
            discount_value: value,
            min_booking_amount: Paise::ZERO,
            max_discount_amount: None,
            applicable_services: vec![],
            applicable_vendors: vec![],
            applicable_categories: vec![],
            usage_limit_per_customer: Some(1),
            total_usage_limit: Some(100),
            current_usage_count: 0,
            customer_usage_count: 0,
            first_booking_only: false,
            customer_booking_count: 3,
            valid_from: ist(2025, 9, 1, 0, 0),
            valid_to: ist(2025, 11, 1, 0, 0),
            status: PromotionStatus::Active,
            coupon: None,
        }
    }

    fn coupon() -> Coupon {
        Coupon {
            id: id("coupon-1"),
            code: "SPA100".into(),
            customer_id: None,
            max_uses: 1,
            times_used: 0,
            valid_from: None,
            valid_to: None,
            status: CouponStatus::Active,
        }
    }

    fn assert_reconciles(q: &Quote) {
        assert_eq!(
            q.total_amount.get(),
            q.subtotal.get() - q.discount_amount.get() + q.tax_amount.get() + q.convenience_fee.get()
        );
        let lines: i64 = q.lines.iter().map(|l| l.amount.get()).sum();
        assert_eq!(lines, q.total_amount.get(), "lines add up to the total");
        let before_discount: i64 = q
            .lines
            .iter()
            .filter(|l| {
                matches!(
                    l.kind,
                    LineKind::Service | LineKind::PackageSaving | LineKind::Tier | LineKind::Addon
                )
            })
            .map(|l| l.amount.get())
            .sum();
        assert_eq!(before_discount, q.subtotal.get(), "item lines add up to the subtotal");
        for i in &q.items {
            assert_eq!(
                i.subtotal.get(),
                i.price.get() * i64::from(i.quantity) + i.addon_amount.get()
            );
        }
        assert!(q.discount_amount <= q.subtotal && q.discount_amount >= Paise::ZERO);
    }

    #[test]
    fn sixty_minutes_at_base_price() {
        let q = quote(&base_input()).unwrap();
        assert_eq!(q.subtotal, Paise::rupees(1999));
        assert_eq!(q.tax_rate_bps, Bps::new(500));
        assert_eq!(q.tax_amount, Paise::new(9995)); // 5 % of 199900
        assert_eq!(q.convenience_fee, Paise::new(4900));
        assert_eq!(q.total_amount, Paise::new(199_900 + 9995 + 4900));
        assert_reconciles(&q);
    }

    #[test]
    fn ninety_minutes_scales_base_linearly() {
        let mut input = base_input();
        input.items[0].duration_minutes = 90;
        let q = quote(&input).unwrap();
        assert_eq!(q.items[0].price, Paise::new(299_850)); // 1999 * 1.5
        assert_eq!(q.items[0].duration, 90);
        // An odd base rounds half up: 999.99 * 1.5 = 1499.985 -> 1499.99.
        input.items[0].service.base_price_60min = Paise::new(99_999);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(149_999));
    }

    #[test]
    fn variant_gives_the_exact_price() {
        let mut input = base_input();
        input.items[0].duration_minutes = 90;
        input.items[0].variant_id = Some(id("var-sig90"));
        let q = quote(&input).unwrap();
        assert_eq!(q.items[0].price, Paise::rupees(3200));
        assert_eq!(q.items[0].variant_id, Some(id("var-sig90")));
        assert!(q.lines[0].label.contains("Signature 90"));
    }

    #[test]
    fn variant_must_belong_and_match_duration() {
        let mut input = base_input();
        input.items[0].variant_id = Some(id("var-other"));
        assert_eq!(quote(&input).unwrap_err().code(), "variant_not_found");
        input.items[0].variant_id = Some(id("var-sig90"));
        input.items[0].duration_minutes = 60;
        assert_eq!(quote(&input).unwrap_err().code(), "duration_not_offered");
    }

    #[test]
    fn duration_must_be_offered() {
        let mut input = base_input();
        input.items[0].duration_minutes = 75;
        let err = quote(&input).unwrap_err();
        assert_eq!(err.code(), "duration_not_offered");
        assert_eq!(err.to_string(), "SWD is not offered for 75 minutes");
        // Without a list only 60 minutes (or a variant's length) can be booked.
        input.items[0].service.duration_options = None;
        assert_eq!(quote(&input).unwrap_err().code(), "duration_not_offered");
        input.items[0].duration_minutes = 60;
        assert!(quote(&input).is_ok());
        input.items[0].duration_minutes = 90;
        input.items[0].variant_id = Some(id("var-sig90"));
        assert!(quote(&input).is_ok());
    }

    #[test]
    fn a_variant_offers_exactly_its_own_length() {
        let sig90 = id("var-sig90");
        // The length asked for wins; the variant's is the default; 60 without either.
        assert_eq!(requested_minutes(&swedish(), Some(&sig90), None), 90);
        assert_eq!(requested_minutes(&swedish(), Some(&sig90), Some(615)), 615);
        assert_eq!(requested_minutes(&swedish(), None, None), 60);
        assert_eq!(requested_minutes(&swedish(), Some(&id("var-other")), None), 60);

        let mut choice = item(swedish(), 90);
        choice.variant_id = Some(sig90);
        choice.addons = vec![head_massage()];
        assert_eq!(session_minutes(&choice), Ok(105));
        // 615 minutes is not what a 90-minute variant offers, even where the service itself
        // lists longer sessions.
        choice.service.duration_options = Some(vec![60, 90, 120, 615]);
        choice.duration_minutes = 615;
        assert_eq!(session_minutes(&choice).unwrap_err().code(), "duration_not_offered");
        choice.variant_id = Some(id("var-other"));
        assert_eq!(session_minutes(&choice).unwrap_err().code(), "variant_not_found");
    }

    #[test]
    fn session_minutes_never_wrap() {
        // A catalogue that offers u32::MAX minutes, with a 15-minute add-on: refused with a
        // code, not wrapped round to 14 minutes (nor a panic in a debug build).
        let mut input = base_input();
        input.items[0].service.duration_options = Some(vec![u32::MAX]);
        input.items[0].duration_minutes = u32::MAX;
        input.items[0].addons = vec![head_massage()];
        let err = quote(&input).unwrap_err();
        assert_eq!(err.code(), "session_too_long");
        assert_eq!(session_minutes(&input.items[0]), Err(PricingError::SessionTooLong));
        input.items[0].addons = vec![Addon {
            duration: u32::MAX,
            ..head_massage()
        }];
        input.items[0].service.duration_options = Some(vec![60]);
        input.items[0].duration_minutes = 60;
        assert_eq!(quote(&input).unwrap_err().code(), "session_too_long");
    }

    #[test]
    fn weekend_then_peak_stack_in_priority_order() {
        // Saturday 2025-10-18 19:00 IST: both tiers match. Weekend x1.1 (priority 10) first,
        // then peak +₹200 (priority 20): 1999 * 1.1 + 200 = 2398.90.
        let mut input = base_input();
        input.start = ist(2025, 10, 18, 19, 0);
        input.tiers = vec![evening_peak(), weekend()];
        let q = quote(&input).unwrap();
        assert_eq!(q.items[0].price, Paise::new(239_890));
        let tiers: Vec<(&str, i64)> = q
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Tier)
            .map(|l| (l.label.as_str(), l.amount.get()))
            .collect();
        assert_eq!(tiers, vec![("Weekend", 19_990), ("Evening peak", 20_000)]);
        assert_reconciles(&q);

        // Swapping priorities changes the result: (1999 + 200) * 1.1 = 2418.90.
        input.tiers = vec![
            PricingTier {
                priority: 5,
                ..evening_peak()
            },
            weekend(),
        ];
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(241_890));
    }

    #[test]
    fn tiers_read_local_day_and_time_not_utc() {
        // Saturday 00:30 IST is Friday 19:00 UTC: the weekend tier must apply.
        let mut input = base_input();
        input.start = ist(2025, 10, 18, 0, 30);
        input.tiers = vec![weekend()];
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(219_890));
        // Peak window is [18:00, 21:00): 21:00 is outside, 18:00 inside.
        input.tiers = vec![evening_peak()];
        input.start = ist(2025, 10, 15, 21, 0);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::rupees(1999));
        input.start = ist(2025, 10, 15, 18, 0);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::rupees(2199));
    }

    #[test]
    fn city_tier_festival_service_and_vendor_conditions() {
        let mut input = base_input();
        let metro = PricingTier {
            tier_type: TierType::CityTier,
            city_tier: Some(1),
            ..tier("metro", 30, Some(10_500), None)
        };
        let diwali = PricingTier {
            tier_type: TierType::Festival,
            valid_from: Some(NaiveDate::from_ymd_opt(2025, 10, 18).unwrap()),
            valid_to: Some(NaiveDate::from_ymd_opt(2025, 10, 22).unwrap()),
            ..tier("diwali", 40, Some(12_000), None)
        };
        let other_service = PricingTier {
            service_id: Some(id("svc-other")),
            ..tier("x", 1, Some(50_000), None)
        };
        let other_vendor = PricingTier {
            vendor_id: Some(id("vendor-2")),
            ..tier("y", 1, Some(50_000), None)
        };
        let inactive = PricingTier {
            is_active: false,
            ..tier("z", 1, Some(50_000), None)
        };
        input.tiers = vec![metro.clone(), diwali.clone(), other_service, other_vendor, inactive];
        // 15 Oct: metro only.
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(209_895)); // 199900 * 1.05
                                                                                // 22 Oct (last festival day, inclusive): metro then festival.
        input.start = ist(2025, 10, 22, 11, 0);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(251_874)); // 209895 * 1.2
        input.start = ist(2025, 10, 23, 11, 0);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::new(209_895));
        // A tier-2 city gets no metro uplift; an unknown tier matches no city-tier rule.
        input.vendor.city_tier = Some(2);
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::rupees(1999));
        input.vendor.city_tier = None;
        assert_eq!(quote(&input).unwrap().items[0].price, Paise::rupees(1999));
    }

    #[test]
    fn negative_flat_tier_never_goes_below_zero() {
        let mut input = base_input();
        input.tiers = vec![tier("clearance", 1, None, Some(-500_000))];
        let q = quote(&input).unwrap();
        assert_eq!(q.items[0].price, Paise::ZERO);
        assert_eq!(q.subtotal, Paise::ZERO);
        assert_reconciles(&q);
    }

    #[test]
    fn malformed_tiers_are_refused() {
        let mut input = base_input();
        input.tiers = vec![tier("both", 1, Some(11_000), Some(100))];
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
        input.tiers = vec![tier("neither", 1, None, None)];
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
        input.tiers = vec![PricingTier {
            start_time: Some(LocalTime::hm(18, 0).unwrap()),
            ..tier("half", 1, Some(1), None)
        }];
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn quantity_and_addons() {
        let mut input = base_input();
        input.items[0].quantity = 2;
        input.items[0].addons = vec![
            Addon {
                id: id("a1"),
                code: "HOT_TOWEL".into(),
                name: "Hot towel".into(),
                price: Paise::rupees(199),
                duration: 0,
            },
            Addon {
                id: id("a2"),
                code: "HEAD15".into(),
                name: "Head massage 15".into(),
                price: Paise::rupees(399),
                duration: 15,
            },
        ];
        input.tiers = vec![tier("premium", 1, None, Some(10_000))];
        let q = quote(&input).unwrap();
        let it = &q.items[0];
        assert_eq!(it.price, Paise::rupees(2099));
        assert_eq!(it.addon_amount, Paise::rupees(598));
        assert_eq!(it.subtotal, Paise::rupees(2099 * 2 + 598));
        assert_eq!(it.session_minutes, 75);
        assert!(q
            .lines
            .iter()
            .any(|l| l.kind == LineKind::Tier && l.amount == Paise::rupees(200)));
        assert_reconciles(&q);
        input.items[0].quantity = 21;
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn package_prorates_to_the_package_price() {
        let mut input = base_input();
        input.items = vec![item(swedish(), 60), item(scrub(), 45)];
        input.package = Some(Package {
            id: id("pkg-1"),
            code: "SPA_DAY".into(),
            name: "Spa Day".into(),
            service_ids: vec![id("svc-swd"), id("svc-scr")],
            package_price: Paise::rupees(2800),
            valid_from: None,
            valid_to: Some(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()),
        });
        let q = quote(&input).unwrap();
        // List: 1999 + 1125 = 3124; package 2800.
        assert_eq!(q.subtotal, Paise::rupees(2800));
        let savings: i64 = q
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::PackageSaving)
            .map(|l| l.amount.get())
            .sum();
        assert_eq!(savings, -32_400);
        assert!(q.items.iter().all(|i| i.package_id == Some(id("pkg-1"))));
        assert_reconciles(&q);

        // Tiers apply on the package price.
        input.tiers = vec![tier("premium", 1, Some(11_000), None)];
        assert_eq!(quote(&input).unwrap().subtotal, Paise::rupees(3080));

        // Missing service, or outside its dates.
        input.items.pop();
        assert_eq!(quote(&input).unwrap_err().code(), "package_incomplete");
        input.items.push(item(scrub(), 45));
        input.start = ist(2026, 1, 1, 11, 0);
        assert_eq!(quote(&input).unwrap_err().code(), "package_not_valid");
    }

    #[test]
    fn package_never_raises_the_price() {
        let mut input = base_input();
        input.package = Some(Package {
            id: id("pkg-2"),
            code: "DEAR".into(),
            name: "Dear".into(),
            service_ids: vec![id("svc-swd")],
            package_price: Paise::rupees(5000),
            valid_from: None,
            valid_to: None,
        });
        assert_eq!(quote(&input).unwrap().subtotal, Paise::rupees(1999));
    }

    #[test]
    fn gst_rate_follows_the_booking_date_in_ist() {
        let mut input = base_input();
        // Made on 21 Sep 2025 at 23:59 IST: 18 %.
        input.now = ist(2025, 9, 21, 23, 59);
        let q = quote(&input).unwrap();
        assert_eq!(q.tax_rate_bps, Bps::new(1800));
        assert_eq!(q.tax_amount, Paise::new(35_982)); // 18 % of 199900
        assert_reconciles(&q);
        // Made at 00:00 IST on 22 Sep (18:30 UTC on the 21st): 5 %.
        input.now = ist(2025, 9, 22, 0, 0);
        assert_eq!(input.now, Utc.with_ymd_and_hms(2025, 9, 21, 18, 30, 0).unwrap());
        assert_eq!(quote(&input).unwrap().tax_rate_bps, Bps::new(500));
        // A booking made on the 21st and re-quoted later keeps 18 %.
        input.now = ist(2025, 10, 1, 10, 0);
        input.booked_at = Some(ist(2025, 9, 21, 10, 0));
        assert_eq!(quote(&input).unwrap().tax_rate_bps, Bps::new(1800));
        // Rate list order does not matter.
        input.tax_rates.reverse();
        assert_eq!(quote(&input).unwrap().tax_rate_bps, Bps::new(1800));
        input.tax_rates = vec![TaxRate {
            rate_bps: Bps::new(500),
            effective_from: Some(ist(2025, 9, 22, 0, 0)),
        }];
        assert_eq!(quote(&input).unwrap_err().code(), "tax_rate_missing");
    }

    #[test]
    fn tax_rounds_half_up() {
        let mut input = base_input();
        input.items[0].service.base_price_60min = Paise::new(10); // 5 % of 10 = 0.5 -> 1
        input.convenience_fee = Paise::ZERO;
        let q = quote(&input).unwrap();
        assert_eq!(q.tax_amount, Paise::new(1));
        assert_eq!(q.total_amount, Paise::new(11));
        assert!(!q.lines.iter().any(|l| l.kind == LineKind::ConvenienceFee));
    }

    #[test]
    fn percentage_promotion_capped_by_max_discount() {
        let mut input = base_input();
        input.items[0].duration_minutes = 120; // 3998
        let mut p = promo(PromotionType::Percentage, 2500); // 25 % = 999.50
        p.max_discount_amount = Some(Paise::rupees(500));
        input.promotion = Some(p);
        let q = quote(&input).unwrap();
        assert_eq!(q.discount_amount, Paise::rupees(500));
        assert_eq!(q.tax_amount, Paise::rupees(3498).percent_of(Bps::new(500)).unwrap());
        assert_eq!(q.promotion_id, Some(id("promo-1")));
        assert_reconciles(&q);
        // Without the cap: 25 % of 3998.00 = 999.50.
        input.promotion.as_mut().unwrap().max_discount_amount = None;
        assert_eq!(quote(&input).unwrap().discount_amount, Paise::new(99_950));
    }

    #[test]
    fn fixed_promotion_never_exceeds_what_it_applies_to() {
        let mut input = base_input();
        input.promotion = Some(promo(PromotionType::FixedAmount, 1_000_000));
        let q = quote(&input).unwrap();
        assert_eq!(q.discount_amount, q.subtotal);
        assert_eq!(q.tax_amount, Paise::ZERO);
        assert_eq!(q.total_amount, Paise::new(4900));
        assert_reconciles(&q);
    }

    #[test]
    fn promotion_limited_to_services_discounts_only_them() {
        let mut input = base_input();
        input.items = vec![item(swedish(), 60), item(scrub(), 60)];
        let mut p = promo(PromotionType::Percentage, 1000);
        p.applicable_services = vec![id("svc-scr")];
        input.promotion = Some(p.clone());
        assert_eq!(quote(&input).unwrap().discount_amount, Paise::rupees(150));
        p.applicable_services = vec![];
        p.applicable_categories = vec![id("cat-relax")];
        input.promotion = Some(p.clone());
        assert_eq!(quote(&input).unwrap().discount_amount, Paise::new(19_990));
        p.applicable_categories = vec![id("cat-none")];
        input.promotion = Some(p.clone());
        assert_eq!(quote(&input).unwrap_err().code(), "not_applicable");
        p.applicable_categories = vec![];
        p.applicable_vendors = vec![id("vendor-2")];
        input.promotion = Some(p);
        assert_eq!(quote(&input).unwrap_err().code(), "not_applicable");
    }

    #[test]
    fn promotion_minimum_amount() {
        let mut input = base_input();
        let mut p = promo(PromotionType::FixedAmount, 20_000);
        p.min_booking_amount = Paise::rupees(2000);
        input.promotion = Some(p);
        let err = quote(&input).unwrap_err();
        assert_eq!(err.code(), "minimum_not_met");
        assert!(err.to_string().contains("₹2000.00"));
        input.items[0].service.base_price_60min = Paise::rupees(2000); // exactly the minimum
        assert_eq!(quote(&input).unwrap().discount_amount, Paise::rupees(200));
    }

    #[test]
    fn promotion_window_status_and_limits() {
        let code = |p: Promotion| {
            let mut input = base_input();
            input.promotion = Some(p);
            quote(&input).map(|q| q.discount_amount).map_err(|e| e.code())
        };
        let ok = promo(PromotionType::FixedAmount, 10_000);
        assert_eq!(code(ok.clone()), Ok(Paise::rupees(100)));
        assert_eq!(
            code(Promotion {
                valid_to: ist(2025, 10, 1, 12, 0),
                ..ok.clone()
            }),
            Err("promotion_expired")
        );
        assert_eq!(
            code(Promotion {
                valid_from: ist(2025, 10, 1, 12, 1),
                ..ok.clone()
            }),
            Err("promotion_not_started")
        );
        assert_eq!(
            code(Promotion {
                status: PromotionStatus::Inactive,
                ..ok.clone()
            }),
            Err("promotion_inactive")
        );
        assert_eq!(
            code(Promotion {
                status: PromotionStatus::Expired,
                ..ok.clone()
            }),
            Err("promotion_expired")
        );
        assert_eq!(
            code(Promotion {
                current_usage_count: 100,
                ..ok.clone()
            }),
            Err("promotion_exhausted")
        );
        assert_eq!(
            code(Promotion {
                total_usage_limit: None,
                current_usage_count: 10_000,
                ..ok.clone()
            }),
            Ok(Paise::rupees(100))
        );
        assert_eq!(
            code(Promotion {
                customer_usage_count: 1,
                ..ok.clone()
            }),
            Err("customer_limit_reached")
        );
        assert_eq!(
            code(Promotion {
                usage_limit_per_customer: None,
                customer_usage_count: 9,
                ..ok.clone()
            }),
            Ok(Paise::rupees(100))
        );
        assert_eq!(
            code(Promotion {
                first_booking_only: true,
                ..ok.clone()
            }),
            Err("first_booking_only")
        );
        assert_eq!(
            code(Promotion {
                first_booking_only: true,
                customer_booking_count: 0,
                ..ok.clone()
            }),
            Ok(Paise::rupees(100))
        );
        assert_eq!(
            code(Promotion {
                kind: PromotionType::FreeAddon,
                discount_value: 0,
                ..ok.clone()
            }),
            Err("unsupported_promotion")
        );
        assert_eq!(
            code(Promotion {
                kind: PromotionType::Percentage,
                discount_value: 10_001,
                ..ok
            }),
            Err("invalid_input")
        );
    }

    #[test]
    fn coupon_expired_exhausted_owned() {
        let with = |c: Coupon| {
            let mut input = base_input();
            input.promotion = Some(Promotion {
                coupon: Some(c),
                ..promo(PromotionType::FixedAmount, 10_000)
            });
            quote(&input).map_err(|e| e.code())
        };
        let q = with(coupon()).unwrap();
        assert_eq!(q.coupon_code_id, Some(id("coupon-1")));
        assert!(q
            .lines
            .iter()
            .any(|l| l.label == "Coupon SPA100" && l.amount == Paise::rupees(-100)));
        // The coupon narrows the window: its own end passed.
        assert_eq!(
            with(Coupon {
                valid_to: Some(ist(2025, 9, 30, 0, 0)),
                ..coupon()
            })
            .unwrap_err(),
            "promotion_expired"
        );
        assert_eq!(
            with(Coupon {
                valid_from: Some(ist(2025, 10, 2, 0, 0)),
                ..coupon()
            })
            .unwrap_err(),
            "promotion_not_started"
        );
        assert_eq!(
            with(Coupon {
                status: CouponStatus::Expired,
                ..coupon()
            })
            .unwrap_err(),
            "promotion_expired"
        );
        assert_eq!(
            with(Coupon {
                times_used: 1,
                ..coupon()
            })
            .unwrap_err(),
            "promotion_exhausted"
        );
        assert_eq!(
            with(Coupon {
                status: CouponStatus::Redeemed,
                ..coupon()
            })
            .unwrap_err(),
            "promotion_exhausted"
        );
        assert_eq!(
            with(Coupon {
                status: CouponStatus::Disabled,
                ..coupon()
            })
            .unwrap_err(),
            "promotion_inactive"
        );
        assert_eq!(
            with(Coupon {
                customer_id: Some(id("cust-2")),
                ..coupon()
            })
            .unwrap_err(),
            "coupon_not_owned"
        );
        assert!(with(Coupon {
            customer_id: Some(id("cust-1")),
            ..coupon()
        })
        .is_ok());
        // Minimum of the promotion still applies to its coupons.
        let mut input = base_input();
        input.promotion = Some(Promotion {
            coupon: Some(coupon()),
            min_booking_amount: Paise::rupees(5000),
            ..promo(PromotionType::FixedAmount, 10_000)
        });
        assert_eq!(quote(&input).unwrap_err().code(), "minimum_not_met");
    }

    #[test]
    fn bad_catalogue_amounts_are_input_errors() {
        let mut input = base_input();
        input.items[0].service.base_price_60min = Paise::new(-1);
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
        let mut input = base_input();
        input.items.clear();
        assert_eq!(quote(&input).unwrap_err().code(), "invalid_input");
        let mut input = base_input();
        input.items[0].service.base_price_60min = Paise::new(i64::MAX / 2 + 10);
        input.items[0].duration_minutes = 120;
        assert_eq!(quote(&input).unwrap_err().code(), "amount_out_of_range");
    }

    #[test]
    fn totals_always_reconcile_across_many_inputs() {
        // Property: for a grid of prices, durations, tiers, quantities and promotions, the
        // quote reconciles exactly as the bookings table's check constraint demands.
        let mut checked = 0;
        for base in [1, 99, 12_345, 199_900, 333_333] {
            for minutes in [60, 90, 120] {
                for quantity in [1, 2, 3] {
                    for (m, flat) in [(None, Some(-3_333)), (Some(10_333), None), (Some(9_999), None)] {
                        for pct in [1, 1250, 3333, 10_000] {
                            for booked in [ist(2025, 9, 21, 12, 0), ist(2025, 9, 23, 12, 0)] {
                                let mut input = base_input();
                                input.now = booked;
                                input.items[0].service.base_price_60min = Paise::new(base);
                                input.items[0].duration_minutes = minutes;
                                input.items[0].quantity = quantity;
                                input.tiers = vec![tier("t", 1, m, flat), weekend()];
                                input.start = ist(2025, 10, 18, 19, 0);
                                let mut p = promo(PromotionType::Percentage, pct);
                                p.max_discount_amount = Some(Paise::new(50_000));
                                input.promotion = Some(p);
                                let q = quote(&input).unwrap();
                                assert_reconciles(&q);
                                assert!(q.total_amount >= q.convenience_fee);
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 5 * 3 * 3 * 3 * 4 * 2);
    }
}
