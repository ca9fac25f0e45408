//! `ombaro pay <booking_number> [--fail] [--refund]`: pay for a booking on the running stack
//! the way a customer's app would, through the sandbox gateway, so the whole money path runs
//! offline like `stripe trigger`: checkout as the booking's customer, then the sandbox's
//! correctly signed webhook to our own endpoint; `--refund` refunds it in full as the service.

use anyhow::{bail, Context};
use ombaro_common::jwt::JwtKeys;
use serde_json::{json, Value};
use tokio_postgres::Client;
use uuid::Uuid;

/// What to do to the booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayAction {
    Capture,
    Fail,
    Refund,
}

/// What happened, for printing.
#[derive(Debug)]
pub struct PayOutcome {
    pub booking_number: String,
    pub lines: Vec<String>,
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> anyhow::Result<(u16, Value)> {
    let resp = http
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("calling {url}"))?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

fn refusal(what: &str, status: u16, body: &Value) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} was refused ({status} {}): {}",
        body["code"].as_str().unwrap_or("?"),
        body["message"].as_str().unwrap_or("no message")
    )
}

/// Runs `action` for the booking numbered `number`, against the function server at `api_url`
/// with the stack's keys; `db` (the stack's database) finds the booking and reports after.
pub async fn run(
    db: &Client,
    api_url: &str,
    keys: &JwtKeys,
    number: &str,
    action: PayAction,
) -> anyhow::Result<PayOutcome> {
    let Some(row) = db
        .query_opt(
            "select id, customer_id, status, payment_status, total_amount from public.bookings where booking_number = $1",
            &[&number],
        )
        .await?
    else {
        bail!("no booking numbered {number}");
    };
    let (booking, customer): (Uuid, Uuid) = (row.get(0), row.get(1));
    let http = reqwest::Client::new();
    let base = format!("{api_url}/functions/v1/payment-service");
    let mut lines = Vec::new();

    match action {
        PayAction::Capture | PayAction::Fail => {
            let customer_token = keys.user_token(&customer.to_string(), None, 600, json!({}));
            let (status, order) = post(
                &http,
                format!("{base}/orders"),
                &customer_token,
                json!({ "booking_id": booking }),
            )
            .await?;
            if status >= 300 {
                return Err(refusal("checkout", status, &order));
            }
            lines.push(format!(
                "order {} for {} paise at {}{}",
                order["order_id"].as_str().unwrap_or("?"),
                order["amount"],
                order["gateway"].as_str().unwrap_or("?"),
                if order["sandbox"] == true { " (sandbox)" } else { "" }
            ));
            let outcome = if action == PayAction::Fail {
                "failed"
            } else {
                "captured"
            };
            let (status, paid) = post(
                &http,
                format!("{base}/sandbox/pay"),
                &customer_token,
                json!({ "order_id": order["order_id"], "outcome": outcome }),
            )
            .await?;
            if status >= 300 {
                return Err(refusal("the sandbox payment", status, &paid));
            }
            for event in paid["events"].as_array().into_iter().flatten() {
                lines.push(format!(
                    "webhook {} -> {} {}",
                    event["event_id"].as_str().unwrap_or("?"),
                    event["webhook_status"],
                    event["webhook_answer"]["status"].as_str().unwrap_or("")
                ));
            }
        }
        PayAction::Refund => {
            let Some(payment) = db
                .query_opt(
                    "select id from public.payments where booking_id = $1 and status in ('success', 'partially_refunded')
                      order by payment_date desc limit 1",
                    &[&booking],
                )
                .await?
            else {
                bail!("booking {number} has no captured payment to refund");
            };
            let payment: Uuid = payment.get(0);
            let resp = http
                .post(format!("{base}/refunds"))
                .bearer_auth(keys.api_key("service_role"))
                .header("idempotency-key", format!("ombaro-pay-refund:{payment}"))
                .json(
                    &json!({ "payment_id": payment, "reason": "refunded with ombaro pay", "reason_code": "goodwill" }),
                )
                .send()
                .await
                .context("calling the refund endpoint")?;
            let status = resp.status().as_u16();
            let refund: Value = resp.json().await.unwrap_or(Value::Null);
            if status >= 300 {
                return Err(refusal("the refund", status, &refund));
            }
            lines.push(format!(
                "refund {} of {} paise ({})",
                refund["gateway_refund_id"].as_str().unwrap_or("-"),
                refund["amount"],
                refund["refund_method"].as_str().unwrap_or("?")
            ));
        }
    }

    let row = db
        .query_one(
            "select b.status, b.payment_status,
                    (select string_agg(i.invoice_number, ', ') from public.invoices i where i.booking_id = b.id)
               from public.bookings b where b.id = $1",
            &[&booking],
        )
        .await?;
    let (status, payment_status, invoices): (String, String, Option<String>) = (row.get(0), row.get(1), row.get(2));
    lines.push(format!(
        "booking {number}: {status}, payment {payment_status}{}",
        invoices.map(|i| format!(", invoice {i}")).unwrap_or_default()
    ));
    Ok(PayOutcome {
        booking_number: number.to_owned(),
        lines,
    })
}

/// `ombaro settle --from --to`: runs the period's vendor settlements on the running stack as
/// the service (the same endpoint finance calls), one line per vendor.
pub async fn settle(
    api_url: &str,
    keys: &JwtKeys,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> anyhow::Result<Vec<String>> {
    let http = reqwest::Client::new();
    let (status, run) = post(
        &http,
        format!("{api_url}/functions/v1/payment-service/settlements/run"),
        &keys.api_key("service_role"),
        json!({ "period_start": from, "period_end": to }),
    )
    .await?;
    if status >= 300 {
        return Err(refusal("the settlement run", status, &run));
    }
    let settlements = run["settlements"].as_array().cloned().unwrap_or_default();
    if settlements.is_empty() {
        return Ok(vec![format!("nothing to settle from {from} to {to}")]);
    }
    Ok(settlements
        .iter()
        .map(|s| match s["outcome"].as_str() {
            Some("existing") => format!("vendor {}: already settled for this period", s["vendor_id"].as_str().unwrap_or("?")),
            _ => format!(
                "vendor {}: {} bookings, gross {} - commission {} - GST on it {} - TDS {} - TCS {} + adjustments {} = net {} paise",
                s["vendor_id"].as_str().unwrap_or("?"),
                s["total_bookings"],
                s["gross_amount"],
                s["commission_amount"],
                s["commission_gst_amount"],
                s["tds_amount"],
                s["tcs_amount"],
                s["adjustment_amount"],
                s["net_settlement_amount"]
            ),
        })
        .collect())
}
