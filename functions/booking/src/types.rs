//! Small value types shared by pricing and availability. Each parses its input, so a value
//! that exists is a valid one and the rules further in never re-check it.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Opaque row id (a uuid in the database). The core only compares ids, so it does not
/// parse them as uuids; it refuses blank and absurdly long ones.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl Id {
    pub fn new(id: impl Into<String>) -> Result<Id, String> {
        let id = id.into();
        if id.trim().is_empty() || id.len() > 100 {
            return Err(format!("invalid id {id:?}"));
        }
        Ok(Id(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Id {
    type Error = String;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        Id::new(id)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A local time of day with minute precision, `00:00` to `24:00` inclusive. Postgres `time`
/// allows `24:00` (end of a shift that runs to midnight), which `NaiveTime` cannot hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalTime(u16);

impl LocalTime {
    pub const MIDNIGHT: LocalTime = LocalTime(0);
    pub const END_OF_DAY: LocalTime = LocalTime(24 * 60);

    pub fn hm(hour: u16, minute: u16) -> Result<LocalTime, String> {
        let minutes = u32::from(hour) * 60 + u32::from(minute);
        if minute >= 60 || minutes > 24 * 60 {
            return Err(format!("invalid time {hour:02}:{minute:02}"));
        }
        Ok(LocalTime(minutes as u16))
    }

    pub fn from_minutes(minutes: u32) -> Option<LocalTime> {
        (minutes <= 24 * 60).then_some(LocalTime(minutes as u16))
    }

    /// Minutes since local midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }

    pub fn of(time: NaiveTime) -> LocalTime {
        use chrono::Timelike;
        LocalTime((time.hour() * 60 + time.minute()) as u16)
    }
}

impl TryFrom<String> for LocalTime {
    type Error = String;
    /// Accepts `HH:MM` and `HH:MM:SS` (seconds must be zero), as Postgres prints `time`.
    fn try_from(text: String) -> Result<Self, Self::Error> {
        let bad = || format!("invalid time {text:?}, expected HH:MM");
        let mut parts = text.split(':');
        let mut field = |required: bool| -> Result<Option<u16>, String> {
            match parts.next() {
                Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(p.parse().unwrap_or(99))),
                None if !required => Ok(None),
                _ => Err(bad()),
            }
        };
        let hour = field(true)?.unwrap_or(0);
        let minute = field(true)?.unwrap_or(0);
        let second = field(false)?;
        if parts.next().is_some() || second.is_some_and(|s| s != 0) {
            return Err(bad());
        }
        LocalTime::hm(hour, minute).map_err(|_| bad())
    }
}

impl From<LocalTime> for String {
    fn from(time: LocalTime) -> String {
        time.to_string()
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// Day of week as the database numbers it: 0 = Sunday .. 6 = Saturday.
pub fn day_of_week(date: NaiveDate) -> u8 {
    use chrono::Datelike;
    date.weekday().num_days_from_sunday() as u8
}

/// The vendor's zone when the input leaves it out, as in `vendors.timezone`.
pub fn default_timezone() -> Tz {
    chrono_tz::Asia::Kolkata
}

/// The UTC instant of a local date and minute-of-day in `tz`. In a DST gap the first valid
/// instant after it is used; in an overlap the earlier one. India has neither, but vendor
/// zones are free text.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: LocalTime) -> DateTime<Utc> {
    let naive = date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(i64::from(time.minutes()));
    resolve_local(tz, naive)
}

fn resolve_local(tz: Tz, naive: NaiveDateTime) -> DateTime<Utc> {
    // Gaps are at most a few hours; step forward a minute at a time until time exists.
    let mut probe = naive;
    for _ in 0..(24 * 60) {
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        probe += chrono::Duration::minutes(1);
    }
    Utc.from_utc_datetime(&naive)
}

/// A point on Earth (WGS 84 degrees), range-checked.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGeoPoint")]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeoPoint {
    latitude: f64,
    longitude: f64,
}

impl TryFrom<RawGeoPoint> for GeoPoint {
    type Error = String;
    fn try_from(raw: RawGeoPoint) -> Result<Self, Self::Error> {
        GeoPoint::new(raw.latitude, raw.longitude)
    }
}

impl GeoPoint {
    pub fn new(latitude: f64, longitude: f64) -> Result<GeoPoint, String> {
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return Err(format!("invalid coordinates ({latitude}, {longitude})"));
        }
        Ok(GeoPoint { latitude, longitude })
    }

    /// Great-circle distance in km (haversine on a sphere of mean Earth radius). Within
    /// 0.5 % of the ellipsoid at city scale, which is far finer than a service radius.
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Other,
}

/// `bookings.preferred_therapist_gender`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenderPreference {
    #[default]
    Any,
    Female,
    Male,
}

impl GenderPreference {
    pub fn accepts(self, gender: Option<Gender>) -> bool {
        match self {
            GenderPreference::Any => true,
            GenderPreference::Female => gender == Some(Gender::Female),
            GenderPreference::Male => gender == Some(Gender::Male),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_times() {
        let t = |s: &str| LocalTime::try_from(s.to_string());
        assert_eq!(t("09:30").unwrap().minutes(), 570);
        assert_eq!(t("21:00:00").unwrap().minutes(), 1260);
        assert_eq!(t("24:00").unwrap(), LocalTime::END_OF_DAY);
        assert!(t("24:01").is_err());
        assert!(t("9:30").is_err());
        assert!(t("09:60").is_err());
        assert!(t("09:30:15").is_err());
        assert!(t("09:30:00:00").is_err());
        assert_eq!(t("07:05").unwrap().to_string(), "07:05");
    }

    #[test]
    fn ist_conversion_is_a_fixed_offset_all_year() {
        // India has no DST: 10:00 IST is 04:30 UTC in January and in July alike.
        let tz = default_timezone();
        for (y, m, d) in [(2025, 1, 15), (2025, 7, 15), (2025, 3, 30), (2025, 10, 26)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let utc = local_to_utc(tz, date, LocalTime::hm(10, 0).unwrap());
            assert_eq!(utc, Utc.with_ymd_and_hms(y, m, d, 4, 30, 0).unwrap());
        }
        // Local midnight is the previous UTC day.
        let date = NaiveDate::from_ymd_opt(2025, 9, 22).unwrap();
        assert_eq!(
            local_to_utc(tz, date, LocalTime::MIDNIGHT),
            Utc.with_ymd_and_hms(2025, 9, 21, 18, 30, 0).unwrap()
        );
        assert_eq!(
            local_to_utc(tz, date, LocalTime::END_OF_DAY),
            Utc.with_ymd_and_hms(2025, 9, 22, 18, 30, 0).unwrap()
        );
    }

    #[test]
    fn dst_gap_moves_forward() {
        // 02:30 on 30 March 2025 does not exist in Berlin; the next valid instant is 03:00 CEST.
        let date = NaiveDate::from_ymd_opt(2025, 3, 30).unwrap();
        let utc = local_to_utc(chrono_tz::Europe::Berlin, date, LocalTime::hm(2, 30).unwrap());
        assert_eq!(utc, Utc.with_ymd_and_hms(2025, 3, 30, 1, 0, 0).unwrap());
    }

    #[test]
    fn haversine_distances() {
        let mumbai = GeoPoint::new(19.0760, 72.8777).unwrap();
        let pune = GeoPoint::new(18.5204, 73.8567).unwrap();
        let d = mumbai.distance_km(pune);
        assert!((d - 119.8).abs() < 1.5, "{d}");
        assert_eq!(mumbai.distance_km(mumbai), 0.0);
        assert!((mumbai.distance_km(pune) - pune.distance_km(mumbai)).abs() < 1e-9);
        // One degree of latitude is about 111.2 km.
        let a = GeoPoint::new(10.0, 76.0).unwrap();
        let b = GeoPoint::new(11.0, 76.0).unwrap();
        assert!((a.distance_km(b) - 111.2).abs() < 0.1);
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, -181.0).is_err());
    }

    #[test]
    fn ids_refuse_blank() {
        assert!(Id::new("").is_err());
        assert!(Id::new("  ").is_err());
        assert!(Id::new("x".repeat(101)).is_err());
        assert_eq!(Id::new("abc").unwrap().as_str(), "abc");
    }

    #[test]
    fn weekday_numbering_starts_on_sunday() {
        assert_eq!(day_of_week(NaiveDate::from_ymd_opt(2025, 9, 21).unwrap()), 0); // Sunday
        assert_eq!(day_of_week(NaiveDate::from_ymd_opt(2025, 9, 27).unwrap()), 6);
        // Saturday
    }

    #[test]
    fn gender_preference() {
        assert!(GenderPreference::Any.accepts(None));
        assert!(GenderPreference::Female.accepts(Some(Gender::Female)));
        assert!(!GenderPreference::Female.accepts(Some(Gender::Male)));
        assert!(!GenderPreference::Male.accepts(None));
    }
}
