//! Funnels: ordered steps an actor goes through, counted per journey.
//!
//! The definition the rollups (`private.analytics_funnel_steps()` in V81) and the raw-event
//! computations share:
//!
//! - the **actor** is the user when the event has one, else the session (anonymous visits);
//!   events with neither are ignored;
//! - a **journey** starts at an actor's first event of step 1 on an IST day (so an actor
//!   enters a funnel at most once a day), and belongs to that day and to the city of that
//!   event (`location_info.city`);
//! - step k is reached at the earliest event of step k at or after step k-1 was reached and
//!   within the funnel's window from the journey's start;
//! - per step: journeys that reached it, conversion from step 1 (`count / count of step 1`),
//!   and the median seconds to the next step among journeys that reached it (the lower
//!   median, as SQL's `percentile_disc(0.5)`).
//!
//! Because journeys belong to one day, a range's counts are the sums of its days' counts:
//! that is what lets the daily rollups answer any range exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ist_day;

/// A funnel: its name, its ordered steps (event names) and its conversion window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelDef {
    pub name: &'static str,
    pub steps: &'static [&'static str],
    /// Seconds from the journey's start within which later steps count.
    pub window_seconds: i64,
}

/// The funnels the rollups compute. Kept equal to `private.analytics_funnel_steps()` in
/// the migrations (a test compares them).
pub const FUNNELS: [FunnelDef; 2] = [
    FunnelDef {
        name: "discovery",
        steps: &["service_viewed", "slot_selected", "booking_created", "payment_captured"],
        window_seconds: 24 * 3600,
    },
    FunnelDef {
        name: "signup",
        steps: &["app_opened", "signup_started", "signup_completed"],
        window_seconds: 24 * 3600,
    },
];

/// The funnel named `name`.
pub fn definition(name: &str) -> Option<&'static FunnelDef> {
    FUNNELS.iter().find(|f| f.name == name)
}

/// One raw event as the funnel sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Touch {
    /// User id, or `session:<id>` when anonymous.
    pub actor: String,
    pub event_name: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub city: Option<String>,
}

/// One step of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub count: i64,
    /// `count` over step 1's count, rounded to 4 decimals (0 when nobody entered).
    pub conversion: f64,
    /// Median seconds from this step to the next among journeys reaching the next; `None`
    /// for the last step, when nobody went on, or when the source cannot tell it exactly.
    pub median_seconds_to_next: Option<i64>,
}

/// Per step counts as conversions from step 1.
pub fn steps_from_counts(def: &FunnelDef, counts: &[i64], medians: &[Option<i64>]) -> Vec<Step> {
    let entered = counts.first().copied().unwrap_or(0);
    def.steps
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let count = counts.get(i).copied().unwrap_or(0);
            Step {
                name: (*name).to_owned(),
                count,
                conversion: conversion(count, entered),
                median_seconds_to_next: medians.get(i).copied().flatten(),
            }
        })
        .collect()
}

/// `part / whole` rounded to 4 decimals; 0 when `whole` is 0.
pub fn conversion(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
    }
}

/// The lower median (`percentile_disc(0.5)`) of `values`.
pub fn lower_median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

/// Evaluates `def` over `touches` for journeys starting on IST days `from..=to`, in `city`
/// when given.
pub fn evaluate(def: &FunnelDef, touches: &[Touch], from: NaiveDate, to: NaiveDate, city: Option<&str>) -> Vec<Step> {
    let window = Duration::seconds(def.window_seconds);
    // Each actor's step events in time order.
    let mut by_actor: BTreeMap<&str, Vec<&Touch>> = BTreeMap::new();
    for t in touches {
        if def.steps.contains(&t.event_name.as_str()) {
            by_actor.entry(t.actor.as_str()).or_default().push(t);
        }
    }
    let n = def.steps.len();
    let mut counts = vec![0i64; n];
    let mut gaps: Vec<Vec<i64>> = vec![Vec::new(); n];
    for events in by_actor.values_mut() {
        events.sort_by_key(|t| t.at);
        // Journey starts: the first step-1 event of each IST day.
        let mut starts: BTreeMap<NaiveDate, &Touch> = BTreeMap::new();
        for t in events.iter().filter(|t| t.event_name == def.steps[0]) {
            starts.entry(ist_day(t.at)).or_insert(t);
        }
        for (day, start) in starts {
            if day < from || day > to || city.is_some_and(|c| start.city.as_deref() != Some(c)) {
                continue;
            }
            let deadline = start.at + window;
            let mut reached = start.at;
            counts[0] += 1;
            for k in 1..n {
                let next = events
                    .iter()
                    .find(|t| t.event_name == def.steps[k] && t.at >= reached && t.at <= deadline);
                match next {
                    Some(t) => {
                        counts[k] += 1;
                        gaps[k - 1].push((t.at - reached).num_seconds());
                        reached = t.at;
                    }
                    None => break,
                }
            }
        }
    }
    let medians: Vec<Option<i64>> = gaps.iter_mut().map(|g| lower_median(g)).collect();
    steps_from_counts(def, &counts, &medians)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        // IST wall time of 2026-03-<day>.
        crate::ist()
            .with_ymd_and_hms(2026, 3, day, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn t(actor: &str, name: &str, when: DateTime<Utc>, city: Option<&str>) -> Touch {
        Touch {
            actor: actor.into(),
            event_name: name.into(),
            at: when,
            city: city.map(str::to_owned),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn the_discovery_funnel_counts_ordered_steps_in_the_window() {
        let f = definition("discovery").unwrap();
        let touches = vec![
            // u1: all four steps, 60 s, 120 s, 30 s apart.
            t("u1", "service_viewed", at(10, 10, 0), Some("Bengaluru")),
            t("u1", "slot_selected", at(10, 10, 1), None),
            t("u1", "booking_created", at(10, 10, 3), None),
            t("u1", "payment_captured", at(10, 10, 3) + Duration::seconds(30), None),
            // u2: slot selected before viewing does not count; stops at step 1.
            t("u2", "slot_selected", at(10, 9, 0), None),
            t("u2", "service_viewed", at(10, 11, 0), Some("Mumbai")),
            // s:x (anonymous): two steps, the second 180 s later.
            t("session:x", "service_viewed", at(10, 12, 0), Some("Bengaluru")),
            t("session:x", "slot_selected", at(10, 12, 3), None),
            // u3: booking after the 24 h window does not count.
            t("u3", "service_viewed", at(10, 8, 0), None),
            t("u3", "slot_selected", at(10, 8, 5), None),
            t("u3", "booking_created", at(11, 8, 6), None),
        ];
        let steps = evaluate(f, &touches, day(10), day(10), None);
        let counts: Vec<i64> = steps.iter().map(|s| s.count).collect();
        assert_eq!(counts, vec![4, 3, 1, 1]);
        assert_eq!(steps[1].conversion, 0.75);
        assert_eq!(steps[2].conversion, 0.25);
        // Gaps to slot_selected: 60, 180, 300 -> median 180.
        assert_eq!(steps[0].median_seconds_to_next, Some(180));
        assert_eq!(steps[1].median_seconds_to_next, Some(120));
        assert_eq!(steps[3].median_seconds_to_next, None);
        let blr = evaluate(f, &touches, day(10), day(10), Some("Bengaluru"));
        assert_eq!(blr.iter().map(|s| s.count).collect::<Vec<_>>(), vec![2, 2, 1, 1]);
        assert!(evaluate(f, &touches, day(11), day(12), None)
            .iter()
            .all(|s| s.count == 0));
    }

    #[test]
    fn an_actor_enters_once_a_day_and_a_range_is_the_sum_of_its_days() {
        let f = definition("discovery").unwrap();
        let touches = vec![
            t("u1", "service_viewed", at(10, 10, 0), None),
            t("u1", "service_viewed", at(10, 11, 0), None),
            t("u1", "service_viewed", at(11, 0, 10), None),
            t("u1", "slot_selected", at(11, 0, 20), None),
        ];
        let d10 = evaluate(f, &touches, day(10), day(10), None);
        let d11 = evaluate(f, &touches, day(11), day(11), None);
        let both = evaluate(f, &touches, day(10), day(11), None);
        assert_eq!(d10[0].count + d11[0].count, both[0].count);
        assert_eq!(both.iter().map(|s| s.count).collect::<Vec<_>>(), vec![2, 2, 0, 0]);
    }

    #[test]
    fn conversion_and_medians() {
        assert_eq!(conversion(1, 3), 0.3333);
        assert_eq!(conversion(5, 0), 0.0);
        assert_eq!(lower_median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(lower_median(&mut [5]), Some(5));
        assert_eq!(lower_median(&mut []), None);
    }
}
