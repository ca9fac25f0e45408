//! One module per endpoint family, as GoTrue has one file per endpoint; what they share is
//! here: the request context (client, API version, bearer token), body parsing, the
//! normalisation of emails and phone numbers, the rate-limit checks and the transaction.

pub mod admin;
pub mod logout;
pub mod otp;
pub mod settings;
pub mod signup;
pub mod token;
pub mod user;
pub mod verify;

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use deadpool_postgres::Transaction;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::{self, AuthError},
    ratelimit::Kind,
    AuthApi,
};

/// Who is calling, for rate limits and the session row.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The parts of a request every handler needs.
pub struct Ctx {
    pub headers: HeaderMap,
    pub client: Client,
    pub query: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        let query = parts
            .uri
            .query()
            .map(|q| {
                q.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (decode(k), decode(v))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Ctx {
            headers: parts.headers.clone(),
            client: Client { ip, user_agent },
            query,
        })
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Ctx {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The answer: JSON on success, GoTrue's error shape for this client otherwise.
    pub fn answer(&self, result: Result<Value, AuthError>) -> Response {
        match result {
            Ok(body) => {
                let mut response = Json(body).into_response();
                if error::wants_2024(&self.headers) {
                    response.headers_mut().insert(
                        error::API_VERSION_HEADER,
                        axum::http::HeaderValue::from_static(error::API_VERSION_2024),
                    );
                }
                response
            }
            Err(err) => err.for_request(&self.headers).into_response(),
        }
    }

    pub fn fail(&self, err: AuthError) -> Response {
        err.for_request(&self.headers).into_response()
    }

    /// The bearer token, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// Counts a request of `kind` against this client's budget.
    pub fn limit(&self, api: &AuthApi, kind: Kind) -> Result<(), AuthError> {
        let limits = api.options.rate_limits;
        let (limit, period) = match kind {
            Kind::SignIn => (limits.sign_in_sign_ups, 300),
            Kind::Verify => (limits.token_verifications, 300),
            Kind::Refresh => (limits.token_refresh, 300),
            Kind::Sms => (limits.sms_sent, 3600),
            Kind::Email => (limits.email_sent, 3600),
        };
        let ip = self.client.ip.unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if api.limiter.allow(kind, ip, limit, Duration::from_secs(period)) {
            Ok(())
        } else {
            Err(match kind {
                Kind::Sms => AuthError::too_many("over_sms_send_rate_limit", "SMS rate limit exceeded"),
                Kind::Email => AuthError::too_many("over_email_send_rate_limit", "Email rate limit exceeded"),
                _ => AuthError::rate_limited(),
            })
        }
    }
}

/// The signed-in caller of `/user` and `/logout`: a valid access token whose user exists and
/// whose session (when it names one) has not ended.
pub struct Authenticated {
    pub user: Uuid,
    pub session: Option<Uuid>,
}

pub async fn authenticate(api: &AuthApi, ctx: &Ctx) -> Result<Authenticated, AuthError> {
    let token = ctx.bearer().ok_or_else(|| {
        AuthError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        )
    })?;
    let claims = api.keys.verify(token).map_err(|err| {
        AuthError::forbidden(
            "bad_jwt",
            match err {
                ombaro_common::jwt::AuthError::Expired => {
                    "invalid JWT: unable to parse or verify signature, token has invalid claims: token is expired"
                        .to_owned()
                }
                _ => "invalid JWT: unable to parse or verify signature, token signature is invalid".to_owned(),
            },
        )
    })?;
    let user: Uuid = claims
        .sub
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AuthError::forbidden("bad_jwt", "invalid claim: missing sub claim"))?;
    let session = match claims.raw.get("session_id") {
        Some(Value::String(s)) => Some(
            s.parse::<Uuid>()
                .map_err(|_| AuthError::forbidden("bad_jwt", "invalid claim: session_id claim must be a UUID"))?,
        ),
        _ => None,
    };
    Ok(Authenticated { user, session })
}

/// Checks inside `tx` that the caller's user and session still exist.
pub async fn check_session(tx: &Transaction<'_>, who: &Authenticated) -> Result<crate::store::User, AuthError> {
    let user = crate::store::user_by_id(tx, who.user)
        .await?
        .ok_or_else(|| AuthError::forbidden("user_not_found", "User from sub claim in JWT does not exist"))?;
    if let Some(session) = who.session {
        if !crate::store::session_exists(tx, session, who.user).await? {
            return Err(AuthError::forbidden(
                "session_not_found",
                "Session from session_id claim in JWT does not exist",
            ));
        }
    }
    Ok(user)
}

/// Parses a JSON body (empty means `{}`).
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AuthError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| AuthError::bad_request("bad_json", format!("Could not parse request body as JSON: {e}")))
}

/// A lower-case, trimmed email, or `email_address_invalid`.
pub fn email(raw: &str) -> Result<String, AuthError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 255
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(AuthError::bad_request(
            "email_address_invalid",
            "Unable to validate email address: invalid format",
        ))
    }
}

/// A phone number as GoTrue stores it: E.164 digits without `+`.
pub fn phone(raw: &str) -> Result<String, AuthError> {
    let digits: String = raw
        .trim()
        .trim_start_matches('+')
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let valid =
        (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
    if valid {
        Ok(digits)
    } else {
        Err(AuthError::validation("Invalid phone number format (E.164 required)"))
    }
}

/// `None` for an absent or empty string.
pub fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub fn check_password(api: &AuthApi, password: &str) -> Result<(), AuthError> {
    if password.chars().count() < api.options.minimum_password_length {
        return Err(AuthError::weak_password(api.options.minimum_password_length));
    }
    if password.len() > 72 {
        // bcrypt reads 72 bytes; GoTrue refuses longer passwords rather than truncate them.
        return Err(AuthError::validation("Password cannot be longer than 72 characters"));
    }
    Ok(())
}

/// Metadata must be a JSON object (absent means empty).
pub fn metadata(value: Option<Value>) -> Result<Value, AuthError> {
    match value {
        None | Some(Value::Null) => Ok(Value::Object(Default::default())),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(AuthError::validation("metadata must be a JSON object")),
    }
}

/// A pooled connection (`503`-like `unexpected_failure` when none frees up).
pub async fn conn(api: &AuthApi) -> Result<deadpool_postgres::Client, AuthError> {
    api.db.get().await.map_err(|e| AuthError::internal(e.message))
}

/// A transaction acting as `service_role`: the only role that may touch `auth.*`.
pub async fn begin<'a>(api: &AuthApi, client: &'a mut deadpool_postgres::Client) -> Result<Transaction<'a>, AuthError> {
    Ok(api.db.begin_as_service(client).await?)
}

/// A display name for messages: `user_metadata.name` / `full_name`, else the email's local
/// part, else "there".
pub fn display_name(user: &crate::store::User) -> String {
    let meta = &user.user_metadata;
    meta.get("name")
        .or_else(|| meta.get("full_name"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            user.email
                .as_deref()
                .and_then(|e| e.split('@').next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "there".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_normalise() {
        assert_eq!(email("  Meera@Example.IN ").unwrap(), "meera@example.in");
        assert!(email("no-at-sign").is_err());
        assert!(email("a@b").is_err());
        assert!(email("a b@c.in").is_err());
        assert_eq!(phone("+91 98123-45678").unwrap(), "919812345678");
        assert!(phone("+0123").is_err());
        assert!(phone("12ab").is_err());
        assert!(phone("+1234567890123456").is_err());
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(decode("a%40b.in"), "a@b.in");
        assert_eq!(decode("x+y"), "x y");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
    }
}
