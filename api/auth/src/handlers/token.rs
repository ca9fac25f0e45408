//! `POST /token?grant_type=password|refresh_token`.

use std::sync::Arc;

use axum::{body::Bytes, extract::State, response::Response};
use serde::Deserialize;
use serde_json::Value;

use super::{body, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    ratelimit::Kind,
    store,
    tokens::{self, Refreshed},
    AuthApi,
};

#[derive(Deserialize)]
struct PasswordGrant {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
}

#[derive(Deserialize)]
struct RefreshGrant {
    refresh_token: Option<String>,
}

pub async fn token(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = match ctx.param("grant_type") {
        Some("password") => password(&api, &ctx, &bytes).await,
        Some("refresh_token") => refresh(&api, &ctx, &bytes).await,
        Some(other) => Err(AuthError::bad_request(
            "validation_failed",
            format!("unsupported_grant_type: {other}"),
        )),
        None => Err(AuthError::bad_request("validation_failed", "unsupported_grant_type")),
    };
    ctx.answer(result)
}

/// Email or phone and password. Every failure before the session is made (no such user, no
/// password, wrong password) is the same `invalid_credentials` after the same bcrypt work.
async fn password(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    ctx.limit(api, Kind::SignIn)?;
    let params: PasswordGrant = body(bytes)?;
    let password = params.password.unwrap_or_default();
    let user = {
        let mut client = super::conn(api).await?;
        let tx = super::begin(api, &mut client).await?;
        let user = match (given(&params.email), given(&params.phone)) {
            (Some(e), _) => store::user_by_email(&tx, &e.trim().to_lowercase()).await?,
            (None, Some(p)) => match super::phone(p) {
                Ok(p) => store::user_by_phone(&tx, &p).await?,
                Err(_) => None,
            },
            (None, None) => return Err(AuthError::bad_request("validation_failed", "missing email or phone")),
        };
        tx.rollback().await?;
        user
    };
    let hash = user.as_ref().and_then(|u| u.encrypted_password.clone());
    let ok = !password.is_empty() && crypto::verify_password(password, hash, api.decoy_hash().await?).await;
    let Some(user) = user.filter(|_| ok) else {
        return Err(AuthError::invalid_credentials());
    };
    if user.banned {
        return Err(AuthError::bad_request("user_banned", "User is banned"));
    }
    if given(&params.email).is_some() && !user.email_confirmed {
        return Err(AuthError::bad_request("email_not_confirmed", "Email not confirmed"));
    }
    if given(&params.email).is_none() && !user.phone_confirmed {
        return Err(AuthError::bad_request("phone_not_confirmed", "Phone not confirmed"));
    }
    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    let session = tokens::sign_in(api, &tx, user.id, "password", &ctx.client).await?;
    tx.commit().await?;
    Ok(session)
}

async fn refresh(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    ctx.limit(api, Kind::Refresh)?;
    let params: RefreshGrant = body(bytes)?;
    let token = params.refresh_token.unwrap_or_default();
    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    match tokens::refresh(api, &tx, token.trim()).await? {
        Refreshed::Session(session) => {
            tx.commit().await?;
            Ok(session)
        }
        Refreshed::Reused(err) => {
            // The revocation stands even though the request fails.
            tx.commit().await?;
            Err(err)
        }
    }
}
