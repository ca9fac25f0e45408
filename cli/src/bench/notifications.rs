//! `ombaro bench notifications`: the outbox delivered by worker processes (`ombaro worker`
//! children, through the local provider) in a scratch database: for each worker count,
//! `messages` rows across the five channels enqueued at once, then messages/s and
//! enqueue-to-delivered p50/p99 from the rows' own times; then a run with two workers one of
//! which is SIGKILLed mid-run, reconciled in SQL: every row sent, each with exactly one
//! delivery (log row or inbox row), none lost, none doubled.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use ombaro_common::db;

use super::scratch;

const DB: &str = "ombaro_bench_notifications";
/// Recipients the messages are spread over.
const PEOPLE: i64 = 1000;
/// The lease of the benchmark's workers: a killed worker's rows come back after this.
const LEASE_SECS: u64 = 5;

#[derive(Debug, Clone)]
pub struct NotificationBenchOptions {
    pub messages: u64,
    pub workers: Vec<usize>,
    /// Also SIGKILL one of two workers mid-run and reconcile.
    pub kill: bool,
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Run {
    pub workers: usize,
    pub messages: i64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The crash run's reconciliation.
#[derive(Debug, Clone, Default)]
pub struct Reconciled {
    pub messages: i64,
    pub killed_after: i64,
    pub seconds: f64,
    pub not_sent: i64,
    pub lost: i64,
    pub duplicated: i64,
    pub reclaimed: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub runs: Vec<Run>,
    pub crash: Option<Reconciled>,
}

impl Report {
    pub fn render(&self) -> String {
        let mut out = String::from(
            "\nnotification delivery through the local provider (ombaro worker processes)\n\
             workers   messages   seconds   messages/s   enqueue->delivered p50   p99\n",
        );
        for r in &self.runs {
            out.push_str(&format!(
                "{:>7} {:>10} {:>9.2} {:>12.0} {:>21.0} ms {:>6.0} ms\n",
                r.workers,
                r.messages,
                r.seconds,
                r.messages as f64 / r.seconds,
                r.p50_ms,
                r.p99_ms
            ));
        }
        if let Some(c) = &self.crash {
            out.push_str(&format!(
                "\nSIGKILL of one of two workers after {} of {} messages: all delivered in {:.2} s; \
                 {} rows reclaimed after the {LEASE_SECS} s lease\n\
                 reconciliation: {} not sent, {} lost, {} duplicated\n",
                c.killed_after, c.messages, c.seconds, c.reclaimed, c.not_sent, c.lost, c.duplicated
            ));
        }
        out
    }

    pub fn failures(&self) -> Vec<String> {
        let mut f = Vec::new();
        if let Some(c) = &self.crash {
            if c.not_sent + c.lost + c.duplicated > 0 {
                f.push(format!(
                    "after the SIGKILL: {} not sent, {} lost, {} duplicated",
                    c.not_sent, c.lost, c.duplicated
                ));
            }
        }
        f
    }
}

/// Runs the benchmark on the cluster at `url` (a superuser URL).
pub async fn run(url: &str, options: NotificationBenchOptions) -> anyhow::Result<Report> {
    let scratch_url = scratch::create_database(url, DB).await?;
    let result = measure(&scratch_url, &options).await;
    scratch::drop_databases(url, &[DB]).await;
    result
}

async fn measure(url: &str, options: &NotificationBenchOptions) -> anyhow::Result<Report> {
    scratch::prepare(url).await?;
    let client = db::connect(url).await?;
    fixture(&client).await?;
    let mut report = Report::default();
    for &workers in &options.workers {
        reset(&client).await?;
        let mut children = spawn(url, workers)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        enqueue(&client, options.messages as i64).await?;
        let done = wait_all_sent(&client, options.messages as i64, Duration::from_secs(900), |_| false).await;
        stop(&mut children);
        done?;
        let row = client
            .query_one(
                "select extract(epoch from max(sent_at) - min(created_at))::float8,
                        1000 * extract(epoch from percentile_cont(0.5) within group (order by sent_at - created_at))::float8,
                        1000 * extract(epoch from percentile_cont(0.99) within group (order by sent_at - created_at))::float8
                   from public.notification_queue",
                &[],
            )
            .await?;
        let seconds: f64 = row.get(0);
        report.runs.push(Run {
            workers,
            messages: options.messages as i64,
            seconds,
            p50_ms: row.get(1),
            p99_ms: row.get(2),
        });
        eprintln!("{} worker(s): done", workers);
    }
    if options.kill {
        reset(&client).await?;
        let mut children = spawn(url, 2)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let messages = options.messages as i64;
        enqueue(&client, messages).await?;
        let mut killed_after = None;
        let mut victim = Some(children.remove(0));
        let done = wait_all_sent(&client, messages, Duration::from_secs(900), |sent| {
            if sent >= messages / 3 {
                if let Some(mut child) = victim.take() {
                    let _ = child.kill(); // SIGKILL
                    let _ = child.wait();
                    killed_after = Some(sent);
                }
            }
            false
        })
        .await;
        if let Some(mut child) = victim.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        stop(&mut children);
        done?;
        let seconds = started.elapsed().as_secs_f64();
        let r = client
            .query_one(
                "select
                   (select count(*) from public.notification_queue where status <> 'sent'),
                   (select count(*) from public.notification_queue q where q.status = 'sent' and deliveries(q) = 0),
                   (select count(*) from public.notification_queue q where deliveries(q) > 1),
                   (select count(*) from public.notification_queue where attempts > 1)",
                &[],
            )
            .await?;
        report.crash = Some(Reconciled {
            messages,
            killed_after: killed_after.unwrap_or(0),
            seconds,
            not_sent: r.get(0),
            lost: r.get(1),
            duplicated: r.get(2),
            reclaimed: r.get(3),
        });
    }
    Ok(report)
}

/// People to message: a profile (name, mobile), an address, a device and WhatsApp opt-in each;
/// and `deliveries(q)`, how many times row `q` reached its channel's log or the inbox.
async fn fixture(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(&format!(
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                                     created_at, updated_at)
             select gen_random_uuid(), 'authenticated', 'authenticated', 'bench' || i || '@example.in', now(), '{{}}', '{{}}',
                    now(), now()
               from generate_series(1, {PEOPLE}) i;
             insert into public.user_profiles (id, name, mobile, role)
             select id, 'Bench ' || row_number() over (order by email), '98' || lpad((row_number() over (order by email))::text, 8, '0'),
                    'customer'
               from auth.users where email like 'bench%@example.in';
             insert into public.user_preferences (user_id, notify_whatsapp) select id, true from public.user_profiles;
             insert into public.user_sessions (user_id, device_type, push_token)
             select id, 'android', 'bench-token:' || replace(id::text, '-', '') from public.user_profiles;
             create table public.bench_people as select id, row_number() over (order by id) as n from public.user_profiles;
             create function public.deliveries(q public.notification_queue) returns bigint language sql stable as $$
               select case q.channel
                 when 'in_app' then (select count(*) from public.notifications n where n.id = q.notification_id)
                 when 'push' then (select count(*) from public.push_notifications p where p.queue_id = q.id)
                 when 'email' then (select count(*) from public.email_logs e where e.queue_id = q.id)
                 when 'sms' then (select count(*) from public.sms_logs s where s.queue_id = q.id)
                 else (select count(*) from public.whatsapp_logs w where w.queue_id = q.id) end
             $$;"
        ))
        .await
        .context("the benchmark's people")?;
    Ok(())
}

async fn reset(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "truncate public.notification_queue, public.notifications, public.push_notifications, public.email_logs,
                      public.sms_logs, public.whatsapp_logs cascade",
        )
        .await?;
    Ok(())
}

/// `n` messages round-robin over the channels and people, each on its own channel (an event
/// without fan-out), in committed chunks as producers would write them.
async fn enqueue(client: &tokio_postgres::Client, n: i64) -> anyhow::Result<()> {
    let chunk = 5000;
    let mut from = 1;
    while from <= n {
        let to = (from + chunk - 1).min(n);
        client
            .execute(
                "insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
                 select 'bench.message', p.id, c.channel, c.template,
                        jsonb_build_object('booking_number', 'OBO-20251015-' || lpad(i::text, 6, '0'), 'otp', lpad((i % 1000000)::text, 6, '0'),
                                           'gateway', 'razorpay', 'problem', 'bench', 'customer_name', 'Bench',
                                           'refund_amount', 149900),
                        'bench:' || i
                   from generate_series($1::bigint, $2::bigint) i
                   join public.bench_people p on p.n = 1 + i % $3
                   join (values (0, 'push', 'payment_failed'), (1, 'in_app', 'payment_failed'), (2, 'email', 'payment_flagged'),
                                (3, 'sms', 'otp_login'), (4, 'whatsapp', 'booking_cancelled')) c (k, channel, template)
                     on c.k = i % 5",
                &[&from, &to, &PEOPLE],
            )
            .await?;
        from = to + 1;
    }
    Ok(())
}

/// Waits until `n` rows are sent; `tick` sees the count each time.
async fn wait_all_sent(
    client: &tokio_postgres::Client,
    n: i64,
    limit: Duration,
    mut tick: impl FnMut(i64) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    loop {
        let row = client
            .query_one(
                "select count(*) filter (where status = 'sent'), count(*) filter (where status in ('dead', 'skipped'))
                   from public.notification_queue",
                &[],
            )
            .await?;
        let (sent, stuck): (i64, i64) = (row.get(0), row.get(1));
        if stuck > 0 {
            let why: String = client
                .query_one(
                    "select coalesce(max(last_error), '') from public.notification_queue where status in ('dead', 'skipped')",
                    &[],
                )
                .await?
                .get(0);
            bail!("{stuck} messages were not delivered: {why}");
        }
        if sent >= n {
            return Ok(());
        }
        tick(sent);
        if Instant::now() > deadline {
            bail!("only {sent} of {n} delivered within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn spawn(url: &str, n: usize) -> anyhow::Result<Vec<Child>> {
    (0..n)
        .map(|_| {
            Command::new(std::env::current_exe()?)
                .args([
                    "worker",
                    "--quiet",
                    "--batch",
                    "64",
                    "--lease-secs",
                    &LEASE_SECS.to_string(),
                    "--poll-secs",
                    "1",
                ])
                .env("DATABASE_URL", url)
                .env("NOTIFY_PROVIDERS", "local")
                .env("OMBARO_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .context("starting an ombaro worker")
        })
        .collect()
}

fn stop(children: &mut Vec<Child>) {
    for child in children.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    children.clear();
}
