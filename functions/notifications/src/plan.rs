//! What the worker does with one claimed queue row, decided here without I/O: the channels
//! the message fans out to, and for the row's own channel whether it is skipped (not allowed
//! for this person, or nowhere to send it), deferred (quiet hours, TRAI's window), dead (it
//! cannot be rendered) or sent, with the rendered message and its addresses.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::channel::{Category, Channel};
use crate::events;
use crate::prefs::{self, CustomerConsent, Reach, UserPreferences};
use crate::schedule::{self, DeferReason, Timing, When};
use crate::template::{
    EmailTemplate, EmailTemplateRow, PushTemplate, RenderError, RenderedEmail, RenderedPush, RenderedSms,
    RenderedWhatsapp, SmsTemplate, WhatsappTemplate,
};
use crate::vars;

/// Every template, parsed once: email rows, and the `sms_templates`, `push_templates` and
/// `whatsapp_templates` settings (objects keyed by code).
#[derive(Clone, Debug, Default)]
pub struct Templates {
    pub email: BTreeMap<String, EmailTemplate>,
    pub sms: BTreeMap<String, SmsTemplate>,
    pub push: BTreeMap<String, PushTemplate>,
    pub whatsapp: BTreeMap<String, WhatsappTemplate>,
    /// OMBARO's principal entity id on the DLT platform, sent with every SMS.
    pub dlt_entity_id: Option<String>,
}

impl Templates {
    pub fn parse(
        email: Vec<EmailTemplateRow>,
        sms: &Value,
        push: &Value,
        whatsapp: &Value,
        dlt_entity_id: Option<String>,
    ) -> Result<Self, RenderError> {
        let keyed = |setting: &Value, what: &str| -> Result<Vec<(String, Value)>, RenderError> {
            match setting {
                Value::Null => Ok(Vec::new()),
                Value::Object(m) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
                _ => Err(RenderError::InvalidTemplate {
                    template: what.into(),
                    reason: "the setting is an object of templates by code".into(),
                }),
            }
        };
        let invalid = |code: &str, e: serde_json::Error| RenderError::InvalidTemplate {
            template: code.into(),
            reason: e.to_string(),
        };
        let mut push_templates = BTreeMap::new();
        for (code, mut row) in keyed(push, "push_templates")? {
            row["code"] = Value::String(code.clone());
            push_templates.insert(
                code.clone(),
                serde_json::from_value(row).map_err(|e| invalid(&code, e))?,
            );
        }
        let mut whatsapp_templates = BTreeMap::new();
        for (code, row) in keyed(whatsapp, "whatsapp_templates")? {
            whatsapp_templates.insert(
                code.clone(),
                serde_json::from_value(row).map_err(|e| invalid(&code, e))?,
            );
        }
        let mut email_templates = BTreeMap::new();
        for row in email {
            let t = EmailTemplate::try_from(row)?;
            email_templates.insert(t.code.clone(), t);
        }
        Ok(Templates {
            email: email_templates,
            sms: if sms.is_null() {
                BTreeMap::new()
            } else {
                SmsTemplate::from_setting(sms)?
            },
            push: push_templates,
            whatsapp: whatsapp_templates,
            dlt_entity_id,
        })
    }

    fn has(&self, channel: Channel, code: &str) -> bool {
        match channel {
            Channel::Email => self.email.contains_key(code),
            Channel::Sms => self.sms.contains_key(code),
            Channel::Whatsapp => self.whatsapp.contains_key(code),
            Channel::Push | Channel::InApp => self.push.contains_key(code),
        }
    }
}

/// A claimed `notification_queue` row, as `private.claim_notifications` returns it.
#[derive(Clone, Debug, Deserialize)]
pub struct Claimed {
    pub id: String,
    pub event_type: String,
    pub user_id: Option<String>,
    pub recipient: Option<String>,
    pub channel: Channel,
    pub template_code: Option<String>,
    #[serde(default)]
    pub payload: Map<String, Value>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub parent_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What the database knows about the recipient (`private.notification_context`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub account: bool,
    pub name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    #[serde(default)]
    pub push_tokens: Vec<String>,
    pub preferences: Option<UserPreferences>,
    pub consent: Option<CustomerConsent>,
    pub booking: Option<Map<String, Value>>,
}

/// A message ready for its provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Message {
    Email {
        to: String,
        email: RenderedEmail,
    },
    Sms {
        to: String,
        sms: RenderedSms,
        dlt_entity_id: Option<String>,
    },
    Whatsapp {
        to: String,
        whatsapp: RenderedWhatsapp,
    },
    Push {
        tokens: Vec<String>,
        push: RenderedPush,
    },
    InApp {
        inbox_type: &'static str,
        push: RenderedPush,
        channels: Vec<Channel>,
    },
}

/// The row's own channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Send(Box<Message>),
    /// Not for this person on this channel (turned off, no consent, no address, no template).
    Skip {
        reason: String,
    },
    /// Not yet.
    Defer {
        until: DateTime<Utc>,
        reason: DeferReason,
    },
    /// Can never go as it is (a template that needs what the payload lacks ...).
    Dead {
        code: String,
        message: String,
    },
}

/// What to do with a claimed row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The event's other channels the message goes on: rows to add, once (first attempt of a
    /// row a producer wrote).
    pub fan_out: Vec<Channel>,
    pub action: Action,
}

fn skip(reason: impl Into<String>) -> Action {
    Action::Skip { reason: reason.into() }
}

fn dead(err: RenderError) -> Action {
    Action::Dead {
        code: err.code().to_owned(),
        message: err.to_string(),
    }
}

/// Plans one claimed row at `now`.
pub fn plan(row: &Claimed, ctx: &Context, templates: &Templates, now: DateTime<Utc>) -> Plan {
    let route = events::route(&row.event_type);
    let category = route.map_or(Category::ServiceImplicit, |r| r.category);
    let urgent = route.is_some_and(|r| r.urgent);
    let message = row.template_code.as_deref();
    let channels: Vec<Channel> = events::message_channels(&row.event_type, message, row.channel)
        .into_iter()
        .filter(|&c| {
            let code = message.map(|m| events::channel_template(m, c).flatten().unwrap_or(m));
            c == row.channel || code.is_some_and(|code| templates.has(c, code))
        })
        .collect();
    let own_address = row.recipient.is_some();
    let reach = Reach {
        account: ctx.account,
        email: ctx.email.is_some() || (own_address && row.channel == Channel::Email),
        mobile: ctx.mobile.is_some() || (own_address && matches!(row.channel, Channel::Sms | Channel::Whatsapp)),
        push_token: !ctx.push_tokens.is_empty() || (own_address && row.channel == Channel::Push),
    };
    let mut wanted = channels.clone();
    if !wanted.contains(&row.channel) {
        wanted.push(row.channel);
    }
    let choice = prefs::choose(
        &wanted,
        category,
        ctx.preferences.as_ref(),
        ctx.consent.as_ref(),
        &reach,
    );
    let fan_out = if row.parent_id.is_none() && row.attempts <= 1 {
        choice
            .send
            .iter()
            .copied()
            .filter(|c| *c != row.channel && channels.contains(c))
            .collect()
    } else {
        Vec::new()
    };
    let action = if let Some(s) = choice.skipped.iter().find(|s| s.channel == row.channel) {
        skip(serde_json::to_value(s.reason).map_or_else(|_| "skipped".into(), |v| v.as_str().unwrap_or("").to_owned()))
    } else {
        own_channel(row, ctx, templates, now, category, urgent, choice.send)
    };
    Plan { fan_out, action }
}

fn own_channel(
    row: &Claimed,
    ctx: &Context,
    templates: &Templates,
    now: DateTime<Utc>,
    category: Category,
    urgent: bool,
    sent_on: Vec<Channel>,
) -> Action {
    let Some(message) = row.template_code.as_deref() else {
        return dead(RenderError::InvalidTemplate {
            template: "(none)".into(),
            reason: "the queue row names no template".into(),
        });
    };
    let code = match events::channel_template(message, row.channel) {
        Some(Some(code)) => code,
        Some(None) => return skip("no_template"),
        None => message,
    };
    if !templates.has(row.channel, code) {
        return dead(RenderError::InvalidTemplate {
            template: code.into(),
            reason: format!("no {} template of that code", row.channel),
        });
    }
    let prefs = ctx.preferences.clone().unwrap_or_default();
    let timing = Timing {
        channel: row.channel,
        category,
        urgent,
    };
    match schedule::schedule(now, timing, prefs.timezone, prefs.quiet_hours) {
        Ok(When::Now) => {}
        Ok(When::Defer { until, reason }) => return Action::Defer { until, reason },
        Err(e) => return skip(e.code()),
    }
    let mut payload = row.payload.clone();
    if let Some(name) = &ctx.name {
        payload.entry("name").or_insert(Value::String(name.clone()));
    }
    let vars = vars::message_vars(&payload, ctx.booking.as_ref(), row.channel);
    let data: BTreeMap<String, String> = row
        .payload
        .iter()
        .filter(|(k, _)| k.ends_with("_id") || k.as_str() == "booking_number")
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
        .chain([("event".to_owned(), row.event_type.clone())])
        .collect();
    let address = |own: Option<&String>| row.recipient.clone().or_else(|| own.cloned());
    let rendered = match row.channel {
        Channel::Email => templates.email[code].render(&vars).map(|email| Message::Email {
            to: address(ctx.email.as_ref()).unwrap_or_default(),
            email,
        }),
        Channel::Sms => templates.sms[code].render(&vars).map(|sms| Message::Sms {
            to: address(ctx.mobile.as_ref()).unwrap_or_default(),
            sms,
            dlt_entity_id: templates.dlt_entity_id.clone(),
        }),
        Channel::Whatsapp => templates.whatsapp[code]
            .render(&vars)
            .map(|whatsapp| Message::Whatsapp {
                to: address(ctx.mobile.as_ref()).unwrap_or_default(),
                whatsapp,
            }),
        Channel::Push => templates.push[code].render(&vars, data).map(|push| Message::Push {
            tokens: match &row.recipient {
                Some(token) => vec![token.clone()],
                None => ctx.push_tokens.clone(),
            },
            push,
        }),
        Channel::InApp => templates.push[code].render(&vars, data).map(|push| Message::InApp {
            inbox_type: events::inbox_type(&row.event_type, Some(message)),
            push,
            channels: sent_on,
        }),
    };
    match rendered {
        Ok(m) => Action::Send(Box::new(m)),
        Err(e) => dead(e),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::template::tests::{seeded_email_templates, seeded_setting};

    pub(crate) fn seeded_templates() -> Templates {
        Templates::parse(
            seeded_email_templates(),
            &seeded_setting("sms_templates"),
            &seeded_setting("push_templates"),
            &seeded_setting("whatsapp_templates"),
            Some("1101000000000000001".into()),
        )
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2025-10-15T06:30:00Z".parse().unwrap() // 12:00 IST
    }

    /// Everything `private.notification_context` gives for a booking's customer.
    fn context() -> Context {
        serde_json::from_value(json!({
            "account": true, "name": "Meera", "email": "meera@example.in", "mobile": "+919812345678",
            "push_tokens": ["fcm-token-0000000000000000000001"],
            "preferences": {"notify_whatsapp": true, "timezone": "Asia/Kolkata"},
            "booking": {"booking_number": "OBO-20251015-0001", "scheduled_start": "2025-10-16T13:00:00Z",
                        "booking_timezone": "Asia/Kolkata", "total_amount": 293535, "customer_name": "Meera",
                        "vendor_name": "Serene Spa", "service_name": "Swedish massage",
                        "service_address": "12 Residency Road", "cancellation_reason": "not given",
                        "therapist_name": "Asha", "therapist_rating": 4.8, "therapist_experience_years": 6}
        }))
        .unwrap()
    }

    /// A payload with what the producers put in.
    fn row(event: &str, message: &str, channel: Channel) -> Claimed {
        serde_json::from_value(json!({
            "id": "00000000-0000-0000-0000-000000000001", "event_type": event, "user_id": "u",
            "recipient": null, "channel": channel, "template_code": message,
            "payload": {"booking_id": "b", "booking_number": "OBO-20251015-0001", "amount": 293535,
                        "refund_due": 149900, "from": "2025-10-16T13:00:00Z", "to": "2025-10-17T05:30:00Z",
                        "gateway": "razorpay", "problem": "amount differs", "otp": "483920",
                        "name": "Meera", "reset_link": "https://ombaro.in/reset/x", "expires_in_minutes": 15},
            "attempts": 1, "max_attempts": 5, "parent_id": null, "created_at": "2025-10-15T06:29:59Z"
        }))
        .unwrap()
    }

    #[test]
    fn every_queued_message_renders_on_every_channel_of_its_route_from_the_seeds() {
        let templates = seeded_templates();
        for (event, message) in events::QUEUED {
            let first = events::route(event).unwrap().channels[0];
            let channels = events::message_channels(event, Some(message), first);
            for channel in channels {
                let p = plan(&row(event, message, channel), &context(), &templates, now());
                assert!(
                    matches!(p.action, Action::Send(_)),
                    "{event}/{message} on {channel}: {:?}",
                    p.action
                );
            }
        }
    }

    #[test]
    fn a_producers_row_fans_out_to_the_channels_the_person_allows() {
        let templates = seeded_templates();
        let p = plan(
            &row("booking.confirmed", "booking_confirmed", Channel::Push),
            &context(),
            &templates,
            now(),
        );
        assert_eq!(
            p.fan_out,
            vec![Channel::InApp, Channel::Sms, Channel::Email, Channel::Whatsapp]
        );
        let Action::Send(m) = p.action else { panic!() };
        assert!(matches!(*m, Message::Push { ref tokens, .. } if tokens.len() == 1));
        // SMS off and no WhatsApp opt-in: neither is fanned out to.
        let mut ctx = context();
        ctx.preferences = Some(serde_json::from_value(json!({"notify_sms": false})).unwrap());
        let p = plan(
            &row("booking.confirmed", "booking_confirmed", Channel::Push),
            &ctx,
            &templates,
            now(),
        );
        assert_eq!(p.fan_out, vec![Channel::InApp, Channel::Email]);
        // A fanned-out row, or a retry, fans out nothing.
        let mut retry = row("booking.confirmed", "booking_confirmed", Channel::Push);
        retry.attempts = 2;
        assert!(plan(&retry, &context(), &templates, now()).fan_out.is_empty());
    }

    #[test]
    fn the_rows_own_channel_is_skipped_when_not_allowed_and_deferred_in_quiet_hours() {
        let templates = seeded_templates();
        let mut ctx = context();
        ctx.push_tokens.clear();
        let p = plan(
            &row("booking.created", "booking_created", Channel::Push),
            &ctx,
            &templates,
            now(),
        );
        assert_eq!(
            p.action,
            Action::Skip {
                reason: "no_address".into()
            }
        );
        assert_eq!(p.fan_out, vec![Channel::InApp]);
        // 23:30 IST with quiet hours 22:00-07:00: a non-urgent push waits until 07:00 IST.
        let mut ctx = context();
        ctx.preferences = Some(
            serde_json::from_value(json!({"quiet_hours_start": "22:00:00", "quiet_hours_end": "07:00:00"})).unwrap(),
        );
        let late: DateTime<Utc> = "2025-10-15T18:00:00Z".parse().unwrap();
        let p = plan(
            &row("booking.created", "booking_created", Channel::Push),
            &ctx,
            &templates,
            late,
        );
        assert_eq!(
            p.action,
            Action::Defer {
                until: "2025-10-16T01:30:00Z".parse().unwrap(),
                reason: DeferReason::QuietHours
            }
        );
        // In-app is never held back, and an urgent cancellation goes at once.
        let p = plan(
            &row("booking.created", "booking_created", Channel::InApp),
            &ctx,
            &templates,
            late,
        );
        assert!(matches!(p.action, Action::Send(_)));
        let p = plan(
            &row("booking.cancelled", "booking_cancelled", Channel::Push),
            &ctx,
            &templates,
            late,
        );
        assert!(matches!(p.action, Action::Send(_)));
    }

    #[test]
    fn a_message_missing_a_variable_is_dead_not_half_sent() {
        let templates = seeded_templates();
        let mut ctx = context();
        ctx.booking.as_mut().unwrap().remove("therapist_name");
        let p = plan(
            &row("booking.therapist_assigned", "therapist_assigned", Channel::Sms),
            &ctx,
            &templates,
            now(),
        );
        assert!(
            matches!(p.action, Action::Dead { ref code, .. } if code == "missing_variable"),
            "{p:?}"
        );
        let mut unknown = row("booking.created", "no_such_template", Channel::Email);
        unknown.event_type = "custom".into();
        let p = plan(&unknown, &ctx, &templates, now());
        assert!(
            matches!(p.action, Action::Dead { ref code, .. } if code == "invalid_template"),
            "{p:?}"
        );
    }

    #[test]
    fn sms_carries_its_dlt_ids_and_in_app_its_inbox_type() {
        let templates = seeded_templates();
        let p = plan(
            &row("payment.captured", "payment_received", Channel::Sms),
            &context(),
            &templates,
            now(),
        );
        let Action::Send(m) = p.action else { panic!("{p:?}") };
        let Message::Sms { to, sms, dlt_entity_id } = *m else {
            panic!()
        };
        assert_eq!(to, "+919812345678");
        assert_eq!(
            sms.body,
            "Payment of Rs 2,935.35 received for OMBARO booking OBO-20251015-0001. Thank you. -OMBARO"
        );
        assert_eq!(dlt_entity_id.as_deref(), Some("1101000000000000001"));
        let p = plan(
            &row("therapist_arrived", "therapist_arrived", Channel::InApp),
            &context(),
            &templates,
            now(),
        );
        let Action::Send(m) = p.action else { panic!() };
        let Message::InApp {
            inbox_type,
            push,
            channels,
        } = *m
        else {
            panic!()
        };
        assert_eq!(inbox_type, "therapist_arrived");
        assert_eq!(push.title, "Your therapist has arrived");
        assert_eq!(channels, vec![Channel::InApp, Channel::Push]);
    }
}
