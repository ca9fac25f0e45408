//! Integration-test harness: every test gets its own freshly migrated database, cloned in
//! milliseconds from a template database that is built once per schema version, and can run
//! SQL as a persona (role + JWT claims in a transaction) the way PostgREST does.
//!
//! The server is `OMBARO_TEST_DATABASE_URL` (a superuser URL on a server where databases may
//! be created) or, by default, a throwaway local cluster in `target/ombaro-test`, started on
//! first use and reused by later runs.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

use crate::{cluster::Cluster, db, schema};

static SERVER: OnceCell<String> = OnceCell::const_new();

/// The home directory of the harness's own cluster (laid out like `.ombaro/`, so
/// `OMBARO_HOME=target/ombaro-test ombaro db stop` stops it).
pub fn test_cluster_home() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ombaro-test")
}

/// Superuser URL of the `postgres` database on the test server, starting it if needed, with
/// the template database built.
pub async fn server_url() -> String {
    SERVER
        .get_or_try_init(|| async {
            let url = match crate::config::env_nonempty("OMBARO_TEST_DATABASE_URL") {
                Some(url) => url,
                None => {
                    let home = test_cluster_home().join("db");
                    let (running, _) = tokio::task::spawn_blocking(move || {
                        Cluster::new(&home)?.non_durable().preferred_port(None).start()
                    })
                    .await??;
                    running.url()
                }
            };
            ensure_template(&url).await?;
            anyhow::Ok(url)
        })
        .await
        .expect("starting the test database server")
        .clone()
}

/// Name of the template database for the embedded schema.
pub fn template_name() -> String {
    format!("ombaro_tpl_{}", schema::fingerprint())
}

/// Builds the template (bootstrap, migrations, reference seeds) once per schema version,
/// under an advisory lock so concurrent test processes wait for one builder.
async fn ensure_template(server: &str) -> anyhow::Result<()> {
    let admin = db::connect(server).await.context("connecting to the test server")?;
    admin
        .execute("select pg_advisory_lock(hashtext('ombaro.test-template'))", &[])
        .await?;
    let template = template_name();
    let exists = admin
        .query_opt("select 1 from pg_database where datname = $1", &[&template])
        .await?
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("drop database if exists {building} with (force)"))
            .await?;
        admin.batch_execute(&format!("create database {building}")).await?;
        {
            let mut client = db::connect(&with_database(server, &building)).await?;
            schema::bootstrap(&client).await?;
            schema::migrate(&mut client).await?;
            schema::seed_reference(&mut client).await?;
        }
        // Older templates belong to older schemas.
        for row in admin
            .query(
                "select datname from pg_database where datname like 'ombaro\\_tpl\\_%' and datname <> $1",
                &[&building],
            )
            .await?
        {
            let name: String = row.get(0);
            admin
                .batch_execute(&format!("drop database if exists {name} with (force)"))
                .await?;
        }
        admin
            .batch_execute(&format!("alter database {building} rename to {template}"))
            .await?;
    }
    admin
        .execute("select pg_advisory_unlock(hashtext('ombaro.test-template'))", &[])
        .await?;
    Ok(())
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("a Postgres URL has a path");
    format!("{base}/{db}")
}

/// A fresh database cloned from the template; dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
    server: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let server = server_url().await;
        let name = format!("ombaro_test_{}", Uuid::new_v4().simple());
        let admin = db::connect(&server).await.expect("connecting to the test server");
        admin
            .batch_execute(&format!(
                "create database {name} template {} strategy file_copy",
                template_name()
            ))
            .await
            .expect("cloning the template database");
        let url = with_database(&server, &name);
        let client = db::connect(&url).await.expect("connecting to the test database");
        schema::maintain_partitions(&client)
            .await
            .expect("creating current partitions");
        Self { name, url, server }
    }

    /// A new superuser connection.
    pub async fn client(&self) -> Client {
        db::connect(&self.url).await.expect("connecting to the test database")
    }

    /// A pool for an application under test, logged in as the superuser (for fixtures).
    pub fn pool(&self) -> db::Pool {
        db::pool(&self.url, 16).expect("building the pool")
    }

    /// How the function server logs in: as `authenticator`, exactly as in production.
    pub fn authenticator_login(&self) -> tokio_postgres::Config {
        db::login_as(&self.url, db::LOGIN_ROLE, None).expect("a valid test URL")
    }

    /// The services' database handle, as the function server builds it.
    pub async fn app_db(&self, settings: &db::PoolConfig) -> db::Db {
        db::Db::connect(self.authenticator_login(), settings)
            .await
            .expect("logging in as authenticator")
    }

    /// Creates a user in `auth.users` (as GoTrue would on sign-up) and returns its id.
    pub async fn create_user(&self, email: &str) -> Uuid {
        let client = self.client().await;
        let id = Uuid::new_v4();
        client
            .execute(
                "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                 values ($1, 'authenticated', 'authenticated', $2, now(), '{}', '{}', now(), now())",
                &[&id, &email],
            )
            .await
            .expect("creating a user");
        id
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop runs outside async; a short-lived runtime on its own thread does the work.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = db::connect(&server).await.ok()?;
                admin
                    .batch_execute(&format!("drop database if exists {name} with (force)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Who a statement runs as.
#[derive(Debug, Clone)]
pub enum Persona {
    Anon,
    ServiceRole,
    /// A signed-in user.
    User(Uuid),
    /// Any role and claims, for attacks with odd tokens.
    Claims(String, Value),
}

impl Persona {
    pub fn role(&self) -> &str {
        match self {
            Persona::Anon => "anon",
            Persona::ServiceRole => "service_role",
            Persona::User(_) => "authenticated",
            Persona::Claims(role, _) => role,
        }
    }

    pub fn claims(&self) -> Value {
        match self {
            Persona::Anon => json!({"role": "anon"}),
            Persona::ServiceRole => json!({"role": "service_role"}),
            Persona::User(id) => json!({"sub": id, "role": "authenticated", "aud": "authenticated"}),
            Persona::Claims(_, claims) => claims.clone(),
        }
    }
}

/// Begins a transaction acting as `persona` (see [`db::begin_as`]).
pub async fn as_persona<'a>(
    client: &'a mut Client,
    persona: &Persona,
) -> Result<Transaction<'a>, tokio_postgres::Error> {
    db::begin_as(client, persona.role(), &persona.claims()).await
}
