//! JSON-in, JSON-out exports for the WASM build, so the edge functions render, choose,
//! schedule and retry with the same code as the notification worker.
//!
//! Every export takes one JSON string and returns a JSON string: the result on success, or
//! `{"code", "message"}` on failure, with the same codes as the Rust errors (`invalid_input`
//! for JSON that does not fit the input). Nothing panics across the boundary.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::channel::{Category, Channel};
use crate::events;
use crate::prefs::{self, Choice, CustomerConsent, Reach, UserPreferences};
use crate::retry::{self, Failure, RetryPolicy};
use crate::schedule::{self, Timing};
use crate::sms;
use crate::template::{
    self, EmailTemplate, PushTemplate, RenderError, SmsTemplate, SmsTemplateRow, Vars, WhatsappTemplate,
};

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

/// An error with a stable code.
trait Coded {
    fn code(&self) -> &'static str;
    fn message(&self) -> String;
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
            fn message(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

coded!(RenderError, schedule::ScheduleError, retry::RetryError);

/// Input that parses as JSON but cannot be used.
struct InvalidInput(&'static str);

impl Coded for InvalidInput {
    fn code(&self) -> &'static str {
        "invalid_input"
    }
    fn message(&self) -> String {
        self.0.to_owned()
    }
}

/// Parses the input, runs `f`, and renders its result or error.
fn run<I, O, E>(input_json: &str, f: impl FnOnce(I) -> Result<O, E>) -> String
where
    I: for<'de> Deserialize<'de>,
    O: Serialize,
    E: Coded,
{
    match serde_json::from_str::<I>(input_json) {
        Err(e) => error("invalid_input", e),
        Ok(input) => match f(input) {
            Ok(output) => to_json(&output),
            Err(e) => error(e.code(), e.message()),
        },
    }
}

/// An SMS template with its code, as one entry of the setting plus `code`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsInput {
    code: String,
    #[serde(flatten)]
    row: SmsTemplateRow,
}

#[derive(Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case", deny_unknown_fields)]
enum RenderInput {
    Email {
        template: EmailTemplate,
        variables: serde_json::Map<String, serde_json::Value>,
    },
    Sms {
        template: serde_json::Value,
        variables: serde_json::Map<String, serde_json::Value>,
    },
    Whatsapp {
        template: WhatsappTemplate,
        variables: serde_json::Map<String, serde_json::Value>,
    },
    Push {
        template: PushTemplate,
        variables: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        data: BTreeMap<String, String>,
    },
    InApp {
        template: PushTemplate,
        variables: serde_json::Map<String, serde_json::Value>,
        #[serde(default)]
        data: BTreeMap<String, String>,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum Rendered {
    Email(template::RenderedEmail),
    Sms(template::RenderedSms),
    Whatsapp(template::RenderedWhatsapp),
    Push(template::RenderedPush),
}

/// Renders a template: `{channel, template, variables, data?}` in (`template` as its row;
/// for SMS one entry of the `sms_templates` setting plus its `code`; `variables` the queue
/// row's payload), the rendered message out.
#[wasm_bindgen]
pub fn render(input_json: &str) -> String {
    run(input_json, |input: RenderInput| {
        Ok::<_, RenderError>(match input {
            RenderInput::Email { template, variables } => {
                Rendered::Email(template.render(&Vars::from_payload(&variables))?)
            }
            RenderInput::Sms { template, variables } => {
                let sms: SmsInput = serde_json::from_value(template).map_err(|e| RenderError::InvalidTemplate {
                    template: "sms".into(),
                    reason: e.to_string(),
                })?;
                let template = SmsTemplate::parse(&sms.code, sms.row)?;
                Rendered::Sms(template.render(&Vars::from_payload(&variables))?)
            }
            RenderInput::Whatsapp { template, variables } => {
                Rendered::Whatsapp(template.render(&Vars::from_payload(&variables))?)
            }
            RenderInput::Push {
                template,
                variables,
                data,
            }
            | RenderInput::InApp {
                template,
                variables,
                data,
            } => Rendered::Push(template.render(&Vars::from_payload(&variables), data)?),
        })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChooseInput {
    /// The event whose default channels and category apply ...
    event_type: Option<String>,
    /// ... or these, which override them.
    channels: Option<Vec<Channel>>,
    category: Option<Category>,
    urgent: Option<bool>,
    /// The `user_preferences` row, if there is one.
    preferences: Option<UserPreferences>,
    /// The consent columns of the `customer_preferences` row, for a customer.
    consent: Option<CustomerConsent>,
    reach: Reach,
}

#[derive(Serialize)]
struct Chosen {
    category: Category,
    urgent: bool,
    #[serde(flatten)]
    choice: Choice,
}

/// Which channels to send on: `{event_type?, channels?, category?, urgent?, preferences?,
/// consent?, reach}` in, `{category, urgent, send, skipped}` out.
#[wasm_bindgen]
pub fn choose(input_json: &str) -> String {
    run(input_json, |input: ChooseInput| {
        let route = input.event_type.as_deref().and_then(events::route);
        let channels = match (&input.channels, route) {
            (Some(c), _) => c.clone(),
            (None, Some(r)) => r.channels.to_vec(),
            (None, None) => return Err(InvalidInput("give `channels`, or an `event_type` with a route")),
        };
        let category = input
            .category
            .or(route.map(|r| r.category))
            .unwrap_or(Category::ServiceImplicit);
        let urgent = input.urgent.or(route.map(|r| r.urgent)).unwrap_or(false);
        let choice = prefs::choose(
            &channels,
            category,
            input.preferences.as_ref(),
            input.consent.as_ref(),
            &input.reach,
        );
        Ok(Chosen {
            category,
            urgent,
            choice,
        })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleInput {
    now: DateTime<Utc>,
    channel: Channel,
    category: Category,
    #[serde(default)]
    urgent: bool,
    /// The person's `user_preferences` (time zone and quiet hours); the defaults without.
    preferences: Option<UserPreferences>,
}

/// When to send: `{now, channel, category, urgent?, preferences?}` in, `{when: "now"}` or
/// `{when: "defer", until, reason}` out.
#[wasm_bindgen]
pub fn schedule(input_json: &str) -> String {
    run(input_json, |input: ScheduleInput| {
        let prefs = input.preferences.unwrap_or_default();
        schedule::schedule(
            input.now,
            Timing {
                channel: input.channel,
                category: input.category,
                urgent: input.urgent,
            },
            prefs.timezone,
            prefs.quiet_hours,
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryInput {
    #[serde(default)]
    policy: RetryPolicy,
    attempt: u32,
    failure: Failure,
    now: DateTime<Utc>,
    jitter: u64,
}

/// After a failed attempt: `{policy?, attempt, failure, now, jitter}` in,
/// `{outcome: "retry", at, delay_ms}` or `{outcome: "dead", reason}` out.
#[wasm_bindgen]
pub fn retry(input_json: &str) -> String {
    run(input_json, |input: RetryInput| {
        retry::after_failure(&input.policy, input.attempt, input.failure, input.now, input.jitter)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmsCostInput {
    body: String,
    /// The DLT template the body must match, if it is to be checked.
    dlt_template: Option<String>,
}

#[derive(Serialize)]
struct SmsCostOutput {
    #[serde(flatten)]
    cost: sms::SmsCost,
    dlt_values: Option<Vec<String>>,
}

/// An SMS body's encoding and segments, and optionally whether it matches its DLT template:
/// `{body, dlt_template?}` in, `{encoding, units, segments, dlt_values}` out.
#[wasm_bindgen]
pub fn sms_cost(input_json: &str) -> String {
    run(input_json, |input: SmsCostInput| {
        let dlt_values = input
            .dlt_template
            .as_deref()
            .map(|t| template::dlt_match(t, &input.body))
            .transpose()?;
        Ok::<_, RenderError>(SmsCostOutput {
            cost: sms::cost(&input.body),
            dlt_values,
        })
    })
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

    const EXPORTS: [&str; 5] = ["render", "choose", "schedule", "retry", "sms_cost"];

    fn call(export: &str, input: &str) -> String {
        match export {
            "render" => render(input),
            "choose" => choose(input),
            "schedule" => schedule(input),
            "retry" => retry(input),
            "sms_cost" => sms_cost(input),
            other => panic!("no export {other}"),
        }
    }

    fn cases() -> Vec<Value> {
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        cases["cases"].as_array().unwrap().clone()
    }

    /// The cases the WASM build is checked against in Node give the same answers natively.
    #[test]
    fn exports_answer_the_shared_cases() {
        let cases = cases();
        assert!(cases.len() >= 15);
        for case in cases {
            let input = match case.get("raw") {
                Some(raw) => raw.as_str().unwrap().to_owned(),
                None => case["input"].to_string(),
            };
            let answer = call(case["export"].as_str().unwrap(), &input);
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert!(matches(&answer, &case["expect"]), "{}: {answer:#}", case["name"]);
        }
    }

    #[test]
    fn every_export_is_covered_by_a_case() {
        let cases = cases();
        for export in EXPORTS {
            assert!(cases.iter().any(|c| c["export"] == export), "no case for {export}");
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

    #[test]
    fn bad_input_is_an_error_body_never_a_panic() {
        for export in EXPORTS {
            for input in ["", "null", "[]", "{}", "{\"channel\":\"fax\"}"] {
                let answer: Value = serde_json::from_str(&call(export, input)).unwrap();
                assert_eq!(answer["code"], "invalid_input", "{export} {input}: {answer}");
            }
        }
    }
}
