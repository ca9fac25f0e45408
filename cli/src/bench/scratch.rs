//! Where the service benches run: scratch databases on the stack's cluster, prepared as
//! `ombaro up` prepares one and dropped afterwards, and the function server in this process on
//! a free port, logged in as `ombaro up` serves.

use std::sync::Arc;

use anyhow::Context;
use ombaro_common::{db, jwt::JwtKeys, schema, AppState};

/// `url` (a Postgres URL) pointing at database `name` instead.
pub fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base
        .find("://")
        .map(|i| i + 3)
        .context("the database URL is not a postgres:// URL")?;
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..path_start]))
}

/// Creates database `name` afresh (a leftover of an interrupted run is dropped first) and
/// returns its URL.
pub async fn create_database(url: &str, name: &str) -> anyhow::Result<String> {
    let admin = db::connect(url)
        .await
        .with_context(|| format!("connecting to {}", db::redact_url(url)))?;
    // Two statements: a multi-statement query is one transaction, which DROP DATABASE refuses.
    for sql in [
        format!("drop database if exists {name} with (force)"),
        format!("create database {name}"),
    ] {
        admin
            .batch_execute(&sql)
            .await
            .with_context(|| format!("creating scratch database {name}"))?;
    }
    with_database(url, name)
}

pub async fn drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    let admin = db::connect(url).await?;
    admin
        .batch_execute(&format!("drop database if exists {name} with (force)"))
        .await?;
    Ok(())
}

/// Drops each of `names`, reporting a failure on stderr only: cleanup must not hide the
/// measurement's own error, and its failure must not hide a result.
pub async fn drop_databases(url: &str, names: &[&str]) {
    for name in names {
        if let Err(err) = drop_database(url, name).await {
            eprintln!("could not drop scratch database {name}: {err:#}");
        }
    }
}

/// What `ombaro up` gives a database: bootstrap, migrations, reference seeds, partitions.
pub async fn prepare(url: &str) -> anyhow::Result<()> {
    let mut client = db::connect(url).await?;
    schema::bootstrap(&client).await?;
    schema::migrate(&mut client).await?;
    schema::seed_reference(&mut client).await?;
    schema::maintain_partitions(&client).await?;
    Ok(())
}

/// The function server, in this process, on a free port.
pub struct Server {
    pub base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<crate::server::Stopped>>,
}

impl Server {
    pub async fn start(url: &str, keys: JwtKeys, pool_size: usize) -> anyhow::Result<Self> {
        let options = crate::server::ServerOptions {
            realtime_login: Some(url.parse().context("parsing the database URL")?),
            ..crate::server::ServerOptions::default()
        };
        Self::start_with(url, keys, pool_size, options).await
    }

    /// [`Server::start`] with other server options (the auth bench turns rate limits off).
    pub async fn start_with(
        url: &str,
        keys: JwtKeys,
        pool_size: usize,
        options: crate::server::ServerOptions,
    ) -> anyhow::Result<Self> {
        // Logged in as authenticator, exactly as `ombaro up` serves.
        let settings = db::PoolConfig {
            max_size: pool_size,
            ..db::PoolConfig::default()
        };
        let state = AppState {
            db: db::Db::connect(ombaro_common::config::functions_login(url)?, &settings).await?,
            keys: Arc::new(keys),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the bench's function server")?;
        let base = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(crate::server::serve(listener, state, options, async {
            let _ = stopped.await;
        }));
        Ok(Self { base, stop, task })
    }

    /// Stops it and waits, so its pooled connections are closed before the database is dropped.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Ok(Err(err)) = self.task.await {
            eprintln!("function server: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn urls_point_at_the_scratch_database() {
        assert_eq!(
            with_database("postgresql://postgres:pw@127.0.0.1:54322/postgres", "scratch").unwrap(),
            "postgresql://postgres:pw@127.0.0.1:54322/scratch"
        );
        assert_eq!(
            with_database("postgres://u@db.example.com:5432/app?sslmode=require", "scratch").unwrap(),
            "postgres://u@db.example.com:5432/scratch?sslmode=require"
        );
        assert_eq!(
            with_database("postgresql://u@host", "scratch").unwrap(),
            "postgresql://u@host/scratch"
        );
    }
}
