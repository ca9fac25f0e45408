//! The cache the services read through: what many requests read and few change (the service
//! catalogue with vendors' prices, a therapist's last position, bookings).
//!
//! One trait, [`CacheBackend`], two implementations: [`RedisBackend`] (a real
//! `redis-server`, `REDIS_URL`; shared by every instance of the services) and
//! [`MemoryBackend`] (in process; the default without Redis). Services hold a [`Cache`],
//! which counts hits, misses and errors (shown at `GET /functions/v1/health`) and never fails
//! a request: a backend error is a miss, so when Redis goes away the services answer from
//! the database.
//!
//! Keys and time-to-live are those of the specification ([`keys`]). The database announces
//! changes (`NOTIFY ombaro_cache`, migrations V71) and [`listen_for_invalidations`] drops
//! the keys named, so a changed price is not quoted from cache.

use std::{
    collections::HashMap,
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use serde::{de::DeserializeOwned, Serialize};

/// A boxed future, so the trait can be used as `dyn CacheBackend`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a backend could not answer.
#[derive(Debug, thiserror::Error)]
#[error("cache: {0}")]
pub struct CacheError(pub String);

/// The keys and their time-to-live.
pub mod keys {
    use std::time::Duration;

    use uuid::Uuid;

    /// A therapist's last known position and track (5 minutes).
    pub fn therapist_location(id: Uuid) -> String {
        format!("therapist:location:{id}")
    }
    pub const THERAPIST_LOCATION_TTL: Duration = Duration::from_secs(5 * 60);

    /// The service catalogue (1 hour). Entries live under this prefix
    /// (`services:catalog:<vendor>:<services>`); a catalogue or price change drops them all.
    pub const SERVICES_CATALOG: &str = "services:catalog";
    pub const SERVICES_CATALOG_TTL: Duration = Duration::from_secs(60 * 60);

    /// A booking (30 minutes).
    pub fn booking(id: Uuid) -> String {
        format!("booking:{id}")
    }
    pub const BOOKING_TTL: Duration = Duration::from_secs(30 * 60);

    /// A user's session (24 hours).
    pub fn user_session(id: Uuid) -> String {
        format!("user:session:{id}")
    }
    pub const USER_SESSION_TTL: Duration = Duration::from_secs(24 * 60 * 60);

    /// Invalidation payloads that name a family of keys rather than one key.
    pub const PREFIXES: [&str; 1] = [SERVICES_CATALOG];
}

/// Where cached values live.
pub trait CacheBackend: Send + Sync + fmt::Debug {
    /// `redis` or `memory`.
    fn name(&self) -> &'static str;
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CacheError>>;
    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<(), CacheError>>;
    /// Drops `key` and every key starting with `prefix:` when `prefix` is given.
    fn delete<'a>(&'a self, key: &'a str, with_children: bool) -> BoxFuture<'a, Result<u64, CacheError>>;
}

/// In process: a map with expiry. Each instance of a service has its own, so it suits one
/// instance (the local stack, tests); several instances share Redis.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

/// Entries kept at most in process; past it, expired ones are swept, then everything.
const MEMORY_MAX_ENTRIES: usize = 100_000;

impl CacheBackend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        Box::pin(async move {
            let mut entries = self.entries.lock().expect("cache lock");
            match entries.get(key) {
                Some((value, expires)) if *expires > Instant::now() => Ok(Some(value.clone())),
                Some(_) => {
                    entries.remove(key);
                    Ok(None)
                }
                None => Ok(None),
            }
        })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            let mut entries = self.entries.lock().expect("cache lock");
            if entries.len() >= MEMORY_MAX_ENTRIES {
                let now = Instant::now();
                entries.retain(|_, (_, expires)| *expires > now);
                if entries.len() >= MEMORY_MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key.to_owned(), (value.to_owned(), Instant::now() + ttl));
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str, with_children: bool) -> BoxFuture<'a, Result<u64, CacheError>> {
        Box::pin(async move {
            let mut entries = self.entries.lock().expect("cache lock");
            let before = entries.len();
            let children = format!("{key}:");
            entries.retain(|k, _| k != key && !(with_children && k.starts_with(&children)));
            Ok((before - entries.len()) as u64)
        })
    }
}

/// A `redis-server`, through a connection manager that reconnects by itself. Every command
/// is bounded by [`RedisBackend::TIMEOUT`], so a Redis that is gone or stuck costs a request
/// at most that long before it is answered from the database.
#[derive(Clone)]
pub struct RedisBackend {
    conn: redis::aio::ConnectionManager,
}

impl fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RedisBackend")
    }
}

impl RedisBackend {
    /// Longest a cache command may take.
    pub const TIMEOUT: Duration = Duration::from_millis(250);

    /// Connects to `url` (`redis://host:port/db`).
    pub async fn connect(url: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Self::TIMEOUT)
            .set_response_timeout(Self::TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(100);
        let conn = tokio::time::timeout(
            Duration::from_secs(2),
            redis::aio::ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| CacheError(format!("no answer from {url}")))?
        .map_err(|e| CacheError(e.to_string()))?;
        Ok(Self { conn })
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, CacheError> {
        let mut conn = self.conn.clone();
        match tokio::time::timeout(Self::TIMEOUT, cmd.query_async::<T>(&mut conn)).await {
            Ok(result) => result.map_err(|e| CacheError(e.to_string())),
            Err(_) => Err(CacheError("redis did not answer in time".to_owned())),
        }
    }
}

impl CacheBackend for RedisBackend {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>, CacheError>> {
        Box::pin(async move { self.run(redis::cmd("GET").arg(key)).await })
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            self.run::<()>(
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64),
            )
            .await
        })
    }

    fn delete<'a>(&'a self, key: &'a str, with_children: bool) -> BoxFuture<'a, Result<u64, CacheError>> {
        Box::pin(async move {
            let mut deleted: u64 = self.run(redis::cmd("DEL").arg(key)).await?;
            if with_children {
                // SCAN, not KEYS: it does not block the server while it walks the keyspace.
                let pattern = format!("{}:*", escape_glob(key));
                let mut cursor: u64 = 0;
                loop {
                    let (next, found): (u64, Vec<String>) = self
                        .run(
                            redis::cmd("SCAN")
                                .arg(cursor)
                                .arg("MATCH")
                                .arg(&pattern)
                                .arg("COUNT")
                                .arg(500),
                        )
                        .await?;
                    if !found.is_empty() {
                        deleted += self.run::<u64>(redis::cmd("DEL").arg(&found)).await?;
                    }
                    if next == 0 {
                        break;
                    }
                    cursor = next;
                }
            }
            Ok(deleted)
        })
    }
}

fn escape_glob(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '*' | '?' | '[' | ']' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// Counters since start.
#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    invalidations: AtomicU64,
    /// Bumped before every invalidation: a value read from the database is stored only when
    /// no invalidation came in while it was read (it might be the old value).
    generation: AtomicU64,
}

/// What [`Cache::stats`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    pub backend: &'static str,
    pub hits: u64,
    pub misses: u64,
    /// Backend failures (each also answered from the database, and counted as a miss).
    pub errors: u64,
    /// Keys or key families dropped on the database's notice.
    pub invalidations: u64,
}

/// The cache a service reads through. Cheap to clone (shared counters).
#[derive(Clone, Debug)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    counters: Arc<Counters>,
}

impl Cache {
    pub fn new(backend: Arc<dyn CacheBackend>) -> Self {
        Self {
            backend,
            counters: Arc::default(),
        }
    }

    /// In process.
    pub fn memory() -> Self {
        Self::new(Arc::new(MemoryBackend::default()))
    }

    /// Redis at `url`.
    pub async fn redis(url: &str) -> Result<Self, CacheError> {
        Ok(Self::new(Arc::new(RedisBackend::connect(url).await?)))
    }

    /// Redis when `REDIS_URL` is set (an unreachable one is an error: a mistyped URL should
    /// not silently make every instance cache on its own), else in process.
    pub async fn from_env() -> Result<Self, CacheError> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => Self::redis(url.trim()).await,
            _ => Ok(Self::memory()),
        }
    }

    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// The value under `key`, or `None` (absent, expired, unreadable, or the backend failed).
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        match self.backend.get(key).await {
            Ok(Some(raw)) => match serde_json::from_str(&raw) {
                Ok(value) => {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                    Some(value)
                }
                Err(_) => {
                    self.counters.misses.fetch_add(1, Ordering::Relaxed);
                    None
                }
            },
            Ok(None) => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(err) => {
                tracing::debug!(%err, key, "cache read failed; answering from the database");
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores `value` under `key` for `ttl`; a backend failure is counted and otherwise
    /// ignored.
    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let Ok(raw) = serde_json::to_string(value) else {
            return;
        };
        if let Err(err) = self.backend.set(key, &raw, ttl).await {
            tracing::debug!(%err, key, "cache write failed");
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The invalidation generation; pass it to [`Cache::put_json_unless_invalidated`].
    pub fn generation(&self) -> u64 {
        self.counters.generation.load(Ordering::SeqCst)
    }

    /// [`Cache::put_json`], unless an invalidation arrived since `generation` was taken (the
    /// value, read before, may be what was just changed).
    pub async fn put_json_unless_invalidated<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        ttl: Duration,
        generation: u64,
    ) {
        if self.generation() == generation {
            self.put_json(key, value, ttl).await;
        }
    }

    /// Drops what an invalidation notice names: one key, or for a family in
    /// [`keys::PREFIXES`] the key and everything under it.
    pub async fn invalidate(&self, name: &str) -> Result<u64, CacheError> {
        let family = keys::PREFIXES.contains(&name);
        self.counters.generation.fetch_add(1, Ordering::SeqCst);
        let result = self.backend.delete(name, family).await;
        match &result {
            Ok(_) => {
                self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            backend: self.backend.name(),
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
            invalidations: self.counters.invalidations.load(Ordering::Relaxed),
        }
    }
}

/// The channel the database announces changes on (V71).
pub const INVALIDATION_CHANNEL: &str = "ombaro_cache";

/// Listens on [`INVALIDATION_CHANNEL`] with a connection made from `config` and drops what
/// each notice names, reconnecting after a second when the connection is lost. Returns once
/// the first LISTEN is in place (or has failed), so that a change committed after start-up is
/// not missed; the task runs until the process ends.
pub async fn listen_for_invalidations(config: tokio_postgres::Config, cache: Cache) -> tokio::task::JoinHandle<()> {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        loop {
            if let Err(err) = listen_once(&config, &cache, &mut ready).await {
                tracing::warn!(%err, "cache invalidation listener lost its connection; reconnecting");
            }
            // Whatever was missed while disconnected may be stale: start clean.
            for family in keys::PREFIXES {
                let _ = cache.invalidate(family).await;
            }
            if let Some(tx) = ready.take() {
                let _ = tx.send(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let _ = ready_rx.await;
    task
}

async fn listen_once(
    config: &tokio_postgres::Config,
    cache: &Cache,
    ready: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::debug!(%err, "invalidation connection closed");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("listen {INVALIDATION_CHANNEL}")).await?;
    if let Some(tx) = ready.take() {
        let _ = tx.send(());
    }
    while let Some(payload) = rx.recv().await {
        if let Err(err) = cache.invalidate(&payload).await {
            tracing::warn!(%err, payload, "could not drop invalidated cache keys");
        }
    }
    driver.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_backend_expires_and_drops_families() {
        let cache = Cache::memory();
        cache.put_json("services:catalog:a", &1, Duration::from_secs(60)).await;
        cache.put_json("services:catalogue", &2, Duration::from_secs(60)).await;
        cache.put_json("booking:x", &3, Duration::from_millis(1)).await;
        assert_eq!(cache.get_json::<i32>("services:catalog:a").await, Some(1));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(cache.get_json::<i32>("booking:x").await, None);
        assert_eq!(cache.invalidate("services:catalog").await.unwrap(), 1);
        assert_eq!(cache.get_json::<i32>("services:catalog:a").await, None);
        // Only the family's own keys: a key that merely starts with the same letters stays.
        assert_eq!(cache.get_json::<i32>("services:catalogue").await, Some(2));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.invalidations), (2, 2, 1));
    }

    #[test]
    fn globs_are_escaped() {
        assert_eq!(escape_glob("a*b?[c]"), "a\\*b\\?\\[c\\]");
    }
}
