//! When the therapist will arrive, and how that was worked out.
//!
//! Remaining distance is the great-circle distance from the newest accepted fix to the
//! service address times the city's road factor (roads are not straight). The speed is the
//! smoothed speed of recent counted segments once there are enough of them; when the
//! therapist has just started, is standing still (a red light, a wait for a lift) or the
//! signal is lost, the city's default speed for the local hour is used instead, so that a
//! stop does not make the ETA infinite and a first noisy segment does not make it absurd.

use chrono::{DateTime, Duration, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    geo::{distance_m, Point},
    settings::Settings,
    track::TrackState,
};

/// How an ETA was estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EtaMethod {
    /// Smoothed recent moving speed.
    MovingSpeed,
    /// The city's default speed for the hour: just started or standing still.
    CityDefault,
    /// No fix for longer than the staleness limit: from the last known position at the
    /// city's default speed.
    SignalLost,
    /// The geofence saw the arrival.
    Arrived,
    /// No position yet (or no address): nothing to estimate from.
    NoFix,
}

/// What [`estimate`] needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EtaInput {
    #[serde(default)]
    pub track: TrackState,
    pub destination: Option<Point>,
    pub now: DateTime<Utc>,
    #[serde(default)]
    pub settings: Option<Settings>,
}

/// An estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eta {
    /// Road distance still to go, metres (rounded).
    pub distance_remaining_m: Option<i64>,
    pub eta_seconds: Option<i64>,
    pub eta_at: Option<DateTime<Utc>>,
    pub method: EtaMethod,
    /// Seconds since the newest accepted fix.
    pub last_fix_age_seconds: Option<i64>,
    /// Whether the signal counts as lost.
    pub signal_lost: bool,
    /// The speed used, km/h.
    pub speed_kmh: Option<f64>,
}

/// Whether a track whose newest fix was taken at `last` has lost its signal at `now`.
pub fn is_stale(last: Option<DateTime<Utc>>, now: DateTime<Utc>, settings: &Settings) -> bool {
    last.is_none_or(|at| now - at > Duration::seconds(settings.stale_after_seconds))
}

/// The city's default speed at `now`, km/h.
pub fn default_speed_kmh(now: DateTime<Utc>, settings: &Settings) -> f64 {
    let local = now + Duration::minutes(settings.utc_offset_minutes as i64);
    settings.default_speed_kmh[local.hour() as usize % 24]
}

/// The ETA of a track to `destination` at `now`.
pub fn estimate(track: &TrackState, destination: Option<Point>, now: DateTime<Utc>, settings: &Settings) -> Eta {
    let age = track.last.map(|l| (now - l.at).num_seconds().max(0));
    let signal_lost = track.last.is_some() && is_stale(track.last.map(|l| l.at), now, settings);
    let none = |method| Eta {
        distance_remaining_m: None,
        eta_seconds: None,
        eta_at: None,
        method,
        last_fix_age_seconds: age,
        signal_lost,
        speed_kmh: None,
    };
    if track.arrived_at.is_some() {
        return Eta {
            distance_remaining_m: Some(0),
            eta_seconds: Some(0),
            eta_at: track.arrived_at,
            ..none(EtaMethod::Arrived)
        };
    }
    let (Some(last), Some(dest)) = (track.last, destination) else {
        return none(EtaMethod::NoFix);
    };
    let remaining = distance_m(last.point(), dest) * settings.road_factor;
    let city = default_speed_kmh(now, settings);
    let trusted = track.moving_segments >= settings.min_moving_segments && !track.stationary;
    let (method, speed_kmh) = if signal_lost {
        (EtaMethod::SignalLost, city)
    } else {
        match track.speed_mps {
            // Bounded: a smoothed speed below a walking pace is a stop in disguise.
            Some(v) if trusted && v * 3.6 >= 3.0 => (EtaMethod::MovingSpeed, (v * 3.6).min(settings.max_speed_kmh)),
            _ => (EtaMethod::CityDefault, city),
        }
    };
    let seconds = (remaining / (speed_kmh / 3.6)).round() as i64;
    Eta {
        distance_remaining_m: Some(remaining.round() as i64),
        eta_seconds: Some(seconds),
        eta_at: Some(now + Duration::seconds(seconds)),
        method,
        last_fix_age_seconds: age,
        signal_lost,
        speed_kmh: Some((speed_kmh * 100.0).round() / 100.0),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::track::{advance, Fix};

    fn t(s: i64) -> DateTime<Utc> {
        // 04:00 UTC = 09:30 IST: the morning peak (15 km/h by default).
        Utc.with_ymd_and_hms(2026, 3, 2, 4, 0, 0).unwrap() + Duration::seconds(s)
    }

    fn fix(north_m: f64, s: i64) -> Fix {
        Fix {
            latitude: 12.9716 + north_m / 111_195.0,
            longitude: 77.5946,
            accuracy: 8.0,
            speed: None,
            heading: None,
            altitude: None,
            battery_level: None,
            recorded_at: t(s),
        }
    }

    fn dest() -> Point {
        Point::new(12.9716 + 5000.0 / 111_195.0, 77.5946)
    }

    #[test]
    fn just_started_uses_the_city_default_for_the_hour() {
        let s = Settings::default();
        let a = advance(&TrackState::default(), &[fix(0.0, 0)], Some(dest()), &s);
        let eta = estimate(&a.state, Some(dest()), t(10), &s);
        assert_eq!(eta.method, EtaMethod::CityDefault);
        assert_eq!(eta.speed_kmh, Some(15.0));
        // 5000 m x 1.35 = 6750 m at 15 km/h = 1620 s.
        assert_eq!(eta.distance_remaining_m, Some(6750));
        assert_eq!(eta.eta_seconds, Some(1620));
        assert_eq!(eta.last_fix_age_seconds, Some(10));
    }

    #[test]
    fn moving_uses_the_smoothed_speed() {
        let s = Settings::default();
        // 100 m every 10 s = 36 km/h.
        let fixes: Vec<Fix> = (0..=10).map(|i| fix(i as f64 * 100.0, i * 10)).collect();
        let a = advance(&TrackState::default(), &fixes, Some(dest()), &s);
        let eta = estimate(&a.state, Some(dest()), t(105), &s);
        assert_eq!(eta.method, EtaMethod::MovingSpeed);
        assert!((eta.speed_kmh.unwrap() - 36.0).abs() < 0.01);
        // 4000 m x 1.35 = 5400 m at 10 m/s.
        assert_eq!(eta.distance_remaining_m, Some(5400));
        assert_eq!(eta.eta_seconds, Some(540));
        assert_eq!(eta.eta_at, Some(t(105 + 540)));
    }

    #[test]
    fn standing_still_falls_back_to_the_city_default() {
        let s = Settings::default();
        let mut fixes: Vec<Fix> = (0..=5).map(|i| fix(i as f64 * 100.0, i * 10)).collect();
        fixes.push(fix(503.0, 70));
        let a = advance(&TrackState::default(), &fixes, Some(dest()), &s);
        assert!(a.state.stationary);
        assert_eq!(
            estimate(&a.state, Some(dest()), t(75), &s).method,
            EtaMethod::CityDefault
        );
    }

    #[test]
    fn no_fix_for_two_minutes_is_signal_lost() {
        let s = Settings::default();
        let a = advance(&TrackState::default(), &[fix(0.0, 0)], Some(dest()), &s);
        assert!(!estimate(&a.state, Some(dest()), t(120), &s).signal_lost);
        let eta = estimate(&a.state, Some(dest()), t(121), &s);
        assert!(eta.signal_lost);
        assert_eq!(eta.method, EtaMethod::SignalLost);
        assert_eq!(eta.last_fix_age_seconds, Some(121));
        assert!(is_stale(None, t(0), &s));
    }

    #[test]
    fn arrived_and_no_fix() {
        let s = Settings::default();
        let eta = estimate(&TrackState::default(), Some(dest()), t(0), &s);
        assert_eq!((eta.method, eta.eta_seconds), (EtaMethod::NoFix, None));
        let track = TrackState {
            arrived_at: Some(t(5)),
            ..TrackState::default()
        };
        let eta = estimate(&track, Some(dest()), t(9), &s);
        assert_eq!(
            (eta.method, eta.eta_seconds, eta.distance_remaining_m),
            (EtaMethod::Arrived, Some(0), Some(0))
        );
    }

    #[test]
    fn road_factor_and_hour_come_from_the_settings() {
        let s = Settings {
            road_factor: 1.0,
            default_speed_kmh: [30.0; 24],
            ..Settings::default()
        };
        let a = advance(&TrackState::default(), &[fix(0.0, 0)], Some(dest()), &s);
        let eta = estimate(&a.state, Some(dest()), t(1), &s);
        assert_eq!((eta.distance_remaining_m, eta.eta_seconds), (Some(5000), Some(600)));
    }
}
