//! The bench's bookings in a scratch database, each pending with its slot held and a checkout
//! open: a pending payment with a gateway order, ready for the gateway's events. Written as
//! the superuser in a few set-based statements (a booking each through the booking service
//! would take minutes for what the bench does not measure); the checkout is the payment
//! service's own `private.open_checkout` and `private.attach_gateway_order`, exactly what
//! `POST /orders` runs, without the sandbox's HTTP round trip for the order id.

use anyhow::{bail, Context};
use ombaro_common::db;
use uuid::Uuid;

use crate::bench::people::Sql;

/// Vendors the bookings are spread over. Each vendor's invoices come from its own gapless
/// series, whose counter row a capture locks; a few dozen vendors keep that queue as short
/// as a real marketplace's, where one spa's bookings are a small share of everyone's.
pub const VENDORS: usize = 32;
/// Customers the bookings are spread over.
pub const CUSTOMERS: usize = 64;

/// A pending booking with an open checkout.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: Uuid,
    /// What the customer pays, in paise: what the gateway's capture must carry.
    pub total: i64,
    /// The Razorpay order of its checkout.
    pub order_id: String,
}

/// Vendors and customers, then `count` bookings of 60 minutes of Swedish massage, each with
/// its checkout open. Prices vary a little so amounts are not all alike.
pub async fn build(url: &str, count: usize) -> anyhow::Result<Vec<Booking>> {
    let client = db::connect(url).await?;
    let mut sql = Sql::default();
    let vendors: Vec<Uuid> = (0..VENDORS).map(|_| sql.vendor(0).id).collect();
    let customers: Vec<Uuid> = (0..CUSTOMERS).map(|_| sql.customer()).collect();
    client
        .batch_execute(&sql.text)
        .await
        .context("creating the bench's vendors and customers")?;

    let count = i64::try_from(count)?;
    // One statement: the bookings (local times and first status history row come from the
    // bookings triggers), then their items. Starts are an hour apart from tomorrow on, inside
    // the vendors' horizon; the hold outlasts the longest run. Numbers are given, as V11's
    // `private.format_booking_number` makes them: the trigger's own (V34) cuts serials past
    // 9 999 to four digits, so the 10 000th booking would take the 1 000th's number. They
    // come back in the order they were made, so prices (and refunds) are the same every run.
    let bookings = client
        .query(
            "with swd as (select id, name, base_price_60min as price from public.services where code = 'SWD'),
                  made as (
                    insert into public.bookings (booking_number, customer_id, vendor_id, booking_type, source,
                                                 service_location, location, scheduled_start, scheduled_end, timezone, hold_expires_at,
                                                 subtotal, discount_amount, tax_rate, tax_amount, convenience_fee, total_amount)
                    select private.format_booking_number(nextval('private.booking_number_seq'), now()),
                           ($2::uuid[])[(1 + g % cardinality($2::uuid[]))::int],
                           ($1::uuid[])[(1 + g % cardinality($1::uuid[]))::int],
                           'spa_visit', 'app',
                           '{\"address\": \"MG Road, Bengaluru\", \"latitude\": 12.9716, \"longitude\": 77.5946}',
                           extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography,
                           date_trunc('hour', now()) + interval '1 day' + make_interval(hours => (g % 8000)::int),
                           date_trunc('hour', now()) + interval '1 day' + make_interval(hours => (g % 8000)::int, mins => 60),
                           'Asia/Kolkata', now() + interval '12 hours',
                           p.price, 0, 18.00, p.tax, 0, p.price + p.tax
                      from generate_series(0, $3::int8 - 1) g, swd,
                           lateral (select swd.price + (g % 5) * 5000 as price) q,
                           lateral (select q.price, floor(q.price * 18 / 100.0 + 0.5)::bigint as tax) p
                    returning id, booking_number, subtotal, total_amount),
                  items as (
                    insert into public.booking_items (booking_id, service_id, service_name, duration, price, quantity, subtotal)
                    select made.id, swd.id, swd.name, 60, made.subtotal, 1, made.subtotal from made, swd)
             select id, total_amount from made order by split_part(booking_number, '-', 3)::int8",
            &[&vendors, &customers, &count],
        )
        .await
        .context("creating the bench's bookings")?;

    // The checkouts, as `POST /orders` opens them: the pending payment, then the order.
    let ids: Vec<Uuid> = bookings.iter().map(|row| row.get(0)).collect();
    let opened = client
        .query(
            "select b.id, private.open_checkout(b.id, b.customer_id, 'razorpay')
               from unnest($1::uuid[]) with ordinality as x(id, n) join public.bookings b on b.id = x.id
              order by x.n",
            &[&ids],
        )
        .await
        .context("opening the bench's checkouts")?;
    let mut payments = Vec::with_capacity(opened.len());
    let mut orders = Vec::with_capacity(opened.len());
    for row in &opened {
        let (booking, checkout): (Uuid, serde_json::Value) = (row.get(0), row.get(1));
        if checkout["outcome"] != "created" {
            bail!("checkout of booking {booking}: {checkout}");
        }
        payments.push(Uuid::parse_str(checkout["payment_id"].as_str().unwrap_or_default())?);
        orders.push(order_id(booking));
    }
    client
        .execute(
            "select private.attach_gateway_order(p, o) from unnest($1::uuid[], $2::text[]) as x(p, o)",
            &[&payments, &orders],
        )
        .await
        .context("attaching the bench's gateway orders")?;

    Ok(bookings
        .iter()
        .zip(orders)
        .map(|(row, order_id)| Booking {
            id: row.get(0),
            total: row.get(1),
            order_id,
        })
        .collect())
}

/// A Razorpay-shaped order id (`order_` and 14 characters), from the booking's id.
fn order_id(booking: Uuid) -> String {
    format!("order_{}", &booking.simple().to_string()[..14])
}
