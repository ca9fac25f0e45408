//! `ombaro bench analytics`: the analytics service's ingest and its rollups, in a scratch
//! database on the stack's cluster (the developer's data is never touched), with the function
//! server in this process.
//!
//! - (a) ingest: `--clients` senders post batches of `--batch` events over HTTP for
//!   `--seconds` (each batch a different device: its own session and `X-Forwarded-For`, as a
//!   fleet of phones behind a load balancer), then the same rows are loaded again with one
//!   `COPY` on the same cluster: events/s of both and their ratio (goal >= 0.5);
//! - (b) funnels: `--events` events (10 million by default) over 30 IST days are generated in
//!   SQL (generate_series: sessions of eight events moving through the discovery funnel with
//!   drop-offs and noise, five cities), the funnel rollup runs over those days, and the
//!   discovery funnel for the 30 days is asked for from the rollups over HTTP (as the
//!   service answers it, auth and permission checks included) and computed from the raw
//!   events in SQL (`private.funnel_from_events`, no timeout): both times, their ratio (goal
//!   >= 100) and whether the numbers are the same (they must be).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use chrono::{Duration as Days, NaiveDate, Utc};
use futures_util::{pin_mut, SinkExt};
use ombaro_common::{db, jwt::JwtKeys};
use serde_json::{json, Value};
use tokio_postgres::Client;
use uuid::Uuid;

use super::{
    http::{Reply, Tally},
    millis,
    scratch::{self, Server},
    Summary,
};

/// What to run; the command line's defaults are in `main.rs`.
#[derive(Debug, Clone)]
pub struct AnalyticsBenchOptions {
    pub seconds: u64,
    pub clients: usize,
    pub batch: usize,
    /// Events generated for phase (b).
    pub events: u64,
    /// Reads of the funnel from the rollups (the median is reported).
    pub reads: usize,
    pub database: String,
}

impl Default for AnalyticsBenchOptions {
    fn default() -> Self {
        Self {
            seconds: 20,
            clients: 16,
            batch: 100,
            events: 10_000_000,
            reads: 20,
            database: "ombaro_bench_analytics".into(),
        }
    }
}

/// Goals, reported (a missed goal does not fail the run; wrong numbers do).
pub const INGEST_GOAL: f64 = 0.5;
pub const ROLLUP_GOAL: f64 = 100.0;

#[derive(Debug)]
pub struct AnalyticsBenchReport {
    pub options: AnalyticsBenchOptions,
    pub ingest_events: u64,
    pub ingest_time: Duration,
    pub ingest_latency: Summary,
    pub ingest_tally: Tally,
    pub copy_rows: u64,
    pub copy_time: Duration,
    pub generated: u64,
    pub generate_time: Duration,
    pub rollup_time: Duration,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rollup_read: Summary,
    pub raw_time: Duration,
    pub rolled_counts: Vec<i64>,
    pub raw_counts: Vec<i64>,
    pub wall: Duration,
}

impl AnalyticsBenchReport {
    pub fn ingest_rate(&self) -> f64 {
        self.ingest_events as f64 / self.ingest_time.as_secs_f64().max(1e-9)
    }

    pub fn copy_rate(&self) -> f64 {
        self.copy_rows as f64 / self.copy_time.as_secs_f64().max(1e-9)
    }

    pub fn funnel_ratio(&self) -> f64 {
        self.raw_time.as_secs_f64() / self.rollup_read.p50.as_secs_f64().max(1e-9)
    }

    /// What makes the run fail: server errors, or the two funnel answers differing.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.ingest_tally.server_errors() > 0 {
            failures.push(format!(
                "{} ingest requests failed on the server",
                self.ingest_tally.server_errors()
            ));
        }
        if self.ingest_tally.with_status(200) != self.ingest_tally.total() {
            failures.push(format!(
                "ingest answers were not all 200: {}",
                self.ingest_tally.describe()
            ));
        }
        if self.rolled_counts != self.raw_counts {
            failures.push(format!(
                "the funnel from rollups {:?} differs from the raw events {:?}",
                self.rolled_counts, self.raw_counts
            ));
        }
        failures
    }

    pub fn render(&self) -> String {
        let o = &self.options;
        let verdict = |ok: bool| if ok { "goal met" } else { "goal missed" };
        let mut out = String::new();
        out.push_str(&format!(
            "\nanalytics bench ({:.0} s wall)\n\n(a) ingest over HTTP: {} clients, batches of {}, {} s\n",
            self.wall.as_secs_f64(),
            o.clients,
            o.batch,
            o.seconds
        ));
        out.push_str(&format!(
            "  HTTP   {:>10} events in {:>6.1} s = {:>9.0} events/s  (batch latency {})\n",
            self.ingest_events,
            self.ingest_time.as_secs_f64(),
            self.ingest_rate(),
            self.ingest_latency.describe()
        ));
        out.push_str(&format!(
            "  COPY   {:>10} rows   in {:>6.1} s = {:>9.0} rows/s\n",
            self.copy_rows,
            self.copy_time.as_secs_f64(),
            self.copy_rate()
        ));
        let ratio = self.ingest_rate() / self.copy_rate().max(1e-9);
        out.push_str(&format!(
            "  HTTP/COPY = {ratio:.2} (goal >= {INGEST_GOAL}: {})\n  answers: {}\n",
            verdict(ratio >= INGEST_GOAL),
            self.ingest_tally.describe()
        ));
        for line in &self.ingest_tally.unexpected {
            out.push_str(&format!("    {line}\n"));
        }
        out.push_str(&format!(
            "\n(b) discovery funnel {} to {} over {} generated events\n",
            self.from, self.to, self.generated
        ));
        out.push_str(&format!(
            "  generated in {:.1} s ({:.0} rows/s); funnel rollup of the 30 days in {:.1} s\n",
            self.generate_time.as_secs_f64(),
            self.generated as f64 / self.generate_time.as_secs_f64().max(1e-9),
            self.rollup_time.as_secs_f64()
        ));
        out.push_str(&format!(
            "  from rollups (HTTP, {} reads): {}\n  from raw events (SQL): {:.1} ms\n",
            self.rollup_read.runs,
            self.rollup_read.describe(),
            millis(self.raw_time)
        ));
        let ratio = self.funnel_ratio();
        out.push_str(&format!(
            "  raw/rollups = {ratio:.0}x (goal >= {ROLLUP_GOAL}x: {})\n",
            verdict(ratio >= ROLLUP_GOAL)
        ));
        out.push_str(&format!(
            "  counts: rollups {:?}, raw {:?} ({})\n",
            self.rolled_counts,
            self.raw_counts,
            if self.rolled_counts == self.raw_counts {
                "same"
            } else {
                "DIFFERENT"
            }
        ));
        out
    }
}

/// Runs both phases against a scratch database on the cluster `url` (a superuser URL)
/// points at, dropped afterwards whatever happened.
pub async fn run(url: &str, keys: JwtKeys, options: AnalyticsBenchOptions) -> anyhow::Result<AnalyticsBenchReport> {
    let started = Instant::now();
    let outcome = measure(url, keys, &options).await;
    scratch::drop_databases(url, &[&options.database]).await;
    let mut report = outcome?;
    report.wall = started.elapsed();
    Ok(report)
}

async fn measure(url: &str, keys: JwtKeys, options: &AnalyticsBenchOptions) -> anyhow::Result<AnalyticsBenchReport> {
    eprintln!("loading: scratch database {}…", options.database);
    let bench_url = scratch::create_database(url, &options.database).await?;
    scratch::prepare(&bench_url).await?;
    let admin = db::connect(&bench_url).await?;
    admin
        .batch_execute(
            "select private.ensure_partitions('public.analytics_events', now() - interval '40 days', now() + interval '1 day');
             select private.ensure_partitions('public.page_views', now() - interval '40 days', now() + interval '1 day');",
        )
        .await
        .context("creating partitions")?;
    // A marketing analyst reads the funnel.
    let analyst = Uuid::new_v4();
    admin
        .batch_execute(&format!(
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
             values ('{analyst}', 'authenticated', 'authenticated', 'analyst.{analyst}@example.in', now(), '{{}}', '{{}}', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
             values ('{analyst}', 'Analyst', '9123456780', 'marketing_department');"
        ))
        .await?;
    // An employee's token names `staff`, as Auth's hook names it (V24).
    let analyst_token = keys.user_token(&analyst.to_string(), None, 3600, json!({"role": "staff"}));
    let anon = keys.api_key("anon");

    let server = Server::start(&bench_url, keys, options.clients + 4).await?;
    let measured = async {
        eprintln!(
            "phase a: {} senders for {} s, batches of {} events…",
            options.clients, options.seconds, options.batch
        );
        let (ingest_events, ingest_time, latencies, tally) =
            ingest(&server.base, &anon, options.clients, options.batch, options.seconds).await?;
        eprintln!("phase a: COPY of the same rows…");
        let (copy_rows, copy_time) = copy_again(&bench_url).await?;
        admin.batch_execute("truncate public.analytics_events").await?;

        eprintln!("phase b: generating {} events over 30 days in SQL…", options.events);
        let to = ombaro_analytics::ist_day(Utc::now());
        let from = to - Days::days(29);
        let generate_started = Instant::now();
        let generated = generate(&admin, options.events, from).await?;
        let generate_time = generate_started.elapsed();
        eprintln!("phase b: rolling up the funnels of {from} to {to}…");
        let rollup_started = Instant::now();
        admin
            .batch_execute(&format!(
                "set statement_timeout = 0;
                 select private.rollup_funnels('{from}', '{to}');
                 insert into private.analytics_rollup_days (rollup, day)
                 select 'funnels', d::date from generate_series('{from}'::date, '{to}'::date, interval '1 day') d
                 on conflict (rollup, day) do update set computed_at = now();"
            ))
            .await
            .context("rolling up the funnels")?;
        let rollup_time = rollup_started.elapsed();

        eprintln!(
            "phase b: the discovery funnel from rollups ({} reads over HTTP)…",
            options.reads
        );
        let http = reqwest::Client::new();
        let path = format!(
            "{}/functions/v1/analytics-service/funnels/discovery?from={from}&to={to}&source=rollups",
            server.base
        );
        let mut samples = Vec::new();
        let mut rolled = Value::Null;
        for _ in 0..options.reads.max(1) {
            let started = Instant::now();
            let resp = http.get(&path).bearer_auth(&analyst_token).send().await?;
            let status = resp.status();
            rolled = resp.json().await?;
            samples.push(started.elapsed());
            if !status.is_success() {
                bail!("the funnel from rollups answered {status}: {rolled}");
            }
        }
        let rolled_counts: Vec<i64> = rolled["steps"]
            .as_array()
            .context("steps")?
            .iter()
            .map(|s| s["count"].as_i64().unwrap_or(-1))
            .collect();
        eprintln!("phase b: the same funnel from the raw events…");
        let raw_started = Instant::now();
        let rows = admin
            .query(
                "select reached from private.funnel_from_events('discovery', $1, $2, null) order by step_order",
                &[&from, &to],
            )
            .await?;
        let raw_time = raw_started.elapsed();
        let raw_counts: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        anyhow::Ok(AnalyticsBenchReport {
            options: options.clone(),
            ingest_events,
            ingest_time,
            ingest_latency: Summary::of(latencies),
            ingest_tally: tally,
            copy_rows,
            copy_time,
            generated,
            generate_time,
            rollup_time,
            from,
            to,
            rollup_read: Summary::of(samples),
            raw_time,
            rolled_counts,
            raw_counts,
            wall: Duration::ZERO,
        })
    }
    .await;
    server.stop().await;
    measured
}

/// Phase (a)'s senders: events stored, time, per-batch latencies, answers.
async fn ingest(
    base: &str,
    anon: &str,
    clients: usize,
    batch: usize,
    seconds: u64,
) -> anyhow::Result<(u64, Duration, Vec<Duration>, Tally)> {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let url = format!("{base}/functions/v1/analytics-service/events");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, url, anon) = (http.clone(), url.clone(), anon.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut stored = 0u64;
            let mut latencies = Vec::new();
            let mut tally = Tally::default();
            let mut n = 0usize;
            while Instant::now() < deadline {
                let device = client * 1_000_000 + n;
                let body = batch_body(device, batch);
                let sent_at = Instant::now();
                let sent = http
                    .post(&url)
                    .bearer_auth(&anon)
                    .header(
                        "x-forwarded-for",
                        format!("10.{}.{}.{}", client, (n / 250) % 250, n % 250),
                    )
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let reply = Reply::read(sent, sent_at).await;
                stored += reply.body.get("stored").and_then(Value::as_u64).unwrap_or(0);
                latencies.push(reply.latency);
                tally.add(&reply, reply.code(), &[200], || format!("batch {device}"));
                n += 1;
            }
            (stored, latencies, tally)
        }));
    }
    let (mut stored, mut latencies, mut tally) = (0, Vec::new(), Tally::default());
    for task in tasks {
        let (s, l, t) = task.await?;
        stored += s;
        latencies.extend(l);
        tally.merge(t);
    }
    Ok((stored, started.elapsed(), latencies, tally))
}

/// One device's batch: a session moving through discovery with a few other events.
fn batch_body(device: usize, batch: usize) -> String {
    let now = Utc::now();
    const NAMES: [&str; 6] = [
        "service_viewed",
        "slot_selected",
        "search_performed",
        "booking_created",
        "payment_captured",
        "filter_applied",
    ];
    let events: Vec<Value> = (0..batch)
        .map(|i| {
            json!({
                "event_name": NAMES[i % NAMES.len()],
                "event_category": "discovery",
                "session_id": format!("bench-{device}"),
                "timestamp": (now - Days::seconds((batch - i) as i64)).to_rfc3339(),
                "event_properties": { "service_id": "SWD", "position": i },
                "device_info": { "platform": "android", "os": "Android 14", "app_version": "2.3.0" },
                "location_info": { "city": "Bengaluru", "state": "Karnataka", "country": "IN" },
            })
        })
        .collect();
    json!({ "events": events }).to_string()
}

/// The rows phase (a) stored, loaded again with one COPY: rows and time.
async fn copy_again(url: &str) -> anyhow::Result<(u64, Duration)> {
    let client = db::connect(url).await?;
    let columns =
        "user_id, session_id, event_name, event_category, event_properties, device_info, location_info, \"timestamp\"";
    // The rows as COPY text, read before timing so only the load is measured.
    let out = client
        .copy_out(&format!(
            "copy (select {columns} from public.analytics_events) to stdout"
        ))
        .await?;
    pin_mut!(out);
    let mut data: Vec<u8> = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut out).await {
        data.extend_from_slice(&chunk?);
    }
    let started = Instant::now();
    let sink = client
        .copy_in::<_, Bytes>(&format!("copy public.analytics_events ({columns}) from stdin"))
        .await?;
    pin_mut!(sink);
    for chunk in data.chunks(1 << 20) {
        sink.send(Bytes::copy_from_slice(chunk)).await?;
    }
    let rows = sink.finish().await?;
    Ok((rows, started.elapsed()))
}

/// `events` events of anonymous sessions (eight events each) starting on the IST days from
/// `from` for 30 days, generated in SQL in chunks of a million.
async fn generate(client: &Client, events: u64, from: NaiveDate) -> anyhow::Result<u64> {
    client
        .batch_execute("set synchronous_commit = off; set statement_timeout = 0")
        .await?;
    let chunk = 1_000_000u64;
    let mut done = 0u64;
    while done < events {
        let last = (done + chunk).min(events);
        let n = client
            .execute(
                "insert into public.analytics_events (session_id, event_name, event_category, event_properties,
                                                     location_info, \"timestamp\")
                 select 'gen-' || s,
                        case k
                          when 0 then 'service_viewed'
                          when 1 then case when (s * 31) % 100 < 60 then 'slot_selected' else 'search_performed' end
                          when 2 then case when (s * 17) % 100 < 45 then 'booking_created' else 'filter_applied' end
                          when 3 then case when (s * 13) % 100 < 70 then 'payment_captured' else 'app_opened' end
                          when 4 then 'service_viewed'
                          when 5 then case when s % 3 = 0 then 'slot_selected' else 'scroll_depth' end
                          when 6 then case when s % 7 = 0 then 'booking_created' else 'page_exit' end
                          else 'app_closed'
                        end,
                        'discovery',
                        jsonb_build_object('position', k),
                        case when k = 0 then jsonb_build_object('city',
                          (array['Bengaluru', 'Mumbai', 'Delhi', 'Pune', 'Chennai'])[1 + (s % 5)]) end,
                        ($3::date::timestamp at time zone 'Asia/Kolkata')
                          + make_interval(secs => ((s * 7919) % (30 * 86400 - 7200)) + k * (20 + (s % 600)))
                   from generate_series($1::bigint, $2::bigint - 1) as g(i),
                        lateral (select g.i / 8 as s, g.i % 8 as k) as sk",
                &[&(done as i64), &(last as i64), &from],
            )
            .await
            .context("generating events")?;
        done += n;
        eprintln!("  {done} events");
    }
    client.batch_execute("analyze public.analytics_events").await?;
    Ok(done)
}
