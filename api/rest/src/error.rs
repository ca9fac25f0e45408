//! Errors as PostgREST shapes them: a JSON body `{code, message, details, hint}` and a status
//! chosen from the code. `PGRST…` codes are the API's own (1xx request, 2xx schema cache, 3xx
//! JWT); a database error keeps its SQLSTATE and is mapped the way PostgREST's
//! `mapSQLtoHTTP` maps it.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub details: Option<String>,
    pub hint: Option<String>,
}

impl RestError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: None,
            hint: None,
        }
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// PGRST100: the query string cannot be parsed.
    pub fn parse(message: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PGRST100", message).details(details)
    }

    /// PGRST102: the body is not what the request needs.
    pub fn body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PGRST102", message)
    }

    /// 42703, shaped as Postgres reports it: PostgREST lets the database say it.
    pub fn no_column(table: &str, column: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "42703",
            format!("column {table}.{column} does not exist"),
        )
    }

    /// PGRST205: a table or view outside the schema cache.
    pub fn no_table(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "PGRST205",
            format!("Could not find the table 'public.{name}' in the schema cache"),
        )
    }

    /// The error of a statement, with its SQLSTATE and the status PostgREST gives it. `anon`
    /// matters for 42501: an anonymous caller is told to authenticate (401), a signed-in one
    /// that it may not (403).
    pub fn from_db(err: &tokio_postgres::Error, anon: bool) -> Self {
        let Some(db) = err.as_db_error() else {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "PGRST001",
                "Database client error. Retrying the connection.",
            )
            .details(err.to_string());
        };
        let code = db.code().code();
        Self {
            status: status_of_sqlstate(code, anon),
            code: code.to_owned(),
            message: db.message().to_owned(),
            details: db.detail().map(str::to_owned),
            hint: db.hint().map(str::to_owned),
        }
    }

    pub fn body_json(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "hint": self.hint,
        })
    }
}

/// PostgREST's `mapSQLtoHTTP`, including the `PTxyz` codes a function raises to choose its
/// own status.
pub fn status_of_sqlstate(code: &str, anon: bool) -> StatusCode {
    let status = |n: u16| StatusCode::from_u16(n).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(custom) = code.strip_prefix("PT") {
        if let Ok(n) = custom.parse::<u16>() {
            return status(n);
        }
    }
    match code {
        "23503" | "23505" => return status(409),
        "25006" => return status(405),
        "42883" | "42P01" => return status(404),
        "42P17" => return status(500),
        "42501" => return status(if anon { 401 } else { 403 }),
        "P0001" => return status(400),
        _ => {}
    }
    match &code[..2.min(code.len())] {
        "08" => status(503),
        "09" => status(500),
        "0L" | "0P" => status(403),
        "23" => status(400),
        "25" => status(500),
        "28" => status(403),
        "2D" | "38" | "39" | "3B" => status(500),
        "40" => status(500),
        "53" => status(503),
        "54" => status(413),
        "55" | "57" | "58" => status(500),
        "F0" | "HV" | "P0" | "XX" => status(500),
        "42" | "22" | "0A" | "21" | "2F" => status(400),
        _ => status(400),
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body_json())).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let value = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.message.replace('"', "'")
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

impl From<deadpool_postgres::PoolError> for RestError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "PGRST003",
            "Timed out acquiring connection from connection pool.",
        )
        .details(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_postgrest() {
        let cases = [
            ("23505", false, 409),
            ("23503", false, 409),
            ("23502", false, 400),
            ("22P02", false, 400),
            ("P0001", false, 400),
            ("42883", false, 404),
            ("42P01", false, 404),
            ("42501", true, 401),
            ("42501", false, 403),
            ("57014", false, 500),
            ("25006", false, 405),
            ("PT402", false, 402),
            ("53300", false, 503),
        ];
        for (code, anon, expected) in cases {
            assert_eq!(status_of_sqlstate(code, anon).as_u16(), expected, "{code}");
        }
    }
}
