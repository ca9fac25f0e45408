//! The analytics service, mounted by the function server at `/functions/v1/analytics-service`
//! (feature `server`). Thin on purpose: the core judges events and does the maths, [`store`]
//! holds every query (the rollups themselves are SQL functions, migrations V80-V81), and the
//! handlers connect them.
//!
//! | method and path | who | what |
//! | --- | --- | --- |
//! | `POST /events[?atomic=true]` | anyone with the anon key (user_id null), a signed-in user (user_id = the caller) | 1-500 events: valid ones stored, invalid ones refused with index and reason (`207`), or all-or-nothing |
//! | `GET /funnels/{name}?from&to&city&source` | `analytics: read` or `financial_reports: read` (marketing, finance, directors, super admin ...) | steps with counts, conversion and median time to the next, from rollups when they cover the range, else from raw events |
//! | `GET /cohorts?grain&type&from&to` | the same | retention per cohort and period |
//! | `GET /revenue?from&to&group_by` | the same | gross, discounts, GST, refunds, net, commission per day, city, vendor or category (paise) |
//! | `GET /vendors/{id}/revenue?from&to` | the vendor's people with `reports.view`, and the same readers | that vendor's revenue per day |
//!
//! Every read says where its answer came from (`source`: `rollups` or `raw_events`) and how
//! fresh it is (`fresh_as_of`: when the stalest day of the range was rolled up).

mod handlers;
pub mod scheduler;
pub mod store;

use std::{collections::HashMap, sync::Arc, time::Instant};

use axum::{
    extract::DefaultBodyLimit,
    routing::{get, post},
    Extension, Router,
};
use ombaro_common::AppState;

use crate::ratelimit::{self, Bucket, Rate};

/// Where the function server mounts the router.
pub const MOUNT: &str = "/analytics-service";

/// Ingest bodies above this are refused (413) before they are read: 500 events of a few
/// hundred bytes fit with room to spare. The server's default limit is far lower; this route
/// raises it for itself only.
pub const MAX_INGEST_BYTES: usize = 1024 * 1024;

/// The abuse bounds of the ingest endpoint.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsSettings {
    /// Events per session id.
    pub session_rate: Rate,
    /// Events per client address (`X-Forwarded-For`'s first hop, as the load balancer sets
    /// it; requests without one share a single bucket).
    pub ip_rate: Rate,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self {
            session_rate: Rate {
                burst: 1000.0,
                per_second: 50.0,
            },
            ip_rate: Rate {
                burst: 20_000.0,
                per_second: 2_000.0,
            },
        }
    }
}

impl AnalyticsSettings {
    /// The defaults, overridden by `OMBARO_ANALYTICS_SESSION_RATE` and
    /// `OMBARO_ANALYTICS_IP_RATE` (`<burst>/<per second>`, e.g. `1000/50`).
    pub fn from_env() -> Self {
        let mut settings = Self::default();
        let read = |name: &str| std::env::var(name).ok().and_then(|v| Rate::parse(&v));
        if let Some(rate) = read("OMBARO_ANALYTICS_SESSION_RATE") {
            settings.session_rate = rate;
        }
        if let Some(rate) = read("OMBARO_ANALYTICS_IP_RATE") {
            settings.ip_rate = rate;
        }
        settings
    }
}

/// The per-process token buckets (the service keeps no other state; behind several servers
/// each bounds its own share).
#[derive(Debug)]
pub struct Limiter {
    settings: AnalyticsSettings,
    started: Instant,
    buckets: std::sync::Mutex<HashMap<String, Bucket>>,
}

/// Buckets kept before full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl Limiter {
    pub fn new(settings: AnalyticsSettings) -> Self {
        Self {
            settings,
            started: Instant::now(),
            buckets: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` events from the address's bucket and each session's, or answers the
    /// seconds to wait.
    pub fn take(&self, ip: &str, sessions: &[&str], cost: usize) -> Result<(), u32> {
        let now = self.started.elapsed().as_secs_f64();
        let mut keys: Vec<(String, Rate)> = vec![(format!("ip:{ip}"), self.settings.ip_rate)];
        for s in sessions {
            keys.push((format!("session:{s}"), self.settings.session_rate));
        }
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > MAX_BUCKETS {
            let (session, ip_rate) = (self.settings.session_rate, self.settings.ip_rate);
            map.retain(|k, b| {
                let rate = if k.starts_with("ip:") { ip_rate } else { session };
                b.level(rate, now) < rate.burst
            });
        }
        for (key, rate) in &keys {
            map.entry(key.clone()).or_insert_with(|| Bucket::full(*rate, now));
        }
        // Copies, so every bucket can be borrowed at once; written back only on success.
        let mut copies: Vec<Bucket> = keys.iter().map(|(k, _)| map[k]).collect();
        let mut refs: Vec<(&mut Bucket, Rate)> = copies.iter_mut().zip(keys.iter().map(|(_, r)| *r)).collect();
        ratelimit::take(&mut refs, cost as f64, now)?;
        for ((key, _), bucket) in keys.iter().zip(copies) {
            map.insert(key.clone(), bucket);
        }
        Ok(())
    }
}

/// The routes, relative to [`MOUNT`]; the server's JWT middleware authenticates them.
pub fn router(settings: AnalyticsSettings) -> Router<AppState> {
    Router::new()
        .route(
            "/events",
            post(handlers::ingest).layer(DefaultBodyLimit::max(MAX_INGEST_BYTES)),
        )
        .route("/funnels/{name}", get(handlers::funnel))
        .route("/cohorts", get(handlers::cohorts))
        .route("/revenue", get(handlers::revenue))
        .route("/vendors/{vendor_id}/revenue", get(handlers::vendor_revenue))
        .layer(Extension(Arc::new(Limiter::new(settings))))
}
