//! The gateways behind one trait: Razorpay's Orders and Refunds APIs, Stripe's
//! PaymentIntents and Refunds APIs, and a local sandbox that needs no keys. Each call is one
//! HTTP request as the gateway documents it; base URLs are configurable so tests run the real
//! clients against a local server that checks what they send.
//!
//! No call is made inside a database transaction: the service records what it is about to
//! ask (the pending payment, the refund), asks, then records the answer, and the gateway's
//! idempotency (Razorpay's `receipt`, Stripe's `Idempotency-Key`) makes a retried ask return
//! the first answer.

use std::time::Duration;

use serde_json::{json, Value};

/// A gateway's answer to "create an order for this payment".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// `order_...` (Razorpay) or `pi_...` (Stripe).
    pub id: String,
    /// What the client SDK needs besides the id: Stripe's `client_secret`.
    pub client_secret: Option<String>,
}

/// A gateway's answer to "refund this payment".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCreated {
    /// `rfnd_...` (Razorpay) or `re_...` (Stripe).
    pub id: String,
    /// The gateway already says it is done (Razorpay `processed`, Stripe `succeeded`).
    pub processed: bool,
}

/// What went wrong talking to a gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("the gateway could not be reached: {0}")]
    Unreachable(String),
    #[error("the gateway refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the gateway's answer was not understood: {0}")]
    BadAnswer(String),
}

/// An order or intent to create.
#[derive(Debug, Clone)]
pub struct OrderRequest<'a> {
    /// Amount in paise.
    pub amount: i64,
    /// Our payment reference (`payments.transaction_id`): Razorpay's `receipt`, Stripe's
    /// idempotency key, so asking twice gives one order.
    pub receipt: &'a str,
    pub booking_id: &'a str,
    pub booking_number: &'a str,
}

/// A refund to ask for.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// The gateway's payment id (`pay_...`, `pi_...`).
    pub payment_id: &'a str,
    /// Amount in paise.
    pub amount: i64,
    /// Our refund id: the idempotency key, so a retried refund is one refund.
    pub refund_id: &'a str,
}

/// What every gateway can do for the service.
pub trait Gateway: Send + Sync {
    /// `razorpay` or `stripe`: `payment_gateways.code` and `private.webhook_events.provider`.
    fn code(&self) -> &'static str;
    /// The public key the client SDK is initialised with.
    fn key_id(&self) -> &str;
    fn create_order(
        &self,
        order: OrderRequest<'_>,
    ) -> impl std::future::Future<Output = Result<Order, GatewayError>> + Send;
    fn refund(
        &self,
        refund: RefundRequest<'_>,
    ) -> impl std::future::Future<Output = Result<RefundCreated, GatewayError>> + Send;
}

/// HTTP client shared by the gateways: short timeouts, so a slow gateway is an error the
/// caller sees, not a request that hangs.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("building the HTTP client")
}

async fn answer(response: Result<reqwest::Response, reqwest::Error>) -> Result<Value, GatewayError> {
    let response = response.map_err(|err| GatewayError::Unreachable(err.to_string()))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|err| GatewayError::BadAnswer(err.to_string()))?;
    if !status.is_success() {
        let message = body["error"]["description"]
            .as_str()
            .or_else(|| body["error"]["message"].as_str())
            .unwrap_or("no description")
            .to_owned();
        return Err(GatewayError::Refused {
            status: status.as_u16(),
            message,
        });
    }
    Ok(body)
}

fn text(body: &Value, field: &str) -> Result<String, GatewayError> {
    body[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| GatewayError::BadAnswer(format!("no {field} in the answer")))
}

// Razorpay ---------------------------------------------------------------------------------

/// Razorpay: `POST /v1/orders` and `POST /v1/payments/{id}/refund`, basic auth with
/// `key_id:key_secret`, JSON bodies, amounts in paise.
#[derive(Clone)]
pub struct Razorpay {
    pub base_url: String,
    pub key_id: String,
    pub key_secret: String,
    pub http: reqwest::Client,
}

impl Razorpay {
    pub const BASE_URL: &'static str = "https://api.razorpay.com";
}

impl Gateway for Razorpay {
    fn code(&self) -> &'static str {
        "razorpay"
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    async fn create_order(&self, order: OrderRequest<'_>) -> Result<Order, GatewayError> {
        let body = json!({
            "amount": order.amount,
            "currency": "INR",
            "receipt": order.receipt,
            "notes": { "booking_id": order.booking_id, "booking_number": order.booking_number },
        });
        let response = self
            .http
            .post(format!("{}/v1/orders", self.base_url))
            .basic_auth(&self.key_id, Some(&self.key_secret))
            .json(&body)
            .send()
            .await;
        let answer = answer(response).await?;
        Ok(Order {
            id: text(&answer, "id")?,
            client_secret: None,
        })
    }

    async fn refund(&self, refund: RefundRequest<'_>) -> Result<RefundCreated, GatewayError> {
        let body = json!({
            "amount": refund.amount,
            "receipt": refund.refund_id,
            "notes": { "refund_id": refund.refund_id },
        });
        let response = self
            .http
            .post(format!("{}/v1/payments/{}/refund", self.base_url, refund.payment_id))
            .basic_auth(&self.key_id, Some(&self.key_secret))
            // Razorpay honours an idempotency key on refunds; the body's receipt names it too.
            .header("X-Razorpay-Idempotency", refund.refund_id)
            .json(&body)
            .send()
            .await;
        let answer = answer(response).await?;
        Ok(RefundCreated {
            id: text(&answer, "id")?,
            processed: answer["status"] == "processed",
        })
    }
}

// Stripe -----------------------------------------------------------------------------------

/// Stripe: `POST /v1/payment_intents` and `POST /v1/refunds`, bearer secret key,
/// form-encoded bodies, `Idempotency-Key` on every create.
#[derive(Clone)]
pub struct Stripe {
    pub base_url: String,
    pub publishable_key: String,
    pub secret_key: String,
    pub http: reqwest::Client,
}

impl Stripe {
    pub const BASE_URL: &'static str = "https://api.stripe.com";
}

impl Gateway for Stripe {
    fn code(&self) -> &'static str {
        "stripe"
    }

    fn key_id(&self) -> &str {
        &self.publishable_key
    }

    async fn create_order(&self, order: OrderRequest<'_>) -> Result<Order, GatewayError> {
        let amount = order.amount.to_string();
        let form = [
            ("amount", amount.as_str()),
            ("currency", "inr"),
            ("metadata[booking_id]", order.booking_id),
            ("metadata[booking_number]", order.booking_number),
            ("metadata[transaction_id]", order.receipt),
            ("automatic_payment_methods[enabled]", "true"),
        ];
        let response = self
            .http
            .post(format!("{}/v1/payment_intents", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", order.receipt)
            .form(&form)
            .send()
            .await;
        let answer = answer(response).await?;
        Ok(Order {
            id: text(&answer, "id")?,
            client_secret: answer["client_secret"].as_str().map(str::to_owned),
        })
    }

    async fn refund(&self, refund: RefundRequest<'_>) -> Result<RefundCreated, GatewayError> {
        let amount = refund.amount.to_string();
        let form = [
            ("payment_intent", refund.payment_id),
            ("amount", amount.as_str()),
            ("metadata[refund_id]", refund.refund_id),
        ];
        let response = self
            .http
            .post(format!("{}/v1/refunds", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Idempotency-Key", refund.refund_id)
            .form(&form)
            .send()
            .await;
        let answer = answer(response).await?;
        Ok(RefundCreated {
            id: text(&answer, "id")?,
            processed: answer["status"] == "succeeded",
        })
    }
}

// Sandbox ----------------------------------------------------------------------------------

/// The gateway when no keys are configured: orders and refunds are made up locally with
/// Razorpay-shaped ids, and "paying" sends a correctly signed Razorpay-format webhook to our
/// own endpoint (see the service's `/sandbox/pay`), so the real verification path runs.
#[derive(Clone, Default)]
pub struct Sandbox;

impl Sandbox {
    /// Id of the form Razorpay uses: a prefix and 14 base-62 characters.
    pub fn id(prefix: &str, seed: &str) -> String {
        use sha2::{Digest, Sha256};
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let digest = Sha256::digest(seed.as_bytes());
        let tail: String = digest
            .iter()
            .take(14)
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        format!("{prefix}_{tail}")
    }
}

impl Gateway for Sandbox {
    fn code(&self) -> &'static str {
        "razorpay"
    }

    fn key_id(&self) -> &str {
        "rzp_test_sandbox"
    }

    async fn create_order(&self, order: OrderRequest<'_>) -> Result<Order, GatewayError> {
        Ok(Order {
            id: Self::id("order", order.receipt),
            client_secret: None,
        })
    }

    async fn refund(&self, refund: RefundRequest<'_>) -> Result<RefundCreated, GatewayError> {
        Ok(RefundCreated {
            id: Self::id("rfnd", refund.refund_id),
            processed: false,
        })
    }
}
