//! `ombaro bench payments`: the payment service's webhook endpoint under load over real HTTP,
//! against a scratch database on the stack's cluster so the developer's data is never
//! touched. Events are Razorpay's, signed with the secret the server checks.
//!
//! Two phases, each answering one question:
//! - (a) throughput: how many signed webhooks per second the service takes from `--clients`
//!   concurrent senders, and how long the slowest waits (Razorpay gives up after 5 s),
//!   compared with pgbench's tpcb-like TPS measured on the same cluster in the same run;
//! - (b) storm: `--events` events for `--bookings` bookings, `--duplicates` of them exact
//!   redeliveries (some at the same moment as their original), in a seeded shuffled order
//!   that sends many refunds before their payment; then a SQL reconciliation of the books
//!   against what was sent: every booking paid, confirmed and invoiced exactly once, every
//!   refund applied once, the inbox holding each distinct event once and nothing pending.
//!
//! Both phases are reconciled. Measuring ([`run`]) is kept apart from judging and printing
//! ([`PaymentBenchReport`]).

mod fixture;
mod load;
mod plan;
mod reconcile;
mod report;

use std::time::{Duration, Instant};

use ombaro_common::jwt::JwtKeys;
use ombaro_payments::service::{config::SANDBOX_SECRET_PURPOSE, PaymentSettings};

pub use crate::bench::pgbench::Baseline;
use crate::bench::{
    pgbench,
    scratch::{self, Server},
};
pub use load::{Answers, Steady, StormRun};
pub use plan::{Kind, MAX_REFUNDS_PER_PAYMENT};
pub use reconcile::{reconcile, Reconciliation};
pub use report::{LATENCY_GOAL, RATIO_GOAL};

/// Phase (a)'s bookings per second of `--seconds`: more than the service pays in a second on
/// a fast machine, so senders do not run out (the report says so if they do).
pub const STEADY_BOOKINGS_PER_SECOND: usize = 400;

/// What to run; the command line's defaults are in `main.rs`.
#[derive(Debug, Clone)]
pub struct PaymentBenchOptions {
    /// Duration of phase (a) and of the pgbench baseline.
    pub seconds: u64,
    /// Concurrent senders in both phases, and clients of the baseline.
    pub clients: usize,
    /// Bookings the storm pays.
    pub bookings: usize,
    /// Requests in the storm, duplicates included.
    pub events: usize,
    /// Share of the storm's requests that are exact duplicates.
    pub duplicates: f64,
    /// Seed of the storm's refunds, duplicates and order.
    pub seed: u64,
    /// Name of the scratch database (recreated, then dropped); pgbench's is `<name>_pgbench`.
    pub database: String,
    /// Whether to measure the pgbench baseline; tests skip it because they judge correctness,
    /// not speed.
    pub baseline: bool,
    /// Leaves the scratch database in place (tests inspect it, then drop it themselves).
    pub keep_database: bool,
}

impl Default for PaymentBenchOptions {
    fn default() -> Self {
        Self {
            seconds: 20,
            clients: 16,
            bookings: 2_000,
            events: 10_000,
            duplicates: 0.3,
            seed: 42,
            database: "ombaro_bench_payments".into(),
            baseline: true,
            keep_database: false,
        }
    }
}

/// What the storm sent, for the report.
#[derive(Debug, Clone)]
pub struct StormPlanned {
    pub requests: usize,
    pub distinct: usize,
    pub duplicates: usize,
    /// Duplicates sent at the same moment as another copy of their event.
    pub concurrent: usize,
    pub bookings: usize,
    pub refunds: usize,
    /// Refunds whose first delivery comes before either event of their payment.
    pub refunds_first: usize,
}

/// Everything measured; [`PaymentBenchReport::render`] prints it and
/// [`PaymentBenchReport::failures`] judges it.
#[derive(Debug)]
pub struct PaymentBenchReport {
    pub options: PaymentBenchOptions,
    pub steady: Steady,
    pub steady_books: Reconciliation,
    pub baseline: Option<Baseline>,
    pub planned: StormPlanned,
    pub storm: StormRun,
    pub storm_books: Reconciliation,
    /// Setting up the fixture: bookings and their checkouts.
    pub fixture: Duration,
    pub wall: Duration,
}

/// Runs both phases (and the baseline) against scratch databases on the cluster that `url`
/// (a superuser URL) points at; the scratch databases are dropped afterwards, whatever
/// happened (the bench's own one is kept with `keep_database` when the run succeeds).
pub async fn run(url: &str, keys: JwtKeys, options: PaymentBenchOptions) -> anyhow::Result<PaymentBenchReport> {
    let started = Instant::now();
    let pgbench_db = format!("{}_pgbench", options.database);
    let outcome = measure(url, keys, &options, &pgbench_db).await;
    // A failed run leaves nothing behind: its caller has no report to find the database by.
    if options.keep_database && outcome.is_ok() {
        scratch::drop_databases(url, &[&pgbench_db]).await;
    } else {
        scratch::drop_databases(url, &[&options.database, &pgbench_db]).await;
    }
    let mut report = outcome?;
    report.wall = started.elapsed();
    Ok(report)
}

async fn measure(
    url: &str,
    keys: JwtKeys,
    options: &PaymentBenchOptions,
    pgbench_db: &str,
) -> anyhow::Result<PaymentBenchReport> {
    // The secret the server checks a Razorpay webhook against when none is installed: the
    // environment's, else the sandbox's (derived from the project's JWT secret).
    let settings = PaymentSettings::from_env(keys.derived_secret(SANDBOX_SECRET_PURPOSE));
    let secret = settings
        .webhook_secret_override("razorpay")
        .unwrap_or(&settings.sandbox_secret)
        .to_owned();
    let steady_signer = plan::Signer::new(secret.clone(), "a", options.seed);
    let storm_signer = plan::Signer::new(secret, "storm", options.seed);

    let steady_pool = (options.seconds as usize * STEADY_BOOKINGS_PER_SECOND).max(options.clients);
    eprintln!(
        "loading: scratch database {} (schema, seeds, {} bookings with open checkouts)…",
        options.database,
        options.bookings + steady_pool
    );
    let fixture_started = Instant::now();
    let bench_url = scratch::create_database(url, &options.database).await?;
    scratch::prepare(&bench_url).await?;
    let mut bookings = fixture::build(&bench_url, options.bookings + steady_pool).await?;
    let steady_bookings = bookings.split_off(options.bookings);
    let storm_plan = plan::Storm::new(
        &storm_signer,
        &bookings,
        options.events,
        options.duplicates,
        options.seed,
    )?;
    let fixture_time = fixture_started.elapsed();

    let baseline_url = pgbench::prepare(url, pgbench_db, options.baseline).await?;

    let server = Server::start(&bench_url, keys, options.clients + 4).await?;
    let measured = async {
        let target = load::Target::new(&server.base)?;
        eprintln!(
            "phase a: {} senders for {} s, signed webhooks (captured, order paid, refund per booking)…",
            options.clients, options.seconds
        );
        let steady = load::steady(
            &target,
            &steady_signer,
            &steady_bookings,
            options.clients,
            options.seconds,
        )
        .await;
        let baseline = pgbench::measure(baseline_url.as_deref(), options.clients, options.seconds).await?;
        eprintln!(
            "phase b: storm of {} requests ({} distinct events, {} duplicates) for {} bookings, {} senders…",
            storm_plan.requests,
            storm_plan.events.len(),
            storm_plan.duplicates,
            bookings.len(),
            options.clients
        );
        let storm = load::storm(&target, &storm_plan, options.clients).await;
        anyhow::Ok((steady, baseline, storm))
    }
    .await;
    server.stop().await;
    let (steady, baseline, storm) = measured?;

    eprintln!("reconciling: the books against what was sent…");
    reconcile::record(&bench_url, "a", &steady.payments, &steady.refunds, &steady.event_ids).await?;
    let storm_ids: Vec<String> = storm_plan.events.iter().map(|e| e.id.clone()).collect();
    reconcile::record(
        &bench_url,
        "storm",
        &storm_plan.payments,
        &storm_plan.refunds,
        &storm_ids,
    )
    .await?;
    let steady_books = reconcile::reconcile(&bench_url, "a").await?;
    let storm_books = reconcile::reconcile(&bench_url, "storm").await?;

    Ok(PaymentBenchReport {
        options: options.clone(),
        steady,
        steady_books,
        baseline,
        planned: StormPlanned {
            requests: storm_plan.requests,
            distinct: storm_plan.events.len(),
            duplicates: storm_plan.duplicates,
            concurrent: storm_plan.concurrent,
            bookings: storm_plan.payments.len(),
            refunds: storm_plan.refunds.len(),
            refunds_first: storm_plan.refunds_before_payment(),
        },
        storm,
        storm_books,
        fixture: fixture_time,
        wall: Duration::ZERO,
    })
}
