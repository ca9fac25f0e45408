//! The real Razorpay and Stripe clients against a local server that checks each request the
//! way the gateway documents it: method, path, authentication, content type, idempotency and
//! body; and answers in the gateway's own shapes, errors included.

use std::sync::{Arc, Mutex};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
    Json, Router,
};
use ombaro_payments::service::gateway::{
    http_client, Gateway, GatewayError, OrderRequest, Razorpay, RefundRequest, Stripe,
};
use serde_json::{json, Value};

/// Every request the fake gateway saw: (path, headers, raw body).
type Seen = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

async fn fake_gateway() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/v1/orders", post(razorpay_order))
        .route("/v1/payments/{id}/refund", post(razorpay_refund))
        .route("/v1/payment_intents", post(stripe_intent))
        .route("/v1/refunds", post(stripe_refund))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn basic_auth_ok(headers: &HeaderMap) -> bool {
    // base64("rzp_test_key:rzp_secret")
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Basic cnpwX3Rlc3Rfa2V5OnJ6cF9zZWNyZXQ=")
}

fn razorpay_error(description: &str) -> axum::response::Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": description } })),
    )
        .into_response()
}

async fn razorpay_order(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    seen.lock()
        .unwrap()
        .push(("/v1/orders".into(), headers.clone(), body.clone()));
    if !basic_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "code": "BAD_REQUEST_ERROR", "description": "Authentication failed" } })),
        )
            .into_response();
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return razorpay_error("content type must be JSON");
    }
    let order: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return razorpay_error("body is not JSON"),
    };
    // Amount in paise, an integer of at least 100 (₹1); currency INR.
    if order["amount"].as_i64().is_none_or(|a| a < 100) || order["currency"] != "INR" {
        return razorpay_error("The amount must be atleast INR 1.00");
    }
    if order["receipt"].as_str().is_none_or(|r| r.len() > 40) || order["notes"]["booking_id"].as_str().is_none() {
        return razorpay_error("receipt and notes.booking_id are required");
    }
    Json(
        json!({ "id": "order_Fake0000000001", "entity": "order", "amount": order["amount"],
                 "amount_paid": 0, "currency": "INR", "receipt": order["receipt"], "status": "created",
                 "notes": order["notes"] }),
    )
    .into_response()
}

async fn razorpay_refund(
    State(seen): State<Seen>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    seen.lock()
        .unwrap()
        .push((format!("/v1/payments/{id}/refund"), headers.clone(), body.clone()));
    if !basic_auth_ok(&headers) || !id.starts_with("pay_") {
        return razorpay_error("The id provided does not exist");
    }
    let refund: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Json(
        json!({ "id": "rfnd_Fake0000000001", "entity": "refund", "amount": refund["amount"],
                 "currency": "INR", "payment_id": id, "status": "processed" }),
    )
    .into_response()
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn stripe_checks(headers: &HeaderMap) -> Option<axum::response::Response> {
    let error = |status: StatusCode, message: &str| {
        Some(
            (
                status,
                Json(json!({ "error": { "type": "invalid_request_error", "message": message } })),
            )
                .into_response(),
        )
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk_test_fake") {
        return error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/x-www-form-urlencoded") {
        return error(StatusCode::BAD_REQUEST, "form-encode the body");
    }
    if headers.get("idempotency-key").is_none() {
        return error(StatusCode::BAD_REQUEST, "this test requires an Idempotency-Key");
    }
    None
}

async fn stripe_intent(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    seen.lock()
        .unwrap()
        .push(("/v1/payment_intents".into(), headers.clone(), body.clone()));
    if let Some(refused) = stripe_checks(&headers) {
        return refused;
    }
    let pairs = form(&body);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    if get("currency").as_deref() != Some("inr") || get("amount").and_then(|a| a.parse::<i64>().ok()).is_none() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "message": "amount and currency=inr" } })),
        )
            .into_response();
    }
    Json(json!({ "id": "pi_Fake0001", "object": "payment_intent", "amount": get("amount").unwrap().parse::<i64>().unwrap(),
                 "currency": "inr", "client_secret": "pi_Fake0001_secret_abc", "status": "requires_payment_method",
                 "metadata": { "booking_id": get("metadata[booking_id]") } }))
    .into_response()
}

async fn stripe_refund(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    seen.lock()
        .unwrap()
        .push(("/v1/refunds".into(), headers.clone(), body.clone()));
    if let Some(refused) = stripe_checks(&headers) {
        return refused;
    }
    Json(json!({ "id": "re_Fake0001", "object": "refund", "status": "succeeded" })).into_response()
}

fn razorpay(base: &str, secret: &str) -> Razorpay {
    Razorpay {
        base_url: base.to_owned(),
        key_id: "rzp_test_key".into(),
        key_secret: secret.into(),
        http: http_client(),
    }
}

fn stripe(base: &str) -> Stripe {
    Stripe {
        base_url: base.to_owned(),
        publishable_key: "pk_test_fake".into(),
        secret_key: "sk_test_fake".into(),
        http: http_client(),
    }
}

const BOOKING: &str = "6f1c2a3e-0000-4000-8000-000000000001";

fn order(amount: i64) -> OrderRequest<'static> {
    OrderRequest {
        amount,
        receipt: "OBO-20251015-0042-1",
        booking_id: BOOKING,
        booking_number: "OBO-20251015-0042",
    }
}

#[tokio::test]
async fn razorpay_orders_are_created_as_documented() {
    let (base, seen) = fake_gateway().await;
    let created = razorpay(&base, "rzp_secret")
        .create_order(order(293_535))
        .await
        .unwrap();
    assert_eq!(created.id, "order_Fake0000000001");
    let seen = seen.lock().unwrap();
    let (path, _, body) = &seen[0];
    assert_eq!(path, "/v1/orders");
    let body: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["amount"], 293_535, "paise, as an integer");
    assert_eq!(body["currency"], "INR");
    assert_eq!(body["receipt"], "OBO-20251015-0042-1");
    assert_eq!(body["notes"]["booking_id"], BOOKING);
}

#[tokio::test]
async fn razorpay_refunds_name_the_payment_and_carry_the_idempotency_key() {
    let (base, seen) = fake_gateway().await;
    let refund = razorpay(&base, "rzp_secret")
        .refund(RefundRequest {
            payment_id: "pay_Abc0000000001",
            amount: 5_000,
            refund_id: "2b1d0c7e-0000-4000-8000-00000000000f",
        })
        .await
        .unwrap();
    assert_eq!(refund.id, "rfnd_Fake0000000001");
    assert!(refund.processed);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, "/v1/payments/pay_Abc0000000001/refund");
    assert_eq!(
        seen[0].1.get("x-razorpay-idempotency").unwrap(),
        "2b1d0c7e-0000-4000-8000-00000000000f"
    );
    let body: Value = serde_json::from_slice(&seen[0].2).unwrap();
    assert_eq!(body["amount"], 5_000);
}

#[tokio::test]
async fn razorpay_refusals_come_back_with_the_gateways_description() {
    let (base, _) = fake_gateway().await;
    let err = razorpay(&base, "wrong_secret")
        .create_order(order(293_535))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GatewayError::Refused { status: 401, ref message } if message == "Authentication failed"),
        "{err}"
    );
    let err = razorpay(&base, "rzp_secret").create_order(order(50)).await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused { status: 400, .. }), "{err}");
    let err = razorpay("http://127.0.0.1:9", "rzp_secret")
        .create_order(order(293_535))
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::Unreachable(_)), "{err}");
}

#[tokio::test]
async fn stripe_payment_intents_are_form_encoded_in_inr_with_an_idempotency_key() {
    let (base, seen) = fake_gateway().await;
    let created = stripe(&base).create_order(order(293_535)).await.unwrap();
    assert_eq!(created.id, "pi_Fake0001");
    assert_eq!(created.client_secret.as_deref(), Some("pi_Fake0001_secret_abc"));
    let seen = seen.lock().unwrap();
    let (path, headers, body) = &seen[0];
    assert_eq!(path, "/v1/payment_intents");
    assert_eq!(headers.get("idempotency-key").unwrap(), "OBO-20251015-0042-1");
    let pairs = form(body);
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(get("amount"), Some("293535"));
    assert_eq!(get("currency"), Some("inr"));
    assert_eq!(get("metadata[booking_id]"), Some(BOOKING));
}

#[tokio::test]
async fn stripe_refunds_name_the_payment_intent() {
    let (base, seen) = fake_gateway().await;
    let refund = stripe(&base)
        .refund(RefundRequest {
            payment_id: "pi_Fake0001",
            amount: 1_000,
            refund_id: "refund-key-1",
        })
        .await
        .unwrap();
    assert_eq!(refund.id, "re_Fake0001");
    assert!(refund.processed);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, "/v1/refunds");
    assert_eq!(seen[0].1.get("idempotency-key").unwrap(), "refund-key-1");
    let pairs = form(&seen[0].2);
    assert!(pairs.contains(&("payment_intent".into(), "pi_Fake0001".into())));
    assert!(pairs.contains(&("amount".into(), "1000".into())));
}

#[tokio::test]
async fn stripe_refuses_a_wrong_key() {
    let (base, _) = fake_gateway().await;
    let mut client = stripe(&base);
    client.secret_key = "sk_test_wrong".into();
    let err = client.create_order(order(293_535)).await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused { status: 401, .. }), "{err}");
}
