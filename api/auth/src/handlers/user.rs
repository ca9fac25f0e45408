//! `GET /user` and `PUT /user`: the signed-in user, and the changes they may make
//! themselves (password, user_metadata, and email or phone while autoconfirm is on). They
//! can never write `app_metadata`, their role, or their OMBARO profile role here.

use std::sync::Arc;

use axum::{body::Bytes, extract::State, response::Response};
use serde::Deserialize;
use serde_json::Value;

use super::{authenticate, body, check_password, check_session, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    store::{self, UserChanges},
    AuthApi,
};

pub async fn get_user(State(api): State<Arc<AuthApi>>, ctx: Ctx) -> Response {
    let result = async {
        let who = authenticate(&api, &ctx).await?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let user = check_session(&tx, &who).await?;
        Ok(user.json)
    }
    .await;
    ctx.answer(result)
}

#[derive(Deserialize)]
struct UserUpdate {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    data: Option<Value>,
}

pub async fn update_user(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = run(&api, &ctx, &bytes).await;
    ctx.answer(result)
}

async fn run(api: &Arc<AuthApi>, ctx: &Ctx, bytes: &[u8]) -> Result<Value, AuthError> {
    let who = authenticate(api, ctx).await?;
    let params: UserUpdate = body(bytes)?;
    let data = match params.data {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => return Err(AuthError::validation("data must be a JSON object")),
    };
    let hash = match params.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => {
            check_password(api, p)?;
            Some(
                crypto::hash_password(p.to_owned(), api.options.bcrypt_cost)
                    .await
                    .map_err(AuthError::internal)?,
            )
        }
        None => None,
    };
    let email = given(&params.email).map(super::email).transpose()?;
    let phone = given(&params.phone).map(super::phone).transpose()?;
    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    let user = check_session(&tx, &who).await?;
    let email = email.filter(|e| user.email.as_deref() != Some(e.as_str()));
    let phone = phone.filter(|p| user.phone.as_deref() != Some(p.as_str()));
    if (email.is_some() && api.options.email_confirmations) || (phone.is_some() && api.options.phone_confirmations) {
        return Err(AuthError::unprocessable(
            "email_change_not_supported",
            "Changing the email or phone with confirmations on is not available on the local stack",
        ));
    }
    let changes = UserChanges {
        email: email.as_deref(),
        phone: phone.as_deref(),
        encrypted_password: hash.as_deref(),
        user_metadata: data.as_ref(),
        email_confirmed: email.as_ref().map(|_| true),
        phone_confirmed: phone.as_ref().map(|_| true),
        ..UserChanges::default()
    };
    store::update_user(&tx, who.user, &changes).await?;
    let user = store::user_by_id(&tx, who.user)
        .await?
        .ok_or_else(|| AuthError::forbidden("user_not_found", "User from sub claim in JWT does not exist"))?;
    tx.commit().await?;
    Ok(user.json)
}
