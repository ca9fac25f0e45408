//! `ombaro bench booking` at toy size on the test harness's server: the phases run end to end
//! and the correctness outcomes hold. Timings are not asserted; they belong to the machine.

use ombaro::bench::booking::{run, BookingBenchOptions};
use ombaro_common::{jwt::JwtKeys, testing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booking_bench_finds_one_winner_and_no_double_booking() {
    let server = testing::server_url().await;
    let options = BookingBenchOptions {
        seconds: 1,
        clients: 2,
        // Enough to release several past the service's own check at once, so that the
        // database's rule against overlapping times is what leaves one winner.
        racers: 24,
        attempts: 60,
        // Unique, so concurrent test runs on the shared server do not drop each other's.
        database: format!("ombaro_bench_test_{}", uuid::Uuid::new_v4().simple()),
        baseline: false,
    };
    let database = options.database.clone();
    let keys = JwtKeys::new("bench-test-secret-with-at-least-thirty-two-characters");
    let report = run(&server, keys, options).await.expect("the bench runs");
    let rendered = report.render();

    let a = &report.throughput;
    assert!(a.created() > 0, "{rendered}");
    assert_eq!(a.created(), a.tally.total(), "free slots are all booked\n{rendered}");
    assert_eq!(report.race.tally.with_status(201), 1, "{rendered}");
    assert_eq!(
        report.race.tally.with_status(409),
        23,
        "the losers are told so\n{rendered}"
    );
    assert!(report.failures().is_empty(), "{rendered}");
    assert_eq!(report.race.tally.total(), 24, "{rendered}");
    assert_eq!(report.randomized.tally.total(), 60, "{rendered}");
    assert!(
        report.randomized.tally.with_status(409) > 0,
        "collisions are provoked\n{rendered}"
    );
    assert_eq!(report.randomized.overlaps, 0, "{rendered}");
    assert!(report.baseline.is_none() && report.ratio().is_none());

    let admin = ombaro_common::db::connect(&server).await.unwrap();
    let left: i64 = admin
        .query_one(
            "select count(*) from pg_database where datname like $1",
            &[&format!("{database}%")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the scratch databases are dropped");
}
