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
