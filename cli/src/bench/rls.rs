//! `ombaro bench rls`: what row-level security costs on the pages people open most. Each page
//! query runs as its persona under RLS (the PostgREST way: the role their access token names,
//! `authenticated`, `partner` or `staff`, and the JWT claims set in the transaction) and as
//! `service_role` (no RLS, begun the same way, so both sides pay the same round trips) with
//! the equivalent explicit filter, alternately, in the same run. The ratio of medians is what
//! the policies cost. Goals: every page under RLS within 1.2x of
//! its explicit filter, finance's payments page under 5 ms, and (across scales) each page
//! under RLS within 1.5x of its own time at the smallest scale; the plans of a page that
//! misses a goal are printed.

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
    /// The Postgres role the persona's token names.
    pub role: String,
    pub rls: Summary,
    pub plain: Summary,
    pub rows: usize,
    /// `explain (analyze, buffers)` of both sides, taken after the measured runs.
    pub rls_plan: String,
    pub plain_plan: String,
}

/// RLS/explicit ratio a page may reach.
pub const RATIO_GOAL: f64 = 1.2;
/// Growth of a page's time under RLS from the smallest to the largest scale measured.
pub const GROWTH_GOAL: f64 = 1.5;
/// Finance's payments page, milliseconds under RLS.
pub const FINANCE_GOAL_MS: f64 = 5.0;
pub const FINANCE_PAGE: &str = "finance payments";

impl Outcome {
    pub fn ratio(&self) -> f64 {
        millis(self.rls.p50) / millis(self.plain.p50).max(1e-6)
    }

    /// The goals this page misses at one scale (growth is judged across scales).
    pub fn misses(&self) -> Vec<String> {
        let mut misses = Vec::new();
        if self.ratio() > RATIO_GOAL {
            misses.push(format!("ratio {:.2} > {RATIO_GOAL}", self.ratio()));
        }
        if self.name == FINANCE_PAGE && millis(self.rls.p50) > FINANCE_GOAL_MS {
            misses.push(format!("{:.2} ms > {FINANCE_GOAL_MS} ms", millis(self.rls.p50)));
        }
        misses
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
    ensure_page_data(&mut client).await?;
    let pages = pages(&client).await?;
    let mut outcomes = Vec::new();
    for page in &pages {
        // The role Auth's custom access token hook would put in the persona's token.
        let role: String = client
            .query_one("select private.audience_of($1)", &[&page.persona])
            .await?
            .get(0);
        let claims = json!({"sub": page.persona, "role": role});
        // Warm both paths so the first measured run is not a cold cache.
        let rows = time_as(&mut client, Some(&claims), &page.under_rls, &[]).await?.1;
        time_as(&mut client, None, &page.explicit, &[&page.persona]).await?;
        let (mut rls, mut plain) = (Vec::new(), Vec::new());
        for _ in 0..iterations {
            rls.push(time_as(&mut client, Some(&claims), &page.under_rls, &[]).await?.0);
            plain.push(time_as(&mut client, None, &page.explicit, &[&page.persona]).await?.0);
        }
        let rls_plan = explain(&mut client, Some(&claims), &page.under_rls, &[]).await?;
        let plain_plan = explain(&mut client, None, &page.explicit, &[&page.persona]).await?;
        let outcome = Outcome {
            name: page.name,
            role,
            rls: Summary::of(rls),
            plain: Summary::of(plain),
            rows,
            rls_plan,
            plain_plan,
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Rows the demo data does not make but two pages need: a notification for every booking's
/// customer and a support ticket for about one booking in fifty. Made once per data set
/// (recognised by `data.source` and the `TKT-BENCH-` prefix) and made again when the
/// bookings changed; triggers are skipped as the demo load skips them.
async fn ensure_page_data(client: &mut Client) -> anyhow::Result<()> {
    let row = client
        .query_one(
            "select (select count(*) from public.bookings),
                    (select count(*) from public.notifications where data ->> 'source' = 'bench'),
                    (select count(*) from public.bookings where get_byte(uuid_send(id), 15) < 5),
                    (select count(*) from public.support_tickets where ticket_number like 'TKT-BENCH-%')",
            &[],
        )
        .await?;
    let (bookings, notes, ticketed, tickets): (i64, i64, i64, i64) = (row.get(0), row.get(1), row.get(2), row.get(3));
    if bookings == notes && ticketed == tickets {
        return Ok(());
    }
    eprintln!("making bench notifications and support tickets for {bookings} bookings ...");
    let tx = client.transaction().await?;
    tx.batch_execute(
        "set local session_replication_role = replica;
         delete from public.notifications where data ->> 'source' = 'bench';
         delete from public.support_tickets where ticket_number like 'TKT-BENCH-%';
         insert into public.notifications (user_id, type, title, message, data, channels, is_read, read_at, created_at, updated_at)
           select b.customer_id, 'booking_confirmed', 'Booking confirmed',
                  'Your booking ' || b.booking_number || ' is confirmed.',
                  jsonb_build_object('source', 'bench', 'booking_id', b.id), '{push,in_app}',
                  b.created_at < now() - interval '2 days',
                  case when b.created_at < now() - interval '2 days' then b.created_at + interval '1 hour' end,
                  b.created_at, b.created_at
             from public.bookings b;
         insert into public.support_tickets (ticket_number, customer_id, raised_by, vendor_id, booking_id, category,
                                             priority, subject, description, status, sla_due_at, created_at, updated_at)
           select 'TKT-BENCH-' || b.booking_number, b.customer_id, b.customer_id, b.vendor_id, b.id,
                  (array['booking_issue', 'payment_issue', 'service_quality', 'other'])[1 + get_byte(uuid_send(b.id), 14) % 4],
                  (array['low', 'medium', 'high', 'urgent'])[1 + get_byte(uuid_send(b.id), 13) % 4],
                  'About booking ' || b.booking_number, 'The customer asked about this booking.',
                  case when b.scheduled_start > now() - interval '7 days'
                       then (array['open', 'in_progress', 'waiting'])[1 + get_byte(uuid_send(b.id), 12) % 3]
                       else (array['resolved', 'closed'])[1 + get_byte(uuid_send(b.id), 12) % 2] end,
                  b.created_at + interval '1 day', b.created_at, b.created_at
             from public.bookings b
            where get_byte(uuid_send(b.id), 15) < 5;
         analyze public.notifications;
         analyze public.support_tickets;",
    )
    .await
    .context("making the notifications and support tickets the bench pages read")?;
    tx.commit().await?;
    Ok(())
}

/// The busiest customer, vendor and therapist, a finance employee and a customer care agent
/// (created if the data has none) with the pages each of them opens first.
async fn pages(client: &Client) -> anyhow::Result<Vec<Page>> {
    let busiest = |sql: &'static str| async move { client.query_one(sql, &[]).await.map(|row| row.get::<_, Uuid>(0)) };
    let customer = busiest(
        "select customer_id from public.bookings group by customer_id order by count(*) desc, customer_id limit 1",
    )
    .await?;
    let vendor =
        busiest("select vendor_id from public.bookings group by vendor_id order by count(*) desc, vendor_id limit 1")
            .await?;
    let therapist = busiest(
        "select t.user_id from public.therapist_assignments a join public.therapists t on t.id = a.therapist_id
          where t.user_id is not null and a.scheduled_start >= now()
          group by t.user_id order by count(*) desc, t.user_id limit 1",
    )
    .await?;
    let finance = staff_member(client, "finance_department", "finance.bench", "9000000099").await?;
    let care = staff_member(client, "customer_care", "care.bench", "9000000098").await?;
    let page = |name, persona, under_rls: &str, explicit: &str| Page {
        name,
        persona,
        under_rls: under_rls.into(),
        explicit: explicit.into(),
    };
    Ok(vec![
        page(
            "customer bookings",
            customer,
            "select id, booking_number, status, scheduled_start, total_amount from public.bookings \
             order by scheduled_start desc limit 20",
            "select id, booking_number, status, scheduled_start, total_amount from public.bookings \
             where customer_id = $1 order by scheduled_start desc limit 20",
        ),
        page(
            "vendor last 30 days",
            vendor,
            "select id, booking_number, customer_id, status, scheduled_start, total_amount from public.bookings \
             where scheduled_start >= now() - interval '30 days' order by scheduled_start desc limit 50",
            "select id, booking_number, customer_id, status, scheduled_start, total_amount from public.bookings \
             where vendor_id = $1 and scheduled_start >= now() - interval '30 days' \
             order by scheduled_start desc limit 50",
        ),
        page(
            "vendor upcoming day",
            vendor,
            "select id, booking_number, customer_id, status, scheduled_start, scheduled_end from public.bookings \
             where scheduled_start >= now() and scheduled_start < now() + interval '1 day' \
             order by scheduled_start limit 100",
            "select id, booking_number, customer_id, status, scheduled_start, scheduled_end from public.bookings \
             where vendor_id = $1 and scheduled_start >= now() and scheduled_start < now() + interval '1 day' \
             order by scheduled_start limit 100",
        ),
        page(
            "therapist assignments",
            therapist,
            "select id, booking_id, status, scheduled_start, scheduled_end from public.therapist_assignments \
             where scheduled_start >= now() - interval '1 day' order by scheduled_start limit 20",
            "select id, booking_id, status, scheduled_start, scheduled_end from public.therapist_assignments \
             where therapist_id in (select t.id from public.therapists t where t.user_id = $1) \
               and scheduled_start >= now() - interval '1 day' order by scheduled_start limit 20",
        ),
        page(
            FINANCE_PAGE,
            finance,
            "select id, transaction_id, booking_id, total_amount, status, created_at from public.payments \
             order by created_at desc limit 50",
            // Finance sees every payment; $1 is unused but keeps one calling convention.
            "select id, transaction_id, booking_id, total_amount, status, created_at from public.payments \
             where $1::uuid is not null order by created_at desc limit 50",
        ),
        page(
            "support queue",
            care,
            "select id, ticket_number, priority, status, subject, created_at from public.support_tickets \
             where status in ('open', 'in_progress', 'waiting') order by created_at limit 50",
            "select id, ticket_number, priority, status, subject, created_at from public.support_tickets \
             where $1::uuid is not null and status in ('open', 'in_progress', 'waiting') order by created_at limit 50",
        ),
        page(
            "customer notifications",
            customer,
            "select id, type, title, is_read, created_at from public.notifications \
             order by created_at desc limit 20",
            "select id, type, title, is_read, created_at from public.notifications \
             where user_id = $1 order by created_at desc limit 20",
        ),
    ])
}

/// An active employee of `role` (a department role with platform-wide reads), created with
/// its employee record if the data has none.
async fn staff_member(client: &Client, role: &str, email: &str, mobile: &str) -> anyhow::Result<Uuid> {
    if let Some(row) = client
        .query_opt(
            "select p.id from public.user_profiles p
              where p.role = $1 and p.status = 'active' order by p.id limit 1",
            &[&role],
        )
        .await?
    {
        return Ok(row.get(0));
    }
    let id = Uuid::new_v4();
    client
        .execute(
            "insert into auth.users (id, aud, role, email, created_at, updated_at)
               values ($1, 'authenticated', 'authenticated', $2 || '@ombaro.in', now(), now())",
            &[&id, &email],
        )
        .await?;
    client
        .execute(
            "insert into public.user_profiles (id, name, mobile, role) values ($1, $2, $3, $4)",
            &[&id, &email, &mobile, &role],
        )
        .await
        .with_context(|| format!("creating a {role} employee for the benchmark"))?;
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

/// A transaction as the persona (RLS applies; the role is their claims') or, without claims,
/// as a trusted server (`service_role`, which bypasses RLS) begun the same way.
async fn begin<'a>(
    client: &'a mut Client,
    claims: Option<&serde_json::Value>,
) -> Result<tokio_postgres::Transaction<'a>, tokio_postgres::Error> {
    match claims {
        Some(claims) => db::begin_as(client, claims["role"].as_str().unwrap_or("authenticated"), claims).await,
        None => db::begin_as(client, "service_role", &json!({"role": "service_role"})).await,
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
