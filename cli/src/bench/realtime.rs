//! `ombaro bench realtime`: `postgres_changes` at volume over real websockets. `--sockets`
//! users each open one socket with `--channels` channels subscribed to their own
//! notifications (`user_id=eq.<self>`, as an app subscribes); every tenth socket also opens a
//! spy channel whose filter names another user, which RLS must starve. Notifications are then
//! inserted at `--rate` per second for `--seconds`, each for a random user, and every delivery
//! is timed from its commit timestamp to its arrival. Reported: deliveries, p50/p99 latency,
//! and deliveries to a subscriber RLS excludes (must be 0); every expected delivery must
//! arrive.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use ombaro_common::{db, jwt::JwtKeys};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Frame;
use uuid::Uuid;

use super::{
    scratch::{self, Server},
    Summary,
};

#[derive(Debug, Clone)]
pub struct RealtimeBenchOptions {
    pub sockets: usize,
    pub channels: usize,
    pub rate: usize,
    pub seconds: u64,
    pub database: String,
}

impl Default for RealtimeBenchOptions {
    fn default() -> Self {
        Self {
            sockets: 200,
            channels: 5,
            rate: 500,
            seconds: 10,
            database: "ombaro_bench_realtime".into(),
        }
    }
}

pub struct RealtimeBenchReport {
    pub options: RealtimeBenchOptions,
    pub subscribers: usize,
    pub changes: usize,
    pub expected: usize,
    pub delivered: usize,
    pub leaked: usize,
    pub latency: Summary,
}

impl RealtimeBenchReport {
    pub fn render(&self) -> String {
        format!(
            "realtime: {} subscribers on {} sockets, {} changes at {}/s for {} s\n\
             deliveries: {} of {} expected; to subscribers RLS excludes: {}\n\
             commit to client: {}\n",
            self.subscribers,
            self.options.sockets,
            self.changes,
            self.options.rate,
            self.options.seconds,
            self.delivered,
            self.expected,
            self.leaked,
            self.latency.describe(),
        )
    }

    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.leaked > 0 {
            failures.push(format!("{} deliveries reached subscribers RLS excludes", self.leaked));
        }
        if self.delivered < self.expected {
            failures.push(format!(
                "{} of {} deliveries never arrived",
                self.expected - self.delivered,
                self.expected
            ));
        }
        failures
    }
}

pub async fn run(url: &str, keys: JwtKeys, options: RealtimeBenchOptions) -> anyhow::Result<RealtimeBenchReport> {
    let bench_url = scratch::create_database(url, &options.database).await?;
    let outcome = measure(&bench_url, keys, &options).await;
    scratch::drop_databases(url, &[&options.database]).await;
    outcome
}

#[derive(Default)]
struct Received {
    /// (socket, notification id) of each delivery to a channel subscribed to its own rows.
    own: Vec<(usize, String)>,
    leaked: usize,
    latencies: Vec<Duration>,
}

async fn measure(
    bench_url: &str,
    keys: JwtKeys,
    options: &RealtimeBenchOptions,
) -> anyhow::Result<RealtimeBenchReport> {
    scratch::prepare(bench_url).await?;
    let client = db::connect(bench_url).await?;
    let users: Vec<Uuid> = (0..options.sockets).map(|_| Uuid::new_v4()).collect();
    client
        .execute(
            "insert into auth.users (id, aud, role, email, created_at, updated_at)
             select u, 'authenticated', 'authenticated', 'rt.' || u || '@bench.ombaro.in', now(), now()
               from unnest($1::uuid[]) u",
            &[&users],
        )
        .await
        .context("creating the bench's users")?;
    let server = Server::start(bench_url, keys.clone(), 16).await?;
    let ws_url = format!(
        "{}/realtime/v1/websocket?apikey={}&vsn=1.0.0",
        server.base.replace("http://", "ws://"),
        keys.api_key("anon")
    );
    let received = Arc::new(Mutex::new(Received::default()));
    let mut sockets = Vec::new();
    let mut subscribers = 0;
    eprintln!("opening {} sockets…", options.sockets);
    for (index, user) in users.iter().enumerate() {
        let token = keys.user_token(&user.to_string(), None, 3600, json!({}));
        let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url)
            .await
            .with_context(|| format!("opening socket {index}"))?;
        let mut topics = HashMap::new();
        for channel in 0..options.channels {
            let topic = format!("realtime:inbox-{index}-{channel}");
            join(&mut socket, &topic, &token, &format!("user_id=eq.{user}")).await?;
            topics.insert(topic, true);
            subscribers += 1;
        }
        if index % 10 == 0 {
            let victim = users[(index + 1) % users.len()];
            let topic = format!("realtime:spy-{index}");
            join(&mut socket, &topic, &token, &format!("user_id=eq.{victim}")).await?;
            topics.insert(topic, false);
            subscribers += 1;
        }
        let received = received.clone();
        sockets.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = socket.next().await {
                let Frame::Text(text) = frame else { continue };
                let arrived = chrono::Utc::now();
                let Ok(m) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if m["event"] != "postgres_changes" {
                    continue;
                }
                let topic = m["topic"].as_str().unwrap_or_default();
                let data = &m["payload"]["data"];
                let mut r = received.lock().expect("received lock");
                if topics.get(topic) == Some(&true) {
                    r.own
                        .push((index, data["record"]["id"].as_str().unwrap_or_default().to_owned()));
                    if let Some(committed) = data["commit_timestamp"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    {
                        r.latencies.push(
                            (arrived - committed.with_timezone(&chrono::Utc))
                                .to_std()
                                .unwrap_or_default(),
                        );
                    }
                } else {
                    r.leaked += 1;
                }
            }
        }));
    }

    eprintln!(
        "{subscribers} subscribers; inserting notifications at {}/s for {} s…",
        options.rate, options.seconds
    );
    let insert = client
        .prepare(
            "insert into public.notifications (user_id, type, title, message)
             values ($1, 'reminder', 'Bench', 'A reminder') returning id::text",
        )
        .await?;
    let mut sent: Vec<(usize, String)> = Vec::new();
    let started = Instant::now();
    let total = options.rate * options.seconds as usize;
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / options.rate as f64);
        tokio::time::sleep_until(due.into()).await;
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let target = (rng_state % users.len() as u64) as usize;
        let id: String = client.query_one(&insert, &[&users[target]]).await?.get(0);
        sent.push((target, id));
    }
    let expected = sent.len() * options.channels;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let delivered = received.lock().expect("received lock").own.len();
        if delivered >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for socket in sockets {
        socket.abort();
    }
    server.stop().await;
    // The server's slot is temporary: ending its session drops it, so the scratch database
    // can go.
    client
        .execute(
            "select pg_terminate_backend(active_pid) from pg_catalog.pg_replication_slots
              where database = current_database() and active_pid is not null",
            &[],
        )
        .await?;
    let r = std::mem::take(&mut *received.lock().expect("received lock"));
    // Every delivery to an own channel must be one of that user's notifications.
    let owner: HashMap<&str, usize> = sent.iter().map(|(u, id)| (id.as_str(), *u)).collect();
    let misdelivered = r
        .own
        .iter()
        .filter(|(socket, id)| owner.get(id.as_str()) != Some(socket))
        .count();
    if r.latencies.is_empty() {
        bail!("no change was delivered");
    }
    Ok(RealtimeBenchReport {
        options: options.clone(),
        subscribers,
        changes: sent.len(),
        expected,
        delivered: r.own.len() - misdelivered,
        leaked: r.leaked + misdelivered,
        latency: Summary::of(r.latencies),
    })
}

async fn join<S>(socket: &mut S, topic: &str, token: &str, filter: &str) -> anyhow::Result<()>
where
    S: futures_util::Sink<Frame>
        + futures_util::Stream<Item = Result<Frame, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
    <S as futures_util::Sink<Frame>>::Error: std::error::Error + Send + Sync + 'static,
{
    let join = json!({
        "topic": topic, "event": "phx_join", "ref": "1", "join_ref": "1",
        "payload": {"access_token": token, "config": {"postgres_changes": [
            {"event": "INSERT", "schema": "public", "table": "notifications", "filter": filter}
        ]}},
    });
    socket.send(Frame::Text(join.to_string().into())).await?;
    while let Some(frame) = socket.next().await {
        if let Frame::Text(text) = frame? {
            let m: Value = serde_json::from_str(&text)?;
            if m["event"] == "phx_reply" && m["topic"] == topic {
                if m["payload"]["status"] != "ok" {
                    bail!("joining {topic}: {}", m["payload"]);
                }
                return Ok(());
            }
        }
    }
    bail!("the socket closed while joining {topic}")
}
