//! `ombaro bench ...`: performance measured as ratios against a baseline taken in the same
//! run on the same cluster, because absolute timings on a shared machine mean little.

pub mod analytics;
pub mod auth;
pub mod booking;
mod http;
pub mod location;
pub mod notifications;
pub mod payments;
mod people;
pub mod pgbench;
pub mod realtime;
pub mod rest;
pub mod rls;
pub mod scratch;
mod table;

use std::time::Duration;

/// Latency summary of one measured query.
#[derive(Debug, Clone)]
pub struct Summary {
    pub runs: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

impl Summary {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let runs = samples.len().max(1);
        let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
        let total: Duration = samples.iter().sum();
        Self {
            runs: samples.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
            mean: total / runs as u32,
        }
    }
}

impl Summary {
    /// `p50 1.0 ms, p99 2.0 ms, max 3.0 ms, mean 1.1 ms`.
    pub fn describe(&self) -> String {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, mean {:.1} ms",
            millis(self.p50),
            millis(self.p99),
            millis(self.max),
            millis(self.mean)
        )
    }
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
