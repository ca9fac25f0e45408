//! OMBARO's payment core: whether a gateway's webhook is authentic, what it says, what it
//! does to a booking, and the money maths behind invoices and vendor settlements. Pure
//! functions over plain data: no I/O, no clock (`now` is an input), no database. The payment
//! service verifies, parses and decides here, then hands the decision to one SQL function;
//! the same code is built to WASM for the Supabase edge functions.
//!
//! - [`signature`]: Razorpay and Stripe webhook signatures (secret rotation, Stripe's
//!   timestamp tolerance), Razorpay's checkout signature, and signing for tests and the
//!   sandbox gateway;
//! - [`events`]: webhook bodies parsed into one [`events::GatewayEvent`];
//! - [`decision`]: [`decision::decide`], what an event does given the booking, payment and
//!   refunds it lands on;
//! - [`gst`]: CGST + SGST or IGST on an invoice, invoice numbers (GST rule 46), the Indian
//!   financial year;
//! - [`settlement`]: a vendor's settlement for a period: commission, GST on it, TDS
//!   (s.194-O), TCS (s.52), refunds, net payable, from effective-dated rates;
//! - `wasm` (feature `wasm`): JSON-in, JSON-out exports of all of it;
//! - `service` (feature `server`): the axum payment service over these and the SQL effects.
//!
//! Money is [`Paise`] and rates [`Bps`], shared with the booking core together with its one
//! rounding rule: any scaled amount is rounded half up to the paisa.

pub mod decision;
pub mod events;
pub mod gst;
pub mod settlement;
pub mod signature;

#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use ombaro_booking::money::{Bps, Overflow, Paise};
