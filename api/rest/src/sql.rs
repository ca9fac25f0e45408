//! SQL text with bound parameters. Every value a request sends becomes a `$n` bound as text
//! and cast to the column's type in SQL (`$3::text::integer`), and every identifier is quoted
//! after the planner found it in the schema cache: nothing a client sends is ever spliced in.

#[derive(Debug, Default)]
pub struct Sql {
    pub params: Vec<Option<String>>,
}

impl Sql {
    /// Binds `value` and returns its placeholder, typed `text`.
    pub fn bind(&mut self, value: impl Into<String>) -> String {
        self.params.push(Some(value.into()));
        format!("${}::text", self.params.len())
    }

    /// Binds `value` cast to `sql_type` (a type name taken from the catalog or checked by the
    /// parser).
    pub fn bind_as(&mut self, value: impl Into<String>, sql_type: &str) -> String {
        let p = self.bind(value);
        if sql_type == "text" {
            p
        } else {
            format!("{p}::{sql_type}")
        }
    }

    pub fn param_refs(&self) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect()
    }
}

/// A double-quoted identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `public."name"`.
pub fn qualified(name: &str) -> String {
    format!("{}.{}", crate::schema::SCHEMA, ident(name))
}
