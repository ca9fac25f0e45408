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
    let token = app.user_token(w.customer);
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
    let token = app.user_token(w.customer);
    let date = &ist_at(2, 0, 0)[..10];
    let path = format!("/slots?vendor_id={}&service_id={}&date={date}", w.vendor, w.swd);
    let (status, before) = app.get_json(&path, &token).await;
    assert_eq!(status, 200, "{before}");
    let slots = before["slots"].as_array().unwrap();
    // 09:00 .. 20:00 on a 30-minute grid for a 60-minute session: 23 starts.
    assert_eq!(slots.len(), 23, "{before}");
    assert_eq!(slots[0]["start"], json!(support::world::instant(2, 9, 0).with_timezone(&chrono::Utc)));
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
            .find(|s| s["start"] == json!(chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc)))
            .map(|s| s["therapist_ids"].clone())
    };
    assert_eq!(at(&ist_at(2, 11, 0)), Some(json!([w.ravi])), "Asha is taken at 11:00");
    assert_eq!(at(&ist_at(2, 10, 30)), Some(json!([w.ravi])), "10:30-11:30 overlaps too");
    assert_eq!(at(&ist_at(2, 12, 0)).map(|t| t.as_array().unwrap().len()), Some(2));

    // Anyone may look; bad queries are 400.
    assert_eq!(app.get_json(&path, &app.anon_key()).await.0, 200);
    let (status, err) = app
        .get_json(&format!("/slots?vendor_id=nope&service_id={}&date={date}", w.swd), &token)
        .await;
    assert_eq!((status, err["code"].as_str()), (400, Some("invalid_query")));
}
