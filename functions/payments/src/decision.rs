//! What a verified gateway event does, given the state it lands on.
//!
//! [`decide`] is a pure function of a [`GatewayEvent`] and the rows it concerns, passed in as
//! plain data ([`State`]); it returns a [`Decision`] that the SQL function applying events
//! (`private.apply_payment_event`) carries out in one transaction, together with the inbox row
//! ([`Decision::inbox_status`]) and the notifications ([`Decision::notifications`]). The same
//! decision is taken again for an event parked as `pending` once its payment arrives.
//!
//! How the caller finds the state: the booking is the event's `booking_id`, else the booking
//! of the matched payment; the payment is the `payments` row with the event's gateway payment
//! id (`gateway_transaction_id`), else the checkout row of its order (`gateway_order_id`);
//! refunds are that payment's `refunds` rows. A refund event names its payment by
//! `payment_id` (Stripe: the PaymentIntent, or the charge for a bare charge).
//!
//! The rules, in the order they are checked:
//!
//! - an event the inbox already holds is a replay: [`Decision::Duplicate`], nothing at all;
//! - a type we do not act on: [`Decision::Ignore`] (recorded `ignored`);
//! - **captured** (Razorpay `payment.captured` / `order.paid`, Stripe
//!   `payment_intent.succeeded`): no booking → `unmatched`; this very payment already captured
//!   → nothing (`order.paid` after `payment.captured` of one `pay_…`); booking cancelled, or
//!   already paid by another payment, or currency or amount not the booking's total →
//!   [`Decision::FlagCapture`]: the payment is recorded as received but the booking is NOT
//!   marked paid, the event is flagged and finance told; otherwise
//!   [`Decision::CapturePayment`]: payment `success`, booking `paid`, and `pending` →
//!   `confirmed` when it is still pending;
//! - **authorized**: recorded as `processing` unless the payment is already further;
//! - **failed**: the attempt is recorded; the booking stays as it is (a pending one lapses
//!   with its hold) and the customer is told, unless the booking is paid or no longer pending;
//! - **refund**: before its payment is known or captured → [`Decision::ParkRefund`]
//!   (`pending`, never lost); an automatic refund of a never-captured payment → nothing;
//!   a state already recorded, or older than the recorded one → nothing; a processed refund
//!   that later fails, or the reverse → flagged; a refund that would take the payment's
//!   refunds past what was captured → [`Decision::Flag`], nothing applied; otherwise
//!   [`Decision::ApplyRefund`] with the payment and booking payment status that follow;
//! - **charge refunded** (Stripe's running total): informational, the `refund.*` events carry
//!   each refund; flagged only when Stripe's total is below what we recorded as processed;
//! - **dispute opened**: flagged for finance, nothing else changes.

use ombaro_booking::money::Paise;
use serde::{Deserialize, Serialize};

use crate::events::{Currency, EventKind, GatewayEvent, PaymentInfo, RefundInfo, RefundStatus};

/// `bookings.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Assigned,
    InProgress,
    Completed,
    Cancelled,
    Rescheduled,
}

/// `bookings.payment_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingPaymentStatus {
    Pending,
    Partial,
    Paid,
    Refunded,
}

/// `payments.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Processing,
    Success,
    Failed,
    Refunded,
    PartiallyRefunded,
}

impl PaymentStatus {
    /// Money was captured (possibly refunded since).
    pub fn is_captured(self) -> bool {
        matches!(
            self,
            PaymentStatus::Success | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
    }
}

/// `refunds.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundRowStatus {
    Requested,
    Approved,
    Processing,
    Processed,
    Failed,
    Rejected,
}

impl RefundRowStatus {
    /// Counts against what can still be refunded (`refunds_guard`).
    pub fn is_active(self) -> bool {
        !matches!(self, RefundRowStatus::Failed | RefundRowStatus::Rejected)
    }

    /// Cannot change any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RefundRowStatus::Processed | RefundRowStatus::Failed | RefundRowStatus::Rejected
        )
    }
}

/// The booking an event concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingState {
    pub status: BookingStatus,
    pub payment_status: BookingPaymentStatus,
    /// `bookings.total_amount`: what the customer must pay.
    pub total_amount: Paise,
    /// Bookings are priced in INR.
    #[serde(default = "inr")]
    pub currency: Currency,
}

fn inr() -> Currency {
    Currency::INR
}

/// The `payments` row an event concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentState {
    pub status: PaymentStatus,
    /// `gateway_transaction_id`; `None` for the checkout row before any attempt.
    pub gateway_payment_id: Option<String>,
    /// `total_amount`: what was charged (the refund ceiling).
    pub total_amount: Paise,
}

/// A `refunds` row of that payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundState {
    pub gateway_refund_id: Option<String>,
    pub amount: Paise,
    pub status: RefundRowStatus,
}

/// The rows an event lands on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The inbox already holds `(provider, event_id)`.
    #[serde(default)]
    pub already_received: bool,
    #[serde(default)]
    pub booking: Option<BookingState>,
    #[serde(default)]
    pub payment: Option<PaymentState>,
    #[serde(default)]
    pub refunds: Vec<RefundState>,
}

/// `private.webhook_events.status` of the event's inbox row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    Processed,
    Pending,
    Unmatched,
    Flagged,
    Ignored,
}

/// Why an event is flagged for finance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FlagReason {
    /// Captured amount differs from the booking's total.
    AmountMismatch { expected: Paise, received: Paise },
    /// Captured in another currency than the booking's.
    CurrencyMismatch { expected: Currency, received: Currency },
    /// Money captured for a booking that was cancelled (its hold lapsed, or it was called off).
    BookingCancelled,
    /// Money captured for a booking another payment already paid.
    BookingAlreadyPaid { payment_status: BookingPaymentStatus },
    /// The refund would take the payment's refunds past what was captured.
    RefundExceedsCaptured {
        captured: Paise,
        already_refunded: Paise,
        requested: Paise,
    },
    /// The gateway reports a final refund changing its outcome (processed then failed, or
    /// failed then processed); the refunds row is final and is not changed.
    RefundOutcomeChanged {
        recorded: RefundRowStatus,
        reported: RefundStatus,
    },
    /// Stripe reports less refunded on the charge than we recorded as processed.
    RefundTotalBelowRecorded { gateway_total: Paise, recorded: Paise },
    /// A chargeback was opened.
    DisputeOpened { amount: Paise },
}

impl FlagReason {
    pub fn code(&self) -> &'static str {
        match self {
            FlagReason::AmountMismatch { .. } => "amount_mismatch",
            FlagReason::CurrencyMismatch { .. } => "currency_mismatch",
            FlagReason::BookingCancelled => "booking_cancelled",
            FlagReason::BookingAlreadyPaid { .. } => "booking_already_paid",
            FlagReason::RefundExceedsCaptured { .. } => "refund_exceeds_captured",
            FlagReason::RefundOutcomeChanged { .. } => "refund_outcome_changed",
            FlagReason::RefundTotalBelowRecorded { .. } => "refund_total_below_recorded",
            FlagReason::DisputeOpened { .. } => "dispute_opened",
        }
    }
}

/// Why an event changes nothing though it is recorded as processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoEffect {
    /// The effect is already in place (e.g. `order.paid` after `payment.captured`).
    AlreadyApplied,
    /// The event reports an earlier state than the one recorded (unordered delivery).
    Stale,
    /// Razorpay's automatic refund of a payment that was never captured: no money of ours
    /// moved.
    UncapturedAutoRefund,
    /// Stripe's running refund total, already or about to be accounted by `refund.*` events.
    RefundTotalNoted,
}

/// What to do. Serialised with a `decision` tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// A replay of an event already recorded: no inbox row, no effect.
    Duplicate,
    /// A type we do not act on: inbox row `ignored`.
    Ignore,
    /// Nothing of ours matches: inbox row `unmatched`, nothing else.
    Unmatched,
    /// Recorded as `processed`, nothing else changes.
    NothingToDo { why: NoEffect },
    /// Authorised, not captured: the payment row becomes `processing` with the gateway ids;
    /// the booking is unchanged.
    MarkAuthorized,
    /// The payment row becomes `success` (gateway ids, method, `payment_date`), the booking
    /// `payment_status = paid`; when `confirm_booking`, the booking goes `pending → confirmed`
    /// with its hold cleared. Then the invoice, commission record, loyalty points and the
    /// notifications.
    CapturePayment { confirm_booking: bool },
    /// The payment is recorded as received (`success`) but the booking is NOT marked paid or
    /// confirmed; the event is flagged and finance notified.
    FlagCapture { reason: FlagReason },
    /// The failed attempt is recorded on the payment row (status `failed` unless the row
    /// already holds a captured payment, with the failure reason); the booking is unchanged.
    RecordFailure { notify_customer: bool },
    /// A refund event whose payment is not known or not captured yet: kept as `pending` and
    /// decided again when the payment is captured.
    ParkRefund,
    /// Insert or update the `refunds` row with this gateway refund id to `status` (and
    /// `amount`); then the payment and booking payment statuses, where `Some`, become these
    /// (the database's `refunds_sync_payment` arrives at the same payment status).
    ApplyRefund {
        status: RefundRowStatus,
        amount: Paise,
        payment_status: Option<PaymentStatus>,
        booking_payment_status: Option<BookingPaymentStatus>,
    },
    /// Nothing is applied; the event is flagged and finance notified.
    Flag { reason: FlagReason },
}

/// Who is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Customer,
    Vendor,
    Finance,
}

/// A `notification_queue` message to send: recipient and template code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Notice {
    pub to: Recipient,
    pub template: &'static str,
}

const fn notice(to: Recipient, template: &'static str) -> Notice {
    Notice { to, template }
}

impl Decision {
    /// The inbox row's status; `None` for a duplicate, which writes no row.
    pub fn inbox_status(&self) -> Option<InboxStatus> {
        Some(match self {
            Decision::Duplicate => return None,
            Decision::Ignore => InboxStatus::Ignored,
            Decision::Unmatched => InboxStatus::Unmatched,
            Decision::ParkRefund => InboxStatus::Pending,
            Decision::FlagCapture { .. } | Decision::Flag { .. } => InboxStatus::Flagged,
            Decision::NothingToDo { .. }
            | Decision::MarkAuthorized
            | Decision::CapturePayment { .. }
            | Decision::RecordFailure { .. }
            | Decision::ApplyRefund { .. } => InboxStatus::Processed,
        })
    }

    /// The messages this decision sends.
    pub fn notifications(&self) -> Vec<Notice> {
        use Recipient::*;
        match self {
            Decision::CapturePayment { confirm_booking: true } => vec![
                notice(Customer, "payment_received"),
                notice(Customer, "booking_confirmed"),
                notice(Vendor, "booking_confirmed"),
            ],
            Decision::CapturePayment { confirm_booking: false } => vec![notice(Customer, "payment_received")],
            Decision::FlagCapture { .. } => vec![notice(Finance, "payment_flagged")],
            Decision::RecordFailure { notify_customer: true } => vec![notice(Customer, "payment_failed")],
            Decision::ApplyRefund {
                status: RefundRowStatus::Processed,
                ..
            } => vec![notice(Customer, "refund_processed")],
            Decision::ApplyRefund {
                status: RefundRowStatus::Failed,
                ..
            } => vec![notice(Finance, "refund_failed")],
            Decision::Flag {
                reason: FlagReason::DisputeOpened { .. },
            } => vec![notice(Finance, "dispute_opened")],
            Decision::Flag { .. } => vec![notice(Finance, "refund_flagged")],
            _ => vec![],
        }
    }
}

/// Decides what `event` does to `state`. Total: every event and state has an answer.
pub fn decide(event: &GatewayEvent, state: &State) -> Decision {
    if state.already_received {
        return Decision::Duplicate;
    }
    match &event.kind {
        EventKind::Ignored => Decision::Ignore,
        EventKind::PaymentCaptured { payment } => captured(payment, state),
        EventKind::PaymentAuthorized { payment } => authorized(payment, state),
        EventKind::PaymentFailed { payment } => failed(payment, state),
        EventKind::Refund { refund } => refund_event(refund, state),
        EventKind::ChargeRefunded { charge } => match &state.payment {
            None => Decision::ParkRefund,
            Some(payment) if !payment.status.is_captured() => Decision::ParkRefund,
            Some(_) => {
                let recorded = processed_total(&state.refunds, None);
                if charge.amount_refunded < recorded {
                    Decision::Flag {
                        reason: FlagReason::RefundTotalBelowRecorded {
                            gateway_total: charge.amount_refunded,
                            recorded,
                        },
                    }
                } else {
                    Decision::NothingToDo {
                        why: NoEffect::RefundTotalNoted,
                    }
                }
            }
        },
        EventKind::DisputeCreated { dispute } => match &state.payment {
            None => Decision::Unmatched,
            Some(_) => Decision::Flag {
                reason: FlagReason::DisputeOpened { amount: dispute.amount },
            },
        },
    }
}

/// The matched payment row is this very gateway payment.
fn same_payment<'a>(state: &'a State, payment: &PaymentInfo) -> Option<&'a PaymentState> {
    state
        .payment
        .as_ref()
        .filter(|p| p.gateway_payment_id.as_deref() == Some(payment.payment_id.as_str()))
}

fn captured(payment: &PaymentInfo, state: &State) -> Decision {
    let Some(booking) = &state.booking else {
        return Decision::Unmatched;
    };
    if same_payment(state, payment).is_some_and(|p| p.status.is_captured()) {
        return Decision::NothingToDo {
            why: NoEffect::AlreadyApplied,
        };
    }
    let flag = |reason| Decision::FlagCapture { reason };
    if booking.status == BookingStatus::Cancelled {
        return flag(FlagReason::BookingCancelled);
    }
    if booking.payment_status != BookingPaymentStatus::Pending {
        return flag(FlagReason::BookingAlreadyPaid {
            payment_status: booking.payment_status,
        });
    }
    if payment.currency != booking.currency {
        return flag(FlagReason::CurrencyMismatch {
            expected: booking.currency,
            received: payment.currency,
        });
    }
    if payment.amount != booking.total_amount {
        return flag(FlagReason::AmountMismatch {
            expected: booking.total_amount,
            received: payment.amount,
        });
    }
    Decision::CapturePayment {
        confirm_booking: booking.status == BookingStatus::Pending,
    }
}

fn authorized(payment: &PaymentInfo, state: &State) -> Decision {
    if state.booking.is_none() {
        return Decision::Unmatched;
    }
    match same_payment(state, payment) {
        Some(p) if p.status.is_captured() || p.status == PaymentStatus::Processing => {
            Decision::NothingToDo { why: NoEffect::Stale }
        }
        _ => Decision::MarkAuthorized,
    }
}

fn failed(payment: &PaymentInfo, state: &State) -> Decision {
    let Some(booking) = &state.booking else {
        return Decision::Unmatched;
    };
    match same_payment(state, payment) {
        Some(p) if p.status.is_captured() => Decision::NothingToDo { why: NoEffect::Stale },
        Some(p) if p.status == PaymentStatus::Failed => Decision::NothingToDo {
            why: NoEffect::AlreadyApplied,
        },
        _ => Decision::RecordFailure {
            notify_customer: booking.status == BookingStatus::Pending
                && booking.payment_status == BookingPaymentStatus::Pending,
        },
    }
}

/// Sum of processed refunds, leaving out the refund `except` (by gateway id).
fn processed_total(refunds: &[RefundState], except: Option<&str>) -> Paise {
    sum(refunds.iter().filter(|r| {
        r.status == RefundRowStatus::Processed && (except.is_none() || r.gateway_refund_id.as_deref() != except)
    }))
}

fn sum<'a>(refunds: impl Iterator<Item = &'a RefundState>) -> Paise {
    // Refund rows never exceed a payment, so this cannot overflow in practice; saturate
    // rather than panic if handed nonsense.
    Paise::new(refunds.fold(0i64, |acc, r| acc.saturating_add(r.amount.get())))
}

fn refund_event(refund: &RefundInfo, state: &State) -> Decision {
    let Some(payment) = &state.payment else {
        return Decision::ParkRefund;
    };
    if refund.payment_captured == Some(false) {
        return Decision::NothingToDo {
            why: NoEffect::UncapturedAutoRefund,
        };
    }
    if !payment.status.is_captured() {
        return Decision::ParkRefund;
    }
    let existing = state
        .refunds
        .iter()
        .find(|r| r.gateway_refund_id.as_deref() == Some(refund.refund_id.as_str()));
    let target = match refund.status {
        RefundStatus::Pending => RefundRowStatus::Processing,
        RefundStatus::Processed => RefundRowStatus::Processed,
        RefundStatus::Failed => RefundRowStatus::Failed,
    };
    let nothing = |why| Decision::NothingToDo { why };
    if let Some(existing) = existing {
        match (existing.status, refund.status) {
            (recorded, _) if recorded == target => return nothing(NoEffect::AlreadyApplied),
            // A final refund stays as it is: an older state arriving late is stale, a
            // different outcome is for finance to look at.
            (recorded, RefundStatus::Pending) if recorded.is_final() => return nothing(NoEffect::Stale),
            (recorded, reported) if recorded.is_final() => {
                return Decision::Flag {
                    reason: FlagReason::RefundOutcomeChanged { recorded, reported },
                }
            }
            _ => {}
        }
    }
    if target == RefundRowStatus::Failed {
        return Decision::ApplyRefund {
            status: target,
            amount: refund.amount,
            payment_status: None,
            booking_payment_status: None,
        };
    }
    // Processing or processed: it must fit in what is left of the payment.
    let others = sum(state
        .refunds
        .iter()
        .filter(|r| r.status.is_active() && r.gateway_refund_id.as_deref() != Some(refund.refund_id.as_str())));
    if others.get().saturating_add(refund.amount.get()) > payment.total_amount.get() {
        return Decision::Flag {
            reason: FlagReason::RefundExceedsCaptured {
                captured: payment.total_amount,
                already_refunded: others,
                requested: refund.amount,
            },
        };
    }
    let (payment_status, booking_payment_status) = if target == RefundRowStatus::Processed {
        let refunded = processed_total(&state.refunds, Some(&refund.refund_id))
            .get()
            .saturating_add(refund.amount.get());
        if refunded >= payment.total_amount.get() {
            (Some(PaymentStatus::Refunded), Some(BookingPaymentStatus::Refunded))
        } else {
            // A booking has no "partially refunded": it stays paid.
            (Some(PaymentStatus::PartiallyRefunded), None)
        }
    } else {
        (None, None)
    };
    Decision::ApplyRefund {
        status: target,
        amount: refund.amount,
        payment_status,
        booking_payment_status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ChargeRefundInfo, DisputeInfo, PaymentMethod, Provider};

    const TOTAL: i64 = 293_535;

    fn event(kind: EventKind) -> GatewayEvent {
        GatewayEvent {
            provider: Provider::Razorpay,
            event_id: "evt_1".into(),
            event_type: "test".into(),
            created_at: None,
            kind,
        }
    }

    fn pay(amount: i64) -> PaymentInfo {
        PaymentInfo {
            booking_id: Some("5f0c4b7e-8a8e-4c53-9b1e-3d2f6a7b8c9d".into()),
            payment_id: "pay_1".into(),
            order_id: Some("order_1".into()),
            charge_id: None,
            amount: Paise::new(amount),
            currency: Currency::INR,
            method: Some(PaymentMethod::Upi),
            method_detail: Some("upi".into()),
            failure: None,
        }
    }

    fn captured_event(amount: i64) -> GatewayEvent {
        event(EventKind::PaymentCaptured { payment: pay(amount) })
    }

    fn refund_event(id: &str, amount: i64, status: RefundStatus) -> GatewayEvent {
        event(EventKind::Refund {
            refund: RefundInfo {
                refund_id: id.into(),
                payment_id: Some("pay_1".into()),
                charge_id: None,
                booking_id: None,
                amount: Paise::new(amount),
                currency: Currency::INR,
                status,
                payment_captured: Some(true),
            },
        })
    }

    fn booking(status: BookingStatus, payment_status: BookingPaymentStatus) -> Option<BookingState> {
        Some(BookingState {
            status,
            payment_status,
            total_amount: Paise::new(TOTAL),
            currency: Currency::INR,
        })
    }

    fn pending_booking() -> State {
        State {
            booking: booking(BookingStatus::Pending, BookingPaymentStatus::Pending),
            payment: Some(PaymentState {
                status: PaymentStatus::Pending,
                gateway_payment_id: None,
                total_amount: Paise::new(TOTAL),
            }),
            ..State::default()
        }
    }

    fn paid(status: PaymentStatus, refunds: Vec<RefundState>) -> State {
        State {
            booking: booking(BookingStatus::Confirmed, BookingPaymentStatus::Paid),
            payment: Some(PaymentState {
                status,
                gateway_payment_id: Some("pay_1".into()),
                total_amount: Paise::new(TOTAL),
            }),
            refunds,
            ..State::default()
        }
    }

    fn refund_row(id: &str, amount: i64, status: RefundRowStatus) -> RefundState {
        RefundState {
            gateway_refund_id: Some(id.into()),
            amount: Paise::new(amount),
            status,
        }
    }

    // Duplicates and ignored types --------------------------------------------------------

    #[test]
    fn a_replay_does_nothing_whatever_it_is() {
        let replay = State {
            already_received: true,
            ..pending_booking()
        };
        for e in [
            captured_event(TOTAL),
            captured_event(1),
            refund_event("rfnd_1", 1, RefundStatus::Processed),
            event(EventKind::Ignored),
        ] {
            let d = decide(&e, &replay);
            assert_eq!(d, Decision::Duplicate);
            assert_eq!(d.inbox_status(), None);
            assert!(d.notifications().is_empty());
        }
    }

    #[test]
    fn unknown_types_are_recorded_as_ignored() {
        let d = decide(&event(EventKind::Ignored), &pending_booking());
        assert_eq!(d, Decision::Ignore);
        assert_eq!(d.inbox_status(), Some(InboxStatus::Ignored));
    }

    // Captured ------------------------------------------------------------------------------

    #[test]
    fn matching_capture_confirms_a_pending_booking() {
        let d = decide(&captured_event(TOTAL), &pending_booking());
        assert_eq!(d, Decision::CapturePayment { confirm_booking: true });
        assert_eq!(d.inbox_status(), Some(InboxStatus::Processed));
        let to: Vec<_> = d.notifications().iter().map(|n| (n.to, n.template)).collect();
        assert_eq!(
            to,
            [
                (Recipient::Customer, "payment_received"),
                (Recipient::Customer, "booking_confirmed"),
                (Recipient::Vendor, "booking_confirmed")
            ]
        );
    }

    #[test]
    fn capture_of_a_booking_already_confirmed_pays_without_confirming_again() {
        let mut state = pending_booking();
        state.booking = booking(BookingStatus::Assigned, BookingPaymentStatus::Pending);
        let d = decide(&captured_event(TOTAL), &state);
        assert_eq!(d, Decision::CapturePayment { confirm_booking: false });
        assert_eq!(d.notifications().len(), 1);
    }

    #[test]
    fn capture_with_no_booking_is_unmatched() {
        let d = decide(&captured_event(TOTAL), &State::default());
        assert_eq!(d, Decision::Unmatched);
        assert_eq!(d.inbox_status(), Some(InboxStatus::Unmatched));
        assert!(d.notifications().is_empty());
    }

    #[test]
    fn amount_mismatch_is_recorded_but_not_paid() {
        for amount in [TOTAL - 1, TOTAL + 1, 0] {
            let d = decide(&captured_event(amount), &pending_booking());
            assert_eq!(
                d,
                Decision::FlagCapture {
                    reason: FlagReason::AmountMismatch {
                        expected: Paise::new(TOTAL),
                        received: Paise::new(amount)
                    }
                }
            );
            assert_eq!(d.inbox_status(), Some(InboxStatus::Flagged));
            assert_eq!(d.notifications(), vec![notice(Recipient::Finance, "payment_flagged")]);
        }
    }

    #[test]
    fn currency_mismatch_is_recorded_but_not_paid() {
        let mut e = captured_event(TOTAL);
        if let EventKind::PaymentCaptured { payment } = &mut e.kind {
            payment.currency = Currency::parse("usd").unwrap();
        }
        let d = decide(&e, &pending_booking());
        let Decision::FlagCapture { reason } = &d else {
            panic!("{d:?}")
        };
        assert_eq!(reason.code(), "currency_mismatch");
    }

    #[test]
    fn capture_for_a_cancelled_or_paid_booking_is_flagged() {
        let mut state = pending_booking();
        state.booking = booking(BookingStatus::Cancelled, BookingPaymentStatus::Pending);
        assert_eq!(
            decide(&captured_event(TOTAL), &state),
            Decision::FlagCapture {
                reason: FlagReason::BookingCancelled
            }
        );
        // A second payment (another pay_ id) for a booking already paid.
        let mut state = paid(PaymentStatus::Success, vec![]);
        state.payment.as_mut().unwrap().gateway_payment_id = Some("pay_other".into());
        assert_eq!(
            decide(&captured_event(TOTAL), &state),
            Decision::FlagCapture {
                reason: FlagReason::BookingAlreadyPaid {
                    payment_status: BookingPaymentStatus::Paid
                }
            }
        );
    }

    #[test]
    fn order_paid_after_payment_captured_is_one_payment() {
        // The same pay_ id already captured: nothing more, whether it is order.paid, a
        // redelivery under a new event id, or a capture after a refund.
        for status in [
            PaymentStatus::Success,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
        ] {
            let d = decide(&captured_event(TOTAL), &paid(status, vec![]));
            assert_eq!(
                d,
                Decision::NothingToDo {
                    why: NoEffect::AlreadyApplied
                }
            );
            assert_eq!(d.inbox_status(), Some(InboxStatus::Processed));
            assert!(d.notifications().is_empty());
        }
    }

    #[test]
    fn capture_after_a_failed_or_authorised_attempt_of_the_same_payment() {
        // Razorpay's late authorisation: payment.failed, then payment.captured of the same pay_.
        for status in [PaymentStatus::Failed, PaymentStatus::Processing] {
            let mut state = pending_booking();
            state.payment = Some(PaymentState {
                status,
                gateway_payment_id: Some("pay_1".into()),
                total_amount: Paise::new(TOTAL),
            });
            assert_eq!(
                decide(&captured_event(TOTAL), &state),
                Decision::CapturePayment { confirm_booking: true }
            );
        }
    }

    // Authorized and failed ------------------------------------------------------------------

    #[test]
    fn authorised_marks_processing_unless_further_already() {
        let e = event(EventKind::PaymentAuthorized { payment: pay(TOTAL) });
        assert_eq!(decide(&e, &pending_booking()), Decision::MarkAuthorized);
        assert_eq!(
            decide(&e, &paid(PaymentStatus::Success, vec![])),
            Decision::NothingToDo { why: NoEffect::Stale }
        );
        assert_eq!(decide(&e, &State::default()), Decision::Unmatched);
    }

    #[test]
    fn failure_tells_the_customer_and_leaves_the_booking_pending() {
        let e = event(EventKind::PaymentFailed { payment: pay(TOTAL) });
        let d = decide(&e, &pending_booking());
        assert_eq!(d, Decision::RecordFailure { notify_customer: true });
        assert_eq!(d.notifications(), vec![notice(Recipient::Customer, "payment_failed")]);
        assert_eq!(d.inbox_status(), Some(InboxStatus::Processed));
        // A failed attempt on a booking another attempt already paid: recorded, nobody told.
        let mut state = paid(PaymentStatus::Success, vec![]);
        state.payment.as_mut().unwrap().gateway_payment_id = Some("pay_winner".into());
        assert_eq!(decide(&e, &state), Decision::RecordFailure { notify_customer: false });
        // A late failure report of the payment that was captured: stale.
        assert_eq!(
            decide(&e, &paid(PaymentStatus::Success, vec![])),
            Decision::NothingToDo { why: NoEffect::Stale }
        );
        assert_eq!(decide(&e, &State::default()), Decision::Unmatched);
    }

    // Refunds -------------------------------------------------------------------------------

    #[test]
    fn refund_before_its_payment_is_parked() {
        let e = refund_event("rfnd_1", 1000, RefundStatus::Processed);
        let d = decide(&e, &State::default());
        assert_eq!(d, Decision::ParkRefund);
        assert_eq!(d.inbox_status(), Some(InboxStatus::Pending));
        // Known but not captured yet (the checkout row): parked too.
        assert_eq!(decide(&e, &pending_booking()), Decision::ParkRefund);
        // Once the capture is applied the same event is decided again and applies.
        assert!(matches!(
            decide(&e, &paid(PaymentStatus::Success, vec![])),
            Decision::ApplyRefund { .. }
        ));
    }

    #[test]
    fn partial_then_full_refund() {
        let partial = decide(
            &refund_event("rfnd_1", 100_000, RefundStatus::Processed),
            &paid(PaymentStatus::Success, vec![]),
        );
        assert_eq!(
            partial,
            Decision::ApplyRefund {
                status: RefundRowStatus::Processed,
                amount: Paise::new(100_000),
                payment_status: Some(PaymentStatus::PartiallyRefunded),
                booking_payment_status: None,
            }
        );
        assert_eq!(
            partial.notifications(),
            vec![notice(Recipient::Customer, "refund_processed")]
        );
        let rest = decide(
            &refund_event("rfnd_2", TOTAL - 100_000, RefundStatus::Processed),
            &paid(
                PaymentStatus::PartiallyRefunded,
                vec![refund_row("rfnd_1", 100_000, RefundRowStatus::Processed)],
            ),
        );
        assert_eq!(
            rest,
            Decision::ApplyRefund {
                status: RefundRowStatus::Processed,
                amount: Paise::new(TOTAL - 100_000),
                payment_status: Some(PaymentStatus::Refunded),
                booking_payment_status: Some(BookingPaymentStatus::Refunded),
            }
        );
    }

    #[test]
    fn refund_over_what_was_captured_is_refused() {
        let state = paid(
            PaymentStatus::PartiallyRefunded,
            vec![refund_row("rfnd_1", 200_000, RefundRowStatus::Processed)],
        );
        let d = decide(&refund_event("rfnd_2", 100_000, RefundStatus::Processed), &state);
        assert_eq!(
            d,
            Decision::Flag {
                reason: FlagReason::RefundExceedsCaptured {
                    captured: Paise::new(TOTAL),
                    already_refunded: Paise::new(200_000),
                    requested: Paise::new(100_000),
                }
            }
        );
        assert_eq!(d.inbox_status(), Some(InboxStatus::Flagged));
        assert_eq!(d.notifications(), vec![notice(Recipient::Finance, "refund_flagged")]);
        // Pending refunds count too; failed ones do not.
        let state = paid(
            PaymentStatus::Success,
            vec![
                refund_row("rfnd_a", 200_000, RefundRowStatus::Approved),
                refund_row("rfnd_b", 200_000, RefundRowStatus::Failed),
            ],
        );
        assert!(matches!(
            decide(&refund_event("rfnd_2", 93_536, RefundStatus::Processed), &state),
            Decision::Flag { .. }
        ));
        assert!(matches!(
            decide(&refund_event("rfnd_2", 93_535, RefundStatus::Processed), &state),
            Decision::ApplyRefund { .. }
        ));
    }

    #[test]
    fn refund_replayed_under_a_new_event_id_is_already_applied() {
        // The full refund is found by its gateway id first (refunds_guard would refuse a
        // second insert as exceeding the payment).
        let state = paid(
            PaymentStatus::Refunded,
            vec![refund_row("rfnd_1", TOTAL, RefundRowStatus::Processed)],
        );
        assert_eq!(
            decide(&refund_event("rfnd_1", TOTAL, RefundStatus::Processed), &state),
            Decision::NothingToDo {
                why: NoEffect::AlreadyApplied
            }
        );
    }

    #[test]
    fn our_own_refund_request_completes() {
        // Finance's refund (or a cancellation's) awaits the gateway with its id set.
        let state = paid(
            PaymentStatus::Success,
            vec![refund_row("rfnd_1", TOTAL, RefundRowStatus::Processing)],
        );
        assert_eq!(
            decide(&refund_event("rfnd_1", TOTAL, RefundStatus::Processed), &state),
            Decision::ApplyRefund {
                status: RefundRowStatus::Processed,
                amount: Paise::new(TOTAL),
                payment_status: Some(PaymentStatus::Refunded),
                booking_payment_status: Some(BookingPaymentStatus::Refunded),
            }
        );
        let failed = decide(&refund_event("rfnd_1", TOTAL, RefundStatus::Failed), &state);
        assert_eq!(
            failed,
            Decision::ApplyRefund {
                status: RefundRowStatus::Failed,
                amount: Paise::new(TOTAL),
                payment_status: None,
                booking_payment_status: None,
            }
        );
        assert_eq!(
            failed.notifications(),
            vec![notice(Recipient::Finance, "refund_failed")]
        );
        // Stripe refund.created (pending) for a requested refund marks it processing.
        let requested = paid(
            PaymentStatus::Success,
            vec![refund_row("rfnd_1", TOTAL, RefundRowStatus::Requested)],
        );
        assert!(matches!(
            decide(&refund_event("rfnd_1", TOTAL, RefundStatus::Pending), &requested),
            Decision::ApplyRefund {
                status: RefundRowStatus::Processing,
                payment_status: None,
                ..
            }
        ));
    }

    #[test]
    fn unordered_refund_states() {
        let processed = paid(
            PaymentStatus::Refunded,
            vec![refund_row("re_1", TOTAL, RefundRowStatus::Processed)],
        );
        // Stripe refund.created (pending) delivered after refund.updated (succeeded).
        assert_eq!(
            decide(&refund_event("re_1", TOTAL, RefundStatus::Pending), &processed),
            Decision::NothingToDo { why: NoEffect::Stale }
        );
        // Processed, then the gateway says failed: the row is final, finance looks at it.
        assert_eq!(
            decide(&refund_event("re_1", TOTAL, RefundStatus::Failed), &processed),
            Decision::Flag {
                reason: FlagReason::RefundOutcomeChanged {
                    recorded: RefundRowStatus::Processed,
                    reported: RefundStatus::Failed
                }
            }
        );
        let processing = paid(
            PaymentStatus::Success,
            vec![refund_row("re_1", TOTAL, RefundRowStatus::Processing)],
        );
        assert_eq!(
            decide(&refund_event("re_1", TOTAL, RefundStatus::Pending), &processing),
            Decision::NothingToDo {
                why: NoEffect::AlreadyApplied
            }
        );
        let failed = paid(
            PaymentStatus::Success,
            vec![refund_row("re_1", TOTAL, RefundRowStatus::Failed)],
        );
        assert_eq!(
            decide(&refund_event("re_1", TOTAL, RefundStatus::Failed), &failed),
            Decision::NothingToDo {
                why: NoEffect::AlreadyApplied
            }
        );
        assert!(matches!(
            decide(&refund_event("re_1", TOTAL, RefundStatus::Processed), &failed),
            Decision::Flag {
                reason: FlagReason::RefundOutcomeChanged { .. }
            }
        ));
        // A failed refund we never requested is recorded for the audit trail.
        assert!(matches!(
            decide(
                &refund_event("re_2", 5, RefundStatus::Failed),
                &paid(PaymentStatus::Success, vec![])
            ),
            Decision::ApplyRefund {
                status: RefundRowStatus::Failed,
                ..
            }
        ));
        // A new pending refund (Stripe refund.created) is recorded as processing, within the cap.
        assert_eq!(
            decide(
                &refund_event("re_3", 5, RefundStatus::Pending),
                &paid(PaymentStatus::Success, vec![])
            ),
            Decision::ApplyRefund {
                status: RefundRowStatus::Processing,
                amount: Paise::new(5),
                payment_status: None,
                booking_payment_status: None
            }
        );
    }

    #[test]
    fn razorpay_auto_refund_of_an_uncaptured_payment_changes_nothing() {
        let mut e = refund_event("rfnd_1", TOTAL, RefundStatus::Processed);
        if let EventKind::Refund { refund } = &mut e.kind {
            refund.payment_captured = Some(false);
        }
        let mut state = pending_booking();
        state.payment.as_mut().unwrap().status = PaymentStatus::Processing;
        assert_eq!(
            decide(&e, &state),
            Decision::NothingToDo {
                why: NoEffect::UncapturedAutoRefund
            }
        );
    }

    // Stripe charge.refunded and disputes ---------------------------------------------------

    fn charge_refunded(total: i64) -> GatewayEvent {
        event(EventKind::ChargeRefunded {
            charge: ChargeRefundInfo {
                charge_id: "ch_1".into(),
                payment_id: Some("pi_1".into()),
                booking_id: None,
                amount_refunded: Paise::new(total),
                currency: Currency::INR,
                fully_refunded: total == TOTAL,
            },
        })
    }

    #[test]
    fn charge_refunded_is_informational() {
        let state = paid(
            PaymentStatus::PartiallyRefunded,
            vec![refund_row("re_1", 1000, RefundRowStatus::Processed)],
        );
        for total in [1000, 2000] {
            assert_eq!(
                decide(&charge_refunded(total), &state),
                Decision::NothingToDo {
                    why: NoEffect::RefundTotalNoted
                }
            );
        }
        assert_eq!(
            decide(&charge_refunded(999), &state),
            Decision::Flag {
                reason: FlagReason::RefundTotalBelowRecorded {
                    gateway_total: Paise::new(999),
                    recorded: Paise::new(1000)
                }
            }
        );
        assert_eq!(decide(&charge_refunded(1000), &State::default()), Decision::ParkRefund);
    }

    #[test]
    fn disputes_are_flagged_for_finance() {
        let e = event(EventKind::DisputeCreated {
            dispute: DisputeInfo {
                dispute_id: "dp_1".into(),
                charge_id: Some("ch_1".into()),
                payment_id: Some("pi_1".into()),
                amount: Paise::new(TOTAL),
                currency: Currency::INR,
                reason: Some("fraudulent".into()),
                status: Some("needs_response".into()),
            },
        });
        let d = decide(&e, &paid(PaymentStatus::Success, vec![]));
        assert_eq!(
            d,
            Decision::Flag {
                reason: FlagReason::DisputeOpened {
                    amount: Paise::new(TOTAL)
                }
            }
        );
        assert_eq!(d.notifications(), vec![notice(Recipient::Finance, "dispute_opened")]);
        assert_eq!(decide(&e, &State::default()), Decision::Unmatched);
    }

    #[test]
    fn decisions_serialise_with_their_tag() {
        let d = decide(&captured_event(1), &pending_booking());
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"decision": "flag_capture", "reason": {"code": "amount_mismatch", "expected": TOTAL, "received": 1}})
        );
        let state: State = serde_json::from_value(serde_json::json!({
            "booking": {"status": "pending", "payment_status": "pending", "total_amount": TOTAL}
        }))
        .unwrap();
        assert_eq!(state.booking.unwrap().currency, Currency::INR);
    }
}
