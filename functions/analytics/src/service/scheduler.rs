//! The rollups' schedule where pg_cron does not run them: every few minutes, as the service,
//! `private.run_analytics_rollups_recent()` (yesterday and today, and every cohort). Started
//! by the function server of `ombaro up`; each run is one transaction, so a killed server
//! loses nothing but the run in progress, which the next one redoes.

use std::time::Duration;

use ombaro_common::{db::Db, ApiError};

use super::store;

/// How often the rollups run.
pub const EVERY: Duration = Duration::from_secs(5 * 60);

/// One scheduled run; `Ok(None)` when pg_cron schedules them in this database.
pub async fn run_once(db: &Db) -> Result<Option<serde_json::Value>, ApiError> {
    let mut client = db.get().await?;
    let tx = db.begin_as_service(&mut client).await?;
    if store::cron_schedules(&tx).await? {
        return Ok(None);
    }
    // Rollups over a day of events take longer than a request may.
    tx.batch_execute("set local statement_timeout = '10min'").await?;
    let written = store::run_recent_rollups(&tx).await?;
    tx.commit().await?;
    Ok(Some(written))
}

/// Runs [`run_once`] now and then every `every`, forever (spawn it; dropping the task stops it).
pub async fn run(db: Db, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match run_once(&db).await {
            Ok(Some(written)) => tracing::info!(%written, "analytics rollups ran"),
            Ok(None) => {
                tracing::info!("pg_cron runs the analytics rollups in this database; the scheduler stops");
                return;
            }
            Err(err) => tracing::warn!(error = %err, "analytics rollups failed; retrying at the next tick"),
        }
    }
}
