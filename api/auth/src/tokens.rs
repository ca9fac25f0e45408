//! Access tokens and sessions as GoTrue issues them.
//!
//! An access token is an HS256 JWT with GoTrue's claims: `aud`, `exp`, `iat`, `iss`, `sub`,
//! `email`, `phone`, `app_metadata`, `user_metadata`, `role`, `aal`, `amr`, `session_id`,
//! `is_anonymous`. `app_metadata.role` is the person's OMBARO role, read from
//! `user_profiles` when the token is issued (never from anything the user wrote).
//!
//! Refresh grants rotate (GoTrue's `RefreshTokenGrant`): the token and its session are
//! locked, a valid token is revoked and a child issued. A revoked token is answered with the
//! session's active token when it is that token's parent (the client lost the reply), or with
//! a new child inside the reuse interval; otherwise every token of the session is revoked,
//! that is committed, and the grant fails with `refresh_token_already_used`. Beyond GoTrue,
//! the session is also ended (`not_after`), so a token revoked with the family cannot come
//! back through the reuse interval and the session's access tokens stop working at
//! `/auth/v1`.

use deadpool_postgres::Transaction;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    crypto,
    error::AuthError,
    store::{self, User},
    AuthApi,
};

/// Refresh tokens are this many characters.
pub const REFRESH_TOKEN_LEN: usize = 32;

/// The claims of `user`'s access token for `session`.
pub fn claims(api: &AuthApi, user: &User, session: Uuid, amr: Value, now: i64) -> Value {
    let mut app_metadata = match &user.app_metadata {
        Value::Object(m) => m.clone(),
        _ => Default::default(),
    };
    match &user.profile_role {
        Some(role) => {
            app_metadata.insert("role".into(), Value::String(role.clone()));
        }
        None => {
            app_metadata.remove("role");
        }
    }
    json!({
        "aud": "authenticated",
        "exp": now + api.options.jwt_expiry,
        "iat": now,
        "iss": api.issuer,
        "sub": user.id.to_string(),
        "email": user.email.clone().unwrap_or_default(),
        "phone": user.phone.clone().unwrap_or_default(),
        "app_metadata": app_metadata,
        "user_metadata": user.user_metadata,
        "role": "authenticated",
        "aal": "aal1",
        "amr": amr,
        "session_id": session.to_string(),
        "is_anonymous": user.is_anonymous,
    })
}

/// The answer to a successful sign-in or refresh: GoTrue's `AccessTokenResponse`.
pub async fn session_response(
    api: &AuthApi,
    tx: &Transaction<'_>,
    user_id: Uuid,
    session: Uuid,
    refresh_token: &str,
) -> Result<Value, AuthError> {
    let user = store::user_by_id(tx, user_id)
        .await?
        .ok_or_else(AuthError::invalid_credentials)?;
    let amr = store::amr(tx, session).await?;
    let now = chrono::Utc::now().timestamp();
    let claims = claims(api, &user, session, amr, now);
    let claims = match &api.options.custom_access_token_hook {
        Some(hook) => run_access_token_hook(tx, hook, &user, claims).await?,
        None => claims,
    };
    let access = api.keys.sign(&claims);
    Ok(json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": api.options.jwt_expiry,
        "expires_at": now + api.options.jwt_expiry,
        "refresh_token": refresh_token,
        "user": user.json,
    }))
}

/// Supabase Auth's custom access token hook, as GoTrue runs a `pg-functions://` hook: the
/// function gets `{user_id, claims, authentication_method}` in the issuing transaction and
/// answers `{claims}` (the token's claims from then on) or `{error: {http_code, message}}`,
/// which refuses the grant. Claims that lose `sub` or `role`, or name a role no signed-in user
/// may act as (an API key's role among them: a hook must never make a user `service_role`), are
/// refused as GoTrue refuses output that breaks its schema.
async fn run_access_token_hook(
    tx: &Transaction<'_>,
    hook: &str,
    user: &User,
    claims: Value,
) -> Result<Value, AuthError> {
    let method = claims["amr"]
        .as_array()
        .and_then(|amr| amr.last())
        .and_then(|entry| entry["method"].as_str())
        .unwrap_or("password")
        .to_owned();
    let event = json!({ "user_id": user.id, "claims": claims, "authentication_method": method });
    let row = tx
        .query_one(&format!("select {hook}($1::jsonb)"), &[&event])
        .await
        .map_err(AuthError::internal)?;
    let answer: Value = row.get(0);
    if let Some(error) = answer.get("error") {
        let status = error["http_code"]
            .as_u64()
            .and_then(|code| axum::http::StatusCode::from_u16(code as u16).ok())
            .unwrap_or(axum::http::StatusCode::FORBIDDEN);
        let message = error["message"]
            .as_str()
            .unwrap_or("the access token hook refused")
            .to_owned();
        return Err(AuthError::new(status, "hook_error", message));
    }
    let claims = answer.get("claims").cloned().unwrap_or(Value::Null);
    let role = claims["role"].as_str().unwrap_or_default();
    if claims["sub"].as_str() != Some(&user.id.to_string()) || !ombaro_common::jwt::SIGNED_IN_ROLES.contains(&role) {
        return Err(AuthError::internal(format!(
            "the access token hook {hook} answered claims without this user's sub or with role {role:?}"
        )));
    }
    Ok(claims)
}

/// Signs `user` in: a new session authenticated by `method`, and its tokens.
pub async fn sign_in(
    api: &AuthApi,
    tx: &Transaction<'_>,
    user: Uuid,
    method: &str,
    client: &crate::handlers::Client,
) -> Result<Value, AuthError> {
    let refresh = crypto::secure_token(REFRESH_TOKEN_LEN);
    let session = store::create_session(
        tx,
        user,
        method,
        &refresh,
        client.user_agent.as_deref(),
        client.ip.map(|ip| ip.to_string()).as_deref(),
    )
    .await?;
    session_response(api, tx, user, session, &refresh).await
}

/// What a refresh grant decided.
pub enum Refreshed {
    Session(Value),
    /// The family was revoked: commit, then answer this error.
    Reused(AuthError),
}

pub async fn refresh(api: &AuthApi, tx: &Transaction<'_>, token: &str) -> Result<Refreshed, AuthError> {
    let not_found = || {
        AuthError::bad_request(
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )
    };
    if token.is_empty() || token.len() > 255 {
        return Err(not_found());
    }
    let Some(found) = store::lock_refresh_token(tx, token).await? else {
        return Err(not_found());
    };
    if found.session_expired {
        // A session ended by a detected reuse: its tokens stay refused, reuse interval or not.
        return Err(if found.revoked {
            AuthError::bad_request("refresh_token_already_used", "Invalid Refresh Token: Already Used")
        } else {
            AuthError::bad_request("session_expired", "Invalid Refresh Token: Session Expired")
        });
    }
    let Some(user) = store::user_by_id(tx, found.user_id).await? else {
        return Err(not_found());
    };
    if user.banned {
        return Err(AuthError::bad_request(
            "user_banned",
            "Invalid Refresh Token: User Banned",
        ));
    }
    if found.revoked {
        let active = store::active_token(tx, found.session_id).await?;
        if let Some((active_token, Some(parent))) = &active {
            if crypto::same(parent, &found.token) {
                // The client never stored the answer to its last refresh: give it again.
                let response = session_response(api, tx, found.user_id, found.session_id, active_token).await?;
                return Ok(Refreshed::Session(response));
            }
        }
        if found.age_secs > api.options.refresh_token_reuse_interval as f64 {
            if api.options.refresh_token_rotation {
                let revoked = store::revoke_family(tx, found.session_id).await?;
                tracing::warn!(session = %found.session_id, revoked, "refresh token reused outside the reuse interval; session revoked");
            }
            return Ok(Refreshed::Reused(AuthError::bad_request(
                "refresh_token_already_used",
                "Invalid Refresh Token: Already Used",
            )));
        }
    }
    let child = crypto::secure_token(REFRESH_TOKEN_LEN);
    store::rotate(tx, &found, &child).await?;
    let response = session_response(api, tx, found.user_id, found.session_id, &child).await?;
    Ok(Refreshed::Session(response))
}
