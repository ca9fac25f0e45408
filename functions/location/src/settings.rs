//! The tunables of tracking and ETA. Every field has a default; a city may override any of
//! them (the service merges the global setting with the city's, see migrations V70).

use serde::{Deserialize, Serialize};

/// Tracking and ETA settings for one city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Fixes whose accuracy radius is worse (larger) than this are ignored, metres.
    pub max_accuracy_m: f64,
    /// A jump implying more than this speed from the last accepted fix is dropped, km/h.
    pub max_speed_kmh: f64,
    /// Arrival: within this distance of the service address, metres.
    pub arrival_radius_m: f64,
    /// Arrival: for this many consecutive accepted fixes.
    pub arrival_fixes: u32,
    /// No fix for this long means the signal is lost, seconds.
    pub stale_after_seconds: i64,
    /// Road distance over great-circle distance in this city.
    pub road_factor: f64,
    /// Speed to assume when there is no recent moving speed (just started, standing still,
    /// signal lost), km/h, by local hour 0..=23.
    pub default_speed_kmh: [f64; 24],
    /// Offset of local time from UTC, minutes (India: 330), to pick the hour above.
    pub utc_offset_minutes: i32,
    /// Weight of the newest segment in the smoothed moving speed (exponential smoothing).
    pub speed_smoothing: f64,
    /// Counted segments needed before the moving speed is trusted over the city default.
    pub min_moving_segments: u32,
}

impl Default for Settings {
    fn default() -> Self {
        // Indian metro traffic: crawling in the morning and evening peaks, freer at night.
        let mut speeds = [22.0; 24];
        for (hour, speed) in speeds.iter_mut().enumerate() {
            *speed = match hour {
                0..=5 | 23 => 32.0,
                8..=11 | 17..=21 => 15.0,
                _ => 22.0,
            };
        }
        Self {
            max_accuracy_m: 50.0,
            max_speed_kmh: 150.0,
            arrival_radius_m: 100.0,
            arrival_fixes: 2,
            stale_after_seconds: 120,
            road_factor: 1.35,
            default_speed_kmh: speeds,
            utc_offset_minutes: 330,
            speed_smoothing: 0.3,
            min_moving_segments: 3,
        }
    }
}

impl Settings {
    /// The defaults overridden by each object in `layers` in turn (the global setting, then
    /// the city's); an unknown or ill-typed field is an error naming it.
    pub fn layered(layers: &[serde_json::Value]) -> Result<Self, serde_json::Error> {
        let mut merged = serde_json::to_value(Self::default())?;
        for layer in layers {
            if let (Some(target), Some(source)) = (merged.as_object_mut(), layer.as_object()) {
                for (k, v) in source {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::from_value(merged)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(
            (s.max_accuracy_m, s.max_speed_kmh, s.arrival_radius_m),
            (50.0, 150.0, 100.0)
        );
        assert_eq!((s.arrival_fixes, s.stale_after_seconds, s.road_factor), (2, 120, 1.35));
    }

    #[test]
    fn a_city_overrides_the_global_setting() {
        let s = Settings::layered(&[
            json!({"road_factor": 1.5, "max_accuracy_m": 40}),
            json!({"road_factor": 1.2}),
        ])
        .unwrap();
        assert_eq!(
            (s.road_factor, s.max_accuracy_m, s.arrival_radius_m),
            (1.2, 40.0, 100.0)
        );
        assert!(Settings::layered(&[json!({"road_factr": 1.2})]).is_err());
    }
}
