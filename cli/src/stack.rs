//! The local stack's moving parts and where their state lives: the database (the local
//! cluster under `.ombaro/`, or `DATABASE_URL`), the signing keys, and the record of a
//! running function server (`.ombaro/stack.json`) that `ombaro status` reads.

use std::{fs, path::PathBuf};

use anyhow::Context;
use ombaro_common::{cluster::Cluster, config::Project, db, jwt::JwtKeys, schema};
use serde::{Deserialize, Serialize};

pub const DEFAULT_API_PORT: u16 = 54321;

/// Which database the stack uses.
pub enum Database {
    /// `DATABASE_URL`: used as it is; nothing is started or stopped.
    External(String),
    /// The cluster under the project's home directory.
    Local(Cluster),
}

pub struct Stack {
    pub project: Project,
}

/// What a running function server records about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerRecord {
    pub api_url: String,
    pub db_url: String,
    pub pid: u32,
}

/// What `ombaro status` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub api_url: Option<String>,
    pub db_url: Option<String>,
    pub anon_key: String,
    pub service_role_key: String,
    pub jwt_secret: String,
}

/// What preparing a database did.
#[derive(Debug, Default)]
pub struct Prepared {
    pub bootstrapped: bool,
    pub migrations: Vec<String>,
    pub seeds: Vec<&'static str>,
    pub partitions: Vec<(String, String)>,
}

impl Stack {
    pub fn discover() -> Self {
        Self {
            project: Project::discover(),
        }
    }

    pub fn database(&self) -> anyhow::Result<Database> {
        match ombaro_common::config::external_database_url() {
            Some(url) => Ok(Database::External(url)),
            None => Ok(Database::Local(Cluster::new(&self.project.home.join("db"))?)),
        }
    }

    pub fn keys(&self) -> anyhow::Result<JwtKeys> {
        Ok(JwtKeys::new(&self.project.jwt_secret()?))
    }

    /// The database URL if the database is there to use (always, for `DATABASE_URL`).
    pub fn running_db_url(&self) -> anyhow::Result<Option<String>> {
        match self.database()? {
            Database::External(url) => Ok(Some(url)),
            Database::Local(cluster) => Ok(cluster.status()?.map(|r| r.url())),
        }
    }

    /// The database URL, starting the local cluster if it is not running.
    pub fn ensure_db(&self) -> anyhow::Result<String> {
        match self.database()? {
            Database::External(url) => Ok(url),
            Database::Local(cluster) => {
                let (running, started) = cluster.start()?;
                if started {
                    eprintln!("started Postgres on port {} (pid {})", running.port, running.pid);
                }
                Ok(running.url())
            }
        }
    }

    /// Brings a database up to date: the Supabase bootstrap where Supabase is absent, then
    /// migrations, reference seeds and the current partitions.
    pub async fn prepare(&self, url: &str, seed: bool) -> anyhow::Result<Prepared> {
        let mut client = db::connect(url)
            .await
            .with_context(|| format!("connecting to {}", db::redact_url(url)))?;
        let mut prepared = Prepared::default();
        let needs_bootstrap = matches!(self.database()?, Database::Local(_))
            || client
                .query_one("select to_regclass('auth.users') is null", &[])
                .await?
                .get::<_, bool>(0);
        if needs_bootstrap {
            schema::bootstrap(&client).await?;
            prepared.bootstrapped = true;
        }
        prepared.migrations = schema::migrate(&mut client).await?;
        if seed {
            prepared.seeds = schema::seed_reference(&mut client).await?;
        }
        prepared.partitions = schema::maintain_partitions(&client).await?;
        Ok(prepared)
    }

    fn record_path(&self) -> PathBuf {
        self.project.home.join("stack.json")
    }

    pub fn write_server_record(&self, record: &ServerRecord) -> anyhow::Result<()> {
        fs::create_dir_all(&self.project.home)?;
        fs::write(self.record_path(), serde_json::to_vec_pretty(record)?)?;
        Ok(())
    }

    pub fn remove_server_record(&self, pid: u32) {
        if self.server_record().is_some_and(|r| r.pid == pid) {
            let _ = fs::remove_file(self.record_path());
        }
    }

    /// The record of the function server, if its process still runs.
    pub fn server_record(&self) -> Option<ServerRecord> {
        let record: ServerRecord = serde_json::from_slice(&fs::read(self.record_path()).ok()?).ok()?;
        PathBuf::from(format!("/proc/{}", record.pid))
            .exists()
            .then_some(record)
    }

    pub fn status(&self) -> anyhow::Result<Status> {
        let keys = self.keys()?;
        Ok(Status {
            api_url: self.server_record().map(|r| r.api_url),
            db_url: self.running_db_url()?,
            anon_key: keys.api_key("anon"),
            service_role_key: keys.api_key("service_role"),
            jwt_secret: self.project.jwt_secret()?,
        })
    }
}

impl Status {
    /// The block `supabase start` prints.
    pub fn render(&self) -> String {
        let or_stopped = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not running)".into());
        format!(
            "         API URL: {}\n          DB URL: {}\n      JWT secret: {}\n        anon key: {}\nservice_role key: {}\n",
            or_stopped(&self.api_url),
            or_stopped(&self.db_url),
            self.jwt_secret,
            self.anon_key,
            self.service_role_key,
        )
    }
}
