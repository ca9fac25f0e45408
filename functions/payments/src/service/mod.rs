//! The payment service, mounted by the function server at `/functions/v1/payment-service`
//! (feature `server`). Thin on purpose: the core verifies signatures and parses events,
//! [`store`] calls the one SQL function each effect is (migrations V50-V53), [`gateway`]
//! talks to Razorpay and Stripe, and the handlers connect them.
//!
//! | method and path | who | what |
//! | --- | --- | --- |
//! | `POST /orders` | the booking's customer | pending payment + gateway order for the booking's total |
//! | `POST /orders/{order_id}/verify` | the booking's customer | Razorpay Checkout's signature: the capture's fast path |
//! | `POST /webhooks/razorpay` | Razorpay (signature) | payment, order and refund events, each applied once |
//! | `POST /webhooks/stripe` | Stripe (signature) | payment intent, refund and dispute events, each applied once |
//! | `POST /refunds` | finance, service | refund a captured payment, partly or fully |
//! | `POST /cancellations/{id}/refund` | the customer, finance | pay out what a cancellation owes (wallet or original method) |
//! | `POST /sandbox/pay` | the customer, service | the local sandbox gateway "pays": a signed webhook to ourselves |
//! | `POST /settlements/run` | finance, service | settle every vendor for a period: commission, its GST, TDS, TCS, refunds, payout |

pub mod config;
pub mod gateway;
mod handlers;
pub mod store;
mod webhooks;

use std::sync::Arc;

use axum::{extract::DefaultBodyLimit, routing::post, Extension, Router};
use ombaro_common::AppState;

pub use config::PaymentSettings;

/// Where the function server mounts the routers.
pub const MOUNT: &str = "/payment-service";

/// Webhook bodies above this are refused (413) before they are read.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// The routes for signed-in callers, relative to [`MOUNT`]; the server's JWT middleware
/// authenticates them.
pub fn router(settings: Arc<PaymentSettings>) -> Router<AppState> {
    Router::new()
        .route("/orders", post(handlers::create_order))
        .route("/orders/{order_id}/verify", post(handlers::verify_order))
        .route("/refunds", post(handlers::create_refund))
        .route("/cancellations/{id}/refund", post(handlers::refund_cancellation))
        .route("/sandbox/pay", post(handlers::sandbox_pay))
        .route("/settlements/run", post(handlers::run_settlements))
        .layer(Extension(settings))
}

/// The webhook routes, relative to [`MOUNT`]: no Supabase JWT, the gateway's signature over
/// the raw body is the authentication.
pub fn webhook_router(settings: Arc<PaymentSettings>) -> Router<AppState> {
    Router::new()
        .route("/webhooks/razorpay", post(handlers::razorpay_webhook))
        .route("/webhooks/stripe", post(handlers::stripe_webhook))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
        .layer(Extension(settings))
}
