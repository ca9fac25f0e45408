//! Token buckets for the ingest endpoint's abuse bound: each key (a session, a client
//! address) holds up to `burst` events and regains `per_second` a second. A batch costs its
//! number of events and is taken from every key it touches, or from none.

use serde::{Deserialize, Serialize};

/// A bucket's size and refill.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

impl Rate {
    /// `"<burst>/<per_second>"`, e.g. `1000/50`.
    pub fn parse(s: &str) -> Option<Self> {
        let (burst, per_second) = s.split_once('/')?;
        let rate = Rate {
            burst: burst.trim().parse().ok()?,
            per_second: per_second.trim().parse().ok()?,
        };
        (rate.burst >= 1.0 && rate.per_second > 0.0).then_some(rate)
    }
}

/// One key's bucket: tokens left at `at` (seconds on any monotonic clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub tokens: f64,
    pub at: f64,
}

impl Bucket {
    pub fn full(rate: Rate, now: f64) -> Self {
        Bucket {
            tokens: rate.burst,
            at: now,
        }
    }

    /// Tokens at `now`.
    pub fn level(&self, rate: Rate, now: f64) -> f64 {
        (self.tokens + (now - self.at).max(0.0) * rate.per_second).min(rate.burst)
    }
}

/// Takes `cost` from every bucket, or from none and answers the whole seconds after which
/// the fullest shortfall is refilled (at least 1). A cost above a bucket's burst can never
/// pass; it waits for a full bucket and is refused again, so callers bound batches below it.
pub fn take(buckets: &mut [(&mut Bucket, Rate)], cost: f64, now: f64) -> Result<(), u32> {
    let mut wait: f64 = 0.0;
    for (bucket, rate) in buckets.iter() {
        let level = bucket.level(*rate, now);
        if level < cost {
            let shortfall = cost.min(rate.burst) - level;
            wait = wait.max((shortfall / rate.per_second).max(1.0));
        }
    }
    if wait > 0.0 {
        return Err(wait.ceil().clamp(1.0, 3600.0) as u32);
    }
    for (bucket, rate) in buckets.iter_mut() {
        bucket.tokens = bucket.level(*rate, now) - cost;
        bucket.at = now;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_spends_refills_and_says_when_to_retry() {
        let rate = Rate::parse("1000/50").unwrap();
        let mut b = Bucket::full(rate, 0.0);
        assert!(take(&mut [(&mut b, rate)], 500.0, 0.0).is_ok());
        assert!(take(&mut [(&mut b, rate)], 500.0, 0.0).is_ok());
        // Empty: 500 more need 10 s of refill.
        assert_eq!(take(&mut [(&mut b, rate)], 500.0, 0.0), Err(10));
        assert_eq!(take(&mut [(&mut b, rate)], 500.0, 9.5), Err(1));
        assert!(take(&mut [(&mut b, rate)], 500.0, 10.0).is_ok());
    }

    #[test]
    fn all_buckets_or_none() {
        let small = Rate {
            burst: 10.0,
            per_second: 1.0,
        };
        let big = Rate {
            burst: 100.0,
            per_second: 1.0,
        };
        let (mut a, mut b) = (Bucket::full(small, 0.0), Bucket::full(big, 0.0));
        assert_eq!(take(&mut [(&mut a, small), (&mut b, big)], 20.0, 0.0), Err(1));
        assert_eq!(a.level(small, 0.0), 10.0);
        assert_eq!(b.level(big, 0.0), 100.0);
        assert_eq!(Rate::parse("x"), None);
        assert_eq!(Rate::parse("10/0"), None);
    }
}
