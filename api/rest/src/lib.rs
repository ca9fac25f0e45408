//! The data API `ombaro up` serves at `/rest/v1`: PostgREST's documented behaviour over the
//! `public` schema, so `supabase-js` works against the local stack as against a Supabase
//! project. Built the way PostgREST is: request -> plan (against the schema cache) -> one SQL
//! statement -> one transaction acting as the caller -> response. RLS decides what each
//! caller sees; this crate only translates.
//!
//! - [`query`] parses the query string, [`plan`] resolves it against [`schema`] and writes SQL
//!   with bound parameters ([`sql`]), [`handler`] runs it and shapes the answer, [`error`]
//!   maps failures as PostgREST does.
//! - [`openapi`] describes the schema at `GET /rest/v1/`; [`typescript`] emits the `Database`
//!   type `supabase gen types typescript` would.

pub mod error;
pub mod handler;
pub mod openapi;
pub mod plan;
pub mod query;
pub mod schema;
pub mod sql;
pub mod typescript;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use axum::{routing::any, Router};
use futures_util::StreamExt;
use ombaro_common::{db::Db, jwt::JwtKeys};
use schema::SchemaCache;
use tokio_postgres::{AsyncMessage, NoTls};

/// Where the function server mounts this API.
pub const MOUNT: &str = "/rest/v1";

/// The channel and payloads PostgREST listens for.
pub const RELOAD_CHANNEL: &str = "pgrst";

pub struct RestApi {
    pub db: Db,
    pub keys: Arc<JwtKeys>,
    /// `max_rows` of `supabase/config.toml`'s `[api]`: no read returns more.
    pub max_rows: Option<i64>,
    /// The server's own URL, for the OpenAPI document.
    pub public_url: String,
    cache: RwLock<Arc<SchemaCache>>,
    /// Cleared when the API is dropped, so its listener ends quietly.
    alive: Arc<AtomicBool>,
}

impl Drop for RestApi {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
    }
}

impl RestApi {
    /// Loads the schema cache and starts listening for reloads on a connection of its own.
    pub async fn start(
        db: Db,
        keys: Arc<JwtKeys>,
        max_rows: Option<i64>,
        public_url: String,
    ) -> anyhow::Result<Arc<Self>> {
        let (mut client, mut connection) = db.login.connect(NoTls).await?;
        let (notices, mut notifications) = tokio::sync::mpsc::unbounded_channel::<String>();
        let alive = Arc::new(AtomicBool::new(true));
        let listening = alive.clone();
        tokio::spawn(async move {
            let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = stream.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        let _ = notices.send(n.payload().to_owned());
                    }
                    Ok(_) => {}
                    Err(err) => {
                        // Quiet when the API itself is gone (its database dropped at the end of
                        // a test or bench); otherwise the cache no longer follows the schema.
                        if listening.load(Ordering::Relaxed) {
                            tracing::warn!(%err, "schema cache listener lost its connection; restart to follow schema changes");
                        }
                        break;
                    }
                }
            }
        });
        let cache = SchemaCache::load(&mut client).await?;
        client.batch_execute(&format!("listen {RELOAD_CHANNEL}")).await?;
        let api = Arc::new(Self {
            db,
            keys,
            max_rows,
            public_url,
            cache: RwLock::new(Arc::new(cache)),
            alive,
        });
        let weak = Arc::downgrade(&api);
        tokio::spawn(async move {
            while let Some(payload) = notifications.recv().await {
                if !(payload.is_empty() || payload == "reload schema") {
                    continue;
                }
                // Migrations notify once per file: wait for the burst to end, reload once.
                tokio::time::sleep(Duration::from_millis(100)).await;
                while notifications.try_recv().is_ok() {}
                let Some(api) = weak.upgrade() else { break };
                match SchemaCache::load(&mut client).await {
                    Ok(cache) => {
                        *api.cache.write().expect("schema cache lock") = Arc::new(cache);
                        // Prepared statements may describe the old schema.
                        api.db.pool.manager().statement_caches.clear();
                        tracing::info!("schema cache reloaded");
                    }
                    Err(err) => tracing::warn!(%err, "schema cache reload failed; keeping the old one"),
                }
            }
        });
        Ok(api)
    }

    /// The current schema cache.
    pub fn cache(&self) -> Arc<SchemaCache> {
        self.cache.read().expect("schema cache lock").clone()
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/", any(handler::handle))
            .route("/{*resource}", any(handler::handle))
            .with_state(self.clone())
    }
}
