//! The notification service and worker on a real database: bookings' messages delivered with
//! their inbox rows, preferences and quiet hours, retries and dead letters against a local
//! provider server, dedupe, leases, and two workers never sending one row twice; the
//! endpoints with their bad inputs.

mod support;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{http::StatusCode, Json, Router};
use ombaro_notifications::service::{
    providers::{Providers, SendGrid},
    store, Worker, WorkerOptions,
};
use serde_json::{json, Value};
use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};
use uuid::Uuid;

async fn worker(app: &TestApp, id: &str, providers: Providers) -> Worker {
    let db = app.db.app_db(&ombaro_common::db::PoolConfig::default()).await;
    Worker::new(
        db,
        Arc::new(providers),
        WorkerOptions {
            id: id.into(),
            batch: 16,
            lease: Duration::from_secs(30),
            ..WorkerOptions::default()
        },
    )
}

/// Passes until a pass claims nothing.
async fn drain(w: &Worker) -> usize {
    let mut handled = 0;
    loop {
        let pass = w.pass().await.unwrap();
        if pass.claimed == 0 {
            return handled;
        }
        handled += pass.claimed;
    }
}

async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url(&format!("/functions/v1/notification-service{path}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn book(app: &TestApp, w: &World) -> Value {
    let token = app.user_token(w.customer).await;
    let start = ist_at(weekday_ahead(2), 11, 0);
    let (status, booking) = app.post_json("/bookings", &token, &w.request(&start)).await;
    assert_eq!(status, 201, "{booking}");
    booking
}

const TOKEN: &str = "fcm-token:APA91bHdevice000000000001";

#[tokio::test]
async fn a_bookings_messages_reach_customer_and_vendor_with_their_inbox_rows() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let customer = app.user_token(w.customer).await;
    let (status, body) = post(
        &app,
        "/devices",
        &customer,
        &json!({"token": TOKEN, "platform": "android"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let booking = book(&app, &w).await;
    let worker = worker(&app, "w1", Providers::local(false)).await;
    drain(&worker).await;

    let id = booking["id"].as_str().unwrap();
    let client = app.db.client().await;
    // The producer's push row, and its in-app fan-out, for each of them.
    let rows = client
        .query(
            "select user_id, channel, status, coalesce(last_error, '') from public.notification_queue
              where payload ->> 'booking_id' = $1 and event_type = 'booking.created' order by user_id, channel",
            &[&id],
        )
        .await
        .unwrap();
    let seen: Vec<(Uuid, String, String)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert!(seen.contains(&(w.customer, "push".into(), "sent".into())), "{seen:?}");
    assert!(seen.contains(&(w.customer, "in_app".into(), "sent".into())), "{seen:?}");
    assert!(seen.contains(&(w.vendor, "in_app".into(), "sent".into())), "{seen:?}");
    // The vendor has no device: push is skipped, saying why.
    let vendor_push: String = client
        .query_one(
            "select status || ':' || last_error from public.notification_queue
              where payload ->> 'booking_id' = $1 and user_id = $2 and channel = 'push'",
            &[&id, &w.vendor],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(vendor_push, "skipped:no_address");

    let inbox = client
        .query(
            "select user_id, type, title, channels from public.notifications where data ->> 'booking_id' = $1 order by title",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(inbox.len(), 2, "one inbox row each");
    for row in &inbox {
        assert_eq!(row.get::<_, String>(1), "booking_created");
    }
    let customer_row = inbox.iter().find(|r| r.get::<_, Uuid>(0) == w.customer).unwrap();
    assert!(customer_row.get::<_, String>(2).starts_with("Booking OBO-"));
    assert_eq!(customer_row.get::<_, Vec<String>>(3), vec!["in_app", "push"]);
    let push: (String, String, String) = client
        .query_one(
            "select device_token, status, body from public.push_notifications where user_id = $1",
            &[&w.customer],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!((push.0.as_str(), push.1.as_str()), (TOKEN, "delivered"));
    assert!(push.2.contains("Swedish"), "{}", push.2);

    // Read: the customer marks theirs; the vendor's stays unread.
    let (status, body) = post(&app, "/read", &customer, &json!({"all": true})).await;
    assert_eq!((status, body["marked_read"].as_u64()), (200, Some(1)), "{body}");
    let unread = app
        .count("select count(*) from public.notifications where not is_read")
        .await;
    assert_eq!(unread, 1);
    let (status, body) = post(&app, "/read", &customer, &json!({"ids": [], "all": true})).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid_request")));
}

#[tokio::test]
async fn preferences_turn_channels_off_and_quiet_hours_defer_what_is_not_urgent() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let customer = app.user_token(w.customer).await;
    // Quiet now (in Kolkata), SMS off, WhatsApp on.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Kolkata);
    let start = (now - chrono::Duration::hours(1)).format("%H:%M").to_string();
    let end = (now + chrono::Duration::hours(1)).format("%H:%M").to_string();
    let (status, prefs) = app
        .http
        .put(app.url("/functions/v1/notification-service/preferences"))
        .bearer_auth(&customer)
        .json(
            &json!({"notify_sms": false, "notify_whatsapp": true, "quiet_hours": {"start": start, "end": end},
                      "marketing_opt_in": true}),
        )
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    let prefs: Value = prefs.json().await.unwrap();
    assert_eq!(status, 200, "{prefs}");
    assert_eq!(prefs["notify_sms"], false);
    assert_eq!(prefs["quiet_hours"]["start"], json!(start));
    assert!(prefs["marketing_consent_at"].is_string(), "consent is timed: {prefs}");

    // Bad input is refused with a code, and changes nothing.
    for (body, code) in [
        (json!({"timezone": "Mars/Olympus_Mons"}), "invalid_timezone"),
        (
            json!({"quiet_hours": {"start": "25:00", "end": "07:00"}}),
            "invalid_quiet_hours",
        ),
        (json!({"notify_fax": true}), "invalid_request"),
    ] {
        let resp = app
            .http
            .put(app.url("/functions/v1/notification-service/preferences"))
            .bearer_auth(&customer)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 422);
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], code);
    }
    let again: Value = app
        .http
        .get(app.url("/functions/v1/notification-service/preferences"))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["quiet_hours"]["start"], json!(start), "{again}");
    // The database refuses the same time zone to an app writing the row itself.
    let mut client = app.db.client().await;
    let tx = ombaro_common::testing::as_persona(&mut client, &ombaro_common::testing::Persona::User(w.customer))
        .await
        .unwrap();
    let err = tx
        .execute(
            "update public.user_preferences set timezone = 'Mars/Olympus_Mons' where user_id = $1",
            &[&w.customer],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "22023");
    drop(tx);

    // A confirmation: push waits for the quiet hours' end, in-app goes now, SMS is not fanned
    // out to, email and WhatsApp go.
    let client = app.db.client().await;
    let booking = book(&app, &w).await;
    client
        .execute(
            "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
             values ('booking.confirmed', $1, 'push', 'booking_confirmed', $2, 'booking.confirmed:x:customer')",
            &[
                &w.customer,
                &json!({"booking_id": booking["id"], "booking_number": booking["booking_number"]}),
            ],
        )
        .await
        .unwrap();
    let worker = worker(&app, "w1", Providers::local(false)).await;
    drain(&worker).await;
    let rows = client
        .query(
            "select channel, status, attempts, next_attempt_at > now() from public.notification_queue
              where dedupe_key like 'booking.confirmed:x:customer%' order by channel",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, i32, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        got,
        vec![
            ("email".into(), "pending".into(), 0, true),
            ("in_app".into(), "sent".into(), 1, false),
            ("push".into(), "skipped".into(), 1, false),
            ("whatsapp".into(), "pending".into(), 0, true),
        ],
        "email and WhatsApp wait for the end of the quiet hours; push has no device; no SMS row"
    );
}

/// A SendGrid stand-in that answers from a script: each request pops the next status.
async fn sendgrid(script: Vec<u16>) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let script = Arc::new(Mutex::new(script));
    let (s1, s2) = (seen.clone(), script.clone());
    let app = Router::new().route(
        "/v3/mail/send",
        axum::routing::post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
            let (seen, script) = (s1.clone(), s2.clone());
            async move {
                assert_eq!(headers["authorization"], "Bearer SG.test");
                seen.lock().unwrap().push(body);
                let status = script.lock().unwrap().remove(0);
                let mut response = axum::response::IntoResponse::into_response((
                    StatusCode::from_u16(status).unwrap(),
                    Json(json!({"errors": [{"message": format!("scripted {status}")}]})),
                ));
                response
                    .headers_mut()
                    .insert("x-message-id", axum::http::HeaderValue::from_static("sg-msg-1"));
                response
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, seen)
}

fn with_sendgrid(base: String) -> Providers {
    let mut p = Providers::local(false);
    p.email = Arc::new(SendGrid {
        base_url: base,
        api_key: "SG.test".into(),
        from_email: "no-reply@ombaro.in".into(),
        from_name: "OMBARO".into(),
        http: ombaro_notifications::service::providers::http_client(),
    });
    p
}

async fn flagged(app: &TestApp, key: &str) {
    app.db
        .client()
        .await
        .execute(
            "insert into public.notification_queue (event_type, recipient, channel, template_code, payload, dedupe_key)
             values ('payment.flagged', 'finance@ombaro.in', 'email', 'payment_flagged',
                     '{\"gateway\": \"razorpay\", \"problem\": \"amount differs\"}', $1)",
            &[&key],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_transient_provider_failure_is_retried_with_backoff_and_a_permanent_one_is_dead() {
    let app = TestApp::spawn().await;
    let (base, seen) = sendgrid(vec![503, 202, 400]).await;
    let worker = worker(&app, "w1", with_sendgrid(base)).await;
    flagged(&app, "payment.flagged:t1").await;
    drain(&worker).await;
    let client = app.db.client().await;
    let (status, attempts, wait, error): (String, i32, f64, String) = client
        .query_one(
            "select status, attempts, extract(epoch from next_attempt_at - now())::float8, last_error
               from public.notification_queue where dedupe_key = 'payment.flagged:t1'",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .unwrap();
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert!((10.0..=31.0).contains(&wait), "backoff of 15-30 s, got {wait}");
    assert!(error.contains("503"), "{error}");
    // Due again: sent, with SendGrid's message id.
    client
        .execute("update public.notification_queue set next_attempt_at = now()", &[])
        .await
        .unwrap();
    drain(&worker).await;
    let logged: Vec<(String, Option<String>)> = client
        .query(
            "select status, provider_message_id from public.email_logs order by created_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        logged,
        vec![("failed".into(), None), ("sent".into(), Some("sg-msg-1".into()))]
    );
    let body = seen.lock().unwrap()[1].clone();
    assert_eq!(body["personalizations"][0]["to"][0]["email"], "finance@ombaro.in");
    assert_eq!(body["subject"], "Payment flagged at razorpay");

    // A 400 is dead at once, with the provider's words.
    flagged(&app, "payment.flagged:t2").await;
    drain(&worker).await;
    let (status, error): (String, String) = client
        .query_one(
            "select status, last_error from public.notification_queue where dedupe_key = 'payment.flagged:t2'",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(status, "dead");
    assert!(error.contains("scripted 400"), "{error}");

    // The last attempt's transient failure is dead too.
    let (base, _) = sendgrid(vec![500]).await;
    let worker = self::worker(&app, "w2", with_sendgrid(base)).await;
    flagged(&app, "payment.flagged:t3").await;
    client
        .execute(
            "update public.notification_queue set max_attempts = 1 where dedupe_key = 'payment.flagged:t3'",
            &[],
        )
        .await
        .unwrap();
    drain(&worker).await;
    let status: String = client
        .query_one(
            "select status from public.notification_queue where dedupe_key = 'payment.flagged:t3'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "dead");
}

#[tokio::test]
async fn a_message_is_queued_once_per_dedupe_key_and_fanned_out_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = book(&app, &w).await;
    let client = app.db.client().await;
    let payload = json!({"booking_id": booking["id"], "booking_number": booking["booking_number"]});
    for _ in 0..3 {
        client
            .execute(
                "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
                 values ('booking.confirmed', $1, 'push', 'booking_confirmed', $2, 'booking.confirmed:d:customer')
                 on conflict (dedupe_key) do nothing",
                &[&w.customer, &payload],
            )
            .await
            .unwrap();
    }
    let worker = worker(&app, "w1", Providers::local(false)).await;
    drain(&worker).await;
    // The producer's row again after the fan-out (a replayed effect with a new key form)
    // adds nothing beyond the channels' own keys.
    let keys: Vec<String> = client
        .query(
            "select dedupe_key from public.notification_queue where dedupe_key like 'booking.confirmed:d:%' order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        keys,
        vec![
            "booking.confirmed:d:customer",
            "booking.confirmed:d:customer:email",
            "booking.confirmed:d:customer:in_app",
            "booking.confirmed:d:customer:sms"
        ]
    );
    assert_eq!(
        app.count("select count(*) from public.notifications where type = 'booking_confirmed'")
            .await,
        1
    );
    assert_eq!(app.count("select count(*) from public.sms_logs").await, 1);
    let body: String = client
        .query_one("select body from public.sms_logs", &[])
        .await
        .unwrap()
        .get(0);
    assert!(body.starts_with("Your OMBARO booking OBO-"), "{body}");
}

#[tokio::test]
async fn two_workers_never_send_one_row_twice_and_a_dead_workers_rows_come_back_after_the_lease() {
    let app = TestApp::spawn().await;
    let user = app.db.create_user("many@example.in").await;
    let client = app.db.client().await;
    client
        .execute(
            "insert into public.user_profiles (id, name, mobile, role) values ($1, 'Many', '9811111111', 'customer')",
            &[&user],
        )
        .await
        .unwrap();
    client
        .execute(
            "insert into public.user_sessions (user_id, device_type, push_token) values ($1, 'android', $2)",
            &[&user, &TOKEN],
        )
        .await
        .unwrap();
    client
        .execute(
            "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
             select 'therapist_arrived', $1, c, 'therapist_arrived',
                    jsonb_build_object('therapist_name', 'Asha', 'booking_number', 'OBO-20251015-' || lpad(i::text, 4, '0')),
                    'therapist_arrived:' || i || ':' || c
               from generate_series(1, 200) i, unnest(array['push', 'in_app']) c",
            &[&user],
        )
        .await
        .unwrap();
    let (a, b) = (
        worker(&app, "worker-a", Providers::local(false)).await,
        worker(&app, "worker-b", Providers::local(false)).await,
    );
    let (na, nb) = tokio::join!(drain(&a), drain(&b));
    assert_eq!(na + nb, 400, "every row handled once: {na} + {nb}");
    assert!(na > 0 && nb > 0, "both workers took part: {na} / {nb}");
    assert_eq!(
        app.count("select count(*) from public.notification_queue where status <> 'sent'")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "select count(*) from (select queue_id from public.push_notifications group by queue_id having count(*) <> 1) d"
        )
        .await,
        0,
        "one push log per row"
    );
    assert_eq!(app.count("select count(*) from public.push_notifications").await, 200);
    assert_eq!(app.count("select count(*) from public.notifications").await, 200);

    // Worker A claims and dies mid-send; B finds nothing until the lease ends, then takes it;
    // A's late outcome is refused.
    client
        .execute(
            "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
             values ('therapist_arrived', $1, 'push', 'therapist_arrived',
                     '{\"therapist_name\": \"Asha\", \"booking_number\": \"OBO-20251015-9999\"}', 'therapist_arrived:late:push')",
            &[&user],
        )
        .await
        .unwrap();
    let db = app.db.app_db(&ombaro_common::db::PoolConfig::default()).await;
    let mut conn = db.get().await.unwrap();
    let tx = db.begin_as_service(&mut conn).await.unwrap();
    let claimed = store::claim(&tx, "worker-a", 10, 1.0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(b.pass().await.unwrap().claimed, 0, "leased to A");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let b_short = Worker::new(
        db.clone(),
        Arc::new(Providers::local(false)),
        WorkerOptions {
            id: "worker-b".into(),
            lease: Duration::from_secs(1),
            ..WorkerOptions::default()
        },
    );
    let pass = b_short.pass().await.unwrap();
    assert_eq!((pass.claimed, pass.sent), (1, 1));
    let tx = db.begin_as_service(&mut conn).await.unwrap();
    let late = store::record(
        &tx,
        Uuid::parse_str(&claimed[0].0.id).unwrap(),
        "worker-a",
        &json!({"status": "sent", "log": [{"token": TOKEN, "title": "t", "body": "b"}]}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(!late, "the lease was lost");
    assert_eq!(
        app.count("select count(*) from public.push_notifications where queue_id = (select id from public.notification_queue where dedupe_key = 'therapist_arrived:late:push')").await,
        1
    );
    let attempts: i32 = client
        .query_one(
            "select attempts from public.notification_queue where dedupe_key = 'therapist_arrived:late:push'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn send_queues_for_the_service_and_permitted_staff_only_and_refuses_bad_input() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let service = app.service_key();
    let queued = || app.count("select count(*) from public.notification_queue");
    let before = queued().await;
    for (body, status, code) in [
        (
            json!({"channel": "email", "template_code": "password_reset"}),
            422,
            "invalid_recipients",
        ),
        (
            json!({"channel": "fax", "template_code": "x", "user_id": w.customer}),
            422,
            "invalid_request",
        ),
        (
            json!({"channel": "email", "template_code": "nope", "user_id": w.customer}),
            422,
            "unknown_template",
        ),
        (
            json!({"channel": "sms", "template_code": "otp_login", "recipient": "98765"}),
            422,
            "invalid_recipient",
        ),
        (
            json!({"channel": "push", "template_code": "promotion", "segment_id": Uuid::new_v4()}),
            404,
            "segment_not_found",
        ),
    ] {
        let (got, answer) = post(&app, "/send", &service, &body).await;
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body}: {answer}");
    }
    assert_eq!(queued().await, before, "nothing queued by a refused request");

    let customer = app.user_token(w.customer).await;
    let body = json!({"channel": "in_app", "template_code": "promotion", "user_id": w.other_customer,
                      "payload": {"title": "Hi", "body": "there"}});
    let (got, answer) = post(&app, "/send", &customer, &body).await;
    assert_eq!((got, answer["code"].as_str()), (403, Some("forbidden")));

    let mut body = body;
    body["idempotency_key"] = json!("promo-2025-10-15");
    let (got, answer) = post(&app, "/send", &service, &body).await;
    assert_eq!((got, answer["queued"].as_i64()), (202, Some(1)), "{answer}");
    let (got, answer) = post(&app, "/send", &service, &body).await;
    assert_eq!(
        (got, answer["queued"].as_i64()),
        (202, Some(0)),
        "the same key again: {answer}"
    );
    let worker = worker(&app, "w1", Providers::local(false)).await;
    drain(&worker).await;
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.notifications where user_id = '{}' and title = 'Hi'",
            w.other_customer
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_device_token_belongs_to_one_live_session_and_bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let (meera, kabir) = (app.user_token(w.customer).await, app.user_token(w.other_customer).await);
    let (status, _) = post(
        &app,
        "/devices",
        &meera,
        &json!({"token": TOKEN, "platform": "ios", "device_id": "phone-1"}),
    )
    .await;
    assert_eq!(status, 201);
    // Again from the same device: the same session.
    let (status, _) = post(
        &app,
        "/devices",
        &meera,
        &json!({"token": TOKEN, "platform": "ios", "device_id": "phone-1"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        app.count("select count(*) from public.user_sessions where push_token is not null")
            .await,
        1
    );
    // The phone changes hands: Kabir signs in on it and the token is his alone.
    let (status, _) = post(&app, "/devices", &kabir, &json!({"token": TOKEN, "platform": "ios"})).await;
    assert_eq!(status, 201);
    let owners: Vec<Uuid> = app
        .db
        .client()
        .await
        .query(
            "select user_id from public.user_sessions where push_token is not null",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, vec![w.other_customer]);
    for (body, code) in [
        (json!({"token": "short"}), "invalid_token"),
        (json!({"token": "has spaces in it 000000000"}), "invalid_token"),
        (json!({"token": TOKEN, "platform": "symbian"}), "invalid_platform"),
    ] {
        let (status, answer) = post(&app, "/devices", &meera, &body).await;
        assert_eq!((status, answer["code"].as_str()), (422, Some(code)), "{body}");
    }
    // An app writing the row itself meets the same rule.
    let mut client = app.db.client().await;
    let tx = ombaro_common::testing::as_persona(&mut client, &ombaro_common::testing::Persona::User(w.customer))
        .await
        .unwrap();
    let err = tx
        .execute(
            "insert into public.user_sessions (user_id, push_token) values ($1, 'bad token')",
            &[&w.customer],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), "23514");
    drop(tx);
    // Removing: only one's own.
    let (status, answer) = post(&app, "/devices", &meera, &json!({"token": TOKEN, "remove": true})).await;
    assert_eq!((status, answer["removed"].as_u64()), (200, Some(0)));
    let (status, answer) = post(&app, "/devices", &kabir, &json!({"token": TOKEN, "remove": true})).await;
    assert_eq!((status, answer["removed"].as_u64()), (200, Some(1)));
    let (status, _) = post(&app, "/devices", &app.anon_key(), &json!({"token": TOKEN})).await;
    assert_eq!(status, 401);
}
