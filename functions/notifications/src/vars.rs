//! A message's template variables, from its queue row's payload and what the database knows
//! about its booking and recipient: ids and text as they are, amounts (integer paise)
//! written as rupees with Indian digit grouping (`₹1,49,999.00`; without the sign for SMS,
//! whose DLT templates say "Rs" themselves, and the sign would make the text UCS-2), and
//! instants as the booking's local date and time (`15 Oct 2025`, `18:30`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::channel::Channel;
use crate::template::Vars;

/// Where the cancellation policy is published (the booking confirmation links to it).
pub const CANCELLATION_POLICY_URL: &str = "https://ombaro.in/policies/cancellation";

/// Payload keys holding paise, and the variable each becomes (itself, or a friendlier name
/// the templates use).
const MONEY: [(&str, &str); 6] = [
    ("total_amount", "total_amount"),
    ("amount", "amount"),
    ("amount", "amount_paid"),
    ("refund_due", "refund_amount"),
    ("refund_amount", "refund_amount"),
    ("cancellation_fee", "cancellation_fee"),
];

/// `paise` as rupees with Indian grouping: `149999900` is `14,99,999.00`.
pub fn rupees(paise: i64) -> String {
    let sign = if paise < 0 { "-" } else { "" };
    let paise = paise.unsigned_abs();
    let (whole, fraction) = (paise / 100, paise % 100);
    let digits = whole.to_string();
    let grouped = if digits.len() <= 3 {
        digits
    } else {
        let (head, last3) = digits.split_at(digits.len() - 3);
        let mut parts: Vec<&str> = Vec::new();
        let mut rest = head;
        while rest.len() > 2 {
            let (a, b) = rest.split_at(rest.len() - 2);
            parts.push(b);
            rest = a;
        }
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts.reverse();
        format!("{},{last3}", parts.join(","))
    };
    format!("{sign}{grouped}.{fraction:02}")
}

fn local(value: &Value, tz: Tz) -> Option<chrono::DateTime<Tz>> {
    let at: DateTime<Utc> = value.as_str()?.parse().ok()?;
    Some(at.with_timezone(&tz))
}

/// The variables of a message on `channel`: the booking context first, the payload over it,
/// then amounts and times written out.
pub fn message_vars(payload: &Map<String, Value>, booking: Option<&Map<String, Value>>, channel: Channel) -> Vars {
    let mut merged: Map<String, Value> = booking.cloned().unwrap_or_default();
    for (k, v) in payload {
        merged.insert(k.clone(), v.clone());
    }
    let tz: Tz = merged
        .get("booking_timezone")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::Asia::Kolkata);
    let mut vars = Vars::from_payload(&merged);
    for (key, name) in MONEY {
        if let Some(paise) = merged.get(key).and_then(Value::as_i64) {
            let text = rupees(paise);
            vars = vars.with(
                name,
                if channel == Channel::Sms {
                    text
                } else {
                    format!("₹{text}")
                },
            );
        }
    }
    let at = |key: &str, date: &str, time: &str, vars: Vars| -> Vars {
        match merged.get(key).and_then(|v| local(v, tz)) {
            Some(t) => vars
                .with(date, t.format("%-d %b %Y").to_string())
                .with(time, t.format("%H:%M").to_string()),
            None => vars,
        }
    };
    vars = at("scheduled_start", "booking_date", "booking_time", vars);
    vars = at("from", "old_booking_date", "old_booking_time", vars);
    vars = at("to", "new_booking_date", "new_booking_time", vars);
    if vars.get("cancellation_policy_url").is_none() {
        vars = vars.with("cancellation_policy_url", CANCELLATION_POLICY_URL);
    }
    vars
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn rupees_are_grouped_the_indian_way() {
        for (paise, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (249_900, "2,499.00"),
            (14_999_900, "1,49,999.00"),
            (1_234_567_890, "1,23,45,678.90"),
            (-100_000, "-1,000.00"),
        ] {
            assert_eq!(rupees(paise), text);
        }
    }

    #[test]
    fn amounts_and_times_are_written_out_per_channel() {
        let payload = json!({"booking_id": "b", "booking_number": "OBO-20251015-0001", "refund_due": 149_900,
                             "from": "2025-10-15T13:00:00Z", "to": "2025-10-16T05:30:00Z"});
        let booking = json!({"scheduled_start": "2025-10-15T13:00:00Z", "booking_timezone": "Asia/Kolkata",
                             "total_amount": 293_535, "customer_name": "Meera"});
        let email = message_vars(payload.as_object().unwrap(), booking.as_object(), Channel::Email);
        assert_eq!(email.get("total_amount"), Some("₹2,935.35"));
        assert_eq!(email.get("refund_amount"), Some("₹1,499.00"));
        assert_eq!(email.get("booking_date"), Some("15 Oct 2025"));
        assert_eq!(email.get("booking_time"), Some("18:30"));
        assert_eq!(email.get("new_booking_time"), Some("11:00"));
        assert_eq!(email.get("customer_name"), Some("Meera"));
        assert_eq!(email.get("cancellation_policy_url"), Some(CANCELLATION_POLICY_URL));
        let sms = message_vars(payload.as_object().unwrap(), booking.as_object(), Channel::Sms);
        assert_eq!(sms.get("refund_amount"), Some("1,499.00"));
    }
}
