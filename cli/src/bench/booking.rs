//! `ombaro bench booking`: the booking service under load over real HTTP, against a scratch
//! database on the stack's cluster so the developer's data is never touched.
//!
//! Three phases, each answering one question:
//! - (a) throughput: how many bookings per second the service makes when nothing collides,
//!   compared with pgbench's tpcb-like TPS measured on the same cluster in the same run;
//! - (b) race: many customers asking for one therapist at once, for the same slot and for
//!   overlapping different starts and lengths, get exactly one booking between them;
//! - (c) randomized: a deterministic stream of overlapping requests never leaves a therapist
//!   with overlapping active assignments.
//!
//! Measuring ([`run`]) is kept apart from judging and printing ([`BookingBenchReport`]).

mod fixture;
mod load;
mod report;

use std::time::Instant;

use ombaro_common::jwt::JwtKeys;

pub use crate::bench::pgbench::Baseline;
use crate::bench::{
    pgbench,
    scratch::{self, Server},
};
pub use load::{Race, Randomized, Tally, Throughput};

/// What to run; the command line's defaults are in `main.rs`.
#[derive(Debug, Clone)]
pub struct BookingBenchOptions {
    /// Duration of phase (a) and of the pgbench baseline.
    pub seconds: u64,
    /// Concurrent clients in phases (a) and (c) and in the baseline.
    pub clients: usize,
    /// Concurrent requests for one therapist at overlapping times in phase (b).
    pub racers: usize,
    /// Requests in phase (c).
    pub attempts: usize,
    /// Name of the scratch database (recreated, then dropped); pgbench's is `<name>_pgbench`.
    pub database: String,
    /// Whether to measure the pgbench baseline; tests skip it because they judge correctness,
    /// not speed.
    pub baseline: bool,
}

impl Default for BookingBenchOptions {
    fn default() -> Self {
        Self {
            seconds: 20,
            clients: 16,
            racers: 50,
            attempts: 10_000,
            database: "ombaro_bench_booking".into(),
            baseline: true,
        }
    }
}

/// Everything measured; [`BookingBenchReport::render`] prints it and
/// [`BookingBenchReport::failures`] judges it.
#[derive(Debug)]
pub struct BookingBenchReport {
    pub options: BookingBenchOptions,
    pub throughput: Throughput,
    pub baseline: Option<Baseline>,
    pub race: Race,
    pub randomized: Randomized,
    pub wall: std::time::Duration,
}

/// Runs the three phases (and the baseline) against scratch databases on the cluster that
/// `url` (a superuser URL) points at; the scratch databases are dropped afterwards, whatever
/// happened.
pub async fn run(url: &str, keys: JwtKeys, options: BookingBenchOptions) -> anyhow::Result<BookingBenchReport> {
    let started = Instant::now();
    let pgbench_db = format!("{}_pgbench", options.database);
    let outcome = measure(url, keys, &options, &pgbench_db).await;
    scratch::drop_databases(url, &[&options.database, &pgbench_db]).await;
    let (throughput, baseline, race, randomized) = outcome?;
    Ok(BookingBenchReport {
        options,
        throughput,
        baseline,
        race,
        randomized,
        wall: started.elapsed(),
    })
}

type Measured = (Throughput, Option<Baseline>, Race, Randomized);

async fn measure(
    url: &str,
    keys: JwtKeys,
    options: &BookingBenchOptions,
    pgbench_db: &str,
) -> anyhow::Result<Measured> {
    eprintln!(
        "loading: scratch database {} (schema, seeds, fixture)…",
        options.database
    );
    let bench_url = scratch::create_database(url, &options.database).await?;
    scratch::prepare(&bench_url).await?;
    let world = fixture::build(&bench_url, options.clients, options.racers).await?;

    let baseline_url = pgbench::prepare(url, pgbench_db, options.baseline).await?;

    let server = Server::start(&bench_url, keys.clone(), options.clients + 4).await?;
    let target = load::Target::new(&server.base, &keys, &world)?;
    let measured = async {
        eprintln!(
            "phase a: {} clients for {} s, bookings on free slots…",
            options.clients, options.seconds
        );
        let throughput = load::throughput(&target, &world, options.seconds).await;
        let baseline = pgbench::measure(baseline_url.as_deref(), options.clients, options.seconds).await?;
        eprintln!(
            "phase b: {} racers for one therapist, one slot and overlapping ones…",
            options.racers
        );
        let race = load::race(&target, &world, options.racers).await;
        eprintln!(
            "phase c: {} randomized attempts, {} at a time…",
            options.attempts, options.clients
        );
        let mut randomized = load::randomized(&target, &world, options.attempts, options.clients).await;
        randomized.overlaps = fixture::overlapping_assignments(&bench_url).await?;
        anyhow::Ok((throughput, baseline, race, randomized))
    }
    .await;
    server.stop().await;
    measured
}
