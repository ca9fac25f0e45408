//! Every query of the payment service. Each effect is one call to a SQL function of the
//! migrations (V50-V52), executable by `service_role` only, so the same effect backs the
//! Supabase Edge Function and nothing here can half-apply it.

use serde_json::Value;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use ombaro_common::ApiError;

pub type Transaction<'a> = ombaro_common::db::PooledTransaction<'a>;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn one_json(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<Value, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&statement, params).await?.get(0))
}

async fn one_text(tx: &Transaction<'_>, sql: &str, params: Params<'_>) -> Result<String, ApiError> {
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.query_one(&statement, params).await?.get(0))
}

/// `private.open_checkout`: the pending payment of the customer's booking at `gateway`.
pub async fn open_checkout(
    tx: &Transaction<'_>,
    booking: Uuid,
    customer: Uuid,
    gateway: &str,
) -> Result<Value, ApiError> {
    one_json(
        tx,
        "select private.open_checkout($1, $2, $3)",
        &[&booking, &customer, &gateway],
    )
    .await
}

/// `private.attach_gateway_order`.
pub async fn attach_gateway_order(tx: &Transaction<'_>, payment: Uuid, order_id: &str) -> Result<(), ApiError> {
    let statement = tx.prepare_cached("select private.attach_gateway_order($1, $2)").await?;
    tx.execute(&statement, &[&payment, &order_id]).await?;
    Ok(())
}

/// A gateway event, parsed, with the fields its effect needs.
#[derive(Debug, Clone)]
pub struct Inbound<'a> {
    pub provider: &'a str,
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub payload: &'a Value,
}

/// Money arrived: `private.apply_payment_capture`. Returns the event's outcome.
#[allow(clippy::too_many_arguments)]
pub async fn apply_capture(
    tx: &Transaction<'_>,
    event: &Inbound<'_>,
    booking: Option<Uuid>,
    payment_ref: &str,
    order_ref: Option<&str>,
    amount: i64,
    currency: &str,
    method: Option<&str>,
    captured_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<String, ApiError> {
    one_text(
        tx,
        "select private.apply_payment_capture($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &event.provider,
            &event.event_id,
            &event.event_type,
            event.payload,
            &booking,
            &payment_ref,
            &order_ref,
            &amount,
            &currency,
            &method,
            &captured_at,
        ],
    )
    .await
}

/// The payment failed: `private.apply_payment_failure`.
#[allow(clippy::too_many_arguments)]
pub async fn apply_failure(
    tx: &Transaction<'_>,
    event: &Inbound<'_>,
    booking: Option<Uuid>,
    payment_ref: &str,
    order_ref: Option<&str>,
    amount: Option<i64>,
    currency: Option<&str>,
    reason: Option<&str>,
) -> Result<String, ApiError> {
    one_text(
        tx,
        "select private.apply_payment_failure($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &event.provider,
            &event.event_id,
            &event.event_type,
            event.payload,
            &booking,
            &payment_ref,
            &order_ref,
            &amount,
            &currency,
            &reason,
        ],
    )
    .await
}

/// A refund event: `private.apply_refund_event`.
pub async fn apply_refund(
    tx: &Transaction<'_>,
    event: &Inbound<'_>,
    refund_ref: &str,
    payment_ref: &str,
    amount: i64,
    succeeded: bool,
) -> Result<String, ApiError> {
    one_text(
        tx,
        "select private.apply_refund_event($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &event.provider,
            &event.event_id,
            &event.event_type,
            event.payload,
            &refund_ref,
            &payment_ref,
            &amount,
            &succeeded,
        ],
    )
    .await
}

/// An event recorded with no effect beyond the inbox (`ignored`), or one that needs a person
/// (`flagged`, finance told). Returns `duplicate` when it was already in.
pub async fn record_only(
    tx: &Transaction<'_>,
    event: &Inbound<'_>,
    status: &str,
    detail: Option<&str>,
) -> Result<String, ApiError> {
    one_text(
        tx,
        "select private.record_event_only($1, $2, $3, $4, $5, $6)",
        &[
            &event.provider,
            &event.event_id,
            &event.event_type,
            event.payload,
            &status,
            &detail,
        ],
    )
    .await
}

/// `private.create_refund`.
#[allow(clippy::too_many_arguments)]
pub async fn create_refund(
    tx: &Transaction<'_>,
    payment: Uuid,
    amount: i64,
    reason: &str,
    reason_code: &str,
    method: &str,
    requested_by: Option<Uuid>,
    idempotency_key: &str,
) -> Result<Value, ApiError> {
    one_json(
        tx,
        "select private.create_refund($1, $2, $3, $4, $5, $6, $7)",
        &[
            &payment,
            &amount,
            &reason,
            &reason_code,
            &method,
            &requested_by,
            &idempotency_key,
        ],
    )
    .await
}

/// `private.refund_for_cancellation`.
pub async fn refund_for_cancellation(
    tx: &Transaction<'_>,
    cancellation: Uuid,
    to_wallet: bool,
) -> Result<Value, ApiError> {
    one_json(
        tx,
        "select private.refund_for_cancellation($1, $2)",
        &[&cancellation, &to_wallet],
    )
    .await
}

/// `private.attach_gateway_refund`.
pub async fn attach_gateway_refund(
    tx: &Transaction<'_>,
    refund: Uuid,
    gateway_refund_id: Option<&str>,
    succeeded: bool,
) -> Result<(), ApiError> {
    let statement = tx
        .prepare_cached("select private.attach_gateway_refund($1, $2, $3)")
        .await?;
    tx.execute(&statement, &[&refund, &gateway_refund_id, &succeeded])
        .await?;
    Ok(())
}

/// The webhook secrets of `provider` installed in `payment_gateways` (current first, then
/// the previous one while it is within its 24 h of grace), decrypted inside this transaction.
pub async fn webhook_secrets(tx: &Transaction<'_>, provider: &str) -> Result<Vec<String>, ApiError> {
    let statement = tx
        .prepare_cached("select secret from private.gateway_webhook_secrets($1)")
        .await?;
    Ok(tx
        .query(&statement, &[&provider])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// The booking's customer and whether the caller may see it, for the order endpoints.
pub async fn payment_of_booking_for_verify(
    tx: &Transaction<'_>,
    order_id: &str,
    customer: Uuid,
) -> Result<Option<(Uuid, Uuid, i64, String)>, ApiError> {
    let statement = tx
        .prepare_cached(
            "select p.id, p.booking_id, p.total_amount, p.currency
               from public.payments p
              where p.gateway_order_id = $1 and p.customer_id = $2
              order by p.created_at desc
              limit 1",
        )
        .await?;
    Ok(tx
        .query_opt(&statement, &[&order_id, &customer])
        .await?
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3))))
}

/// Whether the signed-in user may refund payments (finance: `payments.update`).
pub async fn can_refund(tx: &Transaction<'_>) -> Result<bool, ApiError> {
    let statement = tx
        .prepare_cached("select private.has_permission('payments', 'update')")
        .await?;
    Ok(tx.query_one(&statement, &[]).await?.get(0))
}

/// What can still be refunded of a payment: captured minus refunds not failed or rejected.
pub async fn refundable(tx: &Transaction<'_>, payment: Uuid) -> Result<i64, ApiError> {
    let statement = tx
        .prepare_cached(
            "select p.total_amount - coalesce((select sum(r.amount) from public.refunds r
                      where r.payment_id = p.id and r.status not in ('failed', 'rejected')), 0)::bigint
               from public.payments p where p.id = $1",
        )
        .await?;
    Ok(tx
        .query_opt(&statement, &[&payment])
        .await?
        .map(|row| row.get(0))
        .unwrap_or(0))
}

/// The gateway order a payment was given.
pub async fn gateway_order_of(tx: &Transaction<'_>, payment: Uuid) -> Result<String, ApiError> {
    let statement = tx
        .prepare_cached("select coalesce(gateway_order_id, '') from public.payments where id = $1")
        .await?;
    Ok(tx.query_one(&statement, &[&payment]).await?.get(0))
}

/// The customer of a cancellation the caller can see (RLS decides), if any.
pub async fn customer_of_cancellation(tx: &Transaction<'_>, cancellation: Uuid) -> Result<Option<Uuid>, ApiError> {
    let statement = tx
        .prepare_cached(
            "select b.customer_id
               from public.booking_cancellations c join public.bookings b on b.id = c.booking_id
              where c.id = $1",
        )
        .await?;
    Ok(tx.query_opt(&statement, &[&cancellation]).await?.map(|row| row.get(0)))
}

/// The booking and amount of a gateway order whose payment the caller can see (RLS: its
/// customer, or staff who read payments).
pub async fn visible_order(tx: &Transaction<'_>, order_id: &str) -> Result<Option<(Uuid, i64)>, ApiError> {
    let statement = tx
        .prepare_cached("select p.booking_id, p.total_amount from public.payments p where p.gateway_order_id = $1")
        .await?;
    Ok(tx
        .query_opt(&statement, &[&order_id])
        .await?
        .map(|row| (row.get(0), row.get(1))))
}

/// `private.settlement_inputs`: one core input per vendor with something to settle.
pub async fn settlement_inputs(
    tx: &Transaction<'_>,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
) -> Result<Value, ApiError> {
    one_json(tx, "select private.settlement_inputs($1, $2)", &[&start, &end]).await
}

/// `private.record_settlement`: writes one vendor's settlement as the core computed it.
pub async fn record_settlement(
    tx: &Transaction<'_>,
    settlement: &Value,
    approved_by: Option<Uuid>,
) -> Result<Value, ApiError> {
    one_json(
        tx,
        "select private.record_settlement($1, $2)",
        &[settlement, &approved_by],
    )
    .await
}

/// Whether the signed-in user may run settlements (finance: `settlements.create`).
pub async fn can_settle(tx: &Transaction<'_>) -> Result<bool, ApiError> {
    let statement = tx
        .prepare_cached("select private.has_permission('settlements', 'create')")
        .await?;
    Ok(tx.query_one(&statement, &[]).await?.get(0))
}

/// An active gateway's `(key_id, secret)` from `payment_gateways`, decrypted in this
/// transaction, if one is installed.
pub async fn gateway_credentials(tx: &Transaction<'_>, provider: &str) -> Result<Option<(String, String)>, ApiError> {
    let statement = tx
        .prepare_cached("select key_id, secret from private.gateway_credentials($1)")
        .await?;
    Ok(tx
        .query_opt(&statement, &[&provider])
        .await?
        .map(|row| (row.get(0), row.get(1))))
}
