//! What a verified gateway event does: the core parses it ([`crate::events`]), this module
//! picks the one SQL effect for its kind and calls it in the webhook's transaction. The
//! event is in the inbox afterwards whatever happened, exactly once.

use serde_json::Value;
use uuid::Uuid;

use ombaro_common::ApiError;

use super::store::{self, Inbound, Transaction};
use crate::events::{self, EventError, EventKind, GatewayEvent, Provider, RefundStatus};

type Result<T> = std::result::Result<T, ApiError>;

/// A verified Razorpay event; `event_id` from `X-Razorpay-Event-Id`.
pub async fn apply_razorpay(tx: &Transaction<'_>, event_id: &str, body: &[u8]) -> Result<String> {
    apply(
        tx,
        Provider::Razorpay,
        events::parse_razorpay(body, Some(event_id)),
        body,
    )
    .await
}

/// A verified Stripe event (its id is in the body).
pub async fn apply_stripe(tx: &Transaction<'_>, body: &[u8]) -> Result<String> {
    apply(tx, Provider::Stripe, events::parse_stripe(body), body).await
}

async fn apply(
    tx: &Transaction<'_>,
    provider: Provider,
    parsed: std::result::Result<GatewayEvent, EventError>,
    body: &[u8],
) -> Result<String> {
    // Not JSON at all: a 400 and nothing recorded (the signature matched, so this is the
    // gateway's or a test's mistake, and a retry will not fix it).
    let payload: Value = serde_json::from_slice(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| ApiError::bad_request("malformed_json", "the event body is not a JSON object"))?;
    let event = match parsed {
        Ok(event) => event,
        Err(EventError::InvalidJson(reason)) => return Err(ApiError::bad_request("malformed_json", reason)),
        Err(EventError::MissingEventId) => {
            return Err(ApiError::bad_request("missing_event_id", "the event has no id"));
        }
        // Authentic but not understood: recorded as failed (so it can be replayed once we
        // understand it), answered 2xx so the gateway stops retrying.
        Err(err) => {
            let event_id = payload["id"]
                .as_str()
                .or_else(|| payload["event_id"].as_str())
                .ok_or_else(|| ApiError::bad_request("missing_event_id", "the event has no id"))?;
            let event_type = payload["event"]
                .as_str()
                .or_else(|| payload["type"].as_str())
                .unwrap_or("unknown");
            let inbound = Inbound {
                provider: provider.as_str(),
                event_id,
                event_type,
                payload: &payload,
            };
            return store::record_only(tx, &inbound, "failed", Some(&err.to_string())).await;
        }
    };
    let inbound = Inbound {
        provider: provider.as_str(),
        event_id: &event.event_id,
        event_type: &event.event_type,
        payload: &payload,
    };
    let booking = |id: &Option<String>| id.as_deref().and_then(|id| Uuid::parse_str(id).ok());
    match &event.kind {
        EventKind::PaymentCaptured { payment } => {
            store::apply_capture(
                tx,
                &inbound,
                booking(&payment.booking_id),
                &payment.payment_id,
                payment
                    .order_id
                    .as_deref()
                    .or((provider == Provider::Stripe).then_some(payment.payment_id.as_str())),
                payment.amount.get(),
                payment.currency.as_str(),
                payment.method.map(|m| m.as_str()),
                event.created_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            )
            .await
        }
        EventKind::PaymentFailed { payment } => {
            let reason = payment.failure.as_ref().and_then(|f| {
                f.description
                    .clone()
                    .or_else(|| f.reason.clone())
                    .or_else(|| f.code.clone())
            });
            store::apply_failure(
                tx,
                &inbound,
                booking(&payment.booking_id),
                &payment.payment_id,
                payment
                    .order_id
                    .as_deref()
                    .or((provider == Provider::Stripe).then_some(payment.payment_id.as_str())),
                Some(payment.amount.get()),
                Some(payment.currency.as_str()),
                reason.as_deref(),
            )
            .await
        }
        EventKind::PaymentAuthorized { .. } => {
            store::record_only(
                tx,
                &inbound,
                "ignored",
                Some("authorised; the capture event applies it"),
            )
            .await
        }
        EventKind::Refund { refund } => match (refund.status, refund.payment_id.as_deref()) {
            (RefundStatus::Pending, _) => {
                store::record_only(tx, &inbound, "ignored", Some("refund pending at the gateway")).await
            }
            (status, Some(payment_id)) => {
                store::apply_refund(
                    tx,
                    &inbound,
                    &refund.refund_id,
                    payment_id,
                    refund.amount.get(),
                    status == RefundStatus::Processed,
                )
                .await
            }
            (_, None) => store::record_only(tx, &inbound, "unmatched", Some("the refund names no payment")).await,
        },
        EventKind::ChargeRefunded { .. } => {
            // The charge's running total; each refund arrives as its own refund.* event,
            // which records it once under its own id.
            store::record_only(
                tx,
                &inbound,
                "ignored",
                Some("refunds are applied from their refund events"),
            )
            .await
        }
        EventKind::DisputeCreated { dispute } => {
            let detail = format!(
                "dispute {} of {} paise opened: {}",
                dispute.dispute_id,
                dispute.amount.get(),
                dispute.reason.as_deref().unwrap_or("no reason given")
            );
            store::record_only(tx, &inbound, "flagged", Some(&detail)).await
        }
        EventKind::Ignored => store::record_only(tx, &inbound, "ignored", None).await,
    }
}
