//! `ombaro bench rest`: what the data API adds to the SQL it runs. Two pages apps open first
//! (a customer's bookings, the catalogue with its categories) are requested through
//! `/rest/v1` by `--clients` concurrent clients for `--seconds`; then pgbench runs the very
//! statement the API generated for each page (same role switch, same claims, same
//! transaction shape) with as many clients on the same cluster. The ratio of the two
//! throughputs is the HTTP layer's cost (goal: at most 1.5x). Runs on a scratch database
//! with demo data, so the developer's data is never touched.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use ombaro_common::{db, jwt::JwtKeys};

use super::{
    millis, pgbench,
    scratch::{self, Server},
    Summary,
};

/// The HTTP layer may cost at most this much throughput against the SQL alone.
pub const RATIO_GOAL: f64 = 1.5;

#[derive(Debug, Clone)]
pub struct RestBenchOptions {
    pub seconds: u64,
    pub clients: usize,
    /// Demo data scale of the scratch database (about 10 000 bookings per unit).
    pub scale: u32,
    pub database: String,
}

impl Default for RestBenchOptions {
    fn default() -> Self {
        Self {
            seconds: 10,
            clients: 16,
            scale: 1,
            database: "ombaro_bench_rest".into(),
        }
    }
}

pub struct PageFigures {
    pub name: &'static str,
    pub path: String,
    pub requests: usize,
    pub http_rps: f64,
    pub latency: Summary,
    pub sql_tps: f64,
}

impl PageFigures {
    /// SQL-alone throughput over HTTP throughput: how many times dearer a request is.
    pub fn ratio(&self) -> f64 {
        self.sql_tps / self.http_rps.max(1e-9)
    }
}

pub struct RestBenchReport {
    pub options: RestBenchOptions,
    pub pages: Vec<PageFigures>,
    pub failures: Vec<String>,
}

impl RestBenchReport {
    pub fn render(&self) -> String {
        let mut out = format!(
            "data API over HTTP vs the same SQL through pgbench, {} clients, {} s each, demo scale {}\n\n",
            self.options.clients, self.options.seconds, self.options.scale
        );
        out.push_str(&format!(
            "{:<20} {:>10} {:>10} {:>10} {:>12} {:>8}  {}\n",
            "page", "req/s", "p50 ms", "p99 ms", "SQL tps", "ratio", "goal"
        ));
        for page in &self.pages {
            out.push_str(&format!(
                "{:<20} {:>10.0} {:>10.2} {:>10.2} {:>12.0} {:>8.2}  {}\n",
                page.name,
                page.http_rps,
                millis(page.latency.p50),
                millis(page.latency.p99),
                page.sql_tps,
                page.ratio(),
                if page.ratio() <= RATIO_GOAL {
                    format!("<= {RATIO_GOAL} met")
                } else {
                    format!("> {RATIO_GOAL} missed")
                }
            ));
        }
        for page in &self.pages {
            out.push_str(&format!("\n{}: GET /rest/v1{}", page.name, page.path));
        }
        out.push('\n');
        out
    }
}

/// `statement` with its `$n::text` placeholders replaced by quoted literals, for pgbench.
pub fn inline_params(statement: &str, params: &[Option<String>]) -> String {
    let mut sql = statement.to_owned();
    for (i, value) in params.iter().enumerate().rev() {
        let literal = match value {
            Some(v) => format!("'{}'::text", v.replace('\'', "''")),
            None => "null::text".to_owned(),
        };
        sql = sql.replace(&format!("${}::text", i + 1), &literal);
    }
    sql
}

pub async fn run(url: &str, keys: JwtKeys, options: RestBenchOptions) -> anyhow::Result<RestBenchReport> {
    let bench_url = scratch::create_database(url, &options.database).await?;
    let outcome = measure(&bench_url, keys, &options).await;
    scratch::drop_databases(url, &[&options.database]).await;
    outcome
}

async fn measure(bench_url: &str, keys: JwtKeys, options: &RestBenchOptions) -> anyhow::Result<RestBenchReport> {
    scratch::prepare(bench_url).await?;
    let mut client = db::connect(bench_url).await?;
    let plan = crate::demo::DemoPlan::for_scale(options.scale, 42, chrono::Utc::now());
    crate::demo::load(&mut client, &plan, crate::demo::Progress::Terminal).await?;
    client.batch_execute("analyze").await?;
    let customer: uuid::Uuid = client
        .query_one(
            "select customer_id from public.bookings group by customer_id order by count(*) desc, customer_id limit 1",
            &[],
        )
        .await
        .context("no bookings in the demo data")?
        .get(0);

    let server = Server::start(bench_url, keys.clone(), options.clients).await?;
    let api = ombaro_rest::RestApi::start(
        db::Db::connect(
            ombaro_common::config::functions_login(bench_url)?,
            &db::PoolConfig::default(),
        )
        .await?,
        Arc::new(keys.clone()),
        Some(1000),
        server.base.clone(),
    )
    .await?;
    let customer_token = keys.user_token(&customer.to_string(), None, 3600, serde_json::json!({}));
    let anon_key = keys.api_key("anon");
    let pages: [(&'static str, String, String, serde_json::Value); 2] = [
        (
            "customer bookings",
            "/bookings?select=id,booking_number,status,scheduled_start,total_amount&order=scheduled_start.desc&limit=20".into(),
            customer_token.clone(),
            serde_json::json!({"sub": customer, "role": "authenticated"}),
        ),
        (
            "catalogue",
            "/services?select=id,code,name,base_price_60min,category:service_categories(name)&is_active=eq.true&order=code"
                .into(),
            anon_key.clone(),
            serde_json::json!({"role": "anon"}),
        ),
    ];
    let mut figures = Vec::new();
    let mut failures = Vec::new();
    for (name, path, token, claims) in pages {
        eprintln!(
            "{name}: {} clients over HTTP for {} s…",
            options.clients, options.seconds
        );
        let (requests, errors, latency, elapsed) =
            http_load(&server.base, &path, &token, &anon_key, options.clients, options.seconds).await;
        if errors > 0 {
            failures.push(format!("{name}: {errors} requests did not answer 200"));
        }
        let (statement, params) = ombaro_rest::handler::read_statement(&api, &path)
            .map_err(|e| anyhow::anyhow!("planning {path}: {}", e.message))?;
        let role = claims["role"].as_str().unwrap_or("anon").to_owned();
        let script = format!(
            "begin;\nselect set_config('role', '{role}', true), set_config('request.jwt.claims', '{}', true), \
             set_config('search_path', 'public, extensions', true);\n{};\ncommit;\n",
            claims.to_string().replace('\'', "''"),
            inline_params(&statement, &params).replace('\n', " ")
        );
        let script_path = std::env::temp_dir().join(format!("ombaro-bench-rest-{}.sql", std::process::id()));
        std::fs::write(&script_path, script)?;
        eprintln!(
            "{name}: the same SQL through pgbench, {} clients for {} s…",
            options.clients, options.seconds
        );
        let sql = pgbench::run_script(bench_url, &script_path, options.clients, options.seconds).await;
        let _ = std::fs::remove_file(&script_path);
        let sql = sql?;
        figures.push(PageFigures {
            name,
            path,
            requests,
            http_rps: requests as f64 / elapsed.as_secs_f64(),
            latency,
            sql_tps: sql.tps,
        });
    }
    server.stop().await;
    drop(api);
    if figures.iter().any(|f| f.requests == 0) {
        bail!("a page answered no request");
    }
    Ok(RestBenchReport {
        options: options.clone(),
        pages: figures,
        failures,
    })
}

async fn http_load(
    base: &str,
    path: &str,
    token: &str,
    apikey: &str,
    clients: usize,
    seconds: u64,
) -> (usize, usize, Summary, Duration) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("an HTTP client");
    let url = format!("{base}/rest/v1{path}");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, url, token, apikey) = (http.clone(), url.clone(), token.to_owned(), apikey.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = match http
                    .get(&url)
                    .header("apikey", &apikey)
                    .bearer_auth(&token)
                    .send()
                    .await
                {
                    Ok(resp) => {
                        let ok = resp.status().as_u16() == 200;
                        let _ = resp.bytes().await;
                        ok
                    }
                    Err(_) => false,
                };
                samples.push(sent.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((s, e)) = task.await {
            samples.extend(s);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    (samples.len(), errors, Summary::of(samples), elapsed)
}

#[cfg(test)]
mod tests {
    use super::inline_params;

    #[test]
    fn placeholders_become_quoted_literals_highest_first() {
        let params: Vec<Option<String>> = (1..=10).map(|i| Some(format!("v{i}'"))).collect();
        let sql = inline_params("a = $1::text and b = $10::text", &params);
        assert_eq!(sql, "a = 'v1'''::text and b = 'v10'''::text");
    }
}
