//! OMBARO's booking core: what a booking costs, when it can happen and with whom, and how it
//! may move through its life. Pure functions over plain data: no I/O, no clock (`now` is an
//! input), no database. The function service loads rows, calls in here, and persists; the
//! same code is built to WASM for the Supabase edge functions.
//!
//! - [`money`]: paise, basis points, and the one rounding rule (half up);
//! - [`pricing`]: [`pricing::quote`], an itemised quote from catalogue rows and choices;
//! - [`availability`]: [`availability::free_slots`] and [`availability::best_therapist`];
//! - [`lifecycle`]: booking and assignment status machines, cancellation and reschedule rules;
//! - `wasm` (feature `wasm`): JSON exports of `quote` and `free_slots`;
//! - [`service`] (feature `server`): the HTTP service over all of it.

pub mod availability;
pub mod lifecycle;
pub mod money;
pub mod pricing;
pub mod types;

#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use money::{Bps, Paise};
