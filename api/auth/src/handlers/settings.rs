//! `GET /settings` and `GET /health`.

use std::sync::Arc;

use axum::{extract::State, response::Response};
use serde_json::json;

use super::Ctx;
use crate::AuthApi;

/// What sign-in methods are on, as GoTrue reports them.
pub async fn settings(State(api): State<Arc<AuthApi>>, ctx: Ctx) -> Response {
    let o = &api.options;
    let off = false;
    ctx.answer(Ok(json!({
        "external": {
            "anonymous_users": off, "apple": off, "azure": off, "bitbucket": off, "discord": off,
            "facebook": off, "figma": off, "fly": off, "github": off, "gitlab": off, "google": off,
            "keycloak": off, "kakao": off, "linkedin": off, "linkedin_oidc": off, "notion": off,
            "spotify": off, "slack": off, "slack_oidc": off, "workos": off, "twitch": off,
            "twitter": off, "zoom": off,
            "email": o.email_signup,
            "phone": o.phone_signup,
        },
        "disable_signup": !o.enable_signup,
        "mailer_autoconfirm": !o.email_confirmations,
        "phone_autoconfirm": !o.phone_confirmations,
        "sms_provider": "ombaro-notifications",
        "saml_enabled": false,
    })))
}

/// Liveness, as GoTrue answers it.
pub async fn health(ctx: Ctx) -> Response {
    ctx.answer(Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "name": "GoTrue",
        "description": "OMBARO's local GoTrue-compatible auth API",
    })))
}
