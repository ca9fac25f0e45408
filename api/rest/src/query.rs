//! The query string, parsed into syntax with nothing resolved yet: the `select` tree (columns,
//! aliases, casts, JSON paths, embedded resources, spreads), filters (`col=op.value`, `not.`,
//! `or=(...)`, `and=(...)`, on embedded resources too), `order`, `limit`, `offset`,
//! `columns` and `on_conflict`. The grammar is PostgREST's; names are checked later, against
//! the schema cache.

use crate::error::RestError;

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Star,
    Field(Field),
    Embed(Embed),
}

/// A column, possibly through a JSON path, with an optional cast and alias.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub json_path: Vec<JsonStep>,
    pub cast: Option<String>,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonStep {
    /// `->>` (text) rather than `->` (json).
    pub as_text: bool,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Embed {
    pub alias: Option<String>,
    pub name: String,
    pub hint: Option<String>,
    /// `!inner`: parent rows without a matching child are dropped.
    pub inner: bool,
    /// `...name(cols)`: the embedded to-one row's columns are lifted into the parent.
    pub spread: bool,
    pub items: Vec<SelectItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Like,
    Ilike,
    Match,
    Imatch,
    Is,
    IsDistinct,
    In,
    Cs,
    Cd,
    Ov,
    Sl,
    Sr,
    Nxr,
    Nxl,
    Adj,
    Fts(Option<String>),
    Plfts(Option<String>),
    Phfts(Option<String>),
    Wfts(Option<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: Field,
    pub negated: bool,
    pub op: Operator,
    /// The value as sent (for `in`, the list's items).
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Logic {
    Filter(Filter),
    And { negated: bool, terms: Vec<Logic> },
    Or { negated: bool, terms: Vec<Logic> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub field: Field,
    /// Embedded to-one resource the column belongs to (`order=client(name).desc`).
    pub relation: Option<String>,
    pub descending: bool,
    pub nulls_first: Option<bool>,
}

/// What the query string says about one level of the tree (the root or an embed path).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Level {
    pub logic: Vec<Logic>,
    pub order: Vec<OrderTerm>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The whole query string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub select: Option<Vec<SelectItem>>,
    /// Keyed by embed path (`""` for the root, `"items"`, `"items.service"` ...).
    pub levels: std::collections::BTreeMap<String, Level>,
    pub columns: Option<Vec<String>>,
    pub on_conflict: Option<Vec<String>>,
    /// Parameters that are not PostgREST syntax on a `GET` RPC: the function's arguments.
    pub rpc_args: Vec<(String, String)>,
}

impl Query {
    pub fn level(&self, path: &str) -> Level {
        self.levels.get(path).cloned().unwrap_or_default()
    }
}

/// Parses decoded query pairs. `rpc_arg` says which bare keys are function arguments (for a
/// `GET` RPC); every other bare key is a filter.
pub fn parse(pairs: &[(String, String)], rpc_arg: &dyn Fn(&str) -> bool) -> Result<Query, RestError> {
    let mut query = Query::default();
    for (key, value) in pairs {
        let (path, last) = match key.rsplit_once('.') {
            Some((path, last)) if is_reserved(last) || last == "or" || last == "and" => (path.to_owned(), last),
            _ => (String::new(), key.as_str()),
        };
        // `not.or=(...)` and `items.not.and=(...)`
        let (path, last, negated_logic) =
            match path
                .strip_suffix(".not")
                .or(if path == "not" { Some("") } else { None })
            {
                Some(p) if last == "or" || last == "and" => (p.to_owned(), last, true),
                _ => (path, last, false),
            };
        match last {
            "select" if path.is_empty() => query.select = Some(parse_select(value)?),
            "columns" if path.is_empty() => {
                query.columns = Some(
                    value
                        .split(',')
                        .map(|c| c.trim().trim_matches('"').to_owned())
                        .collect(),
                )
            }
            "on_conflict" if path.is_empty() => {
                query.on_conflict = Some(
                    value
                        .split(',')
                        .map(|c| c.trim().trim_matches('"').to_owned())
                        .collect(),
                )
            }
            "order" => query.levels.entry(path).or_default().order = parse_order(value)?,
            "limit" => query.levels.entry(path).or_default().limit = Some(parse_count("limit", value)?),
            "offset" => query.levels.entry(path).or_default().offset = Some(parse_count("offset", value)?),
            "or" | "and" => {
                let inner = value
                    .strip_prefix('(')
                    .and_then(|v| v.strip_suffix(')'))
                    .ok_or_else(|| {
                        RestError::parse(
                            format!("\"failed to parse logic tree ({value})\" (line 1, column 4)"),
                            "unexpected end of input expecting \"(\"",
                        )
                    })?;
                let terms = split_top(inner)?
                    .iter()
                    .map(|t| parse_logic_term(t))
                    .collect::<Result<_, _>>()?;
                let tree = if last == "or" {
                    Logic::Or {
                        negated: negated_logic,
                        terms,
                    }
                } else {
                    Logic::And {
                        negated: negated_logic,
                        terms,
                    }
                };
                query.levels.entry(path).or_default().logic.push(tree);
            }
            _ => {
                if key.is_empty() {
                    continue;
                }
                if rpc_arg(key) {
                    query.rpc_args.push((key.clone(), value.clone()));
                    continue;
                }
                // `items.price=gt.10`: the filter belongs to the embed path before the column.
                let (path, column) = split_filter_key(key);
                let filter = parse_filter(column, value)?;
                query.levels.entry(path).or_default().logic.push(Logic::Filter(filter));
            }
        }
    }
    Ok(query)
}

fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "select" | "order" | "limit" | "offset" | "columns" | "on_conflict"
    )
}

fn split_filter_key(key: &str) -> (String, &str) {
    // The JSON path operators may contain dots in keys; only dots before the first arrow
    // separate embed levels.
    let arrow = key.find("->").unwrap_or(key.len());
    match key[..arrow].rfind('.') {
        Some(dot) => (key[..dot].to_owned(), &key[dot + 1..]),
        None => (String::new(), key),
    }
}

fn parse_count(what: &str, value: &str) -> Result<i64, RestError> {
    value.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
        RestError::parse(
            format!("\"failed to parse {what} ({value})\""),
            "expected a non-negative integer",
        )
    })
}

/// Splits on commas outside parentheses and double quotes.
fn split_top(input: &str) -> Result<Vec<String>, RestError> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    let mut current = String::new();
    for ch in input.chars() {
        if escaped {
            current.push(ch);
            escaped = false;
            continue;
        }
        match ch {
            '\\' if quoted => {
                escaped = true;
                current.push(ch);
            }
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            '(' if !quoted => {
                depth += 1;
                current.push(ch);
            }
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err(RestError::parse(
                        format!("\"failed to parse ({input})\""),
                        "unbalanced parentheses",
                    ));
                }
                current.push(ch);
            }
            ',' if !quoted && depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    if depth != 0 || quoted {
        return Err(RestError::parse(
            format!("\"failed to parse ({input})\""),
            "unbalanced parentheses or quotes",
        ));
    }
    parts.push(current);
    Ok(parts)
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        let mut out = String::new();
        let mut escaped = false;
        for ch in v[1..v.len() - 1].chars() {
            if escaped {
                out.push(ch);
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        v.to_owned()
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == ' ' || c == '-')
}

/// `name`, `alias:name`, `name->a->>b`, `name::text`, in any allowed combination.
pub fn parse_field(input: &str) -> Result<Field, RestError> {
    let bad = || {
        RestError::parse(
            format!("\"failed to parse select parameter ({input})\""),
            "unexpected characters in a column reference",
        )
    };
    let input = input.trim();
    let (alias, rest) = match input.split_once(':') {
        Some((a, r)) if !r.starts_with(':') && !a.contains("->") => (Some(unquote(a)), r),
        _ => (None, input),
    };
    let (rest, cast) = match rest.split_once("::") {
        Some((r, c)) => (r, Some(c.trim().to_owned())),
        None => (rest, None),
    };
    if let Some(cast) = &cast {
        if cast.is_empty()
            || !cast
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ' || c == '[' || c == ']')
        {
            return Err(bad());
        }
    }
    let mut pieces = Vec::new();
    let mut remaining = rest;
    let name_end = remaining.find("->").unwrap_or(remaining.len());
    let name = unquote(&remaining[..name_end]);
    remaining = &remaining[name_end..];
    while !remaining.is_empty() {
        let (as_text, after) = if let Some(r) = remaining.strip_prefix("->>") {
            (true, r)
        } else if let Some(r) = remaining.strip_prefix("->") {
            (false, r)
        } else {
            return Err(bad());
        };
        let end = after.find("->").unwrap_or(after.len());
        let key = unquote(&after[..end]);
        if key.is_empty() {
            return Err(bad());
        }
        pieces.push(JsonStep { as_text, key });
        remaining = &after[end..];
    }
    if !is_identifier(&name) && name != "*" {
        return Err(bad());
    }
    Ok(Field {
        name,
        json_path: pieces,
        cast,
        alias,
    })
}

pub fn parse_select(input: &str) -> Result<Vec<SelectItem>, RestError> {
    let mut items = Vec::new();
    for part in split_top(input)? {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part == "*" {
            items.push(SelectItem::Star);
            continue;
        }
        if let Some(open) = part.find('(') {
            let close = part.rfind(')').filter(|c| *c == part.len() - 1).ok_or_else(|| {
                RestError::parse(
                    format!("\"failed to parse select parameter ({input})\""),
                    "expected \")\"",
                )
            })?;
            let head = &part[..open];
            let inner = &part[open + 1..close];
            let (spread, head) = match head.strip_prefix("...") {
                Some(h) => (true, h),
                None => (false, head),
            };
            let (alias, head) = match head.split_once(':') {
                Some((a, h)) => (Some(a.trim().to_owned()), h),
                None => (None, head),
            };
            let mut names = head.split('!');
            let name = names.next().unwrap_or_default().trim().to_owned();
            let mut hint = None;
            let mut inner_join = false;
            for modifier in names {
                match modifier.trim() {
                    "inner" => inner_join = true,
                    "left" => inner_join = false,
                    other => hint = Some(other.to_owned()),
                }
            }
            if !is_identifier(&name) {
                return Err(RestError::parse(
                    format!("\"failed to parse select parameter ({input})\""),
                    format!("unexpected embedded resource name {name:?}"),
                ));
            }
            items.push(SelectItem::Embed(Embed {
                alias,
                name,
                hint,
                inner: inner_join,
                spread,
                items: parse_select(inner)?,
            }));
        } else {
            items.push(SelectItem::Field(parse_field(part)?));
        }
    }
    Ok(items)
}

fn parse_order(input: &str) -> Result<Vec<OrderTerm>, RestError> {
    let mut terms = Vec::new();
    for part in split_top(input)? {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        // `relation(column).desc` orders by a to-one embed's column.
        let (relation, rest) = match (part.find('('), part.find(')')) {
            (Some(open), Some(close)) if open < close => {
                let relation = part[..open].to_owned();
                let column = &part[open + 1..close];
                (Some(relation), format!("{column}{}", &part[close + 1..]))
            }
            _ => (None, part.to_owned()),
        };
        let mut pieces: Vec<&str> = rest.split('.').collect();
        let mut descending = false;
        let mut nulls_first = None;
        while pieces.len() > 1 {
            match *pieces.last().unwrap() {
                "asc" => descending = false,
                "desc" => descending = true,
                "nullsfirst" => nulls_first = Some(true),
                "nullslast" => nulls_first = Some(false),
                _ => break,
            }
            pieces.pop();
        }
        let field = parse_field(&pieces.join("."))?;
        terms.push(OrderTerm {
            field,
            relation,
            descending,
            nulls_first,
        });
    }
    Ok(terms)
}

fn parse_operator(name: &str, modifier: Option<String>) -> Option<Operator> {
    Some(match name {
        "eq" => Operator::Eq,
        "neq" => Operator::Neq,
        "gt" => Operator::Gt,
        "gte" => Operator::Gte,
        "lt" => Operator::Lt,
        "lte" => Operator::Lte,
        "like" => Operator::Like,
        "ilike" => Operator::Ilike,
        "match" => Operator::Match,
        "imatch" => Operator::Imatch,
        "is" => Operator::Is,
        "isdistinct" => Operator::IsDistinct,
        "in" => Operator::In,
        "cs" => Operator::Cs,
        "cd" => Operator::Cd,
        "ov" => Operator::Ov,
        "sl" => Operator::Sl,
        "sr" => Operator::Sr,
        "nxr" => Operator::Nxr,
        "nxl" => Operator::Nxl,
        "adj" => Operator::Adj,
        "fts" => Operator::Fts(modifier),
        "plfts" => Operator::Plfts(modifier),
        "phfts" => Operator::Phfts(modifier),
        "wfts" => Operator::Wfts(modifier),
        _ => return None,
    })
}

/// `column` with `op.value`, `not.op.value` or `fts(config).value`.
pub fn parse_filter(column: &str, value: &str) -> Result<Filter, RestError> {
    let field = parse_field(column)?;
    let (negated, rest) = match value.strip_prefix("not.") {
        Some(r) => (true, r),
        None => (false, value),
    };
    let (op_text, operand) = rest.split_once('.').ok_or_else(|| {
        RestError::parse(
            format!(
                "\"failed to parse filter ({value})\" (line 1, column {})",
                value.len() + 1
            ),
            "unexpected end of input expecting operator (eq, gt, ...)",
        )
    })?;
    let (op_name, modifier) = match op_text.split_once('(') {
        Some((name, m)) => (name, Some(m.trim_end_matches(')').to_owned())),
        None => (op_text, None),
    };
    if let Some(m) = &modifier {
        if !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(RestError::parse(
                format!("\"failed to parse filter ({value})\""),
                "invalid text search configuration",
            ));
        }
    }
    let op = parse_operator(op_name, modifier).ok_or_else(|| {
        RestError::parse(
            format!("\"failed to parse filter ({value})\" (line 1, column 1)"),
            format!("unexpected \"{op_name}\" expecting operator (eq, gt, ...)"),
        )
    })?;
    let values = match op {
        Operator::In => {
            let list = operand
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| RestError::parse(format!("\"failed to parse filter ({value})\""), "expecting \"(\""))?;
            if list.is_empty() {
                Vec::new()
            } else {
                split_top(list)?.iter().map(|v| unquote(v)).collect()
            }
        }
        Operator::Is => {
            let v = operand.to_ascii_lowercase();
            if !matches!(v.as_str(), "null" | "not_null" | "true" | "false" | "unknown") {
                return Err(RestError::parse(
                    format!("\"failed to parse filter ({value})\""),
                    "unexpected value, expecting null, not_null, true, false or unknown",
                ));
            }
            vec![v]
        }
        _ => vec![operand.to_owned()],
    };
    Ok(Filter {
        field,
        negated,
        op,
        values,
    })
}

fn parse_logic_term(term: &str) -> Result<Logic, RestError> {
    let term = term.trim();
    let (negated, body) = match term.strip_prefix("not.") {
        Some(b) if b.starts_with("and(") || b.starts_with("or(") => (true, b),
        _ => (false, term),
    };
    for (prefix, is_or) in [("and(", false), ("or(", true)] {
        if let Some(inner) = body.strip_prefix(prefix).and_then(|b| b.strip_suffix(')')) {
            let terms = split_top(inner)?
                .iter()
                .map(|t| parse_logic_term(t))
                .collect::<Result<_, _>>()?;
            return Ok(if is_or {
                Logic::Or { negated, terms }
            } else {
                Logic::And { negated, terms }
            });
        }
    }
    // `column.op.value` or `column.not.op.value`; the column may hold a JSON path.
    let arrow = term.find("->").unwrap_or(0);
    let dot = term[arrow..].find('.').map(|d| d + arrow).ok_or_else(|| {
        RestError::parse(
            format!("\"failed to parse logic tree ({term})\""),
            "expecting column.operator.value",
        )
    })?;
    let (column, rest) = (&term[..dot], &term[dot + 1..]);
    let rest = match rest.split_once('.') {
        // Values of logic trees may be quoted to hold commas and parentheses.
        Some((op, v)) if v.starts_with('"') && !op.starts_with("in") => format!("{op}.{}", unquote(v)),
        _ => rest.to_owned(),
    };
    Ok(Logic::Filter(parse_filter(column, &rest)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn select_with_embeds_aliases_casts_and_paths() {
        let items =
            parse_select("id,total:total_amount::text,data->a->>b,items:booking_items!inner(id,price),...vendor(name)")
                .unwrap();
        assert_eq!(items.len(), 5);
        match &items[1] {
            SelectItem::Field(f) => {
                assert_eq!(f.alias.as_deref(), Some("total"));
                assert_eq!(f.cast.as_deref(), Some("text"));
            }
            other => panic!("{other:?}"),
        }
        match &items[2] {
            SelectItem::Field(f) => assert_eq!(f.json_path.len(), 2),
            other => panic!("{other:?}"),
        }
        match &items[3] {
            SelectItem::Embed(e) => {
                assert!(e.inner);
                assert_eq!(e.alias.as_deref(), Some("items"));
                assert_eq!(e.name, "booking_items");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&items[4], SelectItem::Embed(e) if e.spread));
    }

    #[test]
    fn filters_logic_and_order() {
        let q = parse(
            &pairs(&[
                ("status", "in.(pending,\"a,b\")"),
                ("or", "(total.gt.10,and(a.eq.1,b.not.is.null))"),
                ("items.price", "gte.5"),
                ("order", "scheduled_start.desc.nullslast,id"),
                ("items.limit", "2"),
                ("not.and", "(a.eq.1)"),
            ]),
            &|_| false,
        )
        .unwrap();
        let root = q.level("");
        assert_eq!(root.logic.len(), 3);
        assert!(matches!(&root.logic[0], Logic::Filter(f) if f.values == vec!["pending", "a,b"]));
        assert!(matches!(&root.logic[2], Logic::And { negated: true, .. }));
        assert_eq!(root.order.len(), 2);
        assert!(root.order[0].descending);
        assert_eq!(root.order[0].nulls_first, Some(false));
        assert_eq!(q.level("items").limit, Some(2));
        assert_eq!(q.level("items").logic.len(), 1);
    }

    #[test]
    fn bad_syntax_is_pgrst100() {
        for (k, v) in [
            ("id", "equals.1"),
            ("id", "eq"),
            ("or", "a.eq.1"),
            ("select", "a,(b"),
            ("limit", "-1"),
        ] {
            let err = parse(&pairs(&[(k, v)]), &|_| false).unwrap_err();
            assert_eq!(err.code, "PGRST100", "{k}={v}");
        }
    }
}
