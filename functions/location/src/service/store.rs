//! Every query of the location service: calls of the SQL functions of migrations V70. The
//! effect of a batch is one call ([`record_fixes`]), executable by `service_role` only.

use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use ombaro_common::ApiError;

pub type Transaction<'a> = ombaro_common::db::PooledTransaction<'a>;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn one<T: for<'r> tokio_postgres::types::FromSql<'r>>(
    tx: &Transaction<'_>,
    sql: &str,
    params: Params<'_>,
) -> Result<T, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&statement, params).await?.get(0))
}

/// The caller's therapist ids (as the caller).
pub async fn own_therapist_ids(tx: &Transaction<'_>) -> Result<Vec<Uuid>, ApiError> {
    one(tx, "select private.therapist_ids_of_current_user()", &[]).await
}

/// `private.location_context` (as the service): the therapist's active assignment, locked,
/// with its destination, track and settings.
pub async fn location_context(tx: &Transaction<'_>, therapist: Uuid) -> Result<Value, ApiError> {
    one(tx, "select private.location_context($1)", &[&therapist]).await
}

/// A judged batch, as `private.record_location_fixes` takes it.
pub struct Recorded<'a> {
    pub therapist: Uuid,
    pub assignment: Option<Uuid>,
    pub fixes: &'a Value,
    pub track: Option<&'a Value>,
    pub distance_km: Option<f64>,
    pub travel_minutes: Option<i32>,
    pub arrived: bool,
}

/// `private.record_location_fixes` (as the service): the whole effect of a batch.
pub async fn record_fixes(tx: &Transaction<'_>, r: &Recorded<'_>) -> Result<Value, ApiError> {
    one(
        tx,
        "select private.record_location_fixes($1, $2, $3, $4, $5::float8::numeric(10,2), $6, $7)",
        &[
            &r.therapist,
            &r.assignment,
            r.fixes,
            &r.track,
            &r.distance_km,
            &r.travel_minutes,
            &r.arrived,
        ],
    )
    .await
}

/// `private.followed_assignment` (as the caller): null unless the caller may follow it.
pub async fn followed_assignment(tx: &Transaction<'_>, assignment: Uuid) -> Result<Option<Value>, ApiError> {
    one(tx, "select private.followed_assignment($1)", &[&assignment]).await
}

/// `private.assignment_location` (as the service).
pub async fn assignment_location(tx: &Transaction<'_>, assignment: Uuid) -> Result<Option<Value>, ApiError> {
    one(tx, "select private.assignment_location($1)", &[&assignment]).await
}

/// `private.may_see_therapist_location` (as the caller).
pub async fn may_see_therapist(tx: &Transaction<'_>, therapist: Uuid) -> Result<bool, ApiError> {
    one(tx, "select private.may_see_therapist_location($1)", &[&therapist]).await
}

/// `private.therapist_last_fix` (as the service).
pub async fn last_fix(tx: &Transaction<'_>, therapist: Uuid) -> Result<Option<Value>, ApiError> {
    one(tx, "select private.therapist_last_fix($1)", &[&therapist]).await
}
