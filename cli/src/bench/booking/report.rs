//! Judging and printing what [`super::run`] measured. Correctness (the race, server errors,
//! overlaps) fails the command; speed is reported against its goal but never fails it,
//! because it depends on the machine the bench runs on.

use super::{BookingBenchReport, Tally};
use crate::bench::table::Table;

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
        let mut t = Table::new("booking benchmark", 52);
        let a = &self.throughput;

        let errors = a.tally.total() - a.created();
        t.row(
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
            t.row("a: latency", latency.describe(), "");
        }
        if errors > 0 {
            t.row("a: not booked", format!("{errors}: {}", a.tally.describe()), "");
        }
        if a.exhausted > 0 {
            t.row(
                "a: clients out of slots",
                format!("{} (booked every hour of the horizon)", a.exhausted),
                "",
            );
        }
        t.baseline(
            self.baseline.as_ref(),
            "ratio bookings/s ÷ tps",
            self.ratio(),
            RATIO_GOAL,
        );

        let race = &self.race;
        let one_winner = race.tally.with_status(201) == 1 && race.tally.with_status(409) == race.racers - 1;
        t.row(
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
        t.row(
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
        t.row("c: replies", c.tally.describe(), "");
        t.row(
            "c: overlapping assignments",
            c.overlaps.to_string(),
            if c.overlaps == 0 { "ok" } else { "FAIL" },
        );
        t.row("wall time", format!("{:.1} s", self.wall.as_secs_f64()), "");

        for (phase, tally) in self.tallies() {
            t.unexpected(phase, &tally.unexpected);
        }
        t.finish(&self.failures())
    }
}
