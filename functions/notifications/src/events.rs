//! The events the services queue (`notification_queue.event_type`), by the names they use,
//! and what each may become: its default channels, TRAI category and urgency ([`route`]),
//! the template each message code has on each channel ([`channel_template`]), and the inbox
//! type of its in-app notification ([`inbox_type`]). This is the one list of event names:
//!
//! | event | queued by | to | message templates (`template_code`) |
//! | --- | --- | --- | --- |
//! | `booking.created` | booking service | customer, vendor | `booking_created`, `vendor_new_booking` |
//! | `booking.confirmed` | payments (V51) | customer | `booking_confirmed` |
//! | `booking.status_changed` | booking service | customer | `booking_confirmed`, `booking_started`, `booking_completed` |
//! | `booking.cancelled` | booking service | customer, vendor | `booking_cancelled`, `vendor_booking_cancelled` |
//! | `booking.rescheduled` | booking service | customer | `booking_rescheduled` |
//! | `booking.therapist_assigned` | booking service | customer | `therapist_assigned` |
//! | `booking.paid` | payments (V51) | vendor | `vendor_booking_paid` |
//! | `assignment.created` | booking service | therapist | `therapist_new_assignment` |
//! | `assignment.progress` | booking service | customer | `therapist_arriving` |
//! | `therapist_arrived` | location service | customer | `therapist_arrived` (its own push and in-app rows) |
//! | `payment.captured` | payments (V51) | customer | `payment_received` |
//! | `payment.failed` | payments (V51) | customer | `payment_failed` |
//! | `payment.flagged` | payments (V51, V53) | finance (an address) | `payment_flagged` |
//! | `refund.processed` | (reserved) | customer | `refund_processed` |
//! | `auth.otp`, `auth.password_reset` | (reserved) | anyone | `otp_login`, `password_reset` |
//! | `campaign.promotion` | `POST /send` with a segment | customers | any |
//!
//! A producer writes one row per message, on any one channel of its event (the location
//! service writes one per channel itself); the worker fans the message out to the event's
//! other channels that have a template for it and that the person allows.

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
        "booking.status_changed" => (&[InApp, Push, Sms, Email, Whatsapp], SERVICE, false),
        "booking.paid" => (&[InApp, Push], SERVICE, false),
        "assignment.created" => (&[InApp, Push], SERVICE, true),
        "assignment.progress" => (&[InApp, Push, Sms], SERVICE, true),
        "therapist_arrived" => (&[InApp, Push], SERVICE, true),
        "payment.captured" => (&[InApp, Push, Sms, Email], Category::Transactional, false),
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
pub const KNOWN_EVENTS: [&str; 17] = [
    "booking.created",
    "booking.confirmed",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.therapist_assigned",
    "booking.status_changed",
    "booking.paid",
    "assignment.created",
    "assignment.progress",
    "therapist_arrived",
    "payment.captured",
    "payment.failed",
    "payment.flagged",
    "refund.processed",
    "auth.otp",
    "auth.password_reset",
    "campaign.promotion",
];

/// Message codes whose push and in-app templates are seeded (the `push_templates` setting).
const PUSH_MESSAGES: [&str; 17] = [
    "booking_created",
    "vendor_new_booking",
    "booking_confirmed",
    "booking_started",
    "booking_completed",
    "booking_cancelled",
    "vendor_booking_cancelled",
    "booking_rescheduled",
    "therapist_assigned",
    "therapist_new_assignment",
    "therapist_arriving",
    "therapist_arrived",
    "payment_received",
    "vendor_booking_paid",
    "payment_failed",
    "refund_processed",
    "promotion",
];

/// The template a message code has on `channel`, when the catalogue knows the code:
/// `Some(Some(code))` a template, `Some(None)` none on that channel. `None` for a code the
/// catalogue does not know (a staff member's own template): it is sent on its own channel
/// with the template of that name.
pub fn channel_template(message: &str, channel: Channel) -> Option<Option<&'static str>> {
    let known = PUSH_MESSAGES.iter().find(|m| **m == message).copied();
    let other: Option<&'static str> = match (message, channel) {
        ("booking_confirmed", Sms) => Some("booking_confirmed"),
        ("booking_confirmed", Email) => Some("booking_confirmation"),
        ("booking_confirmed", Whatsapp) => Some("booking_confirmed"),
        ("booking_cancelled", Sms) => Some("booking_cancelled"),
        ("booking_cancelled", Email) => Some("booking_cancellation"),
        ("booking_cancelled", Whatsapp) => Some("booking_cancelled"),
        ("booking_rescheduled", Email) => Some("booking_rescheduled"),
        ("therapist_assigned", Sms) => Some("therapist_assigned"),
        ("payment_received", Sms) => Some("payment_received"),
        ("refund_processed", Email) => Some("refund_processed"),
        ("payment_flagged", Email) => Some("payment_flagged"),
        ("otp_login", Sms) => Some("otp_login"),
        ("password_reset", Email) => Some("password_reset"),
        _ => None,
    };
    match (known, channel) {
        (Some(code), InApp | Push) => Some(Some(code)),
        (Some(_), _) => Some(other),
        (None, _) if ["payment_flagged", "otp_login", "password_reset"].contains(&message) => Some(other),
        (None, _) => None,
    }
}

/// The `notifications.type` of an event's in-app notification (`message` distinguishes the
/// moves of `booking.status_changed`).
pub fn inbox_type(event_type: &str, message: Option<&str>) -> &'static str {
    match (event_type, message) {
        ("booking.created", _) => "booking_created",
        ("booking.confirmed", _) | ("booking.status_changed", Some("booking_confirmed")) => "booking_confirmed",
        ("booking.status_changed", Some("booking_started")) => "service_started",
        ("booking.status_changed", Some("booking_completed")) => "service_completed",
        ("booking.cancelled", _) => "booking_cancelled",
        ("booking.rescheduled", _) => "booking_rescheduled",
        ("booking.therapist_assigned", _) | ("assignment.created", _) => "therapist_assigned",
        ("assignment.progress", _) => "therapist_on_the_way",
        ("therapist_arrived", _) => "therapist_arrived",
        ("booking.paid", _) | ("payment.captured", _) => "payment_received",
        ("payment.failed", _) => "payment_failed",
        ("refund.processed", _) => "refund_processed",
        ("campaign.promotion", _) => "promotion",
        _ => "system_alert",
    }
}

/// The message codes each event is queued with, as the producers write them.
pub const QUEUED: [(&str, &str); 19] = [
    ("booking.created", "booking_created"),
    ("booking.created", "vendor_new_booking"),
    ("booking.confirmed", "booking_confirmed"),
    ("booking.status_changed", "booking_confirmed"),
    ("booking.status_changed", "booking_started"),
    ("booking.status_changed", "booking_completed"),
    ("booking.cancelled", "booking_cancelled"),
    ("booking.cancelled", "vendor_booking_cancelled"),
    ("booking.rescheduled", "booking_rescheduled"),
    ("booking.therapist_assigned", "therapist_assigned"),
    ("booking.paid", "vendor_booking_paid"),
    ("assignment.created", "therapist_new_assignment"),
    ("assignment.progress", "therapist_arriving"),
    ("therapist_arrived", "therapist_arrived"),
    ("payment.captured", "payment_received"),
    ("payment.failed", "payment_failed"),
    ("payment.flagged", "payment_flagged"),
    ("auth.otp", "otp_login"),
    ("auth.password_reset", "password_reset"),
];

/// The channels a message may go on: the event's route that has a template for it (the
/// row's own channel for an unknown event or message code).
pub fn message_channels(event_type: &str, message: Option<&str>, own: Channel) -> Vec<Channel> {
    let Some(route) = route(event_type) else {
        return vec![own];
    };
    let Some(message) = message else {
        return vec![own];
    };
    if channel_template(message, own).is_none() {
        return vec![own];
    }
    route
        .channels
        .iter()
        .copied()
        .filter(|c| matches!(channel_template(message, *c), Some(Some(_))))
        .collect()
}

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
            // Reserved, queued by `POST /send`, or by the location service (built apart).
            if e.starts_with("auth.")
                || e.starts_with("campaign.")
                || e == "refund.processed"
                || e == "therapist_arrived"
            {
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

    #[test]
    fn every_queued_message_has_channels_with_templates_and_the_producers_use_these_codes() {
        let booking = include_str!("../../booking/src/service/handlers.rs");
        let payments = [
            include_str!("../../../migrations/V51__payment_capture.sql"),
            include_str!("../../../migrations/V53__payment_gateway_secrets.sql"),
        ]
        .concat();
        for (event, message) in QUEUED {
            assert!(route(event).is_some(), "{event}");
            let channels = message_channels(event, Some(message), route(event).unwrap().channels[0]);
            assert!(!channels.is_empty(), "{event}/{message} has no channel");
            if event.starts_with("auth.") || event == "therapist_arrived" {
                continue;
            }
            let quoted = (format!("\"{message}\""), format!("'{message}'"));
            assert!(
                booking.contains(&quoted.0) || payments.contains(&quoted.1),
                "{message} is queued by neither service"
            );
        }
        // The location service's event: push and in-app, urgent.
        assert_eq!(
            message_channels("therapist_arrived", Some("therapist_arrived"), Push),
            vec![InApp, Push]
        );
        assert!(route("therapist_arrived").unwrap().urgent);
        // An unknown template goes on its own channel only.
        assert_eq!(message_channels("booking.created", Some("custom"), Sms), vec![Sms]);
        assert_eq!(
            message_channels("whatever", Some("booking_created"), Email),
            vec![Email]
        );
    }

    #[test]
    fn inbox_types_are_the_notifications_types() {
        let sql = include_str!("../../../migrations/V60__notification_delivery.sql");
        let types = &sql[sql.find("notifications_type_check check").unwrap()..];
        let types = &types[..types.find("));").unwrap()];
        for (event, message) in QUEUED {
            let t = inbox_type(event, Some(message));
            assert!(types.contains(&format!("'{t}'")), "{t}");
        }
        assert_eq!(
            inbox_type("booking.status_changed", Some("booking_completed")),
            "service_completed"
        );
        assert_eq!(inbox_type("unknown", None), "system_alert");
    }
}
