//! Secondary indexes around a large COPY: building an index once over the loaded rows is
//! several times faster than updating it row by row, most of all for GiST and for tables
//! with a dozen indexes like bookings. The indexes are dropped and recreated from their own
//! definitions (and comments) inside the load's transaction, so a failed load leaves them
//! exactly as they were. Indexes that back a constraint (primary keys, unique and
//! exclusion constraints) stay: the rows are checked against them as they arrive.

use tokio_postgres::Transaction;

/// Below this many rows a load updates the indexes in place.
const MIN_ROWS: i64 = 50_000;

pub struct Deferred {
    name: String,
    definition: String,
    comment: Option<String>,
}

/// Drops the secondary indexes of `table` when about `rows` rows are about to be loaded
/// and the table does not already hold more than that; returns what to rebuild.
pub async fn defer(tx: &Transaction<'_>, table: &str, rows: i64) -> anyhow::Result<Vec<Deferred>> {
    // Only the application's own tables: auth belongs to Supabase Auth.
    if rows < MIN_ROWS || !table.starts_with("public.") {
        return Ok(Vec::new());
    }
    let present: i64 = tx
        .query_one(
            &format!("select count(*) from (select 1 from {table} limit $1) x"),
            &[&rows],
        )
        .await?
        .get(0);
    if present >= rows {
        return Ok(Vec::new());
    }
    let found = tx
        .query(
            "select format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid),
                    obj_description(i.indexrelid, 'pg_class')
               from pg_index i
               join pg_class c on c.oid = i.indexrelid
               join pg_namespace n on n.oid = c.relnamespace
              where i.indrelid = $1::text::regclass
                and i.indisvalid and not i.indisreplident
                and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
              order by c.relname",
            &[&table],
        )
        .await?;
    let mut deferred = Vec::with_capacity(found.len());
    for row in &found {
        let name: String = row.get(0);
        // An index of a partitioned table is defined `on only` the parent; rebuilt without
        // `only` it comes back on every partition, as it was.
        let definition = row.get::<_, String>(1).replacen(" ON ONLY ", " ON ", 1);
        tx.batch_execute(&format!("drop index {name}")).await?;
        deferred.push(Deferred {
            name,
            definition,
            comment: row.get(2),
        });
    }
    Ok(deferred)
}

pub async fn rebuild(tx: &Transaction<'_>, deferred: &[Deferred]) -> anyhow::Result<()> {
    for index in deferred {
        tx.batch_execute(&index.definition).await?;
        if let Some(comment) = &index.comment {
            // standard_conforming_strings is on in every supported Postgres.
            tx.batch_execute(&format!(
                "comment on index {} is '{}'",
                index.name,
                comment.replace('\'', "''")
            ))
            .await?;
        }
    }
    Ok(())
}
