//! Judging and printing what [`super::run`] measured. Correctness (the race, server errors,
//! overlaps) fails the command; speed is reported against its goal but never fails it,
//! because it depends on the machine the bench runs on.

use std::fmt::Write;

use super::{BookingBenchReport, Tally};
use crate::bench::millis;

/// Bookings per second over pgbench tpcb-like TPS that the service should reach: a booking
/// is a dozen statements with triggers and an exclusion check, so half of pgbench's five
/// statement transaction rate is the bar.
pub const RATIO_GOAL: f64 = 0.5;

impl BookingBenchReport {
    /// Bookings per second over pgbench's TPS, when the baseline was measured.
    pub fn ratio(&self) -> Option<f64> {
        let baseline = self.baseline.as_ref()?;
        Some(self.throughput.per_second() / baseline.tps.max(1e-9))
    }

    /// Why the run failed; empty when it did not.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let winners = self.race.tally.with_status(201);
        if winners != 1 {
            failures.push(format!(
                "phase b: {winners} of {} racers booked overlapping times of one therapist (expected exactly 1)",
                self.race.racers
            ));
        }
        for (phase, tally) in self.tallies() {
            let errors = tally.server_errors();
            if errors > 0 {
                failures.push(format!("{phase}: {errors} server errors (5xx or no answer)"));
            }
        }
        if self.randomized.overlaps != 0 {
            failures.push(format!(
                "phase c: {} pairs of overlapping active assignments",
                self.randomized.overlaps
            ));
        }
        failures
    }

    fn tallies(&self) -> [(&'static str, &Tally); 3] {
        [
            ("phase a", &self.throughput.tally),
            ("phase b", &self.race.tally),
            ("phase c", &self.randomized.tally),
        ]
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let a = &self.throughput;
        let row = |out: &mut String, what: &str, figure: String, verdict: &str| {
            let _ = writeln!(out, "{what:<30} {figure:<52} {verdict}");
        };
        let _ = writeln!(out, "\n{:<30} {:<52} verdict", "booking benchmark", "figure");

        let errors = a.tally.total() - a.created();
        row(
            &mut out,
            "a: throughput",
            format!(
                "{:.1} bookings/s ({} in {:.1} s, {} clients)",
                a.per_second(),
                a.created(),
                a.elapsed.as_secs_f64(),
                a.clients
            ),
            if errors == 0 { "" } else { "errors below" },
        );
        if let Some(latency) = &a.latency {
            row(
                &mut out,
                "a: latency",
                format!(
                    "p50 {:.1} ms, p99 {:.1} ms, mean {:.1} ms",
                    millis(latency.p50),
                    millis(latency.p99),
                    millis(latency.mean)
                ),
                "",
            );
        }
        if errors > 0 {
            row(
                &mut out,
                "a: not booked",
                format!("{errors}: {}", a.tally.describe()),
                "",
            );
        }
        if a.exhausted > 0 {
            row(
                &mut out,
                "a: clients out of slots",
                format!("{} (booked every hour of the horizon)", a.exhausted),
                "",
            );
        }
        match (&self.baseline, self.ratio()) {
            (Some(baseline), Some(ratio)) => {
                row(
                    &mut out,
                    "baseline: pgbench tpcb-like",
                    format!(
                        "{:.1} tps (scale {}, {} clients, {} s)",
                        baseline.tps,
                        crate::bench::pgbench::SCALE,
                        baseline.clients,
                        baseline.duration.as_secs()
                    ),
                    "",
                );
                row(
                    &mut out,
                    "ratio bookings/s ÷ tps",
                    format!("{ratio:.3} (goal >= {RATIO_GOAL})"),
                    if ratio >= RATIO_GOAL { "met" } else { "not met" },
                );
            }
            _ => row(&mut out, "baseline: pgbench tpcb-like", "skipped".into(), ""),
        }

        let race = &self.race;
        let one_winner = race.tally.with_status(201) == 1 && race.tally.with_status(409) == race.racers - 1;
        row(
            &mut out,
            "b: race for overlapping slots",
            format!("{} racers: {}", race.racers, race.tally.describe()),
            if race.tally.with_status(201) != 1 {
                "FAIL (expected exactly one 201)"
            } else if one_winner {
                "ok (one 201, the rest 409)"
            } else {
                "one 201, but not all others 409"
            },
        );

        let c = &self.randomized;
        row(
            &mut out,
            "c: randomized attempts",
            format!(
                "{}: {} × 201, {} × 409, {} other, in {:.1} s",
                c.attempts,
                c.tally.with_status(201),
                c.tally.with_status(409),
                c.tally.total() - c.tally.with_status(201) - c.tally.with_status(409),
                c.elapsed.as_secs_f64()
            ),
            "",
        );
        row(&mut out, "c: replies", c.tally.describe(), "");
        row(
            &mut out,
            "c: overlapping assignments",
            c.overlaps.to_string(),
            if c.overlaps == 0 { "ok" } else { "FAIL" },
        );
        row(&mut out, "wall time", format!("{:.1} s", self.wall.as_secs_f64()), "");

        for (phase, tally) in self.tallies() {
            for line in &tally.unexpected {
                let _ = writeln!(out, "\n{phase}, unexpected reply: {line}");
            }
        }
        let failures = self.failures();
        let _ = writeln!(
            out,
            "\n{}",
            if failures.is_empty() {
                "result: PASS".to_owned()
            } else {
                format!("result: FAIL\n  {}", failures.join("\n  "))
            }
        );
        out
    }
}
