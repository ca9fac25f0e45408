//! Request budgets per client IP, per kind of request: a fixed window of `period` holding at
//! most `limit` requests, answered `429 over_request_rate_limit` beyond it. Kept in memory,
//! per server process, as GoTrue keeps its own.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SignIn,
    Verify,
    Refresh,
    Sms,
    Email,
}

#[derive(Default)]
pub struct Limiter {
    windows: Mutex<HashMap<(Kind, IpAddr), (Instant, u32)>>,
}

impl Limiter {
    /// Counts one request of `kind` from `ip`; false when the budget of the current window
    /// is spent. `limit == 0` means unlimited.
    pub fn allow(&self, kind: Kind, ip: IpAddr, limit: u32, period: Duration) -> bool {
        if limit == 0 {
            return true;
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < period);
        }
        let entry = windows.entry((kind, ip)).or_insert((now, 0));
        if now.duration_since(entry.0) >= period {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_per_kind_and_ip() {
        let l = Limiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let p = Duration::from_secs(300);
        assert!(l.allow(Kind::SignIn, a, 2, p));
        assert!(l.allow(Kind::SignIn, a, 2, p));
        assert!(!l.allow(Kind::SignIn, a, 2, p));
        assert!(l.allow(Kind::SignIn, b, 2, p));
        assert!(l.allow(Kind::Verify, a, 2, p));
        assert!(l.allow(Kind::SignIn, a, 0, p));
    }

    #[test]
    fn a_new_window_resets() {
        let l = Limiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let p = Duration::from_millis(20);
        assert!(l.allow(Kind::Sms, a, 1, p));
        assert!(!l.allow(Kind::Sms, a, 1, p));
        std::thread::sleep(Duration::from_millis(30));
        assert!(l.allow(Kind::Sms, a, 1, p));
    }
}
