//! The function server: one HTTP server mounting every function at `/functions/v1/<name>`,
//! as Supabase's edge runtime does. Bearer tokens are verified once, here, for every
//! function route; each request gets an id that is logged and echoed in `x-request-id`.

use std::{future::Future, time::Duration};

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{Request, StatusCode},
    middleware,
    routing::get,
    Json, Router,
};
use ombaro_common::{http::require_jwt, ApiError, AppState};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

/// Request bodies above this are refused before any handler runs.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let functions = Router::new()
        .route("/health", get(health))
        .nest(ombaro_booking::service::MOUNT, ombaro_booking::service::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), require_jwt));

    Router::new()
        .nest("/functions/v1", functions)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                    let request_id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
                }))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}

/// `GET /functions/v1/health`: the caller's token is valid and the database answers.
async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let check = async {
        let client = state.pool.get().await?;
        client.query_one("select 1", &[]).await?;
        Ok::<_, ApiError>(())
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(())) => Ok(Json(
            json!({ "status": "ok", "database": "ok", "version": env!("CARGO_PKG_VERSION") }),
        )),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(ApiError::unavailable(
            "database_timeout",
            "the database did not answer within 3s",
        )),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such function or route")
}
