//! The SQL the stack applies, embedded at build time from the project's files:
//! the Supabase bootstrap (stock Postgres only), the migrations (with refinery) and the
//! reference seeds.

use anyhow::{bail, Context};
use refinery::{error::Kind, Migration, Runner};
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

include!(concat!(env!("OUT_DIR"), "/embedded_sql.rs"));

/// What Supabase's image provides and stock Postgres lacks; idempotent.
pub const BOOTSTRAP_SQL: &str = include_str!("../../../bootstrap/supabase_compat.sql");

/// GoTrue's tables beside `auth.users` (identities, sessions, refresh tokens, ...), which
/// `/auth/v1` uses; applied after [`BOOTSTRAP_SQL`], idempotent too.
pub const AUTH_BOOTSTRAP_SQL: &str = include_str!("../../../bootstrap/supabase_auth.sql");

/// Where refinery records applied migrations: outside `public`, so the API never sees it.
pub const MIGRATION_TABLE: &str = "private.schema_migrations";

/// Applies the Supabase compatibility bootstrap. Safe to run any number of times.
pub async fn bootstrap(client: &Client) -> anyhow::Result<()> {
    client
        .batch_execute(BOOTSTRAP_SQL)
        .await
        .context("applying bootstrap/supabase_compat.sql")?;
    client
        .batch_execute(AUTH_BOOTSTRAP_SQL)
        .await
        .context("applying bootstrap/supabase_auth.sql")
}

/// The embedded migrations as refinery sees them.
pub fn migrations() -> Vec<Migration> {
    MIGRATIONS
        .iter()
        .map(|(name, sql)| Migration::unapplied(name, sql).expect("migration file names are V<n>__<name>.sql"))
        .collect()
}

/// Applies the migrations not yet applied, in order, each in its own transaction; returns
/// the names applied. An applied migration whose file has since been edited is refused.
pub async fn migrate(client: &mut Client) -> anyhow::Result<Vec<String>> {
    let applied = run_migrations(client, &migrations()).await?;
    if !applied.is_empty() {
        // A running data API reloads its schema cache, as PostgREST does on this channel.
        client.batch_execute("notify pgrst, 'reload schema'").await?;
    }
    Ok(applied)
}

/// Migrations of the history before V1-V33 were squashed (unreleased, so never kept): a
/// database that recorded any of them was built by the old chain and must be rebuilt.
pub const PRE_SQUASH_ONLY: &[(i32, &str)] = &[
    (30, "merge_permissive_policies"),
    (31, "booking_rules"),
    (32, "booking_hot_path"),
    (33, "helpers_in_plpgsql"),
];

/// What to do about a database migrated before the squash.
pub const RESET_ADVICE: &str = "this database was migrated with the migration history from before V1-V33 were \
     squashed; it cannot be migrated in place: rebuild it with `ombaro db reset` (local cluster), \
     `supabase db reset` (Supabase CLI), or for a linked project mark the old versions reverted with \
     `supabase migration repair --status reverted <versions>` and reset it (see README, \"Migration history\")";

/// Fails with [`RESET_ADVICE`] when the database records a pre-squash migration.
pub async fn refuse_pre_squash_history(client: &Client) -> anyhow::Result<()> {
    let exists: bool = client
        .query_one("select to_regclass($1) is not null", &[&MIGRATION_TABLE])
        .await?
        .get(0);
    if !exists {
        return Ok(());
    }
    let rows = client
        .query(
            &format!("select version::int4, name::text from {MIGRATION_TABLE} order by version"),
            &[],
        )
        .await?;
    let old: Vec<String> = rows
        .iter()
        .map(|r| (r.get::<_, i32>(0), r.get::<_, String>(1)))
        .filter(|(v, n)| PRE_SQUASH_ONLY.iter().any(|(pv, pn)| pv == v && pn == n))
        .map(|(v, n)| format!("V{v}__{n}"))
        .collect();
    if !old.is_empty() {
        bail!("{RESET_ADVICE} (found {})", old.join(", "));
    }
    Ok(())
}

/// [`migrate`] with an explicit set of migrations (tests use it to simulate an edit).
pub async fn run_migrations(client: &mut Client, migrations: &[Migration]) -> anyhow::Result<Vec<String>> {
    refuse_pre_squash_history(client).await?;
    run_migrations_unchecked(client, migrations).await
}

/// [`run_migrations`] without the pre-squash check (the equivalence test applies the old chain).
pub async fn run_migrations_unchecked(client: &mut Client, migrations: &[Migration]) -> anyhow::Result<Vec<String>> {
    // The history table lives in `private`, which must exist before the first migration.
    client
        .batch_execute("create schema if not exists private; select pg_advisory_lock(hashtext('ombaro.migrate'))")
        .await?;
    let mut runner = Runner::new(migrations);
    runner.set_migration_table_name(MIGRATION_TABLE);
    let runner = runner
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .set_grouped(false);
    let result = runner.run_async(client).await;
    client
        .batch_execute("select pg_advisory_unlock(hashtext('ombaro.migrate'))")
        .await?;
    match result {
        Ok(report) => Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect()),
        Err(err) => match err.kind() {
            Kind::DivergentVersion(applied, _) => bail!(
                "migrations/{applied}.sql was edited after it was applied to this database (its checksum differs); \
                 applied migrations are never edited: restore the file and put the change in a new migration"
            ),
            Kind::MissingVersion(applied) => {
                bail!("migration {applied} is applied to this database but migrations/{applied}.sql does not exist")
            }
            _ => bail!("applying migrations: {}", error_chain(&err)),
        },
    }
}

/// An error and its causes on one line: refinery's own message hides the database's.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        parts.push(match cause.downcast_ref::<tokio_postgres::error::DbError>() {
            Some(db) => format!(
                "{}{}",
                db.message(),
                db.where_().map(|w| format!(" ({w})")).unwrap_or_default()
            ),
            None => cause.to_string(),
        });
        source = cause.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// Loads the reference seeds (catalogue, geography, organisation, settings); each file is
/// idempotent and runs in its own transaction. Returns the files applied.
pub async fn seed_reference(client: &mut Client) -> anyhow::Result<Vec<&'static str>> {
    let mut applied = Vec::new();
    for (name, sql) in SEEDS {
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("loading seeds/{name}"))?;
        tx.commit().await?;
        applied.push(*name);
    }
    Ok(applied)
}

/// Creates the current and upcoming partitions of time-partitioned tables and drops expired
/// ones. Returns `(action, partition)` pairs.
pub async fn maintain_partitions(client: &Client) -> anyhow::Result<Vec<(String, String)>> {
    let exists = client
        .query_one(
            "select to_regprocedure('private.maintain_partitions(timestamptz)') is not null",
            &[],
        )
        .await?
        .get::<_, bool>(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query("select action, partition_name from private.maintain_partitions()", &[])
        .await
        .context("maintaining partitions")?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A short hash of everything embedded: a database built from a different schema gets a
/// different fingerprint (the test harness names its template database with it).
pub fn fingerprint() -> String {
    let mut hasher = Sha256::new();
    hasher.update(BOOTSTRAP_SQL);
    hasher.update(AUTH_BOOTSTRAP_SQL);
    for (name, sql) in MIGRATIONS.iter().chain(SEEDS.iter()) {
        hasher.update(name);
        hasher.update(sql);
    }
    hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}
