//! `ombaro gen types typescript`: the `Database` type `supabase gen types typescript` emits,
//! from the live schema cache, so an app's `createClient<Database>(...)` checks its table and
//! column names at compile time.

use std::fmt::Write;

use crate::schema::{Column, SchemaCache, Table};

fn base_type(cache: &SchemaCache, type_name: &str) -> String {
    let name = type_name.trim_start_matches("public.").trim_matches('"');
    match name {
        "bool" | "boolean" => "boolean".into(),
        "int2" | "int4" | "int8" | "float4" | "float8" | "numeric" | "smallint" | "integer" | "bigint" | "real"
        | "double precision" | "oid" => "number".into(),
        "json" | "jsonb" => "Json".into(),
        "text"
        | "varchar"
        | "bpchar"
        | "char"
        | "uuid"
        | "date"
        | "time"
        | "timetz"
        | "timestamp"
        | "timestamptz"
        | "interval"
        | "inet"
        | "cidr"
        | "macaddr"
        | "citext"
        | "name"
        | "bytea"
        | "money"
        | "tsvector"
        | "character varying"
        | "character"
        | "timestamp with time zone"
        | "timestamp without time zone"
        | "time without time zone"
        | "time with time zone"
        | "int4range"
        | "int8range"
        | "numrange"
        | "tstzrange"
        | "tsrange"
        | "daterange" => "string".into(),
        other
            if other.starts_with("character varying")
                || other.starts_with("character(")
                || other.starts_with("numeric(") =>
        {
            if other.starts_with("numeric") {
                "number".into()
            } else {
                "string".into()
            }
        }
        other if other.starts_with("timestamp") || other.starts_with("time") => "string".into(),
        other if cache.enums.contains_key(other) => format!("Database[\"public\"][\"Enums\"][\"{other}\"]"),
        other if cache.composites.contains_key(other) => {
            format!("Database[\"public\"][\"CompositeTypes\"][\"{other}\"]")
        }
        _ => "unknown".into(),
    }
}

/// The TypeScript type of a value of `sql_type` (a `format_type` output).
fn ts_type(cache: &SchemaCache, sql_type: &str) -> String {
    match sql_type.strip_suffix("[]") {
        Some(element) => format!("{}[]", ts_type(cache, element)),
        None => base_type(cache, sql_type),
    }
}

fn column_type(cache: &SchemaCache, column: &Column) -> String {
    let ty = if column.type_category == 'A' {
        ts_type(cache, &column.sql_type)
    } else {
        let by_name = base_type(cache, &column.type_name);
        if by_name == "unknown" {
            ts_type(cache, &column.sql_type)
        } else {
            by_name
        }
    };
    if column.nullable {
        format!("{ty} | null")
    } else {
        ty
    }
}

fn key(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with(|c: char| c.is_ascii_digit()) {
        name.to_owned()
    } else {
        format!("{name:?}")
    }
}

fn relationships(cache: &SchemaCache, table: &Table, out: &mut String, indent: &str) {
    let fks: Vec<_> = cache.foreign_keys.iter().filter(|fk| fk.table == table.name).collect();
    if fks.is_empty() {
        let _ = writeln!(out, "{indent}Relationships: []");
        return;
    }
    let _ = writeln!(out, "{indent}Relationships: [");
    for fk in fks {
        let one_to_one = table.unique_keys.iter().any(|k| k == &fk.columns);
        let list = |cols: &[String]| cols.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(out, "{indent}  {{");
        let _ = writeln!(out, "{indent}    foreignKeyName: {:?}", fk.name);
        let _ = writeln!(out, "{indent}    columns: [{}]", list(&fk.columns));
        let _ = writeln!(out, "{indent}    isOneToOne: {one_to_one}");
        let _ = writeln!(out, "{indent}    referencedRelation: {:?}", fk.foreign_table);
        let _ = writeln!(out, "{indent}    referencedColumns: [{}]", list(&fk.foreign_columns));
        let _ = writeln!(out, "{indent}  }},");
    }
    let _ = writeln!(out, "{indent}]");
}

fn table_type(cache: &SchemaCache, table: &Table, writable: bool, out: &mut String) {
    let _ = writeln!(out, "      {}: {{", key(&table.name));
    let _ = writeln!(out, "        Row: {{");
    for column in &table.columns {
        let _ = writeln!(out, "          {}: {}", key(&column.name), column_type(cache, column));
    }
    let _ = writeln!(out, "        }}");
    if writable {
        for (part, all_optional) in [("Insert", false), ("Update", true)] {
            let _ = writeln!(out, "        {part}: {{");
            for column in &table.columns {
                if column.generated {
                    let _ = writeln!(out, "          {}?: never", key(&column.name));
                    continue;
                }
                let optional = all_optional || column.nullable || column.default.is_some() || column.identity;
                let _ = writeln!(
                    out,
                    "          {}{}: {}",
                    key(&column.name),
                    if optional { "?" } else { "" },
                    column_type(cache, column)
                );
            }
            let _ = writeln!(out, "        }}");
        }
    }
    relationships(cache, table, out, "        ");
    let _ = writeln!(out, "      }}");
}

pub fn generate(cache: &SchemaCache) -> String {
    let mut out = String::new();
    out.push_str(
        "export type Json =\n  | string\n  | number\n  | boolean\n  | null\n  | { [key: string]: Json | undefined }\n  | Json[]\n\n",
    );
    out.push_str("export type Database = {\n");
    out.push_str("  // Allows to automatically instantiate createClient with right options\n");
    out.push_str("  // instead of createClient<Database, { PostgrestVersion: 'XX' }>(URL, KEY)\n");
    out.push_str("  __InternalSupabase: {\n    PostgrestVersion: \"12.2.3\"\n  }\n");
    out.push_str("  public: {\n    Tables: {\n");
    for table in cache.tables.values().filter(|t| !t.is_view()) {
        table_type(cache, table, true, &mut out);
    }
    out.push_str("    }\n    Views: {\n");
    for table in cache.tables.values().filter(|t| t.is_view()) {
        table_type(cache, table, table.kind == 'v', &mut out);
    }
    out.push_str("    }\n    Functions: {\n");
    for (name, overloads) in &cache.functions {
        let _ = writeln!(out, "      {}:", key(name));
        for (i, function) in overloads.iter().enumerate() {
            let args = if function.args.is_empty() || function.args.iter().all(|a| a.name.is_empty()) {
                "Record<PropertyKey, never>".to_owned()
            } else {
                let fields: Vec<String> = function
                    .args
                    .iter()
                    .filter(|a| !a.name.is_empty())
                    .map(|a| {
                        format!(
                            "{}{}: {}",
                            key(&a.name),
                            if a.has_default { "?" } else { "" },
                            ts_type(cache, &a.sql_type)
                        )
                    })
                    .collect();
                format!("{{ {} }}", fields.join("; "))
            };
            let returns = if function.returns_composite {
                match cache.table(&function.return_type_name) {
                    Some(t) => {
                        let fields: Vec<String> = t
                            .columns
                            .iter()
                            .map(|c| format!("{}: {}", key(&c.name), column_type(cache, c)))
                            .collect();
                        format!("{{ {} }}", fields.join("; "))
                    }
                    None => "Record<string, unknown>".to_owned(),
                }
            } else if function.is_void() {
                "undefined".to_owned()
            } else {
                ts_type(cache, &function.return_type)
            };
            let returns = if function.returns_set {
                format!("{returns}[]")
            } else {
                returns
            };
            let _ = writeln!(
                out,
                "        {}{{ Args: {args}; Returns: {returns} }}",
                if overloads.len() > 1 { "| " } else { "" }
            );
            let _ = i;
        }
    }
    out.push_str("    }\n    Enums: {\n");
    for (name, labels) in &cache.enums {
        let union: Vec<String> = labels.iter().map(|l| format!("{l:?}")).collect();
        let _ = writeln!(out, "      {}: {}", key(name), union.join(" | "));
    }
    out.push_str("    }\n    CompositeTypes: {\n");
    for (name, attrs) in &cache.composites {
        let _ = writeln!(out, "      {}: {{", key(name));
        for (attr, ty) in attrs {
            let _ = writeln!(out, "        {}: {} | null", key(attr), ts_type(cache, ty));
        }
        let _ = writeln!(out, "      }}");
    }
    out.push_str("    }\n  }\n}\n\n");
    out.push_str(HELPERS);
    out
}

/// The helper types the Supabase CLI appends.
const HELPERS: &str = r#"type DefaultSchema = Database["public"]

export type Tables<T extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])> =
  (DefaultSchema["Tables"] & DefaultSchema["Views"])[T] extends { Row: infer R } ? R : never

export type TablesInsert<T extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][T] extends { Insert: infer I } ? I : never

export type TablesUpdate<T extends keyof DefaultSchema["Tables"]> =
  DefaultSchema["Tables"][T] extends { Update: infer U } ? U : never

export type Enums<T extends keyof DefaultSchema["Enums"]> = DefaultSchema["Enums"][T]

export type CompositeTypes<T extends keyof DefaultSchema["CompositeTypes"]> = DefaultSchema["CompositeTypes"][T]

export const Constants = {
  public: {
    Enums: {},
  },
} as const
"#;
