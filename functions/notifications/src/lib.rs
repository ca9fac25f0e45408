//! OMBARO's notification core: what a queued notification says on each channel, which
//! channels it may use for this person, when it may go, and when a failed delivery is tried
//! again. Pure functions over plain data: no I/O, no clock (`now` is always an input), no
//! database. The notification worker and service call these around their queries and
//! provider calls; the same code is built to WASM for the Supabase edge functions.
//!
//! - [`channel`]: [`Channel`] and the TRAI message [`Category`] (transactional, service
//!   implicit or explicit, promotional);
//! - [`template`]: templates per channel (email with HTML escaping, DLT SMS, WhatsApp,
//!   push and in-app), parsed once and rendered from a payload, all variables or nothing;
//! - [`sms`]: GSM-7 or UCS-2, and how many segments (so what it costs); whether a body
//!   matches its DLT template;
//! - [`prefs`]: which of an event's channels this person may be sent on, from
//!   `user_preferences`, `customer_preferences` consent and the addresses known;
//! - [`schedule`]: send now, or defer past the person's quiet hours and outside TRAI's
//!   promotional window;
//! - [`retry`]: exponential backoff with jitter, then dead;
//! - [`events`]: the events queued, each one's default channels, category and urgency, and
//!   the template of each message code per channel;
//! - [`vars`]: a message's variables, amounts and times written out;
//! - [`plan`]: what to do with one claimed queue row (fan out, skip, defer, send, dead);
//! - `service` (feature `server`): the worker, the providers and the HTTP endpoints;
//! - `wasm` (feature `wasm`): JSON-in, JSON-out exports.
//!
//! Every error enum has a stable `code()`, the same string the WASM exports answer with.

pub mod channel;
pub mod events;
pub mod plan;
pub mod prefs;
pub mod retry;
pub mod schedule;
pub mod sms;
pub mod template;
pub mod vars;

#[cfg(feature = "server")]
pub mod service;

#[cfg(feature = "wasm")]
pub mod wasm;

pub use channel::{Category, Channel};
