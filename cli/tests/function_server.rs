//! The function server over real HTTP: who gets in, and what they get back.

mod support;

use serde_json::{json, Value};
use support::TestApp;

const HEALTH: &str = "/functions/v1/health";

async fn assert_unauthorized(app: &TestApp, token: Option<&str>, code: &str) {
    let res = app.get(HEALTH, token).await;
    assert_eq!(res.status(), 401, "token {token:?}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn health_answers_200_to_the_anon_and_service_keys() {
    let app = TestApp::spawn().await;
    for role in ["anon", "service_role"] {
        let res = app.get(HEALTH, Some(&app.keys.api_key(role))).await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], "ok");
    }
}

#[tokio::test]
async fn health_answers_200_to_a_user_token() {
    let app = TestApp::spawn().await;
    let token = app
        .keys
        .user_token(&uuid::Uuid::new_v4().to_string(), Some("u@example.in"), 60, json!({}));
    assert_eq!(app.get(HEALTH, Some(&token)).await.status(), 200);
}

#[tokio::test]
async fn bad_tokens_get_401_json() {
    let app = TestApp::spawn().await;
    let other = ombaro_common::jwt::JwtKeys::new("some-other-project-secret-of-32-chars!!");
    assert_unauthorized(&app, Some(&other.api_key("anon")), "invalid_token").await;

    let expired = app
        .keys
        .sign(&json!({"role": "anon", "exp": chrono::Utc::now().timestamp() - 10}));
    assert_unauthorized(&app, Some(&expired), "token_expired").await;

    // alg none: a header and claims with no signature at all.
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIiwiZXhwIjo0MTAyNDQ0ODAwfQ.";
    assert_unauthorized(&app, Some(none), "invalid_token").await;

    let no_role = app.keys.sign(&json!({"exp": 4102444800_i64}));
    assert_unauthorized(&app, Some(&no_role), "missing_role").await;

    let superuser = app.keys.sign(&json!({"role": "postgres", "exp": 4102444800_i64}));
    assert_unauthorized(&app, Some(&superuser), "unknown_role").await;

    assert_unauthorized(&app, Some("garbage"), "invalid_token").await;
    assert_unauthorized(&app, None, "missing_token").await;
}

#[tokio::test]
async fn a_user_token_with_a_non_uuid_sub_is_refused() {
    let app = TestApp::spawn().await;
    let token = app
        .keys
        .sign(&json!({"role": "authenticated", "sub": "not-a-uuid", "exp": 4102444800_i64}));
    assert_unauthorized(&app, Some(&token), "invalid_token").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let res = app.get(HEALTH, Some(&app.anon_key())).await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "{id}");

    let res = app
        .http
        .get(app.url(HEALTH))
        .bearer_auth(app.anon_key())
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let app = TestApp::spawn().await;
    let res = app.get("/functions/v1/no-such-function", Some(&app.anon_key())).await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn shutdown_stops_accepting_connections() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.get(HEALTH, Some(&app.anon_key())).await.status(), 200);
    app.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if reqwest::Client::new().get(app.url(HEALTH)).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "server still answers after shutdown");
}
