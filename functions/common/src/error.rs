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
    /// Seconds after which the same request may succeed (`Retry-After`), for answers that
    /// mean "busy", not "wrong".
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
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
            // statement_timeout (the role's limit) or a cancelled statement.
            "57014" => ApiError::unavailable("database_timeout", "the database took too long to answer").retry_after(1),
            // lock_timeout: another request holds the rows this one must change.
            "55P03" => ApiError::conflict(
                "locked",
                "another request is changing the same record right now; try again",
            )
            .with_details(details)
            .retry_after(1),
            // Logged with the server's words (`db error` alone says nothing); never sent.
            _ => ApiError::internal(format!(
                "{code} {}{}",
                db.message(),
                db.where_().map(|w| format!(" ({w})")).unwrap_or_default()
            )),
        }
    }
}

/// A connection that cannot be had is "busy, come back", never a hang: every pool wait,
/// connect and recycle is bounded (see `db::PoolConfig`).
impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::{PoolError, TimeoutType};
        tracing::warn!(%err, "database pool");
        match err {
            PoolError::Timeout(TimeoutType::Wait) => ApiError::unavailable(
                "database_busy",
                "every database connection is in use; try again shortly",
            )
            .retry_after(1),
            PoolError::Timeout(_) => {
                ApiError::unavailable("database_timeout", "the database did not answer in time").retry_after(1)
            }
            _ => ApiError::unavailable("database_unavailable", "the database is not reachable").retry_after(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use deadpool_postgres::{PoolError, TimeoutType};

    use super::*;

    #[test]
    fn an_error_prints_status_code_and_message() {
        let err = ApiError::conflict("locked", "try again");
        assert_eq!(err.to_string(), "409 locked: try again");
    }

    #[test]
    fn a_pool_that_cannot_give_a_connection_in_time_says_busy_or_timeout() {
        let busy = ApiError::from(PoolError::Timeout(TimeoutType::Wait));
        assert_eq!(
            (busy.status.as_u16(), busy.code.as_str(), busy.retry_after),
            (503, "database_busy", Some(1))
        );
        for slow in [TimeoutType::Create, TimeoutType::Recycle] {
            let err = ApiError::from(PoolError::Timeout(slow));
            assert_eq!(
                (err.status.as_u16(), err.code.as_str()),
                (503, "database_timeout"),
                "{slow:?}"
            );
        }
        let closed = ApiError::from(PoolError::Closed);
        assert_eq!(
            (closed.status.as_u16(), closed.code.as_str()),
            (503, "database_unavailable")
        );
    }

    #[test]
    fn retry_after_is_sent_as_a_header() {
        let response = ApiError::unavailable("database_busy", "busy")
            .retry_after(1)
            .into_response();
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "1");
        let response = ApiError::bad_request("x", "y").into_response();
        assert!(response.headers().get(axum::http::header::RETRY_AFTER).is_none());
    }
}
