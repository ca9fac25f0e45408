//! Points on the earth and the distance between them.

use serde::{Deserialize, Serialize};

/// Mean earth radius (IUGG), metres. The haversine formula on a sphere of this radius is
/// within 0.5 % of the ellipsoidal distance, far below GPS noise.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS 84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

impl Point {
    pub fn new(latitude: f64, longitude: f64) -> Self {
        Self { latitude, longitude }
    }

    /// Latitude in [-90, 90], longitude in [-180, 180], both finite.
    pub fn is_valid(&self) -> bool {
        self.latitude.is_finite()
            && self.longitude.is_finite()
            && (-90.0..=90.0).contains(&self.latitude)
            && (-180.0..=180.0).contains(&self.longitude)
    }
}

/// Great-circle distance between two points, in metres (haversine).
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (phi1, phi2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dphi = (b.latitude - a.latitude).to_radians();
    let dlambda = (b.longitude - a.longitude).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Mumbai CST to Pune station: about 119 km as the crow flies.
        let mumbai = Point::new(18.9398, 72.8355);
        let pune = Point::new(18.5286, 73.8743);
        let d = distance_m(mumbai, pune);
        assert!((d - 119_000.0).abs() < 1_500.0, "{d}");
        // One degree of latitude is about 111.2 km anywhere.
        let d = distance_m(Point::new(12.0, 77.0), Point::new(13.0, 77.0));
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        assert_eq!(distance_m(mumbai, mumbai), 0.0);
        // Symmetric, and antipodes are half the circumference.
        assert!((distance_m(mumbai, pune) - distance_m(pune, mumbai)).abs() < 1e-6);
        let half = distance_m(Point::new(0.0, 0.0), Point::new(0.0, 180.0));
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn validity() {
        assert!(Point::new(90.0, -180.0).is_valid());
        assert!(!Point::new(90.1, 0.0).is_valid());
        assert!(!Point::new(0.0, 180.5).is_valid());
        assert!(!Point::new(f64::NAN, 0.0).is_valid());
    }
}
