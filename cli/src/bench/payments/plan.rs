//! What the bench sends: Razorpay-format events for the fixture's bookings, signed as the
//! gateway signs them, and for the storm in what order. Everything is drawn from the seed
//! before anything is sent, so a run's traffic does not depend on timing.
//!
//! A booking's payment is announced twice, as Razorpay does: `payment.captured` and
//! `order.paid`, with the same `pay_…` id (one payment). Refunds are `refund.processed`
//! events, partial, each with its own `rfnd_…` id.

use std::collections::HashSet;

use anyhow::{bail, ensure};
use bytes::Bytes;
use ombaro_payments::{service::gateway::Sandbox, signature};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::fixture::Booking;

/// At most this many refunds of one payment: each is at most a ninth of the payment, so
/// together they never refund all of it and every payment ends partially refunded.
pub const MAX_REFUNDS_PER_PAYMENT: usize = 8;
/// Share of the duplicates sent at the same moment as another copy of their event (a
/// concurrent redelivery); the others come back later, anywhere in the order.
pub const CONCURRENT_SHARE: f64 = 1.0 / 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Captured,
    OrderPaid,
    Refund,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Captured, Kind::OrderPaid, Kind::Refund];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Captured => "payment.captured",
            Kind::OrderPaid => "order.paid",
            Kind::Refund => "refund.processed",
        }
    }
}

/// One event, ready to send: its copies are these exact bytes under this exact id.
#[derive(Debug, Clone)]
pub struct Event {
    /// `X-Razorpay-Event-Id`.
    pub id: String,
    pub kind: Kind,
    /// Index of the payment it is about, within its phase.
    pub payment: usize,
    pub body: Bytes,
    /// `X-Razorpay-Signature`.
    pub signature: String,
}

/// A refund the gateway made, which the database must hold exactly once.
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
}

/// A booking's payment at the gateway, which the database must hold exactly once.
#[derive(Debug, Clone)]
pub struct Payment {
    /// Its index within its phase.
    pub index: usize,
    pub booking: uuid::Uuid,
    pub id: String,
    pub amount: i64,
}

/// Signs and numbers events of one phase (`phase` keeps the phases' ids apart).
pub struct Signer {
    secret: String,
    phase: &'static str,
    seed: u64,
}

impl Signer {
    pub fn new(secret: String, phase: &'static str, seed: u64) -> Self {
        Self { secret, phase, seed }
    }

    /// A Razorpay-shaped id (`<prefix>_` and 14 characters) for thing `n` of this phase.
    fn id(&self, prefix: &str, n: impl std::fmt::Display) -> String {
        Sandbox::id(prefix, &format!("bench/{}/{}/{prefix}/{n}", self.seed, self.phase))
    }

    fn event(&self, kind: Kind, payment: &Payment, id: String, body: &Value) -> Event {
        let body = Bytes::from(serde_json::to_vec(body).expect("a JSON value serialises"));
        let signature = signature::sign_razorpay_webhook(&body, &self.secret);
        Event {
            id,
            kind,
            payment: payment.index,
            body,
            signature,
        }
    }

    /// The payment of the `n`th booking of this phase.
    pub fn payment(&self, n: usize, booking: &Booking) -> Payment {
        Payment {
            index: n,
            booking: booking.id,
            id: self.id("pay", n),
            amount: booking.total,
        }
    }

    /// `payment.captured` and `order.paid` of one payment, as Razorpay sends them.
    pub fn payment_events(&self, booking: &Booking, payment: &Payment) -> [Event; 2] {
        let now = chrono::Utc::now().timestamp();
        let entity = json!({
            "id": payment.id, "entity": "payment", "amount": payment.amount, "currency": "INR",
            "status": "captured", "order_id": booking.order_id, "method": "upi", "captured": true,
            "notes": { "booking_id": booking.id }, "created_at": now,
        });
        let captured = json!({
            "entity": "event", "account_id": "acc_bench", "event": Kind::Captured.as_str(),
            "contains": ["payment"], "payload": { "payment": { "entity": entity } }, "created_at": now,
        });
        let order_paid = json!({
            "entity": "event", "account_id": "acc_bench", "event": Kind::OrderPaid.as_str(),
            "contains": ["payment", "order"],
            "payload": {
                "payment": { "entity": entity },
                "order": { "entity": { "id": booking.order_id, "entity": "order", "amount": payment.amount,
                                       "amount_paid": payment.amount, "amount_due": 0, "currency": "INR",
                                       "status": "paid", "notes": { "booking_id": booking.id } } },
            },
            "created_at": now,
        });
        [
            self.event(
                Kind::Captured,
                payment,
                self.id("evt", format!("{}/captured", payment.id)),
                &captured,
            ),
            self.event(
                Kind::OrderPaid,
                payment,
                self.id("evt", format!("{}/order", payment.id)),
                &order_paid,
            ),
        ]
    }

    /// The `n`th refund of this phase: `amount` paise of `payment`.
    pub fn refund(&self, n: usize, payment: &Payment, amount: i64) -> (Refund, Event) {
        let refund = Refund {
            id: self.id("rfnd", n),
            payment_id: payment.id.clone(),
            amount,
        };
        let now = chrono::Utc::now().timestamp();
        let body = json!({
            "entity": "event", "account_id": "acc_bench", "event": Kind::Refund.as_str(),
            "contains": ["refund"],
            "payload": { "refund": { "entity": {
                "id": refund.id, "entity": "refund", "amount": amount, "currency": "INR",
                "payment_id": payment.id, "status": "processed", "speed_processed": "normal",
                "created_at": now } } },
            "created_at": now,
        });
        let event = self.event(
            Kind::Refund,
            payment,
            self.id("evt", format!("{}/processed", refund.id)),
            &body,
        );
        (refund, event)
    }
}

/// A refund of at most a ninth of `total`, in whole rupees, at least one.
fn refund_amount(rng: &mut impl Rng, total: i64) -> i64 {
    let most = (total / (MAX_REFUNDS_PER_PAYMENT as i64 + 1) / 100).max(1);
    rng.random_range(1..=most) * 100
}

/// One send of the storm: `copies` requests for one event, at the same moment.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub event: usize,
    pub copies: usize,
}

/// The storm: every booking's payment (two events each), refunds making up the rest of the
/// distinct events, exact duplicates of random events, all shuffled.
pub struct Storm {
    pub events: Vec<Event>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub deliveries: Vec<Delivery>,
    /// Requests in all: distinct events plus duplicates.
    pub requests: usize,
    pub duplicates: usize,
    /// Duplicates sent at the same moment as another copy of their event.
    pub concurrent: usize,
}

impl Storm {
    /// `requests` requests for `bookings`, `duplicate_share` of them exact duplicates.
    pub fn new(
        signer: &Signer,
        bookings: &[Booking],
        requests: usize,
        duplicate_share: f64,
        seed: u64,
    ) -> anyhow::Result<Self> {
        ensure!(
            (0.0..1.0).contains(&duplicate_share),
            "the duplicate share must be at least 0 and below 1"
        );
        let duplicates = (requests as f64 * duplicate_share).round() as usize;
        let distinct = requests - duplicates;
        let payment_events = 2 * bookings.len();
        if distinct < payment_events {
            bail!(
                "{requests} events with {:.0} % duplicates leave {distinct} distinct events, fewer than the {payment_events} \
                 that pay {} bookings (two each)",
                duplicate_share * 100.0,
                bookings.len()
            );
        }
        let refund_count = distinct - payment_events;
        if refund_count > bookings.len() * MAX_REFUNDS_PER_PAYMENT {
            bail!(
                "{refund_count} refunds for {} bookings: at most {MAX_REFUNDS_PER_PAYMENT} each",
                bookings.len()
            );
        }

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let payments: Vec<Payment> = bookings.iter().enumerate().map(|(n, b)| signer.payment(n, b)).collect();
        let mut events = Vec::with_capacity(distinct);
        for (booking, payment) in bookings.iter().zip(&payments) {
            events.extend(signer.payment_events(booking, payment));
        }
        let mut per_payment = vec![0; bookings.len()];
        let mut refunds = Vec::with_capacity(refund_count);
        while refunds.len() < refund_count {
            let b = rng.random_range(0..bookings.len());
            if per_payment[b] == MAX_REFUNDS_PER_PAYMENT {
                continue;
            }
            per_payment[b] += 1;
            let amount = refund_amount(&mut rng, bookings[b].total);
            let (refund, event) = signer.refund(refunds.len(), &payments[b], amount);
            refunds.push(refund);
            events.push(event);
        }

        let mut deliveries: Vec<Delivery> = (0..events.len()).map(|event| Delivery { event, copies: 1 }).collect();
        let mut concurrent = 0;
        for _ in 0..duplicates {
            let event = rng.random_range(0..events.len());
            if rng.random_bool(CONCURRENT_SHARE) {
                deliveries[event].copies += 1;
                concurrent += 1;
            } else {
                deliveries.push(Delivery { event, copies: 1 });
            }
        }
        deliveries.shuffle(&mut rng);

        let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
        ensure!(ids.len() == events.len(), "two of the storm's events drew the same id");
        Ok(Self {
            events,
            payments,
            refunds,
            deliveries,
            requests,
            duplicates,
            concurrent,
        })
    }

    /// Refund events delivered (first copy) before either event of their payment: those the
    /// service must park and apply when the payment arrives.
    pub fn refunds_before_payment(&self) -> usize {
        let mut seen = HashSet::new();
        let mut paid = vec![false; self.payments.len()];
        let mut early = 0;
        for d in &self.deliveries {
            let event = &self.events[d.event];
            if !seen.insert(d.event) {
                continue;
            }
            match event.kind {
                Kind::Captured | Kind::OrderPaid => paid[event.payment] = true,
                Kind::Refund => early += usize::from(!paid[event.payment]),
            }
        }
        early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bookings(n: usize) -> Vec<Booking> {
        (0..n)
            .map(|i| Booking {
                id: uuid::Uuid::from_u128(i as u128 + 1),
                total: 235_882 + (i as i64 % 5) * 5_900,
                order_id: format!("order_{i:014}"),
            })
            .collect()
    }

    #[test]
    fn the_storm_has_the_asked_for_shape_and_is_the_same_every_run() {
        let signer = Signer::new("secret".into(), "storm", 7);
        let b = bookings(50);
        let one = Storm::new(&signer, &b, 300, 0.3, 7).unwrap();
        let two = Storm::new(&signer, &b, 300, 0.3, 7).unwrap();
        assert_eq!((one.requests, one.duplicates, one.events.len()), (300, 90, 210));
        assert_eq!(one.refunds.len(), 110);
        let sent: usize = one.deliveries.iter().map(|d| d.copies).sum();
        assert_eq!(sent, 300);
        assert!(one.concurrent > 0 && one.concurrent < 90, "{}", one.concurrent);
        assert!(one.deliveries.iter().any(|d| d.copies > 1));
        assert_eq!(
            one.deliveries.iter().map(|d| (d.event, d.copies)).collect::<Vec<_>>(),
            two.deliveries.iter().map(|d| (d.event, d.copies)).collect::<Vec<_>>()
        );
        let early = one.refunds_before_payment();
        assert!(early > 0 && early < 110, "{early}");
        // Every payment keeps something: partially refunded, never refunded in full.
        for (booking, payment) in b.iter().zip(&one.payments) {
            let refunded: i64 = one
                .refunds
                .iter()
                .filter(|r| r.payment_id == payment.id)
                .map(|r| r.amount)
                .sum();
            assert!(refunded < booking.total);
        }
        let other = Storm::new(&signer, &b, 300, 0.3, 8).unwrap();
        assert_ne!(
            one.deliveries.iter().map(|d| d.event).collect::<Vec<_>>(),
            other.deliveries.iter().map(|d| d.event).collect::<Vec<_>>()
        );
    }

    #[test]
    fn too_few_events_to_pay_every_booking_are_refused() {
        let signer = Signer::new("secret".into(), "storm", 7);
        assert!(Storm::new(&signer, &bookings(50), 120, 0.3, 7).is_err());
        assert!(
            Storm::new(&signer, &bookings(5), 200, 0.0, 7).is_err(),
            "more than 8 refunds each"
        );
        assert!(Storm::new(&signer, &bookings(5), 20, 1.0, 7).is_err());
    }

    #[test]
    fn events_are_signed_as_razorpay_signs_them() {
        let signer = Signer::new("whsec".into(), "a", 1);
        let b = &bookings(1)[0];
        let payment = signer.payment(0, b);
        let [captured, paid] = signer.payment_events(b, &payment);
        for e in [&captured, &paid] {
            let secrets = signature::Secrets::new(["whsec"]).unwrap();
            signature::verify_razorpay_webhook(&e.body, Some(&e.signature), &secrets).unwrap();
            let parsed = ombaro_payments::events::parse_razorpay(&e.body, Some(&e.id)).unwrap();
            assert_eq!(parsed.event_type, e.kind.as_str());
        }
        assert_ne!(captured.id, paid.id);
        assert!(payment.id.starts_with("pay_") && payment.id.len() == 18);
        let (refund, event) = signer.refund(0, &payment, 500);
        assert!(refund.id.starts_with("rfnd_"));
        assert!(ombaro_payments::events::parse_razorpay(&event.body, Some(&event.id)).is_ok());
    }
}
