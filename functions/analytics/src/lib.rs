//! OMBARO's analytics core: what the apps may send, and the maths behind the dashboards.
//! Pure functions over plain data: no I/O, no clock (`now` is an input), no database. The
//! analytics service parses batches with [`event`], and answers funnels, cohorts and revenue
//! from the rollup tables, which SQL functions fill with the same definitions as
//! [`funnel`], [`cohort`] and [`revenue`] (the integration tests hold both to the same
//! numbers on raw events); the same code is built to WASM for the Supabase edge functions.
//!
//! - [`event`]: the event contract (name, properties, timestamp window, device and
//!   location fields) and page views;
//! - [`funnel`]: the defined funnels and their evaluation over raw events: ordered steps per
//!   user (or per session when anonymous) within a conversion window, counts, conversion and
//!   median time between steps;
//! - [`cohort`]: retention of customers by the week or month of their first booking or
//!   sign-up;
//! - [`ratelimit`]: the token buckets bounding what one session or address may send;
//! - [`revenue`]: gross, discounts, GST, refunds and net per day, city, vendor or service
//!   category, in paise;
//! - `wasm` (feature `wasm`): JSON-in, JSON-out exports of all of it;
//! - `service` (feature `server`): the axum analytics service.
//!
//! Days are India Standard Time (UTC+05:30, no daylight saving), as every report of the
//! platform is.

pub mod cohort;
pub mod event;
pub mod funnel;
pub mod ratelimit;
pub mod revenue;

#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "wasm")]
pub mod wasm;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// India Standard Time, the zone of every reporting day.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).expect("a valid offset")
}

/// The IST calendar day of an instant.
pub fn ist_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&ist()).date_naive()
}
