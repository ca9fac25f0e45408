//! What every function service shares over HTTP: the application state, the verification of
//! `Authorization: Bearer <jwt>` (done once, as middleware, for every function route), and
//! the verified caller that handlers receive.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::header::AUTHORIZATION,
    middleware::Next,
    response::Response,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    db::Pool,
    error::ApiError,
    jwt::{AuthError, JwtKeys},
};

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: Pool,
    pub keys: Arc<JwtKeys>,
}

/// The verified caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// `anon`, `authenticated` or `service_role`.
    pub role: String,
    /// The user, for user tokens.
    pub user_id: Option<Uuid>,
    /// Every claim as sent, for `request.jwt.claims`.
    pub claims: Value,
}

impl Caller {
    pub fn is_service(&self) -> bool {
        self.role == "service_role"
    }

    /// The signed-in user, or 401 for API keys without a user.
    pub fn require_user(&self) -> Result<Uuid, ApiError> {
        self.user_id
            .ok_or_else(|| ApiError::unauthorized("sign_in_required", "this needs a signed-in user's token"))
    }
}

/// Middleware: verifies the bearer token and hands the [`Caller`] to the handler, or answers
/// 401 with a JSON error saying what was wrong.
pub async fn require_jwt(State(state): State<AppState>, mut req: Request, next: Next) -> Result<Response, ApiError> {
    let caller = authenticate(
        &state.keys,
        req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()),
    )
    .map_err(|err| ApiError::unauthorized(err.code(), err.to_string()))?;
    req.extensions_mut().insert(caller);
    Ok(next.run(req).await)
}

/// Verifies an `Authorization` header value.
pub fn authenticate(keys: &JwtKeys, header: Option<&str>) -> Result<Caller, AuthError> {
    let header = header.ok_or(AuthError::Missing)?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(AuthError::Missing)?;
    let claims = keys.verify(token)?;
    let user_id = match claims.sub.as_deref() {
        Some(sub) => Some(Uuid::parse_str(sub).map_err(|_| AuthError::Invalid)?),
        None => None,
    };
    Ok(Caller {
        role: claims.role,
        user_id,
        claims: claims.raw,
    })
}
