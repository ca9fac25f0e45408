//! JSON-in, JSON-out exports for the WASM build, wrapped by the Supabase edge functions so
//! both stacks price and schedule with the same code.
//!
//! Every export returns a JSON string: the result on success, or `{"code", "message"}` on
//! failure, with the same codes as the Rust errors. Nothing panics across the boundary.

use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::availability::{self, AvailabilityInput};
use crate::pricing::{self, QuoteInput};

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
    serde_json::to_string(value).unwrap_or_else(|e| {
        format!(
            r#"{{"code":"internal","message":{}}}"#,
            serde_json::Value::from(e.to_string())
        )
    })
}

/// Prices a booking: `QuoteInput` JSON in, `Quote` JSON out.
#[wasm_bindgen]
pub fn quote(input_json: &str) -> String {
    let input: QuoteInput = match serde_json::from_str(input_json) {
        Ok(input) => input,
        Err(e) => return error("invalid_input", e),
    };
    match pricing::quote(&input) {
        Ok(quote) => to_json(&quote),
        Err(e) => error(e.code(), &e),
    }
}

/// Lists free slots: `AvailabilityInput` JSON in, `[Slot]` JSON out.
#[wasm_bindgen]
pub fn free_slots(input_json: &str) -> String {
    match serde_json::from_str::<AvailabilityInput>(input_json) {
        Ok(input) => to_json(&availability::free_slots(&input)),
        Err(e) => error("invalid_input", e),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// `expected` names a subset of `actual`'s fields; arrays match in length and element by
    /// element. The same rule as `tests/wasm/run.cjs`.
    fn matches(actual: &Value, expected: &Value) -> bool {
        match (actual, expected) {
            (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| matches(x, v))),
            (Value::Array(a), Value::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(x, y)| matches(x, y)),
            _ => actual == expected,
        }
    }

    /// The cases the WASM build is checked against in Node give the same answers natively.
    #[test]
    fn exports_answer_the_shared_cases() {
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        let cases = cases["cases"].as_array().unwrap();
        assert!(cases.len() >= 8);
        for case in cases {
            let input = match case.get("raw") {
                Some(raw) => raw.as_str().unwrap().to_owned(),
                None => case["input"].to_string(),
            };
            let answer = match case["export"].as_str().unwrap() {
                "quote" => quote(&input),
                "free_slots" => free_slots(&input),
                other => panic!("no export {other}"),
            };
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert!(matches(&answer, &case["expect"]), "{}: {answer:#}", case["name"]);
        }
    }

    #[test]
    fn matching_is_not_vacuous() {
        let answer = serde_json::json!({"a": 1, "b": [1, 2]});
        assert!(matches(&answer, &serde_json::json!({"a": 1})));
        assert!(!matches(&answer, &serde_json::json!({"a": 2})));
        assert!(!matches(&answer, &serde_json::json!({"c": 1})));
        assert!(!matches(&answer, &serde_json::json!({"b": [1]})));
    }
}
