//! The analytics service over real HTTP against a real database: the event contract, partial
//! and all-or-nothing batches, whose user an event carries, the rate limit, who may read the
//! reports, rollups that can be rerun, and every funnel, cohort and revenue figure of the
//! rollups held equal to plain SQL over the raw events, bookings and refunds (and to the
//! analytics core's own evaluation).

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ombaro_analytics::{cohort, funnel};
use ombaro_common::testing::{as_persona, Persona};
use serde_json::{json, Value};
use support::{world::World, TestApp};
use uuid::Uuid;

const SERVICE: &str = "/functions/v1/analytics-service";

fn ist_today() -> NaiveDate {
    ombaro_analytics::ist_day(Utc::now())
}

impl TestApp {
    async fn send_events(&self, token: &str, query: &str, body: &Value) -> (u16, Value, Option<String>) {
        let resp = self
            .http
            .post(self.url(&format!("{SERVICE}/events{query}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, resp.json().await.unwrap_or(Value::Null), retry)
    }

    async fn read(&self, path: &str, token: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(self.url(&format!("{SERVICE}{path}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn sql_count(&self, sql: &str) -> i64 {
        self.db.client().await.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// A signed-in person whose profile role is `role`.
    async fn person(&self, role: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.db
            .client()
            .await
            .batch_execute(&format!(
                "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                 values ('{id}', 'authenticated', 'authenticated', '{role}.{id}@example.in', now(), '{{}}', '{{}}', now(), now());
                 insert into public.user_profiles (id, name, mobile, role)
                 values ('{id}', '{role}', '9' || lpad((abs(hashtext('{id}')) % 1000000000)::text, 9, '0'), '{role}');"
            ))
            .await
            .expect("creating a person");
        id
    }

    async fn rollup(&self, from: NaiveDate, to: NaiveDate) -> Value {
        ombaro::analytics::rollup(&self.db.url, from, to).await.expect("rollup")
    }
}

fn event(name: &str, at: DateTime<Utc>) -> Value {
    json!({ "event_name": name, "timestamp": at.to_rfc3339() })
}

// ---------------------------------------------------------------------------------------
// Ingest

#[tokio::test]
async fn the_contract_partial_batches_and_all_or_nothing() {
    let app = TestApp::spawn().await;
    let anon = app.anon_key();
    let now = Utc::now();
    let batch = json!({ "events": [
        { "event_name": "service_viewed", "session_id": "s-1", "timestamp": now.to_rfc3339(),
          "event_properties": { "service_id": "swd" }, "device_info": { "platform": "android", "app_version": "2.3.0" },
          "location_info": { "city": "Bengaluru" } },
        { "event_name": "Service Viewed", "timestamp": now.to_rfc3339() },
        { "event_name": "page_view", "session_id": "s-1", "timestamp": now.to_rfc3339(),
          "event_properties": { "path": "/spas/bengaluru", "utm_source": "google", "utm_campaign": "diwali" },
          "device_info": { "platform": "web", "device_type": "desktop" } },
        { "event_name": "slot_selected", "timestamp": (now - Duration::days(8)).to_rfc3339() },
        { "event_name": "slot_selected", "timestamp": (now + Duration::minutes(10)).to_rfc3339() },
        { "event_name": "slot_selected", "timestamp": now.to_rfc3339(), "device_info": { "imei": "3579" } },
        { "event_name": "slot_selected", "timestamp": now.to_rfc3339(),
          "event_properties": { "blob": "x".repeat(9 * 1024) } },
        { "event_name": "page_view", "session_id": "s-1", "timestamp": now.to_rfc3339() },
        { "event_name": "search_performed", "timestamp": now.to_rfc3339(), "event_category": "discovery" }
    ]});
    let (status, body, _) = app.send_events(&anon, "", &batch).await;
    assert_eq!(status, 207, "{body}");
    assert_eq!(body["stored"], 3, "{body}");
    assert_eq!(body["rejected"], 6);
    let codes: Vec<(i64, &str, Option<&str>)> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap(),
                r["status"].as_str().unwrap(),
                r["code"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            (0, "stored", None),
            (1, "rejected", Some("invalid_name")),
            (2, "stored", None),
            (3, "rejected", Some("timestamp_too_old")),
            (4, "rejected", Some("timestamp_in_future")),
            (5, "rejected", Some("unknown_field")),
            (6, "rejected", Some("properties_too_large")),
            (7, "rejected", Some("invalid_page_view")),
            (8, "stored", None),
        ]
    );
    // Page views went to page_views, the rest to analytics_events, both without a user.
    assert_eq!(
        app.sql_count("select count(*) from public.analytics_events where user_id is null")
            .await,
        2
    );
    assert_eq!(app.sql_count("select count(*) from public.analytics_events").await, 2);
    assert_eq!(
        app.sql_count(
            "select count(*) from public.page_views
              where path = '/spas/bengaluru' and utm_campaign = 'diwali' and platform = 'web' and user_id is null"
        )
        .await,
        1
    );

    // All-or-nothing: one bad event and nothing is stored.
    let mixed = json!({ "events": [event("app_opened", now), event("9lives", now)] });
    let (status, body, _) = app.send_events(&anon, "?atomic=true", &mixed).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["results"][1]["code"], "invalid_name");
    assert_eq!(body["details"]["results"][0]["status"], "not_stored");
    assert_eq!(app.sql_count("select count(*) from public.analytics_events").await, 2);
    let good = json!({ "events": [event("app_opened", now), event("signup_started", now)] });
    let (status, body, _) = app.send_events(&anon, "?atomic=true", &good).await;
    assert_eq!((status, body["stored"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(app.sql_count("select count(*) from public.analytics_events").await, 4);

    // A batch with no valid event stores nothing.
    let (status, _, _) = app
        .send_events(&anon, "", &json!({ "events": [event("X", now)] }))
        .await;
    assert_eq!(status, 422);

    // Batch sizes: 1 to 500.
    let (status, body, _) = app.send_events(&anon, "", &json!({ "events": [] })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("batch_size")));
    let many: Vec<Value> = (0..501).map(|_| event("app_opened", now)).collect();
    let (status, body, _) = app.send_events(&anon, "", &json!({ "events": many })).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("batch_size")));
    let (status, _, _) = app.send_events(&anon, "", &json!({ "event": [] })).await;
    assert_eq!(status, 422);

    // Bodies above the server's usual 64 KiB are taken here, up to 1 MiB.
    let props = json!({ "note": "y".repeat(7 * 1024) });
    let big: Vec<Value> = (0..20)
        .map(|_| json!({ "event_name": "app_opened", "timestamp": now.to_rfc3339(), "event_properties": props }))
        .collect();
    let (status, body, _) = app.send_events(&anon, "", &json!({ "events": big })).await;
    assert_eq!((status, body["stored"].as_i64()), (200, Some(20)), "{body}");
    let huge: Vec<Value> = (0..150)
        .map(|_| json!({ "event_name": "app_opened", "timestamp": now.to_rfc3339(), "event_properties": props }))
        .collect();
    let (status, body, _) = app.send_events(&anon, "", &json!({ "events": huge })).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );

    // Not JSON; and no token at all.
    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/events")))
        .bearer_auth(&anon)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = app
        .http
        .post(app.url(&format!("{SERVICE}/events")))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn events_carry_the_caller_as_user_and_anon_events_none() {
    let app = TestApp::spawn().await;
    let meera = app.person("customer").await;
    let kabir = app.person("customer").await;
    let now = Utc::now();
    // Meera claims to be Kabir in the body: the token decides.
    let batch = json!({ "events": [
        { "event_name": "service_viewed", "session_id": "m-1", "timestamp": now.to_rfc3339(), "user_id": kabir },
        { "event_name": "page_view", "session_id": "m-1", "timestamp": now.to_rfc3339(),
          "event_properties": { "path": "/" }, "user_id": kabir }
    ]});
    let (status, body, _) = app.send_events(&app.user_token(meera).await, "", &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.sql_count(&format!(
            "select count(*) from public.analytics_events where user_id = '{meera}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.sql_count(&format!(
            "select count(*) from public.page_views where user_id = '{meera}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.sql_count(&format!(
            "select (select count(*) from public.analytics_events where user_id = '{kabir}')
                  + (select count(*) from public.page_views where user_id = '{kabir}')"
        ))
        .await,
        0
    );
    // The anon key's events have no user, whatever the body says.
    let (status, _, _) = app.send_events(&app.anon_key(), "", &batch).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.sql_count("select count(*) from public.analytics_events where user_id is null and session_id = 'm-1'")
            .await,
        1
    );

    // The database holds the same line for anyone writing directly (supabase-js): anon may
    // not name a user, a user may not name another.
    let mut client = app.db.client().await;
    for (persona, user) in [(Persona::Anon, meera), (Persona::User(meera), kabir)] {
        let tx = as_persona(&mut client, &persona).await.unwrap();
        let err = tx
            .execute(
                "insert into public.analytics_events (user_id, event_name) values ($1, 'service_viewed')",
                &[&user],
            )
            .await
            .expect_err("a forged user_id must be refused");
        assert_eq!(err.code().map(|c| c.code()), Some("42501"), "{persona:?}: {err}");
        drop(tx);
    }
    // Nor may a customer read anyone's events back.
    let tx = as_persona(&mut client, &Persona::User(meera)).await.unwrap();
    let seen: i64 = tx
        .query_one("select count(*) from public.analytics_events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn a_session_sending_too_much_is_told_when_to_retry() {
    let app = TestApp::spawn().await;
    let anon = app.anon_key();
    let now = Utc::now();
    let batch = |session: &str| {
        let events: Vec<Value> = (0..500)
            .map(|i| {
                json!({ "event_name": "scroll_depth", "session_id": session,
                             "timestamp": (now - Duration::seconds(i)).to_rfc3339() })
            })
            .collect();
        json!({ "events": events })
    };
    // A session's bucket holds 1000 events and refills 50 a second.
    for _ in 0..2 {
        let (status, body, _) = app.send_events(&anon, "", &batch("chatty")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body, retry) = app.send_events(&anon, "", &batch("chatty")).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    let retry: u32 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert_eq!(
        app.sql_count("select count(*) from public.analytics_events").await,
        1000
    );
    // Another session from the same address is not held back by it.
    let (status, _, _) = app.send_events(&anon, "", &batch("quiet")).await;
    assert_eq!(status, 200);
    // An address sending through many sessions is bounded too (20 000 events, 2 000/s).
    // Invalid events count as much as valid ones and cost the database nothing, so the
    // batches go fast enough to outrun the refill on any machine.
    let junk = |session: &str| {
        let events: Vec<Value> = (0..500)
            .map(|_| json!({ "event_name": "Junk", "session_id": session, "timestamp": now.to_rfc3339() }))
            .collect();
        json!({ "events": events })
    };
    let mut refused = false;
    for i in 0..200 {
        let resp = app
            .http
            .post(app.url(&format!("{SERVICE}/events")))
            .bearer_auth(&anon)
            .header("x-forwarded-for", "203.0.113.7")
            .json(&junk(&format!("rotating-{i}")))
            .send()
            .await
            .unwrap();
        if resp.status().as_u16() == 429 {
            assert!(resp.headers().contains_key("retry-after"));
            refused = true;
            break;
        }
    }
    assert!(refused, "an address sending 100 000 events at once must be refused");
}

// ---------------------------------------------------------------------------------------
// Reads: who may

#[tokio::test]
async fn reports_are_for_marketing_finance_directors_and_super_admin() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let today = ist_today();
    app.rollup(today - Duration::days(3), today).await;
    let range = format!("from={}&to={today}", today - Duration::days(3));
    let paths = [
        format!("/funnels/discovery?{range}"),
        format!("/cohorts?grain=month&{range}"),
        format!("/revenue?group_by=city&{range}"),
    ];
    for role in ["marketing_department", "finance_department", "directors", "super_admin"] {
        let token = app.user_token(app.person(role).await).await;
        for path in &paths {
            let (status, body) = app.read(path, &token).await;
            assert_eq!(status, 200, "{role} {path}: {body}");
            assert_eq!(body["source"], "rollups", "{role} {path}: {body}");
            assert!(body["fresh_as_of"].is_string(), "{body}");
        }
    }
    let customer = app.user_token(world.customer).await;
    let therapist = app.user_token(world.asha_user).await;
    let vendor = app.user_token(world.vendor).await;
    let hr = app.user_token(app.person("hr_department").await).await;
    for (who, token) in [
        ("customer", &customer),
        ("therapist", &therapist),
        ("vendor", &vendor),
        ("hr", &hr),
        ("anon", &app.anon_key()),
    ] {
        for path in &paths {
            let (status, body) = app.read(path, token).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (403, Some("forbidden")),
                "{who} {path}: {body}"
            );
        }
    }
    // A vendor reads its own revenue, not a rival's; a customer neither.
    let own = format!("/vendors/{}/revenue?{range}", world.vendor);
    let rival = format!("/vendors/{}/revenue?{range}", world.rival_vendor);
    assert_eq!(app.read(&own, &vendor).await.0, 200);
    assert_eq!(app.read(&rival, &vendor).await.0, 403);
    assert_eq!(app.read(&own, &customer).await.0, 403);
    assert_eq!(
        app.read(&own, &app.user_token(app.person("finance_department").await).await)
            .await
            .0,
        200
    );
    // And the rollup tables themselves answer nothing to those who may not read them.
    let mut client = app.db.client().await;
    let tx = as_persona(&mut client, &Persona::User(world.customer)).await.unwrap();
    for table in [
        "funnel_analytics",
        "cohort_analysis",
        "revenue_analytics",
        "conversion_tracking",
    ] {
        let n: i64 = tx
            .query_one(&format!("select count(*) from public.{table}"), &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table}");
    }
    drop(tx);
    let tx = as_persona(&mut client, &Persona::User(world.customer)).await.unwrap();
    let err = tx
        .query_one("select private.run_analytics_rollups(current_date, current_date)", &[])
        .await
        .expect_err("customers may not run rollups");
    assert_eq!(err.code().map(|c| c.code()), Some("42501"));
}

// ---------------------------------------------------------------------------------------
// Rollups: rerunnable and exact

/// A small deterministic generator (no crate needed for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Journeys through the discovery and signup funnels of 30 users and 40 anonymous sessions
/// over the last 6 days, with noise: steps out of order, repeats, steps after the window,
/// events without a session. Sent through the ingest endpoint.
async fn send_journeys(app: &TestApp, users: &[Uuid], seed: u64) -> usize {
    let mut rng = Lcg(seed);
    let now = Utc::now();
    let cities = [Some("Bengaluru"), Some("Mumbai"), Some("Pune"), None];
    let mut sent = 0;
    let actors: Vec<Option<Uuid>> = users.iter().map(|u| Some(*u)).chain((0..40).map(|_| None)).collect();
    for (a, user) in actors.iter().enumerate() {
        let session = format!("sess-{seed}-{a}");
        let mut events = Vec::new();
        for _ in 0..(1 + rng.below(4)) {
            // A start between 1 hour and 6 days ago.
            let start = now - Duration::seconds(3600 + rng.below(6 * 86400 - 7200) as i64);
            let city = cities[rng.below(4) as usize];
            let mut at = start;
            let mut push = |name: &str, at: DateTime<Utc>, city: Option<&str>| {
                if at <= now {
                    let mut e = json!({ "event_name": name, "session_id": session, "timestamp": at.to_rfc3339() });
                    if let Some(c) = city {
                        e["location_info"] = json!({ "city": c });
                    }
                    events.push(e);
                }
            };
            if rng.chance(20) {
                push("slot_selected", at - Duration::seconds(30), None);
            }
            push("service_viewed", at, city);
            if rng.chance(30) {
                push(
                    "service_viewed",
                    at + Duration::seconds(5),
                    cities[rng.below(4) as usize],
                );
            }
            for (step, p) in [("slot_selected", 70), ("booking_created", 60), ("payment_captured", 80)] {
                if !rng.chance(p) {
                    break;
                }
                let spread = if rng.chance(10) { 100_000 } else { 3_000 };
                at += Duration::seconds(10 + rng.below(spread) as i64);
                push(step, at, None);
            }
            if rng.chance(40) {
                push("app_opened", start - Duration::seconds(60), city);
                if rng.chance(50) {
                    push("signup_started", start + Duration::seconds(20), None);
                    if rng.chance(50) {
                        push("signup_completed", start + Duration::seconds(90), None);
                    }
                }
            }
        }
        if events.is_empty() {
            continue;
        }
        sent += events.len();
        let token = match user {
            Some(u) => app.user_token(*u).await,
            None => app.anon_key(),
        };
        let (status, body, _) = app.send_events(&token, "", &json!({ "events": events })).await;
        assert_eq!(status, 200, "{body}");
    }
    // Events with neither user nor session belong to no journey.
    let (status, _, _) = app
        .send_events(
            &app.anon_key(),
            "",
            &json!({ "events": [event("service_viewed", now - Duration::hours(2))] }),
        )
        .await;
    assert_eq!(status, 200);
    sent
}

/// The discovery funnel in plain SQL: journeys per step for starts on from..=to in `city`.
async fn discovery_in_plain_sql(app: &TestApp, from: NaiveDate, to: NaiveDate, city: Option<&str>) -> Vec<i64> {
    let row = app
        .db
        .client()
        .await
        .query_one(
            "with ev as (
               select coalesce(user_id::text, 'session:' || session_id) as actor, event_name, \"timestamp\" as at,
                      location_info ->> 'city' as city
                 from public.analytics_events
                where user_id is not null or session_id is not null),
             s1 as (
               select distinct on (actor, (at at time zone 'Asia/Kolkata')::date)
                      actor, (at at time zone 'Asia/Kolkata')::date as day, at as t1, city
                 from ev where event_name = 'service_viewed'
                order by actor, (at at time zone 'Asia/Kolkata')::date, at),
             s2 as (select s1.*, (select min(e.at) from ev e where e.actor = s1.actor and e.event_name = 'slot_selected'
                                    and e.at >= s1.t1 and e.at <= s1.t1 + interval '24 hours') as t2 from s1),
             s3 as (select s2.*, (select min(e.at) from ev e where e.actor = s2.actor and e.event_name = 'booking_created'
                                    and e.at >= s2.t2 and e.at <= s2.t1 + interval '24 hours') as t3 from s2),
             s4 as (select s3.*, (select min(e.at) from ev e where e.actor = s3.actor and e.event_name = 'payment_captured'
                                    and e.at >= s3.t3 and e.at <= s3.t1 + interval '24 hours') as t4 from s3)
             select count(*), count(t2), count(t3), count(t4) from s4
              where day between $1 and $2 and ($3::text is null or city = $3)",
            &[&from, &to, &city],
        )
        .await
        .unwrap();
    (0..4).map(|i| row.get::<_, i64>(i)).collect()
}

/// The raw events as the funnel core sees them.
async fn touches(app: &TestApp) -> Vec<funnel::Touch> {
    app.db
        .client()
        .await
        .query(
            "select coalesce(user_id::text, 'session:' || session_id), event_name, \"timestamp\", location_info ->> 'city'
               from public.analytics_events where user_id is not null or session_id is not null",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| funnel::Touch {
            actor: r.get(0),
            event_name: r.get(1),
            at: r.get(2),
            city: r.get(3),
        })
        .collect()
}

fn counts(answer: &Value) -> Vec<i64> {
    answer["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no steps in {answer}"))
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .collect()
}

/// Paid, cancelled and refunded bookings over the last days at two vendors, with items of
/// two categories, discounts, fees, commissions and processed refunds; written as an admin
/// panel would, triggers off.
async fn book_and_pay(app: &TestApp, world: &World) {
    let mut rng = Lcg(7);
    let client = app.db.client().await;
    let mut sql = String::from("set session_replication_role = replica;\n");
    let customers = [world.customer, world.other_customer];
    let today = ist_today();
    for n in 0..60u64 {
        let id = Uuid::new_v4();
        let vendor = if rng.chance(60) {
            world.vendor
        } else {
            world.rival_vendor
        };
        let customer = customers[rng.below(2) as usize];
        let day = today - Duration::days(rng.below(70) as i64);
        let status = ["completed", "completed", "completed", "cancelled", "confirmed"][rng.below(5) as usize];
        let payment_status = match (status, rng.below(4)) {
            (_, 0) => "pending",
            ("cancelled", _) => "refunded",
            _ => "paid",
        };
        let price_a = 100_000 + rng.below(10) as i64 * 10_000;
        let price_b = if rng.chance(50) {
            50_000 + rng.below(10) as i64 * 20_000
        } else {
            0
        };
        let subtotal = price_a + price_b;
        let discount = if rng.chance(30) { 10_000 } else { 0 };
        let tax = (subtotal - discount) * 18 / 100;
        let fee = if rng.chance(50) { 4_900 } else { 0 };
        let total = subtotal - discount + tax + fee;
        let cancelled_at = if status == "cancelled" { "now()" } else { "null" };
        sql.push_str(&format!(
            "insert into public.bookings (id, booking_number, customer_id, vendor_id, booking_type, service_location,
                                          booking_date, booking_time, scheduled_start, scheduled_end, status, cancelled_at,
                                          payment_status, subtotal, discount_amount, tax_amount, convenience_fee, total_amount)
             values ('{id}', 'OBO-{}-{:04}', '{customer}', '{vendor}', 'spa_visit', '{{}}', '{day}', '11:00',
                     ('{day}'::date + time '11:00') at time zone 'Asia/Kolkata',
                     ('{day}'::date + time '12:00') at time zone 'Asia/Kolkata', '{status}', {cancelled_at},
                     '{payment_status}', {subtotal}, {discount}, {tax}, {fee}, {total});
             insert into public.booking_items (booking_id, service_id, duration, price, subtotal)
             values ('{id}', '{}', 60, {price_a}, {price_a});\n",
            day.format("%Y%m%d"),
            n + 1,
            world.swd,
        ));
        if price_b > 0 {
            sql.push_str(&format!(
                "insert into public.booking_items (booking_id, service_id, duration, price, subtotal)
                 values ('{id}', '{}', 60, {price_b}, {price_b});\n",
                world.dpt
            ));
        }
        if payment_status != "pending" {
            let payment = Uuid::new_v4();
            sql.push_str(&format!(
                "insert into public.payments (id, transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount,
                                              discount_amount, convenience_fee, total_amount, payment_method, status, payment_date)
                 values ('{payment}', 'TXN-{id}', '{id}', '{customer}', '{vendor}', {}, {tax}, {discount}, {fee}, {total},
                         'cash', 'success', now());
                 insert into public.commission_records (booking_id, payment_id, vendor_id, commission_rate, gross_amount,
                                                        commission_amount, net_to_vendor, status)
                 values ('{id}', '{payment}', '{vendor}', 15.00, {subtotal}, {}, {}, '{}');\n",
                subtotal - discount,
                subtotal * 15 / 100,
                subtotal - subtotal * 15 / 100,
                if rng.chance(10) { "reversed" } else { "pending" },
            ));
            if payment_status == "refunded" || rng.chance(15) {
                let processed = today - Duration::days(rng.below(70) as i64);
                sql.push_str(&format!(
                    "insert into public.refunds (payment_id, booking_id, customer_id, amount, reason, status, approved_at, processed_at)
                     values ('{payment}', '{id}', '{customer}', {}, 'test', '{}', now(),
                             ('{processed}'::date + time '15:00') at time zone 'Asia/Kolkata');\n",
                    1 + rng.below(total as u64) as i64,
                    if rng.chance(80) { "processed" } else { "failed" },
                ));
            }
        }
    }
    sql.push_str("set session_replication_role = origin;");
    client.batch_execute(&sql).await.expect("bookings");
}

/// Revenue in plain SQL: (key, bookings, cancelled, gross, discounts, gst, refunds, commission).
async fn revenue_in_plain_sql(app: &TestApp, key: &str, from: NaiveDate, to: NaiveDate) -> BTreeMap<String, Vec<i64>> {
    let sql = format!(
        "with cat as (
           select distinct on (i.booking_id) i.booking_id, s.category_id
             from public.booking_items i join public.services s on s.id = i.service_id
            order by i.booking_id, i.subtotal desc, i.id),
         sales as (
           select b.booking_date as day, v.city_id, b.vendor_id, cat.category_id, count(*) as bookings,
                  count(*) filter (where b.status = 'cancelled') as cancelled,
                  sum(b.subtotal + b.tax_amount + b.convenience_fee) as gross, sum(b.discount_amount) as discounts,
                  sum(b.tax_amount) as gst,
                  sum((select coalesce(sum(c.commission_amount), 0) from public.commission_records c
                        where c.booking_id = b.id and c.status <> 'reversed')) as commission
             from public.bookings b join public.vendors v on v.id = b.vendor_id left join cat on cat.booking_id = b.id
            where b.payment_status in ('paid', 'refunded') and b.booking_date between $1 and $2
            group by 1, 2, 3, 4),
         refunds as (
           select (r.processed_at at time zone 'Asia/Kolkata')::date as day, v.city_id, b.vendor_id, cat.category_id,
                  sum(r.amount) as refunds
             from public.refunds r join public.bookings b on b.id = r.booking_id
             join public.vendors v on v.id = b.vendor_id left join cat on cat.booking_id = b.id
            where r.status = 'processed' and (r.processed_at at time zone 'Asia/Kolkata')::date between $1 and $2
            group by 1, 2, 3, 4)
         select k::text, sum(bookings)::bigint, sum(cancelled)::bigint, sum(gross)::bigint, sum(discounts)::bigint,
                sum(gst)::bigint, sum(refunds)::bigint, sum(commission)::bigint
           from (select {key} as k, bookings, cancelled, gross, discounts, gst, 0 as refunds, commission from sales
                 union all
                 select {key}, 0, 0, 0, 0, 0, refunds, 0 from refunds) x
          where k is not null
          group by k"
    );
    app.db
        .client()
        .await
        .query(&sql, &[&from, &to])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<_, String>(0), (1..8).map(|i| r.get::<_, i64>(i)).collect()))
        .collect()
}

/// Every row of the rollup tables, without ids and times, in order.
async fn rollup_snapshot(app: &TestApp) -> Vec<String> {
    let client = app.db.client().await;
    let mut rows = Vec::new();
    for sql in [
        "select concat_ws('|', funnel_name, step_order, step_name, period_start, city, entered, completed, median_seconds_to_next)
           from public.funnel_analytics",
        "select concat_ws('|', period_date, city_id, vendor_id, service_category_id, bookings_count, cancelled_count,
                          gross_revenue, discount_amount, tax_amount, refund_amount, net_revenue, commission_amount)
           from public.revenue_analytics",
        "select concat_ws('|', cohort_type, cohort_grain, cohort_month, period_number, cohort_size, retained_users,
                          bookings_count, revenue) from public.cohort_analysis",
        "select concat_ws('|', session_id, user_id, funnel_name, event, step_order, occurred_at, converted_at)
           from public.conversion_tracking",
        "select concat_ws('|', campaign_id, metric_date, channel, clicked, converted, revenue) from public.campaign_analytics",
    ] {
        let mut table: Vec<String> = client
            .query(sql, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect();
        table.sort();
        rows.extend(table);
    }
    rows
}

#[tokio::test]
async fn rollups_rerun_to_the_same_rows_and_equal_the_raw_figures() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let mut users = Vec::new();
    for _ in 0..30 {
        users.push(app.person("customer").await);
    }
    let sent = send_journeys(&app, &users, 11).await;
    assert!(sent > 200, "{sent} events");
    book_and_pay(&app, &world).await;
    // A campaign's SMS link: three sessions land on it, two of them pay.
    let campaign = Uuid::new_v4();
    app.db
        .client()
        .await
        .batch_execute(&format!(
            "insert into public.campaigns (id, name, type, content, created_by)
             values ('{campaign}', 'Monsoon offer', 'sms', '{{}}', '{}')",
            world.marketer
        ))
        .await
        .unwrap();
    let landed = Utc::now() - Duration::minutes(5);
    let mut campaign_events = Vec::new();
    for (session, views) in [("camp-1", 2), ("camp-2", 1), ("camp-3", 1)] {
        for _ in 0..views {
            campaign_events.push(
                json!({ "event_name": "page_view", "session_id": session, "timestamp": landed.to_rfc3339(),
                "event_properties": { "path": "/offers/monsoon", "utm_source": "sms", "utm_medium": "sms",
                                      "utm_campaign": campaign.to_string() } }),
            );
        }
    }
    for session in ["camp-1", "camp-3"] {
        campaign_events.push(
            json!({ "event_name": "payment_captured", "session_id": session, "timestamp": landed.to_rfc3339(),
            "event_properties": { "campaign_id": campaign, "amount": 150000, "utm_medium": "sms" } }),
        );
    }
    let (status, body, _) = app
        .send_events(&app.anon_key(), "", &json!({ "events": campaign_events }))
        .await;
    assert_eq!(status, 200, "{body}");
    let today = ist_today();
    let (from, to) = (today - Duration::days(80), today);

    // Before any rollup, the funnel is answered from the raw events, and says so.
    let analyst = app.user_token(app.person("marketing_department").await).await;
    let week = format!("from={}&to={today}", today - Duration::days(6));
    let (status, raw_first) = app.read(&format!("/funnels/discovery?{week}"), &analyst).await;
    assert_eq!(
        (status, raw_first["source"].as_str()),
        (200, Some("raw_events")),
        "{raw_first}"
    );
    let (status, body) = app
        .read(&format!("/funnels/discovery?{week}&source=rollups"), &analyst)
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("not_rolled_up")), "{body}");

    // Idempotent: a second run over the same days changes no row.
    app.rollup(from, to).await;
    let first = rollup_snapshot(&app).await;
    assert!(first.len() > 50, "{} rollup rows", first.len());
    app.rollup(from, to).await;
    assert_eq!(rollup_snapshot(&app).await, first);
    // Overlapping ranges in any order end the same.
    app.rollup(today - Duration::days(3), today).await;
    app.rollup(from, today - Duration::days(2)).await;
    assert_eq!(rollup_snapshot(&app).await, first);

    // Campaigns: sessions that landed, journeys that paid, their value.
    let row = app
        .db
        .client()
        .await
        .query_one(
            "select metric_date, channel, clicked, converted, revenue from public.campaign_analytics where campaign_id = $1",
            &[&campaign],
        )
        .await
        .expect("one campaign row");
    let got: (NaiveDate, String, i32, i32, i64) = (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    let plain = app
        .db
        .client()
        .await
        .query_one(
            "select (select count(distinct session_id)::integer from public.page_views where utm_campaign = $1::uuid::text),
                    (select count(*)::integer from public.analytics_events
                      where event_name = 'payment_captured' and event_properties ->> 'campaign_id' = $1::uuid::text),
                    (select sum((event_properties ->> 'amount')::bigint)::bigint from public.analytics_events
                      where event_name = 'payment_captured' and event_properties ->> 'campaign_id' = $1::uuid::text)",
            &[&campaign],
        )
        .await
        .unwrap();
    assert_eq!(
        got,
        (
            ombaro_analytics::ist_day(landed),
            "sms".to_owned(),
            plain.get(0),
            plain.get(1),
            plain.get(2)
        )
    );
    assert_eq!((got.2, got.3, got.4), (3, 2, 300_000));

    // Funnels: the rollups equal plain SQL over the raw events and the core's evaluation,
    // for every day alone, the whole week, and each city.
    let all = touches(&app).await;
    let discovery = funnel::definition("discovery").unwrap();
    let mut ranges: Vec<(NaiveDate, NaiveDate)> = (0..7)
        .map(|d| (today - Duration::days(d), today - Duration::days(d)))
        .collect();
    ranges.push((today - Duration::days(6), today));
    let mut journeys = 0;
    for (f, t) in &ranges {
        for city in [None, Some("Bengaluru"), Some("Mumbai"), Some("Pune")] {
            let query = format!(
                "/funnels/discovery?from={f}&to={t}{}",
                city.map(|c| format!("&city={c}")).unwrap_or_default()
            );
            let (status, rolled) = app.read(&query, &analyst).await;
            assert_eq!((status, rolled["source"].as_str()), (200, Some("rollups")), "{rolled}");
            let plain = discovery_in_plain_sql(&app, *f, *t, city).await;
            assert_eq!(counts(&rolled), plain, "{query}");
            let core = funnel::evaluate(discovery, &all, *f, *t, city);
            assert_eq!(core.iter().map(|s| s.count).collect::<Vec<_>>(), plain, "core {query}");
            let (_, raw) = app.read(&format!("{query}&source=raw"), &analyst).await;
            assert_eq!(raw["source"], "raw_events");
            assert_eq!(counts(&raw), plain, "raw {query}");
            // Conversions and (where the source knows them exactly) medians agree too.
            for (i, step) in core.iter().enumerate() {
                assert_eq!(
                    rolled["steps"][i]["conversion"].as_f64(),
                    Some(step.conversion),
                    "{query}"
                );
                assert_eq!(
                    raw["steps"][i]["median_seconds_to_next"].as_i64(),
                    step.median_seconds_to_next,
                    "{query}"
                );
                if f == t {
                    assert_eq!(
                        rolled["steps"][i]["median_seconds_to_next"].as_i64(),
                        step.median_seconds_to_next
                    );
                }
            }
            if city.is_none() && f != t {
                journeys = plain[0];
            }
        }
    }
    assert!(journeys > 50, "{journeys} journeys in the week");
    assert_eq!(
        counts(&raw_first),
        counts(&app.read(&format!("/funnels/discovery?{week}"), &analyst).await.1)
    );
    // The signup funnel too, against the core.
    let (_, signup) = app.read(&format!("/funnels/signup?{week}"), &analyst).await;
    let core = funnel::evaluate(
        funnel::definition("signup").unwrap(),
        &all,
        today - Duration::days(6),
        today,
        None,
    );
    assert_eq!(counts(&signup), core.iter().map(|s| s.count).collect::<Vec<_>>());
    assert!(core[0].count > 0 && core[1].count > 0);

    // Revenue: every grouping equals plain SQL over bookings, commissions and refunds.
    let finance = app.user_token(app.person("finance_department").await).await;
    for (group_by, key) in [
        ("day", "day"),
        ("city", "city_id"),
        ("vendor", "vendor_id"),
        ("category", "category_id"),
    ] {
        let (status, answer) = app
            .read(&format!("/revenue?from={from}&to={to}&group_by={group_by}"), &finance)
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["complete"], true);
        let plain = revenue_in_plain_sql(&app, key, from, to).await;
        let got: BTreeMap<String, Vec<i64>> = answer["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let v: Vec<i64> = [
                    "bookings",
                    "cancelled",
                    "gross",
                    "discounts",
                    "gst",
                    "refunds",
                    "commission",
                ]
                .iter()
                .map(|f| r[*f].as_i64().unwrap())
                .collect();
                assert_eq!(
                    r["net"].as_i64().unwrap(),
                    v[2] - v[3] - v[4] - v[5],
                    "net = gross - discounts - GST - refunds"
                );
                (r["key"].as_str().unwrap().to_owned(), v)
            })
            .collect();
        assert_eq!(got, plain, "revenue by {group_by}");
        assert!(!plain.is_empty());
    }
    // A vendor's own revenue is its rows of the same figures.
    let (_, own) = app
        .read(
            &format!("/vendors/{}/revenue?from={from}&to={to}", world.vendor),
            &app.user_token(world.vendor).await,
        )
        .await;
    let (_, by_vendor) = app
        .read(&format!("/revenue?from={from}&to={to}&group_by=vendor"), &finance)
        .await;
    let vendor_row = by_vendor["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == json!(world.vendor.to_string()))
        .unwrap();
    assert_eq!(own["total"]["gross"], vendor_row["gross"]);
    assert_eq!(own["total"]["refunds"], vendor_row["refunds"]);

    // Cohorts: by first completed booking, per month and week, against plain SQL and the core.
    for grain in ["month", "week"] {
        let (status, answer) = app
            .read(&format!("/cohorts?grain={grain}&from={from}&to={to}"), &analyst)
            .await;
        assert_eq!(status, 200, "{answer}");
        let rows = app
            .db
            .client()
            .await
            .query(
                "select customer_id::text, booking_date from public.bookings where status = 'completed'",
                &[],
            )
            .await
            .unwrap();
        let activity: Vec<(String, NaiveDate)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut first: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for (c, d) in &activity {
            let e = first.entry(c.clone()).or_insert(*d);
            *e = (*e).min(*d);
        }
        let joined: Vec<(String, NaiveDate)> = first.into_iter().collect();
        let g = cohort::Grain::parse(grain).unwrap();
        let core: Vec<(String, i64, i64, i64)> = cohort::retention(g, &joined, &activity, today)
            .into_iter()
            .filter(|r| r.cohort_start >= cohort::period_start(g, from))
            .map(|r| (r.cohort_start.to_string(), r.period, r.cohort_size, r.retained))
            .collect();
        let got: Vec<(String, i64, i64, i64)> = answer["cohorts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| {
                c["periods"].as_array().unwrap().iter().map(move |p| {
                    (
                        c["cohort_start"].as_str().unwrap().to_owned(),
                        p["period"].as_i64().unwrap(),
                        c["cohort_size"].as_i64().unwrap(),
                        p["retained"].as_i64().unwrap(),
                    )
                })
            })
            .collect();
        assert_eq!(got, core, "cohorts by {grain}");
        // Plain SQL for the retained counts that are not zero.
        let trunc = if grain == "week" { "week" } else { "month" };
        let plain = app
            .db
            .client()
            .await
            .query(
                &format!(
                    "with f as (select customer_id, date_trunc('{trunc}', min(booking_date)::timestamp)::date as start
                                  from public.bookings where status = 'completed' group by 1)
                     select f.start::text,
                            case when '{trunc}' = 'week' then (date_trunc('week', b.booking_date::timestamp)::date - f.start) / 7
                                 else ((extract(year from b.booking_date) * 12 + extract(month from b.booking_date))
                                      - (extract(year from f.start) * 12 + extract(month from f.start)))::int end as period,
                            count(distinct f.customer_id)
                       from f join public.bookings b on b.customer_id = f.customer_id and b.status = 'completed'
                      where f.start >= date_trunc('{trunc}', $1::date::timestamp)::date
                      group by 1, 2 order by 1, 2"
                ),
                &[&from],
            )
            .await
            .unwrap();
        let plain: Vec<(String, i64, i64)> = plain
            .iter()
            .map(|r| (r.get(0), i64::from(r.get::<_, i32>(1)), r.get(2)))
            .collect();
        let nonzero: Vec<(String, i64, i64)> = got
            .iter()
            .filter(|r| r.3 > 0)
            .map(|r| (r.0.clone(), r.1, r.3))
            .collect();
        assert_eq!(nonzero, plain, "cohorts by {grain}, plain SQL");
        assert!(!plain.is_empty());
    }

    // Sign-up cohorts: customers join on the IST day of their profile.
    let rows = app
        .db
        .client()
        .await
        .query(
            "select id::text, (created_at at time zone 'Asia/Kolkata')::date from public.user_profiles where role = 'customer'",
            &[],
        )
        .await
        .unwrap();
    let joined: Vec<(String, NaiveDate)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let rows = app
        .db
        .client()
        .await
        .query(
            "select customer_id::text, booking_date from public.bookings where status = 'completed'",
            &[],
        )
        .await
        .unwrap();
    let activity: Vec<(String, NaiveDate)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let (_, answer) = app
        .read(
            &format!("/cohorts?grain=week&type=signup&from={from}&to={to}"),
            &analyst,
        )
        .await;
    let core: Vec<(String, i64, i64, i64)> = cohort::retention(cohort::Grain::Week, &joined, &activity, today)
        .into_iter()
        .map(|r| (r.cohort_start.to_string(), r.period, r.cohort_size, r.retained))
        .collect();
    let got: Vec<(String, i64, i64, i64)> = answer["cohorts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["periods"].as_array().unwrap().iter().map(move |p| {
                (
                    c["cohort_start"].as_str().unwrap().to_owned(),
                    p["period"].as_i64().unwrap(),
                    c["cohort_size"].as_i64().unwrap(),
                    p["retained"].as_i64().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(got, core, "sign-up cohorts by week");
    assert!(
        core.iter().any(|r| r.2 >= 30),
        "the test's customers signed up this week"
    );

    // Late data: new events and a changed booking, then the same range again: the rollups
    // follow the raw rows, including rows that must disappear.
    send_journeys(&app, &users[..5], 99).await;
    app.db
        .client()
        .await
        .batch_execute(
            "update public.analytics_events set location_info = '{\"city\": \"Mysuru\"}'
                         where location_info ->> 'city' = 'Pune'",
        )
        .await
        .unwrap();
    app.rollup(from, to).await;
    assert_eq!(
        app.sql_count("select count(*) from public.funnel_analytics where city = 'Pune'")
            .await,
        0,
        "a city with no journeys left keeps no rollup rows"
    );
    let (_, after) = app
        .read(
            &format!("/funnels/discovery?from={}&to={today}", today - Duration::days(6)),
            &analyst,
        )
        .await;
    assert_eq!(after["source"], "rollups");
    assert_eq!(
        counts(&after),
        discovery_in_plain_sql(&app, today - Duration::days(6), today, None).await
    );
    let (_, mysuru) = app
        .read(
            &format!(
                "/funnels/discovery?from={}&to={today}&city=Mysuru",
                today - Duration::days(6)
            ),
            &analyst,
        )
        .await;
    assert_eq!(
        counts(&mysuru),
        discovery_in_plain_sql(&app, today - Duration::days(6), today, Some("Mysuru")).await
    );
}

#[tokio::test]
async fn the_schedule_rolls_up_yesterday_and_today_and_sql_knows_the_core_funnels() {
    let app = TestApp::spawn().await;
    let now = Utc::now();
    let (status, _, _) = app
        .send_events(
            &app.anon_key(),
            "",
            &json!({ "events": [
                { "event_name": "service_viewed", "session_id": "sched", "timestamp": (now - Duration::minutes(3)).to_rfc3339() },
                { "event_name": "slot_selected", "session_id": "sched", "timestamp": (now - Duration::minutes(2)).to_rfc3339() }
            ]}),
        )
        .await;
    assert_eq!(status, 200);
    // What `ombaro up`'s scheduler runs every few minutes, as the service.
    let db = app.db.app_db(&ombaro_common::db::PoolConfig::default()).await;
    let written = ombaro_analytics::service::scheduler::run_once(&db)
        .await
        .expect("scheduled run")
        .expect("no pg_cron in a test database, so the server runs the rollups");
    assert!(written["funnels"].as_i64().unwrap() >= 2, "{written}");
    let today = ist_today();
    let analyst = app.user_token(app.person("marketing_department").await).await;
    let (status, body) = app
        .read(
            &format!(
                "/funnels/discovery?from={}&to={today}&source=rollups",
                today - Duration::days(1)
            ),
            &analyst,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counts(&body), vec![1, 1, 0, 0]);
    assert_eq!(body["steps"][1]["conversion"].as_f64(), Some(1.0));

    // The SQL definitions of the funnels are the core's.
    let rows = app
        .db
        .client()
        .await
        .query(
            "select funnel_name, array_agg(step_name order by step_order), max(window_seconds)::bigint
               from private.analytics_funnel_steps() group by funnel_name order by funnel_name",
            &[],
        )
        .await
        .unwrap();
    let sql: Vec<(String, Vec<String>, i64)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    let mut core: Vec<(String, Vec<String>, i64)> = funnel::FUNNELS
        .iter()
        .map(|f| {
            (
                f.name.to_owned(),
                f.steps.iter().map(|s| (*s).to_owned()).collect(),
                f.window_seconds,
            )
        })
        .collect();
    core.sort();
    assert_eq!(sql, core);
}
