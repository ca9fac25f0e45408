//! The endpoints. Each runs in one transaction that starts as the caller (so the database's
//! rules decide who they are and what they may follow) and switches to `service_role` only
//! for the narrow functions of V70.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::Utc;
use ombaro_common::{cache::keys, db, http::ApiJson, ApiError, AppState, Caller};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    ingest::{settings_from, Handled, Submitted},
    store, LocationOptions,
};
use crate::{
    eta::{estimate, Eta, EtaMethod},
    geo::Point,
    settings::Settings,
    track::{validate_batch, Fix, TrackState, Verdict},
};

type Result<T> = std::result::Result<T, ApiError>;

fn parse_id(raw: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad_request("invalid_id", format!("{what} id {raw:?} is not a uuid")))
}

fn decode<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|e| ApiError::internal(format!("{what} did not decode: {e}")))
}

/// What the cache keeps under `therapist:location:{id}`: enough to answer an ETA without the
/// database (the caller's right to it is still asked of the database every time).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedTrack {
    assignment_id: Uuid,
    destination: Option<Point>,
    track: TrackState,
    settings: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// The therapist the fixes are from; the caller's own when left out.
    #[serde(default)]
    therapist_id: Option<Uuid>,
    fixes: Vec<Fix>,
}

/// `POST /locations`: a therapist's batch of fixes, handled with the batches that arrive
/// with it ([`super::ingest`]).
pub async fn record_locations(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(options): Extension<LocationOptions>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Response> {
    let user_id = caller.require_user()?;
    validate_batch(&batch.fixes, Utc::now()).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;
    let received = batch.fixes.len();
    let Handled {
        therapist,
        context,
        before,
        judged,
        in_transit,
        outcome,
    } = options
        .ingest
        .submit(
            &state.db,
            Submitted {
                user_id,
                claims: caller.claims,
                therapist_hint: batch.therapist_id,
                fixes: batch.fixes,
            },
        )
        .await?;

    let reached = outcome["reached"].as_bool().unwrap_or(false);
    if let (Some(cache), Some(assignment)) = (&options.cache, context.assignment_id) {
        let track = if in_transit { judged.state.clone() } else { before };
        let entry = CachedTrack {
            assignment_id: assignment,
            destination: context.destination,
            track,
            settings: context.settings.clone(),
        };
        cache
            .put_json(
                &keys::therapist_location(therapist),
                &entry,
                keys::THERAPIST_LOCATION_TTL,
            )
            .await;
    }

    let count = |verdict: Verdict| judged.verdicts.iter().filter(|v| **v == verdict).count();
    let status = if reached {
        Some("reached")
    } else {
        context.status.as_deref()
    };
    Ok((
        StatusCode::OK,
        Json(json!({
            "therapist_id": therapist,
            "assignment_id": context.assignment_id,
            "assignment_status": status,
            "received": received,
            "stored": outcome["inserted"],
            "duplicates": outcome["duplicates"],
            "moved": count(Verdict::Moved),
            "stationary": count(Verdict::Stationary),
            "ignored": {
                "inaccurate": count(Verdict::Inaccurate),
                "too_fast": count(Verdict::TooFast),
                "not_newer": count(Verdict::NotNewer),
            },
            "distance_traveled_m": in_transit.then(|| judged.state.distance_m.round()),
            "travel_seconds": in_transit.then(|| judged.state.travel_seconds()),
            "arrived": reached,
        })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct Followed {
    therapist_id: Uuid,
    status: String,
}

#[derive(Debug, Deserialize)]
struct AssignmentLocation {
    assignment_id: Uuid,
    #[serde(default)]
    destination: Option<Point>,
    #[serde(default)]
    track: TrackState,
    settings: Value,
}

/// `GET /assignments/{id}/eta`.
pub async fn eta(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(options): Extension<LocationOptions>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let assignment = parse_id(&id, "assignment")?;
    let not_found = || ApiError::not_found("assignment_not_found", "no assignment of yours to follow with this id");
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    // The one rule (V70): the customer while in transit, the vendor, operations.
    let followed: Followed = match store::followed_assignment(&tx, assignment).await? {
        Some(value) => decode(value, "followed_assignment")?,
        None => return Err(not_found()),
    };

    let key = keys::therapist_location(followed.therapist_id);
    let cached = match &options.cache {
        Some(cache) => cache
            .get_json::<CachedTrack>(&key)
            .await
            .filter(|c| c.assignment_id == assignment),
        None => None,
    };
    let entry = match cached {
        Some(entry) => entry,
        None => {
            db::act_as_service(&tx).await?;
            let found: AssignmentLocation = match store::assignment_location(&tx, assignment).await? {
                Some(value) => decode(value, "assignment_location")?,
                None => return Err(not_found()),
            };
            let entry = CachedTrack {
                assignment_id: found.assignment_id,
                destination: found.destination,
                track: found.track,
                settings: found.settings,
            };
            // Only a journey in progress is worth caching (its track is what batches write).
            if let (Some(cache), "in_transit") = (&options.cache, followed.status.as_str()) {
                cache.put_json(&key, &entry, keys::THERAPIST_LOCATION_TTL).await;
            }
            entry
        }
    };
    drop(tx);

    let now = Utc::now();
    let settings = settings_from(&entry.settings);
    let mut answer: Eta = estimate(&entry.track, entry.destination, now, &settings);
    match followed.status.as_str() {
        "reached" | "in_progress" | "completed" if answer.method != EtaMethod::Arrived => {
            // Marked arrived by the therapist rather than by the geofence.
            answer.method = EtaMethod::Arrived;
            answer.distance_remaining_m = Some(0);
            answer.eta_seconds = Some(0);
            answer.eta_at = None;
        }
        "assigned" | "acknowledged" | "cancelled" => {
            answer = Eta {
                distance_remaining_m: None,
                eta_seconds: None,
                eta_at: None,
                method: EtaMethod::NoFix,
                ..answer
            };
        }
        _ => {}
    }
    Ok(Json(json!({
        "assignment_id": assignment,
        "distance_remaining_m": answer.distance_remaining_m,
        "eta_seconds": answer.eta_seconds,
        "eta_at": answer.eta_at,
        "method": answer.method,
        "last_fix_age_seconds": answer.last_fix_age_seconds,
        "signal_lost": answer.signal_lost,
        "speed_kmh": answer.speed_kmh,
        "status": followed.status,
    })))
}

/// `GET /therapists/{id}/last`: the vendor's people and operations.
pub async fn last_fix(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let therapist = parse_id(&id, "therapist")?;
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    if !store::may_see_therapist(&tx, therapist).await? {
        return Err(ApiError::not_found(
            "therapist_not_found",
            "no therapist of yours with this id",
        ));
    }
    db::act_as_service(&tx).await?;
    let fix = store::last_fix(&tx, therapist).await?;
    let Some(mut fix) = fix else {
        return Err(ApiError::not_found(
            "no_fix",
            "this therapist has sent no location in the last day",
        ));
    };
    let settings = Settings::default();
    if let Some(at) = fix["recorded_at"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    {
        let age = (Utc::now() - at.with_timezone(&Utc)).num_seconds().max(0);
        fix["age_seconds"] = json!(age);
        fix["signal_lost"] = json!(age > settings.stale_after_seconds);
    }
    Ok(Json(fix))
}
