//! `ombaro bench analytics` at toy size on the test harness's cluster: both phases run end
//! to end, every batch is stored, COPY loads the same rows again, and the funnel from the
//! rollups has the same numbers as the one from the raw events. Timings are not asserted;
//! they belong to the machine.

use ombaro::bench::analytics::{run, AnalyticsBenchOptions};
use ombaro_common::{jwt::JwtKeys, testing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_phases_run_and_the_funnel_answers_agree() {
    let server = testing::server_url().await;
    let options = AnalyticsBenchOptions {
        seconds: 1,
        clients: 2,
        batch: 50,
        events: 40_000,
        reads: 2,
        database: format!("ombaro_bench_analytics_{}", uuid::Uuid::new_v4().simple()),
    };
    let keys = JwtKeys::new("bench-test-secret-with-at-least-thirty-two-characters");
    let report = run(&server, keys, options).await.expect("the bench runs");
    let rendered = report.render();
    assert!(report.failures().is_empty(), "{rendered}");
    assert!(report.ingest_events > 0 && report.ingest_events % 50 == 0, "{rendered}");
    assert_eq!(report.copy_rows, report.ingest_events, "{rendered}");
    assert_eq!(report.generated, 40_000, "{rendered}");
    // 5 000 sessions start the funnel; some of them go all the way.
    assert_eq!(report.raw_counts.len(), 4, "{rendered}");
    assert!(report.raw_counts[0] >= 5_000 && report.raw_counts[3] > 0, "{rendered}");
    assert_eq!(report.rolled_counts, report.raw_counts, "{rendered}");
    assert!(
        rendered.contains("HTTP/COPY") && rendered.contains("raw/rollups"),
        "{rendered}"
    );
}
