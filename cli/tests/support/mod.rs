//! Starts the function server on a random port against a fresh database, as a client would
//! meet it: real HTTP, real JWTs.

#![allow(dead_code)]

use std::sync::Arc;

pub mod world;

use ombaro_common::{jwt::JwtKeys, testing::TestDb, AppState};

pub const TEST_SECRET: &str = "test-secret-with-at-least-thirty-two-characters";

pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub keys: JwtKeys,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::start(
            ombaro_common::db::PoolConfig::default(),
            ombaro::server::ServerOptions::default(),
            "",
            None,
        )
        .await
    }

    /// The server with its pool and timeouts set by the test, after `setup` (SQL, run as the
    /// superuser on the fresh database, `{db}` naming it) and before the server reads the
    /// roles' limits.
    pub async fn spawn_with(
        pool: ombaro_common::db::PoolConfig,
        options: ombaro::server::ServerOptions,
        setup: &str,
    ) -> Self {
        Self::start(pool, options, setup, None).await
    }

    /// The booking service alone with other options, mounted where the function server
    /// mounts it and behind the same token check.
    pub async fn spawn_booking_service(options: ombaro_booking::service::ServiceOptions) -> Self {
        Self::start(
            ombaro_common::db::PoolConfig::default(),
            ombaro::server::ServerOptions::default(),
            "",
            Some(options),
        )
        .await
    }

    async fn start(
        pool: ombaro_common::db::PoolConfig,
        options: ombaro::server::ServerOptions,
        setup: &str,
        booking_options: Option<ombaro_booking::service::ServiceOptions>,
    ) -> Self {
        // Server logs go to the test's captured output: shown only when a test fails.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                std::env::var("OMBARO_TEST_LOG").unwrap_or_else(|_| "warn,ombaro=info".into()),
            ))
            .try_init();
        let db = TestDb::new().await;
        if !setup.is_empty() {
            db.client()
                .await
                .batch_execute(&setup.replace("{db}", &db.name))
                .await
                .expect("test setup SQL");
        }
        let keys = JwtKeys::new(TEST_SECRET);
        let state = AppState {
            db: db.app_db(&pool).await,
            keys: Arc::new(keys.clone()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            let _ = rx.await;
        };
        match booking_options {
            None => {
                let mut options = ombaro::server::ServerOptions {
                    realtime_login: Some(db.url.parse().expect("the test database URL")),
                    ..options
                };
                // Tokens pass through the project's custom access token hook, as on `ombaro up`.
                if options.auth.custom_access_token_hook.is_none() {
                    options.auth.custom_access_token_hook =
                        ombaro_auth::AuthOptions::from_project(&ombaro_common::config::Project::discover().root)
                            .custom_access_token_hook;
                }
                tokio::spawn(ombaro::server::serve(listener, state, options, stopped));
            }
            Some(options) => {
                use ombaro_booking::service::{router_with, MOUNT};
                let functions = axum::Router::new().nest(MOUNT, router_with(options)).route_layer(
                    axum::middleware::from_fn_with_state(state.clone(), ombaro_common::http::require_jwt),
                );
                let app = axum::Router::new().nest("/functions/v1", functions).with_state(state);
                tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(stopped).await });
            }
        }
        Self {
            base,
            db,
            keys,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            shutdown: Some(tx),
        }
    }

    /// The function server reading through `cache`, with its invalidation listener running
    /// (as `ombaro serve` runs it).
    pub async fn spawn_cached(cache: ombaro_common::cache::Cache) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn,ombaro=info"))
            .try_init();
        let db = TestDb::new().await;
        let keys = JwtKeys::new(TEST_SECRET);
        let pool = ombaro_common::db::PoolConfig::default();
        let state = AppState {
            db: db.app_db(&pool).await,
            keys: Arc::new(keys.clone()),
        };
        ombaro_common::cache::listen_for_invalidations(db.authenticator_login(), cache.clone()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stopped = async {
            let _ = rx.await;
        };
        tokio::spawn(ombaro::server::serve_with(
            listener,
            state,
            ombaro::server::ServerOptions::default(),
            Some(cache),
            stopped,
        ));
        Self {
            base,
            db,
            keys,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn anon_key(&self) -> String {
        self.keys.api_key("anon")
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    /// Stops accepting requests and lets in-flight ones finish.
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
