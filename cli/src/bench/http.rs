//! The service benches' side of HTTP: one reply as the bench saw it, and replies counted by
//! status and a label (an error code, an outcome), with a few unexpected ones kept verbatim.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use serde_json::Value;

/// Unexpected replies kept per tally, verbatim, for the report.
const SAMPLES: usize = 3;

pub struct Reply {
    /// 0 stands for "no HTTP answer at all", which counts as a server failure.
    pub status: u16,
    pub body: Value,
    pub latency: Duration,
}

impl Reply {
    /// Reads the answer to a request sent at `started`.
    pub async fn read(sent: reqwest::Result<reqwest::Response>, started: Instant) -> Self {
        let (status, body) = match sent {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            Err(err) => (0, Value::String(err.to_string())),
        };
        Self {
            status,
            body,
            latency: started.elapsed(),
        }
    }

    /// A string field of the JSON body, empty when there is none.
    pub fn field(&self, name: &str) -> &str {
        self.body.get(name).and_then(Value::as_str).unwrap_or_default()
    }

    /// The error code of an error reply.
    pub fn code(&self) -> &str {
        self.field("code")
    }
}

/// Replies counted by status and label, with a few unexpected ones kept verbatim.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// `(status, label)`; the label is empty when there is nothing to say.
    pub counts: BTreeMap<(u16, String), usize>,
    /// `<request> -> <status> <reply>` lines.
    pub unexpected: Vec<String>,
}

impl Tally {
    /// Counts `reply` under `label`; keeps it, with the request `describe` gives, when its
    /// status is not one of `expected`.
    pub fn add(&mut self, reply: &Reply, label: &str, expected: &[u16], describe: impl FnOnce() -> String) {
        *self.counts.entry((reply.status, label.to_owned())).or_default() += 1;
        if !expected.contains(&reply.status) && self.unexpected.len() < SAMPLES {
            self.unexpected
                .push(format!("{} -> {} {}", describe(), reply.status, reply.body));
        }
    }

    pub fn merge(&mut self, other: Tally) {
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
        let room = SAMPLES.saturating_sub(self.unexpected.len());
        self.unexpected.extend(other.unexpected.into_iter().take(room));
    }

    pub fn with_status(&self, status: u16) -> usize {
        self.counts
            .iter()
            .filter(|((s, _), _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// Replies with this label, whatever their status.
    pub fn with_label(&self, label: &str) -> usize {
        self.counts
            .iter()
            .filter(|((_, l), _)| l == label)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// 5xx replies and requests that got no HTTP answer.
    pub fn server_errors(&self) -> usize {
        self.counts
            .iter()
            .filter(|((s, _), _)| *s == 0 || *s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    /// `1 × 201, 49 × 409 slot_unavailable`.
    pub fn describe(&self) -> String {
        self.counts
            .iter()
            .map(|((status, label), n)| {
                let status = if *status == 0 {
                    "no answer".to_owned()
                } else {
                    status.to_string()
                };
                format!("{n} × {status}{}{label}", if label.is_empty() { "" } else { " " })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
