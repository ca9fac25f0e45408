//! The Auth API `ombaro up` serves at `/auth/v1`: GoTrue's endpoints as `@supabase/auth-js`
//! calls them, on GoTrue's own tables (created on stock Postgres by
//! `bootstrap/supabase_auth.sql`), so `supabase.auth.*` works against the local stack as
//! against a Supabase project. Built the way GoTrue is:
//!
//! - [`routes`](AuthApi::router) is the route tree, with the gateway's `apikey` check and the
//!   admin check per route; [`handlers`] has one module per endpoint family;
//! - [`store`] owns every statement; [`tokens`] issues access tokens and rotates refresh
//!   tokens; [`crypto`] hashes passwords (bcrypt) and codes; [`ratelimit`] keeps the per-IP
//!   budgets; [`error`] answers GoTrue's error shapes; [`config`] reads `[auth]` of
//!   `supabase/config.toml`.
//!
//! Messages (SMS codes, magic links, confirmation and recovery emails) are not sent inline:
//! they are queued in `notification_queue` in the same transaction, and the notification
//! worker delivers them (locally into `sms_logs` / `email_logs`).

pub mod config;
pub mod crypto;
pub mod error;
pub mod handlers;
pub mod ratelimit;
pub mod store;
pub mod tokens;

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
pub use config::{AuthOptions, RateLimits};
use ombaro_common::{db::Db, jwt::JwtKeys};
use serde_json::json;

/// Where the stack's server mounts this API.
pub const MOUNT: &str = "/auth/v1";

pub struct AuthApi {
    pub db: Db,
    pub keys: Arc<JwtKeys>,
    pub options: AuthOptions,
    /// `iss` of access tokens: the API's own URL, as GoTrue's `API_EXTERNAL_URL/auth/v1`.
    pub issuer: String,
    /// The server's URL, for links in messages.
    pub api_url: String,
    /// Where links may lead (`[auth] site_url` and `additional_redirect_urls`).
    pub redirects: config::RedirectUrls,
    pub limiter: ratelimit::Limiter,
    /// A bcrypt hash at the configured cost, checked when there is no real one, so a refused
    /// sign-in takes as long whether or not the account exists. Made on first use.
    decoy_hash: tokio::sync::OnceCell<String>,
}

impl AuthApi {
    pub async fn start(
        db: Db,
        keys: Arc<JwtKeys>,
        options: AuthOptions,
        api_url: String,
        redirects: config::RedirectUrls,
    ) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            db,
            keys,
            options,
            issuer: format!("{api_url}{MOUNT}"),
            api_url,
            redirects,
            limiter: ratelimit::Limiter::default(),
            decoy_hash: tokio::sync::OnceCell::new(),
        }))
    }

    pub async fn decoy_hash(&self) -> Result<String, error::AuthError> {
        self.decoy_hash
            .get_or_try_init(|| crypto::hash_password(crypto::secure_token(24), self.options.bcrypt_cost))
            .await
            .cloned()
            .map_err(error::AuthError::internal)
    }

    pub fn router(self: &Arc<Self>) -> Router {
        let admin = Router::new()
            .route("/users", get(handlers::admin::list).post(handlers::admin::create))
            .route(
                "/users/{id}",
                get(handlers::admin::get_one)
                    .put(handlers::admin::update)
                    .delete(handlers::admin::delete),
            )
            .route("/generate_link", post(handlers::admin::generate_link));
        let gated = Router::new()
            .route("/settings", get(handlers::settings::settings))
            .route("/signup", post(handlers::signup::signup))
            .route("/token", post(handlers::token::token))
            .route("/user", get(handlers::user::get_user).put(handlers::user::update_user))
            .route("/logout", post(handlers::logout::logout))
            .route("/otp", post(handlers::otp::otp))
            .route("/verify", post(handlers::verify::verify_post))
            .route("/recover", post(handlers::otp::recover))
            .route("/resend", post(handlers::otp::resend))
            .nest("/admin", admin)
            .route_layer(middleware::from_fn_with_state(self.clone(), require_apikey));
        // As on Supabase's gateway, health and the links in emails need no API key.
        Router::new()
            .route("/health", get(handlers::settings::health))
            .route("/verify", get(handlers::verify::verify_get))
            .merge(gated)
            .fallback(not_found)
            .with_state(self.clone())
    }
}

/// The gateway's check in front of GoTrue: an `apikey` (header or query) that is one of the
/// project's keys.
async fn require_apikey(State(api): State<Arc<AuthApi>>, req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            req.uri()
                .query()
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("apikey=").map(str::to_owned)))
        });
    let Some(key) = key else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "No API key found in request" })),
        )
            .into_response();
    };
    match api.keys.verify(&key) {
        Ok(claims) if claims.role == "anon" || claims.role == "service_role" => next.run(req).await,
        _ => (StatusCode::UNAUTHORIZED, Json(json!({ "message": "Invalid API key" }))).into_response(),
    }
}

async fn not_found(headers: axum::http::HeaderMap) -> Response {
    error::AuthError::not_found("not_found", "Not found")
        .for_request(&headers)
        .into_response()
}
