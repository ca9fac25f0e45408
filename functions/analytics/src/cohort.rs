//! Cohort retention: customers grouped by the week or month of their first completed
//! booking (or of their sign-up), and how many of each cohort book again in each later
//! period.
//!
//! The definition the rollup (`private.rollup_cohorts` in V81) shares: periods are IST
//! calendar weeks (Monday first) or months; period 0 is the cohort's own period; a member is
//! retained in period p when they have a completed booking dated in it (for first-booking
//! cohorts everyone is retained in period 0).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long a cohort period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Week,
    Month,
}

impl Grain {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" => Some(Grain::Week),
            "month" => Some(Grain::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }
}

/// What puts a customer in a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CohortType {
    FirstBooking,
    Signup,
}

/// The first day of the period holding `day`.
pub fn period_start(grain: Grain, day: NaiveDate) -> NaiveDate {
    match grain {
        Grain::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Grain::Month => day.with_day(1).expect("day 1 exists"),
    }
}

/// Whole periods from the period of `start` to the period of `day`.
pub fn periods_between(grain: Grain, start: NaiveDate, day: NaiveDate) -> i64 {
    let (a, b) = (period_start(grain, start), period_start(grain, day));
    match grain {
        Grain::Week => (b - a).num_days() / 7,
        Grain::Month => i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month()),
    }
}

/// One cohort's retention in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    pub cohort_start: NaiveDate,
    pub period: i64,
    pub cohort_size: i64,
    pub retained: i64,
}

/// Retention of cohorts whose members joined on `joined` days (member, day), with activity
/// (member, day of a completed booking), for periods up to the one holding `through`.
pub fn retention(
    grain: Grain,
    joined: &[(String, NaiveDate)],
    activity: &[(String, NaiveDate)],
    through: NaiveDate,
) -> Vec<CohortRow> {
    let mut cohorts: BTreeMap<NaiveDate, BTreeSet<&str>> = BTreeMap::new();
    let mut cohort_of: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for (member, day) in joined {
        let start = period_start(grain, *day);
        cohorts.entry(start).or_default().insert(member);
        cohort_of.insert(member, start);
    }
    let mut active: BTreeMap<(NaiveDate, i64), BTreeSet<&str>> = BTreeMap::new();
    for (member, day) in activity {
        if let Some(start) = cohort_of.get(member.as_str()) {
            let p = periods_between(grain, *start, *day);
            if p >= 0 {
                active.entry((*start, p)).or_default().insert(member);
            }
        }
    }
    let mut rows = Vec::new();
    for (start, members) in &cohorts {
        let last = periods_between(grain, *start, through);
        for period in 0..=last.max(0) {
            rows.push(CohortRow {
                cohort_start: *start,
                period,
                cohort_size: members.len() as i64,
                retained: active.get(&(*start, period)).map_or(0, |s| s.len() as i64),
            });
        }
    }
    rows
}

/// `retained` as a percentage of `size`, rounded to 2 decimals, as the table's column.
pub fn retention_rate(retained: i64, size: i64) -> f64 {
    if size <= 0 {
        0.0
    } else {
        (retained as f64 * 10_000.0 / size as f64).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_are_iso_weeks_and_calendar_months() {
        // 2026-03-11 is a Wednesday.
        assert_eq!(period_start(Grain::Week, d(2026, 3, 11)), d(2026, 3, 9));
        assert_eq!(period_start(Grain::Month, d(2026, 3, 11)), d(2026, 3, 1));
        assert_eq!(periods_between(Grain::Week, d(2026, 3, 11), d(2026, 3, 16)), 1);
        assert_eq!(periods_between(Grain::Month, d(2025, 12, 31), d(2026, 2, 1)), 2);
    }

    #[test]
    fn retention_by_month() {
        let joined = vec![
            ("a".to_owned(), d(2026, 1, 5)),
            ("b".to_owned(), d(2026, 1, 20)),
            ("c".to_owned(), d(2026, 2, 2)),
        ];
        let activity = vec![
            ("a".to_owned(), d(2026, 1, 5)),
            ("b".to_owned(), d(2026, 1, 20)),
            ("c".to_owned(), d(2026, 2, 2)),
            ("a".to_owned(), d(2026, 2, 10)),
            ("a".to_owned(), d(2026, 2, 11)),
            ("b".to_owned(), d(2026, 3, 1)),
            ("zz".to_owned(), d(2026, 3, 1)),
        ];
        let rows = retention(Grain::Month, &joined, &activity, d(2026, 3, 15));
        let jan: Vec<(i64, i64, i64)> = rows
            .iter()
            .filter(|r| r.cohort_start == d(2026, 1, 1))
            .map(|r| (r.period, r.cohort_size, r.retained))
            .collect();
        assert_eq!(jan, vec![(0, 2, 2), (1, 2, 1), (2, 2, 1)]);
        let feb: Vec<(i64, i64)> = rows
            .iter()
            .filter(|r| r.cohort_start == d(2026, 2, 1))
            .map(|r| (r.period, r.retained))
            .collect();
        assert_eq!(feb, vec![(0, 1), (1, 0)]);
        assert_eq!(retention_rate(1, 3), 33.33);
    }
}
