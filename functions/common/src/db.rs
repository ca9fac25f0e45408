//! Postgres access for the services: a pool that logs in as `authenticator` (no rights of its
//! own), and transactions that act as the caller the way PostgREST does, so row-level
//! security and the caller's role limits decide what a request may do and for how long.
//!
//! Nothing here waits forever: taking a connection, opening one, and checking a returned one
//! have timeouts ([`PoolConfig`]), and every transaction carries its role's
//! `statement_timeout` and a `lock_timeout` ([`RoleLimits`]).

use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod, Runtime, Timeouts};
use serde_json::Value;
use tokio_postgres::{Client, NoTls, Transaction};

use crate::{error::ApiError, http::Caller};

pub type Pool = deadpool_postgres::Pool;

/// The role the function server logs in as, exactly as PostgREST does: it may only switch to
/// the API roles, so every statement runs with the rights of `anon`, `authenticated` or
/// `service_role`, never more.
pub const LOGIN_ROLE: &str = "authenticator";

/// Size and timeouts of a pool. A request that cannot get a connection within `wait` is
/// answered `503 database_busy` with `Retry-After`, instead of queueing without end.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_size: usize,
    /// Waiting for a free connection.
    pub wait: Duration,
    /// Opening a new connection (TCP, TLS, authentication).
    pub create: Duration,
    /// Checking a returned connection before reuse.
    pub recycle: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait: Duration::from_secs(5),
            create: Duration::from_secs(5),
            recycle: Duration::from_secs(2),
        }
    }
}

/// A pool of connections to `url` with the default timeouts.
pub fn pool(url: &str, max_size: usize) -> anyhow::Result<Pool> {
    let config: tokio_postgres::Config = url
        .parse()
        .with_context(|| "DATABASE_URL is not a valid Postgres URL")?;
    pool_for(
        config,
        &PoolConfig {
            max_size,
            ..PoolConfig::default()
        },
    )
}

/// A pool of connections made with `config`, sized and bounded by `settings`.
pub fn pool_for(config: tokio_postgres::Config, settings: &PoolConfig) -> anyhow::Result<Pool> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager)
        .max_size(settings.max_size)
        .timeouts(Timeouts {
            wait: Some(settings.wait),
            create: Some(settings.create),
            recycle: Some(settings.recycle),
        })
        .runtime(Runtime::Tokio1)
        .build()?)
}

/// `url` logging in as `role` instead of its own user. The password is `password` when given,
/// else the URL's own (the Supabase CLI gives every role the same one; a local cluster
/// trusts loopback).
pub fn login_as(url: &str, role: &str, password: Option<&str>) -> anyhow::Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .with_context(|| format!("{} is not a valid Postgres URL", redact_url(url)))?;
    config.user(role);
    if let Some(password) = password {
        config.password(password);
    }
    Ok(config)
}

/// Per-role limits, replayed in every transaction. `alter role ... set statement_timeout`
/// applies only when that role logs in, and the server logs in once as `authenticator`, so
/// (as PostgREST does) the impersonated roles' settings are read once at start-up and set
/// with `set_config(..., true)` in each transaction.
#[derive(Debug, Clone)]
pub struct RoleLimits {
    by_role: HashMap<String, Limits>,
}

/// What one role may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest a single statement may run (`57014` after it: `503 database_timeout`).
    pub statement_timeout: String,
    /// Longest a statement may wait for a row or table lock (`55P03` after it: `409 locked`).
    pub lock_timeout: String,
}

/// Roles the services act as.
pub use crate::jwt::API_ROLES;

impl Default for RoleLimits {
    /// Supabase's defaults for the API roles; the service role is bounded too, so a stuck
    /// webhook or worker statement ends.
    fn default() -> Self {
        let limits = |statement: &str| Limits {
            statement_timeout: statement.to_owned(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT.to_owned(),
        };
        Self {
            by_role: HashMap::from([
                ("anon".to_owned(), limits("3s")),
                ("authenticated".to_owned(), limits("8s")),
                ("partner".to_owned(), limits("8s")),
                ("staff".to_owned(), limits("8s")),
                ("service_role".to_owned(), limits("15s")),
            ]),
        }
    }
}

/// Lock wait for a role that sets none. A request never needs to wait longer than this for a
/// row another request holds: the booking paths hold their locks for milliseconds.
pub const DEFAULT_LOCK_TIMEOUT: &str = "3s";

impl RoleLimits {
    /// Reads `statement_timeout` and `lock_timeout` of the API roles from
    /// `pg_db_role_setting` (a database-specific setting wins over a role-wide one); a role
    /// that sets none keeps the default.
    pub async fn load(client: &Client) -> Result<Self, tokio_postgres::Error> {
        let rows = client
            .query(
                "select r.rolname, split_part(c.setting, '=', 1), split_part(c.setting, '=', 2)
                   from pg_catalog.pg_roles r
                   join pg_catalog.pg_db_role_setting s on s.setrole = r.oid
                   cross join lateral unnest(s.setconfig) as c(setting)
                  where r.rolname = any($1)
                    and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
                    and split_part(c.setting, '=', 1) in ('statement_timeout', 'lock_timeout')
                  order by s.setdatabase",
                &[&API_ROLES.to_vec()],
            )
            .await?;
        let mut limits = Self::default();
        // Role-wide rows (setdatabase 0) come first, so a database's own setting overrides.
        for row in rows {
            let (role, name, value): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            if let Some(l) = limits.by_role.get_mut(&role) {
                match name.as_str() {
                    "statement_timeout" => l.statement_timeout = value,
                    _ => l.lock_timeout = value,
                }
            }
        }
        Ok(limits)
    }

    /// The limits of `role`; an unknown role gets the tightest (anon's).
    pub fn of(&self, role: &str) -> &Limits {
        self.by_role
            .get(role)
            .or_else(|| self.by_role.get("anon"))
            .expect("the defaults name anon")
    }
}

/// The services' database: the pool and the limits every transaction carries.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: Pool,
    pub limits: Arc<RoleLimits>,
    /// The login the pool uses, for connections that must not be pooled (`LISTEN`).
    pub login: tokio_postgres::Config,
}

impl Db {
    /// Logs in with `config` (meant to be [`LOGIN_ROLE`]), refusing a superuser or a role that
    /// bypasses RLS: the services must not be able to do more than the roles they act as.
    /// Reads the API roles' limits once.
    pub async fn connect(config: tokio_postgres::Config, settings: &PoolConfig) -> anyhow::Result<Self> {
        let pool = pool_for(config.clone(), settings)?;
        let client = pool.get().await.context("connecting to the database")?;
        let row = client
            .query_one(
                "select current_user::text, rolsuper or rolbypassrls
                   from pg_catalog.pg_roles where rolname = current_user",
                &[],
            )
            .await?;
        let (user, privileged): (String, bool) = (row.get(0), row.get(1));
        if privileged {
            bail!(
                "the function server logs in as {user}, which is a superuser or bypasses RLS; \
                 it must log in as {LOGIN_ROLE} (set FUNCTIONS_DATABASE_URL)"
            );
        }
        let limits = RoleLimits::load(&client).await?;
        drop(client);
        Ok(Self {
            pool,
            limits: Arc::new(limits),
            login: config,
        })
    }

    /// A pooled connection, or `503` when none frees up within the pool's wait timeout.
    pub async fn get(&self) -> Result<deadpool_postgres::Client, ApiError> {
        Ok(self.pool.get().await?)
    }

    /// Begins a transaction on `client` acting as `caller` (see [`begin_pooled_as`]).
    pub async fn begin_as<'a>(
        &self,
        client: &'a mut deadpool_postgres::Client,
        caller: &Caller,
    ) -> Result<PooledTransaction<'a>, tokio_postgres::Error> {
        begin_pooled_as(client, self.limits.of(&caller.role), &caller.role, &caller.claims).await
    }

    /// Begins a transaction acting as `service_role` (webhooks, workers): no user, the
    /// service's own limits.
    pub async fn begin_as_service<'a>(
        &self,
        client: &'a mut deadpool_postgres::Client,
    ) -> Result<PooledTransaction<'a>, tokio_postgres::Error> {
        let claims = serde_json::json!({ "role": "service_role" });
        begin_pooled_as(client, self.limits.of("service_role"), "service_role", &claims).await
    }
}

/// One connection, its driver running on the current runtime.
pub async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(%err, "postgres connection closed");
        }
    });
    Ok(client)
}

/// Begins a transaction acting as `role` with the JWT `claims`, exactly as PostgREST does:
/// `role` and `request.jwt.claims` are set for this transaction only, so `auth.uid()` and
/// every policy see the caller, and nothing leaks to the next user of the connection.
pub async fn begin_as<'a>(
    client: &'a mut Client,
    role: &str,
    claims: &Value,
) -> Result<Transaction<'a>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute(
        "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)",
        &[&role, &claims.to_string()],
    )
    .await?;
    Ok(tx)
}

/// A transaction on a pooled connection: statements prepared through it are cached on the
/// connection, so a service's fixed SQL is parsed and planned once per connection, not once
/// per request.
pub type PooledTransaction<'a> = deadpool_postgres::Transaction<'a>;

/// [`begin_as`] on a pooled connection, with `limits` for this transaction only: the role,
/// the claims, `statement_timeout` and `lock_timeout` are set in one round trip.
pub async fn begin_pooled_as<'a>(
    client: &'a mut deadpool_postgres::Client,
    limits: &Limits,
    role: &str,
    claims: &Value,
) -> Result<PooledTransaction<'a>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let set = tx
        .prepare_cached(
            "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), \
                    set_config('statement_timeout', $3, true), set_config('lock_timeout', $4, true)",
        )
        .await?;
    tx.execute(
        &set,
        &[
            &role,
            &claims.to_string(),
            &limits.statement_timeout,
            &limits.lock_timeout,
        ],
    )
    .await?;
    Ok(tx)
}

/// Switches a caller's transaction to `service_role` for work no user could be trusted with
/// (the narrow functions the migrations grant the service), keeping the caller's claims so
/// history and audit still record who asked.
pub async fn act_as_service(tx: &PooledTransaction<'_>) -> Result<(), tokio_postgres::Error> {
    let statement = tx
        .prepare_cached("select set_config('role', 'service_role', true)")
        .await?;
    tx.execute(&statement, &[]).await?;
    Ok(())
}

/// Redacts the password of a Postgres URL for printing in logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{pool, redact_url};

    #[test]
    fn a_pool_has_the_size_asked_for() {
        let pool = pool("postgresql://authenticator@127.0.0.1:1/postgres", 3).unwrap();
        assert_eq!(pool.status().max_size, 3);
    }

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact_url("postgresql://postgres:secret@db.example.in:5432/postgres"),
            "postgresql://postgres:***@db.example.in:5432/postgres"
        );
        assert_eq!(redact_url("postgresql://127.0.0.1/x"), "postgresql://127.0.0.1/x");
    }
}
