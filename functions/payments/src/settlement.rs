//! Vendor settlement for a period: what the platform pays a vendor for the bookings it served,
//! after keeping its commission (with GST on it) and withholding the taxes the law makes a
//! marketplace (an "e-commerce operator") collect.
//!
//! Per completed and paid booking of the period (one [`SettlementLine`], which is also the
//! `commission_records` row of that booking):
//!
//! - **gross** = taxable value + GST collected on it: what the customer paid for the vendor's
//!   supply (the vendor is the supplier and owes that GST; the convenience fee is the
//!   platform's and not in it). Pass `gst_amount = 0` to settle on the value before GST.
//! - **commission** = taxable value × the vendor's rate + its flat fee (the rule the SQL side
//!   resolved for the booking); never more than gross.
//! - **commission GST** = commission × `commission_gst_rate` (18 %): the platform's supply of
//!   its service to the vendor.
//! - **TDS, Income-tax Act s.194-O** = taxable value × `tds_194o_rate` (1 % until 30 Sep
//!   2024, 0.1 % from 1 Oct 2024), or `tds_194o_no_pan_rate` (5 %, s.206AA) for a vendor
//!   without a PAN. The base excludes GST shown separately (CBDT circular 17/2020).
//! - **TCS, CGST Act s.52** = taxable value × `gst_tcs_rate` (1 % until 9 Jul 2024, 0.5 %
//!   from 10 Jul 2024).
//! - **net to vendor** = gross − commission − commission GST − TDS − TCS
//!   (`commission_records_net_reconciles`).
//!
//! Refunds processed in the period ([`SettlementRefund`]) are returns: each is a negative
//! adjustment of the refunded amount the vendor bears, and its taxable value is taken off the
//! period's TCS base, because s.52 TCS is due on the *net* value of taxable supplies
//! (supplies minus returns). TDS is not reversed (it was deducted when the amount was
//! credited). The settlement is then
//! `net = gross − commission − commission GST − TDS − TCS + adjustment`, exactly the check
//! `payment_settlements_net_reconciles`.
//!
//! **Rates are data.** No rate is a constant here: they come from effective-dated rows
//! `(key, effective_from, value_bps)` ([`Rates`], built from `system_settings`). Each rate is
//! the one in force on the booking's **service date** (its IST date, when the supply was made
//! and the amount was credited to the vendor in our books), so a period that straddles a rate
//! change settles each booking at its own day's rate. A refund's TCS reversal uses the rate
//! of its original supply date, at which the TCS it reverses was collected.
//!
//! **Rounding**: every amount is rounded half up to the paisa (the crate's one rule) once,
//! per booking line (commission, its GST, TDS, TCS) and per refund (TCS reversed); totals
//! are sums of those, never re-rounded. TCS per rate is `max(0, collected − reversed)`: a
//! period whose returns exceed its supplies owes no TCS, and the reversal that found nothing
//! to reduce is reported as `tcs_reversal_unused` for finance.
//!
//! **Periods** are inclusive IST date ranges. A period that overlaps a settled one is
//! refused; a rerun of exactly a settled period is a distinct error
//! ([`SettlementError::PeriodAlreadySettled`]) so the caller can answer it with the existing
//! settlement (rerunning changes nothing).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::NaiveDate;
use ombaro_booking::money::{Bps, Overflow, Paise};
use serde::{Deserialize, Serialize};

/// The effective-dated rates a settlement needs, by their `system_settings` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RateKey {
    #[serde(rename = "commission_gst_rate")]
    CommissionGst,
    #[serde(rename = "tds_194o_rate")]
    Tds194O,
    #[serde(rename = "tds_194o_no_pan_rate")]
    Tds194ONoPan,
    #[serde(rename = "gst_tcs_rate")]
    GstTcs,
}

impl RateKey {
    pub const ALL: [RateKey; 4] = [
        RateKey::CommissionGst,
        RateKey::Tds194O,
        RateKey::Tds194ONoPan,
        RateKey::GstTcs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RateKey::CommissionGst => "commission_gst_rate",
            RateKey::Tds194O => "tds_194o_rate",
            RateKey::Tds194ONoPan => "tds_194o_no_pan_rate",
            RateKey::GstTcs => "gst_tcs_rate",
        }
    }

    pub fn parse(key: &str) -> Option<RateKey> {
        RateKey::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One effective-dated setting row: `key` takes `value_bps` from `effective_from` (an IST
/// date; `None` = since always, SQL's `-infinity`) until the next row of the same key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    pub key: String,
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    pub value_bps: Bps,
}

/// Rates by key and date. Rows of keys this module does not use are skipped, so the caller
/// may pass every `system_settings` row it has.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<RateRow>", into = "Vec<RateRow>")]
pub struct Rates {
    /// Per key, `(effective_from, rate)` in date order (`None` first).
    by_key: BTreeMap<RateKey, Vec<(Option<NaiveDate>, Bps)>>,
}

impl Rates {
    /// Refuses two rows of one key from the same date and rates above 100 %.
    pub fn from_rows<I: IntoIterator<Item = RateRow>>(rows: I) -> Result<Rates, SettlementError> {
        let mut by_key: BTreeMap<RateKey, Vec<(Option<NaiveDate>, Bps)>> = BTreeMap::new();
        for row in rows {
            let Some(key) = RateKey::parse(&row.key) else {
                continue;
            };
            if row.value_bps > Bps::WHOLE {
                return Err(SettlementError::InvalidRate { key });
            }
            let entries = by_key.entry(key).or_default();
            if entries.iter().any(|(from, _)| *from == row.effective_from) {
                return Err(SettlementError::DuplicateRate {
                    key,
                    effective_from: row.effective_from,
                });
            }
            entries.push((row.effective_from, row.value_bps));
        }
        for entries in by_key.values_mut() {
            entries.sort();
        }
        Ok(Rates { by_key })
    }

    /// The rate of `key` in force on `date`: the row with the latest `effective_from <= date`.
    pub fn rate(&self, key: RateKey, date: NaiveDate) -> Result<Bps, SettlementError> {
        self.by_key
            .get(&key)
            .and_then(|entries| {
                entries
                    .iter()
                    .rev()
                    .find(|(from, _)| from.is_none_or(|from| from <= date))
            })
            .map(|(_, rate)| *rate)
            .ok_or(SettlementError::RateMissing { key, date })
    }
}

impl TryFrom<Vec<RateRow>> for Rates {
    type Error = SettlementError;
    fn try_from(rows: Vec<RateRow>) -> Result<Self, Self::Error> {
        Rates::from_rows(rows)
    }
}

impl From<Rates> for Vec<RateRow> {
    fn from(rates: Rates) -> Vec<RateRow> {
        rates
            .by_key
            .into_iter()
            .flat_map(|(key, entries)| {
                entries.into_iter().map(move |(effective_from, value_bps)| RateRow {
                    key: key.as_str().to_owned(),
                    effective_from,
                    value_bps,
                })
            })
            .collect()
    }
}

/// An inclusive range of IST dates, `start <= end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "PeriodFields")]
pub struct Period {
    start: NaiveDate,
    end: NaiveDate,
}

#[derive(Deserialize)]
struct PeriodFields {
    start: NaiveDate,
    end: NaiveDate,
}

impl TryFrom<PeriodFields> for Period {
    type Error = SettlementError;
    fn try_from(fields: PeriodFields) -> Result<Self, Self::Error> {
        Period::new(fields.start, fields.end)
    }
}

impl Period {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Period, SettlementError> {
        if end < start {
            return Err(SettlementError::InvalidPeriod { start, end });
        }
        Ok(Period { start, end })
    }

    pub fn start(self) -> NaiveDate {
        self.start
    }

    pub fn end(self) -> NaiveDate {
        self.end
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// Whether the two share at least one day.
    pub fn overlaps(self, other: Period) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// A completed and paid booking to settle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementBooking {
    pub booking_id: String,
    /// The booking's IST date (`bookings.booking_date`): the date of supply, which picks the
    /// rates.
    pub service_date: NaiveDate,
    /// Value before GST: subtotal − discount. The base of commission, TDS and TCS.
    pub taxable_value: Paise,
    /// GST collected on it for the vendor (`bookings.tax_amount`).
    #[serde(default)]
    pub gst_amount: Paise,
    /// The commission rule's rate for this booking.
    pub commission_rate_bps: Bps,
    /// The commission rule's flat fee per booking.
    #[serde(default)]
    pub commission_flat_fee: Paise,
}

/// A refund processed in the period for one of the vendor's bookings (of this period or an
/// earlier one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementRefund {
    pub refund_id: String,
    pub booking_id: String,
    /// When the refund was processed (IST date): must fall in the period.
    pub processed_on: NaiveDate,
    /// The refunded booking's service date: picks the TCS rate that is reversed.
    pub supply_date: NaiveDate,
    /// The part of the refund the vendor bears: taken off the payout.
    pub amount: Paise,
    /// The taxable value returned: taken off the period's TCS base.
    pub taxable_value: Paise,
}

/// Everything a vendor's settlement is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementInput {
    pub vendor_id: String,
    pub period: Period,
    /// Whether the vendor has furnished a PAN (else TDS at the no-PAN rate).
    pub vendor_has_pan: bool,
    pub bookings: Vec<SettlementBooking>,
    #[serde(default)]
    pub refunds: Vec<SettlementRefund>,
    pub rates: Rates,
    /// The vendor's periods already settled.
    #[serde(default)]
    pub settled_periods: Vec<Period>,
}

/// One booking's split: a `commission_records` row. Rates are basis points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementLine {
    pub booking_id: String,
    pub service_date: NaiveDate,
    pub taxable_value: Paise,
    pub gross_amount: Paise,
    pub commission_rate_bps: Bps,
    pub commission_amount: Paise,
    pub commission_gst_rate_bps: Bps,
    pub commission_gst_amount: Paise,
    pub tds_rate_bps: Bps,
    pub tds_amount: Paise,
    pub tcs_rate_bps: Bps,
    pub tcs_amount: Paise,
    /// gross − commission − commission GST − TDS − TCS.
    pub net_to_vendor: Paise,
}

/// One refund's effect on the settlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAdjustment {
    pub refund_id: String,
    pub booking_id: String,
    /// Taken off the payout (the settlement's adjustment is minus their sum).
    pub amount: Paise,
    pub taxable_value: Paise,
    pub tcs_rate_bps: Bps,
    /// TCS no longer due on the returned value.
    pub tcs_reversed: Paise,
}

/// Which tax a [`TaxLine`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxType {
    /// Income-tax TDS, s.194-O, reported in 26Q.
    Tds,
    /// GST TCS, s.52, reported in GSTR-8.
    GstTcs,
}

impl TaxType {
    pub fn section(self) -> &'static str {
        match self {
            TaxType::Tds => "194-O",
            TaxType::GstTcs => "52",
        }
    }

    pub fn return_type(self) -> &'static str {
        match self {
            TaxType::Tds => "26Q",
            TaxType::GstTcs => "GSTR-8",
        }
    }
}

/// A `tax_records` row: one tax at one rate for the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxLine {
    pub tax_type: TaxType,
    pub section: String,
    pub return_type: String,
    pub rate_bps: Bps,
    /// Base: gross taxable value for TDS, net of returns (never below 0) for TCS.
    pub taxable_amount: Paise,
    pub tax_amount: Paise,
}

/// A vendor's settlement: the `payment_settlements` row with its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub vendor_id: String,
    pub period: Period,
    pub total_bookings: u32,
    pub gross_amount: Paise,
    pub commission_amount: Paise,
    pub commission_gst_amount: Paise,
    pub tds_amount: Paise,
    pub tcs_amount: Paise,
    /// Minus the refunds' amounts.
    pub adjustment_amount: Paise,
    /// gross − commission − commission GST − TDS − TCS + adjustment; negative when the vendor
    /// owes the platform.
    pub net_settlement_amount: Paise,
    /// TCS reversals beyond the TCS collected at their rate in this period.
    pub tcs_reversal_unused: Paise,
    /// In (service date, booking id) order.
    pub lines: Vec<SettlementLine>,
    /// In (processed date, refund id) order.
    pub refunds: Vec<RefundAdjustment>,
    /// TDS then TCS, each by rate.
    pub tax: Vec<TaxLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettlementError {
    #[error("period end {end} is before its start {start}")]
    InvalidPeriod { start: NaiveDate, end: NaiveDate },
    #[error("this period is already settled")]
    PeriodAlreadySettled,
    #[error("the period overlaps the settled period {start} to {end}")]
    PeriodOverlapsSettled { start: NaiveDate, end: NaiveDate },
    #[error("the vendor id is empty")]
    MissingVendor,
    #[error("booking {0} is not in the period")]
    BookingOutsidePeriod(String),
    #[error("refund {0} was not processed in the period")]
    RefundOutsidePeriod(String),
    #[error("booking {0} is listed twice")]
    DuplicateBooking(String),
    #[error("refund {0} is listed twice")]
    DuplicateRefund(String),
    #[error("{0}: negative amount")]
    NegativeAmount(String),
    #[error("booking {0}: commission rate above 100 %")]
    InvalidCommissionRate(String),
    #[error("booking {0}: commission exceeds the booking's gross amount")]
    CommissionExceedsGross(String),
    #[error("no {key} is in force on {date}")]
    RateMissing { key: RateKey, date: NaiveDate },
    #[error("two {key} rates take effect on {effective_from:?}")]
    DuplicateRate {
        key: RateKey,
        effective_from: Option<NaiveDate>,
    },
    #[error("{key} above 100 %")]
    InvalidRate { key: RateKey },
    #[error("amount out of range")]
    Overflow,
}

impl SettlementError {
    /// Stable code for API errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            SettlementError::InvalidPeriod { .. } => "invalid_period",
            SettlementError::PeriodAlreadySettled => "period_already_settled",
            SettlementError::PeriodOverlapsSettled { .. } => "period_overlaps_settled",
            SettlementError::MissingVendor => "missing_vendor",
            SettlementError::BookingOutsidePeriod(_) => "booking_outside_period",
            SettlementError::RefundOutsidePeriod(_) => "refund_outside_period",
            SettlementError::DuplicateBooking(_) => "duplicate_booking",
            SettlementError::DuplicateRefund(_) => "duplicate_refund",
            SettlementError::NegativeAmount(_) => "negative_amount",
            SettlementError::InvalidCommissionRate(_) => "invalid_commission_rate",
            SettlementError::CommissionExceedsGross(_) => "commission_exceeds_gross",
            SettlementError::RateMissing { .. } => "rate_missing",
            SettlementError::DuplicateRate { .. } => "duplicate_rate",
            SettlementError::InvalidRate { .. } => "invalid_rate",
            SettlementError::Overflow => "amount_out_of_range",
        }
    }
}

impl From<Overflow> for SettlementError {
    fn from(_: Overflow) -> Self {
        SettlementError::Overflow
    }
}

/// One booking's commission, taxes and net: the `commission_records` row, also what a
/// captured payment records straight away.
pub fn booking_line(
    booking: &SettlementBooking,
    vendor_has_pan: bool,
    rates: &Rates,
) -> Result<SettlementLine, SettlementError> {
    let id = &booking.booking_id;
    for (what, amount) in [
        ("taxable_value", booking.taxable_value),
        ("gst_amount", booking.gst_amount),
        ("commission_flat_fee", booking.commission_flat_fee),
    ] {
        if amount.is_negative() {
            return Err(SettlementError::NegativeAmount(format!("booking {id} {what}")));
        }
    }
    if booking.commission_rate_bps > Bps::WHOLE {
        return Err(SettlementError::InvalidCommissionRate(id.clone()));
    }
    let date = booking.service_date;
    let taxable = booking.taxable_value;
    let gross = taxable.checked_add(booking.gst_amount)?;
    let commission = taxable
        .percent_of(booking.commission_rate_bps)?
        .checked_add(booking.commission_flat_fee)?;
    if commission > gross {
        return Err(SettlementError::CommissionExceedsGross(id.clone()));
    }
    let commission_gst_rate = rates.rate(RateKey::CommissionGst, date)?;
    let commission_gst = commission.percent_of(commission_gst_rate)?;
    let tds_key = if vendor_has_pan {
        RateKey::Tds194O
    } else {
        RateKey::Tds194ONoPan
    };
    let tds_rate = rates.rate(tds_key, date)?;
    let tds = taxable.percent_of(tds_rate)?;
    let tcs_rate = rates.rate(RateKey::GstTcs, date)?;
    let tcs = taxable.percent_of(tcs_rate)?;
    let net = gross
        .checked_sub(commission)?
        .checked_sub(commission_gst)?
        .checked_sub(tds)?
        .checked_sub(tcs)?;
    Ok(SettlementLine {
        booking_id: id.clone(),
        service_date: date,
        taxable_value: taxable,
        gross_amount: gross,
        commission_rate_bps: booking.commission_rate_bps,
        commission_amount: commission,
        commission_gst_rate_bps: commission_gst_rate,
        commission_gst_amount: commission_gst,
        tds_rate_bps: tds_rate,
        tds_amount: tds,
        tcs_rate_bps: tcs_rate,
        tcs_amount: tcs,
        net_to_vendor: net,
    })
}

/// Refuses a period that overlaps one already settled (an identical one distinctly).
pub fn check_period(period: Period, settled: &[Period]) -> Result<(), SettlementError> {
    if settled.contains(&period) {
        return Err(SettlementError::PeriodAlreadySettled);
    }
    match settled.iter().filter(|s| s.overlaps(period)).min() {
        Some(s) => Err(SettlementError::PeriodOverlapsSettled {
            start: s.start,
            end: s.end,
        }),
        None => Ok(()),
    }
}

/// Settles one vendor for one period. Deterministic: the same input in any order gives the
/// same settlement.
pub fn settle(input: &SettlementInput) -> Result<Settlement, SettlementError> {
    if input.vendor_id.trim().is_empty() {
        return Err(SettlementError::MissingVendor);
    }
    check_period(input.period, &input.settled_periods)?;

    let mut seen = BTreeSet::new();
    let mut lines = Vec::with_capacity(input.bookings.len());
    for booking in &input.bookings {
        if !seen.insert(booking.booking_id.as_str()) {
            return Err(SettlementError::DuplicateBooking(booking.booking_id.clone()));
        }
        if !input.period.contains(booking.service_date) {
            return Err(SettlementError::BookingOutsidePeriod(booking.booking_id.clone()));
        }
        lines.push(booking_line(booking, input.vendor_has_pan, &input.rates)?);
    }
    lines.sort_by(|a, b| (a.service_date, &a.booking_id).cmp(&(b.service_date, &b.booking_id)));

    let mut seen = BTreeSet::new();
    let mut sorted_refunds: Vec<&SettlementRefund> = input.refunds.iter().collect();
    sorted_refunds.sort_by(|a, b| (a.processed_on, &a.refund_id).cmp(&(b.processed_on, &b.refund_id)));
    let mut refunds = Vec::with_capacity(sorted_refunds.len());
    for refund in sorted_refunds {
        let id = &refund.refund_id;
        if !seen.insert(id.as_str()) {
            return Err(SettlementError::DuplicateRefund(id.clone()));
        }
        if !input.period.contains(refund.processed_on) {
            return Err(SettlementError::RefundOutsidePeriod(id.clone()));
        }
        if refund.amount.is_negative() || refund.taxable_value.is_negative() {
            return Err(SettlementError::NegativeAmount(format!("refund {id}")));
        }
        let tcs_rate = input.rates.rate(RateKey::GstTcs, refund.supply_date)?;
        refunds.push(RefundAdjustment {
            refund_id: id.clone(),
            booking_id: refund.booking_id.clone(),
            amount: refund.amount,
            taxable_value: refund.taxable_value,
            tcs_rate_bps: tcs_rate,
            tcs_reversed: refund.taxable_value.percent_of(tcs_rate)?,
        });
    }

    // Taxes by rate. TDS: what the lines withheld. TCS: collected minus reversed, per rate.
    let mut tds_by_rate: BTreeMap<Bps, (Paise, Paise)> = BTreeMap::new();
    let mut tcs_by_rate: BTreeMap<Bps, [Paise; 4]> = BTreeMap::new(); // base, collected, returned base, reversed
    for line in &lines {
        let tds = tds_by_rate.entry(line.tds_rate_bps).or_default();
        *tds = (
            tds.0.checked_add(line.taxable_value)?,
            tds.1.checked_add(line.tds_amount)?,
        );
        let tcs = tcs_by_rate.entry(line.tcs_rate_bps).or_default();
        tcs[0] = tcs[0].checked_add(line.taxable_value)?;
        tcs[1] = tcs[1].checked_add(line.tcs_amount)?;
    }
    for refund in &refunds {
        let tcs = tcs_by_rate.entry(refund.tcs_rate_bps).or_default();
        tcs[2] = tcs[2].checked_add(refund.taxable_value)?;
        tcs[3] = tcs[3].checked_add(refund.tcs_reversed)?;
    }
    let mut tax = Vec::new();
    for (rate, (base, amount)) in tds_by_rate {
        tax.push(tax_line(TaxType::Tds, rate, base, amount));
    }
    let mut tcs_amount = Paise::ZERO;
    let mut tcs_reversal_unused = Paise::ZERO;
    for (rate, [base, collected, returned, reversed]) in tcs_by_rate {
        let due = collected.checked_sub(reversed)?;
        tcs_amount = tcs_amount.checked_add(due.max(Paise::ZERO))?;
        tcs_reversal_unused = tcs_reversal_unused.checked_add(due.checked_neg()?.max(Paise::ZERO))?;
        let net_base = base.checked_sub(returned)?.max(Paise::ZERO);
        tax.push(tax_line(TaxType::GstTcs, rate, net_base, due.max(Paise::ZERO)));
    }

    let sum = |f: fn(&SettlementLine) -> Paise| Paise::checked_sum(lines.iter().map(f));
    let gross_amount = sum(|l| l.gross_amount)?;
    let commission_amount = sum(|l| l.commission_amount)?;
    let commission_gst_amount = sum(|l| l.commission_gst_amount)?;
    let tds_amount = sum(|l| l.tds_amount)?;
    let adjustment_amount = Paise::checked_sum(refunds.iter().map(|r| r.amount))?.checked_neg()?;
    let net_settlement_amount = gross_amount
        .checked_sub(commission_amount)?
        .checked_sub(commission_gst_amount)?
        .checked_sub(tds_amount)?
        .checked_sub(tcs_amount)?
        .checked_add(adjustment_amount)?;
    Ok(Settlement {
        vendor_id: input.vendor_id.clone(),
        period: input.period,
        total_bookings: u32::try_from(lines.len()).map_err(|_| SettlementError::Overflow)?,
        gross_amount,
        commission_amount,
        commission_gst_amount,
        tds_amount,
        tcs_amount,
        adjustment_amount,
        net_settlement_amount,
        tcs_reversal_unused,
        lines,
        refunds,
        tax,
    })
}

fn tax_line(tax_type: TaxType, rate: Bps, base: Paise, amount: Paise) -> TaxLine {
    TaxLine {
        tax_type,
        section: tax_type.section().to_owned(),
        return_type: tax_type.return_type().to_owned(),
        rate_bps: rate,
        taxable_amount: base,
        tax_amount: amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn row(key: &str, from: Option<&str>, bps: u32) -> RateRow {
        RateRow {
            key: key.into(),
            effective_from: from.map(d),
            value_bps: Bps::new(bps),
        }
    }

    /// The rates in force in India, as the settings rows would hold them.
    fn india() -> Rates {
        Rates::from_rows([
            row("commission_gst_rate", None, 1800),
            row("tds_194o_rate", None, 100),
            row("tds_194o_rate", Some("2024-10-01"), 10),
            row("tds_194o_no_pan_rate", None, 500),
            row("gst_tcs_rate", None, 100),
            row("gst_tcs_rate", Some("2024-07-10"), 50),
            row("gst_rate", None, 1800), // not ours: skipped
        ])
        .unwrap()
    }

    fn booking(id: &str, date: &str, taxable: i64, gst: i64) -> SettlementBooking {
        SettlementBooking {
            booking_id: id.into(),
            service_date: d(date),
            taxable_value: Paise::new(taxable),
            gst_amount: Paise::new(gst),
            commission_rate_bps: Bps::new(1500),
            commission_flat_fee: Paise::ZERO,
        }
    }

    fn refund(id: &str, booking: &str, on: &str, supplied: &str, amount: i64, taxable: i64) -> SettlementRefund {
        SettlementRefund {
            refund_id: id.into(),
            booking_id: booking.into(),
            processed_on: d(on),
            supply_date: d(supplied),
            amount: Paise::new(amount),
            taxable_value: Paise::new(taxable),
        }
    }

    fn input(start: &str, end: &str, bookings: Vec<SettlementBooking>) -> SettlementInput {
        SettlementInput {
            vendor_id: "v1".into(),
            period: Period::new(d(start), d(end)).unwrap(),
            vendor_has_pan: true,
            bookings,
            refunds: vec![],
            rates: india(),
            settled_periods: vec![],
        }
    }

    fn reconciles(s: &Settlement) {
        assert_eq!(
            s.net_settlement_amount.get(),
            s.gross_amount.get()
                - s.commission_amount.get()
                - s.commission_gst_amount.get()
                - s.tds_amount.get()
                - s.tcs_amount.get()
                + s.adjustment_amount.get()
        );
        for l in &s.lines {
            assert_eq!(
                l.net_to_vendor.get(),
                l.gross_amount.get()
                    - l.commission_amount.get()
                    - l.commission_gst_amount.get()
                    - l.tds_amount.get()
                    - l.tcs_amount.get()
            );
            assert!(l.commission_amount <= l.gross_amount);
        }
    }

    #[test]
    fn one_booking_in_october_2025() {
        // ₹2,499 at 5 % GST: taxable 249900, GST 12495.
        let s = settle(&input(
            "2025-10-01",
            "2025-10-31",
            vec![booking("b1", "2025-10-15", 249_900, 12_495)],
        ))
        .unwrap();
        let l = &s.lines[0];
        assert_eq!(l.gross_amount, Paise::new(262_395));
        assert_eq!(l.commission_amount, Paise::new(37_485)); // 15 %
        assert_eq!(l.commission_gst_amount, Paise::new(6_747)); // 18 % of 37485 = 6747.3
        assert_eq!(l.tds_rate_bps, Bps::new(10));
        assert_eq!(l.tds_amount, Paise::new(250)); // 0.1 % = 249.9
        assert_eq!(l.tcs_rate_bps, Bps::new(50));
        assert_eq!(l.tcs_amount, Paise::new(1_250)); // 0.5 % = 1249.5, half up
        assert_eq!(l.net_to_vendor, Paise::new(262_395 - 37_485 - 6_747 - 250 - 1_250));
        assert_eq!(s.total_bookings, 1);
        assert_eq!(s.net_settlement_amount, l.net_to_vendor);
        assert_eq!(s.adjustment_amount, Paise::ZERO);
        assert_eq!(s.tax.len(), 2);
        assert_eq!(s.tax[0].tax_type, TaxType::Tds);
        assert_eq!(
            (s.tax[0].section.as_str(), s.tax[0].return_type.as_str()),
            ("194-O", "26Q")
        );
        assert_eq!(
            (s.tax[1].section.as_str(), s.tax[1].return_type.as_str()),
            ("52", "GSTR-8")
        );
        assert_eq!(s.tax[1].taxable_amount, Paise::new(249_900));
        reconciles(&s);
    }

    #[test]
    fn tds_rate_follows_the_booking_date_across_1_october_2024() {
        let s = settle(&input(
            "2024-09-16",
            "2024-10-15",
            vec![
                booking("b1", "2024-09-30", 100_000, 0),
                booking("b2", "2024-10-01", 100_000, 0),
            ],
        ))
        .unwrap();
        assert_eq!(s.lines[0].tds_rate_bps, Bps::new(100));
        assert_eq!(s.lines[0].tds_amount, Paise::new(1_000));
        assert_eq!(s.lines[1].tds_rate_bps, Bps::new(10));
        assert_eq!(s.lines[1].tds_amount, Paise::new(100));
        assert_eq!(s.tds_amount, Paise::new(1_100));
        let tds: Vec<_> = s.tax.iter().filter(|t| t.tax_type == TaxType::Tds).collect();
        assert_eq!(tds.len(), 2);
        assert_eq!((tds[0].rate_bps, tds[0].tax_amount), (Bps::new(10), Paise::new(100)));
        assert_eq!((tds[1].rate_bps, tds[1].tax_amount), (Bps::new(100), Paise::new(1_000)));
        reconciles(&s);
    }

    #[test]
    fn tcs_rate_follows_the_booking_date_across_10_july_2024() {
        let s = settle(&input(
            "2024-07-01",
            "2024-07-31",
            vec![
                booking("b1", "2024-07-09", 100_000, 0),
                booking("b2", "2024-07-10", 100_000, 0),
            ],
        ))
        .unwrap();
        assert_eq!(
            (s.lines[0].tcs_rate_bps, s.lines[0].tcs_amount),
            (Bps::new(100), Paise::new(1_000))
        );
        assert_eq!(
            (s.lines[1].tcs_rate_bps, s.lines[1].tcs_amount),
            (Bps::new(50), Paise::new(500))
        );
        assert_eq!(s.tcs_amount, Paise::new(1_500));
        // Both before 1 Oct 2024: TDS at 1 %.
        assert_eq!(s.tds_amount, Paise::new(2_000));
        reconciles(&s);
    }

    #[test]
    fn no_pan_means_tds_at_the_no_pan_rate() {
        let mut i = input(
            "2025-10-01",
            "2025-10-31",
            vec![booking("b1", "2025-10-15", 249_900, 0)],
        );
        i.vendor_has_pan = false;
        let s = settle(&i).unwrap();
        assert_eq!(s.lines[0].tds_rate_bps, Bps::new(500));
        assert_eq!(s.tds_amount, Paise::new(12_495));
        reconciles(&s);
    }

    #[test]
    fn refunds_are_negative_adjustments_and_reduce_the_tcs_base() {
        let mut i = input(
            "2025-10-01",
            "2025-10-31",
            vec![
                booking("b1", "2025-10-10", 200_000, 10_000),
                booking("b2", "2025-10-20", 100_000, 5_000),
            ],
        );
        // Half of b1 refunded in the period; a refund of a booking settled in June 2024, when
        // TCS was 1 %.
        i.refunds = vec![
            refund("r2", "b0", "2025-10-05", "2024-06-20", 52_500, 50_000),
            refund("r1", "b1", "2025-10-12", "2025-10-10", 105_000, 100_000),
        ];
        let s = settle(&i).unwrap();
        assert_eq!(s.adjustment_amount, Paise::new(-157_500));
        assert_eq!(s.refunds[0].refund_id, "r2"); // processed first
        assert_eq!(
            (s.refunds[0].tcs_rate_bps, s.refunds[0].tcs_reversed),
            (Bps::new(100), Paise::new(500))
        );
        assert_eq!(
            (s.refunds[1].tcs_rate_bps, s.refunds[1].tcs_reversed),
            (Bps::new(50), Paise::new(500))
        );
        // At 0.5 %: collected 1000 + 500, reversed 500 -> 1000 on a net base of 200000.
        // At 1 %: nothing collected this period, 500 reversed -> 0 due, 500 unused.
        assert_eq!(s.tcs_amount, Paise::new(1_000));
        assert_eq!(s.tcs_reversal_unused, Paise::new(500));
        let tcs: Vec<_> = s.tax.iter().filter(|t| t.tax_type == TaxType::GstTcs).collect();
        assert_eq!(
            (tcs[0].rate_bps, tcs[0].taxable_amount, tcs[0].tax_amount),
            (Bps::new(50), Paise::new(200_000), Paise::new(1_000))
        );
        assert_eq!(
            (tcs[1].rate_bps, tcs[1].taxable_amount, tcs[1].tax_amount),
            (Bps::new(100), Paise::ZERO, Paise::ZERO)
        );
        // TDS is not reversed.
        assert_eq!(s.tds_amount, Paise::new(300));
        assert_eq!(s.gross_amount, Paise::new(315_000));
        assert_eq!(s.commission_amount, Paise::new(45_000));
        assert_eq!(s.commission_gst_amount, Paise::new(8_100));
        assert_eq!(
            s.net_settlement_amount,
            Paise::new(315_000 - 45_000 - 8_100 - 300 - 1_000 - 157_500)
        );
        reconciles(&s);
    }

    #[test]
    fn a_period_of_refunds_only_can_be_negative() {
        let mut i = input("2025-11-01", "2025-11-30", vec![]);
        i.refunds = vec![refund("r1", "b1", "2025-11-03", "2025-10-10", 105_000, 100_000)];
        let s = settle(&i).unwrap();
        assert_eq!(s.total_bookings, 0);
        assert_eq!(s.gross_amount, Paise::ZERO);
        assert_eq!(s.tcs_amount, Paise::ZERO);
        assert_eq!(s.net_settlement_amount, Paise::new(-105_000));
        reconciles(&s);
    }

    #[test]
    fn flat_fees_and_the_commission_cap() {
        let mut b = booking("b1", "2025-10-15", 10_000, 500);
        b.commission_flat_fee = Paise::new(2_000);
        let s = settle(&input("2025-10-01", "2025-10-31", vec![b.clone()])).unwrap();
        assert_eq!(s.commission_amount, Paise::new(3_500));
        b.commission_flat_fee = Paise::new(9_500);
        assert_eq!(
            settle(&input("2025-10-01", "2025-10-31", vec![b.clone()]))
                .unwrap_err()
                .code(),
            "commission_exceeds_gross"
        );
        b.commission_flat_fee = Paise::ZERO;
        b.commission_rate_bps = Bps::new(10_001);
        assert_eq!(
            settle(&input("2025-10-01", "2025-10-31", vec![b])).unwrap_err().code(),
            "invalid_commission_rate"
        );
    }

    #[test]
    fn overlapping_and_repeated_periods_are_refused() {
        let settled =
            |i: &mut SettlementInput, s: &str, e: &str| i.settled_periods.push(Period::new(d(s), d(e)).unwrap());
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        settled(&mut i, "2025-09-01", "2025-09-30");
        assert!(settle(&i).is_ok()); // adjacent
        settled(&mut i, "2025-10-31", "2025-11-30");
        assert_eq!(
            settle(&i).unwrap_err(),
            SettlementError::PeriodOverlapsSettled {
                start: d("2025-10-31"),
                end: d("2025-11-30")
            }
        );
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        settled(&mut i, "2025-10-01", "2025-10-31");
        assert_eq!(settle(&i).unwrap_err().code(), "period_already_settled");
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        settled(&mut i, "2025-10-10", "2025-10-12"); // inside
        assert_eq!(settle(&i).unwrap_err().code(), "period_overlaps_settled");
        assert_eq!(
            Period::new(d("2025-10-02"), d("2025-10-01")).unwrap_err().code(),
            "invalid_period"
        );
        assert!(Period::new(d("2025-10-01"), d("2025-10-01")).is_ok());
    }

    #[test]
    fn bad_inputs_are_refused() {
        let code = |i: SettlementInput| settle(&i).unwrap_err().code();
        assert_eq!(
            code(input(
                "2025-10-01",
                "2025-10-31",
                vec![booking("b1", "2025-11-01", 1, 0)]
            )),
            "booking_outside_period"
        );
        assert_eq!(
            code(input(
                "2025-10-01",
                "2025-10-31",
                vec![booking("b1", "2025-10-01", 1, 0), booking("b1", "2025-10-02", 1, 0)]
            )),
            "duplicate_booking"
        );
        assert_eq!(
            code(input(
                "2025-10-01",
                "2025-10-31",
                vec![booking("b1", "2025-10-01", -1, 0)]
            )),
            "negative_amount"
        );
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        i.refunds = vec![refund("r1", "b1", "2025-09-30", "2025-09-01", 1, 1)];
        assert_eq!(code(i), "refund_outside_period");
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        i.refunds = vec![
            refund("r1", "b1", "2025-10-01", "2025-09-01", 1, 1),
            refund("r1", "b1", "2025-10-02", "2025-09-01", 1, 1),
        ];
        assert_eq!(code(i), "duplicate_refund");
        let mut i = input("2025-10-01", "2025-10-31", vec![]);
        i.vendor_id = " ".into();
        assert_eq!(code(i), "missing_vendor");
        // A rate not yet in force on the booking's date.
        let mut i = input("2025-10-01", "2025-10-31", vec![booking("b1", "2025-10-01", 1, 0)]);
        i.rates = Rates::from_rows([
            row("commission_gst_rate", None, 1800),
            row("tds_194o_rate", Some("2025-10-02"), 10),
            row("gst_tcs_rate", None, 50),
        ])
        .unwrap();
        assert_eq!(
            settle(&i).unwrap_err(),
            SettlementError::RateMissing {
                key: RateKey::Tds194O,
                date: d("2025-10-01")
            }
        );
    }

    #[test]
    fn rates_resolve_by_date_and_refuse_nonsense() {
        let rates = india();
        assert_eq!(rates.rate(RateKey::Tds194O, d("2000-01-01")).unwrap(), Bps::new(100));
        assert_eq!(rates.rate(RateKey::Tds194O, d("2024-09-30")).unwrap(), Bps::new(100));
        assert_eq!(rates.rate(RateKey::Tds194O, d("2024-10-01")).unwrap(), Bps::new(10));
        assert_eq!(rates.rate(RateKey::GstTcs, d("2024-07-09")).unwrap(), Bps::new(100));
        assert_eq!(rates.rate(RateKey::GstTcs, d("2024-07-10")).unwrap(), Bps::new(50));
        // Row order does not matter.
        let reversed = Rates::from_rows(Vec::<RateRow>::from(india()).into_iter().rev()).unwrap();
        assert_eq!(reversed, rates);
        assert_eq!(
            Rates::from_rows([
                row("gst_tcs_rate", Some("2024-07-10"), 50),
                row("gst_tcs_rate", Some("2024-07-10"), 60)
            ])
            .unwrap_err()
            .code(),
            "duplicate_rate"
        );
        assert_eq!(
            Rates::from_rows([row("gst_tcs_rate", None, 10_001)])
                .unwrap_err()
                .code(),
            "invalid_rate"
        );
        assert_eq!(
            Rates::default()
                .rate(RateKey::GstTcs, d("2025-01-01"))
                .unwrap_err()
                .code(),
            "rate_missing"
        );
        // JSON: a list of rows; `effective_from` null or absent means since always.
        let rates: Rates = serde_json::from_str(
            r#"[{"key":"gst_tcs_rate","value_bps":100},{"key":"gst_tcs_rate","effective_from":"2024-07-10","value_bps":50}]"#,
        )
        .unwrap();
        assert_eq!(rates.rate(RateKey::GstTcs, d("2024-07-10")).unwrap(), Bps::new(50));
    }

    #[test]
    fn deterministic_whatever_the_input_order() {
        let mut i = input(
            "2025-10-01",
            "2025-10-31",
            (0..40)
                .map(|n| {
                    booking(
                        &format!("b{n:02}"),
                        &format!("2025-10-{:02}", n % 28 + 1),
                        99_999 + n * 1_001,
                        n * 37,
                    )
                })
                .collect(),
        );
        i.refunds = (0..7)
            .map(|n| {
                refund(
                    &format!("r{n}"),
                    &format!("b{n:02}"),
                    &format!("2025-10-{:02}", 28 - n),
                    "2025-10-01",
                    10_001 * n,
                    9_001 * n,
                )
            })
            .collect();
        let a = settle(&i).unwrap();
        i.bookings.reverse();
        i.refunds.reverse();
        let b = settle(&i).unwrap();
        assert_eq!(a, b);
        reconciles(&a);
        assert_eq!(a.total_bookings, 40);
        assert_eq!(
            a.tds_amount,
            Paise::checked_sum(
                a.tax
                    .iter()
                    .filter(|t| t.tax_type == TaxType::Tds)
                    .map(|t| t.tax_amount)
            )
            .unwrap()
        );
        assert_eq!(
            a.tcs_amount,
            Paise::checked_sum(
                a.tax
                    .iter()
                    .filter(|t| t.tax_type == TaxType::GstTcs)
                    .map(|t| t.tax_amount)
            )
            .unwrap()
        );
    }

    #[test]
    fn input_round_trips_through_json() {
        let mut i = input(
            "2025-10-01",
            "2025-10-31",
            vec![booking("b1", "2025-10-15", 249_900, 12_495)],
        );
        i.refunds = vec![refund("r1", "b1", "2025-10-16", "2025-10-15", 1_000, 900)];
        let json = serde_json::to_string(&i).unwrap();
        let back: SettlementInput = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
        assert!(serde_json::from_str::<Period>(r#"{"start":"2025-10-31","end":"2025-10-01"}"#).is_err());
    }
}
