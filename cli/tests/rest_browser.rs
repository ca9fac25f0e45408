//! The browser check: headless Chromium loads an app page from another origin than the API,
//! and the page's supabase-js calls to `/rest/v1` and `/functions/v1` succeed, which needs the
//! CORS preflights answered as a Supabase project answers them.

mod support;

use std::{path::PathBuf, process::Command};

use axum::{response::Html, routing::get, Router};
use serde_json::Value;
use support::TestApp;

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../api/rest/tests")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_on_another_origin_calls_rest_and_functions_through_supabase_js() {
    let app = TestApp::spawn().await;
    let page = std::fs::read_to_string(suite_dir().join("browser/index.html")).unwrap();
    let bundle = std::fs::read_to_string(
        suite_dir().join("supabase-js/node_modules/@supabase/supabase-js/dist/umd/supabase.js"),
    )
    .expect("the supabase-js browser bundle: run scripts/setup");
    let site = Router::new().route("/", get(move || async move { Html(page) })).route(
        "/supabase.js",
        get(move || async move { ([("content-type", "text/javascript")], bundle) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, site).await });

    let url = format!("{origin}/?api={}&key={}", app.base, app.anon_key());
    let profile = tempdir();
    let profile_dir = profile.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                &format!("--user-data-dir={}", profile.display()),
                "--virtual-time-budget=15000",
                "--dump-dom",
                &url,
            ])
            .output()
            .expect("chromium (scripts/setup installs it)")
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&profile_dir);
    let dom = String::from_utf8_lossy(&output.stdout);
    let result = dom
        .split("RESULT ")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "the page never finished:\n{dom}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let result: Value = serde_json::from_str(&result.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
    assert_ne!(
        result["origin"].as_str(),
        Some(app.base.as_str()),
        "the page must come from another origin"
    );
    assert_eq!(result["rest"]["error"], Value::Null, "{result}");
    assert_eq!(result["rest"]["codes"], serde_json::json!(["SWD"]), "{result}");
    assert_eq!(result["functions"]["error"], Value::Null, "{result}");
    assert!(result["functions"]["data"].is_object(), "{result}");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ombaro-chromium-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
