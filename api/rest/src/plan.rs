//! From parsed syntax to SQL, against the schema cache: which columns and relationships the
//! names mean, which type each value is cast to, how embedded resources join. The output is
//! one statement; Postgres builds the JSON (`json_agg`, `row_to_json`), as in PostgREST.

use axum::http::StatusCode;

use crate::{
    error::RestError,
    query::{Embed, Field, Filter, Logic, Operator, OrderTerm, Query, SelectItem},
    schema::{Column, Relationship, SchemaCache, Table},
    sql::{ident, qualified, Sql},
};

/// One level of a read: a table (or a function's rows) under an alias, and what to select.
pub struct Planner<'a> {
    pub cache: &'a SchemaCache,
    pub query: &'a Query,
    pub sql: Sql,
    /// Rendering the rows a write returned: the root's filters were the write's own.
    pub skip_root_filters: bool,
    aliases: usize,
}

/// A rendered level: the select list and the `where` conditions (filters, inner embeds and,
/// for a child, its join), kept apart so that counts and `!inner` can reuse them.
pub struct Rendered {
    pub columns: Vec<(String, String)>,
    pub conditions: Vec<String>,
    pub order: String,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl Rendered {
    pub fn select_list(&self) -> String {
        if self.columns.is_empty() {
            // A select of only `!inner` embeds used as filters still returns objects.
            return "null as \"_\"".into();
        }
        self.columns
            .iter()
            .map(|(expr, name)| format!("{expr} as {}", ident(name)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" where {}", self.conditions.join(" and "))
        }
    }

    pub fn tail(&self) -> String {
        let mut tail = self.order.clone();
        if let Some(limit) = self.limit {
            tail.push_str(&format!(" limit {limit}"));
        }
        if let Some(offset) = self.offset.filter(|o| *o > 0) {
            tail.push_str(&format!(" offset {offset}"));
        }
        tail
    }
}

impl<'a> Planner<'a> {
    pub fn new(cache: &'a SchemaCache, query: &'a Query) -> Self {
        Self {
            cache,
            query,
            sql: Sql::default(),
            skip_root_filters: false,
            aliases: 0,
        }
    }

    pub fn next_alias(&mut self) -> String {
        let alias = format!("_t{}", self.aliases);
        self.aliases += 1;
        alias
    }

    /// Renders `items` over `table` aliased `alias`, with the filters, order and range the
    /// query gives for `path`.
    pub fn render(
        &mut self,
        table: &Table,
        items: &[SelectItem],
        path: &str,
        alias: &str,
    ) -> Result<Rendered, RestError> {
        let level = if path.is_empty() && self.skip_root_filters {
            crate::query::Level::default()
        } else {
            self.query.level(path)
        };
        let mut columns = Vec::new();
        let mut conditions = Vec::new();
        let default_items = [SelectItem::Star];
        let items = if items.is_empty() { &default_items[..] } else { items };
        for item in items {
            match item {
                SelectItem::Star => {
                    for column in &table.columns {
                        columns.push((format!("{alias}.{}", ident(&column.name)), column.name.clone()));
                    }
                }
                SelectItem::Field(field) => {
                    let (expr, _) = self.field_expr(table, alias, field)?;
                    let expr = match &field.cast {
                        Some(cast) => format!("({expr})::{cast}"),
                        None => expr,
                    };
                    columns.push((expr, output_name(field)));
                }
                SelectItem::Embed(embed) => {
                    self.render_embed(table, alias, embed, path, &mut columns, &mut conditions)?;
                }
            }
        }
        for logic in &level.logic {
            conditions.push(self.logic(table, alias, logic)?);
        }
        let order = self.order_clause(table, alias, &level.order)?;
        Ok(Rendered {
            columns,
            conditions,
            order,
            limit: level.limit,
            offset: level.offset,
        })
    }

    /// ` order by ...` for `terms`, or nothing.
    pub fn order_clause(&mut self, table: &Table, alias: &str, terms: &[OrderTerm]) -> Result<String, RestError> {
        let mut order = Vec::new();
        for term in terms {
            order.push(self.order_term(table, alias, term)?);
        }
        Ok(if order.is_empty() {
            String::new()
        } else {
            format!(" order by {}", order.join(", "))
        })
    }

    fn relationship(&self, table: &Table, embed: &Embed) -> Result<(Relationship, &'a Table), RestError> {
        let target = self
            .cache
            .table(&embed.name)
            .ok_or_else(|| not_related(&table.name, &embed.name))?;
        let mut found = self.cache.relationships(&table.name, &embed.name);
        if let Some(hint) = &embed.hint {
            found.retain(|r| r.matches_hint(hint));
        }
        match found.len() {
            0 => Err(not_related(&table.name, &embed.name)),
            1 => Ok((found.remove(0), target)),
            _ => Err(RestError::new(
                StatusCode::MULTIPLE_CHOICES,
                "PGRST201",
                format!(
                    "Could not embed because more than one relationship was found for '{}' and '{}'",
                    table.name, embed.name
                ),
            )
            .details(
                serde_json::to_string(&found.iter().map(Relationship::describe).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
            .hint(format!(
                "Try changing '{}' to one of the following: {}. Find the desired relationship in the 'details' key.",
                embed.name,
                found
                    .iter()
                    .map(|r| format!("'{}!{}'", embed.name, hint_of(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn render_embed(
        &mut self,
        table: &Table,
        alias: &str,
        embed: &Embed,
        path: &str,
        columns: &mut Vec<(String, String)>,
        conditions: &mut Vec<String>,
    ) -> Result<(), RestError> {
        let (relationship, target) = self.relationship(table, embed)?;
        let child = self.next_alias();
        let name = embed.alias.clone().unwrap_or_else(|| embed.name.clone());
        // Embedded filters, order and limits are addressed by the alias when there is one.
        let key = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let child_path = if self.query.levels.contains_key(&key) || embed.alias.is_some() {
            key
        } else if path.is_empty() {
            embed.name.clone()
        } else {
            format!("{path}.{}", embed.name)
        };
        let mut rendered = self.render(target, &embed.items, &child_path, &child)?;
        let join = join_condition(&relationship, alias, &child);
        rendered.conditions.insert(0, join);
        let from = rendered.where_clause();
        let from_table = format!("{} {child}", qualified(&target.name));
        if embed.spread {
            if !relationship.is_to_one() {
                return Err(RestError::new(
                    StatusCode::BAD_REQUEST,
                    "PGRST119",
                    format!("A spread operation on '{}' is not possible", embed.name),
                )
                .details("'...' can only be used on to-one relationships"));
            }
            for (expr, column) in &rendered.columns {
                columns.push((format!("(select {expr} from {from_table}{from})"), column.clone()));
            }
        } else if relationship.is_to_one() {
            columns.push((
                format!(
                    "(select row_to_json(_e) from (select {} from {from_table}{from}{}) _e)",
                    rendered.select_list(),
                    rendered.tail()
                ),
                name,
            ));
        } else {
            columns.push((
                format!(
                    "coalesce((select json_agg(_e) from (select {} from {from_table}{from}{}) _e), '[]'::json)",
                    rendered.select_list(),
                    rendered.tail()
                ),
                name,
            ));
        }
        if embed.inner {
            conditions.push(format!("exists (select 1 from {from_table}{from})"));
        }
        Ok(())
    }

    /// The SQL of a column reference and the type its values compare as.
    pub fn field_expr(&mut self, table: &Table, alias: &str, field: &Field) -> Result<(String, String), RestError> {
        let column = table
            .column(&field.name)
            .ok_or_else(|| RestError::no_column(&table.name, &field.name))?;
        let mut expr = format!("{alias}.{}", ident(&column.name));
        let mut ty = column.sql_type.clone();
        if !field.json_path.is_empty() {
            if !matches!(column.type_name.as_str(), "json" | "jsonb") {
                return Err(RestError::new(
                    StatusCode::BAD_REQUEST,
                    "42883",
                    format!("operator does not exist: {} -> unknown", column.sql_type),
                )
                .hint(
                    "No operator matches the given name and argument types. You might need to add explicit type casts.",
                ));
            }
            for step in &field.json_path {
                let key = match step.key.parse::<i64>() {
                    Ok(n) => n.to_string(),
                    Err(_) => self.sql.bind(step.key.clone()),
                };
                expr = format!("{expr}{}{key}", if step.as_text { "->>" } else { "->" });
                ty = if step.as_text { "text".into() } else { "jsonb".into() };
            }
            if ty == "jsonb" && column.type_name == "json" {
                ty = "json".into();
            }
        }
        Ok((expr, ty))
    }

    fn order_term(&mut self, table: &Table, alias: &str, term: &OrderTerm) -> Result<String, RestError> {
        let expr = match &term.relation {
            None => self.field_expr(table, alias, &term.field)?.0,
            Some(relation) => {
                let embed = Embed {
                    alias: None,
                    name: relation.clone(),
                    hint: None,
                    inner: false,
                    spread: false,
                    items: Vec::new(),
                };
                let (relationship, target) = self.relationship(table, &embed)?;
                if !relationship.is_to_one() {
                    return Err(RestError::new(
                        StatusCode::BAD_REQUEST,
                        "PGRST118",
                        format!("A related order on '{relation}' is not possible"),
                    )
                    .details("only to-one relationships can order their parent"));
                }
                let child = self.next_alias();
                let join = join_condition(&relationship, alias, &child);
                let (inner, _) = self.field_expr(target, &child, &term.field)?;
                format!("(select {inner} from {} {child} where {join})", qualified(&target.name))
            }
        };
        let mut out = format!("{expr} {}", if term.descending { "desc" } else { "asc" });
        if let Some(first) = term.nulls_first {
            out.push_str(if first { " nulls first" } else { " nulls last" });
        }
        Ok(out)
    }

    pub fn logic(&mut self, table: &Table, alias: &str, logic: &Logic) -> Result<String, RestError> {
        match logic {
            Logic::Filter(filter) => self.filter(table, alias, filter),
            Logic::And { negated, terms } | Logic::Or { negated, terms } => {
                let joiner = if matches!(logic, Logic::And { .. }) {
                    " and "
                } else {
                    " or "
                };
                let parts = terms
                    .iter()
                    .map(|t| self.logic(table, alias, t))
                    .collect::<Result<Vec<_>, _>>()?;
                let body = if parts.is_empty() {
                    if joiner == " and " {
                        "true".to_owned()
                    } else {
                        "false".to_owned()
                    }
                } else {
                    format!("({})", parts.join(joiner))
                };
                Ok(if *negated { format!("not {body}") } else { body })
            }
        }
    }

    fn filter(&mut self, table: &Table, alias: &str, filter: &Filter) -> Result<String, RestError> {
        let (mut expr, mut ty) = self.field_expr(table, alias, &filter.field)?;
        if let Some(cast) = &filter.field.cast {
            expr = format!("({expr})::{cast}");
            ty = cast.clone();
        }
        let column = table.column(&filter.field.name);
        let value = filter.values.first().cloned().unwrap_or_default();
        let compare = |sql: &mut Sql, op: &str| format!("{expr} {op} {}", sql.bind_as(value.clone(), &ty));
        let body = match &filter.op {
            Operator::Eq => compare(&mut self.sql, "="),
            Operator::Neq => compare(&mut self.sql, "<>"),
            Operator::Gt => compare(&mut self.sql, ">"),
            Operator::Gte => compare(&mut self.sql, ">="),
            Operator::Lt => compare(&mut self.sql, "<"),
            Operator::Lte => compare(&mut self.sql, "<="),
            Operator::IsDistinct => compare(&mut self.sql, "is distinct from"),
            Operator::Cs => compare(&mut self.sql, "@>"),
            Operator::Cd => compare(&mut self.sql, "<@"),
            Operator::Ov => {
                // Arrays may be sent as `(a,b)` as well as `{a,b}`.
                let v = if ty.ends_with("[]") && value.starts_with('(') && value.ends_with(')') {
                    format!("{{{}}}", &value[1..value.len() - 1])
                } else {
                    value.clone()
                };
                format!("{expr} && {}", self.sql.bind_as(v, &ty))
            }
            Operator::Sl => compare(&mut self.sql, "<<"),
            Operator::Sr => compare(&mut self.sql, ">>"),
            Operator::Nxr => compare(&mut self.sql, "&<"),
            Operator::Nxl => compare(&mut self.sql, "&>"),
            Operator::Adj => compare(&mut self.sql, "-|-"),
            Operator::Like | Operator::Ilike => {
                let op = if filter.op == Operator::Like { "like" } else { "ilike" };
                format!("{expr}::text {op} {}", self.sql.bind(value.replace('*', "%")))
            }
            Operator::Match => format!("{expr}::text ~ {}", self.sql.bind(value.clone())),
            Operator::Imatch => format!("{expr}::text ~* {}", self.sql.bind(value.clone())),
            Operator::Is => match value.as_str() {
                "null" => format!("{expr} is null"),
                "not_null" => format!("{expr} is not null"),
                "true" => format!("{expr} is true"),
                "false" => format!("{expr} is false"),
                _ => format!("{expr} is unknown"),
            },
            Operator::In => {
                if filter.values.is_empty() {
                    "false".to_owned()
                } else {
                    let items = filter
                        .values
                        .iter()
                        .map(|v| self.sql.bind_as(v.clone(), &ty))
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("{expr} in ({items})")
                }
            }
            Operator::Fts(config) | Operator::Plfts(config) | Operator::Phfts(config) | Operator::Wfts(config) => {
                let function = match &filter.op {
                    Operator::Fts(_) => "to_tsquery",
                    Operator::Plfts(_) => "plainto_tsquery",
                    Operator::Phfts(_) => "phraseto_tsquery",
                    _ => "websearch_to_tsquery",
                };
                let config_sql = config
                    .as_ref()
                    .map(|c| format!("{}::regconfig, ", self.sql.bind(c.clone())));
                let query = format!(
                    "{function}({}{})",
                    config_sql.clone().unwrap_or_default(),
                    self.sql.bind(value.clone())
                );
                let is_tsvector =
                    column.is_some_and(|c: &Column| c.type_name == "tsvector") && filter.field.json_path.is_empty();
                if is_tsvector {
                    format!("{expr} @@ {query}")
                } else {
                    format!("to_tsvector({}{expr}::text) @@ {query}", config_sql.unwrap_or_default())
                }
            }
        };
        Ok(if filter.negated { format!("not ({body})") } else { body })
    }
}

fn hint_of(relationship: &Relationship) -> String {
    match relationship {
        Relationship::ManyToOne(fk) | Relationship::OneToMany(fk) | Relationship::OneToOneInverse(fk) => {
            fk.name.clone()
        }
        Relationship::ManyToMany { junction, .. } => junction.clone(),
    }
}

fn not_related(from: &str, to: &str) -> RestError {
    RestError::new(
        StatusCode::BAD_REQUEST,
        "PGRST200",
        format!("Could not find a relationship between '{from}' and '{to}' in the schema cache"),
    )
    .hint(format!(
        "Perhaps you meant '{to}' in the schema 'public', or check that a foreign key links '{from}' and '{to}'."
    ))
    .details(format!(
        "Searched for a foreign key relationship between '{from}' and '{to}' in the schema 'public', but no matches were found."
    ))
}

/// The condition, in the child's `where`, joining a child row (`child`) to its parent
/// (`parent`).
fn join_condition(relationship: &Relationship, parent: &str, child: &str) -> String {
    let pairs = |left: &str, lcols: &[String], right: &str, rcols: &[String]| {
        lcols
            .iter()
            .zip(rcols)
            .map(|(l, r)| format!("{left}.{} = {right}.{}", ident(l), ident(r)))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match relationship {
        Relationship::ManyToOne(fk) => pairs(parent, &fk.columns, child, &fk.foreign_columns),
        Relationship::OneToMany(fk) | Relationship::OneToOneInverse(fk) => {
            pairs(child, &fk.columns, parent, &fk.foreign_columns)
        }
        Relationship::ManyToMany {
            junction,
            source,
            target,
        } => format!(
            "exists (select 1 from {} _j where {} and {})",
            qualified(junction),
            pairs("_j", &source.columns, parent, &source.foreign_columns),
            pairs("_j", &target.columns, child, &target.foreign_columns)
        ),
    }
}

/// The JSON key of a selected field: its alias, else the last JSON key, else the column.
pub fn output_name(field: &Field) -> String {
    field
        .alias
        .clone()
        .or_else(|| field.json_path.last().map(|s| s.key.clone()))
        .unwrap_or_else(|| field.name.clone())
}
