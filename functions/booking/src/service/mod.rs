//! The booking service, mounted by the function server at `/functions/v1/booking-service`
//! (feature `server`). Thin on purpose: [`requests`] parses what clients send, [`store`]
//! holds every query, the handlers call the pure core in between.
//!
//! | method and path | who | what |
//! | --- | --- | --- |
//! | `POST /quote` | anyone | itemised price of a request; writes nothing |
//! | `GET /slots` | anyone | free starts for a service, date and place |
//! | `POST /bookings` | customer | pending booking holding its slot; `Idempotency-Key` aware |
//! | `POST /bookings/{id}/assign` | vendor, operations | put the named or best therapist on it |
//! | `POST /bookings/{id}/status` | vendor, operations | confirm, start, complete |
//! | `POST /bookings/{id}/reschedule` | customer (policy), vendor, operations | move it |
//! | `POST /bookings/{id}/cancel` | customer (fee), vendor, operations | cancel it |
//! | `POST /assignments/{id}/status` | its therapist; vendor, operations | progress, cancel |
//!
//! The database has the last word on every rule checked here (no overlapping assignments,
//! legal status moves by the right actor, promotion limits); the handlers check first so
//! that the caller gets a clear error, and turn the database's refusals into the same ones.

mod handlers;
pub mod requests;
pub mod store;

use axum::{
    routing::{get, post},
    Extension, Router,
};
use ombaro_common::AppState;

/// Where the function server mounts [`router`].
pub const MOUNT: &str = "/booking-service";

/// How the service runs. [`Default`] is what the function server mounts.
#[derive(Clone, Copy, Debug)]
pub struct ServiceOptions {
    /// Look up a create request's `Idempotency-Key` before pricing and scheduling it, so a
    /// plain retry costs one query. Only a shortcut: whenever a request with a key is
    /// refused, the key is looked up again and a booking already made with it is the answer
    /// (a retry that raced its original past the first look-up finds the therapist taken).
    /// Tests turn it off to show that the service is right without it.
    pub early_replay: bool,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        Self { early_replay: true }
    }
}

/// The service's routes, relative to [`MOUNT`]. Callers are authenticated by the server's
/// JWT middleware before any of these run.
pub fn router() -> Router<AppState> {
    router_with(ServiceOptions::default())
}

/// [`router`] with other [`ServiceOptions`].
pub fn router_with(options: ServiceOptions) -> Router<AppState> {
    Router::new()
        .route("/quote", post(handlers::quote))
        .route("/slots", get(handlers::slots))
        .route("/bookings", post(handlers::create_booking))
        .route("/bookings/{id}/assign", post(handlers::assign))
        .route("/bookings/{id}/status", post(handlers::booking_status))
        .route("/bookings/{id}/reschedule", post(handlers::reschedule))
        .route("/bookings/{id}/cancel", post(handlers::cancel))
        .route("/assignments/{id}/status", post(handlers::assignment_status))
        .layer(Extension(options))
}
