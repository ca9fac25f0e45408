//! `ombaro seed --demo` against a real database: re-runs replace the demo data with the same
//! rows, the same seed gives the same data, and what is loaded is consistent (no orphans,
//! totals that add up, no therapist in two places at once, a status history per booking).

use chrono::{DateTime, TimeZone, Utc};
use ombaro::demo::{self, DemoPlan, Progress};
use ombaro_common::testing::TestDb;
use tokio_postgres::Client;

/// Small enough for a debug build, large enough to exercise every table. The anchor is
/// fixed so the 90-day window spans the GST change of 22 September 2025.
fn plan(seed: u64) -> DemoPlan {
    DemoPlan {
        seed,
        now: anchor(),
        customers: 300,
        vendors: 8,
        therapists: 48,
        bookings: 2_000,
    }
}

fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 15, 9, 0, 0).unwrap()
}

const TABLES: &[&str] = &[
    "auth.users",
    "public.user_profiles",
    "public.role_assignment_history",
    "public.customers",
    "public.customer_addresses",
    "public.vendors",
    "public.vendor_staff",
    "public.vendor_availability",
    "public.vendor_services",
    "public.therapists",
    "public.therapist_schedules",
    "public.therapist_leaves",
    "public.bookings",
    "public.booking_items",
    "public.booking_status_history",
    "public.payments",
    "public.refunds",
    "public.booking_cancellations",
    "public.therapist_assignments",
    "public.assignment_timeline",
    "public.reviews",
    "public.service_reviews",
    "public.loyalty_points_transactions",
    "public.therapist_locations",
    "public.analytics_events",
    // Reference data: must not change.
    "public.services",
    "public.service_variants",
    "public.pincode_master",
    "public.cities",
    "public.system_settings",
];

const REFERENCE: &[&str] = &[
    "public.services",
    "public.service_variants",
    "public.pincode_master",
    "public.cities",
    "public.system_settings",
];

async fn counts(client: &Client) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for table in TABLES {
        let n: i64 = client
            .query_one(&format!("select count(*) from {table}"), &[])
            .await
            .unwrap()
            .get(0);
        out.push(((*table).to_owned(), n));
    }
    out
}

async fn fingerprint(client: &Client) -> String {
    client
        .query_one(
            "select md5(string_agg(concat_ws(':', id, booking_number, status, scheduled_start, total_amount, tax_amount),
                                   ',' order by booking_number))
               from public.bookings",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn scalar(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn demo_seed_is_repeatable_deterministic_and_consistent() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let outsider = db.create_user("someone@example.com").await;
    let before = counts(&client).await;

    let first = demo::load(&mut client, &plan(42), Progress::Hidden).await.unwrap();
    let after_first = counts(&client).await;
    let print_first = fingerprint(&client).await;

    // (a) A re-run replaces the demo data: the same counts, table by table.
    let second = demo::load(&mut client, &plan(42), Progress::Hidden).await.unwrap();
    assert_eq!(counts(&client).await, after_first);
    assert_eq!(
        second.removed_rows,
        first.rows(),
        "the re-run removed exactly the first load"
    );
    let rows = |s: &demo::Summary| s.tables.iter().map(|t| (t.0, t.1)).collect::<Vec<_>>();
    assert_eq!(rows(&first), rows(&second));

    // (b) The same seed gives the same data, another seed other data of the same size.
    assert_eq!(fingerprint(&client).await, print_first);
    // (Seed 42 comes back at the end, after the checks.)
    let other = demo::load(&mut client, &plan(7), Progress::Hidden).await.unwrap();
    assert_ne!(fingerprint(&client).await, print_first);
    assert_eq!(scalar(&client, "select count(*) from public.bookings").await, 2_000);
    // Every demo vendor's GSTIN and PAN are stored encrypted, and decrypt to their tails.
    assert_eq!(
        scalar(
            &client,
            "select count(*) from public.vendors where gst_number_encrypted is null or pan_number_encrypted is null
                or right(private.decrypt_text(gst_number_encrypted), 4) <> gst_number_last4
                or right(private.decrypt_text(pan_number_encrypted), 4) <> pan_number_last4"
        )
        .await,
        0
    );

    // Reference data and other people's rows are left alone; every demo table got rows.
    for ((table, n_before), (_, n_after)) in before.iter().zip(&after_first) {
        if REFERENCE.contains(&table.as_str()) {
            assert_eq!(n_before, n_after, "{table} is reference data");
        } else {
            assert!(n_after > n_before, "{table} got no demo rows");
        }
    }
    let outsider_left: i64 = client
        .query_one("select count(*) from auth.users where id = $1", &[&outsider])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outsider_left, 1);
    assert_eq!(
        scalar(
            &client,
            "select count(*) from auth.users where email not like '%@demo.ombaro.in'"
        )
        .await,
        1
    );

    // (c) Consistency.
    let checks = [
        (
            "bookings whose customer or vendor is missing",
            "select count(*) from public.bookings b
              where not exists (select 1 from auth.users u where u.id = b.customer_id)
                 or not exists (select 1 from public.customers c where c.id = b.customer_id)
                 or not exists (select 1 from public.vendors v where v.id = b.vendor_id)",
        ),
        (
            "items without their booking",
            "select count(*) from public.booking_items i
              where not exists (select 1 from public.bookings b where b.id = i.booking_id)",
        ),
        (
            "assignments, payments, reviews or history without their booking",
            "select (select count(*) from public.therapist_assignments x where not exists (select 1 from public.bookings b where b.id = x.booking_id))
                  + (select count(*) from public.payments x where not exists (select 1 from public.bookings b where b.id = x.booking_id))
                  + (select count(*) from public.reviews x where not exists (select 1 from public.bookings b where b.id = x.booking_id))
                  + (select count(*) from public.booking_status_history x where not exists (select 1 from public.bookings b where b.id = x.booking_id))",
        ),
        (
            "bookings whose total does not add up",
            "select count(*) from public.bookings
              where total_amount <> subtotal - discount_amount + tax_amount + convenience_fee
                 or subtotal <> (select sum(i.subtotal) from public.booking_items i where i.booking_id = bookings.id)",
        ),
        (
            // As the booking core prices a request: the rate in force when the booking was
            // made, not on the day of the service.
            "bookings taxed at another rate than the one in force when they were made",
            "select count(*) from public.bookings
              where tax_rate <> case when created_at < '2025-09-22 00:00+05:30' then 18.00 else 5.00 end
                 or tax_amount <> round((subtotal - discount_amount) * tax_rate / 100)",
        ),
        (
            "booked items not at their catalogue prices",
            "select count(*) from public.booking_items i
               join public.service_variants v on v.id = i.variant_id
              where i.price <> v.price
                 or i.addon_amount <> (select coalesce(sum((a ->> 'price')::bigint), 0)
                                         from jsonb_array_elements(i.addon_services) a)",
        ),
        (
            "therapists with overlapping active assignments",
            "select count(*) from public.therapist_assignments a
               join public.therapist_assignments b
                 on b.therapist_id = a.therapist_id and b.id > a.id
                and tstzrange(a.scheduled_start, a.scheduled_end) && tstzrange(b.scheduled_start, b.scheduled_end)
              where a.status <> 'cancelled' and b.status <> 'cancelled'",
        ),
        (
            "bookings without status history",
            "select count(*) from public.bookings b
              where not exists (select 1 from public.booking_status_history h where h.booking_id = b.id)",
        ),
        (
            "bookings whose latest history row is not their status",
            "select count(*) from public.bookings b
              where b.status <> (select h.to_status from public.booking_status_history h
                                  where h.booking_id = b.id order by h.changed_at desc limit 1)",
        ),
        (
            "assignments of therapists from another vendor",
            "select count(*) from public.therapist_assignments a
               join public.therapists t on t.id = a.therapist_id
               join public.bookings b on b.id = a.booking_id
              where t.vendor_id <> a.vendor_id or b.vendor_id <> a.vendor_id or b.customer_id <> a.customer_id",
        ),
        (
            "reviews of bookings that are not the reviewer's completed ones",
            "select count(*) from public.reviews r join public.bookings b on b.id = r.booking_id
              where b.status <> 'completed' or b.customer_id <> r.customer_id",
        ),
        (
            "paid bookings without a successful payment",
            "select count(*) from public.bookings b where b.payment_status = 'paid'
                and not exists (select 1 from public.payments p where p.booking_id = b.id and p.status = 'success')",
        ),
        (
            "loyalty balances that disagree with the ledger",
            "select count(*) from public.customers c
              where c.loyalty_points <> coalesce((select sum(points) from public.loyalty_points_transactions t
                                                   where t.customer_id = c.id), 0)",
        ),
        (
            "local booking dates out of step with scheduled_start",
            "select count(*) from public.bookings
              where booking_date <> (scheduled_start at time zone timezone)::date
                 or booking_time <> (scheduled_start at time zone timezone)::time",
        ),
        (
            "history, timeline or events after the anchor",
            "select (select count(*) from public.booking_status_history where changed_at > '2025-10-15 09:00+00')
                  + (select count(*) from public.assignment_timeline where occurred_at > '2025-10-15 09:00+00')
                  + (select count(*) from public.analytics_events where \"timestamp\" > '2025-10-15 09:00+00')",
        ),
        (
            "GPS fixes outside the 24 hours before the anchor",
            "select count(*) from public.therapist_locations
              where \"timestamp\" > '2025-10-15 09:00+00' or \"timestamp\" < '2025-10-14 09:00+00'",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(scalar(&client, sql).await, 0, "{what}");
    }
    assert!(
        scalar(
            &client,
            "select count(*) from public.bookings where status = 'in_progress'"
        )
        .await
            > 0
    );
    assert!(scalar(&client, "select count(*) from public.bookings where tax_rate = 18.00").await > 0);
    assert!(
        scalar(
            &client,
            "select count(*) from public.bookings
              where created_at < '2025-09-22 00:00+05:30' and scheduled_start >= '2025-09-22 00:00+05:30'"
        )
        .await
            > 0,
        "some bookings straddle the change of rate, so the rule is tested"
    );
    assert!(scalar(&client, "select count(*) from public.therapist_locations").await > 0);

    // With only demo users left, the clean-up takes whole tables (truncating them), and seed
    // 42 brings back exactly the data it made before.
    client
        .execute("delete from auth.users where id = $1", &[&outsider])
        .await
        .unwrap();
    let whole = demo::load(&mut client, &plan(42), Progress::Hidden).await.unwrap();
    assert_eq!(whole.removed_rows, other.rows());
    assert_eq!(fingerprint(&client).await, print_first);
    let mut expected = after_first.clone();
    expected[0].1 -= 1;
    assert_eq!(counts(&client).await, expected);
}
