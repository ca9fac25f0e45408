//! Which of an event's channels a person may be sent on: their channel toggles
//! (`user_preferences`), their recorded consent per channel (`customer_preferences`, DPDP Act
//! 2023: specific, provable, withdrawable), the message's [`Category`] and the addresses
//! known for them.
//!
//! - in-app always goes to an account holder (it is their inbox, not an interruption);
//! - transactional messages (login codes, password resets, receipts) ignore the toggles;
//! - service messages go on the channels the person left on (`notify_*`); service-explicit
//!   ones also need that channel's recorded consent;
//! - promotional messages need marketing consent (`marketing_opt_in` with its time) and,
//!   for a customer, that channel's consent, none of it withdrawn since;
//! - WhatsApp always needs the person's opt-in (WhatsApp Business policy), whatever the
//!   category: `notify_whatsapp`, or the customer's WhatsApp consent.
//!
//! A consent counts when it is on, has its time, and no withdrawal
//! (`consent_withdrawn_at`) came at or after that time.

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::channel::{Category, Channel};

/// Preferences that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrefsError {
    #[error("unknown time zone {0:?}")]
    InvalidTimezone(String),
    #[error("quiet hours need both a start and an end")]
    HalfQuietHours,
    #[error("{0} is on without the time its consent was given")]
    ConsentWithoutTime(&'static str),
}

impl PrefsError {
    pub fn code(&self) -> &'static str {
        match self {
            PrefsError::InvalidTimezone(_) => "invalid_timezone",
            PrefsError::HalfQuietHours => "invalid_quiet_hours",
            PrefsError::ConsentWithoutTime(_) => "consent_without_time",
        }
    }
}

/// A `user_preferences` row as read (missing fields take the table's defaults).
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct UserPreferencesRow {
    pub timezone: String,
    pub notify_push: bool,
    pub notify_email: bool,
    pub notify_sms: bool,
    pub notify_whatsapp: bool,
    pub marketing_opt_in: bool,
    pub marketing_consent_at: Option<DateTime<Utc>>,
    pub quiet_hours_start: Option<NaiveTime>,
    pub quiet_hours_end: Option<NaiveTime>,
}

impl Default for UserPreferencesRow {
    fn default() -> Self {
        UserPreferencesRow {
            timezone: "Asia/Kolkata".into(),
            notify_push: true,
            notify_email: true,
            notify_sms: true,
            notify_whatsapp: false,
            marketing_opt_in: false,
            marketing_consent_at: None,
            quiet_hours_start: None,
            quiet_hours_end: None,
        }
    }
}

/// Quiet hours in the person's time zone, `[start, end)`; a start after the end crosses
/// midnight (22:00-07:00). Equal start and end hold nothing back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    /// Whether a local time of day is quiet.
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// A person's parsed `user_preferences`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "UserPreferencesRow")]
pub struct UserPreferences {
    pub timezone: Tz,
    pub notify_push: bool,
    pub notify_email: bool,
    pub notify_sms: bool,
    pub notify_whatsapp: bool,
    /// Marketing consent and when it was given (both or neither).
    pub marketing_consent_at: Option<DateTime<Utc>>,
    pub quiet_hours: Option<QuietHours>,
}

impl TryFrom<UserPreferencesRow> for UserPreferences {
    type Error = PrefsError;

    fn try_from(row: UserPreferencesRow) -> Result<Self, Self::Error> {
        let timezone: Tz = row
            .timezone
            .parse()
            .map_err(|_| PrefsError::InvalidTimezone(row.timezone.clone()))?;
        let quiet_hours = match (row.quiet_hours_start, row.quiet_hours_end) {
            (None, None) => None,
            (Some(start), Some(end)) => Some(QuietHours { start, end }),
            _ => return Err(PrefsError::HalfQuietHours),
        };
        let marketing_consent_at = match (row.marketing_opt_in, row.marketing_consent_at) {
            (true, None) => return Err(PrefsError::ConsentWithoutTime("marketing_opt_in")),
            (true, at) => at,
            (false, _) => None,
        };
        Ok(UserPreferences {
            timezone,
            notify_push: row.notify_push,
            notify_email: row.notify_email,
            notify_sms: row.notify_sms,
            notify_whatsapp: row.notify_whatsapp,
            marketing_consent_at,
            quiet_hours,
        })
    }
}

impl Default for UserPreferences {
    /// The table's defaults, for a person without a row.
    fn default() -> Self {
        UserPreferences::try_from(UserPreferencesRow::default()).expect("the defaults parse")
    }
}

impl UserPreferences {
    fn toggle(&self, channel: Channel) -> bool {
        match channel {
            Channel::Push => self.notify_push,
            Channel::Email => self.notify_email,
            Channel::Sms => self.notify_sms,
            Channel::Whatsapp => self.notify_whatsapp,
            Channel::InApp => true,
        }
    }
}

/// The consent columns of a `customer_preferences` row as read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerConsentRow {
    pub email_opt_in: bool,
    pub email_consent_at: Option<DateTime<Utc>>,
    pub sms_opt_in: bool,
    pub sms_consent_at: Option<DateTime<Utc>>,
    pub whatsapp_opt_in: bool,
    pub whatsapp_consent_at: Option<DateTime<Utc>>,
    pub push_opt_in: bool,
    pub push_consent_at: Option<DateTime<Utc>>,
    pub consent_withdrawn_at: Option<DateTime<Utc>>,
}

/// A customer's channel consents: when each was given, if it still stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CustomerConsentRow")]
pub struct CustomerConsent {
    email: Option<DateTime<Utc>>,
    sms: Option<DateTime<Utc>>,
    whatsapp: Option<DateTime<Utc>>,
    push: Option<DateTime<Utc>>,
    withdrawn_at: Option<DateTime<Utc>>,
}

impl TryFrom<CustomerConsentRow> for CustomerConsent {
    type Error = PrefsError;

    fn try_from(row: CustomerConsentRow) -> Result<Self, Self::Error> {
        let given = |on: bool, at: Option<DateTime<Utc>>, name: &'static str| match (on, at) {
            (true, None) => Err(PrefsError::ConsentWithoutTime(name)),
            (true, at) => Ok(at),
            (false, _) => Ok(None),
        };
        Ok(CustomerConsent {
            email: given(row.email_opt_in, row.email_consent_at, "email_opt_in")?,
            sms: given(row.sms_opt_in, row.sms_consent_at, "sms_opt_in")?,
            whatsapp: given(row.whatsapp_opt_in, row.whatsapp_consent_at, "whatsapp_opt_in")?,
            push: given(row.push_opt_in, row.push_consent_at, "push_opt_in")?,
            withdrawn_at: row.consent_withdrawn_at,
        })
    }
}

impl CustomerConsent {
    /// Whether consent on `channel` stands: given, and not withdrawn since.
    pub fn stands(&self, channel: Channel) -> bool {
        let given = match channel {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
            Channel::Whatsapp => self.whatsapp,
            Channel::Push => self.push,
            Channel::InApp => return true,
        };
        given.is_some_and(|g| self.withdrawn_at.is_none_or(|w| w < g))
    }

    fn withdrawn_since(&self, at: DateTime<Utc>) -> bool {
        self.withdrawn_at.is_some_and(|w| w >= at)
    }
}

/// The addresses known for the person: where each channel could reach them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// An account (an inbox for in-app notifications).
    pub account: bool,
    pub email: bool,
    pub mobile: bool,
    /// At least one registered push token.
    pub push_token: bool,
}

impl Reach {
    fn reaches(&self, channel: Channel) -> bool {
        match channel {
            Channel::InApp => self.account,
            Channel::Email => self.email,
            Channel::Sms | Channel::Whatsapp => self.mobile,
            Channel::Push => self.push_token,
        }
    }
}

/// Why a channel is left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// No address, number, token or account for it.
    NoAddress,
    /// The person turned the channel off.
    ChannelOff,
    /// WhatsApp without the person's opt-in.
    NotOptedIn,
    /// No standing consent on this channel.
    NoConsent,
    /// No standing marketing consent.
    NoMarketingConsent,
}

/// A channel left out and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub channel: Channel,
    pub reason: SkipReason,
}

/// The channels to send on, in the event's order, and those left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub send: Vec<Channel>,
    pub skipped: Vec<Skipped>,
}

/// Chooses among `channels` (the event's defaults, repeated ones once) for a person with
/// `prefs` (`None`: no `user_preferences` row, the table's defaults) and, for a customer,
/// `consent`.
pub fn choose(
    channels: &[Channel],
    category: Category,
    prefs: Option<&UserPreferences>,
    consent: Option<&CustomerConsent>,
    reach: &Reach,
) -> Choice {
    let defaults = UserPreferences::default();
    let prefs = prefs.unwrap_or(&defaults);
    let mut choice = Choice::default();
    for &channel in channels {
        if choice.send.contains(&channel) || choice.skipped.iter().any(|s| s.channel == channel) {
            continue;
        }
        match verdict(channel, category, prefs, consent, reach) {
            None => choice.send.push(channel),
            Some(reason) => choice.skipped.push(Skipped { channel, reason }),
        }
    }
    choice
}

fn verdict(
    channel: Channel,
    category: Category,
    prefs: &UserPreferences,
    consent: Option<&CustomerConsent>,
    reach: &Reach,
) -> Option<SkipReason> {
    if !reach.reaches(channel) {
        return Some(SkipReason::NoAddress);
    }
    if channel == Channel::InApp {
        return None;
    }
    let channel_consent = consent.is_some_and(|c| c.stands(channel));
    if channel == Channel::Whatsapp && !(prefs.notify_whatsapp || channel_consent) {
        return Some(SkipReason::NotOptedIn);
    }
    // WhatsApp's toggle is its opt-in, which the customer's WhatsApp consent also gives.
    let on = prefs.toggle(channel) || channel == Channel::Whatsapp;
    match category {
        Category::Transactional => None,
        Category::ServiceImplicit if !on => Some(SkipReason::ChannelOff),
        Category::ServiceImplicit => None,
        Category::ServiceExplicit if !on => Some(SkipReason::ChannelOff),
        Category::ServiceExplicit if !channel_consent => Some(SkipReason::NoConsent),
        Category::ServiceExplicit => None,
        Category::Promotional => {
            if !on {
                return Some(SkipReason::ChannelOff);
            }
            let marketing = prefs
                .marketing_consent_at
                .is_some_and(|at| !consent.is_some_and(|c| c.withdrawn_since(at)));
            if !marketing {
                Some(SkipReason::NoMarketingConsent)
            } else if consent.is_some() && !channel_consent {
                Some(SkipReason::NoConsent)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use Channel::{Email, InApp, Push, Sms, Whatsapp};

    const EVERYTHING: Reach = Reach {
        account: true,
        email: true,
        mobile: true,
        push_token: true,
    };
    const ALL: [Channel; 5] = [InApp, Push, Email, Sms, Whatsapp];

    fn prefs(v: serde_json::Value) -> UserPreferences {
        serde_json::from_value(v).unwrap()
    }

    fn consent(v: serde_json::Value) -> CustomerConsent {
        serde_json::from_value(v).unwrap()
    }

    fn skipped(choice: &Choice, channel: Channel) -> Option<SkipReason> {
        choice.skipped.iter().find(|s| s.channel == channel).map(|s| s.reason)
    }

    #[test]
    fn without_a_row_service_messages_use_the_table_defaults() {
        let c = choose(&ALL, Category::ServiceImplicit, None, None, &EVERYTHING);
        assert_eq!(c.send, vec![InApp, Push, Email, Sms]);
        assert_eq!(skipped(&c, Whatsapp), Some(SkipReason::NotOptedIn));
    }

    #[test]
    fn service_messages_respect_the_toggles_and_whatsapp_opt_in() {
        let p = prefs(json!({"notify_sms": false, "notify_push": false, "notify_whatsapp": true}));
        let c = choose(&ALL, Category::ServiceImplicit, Some(&p), None, &EVERYTHING);
        assert_eq!(c.send, vec![InApp, Email, Whatsapp]);
        assert_eq!(skipped(&c, Sms), Some(SkipReason::ChannelOff));
        // The customer's recorded WhatsApp consent is an opt-in too.
        let k = consent(json!({"whatsapp_opt_in": true, "whatsapp_consent_at": "2025-01-01T00:00:00Z"}));
        let c = choose(&[Whatsapp], Category::ServiceImplicit, None, Some(&k), &EVERYTHING);
        assert_eq!(c.send, vec![Whatsapp]);
    }

    #[test]
    fn transactional_messages_ignore_the_toggles_but_not_whatsapp_opt_in() {
        let p = prefs(json!({"notify_sms": false, "notify_email": false, "notify_push": false}));
        let c = choose(&ALL, Category::Transactional, Some(&p), None, &EVERYTHING);
        assert_eq!(c.send, vec![InApp, Push, Email, Sms]);
        assert_eq!(skipped(&c, Whatsapp), Some(SkipReason::NotOptedIn));
    }

    #[test]
    fn nothing_goes_where_there_is_no_address() {
        let reach = Reach {
            account: false,
            email: true,
            mobile: false,
            push_token: false,
        };
        let c = choose(&ALL, Category::Transactional, None, None, &reach);
        assert_eq!(c.send, vec![Email]);
        assert_eq!(skipped(&c, InApp), Some(SkipReason::NoAddress));
        assert_eq!(skipped(&c, Sms), Some(SkipReason::NoAddress));
        assert_eq!(c.skipped.len(), 4);
    }

    #[test]
    fn promotions_need_marketing_consent_and_the_channels_consent() {
        let none = choose(&ALL, Category::Promotional, None, None, &EVERYTHING);
        assert_eq!(none.send, vec![InApp]);
        assert_eq!(skipped(&none, Email), Some(SkipReason::NoMarketingConsent));
        let p = prefs(json!({"marketing_opt_in": true, "marketing_consent_at": "2025-03-01T10:00:00Z"}));
        // A user without a customer row: marketing consent is enough.
        let c = choose(&ALL, Category::Promotional, Some(&p), None, &EVERYTHING);
        assert_eq!(c.send, vec![InApp, Push, Email, Sms]);
        // A customer: each channel needs its own standing consent.
        let k = consent(json!({"email_opt_in": true, "email_consent_at": "2025-03-01T10:00:00Z"}));
        let c = choose(&ALL, Category::Promotional, Some(&p), Some(&k), &EVERYTHING);
        assert_eq!(c.send, vec![InApp, Email]);
        assert_eq!(skipped(&c, Sms), Some(SkipReason::NoConsent));
    }

    #[test]
    fn a_withdrawal_after_consent_revokes_it_a_later_consent_stands() {
        let p = prefs(json!({"marketing_opt_in": true, "marketing_consent_at": "2025-03-01T10:00:00Z"}));
        let withdrawn = consent(json!({
            "email_opt_in": true, "email_consent_at": "2025-03-01T10:00:00Z",
            "consent_withdrawn_at": "2025-04-01T10:00:00Z"
        }));
        assert!(!withdrawn.stands(Email));
        let c = choose(&[Email], Category::Promotional, Some(&p), Some(&withdrawn), &EVERYTHING);
        assert_eq!(skipped(&c, Email), Some(SkipReason::NoMarketingConsent));
        let again = consent(json!({
            "email_opt_in": true, "email_consent_at": "2025-05-01T10:00:00Z",
            "consent_withdrawn_at": "2025-04-01T10:00:00Z"
        }));
        assert!(again.stands(Email));
        let p2 = prefs(json!({"marketing_opt_in": true, "marketing_consent_at": "2025-05-01T10:00:00Z"}));
        let c = choose(&[Email], Category::Promotional, Some(&p2), Some(&again), &EVERYTHING);
        assert_eq!(c.send, vec![Email]);
    }

    #[test]
    fn service_explicit_needs_the_channels_consent() {
        let k = consent(json!({"sms_opt_in": true, "sms_consent_at": "2025-01-01T00:00:00Z"}));
        let c = choose(
            &[Sms, Email, Sms],
            Category::ServiceExplicit,
            None,
            Some(&k),
            &EVERYTHING,
        );
        assert_eq!(c.send, vec![Sms]);
        assert_eq!(
            c.skipped,
            vec![Skipped {
                channel: Email,
                reason: SkipReason::NoConsent
            }]
        );
    }

    #[test]
    fn rows_that_break_the_tables_rules_do_not_parse() {
        let e =
            |v: serde_json::Value| UserPreferences::try_from(serde_json::from_value::<UserPreferencesRow>(v).unwrap());
        assert_eq!(
            e(json!({"timezone": "Mars/Olympus"})).unwrap_err().code(),
            "invalid_timezone"
        );
        assert_eq!(
            e(json!({"quiet_hours_start": "22:00:00"})).unwrap_err().code(),
            "invalid_quiet_hours"
        );
        assert_eq!(
            e(json!({"marketing_opt_in": true})).unwrap_err().code(),
            "consent_without_time"
        );
        let k = CustomerConsent::try_from(CustomerConsentRow {
            push_opt_in: true,
            ..Default::default()
        });
        assert_eq!(k.unwrap_err().code(), "consent_without_time");
        let p = e(json!({"timezone": "Asia/Dubai", "quiet_hours_start": "22:00:00", "quiet_hours_end": "07:00:00"}))
            .unwrap();
        assert_eq!(p.timezone, chrono_tz::Asia::Dubai);
        assert!(p.quiet_hours.is_some());
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        let night = QuietHours {
            start: t("22:00"),
            end: t("07:00"),
        };
        assert!(night.contains(t("22:00")) && night.contains(t("23:59")) && night.contains(t("06:59")));
        assert!(!night.contains(t("07:00")) && !night.contains(t("21:59")));
        let nap = QuietHours {
            start: t("13:00"),
            end: t("15:00"),
        };
        assert!(nap.contains(t("13:00")) && !nap.contains(t("15:00")) && !nap.contains(t("12:59")));
        let none = QuietHours {
            start: t("09:00"),
            end: t("09:00"),
        };
        assert!(!none.contains(t("09:00")) && !none.contains(t("03:00")));
    }
}
