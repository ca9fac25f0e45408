//! Each event's default channels, category and urgency: the events the booking and payment
//! services queue (`notification_queue.event_type`), by the names they use.

use serde::Serialize;

use crate::channel::{Category, Channel};

/// How an event's messages go by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Route {
    pub channels: &'static [Channel],
    pub category: Category,
    pub urgent: bool,
}

use Channel::{Email, InApp, Push, Sms, Whatsapp};

const SERVICE: Category = Category::ServiceImplicit;

/// The route of a known event; `None` for an event this table does not know (the caller
/// then uses the queue row's own channel and treats it as a service message).
pub fn route(event_type: &str) -> Option<Route> {
    let (channels, category, urgent): (&'static [Channel], Category, bool) = match event_type {
        "booking.created" => (&[InApp, Push, Email], SERVICE, false),
        "booking.confirmed" => (&[InApp, Push, Sms, Email, Whatsapp], SERVICE, false),
        "booking.cancelled" => (&[InApp, Push, Sms, Email, Whatsapp], SERVICE, true),
        "booking.rescheduled" => (&[InApp, Push, Sms, Email], SERVICE, true),
        "booking.therapist_assigned" => (&[InApp, Push, Sms], SERVICE, false),
        "booking.status_changed" => (&[InApp, Push], SERVICE, false),
        "booking.paid" => (&[InApp, Push], SERVICE, false),
        "assignment.created" => (&[InApp, Push], SERVICE, true),
        "assignment.progress" => (&[InApp, Push, Sms], SERVICE, true),
        "payment.captured" => (&[InApp, Sms, Email], Category::Transactional, false),
        "payment.failed" => (&[InApp, Push], Category::Transactional, true),
        "payment.flagged" => (&[Email], Category::Transactional, false),
        "refund.processed" => (&[InApp, Push, Email], Category::Transactional, false),
        "auth.otp" => (&[Sms], Category::Transactional, true),
        "auth.password_reset" => (&[Email], Category::Transactional, true),
        "campaign.promotion" => (&[InApp, Push, Email, Sms, Whatsapp], Category::Promotional, false),
        _ => return None,
    };
    Some(Route {
        channels,
        category,
        urgent,
    })
}

/// Every event [`route`] knows.
pub const KNOWN_EVENTS: [&str; 16] = [
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.therapist_assigned",
    "booking.status_changed",
    "booking.paid",
    "assignment.created",
    "assignment.progress",
    "payment.captured",
    "payment.failed",
    "payment.flagged",
    "refund.processed",
    "auth.otp",
    "auth.password_reset",
    "campaign.promotion",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_event_has_a_route_and_in_app_comes_first_where_present() {
        for e in KNOWN_EVENTS {
            let r = route(e).unwrap_or_else(|| panic!("{e}"));
            assert!(!r.channels.is_empty());
            if let Some(i) = r.channels.iter().position(|&c| c == InApp) {
                assert_eq!(i, 0, "{e}");
            }
        }
        assert_eq!(route("booking.unknown"), None);
    }

    #[test]
    fn the_events_the_services_queue_are_known() {
        let booking = include_str!("../../booking/src/service/handlers.rs");
        let payments = include_str!("../../../migrations/V51__payment_capture.sql");
        for e in KNOWN_EVENTS {
            if e.starts_with("auth.") || e.starts_with("campaign.") || e == "refund.processed" {
                continue;
            }
            let quoted = (format!("\"{e}\""), format!("'{e}'"));
            assert!(
                booking.contains(&quoted.0) || payments.contains(&quoted.1),
                "{e} is queued by neither service"
            );
        }
        assert_eq!(route("auth.otp").unwrap().category, Category::Transactional);
        assert_eq!(route("campaign.promotion").unwrap().category, Category::Promotional);
    }
}
