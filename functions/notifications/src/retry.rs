//! What follows a failed delivery: another attempt after an exponential backoff with jitter,
//! or dead. The jitter comes from a value the caller passes (a random number in production,
//! a fixed one in tests), so the schedule is deterministic.
//!
//! Attempt `n` (1-based, `notification_queue.attempts` after the claim) that fails
//! transiently is retried after a delay drawn from `[d/2, d]`, where
//! `d = min(max_delay, base × 2^(n-1))` ("equal jitter": never sooner than half the backoff,
//! so a burst of failures spreads out without anyone retrying at once). A provider's
//! `Retry-After` is honoured when longer. A permanent failure (a 4xx other than 429: bad
//! number, invalid token, rejected template) is dead at once, and so is the last attempt.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A policy or attempt count that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetryError {
    #[error("invalid retry policy: {0}")]
    InvalidPolicy(&'static str),
    #[error("attempt {attempt} is not within 1..={max_attempts}")]
    InvalidAttempt { attempt: u32, max_attempts: u32 },
}

impl RetryError {
    pub fn code(&self) -> &'static str {
        match self {
            RetryError::InvalidPolicy(_) => "invalid_policy",
            RetryError::InvalidAttempt { .. } => "invalid_attempt",
        }
    }
}

/// Longest wait a provider's `Retry-After` can impose.
pub const MAX_RETRY_AFTER_SECS: u32 = 24 * 3600;

/// The backoff, as configured.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicyRow {
    pub base_secs: u32,
    pub max_delay_secs: u32,
    pub max_attempts: u32,
}

/// A parsed backoff policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RetryPolicyRow")]
pub struct RetryPolicy {
    base_secs: u32,
    max_delay_secs: u32,
    max_attempts: u32,
}

impl TryFrom<RetryPolicyRow> for RetryPolicy {
    type Error = RetryError;

    fn try_from(row: RetryPolicyRow) -> Result<Self, Self::Error> {
        RetryPolicy::new(row.base_secs, row.max_delay_secs, row.max_attempts)
    }
}

impl Default for RetryPolicy {
    /// 30 s doubling up to an hour, 5 attempts (`notification_queue.max_attempts`' default).
    fn default() -> Self {
        RetryPolicy {
            base_secs: 30,
            max_delay_secs: 3600,
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    pub fn new(base_secs: u32, max_delay_secs: u32, max_attempts: u32) -> Result<Self, RetryError> {
        if base_secs == 0 {
            return Err(RetryError::InvalidPolicy("base_secs must be positive"));
        }
        if max_delay_secs < base_secs {
            return Err(RetryError::InvalidPolicy("max_delay_secs must be at least base_secs"));
        }
        if max_attempts == 0 {
            return Err(RetryError::InvalidPolicy("max_attempts must be at least 1"));
        }
        Ok(RetryPolicy {
            base_secs,
            max_delay_secs,
            max_attempts,
        })
    }

    /// The same backoff with another attempt limit (a queue row's own `max_attempts`).
    pub fn with_max_attempts(self, max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            ..self
        }
    }

    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before jitter after attempt `attempt` fails, in seconds.
    pub fn backoff_secs(&self, attempt: u32) -> u32 {
        let doublings = attempt.saturating_sub(1).min(31);
        let d = u64::from(self.base_secs) << doublings;
        d.min(u64::from(self.max_delay_secs)) as u32
    }
}

/// How a delivery failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Failure {
    /// Worth trying again: a timeout, a 5xx, a 429; `retry_after_secs` from the provider.
    Transient { retry_after_secs: Option<u32> },
    /// Never going to work.
    Permanent,
}

impl Failure {
    /// How a provider's answer classifies: no answer (timeout, connection refused), `408`,
    /// `429` and `5xx` are worth another attempt; any other `4xx` never will be.
    pub fn from_status(status: Option<u16>, retry_after_secs: Option<u32>) -> Failure {
        match status {
            None | Some(408) | Some(429) | Some(500..=599) => Failure::Transient { retry_after_secs },
            Some(_) => Failure::Permanent,
        }
    }
}

/// Why a message is dead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    Permanent,
    Exhausted,
}

/// The queue row's next state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// `failed`, with `next_attempt_at = at`.
    Retry { at: DateTime<Utc>, delay_ms: u64 },
    /// `dead`.
    Dead { reason: DeadReason },
}

/// SplitMix64's finaliser: spreads consecutive seeds over all of `u64`.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What follows the failure of attempt `attempt` (1-based) at `now`, with `jitter` any
/// random value.
pub fn after_failure(
    policy: &RetryPolicy,
    attempt: u32,
    failure: Failure,
    now: DateTime<Utc>,
    jitter: u64,
) -> Result<Outcome, RetryError> {
    if attempt == 0 || attempt > policy.max_attempts {
        return Err(RetryError::InvalidAttempt {
            attempt,
            max_attempts: policy.max_attempts,
        });
    }
    let retry_after = match failure {
        Failure::Permanent => {
            return Ok(Outcome::Dead {
                reason: DeadReason::Permanent,
            })
        }
        Failure::Transient { retry_after_secs } => retry_after_secs,
    };
    if attempt == policy.max_attempts {
        return Ok(Outcome::Dead {
            reason: DeadReason::Exhausted,
        });
    }
    let full_ms = u64::from(policy.backoff_secs(attempt)) * 1000;
    let half_ms = full_ms / 2;
    let mut delay_ms = half_ms + mix(jitter) % (full_ms - half_ms + 1);
    if let Some(secs) = retry_after {
        delay_ms = delay_ms.max(u64::from(secs.min(MAX_RETRY_AFTER_SECS)) * 1000);
    }
    Ok(Outcome::Retry {
        at: now + Duration::milliseconds(delay_ms as i64),
        delay_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2025-10-15T09:00:00Z".parse().unwrap()
    }

    const TRANSIENT: Failure = Failure::Transient { retry_after_secs: None };

    #[test]
    fn provider_answers_classify_as_transient_or_permanent() {
        for status in [None, Some(408), Some(429), Some(500), Some(503)] {
            assert!(
                matches!(Failure::from_status(status, None), Failure::Transient { .. }),
                "{status:?}"
            );
        }
        for status in [400, 401, 403, 404, 422] {
            assert_eq!(Failure::from_status(Some(status), None), Failure::Permanent, "{status}");
        }
    }

    #[test]
    fn the_backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        let b: Vec<u32> = (1..=9).map(|a| p.backoff_secs(a)).collect();
        assert_eq!(b, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(p.backoff_secs(u32::MAX), 3600);
    }

    #[test]
    fn the_jittered_delay_is_between_half_and_all_of_the_backoff() {
        let p = RetryPolicy::default();
        for attempt in 1..5 {
            let full = u64::from(p.backoff_secs(attempt)) * 1000;
            let delays: Vec<u64> = (0..200)
                .map(
                    |seed| match after_failure(&p, attempt, TRANSIENT, now(), seed).unwrap() {
                        Outcome::Retry { at, delay_ms } => {
                            assert_eq!(at, now() + Duration::milliseconds(delay_ms as i64));
                            delay_ms
                        }
                        other => panic!("{other:?}"),
                    },
                )
                .collect();
            assert!(delays.iter().all(|&d| full / 2 <= d && d <= full), "{attempt}");
            // Spread, not one value.
            let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
            assert!(distinct.len() > 150);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_schedule() {
        let p = RetryPolicy::default();
        let a = after_failure(&p, 2, TRANSIENT, now(), 42).unwrap();
        assert_eq!(a, after_failure(&p, 2, TRANSIENT, now(), 42).unwrap());
        assert_ne!(a, after_failure(&p, 2, TRANSIENT, now(), 43).unwrap());
    }

    #[test]
    fn the_last_attempt_and_permanent_failures_are_dead() {
        let p = RetryPolicy::new(10, 100, 3).unwrap();
        assert!(matches!(
            after_failure(&p, 2, TRANSIENT, now(), 1),
            Ok(Outcome::Retry { .. })
        ));
        assert_eq!(
            after_failure(&p, 3, TRANSIENT, now(), 1),
            Ok(Outcome::Dead {
                reason: DeadReason::Exhausted
            })
        );
        assert_eq!(
            after_failure(&p, 1, Failure::Permanent, now(), 1),
            Ok(Outcome::Dead {
                reason: DeadReason::Permanent
            })
        );
    }

    #[test]
    fn a_providers_retry_after_is_honoured_when_longer() {
        let p = RetryPolicy::default();
        let Ok(Outcome::Retry { delay_ms, .. }) = after_failure(
            &p,
            1,
            Failure::Transient {
                retry_after_secs: Some(600),
            },
            now(),
            7,
        ) else {
            panic!()
        };
        assert_eq!(delay_ms, 600_000);
        let Ok(Outcome::Retry { delay_ms, .. }) = after_failure(
            &p,
            1,
            Failure::Transient {
                retry_after_secs: Some(1),
            },
            now(),
            7,
        ) else {
            panic!()
        };
        assert!((15_000..=30_000).contains(&delay_ms));
        let Ok(Outcome::Retry { delay_ms, .. }) = after_failure(
            &p,
            1,
            Failure::Transient {
                retry_after_secs: Some(u32::MAX),
            },
            now(),
            7,
        ) else {
            panic!()
        };
        assert_eq!(delay_ms, u64::from(MAX_RETRY_AFTER_SECS) * 1000);
    }

    #[test]
    fn bad_policies_and_attempts_are_refused_with_codes() {
        assert_eq!(RetryPolicy::new(0, 10, 1).unwrap_err().code(), "invalid_policy");
        assert_eq!(RetryPolicy::new(10, 5, 1).unwrap_err().code(), "invalid_policy");
        assert_eq!(RetryPolicy::new(10, 50, 0).unwrap_err().code(), "invalid_policy");
        let p = RetryPolicy::default();
        assert_eq!(
            after_failure(&p, 0, TRANSIENT, now(), 1).unwrap_err().code(),
            "invalid_attempt"
        );
        assert_eq!(
            after_failure(&p, 6, TRANSIENT, now(), 1).unwrap_err().code(),
            "invalid_attempt"
        );
        let parsed: Result<RetryPolicy, _> =
            serde_json::from_value(serde_json::json!({"base_secs": 0, "max_delay_secs": 1, "max_attempts": 1}));
        assert!(parsed.is_err());
        let failure: Failure = serde_json::from_value(serde_json::json!({"kind": "transient"})).unwrap();
        assert_eq!(failure, TRANSIENT);
    }
}
