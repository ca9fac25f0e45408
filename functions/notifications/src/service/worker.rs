//! The notification worker: claims due outbox rows in small batches, plans each with the core,
//! sends it through its channel's provider and records the outcome, one row per call of
//! `private.record_notification`. It sleeps on `LISTEN notification_queue` (the V60 triggers
//! `NOTIFY` when rows become due) with a slow fallback poll for rows that become due by the
//! clock (retries, quiet hours) and for a lost listening connection.
//!
//! Several workers may run at once, in one process or on several machines: `for update skip
//! locked` gives each row to one of them, and the lease makes the row of a worker that died
//! mid-send due again after `lease`; the provider then gets the same idempotency key (the row
//! id). A worker that lost its lease records nothing, so a row is logged once.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::Utc;
use futures_util::StreamExt;
use ombaro_common::{db::Db, ApiError};
use serde_json::{json, Value};
use tokio::sync::Notify;
use uuid::Uuid;

use super::providers::{Accepted, Local, ProviderError, Providers};
use super::store;
use crate::plan::{self, Action, Claimed, Context, Message, Templates};
use crate::retry::{self, Outcome, RetryPolicy};

/// The channel the triggers notify on.
pub const CHANNEL: &str = "notification_queue";

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Names the worker in `locked_by` (unique per worker: host, pid and a random part).
    pub id: String,
    /// Rows claimed at once, and sent concurrently.
    pub batch: usize,
    /// How long a claimed row is the worker's; after that another worker may take it.
    pub lease: Duration,
    /// Fallback poll when no notification arrives.
    pub poll: Duration,
    /// Templates are read again after this long (edits apply without a restart).
    pub templates_ttl: Duration,
    pub retry: RetryPolicy,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            id: worker_id(),
            batch: 32,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(5),
            templates_ttl: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// `host:pid:random`.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{:04x}", std::process::id(), rand::random::<u16>())
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub failed: usize,
    pub dead: usize,
    pub skipped: usize,
    pub deferred: usize,
    pub lease_lost: usize,
}

/// The templates and when they were read.
type CachedTemplates = (Arc<Templates>, tokio::time::Instant);

/// A worker: the services' database (logged in as `authenticator`, acting as
/// `service_role`), its providers and options.
#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub providers: Arc<Providers>,
    pub options: WorkerOptions,
    templates: Arc<tokio::sync::Mutex<Option<CachedTemplates>>>,
}

impl Worker {
    pub fn new(db: Db, providers: Arc<Providers>, options: WorkerOptions) -> Self {
        Worker {
            db,
            providers,
            options,
            templates: Arc::default(),
        }
    }

    async fn templates(&self) -> Result<Arc<Templates>, ApiError> {
        let mut cached = self.templates.lock().await;
        if let Some((t, at)) = cached.as_ref() {
            if at.elapsed() < self.options.templates_ttl {
                return Ok(t.clone());
            }
        }
        let mut client = self.db.get().await?;
        let tx = self.db.begin_as_service(&mut client).await?;
        let t = Arc::new(store::templates(&tx).await?);
        tx.commit().await?;
        *cached = Some((t.clone(), tokio::time::Instant::now()));
        Ok(t)
    }

    /// Claims one batch and handles every row of it.
    pub async fn pass(&self) -> Result<Pass, ApiError> {
        let claimed = {
            let mut client = self.db.get().await?;
            let tx = self.db.begin_as_service(&mut client).await?;
            let rows = store::claim(
                &tx,
                &self.options.id,
                self.options.batch as i32,
                self.options.lease.as_secs_f64(),
            )
            .await?;
            tx.commit().await?;
            rows
        };
        let mut pass = Pass {
            claimed: claimed.len(),
            ..Pass::default()
        };
        if claimed.is_empty() {
            return Ok(pass);
        }
        let templates = self.templates().await?;
        let outcomes = futures_util::future::join_all(
            claimed
                .into_iter()
                .map(|(row, ctx)| self.handle(row, ctx, templates.clone())),
        )
        .await;
        for outcome in outcomes {
            match outcome {
                Ok((status, recorded)) => {
                    if !recorded {
                        pass.lease_lost += 1;
                        continue;
                    }
                    match status {
                        "sent" => pass.sent += 1,
                        "failed" => pass.failed += 1,
                        "dead" => pass.dead += 1,
                        "skipped" => pass.skipped += 1,
                        _ => pass.deferred += 1,
                    }
                }
                // The row stays leased and is retried when the lease ends.
                Err(err) => tracing::warn!(%err, "recording a notification outcome failed"),
            }
        }
        Ok(pass)
    }

    /// Plans, sends and records one row: the recorded status and whether it was recorded.
    async fn handle(
        &self,
        row: Claimed,
        ctx: Context,
        templates: Arc<Templates>,
    ) -> Result<(&'static str, bool), ApiError> {
        let id = Uuid::parse_str(&row.id).map_err(ApiError::internal)?;
        let planned = plan::plan(&row, &ctx, &templates, Utc::now());
        let mut outcome = match planned.action {
            Action::Skip { reason } => json!({ "status": "skipped", "error": reason }),
            Action::Defer { until, reason } => {
                json!({ "status": "deferred", "next_attempt_at": until, "error": format!("deferred: {reason:?}") })
            }
            Action::Dead { code, message } => json!({ "status": "dead", "error": format!("{code}: {message}") }),
            Action::Send(message) => self.send(&row, &message).await,
        };
        outcome["fan_out"] = json!(planned.fan_out);
        let status = match outcome["status"].as_str() {
            Some("sent") => "sent",
            Some("failed") => "failed",
            Some("dead") => "dead",
            Some("skipped") => "skipped",
            _ => "deferred",
        };
        let mut client = self.db.get().await?;
        let tx = self.db.begin_as_service(&mut client).await?;
        let recorded = store::record(&tx, id, &self.options.id, &outcome).await?;
        tx.commit().await?;
        Ok((status, recorded))
    }

    /// Sends `message` for `row`: the outcome to record, with the channel's log row.
    async fn send(&self, row: &Claimed, message: &Message) -> Value {
        if let Message::InApp {
            inbox_type,
            push,
            channels,
        } = message
        {
            if let Some(line) = self.echo_line(message) {
                println!("{line}");
            }
            return json!({ "status": "sent", "log": {
                "type": inbox_type, "title": push.title, "message": push.body, "data": push.data, "channels": channels,
            }});
        }
        let provider = self
            .providers
            .for_channel(row.channel)
            .expect("every channel but in-app has a provider");
        let sent = tokio::time::timeout(self.options.lease / 2, provider.send(&row.id, message))
            .await
            .unwrap_or_else(|_| {
                Err(ProviderError {
                    provider: "timeout",
                    failure: retry::Failure::Transient { retry_after_secs: None },
                    message: format!("no answer within {:?}", self.options.lease / 2),
                    devices: Vec::new(),
                })
            });
        match sent {
            Ok(accepted) => json!({ "status": "sent", "log": log(message, &accepted, None) }),
            Err(err) => {
                let next = retry::after_failure(
                    &self.options.retry.with_max_attempts(row.max_attempts),
                    row.attempts.max(1),
                    err.failure,
                    Utc::now(),
                    rand::random(),
                );
                let refused = Accepted {
                    provider: err.provider,
                    message_id: None,
                    status: "failed",
                    devices: err.devices.clone(),
                };
                let log = log(message, &refused, Some(&err.message));
                match next {
                    Ok(Outcome::Retry { at, .. }) => {
                        json!({ "status": "failed", "next_attempt_at": at, "error": err.to_string(), "log": log })
                    }
                    _ => json!({ "status": "dead", "error": err.to_string(), "log": log }),
                }
            }
        }
    }

    fn echo_line(&self, message: &Message) -> Option<String> {
        self.providers
            .echo
            .then(|| format!("[notify] {}", Local::line(message)))
    }

    /// Runs passes until `shutdown`: a full batch is followed at once by another; otherwise
    /// the worker waits for a NOTIFY or the fallback poll.
    pub async fn run(self, listen: tokio_postgres::Config, shutdown: impl Future<Output = ()> + Send) {
        let wake = Arc::new(Notify::new());
        let listener = tokio::spawn(listen_forever(listen, wake.clone()));
        tokio::pin!(shutdown);
        tracing::info!(worker = %self.options.id, providers = ?self.providers, "notification worker started");
        loop {
            let full = match self.pass().await {
                Ok(pass) => {
                    if pass.claimed > 0 {
                        tracing::debug!(?pass, "notification pass");
                    }
                    pass.claimed >= self.options.batch
                }
                Err(err) => {
                    tracing::warn!(%err, "notification pass failed; trying again shortly");
                    false
                }
            };
            if full {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::task::yield_now() => continue,
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = wake.notified() => {},
                _ = tokio::time::sleep(self.options.poll) => {},
            }
        }
        listener.abort();
        tracing::info!(worker = %self.options.id, "notification worker stopped");
    }
}

/// Keeps a connection listening on [`CHANNEL`], waking the worker on every notification;
/// reconnects (and wakes it, since notifications may have been missed) when it drops.
async fn listen_forever(config: tokio_postgres::Config, wake: Arc<Notify>) {
    loop {
        match config.connect(tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                let _ = tx.send(());
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                });
                if client.batch_execute(&format!("listen {CHANNEL}")).await.is_ok() {
                    wake.notify_one();
                    while rx.recv().await.is_some() {
                        wake.notify_one();
                    }
                }
                driver.abort();
            }
            Err(err) => tracing::warn!(%err, "notification worker cannot listen; polling until it can"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        wake.notify_one();
    }
}

/// The channel's log row for `message` as the provider answered.
fn log(message: &Message, accepted: &Accepted, error: Option<&str>) -> Value {
    let status = accepted.status;
    match message {
        Message::Email { to, email } => json!({
            "to": to, "from": "no-reply@ombaro.in", "subject": email.subject, "template_code": email.template_code,
            "template_version": email.template_version, "category": email.category, "provider": accepted.provider,
            "provider_message_id": accepted.message_id, "status": status,
        }),
        Message::Sms { to, sms, dlt_entity_id } => json!({
            "to": to, "sender_id": sms.sender_id, "dlt_entity_id": dlt_entity_id, "dlt_template_id": sms.dlt_template_id,
            "message_type": sms.category.map_or("service_implicit", |c| c.as_str()), "body": sms.body,
            "segments": sms.cost.segments, "provider": accepted.provider,
            "provider_message_id": accepted.message_id, "status": status,
        }),
        Message::Whatsapp { to, whatsapp } => json!({
            "to": to, "template_name": whatsapp.template_name, "language": whatsapp.language,
            "category": whatsapp.category, "variables": whatsapp.parameters, "provider": accepted.provider,
            "provider_message_id": accepted.message_id, "status": status,
        }),
        Message::Push { tokens, push } => {
            let receipts: Vec<Value> = if accepted.devices.is_empty() {
                tokens
                    .iter()
                    .map(|t| json!({ "token": t, "status": status, "error": error }))
                    .collect()
            } else {
                accepted
                    .devices
                    .iter()
                    .map(|d| json!({ "token": d.token, "status": d.status, "provider_message_id": d.message_id, "error": d.error }))
                    .collect()
            };
            Value::Array(
                receipts
                    .into_iter()
                    .map(|mut r| {
                        r["title"] = json!(push.title);
                        r["body"] = json!(push.body);
                        r["data"] = json!(push.data);
                        r["platform"] = json!("fcm");
                        r
                    })
                    .collect(),
            )
        }
        Message::InApp { .. } => Value::Null,
    }
}
