//! The schema cache: the tables, views, columns, keys, foreign keys and functions of the
//! exposed schema, read from the catalog in one read-only transaction when the API starts and
//! again on `NOTIFY pgrst, 'reload schema'`, as PostgREST does. Every identifier a request
//! names is looked up here before any SQL is written, so a request can only ever quote names
//! that exist.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_postgres::Client;

/// The one schema this API exposes.
pub const SCHEMA: &str = "public";

#[derive(Debug, Clone, Default, Serialize)]
pub struct SchemaCache {
    pub tables: BTreeMap<String, Table>,
    pub foreign_keys: Vec<ForeignKey>,
    pub functions: BTreeMap<String, Vec<Function>>,
    /// Enum types of the schema and their labels, in order.
    pub enums: BTreeMap<String, Vec<String>>,
    /// Composite types that are not tables, with their attributes.
    pub composites: BTreeMap<String, Vec<(String, String)>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub name: String,
    /// `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table.
    pub kind: char,
    pub comment: Option<String>,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Column sets with a unique constraint or index (the primary key included): what
    /// `on_conflict` may name.
    pub unique_keys: Vec<Vec<String>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn is_view(&self) -> bool {
        matches!(self.kind, 'v' | 'm')
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    /// `format_type` of the column, schema-qualified where the type is not a built-in.
    pub sql_type: String,
    /// The base type's name (`int4`, `text`, `booking_status` ...) and category (`N`, `S`,
    /// `E` enum, `A` array, `U` user ...).
    pub type_name: String,
    pub type_category: char,
    pub nullable: bool,
    /// The default expression as Postgres prints it.
    pub default: Option<String>,
    pub generated: bool,
    pub identity: bool,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForeignKey {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub foreign_table: String,
    pub foreign_columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: String,
    pub args: Vec<Arg>,
    /// `format_type` of the result (`void`, `integer`, `setof`-less name of a row type ...).
    pub return_type: String,
    pub return_type_name: String,
    /// The result is a row of a table or a composite type, so it can be filtered and
    /// embedded like one.
    pub returns_composite: bool,
    pub returns_set: bool,
    /// `i`, `s` or `v`.
    pub volatility: char,
    pub comment: Option<String>,
    /// The columns of `returns table (...)`.
    pub out_columns: Vec<(String, String)>,
}

impl Function {
    pub fn is_void(&self) -> bool {
        self.return_type == "void"
    }

    /// A function of one unnamed `json`/`jsonb` parameter takes the whole body.
    pub fn takes_single_json(&self) -> bool {
        self.args.len() == 1
            && self.args[0].name.is_empty()
            && matches!(self.args[0].sql_type.as_str(), "json" | "jsonb")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Arg {
    pub name: String,
    pub sql_type: String,
    pub has_default: bool,
}

impl SchemaCache {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Loads the cache in one read-only transaction.
    pub async fn load(client: &mut Client) -> Result<Self, tokio_postgres::Error> {
        let tx = client.build_transaction().read_only(true).start().await?;
        // Types print schema-qualified unless built in, whatever the login's search_path.
        tx.batch_execute("set local search_path = ''").await?;
        let mut cache = SchemaCache::default();

        for row in tx
            .query(
                "select c.relname::text, c.relkind::text, obj_description(c.oid, 'pg_class')
                   from pg_catalog.pg_class c
                  where c.relnamespace = $1::text::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
                    and not c.relispartition",
                &[&SCHEMA],
            )
            .await?
        {
            let name: String = row.get(0);
            let kind: String = row.get(1);
            cache.tables.insert(
                name.clone(),
                Table {
                    name,
                    kind: kind.chars().next().unwrap_or('r'),
                    comment: row.get(2),
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                    unique_keys: Vec::new(),
                },
            );
        }

        for row in tx
            .query(
                "select c.relname::text, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
                        coalesce(bt.typname, t.typname)::text, coalesce(bt.typcategory, t.typcategory)::text,
                        not a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                        a.attgenerated <> '', a.attidentity <> '', col_description(c.oid, a.attnum)
                   from pg_catalog.pg_attribute a
                   join pg_catalog.pg_class c on c.oid = a.attrelid
                   join pg_catalog.pg_type t on t.oid = a.atttypid
                   left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
                   left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                  where c.relnamespace = $1::text::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
                    and not c.relispartition and a.attnum > 0 and not a.attisdropped
                  order by c.relname, a.attnum",
                &[&SCHEMA],
            )
            .await?
        {
            let table: String = row.get(0);
            let category: String = row.get(4);
            if let Some(t) = cache.tables.get_mut(&table) {
                t.columns.push(Column {
                    name: row.get(1),
                    sql_type: row.get(2),
                    type_name: row.get(3),
                    type_category: category.chars().next().unwrap_or('U'),
                    nullable: row.get(5),
                    default: row.get(6),
                    generated: row.get(7),
                    identity: row.get(8),
                    comment: row.get(9),
                });
            }
        }

        for row in tx
            .query(
                "select c.relname::text, con.contype::text,
                        array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i)
                                join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n
                               order by k.i)
                   from pg_catalog.pg_constraint con
                   join pg_catalog.pg_class c on c.oid = con.conrelid
                  where c.relnamespace = $1::text::regnamespace and con.contype in ('p', 'u')
                 union all
                 select c.relname::text, 'u',
                        array(select a.attname::text from unnest(i.indkey) with ordinality k(n, o)
                                join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.n
                               order by k.o)
                   from pg_catalog.pg_index i
                   join pg_catalog.pg_class c on c.oid = i.indrelid
                  where c.relnamespace = $1::text::regnamespace and i.indisunique and i.indpred is null
                    and i.indexprs is null
                    and not exists (select 1 from pg_catalog.pg_constraint con where con.conindid = i.indexrelid)",
                &[&SCHEMA],
            )
            .await?
        {
            let table: String = row.get(0);
            let kind: String = row.get(1);
            let columns: Vec<String> = row.get(2);
            if let Some(t) = cache.tables.get_mut(&table) {
                if kind == "p" {
                    t.primary_key = columns.clone();
                }
                if !t.unique_keys.contains(&columns) {
                    t.unique_keys.push(columns);
                }
            }
        }

        for row in tx
            .query(
                "select con.conname::text, c.relname::text,
                        array(select a.attname::text from unnest(con.conkey) with ordinality k(n, i)
                                join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.n
                               order by k.i),
                        f.relname::text,
                        array(select a.attname::text from unnest(con.confkey) with ordinality k(n, i)
                                join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.n
                               order by k.i)
                   from pg_catalog.pg_constraint con
                   join pg_catalog.pg_class c on c.oid = con.conrelid
                   join pg_catalog.pg_class f on f.oid = con.confrelid
                  where con.contype = 'f' and con.conparentid = 0
                    and c.relnamespace = $1::text::regnamespace and f.relnamespace = $1::text::regnamespace
                  order by c.relname, con.conname",
                &[&SCHEMA],
            )
            .await?
        {
            cache.foreign_keys.push(ForeignKey {
                name: row.get(0),
                table: row.get(1),
                columns: row.get(2),
                foreign_table: row.get(3),
                foreign_columns: row.get(4),
            });
        }

        for row in tx
            .query(
                "select p.proname::text,
                        coalesce(p.proargnames, '{}'::text[]),
                        array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes) t),
                        coalesce(p.proargmodes::text[], '{}'::text[]),
                        p.pronargdefaults::int4,
                        pg_catalog.format_type(p.prorettype, null),
                        rt.typname::text,
                        rt.typtype = 'c' or rt.typrelid <> 0,
                        p.proretset, p.provolatile::text, obj_description(p.oid, 'pg_proc'),
                        array(select pg_catalog.format_type(t, null) from unnest(p.proallargtypes) t)
                   from pg_catalog.pg_proc p
                   join pg_catalog.pg_type rt on rt.oid = p.prorettype
                  where p.pronamespace = $1::text::regnamespace and p.prokind = 'f'
                    and not exists (select 1 from pg_catalog.pg_depend d
                                     where d.objid = p.oid and d.deptype = 'e')
                  order by p.proname",
                &[&SCHEMA],
            )
            .await?
        {
            let names: Vec<String> = row.get(1);
            let in_types: Vec<String> = row.get(2);
            let modes: Vec<String> = row.get(3);
            let defaults: i32 = row.get(4);
            let all_types: Vec<String> = row.get(11);
            let mut ret_type: String = row.get(5);
            let mut ret_name: String = row.get(6);
            let mut composite: bool = row.get(7);
            // Input arguments are those with mode i/b/v (or all, when no modes are recorded);
            // `returns table (...)` records its columns as mode t.
            let mut args = Vec::new();
            let mut out_columns = Vec::new();
            if modes.is_empty() {
                for (i, ty) in in_types.iter().enumerate() {
                    args.push(Arg {
                        name: names.get(i).cloned().unwrap_or_default(),
                        sql_type: ty.clone(),
                        has_default: false,
                    });
                }
            } else {
                for (i, mode) in modes.iter().enumerate() {
                    let name = names.get(i).cloned().unwrap_or_default();
                    let sql_type = all_types.get(i).cloned().unwrap_or_default();
                    match mode.as_str() {
                        "i" | "b" | "v" => args.push(Arg {
                            name,
                            sql_type,
                            has_default: false,
                        }),
                        _ => out_columns.push((name, sql_type)),
                    }
                }
                if !out_columns.is_empty() && ret_type == "record" {
                    composite = true;
                    ret_name = "record".into();
                    ret_type = "record".into();
                }
            }
            let n = args.len();
            for arg in args.iter_mut().skip(n.saturating_sub(defaults.max(0) as usize)) {
                arg.has_default = true;
            }
            let volatility: String = row.get(9);
            let function = Function {
                name: row.get(0),
                args,
                return_type: ret_type,
                return_type_name: ret_name,
                returns_composite: composite,
                returns_set: row.get(8),
                volatility: volatility.chars().next().unwrap_or('v'),
                comment: row.get(10),
                out_columns,
            };
            cache.functions.entry(function.name.clone()).or_default().push(function);
        }

        for row in tx
            .query(
                "select t.typname::text, array_agg(e.enumlabel::text order by e.enumsortorder)
                   from pg_catalog.pg_type t join pg_catalog.pg_enum e on e.enumtypid = t.oid
                  where t.typnamespace = $1::text::regnamespace
                  group by t.typname",
                &[&SCHEMA],
            )
            .await?
        {
            cache.enums.insert(row.get(0), row.get(1));
        }

        for row in tx
            .query(
                "select t.typname::text, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod)
                   from pg_catalog.pg_type t
                   join pg_catalog.pg_class c on c.oid = t.typrelid and c.relkind = 'c'
                   join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                  where t.typnamespace = $1::text::regnamespace
                  order by t.typname, a.attnum",
                &[&SCHEMA],
            )
            .await?
        {
            cache
                .composites
                .entry(row.get(0))
                .or_default()
                .push((row.get(1), row.get(2)));
        }
        tx.commit().await?;
        Ok(cache)
    }

    /// The relationships from `from` to `to`, with the foreign key naming each, for embedding.
    pub fn relationships(&self, from: &str, to: &str) -> Vec<Relationship> {
        let mut found = Vec::new();
        for fk in &self.foreign_keys {
            if fk.table == from && fk.foreign_table == to {
                found.push(Relationship::ManyToOne(fk.clone()));
            }
            if fk.foreign_table == from && fk.table == to {
                // A foreign key whose columns are also unique makes the inverse to-one.
                let unique = self
                    .table(to)
                    .is_some_and(|t| t.unique_keys.iter().any(|k| k == &fk.columns));
                found.push(if unique {
                    Relationship::OneToOneInverse(fk.clone())
                } else {
                    Relationship::OneToMany(fk.clone())
                });
            }
        }
        if fk_count_between(&self.foreign_keys, from, to) == 0 {
            // Many-to-many through a junction table holding a foreign key to each side.
            for junction in self.tables.keys() {
                let to_from: Vec<&ForeignKey> = self
                    .foreign_keys
                    .iter()
                    .filter(|fk| &fk.table == junction && fk.foreign_table == from)
                    .collect();
                let to_to: Vec<&ForeignKey> = self
                    .foreign_keys
                    .iter()
                    .filter(|fk| &fk.table == junction && fk.foreign_table == to)
                    .collect();
                for a in &to_from {
                    for b in &to_to {
                        if a.name != b.name {
                            found.push(Relationship::ManyToMany {
                                junction: junction.clone(),
                                source: (*a).clone(),
                                target: (*b).clone(),
                            });
                        }
                    }
                }
            }
        }
        found
    }
}

fn fk_count_between(fks: &[ForeignKey], a: &str, b: &str) -> usize {
    fks.iter()
        .filter(|fk| (fk.table == a && fk.foreign_table == b) || (fk.table == b && fk.foreign_table == a))
        .count()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Relationship {
    /// The parent row holds the key: `from.columns -> to.foreign_columns`; one row or null.
    ManyToOne(ForeignKey),
    /// The child rows hold the key: `to.columns -> from.foreign_columns`; an array.
    OneToMany(ForeignKey),
    /// As [`Relationship::OneToMany`], but the key is unique: one row or null.
    OneToOneInverse(ForeignKey),
    /// `junction.source -> from`, `junction.target -> to`; an array.
    ManyToMany {
        junction: String,
        source: ForeignKey,
        target: ForeignKey,
    },
}

impl Relationship {
    pub fn is_to_one(&self) -> bool {
        matches!(self, Relationship::ManyToOne(_) | Relationship::OneToOneInverse(_))
    }

    /// The constraint names and column names a `!hint` may use to pick this relationship.
    pub fn matches_hint(&self, hint: &str) -> bool {
        match self {
            Relationship::ManyToOne(fk) | Relationship::OneToMany(fk) | Relationship::OneToOneInverse(fk) => {
                fk.name == hint
                    || fk.columns.len() == 1 && fk.columns[0] == hint
                    || fk.foreign_columns.len() == 1
                        && fk.foreign_columns[0] == hint
                        && matches!(self, Relationship::ManyToOne(_))
            }
            Relationship::ManyToMany {
                junction,
                source,
                target,
            } => junction == hint || source.name == hint || target.name == hint,
        }
    }

    pub fn describe(&self) -> Value {
        match self {
            Relationship::ManyToOne(fk) => serde_json::json!({
                "cardinality": "many-to-one",
                "embedding": format!("{} with {}", fk.table, fk.foreign_table),
                "relationship": format!("{} using {}({}) and {}({})", fk.name, fk.table, fk.columns.join(", "), fk.foreign_table, fk.foreign_columns.join(", ")),
            }),
            Relationship::OneToMany(fk) | Relationship::OneToOneInverse(fk) => serde_json::json!({
                "cardinality": if matches!(self, Relationship::OneToMany(_)) { "one-to-many" } else { "one-to-one" },
                "embedding": format!("{} with {}", fk.foreign_table, fk.table),
                "relationship": format!("{} using {}({}) and {}({})", fk.name, fk.foreign_table, fk.foreign_columns.join(", "), fk.table, fk.columns.join(", ")),
            }),
            Relationship::ManyToMany {
                junction,
                source,
                target,
            } => serde_json::json!({
                "cardinality": "many-to-many",
                "embedding": format!("{} with {}", source.foreign_table, target.foreign_table),
                "relationship": format!("{junction} using {} and {}", source.name, target.name),
            }),
        }
    }
}

use serde_json::Value;

/// Types whose values are JSON numbers or booleans rather than strings, for OpenAPI and
/// TypeScript.
pub fn json_kind(type_name: &str, category: char) -> &'static str {
    match (type_name, category) {
        ("bool", _) => "boolean",
        ("json" | "jsonb", _) => "json",
        ("int2" | "int4" | "int8" | "float4" | "float8" | "numeric" | "oid", _) => "number",
        (_, 'A') => "array",
        (_, 'N') => "number",
        _ => "string",
    }
}
