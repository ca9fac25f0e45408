//! Realtime as apps meet it: the official `@supabase/supabase-js` client, run by Node against
//! the stack started here, subscribed as two customers, their vendor, another vendor and anon
//! while bookings and notifications change, and on the private topic of a therapist's live
//! position (`api/rest/tests/supabase-js/realtime.test.mjs`).

mod support;

use std::process::Command;

use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_js_receives_only_what_rls_lets_each_subscriber_read() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let day = weekday_ahead(3);
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/rest/tests/supabase-js");
    assert!(
        suite.join("node_modules/@supabase/supabase-js").is_dir(),
        "@supabase/supabase-js is not installed in {}: run scripts/setup",
        suite.display()
    );
    // Asha on her way to Meera's home: the assignment whose live position is followed.
    let assignment = world
        .home_visit_on_the_way(&app, &ist_at(weekday_ahead(4), 15, 0))
        .await;
    let env = serde_json::json!({
        "url": app.base,
        "anonKey": app.anon_key(),
        "serviceKey": app.service_key(),
        "jwtSecret": support::TEST_SECRET,
        "tokens": {
            "meera": app.user_token(world.customer).await,
            "kabir": app.user_token(world.other_customer).await,
            "vendor": app.user_token(world.vendor).await,
            "rival": app.user_token(world.rival_vendor).await,
            "asha": app.user_token(world.asha_user).await,
        },
        "assignment": assignment,
        "home": [12.9716, 77.5946 + 0.018],
        "ids": { "meera": world.customer, "kabir": world.other_customer, "vendor": world.vendor },
        "bookingRequest": world.request(&ist_at(day, 10, 0)),
        "starts": [ist_at(day, 10, 0), ist_at(day, 13, 0), ist_at(day, 16, 0)],
    });
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=spec",
                "--test-concurrency=1",
                "realtime.test.mjs",
            ])
            .current_dir(&suite)
            .env("OMBARO_TEST_ENV", env.to_string())
            .output()
            .expect("running node")
    })
    .await
    .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the realtime suite failed:\n{report}");
    assert!(report.contains("fail 0"), "{report}");
}
