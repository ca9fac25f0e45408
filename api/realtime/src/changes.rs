//! `postgres_changes`, as Supabase Realtime's WALRUS delivers them: a temporary logical
//! replication slot with the wal2json plugin is read every few milliseconds; each insert,
//! update or delete on a table of the `supabase_realtime` publication goes to the channels
//! subscribed to it whose filter it passes, and, for inserts and updates, only to those whose
//! subscriber may read the row: the database is asked, in a transaction acting as that
//! subscriber (role and JWT claims, so RLS applies), whether the row is visible. The record
//! sent holds only the columns the subscriber's role may select. Deletes cannot be checked
//! against a row that is gone: as on Supabase, they carry only the primary key.
//!
//! The same slot carries Broadcast from the database: a row inserted into `realtime.messages`
//! (by `realtime.send`) is broadcast to its topic's channels, private rows to private
//! channels only, whose subscribers the topic's policies admitted when they joined.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use serde_json::{json, Map, Value};
use tokio_postgres::NoTls;

use crate::{protocol::Message, Outgoing, Realtime};

/// How often the slot is read when it had nothing.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// How often broadcast rows older than [`MESSAGES_KEPT`] are deleted (Supabase drops each
/// day's partition after a few days).
const MESSAGES_SWEEP: Duration = Duration::from_secs(600);
const MESSAGES_KEPT: &str = "3 days";
/// Changes taken from the slot per read.
const BATCH: i32 = 2000;

/// One row change as wal2json (format 2) reports it.
#[derive(Debug, Clone)]
pub struct Change {
    pub action: char,
    pub schema: String,
    pub table: String,
    pub columns: Vec<(String, String, Value)>,
    pub identity: Vec<(String, String, Value)>,
    pub timestamp: String,
}

impl Change {
    pub fn parse(data: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(data).ok()?;
        let action = v.get("action")?.as_str()?.chars().next()?;
        if !matches!(action, 'I' | 'U' | 'D') {
            return None;
        }
        let list = |key: &str| -> Vec<(String, String, Value)> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|c| {
                            Some((
                                c.get("name")?.as_str()?.to_owned(),
                                c.get("type")?.as_str()?.to_owned(),
                                c.get("value").cloned().unwrap_or(Value::Null),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(Self {
            action,
            schema: v.get("schema")?.as_str()?.to_owned(),
            table: v.get("table")?.as_str()?.to_owned(),
            columns: list("columns"),
            identity: list("identity"),
            timestamp: v
                .get("timestamp")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self.action {
            'I' => "INSERT",
            'U' => "UPDATE",
            _ => "DELETE",
        }
    }

    /// A row written to `realtime.messages`, as the broadcast its channels receive: the
    /// channel topic, whether it is private, and the message.
    pub fn database_broadcast(&self) -> Option<(String, bool, Message)> {
        if self.action != 'I' || self.schema != "realtime" || self.table != "messages" {
            return None;
        }
        if self.value_of("extension").and_then(Value::as_str) != Some("broadcast") {
            return None;
        }
        let topic = format!("realtime:{}", self.value_of("topic")?.as_str()?);
        let private = match self.value_of("private") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.as_str(), "t" | "true"),
            _ => false,
        };
        // wal2json writes a jsonb value as its text.
        let payload = match self.value_of("payload") {
            Some(Value::String(text)) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone())),
            Some(other) => other.clone(),
            None => Value::Null,
        };
        let event = self.value_of("event").cloned().unwrap_or(Value::Null);
        let id = self.value_of("id").cloned().unwrap_or(Value::Null);
        let message = Message::new(
            &topic,
            "broadcast",
            json!({"type": "broadcast", "event": event, "payload": payload, "meta": {"id": id}}),
        );
        Some((topic, private, message))
    }

    fn value_of(&self, column: &str) -> Option<&Value> {
        let from = if self.action == 'D' {
            &self.identity
        } else {
            &self.columns
        };
        from.iter().find(|(n, _, _)| n == column).map(|(_, _, v)| v)
    }
}

/// Whether `role` may subscribe to changes of `schema.table`: the table is published and the
/// role may select from it (a role that cannot read the table is refused at once, as
/// Realtime reports "Unauthorized").
pub async fn may_subscribe(rt: &Realtime, role: &str, schema: &str, table: &str) -> Result<(), String> {
    if table == "*" {
        return Ok(());
    }
    let client = rt
        .db
        .pool
        .get()
        .await
        .map_err(|e| format!("database unavailable: {e}"))?;
    let row = client
        .query_one(
            "select exists (select 1 from pg_catalog.pg_publication_tables
                             where pubname = 'supabase_realtime' and schemaname = $1 and tablename = $2),
                    to_regclass(format('%I.%I', $1::text, $2::text)) is not null
                    and pg_catalog.has_table_privilege($3, format('%I.%I', $1::text, $2::text), 'SELECT')",
            &[&schema, &table, &role],
        )
        .await
        .map_err(|e| format!("checking the subscription: {e}"))?;
    let (published, readable): (bool, bool) = (row.get(0), row.get(1));
    if !published {
        return Err(format!("{schema}.{table} is not in the supabase_realtime publication"));
    }
    if !readable {
        return Err(format!("Unauthorized: {role} may not read {schema}.{table}"));
    }
    Ok(())
}

/// Creates the slot and starts reading it; fails when no replication login is configured or
/// wal2json is missing.
pub async fn start(rt: Arc<Realtime>) -> anyhow::Result<()> {
    let config = rt
        .replication
        .clone()
        .context("no replication login configured for postgres_changes")?;
    let (client, connection) = config
        .connect(NoTls)
        .await
        .context("connecting for the replication slot")?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::debug!(%err, "realtime slot connection closed");
        }
    });
    let slot = format!("ombaro_realtime_{}", uuid::Uuid::new_v4().simple());
    client
        .query_one(
            "select pg_catalog.pg_create_logical_replication_slot($1, 'wal2json', true)",
            &[&slot],
        )
        .await
        .context("creating the logical replication slot (is wal2json installed? scripts/setup installs it)")?;
    tracing::info!(%slot, "realtime reading changes");
    let privileges = Arc::new(Mutex::new(HashMap::new()));
    // The loop holds the API weakly: once the server is gone, the connection closes and the
    // temporary slot with it.
    let rt = Arc::downgrade(&rt);
    tokio::spawn(async move {
        let mut published = HashSet::new();
        let mut keys: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        let mut refreshed = std::time::Instant::now() - Duration::from_secs(60);
        let mut swept = std::time::Instant::now() - MESSAGES_SWEEP;
        loop {
            if swept.elapsed() >= MESSAGES_SWEEP {
                swept = std::time::Instant::now();
                let sweep =
                    format!("delete from realtime.messages where inserted_at < now() - interval '{MESSAGES_KEPT}'");
                if let Err(err) = client.batch_execute(&sweep).await {
                    tracing::debug!(%err, "deleting old realtime messages");
                }
            }
            if refreshed.elapsed() > Duration::from_secs(5) {
                if let Ok(rows) = client
                    .query(
                        "select schemaname::text, tablename::text from pg_catalog.pg_publication_tables
                          where pubname = 'supabase_realtime'",
                        &[],
                    )
                    .await
                {
                    published = rows
                        .iter()
                        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
                        .collect();
                    refreshed = std::time::Instant::now();
                }
            }
            let rows = match client
                .query(
                    "select data from pg_catalog.pg_logical_slot_get_changes($1, null, $2,
                       'format-version', '2', 'include-timestamp', '1', 'include-transaction', '0')",
                    &[&slot, &BATCH],
                )
                .await
            {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!(%err, "realtime stopped reading changes");
                    break;
                }
            };
            let got = rows.len();
            let Some(rt) = rt.upgrade() else { break };
            let read: Vec<Change> = rows
                .iter()
                .filter_map(|row| Change::parse(row.get::<_, &str>(0)))
                .collect();
            for (topic, private, message) in read.iter().filter_map(Change::database_broadcast) {
                rt.broadcast(&topic, private, None, &message);
            }
            let changes: Vec<Change> = read
                .into_iter()
                .filter(|c| published.contains(&(c.schema.clone(), c.table.clone())))
                .collect();
            if !changes.is_empty() {
                deliver(&rt, &changes, &privileges, &mut keys).await;
            }
            if got == 0 {
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    });
    Ok(())
}

/// A channel that may receive `change`: where to send it and as whom to check it.
struct Candidate {
    connection: u64,
    topic: String,
    join_ref: Option<String>,
    ids: Vec<u32>,
    role: String,
    claims: String,
}

/// Delivers one read's worth of changes: the channels each may reach, then one transaction
/// asking, for every (change, subscriber) pair, whether that subscriber sees the row, all
/// statements sent in one flight; then the messages.
async fn deliver(
    rt: &Realtime,
    changes: &[Change],
    privileges: &Mutex<HashMap<(String, String), Vec<String>>>,
    keys: &mut HashMap<(String, String), Vec<(String, String)>>,
) {
    let now = chrono::Utc::now().timestamp();
    let mut work: Vec<(usize, Vec<Candidate>)> = Vec::new();
    {
        let connections = rt.connections.lock().expect("connections lock");
        for (index, change) in changes.iter().enumerate() {
            let mut found = Vec::new();
            for (id, connection) in connections.iter() {
                for (topic, channel) in &connection.channels {
                    if channel.expires_at.is_some_and(|exp| exp <= now) {
                        continue;
                    }
                    let ids: Vec<u32> = channel
                        .changes
                        .iter()
                        .filter(|s| {
                            (s.event == "*" || s.event == change.kind())
                                && (s.schema == "*" || s.schema == change.schema)
                                && (s.table == "*" || s.table == change.table)
                                && s.filter.as_ref().is_none_or(|f| f.matches(change.value_of(&f.column)))
                        })
                        .map(|s| s.id)
                        .collect();
                    if !ids.is_empty() {
                        found.push(Candidate {
                            connection: *id,
                            topic: topic.clone(),
                            join_ref: channel.join_ref.clone(),
                            ids,
                            role: channel.role.clone(),
                            claims: channel.claims.to_string(),
                        });
                    }
                }
            }
            if !found.is_empty() {
                work.push((index, found));
            }
        }
    }
    if work.is_empty() {
        return;
    }
    for (index, _) in &work {
        let change = &changes[*index];
        let key = (change.schema.clone(), change.table.clone());
        if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(key) {
            slot.insert(primary_key(rt, &change.schema, &change.table).await);
        }
    }
    // One check per (change, distinct subscriber); deletes are not checked.
    let mut questions: Vec<(usize, String, String)> = Vec::new();
    for (index, candidates) in &work {
        if changes[*index].action == 'D' {
            continue;
        }
        let mut seen = HashSet::new();
        for c in candidates {
            if seen.insert((c.role.clone(), c.claims.clone())) {
                questions.push((*index, c.role.clone(), c.claims.clone()));
            }
        }
    }
    let answers = visibility(rt, changes, keys, &questions).await;
    for (index, candidates) in work {
        let change = &changes[index];
        let primary_key = keys
            .get(&(change.schema.clone(), change.table.clone()))
            .cloned()
            .unwrap_or_default();
        let commit_timestamp = commit_timestamp(&change.timestamp);
        for candidate in candidates {
            if change.action != 'D'
                && !answers
                    .get(&(index, candidate.role.clone(), candidate.claims.clone()))
                    .copied()
                    .unwrap_or(false)
            {
                continue;
            }
            let readable = readable_columns(rt, privileges, &candidate.role, &change.schema, &change.table).await;
            let keep = |name: &str| readable.iter().any(|c| c == name);
            let source = if change.action == 'D' {
                &change.identity
            } else {
                &change.columns
            };
            let columns: Vec<Value> = source
                .iter()
                .filter(|(n, _, _)| keep(n))
                .map(|(n, t, _)| json!({"name": n, "type": t}))
                .collect();
            let record: Map<String, Value> = change
                .columns
                .iter()
                .filter(|(n, _, _)| keep(n))
                .map(|(n, _, v)| (n.clone(), v.clone()))
                .collect();
            // Old values: the primary key only, as Realtime sends them when RLS is on (from the
            // old key when the slot reports one, else the unchanged key of the new row).
            let old_source = if change.identity.is_empty() {
                &change.columns
            } else {
                &change.identity
            };
            let old_record: Map<String, Value> = old_source
                .iter()
                .filter(|(n, _, _)| primary_key.iter().any(|(k, _)| k == n) && keep(n))
                .map(|(n, _, v)| (n.clone(), v.clone()))
                .collect();
            let mut data = json!({
                "schema": change.schema,
                "table": change.table,
                "commit_timestamp": commit_timestamp,
                "type": change.kind(),
                "columns": columns,
                "errors": null,
            });
            if change.action != 'D' {
                data["record"] = Value::Object(record);
            }
            if change.action != 'I' {
                data["old_record"] = Value::Object(old_record);
            }
            let mut message = Message::new(
                &candidate.topic,
                "postgres_changes",
                json!({"ids": candidate.ids, "data": data}),
            );
            message.join_ref = candidate.join_ref;
            let connections = rt.connections.lock().expect("connections lock");
            if let Some(connection) = connections.get(&candidate.connection) {
                let _ = connection.tx.send(Outgoing::Message(message));
            }
        }
    }
}

/// wal2json's `2026-12-06 10:11:12.123456+00` as RFC 3339.
fn commit_timestamp(raw: &str) -> String {
    chrono::DateTime::parse_from_str(&format!("{raw}00"), "%Y-%m-%d %H:%M:%S%.f%z")
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| raw.to_owned())
}

async fn primary_key(rt: &Realtime, schema: &str, table: &str) -> Vec<(String, String)> {
    let Ok(client) = rt.db.pool.get().await else {
        return Vec::new();
    };
    client
        .query(
            "select a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod)
               from pg_catalog.pg_index i
               join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
              where i.indrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and i.indisprimary
              order by array_position(i.indkey::int2[], a.attnum)",
            &[&schema, &table],
        )
        .await
        .map(|rows| rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        .unwrap_or_else(|err| {
            tracing::warn!(%err, "reading the primary key of {schema}.{table}");
            Vec::new()
        })
}

/// For each (change, role, claims), whether the changed row is visible to that subscriber
/// now: one transaction that switches to each subscriber in turn, every statement sent in one
/// flight. A statement that fails (a policy raising, say) aborts the transaction, and it and
/// every later answer count as not visible: nothing is delivered on doubt.
async fn visibility(
    rt: &Realtime,
    changes: &[Change],
    keys: &HashMap<(String, String), Vec<(String, String)>>,
    questions: &[(usize, String, String)],
) -> HashMap<(usize, String, String), bool> {
    let mut visible = HashMap::new();
    if questions.is_empty() {
        return visible;
    }
    let Ok(mut client) = rt.db.pool.get().await else {
        return visible;
    };
    let Ok(tx) = client.transaction().await else {
        return visible;
    };
    let Ok(set) = tx
        .prepare_cached("select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)")
        .await
    else {
        return visible;
    };
    let mut checks = Vec::new();
    for (index, _, _) in questions {
        let change = &changes[*index];
        let primary_key = keys
            .get(&(change.schema.clone(), change.table.clone()))
            .cloned()
            .unwrap_or_default();
        let conditions: Vec<String> = primary_key
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| format!("\"{}\" = ${}::text::{ty}", name.replace('"', "\"\""), i + 1))
            .collect();
        let sql = format!(
            "select exists (select 1 from \"{}\".\"{}\" where {})",
            change.schema.replace('"', "\"\""),
            change.table.replace('"', "\"\""),
            if conditions.is_empty() {
                "false".to_owned()
            } else {
                conditions.join(" and ")
            }
        );
        let values: Vec<Option<String>> = primary_key
            .iter()
            .map(|(name, _)| {
                change.value_of(name).and_then(|v| match v {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    other => Some(other.to_string()),
                })
            })
            .collect();
        checks.push((sql, values));
    }
    let futures = questions.iter().zip(&checks).map(|((_, role, claims), (sql, values))| {
        let tx = &tx;
        let set = &set;
        async move {
            let typed: Vec<(&(dyn tokio_postgres::types::ToSql + Sync), tokio_postgres::types::Type)> = values
                .iter()
                .map(|v| {
                    (
                        v as &(dyn tokio_postgres::types::ToSql + Sync),
                        tokio_postgres::types::Type::TEXT,
                    )
                })
                .collect();
            let (_, row) =
                futures_util::future::try_join(tx.execute(set, &[role, claims]), tx.query_typed_one(sql, &typed))
                    .await?;
            Ok::<bool, tokio_postgres::Error>(row.get(0))
        }
    });
    // `join_all` polls every future once in order before waiting: the whole batch is sent
    // at once, in order, and Postgres answers it in that order.
    let answers = futures_util::future::join_all(futures).await;
    for ((index, role, claims), answer) in questions.iter().zip(answers) {
        visible.insert((*index, role.clone(), claims.clone()), answer.unwrap_or(false));
    }
    let _ = tx.rollback().await;
    visible
}

/// The columns of `schema.table` that `role` may select, cached per role and table.
async fn readable_columns(
    rt: &Realtime,
    cache: &Mutex<HashMap<(String, String), Vec<String>>>,
    role: &str,
    schema: &str,
    table: &str,
) -> Vec<String> {
    let key = (role.to_owned(), format!("{schema}.{table}"));
    if let Some(columns) = cache.lock().expect("privileges lock").get(&key) {
        return columns.clone();
    }
    let Ok(client) = rt.db.pool.get().await else {
        return Vec::new();
    };
    let columns: Vec<String> = client
        .query(
            "select a.attname::text from pg_catalog.pg_attribute a
              where a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) and a.attnum > 0 and not a.attisdropped
                and pg_catalog.has_column_privilege($3, a.attrelid, a.attnum, 'SELECT')",
            &[&schema, &table, &role],
        )
        .await
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    cache.lock().expect("privileges lock").insert(key, columns.clone());
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_wal2json_format_2() {
        let insert = r#"{"action":"I","timestamp":"2026-12-06 10:11:12.123456+00","schema":"public","table":"bookings","columns":[{"name":"id","type":"uuid","value":"a"},{"name":"n","type":"integer","value":5}]}"#;
        let c = Change::parse(insert).unwrap();
        assert_eq!(c.kind(), "INSERT");
        assert_eq!(c.value_of("n"), Some(&json!(5)));
        assert_eq!(commit_timestamp(&c.timestamp), "2026-12-06T10:11:12.123Z");
        let delete = r#"{"action":"D","schema":"public","table":"bookings","identity":[{"name":"id","type":"uuid","value":"a"}]}"#;
        let d = Change::parse(delete).unwrap();
        assert_eq!(d.value_of("id"), Some(&json!("a")));
        assert!(Change::parse(r#"{"action":"B"}"#).is_none());
    }

    #[test]
    fn a_realtime_message_row_is_a_broadcast_to_its_topic() {
        let row = r#"{"action":"I","schema":"realtime","table":"messages","columns":[
            {"name":"topic","type":"text","value":"assignment:1:location"},
            {"name":"extension","type":"text","value":"broadcast"},
            {"name":"payload","type":"jsonb","value":"{\"latitude\": 12.97, \"id\": \"m1\"}"},
            {"name":"event","type":"text","value":"location"},
            {"name":"private","type":"boolean","value":true},
            {"name":"id","type":"uuid","value":"m1"}]}"#;
        let (topic, private, message) = Change::parse(row).unwrap().database_broadcast().unwrap();
        assert_eq!(topic, "realtime:assignment:1:location");
        assert!(private);
        assert_eq!(message.event, "broadcast");
        assert_eq!(message.payload["event"], "location");
        assert_eq!(message.payload["payload"]["latitude"], json!(12.97));
        let presence = row.replace(r#""value":"broadcast""#, r#""value":"presence""#);
        assert!(Change::parse(&presence).unwrap().database_broadcast().is_none());
        let elsewhere = row.replace(r#""table":"messages""#, r#""table":"notes""#);
        assert!(Change::parse(&elsewhere).unwrap().database_broadcast().is_none());
    }
}
