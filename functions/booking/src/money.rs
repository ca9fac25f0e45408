//! Money and rates.
//!
//! Amounts are integer paise (`Paise`), rates are basis points (`Bps`, 10000 = 100 %), exactly
//! as the database stores them, so nothing is converted on the way in or out.
//!
//! **The one rounding rule**: whenever an amount is scaled by a fraction (a percentage, a
//! multiplier, a duration ratio, a pro-rata share), the exact result is rounded *half up* to
//! the paisa: 0.5 paise and above goes up, below 0.5 goes down. Every scaling in this crate
//! goes through [`Paise::scale`], so the rule cannot drift between pricing, tax and fees.
//! Intermediate products are computed in `i128`, so no scaling can overflow before the final
//! range check.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount of money in paise (1/100 rupee). Signed, because flat price adjustments and
/// quote lines such as discounts are negative; catalogue prices are checked non-negative
/// where they are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Paise(i64);

/// A rate in basis points: 1 bps = 0.01 %, 10000 = 100 %. Multipliers may exceed 10000
/// (11000 = x1.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bps(u32);

/// Money arithmetic left the range of `i64` paise; any caller turns this into an input error
/// because real bookings are many orders of magnitude below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct Overflow;

impl Paise {
    pub const ZERO: Paise = Paise(0);

    pub const fn new(paise: i64) -> Self {
        Paise(paise)
    }

    /// Whole rupees, for readable tests and seeds.
    pub const fn rupees(rupees: i64) -> Self {
        Paise(rupees * 100)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Paise) -> Result<Paise, Overflow> {
        self.0.checked_add(other.0).map(Paise).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Paise) -> Result<Paise, Overflow> {
        self.0.checked_sub(other.0).map(Paise).ok_or(Overflow)
    }

    pub fn checked_mul(self, times: i64) -> Result<Paise, Overflow> {
        self.0.checked_mul(times).map(Paise).ok_or(Overflow)
    }

    pub fn checked_neg(self) -> Result<Paise, Overflow> {
        self.0.checked_neg().map(Paise).ok_or(Overflow)
    }

    /// Sum of many amounts, failing on overflow rather than wrapping.
    pub fn checked_sum<I: IntoIterator<Item = Paise>>(amounts: I) -> Result<Paise, Overflow> {
        amounts.into_iter().try_fold(Paise::ZERO, |acc, a| acc.checked_add(a))
    }

    /// `self * numerator / denominator`, rounded half up to the paisa (the crate's one
    /// rounding rule). `denominator` must be positive.
    pub fn scale(self, numerator: i64, denominator: i64) -> Result<Paise, Overflow> {
        if denominator <= 0 {
            return Err(Overflow);
        }
        let product = i128::from(self.0) * i128::from(numerator);
        let rounded = div_round_half_up(product, i128::from(denominator));
        i64::try_from(rounded).map(Paise).map_err(|_| Overflow)
    }

    /// `bps` of `self`: `percent_of(₹100, 18 %) = ₹18`. Rounded half up.
    pub fn percent_of(self, bps: Bps) -> Result<Paise, Overflow> {
        self.scale(i64::from(bps.0), i64::from(Bps::WHOLE.0))
    }

    pub fn max(self, other: Paise) -> Paise {
        Paise(self.0.max(other.0))
    }

    pub fn min(self, other: Paise) -> Paise {
        Paise(self.0.min(other.0))
    }
}

/// Round half up (towards +infinity at exactly .5): floor((2n + d) / 2d). For the
/// non-negative amounts money is scaled on this is the familiar "0.5 rounds up".
fn div_round_half_up(n: i128, d: i128) -> i128 {
    (2 * n + d).div_euclid(2 * d)
}

impl fmt::Display for Paise {
    /// Rupees with two decimals (`₹2499.00`), for labels and messages only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}₹{}.{:02}", abs / 100, abs % 100)
    }
}

impl Bps {
    /// 100 %.
    pub const WHOLE: Bps = Bps(10_000);
    pub const ZERO: Bps = Bps(0);

    pub const fn new(bps: u32) -> Self {
        Bps(bps)
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// Parses a SQL `numeric(5,2)` percentage such as `"18.00"` or `"5"`: two decimals of
    /// a percent are exactly basis points, so this is lossless.
    pub fn parse_percent(text: &str) -> Option<Bps> {
        let text = text.trim();
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
            return None;
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let frac: u32 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().ok()?
        };
        whole.checked_mul(100)?.checked_add(frac).map(Bps)
    }
}

impl fmt::Display for Bps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frac = self.0 % 100;
        if frac == 0 {
            write!(f, "{}%", self.0 / 100)
        } else {
            write!(f, "{}.{:02}%", self.0 / 100, frac)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_rupees_and_a_sign_only_below_zero() {
        assert_eq!(Paise::new(0).to_string(), "₹0.00");
        assert_eq!(Paise::new(249_900).to_string(), "₹2499.00");
        assert_eq!(Paise::new(-5).to_string(), "-₹0.05");
    }

    #[test]
    fn percentages_parse_to_exact_basis_points_or_not_at_all() {
        assert_eq!(Bps::parse_percent("18.00").map(Bps::get), Some(1_800));
        assert_eq!(Bps::parse_percent(" 5 ").map(Bps::get), Some(500));
        assert_eq!(Bps::parse_percent("0.5").map(Bps::get), Some(50));
        for bad in ["", ".5", "1.234", "a.50", "1a", "18.0x", "-1"] {
            assert_eq!(Bps::parse_percent(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn percent_rounds_half_up() {
        // 18 % of 2.50 = 0.45 exactly; 18 % of 0.25 = 0.045 -> 0; 5 % of 0.10 = 0.005 -> 0.01.
        assert_eq!(Paise::new(250).percent_of(Bps::new(1800)).unwrap(), Paise::new(45));
        assert_eq!(Paise::new(25).percent_of(Bps::new(1800)).unwrap(), Paise::new(5)); // 4.5 -> 5
        assert_eq!(Paise::new(10).percent_of(Bps::new(500)).unwrap(), Paise::new(1)); // 0.5 -> 1
        assert_eq!(Paise::new(9).percent_of(Bps::new(500)).unwrap(), Paise::new(0)); // 0.45 -> 0
        assert_eq!(Paise::new(11).percent_of(Bps::new(500)).unwrap(), Paise::new(1));
        // 0.55 -> 1
    }

    #[test]
    fn scale_rounds_half_up() {
        assert_eq!(Paise::new(1).scale(1, 2).unwrap(), Paise::new(1)); // 0.5 -> 1
        assert_eq!(Paise::new(1).scale(1, 3).unwrap(), Paise::new(0)); // 0.33 -> 0
        assert_eq!(Paise::new(2).scale(1, 3).unwrap(), Paise::new(1)); // 0.67 -> 1
        assert_eq!(Paise::new(199_900).scale(90, 60).unwrap(), Paise::new(299_850));
        assert_eq!(Paise::new(99_999).scale(90, 60).unwrap(), Paise::new(149_999));
        // 149998.5 -> 149999
    }

    #[test]
    fn negative_halves_round_towards_plus_infinity() {
        // Only flat adjustments are negative and they are never scaled, but the rule is total.
        assert_eq!(Paise::new(-1).scale(1, 2).unwrap(), Paise::new(0));
        assert_eq!(Paise::new(-3).scale(1, 2).unwrap(), Paise::new(-1));
    }

    #[test]
    fn percent_of_whole_and_zero() {
        let amount = Paise::new(123_457);
        assert_eq!(amount.percent_of(Bps::WHOLE).unwrap(), amount);
        assert_eq!(amount.percent_of(Bps::ZERO).unwrap(), Paise::ZERO);
    }

    #[test]
    fn scale_matches_exact_arithmetic_on_a_grid() {
        // Property: the rounded result is within half a paisa of the exact quotient, and
        // exact halves go up.
        for amount in (0..5_000).step_by(7) {
            for bps in (0..12_000).step_by(137) {
                let got = Paise::new(amount).percent_of(Bps::new(bps)).unwrap().get();
                let twice_exact = 2 * amount * i64::from(bps); // 2 * exact * 10000
                let twice_got = 2 * got * 10_000;
                assert!(twice_got - twice_exact <= 10_000, "{amount} {bps}");
                assert!(twice_exact - twice_got < 10_000, "{amount} {bps}");
            }
        }
    }

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        assert_eq!(Paise::new(i64::MAX).checked_add(Paise::new(1)), Err(Overflow));
        assert_eq!(Paise::new(i64::MIN).checked_sub(Paise::new(1)), Err(Overflow));
        assert_eq!(Paise::new(i64::MAX).checked_mul(2), Err(Overflow));
        assert_eq!(Paise::new(i64::MAX).scale(3, 1), Err(Overflow));
        assert_eq!(Paise::new(1).scale(1, 0), Err(Overflow));
        // The i128 intermediate lets a large amount be scaled down without overflowing.
        assert_eq!(Paise::new(i64::MAX).scale(1, 2).unwrap(), Paise::new(i64::MAX / 2 + 1));
        assert_eq!(
            Paise::checked_sum([Paise::new(1), Paise::new(2)]).unwrap(),
            Paise::new(3)
        );
    }

    #[test]
    fn parses_sql_percentages() {
        assert_eq!(Bps::parse_percent("18.00"), Some(Bps::new(1800)));
        assert_eq!(Bps::parse_percent("5"), Some(Bps::new(500)));
        assert_eq!(Bps::parse_percent("12.5"), Some(Bps::new(1250)));
        assert_eq!(Bps::parse_percent(" 0.01 "), Some(Bps::new(1)));
        assert_eq!(Bps::parse_percent("1.234"), None);
        assert_eq!(Bps::parse_percent("-5"), None);
        assert_eq!(Bps::parse_percent("abc"), None);
        assert_eq!(Bps::parse_percent(".5"), None);
    }

    #[test]
    fn displays_rupees_and_percent() {
        assert_eq!(Paise::new(249_900).to_string(), "₹2499.00");
        assert_eq!(Paise::new(-4_905).to_string(), "-₹49.05");
        assert_eq!(Bps::new(1800).to_string(), "18%");
        assert_eq!(Bps::new(1250).to_string(), "12.50%");
    }
}
