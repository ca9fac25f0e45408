//! JSON-in, JSON-out exports for the WASM build, wrapped by the Supabase edge functions so
//! they verify, parse and decide webhooks and compute invoices and settlements with the same
//! code as the payment service.
//!
//! Every export takes one JSON string and returns a JSON string: the result on success, or
//! `{"code", "message"}` on failure, with the same codes as the Rust errors (`invalid_input`
//! for JSON that does not fit the input). Nothing panics across the boundary. Bodies are JSON
//! strings, so a webhook body must be passed exactly as received (the signature covers its
//! bytes).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::wasm_bindgen;

use crate::decision::{self, Decision, InboxStatus, Notice, State};
use crate::events::{self, GatewayEvent, Provider};
use crate::gst::{self, InvoiceInput, InvoiceSeries};
use crate::settlement::{self, SettlementInput};
use crate::signature::{self, Secrets, SignatureError, Verified, STRIPE_TOLERANCE_SECS};

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

coded!(
    SignatureError,
    events::EventError,
    gst::GstError,
    settlement::SettlementError
);

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

/// Errors of `sign_webhook`.
enum SignError {
    Signature(SignatureError),
    Input(InvalidInput),
}

impl Coded for SignError {
    fn code(&self) -> &'static str {
        match self {
            SignError::Signature(e) => e.code(),
            SignError::Input(e) => e.code(),
        }
    }
    fn message(&self) -> String {
        match self {
            SignError::Signature(e) => e.to_string(),
            SignError::Input(e) => e.message(),
        }
    }
}

/// Errors of the combined `receive_webhook`.
enum WebhookError {
    Signature(SignatureError),
    Event(events::EventError),
}

impl Coded for WebhookError {
    fn code(&self) -> &'static str {
        match self {
            WebhookError::Signature(e) => e.code(),
            WebhookError::Event(e) => e.code(),
        }
    }
    fn message(&self) -> String {
        match self {
            WebhookError::Signature(e) => e.to_string(),
            WebhookError::Event(e) => e.to_string(),
        }
    }
}

impl Coded for std::convert::Infallible {
    fn code(&self) -> &'static str {
        match *self {}
    }
    fn message(&self) -> String {
        match *self {}
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyInput {
    provider: Provider,
    body: String,
    /// `X-Razorpay-Signature` or `Stripe-Signature`, as received.
    signature: Option<String>,
    /// Current secret first, then any still valid after a rotation.
    secrets: Vec<String>,
    /// The time to judge Stripe's timestamp by (unused for Razorpay, but always given so a
    /// caller cannot forget it).
    now: DateTime<Utc>,
    tolerance_secs: Option<u32>,
    /// `X-Razorpay-Event-Id` (for `receive_webhook`).
    event_id: Option<String>,
}

fn verify(input: &VerifyInput) -> Result<Verified, SignatureError> {
    let secrets = Secrets::new(&input.secrets)?;
    let body = input.body.as_bytes();
    let signature = input.signature.as_deref();
    match input.provider {
        Provider::Razorpay => signature::verify_razorpay_webhook(body, signature, &secrets),
        Provider::Stripe => signature::verify_stripe_webhook(
            body,
            signature,
            &secrets,
            input.now,
            input.tolerance_secs.unwrap_or(STRIPE_TOLERANCE_SECS),
        ),
    }
}

/// Verifies a webhook signature: `{provider, body, signature, secrets, now, tolerance_secs?}`
/// in, `{secret_index, timestamp}` out.
#[wasm_bindgen]
pub fn verify_webhook(input_json: &str) -> String {
    run(input_json, |input: VerifyInput| verify(&input))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParseInput {
    provider: Provider,
    body: String,
    event_id: Option<String>,
}

/// Parses a (verified) webhook body: `{provider, body, event_id?}` in, `GatewayEvent` out.
#[wasm_bindgen]
pub fn parse_webhook(input_json: &str) -> String {
    run(input_json, |input: ParseInput| {
        events::parse_event(input.provider, input.body.as_bytes(), input.event_id.as_deref())
    })
}

#[derive(Serialize)]
struct Received {
    verified: Verified,
    event: GatewayEvent,
}

/// Verifies, then parses: `verify_webhook`'s input plus `event_id` (Razorpay's header) in,
/// `{verified, event}` out. Nothing is parsed unless the signature verifies.
#[wasm_bindgen]
pub fn receive_webhook(input_json: &str) -> String {
    run(input_json, |input: VerifyInput| {
        let verified = verify(&input).map_err(WebhookError::Signature)?;
        let event = events::parse_event(input.provider, input.body.as_bytes(), input.event_id.as_deref())
            .map_err(WebhookError::Event)?;
        Ok::<_, WebhookError>(Received { verified, event })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInput {
    provider: Provider,
    body: String,
    /// Stripe may sign with several (one `v1` each); Razorpay with the first.
    secrets: Vec<String>,
    /// Stripe's `t`, unix seconds (required for Stripe).
    timestamp: Option<i64>,
}

#[derive(Serialize)]
struct Header {
    header: &'static str,
    value: String,
}

/// Signs a body as the gateway would: `{provider, body, secrets, timestamp?}` in,
/// `{header, value}` out (for tests and the sandbox gateway).
#[wasm_bindgen]
pub fn sign_webhook(input_json: &str) -> String {
    run(input_json, |input: SignInput| {
        Secrets::new(&input.secrets).map_err(SignError::Signature)?; // one non-empty secret at least
        let secrets: Vec<&str> = input
            .secrets
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        let body = input.body.as_bytes();
        Ok::<_, SignError>(match input.provider {
            Provider::Razorpay => Header {
                header: signature::RAZORPAY_SIGNATURE_HEADER,
                value: signature::sign_razorpay_webhook(body, secrets[0]),
            },
            Provider::Stripe => {
                let timestamp = input.timestamp.ok_or(SignError::Input(InvalidInput(
                    "Stripe signs a timestamp: give `timestamp`",
                )))?;
                Header {
                    header: signature::STRIPE_SIGNATURE_HEADER,
                    value: signature::stripe_signature_header(body, &secrets, timestamp),
                }
            }
        })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutInput {
    order_id: String,
    payment_id: String,
    key_secret: String,
    signature: Option<String>,
}

#[derive(Serialize)]
struct CheckoutSignature {
    signature: String,
}

/// Razorpay Checkout's signature: `{order_id, payment_id, key_secret}` in, `{signature}` out.
#[wasm_bindgen]
pub fn checkout_signature(input_json: &str) -> String {
    run(input_json, |input: CheckoutInput| {
        Ok::<_, SignatureError>(CheckoutSignature {
            signature: signature::razorpay_checkout_signature(&input.order_id, &input.payment_id, &input.key_secret),
        })
    })
}

#[derive(Serialize)]
struct CheckoutVerified {
    verified: bool,
}

/// Verifies Razorpay Checkout's signature: `{order_id, payment_id, signature, key_secret}`
/// in, `{verified: true}` out.
#[wasm_bindgen]
pub fn verify_checkout(input_json: &str) -> String {
    run(input_json, |input: CheckoutInput| {
        signature::verify_razorpay_checkout(
            &input.order_id,
            &input.payment_id,
            input.signature.as_deref().unwrap_or(""),
            &input.key_secret,
        )
        .map(|()| CheckoutVerified { verified: true })
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideInput {
    event: GatewayEvent,
    #[serde(default)]
    state: State,
}

#[derive(Serialize)]
struct Decided {
    #[serde(flatten)]
    decision: Decision,
    inbox_status: Option<InboxStatus>,
    notifications: Vec<Notice>,
}

/// What an event does: `{event, state}` in, the `Decision` (tag `decision`) with its
/// `inbox_status` and `notifications` out.
#[wasm_bindgen]
pub fn decide(input_json: &str) -> String {
    run(input_json, |input: DecideInput| {
        let decision = decision::decide(&input.event, &input.state);
        Ok::<_, std::convert::Infallible>(Decided {
            inbox_status: decision.inbox_status(),
            notifications: decision.notifications(),
            decision,
        })
    })
}

/// An invoice's GST: `InvoiceInput` in, `InvoiceTax` out.
#[wasm_bindgen]
pub fn invoice(input_json: &str) -> String {
    run(input_json, |input: InvoiceInput| gst::compute_invoice(&input))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberInput {
    prefix: String,
    /// The IST issue date.
    date: NaiveDate,
    serial: u64,
}

#[derive(Serialize)]
struct Numbered {
    invoice_number: String,
    financial_year: String,
}

/// An invoice number: `{prefix, date, serial}` in, `{invoice_number, financial_year}` out.
#[wasm_bindgen]
pub fn invoice_number(input_json: &str) -> String {
    run(input_json, |input: NumberInput| {
        let year = gst::financial_year(input.date);
        let number = InvoiceSeries::new(&input.prefix)?.number(year, input.serial)?;
        Ok::<_, gst::GstError>(Numbered {
            invoice_number: number.to_string(),
            financial_year: year.label(),
        })
    })
}

/// A vendor's settlement: `SettlementInput` in, `Settlement` out.
#[wasm_bindgen]
pub fn settle(input_json: &str) -> String {
    run(input_json, |input: SettlementInput| settlement::settle(&input))
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

    fn call(export: &str, input: &str) -> String {
        match export {
            "verify_webhook" => verify_webhook(input),
            "parse_webhook" => parse_webhook(input),
            "receive_webhook" => receive_webhook(input),
            "sign_webhook" => sign_webhook(input),
            "checkout_signature" => checkout_signature(input),
            "verify_checkout" => verify_checkout(input),
            "decide" => decide(input),
            "invoice" => invoice(input),
            "invoice_number" => invoice_number(input),
            "settle" => settle(input),
            other => panic!("no export {other}"),
        }
    }

    /// The cases the WASM build is checked against in Node give the same answers natively.
    #[test]
    fn exports_answer_the_shared_cases() {
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        let cases = cases["cases"].as_array().unwrap();
        assert!(cases.len() >= 20);
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
        let cases: Value = serde_json::from_str(include_str!("../tests/wasm/cases.json")).unwrap();
        for export in [
            "verify_webhook",
            "parse_webhook",
            "receive_webhook",
            "sign_webhook",
            "checkout_signature",
            "verify_checkout",
            "decide",
            "invoice",
            "invoice_number",
            "settle",
        ] {
            assert!(
                cases["cases"].as_array().unwrap().iter().any(|c| c["export"] == export),
                "no case for {export}"
            );
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
        for export in [
            "verify_webhook",
            "parse_webhook",
            "receive_webhook",
            "sign_webhook",
            "checkout_signature",
            "verify_checkout",
            "decide",
            "invoice",
            "invoice_number",
            "settle",
        ] {
            for input in ["", "null", "[]", "{}", "{\"provider\":\"paypal\"}"] {
                let answer: Value = serde_json::from_str(&call(export, input)).unwrap();
                assert_eq!(answer["code"], "invalid_input", "{export} {input}: {answer}");
            }
        }
    }

    /// What `sign_webhook` produces, `receive_webhook` accepts: the sandbox gateway's path.
    #[test]
    fn signed_webhooks_are_received() {
        let body = std::fs::read_to_string(format!(
            "{}/tests/fixtures/razorpay/payment.captured.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let signed: Value = serde_json::from_str(&sign_webhook(
            &serde_json::json!({"provider": "razorpay", "body": body, "secrets": ["sandbox"]}).to_string(),
        ))
        .unwrap();
        assert_eq!(signed["header"], "X-Razorpay-Signature");
        let received: Value = serde_json::from_str(&receive_webhook(
            &serde_json::json!({
                "provider": "razorpay", "body": body, "signature": signed["value"],
                "secrets": ["sandbox"], "event_id": "evt_sandbox_1",
                "now": "2025-10-15T09:00:00Z"
            })
            .to_string(),
        ))
        .unwrap();
        assert_eq!(received["event"]["kind"], "payment_captured", "{received}");
        assert_eq!(received["verified"]["secret_index"], 0);
    }
}
