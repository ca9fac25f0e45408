//! `POST /logout?scope=global|local|others`: ends the caller's sessions (all of them, this
//! one, or all but this one); their refresh tokens go with them and their access tokens stop
//! working at `/auth/v1` at once (and everywhere at `exp`).

use std::sync::Arc;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{authenticate, Ctx};
use crate::{error::AuthError, store, AuthApi};

pub async fn logout(State(api): State<Arc<AuthApi>>, ctx: Ctx) -> Response {
    match run(&api, &ctx).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => ctx.fail(err),
    }
}

async fn run(api: &Arc<AuthApi>, ctx: &Ctx) -> Result<(), AuthError> {
    let scope = match ctx.param("scope").unwrap_or("global") {
        s @ ("global" | "local" | "others") => s,
        _ => {
            return Err(AuthError::bad_request(
                "validation_failed",
                "Unsupported logout scope; use global, local or others",
            ))
        }
    };
    let who = authenticate(api, ctx).await?;
    let mut client = super::conn(api).await?;
    let tx = super::begin(api, &mut client).await?;
    if scope != "global" && who.session.is_none() {
        return Err(AuthError::forbidden(
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        ));
    }
    store::logout(&tx, who.user, who.session, scope).await?;
    tx.commit().await?;
    Ok(())
}
