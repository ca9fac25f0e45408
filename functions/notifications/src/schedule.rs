//! When a message may go: now, or deferred to the first instant that is outside the person's
//! quiet hours (in their time zone) and, for promotional SMS, within TRAI's window of
//! 10:00-21:00 IST. Transactional messages, urgent ones and in-app notifications are never
//! held back by quiet hours; transactional and service SMS go at any hour.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::channel::{Category, Channel};
use crate::prefs::QuietHours;

/// Promotional SMS may go from 10:00 (inclusive) ...
pub const PROMOTIONAL_SMS_FROM: NaiveTime = match NaiveTime::from_hms_opt(10, 0, 0) {
    Some(t) => t,
    None => panic!(),
};
/// ... until 21:00 (exclusive), India Standard Time.
pub const PROMOTIONAL_SMS_UNTIL: NaiveTime = match NaiveTime::from_hms_opt(21, 0, 0) {
    Some(t) => t,
    None => panic!(),
};

/// A message that can never go.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("the quiet hours leave no time within 10:00-21:00 IST for promotional SMS")]
    NoWindow,
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::NoWindow => "no_window",
        }
    }
}

/// Why a message waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeferReason {
    QuietHours,
    PromotionalWindow,
}

/// Send now, or not before `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum When {
    Now,
    Defer { until: DateTime<Utc>, reason: DeferReason },
}

/// What is being scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub channel: Channel,
    pub category: Category,
    /// Cannot wait (the therapist is arriving, a booking starts within the hour).
    pub urgent: bool,
}

/// When the message may go, judged at `now` for a person in `tz` with `quiet` hours.
pub fn schedule(now: DateTime<Utc>, timing: Timing, tz: Tz, quiet: Option<QuietHours>) -> Result<When, ScheduleError> {
    let quiet = quiet
        .filter(|_| !timing.urgent && timing.category != Category::Transactional && timing.channel != Channel::InApp);
    let promotional_sms = timing.channel == Channel::Sms && timing.category == Category::Promotional;
    let mut at = now;
    let mut reason = None;
    // Each step moves to the end of a quiet spell or the next window's opening; a few steps
    // settle any real pair of windows, and a pair that never overlaps never settles.
    for _ in 0..8 {
        if let Some(q) = quiet {
            let local = at.with_timezone(&tz).naive_local();
            if q.contains(local.time()) {
                at = quiet_end(q, local, tz);
                reason = Some(DeferReason::QuietHours);
                continue;
            }
        }
        if promotional_sms {
            let ist = at.with_timezone(&chrono_tz::Asia::Kolkata).naive_local();
            let t = ist.time();
            if !(PROMOTIONAL_SMS_FROM..PROMOTIONAL_SMS_UNTIL).contains(&t) {
                let day = if t >= PROMOTIONAL_SMS_UNTIL {
                    ist.date().succ_opt().expect("a date after today")
                } else {
                    ist.date()
                };
                at = instant(chrono_tz::Asia::Kolkata, day.and_time(PROMOTIONAL_SMS_FROM));
                reason = Some(DeferReason::PromotionalWindow);
                continue;
            }
        }
        return Ok(match reason {
            None => When::Now,
            Some(reason) => When::Defer { until: at, reason },
        });
    }
    Err(ScheduleError::NoWindow)
}

/// The end of the quiet spell holding `local`.
fn quiet_end(q: QuietHours, local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let day: NaiveDate = if q.start > q.end && local.time() >= q.start {
        local.date().succ_opt().expect("a date after today")
    } else {
        local.date()
    };
    instant(tz, day.and_time(q.end))
}

/// The instant of a local time; in a daylight-saving gap, the first instant after it.
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    loop {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += Duration::minutes(15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn hours(start: &str, end: &str) -> Option<QuietHours> {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        Some(QuietHours {
            start: t(start),
            end: t(end),
        })
    }

    const SERVICE_PUSH: Timing = Timing {
        channel: Channel::Push,
        category: Category::ServiceImplicit,
        urgent: false,
    };
    const PROMO_SMS: Timing = Timing {
        channel: Channel::Sms,
        category: Category::Promotional,
        urgent: false,
    };
    const IST: Tz = chrono_tz::Asia::Kolkata;

    #[test]
    fn outside_quiet_hours_it_goes_now() {
        // 12:00 IST.
        let when = schedule(utc("2025-10-15T06:30:00Z"), SERVICE_PUSH, IST, hours("22:00", "07:00"));
        assert_eq!(when, Ok(When::Now));
        assert_eq!(
            schedule(utc("2025-10-15T20:00:00Z"), SERVICE_PUSH, IST, None),
            Ok(When::Now)
        );
    }

    #[test]
    fn quiet_hours_across_midnight_defer_to_their_end_in_the_persons_zone() {
        // 23:30 IST on the 15th: until 07:00 IST on the 16th.
        let when = schedule(utc("2025-10-15T18:00:00Z"), SERVICE_PUSH, IST, hours("22:00", "07:00"));
        assert_eq!(
            when,
            Ok(When::Defer {
                until: utc("2025-10-16T01:30:00Z"),
                reason: DeferReason::QuietHours
            })
        );
        // 05:00 IST on the 16th: until 07:00 the same morning.
        let when = schedule(utc("2025-10-15T23:30:00Z"), SERVICE_PUSH, IST, hours("22:00", "07:00"));
        assert_eq!(
            when,
            Ok(When::Defer {
                until: utc("2025-10-16T01:30:00Z"),
                reason: DeferReason::QuietHours
            })
        );
        // The same instant for someone in London (00:30 BST): until 07:00 BST = 06:00Z.
        let london = chrono_tz::Europe::London;
        let when = schedule(
            utc("2025-10-15T23:30:00Z"),
            SERVICE_PUSH,
            london,
            hours("22:00", "07:00"),
        );
        assert_eq!(
            when,
            Ok(When::Defer {
                until: utc("2025-10-16T06:00:00Z"),
                reason: DeferReason::QuietHours
            })
        );
    }

    #[test]
    fn transactional_urgent_and_in_app_ignore_quiet_hours() {
        let night = utc("2025-10-15T18:00:00Z"); // 23:30 IST
        let quiet = hours("22:00", "07:00");
        for timing in [
            Timing {
                category: Category::Transactional,
                ..SERVICE_PUSH
            },
            Timing {
                urgent: true,
                ..SERVICE_PUSH
            },
            Timing {
                channel: Channel::InApp,
                ..SERVICE_PUSH
            },
            Timing {
                channel: Channel::Sms,
                category: Category::Transactional,
                urgent: false,
            },
        ] {
            assert_eq!(schedule(night, timing, IST, quiet), Ok(When::Now), "{timing:?}");
        }
    }

    #[test]
    fn promotional_sms_goes_only_between_10_and_21_ist() {
        // 09:59 IST: until 10:00 IST.
        assert_eq!(
            schedule(utc("2025-10-15T04:29:00Z"), PROMO_SMS, IST, None),
            Ok(When::Defer {
                until: utc("2025-10-15T04:30:00Z"),
                reason: DeferReason::PromotionalWindow
            })
        );
        // 10:00 and 20:59 IST: now.
        assert_eq!(
            schedule(utc("2025-10-15T04:30:00Z"), PROMO_SMS, IST, None),
            Ok(When::Now)
        );
        assert_eq!(
            schedule(utc("2025-10-15T15:29:59Z"), PROMO_SMS, IST, None),
            Ok(When::Now)
        );
        // 21:00 IST: until 10:00 IST tomorrow.
        assert_eq!(
            schedule(utc("2025-10-15T15:30:00Z"), PROMO_SMS, IST, None),
            Ok(When::Defer {
                until: utc("2025-10-16T04:30:00Z"),
                reason: DeferReason::PromotionalWindow
            })
        );
        // The window is IST's whatever the person's zone; a promotional email is not bound by it.
        let ny = chrono_tz::America::New_York;
        assert!(matches!(
            schedule(utc("2025-10-15T16:00:00Z"), PROMO_SMS, ny, None),
            Ok(When::Defer { .. })
        ));
        let promo_email = Timing {
            channel: Channel::Email,
            ..PROMO_SMS
        };
        assert_eq!(
            schedule(utc("2025-10-15T16:00:00Z"), promo_email, IST, None),
            Ok(When::Now)
        );
    }

    #[test]
    fn both_rules_together_find_the_first_instant_satisfying_each() {
        // 21:30 IST, quiet 09:00-11:00 IST: the window opens at 10:00 tomorrow, which is quiet,
        // so 11:00 IST tomorrow.
        let when = schedule(utc("2025-10-15T16:00:00Z"), PROMO_SMS, IST, hours("09:00", "11:00"));
        assert_eq!(
            when,
            Ok(When::Defer {
                until: utc("2025-10-16T05:30:00Z"),
                reason: DeferReason::QuietHours
            })
        );
        // Quiet hours covering the whole window: never.
        let never = schedule(utc("2025-10-15T16:00:00Z"), PROMO_SMS, IST, hours("09:00", "22:00"));
        assert_eq!(never.unwrap_err().code(), "no_window");
    }

    #[test]
    fn a_quiet_end_in_a_daylight_saving_gap_moves_past_the_gap() {
        // New York springs forward at 02:00 on 9 March 2025; quiet hours ending 02:30 end at 03:00 EDT.
        let ny = chrono_tz::America::New_York;
        let now = utc("2025-03-09T06:30:00Z"); // 01:30 EST
        assert_eq!(
            schedule(now, SERVICE_PUSH, ny, hours("23:00", "02:30")),
            Ok(When::Defer {
                until: utc("2025-03-09T07:00:00Z"),
                reason: DeferReason::QuietHours
            })
        );
    }
}
