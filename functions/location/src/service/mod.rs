//! The location service, mounted by the function server at `/functions/v1/location-service`
//! (feature `server`). Thin on purpose: the core judges fixes, measures and estimates,
//! [`store`] calls the SQL functions of migrations V70 and V72, [`ingest`] handles the
//! batches that arrive together in one transaction, the handlers connect them, and the cache
//! keeps a therapist's track for ETA reads.
//!
//! | method and path | who | what |
//! | --- | --- | --- |
//! | `POST /locations` | a therapist | a batch of 1-100 fixes: stored, the active assignment's track, distance and travel time updated, arrival acted on once |
//! | `GET /assignments/{id}/eta` | the customer while in transit; the vendor, operations | `{distance_remaining_m, eta_seconds, eta_at, method, last_fix_age_seconds, status}` |
//! | `GET /therapists/{id}/last` | the vendor, operations | the therapist's newest stored fix |

mod handlers;
pub mod ingest;
pub mod store;

use axum::{
    routing::{get, post},
    Extension, Router,
};
use ombaro_common::{cache::Cache, AppState};

/// Where the function server mounts [`router`].
pub const MOUNT: &str = "/location-service";

/// How the service runs.
#[derive(Clone, Debug, Default)]
pub struct LocationOptions {
    /// Where tracks are cached for ETA reads (`therapist:location:{id}`, 5 minutes, written
    /// through on every batch). `None`: every read goes to the database.
    pub cache: Option<Cache>,
    /// Where `POST /locations` queues its batch to be handled in a group.
    pub ingest: ingest::Ingest,
}

/// The service's routes, relative to [`MOUNT`]. Callers are authenticated by the server's
/// JWT middleware before any of these run.
pub fn router(options: LocationOptions) -> Router<AppState> {
    Router::new()
        .route("/locations", post(handlers::record_locations))
        .route("/assignments/{id}/eta", get(handlers::eta))
        .route("/therapists/{id}/last", get(handlers::last_fix))
        .layer(Extension(options))
}
