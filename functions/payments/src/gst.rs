//! GST tax invoice maths: how much CGST and SGST, or IGST, an invoice carries, its number in a
//! gapless series, and the Indian financial year it belongs to.
//!
//! **Which tax.** A supply whose place of supply is in the supplier's own state is
//! intra-state: half the rate is central GST (CGST) and half state/UT GST (SGST), e.g. 18 % =
//! 9 % + 9 %, 5 % = 2.5 % + 2.5 %. Any other supply is inter-state: integrated GST (IGST) at
//! the whole rate (IGST Act s.7–8 for what counts as which).
//!
//! **Rounding, and the odd paisa.** Every amount is rounded half up to the paisa (the crate's
//! one rule, [`Paise::percent_of`]). CGST and SGST are each computed at their half rate on
//! the taxable value and rounded on their own, so they are always equal, as the database
//! requires (`invoices_cgst_equals_sgst`). Their sum can therefore differ by one paisa from
//! GST computed at the whole rate: 5 % of ₹1,999.00 is ₹99.95, but 2.5 % is ₹49.975 → ₹49.98,
//! twice ₹99.96. The invoice shows ₹99.96; a price quoted with one whole-rate GST line should
//! compute intra-state GST the same way ([`intra_state_tax`]) if the two are to agree.
//!
//! **Lines and rates.** Tax is computed per rate, on the sum of the taxable values of the
//! lines at that rate (not per line and then summed), so anyone can recompute an invoice from
//! its `taxable_value` and rate columns. An invoice row stores one rate
//! ([`InvoiceTax::uniform_rate`]); one with lines at several rates gives one [`RateTax`] each.
//!
//! **Numbers.** GST rule 46(b): a consecutive serial number "not exceeding sixteen
//! characters, in one or multiple series, containing alphabets or numerals or special
//! characters hyphen or dash and slash … unique for a financial year". Ours is
//! `<prefix>/<yy-yy>/<serial>`, e.g. `OMB/25-26/00042`, with the serial zero-padded to at
//! least five digits; a series is one prefix (one issuer) in one financial year. Gaplessness
//! under concurrency is the database's job (one counter row per series, taken under lock);
//! this module formats and validates.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use ombaro_booking::money::{Bps, Overflow, Paise};
use serde::{Deserialize, Serialize};

/// Why an invoice cannot be computed or numbered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GstError {
    #[error("{0:?} is not a GST state code")]
    InvalidStateCode(String),
    #[error("an invoice needs at least one line")]
    NoLines,
    #[error("line {0}: negative taxable value")]
    NegativeAmount(usize),
    #[error("line {0}: GST rate above 100 %")]
    InvalidRate(usize),
    #[error("line {line}: rate {rate} cannot be split into two equal rates of whole basis points")]
    RateNotSplittable { line: usize, rate: Bps },
    #[error("invoice prefix {0:?} must be 1 to 8 letters, digits or '-'")]
    InvalidPrefix(String),
    #[error("invoice serial numbers start at 1")]
    InvalidSerial,
    #[error("invoice number {0:?} is not 1 to 16 letters, digits, '-' or '/' (GST rule 46)")]
    InvalidInvoiceNumber(String),
    #[error("amount out of range")]
    Overflow,
}

impl GstError {
    /// Stable code for API errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            GstError::InvalidStateCode(_) => "invalid_state_code",
            GstError::NoLines => "no_lines",
            GstError::NegativeAmount(_) => "negative_amount",
            GstError::InvalidRate(_) => "invalid_rate",
            GstError::RateNotSplittable { .. } => "rate_not_splittable",
            GstError::InvalidPrefix(_) => "invalid_invoice_prefix",
            GstError::InvalidSerial => "invalid_invoice_serial",
            GstError::InvalidInvoiceNumber(_) => "invalid_invoice_number",
            GstError::Overflow => "amount_out_of_range",
        }
    }
}

impl From<Overflow> for GstError {
    fn from(_: Overflow) -> Self {
        GstError::Overflow
    }
}

/// A two-digit GST state code: `01`–`38` (states and union territories, as in the first two
/// digits of a GSTIN and `invoices.place_of_supply_code`) or `97` (Other Territory).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StateCode(u8);

impl StateCode {
    pub fn parse(code: &str) -> Result<StateCode, GstError> {
        let invalid = || GstError::InvalidStateCode(code.to_owned());
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let n: u8 = code.parse().map_err(|_| invalid())?;
        if (1..=38).contains(&n) || n == 97 {
            Ok(StateCode(n))
        } else {
            Err(invalid())
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<String> for StateCode {
    type Error = String;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        StateCode::parse(&code).map_err(|e| e.to_string())
    }
}

impl From<StateCode> for String {
    fn from(code: StateCode) -> String {
        code.to_string()
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// Intra-state (CGST + SGST) or inter-state (IGST).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyType {
    IntraState,
    InterState,
}

impl SupplyType {
    pub fn of(supplier_state: StateCode, place_of_supply: StateCode) -> SupplyType {
        if supplier_state == place_of_supply {
            SupplyType::IntraState
        } else {
            SupplyType::InterState
        }
    }
}

/// One printed line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    #[serde(default)]
    pub description: String,
    pub taxable_value: Paise,
    /// The whole GST rate (1800 = 18 %).
    pub rate_bps: Bps,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceInput {
    pub supplier_state: StateCode,
    pub place_of_supply: StateCode,
    pub lines: Vec<InvoiceLine>,
}

/// The tax at one rate. Rates are basis points (`cgst_rate_bps: 900` = the `9.00` of
/// `invoices.cgst_rate`); the heads that do not apply are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTax {
    pub rate_bps: Bps,
    pub taxable_value: Paise,
    pub cgst_rate_bps: Bps,
    pub cgst_amount: Paise,
    pub sgst_rate_bps: Bps,
    pub sgst_amount: Paise,
    pub igst_rate_bps: Bps,
    pub igst_amount: Paise,
}

impl RateTax {
    pub fn total_tax(&self) -> Paise {
        Paise::new(self.cgst_amount.get() + self.sgst_amount.get() + self.igst_amount.get())
    }
}

/// An invoice's tax: one [`RateTax`] per distinct rate (in rate order) and the totals
/// `invoices` stores, with `total_amount = taxable_value + cgst + sgst + igst`
/// (`invoices_total_reconciles`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTax {
    pub supply_type: SupplyType,
    pub by_rate: Vec<RateTax>,
    pub taxable_value: Paise,
    pub cgst_amount: Paise,
    pub sgst_amount: Paise,
    pub igst_amount: Paise,
    pub total_tax: Paise,
    pub total_amount: Paise,
}

impl InvoiceTax {
    /// The rates when every line has the same one (what an `invoices` row can hold).
    pub fn uniform_rate(&self) -> Option<&RateTax> {
        match self.by_rate.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }
}

/// CGST and SGST on `taxable` at the whole `rate`: each at half the rate, rounded half up on
/// its own, so the two are equal. Fails for an odd number of basis points (no half rate in
/// whole basis points, which `numeric(5,2)` percent columns could not hold).
pub fn intra_state_tax(taxable: Paise, rate: Bps) -> Result<(Bps, Paise), GstError> {
    if !rate.get().is_multiple_of(2) {
        return Err(GstError::RateNotSplittable { line: 0, rate });
    }
    let half = Bps::new(rate.get() / 2);
    Ok((half, taxable.percent_of(half)?))
}

/// The tax at one rate on a taxable value.
pub fn tax_at_rate(taxable: Paise, rate: Bps, supply_type: SupplyType) -> Result<RateTax, GstError> {
    let mut tax = RateTax {
        rate_bps: rate,
        taxable_value: taxable,
        cgst_rate_bps: Bps::ZERO,
        cgst_amount: Paise::ZERO,
        sgst_rate_bps: Bps::ZERO,
        sgst_amount: Paise::ZERO,
        igst_rate_bps: Bps::ZERO,
        igst_amount: Paise::ZERO,
    };
    match supply_type {
        SupplyType::IntraState => {
            let (half, amount) = intra_state_tax(taxable, rate)?;
            tax.cgst_rate_bps = half;
            tax.sgst_rate_bps = half;
            tax.cgst_amount = amount;
            tax.sgst_amount = amount;
        }
        SupplyType::InterState => {
            tax.igst_rate_bps = rate;
            tax.igst_amount = taxable.percent_of(rate)?;
        }
    }
    Ok(tax)
}

/// Computes an invoice's GST. Lines must have non-negative values and rates of at most
/// 100 %; zero-rated lines are fine.
pub fn compute_invoice(input: &InvoiceInput) -> Result<InvoiceTax, GstError> {
    if input.lines.is_empty() {
        return Err(GstError::NoLines);
    }
    let supply_type = SupplyType::of(input.supplier_state, input.place_of_supply);
    // Sum the taxable value per rate; BTreeMap keeps the output in rate order.
    let mut per_rate = std::collections::BTreeMap::<Bps, Paise>::new();
    for (index, line) in input.lines.iter().enumerate() {
        if line.taxable_value.is_negative() {
            return Err(GstError::NegativeAmount(index));
        }
        if line.rate_bps > Bps::WHOLE {
            return Err(GstError::InvalidRate(index));
        }
        if supply_type == SupplyType::IntraState && !line.rate_bps.get().is_multiple_of(2) {
            return Err(GstError::RateNotSplittable {
                line: index,
                rate: line.rate_bps,
            });
        }
        let sum = per_rate.entry(line.rate_bps).or_insert(Paise::ZERO);
        *sum = sum.checked_add(line.taxable_value)?;
    }
    let by_rate = per_rate
        .into_iter()
        .map(|(rate, taxable)| tax_at_rate(taxable, rate, supply_type))
        .collect::<Result<Vec<_>, _>>()?;
    let sum = |f: fn(&RateTax) -> Paise| Paise::checked_sum(by_rate.iter().map(f));
    let taxable_value = sum(|t| t.taxable_value)?;
    let cgst_amount = sum(|t| t.cgst_amount)?;
    let sgst_amount = sum(|t| t.sgst_amount)?;
    let igst_amount = sum(|t| t.igst_amount)?;
    let total_tax = Paise::checked_sum([cgst_amount, sgst_amount, igst_amount])?;
    Ok(InvoiceTax {
        supply_type,
        taxable_value,
        cgst_amount,
        sgst_amount,
        igst_amount,
        total_tax,
        total_amount: taxable_value.checked_add(total_tax)?,
        by_rate,
    })
}

// Financial year ----------------------------------------------------------------------------

/// An Indian financial year, April to March, named by the calendar year it starts in. Only
/// made from a date, so it always names a real year; serialised as its label (`FY2025-26`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct FinancialYear {
    start_year: i32,
}

impl From<FinancialYear> for String {
    fn from(year: FinancialYear) -> String {
        year.label()
    }
}

/// The financial year of a date (an IST calendar date).
pub fn financial_year(date: NaiveDate) -> FinancialYear {
    let start_year = if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    };
    FinancialYear { start_year }
}

/// India Standard Time: UTC+05:30 all year (no daylight saving).
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 30 * 60).expect("+05:30 is a valid offset")
}

/// The financial year of an instant, read on the IST calendar (an invoice issued at
/// 2026-03-31T20:00Z is dated 1 April 2026 in India, so belongs to FY2026-27).
pub fn financial_year_at(instant: DateTime<Utc>) -> FinancialYear {
    financial_year(instant.with_timezone(&ist()).date_naive())
}

impl FinancialYear {
    /// The calendar year of its 1 April.
    pub fn start_year(self) -> i32 {
        self.start_year
    }

    /// `FY2025-26`, exactly as `private.financial_year` in SQL and the `financial_year`
    /// columns write it.
    pub fn label(self) -> String {
        format!(
            "FY{}-{:02}",
            self.start_year,
            (i64::from(self.start_year) + 1).rem_euclid(100)
        )
    }

    /// `25-26`, for invoice numbers.
    pub fn short(self) -> String {
        format!(
            "{:02}-{:02}",
            self.start_year.rem_euclid(100),
            (i64::from(self.start_year) + 1).rem_euclid(100)
        )
    }

    /// 1 April; `None` only at the very end of the calendar `chrono` can represent.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.start_year, 4, 1)
    }

    /// 31 March of the next calendar year; `None` only at the very end of the calendar
    /// `chrono` can represent.
    pub fn last_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.start_year.checked_add(1)?, 3, 31)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

// Invoice numbers ---------------------------------------------------------------------------

/// A GST invoice number: 1–16 characters of `[A-Za-z0-9/-]` (rule 46), the check
/// `invoices.invoice_number` also makes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceNumber(String);

pub const INVOICE_NUMBER_MAX_LEN: usize = 16;

impl InvoiceNumber {
    pub fn parse(number: &str) -> Result<InvoiceNumber, GstError> {
        let ok = !number.is_empty()
            && number.len() <= INVOICE_NUMBER_MAX_LEN
            && number
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'/');
        if ok {
            Ok(InvoiceNumber(number.to_owned()))
        } else {
            Err(GstError::InvalidInvoiceNumber(number.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InvoiceNumber {
    type Error = String;
    fn try_from(number: String) -> Result<Self, Self::Error> {
        InvoiceNumber::parse(&number).map_err(|e| e.to_string())
    }
}

impl From<InvoiceNumber> for String {
    fn from(number: InvoiceNumber) -> String {
        number.0
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One issuer's invoice series: its prefix (1–8 letters, digits or `-`; no `/`, which
/// separates the parts). The serial restarts at 1 every financial year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvoiceSeries {
    prefix: String,
}

/// Serials are printed with at least this many digits: `00042`.
pub const SERIAL_MIN_DIGITS: usize = 5;

impl InvoiceSeries {
    pub fn new(prefix: &str) -> Result<InvoiceSeries, GstError> {
        let ok =
            !prefix.is_empty() && prefix.len() <= 8 && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(InvoiceSeries {
                prefix: prefix.to_owned(),
            })
        } else {
            Err(GstError::InvalidPrefix(prefix.to_owned()))
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The `serial`-th number of the series in `year`: `<prefix>/<yy-yy>/<serial>`. Fails when
    /// it would exceed 16 characters (a 4-character prefix leaves room for 99 999 invoices a
    /// year, a 3-character one for 999 999).
    pub fn number(&self, year: FinancialYear, serial: u64) -> Result<InvoiceNumber, GstError> {
        if serial == 0 {
            return Err(GstError::InvalidSerial);
        }
        let number = format!(
            "{}/{}/{:0width$}",
            self.prefix,
            year.short(),
            serial,
            width = SERIAL_MIN_DIGITS
        );
        InvoiceNumber::parse(&number)
    }
}

impl TryFrom<String> for InvoiceSeries {
    type Error = String;
    fn try_from(prefix: String) -> Result<Self, Self::Error> {
        InvoiceSeries::new(&prefix).map_err(|e| e.to_string())
    }
}

impl From<InvoiceSeries> for String {
    fn from(series: InvoiceSeries) -> String {
        series.prefix
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn state(code: &str) -> StateCode {
        StateCode::parse(code).unwrap()
    }

    fn line(taxable: i64, rate: u32) -> InvoiceLine {
        InvoiceLine {
            description: String::new(),
            taxable_value: Paise::new(taxable),
            rate_bps: Bps::new(rate),
        }
    }

    fn invoice(supplier: &str, place: &str, lines: Vec<InvoiceLine>) -> Result<InvoiceTax, GstError> {
        compute_invoice(&InvoiceInput {
            supplier_state: state(supplier),
            place_of_supply: state(place),
            lines,
        })
    }

    #[test]
    fn same_state_is_cgst_plus_sgst() {
        // ₹2,499 at 18 % in Maharashtra: 9 % + 9 % = ₹224.91 each.
        let tax = invoice("27", "27", vec![line(249_900, 1800)]).unwrap();
        assert_eq!(tax.supply_type, SupplyType::IntraState);
        let rate = tax.uniform_rate().unwrap();
        assert_eq!(rate.cgst_rate_bps, Bps::new(900));
        assert_eq!(rate.sgst_rate_bps, Bps::new(900));
        assert_eq!(rate.igst_rate_bps, Bps::ZERO);
        assert_eq!(tax.cgst_amount, Paise::new(22_491));
        assert_eq!(tax.sgst_amount, Paise::new(22_491));
        assert_eq!(tax.igst_amount, Paise::ZERO);
        assert_eq!(tax.total_tax, Paise::new(44_982));
        assert_eq!(tax.total_amount, Paise::new(294_882));
    }

    #[test]
    fn other_state_is_igst() {
        // Supplier in Karnataka, service performed in Maharashtra.
        let tax = invoice("29", "27", vec![line(249_900, 1800)]).unwrap();
        assert_eq!(tax.supply_type, SupplyType::InterState);
        assert_eq!(tax.igst_amount, Paise::new(44_982));
        assert_eq!(tax.uniform_rate().unwrap().igst_rate_bps, Bps::new(1800));
        assert_eq!(tax.cgst_amount, Paise::ZERO);
        assert_eq!(tax.sgst_amount, Paise::ZERO);
        assert_eq!(tax.total_amount, Paise::new(294_882));
    }

    #[test]
    fn the_odd_paisa() {
        // 5 % of ₹1,999.00 = ₹99.95 at the whole rate; 2.5 % = 4997.5 paise -> 4998 each.
        let tax = invoice("27", "27", vec![line(199_900, 500)]).unwrap();
        assert_eq!(tax.cgst_amount, Paise::new(4_998));
        assert_eq!(tax.sgst_amount, Paise::new(4_998));
        assert_eq!(tax.total_tax, Paise::new(9_996));
        assert_eq!(
            Paise::new(199_900).percent_of(Bps::new(500)).unwrap(),
            Paise::new(9_995)
        );
        // Inter-state the same supply carries the whole-rate figure.
        assert_eq!(
            invoice("29", "27", vec![line(199_900, 500)]).unwrap().igst_amount,
            Paise::new(9_995)
        );
        // And the halves can round down together: 2.5 % of 1 paisa = 0.025 -> 0.
        assert_eq!(invoice("27", "27", vec![line(1, 500)]).unwrap().total_tax, Paise::ZERO);
    }

    #[test]
    fn cgst_always_equals_sgst_and_totals_reconcile() {
        for taxable in (0..20_000).step_by(37) {
            for rate in [0, 10, 300, 500, 1200, 1800, 2800, 4000] {
                for (s, p) in [("27", "27"), ("27", "29")] {
                    let tax = invoice(s, p, vec![line(taxable, rate)]).unwrap();
                    assert_eq!(tax.cgst_amount, tax.sgst_amount);
                    assert!(tax.igst_amount == Paise::ZERO || tax.cgst_amount == Paise::ZERO);
                    assert_eq!(
                        tax.total_amount.get(),
                        tax.taxable_value.get() + tax.cgst_amount.get() + tax.sgst_amount.get() + tax.igst_amount.get()
                    );
                    // Within one paisa of the whole-rate figure.
                    let whole = Paise::new(taxable).percent_of(Bps::new(rate)).unwrap().get();
                    assert!((tax.total_tax.get() - whole).abs() <= 1, "{taxable} {rate}");
                }
            }
        }
    }

    #[test]
    fn tax_is_per_rate_on_summed_lines() {
        // 18 % IGST of 3 paise is 0.54 -> 1 per line (2 for two lines), but two lines of 3
        // paise are taxed as 6 paise: 1.08 -> 1.
        let tax = invoice("29", "27", vec![line(3, 1800), line(3, 1800)]).unwrap();
        assert_eq!(tax.igst_amount, Paise::new(1));
        assert_eq!(tax.by_rate.len(), 1);
        // Mixed rates: one RateTax each, in rate order, and no uniform rate.
        let tax = invoice(
            "27",
            "27",
            vec![line(100_000, 1800), line(4_900, 1800), line(50_000, 500)],
        )
        .unwrap();
        assert!(tax.uniform_rate().is_none());
        assert_eq!(tax.by_rate.len(), 2);
        assert_eq!(tax.by_rate[0].rate_bps, Bps::new(500));
        assert_eq!(tax.by_rate[0].cgst_amount, Paise::new(1_250));
        assert_eq!(tax.by_rate[1].taxable_value, Paise::new(104_900));
        assert_eq!(tax.by_rate[1].cgst_amount, Paise::new(9_441));
        assert_eq!(tax.cgst_amount, Paise::new(10_691));
        assert_eq!(tax.taxable_value, Paise::new(154_900));
        assert_eq!(tax.total_amount, Paise::new(154_900 + 2 * 10_691));
    }

    #[test]
    fn bad_invoices_are_refused() {
        assert_eq!(invoice("27", "27", vec![]).unwrap_err().code(), "no_lines");
        assert_eq!(
            invoice("27", "27", vec![line(-1, 1800)]),
            Err(GstError::NegativeAmount(0))
        );
        assert_eq!(
            invoice("27", "27", vec![line(1, 1800), line(1, 10_001)]),
            Err(GstError::InvalidRate(1))
        );
        // 0.25 % cannot be halved into whole basis points inside a state; across states it is fine.
        assert_eq!(
            invoice("27", "27", vec![line(100, 25)]).unwrap_err().code(),
            "rate_not_splittable"
        );
        assert!(invoice("27", "07", vec![line(100, 25)]).is_ok());
        assert_eq!(
            invoice("27", "27", vec![line(i64::MAX, 1800), line(1, 1800)])
                .unwrap_err()
                .code(),
            "amount_out_of_range"
        );
    }

    #[test]
    fn state_codes() {
        assert_eq!(state("07").to_string(), "07");
        assert_eq!(state("38").get(), 38);
        assert_eq!(state("97").get(), 97);
        for bad in ["00", "39", "96", "7", "007", "ab", "-1", ""] {
            assert_eq!(StateCode::parse(bad).unwrap_err().code(), "invalid_state_code", "{bad}");
        }
        assert_eq!(serde_json::to_string(&state("09")).unwrap(), r#""09""#);
        assert!(serde_json::from_str::<StateCode>(r#""99""#).is_err());
    }

    #[test]
    fn financial_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(financial_year(d(2025, 4, 1)).label(), "FY2025-26");
        assert_eq!(financial_year(d(2026, 3, 31)).label(), "FY2025-26");
        assert_eq!(financial_year(d(2026, 4, 1)).label(), "FY2026-27");
        assert_eq!(financial_year(d(2025, 1, 15)).label(), "FY2024-25");
        // The century turns like private.financial_year's lpad((y + 1) % 100).
        assert_eq!(financial_year(d(1999, 12, 1)).label(), "FY1999-00");
        assert_eq!(financial_year(d(1999, 12, 1)).short(), "99-00");
        assert_eq!(financial_year(d(2025, 10, 15)).short(), "25-26");
        let fy = financial_year(d(2025, 10, 15));
        assert_eq!(
            (fy.first_day(), fy.last_day()),
            (Some(d(2025, 4, 1)), Some(d(2026, 3, 31)))
        );
        assert_eq!(fy.start_year(), 2025);
        assert_eq!(serde_json::to_string(&fy).unwrap(), r#""FY2025-26""#);
        assert_eq!(financial_year(NaiveDate::MAX).last_day(), None);
        // An instant is dated in IST: 31 March 20:00 UTC is already 1 April in India.
        assert_eq!(
            financial_year_at(Utc.with_ymd_and_hms(2026, 3, 31, 18, 29, 59).unwrap()).label(),
            "FY2025-26"
        );
        assert_eq!(
            financial_year_at(Utc.with_ymd_and_hms(2026, 3, 31, 18, 30, 0).unwrap()).label(),
            "FY2026-27"
        );
    }

    #[test]
    fn invoice_numbers() {
        let fy = financial_year(NaiveDate::from_ymd_opt(2025, 10, 15).unwrap());
        let omb = InvoiceSeries::new("OMB").unwrap();
        assert_eq!(omb.number(fy, 42).unwrap().as_str(), "OMB/25-26/00042");
        assert_eq!(omb.number(fy, 999_999).unwrap().as_str(), "OMB/25-26/999999"); // 16
        assert_eq!(omb.number(fy, 1_000_000).unwrap_err().code(), "invalid_invoice_number");
        assert_eq!(omb.number(fy, 0).unwrap_err().code(), "invalid_invoice_serial");
        let vendor = InvoiceSeries::new("V-12").unwrap();
        assert_eq!(vendor.number(fy, 99_999).unwrap().as_str(), "V-12/25-26/99999");
        assert!(vendor.number(fy, 100_000).is_err());
        for bad in ["", "OMB/", "OM B", "ÖMB", "TOOLONGPX"] {
            assert_eq!(
                InvoiceSeries::new(bad).unwrap_err().code(),
                "invalid_invoice_prefix",
                "{bad}"
            );
        }
        // Rule 46: 16 characters of letters, digits, '-' and '/'.
        assert!(InvoiceNumber::parse("INV/2025-26/0001").is_ok());
        for bad in ["", "INV/2025-26/00001", "INV 1", "INV_1", "INV#1"] {
            assert!(InvoiceNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<InvoiceNumber>(r#""A/B/C""#).is_ok());
    }
}
