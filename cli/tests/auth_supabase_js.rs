//! The auth API as apps meet it: `supabase.auth.*` of the official `@supabase/supabase-js`
//! (npm, installed by `scripts/setup` under `api/rest/tests/supabase-js`), run by Node
//! against the stack started here, with a notification worker delivering the SMS codes
//! through the local provider into `sms_logs`. Then the database is checked for what the
//! client cannot see: bcrypt hashes, the session family revoked on reuse, and the profiles
//! sign-ups got.

mod support;

use std::{process::Command, sync::Arc, time::Duration};

use ombaro_notifications::service::{providers::Providers, Worker, WorkerOptions};
use support::TestApp;

/// bcrypt cost of this suite: the lowest bcrypt allows, to keep it fast (`ombaro bench auth`
/// measures GoTrue's cost, 10).
const TEST_BCRYPT_COST: u32 = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_js_signs_up_in_and_out_with_otp_and_admin() {
    let auth = ombaro_auth::AuthOptions {
        bcrypt_cost: TEST_BCRYPT_COST,
        // Not the default, to show the setting is the one tokens get.
        jwt_expiry: 900,
        refresh_token_reuse_interval: 2,
        rate_limits: ombaro_auth::RateLimits {
            sign_in_sign_ups: 60,
            ..ombaro_auth::RateLimits::default()
        },
        ..ombaro_auth::AuthOptions::default()
    };
    let app = TestApp::spawn_with(
        ombaro_common::db::PoolConfig::default(),
        ombaro::server::ServerOptions {
            auth: auth.clone(),
            ..ombaro::server::ServerOptions::default()
        },
        "",
    )
    .await;

    let worker = Worker::new(
        app.db.app_db(&ombaro_common::db::PoolConfig::default()).await,
        Arc::new(Providers::local(false)),
        WorkerOptions {
            id: "auth-suite".into(),
            poll: Duration::from_millis(200),
            ..WorkerOptions::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(worker.run(app.db.authenticator_login(), async {
        let _ = stopped.await;
    }));

    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/rest/tests/supabase-js");
    assert!(
        suite.join("node_modules/@supabase/supabase-js").is_dir(),
        "@supabase/supabase-js is not installed in {}: run scripts/setup",
        suite.display()
    );
    let env = serde_json::json!({
        "url": app.base,
        "anonKey": app.anon_key(),
        "serviceKey": app.keys.api_key("service_role"),
        "jwtExpiry": auth.jwt_expiry,
        "reuseInterval": auth.refresh_token_reuse_interval,
        "signInLimit": auth.rate_limits.sign_in_sign_ups,
        "run": uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
    });
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=spec",
                "--test-concurrency=1",
                "auth.test.mjs",
            ])
            .current_dir(&suite)
            .env("OMBARO_TEST_ENV", env.to_string())
            .output()
            .expect("running node")
    })
    .await
    .unwrap();
    let _ = stop.send(());
    let _ = worker.await;
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the supabase-js auth suite failed:\n{report}");
    assert!(report.contains("fail 0"), "{report}");
    println!("{report}");

    let db = app.db.client().await;
    // Passwords are bcrypt at the configured cost, as GoTrue stores them; OTP-only users
    // have none.
    let hashes = db
        .query(
            "select encrypted_password from auth.users where email like 'meera.%@example.in'",
            &[],
        )
        .await
        .unwrap();
    assert!(!hashes.is_empty());
    for row in hashes {
        let hash: String = row.get(0);
        assert!(hash.starts_with("$2b$04$") && hash.len() == 60, "{hash}");
    }
    // Codes are stored hashed, never in clear, and a used one is gone.
    let clear: i64 = db
        .query_one(
            "select count(*) from auth.users where confirmation_token ~ '^[0-9]{6}$' or recovery_token ~ '^[0-9]{6}$'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(clear, 0);
    // Nobody who signed up got anything but the customer role, whatever their metadata said.
    let roles = db
        .query(
            "select distinct p.role from public.user_profiles p join auth.users u on u.id = p.id
              where u.raw_user_meta_data ? 'role' or u.phone is not null",
            &[],
        )
        .await
        .unwrap();
    let roles: Vec<String> = roles.iter().map(|r| r.get(0)).collect();
    assert_eq!(roles, vec!["customer".to_owned()]);
    // The reused refresh token burnt its whole family.
    let live: i64 = db
        .query_one(
            "select count(*) from auth.refresh_tokens t join auth.users u on u.id::text = t.user_id
              where u.email like 'reuse.%@example.in' and not t.revoked",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(live, 0);
    // The SMS codes went through the notification worker and the local provider.
    let sms: i64 = db
        .query_one(
            "select count(*) from public.sms_logs l join public.notification_queue q on q.id = l.queue_id
              where q.event_type = 'auth.otp' and q.status = 'sent'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(sms >= 1, "no OTP SMS was delivered");
}
