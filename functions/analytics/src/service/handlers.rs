//! The endpoints: parse, ask the core, one transaction through [`super::store`], answer JSON.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use ombaro_common::{
    db,
    http::{ApiJson, ApiQuery},
    ApiError, AppState, Caller,
};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{store, Limiter};
use crate::{
    cohort::{self, Grain},
    event::{self, Event, PageView, PAGE_VIEW},
    funnel,
    revenue::{self, Group, GroupBy},
};

type Result<T> = std::result::Result<T, ApiError>;

/// Longest range a read may ask for.
const MAX_RANGE_DAYS: i64 = 400;

// ---------------------------------------------------------------------------------------
// Ingest

#[derive(Debug, Deserialize)]
pub struct IngestQuery {
    #[serde(default)]
    pub atomic: bool,
}

/// The client's address as the load balancer reports it (first `X-Forwarded-For` hop, else
/// `X-Real-IP`); requests without either share one bucket.
fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .or_else(|| headers.get("x-real-ip").and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or("direct")
        .to_owned()
}

/// `POST /events[?atomic=true]` with `{"events": [...]}`.
pub async fn ingest(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(limiter): Extension<Arc<Limiter>>,
    ApiQuery(query): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response> {
    let now = Utc::now();
    let judged = event::parse_batch(&body, now).map_err(|e| ApiError::unprocessable(e.code(), e.to_string()))?;

    // Every event of the batch counts against its session and the client's address.
    let mut sessions: Vec<&str> = body["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("session_id").and_then(Value::as_str))
        .filter(|s| s.len() <= event::MAX_SESSION_ID)
        .collect();
    sessions.sort_unstable();
    sessions.dedup();
    let size = judged.accepted.len() + judged.rejected.len();
    limiter
        .take(&client_address(&headers), &sessions, size)
        .map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many events from this session or address; retry later",
            )
            .retry_after(wait)
        })?;

    let results = |stored: bool| -> Vec<Value> {
        let mut results: Vec<(usize, Value)> = judged
            .accepted
            .iter()
            .map(|(i, _)| {
                (
                    *i,
                    json!({ "index": i, "status": if stored { "stored" } else { "not_stored" } }),
                )
            })
            .chain(judged.rejected.iter().map(|r| {
                (
                    r.index,
                    json!({ "index": r.index, "status": "rejected", "code": r.code, "reason": r.reason }),
                )
            }))
            .collect();
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, v)| v).collect()
    };

    if judged.accepted.is_empty() || (query.atomic && !judged.rejected.is_empty()) {
        return Err(ApiError::unprocessable(
            "invalid_events",
            if query.atomic {
                "the batch is all-or-nothing and some events are invalid; nothing was stored"
            } else {
                "no event of the batch is valid; nothing was stored"
            },
        )
        .with_details(json!({ "stored": 0, "rejected": judged.rejected.len(), "results": results(false) })));
    }

    // The user is the caller's, whatever the body says; anonymous and service senders send
    // events without one.
    let user = if caller.is_signed_in() {
        Some(caller.require_user()?)
    } else {
        None
    };
    let (views, events): (Vec<&Event>, Vec<&Event>) = judged
        .accepted
        .iter()
        .map(|(_, e)| e)
        .partition(|e| e.event_name == PAGE_VIEW);
    let views: Vec<PageView> = views.into_iter().filter_map(|e| event::page_view(e).ok()).collect();

    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    let mut stored = 0;
    if !events.is_empty() {
        stored += store::insert_events(&tx, user, &json!(events)).await?;
    }
    if !views.is_empty() {
        stored += store::insert_page_views(&tx, user, &json!(views)).await?;
    }
    tx.commit().await?;

    let status = if judged.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    Ok((
        status,
        Json(json!({ "stored": stored, "rejected": judged.rejected.len(), "results": results(true) })),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Reads

fn today() -> NaiveDate {
    crate::ist_day(Utc::now())
}

/// `from..=to` from the query, 30 days to today by default.
fn range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or_else(today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ApiError::bad_request("invalid_range", "from must not be after to"));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("a range spans at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok((from, to))
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days() + 1
}

/// Opens the caller's transaction and refuses (403) anyone who does not read reports.
async fn open_for_reports<'a>(
    state: &AppState,
    client: &'a mut deadpool_postgres::Client,
    caller: &Caller,
) -> Result<db::PooledTransaction<'a>> {
    if caller.role == "anon" {
        return Err(forbidden());
    }
    let tx = state.db.begin_as(client, caller).await?;
    if !store::may_read_reports(&tx).await? {
        return Err(forbidden());
    }
    Ok(tx)
}

fn forbidden() -> ApiError {
    ApiError::forbidden(
        "forbidden",
        "analytics are for marketing, finance, directors and administrators",
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunnelQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub city: Option<String>,
    /// `auto` (rollups when they cover the range, else raw events), `rollups` or `raw`.
    pub source: Option<String>,
}

/// `GET /funnels/{name}?from&to&city&source`.
pub async fn funnel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<FunnelQuery>,
) -> Result<Json<Value>> {
    let def = funnel::definition(&name)
        .ok_or_else(|| ApiError::not_found("unknown_funnel", format!("no funnel named {name:?}")))?;
    let (from, to) = range(query.from, query.to)?;
    let city = query.city.as_deref().filter(|c| !c.is_empty());
    let wanted = query.source.as_deref().unwrap_or("auto");
    if !["auto", "rollups", "raw"].contains(&wanted) {
        return Err(ApiError::bad_request("invalid_query", "source is auto, rollups or raw"));
    }
    let mut client = state.db.get().await?;
    let tx = open_for_reports(&state, &mut client, &caller).await?;
    // As the caller: the rollup rows RLS lets them see.
    let rolled = store::funnel_from_rollups(&tx, def.name, from, to, city).await?;
    // As the service: coverage, and the raw events when needed.
    db::act_as_service(&tx).await?;
    let (covered, fresh_as_of) = store::coverage(&tx, "funnels", from, to).await?;
    let complete = covered == days(from, to);
    let (rows, source, fresh_as_of): (_, _, Option<DateTime<Utc>>) = match (wanted, complete) {
        ("raw", _) | ("auto", false) => (
            store::funnel_from_events(&tx, def.name, from, to, city).await?,
            "raw_events",
            Some(Utc::now()),
        ),
        (_, true) => (rolled, "rollups", fresh_as_of),
        (_, false) => {
            return Err(ApiError::conflict(
                "not_rolled_up",
                "the rollups do not cover this range yet; ask without source=rollups for an answer from raw events",
            )
            .with_details(json!({ "days": days(from, to), "covered": covered })))
        }
    };
    tx.commit().await?;
    let mut counts = vec![0i64; def.steps.len()];
    let mut medians = vec![None; def.steps.len()];
    for (step, count, median) in rows {
        if let Some(i) = usize::try_from(step - 1).ok().filter(|i| *i < counts.len()) {
            counts[i] = count;
            medians[i] = median;
        }
    }
    let steps = funnel::steps_from_counts(def, &counts, &medians);
    Ok(Json(json!({
        "funnel": def.name,
        "steps": steps,
        "from": from,
        "to": to,
        "city": city,
        "window_seconds": def.window_seconds,
        "source": source,
        "fresh_as_of": fresh_as_of,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortQuery {
    pub grain: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// `GET /cohorts?grain=week|month&type=first_booking|signup&from&to`: cohorts starting in
/// the range, with their retention in every period since.
pub async fn cohorts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<CohortQuery>,
) -> Result<Json<Value>> {
    let grain = match query.grain.as_deref() {
        None => Grain::Month,
        Some(g) => Grain::parse(g).ok_or_else(|| ApiError::bad_request("invalid_query", "grain is week or month"))?,
    };
    let kind = query.kind.as_deref().unwrap_or("first_booking");
    if !["first_booking", "signup"].contains(&kind) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "type is first_booking or signup",
        ));
    }
    let (from, to) = range(query.from, query.to.or(Some(today())))?;
    let mut client = state.db.get().await?;
    let tx = open_for_reports(&state, &mut client, &caller).await?;
    let rows = store::cohorts(&tx, kind, grain.as_str(), cohort::period_start(grain, from), to).await?;
    db::act_as_service(&tx).await?;
    let (covered, fresh_as_of) = store::coverage(&tx, "cohorts", from, to).await?;
    tx.commit().await?;
    let mut cohorts: Vec<Value> = Vec::new();
    for row in &rows {
        let period = json!({
            "period": row.period,
            "retained": row.retained,
            "retention_rate": cohort::retention_rate(i64::from(row.retained), i64::from(row.cohort_size)),
            "bookings": row.bookings,
            "revenue": row.revenue,
        });
        match cohorts.last_mut() {
            Some(last) if last["cohort_start"] == json!(row.cohort_start) => {
                last["periods"].as_array_mut().expect("periods").push(period);
            }
            _ => cohorts.push(json!({
                "cohort_start": row.cohort_start,
                "cohort_size": row.cohort_size,
                "periods": [period],
            })),
        }
    }
    Ok(Json(json!({
        "grain": grain.as_str(),
        "type": kind,
        "from": from,
        "to": to,
        "cohorts": cohorts,
        "source": "rollups",
        "complete": covered == days(from, to),
        "fresh_as_of": fresh_as_of,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueQuery {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Option<String>,
}

fn revenue_answer(
    groups: Vec<Group>,
    group_by: &str,
    from: NaiveDate,
    to: NaiveDate,
    covered: i64,
    fresh_as_of: Option<DateTime<Utc>>,
) -> Value {
    let mut total = revenue::Totals::default();
    for g in &groups {
        total.add(&g.totals);
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|g| {
            let mut row = serde_json::to_value(&g.totals).unwrap_or_default();
            row["key"] = json!(g.key);
            row
        })
        .collect();
    json!({
        "group_by": group_by,
        "from": from,
        "to": to,
        "currency": "INR",
        "unit": "paise",
        "rows": rows,
        "total": total,
        "source": "rollups",
        "complete": covered == days(from, to),
        "fresh_as_of": fresh_as_of,
    })
}

/// `GET /revenue?from&to&group_by=day|city|vendor|category`: amounts in paise.
pub async fn revenue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<RevenueQuery>,
) -> Result<Json<Value>> {
    let name = query.group_by.as_deref().unwrap_or("day");
    let group_by = GroupBy::parse(name)
        .ok_or_else(|| ApiError::bad_request("invalid_query", "group_by is day, city, vendor or category"))?;
    let (from, to) = range(query.from, query.to)?;
    let mut client = state.db.get().await?;
    let tx = open_for_reports(&state, &mut client, &caller).await?;
    let rows = store::revenue_rows(&tx, group_by, from, to, None).await?;
    db::act_as_service(&tx).await?;
    let (covered, fresh_as_of) = store::coverage(&tx, "revenue", from, to).await?;
    tx.commit().await?;
    let groups: Vec<Group> = rows.into_iter().map(|(key, totals)| Group { key, totals }).collect();
    Ok(Json(revenue_answer(
        revenue::combine(&groups),
        name,
        from,
        to,
        covered,
        fresh_as_of,
    )))
}

/// `GET /vendors/{vendor_id}/revenue?from&to`: one vendor's revenue per day, for its owner
/// and staff with `reports.view`, and for the platform's readers.
pub async fn vendor_revenue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(vendor): Path<String>,
    ApiQuery(query): ApiQuery<RevenueQuery>,
) -> Result<Json<Value>> {
    let vendor = Uuid::parse_str(&vendor)
        .map_err(|_| ApiError::unprocessable("invalid_id", format!("vendor_id is not a UUID: {vendor:?}")))?;
    if query.group_by.as_deref().is_some_and(|g| g != "day") {
        return Err(ApiError::bad_request(
            "invalid_query",
            "a vendor's revenue is grouped by day",
        ));
    }
    let (from, to) = range(query.from, query.to)?;
    if caller.role == "anon" {
        return Err(forbidden());
    }
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    if !(store::may_read_vendor(&tx, vendor).await? || store::may_read_reports(&tx).await?) {
        return Err(ApiError::forbidden(
            "forbidden",
            "this vendor's revenue is for its owner and staff with reports.view",
        ));
    }
    let rows = store::revenue_rows(&tx, GroupBy::Day, from, to, Some(vendor)).await?;
    db::act_as_service(&tx).await?;
    let (covered, fresh_as_of) = store::coverage(&tx, "revenue", from, to).await?;
    tx.commit().await?;
    let groups: Vec<Group> = rows.into_iter().map(|(key, totals)| Group { key, totals }).collect();
    let mut answer = revenue_answer(revenue::combine(&groups), "day", from, to, covered, fresh_as_of);
    answer["vendor_id"] = json!(vendor);
    Ok(Json(answer))
}
