//! Removes the previous demo data before a load: the demo users (auth.users at the demo
//! e-mail domain) and every row that points at them, directly or through other rows, found
//! by following the foreign keys in the catalogue. Reference data is never reached: it
//! points at nothing the demo made.
//!
//! Runs inside the load's transaction with triggers and foreign-key actions off
//! (`session_replication_role = replica`), so it does itself what `on delete` would do:
//! rows reached through a cascading or restricting key are deleted, optional links
//! (`on delete set null`) of other tables are cleared. Rows of the tables the demo writes
//! are always deleted, whatever the key says, so a re-run leaves the same counts.
//!
//! Cost matters at a million bookings, so the walk works on whole tables where it can: when
//! every row of a table is doomed (every user is a demo user, say), every row pointing at it
//! through a not-null key is too, with no id looked at. Otherwise doomed ids are collected
//! in temp tables, for the tables something references; the rest (histories, events, GPS
//! fixes: the big ones) are matched by a predicate over their keys. A table whose rows are
//! all doomed, and whose dependants are all doomed or empty, is truncated.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use tokio_postgres::Transaction;

use super::DEMO_EMAIL_DOMAIN;

struct Edge {
    child: String,
    parent: String,
    /// `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default.
    on_delete: char,
    columns: Vec<String>,
    ref_columns: Vec<String>,
    set_columns: Vec<String>,
    not_null: bool,
}

/// Which rows of a table are doomed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Doomed {
    /// Those whose ids are in temp table `demo_gone_<slot>`.
    Ids(usize),
    All,
}

/// What the clean-up removed.
#[derive(Debug, Default, Clone)]
pub struct Removed {
    pub rows: u64,
    pub tables: usize,
}

pub async fn remove_previous(tx: &Transaction<'_>, written: &[&str]) -> anyhow::Result<Removed> {
    let edges = foreign_keys(tx).await?;
    let id_types = id_columns(tx).await?;
    let written: BTreeSet<&str> = written.iter().copied().collect();
    let referenced: BTreeSet<&str> = edges.iter().map(|e| e.parent.as_str()).collect();
    let tracked = |table: &str| referenced.contains(table) && id_types.contains_key(table);
    // Larger temp buffers keep the id sets in memory; Postgres refuses the change once the
    // session has used temp tables (an earlier load on the same connection), hence the
    // savepoint.
    tx.batch_execute("savepoint demo_temp_buffers").await?;
    if tx.batch_execute("set local temp_buffers = '256MB'").await.is_ok() {
        tx.batch_execute("release savepoint demo_temp_buffers").await?;
    } else {
        tx.batch_execute("rollback to savepoint demo_temp_buffers").await?;
    }

    let mut state: BTreeMap<String, Doomed> = BTreeMap::new();
    let mut slots = 0usize;
    let mut predicate: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut null_edges: BTreeSet<usize> = BTreeSet::new();

    let demo_user = format!("lower(email) like '%@{DEMO_EMAIL_DOMAIN}'");
    let row = tx
        .query_one(
            &format!("select count(*) filter (where {demo_user}), count(*) from auth.users"),
            &[],
        )
        .await?;
    let (demo_users, all_users): (i64, i64) = (row.get(0), row.get(1));
    if demo_users == 0 {
        return Ok(Removed::default());
    }
    // What became doomed in the last round: whole tables, or ids found in that round.
    let mut fresh: BTreeMap<String, Option<i32>> = BTreeMap::new();
    let users = "auth.users".to_owned();
    if demo_users == all_users {
        state.insert(users.clone(), Doomed::All);
        fresh.insert(users, None);
    } else {
        let slot = new_slot(tx, &mut slots, &id_types, &users).await?;
        tx.execute(
            &format!("insert into demo_gone_{slot} select id, 0 from auth.users where {demo_user}"),
            &[],
        )
        .await?;
        state.insert(users.clone(), Doomed::Ids(slot));
        fresh.insert(users, Some(0));
    }

    let mut round = 0i32;
    while !fresh.is_empty() {
        round += 1;
        let mut next: BTreeMap<String, Option<i32>> = BTreeMap::new();
        for (parent, found_in) in &fresh {
            // A table found whole earlier in this round is followed as a whole.
            let found_in = if state[parent] == Doomed::All { None } else { *found_in };
            for (e, edge) in edges.iter().enumerate().filter(|(_, e)| &e.parent == parent) {
                if matches!(edge.on_delete, 'n' | 'd') && !written.contains(edge.child.as_str()) {
                    null_edges.insert(e);
                    continue;
                }
                if !tracked(&edge.child) {
                    predicate.entry(edge.child.clone()).or_default().insert(e);
                    continue;
                }
                if state.get(&edge.child) == Some(&Doomed::All) {
                    continue;
                }
                if found_in.is_none() && edge.not_null {
                    state.insert(edge.child.clone(), Doomed::All);
                    next.insert(edge.child.clone(), None);
                    continue;
                }
                let slot = match state.get(&edge.child) {
                    Some(Doomed::Ids(slot)) => *slot,
                    _ => {
                        let slot = new_slot(tx, &mut slots, &id_types, &edge.child).await?;
                        state.insert(edge.child.clone(), Doomed::Ids(slot));
                        slot
                    }
                };
                let condition = match found_in {
                    None => not_null(edge, "x"),
                    Some(r) => matches(edge, "x", &gone(&state, parent), Some(r)),
                };
                let found = tx
                    .execute(
                        &format!(
                            "insert into demo_gone_{slot} select x.id, {round} from {child} x where {condition}
                             on conflict do nothing",
                            child = edge.child,
                        ),
                        &[],
                    )
                    .await
                    .with_context(|| format!("finding demo rows of {} through {}", edge.child, edge.parent))?;
                if found > 0 {
                    next.entry(edge.child.clone()).or_insert(Some(round));
                }
            }
        }
        fresh = next;
    }

    // Rows matched through one key of a predicate table; `None` when that key dooms them all.
    let term = |e: usize| -> Option<String> {
        let edge = &edges[e];
        match state[&edge.parent] {
            Doomed::All if edge.not_null => None,
            Doomed::All => Some(not_null(edge, "x")),
            Doomed::Ids(_) => Some(matches(edge, "x", &gone(&state, &edge.parent), None)),
        }
    };
    let mut predicate_sql: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (table, keys) in &predicate {
        let terms: Option<Vec<String>> = keys.iter().map(|&e| term(e)).collect();
        predicate_sql.insert(table.clone(), terms.map(|t| t.join(" or ")));
    }

    // How many rows of each table go, and which tables can simply be truncated.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut doomed: BTreeMap<String, u64> = BTreeMap::new();
    for (table, how) in &state {
        let n = match how {
            Doomed::All => count(tx, &mut counts, table).await?,
            Doomed::Ids(slot) => tx
                .query_one(&format!("select count(*) from demo_gone_{slot}"), &[])
                .await?
                .get::<_, i64>(0) as u64,
        };
        doomed.insert(table.clone(), n);
    }
    for (table, sql) in &predicate_sql {
        let n = match sql {
            None => count(tx, &mut counts, table).await?,
            Some(sql) => tx
                .query_one(&format!("select count(*) from {table} x where {sql}"), &[])
                .await
                .with_context(|| format!("counting demo rows of {table}"))?
                .get::<_, i64>(0) as u64,
        };
        doomed.insert(table.clone(), n);
    }
    doomed.retain(|_, n| *n > 0);

    let mut truncate: BTreeSet<String> = BTreeSet::new();
    for (table, &n) in &doomed {
        if count(tx, &mut counts, table).await? == n {
            truncate.insert(table.clone());
        }
    }
    // Truncation must take every dependant table along: keep a table only while each of its
    // dependants is truncated too, adding empty dependants, dropping the rest for good.
    let mut blocked: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut changed = false;
        for table in truncate.clone() {
            if !truncate.contains(&table) {
                continue;
            }
            for edge in edges.iter().filter(|e| e.parent == table && e.child != table) {
                if truncate.contains(&edge.child) {
                    continue;
                }
                if !blocked.contains(&edge.child) && count(tx, &mut counts, &edge.child).await? == 0 {
                    truncate.insert(edge.child.clone());
                } else {
                    truncate.remove(&table);
                    blocked.insert(table.clone());
                    changed = true;
                    break;
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }

    // Links are cleared and predicate tables emptied while the rows they match still exist.
    for &e in &null_edges {
        let edge = &edges[e];
        let set = if edge.set_columns.is_empty() {
            &edge.columns
        } else {
            &edge.set_columns
        };
        let value = if edge.on_delete == 'd' { "default" } else { "null" };
        let assignments: Vec<String> = set.iter().map(|c| format!("{c} = {value}")).collect();
        let condition = match state[&edge.parent] {
            Doomed::All => not_null(edge, "x"),
            Doomed::Ids(_) => matches(edge, "x", &gone(&state, &edge.parent), None),
        };
        tx.execute(
            &format!(
                "update {child} x set {assignments} where {condition}",
                child = edge.child,
                assignments = assignments.join(", "),
            ),
            &[],
        )
        .await
        .with_context(|| format!("clearing links from {} to demo rows", edge.child))?;
    }
    let mut removed = Removed::default();
    for (table, &n) in &doomed {
        removed.tables += 1;
        removed.rows += n;
        if truncate.contains(table) {
            continue;
        }
        if let Some(sql) = predicate_sql.get(table) {
            let condition = sql.as_deref().unwrap_or("true");
            tx.execute(&format!("delete from {table} x where {condition}"), &[])
                .await
                .with_context(|| format!("deleting demo rows of {table}"))?;
        }
    }
    if !truncate.is_empty() {
        let list: Vec<&str> = truncate.iter().map(String::as_str).collect();
        tx.batch_execute(&format!("truncate {}", list.join(", ")))
            .await
            .context("truncating demo tables")?;
    }
    for (table, how) in &state {
        if truncate.contains(table) || !doomed.contains_key(table) {
            continue;
        }
        let statement = match how {
            Doomed::All => format!("delete from {table}"),
            Doomed::Ids(slot) => format!("delete from {table} x using demo_gone_{slot} g where g.id = x.id"),
        };
        tx.execute(&statement, &[])
            .await
            .with_context(|| format!("deleting demo rows of {table}"))?;
    }
    for slot in 0..slots {
        tx.batch_execute(&format!("drop table demo_gone_{slot}")).await?;
    }
    Ok(removed)
}

fn gone(state: &BTreeMap<String, Doomed>, table: &str) -> String {
    match state[table] {
        Doomed::Ids(slot) => format!("demo_gone_{slot}"),
        Doomed::All => unreachable!("{table} is doomed whole, it has no id set"),
    }
}

/// Rows that point anywhere through `edge` (all of them point at doomed rows when the whole
/// parent table is doomed).
fn not_null(edge: &Edge, alias: &str) -> String {
    let cols: Vec<String> = edge
        .columns
        .iter()
        .map(|c| format!("{alias}.{c} is not null"))
        .collect();
    format!("({})", cols.join(" and "))
}

/// Whether row `alias` points, through `edge`, at a parent row whose id is in the temp table
/// `gone` (only those found in `round`, if given). Probes the temp table's primary key: an
/// `in (subquery)` would do as well alone, but several of them or-ed together fall back
/// to rescanning the subquery per row once the id set outgrows work_mem.
fn matches(edge: &Edge, alias: &str, gone: &str, round: Option<i32>) -> String {
    let in_round = round.map(|r| format!(" and g.round = {r}")).unwrap_or_default();
    if edge.ref_columns.len() == 1 && edge.ref_columns[0] == "id" {
        return format!(
            "exists (select 1 from {gone} g where g.id = {alias}.{}{in_round})",
            edge.columns[0]
        );
    }
    let joined: Vec<String> = edge
        .columns
        .iter()
        .zip(&edge.ref_columns)
        .map(|(c, r)| format!("p.{r} = {alias}.{c}"))
        .collect();
    format!(
        "exists (select 1 from {} p join {gone} g on g.id = p.id{in_round} where {})",
        edge.parent,
        joined.join(" and ")
    )
}

async fn new_slot(
    tx: &Transaction<'_>,
    slots: &mut usize,
    id_types: &BTreeMap<String, String>,
    table: &str,
) -> anyhow::Result<usize> {
    let slot = *slots;
    let ty = &id_types[table];
    tx.batch_execute(&format!(
        "create temp table demo_gone_{slot} (id {ty} primary key, round integer not null) on commit drop"
    ))
    .await?;
    *slots += 1;
    Ok(slot)
}

async fn count(tx: &Transaction<'_>, cache: &mut BTreeMap<String, u64>, table: &str) -> anyhow::Result<u64> {
    if let Some(&n) = cache.get(table) {
        return Ok(n);
    }
    let n: i64 = tx
        .query_one(&format!("select count(*) from {table}"), &[])
        .await?
        .get(0);
    cache.insert(table.to_owned(), n as u64);
    Ok(n as u64)
}

/// Every foreign key, once (partitions inherit their parent's), with quoted names.
async fn foreign_keys(tx: &Transaction<'_>) -> anyhow::Result<Vec<Edge>> {
    let rows = tx
        .query(
            "select format('%I.%I', cn.nspname, cr.relname),
                    format('%I.%I', pn.nspname, pr.relname),
                    c.confdeltype::text,
                    array(select quote_ident(a.attname)
                            from unnest(c.conkey) with ordinality k(n, o)
                            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                           order by k.o),
                    array(select quote_ident(a.attname)
                            from unnest(c.confkey) with ordinality k(n, o)
                            join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n
                           order by k.o),
                    array(select quote_ident(a.attname)
                            from unnest(coalesce(c.confdelsetcols, '{}')) with ordinality k(n, o)
                            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                           order by k.o),
                    (select bool_and(a.attnotnull)
                       from unnest(c.conkey) k(n)
                       join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n)
               from pg_constraint c
               join pg_class cr on cr.oid = c.conrelid
               join pg_namespace cn on cn.oid = cr.relnamespace
               join pg_class pr on pr.oid = c.confrelid
               join pg_namespace pn on pn.oid = pr.relnamespace
              where c.contype = 'f' and c.conparentid = 0
              order by 1, 2, c.conname",
            &[],
        )
        .await
        .context("reading foreign keys")?;
    Ok(rows
        .iter()
        .map(|r| Edge {
            child: r.get(0),
            parent: r.get(1),
            on_delete: r.get::<_, String>(2).chars().next().unwrap_or('a'),
            columns: r.get(3),
            ref_columns: r.get(4),
            set_columns: r.get(5),
            not_null: r.get::<_, Option<bool>>(6).unwrap_or(false),
        })
        .collect())
}

/// Tables with an `id` column, and its type.
async fn id_columns(tx: &Transaction<'_>) -> anyhow::Result<BTreeMap<String, String>> {
    let rows = tx
        .query(
            "select format('%I.%I', n.nspname, c.relname), format_type(a.atttypid, a.atttypmod)
               from pg_class c
               join pg_namespace n on n.oid = c.relnamespace
               join pg_attribute a on a.attrelid = c.oid and a.attname = 'id' and not a.attisdropped
              where c.relkind in ('r', 'p') and not c.relispartition",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
