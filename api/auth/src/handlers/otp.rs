//! `POST /otp` (a code by SMS, or a magic link and code by email) and `POST /recover` (a
//! password-recovery link by email). Messages are queued in `notification_queue` with the
//! user's row, for the notification worker to deliver.
//!
//! Neither tells whether an address has an account: an unknown email (with `create_user`
//! false) or an unknown recovery address gets the same answer as a known one, and nothing is
//! sent. A code asked for again within `max_frequency` is not sent again.

use std::sync::Arc;

use axum::{body::Bytes, extract::State, response::Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{body, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    ratelimit::Kind,
    store::{self, NewUser, OneTimeKind, User},
    AuthApi,
};

#[derive(Deserialize)]
struct OtpParams {
    email: Option<String>,
    phone: Option<String>,
    #[serde(default = "yes")]
    create_user: bool,
    data: Option<Value>,
    channel: Option<String>,
}

fn yes() -> bool {
    true
}

pub async fn otp(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = run_otp(&api, &ctx, &bytes).await;
    ctx.answer(result)
}

async fn run_otp(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    let params: OtpParams = body(bytes)?;
    let o = &api.options;
    if params.channel.as_deref().is_some_and(|c| c != "sms") {
        return Err(AuthError::validation("Invalid channel, supported values are 'sms'"));
    }
    let data = super::metadata(params.data)?;
    match (given(&params.email), given(&params.phone)) {
        (Some(_), Some(_)) | (None, None) => Err(AuthError::validation(
            "Only an email address or phone number should be provided",
        )),
        (None, Some(raw)) => {
            let phone = super::phone(raw)?;
            ctx.limit(api, Kind::Sms)?;
            let mut client = super::conn(api).await?;
            let tx = super::begin(api, &mut client).await?;
            let user = match store::user_by_phone(&tx, &phone).await? {
                Some(u) => Some(u),
                None if params.create_user && o.enable_signup && o.phone_signup => {
                    create_passwordless(&tx, None, Some(&phone), &data).await?
                }
                None => None,
            };
            // An unknown number (create_user false) gets a look-alike id: the answer does not
            // tell whether the number has an account.
            let mut message_id = Value::String(uuid::Uuid::new_v4().to_string());
            if let Some(user) = user.filter(|u| !u.banned) {
                message_id = send_sms_code(api, &tx, &user, &phone).await?;
            }
            tx.commit().await?;
            Ok(json!({ "message_id": message_id }))
        }
        (Some(raw), None) => {
            let email = super::email(raw)?;
            ctx.limit(api, Kind::Email)?;
            let mut client = super::conn(api).await?;
            let tx = super::begin(api, &mut client).await?;
            let user = match store::user_by_email(&tx, &email).await? {
                Some(u) => Some(u),
                None if params.create_user && o.enable_signup && o.email_signup => {
                    create_passwordless(&tx, Some(&email), None, &data).await?
                }
                None => None,
            };
            if let Some(user) = user.filter(|u| !u.banned) {
                send_email_code(api, &tx, &user, &email, None).await?;
            }
            tx.commit().await?;
            Ok(json!({}))
        }
    }
}

/// A user without a password, to be confirmed by the code they are about to get.
async fn create_passwordless(
    tx: &deadpool_postgres::Transaction<'_>,
    email: Option<&str>,
    phone: Option<&str>,
    data: &Value,
) -> Result<Option<User>, AuthError> {
    let provider = if email.is_some() { "email" } else { "phone" };
    let app_metadata = json!({ "provider": provider, "providers": [provider] });
    let new = NewUser {
        email,
        phone,
        encrypted_password: None,
        user_metadata: data,
        app_metadata: &app_metadata,
        email_confirmed: false,
        phone_confirmed: false,
        role: "authenticated",
    };
    match store::insert_user(tx, &new).await? {
        Some(id) => store::user_by_id(tx, id).await,
        None => Ok(None),
    }
}

fn recently(sent_at: Option<i64>, spacing: i64) -> bool {
    let now = chrono::Utc::now().timestamp();
    spacing > 0 && sent_at.is_some_and(|at| now - at < spacing)
}

/// Which stored token a code for `user` on this address is kept as: confirmation until the
/// address is confirmed, recovery after (GoTrue's split).
fn kind_for(confirmed: bool) -> OneTimeKind {
    if confirmed {
        OneTimeKind::Recovery
    } else {
        OneTimeKind::Confirmation
    }
}

/// Queues an SMS with a fresh code (`auth.otp` / `otp_login`); the queue row id, or null when
/// one went out less than `max_frequency` ago.
pub async fn send_sms_code(
    api: &AuthApi,
    tx: &deadpool_postgres::Transaction<'_>,
    user: &User,
    phone: &str,
) -> Result<Value, AuthError> {
    let kind = kind_for(user.phone_confirmed);
    let sent = match kind {
        OneTimeKind::Confirmation => user.confirmation_sent_at,
        OneTimeKind::Recovery => user.recovery_sent_at,
    };
    if recently(sent, api.options.max_frequency) {
        return Err(AuthError::too_many(
            "over_sms_send_rate_limit",
            format!(
                "For security purposes, you can only request this after {} seconds.",
                api.options.max_frequency
            ),
        ));
    }
    let code = crypto::otp();
    store::store_one_time_token(tx, user.id, kind, &crypto::token_hash(phone, &code), phone).await?;
    let id = store::enqueue(
        tx,
        "auth.otp",
        user.id,
        "sms",
        &format!("+{phone}"),
        "otp_login",
        &json!({ "otp": code }),
    )
    .await?;
    Ok(Value::String(id.to_string()))
}

/// Queues an email with a magic link and code (`auth_magic_link`), or the sign-up
/// confirmation for an unconfirmed address; `redirect_to` is where the link lands.
pub async fn send_email_code(
    api: &AuthApi,
    tx: &deadpool_postgres::Transaction<'_>,
    user: &User,
    email: &str,
    redirect_to: Option<&str>,
) -> Result<(), AuthError> {
    let kind = kind_for(user.email_confirmed);
    let sent = match kind {
        OneTimeKind::Confirmation => user.confirmation_sent_at,
        OneTimeKind::Recovery => user.recovery_sent_at,
    };
    if recently(sent, api.options.max_frequency) {
        return Ok(());
    }
    let code = crypto::otp();
    let hash = crypto::token_hash(email, &code);
    store::store_one_time_token(tx, user.id, kind, &hash, email).await?;
    let (event, template, link_type) = match kind {
        OneTimeKind::Confirmation => ("auth.confirm_signup", "auth_confirm_signup", "signup"),
        OneTimeKind::Recovery => ("auth.magic_link", "auth_magic_link", "magiclink"),
    };
    let link = super::verify::link(api, &hash, link_type, redirect_to);
    store::enqueue(
        tx,
        event,
        user.id,
        "email",
        email,
        template,
        &json!({
            "name": super::display_name(user),
            "confirmation_link": link,
            "magic_link": link,
            "otp": code,
            "expires_in_minutes": api.options.email_otp_expiry / 60,
        }),
    )
    .await?;
    Ok(())
}

#[derive(Deserialize)]
struct RecoverParams {
    email: Option<String>,
    redirect_to: Option<String>,
}

pub async fn recover(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = run_recover(&api, &ctx, &bytes).await;
    ctx.answer(result)
}

async fn run_recover(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    let params: RecoverParams = body(bytes)?;
    let email = super::email(
        given(&params.email).ok_or_else(|| AuthError::validation("Password recovery requires an email"))?,
    )?;
    ctx.limit(api, Kind::Email)?;
    let redirect_to = params
        .redirect_to
        .or_else(|| ctx.param("redirect_to").map(str::to_owned));
    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    if let Some(user) = store::user_by_email(&tx, &email).await?.filter(|u| !u.banned) {
        if !recently(user.recovery_sent_at, api.options.max_frequency) {
            let code = crypto::otp();
            let hash = crypto::token_hash(&email, &code);
            store::store_one_time_token(&tx, user.id, OneTimeKind::Recovery, &hash, &email).await?;
            let link = super::verify::link(api, &hash, "recovery", redirect_to.as_deref());
            store::enqueue(
                &tx,
                "auth.password_reset",
                user.id,
                "email",
                &email,
                "password_reset",
                &json!({
                    "name": super::display_name(&user),
                    "reset_link": link,
                    "otp": code,
                    "expires_in_minutes": api.options.email_otp_expiry / 60,
                }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct ResendParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// `POST /resend` (`type` `signup` with an email, `sms` with a phone): the confirmation code
/// again, for an address that has not confirmed yet. Any other address gets the same answer
/// and nothing is sent.
pub async fn resend(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = run_resend(&api, &ctx, &bytes).await;
    ctx.answer(result)
}

async fn run_resend(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    let params: ResendParams = body(bytes)?;
    match (params.kind.as_deref(), given(&params.email), given(&params.phone)) {
        (Some("signup"), Some(raw), None) => {
            let email = super::email(raw)?;
            ctx.limit(api, Kind::Email)?;
            let mut client = super::conn(api).await?;
            let tx = super::begin(api, &mut client).await?;
            if let Some(user) = store::user_by_email(&tx, &email).await? {
                if !user.email_confirmed && !user.banned {
                    send_email_code(api, &tx, &user, &email, None).await?;
                }
            }
            tx.commit().await?;
            Ok(json!({}))
        }
        (Some("sms"), None, Some(raw)) => {
            let phone = super::phone(raw)?;
            ctx.limit(api, Kind::Sms)?;
            let mut client = super::conn(api).await?;
            let tx = super::begin(api, &mut client).await?;
            let mut message_id = Value::String(uuid::Uuid::new_v4().to_string());
            if let Some(user) = store::user_by_phone(&tx, &phone).await? {
                if !user.phone_confirmed && !user.banned {
                    message_id = send_sms_code(api, &tx, &user, &phone).await?;
                }
            }
            tx.commit().await?;
            Ok(json!({ "message_id": message_id }))
        }
        _ => Err(AuthError::validation(
            "Resend needs type signup with an email, or type sms with a phone",
        )),
    }
}
