//! A batch of GPS fixes folded into an assignment's track.
//!
//! Phones report noise: fixes hundreds of metres off with a large accuracy radius, sudden
//! jumps when the fix switches between GPS and cell towers, and a slow wander of a few metres
//! while standing still. Summing raw segments turns a 5 km ride into 8 km and a wait at the
//! door into a walk. So each fix, in `recorded_at` order, is judged against the last fix
//! that moved the track (the *anchor*):
//!
//! 1. accuracy worse than [`Settings::max_accuracy_m`]: ignored ([`Verdict::Inaccurate`]);
//! 2. not newer than the track's last fix (a duplicate, or a late fix of a stretch already
//!    counted): stored for the trail, not counted ([`Verdict::NotNewer`]);
//! 3. a jump implying more than [`Settings::max_speed_kmh`] from the anchor: dropped
//!    ([`Verdict::TooFast`]);
//! 4. closer to the anchor than the larger of the two accuracy radii: the therapist may not
//!    have moved at all, so nothing is added and the anchor stays ([`Verdict::Stationary`]);
//!    slow real movement still counts once it exceeds the radius, measured from the anchor;
//! 5. otherwise the segment counts ([`Verdict::Moved`]): distance, and the smoothed speed.
//!
//! Accepted fixes ([`Verdict::is_accepted`]: moved or stationary) feed the arrival geofence:
//! [`Settings::arrival_fixes`] consecutive accepted fixes within
//! [`Settings::arrival_radius_m`] of the destination is an arrival, reported once.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    geo::{distance_m, Point},
    settings::Settings,
};

/// One GPS fix as the therapist app sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub latitude: f64,
    pub longitude: f64,
    /// Accuracy radius, metres.
    pub accuracy: f64,
    /// km/h, as the device reports it.
    #[serde(default)]
    pub speed: Option<f64>,
    /// Degrees clockwise from north, [0, 360).
    #[serde(default)]
    pub heading: Option<f64>,
    /// Metres above sea level.
    #[serde(default)]
    pub altitude: Option<f64>,
    /// Percent.
    #[serde(default)]
    pub battery_level: Option<i32>,
    pub recorded_at: DateTime<Utc>,
}

/// Why a fix is refused outright (the whole batch is then refused: nothing is stored).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("fix {0}: latitude must be within [-90, 90] and longitude within [-180, 180]")]
    Coordinates(usize),
    #[error("fix {0}: accuracy must be a number of metres from 0 to 100000")]
    Accuracy(usize),
    #[error("fix {0}: speed must be a number of km/h from 0 to 1000")]
    Speed(usize),
    #[error("fix {0}: heading must be within [0, 360)")]
    Heading(usize),
    #[error("fix {0}: altitude must be within [-1000, 100000] metres")]
    Altitude(usize),
    #[error("fix {0}: battery_level must be a percentage from 0 to 100")]
    Battery(usize),
    #[error("fix {0}: recorded_at is in the future")]
    Future(usize),
    #[error("fix {0}: recorded_at is more than 24 hours old")]
    TooOld(usize),
    #[error("a batch holds 1 to {MAX_BATCH} fixes")]
    BatchSize,
}

impl FixError {
    pub fn code(&self) -> &'static str {
        match self {
            FixError::Coordinates(_) => "invalid_coordinates",
            FixError::Accuracy(_) => "invalid_accuracy",
            FixError::Speed(_) => "invalid_speed",
            FixError::Heading(_) => "invalid_heading",
            FixError::Altitude(_) => "invalid_altitude",
            FixError::Battery(_) => "invalid_battery_level",
            FixError::Future(_) => "recorded_in_future",
            FixError::TooOld(_) => "recorded_too_long_ago",
            FixError::BatchSize => "invalid_batch_size",
        }
    }
}

/// Most fixes in one request.
pub const MAX_BATCH: usize = 100;
/// A device clock this far ahead of ours is still "now" (phones drift by seconds).
pub const CLOCK_SKEW: Duration = Duration::seconds(30);
/// Oldest fix accepted: what the partitions keep.
pub const MAX_AGE: Duration = Duration::hours(24);

impl Fix {
    pub fn point(&self) -> Point {
        Point::new(self.latitude, self.longitude)
    }

    /// Ranges checked; `index` names the fix in the error.
    pub fn validate(&self, index: usize, now: DateTime<Utc>) -> Result<(), FixError> {
        let within = |v: f64, lo: f64, hi: f64| v.is_finite() && v >= lo && v <= hi;
        if !self.point().is_valid() {
            return Err(FixError::Coordinates(index));
        }
        if !within(self.accuracy, 0.0, 100_000.0) {
            return Err(FixError::Accuracy(index));
        }
        if self.speed.is_some_and(|s| !within(s, 0.0, 1000.0)) {
            return Err(FixError::Speed(index));
        }
        if self
            .heading
            .is_some_and(|h| !(h.is_finite() && (0.0..360.0).contains(&h)))
        {
            return Err(FixError::Heading(index));
        }
        if self.altitude.is_some_and(|a| !within(a, -1000.0, 100_000.0)) {
            return Err(FixError::Altitude(index));
        }
        if self.battery_level.is_some_and(|b| !(0..=100).contains(&b)) {
            return Err(FixError::Battery(index));
        }
        if self.recorded_at > now + CLOCK_SKEW {
            return Err(FixError::Future(index));
        }
        if self.recorded_at < now - MAX_AGE {
            return Err(FixError::TooOld(index));
        }
        Ok(())
    }
}

/// Checks a whole batch: 1 to [`MAX_BATCH`] fixes, each within range.
pub fn validate_batch(fixes: &[Fix], now: DateTime<Utc>) -> Result<(), FixError> {
    if fixes.is_empty() || fixes.len() > MAX_BATCH {
        return Err(FixError::BatchSize);
    }
    fixes.iter().enumerate().try_for_each(|(i, f)| f.validate(i, now))
}

/// A fix the track remembers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy: f64,
    pub at: DateTime<Utc>,
}

impl TrackPoint {
    pub fn point(&self) -> Point {
        Point::new(self.latitude, self.longitude)
    }
}

/// What an assignment's track carries from one batch to the next (stored as JSON with the
/// assignment).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrackState {
    /// The fix distance is measured from: the last one that moved the track.
    pub anchor: Option<TrackPoint>,
    /// The newest accepted fix (moved or stationary): the therapist's position.
    pub last: Option<TrackPoint>,
    /// First accepted fix: when travel started.
    pub started_at: Option<DateTime<Utc>>,
    /// Distance counted so far, metres.
    pub distance_m: f64,
    /// Smoothed speed over counted segments, metres per second.
    pub speed_mps: Option<f64>,
    /// Counted segments so far.
    pub moving_segments: u32,
    /// Whether the newest accepted fix was judged stationary.
    pub stationary: bool,
    /// Consecutive accepted fixes inside the arrival geofence.
    pub inside: u32,
    /// When the geofence saw the arrival (set once).
    pub arrived_at: Option<DateTime<Utc>>,
}

impl TrackState {
    /// Seconds from the first accepted fix to the newest, rounded down.
    pub fn travel_seconds(&self) -> i64 {
        match (self.started_at, self.last) {
            (Some(start), Some(last)) => (last.at - start).num_seconds().max(0),
            _ => 0,
        }
    }
}

/// What happened to one fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Counted: distance added.
    Moved,
    /// Accepted, but within the accuracy of the anchor: no distance.
    Stationary,
    /// Accuracy worse than the setting.
    Inaccurate,
    /// Implies a speed above the setting.
    TooFast,
    /// Not newer than the track's newest fix (duplicate or late).
    NotNewer,
}

impl Verdict {
    /// Accepted fixes are the therapist's position and feed the geofence.
    pub fn is_accepted(self) -> bool {
        matches!(self, Verdict::Moved | Verdict::Stationary)
    }

    /// Whether the therapist was moving at this fix (stored with it).
    pub fn is_moving(self) -> bool {
        self == Verdict::Moved
    }
}

/// The track after a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advance {
    pub state: TrackState,
    /// One verdict per input fix, in the input's order.
    pub verdicts: Vec<Verdict>,
    /// True when this batch completed the arrival (never again after).
    pub arrived: bool,
}

/// Folds `fixes` (any order; judged in `recorded_at` order) into `state`. `destination` is
/// the service address; without one there is no geofence.
pub fn advance(state: &TrackState, fixes: &[Fix], destination: Option<Point>, settings: &Settings) -> Advance {
    let mut state = state.clone();
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&i| fixes[i].recorded_at);
    let mut verdicts = vec![Verdict::NotNewer; fixes.len()];
    let mut arrived = false;

    for i in order {
        let fix = &fixes[i];
        let verdict = judge(&state, fix, settings);
        verdicts[i] = verdict;
        let here = TrackPoint {
            latitude: fix.latitude,
            longitude: fix.longitude,
            accuracy: fix.accuracy,
            at: fix.recorded_at,
        };
        match verdict {
            Verdict::Moved => {
                if let Some(anchor) = state.anchor {
                    let d = distance_m(anchor.point(), here.point());
                    let dt = (here.at - anchor.at).num_milliseconds() as f64 / 1000.0;
                    state.distance_m += d;
                    state.moving_segments += 1;
                    if dt > 0.0 {
                        let v = d / dt;
                        let a = settings.speed_smoothing.clamp(0.0, 1.0);
                        state.speed_mps = Some(match state.speed_mps {
                            Some(prev) => a * v + (1.0 - a) * prev,
                            None => v,
                        });
                    }
                }
                state.anchor = Some(here);
                state.stationary = false;
            }
            Verdict::Stationary => state.stationary = true,
            _ => {}
        }
        if verdict.is_accepted() {
            if state.started_at.is_none() {
                state.started_at = Some(here.at);
            }
            state.last = Some(here);
            if let Some(dest) = destination {
                if distance_m(here.point(), dest) <= settings.arrival_radius_m {
                    state.inside += 1;
                } else {
                    state.inside = 0;
                }
                if state.arrived_at.is_none() && state.inside >= settings.arrival_fixes.max(1) {
                    state.arrived_at = Some(here.at);
                    arrived = true;
                }
            }
        }
    }
    Advance {
        state,
        verdicts,
        arrived,
    }
}

fn judge(state: &TrackState, fix: &Fix, settings: &Settings) -> Verdict {
    // NaN never passes (validation refuses it first anyway).
    if fix.accuracy.is_nan() || fix.accuracy > settings.max_accuracy_m {
        return Verdict::Inaccurate;
    }
    if state.last.is_some_and(|last| fix.recorded_at <= last.at) {
        return Verdict::NotNewer;
    }
    let Some(anchor) = state.anchor else {
        // The first accurate fix starts the track.
        return Verdict::Moved;
    };
    let d = distance_m(anchor.point(), fix.point());
    let dt = (fix.recorded_at - anchor.at).num_milliseconds() as f64 / 1000.0;
    if d < anchor.accuracy.max(fix.accuracy) {
        return Verdict::Stationary;
    }
    if dt <= 0.0 || d / dt * 3.6 > settings.max_speed_kmh {
        return Verdict::TooFast;
    }
    Verdict::Moved
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn fix(lat: f64, lon: f64, acc: f64, s: i64) -> Fix {
        Fix {
            latitude: lat,
            longitude: lon,
            accuracy: acc,
            speed: None,
            heading: None,
            altitude: None,
            battery_level: None,
            recorded_at: t(s),
        }
    }

    /// Metres north of (12.9716, 77.5946) as latitude.
    fn north(m: f64) -> f64 {
        12.9716 + m / 111_195.0
    }

    #[test]
    fn a_straight_ride_counts_its_length() {
        let fixes: Vec<Fix> = (0..=10)
            .map(|i| fix(north(i as f64 * 100.0), 77.5946, 10.0, i * 20))
            .collect();
        let a = advance(&TrackState::default(), &fixes, None, &Settings::default());
        assert!((a.state.distance_m - 1000.0).abs() < 1.0, "{}", a.state.distance_m);
        assert_eq!(a.state.travel_seconds(), 200);
        // 100 m per 20 s = 5 m/s.
        assert!((a.state.speed_mps.unwrap() - 5.0).abs() < 0.01);
        assert!(a.verdicts.iter().all(|v| *v == Verdict::Moved));
    }

    #[test]
    fn noise_is_filtered() {
        let s = Settings::default();
        let fixes = vec![
            fix(north(0.0), 77.5946, 10.0, 0),
            // 300 m off with an accuracy of 400 m: ignored.
            fix(north(300.0), 77.5946, 400.0, 10),
            // 5 km in 10 s (1800 km/h): dropped.
            fix(north(5000.0), 77.5946, 10.0, 20),
            // 8 m of jitter with 15 m accuracy: stationary.
            fix(north(8.0), 77.5946, 15.0, 30),
            fix(north(3.0), 77.5946, 12.0, 40),
            // Then a real 200 m move.
            fix(north(200.0), 77.5946, 10.0, 80),
        ];
        let a = advance(&TrackState::default(), &fixes, None, &s);
        assert_eq!(
            a.verdicts,
            vec![
                Verdict::Moved,
                Verdict::Inaccurate,
                Verdict::TooFast,
                Verdict::Stationary,
                Verdict::Stationary,
                Verdict::Moved
            ]
        );
        assert!((a.state.distance_m - 200.0).abs() < 0.5, "{}", a.state.distance_m);
    }

    #[test]
    fn out_of_order_fixes_are_ordered_and_duplicates_not_counted() {
        let s = Settings::default();
        let mut fixes: Vec<Fix> = (0..5)
            .map(|i| fix(north(i as f64 * 100.0), 77.5946, 10.0, i * 30))
            .collect();
        fixes.reverse();
        fixes.push(fixes[0].clone());
        let a = advance(&TrackState::default(), &fixes, None, &s);
        assert!((a.state.distance_m - 400.0).abs() < 0.5);
        assert_eq!(a.verdicts[5], Verdict::NotNewer);
        // The same batch again changes nothing.
        let b = advance(&a.state, &fixes, None, &s);
        assert_eq!(b.state, a.state);
        assert!(b.verdicts.iter().all(|v| *v == Verdict::NotNewer));
    }

    #[test]
    fn arrival_needs_two_consecutive_fixes_inside_and_is_reported_once() {
        let s = Settings::default();
        let dest = Point::new(north(1000.0), 77.5946);
        let first = vec![
            fix(north(800.0), 77.5946, 10.0, 0),
            fix(north(950.0), 77.5946, 10.0, 30), // inside (50 m)
            fix(north(850.0), 77.5946, 10.0, 60), // out again
            fix(north(960.0), 77.5946, 10.0, 90), // inside
        ];
        let a = advance(&TrackState::default(), &first, Some(dest), &s);
        assert!(!a.arrived);
        assert_eq!(a.state.inside, 1);
        let b = advance(&a.state, &[fix(north(990.0), 77.5946, 10.0, 120)], Some(dest), &s);
        assert!(b.arrived);
        assert_eq!(b.state.arrived_at, Some(t(120)));
        let c = advance(&b.state, &[fix(north(1000.0), 77.5946, 10.0, 150)], Some(dest), &s);
        assert!(!c.arrived);
        assert_eq!(c.state.arrived_at, Some(t(120)));
    }

    #[test]
    fn an_inaccurate_fix_inside_the_fence_does_not_arrive() {
        let s = Settings::default();
        let dest = Point::new(north(0.0), 77.5946);
        let fixes = vec![fix(north(0.0), 77.5946, 80.0, 0), fix(north(10.0), 77.5946, 90.0, 30)];
        let a = advance(&TrackState::default(), &fixes, Some(dest), &s);
        assert!(!a.arrived);
        assert_eq!(a.state.last, None);
    }

    #[test]
    fn validation() {
        let now = t(0);
        let ok = fix(12.0, 77.0, 5.0, -60);
        assert_eq!(ok.validate(0, now), Ok(()));
        let mut bad = ok.clone();
        bad.latitude = 91.0;
        assert_eq!(bad.validate(3, now).unwrap_err(), FixError::Coordinates(3));
        let mut bad = ok.clone();
        bad.accuracy = -1.0;
        assert_eq!(bad.validate(0, now).unwrap_err().code(), "invalid_accuracy");
        let mut bad = ok.clone();
        bad.heading = Some(360.0);
        assert_eq!(bad.validate(0, now).unwrap_err().code(), "invalid_heading");
        let mut bad = ok.clone();
        bad.battery_level = Some(101);
        assert_eq!(bad.validate(0, now).unwrap_err().code(), "invalid_battery_level");
        let mut bad = ok.clone();
        bad.recorded_at = now + Duration::minutes(5);
        assert_eq!(bad.validate(0, now).unwrap_err().code(), "recorded_in_future");
        let mut bad = ok.clone();
        bad.recorded_at = now - Duration::hours(25);
        assert_eq!(bad.validate(0, now).unwrap_err().code(), "recorded_too_long_ago");
        assert_eq!(validate_batch(&[], now).unwrap_err(), FixError::BatchSize);
        assert_eq!(validate_batch(&vec![ok; 101], now).unwrap_err(), FixError::BatchSize);
    }
}
