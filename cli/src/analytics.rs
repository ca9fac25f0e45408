//! `ombaro analytics rollup --from --to`: every analytics rollup (funnels, cohorts,
//! conversions, revenue, campaigns) for a range of IST days, then the reporting views,
//! through `private.run_analytics_rollups` (V81) acting as the service role. Idempotent: a
//! range may be rolled up again at any time.

use anyhow::{bail, Context};
use chrono::NaiveDate;
use ombaro_common::db;
use serde_json::Value;

/// Runs every rollup for `from..=to` on the database at `url` (a superuser or the service's
/// own login); returns the rows each rollup wrote.
pub async fn rollup(url: &str, from: NaiveDate, to: NaiveDate) -> anyhow::Result<Value> {
    if from > to {
        bail!("--from {from} is after --to {to}");
    }
    let mut client = db::connect(url)
        .await
        .with_context(|| format!("connecting to {}", db::redact_url(url)))?;
    let tx = client.transaction().await?;
    tx.batch_execute("set local role service_role; set local statement_timeout = 0")
        .await?;
    let written: Value = tx
        .query_one("select private.run_analytics_rollups($1, $2)", &[&from, &to])
        .await
        .context("running the analytics rollups")?
        .get(0);
    tx.commit().await?;
    Ok(written)
}
