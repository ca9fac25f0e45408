//! The location service over real HTTP against a fresh database, with a real `redis-server`
//! where the cache is under test: ingest validation, noise filtering, distance travelled,
//! ETA, the arrival geofence acted on exactly once, who may read what (from the endpoints
//! and from the table Realtime streams), cache invalidation after a price change, and the
//! loss of Redis.
//!
//! Expected distances are PostGIS's (`st_distance` on the WGS 84 spheroid), not the core's
//! own haversine: the two agree within 0.5 %.

mod support;

use chrono::{Duration, Utc};
use ombaro_common::{
    cache::Cache,
    redis_server::RedisServer,
    testing::{as_persona, Persona},
};
use serde_json::{json, Value};
use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};
use uuid::Uuid;

/// The customer's home (World's saved address) and the spa the therapist leaves from.
const HOME: (f64, f64) = (12.9716, 77.5946 + 0.018);
const SPA: (f64, f64) = (12.9716, 77.5946);

/// A fix at `lon` on the spa's (and the home's) parallel, `ago` seconds ago.
fn fix(lon: f64, accuracy: f64, ago: i64) -> Value {
    json!({
        "latitude": SPA.0, "longitude": lon, "accuracy": accuracy,
        "recorded_at": (Utc::now() - Duration::seconds(ago)).to_rfc3339(),
    })
}

/// Degrees of longitude for `m` metres east along the spa's parallel (spherical estimate;
/// only used to lay out the route, the expectations come from PostGIS).
fn east(m: f64) -> f64 {
    m / (111_320.0 * SPA.0.to_radians().cos())
}

async fn send(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url("/functions/v1/location-service/locations"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let resp = app
        .http
        .get(app.url(&format!("/functions/v1{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn float(app: &TestApp, sql: &str) -> f64 {
    app.db.client().await.query_one(sql, &[]).await.unwrap().get(0)
}

/// PostGIS's distance between two (lat, lon) points, metres.
async fn postgis_m(app: &TestApp, a: (f64, f64), b: (f64, f64)) -> f64 {
    float(
        app,
        &format!(
            "select extensions.st_distance(
               extensions.st_setsrid(extensions.st_makepoint({}, {}), 4326)::extensions.geography,
               extensions.st_setsrid(extensions.st_makepoint({}, {}), 4326)::extensions.geography)",
            a.1, a.0, b.1, b.0
        ),
    )
    .await
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance * expected.abs().max(1.0)
}

/// An operations person (customer care: bookings and therapists, read).
async fn operations(app: &TestApp) -> Uuid {
    let id = Uuid::new_v4();
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
             values ('{id}', 'authenticated', 'authenticated', 'care.{id}@ombaro.in', now(), '{{}}', '{{}}', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
             values ('{id}', 'Care', '9500000000', 'customer_care');"
        ))
        .await
        .expect("creating an operations user");
    id
}

/// A confirmed home visit of the customer with Asha, Asha on her way; its assignment.
async fn on_the_way(app: &TestApp, w: &World) -> Uuid {
    w.home_visit_on_the_way(app, &ist_at(weekday_ahead(2), 14, 0)).await
}

/// Rows of `therapist_locations` for `assignment` that `user` can read: what Realtime's
/// `postgres_changes` would deliver to them.
async fn visible_locations(app: &TestApp, user: Uuid, assignment: Uuid) -> i64 {
    let mut client = app.db.client().await;
    let tx = as_persona(&mut client, &Persona::User(user)).await.unwrap();
    tx.query_one(
        "select count(*) from public.therapist_locations where assignment_id = $1",
        &[&assignment],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_batch_is_validated_whole_and_sent_only_by_its_therapist() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let asha = app.user_token(w.asha_user).await;
    let good = fix(SPA.1, 10.0, 60);
    let with = |field: &str, value: Value| {
        let mut f = good.clone();
        f[field] = value;
        json!({ "fixes": [good.clone(), f] })
    };
    let cases = [
        (with("latitude", json!(91.0)), "invalid_coordinates"),
        (with("longitude", json!(-180.5)), "invalid_coordinates"),
        (with("accuracy", json!(-3)), "invalid_accuracy"),
        (with("speed", json!(-1)), "invalid_speed"),
        (with("heading", json!(360)), "invalid_heading"),
        (with("battery_level", json!(101)), "invalid_battery_level"),
        (
            with("recorded_at", json!((Utc::now() + Duration::minutes(5)).to_rfc3339())),
            "recorded_in_future",
        ),
        (
            with("recorded_at", json!((Utc::now() - Duration::hours(25)).to_rfc3339())),
            "recorded_too_long_ago",
        ),
        (json!({ "fixes": [] }), "invalid_batch_size"),
        (json!({ "fixes": vec![good.clone(); 101] }), "invalid_batch_size"),
        (with("colour", json!("red")), "invalid_request"),
    ];
    for (body, code) in cases {
        let (status, err) = send(&app, &asha, &body).await;
        assert_eq!((status, err["code"].as_str()), (422, Some(code)), "{body}: {err}");
    }
    let stored = "select count(*) from public.therapist_locations";
    assert_eq!(app.count(stored).await, 0, "a refused batch stores nothing");

    let batch = json!({ "fixes": [good.clone()] });
    // Not a therapist: a customer, the vendor.
    for user in [w.customer, w.vendor] {
        let (status, err) = send(&app, &app.user_token(user).await, &batch).await;
        assert_eq!((status, err["code"].as_str()), (403, Some("not_a_therapist")), "{err}");
    }
    // A therapist sending for another.
    let for_ravi = json!({ "therapist_id": w.ravi, "fixes": [good.clone()] });
    let (status, err) = send(&app, &asha, &for_ravi).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (403, Some("not_your_therapist")),
        "{err}"
    );
    // No user at all.
    let (status, _) = send(&app, &app.anon_key(), &batch).await;
    assert_eq!(status, 401);
    let (status, _) = send(&app, &app.service_key(), &batch).await;
    assert_eq!(status, 401);
    // Asha's own id in a token that is not a signed-in user's.
    let not_signed_in = app
        .keys
        .user_token(&w.asha_user.to_string(), None, 3600, json!({ "role": "anon" }));
    let (status, err) = send(&app, &not_signed_in, &batch).await;
    assert_eq!((status, err["code"].as_str()), (403, Some("not_a_therapist")), "{err}");
    assert_eq!(app.count(stored).await, 0);

    // Her own, with or without naming herself; unlinked without an assignment.
    let (status, body) = send(&app, &asha, &json!({ "therapist_id": w.asha, "fixes": [good] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["stored"].as_i64(), body["assignment_id"].is_null()),
        (Some(1), true)
    );
    assert_eq!(app.count(stored).await, 1);
}

#[tokio::test]
async fn a_journey_is_measured_through_noise_and_arrives_exactly_once() {
    let redis = RedisServer::spawn().expect("redis-server (scripts/setup installs it)");
    let app = TestApp::spawn_cached(Cache::redis(&redis.url()).await.unwrap()).await;
    let w = World::new(&app).await;
    let ops = operations(&app).await;
    let (rival_customer, _) = support::world::customer(&app, "ira").await;
    let assignment = on_the_way(&app, &w).await;
    let asha = app.user_token(w.asha_user).await;
    let eta_path = format!("/location-service/assignments/{assignment}/eta");

    // Before the first fix: nothing to estimate from.
    let (status, eta) = get(&app, &eta_path, &app.user_token(w.customer).await).await;
    assert_eq!(status, 200, "{eta}");
    assert_eq!(eta["method"], "no_fix");

    // On the way, 800 m from the door: a fix with a 400 m accuracy radius, a 5 km jump in
    // 6 s, jitter of 5 m with 15 m accuracy, then five real 100 m moves every 10 s (36 km/h).
    let from = (HOME.0, HOME.1 - east(800.0));
    let mut fixes = vec![
        fix(from.1, 8.0, 118),
        fix(from.1 + east(300.0), 400.0, 112),
        fix(from.1 + east(5000.0), 8.0, 106),
        fix(from.1 + east(5.0), 15.0, 100),
    ];
    for i in 1..=5 {
        fixes.push(fix(from.1 + east(100.0 * i as f64), 8.0, 100 - 10 * i));
    }
    // Sent out of order: they are judged in recorded_at order.
    fixes.reverse();
    let (status, body) = send(&app, &asha, &json!({ "fixes": fixes })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["assignment_id"], json!(assignment));
    assert_eq!(body["stored"], 9);
    assert_eq!(
        (body["moved"].as_i64(), body["stationary"].as_i64()),
        (Some(6), Some(1)),
        "{body}"
    );
    assert_eq!(body["ignored"], json!({"inaccurate": 1, "too_fast": 1, "not_newer": 0}));
    let last = (HOME.0, from.1 + east(500.0));
    let expected = postgis_m(&app, from, last).await;
    let distance = body["distance_traveled_m"].as_f64().unwrap();
    assert!(
        close(distance, expected, 0.01),
        "{distance} m travelled, PostGIS {expected}"
    );
    let recorded = float(
        &app,
        &format!("select distance_traveled::float8 * 1000 from public.therapist_assignments where id = '{assignment}'"),
    )
    .await;
    assert!(close(recorded, expected, 0.02), "distance_traveled {recorded} m");
    assert_eq!(
        app.count(&format!(
            "select travel_time::int8 from public.therapist_assignments where id = '{assignment}'"
        ))
        .await,
        (118 - 50) / 60,
        "travel_time: minutes from the first to the last accepted fix"
    );
    assert_eq!(
        app.count("select count(*) from public.therapist_locations where is_moving")
            .await,
        6
    );

    // The customer follows: remaining road distance at the smoothed speed.
    let (status, eta) = get(&app, &eta_path, &app.user_token(w.customer).await).await;
    assert_eq!(status, 200, "{eta}");
    assert_eq!(eta["status"], "in_transit");
    assert_eq!(eta["method"], "moving_speed", "{eta}");
    let remaining = postgis_m(&app, last, HOME).await * 1.35;
    let answered = eta["distance_remaining_m"].as_f64().unwrap();
    assert!(close(answered, remaining, 0.01), "{answered} vs {remaining}");
    // Exponentially smoothed (weight 0.3 for the newest segment): the first move is
    // measured from the fix before the jitter (100 m in 28 s), the next four are 10 m/s.
    let speed = (0..4).fold(100.0 / 28.0, |v, _| 0.3 * 10.0 + 0.7 * v);
    let seconds = eta["eta_seconds"].as_f64().unwrap();
    assert!(close(seconds, answered / speed, 0.02), "{speed} m/s: {eta}");
    assert!(eta["last_fix_age_seconds"].as_i64().unwrap() >= 50);
    assert_eq!(eta["signal_lost"], false);

    // Who may read it, from the endpoint and from the table Realtime streams alike.
    let (status, _) = get(&app, &eta_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, &eta_path, &app.user_token(ops).await).await;
    assert_eq!(status, 200);
    for outsider in [
        w.other_customer,
        rival_customer,
        w.rival_vendor,
        w.ravi_user,
        w.asha_user,
    ] {
        let (status, err) = get(&app, &eta_path, &app.user_token(outsider).await).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (404, Some("assignment_not_found")),
            "{err}"
        );
    }
    assert_eq!(visible_locations(&app, w.customer, assignment).await, 9);
    assert_eq!(visible_locations(&app, w.other_customer, assignment).await, 0);
    assert_eq!(visible_locations(&app, w.rival_vendor, assignment).await, 0);

    // The last known fix: the vendor and operations, nobody else.
    let last_path = format!("/location-service/therapists/{}/last", w.asha);
    let (status, last_fix) = get(&app, &last_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200, "{last_fix}");
    assert!(
        close(last_fix["longitude"].as_f64().unwrap(), last.1, 1e-7),
        "{last_fix}"
    );
    let (status, _) = get(&app, &last_path, &app.user_token(ops).await).await;
    assert_eq!(status, 200);
    for outsider in [w.customer, w.rival_vendor, w.ravi_user] {
        let (status, _) = get(&app, &last_path, &app.user_token(outsider).await).await;
        assert_eq!(status, 404);
    }

    // Arriving: one fix 150 m out, then two within 100 m.
    let arrival = json!({ "fixes": [
        fix(HOME.1 - east(150.0), 8.0, 40),
        fix(HOME.1 - east(60.0), 8.0, 30),
        fix(HOME.1 - east(20.0), 8.0, 20),
    ]});
    let notices = format!(
        "select count(*) from public.notification_queue where event_type = 'therapist_arrived'
            and user_id = '{}' and dedupe_key like 'therapist_arrived:{assignment}:%'",
        w.customer
    );
    let (status, body) = send(&app, &asha, &arrival).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["arrived"], true, "{body}");
    assert_eq!(body["assignment_status"], "reached");
    // Distance is written in steps on the way, and exactly at arrival.
    let at_arrival = float(
        &app,
        &format!("select distance_traveled::float8 * 1000 from public.therapist_assignments where id = '{assignment}'"),
    )
    .await;
    let travelled = body["distance_traveled_m"].as_f64().unwrap();
    assert!(
        (at_arrival - travelled).abs() <= 5.0,
        "{at_arrival} m recorded, {travelled} m travelled"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.therapist_assignments where id = '{assignment}' and status = 'reached'"
        ))
        .await,
        1
    );
    assert_eq!(app.count(&notices).await, 2, "push and in-app");
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.notification_queue where dedupe_key in
               ('therapist_arrived:{assignment}:push', 'therapist_arrived:{assignment}:in_app')"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from public.assignment_timeline where assignment_id = '{assignment}' and status = 'reached'"
        ))
        .await,
        1,
        "moved by the database's transition, logged once"
    );

    // Resent, and more fixes at the door: nothing happens twice.
    let (status, body) = send(&app, &asha, &arrival).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["stored"].as_i64(), body["duplicates"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(body["arrived"], false);
    let (status, body) = send(
        &app,
        &asha,
        &json!({ "fixes": [fix(HOME.1, 8.0, 10), fix(HOME.1, 8.0, 5)] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["arrived"], false);
    assert_eq!(app.count(&notices).await, 2);

    // Arrived: the customer no longer follows (endpoint and table agree); the vendor does.
    let (status, _) = get(&app, &eta_path, &app.user_token(w.customer).await).await;
    assert_eq!(status, 404);
    assert_eq!(visible_locations(&app, w.customer, assignment).await, 0);
    let (status, eta) = get(&app, &eta_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200, "{eta}");
    assert_eq!(
        (eta["method"].as_str(), eta["eta_seconds"].as_i64()),
        (Some("arrived"), Some(0))
    );
    assert_eq!(eta["status"], "reached");

    // The ETA was read through Redis.
    let (status, health) = get(&app, "/health", &app.anon_key()).await;
    assert_eq!(status, 200);
    assert_eq!(health["cache"]["backend"], "redis");
    assert!(health["cache"]["hits"].as_u64().unwrap() >= 1, "{health}");
}

#[tokio::test]
async fn no_fix_for_two_minutes_is_signal_lost_and_a_fresh_one_is_not() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let assignment = on_the_way(&app, &w).await;
    let asha = app.user_token(w.asha_user).await;
    let eta_path = format!("/location-service/assignments/{assignment}/eta");
    let (status, _) = send(&app, &asha, &json!({ "fixes": [fix(SPA.1, 8.0, 130)] })).await;
    assert_eq!(status, 200);
    let (_, eta) = get(&app, &eta_path, &app.user_token(w.customer).await).await;
    assert_eq!(
        (eta["method"].as_str(), eta["signal_lost"].as_bool()),
        (Some("signal_lost"), Some(true)),
        "{eta}"
    );
    let (status, _) = send(&app, &asha, &json!({ "fixes": [fix(SPA.1 + east(200.0), 8.0, 5)] })).await;
    assert_eq!(status, 200);
    let (_, eta) = get(&app, &eta_path, &app.user_token(w.customer).await).await;
    // Just started: the city's default speed for the hour, not one noisy segment.
    assert_eq!(
        (eta["method"].as_str(), eta["signal_lost"].as_bool()),
        (Some("city_default"), Some(false)),
        "{eta}"
    );
    assert!(eta["eta_at"].is_string());
}

/// The quote's total for Swedish 60 minutes at the World's spa.
async fn quoted_subtotal(app: &TestApp, w: &World) -> i64 {
    let (status, quote) = app
        .post_json("/quote", &app.anon_key(), &w.request(&ist_at(weekday_ahead(2), 14, 0)))
        .await;
    assert_eq!(status, 200, "{quote}");
    quote["quote"]["subtotal"].as_i64().unwrap()
}

async fn cache_stats(app: &TestApp) -> Value {
    let (status, health) = get(app, "/health", &app.anon_key()).await;
    assert_eq!(status, 200, "{health}");
    health["cache"].clone()
}

#[tokio::test]
async fn a_changed_price_is_never_quoted_from_the_cache() {
    let redis = RedisServer::spawn().expect("redis-server");
    let app = TestApp::spawn_cached(Cache::redis(&redis.url()).await.unwrap()).await;
    let w = World::new(&app).await;
    let before = quoted_subtotal(&app, &w).await;
    let hits = cache_stats(&app).await["hits"].as_u64().unwrap();
    assert_eq!(quoted_subtotal(&app, &w).await, before);
    assert_eq!(
        cache_stats(&app).await["hits"].as_u64().unwrap(),
        hits + 1,
        "the second quote is a hit"
    );

    // Each change is quoted at once, without waiting for anything.
    for (paise, expected) in [(300_000, 330_000), (200_000, 220_000), (250_000, 275_000)] {
        app.db
            .client()
            .await
            .execute(
                "update public.vendor_services set custom_price_60min = $1 where vendor_id = $2 and service_id = $3",
                &[&(paise as i64), &w.vendor, &w.swd],
            )
            .await
            .unwrap();
        assert_eq!(
            quoted_subtotal(&app, &w).await,
            expected,
            "₹{} + 10 % metro",
            paise / 100
        );
        assert_eq!(quoted_subtotal(&app, &w).await, expected);
    }
    // And the stale entries were dropped from Redis by the NOTIFY listener.
    let stats = cache_stats(&app).await;
    assert!(stats["invalidations"].as_u64().unwrap() >= 3, "{stats}");
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("services:catalog:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    for _ in 0..50 {
        if keys.len() <= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        keys = redis::cmd("KEYS")
            .arg("services:catalog:*")
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(keys.len(), 1, "only the current version's entry is left: {keys:?}");
}

#[tokio::test]
async fn with_redis_killed_the_services_answer_from_the_database() {
    let mut redis = RedisServer::spawn().expect("redis-server");
    let app = TestApp::spawn_cached(Cache::redis(&redis.url()).await.unwrap()).await;
    let w = World::new(&app).await;
    let assignment = on_the_way(&app, &w).await;
    let asha = app.user_token(w.asha_user).await;
    let eta_path = format!("/location-service/assignments/{assignment}/eta");
    let moves: Vec<Value> = (0..5)
        .map(|i| fix(SPA.1 + east(100.0 * i as f64), 8.0, 100 - 15 * i))
        .collect();
    let (status, _) = send(&app, &asha, &json!({ "fixes": moves })).await;
    assert_eq!(status, 200);
    let (status, first) = get(&app, &eta_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200, "{first}");
    let price = quoted_subtotal(&app, &w).await;
    let stats = cache_stats(&app).await;
    assert_eq!(stats["errors"], 0, "{stats}");

    redis.kill();

    let (status, again) = get(&app, &eta_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["distance_remaining_m"], first["distance_remaining_m"]);
    assert_eq!(again["method"], first["method"]);
    assert_eq!(quoted_subtotal(&app, &w).await, price);
    // Ingest goes on, and the ETA follows it.
    let (status, body) = send(&app, &asha, &json!({ "fixes": [fix(SPA.1 + east(600.0), 8.0, 10)] })).await;
    assert_eq!(status, 200, "{body}");
    let (status, after) = get(&app, &eta_path, &app.user_token(w.vendor).await).await;
    assert_eq!(status, 200, "{after}");
    assert!(
        after["distance_remaining_m"].as_i64().unwrap() < first["distance_remaining_m"].as_i64().unwrap(),
        "{after} after {first}"
    );
    let stats = cache_stats(&app).await;
    assert!(
        stats["errors"].as_u64().unwrap() >= 2,
        "the failures are counted: {stats}"
    );
}

/// Batches that arrive together share a transaction (the ingest groups of V72): each is still
/// judged, refused or recorded as if it had come alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_sent_at_once_are_each_handled_as_if_alone() {
    let app = TestApp::spawn().await;
    let w = World::new(&app).await;
    let assignment = on_the_way(&app, &w).await;
    let mut crew = Vec::new();
    for i in 0..12 {
        let (therapist, user) = support::world::therapist(&app, w.vendor, &format!("crew{i}"), "female", "4.0").await;
        crew.push((therapist, app.user_token(user).await));
    }
    let asha = app.user_token(w.asha_user).await;
    let ravi = app.user_token(w.ravi_user).await;

    let from = (HOME.0, HOME.1 - east(800.0));
    let journey: Vec<Value> = (0..5)
        .map(|i| fix(from.1 + east(100.0 * i as f64), 8.0, 60 - 10 * i))
        .collect();
    let standing: Vec<Value> = (0..3).map(|i| fix(SPA.1, 8.0, 30 - i)).collect();
    let mut requests = vec![
        (asha.clone(), json!({ "fixes": journey })),
        (ravi.clone(), json!({ "fixes": standing })),
        // The same batch twice: whichever comes second is all duplicates.
        (ravi.clone(), json!({ "fixes": standing })),
        (app.user_token(w.customer).await, json!({ "fixes": standing })),
        (asha.clone(), json!({ "therapist_id": w.ravi, "fixes": standing })),
    ];
    for (_, token) in &crew {
        requests.push((token.clone(), json!({ "fixes": standing })));
    }
    let answers = futures_util::future::join_all(requests.iter().map(|(token, body)| send(&app, token, body))).await;

    let (status, body) = &answers[0];
    assert_eq!(*status, 200, "{body}");
    assert_eq!(
        (body["assignment_id"].clone(), body["stored"].as_i64()),
        (json!(assignment), Some(5))
    );
    let expected = postgis_m(&app, from, (HOME.0, from.1 + east(400.0))).await;
    let distance = body["distance_traveled_m"].as_f64().unwrap();
    assert!(
        close(distance, expected, 0.01),
        "{distance} m travelled, PostGIS {expected}"
    );
    let ravis: Vec<(i64, i64)> = answers[1..3]
        .iter()
        .map(|(status, b)| {
            assert_eq!(*status, 200, "{b}");
            (b["stored"].as_i64().unwrap(), b["duplicates"].as_i64().unwrap())
        })
        .collect();
    assert!(ravis.contains(&(3, 0)) && ravis.contains(&(0, 3)), "{ravis:?}");
    assert_eq!(
        (answers[3].0, answers[3].1["code"].as_str()),
        (403, Some("not_a_therapist"))
    );
    assert_eq!(
        (answers[4].0, answers[4].1["code"].as_str()),
        (403, Some("not_your_therapist"))
    );
    for ((therapist, _), (status, body)) in crew.iter().zip(&answers[5..]) {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["therapist_id"], json!(therapist));
        assert_eq!(body["stored"], 3, "{body}");
    }
    assert_eq!(
        app.count("select count(*) from public.therapist_locations").await,
        5 + 3 + 3 * crew.len() as i64
    );
    let recorded = float(
        &app,
        &format!("select distance_traveled::float8 * 1000 from public.therapist_assignments where id = '{assignment}'"),
    )
    .await;
    assert!(close(recorded, expected, 0.02), "distance_traveled {recorded} m");
}
