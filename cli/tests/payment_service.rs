//! The payment service over real HTTP against a real database: checkout, the sandbox gateway
//! paying through our own signed webhook, Razorpay and Stripe webhooks applied exactly once,
//! amounts that do not match, refunds from both sides and out of order.

mod support;

use ombaro_payments::signature;
use serde_json::{json, Value};
use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};
use uuid::Uuid;

const SERVICE: &str = "/functions/v1/payment-service";

impl TestApp {
    async fn pay_post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("{SERVICE}{path}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    fn sandbox_secret(&self) -> String {
        self.keys
            .derived_secret(ombaro_payments::service::config::SANDBOX_SECRET_PURPOSE)
    }

    /// Sends a Razorpay webhook signed with `secret` (raw bytes as given).
    async fn razorpay_webhook(&self, event_id: &str, body: &[u8], secret: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("{SERVICE}/webhooks/razorpay")))
            .header("content-type", "application/json")
            .header("x-razorpay-signature", signature::sign_razorpay_webhook(body, secret))
            .header("x-razorpay-event-id", event_id)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn stripe_webhook(&self, body: &[u8], header: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("{SERVICE}/webhooks/stripe")))
            .header("content-type", "application/json")
            .header("stripe-signature", header)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// A pending booking of the world's customer, 60 minutes of Swedish `days` ahead at `hh`.
async fn pending_booking(app: &TestApp, w: &World, hh: u32) -> Value {
    let day = weekday_ahead(3);
    let (status, booking) = app
        .post_json(
            "/bookings",
            &app.user_token(w.customer).await,
            &w.request(&ist_at(day, hh, 0)),
        )
        .await;
    assert_eq!(status, 201, "{booking}");
    booking
}

async fn checkout(app: &TestApp, w: &World, booking: &Value) -> Value {
    let (status, order) = app
        .pay_post(
            "/orders",
            &app.user_token(w.customer).await,
            &json!({ "booking_id": booking["id"] }),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    order
}

fn razorpay_payment_event(event: &str, payment_id: &str, order_id: Option<&str>, booking: &str, amount: i64) -> Value {
    let payment = json!({
        "id": payment_id, "entity": "payment", "amount": amount, "currency": "INR", "status": "captured",
        "order_id": order_id, "method": "upi", "captured": true, "notes": { "booking_id": booking },
        "created_at": 1_760_000_000,
    });
    json!({
        "entity": "event", "account_id": "acc_test", "event": event, "contains": ["payment"],
        "payload": { "payment": { "entity": payment } }, "created_at": 1_760_000_000,
    })
}

fn razorpay_refund_event(refund_id: &str, payment_id: &str, amount: i64) -> Value {
    json!({
        "entity": "event", "account_id": "acc_test", "event": "refund.processed", "contains": ["refund"],
        "payload": { "refund": { "entity": {
            "id": refund_id, "entity": "refund", "amount": amount, "currency": "INR",
            "payment_id": payment_id, "status": "processed", "created_at": 1_760_000_000 } } },
        "created_at": 1_760_000_000,
    })
}

async fn booking_state(app: &TestApp, id: &str) -> (String, String, Option<chrono::DateTime<chrono::Utc>>) {
    let row = app
        .db
        .client()
        .await
        .query_one(
            "select status, payment_status, hold_expires_at from public.bookings where id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

async fn scalar(app: &TestApp, sql: &str, id: &str) -> i64 {
    app.db.client().await.query_one(sql, &[&id]).await.unwrap().get(0)
}

#[tokio::test]
async fn checkout_then_the_sandbox_pays_and_the_booking_is_confirmed_with_an_invoice() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 11).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let total = booking["total_amount"].as_i64().unwrap();

    let order = checkout(&app, &w, &booking).await;
    assert_eq!(order["amount"], total, "the booking's own total, never the client's");
    assert_eq!(order["gateway"], "razorpay");
    assert_eq!(order["sandbox"], true);
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    assert!(order_id.starts_with("order_"), "{order}");
    // Checking out again gives the same order.
    let (status, again) = app
        .pay_post(
            "/orders",
            &app.user_token(w.customer).await,
            &json!({ "booking_id": id }),
        )
        .await;
    assert_eq!((status, &again["order_id"]), (200, &json!(order_id)), "{again}");

    let (status, paid) = app
        .pay_post(
            "/sandbox/pay",
            &app.user_token(w.customer).await,
            &json!({ "order_id": order_id, "outcome": "captured" }),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    let events = paid["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "payment.captured and order.paid: {paid}");
    assert_eq!(events[0]["webhook_answer"]["status"], "processed", "{paid}");
    assert_eq!(events[1]["webhook_answer"]["status"], "duplicate", "{paid}");

    let (status, payment_status, hold) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("confirmed", "paid"));
    assert!(hold.is_none(), "the hold is cleared");
    let q = |sql: &'static str| scalar(&app, sql, &id);
    assert_eq!(
        q("select count(*) from public.payments where booking_id = $1::text::uuid").await,
        1,
        "the checkout's pending row was completed, not duplicated"
    );
    assert_eq!(
        q(
            "select count(*) from public.payments where booking_id = $1::text::uuid and status = 'success'
             and gateway_order_id is not null and gateway_transaction_id like 'pay_%' and payment_date is not null
             and payment_method = 'upi'"
        )
        .await,
        1
    );
    assert_eq!(
        q("select count(*) from public.booking_status_history where booking_id = $1::text::uuid and to_status = 'confirmed'")
            .await,
        1
    );
    assert_eq!(
        q(
            "select count(*) from public.invoices where booking_id = $1::text::uuid and status = 'issued'
             and invoice_number ~ '^V[0-9A-Z]{4}/[0-9]{4}/[0-9]{5}$' and length(invoice_number) <= 16
             and split_part(invoice_number, '/', 2) = substr(financial_year, 5, 2) || substr(financial_year, 8, 2)
             and cgst_amount = sgst_amount and igst_amount = 0
             and total_amount = (select subtotal - discount_amount + tax_amount from public.bookings b
                                  where b.id = booking_id)"
        )
        .await,
        1,
        "a spa visit in the vendor's state is CGST + SGST"
    );
    assert_eq!(
        q("select count(*) from public.commission_records where booking_id = $1::text::uuid").await,
        1
    );
    assert_eq!(
        q(
            "select count(*) from public.notification_queue where payload ->> 'booking_id' = $1
             and event_type in ('payment.captured', 'booking.confirmed', 'booking.paid')"
        )
        .await,
        3
    );
    assert_eq!(
        q("select count(*) from private.webhook_events where booking_id = $1::text::uuid").await,
        2
    );

    // A second checkout of a paid booking is refused.
    let (status, body) = app
        .pay_post(
            "/orders",
            &app.user_token(w.customer).await,
            &json!({ "booking_id": id }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("already_paid")), "{body}");
}

#[tokio::test]
async fn checkout_refuses_what_is_not_the_callers_to_pay() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 12).await;
    // Someone else's booking.
    let (status, body) = app
        .pay_post(
            "/orders",
            &app.user_token(w.other_customer).await,
            &json!({ "booking_id": booking["id"] }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("booking_not_found")),
        "{body}"
    );
    // An API key without a user.
    let (status, _) = app
        .pay_post("/orders", &app.anon_key(), &json!({ "booking_id": booking["id"] }))
        .await;
    assert_eq!(status, 401);
    // A gateway that does not exist, or is not configured on this stack.
    for (gateway, code) in [("paypal", "unknown_gateway"), ("stripe", "gateway_unavailable")] {
        let (status, body) = app
            .pay_post(
                "/orders",
                &app.user_token(w.customer).await,
                &json!({ "booking_id": booking["id"], "gateway": gateway }),
            )
            .await;
        assert_eq!((status, body["code"].as_str()), (422, Some(code)), "{body}");
    }
    // A client-chosen amount is not a field.
    let (status, body) = app
        .pay_post(
            "/orders",
            &app.user_token(w.customer).await,
            &json!({ "booking_id": booking["id"], "amount": 100 }),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // A lapsed hold.
    app.db
        .client()
        .await
        .execute(
            "update public.bookings set hold_expires_at = now() - interval '1 minute' where id = $1::text::uuid",
            &[&booking["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    let (status, body) = app
        .pay_post(
            "/orders",
            &app.user_token(w.customer).await,
            &json!({ "booking_id": booking["id"] }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("booking_lapsed")), "{body}");
    assert_eq!(
        app.count("select count(*) from public.payments").await,
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn webhooks_that_fail_verification_write_nothing() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 13).await;
    let order = checkout(&app, &w, &booking).await;
    let total = booking["total_amount"].as_i64().unwrap();
    let event = razorpay_payment_event(
        "payment.captured",
        "pay_forged0000001",
        order["order_id"].as_str(),
        booking["id"].as_str().unwrap(),
        total,
    );
    let body = serde_json::to_vec(&event).unwrap();

    // Wrong secret.
    let (status, answer) = app.razorpay_webhook("evt_forged_1", &body, "not-the-secret").await;
    assert_eq!(status, 401, "{answer}");
    // Right signature, altered body.
    let mut altered = body.clone();
    let at = altered.len() - 2;
    altered[at] = b'1';
    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/webhooks/razorpay")))
        .header(
            "x-razorpay-signature",
            signature::sign_razorpay_webhook(&body, &app.sandbox_secret()),
        )
        .header("x-razorpay-event-id", "evt_forged_2")
        .body(altered)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // No signature header at all.
    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/webhooks/razorpay")))
        .header("x-razorpay-event-id", "evt_forged_3")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // Signed, but not JSON.
    let (status, _) = app
        .razorpay_webhook("evt_forged_4", b"not json", &app.sandbox_secret())
        .await;
    assert_eq!(status, 400);
    // Over 1 MiB.
    let big = vec![b' '; 1024 * 1024 + 10];
    let (status, _) = app.razorpay_webhook("evt_big", &big, &app.sandbox_secret()).await;
    assert_eq!(status, 413);

    assert_eq!(app.count("select count(*) from private.webhook_events").await, 0);
    let (status, payment_status, _) = booking_state(&app, booking["id"].as_str().unwrap()).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("pending", "pending"));
}

#[tokio::test]
async fn a_replayed_or_concurrent_event_has_its_effect_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 14).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let event = razorpay_payment_event(
        "payment.captured",
        "pay_replay000001",
        order["order_id"].as_str(),
        &id,
        booking["total_amount"].as_i64().unwrap(),
    );
    let body = serde_json::to_vec(&event).unwrap();
    let secret = app.sandbox_secret();
    let sends = (0..8).map(|_| app.razorpay_webhook("evt_replay_1", &body, &secret));
    let answers = futures_util::future::join_all(sends).await;
    let processed = answers
        .iter()
        .filter(|(s, a)| *s == 200 && a["status"] == "processed")
        .count();
    let duplicates = answers
        .iter()
        .filter(|(s, a)| *s == 200 && a["status"] == "duplicate")
        .count();
    assert_eq!((processed, duplicates), (1, 7), "{answers:?}");
    assert_eq!(app.count("select count(*) from private.webhook_events").await, 1);
    assert_eq!(app.count("select count(*) from public.invoices").await, 1);
    assert_eq!(app.count("select count(*) from public.commission_records").await, 1);
    assert_eq!(
        app.count("select count(*) from public.loyalty_points_transactions")
            .await,
        app.count("select count(*) from public.customers c join public.bookings b on b.customer_id = c.id")
            .await
            .min(1)
    );
}

#[tokio::test]
async fn a_payment_that_does_not_match_the_booking_is_recorded_but_not_marked_paid() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 15).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let event = razorpay_payment_event(
        "payment.captured",
        "pay_short0000001",
        order["order_id"].as_str(),
        &id,
        booking["total_amount"].as_i64().unwrap() - 100,
    );
    let (status, answer) = app
        .razorpay_webhook(
            "evt_short_1",
            &serde_json::to_vec(&event).unwrap(),
            &app.sandbox_secret(),
        )
        .await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("flagged")), "{answer}");
    let (status, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("pending", "pending"));
    assert_eq!(
        scalar(
            &app,
            "select count(*) from public.payments where booking_id = $1::text::uuid and status = 'success'",
            &id
        )
        .await,
        1,
        "the money is recorded as received"
    );
    assert_eq!(app.count("select count(*) from public.invoices").await, 0);
    assert_eq!(
        app.count("select count(*) from private.webhook_events where status = 'flagged'")
            .await,
        1
    );
    assert_eq!(
        app.count("select count(*) from public.notification_queue where event_type = 'payment.flagged'")
            .await,
        1,
        "finance is told"
    );
}

#[tokio::test]
async fn an_event_for_an_unknown_booking_is_answered_and_recorded_as_unmatched() {
    let app = TestApp::spawn().await;
    let event = razorpay_payment_event(
        "payment.captured",
        "pay_stranger0001",
        None,
        &Uuid::new_v4().to_string(),
        1000,
    );
    let (status, answer) = app
        .razorpay_webhook(
            "evt_stranger",
            &serde_json::to_vec(&event).unwrap(),
            &app.sandbox_secret(),
        )
        .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("unmatched")),
        "{answer}"
    );
    assert_eq!(app.count("select count(*) from public.payments").await, 0);
    assert_eq!(
        app.count("select count(*) from private.webhook_events where status = 'unmatched'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_refund_that_arrives_before_its_payment_is_applied_when_the_payment_arrives() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 16).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let total = booking["total_amount"].as_i64().unwrap();
    let secret = app.sandbox_secret();

    let refund = razorpay_refund_event("rfnd_early000001", "pay_late00000001", 5000);
    let (status, answer) = app
        .razorpay_webhook("evt_refund_early", &serde_json::to_vec(&refund).unwrap(), &secret)
        .await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("parked")), "{answer}");
    assert_eq!(app.count("select count(*) from public.refunds").await, 0);

    let payment = razorpay_payment_event(
        "payment.captured",
        "pay_late00000001",
        order["order_id"].as_str(),
        &id,
        total,
    );
    let (status, answer) = app
        .razorpay_webhook("evt_pay_late", &serde_json::to_vec(&payment).unwrap(), &secret)
        .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    assert_eq!(
        app.count("select count(*) from public.refunds where gateway_refund_id = 'rfnd_early000001' and status = 'processed' and amount = 5000")
            .await,
        1
    );
    assert_eq!(
        app.count("select count(*) from public.payments where status = 'partially_refunded' and refund_amount = 5000")
            .await,
        1
    );
    let (_, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!(payment_status, "partially_refunded");
    assert_eq!(
        app.count("select count(*) from private.webhook_events where status = 'pending'")
            .await,
        0
    );
    // The same refund event again changes nothing.
    let (_, answer) = app
        .razorpay_webhook("evt_refund_early", &serde_json::to_vec(&refund).unwrap(), &secret)
        .await;
    assert_eq!(answer["status"], "duplicate");
    let (_, answer) = app
        .razorpay_webhook("evt_refund_other_id", &serde_json::to_vec(&refund).unwrap(), &secret)
        .await;
    assert_eq!(answer["status"], "duplicate", "one refunds row per gateway refund id");
    assert_eq!(app.count("select count(*) from public.refunds").await, 1);
}

#[tokio::test]
async fn finance_refunds_a_payment_through_the_gateway_and_the_webhook_completes_it() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 17).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let total = booking["total_amount"].as_i64().unwrap();
    let (status, _) = app
        .pay_post(
            "/sandbox/pay",
            &app.user_token(w.customer).await,
            &json!({ "order_id": order["order_id"], "outcome": "captured" }),
        )
        .await;
    assert_eq!(status, 200);
    let payment = order["payment_id"].as_str().unwrap().to_owned();

    // The customer is not finance.
    let (status, body) = app
        .pay_post(
            "/refunds",
            &app.user_token(w.customer).await,
            &json!({ "payment_id": payment }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_finance")), "{body}");
    // More than was captured.
    let (status, body) = app
        .pay_post(
            "/refunds",
            &app.service_key(),
            &json!({ "payment_id": payment, "amount": total + 1 }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("exceeds_captured")),
        "{body}"
    );

    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/refunds")))
        .bearer_auth(app.service_key())
        .header("idempotency-key", "refund-once")
        .json(&json!({ "payment_id": payment, "reason": "service not delivered", "reason_code": "service_not_delivered" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let refund: Value = resp.json().await.unwrap();
    assert_eq!(refund["amount"], total, "{refund}");
    assert!(
        refund["gateway_refund_id"].as_str().unwrap().starts_with("rfnd_"),
        "{refund}"
    );
    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/refunds")))
        .bearer_auth(app.service_key())
        .header("idempotency-key", "refund-once")
        .json(&json!({ "payment_id": payment }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "a retry returns the first refund");

    assert_eq!(
        app.count("select count(*) from public.refunds where status = 'processed'")
            .await,
        1
    );
    let (_, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!(payment_status, "refunded");
    assert_eq!(
        app.count("select count(*) from public.payments where status = 'refunded'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_cancellation_refund_to_the_wallet_is_credited_at_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 18).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    app.pay_post(
        "/sandbox/pay",
        &app.user_token(w.customer).await,
        &json!({ "order_id": order["order_id"], "outcome": "captured" }),
    )
    .await;
    let (status, cancelled) = app
        .post_json(
            &format!("/bookings/{id}/cancel"),
            &app.user_token(w.customer).await,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    let cancellation: String = app
        .db
        .client()
        .await
        .query_one(
            "select id::text from public.booking_cancellations where booking_id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    let due = scalar(
        &app,
        "select refund_due from public.booking_cancellations where booking_id = $1::text::uuid",
        &id,
    )
    .await;
    assert!(due > 0);
    let path = format!("/cancellations/{cancellation}/refund");
    let (status, refund) = app
        .pay_post(
            &path,
            &app.user_token(w.other_customer).await,
            &json!({ "to_wallet": true }),
        )
        .await;
    assert_eq!(status, 404, "someone else's cancellation: {refund}");
    let (status, refund) = app
        .pay_post(&path, &app.user_token(w.customer).await, &json!({ "to_wallet": true }))
        .await;
    assert_eq!(status, 201, "{refund}");
    let (status, _) = app
        .pay_post(&path, &app.user_token(w.customer).await, &json!({ "to_wallet": true }))
        .await;
    assert_eq!(status, 200, "paid once");
    assert_eq!(
        scalar(
            &app,
            "select coalesce(max(balance_after), 0) from public.wallet_transactions where booking_id = $1::text::uuid",
            &id
        )
        .await,
        due
    );
}

#[tokio::test]
async fn stripe_events_are_verified_with_the_installed_secret_and_any_matching_v1() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 19).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let total = booking["total_amount"].as_i64().unwrap();
    // The secret installed in payment_gateways (as IT would with set_payment_gateway_secrets).
    app.db
        .client()
        .await
        .batch_execute(
            "update public.payment_gateways set webhook_secret_encrypted = private.encrypt_text('whsec_test_current')
              where code = 'stripe'",
        )
        .await
        .unwrap();
    let event = json!({
        "id": "evt_stripe_1", "object": "event", "type": "payment_intent.succeeded", "created": 1_760_000_000,
        "data": { "object": {
            "id": "pi_test_0001", "object": "payment_intent", "amount": total, "amount_received": total,
            "currency": "inr", "status": "succeeded", "latest_charge": "ch_test_0001",
            "metadata": { "booking_id": id }, "payment_method_types": ["card"] } },
    });
    let body = serde_json::to_vec(&event).unwrap();
    let now = chrono::Utc::now().timestamp();

    let stale = signature::stripe_signature_header(&body, &["whsec_test_current"], now - 301);
    let (status, _) = app.stripe_webhook(&body, &stale).await;
    assert_eq!(status, 401, "outside the 300 s tolerance");
    let wrong = signature::stripe_signature_header(&body, &["whsec_other"], now);
    let (status, _) = app.stripe_webhook(&body, &wrong).await;
    assert_eq!(status, 401);
    assert_eq!(app.count("select count(*) from private.webhook_events").await, 0);

    // Two v1 signatures (as during the gateway's own secret rotation): any match is enough.
    let header = signature::stripe_signature_header(&body, &["whsec_other", "whsec_test_current"], now);
    let (status, answer) = app.stripe_webhook(&body, &header).await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("processed")),
        "{answer}"
    );
    let (status, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("confirmed", "paid"));
    assert_eq!(
        app.count("select count(*) from public.payments where currency = 'INR' and payment_gateway = 'stripe' and gateway_transaction_id = 'pi_test_0001'")
            .await,
        1
    );
}

#[tokio::test]
async fn ombaro_pay_confirms_a_booking_with_an_invoice_and_refunds_it() {
    use ombaro::pay::{run, PayAction};
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 20).await;
    let number = booking["booking_number"].as_str().unwrap().to_owned();
    let id = booking["id"].as_str().unwrap().to_owned();
    let db = app.db.client().await;

    let failed = run(&db, &app.base, &app.keys, &number, PayAction::Fail).await.unwrap();
    assert!(
        failed.lines.last().unwrap().contains("pending, payment pending"),
        "{:?}",
        failed.lines
    );
    assert_eq!(
        app.count("select count(*) from public.notification_queue where event_type = 'payment.failed'")
            .await,
        1,
        "the customer is told"
    );

    let paid = run(&db, &app.base, &app.keys, &number, PayAction::Capture)
        .await
        .unwrap();
    let last = paid.lines.last().unwrap();
    assert!(last.contains("confirmed, payment paid, invoice V"), "{:?}", paid.lines);
    let (status, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("confirmed", "paid"));

    let refunded = run(&db, &app.base, &app.keys, &number, PayAction::Refund)
        .await
        .unwrap();
    assert!(
        refunded.lines.last().unwrap().contains("payment refunded"),
        "{:?}",
        refunded.lines
    );
    let err = run(&db, &app.base, &app.keys, "OBO-00000000-0000", PayAction::Capture)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no booking numbered"), "{err}");
}

#[tokio::test]
async fn no_app_user_can_call_the_payment_effects_directly() {
    use ombaro_common::testing::{as_persona, Persona};
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 10).await;
    let id: Uuid = booking["id"].as_str().unwrap().parse().unwrap();
    let calls = [
        "select private.apply_payment_capture('razorpay', 'evt_x', 'payment.captured', '{}', $1, 'pay_x', null, 100, 'INR', null, now())",
        "select private.apply_payment_failure('razorpay', 'evt_x', 'payment.failed', '{}', $1, 'pay_x', null, 100, 'INR', null)",
        "select private.open_checkout($1, $1, 'razorpay')",
        "select private.record_webhook_event('razorpay', $1::uuid::text, 'x', '{}')",
        "select private.create_refund($1, 100, 'x', 'other', 'wallet', null, 'k')",
        "select private.apply_refund_event('razorpay', $1::uuid::text, 'refund.processed', '{}', 'rfnd_x', 'pay_x', 100, true)",
        "select * from private.gateway_webhook_secrets($1::uuid::text)",
        "select private.next_invoice_number($1, current_date)",
        "select count(*) from private.webhook_events where booking_id = $1",
    ];
    for persona in [Persona::Anon, Persona::User(w.customer), Persona::User(w.vendor)] {
        for sql in calls {
            let mut client = app.db.client().await;
            let tx = as_persona(&mut client, &persona).await.unwrap();
            let err = tx.query(sql, &[&id]).await.unwrap_err();
            assert_eq!(
                err.code().map(|c| c.code()),
                Some("42501"),
                "{persona:?} ran {sql}: {err}"
            );
        }
    }
}

/// Moves a confirmed booking through its visit to completed, one legal step at a time.
async fn complete(db: &tokio_postgres::Client, id: &str) {
    for status in ["assigned", "in_progress", "completed"] {
        db.execute(
            "update public.bookings set status = $2 where id = $1::text::uuid",
            &[&id, &status],
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_period_is_settled_once_with_commission_gst_tds_and_tcs() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 9).await;
    let order = checkout(&app, &w, &booking).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    app.pay_post(
        "/sandbox/pay",
        &app.user_token(w.customer).await,
        &json!({ "order_id": order["order_id"], "outcome": "captured" }),
    )
    .await;
    // The visit happened (a trusted forward move, as the service records it).
    let db = app.db.client().await;
    complete(&db, &id).await;
    let row = db
        .query_one(
            "select booking_date, subtotal - discount_amount, vendor_id,
                    (select pan_number_encrypted is not null from public.vendors v where v.id = b.vendor_id)
               from public.bookings b where id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap();
    let (date, taxable, vendor, has_pan): (chrono::NaiveDate, i64, Uuid, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    let period =
        json!({ "period_start": date - chrono::Duration::days(3), "period_end": date + chrono::Duration::days(3) });

    let (status, body) = app
        .pay_post("/settlements/run", &app.user_token(w.customer).await, &period)
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_finance")), "{body}");

    let (status, run) = app.pay_post("/settlements/run", &app.service_key(), &period).await;
    assert_eq!(status, 200, "{run}");
    let ours: Vec<&Value> = run["settlements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["vendor_id"] == json!(vendor))
        .collect();
    assert_eq!(ours.len(), 1, "{run}");
    let s = ours[0];
    assert_eq!(s["outcome"], "created", "{s}");
    assert_eq!(s["total_bookings"], 1);
    // Half up to the paisa: commission at the vendor's 15 %, 18 % GST on it, TDS 194-O
    // (0.1 %, or 5 % without a PAN) and TCS 52 (0.5 %) on the value before GST.
    let pct = |base: i64, bps: i64| (base * bps + 5_000) / 10_000;
    let commission = pct(taxable, 1_500);
    assert_eq!(s["commission_amount"], commission, "{s}");
    assert_eq!(s["commission_gst_amount"], pct(commission, 1_800), "{s}");
    assert_eq!(s["tds_amount"], pct(taxable, if has_pan { 10 } else { 500 }), "{s}");
    assert_eq!(s["tcs_amount"], pct(taxable, 50), "{s}");

    let count = |sql: &'static str| {
        let db = &db;
        async move { db.query_one(sql, &[&vendor]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("select count(*) from public.payment_settlements where vendor_id = $1
                and net_settlement_amount = gross_amount - commission_amount - commission_gst_amount - tds_amount - tcs_amount + adjustment_amount")
            .await,
        1
    );
    assert_eq!(
        count("select count(*) from public.commission_records where vendor_id = $1 and status = 'settled' and settlement_id is not null")
            .await,
        1
    );
    assert_eq!(
        count("select count(*) from public.tax_records where vendor_id = $1 and tax_type in ('tds', 'gst_tcs')").await,
        2
    );
    assert_eq!(
        count("select count(*) from public.vendor_payouts where vendor_id = $1 and status = 'pending'").await,
        1
    );

    // Again: nothing changes.
    let (status, again) = app.pay_post("/settlements/run", &app.service_key(), &period).await;
    assert_eq!(status, 200, "{again}");
    assert!(
        again["settlements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["vendor_id"] != json!(vendor) || s["outcome"] == "existing"),
        "{again}"
    );
    assert_eq!(
        count("select count(*) from public.payment_settlements where vendor_id = $1").await,
        1
    );
    assert_eq!(
        count("select count(*) from public.tax_records where vendor_id = $1").await,
        2
    );

    // A period overlapping the settled one, with something new to settle, is refused.
    let second = pending_booking(&app, &w, 13).await;
    let order = checkout(&app, &w, &second).await;
    app.pay_post(
        "/sandbox/pay",
        &app.user_token(w.customer).await,
        &json!({ "order_id": order["order_id"], "outcome": "captured" }),
    )
    .await;
    complete(&db, second["id"].as_str().unwrap()).await;
    let overlapping = json!({ "period_start": date, "period_end": date + chrono::Duration::days(10) });
    let (status, body) = app.pay_post("/settlements/run", &app.service_key(), &overlapping).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("period_overlaps_settled")),
        "{body}"
    );
    assert_eq!(
        count("select count(*) from public.payment_settlements where vendor_id = $1").await,
        1
    );
}

#[tokio::test]
async fn ombaro_settle_reports_each_vendor_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 11).await;
    let number = booking["booking_number"].as_str().unwrap().to_owned();
    let db = app.db.client().await;
    ombaro::pay::run(&db, &app.base, &app.keys, &number, ombaro::pay::PayAction::Capture)
        .await
        .unwrap();
    complete(&db, booking["id"].as_str().unwrap()).await;
    let date: chrono::NaiveDate = db
        .query_one(
            "select booking_date from public.bookings where booking_number = $1",
            &[&number],
        )
        .await
        .unwrap()
        .get(0);
    let lines = ombaro::pay::settle(&app.base, &app.keys, date, date).await.unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("1 bookings") && lines[0].contains("= net"),
        "{lines:?}"
    );
    let again = ombaro::pay::settle(&app.base, &app.keys, date, date).await.unwrap();
    assert!(again[0].contains("already settled"), "{again:?}");
    let err = ombaro::pay::settle(&app.base, &app.keys, date, date - chrono::Duration::days(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid_period"), "{err}");
}

#[tokio::test]
async fn the_checkout_signature_fast_path_and_the_webhook_converge_on_one_payment() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 15).await;
    let order = checkout(&app, &w, &booking).await;
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    let id = booking["id"].as_str().unwrap().to_owned();
    let payment_id = "pay_Checkout00001";
    // Without Razorpay keys the sandbox's secret signs checkouts, as Razorpay's key secret would.
    let secret = app.sandbox_secret();
    let path = format!("/orders/{order_id}/verify");

    let forged = json!({ "razorpay_payment_id": payment_id, "razorpay_signature": "0".repeat(64) });
    let (status, body) = app.pay_post(&path, &app.user_token(w.customer).await, &forged).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("signature_mismatch")),
        "{body}"
    );
    let signature = signature::razorpay_checkout_signature(&order_id, payment_id, &secret);
    let good = json!({ "razorpay_payment_id": payment_id, "razorpay_signature": signature });
    let (status, body) = app
        .pay_post(&path, &app.user_token(w.other_customer).await, &good)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("order_not_found")),
        "another customer: {body}"
    );
    assert_eq!(app.count("select count(*) from private.webhook_events").await, 0);

    let (status, body) = app.pay_post(&path, &app.user_token(w.customer).await, &good).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("processed")), "{body}");
    let (status, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("confirmed", "paid"));

    // The gateway's webhook for the same payment arrives later: nothing more happens.
    let event = razorpay_payment_event(
        "payment.captured",
        payment_id,
        Some(&order_id),
        &id,
        booking["total_amount"].as_i64().unwrap(),
    );
    let (status, answer) = app
        .razorpay_webhook("evt_after_checkout", &serde_json::to_vec(&event).unwrap(), &secret)
        .await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate")),
        "{answer}"
    );
    assert_eq!(
        scalar(
            &app,
            "select count(*) from public.payments where booking_id = $1::text::uuid",
            &id
        )
        .await,
        1
    );
    assert_eq!(app.count("select count(*) from public.invoices").await, 1);
}

#[tokio::test]
async fn keys_installed_in_payment_gateways_are_used_without_a_restart() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 16).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    // An order made while the stack was on the sandbox ...
    let order = checkout(&app, &w, &booking).await;
    let order_id = order["order_id"].as_str().unwrap().to_owned();
    // ... and then IT installs real Razorpay keys (stored encrypted).
    app.db
        .client()
        .await
        .batch_execute(
            "update public.payment_gateways
                set key_id = 'rzp_test_installed', secret_encrypted = private.encrypt_text('installed_key_secret'),
                    is_active = true
              where code = 'razorpay'",
        )
        .await
        .unwrap();
    let path = format!("/orders/{order_id}/verify");
    let sandbox_signed = signature::razorpay_checkout_signature(&order_id, "pay_Installed0001", &app.sandbox_secret());
    let (status, body) = app
        .pay_post(
            &path,
            &app.user_token(w.customer).await,
            &json!({ "razorpay_payment_id": "pay_Installed0001", "razorpay_signature": sandbox_signed }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("signature_mismatch")),
        "{body}"
    );
    let key_signed = signature::razorpay_checkout_signature(&order_id, "pay_Installed0001", "installed_key_secret");
    let (status, body) = app
        .pay_post(
            &path,
            &app.user_token(w.customer).await,
            &json!({ "razorpay_payment_id": "pay_Installed0001", "razorpay_signature": key_signed }),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("processed")), "{body}");
    let (status, payment_status, _) = booking_state(&app, &id).await;
    assert_eq!((status.as_str(), payment_status.as_str()), ("confirmed", "paid"));
    // With real keys installed the sandbox no longer pays.
    let (status, body) = app
        .pay_post(
            "/sandbox/pay",
            &app.user_token(w.customer).await,
            &json!({ "order_id": order_id, "outcome": "captured" }),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("no_sandbox")), "{body}");
}

#[tokio::test]
async fn a_service_performed_in_another_state_is_invoiced_with_igst() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = pending_booking(&app, &w, 12).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    // The visit moves to the customer's address across the state border (Hosur, Tamil
    // Nadu, from a Bengaluru spa): the place of supply is now another state.
    let db = app.db.client().await;
    db.execute(
        "with address as (
           insert into public.customer_addresses (customer_id, address_type, label, address_line1, city, state, pincode,
                                                  latitude, longitude)
           values ($2, 'home', 'Hosur', '4 Bagalur Road', 'Hosur', 'Tamil Nadu', '635109', 12.74, 77.83)
           returning id)
         update public.bookings set booking_type = 'home_service', address_id = (select id from address)
          where id = $1::text::uuid",
        &[&id, &w.customer],
    )
    .await
    .unwrap();
    let order = checkout(&app, &w, &booking).await;
    let (status, _) = app
        .pay_post(
            "/sandbox/pay",
            &app.user_token(w.customer).await,
            &json!({ "order_id": order["order_id"], "outcome": "captured" }),
        )
        .await;
    assert_eq!(status, 200);
    let row = db
        .query_one(
            "select i.igst_amount, i.cgst_amount, i.sgst_amount, i.place_of_supply_code, b.tax_amount,
                    i.total_amount, b.subtotal - b.discount_amount + b.tax_amount
               from public.invoices i join public.bookings b on b.id = i.booking_id
              where i.booking_id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap();
    let (igst, cgst, sgst, code, tax, total, paid_for_service): (i64, i64, i64, String, i64, i64, i64) = (
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        row.get(4),
        row.get(5),
        row.get(6),
    );
    assert_eq!((igst, cgst, sgst), (tax, 0, 0), "inter-state supply: IGST only");
    assert_eq!(code, "33", "Tamil Nadu's GST state code");
    assert_eq!(
        total, paid_for_service,
        "the invoice is what the customer paid for the service"
    );
}
