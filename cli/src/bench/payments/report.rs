//! Judging and printing what [`super::run`] measured. Correctness (server errors, refused
//! events, answers that do not add up, books that do not match what was sent) fails the
//! command; speed is reported against its goals but never fails it, because it depends on
//! the machine the bench runs on.

use std::time::Duration;

use super::{Answers, Kind, PaymentBenchReport, Reconciliation};
use crate::bench::{millis, table::Table, Summary};

/// Webhooks per second over pgbench tpcb-like TPS that the service should reach. A capture
/// is a few dozen statements with triggers (payment, booking, history, invoice from a locked
/// series, commission, loyalty, three notifications, the inbox), a duplicate or a refund a
/// handful; averaged over what Razorpay sends per booking, a quarter of pgbench's
/// five-statement transaction rate is the bar.
pub const RATIO_GOAL: f64 = 0.25;
/// Razorpay's webhook timeout: a slower answer counts as a failed delivery and is retried.
pub const LATENCY_GOAL: Duration = Duration::from_secs(5);

impl PaymentBenchReport {
    /// Phase (a)'s events per second over pgbench's TPS, when the baseline was measured.
    pub fn ratio(&self) -> Option<f64> {
        let baseline = self.baseline.as_ref()?;
        Some(self.steady.per_second() / baseline.tps.max(1e-9))
    }

    /// The slowest answer of either phase.
    pub fn max_latency(&self) -> Duration {
        [self.steady.answers.latency(), self.storm.answers.latency()]
            .into_iter()
            .flatten()
            .map(|s| s.max)
            .max()
            .unwrap_or_default()
    }

    /// The storm's answers: payments processed (one per booking), refunds taken (applied at
    /// once or parked), duplicates.
    pub fn storm_outcomes(&self) -> (usize, usize, usize) {
        let a = &self.storm.answers;
        let processed = |kind| {
            a.kind(kind)
                .counts
                .get(&(200, "processed".to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let refunds_taken = processed(Kind::Refund) + a.kind(Kind::Refund).with_label("parked");
        (
            processed(Kind::Captured) + processed(Kind::OrderPaid),
            refunds_taken,
            a.with_outcome("duplicate"),
        )
    }

    /// Why the run failed; empty when it did not.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for (phase, answers) in [("phase a", &self.steady.answers), ("phase b", &self.storm.answers)] {
            let errors = answers.server_errors();
            if errors > 0 {
                failures.push(format!("{phase}: {errors} server errors (5xx or no answer)"));
            }
            let refused = answers.not_ok() - errors;
            if refused > 0 {
                failures.push(format!("{phase}: {refused} events refused (4xx)"));
            }
        }
        let p = &self.planned;
        let (payments, refunds, duplicates) = self.storm_outcomes();
        if (payments, refunds, duplicates) != (p.bookings, p.refunds, p.requests - p.bookings - p.refunds) {
            failures.push(format!(
                "phase b: the answers do not add up: {payments} payments processed (expected {}), {refunds} refunds \
                 taken (expected {}), {duplicates} duplicates (expected {})",
                p.bookings,
                p.refunds,
                p.requests - p.bookings - p.refunds
            ));
        }
        failures.extend(self.steady_books.problems());
        failures.extend(self.storm_books.problems());
        failures
    }

    pub fn render(&self) -> String {
        let mut t = Table::new("payment benchmark", 72);

        let a = &self.steady;
        t.row(
            "a: webhooks",
            format!(
                "{:.1} events/s ({} in {:.1} s, {} senders, {} bookings)",
                a.per_second(),
                a.answers.total(),
                a.elapsed.as_secs_f64(),
                a.senders,
                a.payments.len()
            ),
            if a.exhausted { "senders ran out of bookings" } else { "" },
        );
        latency_row(&mut t, "a: latency", a.answers.latency());
        answer_rows(&mut t, "a", &a.answers);
        books_rows(&mut t, "a", &self.steady_books);
        t.baseline(self.baseline.as_ref(), "ratio events/s ÷ tps", self.ratio(), RATIO_GOAL);

        let p = &self.planned;
        t.row(
            "b: storm sent",
            format!(
                "{} requests: {} distinct events + {} duplicates ({} at once with another copy), seed {}",
                p.requests, p.distinct, p.duplicates, p.concurrent, self.options.seed
            ),
            "",
        );
        t.row(
            "b: storm events",
            format!(
                "{} bookings × (payment.captured + order.paid), {} refund.processed ({} before their payment)",
                p.bookings, p.refunds, p.refunds_first
            ),
            "",
        );
        let b = &self.storm;
        t.row(
            "b: storm speed",
            format!(
                "{:.1} events/s ({} in {:.1} s, {} senders)",
                b.per_second(),
                b.answers.total(),
                b.elapsed.as_secs_f64(),
                b.senders
            ),
            "",
        );
        latency_row(&mut t, "b: latency", b.answers.latency());
        answer_rows(&mut t, "b", &b.answers);
        let (payments, refunds, duplicates) = self.storm_outcomes();
        let expected = (p.bookings, p.refunds, p.requests - p.bookings - p.refunds);
        t.row(
            "b: answers add up",
            format!(
                "{payments} payments processed once, {refunds} refunds taken once ({} parked), {duplicates} duplicates",
                b.answers.kind(Kind::Refund).with_label("parked")
            ),
            if (payments, refunds, duplicates) == expected {
                "ok"
            } else {
                "FAIL"
            },
        );
        books_rows(&mut t, "b", &self.storm_books);
        let s = &self.storm_books;
        t.row(
            "b: storm",
            format!("{} lost, {} doubled", s.lost(), s.doubled()),
            if s.lost() == 0 && s.doubled() == 0 && s.problems().is_empty() {
                "ok"
            } else {
                "FAIL"
            },
        );
        let max = self.max_latency();
        t.row(
            "slowest answer",
            format!(
                "{:.1} ms (goal < {} s, Razorpay's timeout)",
                millis(max),
                LATENCY_GOAL.as_secs()
            ),
            if max < LATENCY_GOAL { "met" } else { "not met" },
        );
        t.row(
            "wall time",
            format!(
                "{:.1} s (fixture {:.1} s)",
                self.wall.as_secs_f64(),
                self.fixture.as_secs_f64()
            ),
            "",
        );

        for (phase, answers) in [("phase a", &self.steady.answers), ("phase b", &self.storm.answers)] {
            t.unexpected(phase, answers.unexpected());
        }
        t.finish(&self.failures())
    }
}

fn latency_row(t: &mut Table, what: &str, latency: Option<Summary>) {
    if let Some(l) = latency {
        t.row(what, l.describe(), if l.max < LATENCY_GOAL { "" } else { "over 5 s" });
    }
}

fn answer_rows(t: &mut Table, phase: &str, answers: &Answers) {
    for (kind, tally) in &answers.kinds {
        t.row(&format!("{phase}: {}", kind.as_str()), tally.describe(), "");
    }
}

fn books_rows(t: &mut Table, phase: &str, r: &Reconciliation) {
    let verdict = |ok: bool| if ok { "ok" } else { "FAIL" };
    t.row(
        &format!("{phase}: books, payments"),
        format!(
            "{} of {} bookings paid once ({} unpaid, {} twice, {} wrong, {} not confirmed/paid)",
            r.paid_once, r.bookings, r.unpaid, r.paid_twice, r.payment_wrong, r.booking_wrong
        ),
        verdict(r.paid_once == r.bookings && r.booking_wrong == 0),
    );
    t.row(
        &format!("{phase}: books, history, invoices"),
        format!(
            "confirmed: {} missing, {} twice; invoices: {} missing, {} twice",
            r.unconfirmed, r.confirmed_twice, r.uninvoiced, r.invoiced_twice
        ),
        verdict(r.unconfirmed + r.confirmed_twice + r.uninvoiced + r.invoiced_twice == 0),
    );
    t.row(
        &format!("{phase}: books, refunds"),
        format!(
            "{} of {} applied once ({} lost, {} extra, {} wrong); {} paise sent, {} booked",
            r.refunds_once,
            r.refunds,
            r.refunds_lost,
            r.refunds_extra,
            r.refund_wrong,
            r.refunded_sent,
            r.refunded_booked
        ),
        verdict(r.refunds_once == r.refunds && r.refunds_extra == 0 && r.refunded_sent == r.refunded_booked),
    );
    let statuses = r
        .inbox
        .iter()
        .map(|(status, n)| format!("{n} {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    t.row(
        &format!("{phase}: books, inbox"),
        format!(
            "{} of {} distinct events recorded, {} unsent, {} pending ({statuses})",
            r.events_recorded, r.events_sent, r.inbox_unsent, r.pending
        ),
        verdict(
            r.events_recorded == r.events_sent && r.inbox_unsent == 0 && r.pending == 0 && r.inbox_unsettled() == 0,
        ),
    );
}
