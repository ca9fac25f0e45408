//! The data API over plain HTTP where supabase-js does not reach: the OpenAPI document, the
//! schema cache reloading on `NOTIFY pgrst`, the generated TypeScript types compiling an app
//! with `tsc`, PostgREST's finer features (many-to-many and `!inner` embeds, spreads, JSON
//! paths, planned counts, `tx=rollback`, `missing=default`, ranges), and hostile query strings.

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};

struct Rest<'a> {
    app: &'a TestApp,
    token: String,
}

impl Rest<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(&format!("/rest/v1{path}")))
            .header("apikey", self.app.anon_key())
            .bearer_auth(&self.token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.call(Method::GET, path, &[], None).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
    }
}

async fn world_with_bookings(app: &TestApp) -> (World, Vec<String>) {
    let world = World::new(app).await;
    let token = app.user_token(world.customer).await;
    let day = weekday_ahead(3);
    let mut ids = Vec::new();
    for hour in [10, 14] {
        let (status, body) = app
            .post_json("/bookings", &token, &world.request(&ist_at(day, hour, 0)))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(
            body["booking"]["id"]
                .as_str()
                .or(body["id"].as_str())
                .unwrap()
                .to_owned(),
        );
    }
    (world, ids)
}

#[tokio::test]
async fn openapi_describes_tables_columns_comments_and_functions() {
    let app = TestApp::spawn().await;
    let rest = Rest {
        app: &app,
        token: app.anon_key(),
    };
    let (status, doc) = rest.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["swagger"], "2.0");
    let bookings = &doc["definitions"]["bookings"];
    assert!(bookings["properties"]["booking_number"]["format"].is_string());
    assert!(
        doc["definitions"]["bookings"]["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "table comments become descriptions"
    );
    assert!(doc["paths"]["/bookings"]["get"].is_object());
    assert!(doc["paths"]["/rpc/nearest_vendors"]["post"].is_object());
    assert!(
        doc["paths"]["/rpc/nearest_vendors"]["get"].is_object(),
        "stable functions are callable by GET"
    );
}

#[tokio::test]
async fn the_schema_cache_reloads_on_notify_pgrst() {
    let app = TestApp::spawn().await;
    let rest = Rest {
        app: &app,
        token: app.service_key(),
    };
    let (status, body) = rest.get("/late_table").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "PGRST205");
    app.db
        .client()
        .await
        .batch_execute(
            "create table public.late_table (id int primary key, note text);
             grant select on public.late_table to service_role;
             insert into public.late_table values (1, 'hello');
             notify pgrst, 'reload schema';",
        )
        .await
        .unwrap();
    let mut last = Value::Null;
    for _ in 0..50 {
        let (status, body) = rest.get("/late_table?select=note").await;
        if status == StatusCode::OK {
            assert_eq!(body, json!([{"note": "hello"}]));
            return;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new table never appeared: {last}");
}

#[tokio::test]
async fn generated_typescript_types_compile_an_app_with_tsc() {
    let app = TestApp::spawn().await;
    let mut client = app.db.client().await;
    let cache = ombaro_rest::schema::SchemaCache::load(&mut client).await.unwrap();
    let types = ombaro_rest::typescript::generate(&cache);
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/rest/tests/supabase-js");
    assert!(
        suite.join("node_modules/typescript").is_dir(),
        "typescript is not installed: run scripts/setup"
    );
    std::fs::create_dir_all(suite.join(".generated")).unwrap();
    std::fs::write(suite.join(".generated/database.types.ts"), &types).unwrap();
    let output = std::process::Command::new("node")
        .args(["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"])
        .current_dir(&suite)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tsc refused the app against the generated types:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // And drift is caught: the same app against types without `bookings.booking_number`.
    let drifted = types.replacen("          booking_number: string\n", "", 1);
    assert_ne!(drifted, types);
    std::fs::write(suite.join(".generated/database.types.ts"), &drifted).unwrap();
    let output = std::process::Command::new("node")
        .args(["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"])
        .current_dir(&suite)
        .output()
        .unwrap();
    std::fs::write(suite.join(".generated/database.types.ts"), &types).unwrap();
    assert!(
        !output.status.success(),
        "tsc accepted an app naming a column the types lack"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("booking_number"));
}

#[tokio::test]
async fn embeds_spreads_json_paths_casts_and_inner_joins() {
    let app = TestApp::spawn().await;
    let (world, _) = world_with_bookings(&app).await;
    let rest = Rest {
        app: &app,
        token: app.user_token(world.customer).await,
    };

    // Many-to-one with a rename and a cast; one-to-many with its own order and limit.
    let (status, body) = rest
        .get("/bookings?select=id,total:total_amount::text,vendor:vendors(business_name),booking_items(service_name,duration)&booking_items.order=duration.desc&booking_items.limit=1&order=scheduled_start")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2);
    assert!(body[0]["total"].is_string(), "cast to text: {body}");
    assert_eq!(body[0]["vendor"]["business_name"], "Spa serene");
    assert_eq!(body[0]["booking_items"].as_array().unwrap().len(), 1);

    // A spread lifts the vendor's columns into the booking.
    let (status, body) = rest.get("/bookings?select=id,...vendors(business_name)&limit=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["business_name"], "Spa serene");

    // JSON path selection and filtering on vendors.business_address (jsonb).
    let anon = Rest {
        app: &app,
        token: app.anon_key(),
    };
    let (status, body) = anon
        .get(&format!(
            "/vendors?select=id,city:business_address->>city&business_address->>city=eq.Bengaluru&id=eq.{}",
            world.vendor
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([{"id": world.vendor, "city": "Bengaluru"}]));

    // `!inner` drops parents whose embedded rows are filtered away.
    let (status, body) = rest
        .get(&format!(
            "/bookings?select=id,booking_items!inner(service_name)&booking_items.service_id=eq.{}",
            world.dpt
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!([]), "no booking has a deep tissue item");
    let (_, body) = rest
        .get(&format!(
            "/bookings?select=id,booking_items!inner(service_name)&booking_items.service_id=eq.{}",
            world.swd
        ))
        .await;
    assert_eq!(body.as_array().unwrap().len(), 2);

    // An embed with no relationship is PGRST200.
    let (status, body) = rest.get("/bookings?select=id,cities(name)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "PGRST200");
}

#[tokio::test]
async fn counts_ranges_rollback_and_defaults() {
    let app = TestApp::spawn().await;
    let (world, ids) = world_with_bookings(&app).await;
    let rest = Rest {
        app: &app,
        token: app.user_token(world.customer).await,
    };

    // A planned count comes from the planner, an exact one from counting.
    let (status, headers, _) = rest
        .call(Method::GET, "/bookings?select=id", &[("Prefer", "count=planned")], None)
        .await;
    // 206 when the planner expects more rows than came back, as PostgREST answers.
    assert!(
        status == StatusCode::OK || status == StatusCode::PARTIAL_CONTENT,
        "{status}"
    );
    let range = headers["content-range"].to_str().unwrap();
    assert!(range.starts_with("0-1/"), "{range}");
    assert!(range.rsplit('/').next().unwrap().parse::<i64>().is_ok(), "{range}");

    // Past the end with a count: 416.
    let (status, headers, body) = rest
        .call(
            Method::GET,
            "/bookings?select=id&offset=5",
            &[("Prefer", "count=exact")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE, "{body}");
    assert_eq!(headers["content-range"], "*/2");

    // HEAD: headers, no body.
    let (status, headers, body) = rest
        .call(Method::HEAD, "/bookings?select=id", &[("Prefer", "count=exact")], None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-range"], "0-1/2");
    assert!(body.is_empty());

    // tx=rollback: the answer shows the change, the database keeps nothing.
    let (status, _, body) = rest
        .call(
            Method::PATCH,
            &format!("/bookings?id=eq.{}", ids[0]),
            &[("Prefer", "return=representation,tx=rollback")],
            Some(json!({"special_instructions": "only a rehearsal"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("only a rehearsal"));
    let kept: Option<String> = app
        .db
        .client()
        .await
        .query_one(
            "select special_instructions from public.bookings where id = $1::text::uuid",
            &[&ids[0]],
        )
        .await
        .unwrap()
        .get(0);
    assert_ne!(kept.as_deref(), Some("only a rehearsal"));

    // missing=default: a bulk insert with uneven keys takes each missing column's default.
    let service = Rest {
        app: &app,
        token: app.service_key(),
    };
    let address = |label: &str| {
        json!({"customer_id": world.customer, "address_type": "other", "label": label, "address_line1": "x",
               "city": "Bengaluru", "state": "Karnataka", "pincode": "560001"})
    };
    let mut second = address("B");
    second["country"] = json!("Bharat");
    let (status, _, body) = service
        .call(
            Method::POST,
            "/customer_addresses?select=label,country",
            &[("Prefer", "return=representation,missing=default")],
            Some(json!([address("A"), second])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let rows: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        rows,
        json!([{"label": "A", "country": "India"}, {"label": "B", "country": "Bharat"}])
    );
    // Without it, uneven keys are refused and nothing is written.
    let (status, _, body) = service
        .call(
            Method::POST,
            "/customer_addresses",
            &[],
            Some(json!([address("C"), {"label": "D"}])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("PGRST102"));

    // PATCH with limit and order changes only that many rows.
    let (status, _, body) = service
        .call(
            Method::PATCH,
            &format!(
                "/customer_addresses?customer_id=eq.{}&address_type=eq.other&order=label.desc&limit=1",
                world.customer
            ),
            &[("Prefer", "return=representation")],
            Some(json!({"landmark": "Near the park"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["label"], "B");
}

#[tokio::test]
async fn rpc_scalar_void_and_errors() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let service = Rest {
        app: &app,
        token: app.service_key(),
    };
    let vendor = Rest {
        app: &app,
        token: app.user_token(world.vendor).await,
    };
    // A scalar function answers its value.
    let (status, _, body) = vendor
        .call(
            Method::POST,
            "/rpc/vendor_commission_rate",
            &[],
            Some(json!({"p_vendor_id": world.vendor})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.parse::<f64>().is_ok() || body == "null", "{body}");
    // A void function answers 204.
    let (status, _, body) = vendor
        .call(
            Method::POST,
            "/rpc/save_vendor_tax_ids",
            &[],
            Some(json!({"p_vendor_id": world.vendor, "p_pan_number": "ABCDE1234F"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // GET runs read-only: a function that writes is refused.
    let (status, _, body) = vendor
        .call(
            Method::GET,
            &format!(
                "/rpc/save_vendor_tax_ids?p_vendor_id={}&p_pan_number=ABCDE1234F",
                world.vendor
            ),
            &[],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert!(body.contains("25006"), "{body}");
    // Unknown arguments name the function as PostgREST does.
    let (status, _, body) = service
        .call(Method::POST, "/rpc/nearest_vendors", &[], Some(json!({"lat": 1})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("PGRST202"), "{body}");
}

#[tokio::test]
async fn tokens_and_keys_at_the_gateway() {
    let app = TestApp::spawn().await;
    let url = app.url("/rest/v1/services?select=code&limit=1");
    // No key at all.
    let resp = app.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // The anon key alone (as the apikey header) acts as anon.
    let resp = app
        .http
        .get(&url)
        .header("apikey", app.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // A forged token is refused with PostgREST's JWT error.
    let forged =
        ombaro_common::jwt::JwtKeys::new("a-different-secret-of-at-least-thirty-two-chars").api_key("service_role");
    let resp = app
        .http
        .get(&url)
        .header("apikey", app.anon_key())
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "PGRST301");
    // An expired one says so.
    let expired = app
        .keys
        .user_token(&uuid::Uuid::new_v4().to_string(), None, -60, json!({}));
    let resp = app
        .http
        .get(&url)
        .header("apikey", app.anon_key())
        .bearer_auth(expired)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "PGRST303");
}

/// Hostile query strings: every one is answered with a clean 4xx (never a 5xx, never a
/// dropped connection) and the database is untouched.
#[tokio::test]
async fn hostile_query_strings_get_a_clean_4xx_and_change_nothing() {
    use proptest::{
        strategy::{Strategy, ValueTree},
        test_runner::TestRunner,
    };

    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let token = app.user_token(world.customer).await;
    let fingerprint = "select (select count(*) from public.services) + (select count(*) from public.user_profiles)
                              + (select count(*) from pg_catalog.pg_class)";
    let before = app.count(fingerprint).await;
    let pieces = proptest::sample::select(vec![
        "select",
        "order",
        "limit",
        "offset",
        "or",
        "and",
        "not",
        "code",
        "name",
        "id",
        "services",
        "bookings",
        "eq",
        "neq",
        "in",
        "is",
        "like",
        "fts",
        "cs",
        "->",
        "->>",
        "::",
        "!inner",
        "...",
        "(",
        ")",
        ",",
        ".",
        "=",
        "'",
        "\"",
        ";",
        "--",
        "drop table public.services",
        "pg_sleep(10)",
        "%27",
        "%22",
        "%3B",
        "*",
        " ",
        "\\",
        "1",
        "-1",
        "null",
        "true",
        "{",
        "}",
        "$1",
        "e'\\x00'",
        "/*",
        "*/",
        "\u{0}",
        "é",
    ]);
    let query = proptest::collection::vec(pieces, 1..14).prop_map(|parts| parts.concat());
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        cases: 300,
        ..Default::default()
    });
    let mut queries = Vec::new();
    for _ in 0..300 {
        queries.push(query.new_tree(&mut runner).unwrap().current());
    }
    for table in ["services", "bookings"] {
        for q in &queries {
            for path in [
                format!("/rest/v1/{table}?{q}"),
                format!("/rest/v1/{table}?select={q}"),
                format!("/rest/v1/{table}?code={q}"),
            ] {
                let resp = app
                    .http
                    .get(app.url(&path))
                    .header("apikey", app.anon_key())
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
                let status = resp.status();
                assert!(
                    status.is_success() || status.is_client_error(),
                    "{path}: {status} {}",
                    resp.text().await.unwrap_or_default()
                );
            }
        }
    }
    assert_eq!(app.count(fingerprint).await, before, "the database changed");
}

#[tokio::test]
async fn many_to_many_hints_and_geojson() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let service = Rest {
        app: &app,
        token: app.service_key(),
    };
    // Many-to-many through service_tag_mapping: each service's tags, as an array.
    let (status, body) = service.get("/services?select=code,service_tags(slug)&order=code").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let services = body.as_array().unwrap();
    assert!(services.iter().all(|s| s["service_tags"].is_array()));
    let tagged: i64 = app
        .count("select count(distinct service_id) from public.service_tag_mapping")
        .await;
    assert_eq!(
        services
            .iter()
            .filter(|s| !s["service_tags"].as_array().unwrap().is_empty())
            .count() as i64,
        tagged
    );
    // Two foreign keys from campaigns to employees: ambiguous without a hint, 300 as PostgREST.
    let (status, body) = service.get("/campaigns?select=id,employees(name)").await;
    assert_eq!(status, StatusCode::MULTIPLE_CHOICES, "{body}");
    assert_eq!(body["code"], "PGRST201");
    let (status, body) = service
        .get("/campaigns?select=id,creator:employees!campaigns_created_by_fkey(name)")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // PostGIS rows as GeoJSON.
    let (status, headers, body) = service
        .call(
            Method::GET,
            &format!("/vendors?select=id,business_name,location&id=eq.{}", world.vendor),
            &[("Accept", "application/geo+json")],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/geo+json"));
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["features"][0]["geometry"]["type"], "Point");
    assert_eq!(doc["features"][0]["properties"]["business_name"], "Spa serene");
    // An estimated count on a small table is exact.
    let (status, headers, _) = service
        .call(
            Method::GET,
            "/services?select=id&limit=1",
            &[("Prefer", "count=estimated")],
            None,
        )
        .await;
    assert!(status.is_success());
    let total: i64 = app.count("select count(*) from public.services").await;
    assert_eq!(headers["content-range"].to_str().unwrap(), format!("0-0/{total}"));
}
