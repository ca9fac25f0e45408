//! The event contract: what the apps may send to the ingest endpoint. Each event of a batch
//! is judged alone, so one bad event is refused with its index and reason while the others
//! are stored (or, for an all-or-nothing batch, the whole batch is refused).
//!
//! An event is `{event_name, event_category?, event_properties?, session_id?, device_info?,
//! location_info?, timestamp}`; a `user_id` in the body is accepted and ignored (the caller's
//! token decides it). `page_view` events are page views: they need a `session_id` and a
//! `path` property, and are stored in `page_views` rather than `analytics_events`.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

/// Events per batch.
pub const MAX_BATCH: usize = 500;
/// Serialized size of `event_properties`.
pub const MAX_PROPERTIES_BYTES: usize = 8 * 1024;
/// How far ahead of the server's clock a device's timestamp may be.
pub const MAX_FUTURE: Duration = Duration::minutes(5);
/// How old an event may be when it arrives (apps buffer offline for a few days at most).
pub const MAX_AGE: Duration = Duration::days(7);
/// Longest session id, category and short text field.
pub const MAX_SESSION_ID: usize = 128;
pub const MAX_CATEGORY: usize = 64;
pub const MAX_FIELD: usize = 200;
pub const MAX_PATH: usize = 2048;

/// The event name that makes a page view.
pub const PAGE_VIEW: &str = "page_view";

/// Fields `device_info` may carry.
pub const DEVICE_FIELDS: [&str; 10] = [
    "platform",
    "os",
    "os_version",
    "browser",
    "browser_version",
    "app_version",
    "device_type",
    "model",
    "locale",
    "screen",
];
/// Values of `device_info.platform`.
pub const PLATFORMS: [&str; 3] = ["web", "android", "ios"];
/// Values of `device_info.device_type`.
pub const DEVICE_TYPES: [&str; 3] = ["mobile", "tablet", "desktop"];
/// Fields `location_info` may carry.
pub const LOCATION_FIELDS: [&str; 5] = ["city", "state", "country", "pincode", "source"];

/// A valid event, ready to store (the service adds the caller's user id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_name: String,
    pub event_category: Option<String>,
    pub event_properties: Map<String, Value>,
    pub session_id: Option<String>,
    pub device_info: Option<Map<String, Value>>,
    pub location_info: Option<Map<String, Value>>,
    pub timestamp: DateTime<Utc>,
}

/// A page view, derived from a `page_view` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageView {
    pub session_id: String,
    pub path: String,
    pub title: Option<String>,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub platform: String,
    pub device_type: Option<String>,
    pub duration_seconds: Option<i32>,
    pub viewed_at: DateTime<Utc>,
}

/// Why one event was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    pub code: &'static str,
    pub reason: String,
}

/// Why a whole batch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("the body must be an object with an \"events\" array")]
    NotABatch,
    #[error("a batch holds 1 to {MAX_BATCH} events, not {0}")]
    Size(usize),
}

impl BatchError {
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::NotABatch => "invalid_batch",
            BatchError::Size(_) => "batch_size",
        }
    }
}

/// Each event of a batch judged alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judged {
    /// The valid events with their index in the batch.
    pub accepted: Vec<(usize, Event)>,
    pub rejected: Vec<Rejection>,
}

/// Parses `{"events": [...]}` at `now`.
pub fn parse_batch(body: &Value, now: DateTime<Utc>) -> Result<Judged, BatchError> {
    let events = body
        .as_object()
        .and_then(|o| o.get("events"))
        .and_then(Value::as_array)
        .ok_or(BatchError::NotABatch)?;
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(BatchError::Size(events.len()));
    }
    let mut judged = Judged::default();
    for (index, raw) in events.iter().enumerate() {
        match parse_event(raw, now) {
            Ok(event) => judged.accepted.push((index, event)),
            Err((code, reason)) => judged.rejected.push(Rejection { index, code, reason }),
        }
    }
    Ok(judged)
}

type Refusal = (&'static str, String);

fn refuse<T>(code: &'static str, reason: impl Into<String>) -> Result<T, Refusal> {
    Err((code, reason.into()))
}

/// `^[a-z][a-z0-9_.]{1,63}$`.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=64).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'.')
}

fn short_text(value: &Value, field: &str, max: usize) -> Result<String, Refusal> {
    match value.as_str() {
        Some(s) if !s.is_empty() && s.chars().count() <= max && !s.contains('\0') => Ok(s.to_owned()),
        Some(_) => refuse("invalid_field", format!("{field} must be 1 to {max} characters")),
        None => refuse("invalid_field", format!("{field} must be a string")),
    }
}

fn optional_text(obj: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, Refusal> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => short_text(v, field, max).map(Some),
    }
}

fn known_object(value: &Value, field: &str, known: &[&str]) -> Result<Map<String, Value>, Refusal> {
    let Some(obj) = value.as_object() else {
        return refuse("invalid_field", format!("{field} must be an object"));
    };
    for (key, v) in obj {
        if !known.contains(&key.as_str()) {
            return refuse(
                "unknown_field",
                format!("{field}.{key} is not a known field (known: {})", known.join(", ")),
            );
        }
        if !(v.is_string() || v.is_null() || (key == "screen" && v.is_object())) {
            return refuse("invalid_field", format!("{field}.{key} must be a string"));
        }
        if let Some(s) = v.as_str() {
            if s.chars().count() > MAX_FIELD {
                return refuse(
                    "invalid_field",
                    format!("{field}.{key} is longer than {MAX_FIELD} characters"),
                );
            }
        }
    }
    Ok(obj.clone())
}

/// One event at `now`, or the code and reason it is refused.
pub fn parse_event(raw: &Value, now: DateTime<Utc>) -> Result<Event, (&'static str, String)> {
    let Some(obj) = raw.as_object() else {
        return refuse("not_an_object", "an event must be a JSON object");
    };
    const FIELDS: [&str; 8] = [
        "event_name",
        "event_category",
        "event_properties",
        "session_id",
        "device_info",
        "location_info",
        "timestamp",
        "user_id",
    ];
    if let Some(key) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return refuse("unknown_field", format!("{key} is not a field of an event"));
    }
    let event_name = match obj.get("event_name").and_then(Value::as_str) {
        Some(name) if valid_name(name) => name.to_owned(),
        Some(name) => {
            return refuse(
                "invalid_name",
                format!("event_name {name:?} must match ^[a-z][a-z0-9_.]{{1,63}}$"),
            )
        }
        None => return refuse("invalid_name", "event_name is required and must be a string"),
    };
    let event_category = optional_text(obj, "event_category", MAX_CATEGORY)?;
    let event_properties = match obj.get("event_properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => {
            let size = serde_json::to_vec(map).map(|v| v.len()).unwrap_or(usize::MAX);
            if size > MAX_PROPERTIES_BYTES {
                return refuse(
                    "properties_too_large",
                    format!("event_properties is {size} bytes; at most {MAX_PROPERTIES_BYTES}"),
                );
            }
            if serde_json::to_string(map).is_ok_and(|s| s.contains("\\u0000")) {
                return refuse("invalid_field", "event_properties may not contain NUL characters");
            }
            map.clone()
        }
        Some(_) => return refuse("invalid_properties", "event_properties must be an object"),
    };
    let session_id = optional_text(obj, "session_id", MAX_SESSION_ID)?;
    let device_info = match obj.get("device_info") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let map = known_object(v, "device_info", &DEVICE_FIELDS)?;
            if let Some(p) = map.get("platform").and_then(Value::as_str) {
                if !PLATFORMS.contains(&p) {
                    return refuse(
                        "invalid_field",
                        format!("device_info.platform must be one of {PLATFORMS:?}"),
                    );
                }
            }
            if let Some(t) = map.get("device_type").and_then(Value::as_str) {
                if !DEVICE_TYPES.contains(&t) {
                    return refuse(
                        "invalid_field",
                        format!("device_info.device_type must be one of {DEVICE_TYPES:?}"),
                    );
                }
            }
            Some(map)
        }
    };
    let location_info = match obj.get("location_info") {
        None | Some(Value::Null) => None,
        Some(v) => Some(known_object(v, "location_info", &LOCATION_FIELDS)?),
    };
    let timestamp = match obj.get("timestamp").and_then(Value::as_str) {
        Some(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => return refuse("invalid_timestamp", format!("timestamp {s:?} is not RFC 3339")),
        },
        None => return refuse("invalid_timestamp", "timestamp is required (RFC 3339)"),
    };
    if timestamp > now + MAX_FUTURE {
        return refuse(
            "timestamp_in_future",
            "timestamp is more than 5 minutes ahead of the server",
        );
    }
    if timestamp < now - MAX_AGE {
        return refuse("timestamp_too_old", "timestamp is more than 7 days old");
    }
    let event = Event {
        event_name,
        event_category,
        event_properties,
        session_id,
        device_info,
        location_info,
        timestamp,
    };
    if event.event_name == PAGE_VIEW {
        page_view(&event)?;
    }
    Ok(event)
}

/// The page view a `page_view` event records.
pub fn page_view(event: &Event) -> Result<PageView, (&'static str, String)> {
    let Some(session_id) = event.session_id.clone() else {
        return refuse("invalid_page_view", "a page_view needs a session_id");
    };
    let props = &event.event_properties;
    let path = match props.get("path").and_then(Value::as_str) {
        Some(p) if p.starts_with('/') && p.len() <= MAX_PATH && !p.contains('?') => p.to_owned(),
        _ => {
            return refuse(
                "invalid_page_view",
                "a page_view needs event_properties.path: a path starting with / and without a query string",
            )
        }
    };
    let text = |field: &str| -> Result<Option<String>, Refusal> { optional_text(props, field, MAX_PATH) };
    let device = event.device_info.as_ref();
    let platform = device
        .and_then(|d| d.get("platform"))
        .and_then(Value::as_str)
        .unwrap_or("web")
        .to_owned();
    let device_type = device
        .and_then(|d| d.get("device_type"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let duration_seconds = match props.get("duration_seconds") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if (0..=i64::from(i32::MAX)).contains(&n) => Some(n as i32),
            _ => return refuse("invalid_page_view", "duration_seconds must be a non-negative integer"),
        },
    };
    Ok(PageView {
        session_id,
        path,
        title: text("title")?,
        referrer: text("referrer")?,
        utm_source: text("utm_source")?,
        utm_medium: text("utm_medium")?,
        utm_campaign: text("utm_campaign")?,
        utm_term: text("utm_term")?,
        utm_content: text("utm_content")?,
        platform,
        device_type,
        duration_seconds,
        viewed_at: event.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    fn ok(v: Value) -> Event {
        parse_event(&v, now()).expect("valid")
    }

    fn code(v: Value) -> &'static str {
        parse_event(&v, now()).expect_err("refused").0
    }

    #[test]
    fn names_follow_the_pattern() {
        for good in [
            "ab",
            "service_viewed",
            "booking.created",
            "a1",
            &format!("a{}", "b".repeat(63)),
        ] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "a",
            "",
            "Service",
            "1abc",
            "_x",
            "a-b",
            "a b",
            &format!("a{}", "b".repeat(64)),
            "é1",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_full_event_parses() {
        let e = ok(json!({
            "event_name": "service_viewed", "event_category": "discovery",
            "event_properties": {"service_id": "x"}, "session_id": "s1",
            "device_info": {"platform": "android", "app_version": "1.2.0"},
            "location_info": {"city": "Bengaluru"}, "timestamp": "2026-03-10T17:00:00+05:30",
            "user_id": "00000000-0000-0000-0000-000000000000"
        }));
        assert_eq!(e.timestamp, Utc.with_ymd_and_hms(2026, 3, 10, 11, 30, 0).unwrap());
        assert_eq!(e.session_id.as_deref(), Some("s1"));
    }

    #[test]
    fn the_timestamp_window_is_five_minutes_ahead_and_seven_days_back() {
        let at = |t: DateTime<Utc>| json!({"event_name": "app_opened", "timestamp": t.to_rfc3339()});
        ok(at(now() + Duration::minutes(5)));
        assert_eq!(
            code(at(now() + Duration::minutes(5) + Duration::seconds(1))),
            "timestamp_in_future"
        );
        ok(at(now() - Duration::days(7)));
        assert_eq!(
            code(at(now() - Duration::days(7) - Duration::seconds(1))),
            "timestamp_too_old"
        );
        assert_eq!(
            code(json!({"event_name": "app_opened", "timestamp": "yesterday"})),
            "invalid_timestamp"
        );
        assert_eq!(code(json!({"event_name": "app_opened"})), "invalid_timestamp");
    }

    #[test]
    fn properties_are_an_object_of_at_most_8_kib() {
        let t = now().to_rfc3339();
        let big = |n: usize| json!({"event_name": "x_y", "timestamp": t, "event_properties": {"k": "a".repeat(n)}});
        // {"k":"..."} is 8 bytes around the value.
        ok(big(MAX_PROPERTIES_BYTES - 8));
        assert_eq!(code(big(MAX_PROPERTIES_BYTES - 7)), "properties_too_large");
        assert_eq!(
            code(json!({"event_name": "x_y", "timestamp": t, "event_properties": [1]})),
            "invalid_properties"
        );
    }

    #[test]
    fn device_and_location_fields_are_known_ones() {
        let t = now().to_rfc3339();
        assert_eq!(
            code(json!({"event_name": "x_y", "timestamp": t, "device_info": {"imei": "1"}})),
            "unknown_field"
        );
        assert_eq!(
            code(json!({"event_name": "x_y", "timestamp": t, "device_info": {"platform": "symbian"}})),
            "invalid_field"
        );
        assert_eq!(
            code(json!({"event_name": "x_y", "timestamp": t, "location_info": {"lat": "1"}})),
            "unknown_field"
        );
        assert_eq!(
            code(json!({"event_name": "x_y", "timestamp": t, "colour": 1})),
            "unknown_field"
        );
    }

    #[test]
    fn page_views_need_a_session_and_a_path() {
        let t = now().to_rfc3339();
        assert_eq!(
            code(json!({"event_name": "page_view", "timestamp": t})),
            "invalid_page_view"
        );
        assert_eq!(
            code(
                json!({"event_name": "page_view", "timestamp": t, "session_id": "s", "event_properties": {"path": "spas"}})
            ),
            "invalid_page_view"
        );
        let e = ok(json!({"event_name": "page_view", "timestamp": t, "session_id": "s",
            "event_properties": {"path": "/spas/bengaluru", "utm_campaign": "diwali", "duration_seconds": 12},
            "device_info": {"platform": "ios", "device_type": "mobile"}}));
        let pv = page_view(&e).unwrap();
        assert_eq!((pv.path.as_str(), pv.platform.as_str()), ("/spas/bengaluru", "ios"));
        assert_eq!(pv.utm_campaign.as_deref(), Some("diwali"));
        assert_eq!(pv.duration_seconds, Some(12));
    }

    #[test]
    fn a_batch_is_judged_event_by_event() {
        let t = now().to_rfc3339();
        let judged = parse_batch(
            &json!({"events": [{"event_name": "ok_one", "timestamp": t}, {"event_name": "Bad", "timestamp": t}, 7]}),
            now(),
        )
        .unwrap();
        assert_eq!(judged.accepted.len(), 1);
        assert_eq!(judged.rejected.iter().map(|r| r.index).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(parse_batch(&json!({"events": []}), now()), Err(BatchError::Size(0)));
        let many: Vec<Value> = (0..501).map(|_| json!({})).collect();
        assert_eq!(
            parse_batch(&json!({ "events": many }), now()),
            Err(BatchError::Size(501))
        );
        assert_eq!(parse_batch(&json!([1]), now()), Err(BatchError::NotABatch));
    }
}
