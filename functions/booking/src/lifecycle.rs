//! Booking and assignment lifecycles, and what cancelling or rescheduling costs.
//!
//! The database trigger on `bookings` is the last word on which status moves exist; this
//! module holds the same table with who may make each move (`private.booking_status_moves()`,
//! compared both ways by an integration test), so the service can refuse a customer
//! confirming their own booking before touching the database. The rules for moves that come
//! with another change live here too, as pure functions the service only calls: what
//! assigning a therapist does to a booking ([`on_assign`]), the moves that record a
//! reschedule ([`reschedule_moves`]), and how a booking follows its assignments
//! ([`booking_follows`]).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::{Bps, Overflow, Paise};

/// Who asks for a change, as `actor_role` records it. `Admin` is OMBARO operations staff;
/// `System` is the platform itself: payment webhooks, hold expiry, auto-assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Customer,
    Vendor,
    Therapist,
    Admin,
    System,
}

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

/// `therapist_assignments.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Assigned,
    Acknowledged,
    InTransit,
    Reached,
    InProgress,
    Completed,
    Cancelled,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Pending,
        BookingStatus::Confirmed,
        BookingStatus::Assigned,
        BookingStatus::InProgress,
        BookingStatus::Completed,
        BookingStatus::Cancelled,
        BookingStatus::Rescheduled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Assigned => "assigned",
            BookingStatus::InProgress => "in_progress",
            BookingStatus::Completed => "completed",
            BookingStatus::Cancelled => "cancelled",
            BookingStatus::Rescheduled => "rescheduled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, BookingStatus::Completed | BookingStatus::Cancelled)
    }
}

impl AssignmentStatus {
    pub const ALL: [AssignmentStatus; 7] = [
        AssignmentStatus::Assigned,
        AssignmentStatus::Acknowledged,
        AssignmentStatus::InTransit,
        AssignmentStatus::Reached,
        AssignmentStatus::InProgress,
        AssignmentStatus::Completed,
        AssignmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Assigned => "assigned",
            AssignmentStatus::Acknowledged => "acknowledged",
            AssignmentStatus::InTransit => "in_transit",
            AssignmentStatus::Reached => "reached",
            AssignmentStatus::InProgress => "in_progress",
            AssignmentStatus::Completed => "completed",
            AssignmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, AssignmentStatus::Completed | AssignmentStatus::Cancelled)
    }

    /// Position on the way from assigned to completed; cancelled is off the path.
    fn step(self) -> Option<u8> {
        AssignmentStatus::ALL[..6]
            .iter()
            .position(|&s| s == self)
            .map(|p| p as u8)
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AssignmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Actor::Customer => "customer",
            Actor::Vendor => "vendor",
            Actor::Therapist => "therapist",
            Actor::Admin => "admin",
            Actor::System => "system",
        })
    }
}

/// A refused status change. `code()` is stable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("status cannot change from {from} to {to}")]
    Illegal { from: String, to: String },
    #[error("a {actor} may not change status from {from} to {to}")]
    NotAllowed { actor: Actor, from: String, to: String },
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::Illegal { .. } => "illegal_transition",
            TransitionError::NotAllowed { .. } => "actor_not_allowed",
        }
    }
}

/// Who may move a booking from `from` to `to`; `None` when the move does not exist at all.
/// The same table as `private.booking_status_moves()` (V34), which the database's lifecycle
/// trigger reads; an integration test compares the two pair by pair. Through the API only the
/// vendor and operations move bookings (V27); customers cancel and reschedule through the
/// booking service, which prices it; a therapist moves only their assignment, and the
/// service (`System`) follows with the booking.
pub fn booking_actors(from: BookingStatus, to: BookingStatus) -> Option<&'static [Actor]> {
    use Actor::*;
    use BookingStatus::*;
    let actors: &'static [Actor] = match (from, to) {
        // Payment captured (system) or accepted by the vendor.
        (Pending, Confirmed) => &[Vendor, Admin, System],
        // Customer backs out, vendor declines, unpaid hold expires.
        (Pending, Cancelled) => &[Customer, Vendor, Admin, System],
        (Confirmed, Assigned) => &[Vendor, Admin, System],
        // Started without a formal assignment (walk-in at the spa), or following the assignment.
        (Confirmed | Assigned, InProgress) => &[Vendor, Admin, System],
        (Confirmed | Assigned, Rescheduled) => &[Customer, Vendor, Admin],
        (Confirmed | Assigned | Rescheduled, Cancelled) => &[Customer, Vendor, Admin, System],
        // The therapist was taken off; the booking waits for another.
        (Assigned, Confirmed) => &[Vendor, Admin, System],
        (Rescheduled, Confirmed | Assigned) => &[Vendor, Admin, System],
        (InProgress, Completed) => &[Vendor, Admin, System],
        // Once started, only the business can abort (customer taken ill, safety).
        (InProgress, Cancelled) => &[Vendor, Admin, System],
        _ => return None,
    };
    Some(actors)
}

/// Checks that `actor` may move a booking from `from` to `to`.
pub fn booking_transition(from: BookingStatus, to: BookingStatus, actor: Actor) -> Result<(), TransitionError> {
    check(booking_actors(from, to), from.as_str(), to.as_str(), actor)
}

/// The statuses `actor` may move a booking to from `from`, for showing buttons.
pub fn booking_next(from: BookingStatus, actor: Actor) -> Vec<BookingStatus> {
    BookingStatus::ALL
        .into_iter()
        .filter(|&to| booking_actors(from, to).is_some_and(|a| a.contains(&actor)))
        .collect()
}

/// Who may move an assignment from `from` to `to`; `None` when the move does not exist.
/// Mirrors `private.therapist_assignments_guard_status()` (V31): the therapist reports
/// progress one step at a time (spa visits skip the journey), dispatch (vendor, operations)
/// re-assigns and cancels, and the platform (`System`) may also record a forward move that
/// skips steps, such as a visit reported late from an offline phone.
pub fn assignment_actors(from: AssignmentStatus, to: AssignmentStatus) -> Option<&'static [Actor]> {
    use Actor::*;
    use AssignmentStatus::*;
    if from.is_final() {
        return None;
    }
    let actors: &'static [Actor] = match (from, to) {
        (Assigned, Acknowledged)
        | (Acknowledged, InTransit | Reached | InProgress)
        | (InTransit, Reached)
        | (Reached, InProgress | Completed)
        | (InProgress, Completed) => &[Therapist, System],
        // Re-dispatch to another therapist before the visit has begun.
        (Acknowledged | InTransit, Assigned) => &[Vendor, Admin, System],
        (_, Cancelled) => &[Vendor, Admin, System],
        _ if to.step() > from.step() => &[System],
        _ => return None,
    };
    Some(actors)
}

pub fn assignment_transition(
    from: AssignmentStatus,
    to: AssignmentStatus,
    actor: Actor,
) -> Result<(), TransitionError> {
    check(assignment_actors(from, to), from.as_str(), to.as_str(), actor)
}

pub fn assignment_next(from: AssignmentStatus, actor: Actor) -> Vec<AssignmentStatus> {
    AssignmentStatus::ALL
        .into_iter()
        .filter(|&to| assignment_actors(from, to).is_some_and(|a| a.contains(&actor)))
        .collect()
}

fn check(actors: Option<&[Actor]>, from: &str, to: &str, actor: Actor) -> Result<(), TransitionError> {
    match actors {
        None => Err(TransitionError::Illegal {
            from: from.into(),
            to: to.into(),
        }),
        Some(actors) if !actors.contains(&actor) => Err(TransitionError::NotAllowed {
            actor,
            from: from.into(),
            to: to.into(),
        }),
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Status moves that come with another change

/// Why a booking's status does not allow an assignment or a reschedule. `code()` is stable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatusGateError {
    #[error("a {0} booking cannot be assigned")]
    NotAssignable(BookingStatus),
    #[error("a {0} booking cannot be rescheduled")]
    NotReschedulable(BookingStatus),
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

impl StatusGateError {
    pub fn code(&self) -> &'static str {
        match self {
            StatusGateError::NotAssignable(_) => "not_assignable",
            StatusGateError::NotReschedulable(_) => "not_reschedulable",
            StatusGateError::Transition(err) => err.code(),
        }
    }
}

/// What putting a therapist on a booking in `status` does to the booking when `actor` does
/// it: `Some(to)` moves it to `to` (a confirmed or rescheduled booking becomes assigned),
/// `None` leaves it (a pending booking waits for its payment, an assigned one stays
/// assigned). Started, finished and cancelled bookings take no new therapist.
pub fn on_assign(status: BookingStatus, actor: Actor) -> Result<Option<BookingStatus>, StatusGateError> {
    match status {
        BookingStatus::Pending | BookingStatus::Assigned => Ok(None),
        BookingStatus::Confirmed | BookingStatus::Rescheduled => {
            booking_transition(status, BookingStatus::Assigned, actor)?;
            Ok(Some(BookingStatus::Assigned))
        }
        BookingStatus::InProgress | BookingStatus::Completed | BookingStatus::Cancelled => {
            Err(StatusGateError::NotAssignable(status))
        }
    }
}

/// The status moves that record moving a booking in `status` to a new time when `actor`
/// asks, in order. A pending booking just moves (nothing is promised yet); a confirmed or
/// assigned one passes through `rescheduled`, so the history shows the move, and the
/// platform (`System`) puts it back where it was. Anything else cannot be moved.
pub fn reschedule_moves(status: BookingStatus, actor: Actor) -> Result<Vec<BookingStatus>, StatusGateError> {
    match status {
        BookingStatus::Pending => Ok(Vec::new()),
        BookingStatus::Confirmed | BookingStatus::Assigned => {
            booking_transition(status, BookingStatus::Rescheduled, actor)?;
            booking_transition(BookingStatus::Rescheduled, status, Actor::System)?;
            Ok(vec![BookingStatus::Rescheduled, status])
        }
        BookingStatus::InProgress
        | BookingStatus::Completed
        | BookingStatus::Cancelled
        | BookingStatus::Rescheduled => Err(StatusGateError::NotReschedulable(status)),
    }
}

/// The moves a booking in `booking` makes, as the platform's doing (`System`), when one of
/// its assignments has just moved to `assignment`; `others_active` says whether another of
/// its assignments is still active (assigned .. in progress). The booking starts when a
/// therapist starts, and completes when its last active assignment completes (a therapist
/// who reports the start and the end together takes it through both). Every move returned
/// is one [`booking_transition`] allows `System`, in order; empty when nothing follows.
pub fn booking_follows(
    assignment: AssignmentStatus,
    booking: BookingStatus,
    others_active: bool,
) -> Vec<BookingStatus> {
    use BookingStatus::*;
    let started = matches!(booking, Confirmed | Assigned);
    match assignment {
        AssignmentStatus::InProgress if started => vec![InProgress],
        AssignmentStatus::Completed if started && !others_active => vec![InProgress, Completed],
        AssignmentStatus::Completed if started => vec![InProgress],
        AssignmentStatus::Completed if booking == InProgress && !others_active => vec![Completed],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Cancellation and reschedule

/// The cancellation and reschedule columns of `vendors`; serialised as the policy snapshot
/// stored with a cancellation or reschedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingPolicy {
    pub free_cancellation_hours: u32,
    /// `cancellation_fee_percentage` as basis points (12.50 % = 1250).
    pub cancellation_fee_bps: Bps,
    pub reschedule_cutoff_hours: u32,
    pub max_reschedules: u32,
}

/// Time from the decision to the scheduled start, in whole minutes; negative once the start
/// has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Notice(i64);

impl Notice {
    pub fn between(now: DateTime<Utc>, start: DateTime<Utc>) -> Notice {
        Notice((start - now).num_minutes())
    }

    pub fn minutes(minutes: i64) -> Notice {
        Notice(minutes)
    }

    pub fn hours(hours: i64) -> Notice {
        Notice(hours.saturating_mul(60))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationTier {
    /// Cancelled by the business: the customer is never charged.
    ByBusiness,
    /// At least `free_cancellation_hours` ahead.
    Free,
    /// Inside the free window, before the start: the vendor's percentage.
    Late,
    /// At or after the start (no-show): the whole booking value.
    NoShow,
}

/// What a cancellation costs and what goes back, shaped like `booking_cancellations`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CancellationCharge {
    pub tier: CancellationTier,
    pub notice_minutes: i64,
    /// Retained from the booking value, in paise.
    pub cancellation_fee: Paise,
    /// Owed back to the customer out of what they paid, in paise.
    pub refund_due: Paise,
}

/// The fee for cancelling a booking worth `total` with `notice` to go, of which the customer
/// has paid `paid`. Anyone but the customer cancelling costs the customer nothing. The fee is a share of the booking's total (rounded half up) and is only
/// kept out of money actually paid: the refund is `paid - fee`, never below zero.
pub fn cancellation_fee(
    policy: &BookingPolicy,
    notice: Notice,
    cancelled_by: Actor,
    total: Paise,
    paid: Paise,
) -> Result<CancellationCharge, Overflow> {
    let tier = if cancelled_by != Actor::Customer {
        CancellationTier::ByBusiness
    } else if notice.0 <= 0 {
        CancellationTier::NoShow
    } else if notice.0 >= i64::from(policy.free_cancellation_hours) * 60 {
        CancellationTier::Free
    } else {
        CancellationTier::Late
    };
    let cancellation_fee = match tier {
        CancellationTier::ByBusiness | CancellationTier::Free => Paise::ZERO,
        CancellationTier::Late => total.percent_of(policy.cancellation_fee_bps.min(Bps::WHOLE))?,
        CancellationTier::NoShow => total,
    };
    let refund_due = paid.checked_sub(cancellation_fee)?.max(Paise::ZERO);
    Ok(CancellationCharge {
        tier,
        notice_minutes: notice.0,
        cancellation_fee,
        refund_due,
    })
}

/// Why a reschedule is refused. `code()` is stable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RescheduleError {
    #[error("reschedules close {cutoff_hours} hours before the start")]
    TooLate { cutoff_hours: u32 },
    #[error("this booking was already rescheduled {max} times")]
    LimitReached { max: u32 },
}

impl RescheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            RescheduleError::TooLate { .. } => "reschedule_too_late",
            RescheduleError::LimitReached { .. } => "reschedule_limit_reached",
        }
    }
}

/// Whether a booking rescheduled `count` times so far may move again with `notice` to its
/// current start. Allowed reschedules are free.
pub fn reschedule_allowed(policy: &BookingPolicy, notice: Notice, count: u32) -> Result<(), RescheduleError> {
    if count >= policy.max_reschedules {
        return Err(RescheduleError::LimitReached {
            max: policy.max_reschedules,
        });
    }
    if notice.0 < i64::from(policy.reschedule_cutoff_hours) * 60 {
        return Err(RescheduleError::TooLate {
            cutoff_hours: policy.reschedule_cutoff_hours,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use Actor::*;

    #[test]
    fn no_status_moves_to_itself() {
        for status in AssignmentStatus::ALL {
            assert_eq!(assignment_actors(status, status), None, "{status:?}");
        }
    }

    /// The names the SQL compares against are the names serde reads from rows and JSON, and
    /// what messages print: one spelling of each status.
    #[test]
    fn a_status_has_one_name_in_sql_json_and_messages() {
        for status in BookingStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json.as_str(), Some(status.as_str()), "{status:?}");
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(serde_json::from_value::<BookingStatus>(json).unwrap(), status);
        }
        for status in AssignmentStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json.as_str(), Some(status.as_str()), "{status:?}");
            assert_eq!(status.to_string(), status.as_str());
            assert_eq!(serde_json::from_value::<AssignmentStatus>(json).unwrap(), status);
        }
    }

    #[test]
    fn booking_moves_match_the_database_trigger() {
        // The allowed (from -> to) pairs of the lifecycle trigger, written out once more.
        use BookingStatus::*;
        let trigger = |from: BookingStatus| -> Vec<BookingStatus> {
            match from {
                Pending => vec![Confirmed, Cancelled],
                Confirmed => vec![Assigned, InProgress, Rescheduled, Cancelled],
                Assigned => vec![Confirmed, InProgress, Rescheduled, Cancelled],
                Rescheduled => vec![Confirmed, Assigned, Cancelled],
                InProgress => vec![Completed, Cancelled],
                Completed | Cancelled => vec![],
            }
        };
        for from in BookingStatus::ALL {
            for to in BookingStatus::ALL {
                assert_eq!(
                    booking_actors(from, to).is_some(),
                    trigger(from).contains(&to),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn happy_path_by_the_right_actors() {
        use BookingStatus::*;
        assert!(booking_transition(Pending, Confirmed, System).is_ok());
        assert!(booking_transition(Confirmed, Assigned, System).is_ok());
        // The therapist's progress reaches the booking through the service.
        assert!(booking_transition(Assigned, InProgress, System).is_ok());
        assert!(booking_transition(InProgress, Completed, System).is_ok());
        assert!(booking_transition(InProgress, Completed, Vendor).is_ok());
        assert!(booking_transition(Pending, Confirmed, Admin).is_ok());
    }

    #[test]
    fn actors_are_refused_outside_their_role() {
        use BookingStatus::*;
        let err = booking_transition(Pending, Confirmed, Customer).unwrap_err();
        assert_eq!(err.code(), "actor_not_allowed");
        assert_eq!(
            err.to_string(),
            "a customer may not change status from pending to confirmed"
        );
        assert_eq!(
            booking_transition(InProgress, Cancelled, Customer).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert_eq!(
            booking_transition(Confirmed, Cancelled, Therapist).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert_eq!(
            booking_transition(Confirmed, Assigned, Customer).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert_eq!(
            booking_transition(InProgress, Completed, Customer).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert_eq!(
            booking_transition(Assigned, InProgress, Therapist).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert_eq!(
            booking_transition(Pending, Cancelled, Therapist).unwrap_err().code(),
            "actor_not_allowed"
        );
        assert!(booking_transition(Confirmed, Rescheduled, Customer).is_ok());
        assert!(booking_transition(Confirmed, Cancelled, Customer).is_ok());
    }

    #[test]
    fn final_states_and_skips_are_illegal() {
        use BookingStatus::*;
        for actor in [Customer, Vendor, Therapist, Admin, System] {
            for to in BookingStatus::ALL {
                assert_eq!(
                    booking_transition(Completed, to, actor).unwrap_err().code(),
                    "illegal_transition"
                );
                assert_eq!(
                    booking_transition(Cancelled, to, actor).unwrap_err().code(),
                    "illegal_transition"
                );
            }
            assert_eq!(
                booking_transition(Pending, Completed, actor).unwrap_err().code(),
                "illegal_transition"
            );
            assert_eq!(
                booking_transition(Pending, Pending, actor).unwrap_err().code(),
                "illegal_transition"
            );
        }
        assert!(Completed.is_final() && Cancelled.is_final() && !Rescheduled.is_final());
    }

    #[test]
    fn next_statuses_per_actor() {
        use BookingStatus::*;
        assert_eq!(booking_next(Confirmed, Customer), vec![Cancelled, Rescheduled]);
        assert!(booking_next(Confirmed, Therapist).is_empty());
        assert_eq!(
            booking_next(Assigned, Vendor),
            vec![Confirmed, InProgress, Cancelled, Rescheduled]
        );
        assert_eq!(booking_next(Pending, System), vec![Confirmed, Cancelled]);
        assert!(booking_next(Completed, Vendor).is_empty());
    }

    #[test]
    fn assignment_journey() {
        use AssignmentStatus::*;
        let path = [Assigned, Acknowledged, InTransit, Reached, InProgress, Completed];
        for pair in path.windows(2) {
            assert!(
                assignment_transition(pair[0], pair[1], Therapist).is_ok(),
                "{} -> {}",
                pair[0],
                pair[1]
            );
        }
        // Spa visit: no journey; start reported together with the end.
        assert!(assignment_transition(Acknowledged, InProgress, Therapist).is_ok());
        assert!(assignment_transition(Acknowledged, Reached, Therapist).is_ok());
        assert!(assignment_transition(Reached, Completed, Therapist).is_ok());
        // The therapist may not skip acknowledging, nor go back.
        assert_eq!(
            assignment_transition(Assigned, InTransit, Therapist)
                .unwrap_err()
                .code(),
            "actor_not_allowed"
        );
        assert_eq!(
            assignment_transition(Reached, InTransit, Therapist).unwrap_err().code(),
            "illegal_transition"
        );
        assert_eq!(
            assignment_transition(Reached, InTransit, System).unwrap_err().code(),
            "illegal_transition"
        );
        // The platform may record a late forward move that skips steps.
        assert!(assignment_transition(Assigned, Completed, System).is_ok());
        // Only the therapist (or the platform) reports progress; customers drive nothing.
        assert_eq!(
            assignment_transition(Assigned, Acknowledged, Vendor)
                .unwrap_err()
                .code(),
            "actor_not_allowed"
        );
        for to in AssignmentStatus::ALL {
            assert!(assignment_transition(Assigned, to, Customer).is_err());
        }
    }

    #[test]
    fn assignment_dispatch_moves() {
        use AssignmentStatus::*;
        // Dispatch cancels and re-assigns; the therapist cannot drop a visit through the app.
        for from in [Assigned, Acknowledged, InTransit, Reached, InProgress] {
            assert!(assignment_transition(from, Cancelled, Vendor).is_ok());
            assert!(assignment_transition(from, Cancelled, Admin).is_ok());
            assert_eq!(
                assignment_transition(from, Cancelled, Therapist).unwrap_err().code(),
                "actor_not_allowed"
            );
        }
        assert!(assignment_transition(InTransit, Assigned, Vendor).is_ok());
        assert_eq!(
            assignment_transition(Reached, Assigned, Vendor).unwrap_err().code(),
            "illegal_transition"
        );
        for to in AssignmentStatus::ALL {
            assert_eq!(
                assignment_transition(Completed, to, System).unwrap_err().code(),
                "illegal_transition"
            );
            assert_eq!(
                assignment_transition(Cancelled, to, System).unwrap_err().code(),
                "illegal_transition"
            );
        }
        assert_eq!(assignment_next(Reached, Therapist), vec![InProgress, Completed]);
        assert_eq!(assignment_next(Acknowledged, Vendor), vec![Assigned, Cancelled]);
        assert!(Completed.is_final() && !Reached.is_final());
    }

    #[test]
    fn assigning_moves_confirmed_and_rescheduled_bookings_to_assigned() {
        use BookingStatus::*;
        for actor in [Vendor, Admin, System] {
            assert_eq!(
                on_assign(Pending, actor),
                Ok(None),
                "a pending booking waits for payment"
            );
            assert_eq!(
                on_assign(Assigned, actor),
                Ok(None),
                "a re-assignment keeps it assigned"
            );
            assert_eq!(on_assign(Confirmed, actor), Ok(Some(Assigned)));
            assert_eq!(on_assign(Rescheduled, actor), Ok(Some(Assigned)));
            for status in [InProgress, Completed, Cancelled] {
                let err = on_assign(status, actor).unwrap_err();
                assert_eq!(err.code(), "not_assignable");
                assert_eq!(err.to_string(), format!("a {status} booking cannot be assigned"));
            }
        }
        // The move it makes is one the actor may make.
        assert_eq!(on_assign(Confirmed, Customer).unwrap_err().code(), "actor_not_allowed");
        for status in BookingStatus::ALL {
            for actor in [Customer, Vendor, Therapist, Admin, System] {
                if let Ok(Some(to)) = on_assign(status, actor) {
                    assert!(
                        booking_transition(status, to, actor).is_ok(),
                        "{status} -> {to} by {actor}"
                    );
                }
            }
        }
    }

    #[test]
    fn rescheduling_passes_through_rescheduled_and_back() {
        use BookingStatus::*;
        assert_eq!(reschedule_moves(Pending, Customer), Ok(vec![]));
        assert_eq!(reschedule_moves(Confirmed, Customer), Ok(vec![Rescheduled, Confirmed]));
        assert_eq!(reschedule_moves(Assigned, Vendor), Ok(vec![Rescheduled, Assigned]));
        assert_eq!(reschedule_moves(Assigned, Admin), Ok(vec![Rescheduled, Assigned]));
        for status in [InProgress, Completed, Cancelled, Rescheduled] {
            assert_eq!(
                reschedule_moves(status, Vendor).unwrap_err().code(),
                "not_reschedulable"
            );
        }
        assert_eq!(
            reschedule_moves(Confirmed, Therapist).unwrap_err().code(),
            "actor_not_allowed"
        );
        // Every step is a legal move: the first by the actor, the way back by the platform.
        for status in BookingStatus::ALL {
            for actor in [Customer, Vendor, Admin] {
                if let Ok(moves) = reschedule_moves(status, actor) {
                    let mut from = status;
                    for (i, to) in moves.into_iter().enumerate() {
                        let by = if i == 0 { actor } else { System };
                        assert!(booking_transition(from, to, by).is_ok(), "{from} -> {to} by {by}");
                        from = to;
                    }
                    assert_eq!(from, status, "the booking ends where it was");
                }
            }
        }
    }

    #[test]
    fn the_booking_follows_its_assignments() {
        use AssignmentStatus as A;
        use BookingStatus::*;
        assert_eq!(booking_follows(A::InProgress, Assigned, false), vec![InProgress]);
        assert_eq!(booking_follows(A::InProgress, Confirmed, true), vec![InProgress]);
        assert_eq!(booking_follows(A::InProgress, InProgress, true), vec![]);
        // Start and end reported together: through in_progress, to completed.
        assert_eq!(
            booking_follows(A::Completed, Assigned, false),
            vec![InProgress, Completed]
        );
        assert_eq!(booking_follows(A::Completed, InProgress, false), vec![Completed]);
        // A couples' booking completes with its last therapist.
        assert_eq!(booking_follows(A::Completed, InProgress, true), vec![]);
        assert_eq!(booking_follows(A::Completed, Assigned, true), vec![InProgress]);
        // Progress before the start, a cancelled assignment, or a booking not running: nothing.
        for a in [A::Assigned, A::Acknowledged, A::InTransit, A::Reached, A::Cancelled] {
            for b in BookingStatus::ALL {
                assert_eq!(booking_follows(a, b, false), vec![], "{a} with a {b} booking");
            }
        }
        for b in [Pending, Rescheduled, Completed, Cancelled] {
            assert_eq!(booking_follows(A::InProgress, b, false), vec![]);
            assert_eq!(booking_follows(A::Completed, b, false), vec![]);
        }
        // Whatever it returns is a chain of moves the platform may make.
        for a in AssignmentStatus::ALL {
            for b in BookingStatus::ALL {
                for others in [false, true] {
                    let mut from = b;
                    for to in booking_follows(a, b, others) {
                        assert!(booking_transition(from, to, System).is_ok(), "{from} -> {to}");
                        from = to;
                    }
                }
            }
        }
    }

    fn policy() -> BookingPolicy {
        BookingPolicy {
            free_cancellation_hours: 4,
            cancellation_fee_bps: Bps::new(2500),
            reschedule_cutoff_hours: 2,
            max_reschedules: 2,
        }
    }

    #[test]
    fn cancellation_fee_tiers() {
        let total = Paise::new(214_795);
        let paid = total;
        let charge = |notice: Notice, by: Actor| cancellation_fee(&policy(), notice, by, total, paid).unwrap();

        let free = charge(Notice::hours(4), Customer);
        assert_eq!(
            (free.tier, free.cancellation_fee, free.refund_due),
            (CancellationTier::Free, Paise::ZERO, paid)
        );
        assert_eq!(free.notice_minutes, 240);

        let late = charge(Notice::minutes(4 * 60 - 1), Customer);
        assert_eq!(late.tier, CancellationTier::Late);
        assert_eq!(late.cancellation_fee, Paise::new(53_699)); // 25 % of 2147.95 = 536.9875 -> 536.99
        assert_eq!(late.refund_due, Paise::new(214_795 - 53_699));

        let no_show = charge(Notice::minutes(0), Customer);
        assert_eq!(
            (no_show.tier, no_show.cancellation_fee, no_show.refund_due),
            (CancellationTier::NoShow, total, Paise::ZERO)
        );
        assert_eq!(charge(Notice::minutes(-30), Customer).tier, CancellationTier::NoShow);

        for by in [Vendor, Admin, System, Therapist] {
            let c = charge(Notice::minutes(-30), by);
            assert_eq!(
                (c.tier, c.cancellation_fee, c.refund_due),
                (CancellationTier::ByBusiness, Paise::ZERO, paid)
            );
        }
    }

    #[test]
    fn refund_is_limited_to_what_was_paid() {
        let total = Paise::rupees(2000);
        // Nothing paid yet (pay at spa): nothing to refund, fee is still reported.
        let c = cancellation_fee(&policy(), Notice::hours(1), Customer, total, Paise::ZERO).unwrap();
        assert_eq!((c.cancellation_fee, c.refund_due), (Paise::rupees(500), Paise::ZERO));
        // Partly paid advance smaller than the fee.
        let c = cancellation_fee(&policy(), Notice::hours(1), Customer, total, Paise::rupees(300)).unwrap();
        assert_eq!(c.refund_due, Paise::ZERO);
        // A zero-hour free window means free right up to the start.
        let strict = BookingPolicy {
            free_cancellation_hours: 0,
            ..policy()
        };
        let c = cancellation_fee(&strict, Notice::hours(100), Customer, total, total).unwrap();
        assert_eq!(c.tier, CancellationTier::Free);
    }

    #[test]
    fn notice_from_instants() {
        let now = Utc.with_ymd_and_hms(2025, 10, 15, 4, 30, 0).unwrap();
        let start = Utc.with_ymd_and_hms(2025, 10, 15, 8, 29, 59).unwrap();
        assert_eq!(Notice::between(now, start), Notice::minutes(239)); // truncated, never rounded up
        assert_eq!(Notice::between(start, now).get(), -239);
    }

    #[test]
    fn reschedule_rules() {
        assert!(reschedule_allowed(&policy(), Notice::hours(2), 0).is_ok());
        assert!(reschedule_allowed(&policy(), Notice::hours(48), 1).is_ok());
        let err = reschedule_allowed(&policy(), Notice::minutes(119), 0).unwrap_err();
        assert_eq!(err.code(), "reschedule_too_late");
        assert_eq!(err.to_string(), "reschedules close 2 hours before the start");
        assert_eq!(
            reschedule_allowed(&policy(), Notice::hours(48), 2).unwrap_err().code(),
            "reschedule_limit_reached"
        );
        let never = BookingPolicy {
            max_reschedules: 0,
            ..policy()
        };
        assert_eq!(
            reschedule_allowed(&never, Notice::hours(48), 0).unwrap_err().code(),
            "reschedule_limit_reached"
        );
    }
}
