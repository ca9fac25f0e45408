//! The notification service, mounted by the function server at
//! `/functions/v1/notification-service` (feature `server`), and the worker that delivers the
//! outbox. Thin on purpose: the core decides ([`crate::plan`]), [`store`] holds every query
//! (the worker's effects are V60's SQL functions, executable by `service_role` only),
//! [`providers`] talk to FCM, SendGrid, SMTP, MSG91 and WhatsApp, [`worker`] connects them.
//!
//! | method and path | who | what |
//! | --- | --- | --- |
//! | `POST /send` | service, staff with `notifications: create` (a recipient) or `campaigns: create` (a segment) | queue a template for recipients; nothing is sent inline |
//! | `POST /devices` | a signed-in user | register (or `remove`) their device's push token |
//! | `GET /preferences`, `PUT /preferences` | a signed-in user | their channels, quiet hours, marketing consent |
//! | `POST /read` | a signed-in user | mark their in-app notifications read |

mod config;
mod handlers;
pub mod providers;
pub mod store;
pub mod worker;

use axum::{
    routing::{get, post},
    Router,
};
use ombaro_common::AppState;

pub use providers::Providers;
pub use worker::{Worker, WorkerOptions};

/// Where the function server mounts the router.
pub const MOUNT: &str = "/notification-service";

/// The routes, relative to [`MOUNT`]; the server's JWT middleware authenticates them.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/send", post(handlers::send))
        .route("/devices", post(handlers::devices))
        .route(
            "/preferences",
            get(handlers::get_preferences).put(handlers::put_preferences),
        )
        .route("/read", post(handlers::read))
}
