//! Errors as GoTrue answers them: a stable snake_case code in the `x-sb-error-code` header and
//! in the body, whose shape depends on the `X-Supabase-Api-Version` request header.
//! auth-js sends `2024-01-01` and reads `{"code": "<error_code>", "message": "..."}` (and the
//! echoed version header); older clients get `{"code": <status>, "error_code": "...", "msg":
//! "..."}`. A weak password adds `weak_password.reasons`.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

/// The API version auth-js speaks; the only one after the initial version.
pub const API_VERSION_2024: &str = "2024-01-01";
pub const API_VERSION_HEADER: &str = "x-supabase-api-version";

#[derive(Debug, Clone)]
pub struct AuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// `weak_password.reasons`.
    pub reasons: Option<Vec<&'static str>>,
    /// Whether the client asked for the 2024-01-01 body (set when answering).
    pub versioned: bool,
}

impl AuthError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            reasons: None,
            versioned: false,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn too_many(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
    }

    /// The one answer to a failed sign-in, whatever failed (unknown user, wrong password,
    /// no password set): nothing tells an attacker which accounts exist.
    pub fn invalid_credentials() -> Self {
        Self::bad_request("invalid_credentials", "Invalid login credentials")
    }

    pub fn weak_password(min: usize) -> Self {
        let mut err = Self::unprocessable(
            "weak_password",
            format!("Password should be at least {min} characters."),
        );
        err.reasons = Some(vec!["length"]);
        err
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::bad_request("validation_failed", message)
    }

    pub fn rate_limited() -> Self {
        Self::too_many("over_request_rate_limit", "Request rate limit reached")
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "auth request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unexpected_failure",
            "Unexpected failure, please check server logs for more information",
        )
    }

    /// The body shape for a request with these headers.
    pub fn for_request(mut self, headers: &HeaderMap) -> Self {
        self.versioned = wants_2024(headers);
        self
    }
}

/// Whether the request names API version 2024-01-01 or later (dates compare as strings).
pub fn wants_2024(headers: &HeaderMap) -> bool {
    headers
        .get(API_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .is_some_and(|v| v.len() == 10 && v >= API_VERSION_2024)
}

impl From<tokio_postgres::Error> for AuthError {
    fn from(err: tokio_postgres::Error) -> Self {
        match err.as_db_error() {
            Some(db) => Self::internal(format!("{}: {} ({:?})", db.code().code(), db.message(), db.detail())),
            None => Self::internal(err),
        }
    }
}

impl From<deadpool_postgres::PoolError> for AuthError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::internal(err)
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut body = if self.versioned {
            json!({ "code": self.code, "message": self.message })
        } else {
            json!({ "code": self.status.as_u16(), "error_code": self.code, "msg": self.message })
        };
        if let Some(reasons) = &self.reasons {
            body["weak_password"] = json!({ "reasons": reasons });
        }
        let mut response = (self.status, Json::<Value>(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-sb-error-code", HeaderValue::from_static(self.code));
        if self.versioned {
            headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION_2024));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(err: AuthError) -> (StatusCode, HeaderMap, Value) {
        let response = err.into_response();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn versioned_and_legacy_bodies() {
        let mut headers = HeaderMap::new();
        headers.insert(API_VERSION_HEADER, HeaderValue::from_static("2024-01-01"));
        let (status, h, v) = body(AuthError::invalid_credentials().for_request(&headers)).await;
        assert_eq!(status, 400);
        assert_eq!(
            v,
            json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
        );
        assert_eq!(h["x-sb-error-code"], "invalid_credentials");
        assert_eq!(h[API_VERSION_HEADER], "2024-01-01");

        let (_, h, v) = body(AuthError::invalid_credentials().for_request(&HeaderMap::new())).await;
        assert_eq!(
            v,
            json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
        );
        assert!(h.get(API_VERSION_HEADER).is_none());
    }

    #[tokio::test]
    async fn weak_password_carries_reasons() {
        let (status, _, v) = body(AuthError::weak_password(6)).await;
        assert_eq!(status, 422);
        assert_eq!(v["weak_password"]["reasons"], json!(["length"]));
        assert_eq!(v["error_code"], "weak_password");
    }

    #[test]
    fn version_header_is_compared_as_a_date() {
        let mut h = HeaderMap::new();
        assert!(!wants_2024(&h));
        h.insert(API_VERSION_HEADER, HeaderValue::from_static("2023-12-31"));
        assert!(!wants_2024(&h));
        h.insert(API_VERSION_HEADER, HeaderValue::from_static("2025-03-01"));
        assert!(wants_2024(&h));
        h.insert(API_VERSION_HEADER, HeaderValue::from_static("garbage-value"));
        assert!(!wants_2024(&h));
    }
}
