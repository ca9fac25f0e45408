//! The three phases' traffic: `POST /functions/v1/booking-service/bookings` over HTTP, as an
//! app would send it, with each reply tallied by status and error code.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone, Utc};
use futures_util::future::join_all;
use ombaro_common::jwt::JwtKeys;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use uuid::Uuid;

use super::fixture::{Vendor, World, HORIZON_DAYS};
pub use crate::bench::http::Tally;
use crate::bench::{http::Reply, Summary};

/// The deterministic seed of phase (c): the same requests every run.
const SEED: u64 = 42;
/// Phase (c) books this many days ahead, from tomorrow on.
const RANDOM_DAYS: u64 = 3;
/// Latest start in phase (c), in half hours from midnight (22:00): a 120-minute session
/// still ends by midnight, inside the opening hours.
const LAST_HALF_HOUR: u32 = 44;

/// The bench's HTTP client and the customers' tokens.
pub struct Target {
    http: reqwest::Client,
    url: String,
    tokens: Vec<String>,
}

impl Target {
    pub fn new(base: &str, keys: &JwtKeys, world: &World) -> anyhow::Result<Self> {
        // Tokens outlive the longest run; the bench never refreshes them.
        let tokens = world
            .customers
            .iter()
            .map(|c| keys.user_token(&c.to_string(), None, 6 * 3600, json!({})))
            .collect();
        Ok(Self {
            // A stuck request must end the bench, not hang it.
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            url: format!("{base}/functions/v1/booking-service/bookings"),
            tokens,
        })
    }

    async fn book(&self, customer: usize, body: &Value) -> Reply {
        let started = Instant::now();
        let sent = self
            .http
            .post(&self.url)
            .bearer_auth(&self.tokens[customer])
            .json(body)
            .send()
            .await;
        Reply::read(sent, started).await
    }
}

/// Counts a booking request's reply under its error code.
fn note(tally: &mut Tally, request: &Value, reply: &Reply, expected: &[u16]) {
    tally.add(reply, reply.code(), expected, || format!("POST bookings {request}"));
}

#[derive(Debug, Clone)]
pub struct Throughput {
    pub clients: usize,
    /// From the first request to the last reply.
    pub elapsed: Duration,
    pub tally: Tally,
    /// Over every request, successful or not; `None` when none was sent.
    pub latency: Option<Summary>,
    /// Clients that booked every hour of their vendor's horizon before time was up.
    pub exhausted: usize,
}

impl Throughput {
    pub fn created(&self) -> usize {
        self.tally.with_status(201)
    }

    pub fn per_second(&self) -> f64 {
        self.created() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, Clone)]
pub struct Race {
    pub racers: usize,
    pub tally: Tally,
}

#[derive(Debug, Clone)]
pub struct Randomized {
    pub attempts: usize,
    pub elapsed: Duration,
    pub tally: Tally,
    /// Pairs of overlapping active assignments of one therapist, over the whole database.
    pub overlaps: i64,
}

/// India Standard Time, the fixture vendors' zone (Asia/Kolkata has had no daylight saving
/// since 1945, so a fixed offset is exact).
fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).expect("+05:30 is a valid offset")
}

/// Local midnight `days` days after today's, in the vendors' zone.
fn midnight_in(days: u64) -> DateTime<FixedOffset> {
    let date = Utc::now().with_timezone(&ist()).date_naive() + Days::new(days);
    ist()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no gaps")
}

fn request(world: &World, vendor: Uuid, therapist: Option<Uuid>, start: DateTime<FixedOffset>, minutes: u32) -> Value {
    let mut body = json!({
        "vendor_id": vendor,
        "start": start.to_rfc3339(),
        "items": [{ "service_id": world.service_id, "duration_minutes": minutes }],
    });
    if let Some(therapist) = therapist {
        body["therapist_id"] = json!(therapist);
    }
    body
}

/// Phase (a): each client books its own vendor's hours one after another from tomorrow's
/// midnight, rotating over the therapists, until time is up. Nothing collides, so every
/// reply should be 201 and the figure is the service's cost per booking under concurrency.
pub async fn throughput(target: &Target, world: &World, seconds: u64) -> Throughput {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let first = midnight_in(1);
    // Bookings may not start beyond the horizon, counted from now.
    let hours = (HORIZON_DAYS - 2) as usize * 24;
    let clients = world
        .throughput
        .iter()
        .enumerate()
        .map(|(customer, vendor)| async move {
            let (mut tally, mut latencies) = (Tally::default(), Vec::new());
            let mut hour = 0;
            while Instant::now() < deadline && hour < hours {
                let therapist = vendor.therapists[hour % vendor.therapists.len()];
                let start = first + chrono::Duration::hours(hour as i64);
                let body = request(world, vendor.id, Some(therapist), start, 60);
                let reply = target.book(customer, &body).await;
                latencies.push(reply.latency);
                note(&mut tally, &body, &reply, &[201]);
                hour += 1;
            }
            (tally, latencies, hour >= hours)
        });
    let results = join_all(clients).await;
    let elapsed = started.elapsed();
    let (mut tally, mut latencies, mut exhausted) = (Tally::default(), Vec::new(), 0);
    for (t, l, done) in results {
        tally.merge(t);
        latencies.extend(l);
        exhausted += usize::from(done);
    }
    Throughput {
        clients: world.throughput.len(),
        elapsed,
        tally,
        latency: (!latencies.is_empty()).then(|| Summary::of(latencies)),
        exhausted,
    }
}

/// What phase (b)'s racers ask for, in minutes from 10:00 tomorrow: a start and a length.
/// The first is "the slot"; the others start earlier or later and run shorter or longer, but
/// every two of them overlap (all cover 11:00-11:30) and no two are the same, so only a rule
/// that keeps overlapping times apart, not merely identical ones, leaves a single winner.
pub const RACE_SHAPES: [(i64, u32); 6] = [(60, 60), (0, 90), (30, 60), (30, 120), (60, 120), (0, 120)];

/// Phase (b): `racers` customers ask for the same therapist at once, released together so
/// their transactions overlap in the database: some for the same slot, the others for
/// overlapping different starts and lengths ([`RACE_SHAPES`]); exactly one may win.
pub async fn race(target: &Target, world: &World, racers: usize) -> Race {
    let therapist = world.race.therapists[0];
    let ten = midnight_in(1) + chrono::Duration::hours(10);
    let bodies: Vec<Value> = (0..racers)
        .map(|i| {
            let (offset, minutes) = RACE_SHAPES[i % RACE_SHAPES.len()];
            request(
                world,
                world.race.id,
                Some(therapist),
                ten + chrono::Duration::minutes(offset),
                minutes,
            )
        })
        .collect();
    let barrier = Arc::new(tokio::sync::Barrier::new(racers));
    let replies = join_all(bodies.iter().enumerate().map(|(customer, body)| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            target.book(customer % target.tokens.len(), body).await
        }
    }))
    .await;
    let mut tally = Tally::default();
    for (body, reply) in bodies.iter().zip(&replies) {
        note(&mut tally, body, reply, &[201, 409]);
    }
    Race { racers, tally }
}

/// One request of phase (c), drawn before any is sent so the set does not depend on timing.
struct Attempt {
    vendor: usize,
    /// `None`: the service picks the best free therapist.
    therapist: Option<usize>,
    day: u64,
    half_hour: u32,
    minutes: u32,
}

fn attempts(count: usize) -> Vec<Attempt> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    (0..count)
        .map(|_| {
            let therapist = rng.random_range(0..=super::fixture::RANDOMIZED_THERAPISTS);
            Attempt {
                vendor: rng.random_range(0..super::fixture::RANDOMIZED_VENDORS),
                therapist: (therapist < super::fixture::RANDOMIZED_THERAPISTS).then_some(therapist),
                day: rng.random_range(1..=RANDOM_DAYS),
                half_hour: rng.random_range(0..=LAST_HALF_HOUR),
                minutes: [60, 90, 120][rng.random_range(0..3)],
            }
        })
        .collect()
}

/// Phase (c): `count` random requests over a few therapists and days, `concurrency` at a
/// time; most collide on purpose, and whatever the interleaving the database must keep
/// every therapist's assignments apart.
pub async fn randomized(target: &Target, world: &World, count: usize, concurrency: usize) -> Randomized {
    let plan = attempts(count);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let workers = (0..concurrency).map(|customer| {
        let (plan, next) = (&plan, &next);
        async move {
            let mut tally = Tally::default();
            while let Some(attempt) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
                let vendor: &Vendor = &world.randomized[attempt.vendor];
                let start = midnight_in(attempt.day) + chrono::Duration::minutes(i64::from(attempt.half_hour) * 30);
                let therapist = attempt.therapist.map(|t| vendor.therapists[t]);
                let body = request(world, vendor.id, therapist, start, attempt.minutes);
                let reply = target.book(customer % target.tokens.len(), &body).await;
                note(&mut tally, &body, &reply, &[201, 409]);
            }
            tally
        }
    });
    let mut tally = Tally::default();
    for t in join_all(workers).await {
        tally.merge(t);
    }
    Randomized {
        attempts: count,
        elapsed: started.elapsed(),
        tally,
        overlaps: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::attempts;

    #[test]
    fn every_two_race_requests_overlap_and_no_two_are_the_same() {
        use super::RACE_SHAPES;
        for (i, &(a, la)) in RACE_SHAPES.iter().enumerate() {
            assert!([60, 90, 120].contains(&la), "an offered length");
            for &(b, lb) in &RACE_SHAPES[i + 1..] {
                assert!(
                    a < b + i64::from(lb) && b < a + i64::from(la),
                    "({a}, {la}) and ({b}, {lb}) overlap"
                );
                assert_ne!((a, la), (b, lb));
            }
        }
    }

    #[test]
    fn the_randomized_requests_are_the_same_every_run() {
        let key = |a: &super::Attempt| (a.vendor, a.therapist, a.day, a.half_hour, a.minutes);
        let (one, two) = (attempts(50), attempts(50));
        assert!(one.iter().zip(&two).all(|(a, b)| key(a) == key(b)));
        assert!(one.iter().any(|a| a.therapist.is_none()) && one.iter().any(|a| a.therapist.is_some()));
        assert!(one.iter().all(|a| a.half_hour * 30 + a.minutes <= 24 * 60));
    }
}
