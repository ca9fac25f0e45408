//! The booking service over real HTTP against a fresh database: every endpoint, the rules
//! behind them, and bad input that must be refused with nothing written.

mod support;

use serde_json::{json, Value};
use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};

/// Rows a refused request must not have written.
const WRITES: &str = "select (select count(*) from public.bookings) + (select count(*) from public.booking_items)
        + (select count(*) from public.therapist_assignments) + (select count(*) from public.notification_queue)
        + (select count(*) from public.promotion_usage) + (select count(*) from public.booking_status_history)";

#[tokio::test]
async fn a_customer_books_and_everything_is_written_at_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    // 14:00 on a weekday: outside the seeded peak and off-peak windows.
    let start = ist_at(weekday_ahead(2), 14, 0);

    let (status, quote) = app.post_json("/quote", &token, &w.request(&start)).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(app.count(WRITES).await, 0, "a quote writes nothing");
    // Swedish 60 min at ₹2,499.00, +10 % in a metro (Bengaluru is tier 1), GST 5 % (in force
    // since 2025-09-22) rounded half up, ₹49 convenience fee.
    assert_eq!(quote["quote"]["subtotal"], 274890);
    assert_eq!(quote["quote"]["tax_rate_bps"], 500);
    assert_eq!(quote["quote"]["tax_amount"], 13745);
    assert_eq!(quote["quote"]["convenience_fee"], 4900);
    assert_eq!(quote["quote"]["total_amount"], 274890 + 13745 + 4900);

    let mut body = w.request(&start);
    body["expected_total_amount"] = quote["quote"]["total_amount"].clone();
    let (status, booking) = app.post_json("/bookings", &token, &body).await;
    assert_eq!(status, 201, "{booking}");
    let number = booking["booking_number"].as_str().unwrap();
    assert!(
        number.starts_with("OBO-") && number.len() >= "OBO-20250102-0001".len(),
        "{number}"
    );
    assert_eq!(booking["status"], "pending");
    assert_eq!(booking["customer_id"], json!(w.customer));
    assert_eq!(booking["total_amount"], quote["quote"]["total_amount"]);
    assert_eq!(booking["items"].as_array().unwrap().len(), 1);
    // Auto-assigned: both are trained and at the spa; Asha is rated higher.
    assert_eq!(booking["assignments"][0]["therapist_id"], json!(w.asha));
    assert!(!booking["hold_expires_at"].is_null());

    let id = booking["id"].as_str().unwrap();
    let one = |table: &str| format!("select count(*) from public.{table} where booking_id = '{id}'");
    assert_eq!(app.count(&one("booking_items")).await, 1);
    assert_eq!(app.count(&one("booking_status_history")).await, 1);
    assert_eq!(app.count(&one("therapist_assignments")).await, 1);
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.notification_queue where payload ->> 'booking_id' = '{id}'"
        ))
        .await,
        2,
        "customer and vendor are told through the outbox"
    );
    assert_eq!(
        app.count(&format!(
            "select extract(epoch from hold_expires_at - created_at)::int8 from public.bookings where id = '{id}'"
        ))
        .await,
        600,
        "the slot is held for booking_hold_minutes"
    );
}

#[tokio::test]
async fn slots_show_what_is_free() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let date = &ist_at(2, 0, 0)[..10];
    let path = format!("/slots?vendor_id={}&service_id={}&date={date}", w.vendor, w.swd);
    let (status, before) = app.get_json(&path, &token).await;
    assert_eq!(status, 200, "{before}");
    let slots = before["slots"].as_array().unwrap();
    // 09:00 .. 20:00 on a 30-minute grid for a 60-minute session: 23 starts.
    assert_eq!(slots.len(), 23, "{before}");
    assert_eq!(
        slots[0]["start"],
        json!(support::world::instant(2, 9, 0).with_timezone(&chrono::Utc))
    );
    assert_eq!(slots[0]["therapist_ids"].as_array().unwrap().len(), 2);

    let mut body = w.request(&ist_at(2, 11, 0));
    body["therapist_id"] = json!(w.asha);
    assert_eq!(app.post_json("/bookings", &token, &body).await.0, 201);

    let (_, after) = app.get_json(&path, &token).await;
    let at = |t: &str| {
        after["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| {
                s["start"]
                    == json!(chrono::DateTime::parse_from_rfc3339(t)
                        .unwrap()
                        .with_timezone(&chrono::Utc))
            })
            .map(|s| s["therapist_ids"].clone())
    };
    assert_eq!(at(&ist_at(2, 11, 0)), Some(json!([w.ravi])), "Asha is taken at 11:00");
    assert_eq!(
        at(&ist_at(2, 10, 30)),
        Some(json!([w.ravi])),
        "10:30-11:30 overlaps too"
    );
    assert_eq!(at(&ist_at(2, 12, 0)).map(|t| t.as_array().unwrap().len()), Some(2));

    // Anyone may look; bad queries are 400.
    assert_eq!(app.get_json(&path, &app.anon_key()).await.0, 200);
    let (status, err) = app
        .get_json(
            &format!("/slots?vendor_id=nope&service_id={}&date={date}", w.swd),
            &token,
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_query")));
}

/// A coupon code of a 20 % promotion, with the promotion's and the coupon's limits as given.
async fn coupon(app: &TestApp, w: &World, code: &str, valid_to: &str, promo_used: (i32, i32), coupon_used: (i32, i32)) {
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "with p as (
               insert into public.promotions (code, name, type, discount_value, max_discount_amount, valid_from, valid_to,
                                              total_usage_limit, current_usage_count, created_by)
               values ('PROMO_{code}', 'Twenty off', 'percentage', 2000, 100000, now() - interval '30 days', {valid_to},
                       {}, {}, '{}')
               returning id
             )
             insert into public.coupon_codes (code, promotion_id, max_uses, times_used)
             select '{code}', p.id, {}, {} from p",
            promo_used.1, promo_used.0, w.marketer, coupon_used.1, coupon_used.0
        ))
        .await
        .expect("creating a coupon");
}

#[tokio::test]
async fn bad_requests_are_refused_with_a_code_and_nothing_written() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let day = weekday_ahead(2);
    let start = ist_at(day, 14, 0);
    coupon(&app, &w, "OLDDEAL", "now() - interval '1 day'", (0, 100), (0, 5)).await;
    coupon(&app, &w, "SOLDOUT", "now() + interval '30 days'", (1, 1), (0, 5)).await;
    coupon(&app, &w, "USEDUP", "now() + interval '30 days'", (0, 100), (1, 1)).await;

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut body = w.request(&start);
        edit(&mut body);
        body
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "unknown field",
            with(&|b| b["discount"] = json!(100)),
            422,
            "invalid_request",
        ),
        (
            "tampered price",
            with(&|b| b["items"][0]["price"] = json!(1)),
            422,
            "invalid_request",
        ),
        (
            "missing items",
            with(&|b| b["items"] = json!([])),
            422,
            "invalid_request",
        ),
        (
            "unknown service",
            with(&|b| b["items"][0]["service_id"] = json!(uuid::Uuid::new_v4())),
            422,
            "unknown_service",
        ),
        (
            "unknown vendor",
            with(&|b| b["vendor_id"] = json!(uuid::Uuid::new_v4())),
            404,
            "vendor_not_found",
        ),
        (
            "duration not offered",
            with(&|b| b["items"][0]["duration_minutes"] = json!(45)),
            422,
            "duration_not_offered",
        ),
        (
            "past date",
            with(&|b| b["start"] = json!(ist_at(-1, 14, 0))),
            422,
            "start_in_past",
        ),
        (
            "too soon",
            with(&|b| b["start"] = json!(chrono::Utc::now() + chrono::Duration::minutes(20))),
            422,
            "too_short_notice",
        ),
        (
            "beyond horizon",
            with(&|b| b["start"] = json!(ist_at(40, 14, 0))),
            422,
            "beyond_booking_horizon",
        ),
        (
            "before opening",
            with(&|b| b["start"] = json!(ist_at(day, 8, 0))),
            422,
            "outside_opening_hours",
        ),
        (
            "runs past closing",
            with(&|b| b["start"] = json!(ist_at(day, 20, 30))),
            422,
            "outside_opening_hours",
        ),
        (
            "off the grid",
            with(&|b| b["start"] = json!(ist_at(day, 14, 10))),
            422,
            "start_off_grid",
        ),
        (
            "expired coupon",
            with(&|b| b["coupon_code"] = json!("OLDDEAL")),
            422,
            "promotion_expired",
        ),
        (
            "exhausted promotion",
            with(&|b| b["coupon_code"] = json!("SOLDOUT")),
            422,
            "promotion_exhausted",
        ),
        (
            "used-up coupon",
            with(&|b| b["coupon_code"] = json!("USEDUP")),
            422,
            "promotion_exhausted",
        ),
        (
            "unknown coupon",
            with(&|b| b["coupon_code"] = json!("NOSUCH")),
            422,
            "unknown_coupon",
        ),
        (
            "another customer's address",
            with(&|b| {
                b["booking_type"] = json!("home_service");
                b["address_id"] = json!(w.other_address);
            }),
            422,
            "address_not_found",
        ),
        (
            "home visit without a place",
            with(&|b| b["booking_type"] = json!("home_service")),
            422,
            "location_required",
        ),
        (
            "stale price",
            with(&|b| b["expected_total_amount"] = json!(100)),
            409,
            "price_changed",
        ),
        (
            "therapist of another vendor",
            with(&|b| b["therapist_id"] = json!(uuid::Uuid::new_v4())),
            409,
            "therapist_unavailable",
        ),
    ];
    for (name, body, status, code) in cases {
        let (got, err) = app.post_json("/bookings", &token, &body).await;
        assert_eq!((got, err["code"].as_str()), (status, Some(code)), "{name}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {err}");
        assert_eq!(app.count(WRITES).await, 0, "{name} wrote rows");
    }

    // Bodies that are not JSON, too big, or not sent as JSON.
    let url = app.url("/functions/v1/booking-service/bookings");
    let raw = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
    };
    let resp = raw(b"{\"vendor_id\": ".to_vec(), "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "malformed_json");
    let mut big = w.request(&start);
    big["special_instructions"] = json!("x".repeat(900));
    big["items"] = json!(vec![big["items"][0].clone(); 2000]);
    let resp = raw(serde_json::to_vec(&big).unwrap(), "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "payload_too_large");
    let resp = raw(serde_json::to_vec(&w.request(&start)).unwrap(), "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    assert_eq!(app.count(WRITES).await, 0);

    // Without a user: 401; with an API key but no user: 401.
    let (status, _) = app.post_json("/bookings", &app.anon_key(), &w.request(&start)).await;
    assert_eq!(status, 401);

    // A taken slot: the first booking holds Asha at 14:00; asking for her again is a 409.
    let mut first = w.request(&start);
    first["therapist_id"] = json!(w.asha);
    assert_eq!(app.post_json("/bookings", &token, &first).await.0, 201);
    let before = app.count(WRITES).await;
    let (status, err) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &first)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("therapist_unavailable")),
        "{err}"
    );
    assert_eq!(app.count(WRITES).await, before);
}

#[tokio::test]
async fn coupons_discount_and_are_counted_once() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    coupon(&app, &w, "WELCOME20", "now() + interval '30 days'", (0, 100), (0, 1)).await;
    let mut body = w.request(&ist_at(weekday_ahead(2), 14, 0));
    body["coupon_code"] = json!("welcome20");
    let (status, quote) = app.post_json("/quote", &app.user_token(w.customer).await, &body).await;
    assert_eq!(status, 200, "{quote}");
    // 20 % of ₹2,748.90.
    assert_eq!(quote["quote"]["discount_amount"], 54978);
    let (status, booking) = app
        .post_json("/bookings", &app.user_token(w.customer).await, &body)
        .await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(booking["discount_amount"], 54978);
    assert_eq!(
        app.count("select count(*) from public.promotion_usage").await,
        1,
        "the redemption is recorded"
    );
    assert_eq!(
        app.count("select times_used::int8 from public.coupon_codes where code = 'WELCOME20'")
            .await,
        1
    );
    // The single-use coupon is spent.
    body["start"] = json!(ist_at(weekday_ahead(2), 16, 0));
    let (status, err) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &body)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("promotion_exhausted")),
        "{err}"
    );
}

#[tokio::test]
async fn a_retried_request_with_the_same_key_returns_the_first_booking() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let body = w.request(&ist_at(2, 15, 0));
    let send = |key: &'static str, body: Value| {
        app.http
            .post(app.url("/functions/v1/booking-service/bookings"))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send("retry-key-0001", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("retry-key-0001", body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["booking_number"], first["booking_number"]);
    assert_eq!(app.count("select count(*) from public.bookings").await, 1);

    // Concurrent retries: still one booking.
    let body2 = w.request(&ist_at(2, 17, 0));
    let results = futures_util::future::join_all((0..5).map(|_| send("retry-key-0002", body2.clone()))).await;
    let ids: std::collections::BTreeSet<String> = futures_util::future::join_all(results.into_iter().map(|r| async {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }))
    .await
    .into_iter()
    .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("select count(*) from public.bookings").await, 2);

    // The same key for a different booking is refused.
    let resp = send("retry-key-0001", w.request(&ist_at(2, 18, 0))).await.unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "idempotency_key_reused");
    let resp = send("short", body).await.unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn fifty_customers_racing_for_one_slot_get_one_booking() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let mut body = w.request(&ist_at(3, 12, 0));
    body["therapist_id"] = json!(w.ravi);
    let token = app.user_token(w.customer).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(50));
    let requests = (0..50).map(|_| {
        let (barrier, body, token, url, http) = (
            barrier.clone(),
            body.clone(),
            token.clone(),
            app.url("/functions/v1/booking-service/bookings"),
            app.http.clone(),
        );
        tokio::spawn(async move {
            barrier.wait().await;
            let resp = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
    });
    let outcomes: Vec<(u16, Value)> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let conflicts: Vec<&Value> = outcomes.iter().filter(|(s, _)| *s == 409).map(|(_, b)| b).collect();
    assert_eq!((created, conflicts.len()), (1, 49), "{outcomes:?}");
    assert!(conflicts.iter().all(|b| {
        matches!(b["code"].as_str(), Some("slot_unavailable" | "therapist_unavailable"))
            && b["message"].as_str().is_some_and(|m| m.contains("therapist"))
    }));
    assert_eq!(
        app.count("select count(*) from public.bookings").await,
        1,
        "losers left nothing"
    );
    assert_eq!(
        app.count("select count(*) from public.therapist_assignments where status = 'assigned'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_expired_hold_frees_the_slot() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let mut body = w.request(&ist_at(2, 10, 0));
    body["therapist_id"] = json!(w.asha);
    let (status, held) = app
        .post_json("/bookings", &app.user_token(w.customer).await, &body)
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &body)
        .await;
    assert_eq!(status, 409, "a live hold keeps the slot");
    app.db
        .client()
        .await
        .execute(
            "update public.bookings set hold_expires_at = now() - interval '1 minute' where id = $1::text::uuid",
            &[&held["id"].as_str().unwrap()],
        )
        .await
        .unwrap();
    let (status, taken) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &body)
        .await;
    assert_eq!(status, 201, "{taken}");
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.bookings where id = '{}' and status = 'cancelled'",
            held["id"].as_str().unwrap()
        ))
        .await,
        1,
        "the lapsed hold was released"
    );
}

#[tokio::test]
async fn home_visits_go_to_therapists_within_reach() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let mut body = w.request(&ist_at(2, 13, 0));
    body["booking_type"] = json!("home_service");
    body["address_id"] = json!(w.address);
    body["gender_preference"] = json!("male");
    let (status, booking) = app.post_json("/bookings", &token, &body).await;
    assert_eq!(status, 201, "{booking}");
    assert_eq!(
        booking["assignments"][0]["therapist_id"],
        json!(w.ravi),
        "male therapist asked for"
    );
    assert_eq!(booking["assignments"][0]["travel_buffer_minutes"], 30);
    assert_eq!(booking["service_location"]["latitude"], json!(12.9716));

    // 60 km away is outside the 10 km radius: nobody can go.
    body["address_id"] = Value::Null;
    body["location"] = json!({ "latitude": 12.9716, "longitude": 78.15, "address": "Kolar" });
    body["gender_preference"] = json!("any");
    let (status, err) = app.post_json("/bookings", &token, &body).await;
    assert_eq!((status, err["code"].as_str()), (409, Some("slot_unavailable")), "{err}");
}

/// A pending booking of the customer with Asha at `hh:00`, `days` ahead; returns its JSON.
async fn booked(app: &TestApp, w: &World, days: i64, hh: u32) -> Value {
    let mut body = w.request(&ist_at(days, hh, 0));
    body["therapist_id"] = json!(w.asha);
    let (status, booking) = app
        .post_json("/bookings", &app.user_token(w.customer).await, &body)
        .await;
    assert_eq!(status, 201, "{booking}");
    booking
}

#[tokio::test]
async fn the_vendor_assigns_and_runs_the_booking_and_the_therapist_reports_progress() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = booked(&app, &w, 2, 11).await;
    let id = booking["id"].as_str().unwrap();
    let (customer, vendor) = (app.user_token(w.customer).await, app.user_token(w.vendor).await);
    let (asha, ravi) = (app.user_token(w.asha_user).await, app.user_token(w.ravi_user).await);

    // Customers and therapists do not move bookings; strangers do not even see them.
    let (status, err) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &customer,
            &json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("actor_not_allowed")),
        "{err}"
    );
    let (status, _) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &app.user_token(w.rival_vendor).await,
            &json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, err) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &vendor,
            &json!({"status": "completed"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("illegal_transition")),
        "{err}"
    );
    let (status, err) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &vendor,
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (422, Some("use_cancel")));

    // The vendor confirms (as a payment would), then hands the booking to Ravi.
    let (status, confirmed) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &vendor,
            &json!({"status": "confirmed", "reason": "paid at desk"}),
        )
        .await;
    assert_eq!(
        (status, confirmed["status"].as_str()),
        (200, Some("confirmed")),
        "{confirmed}"
    );
    assert!(
        confirmed["hold_expires_at"].is_null(),
        "confirmed bookings hold no more"
    );
    let (status, err) = app
        .post_json(
            &format!("/bookings/{id}/assign"),
            &customer,
            &json!({"therapist_id": w.ravi}),
        )
        .await;
    assert_eq!((status, err["code"].as_str()), (403, Some("not_allowed")));
    let (status, assigned) = app
        .post_json(
            &format!("/bookings/{id}/assign"),
            &vendor,
            &json!({"therapist_id": w.ravi}),
        )
        .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!(assigned["status"], "assigned");
    let assignments = assigned["assignments"].as_array().unwrap();
    assert_eq!(assignments.len(), 1, "the previous assignment was replaced");
    assert_eq!(assignments[0]["therapist_id"], json!(w.ravi));
    let assignment = assignments[0]["id"].as_str().unwrap().to_owned();

    // Ravi is taken now: another booking cannot have him at 11:00.
    let mut clash = w.request(&ist_at(2, 11, 0));
    clash["therapist_id"] = json!(w.ravi);
    let (status, _) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &clash)
        .await;
    assert_eq!(status, 409);

    // Progress is the therapist's to report, one step at a time.
    let step = |token: String, status: &'static str| {
        let path = format!("/assignments/{assignment}/status");
        let app = &app;
        async move { app.post_json(&path, &token, &json!({ "status": status })).await }
    };
    let (status, err) = step(asha.clone(), "acknowledged").await;
    assert_eq!(status, 404, "not Asha's assignment: {err}");
    let (status, err) = step(vendor.clone(), "acknowledged").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("actor_not_allowed")),
        "{err}"
    );
    let (status, err) = step(ravi.clone(), "completed").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("actor_not_allowed")),
        "skipping steps: {err}"
    );
    assert_eq!(step(ravi.clone(), "acknowledged").await.0, 200);
    assert_eq!(step(ravi.clone(), "reached").await.0, 200);
    let (status, started) = step(ravi.clone(), "in_progress").await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["booking"]["status"], "in_progress", "the booking follows");
    let (status, done) = step(ravi.clone(), "completed").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["booking"]["status"], "completed");
    let (status, err) = step(ravi, "in_progress").await;
    assert_eq!((status, err["code"].as_str()), (409, Some("illegal_transition")));

    // The history tells the whole story, with who did what.
    let history: Vec<String> = app
        .db
        .client()
        .await
        .query(
            "select coalesce(from_status, '-') || '>' || to_status from public.booking_status_history
              where booking_id = $1::text::uuid order by changed_at, created_at",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        history,
        [
            "->pending",
            "pending>confirmed",
            "confirmed>assigned",
            "assigned>in_progress",
            "in_progress>completed"
        ]
    );
}

#[tokio::test]
async fn reschedules_follow_the_vendor_policy() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let customer = app.user_token(w.customer).await;
    let vendor = app.user_token(w.vendor).await;
    let booking = booked(&app, &w, 3, 11).await;
    let id = booking["id"].as_str().unwrap();
    app.post_json(
        &format!("/bookings/{id}/status"),
        &vendor,
        &json!({"status": "confirmed"}),
    )
    .await;

    // Moving to 15:00 keeps Asha, who is free then.
    let (status, moved) = app
        .post_json(
            &format!("/bookings/{id}/reschedule"),
            &customer,
            &json!({"start": ist_at(3, 15, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "confirmed");
    assert_eq!(moved["reschedule_count"], 1);
    assert_eq!(moved["booking_time"], "15:00");
    assert_eq!(moved["assignments"][0]["therapist_id"], json!(w.asha));
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(moved["assignments"][0]["scheduled_start"].as_str().unwrap()).unwrap(),
        support::world::instant(3, 15, 0)
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.booking_reschedules where booking_id = '{id}' and requested_by_role = 'customer'"
        ))
        .await,
        1
    );

    // 11:00 is free again; a slot Asha holds elsewhere moves the booking to Ravi.
    let other = booked(&app, &w, 3, 17).await;
    assert_eq!(other["assignments"][0]["therapist_id"], json!(w.asha));
    let (status, moved) = app
        .post_json(
            &format!("/bookings/{id}/reschedule"),
            &customer,
            &json!({"start": ist_at(3, 17, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["assignments"][0]["therapist_id"], json!(w.ravi));
    assert_eq!(moved["reschedule_count"], 2);

    // The vendor allows two moves; a third is refused, with nothing written.
    let (status, err) = app
        .post_json(
            &format!("/bookings/{id}/reschedule"),
            &customer,
            &json!({"start": ist_at(3, 12, 0)}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("reschedule_limit_reached")),
        "{err}"
    );
    // The vendor itself is not bound by the customer policy.
    let (status, moved) = app
        .post_json(
            &format!("/bookings/{id}/reschedule"),
            &vendor,
            &json!({"start": ist_at(3, 12, 0)}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.booking_reschedules where booking_id = '{id}'"
        ))
        .await,
        3
    );

    // Inside the vendor's cutoff a customer can no longer move it (the cutoff raised to 100 h,
    // so a booking three days out is inside it whatever the time of day).
    let late = booked(&app, &w, 3, 19).await;
    app.db
        .client()
        .await
        .execute(
            "update public.vendors set reschedule_cutoff_hours = 100 where id = $1",
            &[&w.vendor],
        )
        .await
        .unwrap();
    let (status, err) = app
        .post_json(
            &format!("/bookings/{}/reschedule", late["id"].as_str().unwrap()),
            &customer,
            &json!({"start": ist_at(3, 20, 0)}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("reschedule_too_late")),
        "{err}"
    );
}

#[tokio::test]
async fn cancelling_costs_what_the_notice_says() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let customer = app.user_token(w.customer).await;
    let vendor = app.user_token(w.vendor).await;
    // Paid in full, cancelled three days ahead: free (the vendor's window is 24 h).
    let early = booked(&app, &w, 3, 11).await;
    let id = early["id"].as_str().unwrap();
    let total = early["total_amount"].as_i64().unwrap();
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, total_amount, currency,
                                          payment_method, payment_gateway, status, payment_date)
             values ('TXN-{id}', '{id}', '{}', '{}', {total}, {total}, 'INR', 'cash', 'cash', 'success', now())",
            w.customer, w.vendor
        ))
        .await
        .unwrap();
    let (status, out) = app
        .post_json(
            &format!("/bookings/{id}/cancel"),
            &customer,
            &json!({"reason": "travelling"}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["booking"]["status"], "cancelled");
    assert_eq!(out["booking"]["assignments"], json!([]), "the therapist is freed");
    assert_eq!(out["cancellation"]["tier"], "free");
    assert_eq!(out["cancellation"]["cancellation_fee"], 0);
    assert_eq!(out["cancellation"]["refund_due"], total);
    let row = app
        .db
        .client()
        .await
        .query_one(
            "select actor_role, reason_code, refund_due, cancelled_by from public.booking_cancellations
              where booking_id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "customer");
    assert_eq!(row.get::<_, String>(1), "change_of_plans");
    assert_eq!(row.get::<_, i64>(2), total);
    assert_eq!(row.get::<_, Option<uuid::Uuid>>(3), Some(w.customer));
    let (status, err) = app
        .post_json(&format!("/bookings/{id}/cancel"), &customer, &json!({}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("illegal_transition")),
        "cancelled is final"
    );

    // Inside the window (raised to 100 h): the vendor's 25 % of the total, unpaid so no refund.
    app.db
        .client()
        .await
        .execute(
            "update public.vendors set free_cancellation_hours = 100 where id = $1",
            &[&w.vendor],
        )
        .await
        .unwrap();
    let late = booked(&app, &w, 3, 15).await;
    let late_total = late["total_amount"].as_i64().unwrap();
    // No body at all: every field of a cancel is optional.
    let resp = app
        .http
        .post(app.url(&format!(
            "/functions/v1/booking-service/bookings/{}/cancel",
            late["id"].as_str().unwrap()
        )))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let out: Value = resp.json().await.unwrap();
    assert_eq!(out["cancellation"]["tier"], "late");
    assert_eq!(out["cancellation"]["cancellation_fee"], (late_total * 25 + 50) / 100);
    assert_eq!(out["cancellation"]["refund_due"], 0);

    // The business cancelling never costs the customer; therapists cannot cancel.
    let third = booked(&app, &w, 3, 17).await;
    let third_id = third["id"].as_str().unwrap();
    let (status, _) = app
        .post_json(
            &format!("/bookings/{third_id}/cancel"),
            &app.user_token(w.asha_user).await,
            &json!({}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, out) = app
        .post_json(
            &format!("/bookings/{third_id}/cancel"),
            &vendor,
            &json!({"reason_code": "therapist_unavailable"}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["cancellation"]["tier"], "by_business");
    assert_eq!(out["cancellation"]["cancellation_fee"], 0);
    assert_eq!(
        app.count("select count(*) from public.notification_queue where event_type = 'booking.cancelled'")
            .await,
        6,
        "customer and vendor told of each cancellation"
    );
}

#[tokio::test]
async fn variants_and_add_ons_price_and_lengthen_the_session() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let client = app.db.client().await;
    let id = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, uuid::Uuid>(0) }
    };
    let swd_90 = id(
        "select v.id from public.service_variants v join public.services s on s.id = v.service_id
                      where s.code = 'SWD' and v.duration_minutes = 90",
    )
    .await;
    let head = id("select id from public.addon_services where code = 'HEAD_15'").await;
    let steam = id("select id from public.addon_services where code = 'STEAM_15'").await;

    let day = weekday_ahead(2);
    let mut body = w.request(&ist_at(day, 14, 0));
    body["items"] = json!([{ "service_id": w.swd, "variant_id": swd_90, "addon_ids": [head] }]);
    let (status, quote) = app.post_json("/quote", &token, &body).await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(
        quote["session_minutes"], 105,
        "90 minutes plus a 15-minute head massage"
    );
    let item = &quote["quote"]["items"][0];
    assert_eq!(item["duration"], 90);
    assert_eq!(item["addon_amount"], 49900);
    // The variant's ₹3,499 with the metro tier, plus the add-on.
    assert_eq!(item["subtotal"], 384890 + 49900);

    let (status, slots) = app
        .get_json(
            &format!(
                "/slots?vendor_id={}&service_id={}&date={}&variant_id={swd_90}&addon_ids={head}",
                w.vendor,
                w.swd,
                &ist_at(day, 0, 0)[..10]
            ),
            &token,
        )
        .await;
    assert_eq!(status, 200, "{slots}");
    assert_eq!(slots["duration_minutes"], 105);
    let last = slots["slots"].as_array().unwrap().last().unwrap()["start"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&last).unwrap(),
        support::world::instant(day, 19, 0),
        "the last start that ends by 21:00"
    );

    // Steam needs the spa's room: not for home visits.
    body["booking_type"] = json!("home_service");
    body["address_id"] = json!(w.address);
    body["items"][0]["addon_ids"] = json!([steam]);
    let (status, err) = app.post_json("/quote", &token, &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("addon_not_offered_here")),
        "{err}"
    );
}

/// The next-candidate path of auto-assignment: a therapist the exclusion constraint refuses
/// leaves the transaction usable (what it did before stays), and the next one is assigned.
#[tokio::test]
async fn a_refused_candidate_leaves_the_transaction_usable_for_the_next() {
    use ombaro_booking::service::store::{try_insert_assignment, NewAssignment};

    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let start = ist_at(weekday_ahead(2), 14, 0);
    let book = |customer: uuid::Uuid, therapist: uuid::Uuid| {
        let mut body = w.request(&start);
        body["therapist_id"] = json!(therapist);
        let app = &app;
        async move {
            let token = app.user_token(customer).await;
            let (status, booking) = app.post_json("/bookings", &token, &body).await;
            assert_eq!(status, 201, "{booking}");
            booking
        }
    };
    let first = book(w.customer, w.asha).await;
    let second = book(w.other_customer, w.ravi).await;
    let id = |v: &Value| v.as_str().unwrap().parse::<uuid::Uuid>().unwrap();
    let second_id = id(&second["id"]);

    let services = app.db.app_db(&ombaro_common::db::PoolConfig::default()).await;
    let mut client = services.get().await.unwrap();
    let tx = services.begin_as_service(&mut client).await.unwrap();
    tx.execute(
        "update public.therapist_assignments set status = 'cancelled' where booking_id = $1",
        &[&second_id],
    )
    .await
    .unwrap();
    let starts: chrono::DateTime<chrono::Utc> = second["scheduled_start"].as_str().unwrap().parse().unwrap();
    let ends: chrono::DateTime<chrono::Utc> = second["scheduled_end"].as_str().unwrap().parse().unwrap();
    let candidate = |therapist_id| NewAssignment {
        booking_id: second_id,
        therapist_id,
        vendor_id: w.vendor,
        customer_id: w.other_customer,
        service_id: w.swd,
        start: starts,
        end: ends,
        address: "Serene spa",
        point: None,
    };
    let refused = try_insert_assignment(&tx, &candidate(w.asha)).await.unwrap_err();
    assert_eq!(refused.code, "slot_unavailable", "Asha holds the first booking");
    try_insert_assignment(&tx, &candidate(w.ravi))
        .await
        .expect("the transaction is still usable and Ravi is free again");
    tx.commit().await.unwrap();

    let active = |booking: uuid::Uuid| {
        let app = &app;
        async move {
            app.db
                .client()
                .await
                .query(
                    "select therapist_id, status from public.therapist_assignments where booking_id = $1 order by created_at",
                    &[&booking],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get::<_, uuid::Uuid>(0), r.get::<_, String>(1)))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(active(id(&first["id"])).await, vec![(w.asha, "assigned".to_owned())]);
    assert_eq!(
        active(second_id).await,
        vec![(w.ravi, "cancelled".to_owned()), (w.ravi, "assigned".to_owned())],
        "the cancellation before the refusal was kept"
    );
}

// ---------------------------------------------------------------------------------------
// Lengths, idempotency, following, the outbox, races and the status rules

/// The seeded Swedish 90-minute variant and 15-minute head massage add-on.
async fn swd_90_and_head(app: &TestApp) -> (uuid::Uuid, uuid::Uuid) {
    let client = app.db.client().await;
    let one = |sql: &'static str| {
        let client = &client;
        async move { client.query_one(sql, &[]).await.unwrap().get::<_, uuid::Uuid>(0) }
    };
    (
        one(
            "select v.id from public.service_variants v join public.services s on s.id = v.service_id
              where s.code = 'SWD' and v.duration_minutes = 90",
        )
        .await,
        one("select id from public.addon_services where code = 'HEAD_15'").await,
    )
}

#[tokio::test]
async fn slot_lengths_come_from_the_catalogue_and_never_overflow() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let (swd_90, head) = swd_90_and_head(&app).await;
    let day = weekday_ahead(2);
    let date = &ist_at(day, 0, 0)[..10];
    let slots = |extra: String| format!("/slots?vendor_id={}&service_id={}&date={date}{extra}", w.vendor, w.swd);

    // u32::MAX minutes and a 15-minute add-on used to wrap round to a 14-minute session (and
    // to panic in a debug build); a variant offers its own length and nothing else.
    let refused: Vec<(&str, String, u16, &str)> = vec![
        (
            "overflowing minutes with a variant",
            format!("&variant_id={swd_90}&duration_minutes=4294967295&addon_ids={head}"),
            422,
            "duration_not_offered",
        ),
        (
            "615 minutes of a 90-minute variant",
            format!("&variant_id={swd_90}&duration_minutes=615"),
            422,
            "duration_not_offered",
        ),
        (
            "60 minutes of a 90-minute variant",
            format!("&variant_id={swd_90}&duration_minutes=60"),
            422,
            "duration_not_offered",
        ),
        (
            "overflowing minutes without a variant",
            format!("&duration_minutes=4294967295&addon_ids={head}"),
            422,
            "duration_not_offered",
        ),
        (
            "an add-on that does not exist",
            format!("&addon_ids={}", uuid::Uuid::new_v4()),
            422,
            "unknown_addon",
        ),
        (
            "a variant of another service",
            format!("&variant_id={}", uuid::Uuid::new_v4()),
            422,
            "variant_not_found",
        ),
        (
            "minutes beyond u32",
            "&duration_minutes=4294967296".to_owned(),
            400,
            "invalid_query",
        ),
        (
            "an id that is not a uuid",
            "&variant_id=nope".to_owned(),
            400,
            "invalid_query",
        ),
    ];
    for (name, extra, status, code) in refused {
        let (got, err) = app.get_json(&slots(extra), &token).await;
        assert_eq!((got, err["code"].as_str()), (status, Some(code)), "{name}: {err}");
    }
    for extra in [
        format!("&variant_id={swd_90}"),
        format!("&variant_id={swd_90}&duration_minutes=90"),
    ] {
        let (status, ok) = app.get_json(&slots(extra), &token).await;
        assert_eq!(status, 200, "{ok}");
        assert_eq!(ok["duration_minutes"], 90);
    }

    // /quote and /bookings judge the same choice the same way.
    let mut body = w.request(&ist_at(day, 14, 0));
    body["items"] = json!([{ "service_id": w.swd, "variant_id": swd_90, "duration_minutes": 615 }]);
    let (status, err) = app.post_json("/quote", &token, &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("duration_not_offered")),
        "{err}"
    );
    body["items"][0]["duration_minutes"] = json!(u32::MAX);
    body["items"][0]["addon_ids"] = json!([head]);
    let (status, err) = app.post_json("/bookings", &token, &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("duration_not_offered")),
        "{err}"
    );
    assert_eq!(app.count(WRITES).await, 0);
}

/// `POST /bookings` with an `Idempotency-Key`: status, body, and whether it was a replay.
async fn keyed(app: &TestApp, token: &str, key: &str, body: &Value) -> (u16, Value, bool) {
    let resp = app
        .http
        .post(app.url("/functions/v1/booking-service/bookings"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    (status, resp.json().await.unwrap_or(Value::Null), replayed)
}

#[tokio::test]
async fn an_idempotency_key_names_one_request() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let day = weekday_ahead(2);
    let mut body = w.request(&ist_at(day, 15, 0));
    body["therapist_id"] = json!(w.asha);
    let (status, first, _) = keyed(&app, &token, "one-request-0001", &body).await;
    assert_eq!(status, 201, "{first}");

    // The same vendor and start, but not the same request: refused, nothing written.
    let other = |edit: &dyn Fn(&mut Value)| {
        let mut other = body.clone();
        edit(&mut other);
        other
    };
    let before = app.count(WRITES).await;
    for (name, other) in [
        ("other items", other(&|b| b["items"][0]["duration_minutes"] = json!(90))),
        (
            "another service",
            other(&|b| b["items"][0]["service_id"] = json!(w.dpt)),
        ),
        ("another therapist", other(&|b| b["therapist_id"] = json!(w.ravi))),
        (
            "no therapist named",
            other(&|b| {
                b.as_object_mut().unwrap().remove("therapist_id");
            }),
        ),
        ("another start", other(&|b| b["start"] = json!(ist_at(day, 16, 0)))),
    ] {
        let (status, err, replayed) = keyed(&app, &token, "one-request-0001", &other).await;
        assert_eq!(
            (status, err["code"].as_str(), replayed),
            (422, Some("idempotency_key_reused"), false),
            "{name}: {err}"
        );
    }
    assert_eq!(app.count(WRITES).await, before);

    // The same request spelt differently (UTC instant, defaults written out, other key
    // order) is the same request: replayed.
    let start = chrono::DateTime::parse_from_rfc3339(body["start"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let respelt = json!({
        "therapist_id": w.asha, "booking_type": "spa_visit", "gender_preference": "any",
        "items": [{ "quantity": 1, "duration_minutes": 60, "service_id": w.swd, "addon_ids": [] }],
        "start": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "vendor_id": w.vendor,
    });
    let (status, again, replayed) = keyed(&app, &token, "one-request-0001", &respelt).await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.count("select count(*) from public.bookings").await, 1);
    // Keys are the customer's own: another customer's same key is a new booking.
    let mut theirs = body.clone();
    theirs["therapist_id"] = json!(w.ravi);
    let (status, _, replayed) = keyed(
        &app,
        &app.user_token(w.other_customer).await,
        "one-request-0001",
        &theirs,
    )
    .await;
    assert_eq!((status, replayed), (201, false));
}

#[tokio::test]
async fn without_the_early_look_up_a_retry_still_replays() {
    use ombaro_booking::service::ServiceOptions;

    // The early look-up is a shortcut; a retry that races its original past it meets the
    // booking's own assignment (the therapist it named is taken) or the key's unique index.
    let app = TestApp::spawn_booking_service(ServiceOptions { early_replay: false }).await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let day = weekday_ahead(2);

    let mut named = w.request(&ist_at(day, 11, 0));
    named["therapist_id"] = json!(w.asha);
    let (status, first, replayed) = keyed(&app, &token, "named-therapist-01", &named).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    let (status, again, replayed) = keyed(&app, &token, "named-therapist-01", &named).await;
    assert_eq!(
        (status, again["code"].as_str(), replayed),
        (201, None, true),
        "a retry is answered with its booking, not with its own therapist taken: {again}"
    );
    assert_eq!(again["id"], first["id"]);

    let auto = w.request(&ist_at(day, 13, 0));
    let (status, first_auto, _) = keyed(&app, &token, "auto-therapist-01", &auto).await;
    assert_eq!(status, 201, "{first_auto}");
    let (status, again, replayed) = keyed(&app, &token, "auto-therapist-01", &auto).await;
    assert_eq!((status, replayed), (201, true), "{again}");
    assert_eq!(again["id"], first_auto["id"]);

    // Another request under a used key is refused on this path too.
    let (status, err, _) = keyed(&app, &token, "named-therapist-01", &auto).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("idempotency_key_reused")),
        "{err}"
    );

    // Retries racing each other: one booking, and every one of them is answered with it.
    let mut racing = w.request(&ist_at(day, 17, 0));
    racing["therapist_id"] = json!(w.ravi);
    let replies =
        futures_util::future::join_all((0..6).map(|_| keyed(&app, &token, "racing-retries-1", &racing))).await;
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|(status, body, _)| {
            assert_eq!(*status, 201, "{replies:?}");
            body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{replies:?}");
    assert_eq!(replies.iter().filter(|(_, _, replayed)| !replayed).count(), 1);
    assert_eq!(app.count("select count(*) from public.bookings").await, 3);
}

/// Waits until some session of the test's database waits for a lock.
async fn someone_waits_for_a_lock(app: &TestApp) {
    let client = app.db.client().await;
    for _ in 0..500 {
        let waiting: i64 = client
            .query_one(
                "select count(*) from pg_stat_activity
                  where datname = current_database() and wait_event_type = 'Lock'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no request ever waited for the booking's lock");
}

#[tokio::test]
async fn the_booking_follows_its_assignment_or_nothing_moves() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = booked(&app, &w, 2, 11).await;
    let id: uuid::Uuid = booking["id"].as_str().unwrap().parse().unwrap();
    let vendor = app.user_token(w.vendor).await;
    let (status, _) = app
        .post_json(
            &format!("/bookings/{id}/status"),
            &vendor,
            &json!({"status": "confirmed"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, assigned) = app
        .post_json(
            &format!("/bookings/{id}/assign"),
            &vendor,
            &json!({"therapist_id": w.ravi}),
        )
        .await;
    assert_eq!((status, assigned["status"].as_str()), (200, Some("assigned")));
    let assignment = assigned["assignments"][0]["id"].as_str().unwrap().to_owned();
    let ravi = app.user_token(w.ravi_user).await;
    let step = format!("/assignments/{assignment}/status");
    assert_eq!(
        app.post_json(&step, &ravi, &json!({"status": "acknowledged"})).await.0,
        200
    );

    // The desk takes the booking back to confirmed while Ravi reports the start: his request
    // runs into the desk's uncommitted change and goes on once it commits.
    let mut desk = app.db.client().await;
    let desk = desk.transaction().await.unwrap();
    desk.execute("update public.bookings set status = 'confirmed' where id = $1", &[&id])
        .await
        .unwrap();
    let start = json!({"status": "in_progress"});
    let ((status, reply), ()) = tokio::join!(app.post_json(&step, &ravi, &start), async {
        someone_waits_for_a_lock(&app).await;
        desk.commit().await.unwrap();
    });

    let now = |sql: &'static str| {
        let app = &app;
        async move {
            app.db
                .client()
                .await
                .query_one(sql, &[&id])
                .await
                .unwrap()
                .get::<_, String>(0)
        }
    };
    let booking_now = now("select status from public.bookings where id = $1").await;
    let assignment_now = now("select status from public.therapist_assignments where booking_id = $1 and therapist_id is not null order by created_at desc limit 1").await;
    match status {
        // The booking moved from what it is now, confirmed.
        200 => {
            assert_eq!(reply["booking"]["status"], "in_progress", "{reply}");
            assert_eq!(
                (booking_now.as_str(), assignment_now.as_str()),
                ("in_progress", "in_progress")
            );
        }
        // Or nothing moved at all.
        409 => {
            assert_eq!(reply["code"], "status_changed", "{reply}");
            assert_eq!(
                (booking_now.as_str(), assignment_now.as_str()),
                ("confirmed", "acknowledged")
            );
        }
        other => panic!("{other}: {reply}"),
    }
}

#[tokio::test]
async fn a_retried_assignment_changes_nothing_and_tells_nobody_twice() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let booking = booked(&app, &w, 2, 11).await;
    let id = booking["id"].as_str().unwrap().to_owned();
    let vendor = app.user_token(w.vendor).await;
    app.post_json(
        &format!("/bookings/{id}/status"),
        &vendor,
        &json!({"status": "confirmed"}),
    )
    .await;
    let assign = |therapist: uuid::Uuid| {
        let (app, path, vendor) = (&app, format!("/bookings/{id}/assign"), vendor.clone());
        async move {
            let (status, view) = app
                .post_json(&path, &vendor, &json!({ "therapist_id": therapist }))
                .await;
            assert_eq!(status, 200, "{view}");
            assert_eq!(view["status"], "assigned");
            assert_eq!(view["assignments"].as_array().unwrap().len(), 1, "{view}");
            view["assignments"][0]["id"].as_str().unwrap().to_owned()
        }
    };
    let told = |event: &'static str| {
        let (app, id) = (&app, id.clone());
        async move {
            app.count(&format!(
                "select count(*) from public.notification_queue
                  where event_type = '{event}' and payload ->> 'booking_id' = '{id}'"
            ))
            .await
        }
    };

    let ravi = assign(w.ravi).await;
    // The vendor's app retries: the same assignment, no second message to anyone.
    assert_eq!(assign(w.ravi).await, ravi);
    assert_eq!(
        (
            told("assignment.created").await,
            told("booking.therapist_assigned").await
        ),
        (1, 1)
    );
    // A change of therapist is news, and so is the first one coming back.
    let asha = assign(w.asha).await;
    assert_ne!(asha, ravi);
    let ravi_again = assign(w.ravi).await;
    assert_ne!(ravi_again, ravi);
    assert_eq!(
        (
            told("assignment.created").await,
            told("booking.therapist_assigned").await
        ),
        (3, 3)
    );
}

#[tokio::test]
async fn racing_for_overlapping_slots_and_buffers_leaves_one_booking() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let day = weekday_ahead(3);
    // Every request names Ravi and every two of them overlap, home visits through the
    // vendor's 30-minute travel buffer after them (a home visit 10:00-11:00 and a spa session
    // at 11:00 only so); no two take the same time, so a rule that refused only identical
    // ranges would let several through.
    let shapes: [(bool, u32, u32, u32); 7] = [
        (false, 10, 30, 60),
        (false, 11, 0, 60),
        (false, 10, 0, 120),
        (false, 11, 0, 120),
        (true, 10, 0, 60),
        (true, 10, 30, 90),
        (true, 11, 0, 60),
    ];
    let bodies: Vec<Value> = (0..28)
        .map(|i| {
            let (home, hh, mm, minutes) = shapes[i % shapes.len()];
            let mut body = w.request(&ist_at(day, hh, mm));
            body["therapist_id"] = json!(w.ravi);
            body["items"][0]["duration_minutes"] = json!(minutes);
            if home {
                body["booking_type"] = json!("home_service");
                body["address_id"] = json!(w.address);
            }
            body
        })
        .collect();
    let token = app.user_token(w.customer).await;
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(bodies.len()));
    let requests = bodies.into_iter().map(|body| {
        let (barrier, token, url, http) = (
            barrier.clone(),
            token.clone(),
            app.url("/functions/v1/booking-service/bookings"),
            app.http.clone(),
        );
        tokio::spawn(async move {
            barrier.wait().await;
            let resp = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
    });
    let outcomes: Vec<(u16, Value)> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|(s, b)| *s == 201
            || (*s == 409 && matches!(b["code"].as_str(), Some("slot_unavailable" | "therapist_unavailable")))),
        "{outcomes:?}"
    );
    assert_eq!(app.count("select count(*) from public.bookings").await, 1);
    assert_eq!(
        app.count(
            "select count(*) from public.therapist_assignments a
               join public.therapist_assignments b
                 on a.therapist_id = b.therapist_id and a.id < b.id and a.busy_during && b.busy_during
              where a.status <> 'cancelled' and b.status <> 'cancelled'"
        )
        .await,
        0
    );
}

/// The database keeps a therapist's assignments apart whatever writes them and however the
/// times differ: overlapping but different ranges, and ranges that meet only through a
/// travel buffer, are refused; back-to-back ones are not.
#[tokio::test]
async fn overlapping_but_different_times_are_refused_by_the_database() {
    use chrono::{DateTime, Utc};
    use ombaro_booking::service::store::{try_insert_assignment, NewAssignment};

    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let day = weekday_ahead(3);
    // Asha at the spa 11:00-12:00; Ravi on a home visit 13:00-14:00, busy until 14:30.
    let mut spa = w.request(&ist_at(day, 11, 0));
    spa["therapist_id"] = json!(w.asha);
    let (status, spa) = app
        .post_json("/bookings", &app.user_token(w.customer).await, &spa)
        .await;
    assert_eq!(status, 201, "{spa}");
    let mut home = w.request(&ist_at(day, 13, 0));
    home["therapist_id"] = json!(w.ravi);
    home["booking_type"] = json!("home_service");
    home["address_id"] = json!(w.other_address);
    let (status, home) = app
        .post_json("/bookings", &app.user_token(w.other_customer).await, &home)
        .await;
    assert_eq!(status, 201, "{home}");
    assert_eq!(home["assignments"][0]["travel_buffer_minutes"], 30);

    let id = |v: &Value| v["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap();
    let at = |hh: u32, mm: u32| -> DateTime<Utc> { support::world::instant(day, hh, mm).with_timezone(&Utc) };
    // (which booking, whose time, from, to, refused)
    let cases = [
        (
            "Asha on a home visit 10:00-11:00: its buffer runs into 11:00",
            &home,
            w.asha,
            at(10, 0),
            at(11, 0),
            true,
        ),
        (
            "Asha at the spa 11:30-12:30",
            &spa,
            w.asha,
            at(11, 30),
            at(12, 30),
            true,
        ),
        (
            "Asha at the spa 10:30-11:30",
            &spa,
            w.asha,
            at(10, 30),
            at(11, 30),
            true,
        ),
        (
            "Ravi at the spa 14:00-15:00: inside his buffer",
            &spa,
            w.ravi,
            at(14, 0),
            at(15, 0),
            true,
        ),
        (
            "Ravi at the spa 12:30-13:30",
            &spa,
            w.ravi,
            at(12, 30),
            at(13, 30),
            true,
        ),
        (
            "Asha at the spa 10:00-11:00: back to back",
            &spa,
            w.asha,
            at(10, 0),
            at(11, 0),
            false,
        ),
        (
            "Asha on a home visit 12:00-13:00: after her session",
            &home,
            w.asha,
            at(12, 0),
            at(13, 0),
            false,
        ),
        (
            "Ravi at the spa 14:30-15:30: after his buffer",
            &spa,
            w.ravi,
            at(14, 30),
            at(15, 30),
            false,
        ),
    ];
    let services = app.db.app_db(&ombaro_common::db::PoolConfig::default()).await;
    let mut client = services.get().await.unwrap();
    for (name, booking, therapist, start, end, refused) in cases {
        let tx = services.begin_as_service(&mut client).await.unwrap();
        let outcome = try_insert_assignment(
            &tx,
            &NewAssignment {
                booking_id: id(booking),
                therapist_id: therapist,
                vendor_id: w.vendor,
                customer_id: booking["customer_id"].as_str().unwrap().parse().unwrap(),
                service_id: w.swd,
                start,
                end,
                address: "test",
                point: None,
            },
        )
        .await;
        match (outcome, refused) {
            (Err(err), true) => assert_eq!(err.code, "slot_unavailable", "{name}"),
            (Ok(_), false) => {}
            (outcome, _) => panic!("{name}: {outcome:?}"),
        }
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn the_core_s_booking_moves_are_the_database_s() {
    use std::collections::{BTreeSet, HashMap};

    use ombaro_booking::lifecycle::{booking_actors, BookingStatus};

    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let status = |s: &str| serde_json::from_value::<BookingStatus>(json!(s)).unwrap();

    // The list the database's lifecycle trigger reads, compared pair by pair both ways with
    // the core's table: the same moves, each by the same actors.
    let client = app.db.client().await;
    let sql: HashMap<(BookingStatus, BookingStatus), BTreeSet<String>> = client
        .query(
            "select from_status, to_status, actors from private.booking_status_moves()",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let actors: Vec<String> = r.get(2);
            ((status(r.get(0)), status(r.get(1))), actors.into_iter().collect())
        })
        .collect();
    let mut pairs = 0;
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL {
            let core: Option<BTreeSet<String>> =
                booking_actors(from, to).map(|actors| actors.iter().map(|a| a.to_string()).collect());
            assert_eq!(core.as_ref(), sql.get(&(from, to)), "{from} -> {to}");
            pairs += usize::from(core.is_some());
        }
    }
    assert_eq!(pairs, sql.len(), "every SQL move is a core move");

    // And the trigger obeys the list: every pair tried on a real booking.
    let booking = booked(&app, &w, 2, 11).await;
    let id: uuid::Uuid = booking["id"].as_str().unwrap().parse().unwrap();
    let mut client = app.db.client().await;
    let tx = client.transaction().await.unwrap();
    for from in BookingStatus::ALL {
        for to in BookingStatus::ALL.into_iter().filter(|&to| to != from) {
            // Put the booking in `from` without the triggers, then ask for the move.
            tx.batch_execute("savepoint probe; set local session_replication_role = replica")
                .await
                .unwrap();
            tx.execute(
                "update public.bookings
                    set status = $2::text,
                        hold_expires_at = case when $2::text = 'pending' then hold_expires_at end,
                        cancelled_at = case when $2::text = 'cancelled' then now() end
                  where id = $1",
                &[&id, &from.as_str()],
            )
            .await
            .unwrap();
            tx.batch_execute("set local session_replication_role = origin")
                .await
                .unwrap();
            let moved = tx
                .execute(
                    "update public.bookings set status = $2 where id = $1",
                    &[&id, &to.as_str()],
                )
                .await;
            let allowed = match moved {
                Ok(n) => n == 1,
                Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::CHECK_VIOLATION) => false,
                Err(err) => panic!("{from} -> {to}: {err:?}"),
            };
            tx.batch_execute("rollback to savepoint probe").await.unwrap();
            assert_eq!(allowed, booking_actors(from, to).is_some(), "{from} -> {to}");
        }
    }
}

#[tokio::test]
async fn a_cancel_may_come_without_a_body_but_not_with_a_broken_one() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let token = app.user_token(w.customer).await;
    let book = |hh: u32| {
        let (app, w, token) = (&app, &w, token.clone());
        async move {
            let (status, booking) = app
                .post_json("/bookings", &token, &w.request(&ist_at(weekday_ahead(3), hh, 0)))
                .await;
            assert_eq!(status, 201, "{booking}");
            booking["id"].as_str().unwrap().to_owned()
        }
    };
    let first = book(10).await;
    let second = book(14).await;
    let cancel = |id: &str| app.url(&format!("/functions/v1/booking-service/bookings/{id}/cancel"));

    // No body at all (Content-Length: 0): nothing to say, so the defaults apply.
    let res = app.http.post(cancel(&first)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A body that is not JSON is refused and the booking stays as it was.
    let res = app
        .http
        .post(cancel(&second))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let status: String = app
        .db
        .client()
        .await
        .query_one(
            "select status from public.bookings where id = $1::text::uuid",
            &[&second],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "pending");
}
