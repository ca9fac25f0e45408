//! Every query of the analytics service. Ingest inserts as the caller (row-level security
//! decides whose `user_id` a row may carry); reads select the rollup tables as the caller
//! (RLS decides which rows), then, as the service, read the rollups' coverage or compute from
//! the raw events through the SQL functions of V81.

use chrono::{DateTime, NaiveDate, Utc};
use ombaro_common::db::PooledTransaction;
use serde_json::Value;
use tokio_postgres::Error;
use uuid::Uuid;

use crate::revenue::{GroupBy, Totals};

/// Inserts `events` (a JSON array of core `Event`s) in one statement; returns the rows.
pub async fn insert_events(tx: &PooledTransaction<'_>, user: Option<Uuid>, events: &Value) -> Result<u64, Error> {
    let statement = tx
        .prepare_cached(
            "insert into public.analytics_events
                    (user_id, session_id, event_name, event_category, event_properties, device_info, location_info, \"timestamp\")
             select $1::uuid, r.session_id, r.event_name, r.event_category, coalesce(r.event_properties, '{}'),
                    r.device_info, r.location_info, r.\"timestamp\"
               from jsonb_to_recordset($2::jsonb) as r(session_id text, event_name text, event_category text,
                    event_properties jsonb, device_info jsonb, location_info jsonb, \"timestamp\" timestamptz)",
        )
        .await?;
    tx.execute(&statement, &[&user, events]).await
}

/// Inserts `views` (a JSON array of core `PageView`s) in one statement; returns the rows.
pub async fn insert_page_views(tx: &PooledTransaction<'_>, user: Option<Uuid>, views: &Value) -> Result<u64, Error> {
    let statement = tx
        .prepare_cached(
            "insert into public.page_views
                    (user_id, session_id, path, title, referrer, utm_source, utm_medium, utm_campaign, utm_term,
                     utm_content, platform, device_type, duration_seconds, viewed_at)
             select $1::uuid, r.session_id, r.path, r.title, r.referrer, r.utm_source, r.utm_medium, r.utm_campaign,
                    r.utm_term, r.utm_content, r.platform, r.device_type, r.duration_seconds, r.viewed_at
               from jsonb_to_recordset($2::jsonb) as r(session_id text, path text, title text, referrer text,
                    utm_source text, utm_medium text, utm_campaign text, utm_term text, utm_content text,
                    platform text, device_type text, duration_seconds integer, viewed_at timestamptz)",
        )
        .await?;
    tx.execute(&statement, &[&user, views]).await
}

/// Whether the caller reads the platform's analytics: the service, or a role granted
/// `analytics: read` or `financial_reports: read` (the same test as the rollup tables' RLS).
pub async fn may_read_reports(tx: &PooledTransaction<'_>) -> Result<bool, Error> {
    let statement = tx
        .prepare_cached(
            "select private.is_service_role()
                 or private.has_permission('analytics', 'read')
                 or private.has_permission('financial_reports', 'read')",
        )
        .await?;
    Ok(tx.query_one(&statement, &[]).await?.get(0))
}

/// Whether the caller reads `vendor`'s reports as its owner or staff (`reports.view`).
pub async fn may_read_vendor(tx: &PooledTransaction<'_>, vendor: Uuid) -> Result<bool, Error> {
    let statement = tx
        .prepare_cached(
            "select $1::uuid = any (private.vendor_ids_of_current_user())
                and private.vendor_staff_can($1::uuid, 'reports.view')",
        )
        .await?;
    Ok(tx.query_one(&statement, &[&vendor]).await?.get(0))
}

/// Days of `from..=to` the rollup `name` has covered, and when the stalest was computed.
pub async fn coverage(
    tx: &PooledTransaction<'_>,
    rollup: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, Option<DateTime<Utc>>), Error> {
    let statement = tx
        .prepare_cached(
            "select count(*), min(computed_at) from private.analytics_rollup_days
              where rollup = $1 and day between $2 and $3",
        )
        .await?;
    let row = tx.query_one(&statement, &[&rollup, &from, &to]).await?;
    Ok((row.get(0), row.get(1)))
}

/// A funnel's journeys per step from the daily rollups of `from..=to` (all cities when
/// `city` is none), with each step's median to the next when the range is one day.
pub async fn funnel_from_rollups(
    tx: &PooledTransaction<'_>,
    funnel: &str,
    from: NaiveDate,
    to: NaiveDate,
    city: Option<&str>,
) -> Result<Vec<(i32, i64, Option<i64>)>, Error> {
    let statement = tx
        .prepare_cached(
            "select step_order, sum(entered)::bigint,
                    case when count(*) = 1 then max(median_seconds_to_next)::bigint end
               from public.funnel_analytics
              where funnel_name = $1 and period_grain = 'day' and platform = 'all'
                and period_start between $2 and $3 and city is not distinct from $4
              group by step_order
              order by step_order",
        )
        .await?;
    let rows = tx.query(&statement, &[&funnel, &from, &to, &city]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// The same answer computed from the raw events (as the service).
pub async fn funnel_from_events(
    tx: &PooledTransaction<'_>,
    funnel: &str,
    from: NaiveDate,
    to: NaiveDate,
    city: Option<&str>,
) -> Result<Vec<(i32, i64, Option<i64>)>, Error> {
    let rows = tx
        .query(
            "select step_order, reached, median_seconds_to_next from private.funnel_from_events($1, $2, $3, $4)",
            &[&funnel, &from, &to, &city],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// One cohort period from the rollup.
#[derive(Debug, Clone)]
pub struct CohortPeriod {
    pub cohort_start: NaiveDate,
    pub period: i32,
    pub cohort_size: i32,
    pub retained: i32,
    pub bookings: i32,
    pub revenue: i64,
}

/// All-India cohorts of `kind` and `grain` starting in `from..=to`, every period.
pub async fn cohorts(
    tx: &PooledTransaction<'_>,
    kind: &str,
    grain: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CohortPeriod>, Error> {
    let statement = tx
        .prepare_cached(
            "select cohort_month, period_number, cohort_size, retained_users, bookings_count, revenue
               from public.cohort_analysis
              where cohort_type = $1 and cohort_grain = $2 and city_id is null
                and cohort_month between $3 and $4
              order by cohort_month, period_number",
        )
        .await?;
    let rows = tx.query(&statement, &[&kind, &grain, &from, &to]).await?;
    Ok(rows
        .iter()
        .map(|r| CohortPeriod {
            cohort_start: r.get(0),
            period: r.get(1),
            cohort_size: r.get(2),
            retained: r.get(3),
            bookings: r.get(4),
            revenue: r.get(5),
        })
        .collect())
}

/// Daily revenue rows of `from..=to` at the grain of `group_by` (the all row per day for
/// `day`, else the rows of that dimension), or one vendor's rows; the key is the day or the
/// dimension's id.
pub async fn revenue_rows(
    tx: &PooledTransaction<'_>,
    group_by: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
    vendor: Option<Uuid>,
) -> Result<Vec<(String, Totals)>, Error> {
    let dimension = match (vendor, group_by) {
        (Some(_), _) => "vendor_id = $3 and city_id is null and service_category_id is null",
        (None, GroupBy::Day) => "city_id is null and vendor_id is null and service_category_id is null",
        (None, GroupBy::City) => "city_id is not null and vendor_id is null and service_category_id is null",
        (None, GroupBy::Vendor) => "vendor_id is not null and city_id is null and service_category_id is null",
        (None, GroupBy::Category) => "service_category_id is not null and city_id is null and vendor_id is null",
    };
    let key = match (vendor, group_by) {
        (Some(_), _) | (None, GroupBy::Day) => "period_date::text",
        (None, GroupBy::City) => "city_id::text",
        (None, GroupBy::Vendor) => "vendor_id::text",
        (None, GroupBy::Category) => "service_category_id::text",
    };
    let sql = format!(
        "select {key}, bookings_count, cancelled_count, gross_revenue, discount_amount, tax_amount, refund_amount,
                net_revenue, commission_amount
           from public.revenue_analytics
          where period_grain = 'day' and period_date between $1 and $2 and {dimension}
          order by period_date"
    );
    let statement = tx.prepare_cached(&sql).await?;
    let rows = match vendor {
        Some(v) => tx.query(&statement, &[&from, &to, &v]).await?,
        None => tx.query(&statement, &[&from, &to]).await?,
    };
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                Totals {
                    bookings: i64::from(r.get::<_, i32>(1)),
                    cancelled: i64::from(r.get::<_, i32>(2)),
                    gross: r.get(3),
                    discounts: r.get(4),
                    gst: r.get(5),
                    refunds: r.get(6),
                    net: r.get(7),
                    commission: r.get(8),
                },
            )
        })
        .collect())
}

/// Runs every rollup for `from..=to` (as the service); returns the rows each wrote.
pub async fn run_rollups(tx: &PooledTransaction<'_>, from: NaiveDate, to: NaiveDate) -> Result<Value, Error> {
    let row = tx
        .query_one("select private.run_analytics_rollups($1, $2)", &[&from, &to])
        .await?;
    Ok(row.get(0))
}

/// The scheduled run: yesterday and today, and every cohort.
pub async fn run_recent_rollups(tx: &PooledTransaction<'_>) -> Result<Value, Error> {
    let row = tx
        .query_one("select private.run_analytics_rollups_recent()", &[])
        .await?;
    Ok(row.get(0))
}

/// Whether pg_cron is installed in this database (then it schedules the rollups, V81).
pub async fn cron_schedules(tx: &PooledTransaction<'_>) -> Result<bool, Error> {
    let row = tx
        .query_one(
            "select exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
