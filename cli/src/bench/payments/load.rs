//! The traffic: signed `POST /functions/v1/payment-service/webhooks/razorpay` over HTTP, as
//! Razorpay sends them, each reply tallied by event type, status and outcome (`processed`,
//! `duplicate`, `parked` …, or the error code).

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use futures_util::future::join_all;

use super::fixture::Booking;
use super::plan::{Event, Kind, Payment, Refund, Signer, Storm};
use crate::bench::{
    http::{Reply, Tally},
    Summary,
};

/// What a webhook answers when it took the event, whatever it did with it.
const OK: u16 = 200;

/// The bench's HTTP client and the webhook's address.
pub struct Target {
    http: reqwest::Client,
    url: String,
}

impl Target {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        Ok(Self {
            // Razorpay gives up after 5 s and redelivers; the bench waits longer, so that a
            // slow answer is measured (and reported against the 5 s) rather than cut off.
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            url: format!("{base}/functions/v1/payment-service/webhooks/razorpay"),
        })
    }

    async fn send(&self, event: &Event) -> Reply {
        let started = Instant::now();
        let sent = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-razorpay-signature", &event.signature)
            .header("x-razorpay-event-id", &event.id)
            .body(event.body.clone())
            .send()
            .await;
        Reply::read(sent, started).await
    }
}

/// Replies by event type, and every request's latency.
#[derive(Debug, Default, Clone)]
pub struct Answers {
    pub kinds: BTreeMap<Kind, Tally>,
    latencies: Vec<Duration>,
}

impl Answers {
    fn add(&mut self, event: &Event, reply: &Reply) {
        // A taken event says what became of it; a refused one says why.
        let label = if reply.status == OK {
            reply.field("status")
        } else {
            reply.code()
        };
        self.kinds
            .entry(event.kind)
            .or_default()
            .add(reply, label, &[OK], || format!("{} {}", event.kind.as_str(), event.id));
        self.latencies.push(reply.latency);
    }

    fn merge(&mut self, other: Answers) {
        for (kind, tally) in other.kinds {
            self.kinds.entry(kind).or_default().merge(tally);
        }
        self.latencies.extend(other.latencies);
    }

    pub fn kind(&self, kind: Kind) -> Tally {
        self.kinds.get(&kind).cloned().unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        self.kinds.values().map(Tally::total).sum()
    }

    /// 200 replies with outcome `label`, over every event type.
    pub fn with_outcome(&self, label: &str) -> usize {
        self.kinds
            .values()
            .map(|t| t.counts.get(&(OK, label.to_owned())).copied().unwrap_or(0))
            .sum()
    }

    /// Replies other than 200 (refusals, 5xx, no answer).
    pub fn not_ok(&self) -> usize {
        self.total() - self.kinds.values().map(|t| t.with_status(OK)).sum::<usize>()
    }

    pub fn server_errors(&self) -> usize {
        self.kinds.values().map(Tally::server_errors).sum()
    }

    pub fn latency(&self) -> Option<Summary> {
        (!self.latencies.is_empty()).then(|| Summary::of(self.latencies.clone()))
    }

    pub fn unexpected(&self) -> impl Iterator<Item = &String> {
        self.kinds.values().flat_map(|t| &t.unexpected)
    }
}

/// Phase (a): what was sent for a fixed time, and what the database must now hold.
#[derive(Debug, Clone)]
pub struct Steady {
    pub senders: usize,
    /// From the first request to the last reply.
    pub elapsed: Duration,
    pub answers: Answers,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub event_ids: Vec<String>,
    /// Whether the senders paid every booking the fixture had before time was up.
    pub exhausted: bool,
}

impl Steady {
    pub fn per_second(&self) -> f64 {
        self.answers.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Phase (a): `senders` senders for `seconds`, each taking the next unpaid booking and
/// sending what the gateway sends for it in order: `payment.captured`, `order.paid` (the
/// same payment again), then a partial `refund.processed` (a tenth). Every event is new; the
/// second announcement of each payment is the service's everyday duplicate.
pub async fn steady(target: &Target, signer: &Signer, bookings: &[Booking], senders: usize, seconds: u64) -> Steady {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let next = AtomicUsize::new(0);
    let workers = (0..senders).map(|_| {
        let next = &next;
        async move {
            let mut answers = Answers::default();
            let (mut payments, mut refunds, mut event_ids) = (Vec::new(), Vec::new(), Vec::new());
            let mut exhausted = false;
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(booking) = bookings.get(n) else {
                    exhausted = true;
                    break;
                };
                let payment = signer.payment(n, booking);
                let (refund, refund_event) = signer.refund(n, &payment, (booking.total / 10 / 100).max(1) * 100);
                let [captured, order_paid] = signer.payment_events(booking, &payment);
                for event in [captured, order_paid, refund_event] {
                    let reply = target.send(&event).await;
                    answers.add(&event, &reply);
                    event_ids.push(event.id);
                }
                payments.push(payment);
                refunds.push(refund);
            }
            (answers, payments, refunds, event_ids, exhausted)
        }
    });
    let results = join_all(workers).await;
    let elapsed = started.elapsed();
    let mut steady = Steady {
        senders,
        elapsed,
        answers: Answers::default(),
        payments: Vec::new(),
        refunds: Vec::new(),
        event_ids: Vec::new(),
        exhausted: false,
    };
    for (answers, payments, refunds, event_ids, exhausted) in results {
        steady.answers.merge(answers);
        steady.payments.extend(payments);
        steady.refunds.extend(refunds);
        steady.event_ids.extend(event_ids);
        steady.exhausted |= exhausted;
    }
    steady
}

/// Phase (b): how the storm went over HTTP.
#[derive(Debug, Clone)]
pub struct StormRun {
    pub senders: usize,
    pub elapsed: Duration,
    pub answers: Answers,
}

impl StormRun {
    pub fn per_second(&self) -> f64 {
        self.answers.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Phase (b): `senders` senders work through the storm's deliveries in their shuffled order;
/// a delivery of several copies sends them all at once.
pub async fn storm(target: &Target, storm: &Storm, senders: usize) -> StormRun {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let workers = (0..senders).map(|_| {
        let next = &next;
        async move {
            let mut answers = Answers::default();
            while let Some(delivery) = storm.deliveries.get(next.fetch_add(1, Ordering::Relaxed)) {
                let event = &storm.events[delivery.event];
                let replies = join_all((0..delivery.copies).map(|_| target.send(event))).await;
                for reply in &replies {
                    answers.add(event, reply);
                }
            }
            answers
        }
    });
    let mut answers = Answers::default();
    for a in join_all(workers).await {
        answers.merge(a);
    }
    StormRun {
        senders,
        elapsed: started.elapsed(),
        answers,
    }
}
