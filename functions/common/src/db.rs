//! Postgres access: the pool the services share, and the transaction that acts as the
//! caller the way PostgREST does, so row-level security decides what the caller sees.

use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use serde_json::Value;
use tokio_postgres::{Client, NoTls, Transaction};

pub type Pool = deadpool_postgres::Pool;

/// A pool of `max_size` connections to `url`.
pub fn pool(url: &str, max_size: usize) -> anyhow::Result<Pool> {
    let config: tokio_postgres::Config = url
        .parse()
        .with_context(|| "DATABASE_URL is not a valid Postgres URL")?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Ok(Pool::builder(manager).max_size(max_size).build()?)
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

/// [`begin_as`] on a pooled connection.
pub async fn begin_pooled_as<'a>(
    client: &'a mut deadpool_postgres::Client,
    role: &str,
    claims: &Value,
) -> Result<PooledTransaction<'a>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let set = tx
        .prepare_cached("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)")
        .await?;
    tx.execute(&set, &[&role, &claims.to_string()]).await?;
    Ok(tx)
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
    use super::redact_url;

    #[test]
    fn redacts_only_the_password() {
        assert_eq!(
            redact_url("postgresql://postgres:secret@db.example.in:5432/postgres"),
            "postgresql://postgres:***@db.example.in:5432/postgres"
        );
        assert_eq!(redact_url("postgresql://127.0.0.1/x"), "postgresql://127.0.0.1/x");
    }
}
