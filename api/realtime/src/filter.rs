//! A `postgres_changes` filter, `column=op.value` with Realtime's operators (`eq`, `neq`, `lt`,
//! `lte`, `gt`, `gte`, `in`), evaluated against a changed row's values as the slot reports them.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
}

impl Filter {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (column, rest) = text
            .split_once('=')
            .ok_or_else(|| format!("filter {text:?} is not column=operator.value"))?;
        let (op, value) = rest
            .split_once('.')
            .ok_or_else(|| format!("filter {text:?} is not column=operator.value"))?;
        let op = match op {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "in" => Op::In,
            other => return Err(format!("unsupported filter operator {other:?}")),
        };
        let values = if op == Op::In {
            let list = value
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| format!("filter {text:?}: in takes (a,b,...)"))?;
            list.split(',').map(|v| v.trim().trim_matches('"').to_owned()).collect()
        } else {
            vec![value.to_owned()]
        };
        if column.is_empty() {
            return Err(format!("filter {text:?} names no column"));
        }
        Ok(Self {
            column: column.to_owned(),
            op,
            values,
        })
    }

    /// Whether a row whose `column` holds `actual` passes. A missing or null value passes only
    /// `neq`.
    pub fn matches(&self, actual: Option<&Value>) -> bool {
        let actual = match actual {
            None | Some(Value::Null) => return self.op == Op::Neq,
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let compare = |expected: &str| -> Option<std::cmp::Ordering> {
            match (actual.parse::<f64>(), expected.parse::<f64>()) {
                (Ok(a), Ok(b)) => a.partial_cmp(&b),
                _ => Some(actual.as_str().cmp(expected)),
            }
        };
        use std::cmp::Ordering::*;
        match self.op {
            Op::In => self.values.iter().any(|v| compare(v) == Some(Equal)),
            op => {
                let ordering = compare(&self.values[0]);
                match op {
                    Op::Eq => ordering == Some(Equal),
                    Op::Neq => ordering != Some(Equal),
                    Op::Lt => ordering == Some(Less),
                    Op::Lte => matches!(ordering, Some(Less | Equal)),
                    Op::Gt => ordering == Some(Greater),
                    Op::Gte => matches!(ordering, Some(Greater | Equal)),
                    Op::In => unreachable!(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operators() {
        let f = |s: &str| Filter::parse(s).unwrap();
        assert!(f("id=eq.5").matches(Some(&json!(5))));
        assert!(!f("id=eq.5").matches(Some(&json!(50))));
        assert!(f("id=gt.5").matches(Some(&json!(10))), "numeric, not text, order");
        assert!(f("status=in.(pending,confirmed)").matches(Some(&json!("confirmed"))));
        assert!(f("status=neq.pending").matches(Some(&Value::Null)));
        assert!(!f("status=eq.pending").matches(None));
        assert!(Filter::parse("status=like.x").is_err());
        assert!(Filter::parse("status").is_err());
    }
}
