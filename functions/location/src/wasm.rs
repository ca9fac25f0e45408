//! JSON-in, JSON-out exports for the WASM build, wrapped by the Supabase edge functions so
//! they judge fixes, measure and estimate with the same code as the location service.
//!
//! Every export takes one JSON string and returns a JSON string: the result on success, or
//! `{"code", "message"}` on failure (`invalid_input` for JSON that does not fit the input,
//! else the Rust error's code). Nothing panics across the boundary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::{
    eta::{self, EtaInput},
    geo::{self, Point},
    settings::Settings,
    track::{self, Fix, TrackState},
};

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| {
        format!(
            r#"{{"code":"internal","message":{}}}"#,
            serde_json::Value::from(e.to_string())
        )
    })
}

fn error(code: &str, message: impl ToString) -> String {
    to_json(&serde_json::json!({ "code": code, "message": message.to_string() }))
}

fn parse<I: for<'de> Deserialize<'de>>(input: &str) -> Result<I, String> {
    serde_json::from_str(input).map_err(|e| error("invalid_input", e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistanceInput {
    from: Point,
    to: Point,
}

/// `{from: {latitude, longitude}, to}` -> `{distance_m}`.
#[wasm_bindgen]
pub fn distance(input_json: &str) -> String {
    match parse::<DistanceInput>(input_json) {
        Err(e) => e,
        Ok(i) if !i.from.is_valid() || !i.to.is_valid() => error("invalid_coordinates", "a point is out of range"),
        Ok(i) => to_json(&serde_json::json!({ "distance_m": geo::distance_m(i.from, i.to) })),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackInput {
    #[serde(default)]
    state: TrackState,
    fixes: Vec<Fix>,
    destination: Option<Point>,
    #[serde(default)]
    settings: Option<Settings>,
    /// When given, the batch is validated as the service validates it.
    #[serde(default)]
    now: Option<DateTime<Utc>>,
}

/// `{state?, fixes, destination, settings?, now?}` -> `{state, verdicts, arrived}`.
#[wasm_bindgen]
pub fn advance(input_json: &str) -> String {
    let input = match parse::<TrackInput>(input_json) {
        Err(e) => return e,
        Ok(i) => i,
    };
    if let Some(now) = input.now {
        if let Err(e) = track::validate_batch(&input.fixes, now) {
            return error(e.code(), e);
        }
    }
    let settings = input.settings.unwrap_or_default();
    to_json(&track::advance(
        &input.state,
        &input.fixes,
        input.destination,
        &settings,
    ))
}

/// `{track, destination, now, settings?}` -> `{distance_remaining_m, eta_seconds, eta_at,
/// method, last_fix_age_seconds, signal_lost, speed_kmh}`.
#[wasm_bindgen]
pub fn estimate(input_json: &str) -> String {
    match parse::<EtaInput>(input_json) {
        Err(e) => e,
        Ok(i) => to_json(&eta::estimate(
            &i.track,
            i.destination,
            i.now,
            &i.settings.unwrap_or_default(),
        )),
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
            // Numbers compare to the centimetre: JSON round trips may differ in the last bits.
            (Value::Number(a), Value::Number(e)) => (a.as_f64().unwrap() - e.as_f64().unwrap()).abs() < 0.01,
            _ => actual == expected,
        }
    }

    fn call(export: &str, input: &str) -> String {
        match export {
            "distance" => distance(input),
            "advance" => advance(input),
            "estimate" => estimate(input),
            other => panic!("no export {other}"),
        }
    }

    /// The cases the WASM build is checked against in Node give the same answers natively.
    #[test]
    fn exports_answer_the_shared_cases() {
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        let cases = cases["cases"].as_array().unwrap().clone();
        assert!(cases.len() >= 8);
        for case in cases {
            let input = match case.get("raw") {
                Some(raw) => raw.as_str().unwrap().to_owned(),
                None => case["input"].to_string(),
            };
            let answer: Value = serde_json::from_str(&call(case["export"].as_str().unwrap(), &input)).unwrap();
            assert!(matches(&answer, &case["expect"]), "{}: {answer:#}", case["name"]);
        }
    }
}
