//! One request, PostgREST's way: authenticate (JWT, else the `apikey`), parse, plan against
//! the schema cache, run one statement in one transaction acting as the caller (role, claims,
//! `request.*` settings, the role's timeouts; read-only for `GET`/`HEAD`), and answer with the
//! body Postgres built, the range and the status.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{OriginalUri, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
};
use ombaro_common::jwt::AuthError;
use serde_json::{Map, Value};
use tokio_postgres::types::ToSql;

use crate::{
    error::RestError,
    plan::Planner,
    query::{self, Query},
    schema::{Function, SchemaCache, Table},
    sql::{ident, qualified},
    RestApi,
};

/// Distinct statement shapes a connection keeps prepared; beyond this its cache starts over,
/// so a client inventing query shapes cannot grow the server without bound.
const MAX_PREPARED_PER_CONNECTION: usize = 500;

/// Who is calling.
pub struct Caller {
    pub role: String,
    pub claims: Value,
}

impl Caller {
    fn is_anon(&self) -> bool {
        self.role == "anon"
    }
}

/// The `Prefer` header's parts this API honours.
#[derive(Debug, Default)]
struct Prefer {
    representation: Option<String>,
    count: Option<String>,
    resolution: Option<String>,
    missing_default: bool,
    rollback: bool,
}

impl Prefer {
    fn parse(headers: &HeaderMap) -> Self {
        let mut prefer = Prefer::default();
        for value in headers.get_all("prefer") {
            for part in value.to_str().unwrap_or_default().split(',') {
                let part = part.trim();
                match part.split_once('=') {
                    Some(("return", v)) => prefer.representation = Some(v.to_owned()),
                    Some(("count", v)) if matches!(v, "exact" | "planned" | "estimated") => {
                        prefer.count = Some(v.to_owned())
                    }
                    Some(("resolution", v)) if matches!(v, "merge-duplicates" | "ignore-duplicates") => {
                        prefer.resolution = Some(v.to_owned())
                    }
                    Some(("missing", "default")) => prefer.missing_default = true,
                    Some(("tx", "rollback")) => prefer.rollback = true,
                    _ => {}
                }
            }
        }
        prefer
    }

    fn applied(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(r) = &self.representation {
            parts.push(format!("return={r}"));
        }
        if let Some(c) = &self.count {
            parts.push(format!("count={c}"));
        }
        if let Some(r) = &self.resolution {
            parts.push(format!("resolution={r}"));
        }
        if self.missing_default {
            parts.push("missing=default".into());
        }
        if self.rollback {
            parts.push("tx=rollback".into());
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    Object,
    Csv,
    GeoJson,
}

fn format_of(headers: &HeaderMap) -> Result<Format, RestError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    for media in accept.split(',') {
        let media = media.split(';').next().unwrap_or_default().trim();
        match media {
            "application/vnd.pgrst.object+json" | "application/vnd.pgrst.object" => return Ok(Format::Object),
            "application/json" | "*/*" | "application/*" | "" => return Ok(Format::Json),
            "text/csv" => return Ok(Format::Csv),
            "application/geo+json" => return Ok(Format::GeoJson),
            "application/openapi+json" => return Ok(Format::Json),
            _ => {}
        }
    }
    Err(RestError::new(
        StatusCode::NOT_ACCEPTABLE,
        "PGRST107",
        format!("None of these media types are available: {accept}"),
    ))
}

/// The caller from `Authorization: Bearer`, else from the `apikey` header (the anon key alone
/// acts as `anon`), as Supabase's gateway passes them on.
pub fn authenticate(api: &RestApi, headers: &HeaderMap) -> Result<Caller, RestError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok()).map(str::trim);
    let token = bearer.or(apikey).ok_or_else(|| {
        RestError::new(StatusCode::UNAUTHORIZED, "PGRST301", "No API key found in request")
            .hint("No `apikey` request header or url param was found.")
    })?;
    let claims = api.keys.verify(token).map_err(|err| match err {
        AuthError::Expired => RestError::new(StatusCode::UNAUTHORIZED, "PGRST303", "JWT expired"),
        AuthError::UnknownRole(role) => RestError::new(
            StatusCode::UNAUTHORIZED,
            "PGRST301",
            format!("role \"{role}\" does not exist"),
        ),
        other => RestError::new(StatusCode::UNAUTHORIZED, "PGRST301", "JWSError JWSInvalidSignature")
            .details(other.to_string()),
    })?;
    Ok(Caller {
        role: claims.role,
        claims: claims.raw,
    })
}

/// Everything under `/rest/v1`.
pub async fn handle(
    State(api): State<Arc<RestApi>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match respond(&api, &method, &uri, &headers, body).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn respond(
    api: &RestApi,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, RestError> {
    let caller = authenticate(api, headers)?;
    let path = uri.path();
    let resource = path
        .strip_prefix(crate::MOUNT)
        .unwrap_or(path)
        .trim_start_matches('/')
        .trim_end_matches('/');
    let resource = percent_encoding::percent_decode_str(resource)
        .decode_utf8_lossy()
        .into_owned();
    let pairs = query_pairs(uri.query().unwrap_or_default());
    let cache = api.cache();
    if resource.is_empty() {
        if *method != Method::GET && *method != Method::HEAD {
            return Err(RestError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST117",
                format!("Unsupported HTTP method: {method}"),
            ));
        }
        let doc = crate::openapi::document(&cache, &api.public_url);
        let mut response = axum::Json(doc).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openapi+json; charset=utf-8"),
        );
        return Ok(response);
    }
    let prefer = Prefer::parse(headers);
    let format = format_of(headers)?;
    let context = RequestContext {
        api,
        caller: &caller,
        method,
        path: format!("/{resource}"),
        headers,
        prefer: &prefer,
        format,
    };
    if let Some(function) = resource.strip_prefix("rpc/") {
        let candidates = cache.functions.get(function).cloned().unwrap_or_default();
        let query = query::parse(&pairs, &|key| {
            *method == Method::GET && candidates.iter().any(|f| f.args.iter().any(|a| a.name == key))
        })?;
        return context.rpc(&cache, function, &candidates, &query, &body).await;
    }
    let table = cache
        .table(&resource)
        .ok_or_else(|| RestError::no_table(&resource))?
        .clone();
    let query = query::parse(&pairs, &|_| false)?;
    match *method {
        Method::GET | Method::HEAD => context.read(&cache, &table, &query).await,
        Method::POST => context.insert(&cache, &table, &query, &body).await,
        Method::PATCH => context.update(&cache, &table, &query, &body).await,
        Method::DELETE => context.delete(&cache, &table, &query).await,
        _ => Err(RestError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "PGRST117",
            format!("Unsupported HTTP method: {method}"),
        )),
    }
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// A read, planned: the one statement, the count query `Prefer: count=planned` needs, and
/// the bound values.
struct ReadPlan {
    statement: String,
    count: Option<(String, bool)>,
    offset: i64,
    sql: crate::sql::Sql,
}

/// The statement a `GET` of `path_and_query` (e.g. `/bookings?select=id&limit=20`) runs, with
/// its bound values: what the data API adds to the SQL alone can then be measured by running
/// the same statement without it (`ombaro bench rest`).
pub fn read_statement(api: &RestApi, path_and_query: &str) -> Result<(String, Vec<Option<String>>), RestError> {
    let (path, query_string) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let cache = api.cache();
    let name = path.trim_start_matches('/');
    let table = cache.table(name).ok_or_else(|| RestError::no_table(name))?.clone();
    let query = query::parse(&query_pairs(query_string), &|_| false)?;
    let headers = HeaderMap::new();
    let prefer = Prefer::default();
    let caller = Caller {
        role: "anon".into(),
        claims: Value::Null,
    };
    let context = RequestContext {
        api,
        caller: &caller,
        method: &Method::GET,
        path: path.to_owned(),
        headers: &headers,
        prefer: &prefer,
        format: Format::Json,
    };
    let read = context.plan_read(&cache, &table, &query)?;
    Ok((read.statement, read.sql.params))
}

struct RequestContext<'a> {
    api: &'a RestApi,
    caller: &'a Caller,
    method: &'a Method,
    path: String,
    headers: &'a HeaderMap,
    prefer: &'a Prefer,
    format: Format,
}

/// The rows a statement produced, as Postgres rendered them.
struct Outcome {
    body: String,
    rows: i64,
    total: Option<i64>,
    status: Option<String>,
    response_headers: Option<String>,
}

/// `Range: 0-9` (items), as offset and limit.
fn range_header(headers: &HeaderMap) -> Option<(i64, Option<i64>)> {
    let range = headers.get(header::RANGE)?.to_str().ok()?;
    let range = range.trim().strip_prefix("items=").unwrap_or(range.trim());
    let (from, to) = range.split_once('-')?;
    let from: i64 = from.trim().parse().ok()?;
    let to: Option<i64> = if to.trim().is_empty() {
        None
    } else {
        Some(to.trim().parse().ok()?)
    };
    match to {
        Some(to) if to < from => None,
        Some(to) => Some((from, Some(to - from + 1))),
        None => Some((from, None)),
    }
}

impl RequestContext<'_> {
    fn read_only(&self) -> bool {
        *self.method == Method::GET || *self.method == Method::HEAD
    }

    /// Runs `statement` (one row: body, row count, total, response status and headers) in the
    /// caller's transaction; `check` may refuse the outcome, which rolls it back.
    async fn run(
        &self,
        statement: &str,
        params: &[&(dyn ToSql + Sync)],
        count_sql: Option<(String, bool)>,
        check: impl FnOnce(&Outcome) -> Result<(), RestError>,
    ) -> Result<Outcome, RestError> {
        let anon = self.caller.is_anon();
        let db_err = |e: tokio_postgres::Error| RestError::from_db(&e, anon);
        let mut client = self.api.db.pool.get().await?;
        if client.statement_cache.size() > MAX_PREPARED_PER_CONNECTION {
            client.statement_cache.clear();
        }
        let tx = client
            .build_transaction()
            .read_only(self.read_only())
            .start()
            .await
            .map_err(db_err)?;
        let limits = self.api.db.limits.of(&self.caller.role);
        let mut request_headers = Map::new();
        for (name, value) in self.headers {
            if let Ok(v) = value.to_str() {
                request_headers.insert(name.as_str().to_owned(), Value::String(v.to_owned()));
            }
        }
        let cookies: Map<String, Value> = self
            .headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(';')
            .filter_map(|c| c.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), Value::String(v.trim().to_owned())))
            .collect();
        let set = tx
            .prepare_cached(
                "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                        set_config('statement_timeout', $3, true), set_config('lock_timeout', $4, true),
                        set_config('request.method', $5, true), set_config('request.path', $6, true),
                        set_config('request.headers', $7, true), set_config('request.cookies', $8, true),
                        set_config('search_path', 'public, extensions', true)",
            )
            .await
            .map_err(db_err)?;
        // Statements are prepared once per connection and shape (values are bound), as
        // PostgREST prepares them. The statement is parsed after the role is switched (the
        // login itself may not even look into the schemas the caller uses), in the same
        // flight as the settings.
        let (method, headers_json, cookies_json, claims) = (
            self.method.as_str(),
            Value::Object(request_headers).to_string(),
            Value::Object(cookies).to_string(),
            self.caller.claims.to_string(),
        );
        let settings: [&(dyn ToSql + Sync); 8] = [
            &self.caller.role,
            &claims,
            &limits.statement_timeout,
            &limits.lock_timeout,
            &method,
            &self.path,
            &headers_json,
            &cookies_json,
        ];
        // `try_join` polls in order: the settings are sent before the statement is parsed.
        let (_, main) = futures_util::future::try_join(tx.execute(&set, &settings), tx.prepare_cached(statement))
            .await
            .map_err(db_err)?;
        let row = tx.query_one(&main, params).await.map_err(db_err)?;
        let mut outcome = Outcome {
            body: row.get(0),
            rows: row.get(1),
            total: row.get(2),
            status: row.get(3),
            response_headers: row.get(4),
        };
        if let Some((count_statement, planned)) = count_sql {
            let count_row = tx.query_one(&count_statement, params).await.map_err(db_err)?;
            outcome.total = Some(if planned {
                let plan: Value = count_row.get(0);
                plan.pointer("/0/Plan/Plan Rows").and_then(Value::as_f64).unwrap_or(0.0) as i64
            } else {
                count_row.get(0)
            });
        }
        check(&outcome)?;
        if self.prefer.rollback {
            tx.rollback().await.map_err(db_err)?;
        } else {
            tx.commit().await.map_err(db_err)?;
        }
        Ok(outcome)
    }

    fn singular_check(&self) -> impl FnOnce(&Outcome) -> Result<(), RestError> {
        let object = self.format == Format::Object;
        move |outcome: &Outcome| {
            if object && outcome.rows != 1 {
                Err(RestError::new(
                    StatusCode::NOT_ACCEPTABLE,
                    "PGRST116",
                    "JSON object requested, multiple (or no) rows returned",
                )
                .details(format!("The result contains {} rows", outcome.rows)))
            } else {
                Ok(())
            }
        }
    }

    /// The envelope around a `pgrst_source` CTE: body as JSON (or the row the object format
    /// asks for), the row count, and the response settings functions may have set.
    fn envelope(&self, source_cte: &str, total: &str) -> String {
        let body = match self.format {
            Format::GeoJson => "json_build_object('type', 'FeatureCollection', 'features', \
                 coalesce(json_agg(extensions.st_asgeojson(_postgrest_t)::json), '[]'::json))::text"
                .to_owned(),
            Format::Object => "coalesce((json_agg(_postgrest_t) -> 0)::text, '')".to_owned(),
            _ => "coalesce(json_agg(_postgrest_t), '[]'::json)::text".to_owned(),
        };
        format!(
            "with {source_cte}
             select {body}, count(_postgrest_t)::int8, {total}::int8,
                    nullif(current_setting('response.status', true), ''),
                    nullif(current_setting('response.headers', true), '')
               from (select * from pgrst_source) _postgrest_t"
        )
    }

    async fn read(&self, cache: &SchemaCache, table: &Table, query: &Query) -> Result<Response, RestError> {
        let read = self.plan_read(cache, table, query)?;
        let params = read.sql.param_refs();
        let outcome = self
            .run(&read.statement, &params, read.count, self.singular_check())
            .await?;
        self.answer(outcome, StatusCode::OK, read.offset, true)
    }

    fn plan_read(&self, cache: &SchemaCache, table: &Table, query: &Query) -> Result<ReadPlan, RestError> {
        let mut planner = Planner::new(cache, query);
        let alias = planner.next_alias();
        let empty = Vec::new();
        let items = query.select.as_ref().unwrap_or(&empty);
        let mut rendered = planner.render(table, items, "", &alias)?;
        let (offset, limit) = self.window(query, &mut rendered);
        rendered.offset = Some(offset);
        rendered.limit = limit;
        let from = format!("{} {alias}{}", qualified(&table.name), rendered.where_clause());
        let source = format!(
            "pgrst_source as (select {} from {from}{})",
            rendered.select_list(),
            rendered.tail()
        );
        let (total, count) = self.count_plan(&from);
        Ok(ReadPlan {
            statement: self.envelope(&source, &total),
            count,
            offset,
            sql: planner.sql,
        })
    }

    /// The offset and limit from `offset`/`limit`, the `Range` header and `max_rows`.
    fn window(&self, query: &Query, rendered: &mut crate::plan::Rendered) -> (i64, Option<i64>) {
        let level = query.level("");
        let mut offset = level.offset.unwrap_or(0);
        let mut limit = level.limit;
        if let Some((from, range_limit)) = range_header(self.headers) {
            offset += from;
            limit = match (limit, range_limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if let Some(max) = self.api.max_rows {
            limit = Some(limit.map_or(max, |l| l.min(max)));
        }
        rendered.offset = Some(offset);
        (offset, limit)
    }

    /// The total to report for `Prefer: count=...` over `from` (`... where ...`): exact in the
    /// statement itself, planned from `explain`, estimated as planned unless that is small.
    fn count_plan(&self, from: &str) -> (String, Option<(String, bool)>) {
        match self.prefer.count.as_deref() {
            Some("exact") => (format!("(select count(*) from {from})"), None),
            Some("planned") => ("null".into(), Some((format!("explain (format json) select 1 from {from}"), true))),
            Some("estimated") => (
                // Exact while the table is small enough that counting is cheap.
                format!(
                    "(select case when c.reltuples < {max} then (select count(*) from {from}) end from pg_catalog.pg_class c where c.oid = '{}'::regclass)",
                    from.split(' ').next().unwrap_or_default().replace('\'', "''"),
                    max = self.api.max_rows.unwrap_or(1000).max(1000)
                ),
                None,
            ),
            _ => ("null".into(), None),
        }
    }

    fn answer(&self, outcome: Outcome, status: StatusCode, offset: i64, is_read: bool) -> Result<Response, RestError> {
        let rows = outcome.rows;
        let total = outcome.total;
        if is_read {
            if let Some(total) = total {
                if offset > 0 && offset >= total && rows == 0 {
                    let mut response = RestError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "PGRST103",
                        "Requested range not satisfiable",
                    )
                    .details(format!(
                        "An offset of {offset} was requested, but there are only {total} rows."
                    ))
                    .into_response();
                    response.headers_mut().insert(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("*/{total}")).unwrap(),
                    );
                    return Ok(response);
                }
            }
        }
        let range = if rows == 0 {
            format!("*/{}", total.map_or("*".into(), |t| t.to_string()))
        } else {
            format!(
                "{}-{}/{}",
                offset,
                offset + rows - 1,
                total.map_or("*".into(), |t| t.to_string())
            )
        };
        let mut status = status;
        if is_read {
            if let Some(total) = total {
                if rows > 0 && (offset > 0 || rows < total) && self.format != Format::Object {
                    status = StatusCode::PARTIAL_CONTENT;
                }
            }
        }
        if let Some(custom) = outcome.status.as_deref().and_then(|s| s.parse::<u16>().ok()) {
            status = StatusCode::from_u16(custom).unwrap_or(status);
        }
        let (content_type, body) = match self.format {
            Format::Csv => ("text/csv; charset=utf-8", to_csv(&outcome.body)),
            Format::GeoJson => ("application/geo+json; charset=utf-8", outcome.body),
            Format::Object => ("application/vnd.pgrst.object+json; charset=utf-8", outcome.body),
            Format::Json => ("application/json; charset=utf-8", outcome.body),
        };
        let mut response = if *self.method == Method::HEAD {
            (status, "").into_response()
        } else {
            (status, body).into_response()
        };
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&range).unwrap());
        if let Some(applied) = self.prefer.applied() {
            if let Ok(v) = HeaderValue::from_str(&applied) {
                h.insert("preference-applied", v);
            }
        }
        if let Some(extra) = outcome
            .response_headers
            .as_deref()
            .and_then(|s| serde_json::from_str::<Value>(s).ok())
        {
            for entry in extra.as_array().into_iter().flatten() {
                for (k, v) in entry.as_object().into_iter().flatten() {
                    if let (Ok(name), Some(Ok(value))) = (
                        header::HeaderName::from_bytes(k.as_bytes()),
                        v.as_str().map(HeaderValue::from_str),
                    ) {
                        h.insert(name, value);
                    }
                }
            }
        }
        Ok(response)
    }

    fn payload(&self, body: &Bytes) -> Result<Value, RestError> {
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        if !content_type.starts_with("application/json") && !content_type.contains("+json") {
            return Err(RestError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "PGRST107",
                format!("The request's content type is not supported: {content_type}"),
            ));
        }
        if body.is_empty() {
            return Ok(Value::Object(Map::new()));
        }
        serde_json::from_slice(body).map_err(|e| RestError::body(format!("Empty or invalid json: {e}")))
    }

    /// The columns a write names: `columns=`, else the body's keys (all objects alike unless
    /// `missing=default`), each checked against the table.
    fn write_columns(&self, table: &Table, query: &Query, payload: &Value) -> Result<Vec<String>, RestError> {
        let objects: Vec<&Map<String, Value>> = match payload {
            Value::Object(o) => vec![o],
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_object()
                        .ok_or_else(|| RestError::body("All items of the array must be objects"))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(RestError::body("The body must be a JSON object or an array of objects")),
        };
        let columns: Vec<String> = match &query.columns {
            Some(c) => c.clone(),
            None => {
                let mut keys: Vec<String> = objects.first().map(|o| o.keys().cloned().collect()).unwrap_or_default();
                for object in objects.iter().skip(1) {
                    let same = object.len() == keys.len() && keys.iter().all(|k| object.contains_key(k));
                    if !same {
                        if !self.prefer.missing_default {
                            return Err(RestError::body("All object keys must match"));
                        }
                        for k in object.keys() {
                            if !keys.contains(k) {
                                keys.push(k.clone());
                            }
                        }
                    }
                }
                keys
            }
        };
        for column in &columns {
            if table.column(column).is_none() {
                return Err(RestError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST204",
                    format!(
                        "Could not find the '{column}' column of '{}' in the schema cache",
                        table.name
                    ),
                ));
            }
        }
        Ok(columns)
    }

    /// The `select` over the mutated rows (`pgrst_mut`), when the caller asked for them.
    fn returning_source(&self, planner: &mut Planner, table: &Table, query: &Query) -> Result<String, RestError> {
        let empty = Vec::new();
        let items = query.select.as_ref().unwrap_or(&empty);
        planner.skip_root_filters = true;
        let rendered = planner.render(table, items, "", "_t0")?;
        Ok(format!(
            "pgrst_source as (select {} from pgrst_mut _t0)",
            rendered.select_list()
        ))
    }

    fn wants_body(&self) -> bool {
        self.prefer.representation.as_deref() == Some("representation")
    }

    async fn insert(
        &self,
        cache: &SchemaCache,
        table: &Table,
        query: &Query,
        body: &Bytes,
    ) -> Result<Response, RestError> {
        if table.is_view() && table.kind == 'm' {
            return Err(RestError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "PGRST117",
                "a materialized view cannot be written",
            ));
        }
        let payload = self.payload(body)?;
        let columns = self.write_columns(table, query, &payload)?;
        let mut planner = Planner::new(cache, query);
        let rows_json = planner.sql.bind(payload.to_string());
        let quoted: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        let values: Vec<String> = columns
            .iter()
            .map(|c| {
                let column = table.column(c).expect("checked");
                match (&column.default, self.prefer.missing_default) {
                    (Some(default), true) => format!(
                        "case when _p._j::jsonb ? {} then _p.{} else {default} end",
                        planner.sql.bind(c.clone()),
                        ident(c)
                    ),
                    _ => format!("_p.{}", ident(c)),
                }
            })
            .collect();
        let conflict = match self.prefer.resolution.as_deref() {
            None => String::new(),
            Some(resolution) => {
                let target = query.on_conflict.clone().unwrap_or_else(|| table.primary_key.clone());
                if target.is_empty() || target.iter().any(|c| table.column(c).is_none()) {
                    return Err(RestError::new(
                        StatusCode::BAD_REQUEST,
                        "42P10",
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification",
                    ));
                }
                let target_sql = target.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
                if resolution == "ignore-duplicates" {
                    format!(" on conflict ({target_sql}) do nothing")
                } else {
                    let sets: Vec<String> = columns
                        .iter()
                        .map(|c| format!("{0} = excluded.{0}", ident(c)))
                        .collect();
                    if sets.is_empty() {
                        format!(" on conflict ({target_sql}) do nothing")
                    } else {
                        format!(" on conflict ({target_sql}) do update set {}", sets.join(", "))
                    }
                }
            }
        };
        let source_rows = format!(
            "select _r.*, _e.value as _j from json_array_elements(case when json_typeof({rows_json}::json) = 'array' \
             then {rows_json}::json else json_build_array({rows_json}::json) end) _e, \
             lateral json_populate_record(null::{}, _e.value) _r",
            qualified(&table.name)
        );
        let mutation = if columns.is_empty() {
            format!("insert into {} default values", qualified(&table.name))
        } else {
            format!(
                "insert into {} ({}) select {} from ({source_rows}) _p{conflict}",
                qualified(&table.name),
                quoted.join(", "),
                values.join(", ")
            )
        };
        self.mutate(planner, table, query, mutation, StatusCode::CREATED).await
    }

    async fn update(
        &self,
        cache: &SchemaCache,
        table: &Table,
        query: &Query,
        body: &Bytes,
    ) -> Result<Response, RestError> {
        let payload = self.payload(body)?;
        if !payload.is_object() {
            return Err(RestError::body("PATCH takes one JSON object"));
        }
        let columns = self.write_columns(table, query, &payload)?;
        let mut planner = Planner::new(cache, query);
        let json = planner.sql.bind(payload.to_string());
        let conditions = self.root_conditions(&mut planner, table, query)?;
        if columns.is_empty() {
            // Nothing to change: PostgREST answers as if no row matched.
            let mutation = format!("select * from {} _t0 where false", qualified(&table.name));
            return self.mutate(planner, table, query, mutation, StatusCode::OK).await;
        }
        let sets: Vec<String> = columns.iter().map(|c| format!("{0} = _p.{0}", ident(c))).collect();
        let mutation = format!(
            "update {} _t0 set {} from (select * from json_populate_record(null::{}, {json}::json)) _p{conditions}",
            qualified(&table.name),
            sets.join(", "),
            qualified(&table.name)
        );
        self.mutate(planner, table, query, mutation, StatusCode::OK).await
    }

    async fn delete(&self, cache: &SchemaCache, table: &Table, query: &Query) -> Result<Response, RestError> {
        let mut planner = Planner::new(cache, query);
        let conditions = self.root_conditions(&mut planner, table, query)?;
        let mutation = format!("delete from {} _t0{conditions}", qualified(&table.name));
        self.mutate(planner, table, query, mutation, StatusCode::OK).await
    }

    /// The root filters of a PATCH or DELETE, with `limit` (and `order`) applied through the
    /// rows' `ctid`s as PostgREST does.
    fn root_conditions(&self, planner: &mut Planner, table: &Table, query: &Query) -> Result<String, RestError> {
        let level = query.level("");
        let Some(limit) = level.limit else {
            let conditions = level
                .logic
                .iter()
                .map(|logic| planner.logic(table, "_t0", logic))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(if conditions.is_empty() {
                String::new()
            } else {
                format!(" where {}", conditions.join(" and "))
            });
        };
        let conditions = level
            .logic
            .iter()
            .map(|logic| planner.logic(table, "_t1", logic))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" where {}", conditions.join(" and "))
        };
        let order = planner.order_clause(table, "_t1", &level.order)?;
        Ok(format!(
            " where _t0.ctid = any (array(select _t1.ctid from {} _t1{filter}{order} limit {limit}))",
            qualified(&table.name)
        ))
    }

    async fn mutate(
        &self,
        mut planner: Planner<'_>,
        table: &Table,
        query: &Query,
        mutation: String,
        status: StatusCode,
    ) -> Result<Response, RestError> {
        let wants_body = self.wants_body() || self.format == Format::Object && self.prefer.representation.is_none();
        let headers_only = self.prefer.representation.as_deref() == Some("headers-only");
        let source = if wants_body {
            self.returning_source(&mut planner, table, query)?
        } else if headers_only && !table.primary_key.is_empty() {
            let keys: Vec<String> = table.primary_key.iter().map(|c| format!("_t0.{}", ident(c))).collect();
            format!("pgrst_source as (select {} from pgrst_mut _t0)", keys.join(", "))
        } else {
            "pgrst_source as (select 1 from pgrst_mut)".into()
        };
        // Updates and deletes alias the table `_t0` (an update's `from` adds the payload's
        // columns, which `*` would repeat).
        let row = if mutation.starts_with("insert") { "*" } else { "_t0.*" };
        let returning = if wants_body || headers_only {
            format!(" returning {row}")
        } else {
            " returning 1".to_owned()
        };
        let statement = self.envelope(
            &format!("pgrst_mut as ({mutation}{returning}), {source}"),
            if self.prefer.count.is_some() {
                "(select count(*) from pgrst_mut)"
            } else {
                "null"
            },
        );
        let params = planner.sql.param_refs();
        let format = self.format;
        let outcome = self
            .run(&statement, &params, None, move |o| {
                if format == Format::Object && o.rows != 1 {
                    Err(RestError::new(
                        StatusCode::NOT_ACCEPTABLE,
                        "PGRST116",
                        "JSON object requested, multiple (or no) rows returned",
                    )
                    .details(format!("The result contains {} rows", o.rows)))
                } else {
                    Ok(())
                }
            })
            .await?;
        if wants_body {
            let status = if status == StatusCode::CREATED {
                status
            } else {
                StatusCode::OK
            };
            return self.answer(outcome, status, 0, false);
        }
        let rows = outcome.rows;
        let mut response = if status == StatusCode::CREATED {
            StatusCode::CREATED.into_response()
        } else {
            StatusCode::NO_CONTENT.into_response()
        };
        let h = response.headers_mut();
        let range = if rows == 0 {
            "*/*".to_owned()
        } else {
            format!("0-{}/*", rows - 1)
        };
        h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&range).unwrap());
        if headers_only {
            if let Some(first) = serde_json::from_str::<Value>(&outcome.body)
                .ok()
                .and_then(|v| v.get(0).cloned())
            {
                let location = table
                    .primary_key
                    .iter()
                    .map(|k| format!("{k}=eq.{}", first.get(k).map(json_text).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("&");
                if let Ok(v) = HeaderValue::from_str(&format!("/{}?{location}", table.name)) {
                    h.insert(header::LOCATION, v);
                }
            }
        }
        if let Some(applied) = self.prefer.applied() {
            if let Ok(v) = HeaderValue::from_str(&applied) {
                h.insert("preference-applied", v);
            }
        }
        Ok(response)
    }

    async fn rpc(
        &self,
        cache: &SchemaCache,
        name: &str,
        candidates: &[Function],
        query: &Query,
        body: &Bytes,
    ) -> Result<Response, RestError> {
        let args: Map<String, Value> = match *self.method {
            Method::GET | Method::HEAD => query
                .rpc_args
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
            Method::POST => match self.payload(body)? {
                Value::Object(o) => o,
                other => {
                    // A single unnamed json parameter takes any JSON.
                    let mut m = Map::new();
                    m.insert(String::new(), other);
                    m
                }
            },
            _ => {
                return Err(RestError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "PGRST117",
                    format!("Unsupported HTTP method: {}", self.method),
                ))
            }
        };
        let function = pick_function(candidates, &args).ok_or_else(|| {
            let mut keys: Vec<&String> = args.keys().collect();
            keys.sort();
            RestError::new(
                StatusCode::NOT_FOUND,
                "PGRST202",
                format!(
                    "Could not find the function public.{name}({}) in the schema cache",
                    keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
            .hint("Perhaps you meant to call a function with other arguments, or the schema cache is stale.")
        })?;
        let mut planner = Planner::new(cache, query);
        let call = if function.takes_single_json() && !(args.len() == 1 && args.contains_key("")) {
            let p = planner.sql.bind(Value::Object(args.clone()).to_string());
            format!("{}({p}::{})", qualified(&function.name), function.args[0].sql_type)
        } else if function.takes_single_json() {
            let p = planner
                .sql
                .bind(args.get("").cloned().unwrap_or(Value::Null).to_string());
            format!("{}({p}::{})", qualified(&function.name), function.args[0].sql_type)
        } else {
            let mut named = Vec::new();
            for arg in &function.args {
                if let Some(value) = args.get(&arg.name) {
                    let text = json_text(value);
                    let p = if value.is_null() {
                        format!("null::{}", arg.sql_type)
                    } else if arg.sql_type.ends_with("[]") && value.is_array() {
                        // JSON arrays become Postgres arrays through json_populate_record's rules.
                        let p = planner.sql.bind(value.to_string());
                        format!(
                            "(select array_agg(x) from json_array_elements_text({p}::json) x)::{}",
                            arg.sql_type
                        )
                    } else {
                        planner.sql.bind_as(text, &arg.sql_type)
                    };
                    named.push(format!("{} := {p}", ident(&arg.name)));
                }
            }
            format!("{}({})", qualified(&function.name), named.join(", "))
        };
        let synthetic = |name: &str, attrs: &[(String, String)]| Table {
            name: name.to_owned(),
            kind: 'c',
            comment: None,
            columns: attrs
                .iter()
                .map(|(n, t)| crate::schema::Column {
                    name: n.clone(),
                    sql_type: t.clone(),
                    type_name: t.clone(),
                    type_category: if t.ends_with("[]") { 'A' } else { 'U' },
                    nullable: true,
                    default: None,
                    generated: false,
                    identity: false,
                    comment: None,
                })
                .collect(),
            primary_key: Vec::new(),
            unique_keys: Vec::new(),
        };
        let row_table = if !function.out_columns.is_empty() {
            Some(synthetic(&function.name, &function.out_columns))
        } else if function.returns_composite {
            cache.table(&function.return_type_name).cloned().or_else(|| {
                cache
                    .composites
                    .get(&function.return_type_name)
                    .map(|a| synthetic(&function.return_type_name, a))
            })
        } else {
            None
        };
        let (statement, offset) = match (&row_table, function.returns_composite) {
            (Some(table), _) => {
                let alias = planner.next_alias();
                let empty = Vec::new();
                let items = query.select.as_ref().unwrap_or(&empty);
                let mut rendered = planner.render(table, items, "", &alias)?;
                let (offset, limit) = self.window(query, &mut rendered);
                rendered.limit = limit;
                let from = format!("{call} {alias}{}", rendered.where_clause());
                let source = format!(
                    "pgrst_source as (select {} from {from}{})",
                    rendered.select_list(),
                    rendered.tail()
                );
                (self.envelope(&source, "null"), offset)
            }
            (None, true) => {
                // `returns table (...)`/`record`: columns unknown to the cache; rows as they come.
                let source = format!("pgrst_source as (select * from {call} _t0)");
                (self.envelope(&source, "null"), 0)
            }
            (None, false) if function.returns_set => {
                let source = format!("pgrst_source as (select _t0 from {call} _t0)");
                let statement = self
                    .envelope(&source, "null")
                    .replace("json_agg(_postgrest_t)", "json_agg(_postgrest_t._t0)");
                (statement, 0)
            }
            (None, false) => {
                let statement = format!(
                    "select to_json({call})::text, 1::int8, null::int8,
                            nullif(current_setting('response.status', true), ''),
                            nullif(current_setting('response.headers', true), '')"
                );
                (statement, 0)
            }
        };
        let params = planner.sql.param_refs();
        let singular = function.returns_set || function.returns_composite && row_table.is_some();
        let format = self.format;
        let mut outcome = self
            .run(&statement, &params, None, move |o| {
                if format == Format::Object && singular && o.rows != 1 {
                    Err(RestError::new(
                        StatusCode::NOT_ACCEPTABLE,
                        "PGRST116",
                        "JSON object requested, multiple (or no) rows returned",
                    )
                    .details(format!("The result contains {} rows", o.rows)))
                } else {
                    Ok(())
                }
            })
            .await?;
        if function.is_void() {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Some(custom) = outcome.status.as_deref().and_then(|s| s.parse::<u16>().ok()) {
                *response.status_mut() = StatusCode::from_u16(custom).unwrap_or(StatusCode::NO_CONTENT);
            }
            return Ok(response);
        }
        if !function.returns_set && function.returns_composite && self.format == Format::Json {
            // One row, not a set: PostgREST answers the object itself.
            if let Ok(Value::Array(mut rows)) = serde_json::from_str::<Value>(&outcome.body) {
                outcome.body = if rows.is_empty() {
                    "null".into()
                } else {
                    rows.remove(0).to_string()
                };
            }
        }
        self.answer(outcome, StatusCode::OK, offset, function.returns_set)
    }
}

/// The overload whose named arguments the call supplies: every argument without a default
/// given, nothing given that the function does not take.
fn pick_function<'f>(candidates: &'f [Function], args: &Map<String, Value>) -> Option<&'f Function> {
    candidates
        .iter()
        .find(|f| {
            !f.takes_single_json()
                && args.keys().all(|k| f.args.iter().any(|a| &a.name == k))
                && f.args.iter().all(|a| a.has_default || args.contains_key(&a.name))
        })
        .or_else(|| candidates.iter().find(|f| f.takes_single_json()))
}

/// A JSON value as the text Postgres parses: strings bare, everything else as JSON.
fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object()) => format!(
            "{{{}}}",
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
                    Value::Null => "NULL".into(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// A JSON array of objects as CSV: a header of the first object's keys, then one line each.
pub fn to_csv(body: &str) -> String {
    let rows: Vec<Map<String, Value>> = serde_json::from_str(body).unwrap_or_default();
    let Some(first) = rows.first() else {
        return String::new();
    };
    let keys: Vec<&String> = first.keys().collect();
    let cell = |v: Option<&Value>| -> String {
        let text = match v {
            None | Some(Value::Null) => return String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let mut out = keys
        .iter()
        .map(|k| cell(Some(&Value::String((*k).clone()))))
        .collect::<Vec<_>>()
        .join(",");
    for row in &rows {
        out.push('\n');
        out.push_str(&keys.iter().map(|k| cell(row.get(*k))).collect::<Vec<_>>().join(","));
    }
    out
}
