//! The endpoints. Orders, verification and refunds act for a signed-in caller; webhooks have
//! no Supabase JWT (the gateway's signature is the authentication). Every effect is one call
//! to a SQL function in one transaction as `service_role`; calls to a gateway happen between
//! transactions, never inside one.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension, Json,
};
use chrono::Utc;
use ombaro_common::{db, http::ApiJson, ApiError, AppState, Caller};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::config::PaymentSettings;
use super::gateway::{Gateway, GatewayError, OrderRequest, RefundRequest};
use super::store::{self, Inbound, Transaction};
use super::webhooks;
use crate::signature::{self, Secrets, SignatureError};

type Result<T> = std::result::Result<T, ApiError>;

/// Stripe's default tolerance for a signature's timestamp.
const STRIPE_TOLERANCE_SECS: u32 = 300;

fn gateway_error(err: GatewayError) -> ApiError {
    tracing::warn!(%err, "payment gateway");
    ApiError::new(StatusCode::BAD_GATEWAY, "gateway_error", err.to_string()).retry_after(5)
}

fn parse_id(raw: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| ApiError::unprocessable("invalid_id", format!("{what} is not a UUID: {raw:?}")))
}

// ---------------------------------------------------------------------------------------
// Checkout

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    pub booking_id: String,
    pub gateway: Option<String>,
}

/// `POST /orders {booking_id, gateway?}`: the customer's checkout. Creates the pending
/// payment and the gateway order for the booking's own total (never a client amount);
/// repeating it returns the same order.
pub async fn create_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<Response> {
    let customer = caller.require_user()?;
    let booking = parse_id(&body.booking_id, "booking_id")?;
    let mut client = state.db.get().await?;
    let (checkout, gateway) = {
        let tx = state.db.begin_as(&mut client, &caller).await?;
        db::act_as_service(&tx).await?;
        // Keys from the environment, else installed in payment_gateways (decrypted here).
        let gateway = settings.gateway_in(&tx, body.gateway.as_deref()).await?;
        let checkout = store::open_checkout(&tx, booking, customer, gateway.code()).await?;
        tx.commit().await?;
        (checkout, gateway)
    };
    match checkout["outcome"].as_str() {
        Some("created" | "existing") => {}
        Some("booking_not_found") => {
            return Err(ApiError::not_found("booking_not_found", "no such booking of yours"));
        }
        Some("already_paid") => return Err(ApiError::conflict("already_paid", "this booking is already paid")),
        Some("booking_not_pending") => {
            return Err(ApiError::conflict(
                "booking_not_pending",
                format!(
                    "the booking is {}; only a pending booking can be paid",
                    checkout["status"]
                ),
            ))
        }
        Some("booking_lapsed") => {
            return Err(ApiError::conflict(
                "booking_lapsed",
                "the booking's hold has lapsed; book again",
            ))
        }
        other => return Err(ApiError::internal(format!("open_checkout answered {other:?}"))),
    }
    let payment = parse_id(checkout["payment_id"].as_str().unwrap_or_default(), "payment_id")?;
    let amount = checkout["amount"].as_i64().unwrap_or_default();
    let transaction_id = checkout["transaction_id"].as_str().unwrap_or_default().to_owned();
    let booking_number = checkout["booking_number"].as_str().unwrap_or_default().to_owned();

    let (order_id, client_secret) = match checkout["gateway_order_id"].as_str() {
        Some(order) => (order.to_owned(), None),
        None => {
            let order = gateway
                .create_order(OrderRequest {
                    amount,
                    receipt: &transaction_id,
                    booking_id: &booking.to_string(),
                    booking_number: &booking_number,
                })
                .await
                .map_err(gateway_error)?;
            let tx = state.db.begin_as_service(&mut client).await?;
            // A concurrent checkout may have attached its order first: answer with that one.
            let attached = store::attach_gateway_order(&tx, payment, &order.id).await;
            match attached {
                Ok(()) => {
                    tx.commit().await?;
                    (order.id, order.client_secret)
                }
                Err(_) => {
                    drop(tx);
                    let tx = state.db.begin_as_service(&mut client).await?;
                    (store::gateway_order_of(&tx, payment).await?, None)
                }
            }
        }
    };
    let status = if checkout["outcome"] == "created" {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({
            "payment_id": payment,
            "booking_id": booking,
            "booking_number": booking_number,
            "gateway": gateway.code(),
            "order_id": order_id,
            "key_id": gateway.key_id(),
            "amount": amount,
            "currency": "INR",
            "client_secret": client_secret,
            "sandbox": matches!(gateway, super::config::AnyGateway::Sandbox(_)),
        })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    pub razorpay_payment_id: String,
    pub razorpay_signature: String,
}

/// `POST /orders/{order_id}/verify`: the fast path after Razorpay Checkout. The checkout
/// signature proves the payment belongs to the order (so to its amount); the effect is the
/// same capture a webhook applies, and whichever comes second finds it done.
pub async fn verify_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    Path(order_id): Path<String>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> Result<Json<Value>> {
    let customer = caller.require_user()?;
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    db::act_as_service(&tx).await?;
    let key_secret = settings.checkout_secret(&settings.gateway_in(&tx, Some("razorpay")).await?);
    signature::verify_razorpay_checkout(
        &order_id,
        &body.razorpay_payment_id,
        &body.razorpay_signature,
        &key_secret,
    )
    .map_err(|err| ApiError::bad_request(err.code(), err.to_string()))?;
    let Some((_, booking, amount, currency)) = store::payment_of_booking_for_verify(&tx, &order_id, customer).await?
    else {
        return Err(ApiError::not_found("order_not_found", "no such order of yours"));
    };
    let event_id = format!("checkout:{}", body.razorpay_payment_id);
    let payload = json!({ "source": "checkout", "order_id": order_id, "payment_id": body.razorpay_payment_id });
    let event = Inbound {
        provider: "razorpay",
        event_id: &event_id,
        event_type: "checkout.verified",
        payload: &payload,
    };
    let outcome = store::apply_capture(
        &tx,
        &event,
        Some(booking),
        &body.razorpay_payment_id,
        Some(&order_id),
        amount,
        &currency,
        None,
        Some(Utc::now()),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "status": outcome, "booking_id": booking })))
}

// ---------------------------------------------------------------------------------------
// Webhooks

/// `POST /webhooks/razorpay`: `X-Razorpay-Signature` over the raw body, deduplicated on
/// `X-Razorpay-Event-Id`.
pub async fn razorpay_webhook(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as_service(&mut client).await?;
    let secrets = secrets_for(&tx, &settings, "razorpay").await?;
    signature::verify_razorpay_webhook(&body, header("x-razorpay-signature"), &secrets).map_err(signature_error)?;
    let event_id = header("x-razorpay-event-id")
        .filter(|id| !id.trim().is_empty() && id.len() <= 255)
        .ok_or_else(|| ApiError::bad_request("missing_event_id", "the X-Razorpay-Event-Id header is missing"))?
        .to_owned();
    let outcome = webhooks::apply_razorpay(&tx, &event_id, &body).await?;
    tx.commit().await?;
    Ok(Json(json!({ "status": outcome })))
}

/// `POST /webhooks/stripe`: `Stripe-Signature` (`t=`, one or more `v1=`) over the raw body,
/// 300 s tolerance, any matching `v1` accepted while secrets rotate.
pub async fn stripe_webhook(
    State(state): State<AppState>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>> {
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as_service(&mut client).await?;
    let secrets = secrets_for(&tx, &settings, "stripe").await?;
    signature::verify_stripe_webhook(&body, header, &secrets, Utc::now(), STRIPE_TOLERANCE_SECS)
        .map_err(signature_error)?;
    let outcome = webhooks::apply_stripe(&tx, &body).await?;
    tx.commit().await?;
    Ok(Json(json!({ "status": outcome })))
}

/// The secrets a gateway's webhooks may be signed with: the environment's when set, else
/// those installed in `payment_gateways` (current, then the previous one for 24 h), else the
/// local sandbox's.
async fn secrets_for(tx: &Transaction<'_>, settings: &PaymentSettings, provider: &str) -> Result<Secrets> {
    let mut secrets = match settings.webhook_secret_override(provider) {
        Some(secret) => vec![secret.to_owned()],
        None => store::webhook_secrets(tx, provider).await?,
    };
    if secrets.is_empty() && provider == "razorpay" {
        secrets.push(settings.sandbox_secret.clone());
    }
    Secrets::new(secrets).map_err(|_| {
        ApiError::unavailable(
            "webhook_secret_missing",
            format!("no {provider} webhook secret is configured"),
        )
    })
}

fn signature_error(err: SignatureError) -> ApiError {
    match err {
        SignatureError::NoSecret => ApiError::unavailable(err.code(), err.to_string()),
        SignatureError::MissingHeader | SignatureError::MalformedHeader | SignatureError::NoV1Signature => {
            ApiError::bad_request(err.code(), err.to_string())
        }
        SignatureError::TimestampOutsideTolerance { .. } | SignatureError::NoMatch => {
            ApiError::unauthorized(err.code(), err.to_string())
        }
    }
}

// ---------------------------------------------------------------------------------------
// Refunds

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    pub payment_id: String,
    /// Paise; the whole remaining amount when omitted.
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub reason_code: Option<String>,
    /// `original_method` (default) or `wallet`.
    pub refund_method: Option<String>,
}

/// `POST /refunds`: finance (or the service) refunds a captured payment, partly or fully,
/// never more than was captured. `Idempotency-Key` makes a retry return the first refund.
pub async fn create_refund(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefundBody>,
) -> Result<Response> {
    let payment = parse_id(&body.payment_id, "payment_id")?;
    let method = body.refund_method.as_deref().unwrap_or("original_method");
    if !matches!(method, "original_method" | "wallet") {
        return Err(ApiError::unprocessable(
            "invalid_refund_method",
            "refund_method is original_method or wallet",
        ));
    }
    if body.amount.is_some_and(|a| a <= 0) {
        return Err(ApiError::unprocessable(
            "invalid_amount",
            "amount is a positive number of paise",
        ));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("request:{}", Uuid::new_v4()));

    let mut client = state.db.get().await?;
    let refund = {
        let tx = state.db.begin_as(&mut client, &caller).await?;
        if !caller.is_service() && !store::can_refund(&tx).await? {
            return Err(ApiError::forbidden("not_finance", "only finance may refund payments"));
        }
        db::act_as_service(&tx).await?;
        let amount = match body.amount {
            Some(amount) => amount,
            None => store::refundable(&tx, payment).await?,
        };
        let refund = store::create_refund(
            &tx,
            payment,
            amount,
            body.reason.as_deref().unwrap_or("refund"),
            body.reason_code.as_deref().unwrap_or("other"),
            method,
            caller.user_id,
            &key,
        )
        .await?;
        tx.commit().await?;
        refund
    };
    let refund = refund_answer(refund)?;
    let refund = send_to_gateway(&state, &settings, &mut client, refund).await?;
    let status = if refund.1 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(refund.0)).into_response())
}

/// The refund, or the reason there is none, as the API answers it.
fn refund_answer(refund: Value) -> Result<(Value, bool)> {
    match refund["outcome"].as_str() {
        Some("created") => Ok((refund, true)),
        Some("existing") => Ok((refund, false)),
        Some("payment_not_found") => Err(ApiError::not_found("payment_not_found", "no such payment")),
        Some("not_captured") => Err(ApiError::conflict("not_captured", "the payment was not captured")),
        Some("exceeds_captured") => Err(ApiError::unprocessable(
            "exceeds_captured",
            format!("at most {} paise can still be refunded", refund["refundable"]),
        )),
        Some("invalid_amount") => Err(ApiError::unprocessable("invalid_amount", "nothing to refund")),
        Some("nothing_due") => Err(ApiError::unprocessable(
            "nothing_due",
            "the cancellation has no refund due",
        )),
        Some("cancellation_not_found") => Err(ApiError::not_found("cancellation_not_found", "no such cancellation")),
        other => Err(ApiError::internal(format!("refund answered {other:?}"))),
    }
}

/// Asks the gateway for a refund recorded as `processing`, with the refund's id as the
/// idempotency key, and records its answer. The gateway's webhook completes it.
async fn send_to_gateway(
    state: &AppState,
    settings: &PaymentSettings,
    client: &mut deadpool_postgres::Client,
    (refund, created): (Value, bool),
) -> Result<(Value, bool)> {
    if refund["refund_method"] == "wallet" || refund["status"] != "processing" {
        return Ok((refund, created));
    }
    let id = parse_id(refund["refund_id"].as_str().unwrap_or_default(), "refund_id")?;
    let gateway = {
        let tx = state.db.begin_as_service(client).await?;
        settings.gateway_in(&tx, refund["gateway"].as_str()).await?
    };
    let payment_ref = refund["gateway_payment_id"].as_str().unwrap_or_default().to_owned();
    let asked = gateway
        .refund(RefundRequest {
            payment_id: &payment_ref,
            amount: refund["amount"].as_i64().unwrap_or_default(),
            refund_id: &id.to_string(),
        })
        .await;
    let tx = state.db.begin_as_service(client).await?;
    let refund = match asked {
        Ok(created_at_gateway) => {
            store::attach_gateway_refund(&tx, id, Some(&created_at_gateway.id), true).await?;
            tx.commit().await?;
            if matches!(gateway, super::config::AnyGateway::Sandbox(_)) {
                settings
                    .sandbox_refund_webhook(
                        &payment_ref,
                        &created_at_gateway.id,
                        refund["amount"].as_i64().unwrap_or(0),
                    )
                    .await?;
            }
            let mut refund = refund;
            refund["gateway_refund_id"] = json!(created_at_gateway.id);
            refund
        }
        Err(GatewayError::Refused { status, message }) => {
            store::attach_gateway_refund(&tx, id, None, false).await?;
            tx.commit().await?;
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "gateway_refused",
                format!("the gateway refused the refund ({status}): {message}"),
            ));
        }
        Err(err) => return Err(gateway_error(err)),
    };
    Ok((refund, created))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CancellationRefundBody {
    #[serde(default)]
    pub to_wallet: bool,
}

/// `POST /cancellations/{id}/refund {to_wallet?}`: pays out what a cancellation owes, to the
/// original method or at once to the OMBARO wallet. The booking's customer or finance.
pub async fn refund_cancellation(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    Path(id): Path<String>,
    body: Option<ApiJson<CancellationRefundBody>>,
) -> Result<Response> {
    let cancellation = parse_id(&id, "cancellation id")?;
    let to_wallet = body.map(|ApiJson(b)| b.to_wallet).unwrap_or(false);
    let mut client = state.db.get().await?;
    let refund = {
        let tx = state.db.begin_as(&mut client, &caller).await?;
        // The caller must be able to see the cancellation (its customer, vendor or staff)
        // and be its customer or finance to pay it out.
        let Some(owner) = store::customer_of_cancellation(&tx, cancellation).await? else {
            return Err(ApiError::not_found("cancellation_not_found", "no such cancellation"));
        };
        if !caller.is_service() && caller.user_id != Some(owner) && !store::can_refund(&tx).await? {
            return Err(ApiError::forbidden(
                "not_allowed",
                "only the customer or finance may do this",
            ));
        }
        db::act_as_service(&tx).await?;
        let refund = store::refund_for_cancellation(&tx, cancellation, to_wallet).await?;
        tx.commit().await?;
        refund
    };
    let refund = refund_answer(refund)?;
    let (refund, created) = send_to_gateway(&state, &settings, &mut client, refund).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(refund)).into_response())
}

// ---------------------------------------------------------------------------------------
// Sandbox

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxPayBody {
    pub order_id: String,
    pub outcome: String,
}

/// `POST /sandbox/pay {order_id, outcome: "captured" | "failed"}`: what the customer's
/// payment at the sandbox gateway does — a correctly signed Razorpay-format webhook sent over
/// HTTP to our own webhook endpoint. Only when no Razorpay keys are configured.
pub async fn sandbox_pay(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(settings): Extension<Arc<PaymentSettings>>,
    ApiJson(body): ApiJson<SandboxPayBody>,
) -> Result<Json<Value>> {
    let captured = match body.outcome.as_str() {
        "captured" => true,
        "failed" => false,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_outcome",
                "outcome is captured or failed",
            ))
        }
    };
    let (order, gateway) = {
        let mut client = state.db.get().await?;
        let tx = state.db.begin_as(&mut client, &caller).await?;
        let order = store::visible_order(&tx, &body.order_id).await?;
        // Keys in the environment or installed in payment_gateways turn the sandbox off.
        db::act_as_service(&tx).await?;
        (order, settings.gateway_in(&tx, Some("razorpay")).await?)
        // The connection goes back to the pool before the sandbox calls our own webhook.
    };
    if !matches!(gateway, super::config::AnyGateway::Sandbox(_)) {
        return Err(ApiError::not_found(
            "no_sandbox",
            "the sandbox gateway is off: real keys are configured",
        ));
    }
    let Some((booking, amount)) = order else {
        return Err(ApiError::not_found("order_not_found", "no such order"));
    };
    let answer = settings
        .sandbox_payment_webhooks(&body.order_id, booking, amount, captured)
        .await?;
    Ok(Json(answer))
}

// ---------------------------------------------------------------------------------------
// Settlements

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettlementRunBody {
    pub period_start: chrono::NaiveDate,
    pub period_end: chrono::NaiveDate,
}

/// `POST /settlements/run {period_start, period_end}` (finance, or the service): settles every
/// vendor with completed, paid bookings or processed refunds in the period. The core computes
/// each settlement; one SQL function writes it. A period already settled is answered with the
/// existing settlement and nothing changes; one that overlaps a settled period is refused.
pub async fn run_settlements(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(body): ApiJson<SettlementRunBody>,
) -> Result<Json<Value>> {
    let period = crate::settlement::Period::new(body.period_start, body.period_end)
        .map_err(|err| ApiError::unprocessable(err.code(), err.to_string()))?;
    let mut client = state.db.get().await?;
    let tx = state.db.begin_as(&mut client, &caller).await?;
    if !caller.is_service() && !store::can_settle(&tx).await? {
        return Err(ApiError::forbidden("not_finance", "only finance may run settlements"));
    }
    db::act_as_service(&tx).await?;
    let inputs = store::settlement_inputs(&tx, period.start(), period.end()).await?;
    let mut results = Vec::new();
    for raw in inputs.as_array().into_iter().flatten() {
        let input: crate::settlement::SettlementInput = serde_json::from_value(raw.clone())
            .map_err(|err| ApiError::internal(format!("settlement input: {err}")))?;
        match crate::settlement::settle(&input) {
            Ok(settlement) => {
                let json = serde_json::to_value(&settlement).map_err(ApiError::internal)?;
                let recorded = store::record_settlement(&tx, &json, caller.user_id).await?;
                results.push(json!({
                    "vendor_id": settlement.vendor_id,
                    "outcome": recorded["outcome"],
                    "settlement_id": recorded["settlement_id"],
                    "total_bookings": settlement.total_bookings,
                    "gross_amount": settlement.gross_amount,
                    "commission_amount": settlement.commission_amount,
                    "commission_gst_amount": settlement.commission_gst_amount,
                    "tds_amount": settlement.tds_amount,
                    "tcs_amount": settlement.tcs_amount,
                    "adjustment_amount": settlement.adjustment_amount,
                    "net_settlement_amount": settlement.net_settlement_amount,
                }));
            }
            Err(crate::settlement::SettlementError::PeriodAlreadySettled) => {
                results.push(json!({ "vendor_id": input.vendor_id, "outcome": "existing" }));
            }
            Err(err @ crate::settlement::SettlementError::PeriodOverlapsSettled { .. }) => {
                return Err(ApiError::conflict(err.code(), err.to_string())
                    .with_details(json!({ "vendor_id": input.vendor_id })));
            }
            Err(err) => return Err(ApiError::unprocessable(err.code(), err.to_string())),
        }
    }
    tx.commit().await?;
    Ok(Json(json!({
        "period_start": period.start(),
        "period_end": period.end(),
        "settlements": results,
    })))
}
