//! The one error type every endpoint answers with: an HTTP status and a JSON body
//! `{"code": ..., "message": ..., "details": ...}`. `code` is stable and meant for programs;
//! `message` is for people.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn unprocessable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// A failure the caller cannot fix. The cause is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side",
        )
    }

    pub fn unavailable(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "details": self.details,
        });
        (self.status, Json(body)).into_response()
    }
}

/// Database errors become the answer a client can act on: the constraint that said no is a
/// 4xx naming it; anything else is a 500 whose cause is only logged.
impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> Self {
        let Some(db) = err.as_db_error() else {
            return ApiError::internal(err);
        };
        let constraint = db.constraint().map(str::to_owned);
        let details = json!({ "constraint": constraint, "sqlstate": db.code().code() });
        let code = db.code().code();
        match code {
            // exclusion_violation: e.g. two overlapping assignments of one therapist
            "23P01" => ApiError::conflict("overlap", db.message()).with_details(details),
            "23505" => ApiError::conflict("already_exists", db.message()).with_details(details),
            "23503" => ApiError::unprocessable("unknown_reference", db.message()).with_details(details),
            "23514" | "23502" | "22P02" | "22023" => {
                ApiError::unprocessable("invalid_value", db.message()).with_details(details)
            }
            "42501" => ApiError::forbidden("forbidden", db.message()).with_details(details),
            // Lost a race the database had to break (deadlock victim, serialization failure):
            // nothing was written and the same request may succeed if sent again.
            "40P01" | "40001" => ApiError::conflict(
                "concurrent_update",
                "another request changed the same rows at the same moment; try again",
            )
            .with_details(details),
            "57014" => ApiError::unavailable("timeout", "the database took too long to answer"),
            // Logged with the server's words (`db error` alone says nothing); never sent.
            _ => ApiError::internal(format!(
                "{code} {}{}",
                db.message(),
                db.where_().map(|w| format!(" ({w})")).unwrap_or_default()
            )),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        tracing::error!(%err, "database pool");
        ApiError::unavailable("database_unavailable", "the database is not reachable")
    }
}
