//! The stack's one HTTP server: every function at `/functions/v1/<name>`, as Supabase's edge
//! runtime mounts them, the data API at `/rest/v1` (crate `ombaro-rest`), the auth API at
//! `/auth/v1` (crate `ombaro-auth`) and Realtime at `/realtime/v1` (crate `ombaro-realtime`),
//! behind the
//! gateway layers a Supabase project has in front of them (CORS, request ids). Bearer tokens are verified once, here, for every
//! function route; each request gets an id that is logged and echoed in `x-request-id`.
//!
//! Whatever a handler does, the client gets an answer: a panic is a `500` JSON naming the
//! request id, a request that outlives [`ServerOptions::request_timeout`] is a `503`, and on
//! shutdown in-flight requests get [`ServerOptions::drain`] to finish before the server exits
//! anyway.

use std::{future::Future, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use axum::http::{HeaderName, Method};
use axum::{
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use futures_util::FutureExt;
use ombaro_common::{cache::Cache, http::require_jwt, ApiError, AppState};
use ombaro_payments::service::PaymentSettings;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowHeaders, AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

/// Request bodies above this are refused before any handler runs.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long requests may take, and how long shutdown waits for them.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// A request still running after this is answered `503 request_timeout`. Longer than the
    /// longest statement timeout, so the database's own, more precise answer comes first.
    pub request_timeout: Duration,
    /// After a shutdown signal, in-flight requests get this long to finish.
    pub drain: Duration,
    /// `[api] max_rows` of `supabase/config.toml`: no `/rest/v1` read returns more rows.
    pub max_rows: Option<i64>,
    /// `[auth]` of `supabase/config.toml`, for `/auth/v1`.
    pub auth: ombaro_auth::AuthOptions,
    /// A login that may read a logical replication slot (the local superuser; on Supabase,
    /// Realtime's own role): `/realtime/v1` delivers `postgres_changes` only with one.
    pub realtime_login: Option<tokio_postgres::Config>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(20),
            drain: Duration::from_secs(10),
            max_rows: Some(1000),
            auth: ombaro_auth::AuthOptions::default(),
            realtime_login: None,
        }
    }
}

/// `[api] max_rows` of the project's `supabase/config.toml` (Supabase's default, 1000, when
/// the file or the key is missing; `0` means no limit).
pub fn max_rows_of(project_root: &std::path::Path) -> Option<i64> {
    let config = std::fs::read_to_string(project_root.join("supabase/config.toml")).unwrap_or_default();
    let mut in_api = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_api = line == "[api]";
        } else if in_api {
            if let Some(value) = line.strip_prefix("max_rows").and_then(|r| r.trim().strip_prefix('=')) {
                return match value.trim().parse::<i64>() {
                    Ok(0) => None,
                    Ok(n) => Some(n),
                    Err(_) => Some(1000),
                };
            }
        }
    }
    Some(1000)
}

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every in-flight request finished.
    Drained,
    /// The drain deadline passed with requests still running; they were abandoned.
    DeadlinePassed,
}

/// The whole HTTP application: the functions and, when given, the data, auth and Realtime APIs.
pub fn app(
    state: AppState,
    options: ServerOptions,
    payments: Arc<PaymentSettings>,
    rest: Option<Arc<ombaro_rest::RestApi>>,
    auth: Option<Arc<ombaro_auth::AuthApi>>,
    realtime: Option<Arc<ombaro_realtime::Realtime>>,
) -> Router {
    app_with(state, options, payments, rest, auth, realtime, None)
}

/// [`app`] reading through `cache` where one is given (its invalidation listener must be
/// running: see [`ombaro_common::cache::listen_for_invalidations`]).
pub fn app_with(
    state: AppState,
    options: ServerOptions,
    payments: Arc<PaymentSettings>,
    rest: Option<Arc<ombaro_rest::RestApi>>,
    auth: Option<Arc<ombaro_auth::AuthApi>>,
    realtime: Option<Arc<ombaro_realtime::Realtime>>,
    cache: Option<Cache>,
) -> Router {
    let location = ombaro_location::service::LocationOptions {
        cache: cache.clone(),
        ..Default::default()
    };
    let mut functions = Router::new()
        .route("/health", get(health))
        .nest(ombaro_booking::service::MOUNT, ombaro_booking::service::router())
        .nest(
            ombaro_payments::service::MOUNT,
            ombaro_payments::service::router(payments.clone()),
        )
        .nest(
            ombaro_notifications::service::MOUNT,
            ombaro_notifications::service::router(),
        )
        .nest(
            ombaro_analytics::service::MOUNT,
            ombaro_analytics::service::router(ombaro_analytics::service::AnalyticsSettings::from_env()),
        )
        .nest(
            ombaro_location::service::MOUNT,
            ombaro_location::service::router(location),
        );
    if let Some(cache) = cache {
        functions = functions.layer(axum::Extension(cache));
    }
    let functions = functions.route_layer(middleware::from_fn_with_state(state.clone(), require_jwt));
    // Gateways authenticate with their signature, not a Supabase JWT.
    let webhooks = Router::new().nest(
        ombaro_payments::service::MOUNT,
        ombaro_payments::service::webhook_router(payments),
    );

    let mut routes = Router::new().nest("/functions/v1", functions.merge(webhooks));
    if let Some(rest) = rest {
        routes = routes.nest_service(ombaro_rest::MOUNT, rest.router());
    }
    if let Some(auth) = auth {
        routes = routes.nest_service(ombaro_auth::MOUNT, auth.router());
    }
    if let Some(realtime) = realtime {
        routes = routes.nest_service(ombaro_realtime::MOUNT, realtime.router());
    }
    gateway(routes.fallback(not_found).with_state(state), options)
}

/// CORS as Supabase's API gateway answers it, on every route: a preflight is answered before
/// any token check, any origin may call, and the headers supabase-js reads are exposed.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("content-range"),
            HeaderName::from_static("x-total-count"),
            HeaderName::from_static("content-location"),
            HeaderName::from_static("preference-applied"),
            HeaderName::from_static("location"),
            HeaderName::from_static("x-request-id"),
            // auth-js reads the error code by API version; the admin list pages by `link`.
            HeaderName::from_static("x-supabase-api-version"),
            HeaderName::from_static("x-sb-error-code"),
            HeaderName::from_static("link"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// The layers every route sits behind, outermost first: request id (set, then echoed),
/// tracing, the request timeout, panic capture, the body limit.
pub fn gateway(routes: Router, options: ServerOptions) -> Router {
    let timeout = options.request_timeout;
    routes
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(catch_panic))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            limit_time(timeout, req, next)
        }))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = request_id(req))
                }))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .layer(cors())
}

fn request_id(req: &Request) -> &str {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

/// A handler that panics answers `500 internal_error` with the request id, and the panic is
/// logged with it, instead of the connection being dropped with no answer.
async fn catch_panic(req: Request, next: Next) -> Response {
    let id = request_id(&req).to_owned();
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_owned());
            tracing::error!(request_id = %id, panic = %message, "handler panicked");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "something went wrong on our side; quote the request id when reporting it",
            )
            .with_details(json!({ "request_id": id }))
            .into_response()
        }
    }
}

/// A request still running after `limit` is answered `503 request_timeout`; its handler is
/// dropped, which rolls back its transaction.
async fn limit_time(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::unavailable(
            "request_timeout",
            format!("the request did not finish within {}s", limit.as_secs_f64()),
        )
        .retry_after(1)
        .into_response(),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains in-flight requests for
/// at most `options.drain`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Stopped> {
    serve_with(listener, state, options, None, shutdown).await
}

/// [`serve`] reading through `cache` where one is given.
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    options: ServerOptions,
    cache: Option<Cache>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Stopped> {
    let mut payments = PaymentSettings::from_env(
        state
            .keys
            .derived_secret(ombaro_payments::service::config::SANDBOX_SECRET_PURPOSE),
    );
    // The sandbox gateway delivers its webhooks to this server.
    payments.sandbox_webhook_base = Some(format!("http://{}", listener.local_addr()?));
    let rest = ombaro_rest::RestApi::start(
        state.db.clone(),
        state.keys.clone(),
        options.max_rows,
        format!("http://{}", listener.local_addr()?),
    )
    .await
    .map_err(|err| std::io::Error::other(format!("loading the data API's schema cache: {err:#}")))?;
    let auth = ombaro_auth::AuthApi::start(
        state.db.clone(),
        state.keys.clone(),
        options.auth.clone(),
        format!("http://{}", listener.local_addr()?),
        ombaro_auth::config::RedirectUrls::from_project(&ombaro_common::config::Project::discover().root),
    )
    .await
    .map_err(|err| std::io::Error::other(format!("starting the auth API: {err:#}")))?;
    let realtime = ombaro_realtime::Realtime::new(state.db.clone(), state.keys.clone(), options.realtime_login.clone());
    let drain = options.drain;
    let router = app_with(
        state,
        options,
        Arc::new(payments),
        Some(rest),
        Some(auth),
        Some(realtime),
        cache,
    );
    serve_router(listener, router, drain, shutdown).await
}

/// Serves `router` until `shutdown` completes; then stops accepting, waits for in-flight
/// requests up to `drain`, and returns either way.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Stopped> {
    let (signalled, mut on_signal) = tokio::sync::watch::channel(false);
    // The peer address reaches handlers (the auth API's per-IP rate limits).
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, service).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = signalled.send(true);
    });
    let deadline = async move {
        let _ = on_signal.wait_for(|s| *s).await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        result = server => result.map(|()| Stopped::Drained),
        () = deadline => {
            tracing::warn!(drain_secs = drain.as_secs_f64(), "requests still running at the shutdown deadline; abandoning them");
            Ok(Stopped::DeadlinePassed)
        }
    }
}

/// `GET /functions/v1/health`: the caller's token is valid and the database answers; with
/// the cache's hit and miss counters where there is one.
async fn health(State(state): State<AppState>, cache: Option<axum::Extension<Cache>>) -> Result<Json<Value>, ApiError> {
    let check = async {
        let client = state.db.get().await?;
        client.query_one("select 1", &[]).await?;
        Ok::<_, ApiError>(())
    };
    match tokio::time::timeout(Duration::from_secs(3), check).await {
        Ok(Ok(())) => {
            let mut body = json!({ "status": "ok", "database": "ok", "version": env!("CARGO_PKG_VERSION") });
            if let Some(axum::Extension(cache)) = cache {
                body["cache"] = json!(cache.stats());
            }
            Ok(Json(body))
        }
        Ok(Err(err)) => Err(err),
        Err(_) => {
            Err(ApiError::unavailable("database_timeout", "the database did not answer within 3s").retry_after(1))
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such function or route")
}
