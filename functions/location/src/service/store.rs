//! Every query of the location service: calls of the SQL functions of migration V70. The effect of a group of batches is one call ([`record_groups`]), executable by
//! `service_role` only.

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

/// `private.location_group_context` (as the service): for each sender of a group, the
/// therapist and the context of its active assignment (locked), or the refusal, as
/// `{senders: [...], settings: {key: layers}}`.
pub async fn group_context(tx: &Transaction<'_>, senders: &Value) -> Result<Value, ApiError> {
    one(tx, "select private.location_group_context($1)", &[senders]).await
}

/// `private.record_location_groups` (as the service): the whole effect of a group's judged
/// batches, their outcomes in order.
pub async fn record_groups(tx: &Transaction<'_>, batches: &Value) -> Result<Vec<Value>, ApiError> {
    let answer: Value = one(tx, "select private.record_location_groups($1)", &[batches]).await?;
    Ok(match answer {
        Value::Array(items) => items,
        _ => Vec::new(),
    })
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
