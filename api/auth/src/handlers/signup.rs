//! `POST /signup`: email + password or phone + password. Autoconfirmed (and signed in) unless
//! `enable_confirmations` is on for the channel; then the code goes out through the
//! notification service and the answer is the user without a session.

use std::sync::Arc;

use axum::{body::Bytes, extract::State, response::Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{body, check_password, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    ratelimit::Kind,
    store::{self, NewUser, OneTimeKind},
    tokens, AuthApi,
};

#[derive(Deserialize)]
pub struct SignupParams {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
    pub data: Option<Value>,
    #[serde(default)]
    pub channel: Option<String>,
}

pub async fn signup(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = run(&api, &ctx, &bytes).await;
    ctx.answer(result)
}

async fn run(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    ctx.limit(api, Kind::SignIn)?;
    let params: SignupParams = body(bytes)?;
    let o = &api.options;
    if !o.enable_signup {
        return Err(AuthError::unprocessable(
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    let (email, phone) = match (given(&params.email), given(&params.phone)) {
        (Some(_), Some(_)) => {
            return Err(AuthError::validation(
                "Only an email address or phone number should be provided on signup.",
            ))
        }
        // No address at all is GoTrue's anonymous sign-in, off in this project's config.
        (None, None) if params.password.as_deref().is_none_or(str::is_empty) => {
            return Err(AuthError::unprocessable(
                "anonymous_provider_disabled",
                "Anonymous sign-ins are disabled",
            ))
        }
        (None, None) => {
            return Err(AuthError::validation(
                "To signup, please provide your email or phone number",
            ))
        }
        (Some(e), None) => (Some(super::email(e)?), None),
        (None, Some(p)) => (None, Some(super::phone(p)?)),
    };
    if email.is_some() && !o.email_signup {
        return Err(AuthError::unprocessable(
            "email_provider_disabled",
            "Email signups are disabled",
        ));
    }
    if phone.is_some() && !o.phone_signup {
        return Err(AuthError::unprocessable(
            "phone_provider_disabled",
            "Phone signups are disabled",
        ));
    }
    let password = params
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| AuthError::unprocessable("validation_failed", "Signup requires a valid password"))?;
    check_password(api, password)?;
    let user_metadata = super::metadata(params.data)?;
    let hash = crypto::hash_password(password.to_owned(), o.bcrypt_cost)
        .await
        .map_err(AuthError::internal)?;
    let confirm = if email.is_some() {
        o.email_confirmations
    } else {
        o.phone_confirmations
    };
    let provider = if email.is_some() { "email" } else { "phone" };
    let app_metadata = json!({ "provider": provider, "providers": [provider] });

    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    let existing = match (&email, &phone) {
        (Some(e), _) => store::user_by_email(&tx, e).await?,
        (_, Some(p)) => store::user_by_phone(&tx, p).await?,
        _ => None,
    };
    if let Some(existing) = existing {
        let confirmed = if email.is_some() {
            existing.email_confirmed
        } else {
            existing.phone_confirmed
        };
        if !confirm {
            // Signed in straight away: there is no hiding that the address is taken.
            return Err(AuthError::unprocessable(
                "user_already_exists",
                "User already registered",
            ));
        }
        if !confirmed {
            // Sends the code again (spaced), as a second sign-up would on GoTrue.
            send_confirmation(api, &tx, &existing, email.as_deref(), phone.as_deref()).await?;
            tx.commit().await?;
        }
        // GoTrue answers an existing address with a look-alike user, so a sign-up does not
        // tell anyone which addresses have accounts.
        return Ok(obfuscated_user(
            email.as_deref(),
            phone.as_deref(),
            &user_metadata,
            provider,
        ));
    }
    let new = NewUser {
        email: email.as_deref(),
        phone: phone.as_deref(),
        encrypted_password: Some(&hash),
        user_metadata: &user_metadata,
        app_metadata: &app_metadata,
        email_confirmed: email.is_some() && !confirm,
        phone_confirmed: phone.is_some() && !confirm,
        role: "authenticated",
    };
    let Some(id) = store::insert_user(&tx, &new).await? else {
        return Err(AuthError::unprocessable(
            "user_already_exists",
            "User already registered",
        ));
    };
    let answer = if confirm {
        let user = store::user_by_id(&tx, id)
            .await?
            .ok_or_else(|| AuthError::internal("new user vanished"))?;
        send_confirmation(api, &tx, &user, email.as_deref(), phone.as_deref()).await?;
        store::user_by_id(&tx, id).await?.map(|u| u.json).unwrap_or(Value::Null)
    } else {
        tokens::sign_in(api, &tx, id, "password", &ctx.client).await?
    };
    tx.commit().await?;
    Ok(answer)
}

/// Queues the sign-up confirmation: an email with a link and a code, or an SMS code.
async fn send_confirmation(
    api: &AuthApi,
    tx: &deadpool_postgres::Transaction<'_>,
    user: &store::User,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), AuthError> {
    let now = chrono::Utc::now().timestamp();
    if api.options.max_frequency > 0
        && user
            .confirmation_sent_at
            .is_some_and(|at| now - at < api.options.max_frequency)
    {
        return Ok(());
    }
    let code = crypto::otp();
    if let Some(email) = email {
        let hash = crypto::token_hash(email, &code);
        store::store_one_time_token(tx, user.id, OneTimeKind::Confirmation, &hash, email).await?;
        let link = super::verify::link(api, &hash, "signup", None);
        store::enqueue(
            tx,
            "auth.confirm_signup",
            user.id,
            "email",
            email,
            "auth_confirm_signup",
            &json!({
                "name": super::display_name(user),
                "confirmation_link": link,
                "otp": code,
                "expires_in_minutes": api.options.email_otp_expiry / 60,
            }),
        )
        .await?;
    } else if let Some(phone) = phone {
        let hash = crypto::token_hash(phone, &code);
        store::store_one_time_token(tx, user.id, OneTimeKind::Confirmation, &hash, phone).await?;
        store::enqueue(
            tx,
            "auth.otp",
            user.id,
            "sms",
            &format!("+{phone}"),
            "otp_login",
            &json!({ "otp": code }),
        )
        .await?;
    }
    Ok(())
}

/// A user-shaped answer for an address that already has an account (confirmations on).
fn obfuscated_user(email: Option<&str>, phone: Option<&str>, data: &Value, provider: &str) -> Value {
    let now = chrono::Utc::now().to_rfc3339();
    json!({
        "id": uuid::Uuid::new_v4(),
        "aud": "authenticated",
        "role": "authenticated",
        "email": email.unwrap_or(""),
        "phone": phone.unwrap_or(""),
        "confirmation_sent_at": now,
        "app_metadata": { "provider": provider, "providers": [provider] },
        "user_metadata": data,
        "identities": [],
        "created_at": now,
        "updated_at": now,
        "is_anonymous": false,
    })
}
