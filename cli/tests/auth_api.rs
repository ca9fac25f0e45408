//! `/auth/v1` over plain HTTP where supabase-js cannot show it: sign-up with
//! `enable_confirmations` on (the code goes through the notification outbox, sign-in waits for
//! it, an existing address gets a look-alike answer), the gateway's `apikey` check, and the
//! database's own rule that a sign-up is a customer whoever inserts it.

mod support;

use serde_json::{json, Value};
use support::TestApp;

async fn confirming_app(max_frequency: i64) -> TestApp {
    TestApp::spawn_with(
        ombaro_common::db::PoolConfig::default(),
        ombaro::server::ServerOptions {
            auth: ombaro_auth::AuthOptions {
                bcrypt_cost: 4,
                email_confirmations: true,
                phone_confirmations: true,
                max_frequency,
                ..ombaro_auth::AuthOptions::default()
            },
            ..ombaro::server::ServerOptions::default()
        },
        "",
    )
    .await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let resp = app
        .http
        .post(app.url(&format!("/auth/v1{path}")))
        .header("apikey", app.anon_key())
        .header("x-supabase-api-version", "2024-01-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn with_confirmations_on_a_sign_up_waits_for_its_code() {
    let app = confirming_app(60).await;
    let email = "asha.confirm@example.in";
    let (status, user) = post(&app, "/signup", json!({"email": email, "password": "long enough"})).await;
    assert_eq!(status, 200, "{user}");
    assert!(
        user.get("access_token").is_none(),
        "no session before confirmation: {user}"
    );
    assert_eq!(user["email"], email);
    assert!(user["email_confirmed_at"].is_null());
    assert!(user["confirmation_sent_at"].is_string());

    let (status, err) = post(
        &app,
        "/token?grant_type=password",
        json!({"email": email, "password": "long enough"}),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (400, Some("email_not_confirmed")));

    // The code went to the notification outbox, with a link, never into auth.users in clear.
    let db = app.db.client().await;
    let row = db
        .query_one(
            "select channel, template_code, payload from public.notification_queue where recipient = $1",
            &[&email],
        )
        .await
        .unwrap();
    let (channel, template, payload): (String, String, Value) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((channel.as_str(), template.as_str()), ("email", "auth_confirm_signup"));
    let code = payload["otp"].as_str().unwrap().to_owned();
    assert!(payload["confirmation_link"]
        .as_str()
        .unwrap()
        .contains("/auth/v1/verify?token="));
    let stored: String = db
        .query_one("select confirmation_token from auth.users where email = $1", &[&email])
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, code);
    assert_eq!(stored.len(), 56);

    // Signing up again tells nothing: a look-alike user, no new code (within 60 s).
    let (status, again) = post(&app, "/signup", json!({"email": email, "password": "other password"})).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["id"], user["id"]);
    let queued: i64 = db
        .query_one(
            "select count(*) from public.notification_queue where recipient = $1",
            &[&email],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 1);

    // Asked again within a minute: the same answer, still one message; an unknown address
    // gets the same answer too.
    let (status, resent) = post(&app, "/resend", json!({"type": "signup", "email": email})).await;
    assert_eq!((status, resent), (200, json!({})));
    let (status, ghost) = post(&app, "/resend", json!({"type": "signup", "email": "nobody@example.in"})).await;
    assert_eq!((status, ghost), (200, json!({})));
    let queued: i64 = db
        .query_one(
            "select count(*) from public.notification_queue where recipient = $1",
            &[&email],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(queued, 1);

    let (status, wrong) = post(
        &app,
        "/verify",
        json!({"type": "signup", "email": email, "token": "000000"}),
    )
    .await;
    assert_eq!((status, wrong["code"].as_str()), (403, Some("otp_expired")));
    let (status, session) = post(
        &app,
        "/verify",
        json!({"type": "signup", "email": email, "token": code}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert!(session["user"]["email_confirmed_at"].is_string());
    let (status, _) = post(
        &app,
        "/token?grant_type=password",
        json!({"email": email, "password": "long enough"}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_phone_sign_up_with_confirmations_gets_its_code_by_sms() {
    // No spacing between codes here, so the resend goes out at once.
    let app = confirming_app(0).await;
    let (status, user) = post(
        &app,
        "/signup",
        json!({"phone": "+91 98765 43210", "password": "long enough"}),
    )
    .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["phone"], "919876543210");
    let (status, resent) = post(&app, "/resend", json!({"type": "sms", "phone": "+919876543210"})).await;
    assert_eq!(status, 200, "{resent}");
    let db = app.db.client().await;
    let rows = db
        .query(
            "select id::text, channel, template_code, recipient from public.notification_queue
              where event_type = 'auth.otp' order by created_at",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "the sign-up's code and the resent one");
    for row in &rows {
        let (channel, template, recipient): (String, String, String) = (row.get(1), row.get(2), row.get(3));
        assert_eq!(
            (channel.as_str(), template.as_str(), recipient.as_str()),
            ("sms", "otp_login", "+919876543210")
        );
    }
    assert_eq!(
        resent["message_id"].as_str(),
        Some(rows[1].get::<_, String>(0).as_str())
    );
    // The profile the sign-up made is a customer's.
    let role: String = db
        .query_one(
            "select p.role from public.user_profiles p join auth.users u on u.id = p.id where u.phone = '919876543210'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(role, "customer");
}

#[tokio::test]
async fn the_gateway_wants_a_project_key() {
    let app = TestApp::spawn().await;
    let no_key = app
        .http
        .post(app.url("/auth/v1/signup"))
        .json(&json!({"email": "x@example.in", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    let foreign = ombaro_common::jwt::JwtKeys::new("another-secret-of-enough-length!!").api_key("anon");
    let wrong_key = app
        .http
        .post(app.url("/auth/v1/signup"))
        .header("apikey", foreign)
        .json(&json!({"email": "x@example.in", "password": "long enough"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let health = app.http.get(app.url("/auth/v1/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let nothing: i64 = app
        .db
        .client()
        .await
        .query_one("select count(*) from auth.users where email = 'x@example.in'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(nothing, 0);
}

/// email, profile role, mobile, name, has a customers row.
type ProfileRow = (String, Option<String>, Option<String>, Option<String>, bool);

#[tokio::test]
async fn whoever_inserts_a_user_it_becomes_a_customer_and_nothing_else() {
    // The rule lives in the database: an insert straight into auth.users (as GoTrue on Supabase
    // does it) with a privileged role in its metadata still makes a customer profile.
    let app = TestApp::spawn().await;
    let db = app.db.client().await;
    db.batch_execute(
        "insert into auth.users (id, aud, role, email, phone, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('7d4c2c1e-1111-4c1e-9a1e-000000000001', 'authenticated', 'authenticated', 'mallory@example.in',
                 '919811111111', '{\"role\": \"super_admin\"}', '{\"role\": \"super_admin\", \"name\": \"Mallory\"}', now(), now());
         insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('7d4c2c1e-1111-4c1e-9a1e-000000000002', 'authenticated', 'authenticated', 'nomobile@example.in',
                 '{}', '{}', now(), now());
         -- The same mobile again: no second profile, and the sign-up still succeeds.
         insert into auth.users (id, aud, role, email, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
         values ('7d4c2c1e-1111-4c1e-9a1e-000000000003', 'authenticated', 'authenticated', 'twin@example.in',
                 '{}', '{\"mobile\": \"+919811111111\"}', now(), now());",
    )
    .await
    .unwrap();
    let rows = db
        .query(
            "select u.email, p.role, p.mobile, p.name, c.id is not null
               from auth.users u
               left join public.user_profiles p on p.id = u.id
               left join public.customers c on c.id = u.id
              where u.email in ('mallory@example.in', 'nomobile@example.in', 'twin@example.in')
              order by u.email",
            &[],
        )
        .await
        .unwrap();
    let got: Vec<ProfileRow> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "mallory@example.in".into(),
                Some("customer".into()),
                Some("+919811111111".into()),
                Some("Mallory".into()),
                true
            ),
            ("nomobile@example.in".into(), None, None, None, false),
            ("twin@example.in".into(), None, None, None, false),
        ]
    );
}

/// The claims of an access token the server signed.
fn claims_of(app: &TestApp, token: &str) -> Value {
    app.keys
        .verify(token)
        .expect("the server signs with the test secret")
        .raw
}

#[tokio::test]
async fn each_token_names_its_bearer_s_audience_role_through_the_project_s_hook() {
    // `[auth.hook.custom_access_token]` in supabase/config.toml: a customer's token names
    // `authenticated`, a vendor's `partner`, an employee's `staff`, at sign-in and at each
    // refresh, and the data API acts as that role.
    let app = TestApp::spawn().await;
    let phone = "919811122233";
    let (status, session) = post(&app, "/signup", json!({"phone": phone, "password": "long enough"})).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(
        claims_of(&app, session["access_token"].as_str().unwrap())["role"],
        "authenticated"
    );
    assert_eq!(session["user"]["role"], "authenticated");

    let db = app.db.client().await;
    let refresh = |token: Value| {
        let app = &app;
        async move {
            let (status, session) = post(app, "/token?grant_type=refresh_token", json!({"refresh_token": token})).await;
            assert_eq!(status, 200, "{session}");
            session
        }
    };
    db.execute(
        "update public.user_profiles set role = 'vendor' where id = (select id from auth.users where phone = $1)",
        &[&phone],
    )
    .await
    .map(|rows| assert_eq!(rows, 1, "the sign-up has a profile"))
    .unwrap();
    let session = refresh(session["refresh_token"].clone()).await;
    let partner = session["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&app, &partner)["role"], "partner");

    // The data API acts as the token's role: a partner reads through its own policies.
    let resp = app
        .http
        .get(app.url("/rest/v1/bookings?select=id"))
        .header("apikey", app.anon_key())
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([]));

    db.execute(
        "update public.user_profiles set role = 'finance_department' where id = (select id from auth.users where phone = $1)",
        &[&phone],
    )
    .await
    .map(|rows| assert_eq!(rows, 1, "the sign-up has a profile"))
    .unwrap();
    let session = refresh(session["refresh_token"].clone()).await;
    assert_eq!(
        claims_of(&app, session["access_token"].as_str().unwrap())["role"],
        "staff"
    );
}

#[tokio::test]
async fn a_hook_that_names_an_api_key_s_role_is_refused_and_spends_nothing() {
    // A custom access token hook may narrow or widen a user among the signed-in roles, never
    // make them an API key (`service_role` bypasses every policy). The refusal rolls the grant
    // back: the refresh token it was given still works once the hook is mended.
    let app = TestApp::spawn().await;
    let (status, session) = post(
        &app,
        "/signup",
        json!({"phone": "919811144455", "password": "long enough"}),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let db = app.db.client().await;
    let hook_naming = |role: &'static str| {
        format!(
            "create or replace function public.custom_access_token_hook(event jsonb) returns jsonb
               language sql stable as $$ select jsonb_build_object('claims',
                 jsonb_set(event -> 'claims', '{{role}}', to_jsonb('{role}'::text))) $$"
        )
    };
    let refresh = json!({"refresh_token": session["refresh_token"]});

    db.batch_execute(&hook_naming("service_role")).await.unwrap();
    let (status, refused) = post(&app, "/token?grant_type=refresh_token", refresh.clone()).await;
    assert_eq!(status, 500, "{refused}");
    assert_eq!(refused["code"], "unexpected_failure");
    assert!(refused.get("access_token").is_none());

    db.batch_execute(&hook_naming("partner")).await.unwrap();
    let (status, renewed) = post(&app, "/token?grant_type=refresh_token", refresh).await;
    assert_eq!(status, 200, "the refused grant spent nothing: {renewed}");
    assert_eq!(
        claims_of(&app, renewed["access_token"].as_str().unwrap())["role"],
        "partner"
    );
}
