//! `ombaro bench payments` at toy size on the test harness's cluster: both phases run end to
//! end, the books reconcile with exactly what was sent, and the reconciliation notices a
//! doubled or lost effect when there is one. Timings are not asserted; they belong to the
//! machine.

use ombaro::bench::payments::{reconcile, run, Kind, PaymentBenchOptions, PaymentBenchReport};
use ombaro::bench::scratch;
use ombaro_common::{db, jwt::JwtKeys, testing};

fn options(name: &str) -> PaymentBenchOptions {
    PaymentBenchOptions {
        seconds: 2,
        // Concurrent senders, so refunds race their payments' captures as they do for real.
        clients: 4,
        bookings: 50,
        events: 300,
        duplicates: 0.3,
        seed: 7,
        // Unique, so concurrent test runs on the shared cluster do not drop each other's.
        database: format!("ombaro_bench_{name}_{}", uuid::Uuid::new_v4().simple()),
        baseline: false,
        keep_database: true,
    }
}

/// Runs the bench and returns its report, the cluster's URL and the kept scratch
/// database's. One at a time: preparing two databases at once on one cluster collides on
/// the cluster-wide roles the bootstrap grants ("tuple concurrently updated").
async fn bench(name: &str) -> (PaymentBenchReport, String, String) {
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = testing::server_url().await;
    let options = options(name);
    let url = scratch::with_database(&server, &options.database).unwrap();
    let keys = JwtKeys::new("bench-test-secret-with-at-least-thirty-two-characters");
    let report = run(&server, keys, options).await.expect("the bench runs");
    (report, server, url)
}

async fn execute(url: &str, sql: &str) {
    db::connect(url).await.unwrap().batch_execute(sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_storm_reconciles_exactly_and_the_reconciliation_notices_what_is_wrong() {
    let (report, server, url) = bench("pay").await;
    let rendered = report.render();
    assert!(report.failures().is_empty(), "{rendered}");

    // The storm sent what was asked for ...
    let p = &report.planned;
    assert_eq!((p.requests, p.distinct, p.duplicates), (300, 210, 90), "{rendered}");
    assert_eq!((p.bookings, p.refunds), (50, 110), "{rendered}");
    assert!(p.concurrent > 0, "some redeliveries go at once\n{rendered}");
    assert!(
        p.refunds_first > 0,
        "some refunds come before their payment\n{rendered}"
    );
    // ... every request was answered 200, each payment processed once, each refund taken
    // once, the rest answered as duplicates ...
    let answers = &report.storm.answers;
    assert_eq!(answers.total(), 300, "{rendered}");
    assert_eq!(answers.not_ok(), 0, "{rendered}");
    assert_eq!(report.storm_outcomes(), (50, 110, 140), "{rendered}");
    assert!(
        answers.kind(Kind::Refund).with_label("parked") > 0,
        "refunds before their payment are parked\n{rendered}"
    );
    // ... and the books hold exactly that.
    let books = &report.storm_books;
    assert_eq!((books.bookings, books.paid_once), (50, 50), "{rendered}");
    assert_eq!((books.refunds, books.refunds_once), (110, 110), "{rendered}");
    assert_eq!((books.events_sent, books.events_recorded), (210, 210), "{rendered}");
    assert_eq!((books.lost(), books.doubled(), books.pending), (0, 0, 0), "{rendered}");
    assert!(books.refunded_sent > 0 && books.refunded_sent == books.refunded_booked);
    assert_eq!(books.inbox, vec![("processed".to_owned(), 210)], "{rendered}");
    // Phase (a) too: each booking's three events, all of them new.
    let a = &report.steady_books;
    assert!(a.bookings > 0, "{rendered}");
    assert_eq!((a.paid_once, a.refunds_once), (a.bookings, a.bookings), "{rendered}");
    assert_eq!(a.events_sent, 3 * a.bookings, "{rendered}");
    assert_eq!((a.lost(), a.doubled(), a.pending), (0, 0, 0), "{rendered}");
    assert!(report.baseline.is_none() && report.ratio().is_none());

    // A second captured payment of one booking is a doubled payment ...
    execute(
        &url,
        "insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, total_amount,
                                      payment_method, payment_gateway_id, gateway_transaction_id, status, payment_date)
         select p.transaction_id || '-again', p.booking_id, p.customer_id, p.vendor_id, p.amount, p.total_amount,
                'upi', p.payment_gateway_id, p.gateway_transaction_id || 'x', 'success', now()
           from public.payments p join bench.payments l on l.payment_ref = p.gateway_transaction_id
          where l.phase = 'storm' order by l.payment_ref limit 1",
    )
    .await;
    let doubled = reconcile(&url, "storm").await.unwrap();
    assert_eq!(
        (doubled.paid_twice, doubled.doubled(), doubled.lost()),
        (1, 1, 0),
        "{doubled:?}"
    );
    assert_eq!(doubled.paid_once, 49, "{doubled:?}");
    assert!(!doubled.problems().is_empty());

    // ... a second confirmation, a refund the gateway never made, an event missing from the
    // inbox and one left pending are each noticed too.
    execute(
        &url,
        "insert into public.booking_status_history (booking_id, from_status, to_status, actor_role)
         select booking_id, 'confirmed', 'confirmed', 'service_role' from bench.payments
          where phase = 'storm' order by payment_ref limit 1 offset 1;
         insert into public.refunds (payment_id, amount, reason, reason_code, refund_method, status, approved_at,
                                     processed_at)
         select p.id, 100, 'not from the gateway', 'other', 'original_method', 'processed', now(), now()
           from public.payments p join bench.payments l on l.payment_ref = p.gateway_transaction_id
          where l.phase = 'storm' order by l.payment_ref limit 1 offset 2;
         delete from private.webhook_events
          where event_id = (select event_id from bench.events where phase = 'storm' order by event_id limit 1);
         update private.webhook_events set status = 'pending'
          where event_id = (select event_id from bench.events where phase = 'storm' order by event_id limit 1 offset 1);",
    )
    .await;
    let worse = reconcile(&url, "storm").await.unwrap();
    assert_eq!(worse.confirmed_twice, 1, "{worse:?}");
    assert_eq!(worse.refunds_extra, 1, "{worse:?}");
    assert_eq!(worse.events_recorded, worse.events_sent - 1, "{worse:?}");
    assert_eq!(worse.pending, 1, "{worse:?}");
    assert_eq!((worse.lost(), worse.doubled()), (1, 3), "{worse:?}");
    assert_eq!(worse.refunded_booked, worse.refunded_sent + 100, "{worse:?}");
    let problems = worse.problems().join("\n");
    for what in [
        "paid more than once",
        "confirmed more than once",
        "refunds no one made",
        "missing from the inbox",
        "still pending",
    ] {
        assert!(problems.contains(what), "{what}: {problems}");
    }
    // Phase (a)'s books are untouched by all this.
    assert_eq!(reconcile(&url, "a").await.unwrap(), *a);

    scratch::drop_database(&server, url.rsplit('/').next().unwrap())
        .await
        .unwrap();
    let admin = db::connect(&server).await.unwrap();
    let left: i64 = admin
        .query_one(
            "select count(*) from pg_database where datname like $1",
            &[&format!("{}%", url.rsplit('/').next().unwrap())],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the scratch databases are dropped");
}

/// A refund event that arrives while its payment's capture is still committing must not be
/// lost: without `private.payment_event_lock` (V51) `private.apply_refund_event` would not
/// see the uncommitted capture and park the refund, while the capture had looked for parked
/// refunds before the refund's row was committed, so nothing would ever apply it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_racing_its_payment_is_not_lost() {
    let (_report, server, url) = bench("race").await;
    // A booking of phase (a)'s pool that no sender reached: pending, checkout open.
    let capturing = db::connect(&url).await.unwrap();
    let row = capturing
        .query_one(
            "select p.booking_id, p.gateway_order_id, p.total_amount from public.payments p
              where p.status = 'pending' and p.gateway_order_id is not null order by p.created_at limit 1",
            &[],
        )
        .await
        .unwrap();
    let (booking, order, amount): (uuid::Uuid, String, i64) = (row.get(0), row.get(1), row.get(2));

    capturing.batch_execute("begin").await.unwrap();
    let captured: String = capturing
        .query_one(
            "select private.apply_payment_capture('razorpay', 'evt_race_captured', 'payment.captured', '{}',
                                                   $1, 'pay_race', $2, $3, 'INR', 'upi', now())",
            &[&booking, &order, &amount],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(captured, "processed");
    // The refund arrives while the capture is still open (it may wait for it: it must).
    let refunding = tokio::spawn({
        let url = url.clone();
        async move {
            let client = db::connect(&url).await.unwrap();
            let outcome: String = client
                .query_one(
                    "select private.apply_refund_event('razorpay', 'evt_race_refund', 'refund.processed', '{}',
                                                        'rfnd_race', 'pay_race', 1000, true)",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            outcome
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    capturing.batch_execute("commit").await.unwrap();
    let refunded = tokio::time::timeout(std::time::Duration::from_secs(10), refunding)
        .await
        .expect("the refund is answered once the capture commits")
        .unwrap();

    let state = capturing
        .query_one(
            "select (select status from private.webhook_events where event_id = 'evt_race_refund'),
                    (select count(*) from public.refunds where gateway_refund_id = 'rfnd_race')",
            &[],
        )
        .await
        .unwrap();
    let (inbox, refunds): (String, i64) = (state.get(0), state.get(1));
    scratch::drop_database(&server, url.rsplit('/').next().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (inbox.as_str(), refunds),
        ("processed", 1),
        "the refund answered {refunded:?} and was left {inbox} with {refunds} refund rows"
    );
}

/// The bookings trigger numbers a booking `OBO-<IST date>-<serial>`, and V11 promises the
/// serial is never truncated (`lpad(serial, 4, '0')` cuts longer strings to four characters:
/// serials 12 340 to 12 349 would all become `…-1234`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_numbers_past_9999_do_not_collide() {
    let (_report, server, url) = bench("numbers").await;
    let client = db::connect(&url).await.unwrap();
    client
        .batch_execute("select setval('private.booking_number_seq', 12340)")
        .await
        .unwrap();
    // Two new bookings like an existing one, numbered by the trigger: serials 12 341 and 12 342.
    let copy = "insert into public.bookings (customer_id, vendor_id, booking_type, service_location, scheduled_start,
                                             scheduled_end, hold_expires_at, subtotal, tax_amount, total_amount)
                select customer_id, vendor_id, booking_type, service_location, scheduled_start, scheduled_end,
                       now() + interval '1 hour', subtotal, tax_amount, total_amount
                  from public.bookings order by booking_number limit 1
                returning booking_number";
    let first: String = client.query_one(copy, &[]).await.unwrap().get(0);
    let second = client.query_one(copy, &[]).await.map(|row| row.get::<_, String>(0));
    scratch::drop_database(&server, url.rsplit('/').next().unwrap())
        .await
        .unwrap();
    let second = second.expect("a second booking gets a number of its own");
    assert!(
        first.ends_with("-12341") && second.ends_with("-12342"),
        "{first} {second}"
    );
}
