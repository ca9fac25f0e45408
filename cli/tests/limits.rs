//! Nothing a request meets can make it hang, crash the connection or run with more rights
//! than its caller: the server logs in as `authenticator`, each transaction carries its role's
//! timeouts, a held row lock or an exhausted pool is a quick 4xx/5xx with `Retry-After`, a
//! panicking handler still answers JSON, and shutdown has a deadline.

mod support;

use std::time::{Duration, Instant};

use axum::{routing::get, Router};
use ombaro::server::{self, ServerOptions, Stopped};
use ombaro_common::{db::PoolConfig, http::Caller};
use serde_json::{json, Value};
use support::{world::World, TestApp};

const HEALTH: &str = "/functions/v1/health";

fn caller(role: &str) -> Caller {
    Caller {
        role: role.to_owned(),
        user_id: None,
        claims: json!({ "role": role }),
    }
}

#[tokio::test]
async fn the_server_logs_in_without_rights_of_its_own() {
    let app = TestApp::spawn().await;
    let db = app.db.app_db(&PoolConfig::default()).await;
    let client = db.get().await.unwrap();
    let who: (String, bool) = client
        .query_one(
            "select current_user::text, rolsuper from pg_roles where rolname = current_user",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(who, ("authenticator".to_owned(), false));
    // Before acting as anyone, the login itself can read nothing.
    let err = client
        .query_one("select count(*) from public.bookings", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "42501", "{err}");
}

#[tokio::test]
async fn a_handlers_sql_cannot_reach_beyond_its_roles_grants() {
    let app = TestApp::spawn().await;
    let db = app.db.app_db(&PoolConfig::default()).await;
    let mut client = db.get().await.unwrap();
    // As anon: payments are not in anon's grants.
    {
        let tx = db.begin_as(&mut client, &caller("anon")).await.unwrap();
        let err = tx
            .query("select * from public.payments limit 1", &[])
            .await
            .unwrap_err();
        assert_eq!(err.code().unwrap().code(), "42501", "{err}");
    }
    // As the service: still not a superuser (no file access, no role changes, no private
    // schema beyond what is granted).
    for sql in [
        "select pg_read_file('postgresql.conf')",
        "alter role anon superuser",
        "create role intruder login",
        "set role postgres",
    ] {
        let tx = db.begin_as_service(&mut client).await.unwrap();
        let err = tx.batch_execute(sql).await.unwrap_err();
        assert_eq!(err.code().unwrap().code(), "42501", "{sql}: {err}");
    }
}

#[tokio::test]
async fn each_transaction_carries_its_roles_limits() {
    let app = TestApp::spawn().await;
    let db = app.db.app_db(&PoolConfig::default()).await;
    let mut client = db.get().await.unwrap();
    for (role, statement_timeout) in [("anon", "3s"), ("authenticated", "8s"), ("service_role", "15s")] {
        let tx = db.begin_as(&mut client, &caller(role)).await.unwrap();
        let row = tx
            .query_one(
                "select current_user::text, current_setting('statement_timeout'), current_setting('lock_timeout')",
                &[],
            )
            .await
            .unwrap();
        let (user, st, lt): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(
            (user.as_str(), st.as_str(), lt.as_str()),
            (role, statement_timeout, "3s")
        );
    }
    // Outside a transaction the login's own settings are back: nothing leaked.
    let role: String = client.query_one("select current_user::text", &[]).await.unwrap().get(0);
    assert_eq!(role, "authenticator");
}

#[tokio::test]
async fn a_slow_statement_ends_at_the_roles_timeout_as_503() {
    let app = TestApp::spawn_with(
        PoolConfig::default(),
        ServerOptions::default(),
        "alter role authenticated in database {db} set statement_timeout = '300ms'",
    )
    .await;
    let db = app.db.app_db(&PoolConfig::default()).await;
    let mut client = db.get().await.unwrap();
    let tx = db.begin_as(&mut client, &caller("authenticated")).await.unwrap();
    let started = Instant::now();
    let err = tx.batch_execute("select pg_sleep(5)").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let api = ombaro_common::ApiError::from(err);
    assert_eq!((api.status.as_u16(), api.code.as_str()), (503, "database_timeout"));
    assert_eq!(api.retry_after, Some(1));
}

#[tokio::test]
async fn a_row_locked_by_another_session_fails_fast_with_409() {
    let app = TestApp::spawn_with(
        PoolConfig::default(),
        ServerOptions::default(),
        "alter role authenticated in database {db} set lock_timeout = '300ms'",
    )
    .await;
    let w = World::new(&app).await;
    let day = support::world::weekday_ahead(3);
    let token = app.user_token(w.customer).await;
    let (status, booking) = app
        .post_json("/bookings", &token, &w.request(&support::world::ist_at(day, 11, 0)))
        .await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();

    // Another session (an admin's, a report's) holds the booking's row.
    let mut holder = app.db.client().await;
    let lock = holder.transaction().await.unwrap();
    lock.execute(
        "select 1 from public.bookings where id = $1::text::uuid for update",
        &[&id],
    )
    .await
    .unwrap();

    let started = Instant::now();
    let (status, body) = app
        .post_json(&format!("/bookings/{id}/cancel"), &token, &json!({}))
        .await;
    let waited = started.elapsed();
    assert_eq!((status, body["code"].as_str()), (409, Some("locked")), "{body}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    lock.rollback().await.unwrap();

    // Once the lock is gone the same request goes through.
    let (status, body) = app
        .post_json(&format!("/bookings/{id}/cancel"), &token, &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_exhausted_pool_answers_503_within_the_wait_timeout() {
    let pool = PoolConfig {
        max_size: 1,
        wait: Duration::from_millis(300),
        ..PoolConfig::default()
    };
    let app = TestApp::spawn_with(pool.clone(), ServerOptions::default(), "").await;
    assert_eq!(app.get(HEALTH, Some(&app.anon_key())).await.status(), 200);

    // A second server on the same database with one connection, which the test takes.
    let db = app.db.app_db(&pool).await;
    let held = db.get().await.unwrap();
    let started = Instant::now();
    let err = db.get().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!((err.status.as_u16(), err.code.as_str()), (503, "database_busy"));
    assert_eq!(err.retry_after, Some(1));
    drop(held);
    assert!(db.get().await.is_ok(), "the connection is usable once returned");
}

#[tokio::test]
async fn the_pool_limit_holds_over_http() {
    // The server's only connection is held by a slow request; the next one gets 503 quickly
    // rather than queueing behind it.
    let pool = PoolConfig {
        max_size: 1,
        wait: Duration::from_millis(300),
        ..PoolConfig::default()
    };
    let app = TestApp::spawn_with(pool, ServerOptions::default(), "").await;
    let mut blocker = app.db.client().await;
    let lock = blocker.transaction().await.unwrap();
    // Health's `select 1` cannot be blocked; hold the pool by making a booking request wait
    // on a lock instead.
    let w = World::new(&app).await;
    let day = support::world::weekday_ahead(3);
    let token = app.user_token(w.customer).await;
    let (status, booking) = app
        .post_json("/bookings", &token, &w.request(&support::world::ist_at(day, 11, 0)))
        .await;
    assert_eq!(status, 201, "{booking}");
    let id = booking["id"].as_str().unwrap().to_owned();
    lock.execute(
        "select 1 from public.bookings where id = $1::text::uuid for update",
        &[&id],
    )
    .await
    .unwrap();
    let slow = {
        let (app_url, token, id) = (app.base.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{app_url}/functions/v1/booking-service/bookings/{id}/cancel"))
                .bearer_auth(token)
                .json(&json!({}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let res = app.get(HEALTH, Some(&app.anon_key())).await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "database_busy", "{body}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    lock.rollback().await.unwrap();
    assert_eq!(slow.await.unwrap().unwrap(), 200);
}

async fn panics() -> &'static str {
    panic!("boom")
}

/// A router behind the server's own gateway layers, with handlers that misbehave.
fn misbehaving(options: ServerOptions) -> Router {
    let routes = Router::new()
        .route("/panic", get(panics))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/brief",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "done"
            }),
        );
    server::gateway(routes, options)
}

async fn listen() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

#[tokio::test]
async fn a_panicking_handler_answers_500_json_with_the_request_id() {
    let (listener, base) = listen().await;
    let options = ServerOptions::default();
    tokio::spawn(server::serve_router(
        listener,
        misbehaving(options.clone()),
        options.drain,
        std::future::pending(),
    ));
    let res = reqwest::Client::new()
        .get(format!("{base}/panic"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-request-id"], "req-42");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "internal_error");
    assert_eq!(body["details"]["request_id"], "req-42");
    assert!(
        !body.to_string().contains("boom"),
        "the panic message is logged, not sent"
    );
    // The server survives.
    let res = reqwest::get(format!("{base}/brief")).await.unwrap();
    assert_eq!(res.text().await.unwrap(), "done");
}

#[tokio::test]
async fn a_request_past_its_deadline_is_503() {
    let (listener, base) = listen().await;
    let options = ServerOptions {
        request_timeout: Duration::from_millis(300),
        ..ServerOptions::default()
    };
    tokio::spawn(server::serve_router(
        listener,
        misbehaving(options.clone()),
        options.drain,
        std::future::pending(),
    ));
    let started = Instant::now();
    let res = reqwest::get(format!("{base}/slow")).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "request_timeout");
}

#[tokio::test]
async fn shutdown_finishes_brief_requests_and_abandons_stuck_ones_at_the_deadline() {
    // A brief request in flight at shutdown completes.
    let (listener, base) = listen().await;
    let options = ServerOptions::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve_router(
        listener,
        misbehaving(options.clone()),
        Duration::from_secs(5),
        async {
            let _ = stopped.await;
        },
    ));
    let brief = tokio::spawn(reqwest::get(format!("{base}/brief")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let answer = brief.await.unwrap().unwrap();
    assert_eq!(answer.text().await.unwrap(), "done");
    assert_eq!(serving.await.unwrap().unwrap(), Stopped::Drained);

    // A stuck one does not hold the server past the drain deadline.
    let (listener, base) = listen().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve_router(
        listener,
        misbehaving(options.clone()),
        Duration::from_millis(500),
        async {
            let _ = stopped.await;
        },
    ));
    let _stuck = tokio::spawn(reqwest::get(format!("{base}/slow")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    let outcome = serving.await.unwrap().unwrap();
    assert_eq!(outcome, Stopped::DeadlinePassed);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn database_refusals_become_answers_a_client_can_act_on() {
    let app = TestApp::spawn().await;
    let db = app.db.app_db(&PoolConfig::default()).await;
    let mut client = db.get().await.unwrap();
    for (sqlstate, status, code) in [
        ("23P01", 409, "overlap"),
        ("23505", 409, "already_exists"),
        ("23503", 422, "unknown_reference"),
        ("23514", 422, "invalid_value"),
        ("23502", 422, "invalid_value"),
        ("22P02", 422, "invalid_value"),
        ("42501", 403, "forbidden"),
        ("40P01", 409, "concurrent_update"),
        ("40001", 409, "concurrent_update"),
        ("55P03", 409, "locked"),
        ("57014", 503, "database_timeout"),
        ("XX000", 500, "internal_error"),
    ] {
        let tx = db.begin_as_service(&mut client).await.unwrap();
        let err = tx
            .batch_execute(&format!(
                "do $$ begin raise exception 'refused' using errcode = '{sqlstate}'; end $$"
            ))
            .await
            .unwrap_err();
        let api = ombaro_common::ApiError::from(err);
        assert_eq!((api.status.as_u16(), api.code.as_str()), (status, code), "{sqlstate}");
    }
}
