//! Batches of fixes, handled in groups. Therapists' apps send small batches often; one
//! transaction per batch would spend more on round trips and commits than on the fixes. So
//! `POST /locations` hands its batch to the ingest queue and waits: a few workers each take
//! every batch waiting (up to [`MAX_GROUP`]), and handle the group in one transaction as the
//! service: one call to `private.location_group_context` resolves each sender's therapist
//! and locks its assignment, the core judges each batch against its track, one call to
//! `private.record_location_groups` records them all (migration V70; both are set-based, so
//! a group costs a few statements, not a few per batch).
//!
//! Nothing waits for company: an idle server handles a lone batch at once, as a group of
//! one. A group that fails as a whole (a deadlock, a timeout) is retried batch by batch, so
//! one batch's failure is its own. Two batches of one sender never share a group: the second
//! is judged after the first is recorded.

use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;

use ombaro_common::{db::Db, ApiError};

use super::store;
use crate::{
    geo::Point,
    settings::Settings,
    track::{advance, Advance, Fix, TrackState},
};

/// The most batches one transaction handles.
pub const MAX_GROUP: usize = 64;
/// Workers handling groups at once (each holds one connection while it works).
pub const WORKERS: usize = 2;
/// Batches waiting before senders are told to slow down (the queue is bounded).
const QUEUE: usize = 4096;

/// One sender's batch, as the handler validated it.
pub struct Submitted {
    pub user_id: Uuid,
    /// The claims of the sender's verified token: the database decides, as them, whether
    /// and for which therapist they may send.
    pub claims: Value,
    /// The therapist the fixes are from, when the sender named one.
    pub therapist_hint: Option<Uuid>,
    pub fixes: Vec<Fix>,
}

/// Where a batch went and what it did.
#[derive(Debug)]
pub struct Handled {
    pub therapist: Uuid,
    pub context: Context,
    /// The track before this batch (the default when the assignment had none).
    pub before: TrackState,
    pub judged: Advance,
    pub in_transit: bool,
    /// The batch's outcome from `private.record_location_groups`: {inserted, duplicates,
    /// reached, notified}.
    pub outcome: Value,
}

/// The therapist's active assignment as `private.location_context` returns it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Context {
    pub assignment_id: Option<Uuid>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub destination: Option<Point>,
    #[serde(default)]
    pub track: Option<TrackState>,
    /// Which of the group's settings apply (the assignment's vendor's, or the global ones).
    #[serde(default)]
    pub settings_key: String,
    /// The settings layers, as the database holds them.
    #[serde(default)]
    pub settings: Value,
}

struct Pending {
    batch: Submitted,
    reply: oneshot::Sender<Result<Handled, ApiError>>,
}

/// The queue, and the workers started with it on first use.
#[derive(Clone, Default)]
pub struct Ingest {
    queue: Arc<OnceLock<mpsc::Sender<Pending>>>,
}

impl std::fmt::Debug for Ingest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest")
            .field("started", &self.queue.get().is_some())
            .finish()
    }
}

impl Ingest {
    /// Queues `batch` and waits for its group to be handled.
    pub async fn submit(&self, db: &Db, batch: Submitted) -> Result<Handled, ApiError> {
        let queue = self.queue.get_or_init(|| start(db.clone()));
        let (reply, answer) = oneshot::channel();
        queue.try_send(Pending { batch, reply }).map_err(|_| {
            ApiError::unavailable("ingest_busy", "too many location batches waiting; send again shortly")
        })?;
        answer
            .await
            .map_err(|_| ApiError::internal("the location batch was dropped unanswered"))?
    }
}

fn start(db: Db) -> mpsc::Sender<Pending> {
    let (tx, rx) = mpsc::channel(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WORKERS {
        let (db, rx) = (db.clone(), rx.clone());
        tokio::spawn(async move {
            while let Some(group) = next_group(&rx).await {
                handle(&db, group).await;
            }
        });
    }
    tx
}

/// Waits for one batch, then takes every other batch already waiting, up to [`MAX_GROUP`].
/// `None` once the queue is closed.
async fn next_group(rx: &Mutex<mpsc::Receiver<Pending>>) -> Option<Vec<Pending>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut group = vec![first];
    while group.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(p) => group.push(p),
            Err(_) => break,
        }
    }
    Some(group)
}

/// Handles a group: split so that no sender appears twice in one transaction, sorted by
/// sender so that concurrent groups lock assignments in one order; a failed transaction is
/// retried batch by batch.
async fn handle(db: &Db, mut group: Vec<Pending>) {
    while !group.is_empty() {
        let mut seen = std::collections::HashSet::new();
        let (mut now, later): (Vec<Pending>, Vec<Pending>) =
            group.into_iter().partition(|p| seen.insert(p.batch.user_id));
        group = later;
        now.sort_by_key(|p| p.batch.user_id);
        let batches: Vec<&Submitted> = now.iter().map(|p| &p.batch).collect();
        let began = std::time::Instant::now();
        let outcome = run(db, &batches).await;
        tracing::debug!(batches = batches.len(), elapsed = ?began.elapsed(), "location group handled");
        match outcome {
            Ok(results) => {
                for (p, r) in now.into_iter().zip(results) {
                    let _ = p.reply.send(r);
                }
            }
            Err(err) if now.len() == 1 => {
                let p = now.pop().expect("one batch");
                let _ = p.reply.send(Err(err));
            }
            Err(err) => {
                tracing::debug!(%err, batches = now.len(), "a location group failed; retrying its batches one by one");
                for p in now {
                    let r = run(db, &[&p.batch])
                        .await
                        .and_then(|mut r| r.pop().expect("one result"));
                    let _ = p.reply.send(r);
                }
            }
        }
    }
}

/// The settings layers the database holds, over the core's defaults; a setting the core
/// cannot read is logged and the defaults are used rather than refusing every fix.
pub fn settings_from(layers: &Value) -> Settings {
    let layers = layers.as_array().cloned().unwrap_or_default();
    Settings::layered(&layers).unwrap_or_else(|err| {
        tracing::warn!(%err, "location.tracking settings are not what the core reads; using defaults");
        Settings::default()
    })
}

fn refusal(code: &str) -> ApiError {
    match code {
        "not_a_therapist" => ApiError::forbidden("not_a_therapist", "only a therapist sends locations"),
        "not_your_therapist" => {
            ApiError::forbidden("not_your_therapist", "locations are sent by the therapist themself")
        }
        "therapist_id_required" => ApiError::unprocessable(
            "therapist_id_required",
            "you are a therapist at several vendors: name the therapist_id these fixes are from",
        ),
        other => ApiError::internal(format!("location_group_context answered {other:?}")),
    }
}

/// One transaction for `batches`: the outer error is the transaction's, the inner ones each
/// batch's own refusal.
async fn run(db: &Db, batches: &[&Submitted]) -> Result<Vec<Result<Handled, ApiError>>, ApiError> {
    let mut client = db.get().await?;
    let tx = db.begin_as_service(&mut client).await?;
    let senders: Vec<Value> = batches
        .iter()
        .map(|b| json!({"claims": b.claims, "therapist_id": b.therapist_hint}))
        .collect();
    let mut answer = store::group_context(&tx, &Value::Array(senders)).await?;
    let contexts = match answer["senders"].take() {
        Value::Array(items) if items.len() == batches.len() => items,
        _ => {
            return Err(ApiError::internal(
                "location_group_context answered for a different group",
            ))
        }
    };
    // Settings are read once per vendor in the group, and parsed once.
    let layers = answer["settings"].take();
    let mut parsed: std::collections::HashMap<String, Settings> = std::collections::HashMap::new();

    let mut results: Vec<Result<Handled, ApiError>> = Vec::with_capacity(batches.len());
    let mut records = Vec::new();
    for (batch, context) in batches.iter().zip(contexts) {
        if let Some(code) = context.get("error").and_then(Value::as_str) {
            results.push(Err(refusal(code)));
            continue;
        }
        let therapist: Uuid = serde_json::from_value(context["therapist_id"].clone())
            .map_err(|e| ApiError::internal(format!("location_group_context's therapist_id: {e}")))?;
        let mut context: Context = serde_json::from_value(context)
            .map_err(|e| ApiError::internal(format!("location_group_context did not decode: {e}")))?;
        context.settings = layers.get(&context.settings_key).cloned().unwrap_or(Value::Null);
        let settings = parsed
            .entry(context.settings_key.clone())
            .or_insert_with(|| settings_from(&context.settings))
            .clone();
        let in_transit = context.status.as_deref() == Some("in_transit");
        let before = context.track.clone().unwrap_or_default();
        let judged = advance(&before, &batch.fixes, context.destination, &settings);
        let fixes: Vec<Value> = batch
            .fixes
            .iter()
            .zip(&judged.verdicts)
            .map(|(f, v)| {
                json!({
                    "latitude": f.latitude, "longitude": f.longitude, "accuracy": f.accuracy, "speed": f.speed,
                    "heading": f.heading, "altitude": f.altitude, "battery_level": f.battery_level,
                    "recorded_at": f.recorded_at, "is_moving": v.is_moving(),
                })
            })
            .collect();
        // Only a journey in progress moves the track: before setting out and after arrival
        // the fixes are stored for dispatch, and nothing is counted.
        records.push(json!({
            "therapist_id": therapist,
            "assignment_id": context.assignment_id,
            "fixes": fixes,
            "track": if in_transit { serde_json::to_value(&judged.state).unwrap_or(Value::Null) } else { Value::Null },
            "distance_km": in_transit.then(|| (judged.state.distance_m / 10.0).round() / 100.0),
            "travel_minutes": in_transit.then(|| judged.state.travel_seconds() / 60),
            "arrived": in_transit && judged.arrived,
        }));
        results.push(Ok(Handled {
            therapist,
            context,
            before,
            judged,
            in_transit,
            outcome: Value::Null,
        }));
    }
    if !records.is_empty() {
        let outcomes = store::record_groups(&tx, &Value::Array(records)).await?;
        let mut outcomes = outcomes.into_iter();
        for handled in results.iter_mut().flatten() {
            handled.outcome = outcomes
                .next()
                .ok_or_else(|| ApiError::internal("record_location_groups answered for fewer batches"))?;
        }
    }
    tx.commit().await?;
    Ok(results)
}
