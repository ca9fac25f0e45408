//! `ombaro bench auth`: password sign-ins per second through `/auth/v1/token` at a stated
//! bcrypt cost (GoTrue's, 10, by default), against the ceiling measured in the same run: bare
//! bcrypt verifications per second on as many threads as the server's blocking pool can use
//! (one per core). A sign-in is one bcrypt verification plus a few statements, so the ratio of
//! the two says what the HTTP and database work cost on top of the hash. Refresh-token grants
//! (no bcrypt: a locked rotation in one transaction) are measured too. Rate limits are off for
//! the run; it uses a scratch database on the stack's cluster.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::bail;
use ombaro_common::{db, jwt::JwtKeys};
use serde_json::json;

use super::{millis, scratch, Summary};

#[derive(Debug, Clone)]
pub struct AuthBenchOptions {
    pub seconds: u64,
    pub clients: usize,
    pub users: usize,
    pub bcrypt_cost: u32,
    pub database: String,
}

impl Default for AuthBenchOptions {
    fn default() -> Self {
        Self {
            seconds: 10,
            clients: 8,
            users: 200,
            bcrypt_cost: ombaro_auth::crypto::DEFAULT_BCRYPT_COST,
            database: "ombaro_bench_auth".into(),
        }
    }
}

pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub per_sec: f64,
    pub latency: Summary,
}

pub struct AuthBenchReport {
    pub options: AuthBenchOptions,
    pub threads: usize,
    pub bcrypt_per_sec: f64,
    pub sign_in: Figures,
    pub refresh: Figures,
}

impl AuthBenchReport {
    pub fn render(&self) -> String {
        let o = &self.options;
        let mut out = format!(
            "auth API, bcrypt cost {} ({}), {} clients, {} s each, {} users\n\n",
            o.bcrypt_cost,
            if o.bcrypt_cost == ombaro_auth::crypto::DEFAULT_BCRYPT_COST {
                "GoTrue's bcrypt.DefaultCost"
            } else {
                "not GoTrue's default of 10"
            },
            o.clients,
            o.seconds,
            o.users
        );
        out.push_str(&format!(
            "{:<34} {:>10} {:>10} {:>10}\n",
            "", "per s", "p50 ms", "p99 ms"
        ));
        out.push_str(&format!(
            "{:<34} {:>10.1} {:>10} {:>10}\n",
            format!("bcrypt verify alone, {} threads", self.threads),
            self.bcrypt_per_sec,
            "-",
            "-"
        ));
        for (name, f) in [
            ("POST /token grant_type=password", &self.sign_in),
            ("POST /token grant_type=refresh", &self.refresh),
        ] {
            out.push_str(&format!(
                "{:<34} {:>10.1} {:>10.2} {:>10.2}\n",
                name,
                f.per_sec,
                millis(f.latency.p50),
                millis(f.latency.p99)
            ));
        }
        out.push_str(&format!(
            "\nsign-ins reach {:.0}% of the bare bcrypt rate (the rest is HTTP, JWT and 3 transactions)\n",
            100.0 * self.sign_in.per_sec / self.bcrypt_per_sec.max(1e-9)
        ));
        out
    }

    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for (name, f) in [("sign-in", &self.sign_in), ("refresh", &self.refresh)] {
            if f.errors > 0 {
                failures.push(format!("{name}: {} of {} requests failed", f.errors, f.requests));
            }
        }
        failures
    }
}

pub async fn run(url: &str, keys: JwtKeys, options: AuthBenchOptions) -> anyhow::Result<AuthBenchReport> {
    let bench_url = scratch::create_database(url, &options.database).await?;
    let outcome = measure(&bench_url, keys, &options).await;
    scratch::drop_databases(url, &[&options.database]).await;
    outcome
}

const PASSWORD: &str = "bench password 1";

async fn measure(bench_url: &str, keys: JwtKeys, o: &AuthBenchOptions) -> anyhow::Result<AuthBenchReport> {
    if !(4..=31).contains(&o.bcrypt_cost) {
        bail!("--cost must be a bcrypt cost from 4 to 31");
    }
    scratch::prepare(bench_url).await?;
    let client = db::connect(bench_url).await?;
    let hash = ombaro_auth::crypto::hash_password(PASSWORD.into(), o.bcrypt_cost).await?;
    client
        .execute(
            "insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                                     raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
             select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
                    'bench' || i || '@example.in', $1, now(),
                    '{\"provider\": \"email\", \"providers\": [\"email\"]}', '{}', now(), now()
               from generate_series(1, $2::int) i",
            &[&hash, &(o.users as i32)],
        )
        .await?;

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "bcrypt cost {} alone on {threads} threads for {} s…",
        o.bcrypt_cost, o.seconds
    );
    let bcrypt_per_sec = bare_bcrypt(&hash, threads, Duration::from_secs(o.seconds)).await;

    let mut server_options = crate::server::ServerOptions::default();
    server_options.auth.bcrypt_cost = o.bcrypt_cost;
    server_options.auth.rate_limits = ombaro_auth::RateLimits::off();
    let server = scratch::Server::start_with(bench_url, keys.clone(), o.clients.max(4), server_options).await?;
    let anon = keys.api_key("anon");
    let http = reqwest::Client::builder().pool_max_idle_per_host(o.clients).build()?;

    eprintln!("password sign-ins, {} clients for {} s…", o.clients, o.seconds);
    let base = server.base.clone();
    let users = o.users;
    let sign_in = load(o.clients, o.seconds, {
        let (http, base, anon) = (http.clone(), base.clone(), anon.clone());
        move |n| {
            let (http, base, anon) = (http.clone(), base.clone(), anon.clone());
            async move {
                let resp = http
                    .post(format!("{base}/auth/v1/token?grant_type=password"))
                    .header("apikey", &anon)
                    .json(&json!({ "email": format!("bench{}@example.in", n % users + 1), "password": PASSWORD }))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().as_u16() == 200 => r.bytes().await.is_ok(),
                    _ => false,
                }
            }
        }
    })
    .await;

    // One session per client, refreshed in a chain.
    let mut tokens = Vec::new();
    for i in 0..o.clients {
        let resp: serde_json::Value = http
            .post(format!("{base}/auth/v1/token?grant_type=password"))
            .header("apikey", &anon)
            .json(&json!({ "email": format!("bench{}@example.in", i % users + 1), "password": PASSWORD }))
            .send()
            .await?
            .json()
            .await?;
        let Some(token) = resp["refresh_token"].as_str() else {
            bail!("signing in for the refresh run: {resp}");
        };
        tokens.push(Arc::new(tokio::sync::Mutex::new(token.to_owned())));
    }
    eprintln!("refresh-token grants, {} clients for {} s…", o.clients, o.seconds);
    let refresh = load(o.clients, o.seconds, {
        let (http, base, anon) = (http.clone(), base.clone(), anon.clone());
        let tokens = Arc::new(tokens);
        move |n| {
            let (http, base, anon, tokens) = (http.clone(), base.clone(), anon.clone(), tokens.clone());
            async move {
                let slot = tokens[n % tokens.len()].clone();
                let mut token = slot.lock().await;
                let resp = http
                    .post(format!("{base}/auth/v1/token?grant_type=refresh_token"))
                    .header("apikey", &anon)
                    .json(&json!({ "refresh_token": *token }))
                    .send()
                    .await;
                let Ok(resp) = resp else { return false };
                if resp.status().as_u16() != 200 {
                    return false;
                }
                match resp.json::<serde_json::Value>().await {
                    Ok(v) => match v["refresh_token"].as_str() {
                        Some(next) => {
                            *token = next.to_owned();
                            true
                        }
                        None => false,
                    },
                    Err(_) => false,
                }
            }
        }
    })
    .await;
    server.stop().await;
    Ok(AuthBenchReport {
        options: o.clone(),
        threads,
        bcrypt_per_sec,
        sign_in,
        refresh,
    })
}

/// bcrypt verifications per second on `threads` OS threads for `period`.
async fn bare_bcrypt(hash: &str, threads: usize, period: Duration) -> f64 {
    let started = Instant::now();
    let deadline = started + period;
    let mut handles = Vec::new();
    for _ in 0..threads {
        let hash = hash.to_owned();
        handles.push(tokio::task::spawn_blocking(move || {
            let mut n = 0usize;
            while Instant::now() < deadline {
                if ombaro_auth::crypto::verify_blocking(PASSWORD, &hash) {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap_or(0);
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// `clients` tasks calling `request(n)` (n counts up per task) until `seconds` pass.
async fn load<F, Fut>(clients: usize, seconds: u64, request: F) -> Figures
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            let mut n = c;
            while Instant::now() < deadline {
                let sent = Instant::now();
                if !request(n).await {
                    errors += 1;
                }
                samples.push(sent.elapsed());
                n += clients;
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((s, e)) = t.await {
            samples.extend(s);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    Figures {
        requests: samples.len(),
        errors,
        per_sec: samples.len() as f64 / elapsed.as_secs_f64(),
        latency: Summary::of(samples),
    }
}
