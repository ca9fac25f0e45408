//! The service benches' printed report: one row per figure with its verdict, the pgbench
//! baseline and the ratio against it, the unexpected replies verbatim, then the result.

use std::fmt::{Display, Write};

use super::pgbench::{Baseline, SCALE};

pub struct Table {
    out: String,
    /// Width of the figure column.
    width: usize,
}

impl Table {
    pub fn new(title: &str, width: usize) -> Self {
        let mut table = Self {
            out: String::new(),
            width,
        };
        let _ = writeln!(table.out, "\n{title:<30} {:<width$} verdict", "figure");
        table
    }

    pub fn row(&mut self, what: &str, figure: impl Display, verdict: &str) {
        let width = self.width;
        let _ = writeln!(self.out, "{what:<30} {:<width$} {verdict}", figure.to_string());
    }

    /// The baseline's TPS and `ratio` (the service's figure over it, named `what`) against
    /// `goal`; "skipped" when the baseline was not measured.
    pub fn baseline(&mut self, baseline: Option<&Baseline>, what: &str, ratio: Option<f64>, goal: f64) {
        let (Some(baseline), Some(ratio)) = (baseline, ratio) else {
            self.row("baseline: pgbench tpcb-like", "skipped", "");
            return;
        };
        self.row(
            "baseline: pgbench tpcb-like",
            format!(
                "{:.1} tps (scale {SCALE}, {} clients, {} s)",
                baseline.tps,
                baseline.clients,
                baseline.duration.as_secs()
            ),
            "",
        );
        self.row(
            what,
            format!("{ratio:.3} (goal >= {goal})"),
            if ratio >= goal { "met" } else { "not met" },
        );
    }

    /// Replies nobody expected, verbatim, after the table.
    pub fn unexpected<'a>(&mut self, phase: &str, lines: impl IntoIterator<Item = &'a String>) {
        for line in lines {
            let _ = writeln!(self.out, "\n{phase}, unexpected reply: {line}");
        }
    }

    /// The table with the result: PASS, or FAIL and why.
    pub fn finish(mut self, failures: &[String]) -> String {
        let _ = writeln!(
            self.out,
            "\n{}",
            if failures.is_empty() {
                "result: PASS".to_owned()
            } else {
                format!("result: FAIL\n  {}", failures.join("\n  "))
            }
        );
        self.out
    }
}
