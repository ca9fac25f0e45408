//! Every query of the notification service and worker. The worker's effects are the SQL
//! functions of V60 (`private.claim_notifications`, `private.record_notification`), run as
//! `service_role`; the endpoints act as their caller, so RLS and the same constraints an app
//! meets through supabase-js decide.

use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use ombaro_common::ApiError;

use crate::plan::{Claimed, Context, Templates};
use crate::template::EmailTemplateRow;

pub type Transaction<'a> = ombaro_common::db::PooledTransaction<'a>;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn one(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<tokio_postgres::Row, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&statement, params).await?)
}

/// Every template, parsed: active `email_templates` (en-IN) and the template settings.
pub async fn templates(tx: &Transaction<'_>) -> Result<Templates, ApiError> {
    let rows = tx
        .query(
            "select coalesce(jsonb_agg(jsonb_build_object(
                      'code', code, 'locale', locale, 'category', category, 'subject', subject,
                      'html_body', html_body, 'text_body', text_body, 'variables', variables, 'version', version)), '[]')
               from public.email_templates where is_active and locale = 'en-IN'",
            &[],
        )
        .await?;
    let email: Vec<EmailTemplateRow> = serde_json::from_value(rows[0].get(0)).map_err(ApiError::internal)?;
    let setting = |key: &'static str| async move {
        let row = one(
            tx,
            "select (select value from public.system_settings where key = $1 and effective_from <= now()
                     order by effective_from desc limit 1)",
            &[&key],
        )
        .await?;
        Ok::<Value, ApiError>(row.get::<_, Option<Value>>(0).unwrap_or(Value::Null))
    };
    let sms = setting("sms_templates").await?;
    let push = setting("push_templates").await?;
    let whatsapp = setting("whatsapp_templates").await?;
    let entity = setting("dlt_entity_id").await?;
    Templates::parse(email, &sms, &push, &whatsapp, entity.as_str().map(str::to_owned))
        .map_err(|e| ApiError::internal(format!("the seeded templates do not parse: {e}")))
}

/// `private.claim_notifications`: up to `batch` rows leased to `worker`, with their context.
pub async fn claim(
    tx: &Transaction<'_>,
    worker: &str,
    batch: i32,
    lease_secs: f64,
) -> Result<Vec<(Claimed, Context)>, ApiError> {
    let statement = tx
        .prepare_cached("select row_data, context from private.claim_notifications($1, $2, make_interval(secs => $3))")
        .await?;
    let rows = tx.query(&statement, &[&worker, &batch, &lease_secs]).await?;
    rows.into_iter()
        .map(|r| {
            let row: Claimed = serde_json::from_value(r.get(0)).map_err(ApiError::internal)?;
            // A context that does not parse (a preference row the core refuses) is delivered
            // with the defaults rather than never: the rows are checked on the way in.
            let context: Context = serde_json::from_value(r.get::<_, Value>(1)).unwrap_or_else(|err| {
                tracing::warn!(queue_id = %row.id, %err, "recipient context does not parse; using defaults");
                Context::default()
            });
            Ok((row, context))
        })
        .collect()
}

/// `private.record_notification`: `true` when recorded, `false` when the lease was lost.
pub async fn record(tx: &Transaction<'_>, queue_id: Uuid, worker: &str, outcome: &Value) -> Result<bool, ApiError> {
    let row = one(
        tx,
        "select private.record_notification($1, $2, $3)",
        &[&queue_id, &worker, outcome],
    )
    .await?;
    Ok(row.get::<_, String>(0) == "recorded")
}

/// Whether the caller holds `module: action` (`private.has_permission`, run as the caller).
pub async fn has_permission(tx: &Transaction<'_>, module: &str, action: &str) -> Result<bool, ApiError> {
    Ok(one(tx, "select private.has_permission($1, $2)", &[&module, &action])
        .await?
        .get(0))
}

/// `private.segment_user_ids`: the segment's active customers.
pub async fn segment_users(tx: &Transaction<'_>, segment: Uuid) -> Result<Vec<Uuid>, ApiError> {
    let statement = tx.prepare_cached("select private.segment_user_ids($1)").await?;
    match tx.query(&statement, &[&segment]).await {
        Ok(rows) => Ok(rows.iter().map(|r| r.get(0)).collect()),
        Err(e) if e.code().is_some_and(|c| c.code() == "P0002") => Err(ApiError::not_found(
            "segment_not_found",
            "no active segment with that id",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `private.enqueue_notifications`: rows queued now (a repeated request queues none).
pub async fn enqueue(
    tx: &Transaction<'_>,
    event: &str,
    channel: &str,
    template: &str,
    payload: &Value,
    recipients: &Value,
    key: &str,
) -> Result<i32, ApiError> {
    Ok(one(
        tx,
        "select private.enqueue_notifications($1, $2, $3, $4, $5, $6)",
        &[&event, &channel, &template, payload, recipients, &key],
    )
    .await?
    .get(0))
}

/// Removes `token` from the caller's sessions; how many held it.
pub async fn remove_push_token(tx: &Transaction<'_>, user: Uuid, token: &str) -> Result<u64, ApiError> {
    let statement = tx
        .prepare_cached("update public.user_sessions set push_token = null where user_id = $1 and push_token = $2")
        .await?;
    Ok(tx.execute(&statement, &[&user, &token]).await?)
}

/// Puts `token` on the caller's live session of `device_id` (a new session row when there is
/// none); the database moves it off any other session.
pub async fn register_push_token(
    tx: &Transaction<'_>,
    user: Uuid,
    token: &str,
    device_type: &str,
    device_id: Option<&str>,
) -> Result<Uuid, ApiError> {
    let statement = tx
        .prepare_cached(
            "update public.user_sessions set push_token = $2, last_active_at = now()
              where id = (select id from public.user_sessions
                           where user_id = $1 and ended_at is null
                             and (device_id = $3 or ($3::text is null and push_token = $2))
                           order by last_active_at desc limit 1)
             returning id",
        )
        .await?;
    if let Some(row) = tx.query_opt(&statement, &[&user, &token, &device_id]).await? {
        return Ok(row.get(0));
    }
    Ok(one(
        tx,
        "insert into public.user_sessions (user_id, device_id, device_type, push_token)
         values ($1, $2, $3, $4) returning id",
        &[&user, &device_id, &device_type, &token],
    )
    .await?
    .get(0))
}

/// The caller's preferences as stored (`None` without a row).
pub async fn preferences(tx: &Transaction<'_>, user: Uuid) -> Result<Option<Value>, ApiError> {
    let statement = tx
        .prepare_cached(
            "select jsonb_build_object(
                      'timezone', timezone, 'notify_push', notify_push, 'notify_email', notify_email,
                      'notify_sms', notify_sms, 'notify_whatsapp', notify_whatsapp,
                      'marketing_opt_in', marketing_opt_in, 'marketing_consent_at', marketing_consent_at,
                      'quiet_hours', case when quiet_hours_start is null then null else jsonb_build_object(
                        'start', to_char(quiet_hours_start, 'HH24:MI'), 'end', to_char(quiet_hours_end, 'HH24:MI')) end)
               from public.user_preferences where user_id = $1",
        )
        .await?;
    Ok(tx.query_opt(&statement, &[&user]).await?.map(|r| r.get(0)))
}

/// What a `PUT /preferences` changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PreferenceChange {
    pub timezone: Option<String>,
    pub notify_push: Option<bool>,
    pub notify_email: Option<bool>,
    pub notify_sms: Option<bool>,
    pub notify_whatsapp: Option<bool>,
    /// `Some(None)`: quiet hours off.
    pub quiet_hours: Option<Option<(chrono::NaiveTime, chrono::NaiveTime)>>,
    pub marketing_opt_in: Option<bool>,
}

/// Upserts the caller's row as the caller (RLS: their own row only); marketing consent is
/// timed by the database clock when given, and forgotten when withdrawn.
pub async fn save_preferences(tx: &Transaction<'_>, user: Uuid, c: &PreferenceChange) -> Result<(), ApiError> {
    let quiet_set = c.quiet_hours.is_some();
    let (start, end) = match c.quiet_hours {
        Some(Some((s, e))) => (Some(s), Some(e)),
        _ => (None, None),
    };
    let statement = tx
        .prepare_cached(
            "insert into public.user_preferences as p
               (user_id, timezone, notify_push, notify_email, notify_sms, notify_whatsapp,
                quiet_hours_start, quiet_hours_end, marketing_opt_in, marketing_consent_at)
             values ($1, coalesce($2, 'Asia/Kolkata'), coalesce($3, true), coalesce($4, true), coalesce($5, true),
                     coalesce($6, false), $8, $9, coalesce($10, false), case when $10 then now() end)
             on conflict (user_id) do update set
               timezone = coalesce($2, p.timezone),
               notify_push = coalesce($3, p.notify_push),
               notify_email = coalesce($4, p.notify_email),
               notify_sms = coalesce($5, p.notify_sms),
               notify_whatsapp = coalesce($6, p.notify_whatsapp),
               quiet_hours_start = case when $7 then $8 else p.quiet_hours_start end,
               quiet_hours_end = case when $7 then $9 else p.quiet_hours_end end,
               marketing_opt_in = coalesce($10, p.marketing_opt_in),
               marketing_consent_at = case when $10 is null then p.marketing_consent_at
                                           when $10 and p.marketing_opt_in then p.marketing_consent_at
                                           when $10 then now() end",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &user,
            &c.timezone,
            &c.notify_push,
            &c.notify_email,
            &c.notify_sms,
            &c.notify_whatsapp,
            &quiet_set,
            &start,
            &end,
            &c.marketing_opt_in,
        ],
    )
    .await?;
    Ok(())
}

/// Marks the caller's unread notifications read (`ids`, or all of them); how many.
pub async fn mark_read(tx: &Transaction<'_>, user: Uuid, ids: Option<&[Uuid]>) -> Result<u64, ApiError> {
    let statement = tx
        .prepare_cached(
            "update public.notifications set is_read = true
              where user_id = $1 and not is_read and ($2::uuid[] is null or id = any ($2))",
        )
        .await?;
    let ids = ids.map(<[Uuid]>::to_vec);
    Ok(tx.execute(&statement, &[&user, &ids]).await?)
}
