//! Gateway signatures: verifying webhooks and Razorpay's checkout callback, and producing the
//! same signatures (for tests, `ombaro pay` and the local sandbox gateway).
//!
//! Every signature is HMAC-SHA256, hex encoded, and every comparison is constant time
//! ([`subtle`]): each candidate secret is tried against each signature offered and the
//! results are combined without an early exit, so timing says nothing about how much of a
//! forged signature was right.
//!
//! - **Razorpay webhook**: `X-Razorpay-Signature = hex(HMAC_SHA256(key = webhook secret,
//!   message = raw body))`. Razorpay signs retries with the secret the event was first sent
//!   with, so during a rotation the previous secret stays valid (see [`Secrets::rotating`]).
//! - **Razorpay checkout**: `razorpay_signature = hex(HMAC_SHA256(key = key secret, message =
//!   order_id + "|" + payment_id))`.
//! - **Stripe webhook**: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, each
//!   `v1` being `hex(HMAC_SHA256(key = endpoint secret, message = "<t>." + raw body))`. The
//!   `whsec_…` secret is used as-is (its bytes, not base64-decoded), as every Stripe SDK does.
//!   Any matching `v1` is accepted (Stripe sends one per active secret while a secret is
//!   rolled); other schemes (`v0`, test-mode legacy) are ignored.
//!
//! **Stripe's timestamp tolerance** (300 s by default, [`STRIPE_TOLERANCE_SECS`]): a signature
//! is refused when `now - t > tolerance`, i.e. only when it is too *old*. This is what
//! stripe-node (`timestampAge > tolerance`), stripe-python and stripe-ruby
//! (`timestamp < now - tolerance`) and stripe-go (`time.Since(t) > tolerance`) do; stripe-php
//! and stripe-dotnet compare `abs(now - t)` and would also refuse a timestamp more than 300 s
//! in the future. We follow the majority: a future timestamp can only come from someone
//! holding the secret, refusing it would only turn our own clock lagging Stripe's into lost
//! webhooks, and replays inside the window are harmless because the inbox records each event
//! id once. The signature is checked before the timestamp (as stripe-node/python/ruby do), so
//! "stale" is only ever said of an authentic body.

use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// Stripe's default tolerance for the signed timestamp, in seconds (all official SDKs).
pub const STRIPE_TOLERANCE_SECS: u32 = 300;

/// How long a rotated-out webhook secret keeps verifying (the issue's contract: 24 h, because
/// Razorpay signs retries of an event with the secret it was first sent with).
pub const ROTATION_GRACE_SECS: i64 = 24 * 60 * 60;

/// Header names, for the service and the signing tools.
pub const RAZORPAY_SIGNATURE_HEADER: &str = "X-Razorpay-Signature";
pub const RAZORPAY_EVENT_ID_HEADER: &str = "X-Razorpay-Event-Id";
pub const STRIPE_SIGNATURE_HEADER: &str = "Stripe-Signature";

/// Why a signature was not accepted. Every variant is a client error (the request is not
/// authentic, or not from a gateway), except [`SignatureError::NoSecret`], which is ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signing secret is configured")]
    NoSecret,
    #[error("the signature header is missing")]
    MissingHeader,
    #[error("the signature header is malformed")]
    MalformedHeader,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoV1Signature,
    #[error("signature timestamp {timestamp} is outside the tolerance at {now}")]
    TimestampOutsideTolerance { timestamp: i64, now: i64 },
    #[error("no signature matches the body")]
    NoMatch,
}

impl SignatureError {
    /// Stable code for API errors and logs.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::NoSecret => "no_signing_secret",
            SignatureError::MissingHeader => "missing_signature",
            SignatureError::MalformedHeader => "malformed_signature",
            SignatureError::NoV1Signature => "no_v1_signature",
            SignatureError::TimestampOutsideTolerance { .. } => "timestamp_outside_tolerance",
            SignatureError::NoMatch => "signature_mismatch",
        }
    }
}

/// The secrets a signature may have been made with: the current one first, then any still
/// valid after a rotation. Never empty, and no secret in it is empty (an empty HMAC key would
/// make every body "verifiable" by anyone who guesses that it is empty).
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets(Vec<Vec<u8>>);

impl Secrets {
    /// The non-empty secrets of `secrets`, in order; [`SignatureError::NoSecret`] if none.
    pub fn new<I, S>(secrets: I) -> Result<Secrets, SignatureError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let secrets: Vec<Vec<u8>> = secrets
            .into_iter()
            .map(|s| s.as_ref().to_vec())
            .filter(|s| !s.is_empty())
            .collect();
        if secrets.is_empty() {
            return Err(SignatureError::NoSecret);
        }
        Ok(Secrets(secrets))
    }

    /// A single secret.
    pub fn one(secret: impl AsRef<[u8]>) -> Result<Secrets, SignatureError> {
        Secrets::new([secret])
    }

    /// The current secret, plus the previous one while it is less than
    /// [`ROTATION_GRACE_SECS`] old: `now - rotated_at < 24 h`. A previous secret without a
    /// rotation time is not trusted (it could be any age).
    pub fn rotating(
        current: impl AsRef<[u8]>,
        previous: Option<impl AsRef<[u8]>>,
        rotated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Secrets, SignatureError> {
        let mut secrets = vec![current.as_ref().to_vec()];
        if let (Some(previous), Some(rotated_at)) = (previous, rotated_at) {
            if now.signed_duration_since(rotated_at).num_seconds() < ROTATION_GRACE_SECS {
                secrets.push(previous.as_ref().to_vec());
            }
        }
        Secrets::new(secrets)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The index of the first secret whose MAC of `message` equals one of `candidates`,
    /// computed without data-dependent early exits.
    fn find(&self, message: &[&[u8]], candidates: &[[u8; 32]]) -> Option<usize> {
        let mut found = None;
        for (index, secret) in self.0.iter().enumerate() {
            let expected = hmac_sha256(secret, message);
            let mut matched = Choice::from(0);
            for candidate in candidates {
                matched |= expected.ct_eq(candidate);
            }
            if bool::from(matched) && found.is_none() {
                found = Some(index);
            }
        }
        found
    }
}

impl fmt::Debug for Secrets {
    /// Never prints a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} redacted)", self.0.len())
    }
}

/// A signature that verified: which of the [`Secrets`] made it (0 = the current one; a
/// higher index means the sender still uses a rotated-out secret, worth a log line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    pub secret_index: usize,
    /// Stripe's signed timestamp (unix seconds); `None` for Razorpay, which signs none.
    pub timestamp: Option<i64>,
}

fn hmac_sha256(secret: &[u8], message: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    for part in message {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A 32-byte digest from 64 hex digits (either case); `None` for anything else.
fn decode_digest(hex_digits: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut digest).ok()?;
    Some(digest)
}

/// A header value as received: absent, empty and blank all mean "missing".
fn present(header: Option<&str>) -> Option<&str> {
    header.map(str::trim).filter(|h| !h.is_empty())
}

// Razorpay ----------------------------------------------------------------------------------

/// `hex(HMAC_SHA256(raw_body, secret))`: the `X-Razorpay-Signature` of a webhook body.
pub fn sign_razorpay_webhook(body: &[u8], secret: &str) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// Verifies `X-Razorpay-Signature` over the raw body against every candidate secret.
pub fn verify_razorpay_webhook(
    body: &[u8],
    signature: Option<&str>,
    secrets: &Secrets,
) -> Result<Verified, SignatureError> {
    let signature = present(signature).ok_or(SignatureError::MissingHeader)?;
    let digest = decode_digest(signature).ok_or(SignatureError::MalformedHeader)?;
    secrets
        .find(&[body], &[digest])
        .map(|secret_index| Verified {
            secret_index,
            timestamp: None,
        })
        .ok_or(SignatureError::NoMatch)
}

/// `hex(HMAC_SHA256(order_id + "|" + payment_id, key_secret))`: what Razorpay Checkout hands
/// the client as `razorpay_signature` after a payment on `order_id`.
pub fn razorpay_checkout_signature(order_id: &str, payment_id: &str, key_secret: &str) -> String {
    hex::encode(hmac_sha256(
        key_secret.as_bytes(),
        &[order_id.as_bytes(), b"|", payment_id.as_bytes()],
    ))
}

/// Verifies Checkout's `razorpay_signature` for `order_id` and `payment_id` with the API key
/// secret.
pub fn verify_razorpay_checkout(
    order_id: &str,
    payment_id: &str,
    signature: &str,
    key_secret: &str,
) -> Result<(), SignatureError> {
    let secrets = Secrets::one(key_secret)?;
    let signature = present(Some(signature)).ok_or(SignatureError::MissingHeader)?;
    let digest = decode_digest(signature).ok_or(SignatureError::MalformedHeader)?;
    secrets
        .find(&[order_id.as_bytes(), b"|", payment_id.as_bytes()], &[digest])
        .map(|_| ())
        .ok_or(SignatureError::NoMatch)
}

// Stripe ------------------------------------------------------------------------------------

/// A parsed `Stripe-Signature` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StripeSignatureHeader {
    /// `t=`: unix seconds.
    pub timestamp: i64,
    /// Every `v1=` value, as sent (a value that is not 64 hex digits simply never matches,
    /// as in stripe-go).
    pub v1: Vec<String>,
}

impl StripeSignatureHeader {
    /// Parses `t=<digits>,v1=<hex>,…`: comma-separated `key=value` items (spaces around an
    /// item are tolerated); exactly one `t` of 1–18 ASCII digits; every `v1` collected; other
    /// keys (`v0`, future schemes) ignored. An item without `=`, a missing, repeated or
    /// non-numeric `t` are [`SignatureError::MalformedHeader`]; no `v1` at all is
    /// [`SignatureError::NoV1Signature`].
    pub fn parse(header: &str) -> Result<StripeSignatureHeader, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in header.split(',') {
            let (key, value) = item.trim().split_once('=').ok_or(SignatureError::MalformedHeader)?;
            match key {
                "t" => {
                    if timestamp.is_some()
                        || value.is_empty()
                        || value.len() > 18
                        || !value.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(SignatureError::MalformedHeader);
                    }
                    timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::MalformedHeader)?);
                }
                "v1" => v1.push(value.to_owned()),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::MalformedHeader)?;
        if v1.is_empty() {
            return Err(SignatureError::NoV1Signature);
        }
        Ok(StripeSignatureHeader { timestamp, v1 })
    }
}

/// `hex(HMAC_SHA256("<timestamp>." + raw_body, secret))`: one `v1` signature.
pub fn stripe_signature(body: &[u8], secret: &str, timestamp: i64) -> String {
    let prefix = format!("{timestamp}.");
    hex::encode(hmac_sha256(secret.as_bytes(), &[prefix.as_bytes(), body]))
}

/// A whole `Stripe-Signature` header, `t=<timestamp>,v1=<sig>` with one `v1` per secret (as
/// Stripe sends while an endpoint secret is being rolled).
pub fn stripe_signature_header(body: &[u8], secrets: &[&str], timestamp: i64) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&stripe_signature(body, secret, timestamp));
    }
    header
}

/// Verifies a `Stripe-Signature` header over the raw body: some `v1` must be the HMAC of
/// `"<t>." + body` under one of `secrets`, and then `now - t` must not exceed
/// `tolerance_secs` (0 disables the age check, as the SDKs allow for replaying stored
/// events offline). See the module docs for why future timestamps are accepted.
pub fn verify_stripe_webhook(
    body: &[u8],
    header: Option<&str>,
    secrets: &Secrets,
    now: DateTime<Utc>,
    tolerance_secs: u32,
) -> Result<Verified, SignatureError> {
    let header = present(header).ok_or(SignatureError::MissingHeader)?;
    let parsed = StripeSignatureHeader::parse(header)?;
    let candidates: Vec<[u8; 32]> = parsed.v1.iter().filter_map(|s| decode_digest(s)).collect();
    let prefix = format!("{}.", parsed.timestamp);
    let secret_index = secrets
        .find(&[prefix.as_bytes(), body], &candidates)
        .ok_or(SignatureError::NoMatch)?;
    let now = now.timestamp();
    if tolerance_secs > 0 && now.saturating_sub(parsed.timestamp) > i64::from(tolerance_secs) {
        return Err(SignatureError::TimestampOutsideTolerance {
            timestamp: parsed.timestamp,
            now,
        });
    }
    Ok(Verified {
        secret_index,
        timestamp: Some(parsed.timestamp),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(unix: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(unix, 0).unwrap()
    }

    // Published vectors -------------------------------------------------------------------

    /// razorpay/razorpay-python, tests/test_client_utility.py, `test_verify_webhook_signature`:
    /// the body is the file tests/mocks/fake_payment_authorized_webhook.json byte for byte
    /// (copied to tests/fixtures/razorpay/sdk_fake_payment_authorized_webhook.json), the
    /// secret is the client's key secret `key_secret` (tests/helpers.py).
    #[test]
    fn razorpay_python_webhook_vector() {
        let body = include_bytes!("../tests/fixtures/razorpay/sdk_fake_payment_authorized_webhook.json");
        let sig = "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9";
        assert_eq!(sign_razorpay_webhook(body, "key_secret"), sig);
        let secrets = Secrets::one("key_secret").unwrap();
        assert_eq!(
            verify_razorpay_webhook(body, Some(sig), &secrets).unwrap().secret_index,
            0
        );
        // `test_verify_webhook_signature_with_exception`: "test_signature" over an empty body.
        assert_eq!(
            verify_razorpay_webhook(b"", Some("test_signature"), &secrets),
            Err(SignatureError::MalformedHeader)
        );
    }

    /// razorpay/razorpay-node, test/utils/razorpay-utils.spec.js, `validateWebhookSignature`.
    #[test]
    fn razorpay_node_webhook_vector() {
        let body = br#"{"a":1,"b":2,"c":{"d":3}}"#;
        let sig = "2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc";
        assert_eq!(sign_razorpay_webhook(body, "123456"), sig);
        let secrets = Secrets::one("123456").unwrap();
        assert!(verify_razorpay_webhook(body, Some(sig), &secrets).is_ok());
        // The spec's wrong signature, "sdfafds", is not even hex.
        assert_eq!(
            verify_razorpay_webhook(body, Some("sdfafds"), &secrets),
            Err(SignatureError::MalformedHeader)
        );
    }

    /// razorpay/razorpay-python, tests/test_client_utility.py, `test_verify_payment_signature`:
    /// order `fake_order_id`, payment `fake_payment_id`, key secret `key_secret`.
    #[test]
    fn razorpay_python_checkout_vector() {
        let sig = "b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89";
        assert_eq!(
            razorpay_checkout_signature("fake_order_id", "fake_payment_id", "key_secret"),
            sig
        );
        assert!(verify_razorpay_checkout("fake_order_id", "fake_payment_id", sig, "key_secret").is_ok());
        // `test_verify_payment_signature_with_exception`.
        assert_eq!(
            verify_razorpay_checkout("fake_order_id", "fake_payment_id", "test_signature", "key_secret"),
            Err(SignatureError::MalformedHeader)
        );
    }

    /// razorpay/razorpay-node, test/utils/razorpay-utils.spec.js, `Payment Verfication`
    /// (`validatePaymentVerification` with `order_id`/`payment_id`).
    #[test]
    fn razorpay_node_checkout_vector() {
        let sig = "0d4e745a1838664ad6c9c9902212a32d627d68e917290b0ad5f08ff4561bc50f";
        let secret = "EnLs21M47BllR3X8PSFtjtbd";
        assert_eq!(
            razorpay_checkout_signature("order_IEIaMR65cu6nz3", "pay_IH4NVgf4Dreq1l", secret),
            sig
        );
        assert!(verify_razorpay_checkout("order_IEIaMR65cu6nz3", "pay_IH4NVgf4Dreq1l", sig, secret).is_ok());
        assert_eq!(
            verify_razorpay_checkout("order_IEIaMR65cu6nz3", "pay_IH4NVgf4Dreq1l", "sddsfdsfs", secret),
            Err(SignatureError::MalformedHeader)
        );
        // The order and payment are not interchangeable.
        assert_eq!(
            verify_razorpay_checkout("pay_IH4NVgf4Dreq1l", "order_IEIaMR65cu6nz3", sig, secret),
            Err(SignatureError::NoMatch)
        );
    }

    /// stripe/stripe-dotnet, src/StripeTests/Services/Events/EventUtilityTest.cs: the body is
    /// src/StripeTests/Resources/event_test_signature.json (copied to
    /// tests/fixtures/stripe/sdk_event_test_signature.json), secret `webhook_secret`, t =
    /// 1533204620. The header also carries a `v0`, which must be ignored.
    /// (stripe-node, stripe-python, stripe-go, stripe-ruby and stripe-php compute their
    /// signatures at test time from `whsec_test_secret`; they publish no fixed digest.)
    const DOTNET_HEADER: &str = "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef";
    const DOTNET_BODY: &[u8] = include_bytes!("../tests/fixtures/stripe/sdk_event_test_signature.json");

    #[test]
    fn stripe_dotnet_vector() {
        assert_eq!(
            stripe_signature(DOTNET_BODY, "webhook_secret", 1533204620),
            "2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7"
        );
        let secrets = Secrets::one("webhook_secret").unwrap();
        // `ConstructEvent`: tolerance 300, now = t + 100.
        let verified = verify_stripe_webhook(DOTNET_BODY, Some(DOTNET_HEADER), &secrets, at(1533204720), 300).unwrap();
        assert_eq!(
            verified,
            Verified {
                secret_index: 0,
                timestamp: Some(1533204620)
            }
        );
        // `RejectOutdatedTimestamp`: now = t + tolerance + 100.
        assert_eq!(
            verify_stripe_webhook(DOTNET_BODY, Some(DOTNET_HEADER), &secrets, at(1533205020), 300),
            Err(SignatureError::TimestampOutsideTolerance {
                timestamp: 1533204620,
                now: 1533205020
            })
        );
        // `RejectIncorrectSignature`: the body with "this_changes_the_json" appended.
        let mut altered = DOTNET_BODY.to_vec();
        altered.extend_from_slice(b"this_changes_the_json");
        assert_eq!(
            verify_stripe_webhook(&altered, Some(DOTNET_HEADER), &secrets, at(1533204720), 300),
            Err(SignatureError::NoMatch)
        );
    }

    /// stripe-dotnet `ValidateSignatureHandlesIncorrectHeaderValues`: every one of these
    /// headers is refused (here: malformed, before any HMAC is computed).
    #[test]
    fn stripe_dotnet_incorrect_headers() {
        let secrets = Secrets::one("secret").unwrap();
        for header in [
            "t=,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef",
            "t,v1=,v0=",
            "t,v1=,v0",
            "t,v1=,",
            "t,,",
            ",,",
            "t",
        ] {
            assert_eq!(
                verify_stripe_webhook(b"{}", Some(header), &secrets, at(0), 300),
                Err(SignatureError::MalformedHeader),
                "{header}"
            );
        }
    }

    // Stripe rules, in the shapes of the SDK suites (stripe-python tests/test_webhook.py,
    // stripe-node test/Webhook.spec.ts): secret `whsec_test_secret`, signatures computed here.

    const SDK_SECRET: &str = "whsec_test_secret";
    const SDK_PAYLOAD: &[u8] = b"{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";

    #[test]
    fn stripe_missing_and_malformed_headers() {
        let secrets = Secrets::one(SDK_SECRET).unwrap();
        let now = at(1_700_000_000);
        for header in [None, Some(""), Some("   ")] {
            assert_eq!(
                verify_stripe_webhook(SDK_PAYLOAD, header, &secrets, now, 300),
                Err(SignatureError::MissingHeader)
            );
        }
        for header in [
            "bad_header",
            "i'm not even a real signature header",
            "v1=abc",
            "t=12a,v1=abc",
            "t=1,t=2,v1=abc",
            "t=-5,v1=abc",
        ] {
            assert_eq!(
                verify_stripe_webhook(SDK_PAYLOAD, Some(header), &secrets, now, 300),
                Err(SignatureError::MalformedHeader),
                "{header}"
            );
        }
    }

    #[test]
    fn stripe_needs_a_v1_signature() {
        // "No signatures found with expected scheme v1": only a v0 in the header.
        let secrets = Secrets::one(SDK_SECRET).unwrap();
        let sig = stripe_signature(SDK_PAYLOAD, SDK_SECRET, 1_700_000_000);
        let header = format!("t=1700000000,v0={sig}");
        assert_eq!(
            verify_stripe_webhook(SDK_PAYLOAD, Some(&header), &secrets, at(1_700_000_000), 300),
            Err(SignatureError::NoV1Signature)
        );
    }

    #[test]
    fn stripe_bad_signature_and_extra_signatures() {
        let secrets = Secrets::one(SDK_SECRET).unwrap();
        let now = at(1_700_000_000);
        let good = stripe_signature_header(SDK_PAYLOAD, &[SDK_SECRET], 1_700_000_000);
        assert!(verify_stripe_webhook(SDK_PAYLOAD, Some(&good), &secrets, now, 300).is_ok());
        // "No signatures found matching the expected signature for payload".
        assert_eq!(
            verify_stripe_webhook(SDK_PAYLOAD, Some("t=1700000000,v1=bad_signature"), &secrets, now, 300),
            Err(SignatureError::NoMatch)
        );
        // "header contains valid signature": a bad v1 beside the good one is fine, either order.
        let extra = format!("{good},v1=bad_signature");
        assert!(verify_stripe_webhook(SDK_PAYLOAD, Some(&extra), &secrets, now, 300).is_ok());
        let sig = stripe_signature(SDK_PAYLOAD, SDK_SECRET, 1_700_000_000);
        let first_bad = format!("t=1700000000,v1={},v1={sig}", "0".repeat(64));
        assert!(verify_stripe_webhook(SDK_PAYLOAD, Some(&first_bad), &secrets, now, 300).is_ok());
        // Uppercase hex is the same digest.
        let upper = format!("t=1700000000,v1={}", sig.to_uppercase());
        assert!(verify_stripe_webhook(SDK_PAYLOAD, Some(&upper), &secrets, now, 300).is_ok());
        // The timestamp is part of what is signed.
        let moved = format!("t=1700000001,v1={sig}");
        assert_eq!(
            verify_stripe_webhook(SDK_PAYLOAD, Some(&moved), &secrets, now, 300),
            Err(SignatureError::NoMatch)
        );
        // A different secret.
        let other = Secrets::one("whsec_other").unwrap();
        assert_eq!(
            verify_stripe_webhook(SDK_PAYLOAD, Some(&good), &other, now, 300),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn stripe_tolerance_is_one_sided_and_inclusive() {
        let secrets = Secrets::one(SDK_SECRET).unwrap();
        let t = 1_700_000_000;
        let header = stripe_signature_header(SDK_PAYLOAD, &[SDK_SECRET], t);
        let verify =
            |now: i64, tolerance: u32| verify_stripe_webhook(SDK_PAYLOAD, Some(&header), &secrets, at(now), tolerance);
        assert!(verify(t + 300, 300).is_ok()); // exactly 300 s old: accepted (age > tolerance refuses)
        assert_eq!(
            verify(t + 301, 300),
            Err(SignatureError::TimestampOutsideTolerance {
                timestamp: t,
                now: t + 301
            })
        );
        // stripe-python `test_raise_on_timestamp_outside_tolerance`: 15 s old, tolerance 10.
        assert!(matches!(
            verify(t + 15, 10),
            Err(SignatureError::TimestampOutsideTolerance { .. })
        ));
        // A timestamp in the future is accepted (stripe-node/python/ruby/go).
        assert!(verify(t - 3600, 300).is_ok());
        // `test_timestamp_off_but_no_tolerance`: tolerance 0 skips the age check.
        assert!(verify(t + 10 * 365 * 86_400, 0).is_ok());
    }

    #[test]
    fn stripe_stale_is_only_said_of_authentic_bodies() {
        let secrets = Secrets::one(SDK_SECRET).unwrap();
        let header = stripe_signature_header(SDK_PAYLOAD, &[SDK_SECRET], 1_000);
        assert_eq!(
            verify_stripe_webhook(b"{\"forged\":true}", Some(&header), &secrets, at(1_000_000), 300),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn stripe_rotation_any_secret_any_v1() {
        let t = 1_700_000_000;
        // Stripe signs with both secrets while one is rolled: either of ours may match.
        let header = stripe_signature_header(SDK_PAYLOAD, &["whsec_new", "whsec_old"], t);
        assert_eq!(header.matches(",v1=").count(), 2);
        let only_old = Secrets::one("whsec_old").unwrap();
        assert!(verify_stripe_webhook(SDK_PAYLOAD, Some(&header), &only_old, at(t), 300).is_ok());
        // We hold new + old, Stripe signed with the old one only: accepted, index 1.
        let ours = Secrets::new(["whsec_new", "whsec_old"]).unwrap();
        let old_header = stripe_signature_header(SDK_PAYLOAD, &["whsec_old"], t);
        assert_eq!(
            verify_stripe_webhook(SDK_PAYLOAD, Some(&old_header), &ours, at(t), 300)
                .unwrap()
                .secret_index,
            1
        );
    }

    #[test]
    fn razorpay_rotation_and_header_forms() {
        let body = br#"{"event":"payment.captured"}"#;
        let sig = sign_razorpay_webhook(body, "old-secret");
        let rotated_at = at(1_700_000_000);
        let within = Secrets::rotating(
            "new-secret",
            Some("old-secret"),
            Some(rotated_at),
            at(1_700_000_000 + 86_399),
        )
        .unwrap();
        assert_eq!(within.len(), 2);
        assert_eq!(
            verify_razorpay_webhook(body, Some(&sig), &within).unwrap().secret_index,
            1
        );
        // 24 h after the rotation the old secret no longer verifies.
        let after = Secrets::rotating(
            "new-secret",
            Some("old-secret"),
            Some(rotated_at),
            at(1_700_000_000 + 86_400),
        )
        .unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(
            verify_razorpay_webhook(body, Some(&sig), &after),
            Err(SignatureError::NoMatch)
        );
        // A previous secret of unknown age is not trusted.
        let unknown = Secrets::rotating("new-secret", Some("old-secret"), None, at(0)).unwrap();
        assert_eq!(unknown.len(), 1);
        // Header forms.
        let secrets = Secrets::one("old-secret").unwrap();
        assert_eq!(
            verify_razorpay_webhook(body, None, &secrets),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            verify_razorpay_webhook(body, Some(" "), &secrets),
            Err(SignatureError::MissingHeader)
        );
        assert!(verify_razorpay_webhook(body, Some(&format!(" {sig} ")), &secrets).is_ok());
        assert!(verify_razorpay_webhook(body, Some(&sig.to_uppercase()), &secrets).is_ok());
        assert_eq!(
            verify_razorpay_webhook(body, Some(&sig[..63]), &secrets),
            Err(SignatureError::MalformedHeader)
        );
        // One altered byte of the body.
        assert_eq!(
            verify_razorpay_webhook(br#"{"event":"payment.captureD"}"#, Some(&sig), &secrets),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn secrets_refuse_empty_and_hide_themselves() {
        assert_eq!(Secrets::new(Vec::<String>::new()), Err(SignatureError::NoSecret));
        assert_eq!(Secrets::new(["", ""]), Err(SignatureError::NoSecret));
        assert_eq!(Secrets::new(["", "s"]).unwrap().len(), 1);
        assert_eq!(
            Secrets::rotating("", Some(""), Some(at(0)), at(0)),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(
            verify_razorpay_checkout("o", "p", &"0".repeat(64), ""),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(format!("{:?}", Secrets::one("hunter2").unwrap()), "Secrets(1 redacted)");
    }

    #[test]
    fn codes_are_stable() {
        let codes: Vec<&str> = [
            SignatureError::NoSecret,
            SignatureError::MissingHeader,
            SignatureError::MalformedHeader,
            SignatureError::NoV1Signature,
            SignatureError::TimestampOutsideTolerance { timestamp: 0, now: 0 },
            SignatureError::NoMatch,
        ]
        .iter()
        .map(SignatureError::code)
        .collect();
        assert_eq!(
            codes,
            [
                "no_signing_secret",
                "missing_signature",
                "malformed_signature",
                "no_v1_signature",
                "timestamp_outside_tolerance",
                "signature_mismatch"
            ]
        );
    }
}
