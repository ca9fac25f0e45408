//! JSON-in, JSON-out exports for the WASM build, wrapped by the Supabase edge function so it
//! judges events and computes funnels, cohorts and revenue with the same code as the
//! analytics service.
//!
//! Every export takes one JSON string and returns a JSON string: the result on success, or
//! `{"code", "message"}` on failure (`invalid_input` for JSON that does not fit the input).
//! Nothing panics across the boundary.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::cohort::{self, CohortRow, Grain};
use crate::event::{self, Rejection};
use crate::funnel::{self, Step, Touch};
use crate::revenue::{self, Group, GroupBy, Refund, Sale};

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: String,
}

fn error(code: &str, message: impl ToString) -> String {
    to_json(&ErrorBody {
        code,
        message: message.to_string(),
    })
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| error("internal", e))
}

fn run<I, O>(input_json: &str, f: impl FnOnce(I) -> Result<O, (&'static str, String)>) -> String
where
    I: for<'de> Deserialize<'de>,
    O: Serialize,
{
    match serde_json::from_str::<I>(input_json) {
        Err(e) => error("invalid_input", e),
        Ok(input) => match f(input) {
            Ok(output) => to_json(&output),
            Err((code, message)) => error(code, message),
        },
    }
}

#[derive(Deserialize)]
struct BatchInput {
    body: Value,
    now: DateTime<Utc>,
}

#[derive(Serialize)]
struct BatchOutput {
    accepted: Vec<usize>,
    rejected: Vec<Rejection>,
}

/// `{body, now}` -> `{accepted: [index], rejected: [{index, code, reason}]}`.
#[wasm_bindgen]
pub fn judge_batch(input_json: &str) -> String {
    run(input_json, |i: BatchInput| {
        let judged = event::parse_batch(&i.body, i.now).map_err(|e| (e.code(), e.to_string()))?;
        Ok(BatchOutput {
            accepted: judged.accepted.iter().map(|(i, _)| *i).collect(),
            rejected: judged.rejected,
        })
    })
}

#[derive(Deserialize)]
struct FunnelInput {
    funnel: String,
    touches: Vec<Touch>,
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default)]
    city: Option<String>,
}

/// `{funnel, touches: [{actor, event_name, at, city?}], from, to, city?}` -> `[{name, count,
/// conversion, median_seconds_to_next}]`.
#[wasm_bindgen]
pub fn evaluate_funnel(input_json: &str) -> String {
    run(input_json, |i: FunnelInput| -> Result<Vec<Step>, _> {
        let def = funnel::definition(&i.funnel).ok_or(("unknown_funnel", format!("no funnel {:?}", i.funnel)))?;
        Ok(funnel::evaluate(def, &i.touches, i.from, i.to, i.city.as_deref()))
    })
}

#[derive(Deserialize)]
struct CohortInput {
    grain: Grain,
    joined: Vec<(String, NaiveDate)>,
    activity: Vec<(String, NaiveDate)>,
    through: NaiveDate,
}

/// `{grain, joined: [[member, day]], activity: [[member, day]], through}` ->
/// `[{cohort_start, period, cohort_size, retained}]`.
#[wasm_bindgen]
pub fn cohort_retention(input_json: &str) -> String {
    run(input_json, |i: CohortInput| -> Result<Vec<CohortRow>, _> {
        Ok(cohort::retention(i.grain, &i.joined, &i.activity, i.through))
    })
}

#[derive(Deserialize)]
struct RevenueInput {
    sales: Vec<Sale>,
    #[serde(default)]
    refunds: Vec<Refund>,
    group_by: GroupBy,
    from: NaiveDate,
    to: NaiveDate,
}

/// `{sales, refunds, group_by, from, to}` -> `[{key, totals}]`, amounts in paise.
#[wasm_bindgen]
pub fn aggregate_revenue(input_json: &str) -> String {
    run(input_json, |i: RevenueInput| -> Result<Vec<Group>, _> {
        Ok(revenue::aggregate(&i.sales, &i.refunds, i.group_by, i.from, i.to))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The cases the Node runner checks against the WASM build, checked natively too.
    #[test]
    fn shared_cases_answer_as_expected() {
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        for case in cases["cases"].as_array().unwrap() {
            let input = case
                .get("raw")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| case["input"].to_string());
            let answer = match case["export"].as_str().unwrap() {
                "judge_batch" => super::judge_batch(&input),
                "evaluate_funnel" => super::evaluate_funnel(&input),
                "cohort_retention" => super::cohort_retention(&input),
                "aggregate_revenue" => super::aggregate_revenue(&input),
                other => panic!("unknown export {other}"),
            };
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert!(matches(&answer, &case["expect"]), "{}: got {answer}", case["name"]);
        }
    }

    fn matches(actual: &Value, expected: &Value) -> bool {
        match expected {
            Value::Array(e) => actual
                .as_array()
                .is_some_and(|a| a.len() == e.len() && a.iter().zip(e).all(|(a, e)| matches(a, e))),
            Value::Object(e) => actual
                .as_object()
                .is_some_and(|a| e.iter().all(|(k, v)| a.get(k).is_some_and(|av| matches(av, v)))),
            _ => actual == expected,
        }
    }
}
