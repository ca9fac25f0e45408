//! The endpoints: parse into domain types (a bad value is a 4xx with a code and nothing is
//! written), act as the caller where the caller acts on their own rows, as the service for
//! the outbox.

use axum::{extract::State, http::StatusCode, Extension, Json};
use chrono::NaiveTime;
use ombaro_common::{db::act_as_service, http::ApiJson, ApiError, AppState, Caller};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::store;
use crate::channel::Channel;
use crate::prefs::UserPreferencesRow;

type Result<T> = std::result::Result<T, ApiError>;

/// `POST /send`: a template for one recipient (`user_id` or an address), several users, or a
/// campaign segment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// The event it is about; `campaign.promotion` for a segment unless given.
    event_type: Option<String>,
    channel: Channel,
    template_code: String,
    #[serde(default)]
    payload: Map<String, Value>,
    user_id: Option<Uuid>,
    #[serde(default)]
    user_ids: Vec<Uuid>,
    /// An address without an account: an email, an E.164 mobile or a device token.
    recipient: Option<String>,
    segment_id: Option<Uuid>,
    /// Names this request: the same key again queues nothing new.
    idempotency_key: Option<String>,
}

pub async fn send(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let forms = usize::from(req.user_id.is_some())
        + usize::from(!req.user_ids.is_empty())
        + usize::from(req.recipient.is_some())
        + usize::from(req.segment_id.is_some());
    if forms != 1 {
        return Err(ApiError::unprocessable(
            "invalid_recipients",
            "give exactly one of user_id, user_ids, recipient or segment_id",
        ));
    }
    if req.user_ids.len() > 1000 {
        return Err(ApiError::unprocessable(
            "too_many_recipients",
            "at most 1000 user_ids; use a segment",
        ));
    }
    if let Some(r) = &req.recipient {
        let ok = match req.channel {
            Channel::Email => r.contains('@') && !r.contains(char::is_whitespace) && r.len() <= 254,
            Channel::Sms | Channel::Whatsapp => {
                r.starts_with('+') && (9..=16).contains(&r.len()) && r[1..].bytes().all(|b| b.is_ascii_digit())
            }
            Channel::Push => valid_token(r),
            Channel::InApp => false,
        };
        if !ok {
            return Err(ApiError::unprocessable(
                "invalid_recipient",
                format!("{r:?} is not an address for {} (in-app needs a user)", req.channel),
            ));
        }
    }
    let key = match &req.idempotency_key {
        Some(k) if (8..=200).contains(&k.len()) => k.clone(),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "invalid_idempotency_key",
                "8 to 200 characters",
            ))
        }
        None => Uuid::new_v4().to_string(),
    };
    let event = req.event_type.clone().unwrap_or_else(|| {
        if req.segment_id.is_some() {
            "campaign.promotion".into()
        } else {
            "staff.message".into()
        }
    });
    if event.is_empty() || event.len() > 100 {
        return Err(ApiError::unprocessable("invalid_event_type", "1 to 100 characters"));
    }

    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    if !caller.is_service() {
        let (module, what) = if req.segment_id.is_some() {
            ("campaigns", "campaigns: create")
        } else {
            ("notifications", "notifications: create")
        };
        if !store::has_permission(&tx, module, "create").await? {
            return Err(ApiError::forbidden("forbidden", format!("sending this needs {what}")));
        }
    }
    act_as_service(&tx).await?;
    let templates = store::templates(&tx).await?;
    let code = match crate::events::channel_template(&req.template_code, req.channel) {
        Some(Some(code)) => code.to_owned(),
        Some(None) => {
            return Err(ApiError::unprocessable(
                "unknown_template",
                format!("{} has no {} template", req.template_code, req.channel),
            ))
        }
        None => req.template_code.clone(),
    };
    let exists = match req.channel {
        Channel::Email => templates.email.contains_key(&code),
        Channel::Sms => templates.sms.contains_key(&code),
        Channel::Whatsapp => templates.whatsapp.contains_key(&code),
        Channel::Push | Channel::InApp => templates.push.contains_key(&code),
    };
    if !exists {
        return Err(ApiError::unprocessable(
            "unknown_template",
            format!("no {} template {:?}", req.channel, req.template_code),
        ));
    }
    let recipients: Vec<Value> = if let Some(segment) = req.segment_id {
        store::segment_users(&tx, segment)
            .await?
            .into_iter()
            .map(|u| json!({ "user_id": u }))
            .collect()
    } else if let Some(r) = &req.recipient {
        vec![json!({ "recipient": r })]
    } else {
        req.user_id
            .into_iter()
            .chain(req.user_ids.iter().copied())
            .map(|u| json!({ "user_id": u }))
            .collect()
    };
    let queued = store::enqueue(
        &tx,
        &event,
        req.channel.as_str(),
        &req.template_code,
        &Value::Object(req.payload),
        &Value::Array(recipients.clone()),
        &key,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "queued": queued, "recipients": recipients.len(), "idempotency_key": key })),
    ))
}

/// What a device token may look like (FCM registration tokens; the database checks the same).
fn valid_token(token: &str) -> bool {
    (20..=4096).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-'))
}

/// `POST /devices`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    token: String,
    /// `android`, `ios` or `web`.
    #[serde(default = "web")]
    platform: String,
    device_id: Option<String>,
    #[serde(default)]
    remove: bool,
}

fn web() -> String {
    "web".into()
}

pub async fn devices(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<DeviceRequest>,
) -> Result<(StatusCode, Json<Value>)> {
    let user = caller.require_user()?;
    if !valid_token(&req.token) {
        return Err(ApiError::unprocessable(
            "invalid_token",
            "a push token is 20 to 4096 letters, digits, '_', ':', '.' or '-'",
        ));
    }
    if !["android", "ios", "web"].contains(&req.platform.as_str()) {
        return Err(ApiError::unprocessable(
            "invalid_platform",
            "platform is android, ios or web",
        ));
    }
    if req.device_id.as_ref().is_some_and(|d| d.is_empty() || d.len() > 200) {
        return Err(ApiError::unprocessable("invalid_device_id", "1 to 200 characters"));
    }
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let answer = if req.remove {
        let removed = store::remove_push_token(&tx, user, &req.token).await?;
        (StatusCode::OK, json!({ "removed": removed }))
    } else {
        let session =
            store::register_push_token(&tx, user, &req.token, &req.platform, req.device_id.as_deref()).await?;
        (
            StatusCode::CREATED,
            json!({ "session_id": session, "platform": req.platform }),
        )
    };
    tx.commit().await?;
    Ok((answer.0, Json(answer.1)))
}

/// The preferences a person without a row has (the table's defaults).
fn default_preferences() -> Value {
    json!({ "timezone": "Asia/Kolkata", "notify_push": true, "notify_email": true, "notify_sms": true,
            "notify_whatsapp": false, "marketing_opt_in": false, "marketing_consent_at": null, "quiet_hours": null })
}

pub async fn get_preferences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>> {
    let user = caller.require_user()?;
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let stored = store::preferences(&tx, user).await?;
    tx.commit().await?;
    Ok(Json(stored.unwrap_or_else(default_preferences)))
}

/// `PUT /preferences`: any of these; the others stay as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesRequest {
    timezone: Option<String>,
    notify_push: Option<bool>,
    notify_email: Option<bool>,
    notify_sms: Option<bool>,
    notify_whatsapp: Option<bool>,
    /// `{"start": "22:00", "end": "07:00"}`, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    quiet_hours: Option<Option<QuietHoursRequest>>,
    marketing_opt_in: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursRequest {
    start: String,
    end: String,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn time(field: &str, s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| ApiError::unprocessable("invalid_quiet_hours", format!("{field} is HH:MM, not {s:?}")))
}

pub async fn put_preferences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<PreferencesRequest>,
) -> Result<Json<Value>> {
    let user = caller.require_user()?;
    let quiet_hours = match &req.quiet_hours {
        None => None,
        Some(None) => Some(None),
        Some(Some(q)) => Some(Some((
            time("quiet_hours.start", &q.start)?,
            time("quiet_hours.end", &q.end)?,
        ))),
    };
    // The core's own parse of the result: a time zone it cannot use is refused here, as the
    // database refuses one it does not know.
    if let Some(tz) = &req.timezone {
        let row = UserPreferencesRow {
            timezone: tz.clone(),
            ..UserPreferencesRow::default()
        };
        crate::prefs::UserPreferences::try_from(row).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    }
    let change = store::PreferenceChange {
        timezone: req.timezone,
        notify_push: req.notify_push,
        notify_email: req.notify_email,
        notify_sms: req.notify_sms,
        notify_whatsapp: req.notify_whatsapp,
        quiet_hours,
        marketing_opt_in: req.marketing_opt_in,
    };
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    store::save_preferences(&tx, user, &change).await?;
    let saved = store::preferences(&tx, user).await?;
    tx.commit().await?;
    Ok(Json(saved.unwrap_or_else(default_preferences)))
}

/// `POST /read`: `{"ids": [...]}` or `{"all": true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    ids: Option<Vec<Uuid>>,
    #[serde(default)]
    all: bool,
}

pub async fn read(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<Value>> {
    let user = caller.require_user()?;
    let ids = match (&req.ids, req.all) {
        (Some(ids), false) if !ids.is_empty() && ids.len() <= 1000 => Some(ids.as_slice()),
        (None, true) => None,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_request",
                "give ids (1 to 1000) or all: true, not both",
            ))
        }
    };
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let marked = store::mark_read(&tx, user, ids).await?;
    tx.commit().await?;
    Ok(Json(json!({ "marked_read": marked })))
}
