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
    db::Db,
    error::ApiError,
    jwt::{AuthError, JwtKeys},
};

#[derive(Clone, Debug)]
pub struct AppState {
    /// Logged in as `authenticator`; requests act as their caller through [`Db::begin_as`].
    pub db: Db,
    pub keys: Arc<JwtKeys>,
}

/// The verified caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// One of [`crate::jwt::API_ROLES`].
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

    /// Whether the token is a signed-in user's (one of [`crate::jwt::SIGNED_IN_ROLES`]).
    pub fn is_signed_in(&self) -> bool {
        crate::jwt::SIGNED_IN_ROLES.contains(&self.role.as_str())
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

/// A JSON request body parsed into `T`, refusing with the project's JSON errors instead of
/// axum's plain-text ones: a body that is not JSON is 400 `malformed_json`; JSON of the wrong
/// shape (unknown or missing fields, wrong types, values the domain type refuses) is 422
/// `invalid_request` naming the field; over the body limit is 413 `payload_too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_content = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim();
                v.eq_ignore_ascii_case("application/json") || v.ends_with("+json")
            });
        if !json_content {
            return Err(ApiError::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than this endpoint accepts",
                )
            } else {
                ApiError::bad_request("unreadable_body", rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON document into `T` with the errors of [`ApiJson`]. Two steps, so that "not
/// JSON at all" (400) and "JSON, but not what this endpoint takes" (422) stay apart.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|err| ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {err}")))?;
    serde_json::from_value(value).map_err(|err| ApiError::unprocessable("invalid_request", err.to_string()))
}

/// Query-string parameters parsed into `T`; a bad one is 400 `invalid_query` naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))
    }
}

/// `Option<ApiJson<T>>`: an empty body is `None` (for endpoints whose body is all optional,
/// such as a cancel without a reason); anything else must be valid JSON of `T`.
impl<T, S> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let length = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let chunked = headers.contains_key(axum::http::header::TRANSFER_ENCODING);
        if length == Some(0) || (length.is_none() && !chunked) {
            return Ok(None);
        }
        <ApiJson<T> as axum::extract::FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn caller(role: &str, user: Option<Uuid>) -> Caller {
        Caller {
            role: role.to_owned(),
            user_id: user,
            claims: json!({ "role": role }),
        }
    }

    #[test]
    fn only_the_service_role_is_the_service() {
        assert!(caller("service_role", None).is_service());
        assert!(!caller("authenticated", Some(Uuid::nil())).is_service());
        assert!(!caller("anon", None).is_service());
    }

    #[test]
    fn a_user_is_required_where_an_api_key_has_none() {
        let user = Uuid::new_v4();
        assert_eq!(caller("authenticated", Some(user)).require_user().unwrap(), user);
        let err = caller("anon", None).require_user().unwrap_err();
        assert_eq!((err.status.as_u16(), err.code.as_str()), (401, "sign_in_required"));
    }
}
