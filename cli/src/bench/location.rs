//! `ombaro bench location`: the location service under load over real HTTP, against a
//! scratch database on the stack's cluster so the developer's data is never touched.
//!
//! - (a) ingest: `--therapists` simulated therapists, each on the way to a home visit,
//!   send `--batches` batches of `--batch-size` fixes each, all at once; fixes/s and the
//!   latency of a batch, beside `COPY` of the same rows into the same table in the same run
//!   (goal: HTTP >= 0.5 of COPY, reported only);
//! - (b) ETA reads: `--readers` vendors reading their therapists' ETAs for `--seconds`, once
//!   through the cache (a real `redis-server` when installed, else in process) and once
//!   without: reads/s, p99 and the cache's hit rate.
//!
//! It fails when any request is answered other than 200, or when the database does not hold
//! exactly the fixes sent.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use futures_util::SinkExt;
use ombaro_common::{cache::Cache, db, jwt::JwtKeys, AppState};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::bench::{millis, people::Sql, scratch, Summary};

/// What to run; the command line's defaults are in `main.rs`.
#[derive(Debug, Clone)]
pub struct LocationBenchOptions {
    pub therapists: usize,
    pub batches: usize,
    pub batch_size: usize,
    /// Concurrent ETA readers in phase (b).
    pub readers: usize,
    /// Seconds of each half of phase (b).
    pub seconds: u64,
    pub database: String,
}

impl Default for LocationBenchOptions {
    fn default() -> Self {
        Self {
            therapists: 200,
            batches: 30,
            batch_size: 10,
            readers: 32,
            seconds: 10,
            database: "ombaro_bench_location".into(),
        }
    }
}

/// One half of phase (b).
#[derive(Debug, Clone)]
pub struct Reads {
    pub label: String,
    pub reads: usize,
    pub failed: usize,
    pub per_second: f64,
    pub latency: Summary,
    pub hit_rate: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct LocationBenchReport {
    pub options: LocationBenchOptions,
    pub fixes: usize,
    pub http_seconds: f64,
    pub http_failed: usize,
    pub batch_latency: Summary,
    pub copy_rows: usize,
    pub copy_seconds: f64,
    pub stored: i64,
    pub with_cache: Reads,
    pub without_cache: Reads,
    pub unexpected: Vec<String>,
}

impl LocationBenchReport {
    pub fn http_rate(&self) -> f64 {
        self.fixes as f64 / self.http_seconds
    }

    pub fn copy_rate(&self) -> f64 {
        self.copy_rows as f64 / self.copy_seconds
    }

    pub fn render(&self) -> String {
        let o = &self.options;
        let ratio = self.http_rate() / self.copy_rate();
        let mut out = format!(
            "(a) ingest: {} therapists x {} batches x {} fixes over HTTP\n\
             \x20   HTTP: {} fixes in {:.2} s = {:.0} fixes/s; batch latency {}\n\
             \x20   COPY of the same rows into therapist_locations: {:.0} rows/s\n\
             \x20   HTTP / COPY = {:.3} (goal >= 0.5: {})\n",
            o.therapists,
            o.batches,
            o.batch_size,
            self.fixes,
            self.http_seconds,
            self.http_rate(),
            self.batch_latency.describe(),
            self.copy_rate(),
            ratio,
            if ratio >= 0.5 { "met" } else { "missed" },
        );
        out.push_str(&format!(
            "(b) ETA reads, {} readers for {} s each:\n",
            o.readers, o.seconds
        ));
        for r in [&self.with_cache, &self.without_cache] {
            out.push_str(&format!(
                "    {}: {} reads, {:.0}/s, {}{}\n",
                r.label,
                r.reads,
                r.per_second,
                r.latency.describe(),
                r.hit_rate
                    .map(|h| format!(", hit rate {:.1} %", h * 100.0))
                    .unwrap_or_default()
            ));
        }
        out.push_str(&format!(
            "    p99 with / without the cache = {:.2}\n",
            millis(self.with_cache.latency.p99) / millis(self.without_cache.latency.p99).max(1e-9)
        ));
        for line in &self.unexpected {
            out.push_str(&format!("    unexpected: {line}\n"));
        }
        out
    }

    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.http_failed > 0 {
            failures.push(format!("{} batches not accepted", self.http_failed));
        }
        if self.stored != self.fixes as i64 {
            failures.push(format!("{} fixes sent, {} stored", self.fixes, self.stored));
        }
        for r in [&self.with_cache, &self.without_cache] {
            if r.failed > 0 {
                failures.push(format!("{}: {} reads failed", r.label, r.failed));
            }
        }
        failures
    }
}

struct Traveller {
    therapist: Uuid,
    token: String,
    assignment: Uuid,
    vendor_token: String,
}

/// Vendors with therapists, each on the way to a home visit 5 km east (nobody arrives during
/// the bench).
async fn fixture(url: &str, keys: &JwtKeys, therapists: usize) -> anyhow::Result<Vec<Traveller>> {
    let client = db::connect(url).await?;
    let mut sql = Sql::default();
    let per_vendor = 20;
    let vendors: Vec<_> = (0..therapists.div_ceil(per_vendor))
        .map(|v| sql.vendor(per_vendor.min(therapists - v * per_vendor)))
        .collect();
    let customers: Vec<Uuid> = (0..16).map(|_| sql.customer()).collect();
    client
        .batch_execute(&sql.text)
        .await
        .context("creating the bench's people")?;
    let ids: Vec<Uuid> = vendors.iter().flat_map(|v| v.therapists.iter().copied()).collect();
    // A confirmed home visit per therapist, its assignment already in transit. Booking ids are
    // drawn first so each assignment pairs with its own therapist's booking.
    client
        .execute(
            "with t as (
               select t.id, t.vendor_id, x.n, gen_random_uuid() as booking_id
                 from unnest($1::uuid[]) with ordinality as x(id, n) join public.therapists t on t.id = x.id),
             made as (
               insert into public.bookings (id, booking_number, customer_id, vendor_id, booking_type, source, status,
                                            service_location, location, scheduled_start, scheduled_end, timezone,
                                            subtotal, discount_amount, tax_rate, tax_amount, convenience_fee, total_amount)
               select t.booking_id, private.format_booking_number(nextval('private.booking_number_seq'), now()),
                      ($2::uuid[])[(1 + t.n % cardinality($2::uuid[]))::int], t.vendor_id, 'home_service', 'app',
                      'confirmed',
                      '{\"address\": \"Indiranagar, Bengaluru\", \"latitude\": 12.9716, \"longitude\": 77.6408}',
                      extensions.st_setsrid(extensions.st_makepoint(77.6408, 12.9716), 4326)::extensions.geography,
                      date_trunc('hour', now()) + interval '1 hour', date_trunc('hour', now()) + interval '2 hours',
                      'Asia/Kolkata', 249900, 0, 5.00, 12495, 0, 262395
                 from t
               returning id, customer_id, scheduled_start, scheduled_end)
             insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                                       assignment_date, assignment_time, scheduled_start, scheduled_end,
                                                       status, location_address, location_latitude, location_longitude,
                                                       estimated_duration)
             select m.id, t.id, t.vendor_id, m.customer_id, (select id from public.services where code = 'SWD'),
                    (m.scheduled_start at time zone 'Asia/Kolkata')::date,
                    (m.scheduled_start at time zone 'Asia/Kolkata')::time,
                    m.scheduled_start, m.scheduled_end, 'in_transit', 'Indiranagar, Bengaluru', 12.9716, 77.6408, 60
               from made m join t on t.booking_id = m.id",
            &[&ids, &customers],
        )
        .await
        .context("creating the bench's home visits")?;
    let mut travellers = Vec::with_capacity(ids.len());
    for row in client
        .query(
            "select t.id, t.user_id, t.vendor_id, a.id
               from public.therapists t join public.therapist_assignments a on a.therapist_id = t.id
              where t.id = any ($1)",
            &[&ids],
        )
        .await?
    {
        let (therapist, user, vendor, assignment): (Uuid, Uuid, Uuid, Uuid) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        travellers.push(Traveller {
            therapist,
            // Therapists' and vendors' tokens name `partner`, as Auth's hook names it (V24).
            token: keys.user_token(&user.to_string(), None, 3600, json!({"role": "partner"})),
            assignment,
            vendor_token: keys.user_token(&vendor.to_string(), None, 3600, json!({"role": "partner"})),
        });
    }
    Ok(travellers)
}

/// The fixes of batch `b` of a therapist: 10 m east per second from the spa, ending a few
/// seconds ago.
fn batch(options: &LocationBenchOptions, b: usize, start: chrono::DateTime<chrono::Utc>) -> Vec<Value> {
    (0..options.batch_size)
        .map(|i| {
            let k = b * options.batch_size + i;
            json!({
                "latitude": 12.9716,
                "longitude": 77.5946 + k as f64 * 10.0 / 108_470.0,
                "accuracy": 8.0,
                "speed": 36.0,
                "recorded_at": (start + chrono::Duration::seconds(k as i64)).to_rfc3339(),
            })
        })
        .collect()
}

struct BenchServer {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<crate::server::Stopped>>,
    /// The cache's invalidation listener, stopped with the server (before the scratch
    /// database it listens on is dropped).
    listener: Option<tokio::task::JoinHandle<()>>,
}

async fn start_server(url: &str, keys: JwtKeys, cache: Option<Cache>) -> anyhow::Result<BenchServer> {
    let login = ombaro_common::config::functions_login(url)?;
    let invalidations = match &cache {
        Some(cache) => Some(ombaro_common::cache::listen_for_invalidations(login.clone(), cache.clone()).await),
        None => None,
    };
    let state = AppState {
        db: db::Db::connect(login, &db::PoolConfig::default()).await?,
        keys: Arc::new(keys),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(crate::server::serve_with(
        listener,
        state,
        crate::server::ServerOptions::default(),
        cache,
        async {
            let _ = stopped.await;
        },
    ));
    Ok(BenchServer {
        base,
        stop,
        task,
        listener: invalidations,
    })
}

impl BenchServer {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        if let Some(listener) = self.listener {
            listener.abort();
        }
    }
}

pub async fn run(url: &str, keys: JwtKeys, options: LocationBenchOptions) -> anyhow::Result<LocationBenchReport> {
    let scratch_url = scratch::create_database(url, &options.database).await?;
    let result = measure(&scratch_url, keys, &options).await;
    scratch::drop_databases(url, &[&options.database]).await;
    result
}

async fn measure(url: &str, keys: JwtKeys, options: &LocationBenchOptions) -> anyhow::Result<LocationBenchReport> {
    scratch::prepare(url).await?;
    let travellers = Arc::new(fixture(url, &keys, options.therapists).await?);
    if travellers.len() != options.therapists {
        bail!(
            "fixture made {} travelling therapists, not {}",
            travellers.len(),
            options.therapists
        );
    }
    let redis = if ombaro_common::redis_server::installed() {
        Some(ombaro_common::redis_server::RedisServer::spawn()?)
    } else {
        None
    };
    let cache = match &redis {
        Some(r) => Cache::redis(&r.url()).await?,
        None => Cache::memory(),
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.therapists)
        .timeout(Duration::from_secs(60))
        .build()?;

    // (a) ingest over HTTP.
    let server = start_server(url, keys.clone(), Some(cache.clone())).await?;
    let start = chrono::Utc::now() - chrono::Duration::seconds((options.batches * options.batch_size) as i64 + 5);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..travellers.len() {
        let (http, travellers, options, base) =
            (http.clone(), travellers.clone(), options.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move {
            let me = &travellers[t];
            let mut latencies = Vec::with_capacity(options.batches);
            let mut failed = Vec::new();
            for b in 0..options.batches {
                let sent = Instant::now();
                let resp = http
                    .post(format!("{base}/functions/v1/location-service/locations"))
                    .bearer_auth(&me.token)
                    .json(&json!({ "fixes": batch(&options, b, start) }))
                    .send()
                    .await;
                let ok = match resp {
                    Ok(r) if r.status().as_u16() == 200 => {
                        let _ = r.bytes().await;
                        true
                    }
                    Ok(r) => {
                        failed.push(format!("{} {}", r.status(), r.text().await.unwrap_or_default()));
                        false
                    }
                    Err(e) => {
                        failed.push(e.to_string());
                        false
                    }
                };
                if ok {
                    latencies.push(sent.elapsed());
                }
            }
            (latencies, failed)
        }));
    }
    let mut latencies = Vec::new();
    let mut unexpected = Vec::new();
    let mut http_failed = 0;
    for task in tasks {
        let (l, f) = task.await?;
        latencies.extend(l);
        http_failed += f.len();
        unexpected.extend(f.into_iter().take(3usize.saturating_sub(unexpected.len())));
    }
    let http_seconds = began.elapsed().as_secs_f64();
    let fixes = options.therapists * options.batches * options.batch_size;
    let client = db::connect(url).await?;
    let stored: i64 = client
        .query_one("select count(*) from public.therapist_locations", &[])
        .await?
        .get(0);

    // COPY of the same rows, into the same table.
    let mut text = String::new();
    for me in travellers.iter() {
        for b in 0..options.batches {
            for f in batch(options, b, start) {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\t8\t36\tt\t{}\n",
                    me.therapist,
                    me.assignment,
                    f["latitude"],
                    f["longitude"],
                    f["recorded_at"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    let copy_began = Instant::now();
    let sink = client
        .copy_in(
            "copy public.therapist_locations (therapist_id, assignment_id, latitude, longitude, accuracy, speed, is_moving, \"timestamp\") from stdin",
        )
        .await?;
    let mut sink = std::pin::pin!(sink);
    sink.send(bytes::Bytes::from(text)).await?;
    let copy_rows = sink.as_mut().finish().await? as usize;
    let copy_seconds = copy_began.elapsed().as_secs_f64();
    server.stop().await;

    // (b) ETA reads, through the cache and without it.
    let with_cache = reads(
        url,
        &keys,
        options,
        &http,
        &travellers,
        Some(cache.clone()),
        "with the cache",
    )
    .await?;
    let without_cache = reads(url, &keys, options, &http, &travellers, None, "without a cache").await?;
    drop(redis);

    Ok(LocationBenchReport {
        options: options.clone(),
        fixes,
        http_seconds,
        http_failed,
        batch_latency: Summary::of(latencies),
        copy_rows,
        copy_seconds,
        stored,
        with_cache,
        without_cache,
        unexpected,
    })
}

async fn reads(
    url: &str,
    keys: &JwtKeys,
    options: &LocationBenchOptions,
    http: &reqwest::Client,
    travellers: &Arc<Vec<Traveller>>,
    cache: Option<Cache>,
    label: &str,
) -> anyhow::Result<Reads> {
    let before = cache.as_ref().map(Cache::stats);
    let server = start_server(url, keys.clone(), cache.clone()).await?;
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..options.readers {
        let (http, travellers, base) = (http.clone(), travellers.clone(), server.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0;
            let mut i = r;
            while Instant::now() < deadline {
                let me = &travellers[i % travellers.len()];
                i += 7;
                let sent = Instant::now();
                let resp = http
                    .get(format!(
                        "{base}/functions/v1/location-service/assignments/{}/eta",
                        me.assignment
                    ))
                    .bearer_auth(&me.vendor_token)
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().as_u16() == 200 => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (l, f) = task.await?;
        latencies.extend(l);
        failed += f;
    }
    let seconds = began.elapsed().as_secs_f64();
    server.stop().await;
    let hit_rate = match (before, cache.as_ref().map(Cache::stats)) {
        (Some(b), Some(a)) => {
            let (hits, misses) = (a.hits - b.hits, a.misses - b.misses);
            Some(hits as f64 / (hits + misses).max(1) as f64)
        }
        _ => None,
    };
    Ok(Reads {
        label: format!(
            "{label}{}",
            cache
                .as_ref()
                .map(|c| format!(" ({})", c.backend()))
                .unwrap_or_default()
        ),
        reads: latencies.len(),
        failed,
        per_second: latencies.len() as f64 / seconds,
        latency: Summary::of(latencies),
        hit_rate,
    })
}
