//! The admin API, for the service role only (`Authorization: Bearer <service_role key>`):
//! `GET/POST /admin/users`, `GET/PUT/DELETE /admin/users/{id}`, `POST /admin/generate_link`.
//! Anything else is `401 no_authorization` or `403 not_admin`.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::HeaderValue,
    response::Response,
};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{body, check_password, given, Ctx};
use crate::{
    crypto,
    error::AuthError,
    store::{self, NewUser, OneTimeKind, UserChanges},
    AuthApi,
};

/// The caller must present a valid token whose role is `service_role`.
fn require_admin(api: &AuthApi, ctx: &Ctx) -> Result<(), AuthError> {
    let token = ctx.bearer().ok_or_else(|| {
        AuthError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        )
    })?;
    match api.keys.verify(token) {
        Ok(claims) if claims.role == "service_role" => Ok(()),
        Ok(_) => Err(AuthError::forbidden("not_admin", "User not allowed")),
        Err(_) => Err(AuthError::forbidden(
            "bad_jwt",
            "invalid JWT: unable to parse or verify signature",
        )),
    }
}

fn user_not_found() -> AuthError {
    AuthError::not_found("user_not_found", "User not found")
}

fn parse_id(id: &str) -> Result<Uuid, AuthError> {
    id.parse().map_err(|_| user_not_found())
}

pub async fn list(State(api): State<Arc<AuthApi>>, ctx: Ctx) -> Response {
    let page = ctx
        .param("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = ctx
        .param("per_page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(50)
        .min(1000);
    let result = async {
        require_admin(&api, &ctx)?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let (users, total) = store::list_users(&tx, page, per_page).await?;
        tx.commit().await?;
        Ok::<_, AuthError>((users, total))
    }
    .await;
    match result {
        Ok((users, total)) => {
            let mut response = ctx.answer(Ok(json!({ "users": users, "aud": "authenticated" })));
            let last = ((total + per_page - 1) / per_page).max(1);
            let base = format!("{}{}/admin/users", api.api_url, crate::MOUNT);
            let mut links = Vec::new();
            if page < last {
                links.push(format!("<{base}?page={}&per_page={per_page}>; rel=\"next\"", page + 1));
            }
            links.push(format!("<{base}?page={last}&per_page={per_page}>; rel=\"last\""));
            let headers = response.headers_mut();
            headers.insert("x-total-count", HeaderValue::from(total));
            if let Ok(link) = HeaderValue::from_str(&links.join(", ")) {
                headers.insert("link", link);
            }
            response
        }
        Err(err) => ctx.fail(err),
    }
}

#[derive(Deserialize, Default)]
struct AdminUserParams {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    email_confirm: Option<bool>,
    phone_confirm: Option<bool>,
    user_metadata: Option<Value>,
    app_metadata: Option<Value>,
    ban_duration: Option<String>,
}

/// `"none"` lifts a ban; otherwise a Go duration such as `24h`, `90m`, `3600s`.
fn ban_secs(raw: &str) -> Result<i64, AuthError> {
    if raw == "none" {
        return Ok(0);
    }
    let bad = || AuthError::bad_request("validation_failed", "invalid format for ban duration");
    let mut total = 0f64;
    let mut number = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap_or('s'));
        }
        let n: f64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
    }
    if !number.is_empty() || total <= 0.0 {
        return Err(bad());
    }
    Ok(total.ceil() as i64)
}

pub async fn create(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = async {
        require_admin(&api, &ctx)?;
        let p: AdminUserParams = body(&bytes)?;
        let email = given(&p.email).map(super::email).transpose()?;
        let phone = given(&p.phone).map(super::phone).transpose()?;
        if email.is_none() && phone.is_none() {
            return Err(AuthError::validation(
                "Unable to validate email address: invalid format",
            ));
        }
        let hash = match p.password.as_deref().filter(|s| !s.is_empty()) {
            Some(pw) => {
                check_password(&api, pw)?;
                Some(
                    crypto::hash_password(pw.to_owned(), api.options.bcrypt_cost)
                        .await
                        .map_err(AuthError::internal)?,
                )
            }
            None => None,
        };
        let user_metadata = super::metadata(p.user_metadata)?;
        let provider = if email.is_some() { "email" } else { "phone" };
        let mut app_metadata = super::metadata(p.app_metadata)?;
        app_metadata["provider"] = json!(provider);
        app_metadata["providers"] = json!([provider]);
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        if let Some(e) = &email {
            if store::user_by_email(&tx, e).await?.is_some() {
                return Err(AuthError::unprocessable(
                    "email_exists",
                    "A user with this email address has already been registered",
                ));
            }
        }
        if let Some(ph) = &phone {
            if store::user_by_phone(&tx, ph).await?.is_some() {
                return Err(AuthError::unprocessable(
                    "phone_exists",
                    "A user with this phone number has already been registered",
                ));
            }
        }
        let new = NewUser {
            email: email.as_deref(),
            phone: phone.as_deref(),
            encrypted_password: hash.as_deref(),
            user_metadata: &user_metadata,
            app_metadata: &app_metadata,
            email_confirmed: email.is_some() && p.email_confirm.unwrap_or(false),
            phone_confirmed: phone.is_some() && p.phone_confirm.unwrap_or(false),
            role: "authenticated",
        };
        let id = store::insert_user(&tx, &new).await?.ok_or_else(|| {
            AuthError::unprocessable(
                "email_exists",
                "A user with this email address has already been registered",
            )
        })?;
        if let Some(ban) = p.ban_duration.as_deref() {
            let changes = UserChanges {
                ban_secs: Some(ban_secs(ban)?),
                ..UserChanges::default()
            };
            store::update_user(&tx, id, &changes).await?;
        }
        let user = store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        Ok(user.json)
    }
    .await;
    ctx.answer(result)
}

pub async fn get_one(State(api): State<Arc<AuthApi>>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let result = async {
        require_admin(&api, &ctx)?;
        let id = parse_id(&id)?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let user = store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?;
        Ok(user.json)
    }
    .await;
    ctx.answer(result)
}

pub async fn update(State(api): State<Arc<AuthApi>>, ctx: Ctx, Path(id): Path<String>, bytes: Bytes) -> Response {
    let result = async {
        require_admin(&api, &ctx)?;
        let id = parse_id(&id)?;
        let p: AdminUserParams = body(&bytes)?;
        let email = given(&p.email).map(super::email).transpose()?;
        let phone = given(&p.phone).map(super::phone).transpose()?;
        let hash = match p.password.as_deref().filter(|s| !s.is_empty()) {
            Some(pw) => {
                check_password(&api, pw)?;
                Some(
                    crypto::hash_password(pw.to_owned(), api.options.bcrypt_cost)
                        .await
                        .map_err(AuthError::internal)?,
                )
            }
            None => None,
        };
        let user_metadata = match p.user_metadata {
            None | Some(Value::Null) => None,
            v => Some(super::metadata(v)?),
        };
        let app_metadata = match p.app_metadata {
            None | Some(Value::Null) => None,
            v => Some(super::metadata(v)?),
        };
        let ban = p.ban_duration.as_deref().map(ban_secs).transpose()?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?;
        let changes = UserChanges {
            email: email.as_deref(),
            phone: phone.as_deref(),
            encrypted_password: hash.as_deref(),
            user_metadata: user_metadata.as_ref(),
            app_metadata: app_metadata.as_ref(),
            email_confirmed: p.email_confirm.filter(|c| *c),
            phone_confirmed: p.phone_confirm.filter(|c| *c),
            ban_secs: ban,
            ..UserChanges::default()
        };
        store::update_user(&tx, id, &changes).await?;
        let user = store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        Ok(user.json)
    }
    .await;
    ctx.answer(result)
}

#[derive(Deserialize, Default)]
struct DeleteParams {
    #[serde(default)]
    should_soft_delete: bool,
}

pub async fn delete(State(api): State<Arc<AuthApi>>, ctx: Ctx, Path(id): Path<String>, bytes: Bytes) -> Response {
    let result = async {
        require_admin(&api, &ctx)?;
        let id = parse_id(&id)?;
        let p: DeleteParams = body(&bytes)?;
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let user = store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?;
        if !store::delete_user(&tx, id, p.should_soft_delete).await? {
            return Err(user_not_found());
        }
        tx.commit().await?;
        Ok(user.json)
    }
    .await;
    ctx.answer(result)
}

#[derive(Deserialize)]
struct LinkParams {
    #[serde(rename = "type")]
    kind: String,
    email: Option<String>,
    password: Option<String>,
    data: Option<Value>,
    redirect_to: Option<String>,
}

/// Makes the link an email would carry, without sending anything: the user's fields plus
/// `action_link`, `email_otp`, `hashed_token`, `redirect_to`, `verification_type`.
pub async fn generate_link(State(api): State<Arc<AuthApi>>, ctx: Ctx, bytes: Bytes) -> Response {
    let result = async {
        require_admin(&api, &ctx)?;
        let p: LinkParams = body(&bytes)?;
        let email = super::email(given(&p.email).ok_or_else(|| AuthError::validation("Email is required"))?)?;
        let data = super::metadata(p.data)?;
        let hash_pw = match (p.kind.as_str(), p.password.as_deref().filter(|s| !s.is_empty())) {
            ("signup", Some(pw)) => {
                check_password(&api, pw)?;
                Some(
                    crypto::hash_password(pw.to_owned(), api.options.bcrypt_cost)
                        .await
                        .map_err(AuthError::internal)?,
                )
            }
            ("signup", None) => return Err(AuthError::validation("Signup requires a valid password")),
            _ => None,
        };
        if !matches!(p.kind.as_str(), "signup" | "invite" | "magiclink" | "recovery") {
            return Err(AuthError::validation("Invalid generate link type"));
        }
        let mut client = super::conn(&api).await?;
        let tx = super::begin(&api, &mut client).await?;
        let existing = store::user_by_email(&tx, &email).await?;
        let user = match (p.kind.as_str(), existing) {
            ("signup" | "invite", Some(_)) => {
                return Err(AuthError::unprocessable(
                    "email_exists",
                    "A user with this email address has already been registered",
                ))
            }
            ("recovery", None) => return Err(user_not_found()),
            (_, Some(u)) => u,
            (_, None) => {
                let app_metadata = json!({ "provider": "email", "providers": ["email"] });
                let new = NewUser {
                    email: Some(&email),
                    phone: None,
                    encrypted_password: hash_pw.as_deref(),
                    user_metadata: &data,
                    app_metadata: &app_metadata,
                    email_confirmed: false,
                    phone_confirmed: false,
                    role: "authenticated",
                };
                let id = store::insert_user(&tx, &new).await?.ok_or_else(|| {
                    AuthError::unprocessable(
                        "email_exists",
                        "A user with this email address has already been registered",
                    )
                })?;
                store::user_by_id(&tx, id).await?.ok_or_else(user_not_found)?
            }
        };
        let kind = match p.kind.as_str() {
            "signup" | "invite" => OneTimeKind::Confirmation,
            "magiclink" if !user.email_confirmed => OneTimeKind::Confirmation,
            _ => OneTimeKind::Recovery,
        };
        let code = crypto::otp();
        let hash = crypto::token_hash(&email, &code);
        store::store_one_time_token(&tx, user.id, kind, &hash, &email).await?;
        let verification_type = match (p.kind.as_str(), kind) {
            ("magiclink", OneTimeKind::Confirmation) => "signup",
            (k, _) => k,
        }
        .to_owned();
        let redirect = api.redirects.choose(p.redirect_to.as_deref());
        let action_link = super::verify::link(&api, &hash, &verification_type, Some(&redirect));
        let user = store::user_by_id(&tx, user.id).await?.ok_or_else(user_not_found)?;
        tx.commit().await?;
        let mut answer = user.json;
        answer["action_link"] = json!(action_link);
        answer["email_otp"] = json!(code);
        answer["hashed_token"] = json!(hash);
        answer["redirect_to"] = json!(redirect);
        answer["verification_type"] = json!(verification_type);
        Ok(answer)
    }
    .await;
    ctx.answer(result)
}

#[cfg(test)]
mod tests {
    use super::ban_secs;

    #[test]
    fn ban_durations_parse_like_go() {
        assert_eq!(ban_secs("24h").unwrap(), 86_400);
        assert_eq!(ban_secs("1h30m").unwrap(), 5_400);
        assert_eq!(ban_secs("90s").unwrap(), 90);
        assert_eq!(ban_secs("none").unwrap(), 0);
        assert!(ban_secs("forever").is_err());
        assert!(ban_secs("12").is_err());
        assert!(ban_secs("").is_err());
    }
}
