//! `POST /verify` (a code typed in, or a link's token hash, as auth-js `verifyOtp` sends
//! them) and `GET /verify` (the link in an email, redirecting with the session in the URL
//! fragment). Any failure is the same `otp_expired`: nobody learns whether the address, the
//! code or its age was wrong.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{body, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    ratelimit::Kind,
    store::{self, OneTimeKind, UserChanges},
    tokens, AuthApi,
};

/// The link a message carries: `GET /auth/v1/verify` with the token hash.
pub fn link(api: &AuthApi, hash: &str, kind: &str, redirect_to: Option<&str>) -> String {
    let redirect = api.redirects.choose(redirect_to);
    format!(
        "{}{}/verify?token={hash}&type={kind}&redirect_to={}",
        api.api_url,
        crate::MOUNT,
        encode(&redirect)
    )
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
struct VerifyParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    token: Option<String>,
    token_hash: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

fn invalid() -> AuthError {
    AuthError::forbidden("otp_expired", "Token has expired or is invalid")
}

/// What a verified code proves and how the session is recorded.
struct Verified {
    user: Uuid,
    method: &'static str,
}

pub async fn verify_post(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = async {
        ctx.limit(&api, Kind::Verify)?;
        let params: VerifyParams = body(&bytes)?;
        let kind = params.kind.clone().unwrap_or_default();
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let verified = check(&api, &tx, &kind, &params).await?;
        let session = tokens::sign_in(&api, &tx, verified.user, verified.method, &ctx.client).await?;
        tx.commit().await?;
        Ok::<Value, AuthError>(session)
    }
    .await;
    ctx.answer(result)
}

/// `GET /verify?token=<hash>&type=...&redirect_to=...`: redirects to `redirect_to` with
/// `#access_token=...` (or `#error=...`), as GoTrue's implicit flow does.
pub async fn verify_get(State(api): State<Arc<AuthApi>>, ctx: Ctx) -> Response {
    let redirect = api.redirects.choose(ctx.param("redirect_to"));
    let kind = ctx.param("type").unwrap_or_default().to_owned();
    let params = VerifyParams {
        kind: Some(kind.clone()),
        token: None,
        token_hash: ctx.param("token").map(str::to_owned),
        email: None,
        phone: None,
    };
    let result = async {
        ctx.limit(&api, Kind::Verify)?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let verified = check(&api, &tx, &kind, &params).await?;
        let session = tokens::sign_in(&api, &tx, verified.user, verified.method, &ctx.client).await?;
        tx.commit().await?;
        Ok::<Value, AuthError>(session)
    }
    .await;
    let fragment = match result {
        Ok(s) => format!(
            "access_token={}&expires_at={}&expires_in={}&refresh_token={}&token_type=bearer&type={}",
            s["access_token"].as_str().unwrap_or_default(),
            s["expires_at"],
            s["expires_in"],
            s["refresh_token"].as_str().unwrap_or_default(),
            encode(&kind)
        ),
        Err(err) => format!(
            "error=access_denied&error_code={}&error_description={}",
            err.code,
            encode(&err.message)
        ),
    };
    let location = format!("{redirect}#{fragment}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn check(
    api: &AuthApi,
    tx: &deadpool_postgres::Transaction<'_>,
    kind: &str,
    p: &VerifyParams,
) -> Result<Verified, AuthError> {
    let method: &'static str = match kind {
        "sms" | "phone_change" => "otp",
        "email" => "otp",
        "magiclink" => "magiclink",
        "signup" | "invite" => "otp",
        "recovery" => "recovery",
        _ => return Err(AuthError::validation("Verify requires a verification type")),
    };
    // The user, and the stored form of the code they present.
    let (user, hash) = if let Some(hash) = given(&p.token_hash) {
        if kind == "sms" {
            return Err(invalid());
        }
        let Some((user_id, _)) = store::user_by_token_hash(tx, hash).await? else {
            return Err(invalid());
        };
        let user = store::user_by_id(tx, user_id).await?.ok_or_else(invalid)?;
        (user, hash.to_owned())
    } else {
        let token = given(&p.token).ok_or_else(|| AuthError::validation("Verify requires a token or a token hash"))?;
        let (user, address) = if kind == "sms" || kind == "phone_change" {
            let phone = super::phone(
                given(&p.phone).ok_or_else(|| AuthError::validation("Only a phone number should be provided"))?,
            )?;
            (store::user_by_phone(tx, &phone).await?, phone)
        } else {
            let email = super::email(
                given(&p.email).ok_or_else(|| AuthError::validation("Only an email address should be provided"))?,
            )?;
            (store::user_by_email(tx, &email).await?, email)
        };
        let user = user.ok_or_else(invalid)?;
        (user, crypto::token_hash(&address, token))
    };
    if user.banned {
        return Err(invalid());
    }
    // Which stored code matches: confirmation or recovery (in constant time each).
    let matches = |stored: &Option<String>| stored.as_deref().is_some_and(|s| crypto::same(s, &hash));
    let matched = if matches(&user.confirmation_token) {
        OneTimeKind::Confirmation
    } else if matches(&user.recovery_token) {
        OneTimeKind::Recovery
    } else {
        return Err(invalid());
    };
    let sent_at = match matched {
        OneTimeKind::Confirmation => user.confirmation_sent_at,
        OneTimeKind::Recovery => user.recovery_sent_at,
    };
    let lifetime = if kind == "sms" || kind == "phone_change" {
        api.options.sms_otp_expiry
    } else {
        api.options.email_otp_expiry
    };
    let now = chrono::Utc::now().timestamp();
    if sent_at.is_none_or(|at| now - at > lifetime) {
        return Err(invalid());
    }
    // A recovery link must be a recovery token; a sign-up link a confirmation.
    if (kind == "recovery" && matched != OneTimeKind::Recovery)
        || (kind == "signup" && matched != OneTimeKind::Confirmation)
    {
        return Err(invalid());
    }
    store::consume_one_time_token(tx, user.id, matched).await?;
    let by_phone = kind == "sms" || kind == "phone_change";
    let changes = UserChanges {
        email_confirmed: (!by_phone).then_some(true),
        phone_confirmed: by_phone.then_some(true),
        ..UserChanges::default()
    };
    store::update_user(tx, user.id, &changes).await?;
    Ok(Verified { user: user.id, method })
}
