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
    use serde_json::{json, Value};

    use super::*;

    fn quote_input() -> Value {
        json!({
            "now": "2025-09-21T10:00:00Z",
            "start": "2025-09-27T13:30:00Z",
            "vendor": {"id": "v1", "timezone": "Asia/Kolkata", "city_tier": 1},
            "items": [{
                "service": {"id": "s1", "code": "SWD", "name": "Swedish Massage",
                            "base_price_60min": 199900, "duration_options": [60, 90]},
                "duration_minutes": 90
            }],
            "tiers": [{"code": "weekend", "name": "Weekend", "tier_type": "weekend",
                       "days_of_week": [0, 6], "multiplier_bps": 11000, "priority": 10}],
            "tax_rates": [{"rate_bps": 1800}, {"rate_bps": 500, "effective_from": "2025-09-21T18:30:00Z"}],
            "convenience_fee": 4900
        })
    }

    #[test]
    fn quote_round_trip() {
        let out: Value = serde_json::from_str(&quote(&quote_input().to_string())).unwrap();
        // 199900 * 1.5 = 299850; Saturday x1.1 = 329835; GST 18 % (booked 21 Sep) = 59370.3 -> 59370.
        assert_eq!(out["subtotal"], 329_835);
        assert_eq!(out["tax_rate_bps"], 1800);
        assert_eq!(out["tax_amount"], 59_370);
        assert_eq!(out["total_amount"], 329_835 + 59_370 + 4900);
        assert_eq!(out["lines"][0]["kind"], "service");
        assert_eq!(out["items"][0]["price"], 329_835);
    }

    #[test]
    fn quote_errors_are_code_and_message() {
        let mut input = quote_input();
        input["items"][0]["duration_minutes"] = json!(75);
        let out: Value = serde_json::from_str(&quote(&input.to_string())).unwrap();
        assert_eq!(out["code"], "duration_not_offered");
        assert_eq!(out["message"], "SWD is not offered for 75 minutes");

        // A client-sent price is an unknown field, refused.
        let mut input = quote_input();
        input["items"][0]["price"] = json!(1);
        let out: Value = serde_json::from_str(&quote(&input.to_string())).unwrap();
        assert_eq!(out["code"], "invalid_input");
        assert!(out["message"].as_str().unwrap().contains("price"));

        let out: Value = serde_json::from_str(&quote("not json")).unwrap();
        assert_eq!(out["code"], "invalid_input");
        let mut input = quote_input();
        input["vendor"]["timezone"] = json!("Mars/Olympus");
        let out: Value = serde_json::from_str(&quote(&input.to_string())).unwrap();
        assert_eq!(out["code"], "invalid_input");
    }

    #[test]
    fn free_slots_round_trip() {
        let input = json!({
            "now": "2025-10-14T03:30:00Z",
            "date": "2025-10-15",
            "duration_minutes": 60,
            "granularity_minutes": 60,
            "place": {"type": "spa_visit"},
            "vendor": {},
            "opening_hours": [{"day_of_week": 3, "open_time": "10:00", "close_time": "12:00"}],
            "therapists": [{"id": "t1", "schedules": [{"day_of_week": 3, "start_time": "09:00", "end_time": "18:00"}]}]
        });
        let out: Value = serde_json::from_str(&free_slots(&input.to_string())).unwrap();
        assert_eq!(
            out,
            json!([
                {"start": "2025-10-15T04:30:00Z", "end": "2025-10-15T05:30:00Z", "therapist_ids": ["t1"]},
                {"start": "2025-10-15T05:30:00Z", "end": "2025-10-15T06:30:00Z", "therapist_ids": ["t1"]}
            ])
        );
        let out: Value = serde_json::from_str(&free_slots(r#"{"date": "2025-10-15"}"#)).unwrap();
        assert_eq!(out["code"], "invalid_input");
    }
}
