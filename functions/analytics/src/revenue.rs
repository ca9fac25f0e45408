//! Revenue in paise per day, city, vendor or service category.
//!
//! The definition the rollup (`private.rollup_revenue` in V81) shares:
//!
//! - a **sale** is a booking that was paid (`payment_status` paid or refunded), on its
//!   booking day; `bookings` counts them and `cancelled` those cancelled later;
//! - **gross** is the booking's value before discounts, GST included: subtotal + GST +
//!   convenience fee; **discounts** and **GST** are the booking's; **refunds** are processed
//!   refunds on the IST day they were processed, counted against the refunded booking's city,
//!   vendor and category; **net** = gross - discounts - GST - refunds (negative on a day of
//!   more refunds than sales);
//! - a booking's **category** is that of its largest item (by subtotal, then item id), so
//!   each booking counts once in each grouping;
//! - **commission** is OMBARO's commission on the period's sales (records not reversed).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What to group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    City,
    Vendor,
    Category,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(GroupBy::Day),
            "city" => Some(GroupBy::City),
            "vendor" => Some(GroupBy::Vendor),
            "category" => Some(GroupBy::Category),
            _ => None,
        }
    }
}

/// A paid booking.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Sale {
    pub day: NaiveDate,
    pub city: Option<String>,
    pub vendor: String,
    pub category: Option<String>,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub fee: i64,
    pub cancelled: bool,
    /// OMBARO's commission on the booking (not reversed).
    #[serde(default)]
    pub commission: i64,
}

/// A processed refund, on the day it was processed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Refund {
    pub day: NaiveDate,
    pub city: Option<String>,
    pub vendor: String,
    pub category: Option<String>,
    pub amount: i64,
}

/// Totals of one group, in paise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Totals {
    pub bookings: i64,
    pub cancelled: i64,
    pub gross: i64,
    pub discounts: i64,
    pub gst: i64,
    pub refunds: i64,
    pub net: i64,
    pub commission: i64,
}

impl Totals {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Totals) {
        self.bookings += other.bookings;
        self.cancelled += other.cancelled;
        self.gross += other.gross;
        self.discounts += other.discounts;
        self.gst += other.gst;
        self.refunds += other.refunds;
        self.net += other.net;
        self.commission += other.commission;
    }

    fn of_sale(s: &Sale) -> Totals {
        let gross = s.subtotal + s.tax + s.fee;
        Totals {
            bookings: 1,
            cancelled: i64::from(s.cancelled),
            gross,
            discounts: s.discount,
            gst: s.tax,
            refunds: 0,
            net: gross - s.discount - s.tax,
            commission: s.commission,
        }
    }

    fn of_refund(r: &Refund) -> Totals {
        Totals {
            refunds: r.amount,
            net: -r.amount,
            ..Totals::default()
        }
    }
}

/// One group's key (the day, or a city, vendor or category id) and totals.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Group {
    pub key: String,
    pub totals: Totals,
}

fn key_of(
    group_by: GroupBy,
    day: NaiveDate,
    city: &Option<String>,
    vendor: &str,
    category: &Option<String>,
) -> Option<String> {
    match group_by {
        GroupBy::Day => Some(day.to_string()),
        GroupBy::City => city.clone(),
        GroupBy::Vendor => Some(vendor.to_owned()),
        GroupBy::Category => category.clone(),
    }
}

/// Totals per group of sales and refunds dated `from..=to`; groups without a key (a vendor
/// with no city, a service with no category) are left out, as in the rollup.
pub fn aggregate(sales: &[Sale], refunds: &[Refund], group_by: GroupBy, from: NaiveDate, to: NaiveDate) -> Vec<Group> {
    let mut groups: BTreeMap<String, Totals> = BTreeMap::new();
    for s in sales.iter().filter(|s| s.day >= from && s.day <= to) {
        if let Some(key) = key_of(group_by, s.day, &s.city, &s.vendor, &s.category) {
            groups.entry(key).or_default().add(&Totals::of_sale(s));
        }
    }
    for r in refunds.iter().filter(|r| r.day >= from && r.day <= to) {
        if let Some(key) = key_of(group_by, r.day, &r.city, &r.vendor, &r.category) {
            groups.entry(key).or_default().add(&Totals::of_refund(r));
        }
    }
    groups.into_iter().map(|(key, totals)| Group { key, totals }).collect()
}

/// Sums keyed rollup rows (one per day and key) into one row per key.
pub fn combine(rows: &[Group]) -> Vec<Group> {
    let mut groups: BTreeMap<String, Totals> = BTreeMap::new();
    for r in rows {
        groups.entry(r.key.clone()).or_default().add(&r.totals);
    }
    groups.into_iter().map(|(key, totals)| Group { key, totals }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn sale(day: u32, city: &str, vendor: &str, subtotal: i64, discount: i64) -> Sale {
        let tax = (subtotal - discount) * 18 / 100;
        Sale {
            day: d(day),
            city: Some(city.into()),
            vendor: vendor.into(),
            category: Some("massage".into()),
            subtotal,
            discount,
            tax,
            fee: 0,
            cancelled: false,
            commission: 0,
        }
    }

    #[test]
    fn totals_by_day_and_city() {
        let sales = vec![
            sale(1, "blr", "v1", 100_000, 10_000),
            sale(1, "mum", "v2", 50_000, 0),
            sale(2, "blr", "v1", 20_000, 0),
        ];
        let refunds = vec![Refund {
            day: d(2),
            city: Some("blr".into()),
            vendor: "v1".into(),
            category: Some("massage".into()),
            amount: 30_000,
        }];
        let by_day = aggregate(&sales, &refunds, GroupBy::Day, d(1), d(2));
        assert_eq!(by_day[0].key, "2026-03-01");
        let t1 = &by_day[0].totals;
        assert_eq!(
            (t1.bookings, t1.gross, t1.discounts, t1.gst),
            (2, 100_000 + 16_200 + 50_000 + 9_000, 10_000, 25_200)
        );
        assert_eq!(t1.net, t1.gross - t1.discounts - t1.gst);
        let t2 = &by_day[1].totals;
        assert_eq!((t2.refunds, t2.net), (30_000, 20_000 - 30_000));
        let by_city = aggregate(&sales, &refunds, GroupBy::City, d(1), d(2));
        assert_eq!(
            by_city.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["blr", "mum"]
        );
        assert_eq!(by_city[0].totals.bookings, 2);
        // Per-day rows combine to the range's totals.
        let daily = aggregate(&sales, &refunds, GroupBy::City, d(1), d(1));
        let mut both = daily.clone();
        both.extend(aggregate(&sales, &refunds, GroupBy::City, d(2), d(2)));
        assert_eq!(combine(&both), by_city);
        assert!(aggregate(&sales, &refunds, GroupBy::Vendor, d(3), d(9)).is_empty());
    }
}
