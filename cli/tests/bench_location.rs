//! `ombaro bench location` at toy size on the test harness's cluster: every batch is
//! accepted and stored once, COPY writes the same rows, and the ETA reads run through the
//! cache (all hits: every batch writes its track through) and without it. Timings are not
//! asserted; they belong to the machine.

use ombaro::bench::location::{run, LocationBenchOptions};
use ombaro_common::{jwt::JwtKeys, testing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_and_eta_reads_run_end_to_end() {
    let server = testing::server_url().await;
    let options = LocationBenchOptions {
        therapists: 12,
        batches: 3,
        batch_size: 5,
        readers: 3,
        seconds: 1,
        // Unique, so concurrent test runs on the shared cluster do not drop each other's.
        database: format!("ombaro_bench_location_{}", uuid::Uuid::new_v4().simple()),
    };
    let keys = JwtKeys::new("bench-test-secret-with-at-least-thirty-two-characters");
    let report = run(&server, keys, options).await.expect("the bench runs");
    let rendered = report.render();
    assert!(report.failures().is_empty(), "{rendered}");
    assert_eq!((report.fixes, report.stored), (180, 180), "{rendered}");
    assert_eq!(report.copy_rows, 180, "{rendered}");
    assert!(
        report.with_cache.reads > 0 && report.without_cache.reads > 0,
        "{rendered}"
    );
    assert_eq!(report.with_cache.hit_rate, Some(1.0), "{rendered}");
    assert_eq!(report.without_cache.hit_rate, None, "{rendered}");
    assert!(rendered.contains("HTTP / COPY = "), "{rendered}");
}
