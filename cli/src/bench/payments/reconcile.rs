//! The reconciliation: what the gateway sent, written down in the scratch database beside
//! what the service made of it (`bench.payments`, `bench.refunds`, `bench.events`), then
//! compared in SQL, as finance would reconcile a settlement report against the books. Every
//! figure counts bookings, refunds or events that are not exactly as sent: none may be lost,
//! doubled or wrong.

use anyhow::Context;
use ombaro_common::db;

use super::plan::{Payment, Refund};

/// Writes what phase `phase` sent into the ledger (created on first use).
pub async fn record(
    url: &str,
    phase: &str,
    payments: &[Payment],
    refunds: &[Refund],
    event_ids: &[String],
) -> anyhow::Result<()> {
    let client = db::connect(url).await?;
    client
        .batch_execute(
            "create schema if not exists bench;
             create table if not exists bench.payments (
               phase text not null, booking_id uuid primary key, payment_ref text not null unique, amount bigint not null);
             create table if not exists bench.refunds (
               phase text not null, refund_ref text primary key, payment_ref text not null, amount bigint not null);
             create table if not exists bench.events (phase text not null, event_id text primary key);",
        )
        .await
        .context("creating the bench's ledger")?;
    let bookings: Vec<uuid::Uuid> = payments.iter().map(|p| p.booking).collect();
    let payment_refs: Vec<&str> = payments.iter().map(|p| p.id.as_str()).collect();
    let amounts: Vec<i64> = payments.iter().map(|p| p.amount).collect();
    client
        .execute(
            "insert into bench.payments select $1, * from unnest($2::uuid[], $3::text[], $4::int8[])",
            &[&phase, &bookings, &payment_refs, &amounts],
        )
        .await?;
    let refund_refs: Vec<&str> = refunds.iter().map(|r| r.id.as_str()).collect();
    let refunded: Vec<&str> = refunds.iter().map(|r| r.payment_id.as_str()).collect();
    let amounts: Vec<i64> = refunds.iter().map(|r| r.amount).collect();
    client
        .execute(
            "insert into bench.refunds select $1, * from unnest($2::text[], $3::text[], $4::int8[])",
            &[&phase, &refund_refs, &refunded, &amounts],
        )
        .await?;
    client
        .execute(
            "insert into bench.events select $1, e from unnest($2::text[]) e on conflict (event_id) do nothing",
            &[&phase, &event_ids],
        )
        .await
        .context("writing the bench's ledger")?;
    Ok(())
}

/// One phase's books against what it sent. Counts of bookings, refunds or events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub phase: String,
    /// Bookings the phase paid.
    pub bookings: i64,
    /// ... with exactly one captured payment, of the gateway's id and amount, its refunds
    /// summed into it and its status following them.
    pub paid_once: i64,
    /// With no captured payment.
    pub unpaid: i64,
    /// With more than one captured payment.
    pub paid_twice: i64,
    /// With one captured payment whose gateway id, amount, refunded sum or status is not
    /// what was sent.
    pub payment_wrong: i64,
    /// Bookings not confirmed and paid (or partially refunded) as their refunds say.
    pub booking_wrong: i64,
    /// Bookings with no, or more than one, status history row to `confirmed`.
    pub unconfirmed: i64,
    pub confirmed_twice: i64,
    /// Bookings with no, or more than one, issued tax invoice.
    pub uninvoiced: i64,
    pub invoiced_twice: i64,
    /// Refunds the gateway made.
    pub refunds: i64,
    /// ... recorded exactly once, processed, for their amount, against their payment.
    pub refunds_once: i64,
    pub refunds_lost: i64,
    pub refund_wrong: i64,
    /// Refund rows of the phase's bookings that the gateway never made.
    pub refunds_extra: i64,
    /// Paise refunded by the gateway, and in the books (processed refunds of the bookings).
    pub refunded_sent: i64,
    pub refunded_booked: i64,
    /// Distinct events sent, and how many of them the inbox holds.
    pub events_sent: i64,
    pub events_recorded: i64,
    /// Inbox rows about the phase's bookings or payments that no one sent.
    pub inbox_unsent: i64,
    /// The phase's inbox rows still waiting (a refund parked for a payment that came).
    pub pending: i64,
    /// The phase's inbox rows by status.
    pub inbox: Vec<(String, i64)>,
}

impl Reconciliation {
    /// Payments, refunds and events the gateway sent that the books do not have.
    pub fn lost(&self) -> i64 {
        self.unpaid + self.refunds_lost + (self.events_sent - self.events_recorded)
    }

    /// Payments, refunds, confirmations, invoices and inbox rows there more than once, or
    /// there although the gateway never sent them.
    pub fn doubled(&self) -> i64 {
        self.paid_twice + self.refunds_extra + self.inbox_unsent + self.confirmed_twice + self.invoiced_twice
    }

    /// Inbox rows whose status is not a settled one (flagged, unmatched, failed …).
    pub fn inbox_unsettled(&self) -> i64 {
        self.inbox
            .iter()
            .filter(|(status, _)| status != "processed" && status != "pending")
            .map(|(_, n)| n)
            .sum()
    }

    /// What is not as sent, in words; empty when the books match.
    pub fn problems(&self) -> Vec<String> {
        let p = &self.phase;
        [
            (self.unpaid, "bookings without their payment"),
            (self.paid_twice, "bookings paid more than once"),
            (
                self.payment_wrong,
                "payments not as sent (id, amount, refunded sum or status)",
            ),
            (
                self.booking_wrong,
                "bookings not confirmed and paid as their payment says",
            ),
            (
                self.unconfirmed,
                "bookings without a confirmation in their status history",
            ),
            (self.confirmed_twice, "bookings confirmed more than once"),
            (self.uninvoiced, "bookings without their invoice"),
            (self.invoiced_twice, "bookings invoiced more than once"),
            (self.refunds_lost, "refunds lost"),
            (self.refund_wrong, "refunds not as sent (status, amount or payment)"),
            (self.refunds_extra, "refunds no one made"),
            (self.events_sent - self.events_recorded, "events missing from the inbox"),
            (self.inbox_unsent, "inbox rows no one sent"),
            (self.pending, "inbox rows still pending"),
            (self.inbox_unsettled(), "inbox rows flagged, unmatched or failed"),
            (
                (self.refunded_sent - self.refunded_booked).abs(),
                "paise of refunds differ between gateway and books",
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, what)| format!("{p}: {n} {what}"))
        .collect()
    }
}

/// Compares the books of the scratch database `url` with what phase `phase` sent.
pub async fn reconcile(url: &str, phase: &str) -> anyhow::Result<Reconciliation> {
    let client = db::connect(url).await?;
    let row = client
        .query_one(
            "with l as (select booking_id, payment_ref, amount from bench.payments where phase = $1),
                  lr as (select payment_ref, count(*) as n, sum(amount)::bigint as total
                           from bench.refunds where phase = $1 group by payment_ref),
                  pay as (
                    select l.booking_id,
                           count(p.id) as captured,
                           count(p.id) filter (
                             where p.gateway_transaction_id = l.payment_ref and p.total_amount = l.amount
                               and p.refund_amount = coalesce(lr.total, 0)
                               and p.status = case when lr.n is null then 'success' else 'partially_refunded' end) as exact
                      from l
                      left join lr on lr.payment_ref = l.payment_ref
                      left join public.payments p
                        on p.booking_id = l.booking_id and p.status in ('success', 'partially_refunded', 'refunded')
                     group by l.booking_id),
                  booked as (
                    select l.booking_id,
                           b.status = 'confirmed'
                             and b.payment_status = case when lr.n is null then 'paid' else 'partially_refunded' end as ok
                      from l join public.bookings b on b.id = l.booking_id
                      left join lr on lr.payment_ref = l.payment_ref),
                  confirmed as (
                    select l.booking_id, count(h.id) as n
                      from l left join public.booking_status_history h
                        on h.booking_id = l.booking_id and h.to_status = 'confirmed'
                     group by l.booking_id),
                  invoiced as (
                    select l.booking_id, count(i.id) as n
                      from l left join public.invoices i
                        on i.booking_id = l.booking_id and i.invoice_type = 'tax_invoice' and i.status = 'issued'
                     group by l.booking_id),
                  refunded as (
                    select e.refund_ref, count(x.id) as n,
                           count(x.id) filter (
                             where x.status = 'processed' and x.amount = e.amount
                               and p.gateway_transaction_id = e.payment_ref) as exact
                      from bench.refunds e
                      left join public.refunds x on x.gateway_refund_id = e.refund_ref
                      left join public.payments p on p.id = x.payment_id
                     where e.phase = $1
                     group by e.refund_ref),
                  booked_refunds as (
                    select x.id, x.gateway_refund_id, x.amount, x.status
                      from public.refunds x join public.payments p on p.id = x.payment_id
                      join l on l.booking_id = p.booking_id),
                  sent as (select event_id from bench.events where phase = $1),
                  inbox as (
                    select w.event_id, w.status, exists (select 1 from sent where sent.event_id = w.event_id) as was_sent
                      from private.webhook_events w
                     where w.provider = 'razorpay'
                       and (w.event_id in (select event_id from sent)
                            or w.booking_id in (select booking_id from l)
                            or w.payment_reference in (select payment_ref from l)))
             select (select count(*) from l),
                    (select count(*) from pay where captured = 1 and exact = 1),
                    (select count(*) from pay where captured = 0),
                    (select count(*) from pay where captured > 1),
                    (select count(*) from pay where captured = 1 and exact = 0),
                    (select count(*) from booked where not ok),
                    (select count(*) from confirmed where n = 0),
                    (select count(*) from confirmed where n > 1),
                    (select count(*) from invoiced where n = 0),
                    (select count(*) from invoiced where n > 1),
                    (select count(*) from refunded),
                    (select count(*) from refunded where n = 1 and exact = 1),
                    (select count(*) from refunded where n = 0),
                    (select count(*) from refunded where n = 1 and exact = 0),
                    (select count(*) from booked_refunds r
                      where not exists (select 1 from bench.refunds e where e.refund_ref = r.gateway_refund_id)),
                    (select coalesce(sum(amount), 0)::bigint from bench.refunds where phase = $1),
                    (select coalesce(sum(amount), 0)::bigint from booked_refunds where status = 'processed'),
                    (select count(*) from sent),
                    (select count(*) from inbox where was_sent),
                    (select count(*) from inbox where not was_sent),
                    (select count(*) from inbox where status = 'pending'),
                    (select coalesce(jsonb_object_agg(status, n), '{}')
                       from (select status, count(*) as n from inbox group by status) s)",
            &[&phase],
        )
        .await
        .with_context(|| format!("reconciling phase {phase}"))?;
    let inbox: serde_json::Value = row.get(21);
    Ok(Reconciliation {
        phase: phase.to_owned(),
        bookings: row.get(0),
        paid_once: row.get(1),
        unpaid: row.get(2),
        paid_twice: row.get(3),
        payment_wrong: row.get(4),
        booking_wrong: row.get(5),
        unconfirmed: row.get(6),
        confirmed_twice: row.get(7),
        uninvoiced: row.get(8),
        invoiced_twice: row.get(9),
        refunds: row.get(10),
        refunds_once: row.get(11),
        refunds_lost: row.get(12),
        refund_wrong: row.get(13),
        refunds_extra: row.get(14),
        refunded_sent: row.get(15),
        refunded_booked: row.get(16),
        events_sent: row.get(17),
        events_recorded: row.get(18),
        inbox_unsent: row.get(19),
        pending: row.get(20),
        inbox: inbox
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0))).collect())
            .unwrap_or_default(),
    })
}
