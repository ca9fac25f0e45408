//! Delivery channels and message categories.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A way of reaching a person; the names are `notification_queue.channel`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Push,
    Email,
    Sms,
    Whatsapp,
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Push,
        Channel::Email,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::InApp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Push => "push",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::InApp => "in_app",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a channel.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(pub String);

impl UnknownChannel {
    pub fn code(&self) -> &'static str {
        "unknown_channel"
    }
}

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

/// What a message is, in the categories of TRAI's Telecom Commercial Communications Customer
/// Preference Regulations, 2018 (TCCCPR) and the DLT templates registered under them; the
/// names are `sms_logs.message_type`'s. The category decides the consent a message needs
/// ([`crate::prefs`]) and when it may go ([`crate::schedule`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Must reach the person whatever their channel toggles: login codes, password resets,
    /// payment receipts. Any hour, no quiet hours.
    Transactional,
    /// Service messages about something the person did (their booking): sent on the
    /// channels they have left on.
    ServiceImplicit,
    /// Service messages that need the person's explicit consent on that channel.
    ServiceExplicit,
    /// Marketing: only with recorded marketing consent, and SMS only within TRAI's window.
    Promotional,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Transactional => "transactional",
            Category::ServiceImplicit => "service_implicit",
            Category::ServiceExplicit => "service_explicit",
            Category::Promotional => "promotional",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip_through_str_and_json() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(c.to_string(), c.as_str());
        }
        let err = "fax".parse::<Channel>().unwrap_err();
        assert_eq!(err.code(), "unknown_channel");
    }

    #[test]
    fn category_names_are_the_sms_log_message_types() {
        for (c, name) in [
            (Category::Transactional, "transactional"),
            (Category::ServiceImplicit, "service_implicit"),
            (Category::ServiceExplicit, "service_explicit"),
            (Category::Promotional, "promotional"),
        ] {
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
            assert_eq!(serde_json::from_value::<Category>(name.into()).unwrap(), c);
        }
    }
}
