//! `ombaro`: run OMBARO's Supabase-compatible backend on this machine, no Docker needed.

use std::{net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use ombaro::{
    demo, server,
    stack::{Database, ServerRecord, Stack, DEFAULT_API_PORT},
    supabase,
};
use ombaro_common::{db, AppState};

#[derive(Parser)]
#[command(
    name = "ombaro",
    version,
    about = "Run OMBARO's backend locally: Postgres, migrations, seeds, and one server for the functions and the Supabase API (REST, Auth, Realtime).",
    long_about = "Run OMBARO's backend locally: Postgres, migrations, seeds, and one server for the functions and the Supabase API (REST, Auth, Realtime).\n\n\
        State lives in .ombaro/ at the project root (the Postgres cluster, the JWT secret, the \
        record of a running server). Set DATABASE_URL to use another database (the Supabase \
        CLI's, or a hosted project's) instead of the local cluster; set JWT_SECRET to sign \
        keys with that project's secret."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start everything: database, migrations, reference seeds and the server (functions at
    /// /functions/v1, the Supabase API at /rest/v1, /auth/v1 and /realtime/v1), then print
    /// the API URL, DB URL and keys. Runs until Ctrl-C unless --detach.
    Up(UpArgs),
    /// Stop the detached function server and the local database.
    Stop,
    /// Print the URLs and keys of the running stack.
    Status {
        /// One JSON object: api_url, db_url, anon_key, service_role_key, jwt_secret.
        #[arg(long)]
        json: bool,
    },
    /// Manage the local Postgres cluster.
    #[command(subcommand)]
    Db(DbCommand),
    /// Apply pending migrations (starting the local database if needed).
    Migrate,
    /// Load the reference seeds (catalogue, geography, organisation, settings).
    #[command(
        long_about = "Load the reference seeds (catalogue, geography, organisation, settings).\n\n\
        With --demo, also load demo and benchmark data on top of them: customers, vendors, \
        therapists, bookings over the past 90 days and the next 30, payments, reviews, GPS \
        trails and analytics events. Demo accounts use e-mail addresses at demo.ombaro.in; a \
        re-run replaces them (and everything that points at them) and leaves the reference data \
        alone. Scale 1 is about 10 000 bookings by 2 000 customers at 50 vendors with 300 \
        therapists; the data grows linearly with the scale (scale 100: a million bookings). The \
        same --seed and scale give the same data; times are relative to the current hour. The \
        load runs in one transaction with triggers off, so it needs a superuser connection."
    )]
    Seed(SeedArgs),
    /// Print the anon and service_role API keys (HS256 JWTs signed with the stack's secret).
    Keys {
        #[arg(long)]
        json: bool,
    },
    /// Run the server (functions and the Supabase API) in the foreground against the running
    /// database.
    Serve(ServeArgs),
    /// Keep supabase/ (the Supabase CLI project) in step with migrations/ and seeds/.
    #[command(subcommand)]
    Supabase(SupabaseCommand),
    /// Create upcoming and drop expired partitions of time-partitioned tables.
    #[command(subcommand)]
    Partitions(PartitionsCommand),
    /// Benchmarks, reported as ratios against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Schema documentation.
    #[command(subcommand)]
    Schema(SchemaCommand),
    /// Analytics: run the rollups the analytics service answers from.
    #[command(subcommand)]
    Analytics(AnalyticsCommand),
    /// Pay for a booking on the running stack through the sandbox gateway, as its customer's
    /// app would: checkout, then the sandbox's signed webhook to our own endpoint.
    #[command(
        long_about = "Pay for a booking on the running stack through the sandbox gateway, as its customer's \
        app would: checkout (POST /orders as the booking's customer), then the sandbox gateway's \
        correctly signed Razorpay-format webhook to our own webhook endpoint, so the real verification \
        and effects run. Needs `ombaro up` without Razorpay keys. --fail makes the payment fail; \
        --refund refunds the booking's captured payment in full (through the gateway, whose webhook \
        completes it)."
    )]
    Pay(PayArgs),
    /// Run a notification worker: deliver the outbox (notification_queue) until Ctrl-C.
    #[command(
        long_about = "Run a notification worker: claim due rows of notification_queue in small batches \
        (for update skip locked), lease them, send each through its channel's provider and record the \
        outcome. Wakes on LISTEN notification_queue, polls slowly otherwise. Run as many as you like, on \
        as many machines: a killed worker's rows are retried when their lease ends. Providers come from \
        the environment (FCM_SERVICE_ACCOUNT, SENDGRID_API_KEY or SMTP_HOST, MSG91_AUTH_KEY, \
        WHATSAPP_TOKEN ...; see the README); without them, the local provider writes the logs as \
        delivered and prints a line per message. `ombaro up` runs one in its own process."
    )]
    Worker(WorkerArgs),
    /// The notification outbox of the running stack.
    #[command(subcommand)]
    Notifications(NotificationsCommand),
    /// Settle every vendor for a period on the running stack: commission, GST on it, TDS
    /// (s.194-O), TCS (s.52), refunds, net payable and the payout to make.
    #[command(
        long_about = "Settle every vendor for a period on the running stack: for each vendor, its completed \
        and paid bookings of the period (by IST service date) and refunds processed in it give the gross, \
        commission at the vendor's rate, 18 % GST on the commission, TDS under section 194-O and GST TCS \
        under section 52 at the rates in force (effective-dated settings), refunds as adjustments and the \
        net payable; written to payment_settlements, commission_records, tax_records and vendor_payouts. \
        Running a settled period again changes nothing; a period overlapping a settled one is refused."
    )]
    Settle(SettleArgs),
    /// Generate code from the live schema.
    #[command(subcommand)]
    Gen(GenCommand),
}

#[derive(Subcommand)]
enum GenCommand {
    /// Types for apps, as `supabase gen types` emits them.
    #[command(subcommand)]
    Types(GenTypesCommand),
}

#[derive(Subcommand)]
enum GenTypesCommand {
    /// The `Database` type of the public schema for `createClient<Database>(...)`, printed to
    /// standard output (redirect it to e.g. `src/database.types.ts`).
    Typescript,
}

#[derive(Args)]
struct WorkerArgs {
    /// Rows claimed (and sent concurrently) at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=1000))]
    batch: u64,
    /// Seconds a claimed row stays this worker's; then another worker may take it.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    lease_secs: u64,
    /// Seconds between polls when no NOTIFY arrives.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    poll_secs: u64,
    /// Do not print a line per message.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum NotificationsCommand {
    /// The latest deliveries (sent, failed, dead, skipped), newest first.
    Tail {
        /// How many.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: i64,
    },
}

#[derive(Args)]
struct SettleArgs {
    /// First day of the period (IST date, YYYY-MM-DD).
    #[arg(long)]
    from: chrono::NaiveDate,
    /// Last day of the period, inclusive.
    #[arg(long)]
    to: chrono::NaiveDate,
}

#[derive(Args)]
struct PayArgs {
    /// The booking's number, e.g. OBO-20251015-0042.
    booking_number: String,
    /// The payment fails instead (the booking stays pending until its hold lapses).
    #[arg(long, conflicts_with = "refund")]
    fail: bool,
    /// Refund the booking's captured payment in full.
    #[arg(long)]
    refund: bool,
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Write docs/schema/: one page per category with an ER diagram and column tables,
    /// read from the migrated database (comments come from `comment on` in the migrations).
    Docs,
}

#[derive(Args)]
struct UpArgs {
    /// Port of the function server.
    #[arg(long, default_value_t = DEFAULT_API_PORT)]
    port: u16,
    /// Return once the stack is up, leaving the server running in the background
    /// (logs in .ombaro/serve.log; `ombaro stop` stops it).
    #[arg(long)]
    detach: bool,
    /// Do not load the reference seeds.
    #[arg(long)]
    no_seed: bool,
    /// Do not run the notification worker in the server's process.
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    limits: ServerLimits,
}

#[derive(Args)]
struct SeedArgs {
    /// Also load demo and benchmark data (customers, vendors, therapists, bookings ...).
    #[arg(long)]
    demo: bool,
    /// Size of the demo data: about 10 000 bookings per unit, linear.
    #[arg(long, default_value_t = 1, requires = "demo", value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: u32,
    /// Random seed: the same seed and scale give the same demo data.
    #[arg(long, default_value_t = 42, requires = "demo")]
    seed: u64,
}

#[derive(Args)]
struct ServeArgs {
    /// Port of the function server.
    #[arg(long, default_value_t = DEFAULT_API_PORT)]
    port: u16,
    /// Do not run the notification worker in the server's process.
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    limits: ServerLimits,
}

/// How long requests and shutdown may take.
#[derive(Args, Clone, Copy)]
struct ServerLimits {
    /// A request still running after this many seconds is answered 503 request_timeout.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// On Ctrl-C or SIGTERM, in-flight requests get this many seconds to finish before the
    /// server exits anyway.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=600))]
    drain_timeout: u64,
}

impl ServerLimits {
    fn options(self) -> server::ServerOptions {
        server::ServerOptions {
            request_timeout: Duration::from_secs(self.request_timeout),
            drain: Duration::from_secs(self.drain_timeout),
            max_rows: server::max_rows_of(&ombaro_common::config::Project::discover().root),
            auth: ombaro_auth::AuthOptions::from_project(&ombaro_common::config::Project::discover().root),
            realtime_login: None,
        }
    }
}

#[derive(Subcommand)]
enum DbCommand {
    /// Start the local cluster (initialising it the first time) or reuse the running one.
    Start,
    /// Stop the local cluster.
    Stop,
    /// Say whether the local cluster runs, and where.
    Status,
    /// Recreate the `postgres` database from scratch: bootstrap, migrations, reference seeds.
    Reset,
    /// Print the database URL.
    Url,
}

#[derive(Subcommand)]
enum SupabaseCommand {
    /// Write supabase/migrations/*.sql and supabase/seed.sql from migrations/ and seeds/.
    Sync {
        /// Change nothing; list the files that differ and fail if any do.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// What row-level security costs on the pages people open first: a customer's bookings and
    /// notifications, a vendor's last 30 days and upcoming day, a therapist's assignments,
    /// finance's payments and the support queue, each run as the persona under RLS and as
    /// postgres with the equivalent explicit filter, alternately.
    ///
    /// Prints the RLS/explicit ratio of each page (goal <= 1.2; finance's payments page also
    /// <= 5 ms) and, with several scales, each page's growth under RLS from the first scale to
    /// the last (goal <= 1.5); the plans of a page that misses a goal follow the table.
    Rls {
        /// Load demo data at this scale first (deterministic; about 10 000 bookings per unit).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000), conflicts_with = "scales")]
        scale: Option<u32>,
        /// Load each of these scales in turn and measure at each, e.g. `--scales 10,100`
        /// (100 000 and 1 000 000 bookings); prints the growth from the first to the last.
        #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=1000))]
        scales: Vec<u32>,
        /// Measured runs of each query on each side.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// The booking service under load over HTTP: throughput against pgbench, a race for one
    /// therapist's time, random overlapping requests.
    ///
    /// Runs in scratch databases on the local cluster (your data is untouched): (a) bookings/s
    /// on free slots against pgbench tpcb-like TPS measured in the same run (goal >= 0.5),
    /// (b) racers for one therapist at the same and at overlapping starts and lengths (exactly
    /// one may win), (c) deterministic random overlapping requests (no therapist may end up
    /// double-booked). Fails on a wrong race outcome, a 5xx or an overlap; a missed speed goal
    /// is only reported.
    Booking {
        /// Seconds of phase (a), and of the pgbench baseline.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// Concurrent clients in phases (a) and (c) and in the baseline.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// Simultaneous requests for one therapist at the same and overlapping times in phase (b).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..=1000))]
        racers: u64,
        /// Randomized requests in phase (c) (seeded: the same ones every run).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
        attempts: u64,
    },
    /// The notification outbox delivered by `ombaro worker` processes through the local
    /// provider: messages/s and enqueue-to-delivered latency with 1, 2 and 4 workers, then one
    /// of two workers SIGKILLed mid-run and a SQL reconciliation (nothing lost, nothing twice).
    ///
    /// Runs in a scratch database on the local cluster (your data is untouched). Messages are
    /// spread over the five channels and 1 000 recipients and enqueued at once; the killed
    /// worker's rows come back after the workers' 5 s lease. Fails on anything lost, doubled,
    /// dead or skipped.
    Notifications {
        /// Messages per run.
        #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000))]
        messages: u64,
        /// Worker process counts to measure, e.g. `--workers 1,2,4`.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1usize, 2, 4])]
        workers: Vec<usize>,
        /// Skip the SIGKILL run.
        #[arg(long)]
        no_kill: bool,
    },
    /// The payment service's Razorpay webhooks under load over HTTP: throughput against
    /// pgbench, then a storm of duplicated, shuffled events reconciled against the books.
    ///
    /// Runs in scratch databases on the local cluster (your data is untouched), with events
    /// signed as the server checks them: (a) `--clients` senders for `--seconds`, each paying
    /// booking after booking (payment.captured, order.paid, a partial refund.processed):
    /// events/s and latency against pgbench tpcb-like TPS measured in the same run (goal >=
    /// 0.25) and Razorpay's 5 s timeout; (b) a storm of `--events` requests paying
    /// `--bookings` bookings, `--duplicates` of them exact redeliveries (a third of those at
    /// the same moment as another copy), refunds making up the rest, shuffled by `--seed` so
    /// many refunds come before their payment. Then SQL reconciles both phases: each booking
    /// paid, confirmed and invoiced exactly once, each refund applied once for its amount, the
    /// inbox holding every distinct event once with none pending. Fails on a lost or doubled
    /// effect, a refused event or a 5xx; a missed speed goal is only reported.
    Payments {
        /// Seconds of phase (a), and of the pgbench baseline.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// Concurrent senders in both phases, and pgbench clients.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// Bookings the storm pays (two events each: payment.captured and order.paid).
        #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        bookings: u64,
        /// Requests in the storm, duplicates included; the distinct events beyond two per
        /// booking are partial refunds (at most 8 per payment).
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
        events: u64,
        /// Share of the storm's requests that are exact duplicates (same X-Razorpay-Event-Id
        /// and body), from 0 to below 1.
        #[arg(long, default_value_t = 0.3)]
        duplicates: f64,
        /// Seed of the storm's refunds, duplicates and order: the same storm every run.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Realtime at volume over real websockets: --sockets users each subscribe --channels
    /// channels to their own notifications (every tenth also spies, by filter, on another
    /// user's), then notifications are inserted at --rate per second. Prints deliveries,
    /// commit-to-client p50/p99 and deliveries to subscribers RLS excludes (must be 0).
    Realtime {
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=5000))]
        sockets: u64,
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=50))]
        channels: u64,
        /// Changes per second.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        rate: u64,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
    },
    /// The data API against the SQL it runs: a customer's bookings page and the catalogue
    /// through /rest/v1, then the very statements the API generated through pgbench on the
    /// same cluster with as many clients. Prints requests/s, p50/p99 and the SQL/HTTP
    /// throughput ratio (goal: at most 1.5). Uses a scratch database with demo data.
    Rest {
        /// Seconds of each page over HTTP, and of each pgbench run.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// Concurrent HTTP clients, and pgbench clients.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// Demo data scale of the scratch database (about 10 000 bookings per unit).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        scale: u32,
    },
    /// The auth API: password sign-ins/s through /auth/v1/token at a stated bcrypt cost
    /// (GoTrue's 10 by default) against bare bcrypt verifications/s measured in the same run,
    /// and refresh-token grants/s. Rate limits are off for the run; uses a scratch database.
    Auth {
        /// Seconds of each measurement.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// bcrypt cost of the users' password hashes and of the server.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(4..=31))]
        cost: u32,
        /// Users signing in, round robin.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100000))]
        users: u64,
    },
    /// The analytics service: ingest over HTTP against COPY, and the discovery funnel from
    /// rollups against the raw events.
    ///
    /// Runs in a scratch database on the local cluster (your data is untouched): (a)
    /// `--clients` senders post batches of `--batch` events for `--seconds` (each batch a
    /// different device), then the same rows are loaded again with COPY: events/s of both
    /// (goal: HTTP >= 0.5 of COPY); (b) `--events` events over 30 days generated in SQL, the
    /// funnel rollup, then the discovery funnel for the 30 days from the rollups (over HTTP)
    /// and from the raw events (SQL): both times and the ratio (goal >= 100x). Fails on a 5xx,
    /// a refused batch or different numbers; a missed speed goal is only reported.
    Analytics {
        /// Seconds of phase (a).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// Concurrent senders in phase (a).
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
        clients: u64,
        /// Events per batch in phase (a).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=500))]
        batch: u64,
        /// Events generated for phase (b); smaller for a quick run.
        #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(8..=100_000_000))]
        events: u64,
        /// Reads of the funnel from the rollups (the median is compared).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        reads: u64,
    },
    /// The location service over HTTP: (a) `--therapists` therapists on the way send
    /// `--batches` batches of `--batch-size` fixes at once: fixes/s and batch latency beside
    /// COPY of the same rows into the same table in the same run (goal >= 0.5, reported
    /// only); (b) `--readers` vendors read ETAs for `--seconds` with the cache (redis-server
    /// when installed, else in process) and without: reads/s, p99, hit rate. Runs in a
    /// scratch database on the local cluster. Fails on a refused request or a lost fix.
    Location(LocationBenchArgs),
}

#[derive(Subcommand)]
enum AnalyticsCommand {
    /// Roll up funnels, cohorts, conversions, revenue and campaigns for IST days --from to
    /// --to (idempotent: rerun any range), then refresh the reporting views. `ombaro up` runs
    /// yesterday and today every five minutes (pg_cron does where installed).
    Rollup {
        /// First IST day, e.g. 2026-03-01.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last IST day (inclusive).
        #[arg(long)]
        to: chrono::NaiveDate,
    },
}

#[derive(Args)]
struct LocationBenchArgs {
    /// Simulated therapists on the way, sending at once.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=5000))]
    therapists: u64,
    /// Batches each therapist sends, one after the other (the default gives a few seconds of
    /// steady ingest, so that opening 200 connections does not dominate the figure).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1000))]
    batches: u64,
    /// Fixes in a batch.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    batch_size: u64,
    /// Concurrent ETA readers in phase (b).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=512))]
    readers: u64,
    /// Seconds of each half of phase (b).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
}

#[derive(Subcommand)]
enum PartitionsCommand {
    /// Run private.maintain_partitions() now (pg_cron runs it daily where installed).
    Maintain,
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("starting the async runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("OMBARO_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn,refinery_core=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let stack = Stack::discover();
    match command {
        Command::Up(args) => up(&stack, args).await,
        Command::Stop => {
            // The server first, and only then its database, so in-flight requests can finish.
            match stack.server_record() {
                Some(record) => match stop_server(record.pid).await? {
                    ServerExit::Drained => {
                        stack.remove_server_record(record.pid);
                        println!("stopped the function server (pid {})", record.pid);
                    }
                    ServerExit::Killed => {
                        stack.remove_server_record(record.pid);
                        println!(
                            "the function server (pid {}) did not stop within {}s of SIGTERM; killed it",
                            record.pid,
                            STOP_GRACE.as_secs()
                        );
                    }
                },
                None => println!("the function server was not running"),
            }
            if local_redis(&stack).stop()? {
                println!("stopped the local redis-server");
            }
            db_command(&stack, DbCommand::Stop).await
        }
        Command::Status { json } => {
            let status = stack.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", status.render());
            }
            Ok(if status.db_url.is_some() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Db(cmd) => db_command(&stack, cmd).await,
        Command::Migrate => {
            let url = stack.ensure_db()?;
            let prepared = stack.prepare(&url, false).await?;
            report_migrations(&prepared.migrations);
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed(args) if args.demo => {
            let url = stack.ensure_db()?;
            let prepared = stack.prepare(&url, true).await?;
            report_migrations(&prepared.migrations);
            let mut client = db::connect(&url).await?;
            let plan = demo::DemoPlan::for_scale(args.scale, args.seed, chrono::Utc::now());
            let summary = demo::load(&mut client, &plan, demo::Progress::Terminal).await?;
            print!("{}", summary.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Seed(_) => {
            let url = stack.ensure_db()?;
            let mut client = db::connect(&url).await?;
            for name in ombaro_common::schema::seed_reference(&mut client).await? {
                println!("loaded seeds/{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys { json } => {
            let keys = stack.keys()?;
            let (anon, service) = (keys.api_key("anon"), keys.api_key("service_role"));
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "anon_key": anon, "service_role_key": service })
                );
            } else {
                println!("        anon key: {anon}\nservice_role key: {service}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            let Some(url) = stack.running_db_url()? else {
                bail!("the database is not running: start it with `ombaro db start` (or use `ombaro up`)");
            };
            serve(&stack, &url, args.port, args.limits.options(), !args.no_worker, None).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Supabase(SupabaseCommand::Sync { check }) => {
            let root = &stack.project.root;
            if check {
                let diffs = supabase::differences(root)?;
                if diffs.is_empty() {
                    println!("supabase/ is in sync with migrations/ and seeds/");
                    return Ok(ExitCode::SUCCESS);
                }
                for d in &diffs {
                    println!("{d}");
                }
                println!("run `ombaro supabase sync` to regenerate");
                return Ok(ExitCode::FAILURE);
            }
            let changed = supabase::write(root)?;
            if changed.is_empty() {
                println!("supabase/ already in sync");
            }
            for c in changed {
                println!("{c}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen(GenCommand::Types(GenTypesCommand::Typescript)) => {
            let url = stack.ensure_db()?;
            stack.prepare(&url, false).await?;
            let mut client = db::connect(&url).await?;
            let cache = ombaro_rest::schema::SchemaCache::load(&mut client).await?;
            print!("{}", ombaro_rest::typescript::generate(&cache));
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema(SchemaCommand::Docs) => {
            let url = stack.ensure_db()?;
            stack.prepare(&url, false).await?;
            let client = db::connect(&url).await?;
            let pages = ombaro::schema_docs::render(&client).await?;
            let root = &stack.project.root;
            for (path, content) in &pages {
                let full = root.join(path);
                std::fs::create_dir_all(full.parent().expect("docs live in a directory"))?;
                std::fs::write(&full, content)?;
            }
            println!("wrote {} pages to docs/schema/", pages.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Rls {
            scale,
            scales,
            iterations,
        }) => {
            let url = stack.ensure_db()?;
            stack.prepare(&url, true).await?;
            // Without a scale, the data already loaded is measured as it is.
            let runs: Vec<Option<u32>> = match (scale, scales.is_empty()) {
                (Some(scale), _) => vec![Some(scale)],
                (None, false) => scales.into_iter().map(Some).collect(),
                (None, true) => vec![None],
            };
            let mut measured = Vec::new();
            for scale in runs {
                if let Some(scale) = scale {
                    let mut client = db::connect(&url).await?;
                    let plan = demo::DemoPlan::for_scale(scale, 42, chrono::Utc::now());
                    let summary = demo::load(&mut client, &plan, demo::Progress::Terminal).await?;
                    print!("{}", summary.render());
                }
                let outcomes = ombaro::bench::rls::run(&url, iterations).await?;
                print_rls_table(scale, &outcomes);
                measured.push((scale, outcomes));
            }
            print_rls_growth_and_plans(&measured);
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(BenchCommand::Booking {
            seconds,
            clients,
            racers,
            attempts,
        }) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::booking::BookingBenchOptions {
                seconds,
                clients: clients as usize,
                racers: racers as usize,
                attempts: attempts as usize,
                ..Default::default()
            };
            let report = ombaro::bench::booking::run(&url, stack.keys()?, options).await?;
            judge_bench("booking", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Realtime {
            sockets,
            channels,
            rate,
            seconds,
        }) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::realtime::RealtimeBenchOptions {
                sockets: sockets as usize,
                channels: channels as usize,
                rate: rate as usize,
                seconds,
                ..Default::default()
            };
            let report = ombaro::bench::realtime::run(&url, stack.keys()?, options).await?;
            judge_bench("realtime", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Rest {
            seconds,
            clients,
            scale,
        }) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::rest::RestBenchOptions {
                seconds,
                clients: clients as usize,
                scale,
                ..Default::default()
            };
            let report = ombaro::bench::rest::run(&url, stack.keys()?, options).await?;
            judge_bench("data API", report.render(), report.failures.clone())
        }
        Command::Bench(BenchCommand::Auth {
            seconds,
            clients,
            cost,
            users,
        }) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::auth::AuthBenchOptions {
                seconds,
                clients: clients as usize,
                bcrypt_cost: cost,
                users: users as usize,
                ..Default::default()
            };
            let report = ombaro::bench::auth::run(&url, stack.keys()?, options).await?;
            judge_bench("auth API", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Payments {
            seconds,
            clients,
            bookings,
            events,
            duplicates,
            seed,
        }) => {
            if !(0.0..1.0).contains(&duplicates) {
                bail!("--duplicates is a share from 0 to below 1, not {duplicates}");
            }
            let url = stack.ensure_db()?;
            let options = ombaro::bench::payments::PaymentBenchOptions {
                seconds,
                clients: clients as usize,
                bookings: bookings as usize,
                events: events as usize,
                duplicates,
                seed,
                ..Default::default()
            };
            let report = ombaro::bench::payments::run(&url, stack.keys()?, options).await?;
            judge_bench("payment", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Notifications {
            messages,
            workers,
            no_kill,
        }) => {
            if workers.iter().any(|w| !(1..=64).contains(w)) {
                bail!("--workers are counts from 1 to 64");
            }
            let url = stack.ensure_db()?;
            let options = ombaro::bench::notifications::NotificationBenchOptions {
                messages,
                workers,
                kill: !no_kill,
            };
            let report = ombaro::bench::notifications::run(&url, options).await?;
            judge_bench("notification", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Analytics {
            seconds,
            clients,
            batch,
            events,
            reads,
        }) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::analytics::AnalyticsBenchOptions {
                seconds,
                clients: clients as usize,
                batch: batch as usize,
                events,
                reads: reads as usize,
                ..Default::default()
            };
            let report = ombaro::bench::analytics::run(&url, stack.keys()?, options).await?;
            judge_bench("analytics", report.render(), report.failures())
        }
        Command::Bench(BenchCommand::Location(args)) => {
            let url = stack.ensure_db()?;
            let options = ombaro::bench::location::LocationBenchOptions {
                therapists: args.therapists as usize,
                batches: args.batches as usize,
                batch_size: args.batch_size as usize,
                readers: args.readers as usize,
                seconds: args.seconds,
                ..Default::default()
            };
            let report = ombaro::bench::location::run(&url, stack.keys()?, options).await?;
            judge_bench("location", report.render(), report.failures())
        }
        Command::Pay(args) => {
            let Some(record) = stack.server_record() else {
                bail!("the function server is not running: start the stack with `ombaro up`");
            };
            let client = db::connect(&record.db_url).await?;
            let action = if args.refund {
                ombaro::pay::PayAction::Refund
            } else if args.fail {
                ombaro::pay::PayAction::Fail
            } else {
                ombaro::pay::PayAction::Capture
            };
            let outcome =
                ombaro::pay::run(&client, &record.api_url, &stack.keys()?, &args.booking_number, action).await?;
            for line in outcome.lines {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker(args) => {
            let Some(url) = stack.running_db_url()? else {
                bail!("the database is not running: start it with `ombaro db start` (or use `ombaro up`)");
            };
            let options = ombaro_notifications::service::WorkerOptions {
                batch: args.batch as usize,
                lease: Duration::from_secs(args.lease_secs),
                poll: Duration::from_secs(args.poll_secs),
                ..Default::default()
            };
            ombaro::notify::run_worker(&url, options, !args.quiet, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Notifications(NotificationsCommand::Tail { lines }) => {
            let Some(url) = stack.running_db_url()? else {
                bail!("the database is not running: start the stack with `ombaro up`");
            };
            let client = db::connect(&url).await?;
            let lines = ombaro::notify::tail(&client, lines).await?;
            if lines.is_empty() {
                println!("no deliveries yet");
            }
            for line in lines.iter().rev() {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Settle(args) => {
            let Some(record) = stack.server_record() else {
                bail!("the function server is not running: start the stack with `ombaro up`");
            };
            for line in ombaro::pay::settle(&record.api_url, &stack.keys()?, args.from, args.to).await? {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Analytics(AnalyticsCommand::Rollup { from, to }) => {
            let url = stack.ensure_db()?;
            let written = ombaro::analytics::rollup(&url, from, to).await?;
            println!("rolled up {from} to {to}: {written}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Partitions(PartitionsCommand::Maintain) => {
            let url = stack.ensure_db()?;
            let client = db::connect(&url).await?;
            let changes = ombaro_common::schema::maintain_partitions(&client).await?;
            if changes.is_empty() {
                println!("partitions already up to date");
            }
            for (action, name) in changes {
                println!("{action} partitions.{name}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn db_command(stack: &Stack, cmd: DbCommand) -> anyhow::Result<ExitCode> {
    let cluster = match stack.database()? {
        Database::External(url) => {
            return match cmd {
                DbCommand::Url => {
                    println!("{url}");
                    Ok(ExitCode::SUCCESS)
                }
                DbCommand::Reset => bail!("DATABASE_URL is set: `db reset` only resets the local cluster"),
                _ => {
                    println!(
                        "DATABASE_URL is set ({}): nothing is started or stopped",
                        db::redact_url(&url)
                    );
                    Ok(ExitCode::SUCCESS)
                }
            };
        }
        Database::Local(cluster) => cluster,
    };
    match cmd {
        DbCommand::Start => {
            let (running, started) = cluster.start()?;
            let verb = if started { "started" } else { "already running" };
            println!("Postgres {verb}: {} (pid {})", running.url(), running.pid);
        }
        DbCommand::Stop => {
            if cluster.stop()? {
                println!("Postgres stopped");
            } else {
                println!("Postgres was not running");
            }
        }
        DbCommand::Status => match cluster.status()? {
            Some(running) => println!(
                "running: {} (pid {}, data {})",
                running.url(),
                running.pid,
                cluster.data_dir().display()
            ),
            None => {
                println!("not running (data {})", cluster.data_dir().display());
                return Ok(ExitCode::FAILURE);
            }
        },
        DbCommand::Url => match cluster.status()? {
            Some(running) => println!("{}", running.url()),
            None => bail!("the local database is not running: start it with `ombaro db start`"),
        },
        DbCommand::Reset => {
            let (running, _) = cluster.start()?;
            let admin = db::connect(&running.url_for("template1")).await?;
            eprintln!("recreating database postgres");
            admin
                .batch_execute("drop database if exists postgres with (force)")
                .await?;
            admin.batch_execute("create database postgres").await?;
            let prepared = stack.prepare(&running.url(), true).await?;
            report_migrations(&prepared.migrations);
            println!("loaded {} seed files; database reset", prepared.seeds.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report_migrations(applied: &[String]) {
    if applied.is_empty() {
        println!("migrations: nothing to apply");
    }
    for name in applied {
        println!("applied {name}");
    }
}

async fn up(stack: &Stack, args: UpArgs) -> anyhow::Result<ExitCode> {
    if let Some(record) = stack.server_record() {
        println!("OMBARO is already running.\n");
        print!("{}", stack.status()?.render());
        eprintln!("\n(function server pid {}; `ombaro stop` stops it)", record.pid);
        return Ok(ExitCode::SUCCESS);
    }
    let url = stack.ensure_db()?;
    let prepared = stack.prepare(&url, !args.no_seed).await?;
    eprintln!(
        "database ready: {} migrations applied now, {} seed files loaded, {} partitions created",
        prepared.migrations.len(),
        prepared.seeds.len(),
        prepared.partitions.iter().filter(|(a, _)| a == "created").count()
    );
    start_local_redis(stack);
    if args.detach {
        let log_path = stack.project.home.join("serve.log");
        let log = std::fs::File::create(&log_path)?;
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.args([
            "serve",
            "--port",
            &args.port.to_string(),
            "--request-timeout",
            &args.limits.request_timeout.to_string(),
            "--drain-timeout",
            &args.limits.drain_timeout.to_string(),
        ]);
        if args.no_worker {
            cmd.arg("--no-worker");
        }
        cmd.stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0); // not killed by the terminal's Ctrl-C
        }
        let child = cmd.spawn().context("starting the function server")?;
        wait_for_server(stack, child.id(), &log_path).await?;
        println!("Started OMBARO local development setup.\n");
        print!("{}", stack.status()?.render());
        return Ok(ExitCode::SUCCESS);
    }
    serve(
        stack,
        &url,
        args.port,
        args.limits.options(),
        !args.no_worker,
        Some("Started OMBARO local development setup.\n"),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the function server until Ctrl-C or SIGTERM, recording it for `ombaro status`.
async fn serve(
    stack: &Stack,
    db_url: &str,
    port: u16,
    mut options: server::ServerOptions,
    worker: bool,
    banner: Option<&str>,
) -> anyhow::Result<()> {
    let keys = stack.keys()?;
    // Realtime reads the replication slot with the database's own administrative login, as
    // Supabase Realtime does with its role; requests still act as their callers.
    options.realtime_login = Some(db_url.parse().context("parsing the database URL")?);
    let login = ombaro_common::config::functions_login(db_url)?;
    let cache = cache_for(stack, login.clone()).await;
    let state = AppState {
        db: db::Db::connect(login, &db::PoolConfig::default()).await?,
        keys: Arc::new(keys),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("port {port} is taken: stop what uses it or pass --port"))?;
    let record = ServerRecord {
        api_url: format!("http://{addr}"),
        db_url: db_url.to_owned(),
        pid: std::process::id(),
    };
    stack.write_server_record(&record)?;
    if let Some(banner) = banner {
        println!("{banner}");
        print!("{}", stack.status()?.render());
        println!(
            "\nServing the data API at {0}/rest/v1, auth at {0}/auth/v1, Realtime at {0}/realtime/v1 and functions at {0}/functions/v1/<name>; Ctrl-C stops.",
            record.api_url
        );
    }
    tracing::info!(api_url = %record.api_url, "function server listening");
    // The notification worker lives as long as the server.
    let worker = if worker {
        let w = ombaro::notify::worker(db_url, Default::default(), true).await?;
        let listen = ombaro_common::config::functions_login(db_url)?;
        Some(tokio::spawn(w.run(listen, std::future::pending())))
    } else {
        None
    };
    // The analytics rollups every few minutes, unless pg_cron runs them in this database.
    let rollups = tokio::spawn(ombaro_analytics::service::scheduler::run(
        state.db.clone(),
        ombaro_analytics::service::scheduler::EVERY,
    ));
    let stopped = server::serve_with(listener, state, options, Some(cache), shutdown_signal()).await;
    rollups.abort();
    if let Some(worker) = worker {
        worker.abort();
    }
    stack.remove_server_record(record.pid);
    match stopped? {
        server::Stopped::Drained => tracing::info!("function server stopped"),
        server::Stopped::DeadlinePassed => tracing::warn!("function server stopped with requests unfinished"),
    }
    Ok(())
}

/// The stack's own `redis-server` under `.ombaro/redis`.
fn local_redis(stack: &Stack) -> ombaro_common::redis_server::LocalRedis {
    ombaro_common::redis_server::LocalRedis::new(stack.project.home.join("redis"))
}

/// `ombaro up` starts a local `redis-server` when the binary is installed and `REDIS_URL` is
/// not set; without one the cache is in process.
fn start_local_redis(stack: &Stack) {
    if std::env::var("REDIS_URL").is_ok_and(|u| !u.trim().is_empty()) || !ombaro_common::redis_server::installed() {
        return;
    }
    match local_redis(stack).start() {
        Ok(url) => eprintln!("cache: redis-server at {url}"),
        Err(err) => eprintln!("cache: could not start redis-server ({err:#}); caching in process"),
    }
}

/// The cache the function server reads through: `REDIS_URL`, else the local redis-server if
/// it runs, else in process; with its invalidation listener (LISTEN ombaro_cache) started.
async fn cache_for(stack: &Stack, login: tokio_postgres::Config) -> ombaro_common::cache::Cache {
    use ombaro_common::cache::{listen_for_invalidations, Cache};
    let url = std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| local_redis(stack).url());
    let cache = match url {
        Some(url) => match Cache::redis(&url).await {
            Ok(cache) => cache,
            Err(err) => {
                tracing::warn!(%err, "redis unreachable; caching in process");
                Cache::memory()
            }
        },
        None => Cache::memory(),
    };
    tracing::info!(backend = cache.backend(), "cache");
    listen_for_invalidations(login, cache.clone()).await;
    cache
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

async fn wait_for_server(stack: &Stack, pid: u32, log: &std::path::Path) -> anyhow::Result<()> {
    for _ in 0..100 {
        if stack.server_record().is_some_and(|r| r.pid == pid) {
            return Ok(());
        }
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            bail!("the function server exited; see {}", log.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the function server did not start within 10s; see {}", log.display())
}

/// How long `ombaro stop` waits for the server after SIGTERM: the default drain deadline and
/// a margin to close connections.
const STOP_GRACE: Duration = Duration::from_secs(15);

enum ServerExit {
    Drained,
    Killed,
}

/// SIGTERM, then wait for the process to go; SIGKILL it if it outlives [`STOP_GRACE`].
async fn stop_server(pid: u32) -> anyhow::Result<ServerExit> {
    signal(pid, "TERM")?;
    if wait_for_exit(pid, STOP_GRACE).await {
        return Ok(ServerExit::Drained);
    }
    signal(pid, "KILL")?;
    if wait_for_exit(pid, Duration::from_secs(5)).await {
        return Ok(ServerExit::Killed);
    }
    bail!("the function server (pid {pid}) is still running after SIGKILL; the database was left running")
}

fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status()
        .context("running kill")?;
    // kill fails when the process is already gone, which is what we wanted.
    if !status.success() && process_alive(pid) {
        bail!("could not send SIG{name} to the function server (pid {pid})");
    }
    Ok(())
}

fn process_alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by its parent) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// Whether `pid` exited within `limit`.
async fn wait_for_exit(pid: u32, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    !process_alive(pid)
}

/// Prints a bench's report; the command fails when the bench found something wrong.
fn judge_bench(what: &str, report: String, failures: Vec<String>) -> anyhow::Result<ExitCode> {
    print!("{report}");
    if !failures.is_empty() {
        bail!("{what} benchmark failed: {}", failures.join("; "));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rls_table(scale: Option<u32>, outcomes: &[ombaro::bench::rls::Outcome]) {
    let label = scale.map_or_else(|| "data as loaded".to_owned(), |s| format!("scale {s}"));
    println!(
        "\n{label}\n{:<24} {:<14} {:>10} {:>12} {:>8} {:>6}  goals",
        "page", "persona role", "RLS p50 ms", "plain p50 ms", "ratio", "rows"
    );
    for o in outcomes {
        let misses = o.misses();
        println!(
            "{:<24} {:<14} {:>10.3} {:>12.3} {:>8.2} {:>6}  {}",
            o.name,
            o.role,
            ombaro::bench::millis(o.rls.p50),
            ombaro::bench::millis(o.plain.p50),
            o.ratio(),
            o.rows,
            if misses.is_empty() {
                "met".to_owned()
            } else {
                misses.join(", ")
            }
        );
    }
}

/// Growth from the first measured scale to the last, then the plans (at the last scale) of
/// every page that misses a goal there.
fn print_rls_growth_and_plans(measured: &[(Option<u32>, Vec<ombaro::bench::rls::Outcome>)]) {
    use ombaro::bench::{millis, rls::GROWTH_GOAL};
    let (Some((first_scale, first)), Some((last_scale, last))) = (measured.first(), measured.last()) else {
        return;
    };
    let mut growth_misses = std::collections::HashSet::new();
    if measured.len() > 1 {
        println!(
            "\ngrowth from scale {} to scale {} (RLS p50; goal <= {GROWTH_GOAL})\n{:<24} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
            first_scale.unwrap_or_default(),
            last_scale.unwrap_or_default(),
            "page",
            "RLS before",
            "RLS after",
            "growth",
            "plain bef.",
            "plain aft.",
            "growth"
        );
        for o in last {
            let Some(f) = first.iter().find(|f| f.name == o.name) else {
                continue;
            };
            let growth = millis(o.rls.p50) / millis(f.rls.p50).max(1e-6);
            let plain_growth = millis(o.plain.p50) / millis(f.plain.p50).max(1e-6);
            if growth > GROWTH_GOAL {
                growth_misses.insert(o.name);
            }
            println!(
                "{:<24} {:>10.3} {:>10.3} {:>8.2} {:>10.3} {:>10.3} {:>8.2}{}",
                o.name,
                millis(f.rls.p50),
                millis(o.rls.p50),
                growth,
                millis(f.plain.p50),
                millis(o.plain.p50),
                plain_growth,
                if growth > GROWTH_GOAL { "  missed" } else { "" }
            );
        }
    }
    for o in last {
        let mut misses = o.misses();
        if growth_misses.contains(o.name) {
            misses.push(format!("growth above {GROWTH_GOAL}"));
        }
        if misses.is_empty() {
            continue;
        }
        println!("\n{}: {} — plans follow", o.name, misses.join(", "));
        println!("-- under RLS:\n{}", o.rls_plan);
        println!("-- explicit filter:\n{}", o.plain_plan);
    }
}
