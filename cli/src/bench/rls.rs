//! `ombaro bench rls`: what row-level security costs on the pages people open most. Each page
//! query runs as its persona under RLS (the PostgREST way: role and JWT claims set in the
//! transaction) and as `postgres` with the equivalent explicit filter, alternately, in the
//! same run. The ratio of medians is the cost; above 2x the plans are printed.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ombaro_common::db;
use serde_json::json;
use tokio_postgres::{types::ToSql, Client};
use uuid::Uuid;

use super::{millis, Summary};

/// One page: the query the app sends (RLS does the filtering) and the query a trusted
/// server would send for the same rows.
struct Page {
    name: &'static str,
    persona: Uuid,
    under_rls: String,
    explicit: String,
}

pub struct Outcome {
    pub name: &'static str,
    pub rls: Summary,
    pub plain: Summary,
    pub rows: usize,
}

impl Outcome {
    pub fn ratio(&self) -> f64 {
        millis(self.rls.p50) / millis(self.plain.p50).max(1e-6)
    }
}

pub async fn run(url: &str, iterations: usize) -> anyhow::Result<Vec<Outcome>> {
    let mut client = db::connect(url).await.context("connecting")?;
    let bookings: i64 = client
        .query_one("select count(*) from public.bookings", &[])
        .await?
        .get(0);
    if bookings < 1000 {
        bail!("only {bookings} bookings: load demo data first (`ombaro seed --demo --scale 100`)");
    }
    let pages = pages(&client).await?;
    let mut outcomes = Vec::new();
    for page in &pages {
        let claims = json!({"sub": page.persona, "role": "authenticated"});
        // Warm both paths so the first measured run is not a cold cache.
        let rows = time_as(&mut client, Some(&claims), &page.under_rls, &[]).await?.1;
        time_as(&mut client, None, &page.explicit, &[&page.persona]).await?;
        let (mut rls, mut plain) = (Vec::new(), Vec::new());
        for _ in 0..iterations {
            rls.push(time_as(&mut client, Some(&claims), &page.under_rls, &[]).await?.0);
            plain.push(time_as(&mut client, None, &page.explicit, &[&page.persona]).await?.0);
        }
        let outcome = Outcome {
            name: page.name,
            rls: Summary::of(rls),
            plain: Summary::of(plain),
            rows,
        };
        if outcome.ratio() > 2.0 {
            eprintln!("\n{}: ratio {:.2} — plans follow", page.name, outcome.ratio());
            eprintln!(
                "-- under RLS:\n{}",
                explain(&mut client, Some(&claims), &page.under_rls, &[]).await?
            );
            eprintln!(
                "-- explicit filter:\n{}",
                explain(&mut client, None, &page.explicit, &[&page.persona]).await?
            );
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The busiest customer, the busiest vendor, and a finance employee (created if the data has
/// none) with the pages each of them opens.
async fn pages(client: &Client) -> anyhow::Result<Vec<Page>> {
    let customer: Uuid = client
        .query_one(
            "select customer_id from public.bookings group by customer_id order by count(*) desc limit 1",
            &[],
        )
        .await?
        .get(0);
    let vendor: Uuid = client
        .query_one(
            "select vendor_id from public.bookings group by vendor_id order by count(*) desc limit 1",
            &[],
        )
        .await?
        .get(0);
    let finance = finance_employee(client).await?;
    Ok(vec![
        Page {
            name: "customer bookings page",
            persona: customer,
            under_rls: "select id, booking_number, status, scheduled_start, total_amount from public.bookings \
                        order by scheduled_start desc limit 20"
                .into(),
            explicit: "select id, booking_number, status, scheduled_start, total_amount from public.bookings \
                       where customer_id = $1 order by scheduled_start desc limit 20"
                .into(),
        },
        Page {
            name: "vendor bookings page",
            persona: vendor,
            under_rls:
                "select id, booking_number, customer_id, status, scheduled_start, total_amount from public.bookings \
                        where scheduled_start >= now() - interval '30 days' order by scheduled_start desc limit 50"
                    .into(),
            explicit:
                "select id, booking_number, customer_id, status, scheduled_start, total_amount from public.bookings \
                       where vendor_id = $1 and scheduled_start >= now() - interval '30 days' \
                       order by scheduled_start desc limit 50"
                    .into(),
        },
        Page {
            name: "finance payments page",
            persona: finance,
            under_rls: "select id, transaction_id, booking_id, total_amount, status, created_at from public.payments \
                        order by created_at desc limit 50"
                .into(),
            // Finance sees every payment; $1 is unused but keeps one calling convention.
            explicit: "select id, transaction_id, booking_id, total_amount, status, created_at from public.payments \
                       where $1::uuid is not null order by created_at desc limit 50"
                .into(),
        },
    ])
}

async fn finance_employee(client: &Client) -> anyhow::Result<Uuid> {
    if let Some(row) = client
        .query_opt(
            "select id from public.user_profiles where role = 'finance_department' and status = 'active' limit 1",
            &[],
        )
        .await?
    {
        return Ok(row.get(0));
    }
    let id = Uuid::new_v4();
    client
        .batch_execute(&format!(
            "insert into auth.users (id, aud, role, email, created_at, updated_at)
               values ('{id}', 'authenticated', 'authenticated', 'finance.bench@ombaro.in', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
               values ('{id}', 'Finance Bench', '9000000099', 'finance_department');"
        ))
        .await
        .context("creating a finance employee for the benchmark")?;
    Ok(id)
}

/// Runs `sql` in its own transaction (as the persona when `claims` is given) and returns how
/// long it took and how many rows it returned.
async fn time_as(
    client: &mut Client,
    claims: Option<&serde_json::Value>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> anyhow::Result<(Duration, usize)> {
    let started = Instant::now();
    let tx = begin(client, claims).await?;
    let rows = tx.query(sql, params).await?;
    tx.commit().await?;
    Ok((started.elapsed(), rows.len()))
}

/// A transaction as the persona (RLS applies) or, without claims, as the connecting superuser.
async fn begin<'a>(
    client: &'a mut Client,
    claims: Option<&serde_json::Value>,
) -> Result<tokio_postgres::Transaction<'a>, tokio_postgres::Error> {
    match claims {
        Some(claims) => db::begin_as(client, "authenticated", claims).await,
        None => client.transaction().await,
    }
}

async fn explain(
    client: &mut Client,
    claims: Option<&serde_json::Value>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> anyhow::Result<String> {
    let tx = begin(client, claims).await?;
    let rows = tx.query(&format!("explain (analyze, buffers) {sql}"), params).await?;
    tx.rollback().await?;
    Ok(rows
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n"))
}
