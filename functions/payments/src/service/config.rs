//! Which gateways the service talks to, read once at start-up from the environment:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `RAZORPAY_KEY_ID`, `RAZORPAY_KEY_SECRET` | Razorpay API keys; without them Razorpay is the local sandbox |
//! | `RAZORPAY_BASE_URL` | default `https://api.razorpay.com` |
//! | `RAZORPAY_WEBHOOK_SECRET` | overrides the secret installed in `payment_gateways` |
//! | `STRIPE_SECRET_KEY`, `STRIPE_PUBLISHABLE_KEY` | Stripe API keys; without them Stripe is off |
//! | `STRIPE_BASE_URL` | default `https://api.stripe.com` |
//! | `STRIPE_WEBHOOK_SECRET` | overrides the secret installed in `payment_gateways` |
//!
//! Without keys in the environment, a gateway's API keys are read from `payment_gateways`
//! (an active row's `key_id` and its encrypted secret, decrypted inside the request's
//! transaction) when a request needs them; without either, Razorpay is the local sandbox.
//! Webhook secrets are likewise read from `payment_gateways` on every webhook, so a secret
//! installed with `public.set_payment_gateway_secrets` applies to the next request.

use serde_json::{json, Value};
use uuid::Uuid;

use ombaro_common::{config::env_nonempty, ApiError};

use super::gateway::{
    self, Gateway, GatewayError, Order, OrderRequest, Razorpay, RefundCreated, RefundRequest, Sandbox, Stripe,
};
use crate::signature;

/// Purpose string of the sandbox's webhook secret, derived from the project's JWT secret.
pub const SANDBOX_SECRET_PURPOSE: &str = "payments/sandbox/razorpay-webhook";

/// One of the configured gateways.
#[derive(Clone)]
pub enum AnyGateway {
    Razorpay(Razorpay),
    Stripe(Stripe),
    Sandbox(Sandbox),
}

impl Gateway for AnyGateway {
    fn code(&self) -> &'static str {
        match self {
            AnyGateway::Razorpay(g) => g.code(),
            AnyGateway::Stripe(g) => g.code(),
            AnyGateway::Sandbox(g) => g.code(),
        }
    }

    fn key_id(&self) -> &str {
        match self {
            AnyGateway::Razorpay(g) => g.key_id(),
            AnyGateway::Stripe(g) => g.key_id(),
            AnyGateway::Sandbox(g) => g.key_id(),
        }
    }

    async fn create_order(&self, order: OrderRequest<'_>) -> Result<Order, GatewayError> {
        match self {
            AnyGateway::Razorpay(g) => g.create_order(order).await,
            AnyGateway::Stripe(g) => g.create_order(order).await,
            AnyGateway::Sandbox(g) => g.create_order(order).await,
        }
    }

    async fn refund(&self, refund: RefundRequest<'_>) -> Result<RefundCreated, GatewayError> {
        match self {
            AnyGateway::Razorpay(g) => g.refund(refund).await,
            AnyGateway::Stripe(g) => g.refund(refund).await,
            AnyGateway::Sandbox(g) => g.refund(refund).await,
        }
    }
}

/// The service's gateways and secrets.
#[derive(Clone)]
pub struct PaymentSettings {
    /// Razorpay as the environment configures it: the real API, or the sandbox without keys.
    pub razorpay: AnyGateway,
    pub stripe: Option<Stripe>,
    pub razorpay_webhook_secret: Option<String>,
    pub stripe_webhook_secret: Option<String>,
    /// Signs the sandbox's webhooks and stands in for Razorpay's key secret in its checkout
    /// signatures; derived from the project's JWT secret, so it differs per project.
    pub sandbox_secret: String,
    /// Where the sandbox sends its webhooks (this server); `None`: the request's own host.
    pub sandbox_webhook_base: Option<String>,
    pub http: reqwest::Client,
}

impl std::fmt::Debug for PaymentSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentSettings")
            .field("razorpay", &self.razorpay.code())
            .field("sandbox", &self.is_sandbox("razorpay"))
            .field("stripe", &self.stripe.is_some())
            .finish_non_exhaustive()
    }
}

impl PaymentSettings {
    /// From the environment (see the module's table); `sandbox_secret` from
    /// [`ombaro_common::jwt::JwtKeys::derived_secret`].
    pub fn from_env(sandbox_secret: String) -> Self {
        let http = gateway::http_client();
        let razorpay = match (env_nonempty("RAZORPAY_KEY_ID"), env_nonempty("RAZORPAY_KEY_SECRET")) {
            (Some(key_id), Some(key_secret)) => AnyGateway::Razorpay(Razorpay {
                base_url: env_nonempty("RAZORPAY_BASE_URL").unwrap_or_else(|| Razorpay::BASE_URL.to_owned()),
                key_id,
                key_secret,
                http: http.clone(),
            }),
            _ => AnyGateway::Sandbox(Sandbox),
        };
        let stripe = match (
            env_nonempty("STRIPE_SECRET_KEY"),
            env_nonempty("STRIPE_PUBLISHABLE_KEY"),
        ) {
            (Some(secret_key), Some(publishable_key)) => Some(Stripe {
                base_url: env_nonempty("STRIPE_BASE_URL").unwrap_or_else(|| Stripe::BASE_URL.to_owned()),
                publishable_key,
                secret_key,
                http: http.clone(),
            }),
            _ => None,
        };
        Self {
            razorpay,
            stripe,
            razorpay_webhook_secret: env_nonempty("RAZORPAY_WEBHOOK_SECRET"),
            stripe_webhook_secret: env_nonempty("STRIPE_WEBHOOK_SECRET"),
            sandbox_secret,
            sandbox_webhook_base: None,
            http,
        }
    }

    /// The gateway a request asked for (Razorpay when none), with keys from the environment,
    /// else from `payment_gateways` read in `tx`, else (Razorpay only) the sandbox.
    pub async fn gateway_in(
        &self,
        tx: &super::store::Transaction<'_>,
        code: Option<&str>,
    ) -> Result<AnyGateway, ApiError> {
        let configured = self.gateway(code);
        let from_env = match &configured {
            Ok(AnyGateway::Sandbox(_)) => false,
            Ok(_) => true,
            Err(err) if err.code == "gateway_unavailable" => false,
            Err(_) => return configured,
        };
        if from_env {
            return configured;
        }
        let provider = code.unwrap_or("razorpay");
        match super::store::gateway_credentials(tx, provider).await? {
            Some((key_id, secret)) if provider == "razorpay" => Ok(AnyGateway::Razorpay(Razorpay {
                base_url: env_nonempty("RAZORPAY_BASE_URL").unwrap_or_else(|| Razorpay::BASE_URL.to_owned()),
                key_id,
                key_secret: secret,
                http: self.http.clone(),
            })),
            Some((publishable_key, secret_key)) => Ok(AnyGateway::Stripe(Stripe {
                base_url: env_nonempty("STRIPE_BASE_URL").unwrap_or_else(|| Stripe::BASE_URL.to_owned()),
                publishable_key,
                secret_key,
                http: self.http.clone(),
            })),
            None => configured,
        }
    }

    /// The gateway the environment configures for `code` (Razorpay when none).
    pub fn gateway(&self, code: Option<&str>) -> Result<AnyGateway, ApiError> {
        match code.unwrap_or("razorpay") {
            "razorpay" => Ok(self.razorpay.clone()),
            "stripe" => self.stripe.clone().map(AnyGateway::Stripe).ok_or_else(|| {
                ApiError::unprocessable("gateway_unavailable", "Stripe is not configured on this stack")
            }),
            other => Err(ApiError::unprocessable(
                "unknown_gateway",
                format!("no gateway {other:?}: razorpay or stripe"),
            )),
        }
    }

    /// Whether the environment leaves Razorpay to the sandbox (keys installed in
    /// `payment_gateways` still take precedence per request: see [`Self::gateway_in`]).
    pub fn is_sandbox(&self, code: &str) -> bool {
        code == "razorpay" && matches!(self.razorpay, AnyGateway::Sandbox(_))
    }

    /// The key secret that signs Razorpay Checkout callbacks: the resolved gateway's, or the
    /// sandbox's own secret when the sandbox stands in.
    pub fn checkout_secret(&self, gateway: &AnyGateway) -> String {
        match gateway {
            AnyGateway::Razorpay(g) => g.key_secret.clone(),
            _ => self.sandbox_secret.clone(),
        }
    }

    pub fn webhook_secret_override(&self, provider: &str) -> Option<&str> {
        match provider {
            "razorpay" => self.razorpay_webhook_secret.as_deref(),
            "stripe" => self.stripe_webhook_secret.as_deref(),
            _ => None,
        }
    }

    fn webhook_url(&self) -> Result<String, ApiError> {
        self.sandbox_webhook_base
            .as_ref()
            .map(|base| format!("{base}/functions/v1/payment-service/webhooks/razorpay"))
            .ok_or_else(|| ApiError::internal("the sandbox does not know this server's address"))
    }

    /// Sends one Razorpay-format event, signed with the secret the webhook endpoint checks, to
    /// our own endpoint over HTTP; returns its answer.
    async fn send_sandbox_event(&self, event_id: &str, body: &Value) -> Result<Value, ApiError> {
        let raw = serde_json::to_vec(body).map_err(ApiError::internal)?;
        let secret = self
            .razorpay_webhook_secret
            .clone()
            .unwrap_or_else(|| self.sandbox_secret.clone());
        let signature = signature::sign_razorpay_webhook(&raw, &secret);
        let response = self
            .http
            .post(self.webhook_url()?)
            .header("content-type", "application/json")
            .header("x-razorpay-signature", signature)
            .header("x-razorpay-event-id", event_id)
            .body(raw)
            .send()
            .await
            .map_err(|err| ApiError::internal(format!("sandbox webhook: {err}")))?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        Ok(json!({ "event_id": event_id, "webhook_status": status, "webhook_answer": answer }))
    }

    /// The sandbox customer paid (or failed to): `payment.captured` then `order.paid` (as
    /// Razorpay sends both), or `payment.failed`.
    pub async fn sandbox_payment_webhooks(
        &self,
        order_id: &str,
        booking: Uuid,
        amount: i64,
        captured: bool,
    ) -> Result<Value, ApiError> {
        let payment_id = Sandbox::id("pay", &format!("{order_id}/{}", Uuid::new_v4()));
        let now = chrono::Utc::now().timestamp();
        let payment = json!({
            "id": payment_id, "entity": "payment", "amount": amount, "currency": "INR",
            "status": if captured { "captured" } else { "failed" },
            "order_id": order_id, "method": "upi", "captured": captured,
            "notes": { "booking_id": booking },
            "error_code": if captured { Value::Null } else { json!("BAD_REQUEST_ERROR") },
            "error_description": if captured { Value::Null } else { json!("Payment failed at the sandbox") },
            "created_at": now,
        });
        let mut events = Vec::new();
        if captured {
            let captured_event = json!({
                "entity": "event", "account_id": "acc_sandbox", "event": "payment.captured",
                "contains": ["payment"], "payload": { "payment": { "entity": payment } }, "created_at": now,
            });
            events.push(
                self.send_sandbox_event(&Sandbox::id("evt", &format!("{payment_id}/captured")), &captured_event)
                    .await?,
            );
            let order_paid = json!({
                "entity": "event", "account_id": "acc_sandbox", "event": "order.paid",
                "contains": ["payment", "order"],
                "payload": {
                    "payment": { "entity": payment },
                    "order": { "entity": { "id": order_id, "entity": "order", "amount": amount, "amount_paid": amount,
                                           "currency": "INR", "status": "paid", "notes": { "booking_id": booking } } },
                },
                "created_at": now,
            });
            events.push(
                self.send_sandbox_event(&Sandbox::id("evt", &format!("{payment_id}/order")), &order_paid)
                    .await?,
            );
        } else {
            let failed = json!({
                "entity": "event", "account_id": "acc_sandbox", "event": "payment.failed",
                "contains": ["payment"], "payload": { "payment": { "entity": payment } }, "created_at": now,
            });
            events.push(
                self.send_sandbox_event(&Sandbox::id("evt", &format!("{payment_id}/failed")), &failed)
                    .await?,
            );
        }
        Ok(json!({ "payment_id": payment_id, "events": events }))
    }

    /// The sandbox processed a refund: `refund.processed`.
    pub async fn sandbox_refund_webhook(
        &self,
        payment_id: &str,
        refund_id: &str,
        amount: i64,
    ) -> Result<Value, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let event = json!({
            "entity": "event", "account_id": "acc_sandbox", "event": "refund.processed",
            "contains": ["refund", "payment"],
            "payload": {
                "refund": { "entity": { "id": refund_id, "entity": "refund", "amount": amount, "currency": "INR",
                                        "payment_id": payment_id, "status": "processed", "created_at": now } },
            },
            "created_at": now,
        });
        self.send_sandbox_event(&Sandbox::id("evt", &format!("{refund_id}/processed")), &event)
            .await
    }
}
