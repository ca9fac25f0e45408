//! The data API as apps meet it: the official `@supabase/supabase-js` client (npm, installed by
//! `scripts/setup` under `api/rest/tests/supabase-js`) run by Node against the stack started
//! here on a random port, as anon, two customers, a vendor and the service role.

mod support;

use std::process::Command;

use support::{
    world::{ist_at, weekday_ahead, World},
    TestApp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_js_reads_writes_and_calls_as_every_persona() {
    let app = TestApp::spawn().await;
    let world = World::new(&app).await;
    let meera = app.user_token(world.customer).await;
    let kabir = app.user_token(world.other_customer).await;
    let day = weekday_ahead(3);
    let mut bookings = Vec::new();
    for (token, hour) in [(&meera, 10), (&meera, 14), (&kabir, 16)] {
        let (status, body) = app
            .post_json("/bookings", token, &world.request(&ist_at(day, hour, 0)))
            .await;
        assert_eq!(status, 201, "booking for the suite: {body}");
        bookings.push(
            body["booking"]["id"]
                .as_str()
                .or(body["id"].as_str())
                .unwrap()
                .to_owned(),
        );
    }

    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api/rest/tests/supabase-js");
    assert!(
        suite.join("node_modules/@supabase/supabase-js").is_dir(),
        "@supabase/supabase-js is not installed in {}: run scripts/setup",
        suite.display()
    );
    let env = serde_json::json!({
        "url": app.base,
        "anonKey": app.anon_key(),
        "serviceKey": app.service_key(),
        "tokens": {
            "meera": meera,
            "kabir": kabir,
            "vendor": app.user_token(world.vendor).await,
            "therapist": app.user_token(world.asha_user).await,
        },
        "ids": {
            "meera": world.customer,
            "kabir": world.other_customer,
            "vendor": world.vendor,
            "rivalVendor": world.rival_vendor,
            "meeraBookings": [bookings[0], bookings[1]],
            "kabirBooking": bookings[2],
            "meeraAddress": world.address,
        },
    });
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=spec",
                "--test-concurrency=1",
                "rest.test.mjs",
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
    assert!(output.status.success(), "the supabase-js suite failed:\n{report}");
    assert!(report.contains("fail 0"), "{report}");
    println!("{report}");
}
