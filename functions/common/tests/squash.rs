//! V1-V33 were squashed into one file per concern. The pre-squash chain is kept, as it was, in
//! `tests/fixtures/pre_squash_migrations/`; this test applies it and the squashed migrations to
//! two databases and compares their catalogs (see `catalog_snapshot.sql`). They must be equal
//! except for the differences listed in [`INTENDED`], each by name and with its reason.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
};

use ombaro_common::{db, schema, testing};
use refinery::Migration;
use tokio_postgres::Client;
use uuid::Uuid;

/// `(kind, name)` of every catalog row the squash changes on purpose, with why.
const INTENDED: &[(&str, &str, &str)] = &[
    // Booking numbers are assigned inside bookings_before_write: no second trigger whose name
    // had to sort first for the old truncating numbering to be skipped.
    (
        "function",
        "private.bookings_assign_number()",
        "numbering moved into bookings_before_write",
    ),
    (
        "function grant",
        "private.bookings_assign_number() postgres",
        "function removed",
    ),
    (
        "function grant",
        "private.bookings_assign_number() public",
        "function removed",
    ),
    (
        "trigger",
        "public.bookings bookings_assign_number",
        "numbering moved into bookings_before_write",
    ),
    (
        "function",
        "private.bookings_before_write()",
        "assigns the number with private.next_booking_number() and checks status moves against private.booking_status_moves()",
    ),
    // Serial numbers keep every digit past their padding (lpad would cut the millionth).
    (
        "function",
        "private.next_complaint_number()",
        "never truncates the serial",
    ),
    (
        "function",
        "private.vendor_applications_lifecycle()",
        "never truncates the serial",
    ),
    // Idempotency keys name one request: its fingerprint is kept with the booking.
    (
        "column",
        "public.bookings.idempotency_request_hash",
        "request fingerprints kept with idempotency keys",
    ),
    (
        "constraint",
        "public.bookings bookings_idempotency_request_hash_*",
        "request fingerprints kept with idempotency keys",
    ),
    (
        "publication table",
        "supabase_realtime public.bookings",
        "the published bookings carry the new column",
    ),
    // Refreshing the dashboards is the scheduler's and the service's, not every user's.
    (
        "function grant",
        "private.refresh_dashboards() *",
        "closed to app users",
    ),
    // Bookings' money, schedule and parties are guarded behind the column grants too.
    (
        "function",
        "private.bookings_guard_api_update()",
        "refuses API changes beyond status, reason and instructions",
    ),
    // The booking status moves as data, read by the lifecycle trigger and compared with the
    // booking core's table in a test (one list instead of a case expression).
    (
        "function",
        "private.booking_status_moves()",
        "status moves as data",
    ),
    (
        "function grant",
        "private.booking_status_moves() *",
        "status moves as data",
    ),
    // Supabase: `postgres` may not name custom settings in a function's `set` clause.
    (
        "function",
        "private.expire_booking_holds(therapist uuid, during tstzrange)",
        "clears the JWT settings in its body",
    ),
    // V31: functions added later are not executable by PUBLIC (closed by default).
    (
        "default privileges",
        "postgres - f",
        "revoke execute on functions from public",
    ),
    (
        "default privileges",
        "postgres extensions f",
        "extensions installed later stay callable",
    ),
    // Owners' upserts: the key is updatable (PostgREST sets it on conflict), keep_key keeps it.
    (
        "column grant",
        "public.user_preferences.user_id authenticated",
        "update on the upsert key",
    ),
    (
        "column grant",
        "public.customer_preferences.customer_id authenticated",
        "update on the upsert key",
    ),
    (
        "column grant",
        "public.customers.id authenticated",
        "update on the upsert key",
    ),
    ("function", "private.keep_key()", "refuses a changed key"),
    (
        "function grant",
        "private.keep_key() postgres",
        "owner's implicit grant",
    ),
    (
        "trigger",
        "public.user_preferences keep_key",
        "the key is set only to its value",
    ),
    (
        "trigger",
        "public.customer_preferences keep_key",
        "the key is set only to its value",
    ),
    (
        "trigger",
        "public.customers keep_key",
        "the key is set only to its value",
    ),
    // Vendor applications' GSTIN and PAN are stored encrypted, as the vendors' are.
    (
        "column",
        "public.vendor_applications.gst_number_encrypted",
        "ciphertext",
    ),
    ("column", "public.vendor_applications.gst_number_last4", "display tail"),
    (
        "column",
        "public.vendor_applications.pan_number_encrypted",
        "ciphertext",
    ),
    ("column", "public.vendor_applications.pan_number_last4", "display tail"),
    (
        "column grant",
        "public.vendor_applications.*",
        "select is a column list without the ciphertext",
    ),
    (
        "grant",
        "public.vendor_applications authenticated",
        "select is a column list without the ciphertext",
    ),
    (
        "constraint",
        "public.vendor_applications vendor_applications_gst_number_check",
        "clear GSTIN never stored",
    ),
    (
        "constraint",
        "public.vendor_applications vendor_applications_pan_number_check",
        "clear PAN never stored",
    ),
    (
        "function",
        "private.vendor_applications_encrypt_tax_ids()",
        "encrypts what the form writes",
    ),
    (
        "function grant",
        "private.vendor_applications_encrypt_tax_ids() *",
        "its grants",
    ),
    (
        "trigger",
        "public.vendor_applications encrypt_tax_ids",
        "encrypts what the form writes",
    ),
    (
        "function",
        "public.reveal_vendor_application_tax_ids(p_application_id uuid)",
        "applicant and reviewers read them",
    ),
    (
        "function grant",
        "public.reveal_vendor_application_tax_ids(p_application_id uuid) *",
        "its grants",
    ),
    // Signed-in roles (V24): a token names authenticated, partner or staff; guards ask
    // is_signed_in_role(), the large tables split their select policy by role, and the
    // helpers those policies call read auth.uid() once.
    ("function", "private.audience_of(person uuid)", "signed-in roles"),
    ("function grant", "private.audience_of(person uuid) *", "signed-in roles"),
    ("function", "private.is_signed_in_role(role text)", "signed-in roles"),
    ("function grant", "private.is_signed_in_role(role text) *", "signed-in roles"),
    ("function", "private.vendor_staff_role_allows(staff_role text, permissions text[], permission text)", "signed-in roles"),
    ("function grant", "private.vendor_staff_role_allows(staff_role text, permissions text[], permission text) *", "signed-in roles"),
    ("function", "public.custom_access_token_hook(event jsonb)", "signed-in roles"),
    ("function grant", "public.custom_access_token_hook(event jsonb) *", "signed-in roles"),
    ("function", "private.booking_ids_of_current_therapist()", "reads auth.uid() once"),
    ("function", "private.current_roles()", "reads auth.uid() once"),
    ("function", "private.expenses_guard_api_update()", "asks private.is_signed_in_role()"),
    ("function", "private.guard_columns()", "asks private.is_signed_in_role()"),
    ("function", "private.has_permission(module text, action text)", "reads auth.uid() once"),
    ("function", "private.is_api_caller()", "asks private.is_signed_in_role()"),
    ("function", "private.reviews_guard_api_update()", "asks private.is_signed_in_role()"),
    ("function", "private.stamp_received_at()", "asks private.is_signed_in_role()"),
    ("function", "private.therapist_assignments_guard_actor()", "asks private.is_signed_in_role()"),
    ("function", "private.therapist_leaves_guard_actor()", "asks private.is_signed_in_role()"),
    ("function", "private.therapists_guard_self_service()", "asks private.is_signed_in_role()"),
    ("function", "private.vendor_applications_guard_review()", "asks private.is_signed_in_role()"),
    ("function", "private.vendor_ids_of_current_user()", "reads auth.uid() once"),
    ("function", "private.vendor_ids_where_staff_can(permission text)", "reads auth.uid() once"),
    ("function", "private.vendor_reviews_guard_actor()", "asks private.is_signed_in_role()"),
    ("function", "private.vendor_staff_can(vendor uuid, permission text)", "reads auth.uid() once"),
    ("policy", "public.analytics_events \"analysts and it read events\"", "select split by signed-in role"),
    ("policy", "public.booking_cancellations \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.booking_cancellations \"partner select\"", "select split by signed-in role"),
    ("policy", "public.booking_cancellations \"staff select\"", "select split by signed-in role"),
    ("policy", "public.booking_items \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.booking_items \"partner select\"", "select split by signed-in role"),
    ("policy", "public.booking_items \"staff select\"", "select split by signed-in role"),
    ("policy", "public.booking_status_history \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.booking_status_history \"partner select\"", "select split by signed-in role"),
    ("policy", "public.booking_status_history \"staff select\"", "select split by signed-in role"),
    ("policy", "public.bookings \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.bookings \"partner select\"", "select split by signed-in role"),
    ("policy", "public.bookings \"staff select\"", "select split by signed-in role"),
    ("policy", "public.customer_addresses \"customers, their therapist and customer teams read addresses\"", "select split by signed-in role"),
    ("policy", "public.customer_addresses \"partner select\"", "select split by signed-in role"),
    ("policy", "public.customer_addresses \"staff select\"", "select split by signed-in role"),
    ("policy", "public.invoices \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.invoices \"partner select\"", "select split by signed-in role"),
    ("policy", "public.invoices \"staff select\"", "select split by signed-in role"),
    ("policy", "public.loyalty_points_transactions \"customers and the loyalty team read points history\"", "select split by signed-in role"),
    ("policy", "public.loyalty_points_transactions \"staff select\"", "select split by signed-in role"),
    ("policy", "public.notifications \"staff select\"", "select split by signed-in role"),
    ("policy", "public.notifications \"users read their notifications\"", "select split by signed-in role"),
    ("policy", "public.payments \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.payments \"partner select\"", "select split by signed-in role"),
    ("policy", "public.payments \"staff select\"", "select split by signed-in role"),
    ("policy", "public.refunds \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.refunds \"staff select\"", "select split by signed-in role"),
    ("policy", "public.reviews \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.reviews \"partner select\"", "select split by signed-in role"),
    ("policy", "public.reviews \"staff select\"", "select split by signed-in role"),
    ("policy", "public.support_tickets \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.support_tickets \"staff select\"", "select split by signed-in role"),
    ("policy", "public.therapist_assignments \"partner select\"", "select split by signed-in role"),
    ("policy", "public.therapist_assignments \"staff select\"", "select split by signed-in role"),
    ("policy", "public.therapist_assignments \"therapists, vendor, customer and operations read assignments\"", "select split by signed-in role"),
    ("policy", "public.therapist_locations \"partner select\"", "select split by signed-in role"),
    ("policy", "public.therapist_locations \"staff select\"", "select split by signed-in role"),
    ("policy", "public.therapist_locations \"therapist, vendor, customer served and support see locations\"", "select split by signed-in role"),
    ("policy", "public.ticket_messages \"authenticated select\"", "select split by signed-in role"),
    ("policy", "public.ticket_messages \"staff select\"", "select split by signed-in role"),
    // Indexes another index already serves (its leading columns are a wider index's, which
    // also covers the foreign key), and a btree on a boolean the partial unread index serves:
    // they only cost writes.
    ("index", "public.attendance_records idx_attendance_employee", "redundant: unique (employee_id, date)"),
    ("index", "public.holidays idx_holidays_holiday_date", "redundant: unique (holiday_date, name, state_id, city_id)"),
    ("index", "public.notifications idx_notifications_read", "unread lookups use idx_notifications_user_unread"),
    ("index", "public.promotion_usage idx_promotion_usage_promotion", "redundant: unique (promotion_id, booking_id)"),
    ("index", "public.role_permissions idx_role_permissions_role", "redundant: unique (role_id, module_id, sub_module_id)"),
    ("index", "public.salary_records idx_salary_records_employee", "redundant: unique (employee_id, month, year)"),
    ("index", "public.states idx_states_country_id", "redundant: unique (country_id, name)"),
    ("index", "public.vendor_staff idx_vendor_staff_vendor", "redundant: idx_vendor_staff_status (vendor_id, status)"),
];

/// The last version the squash replaced.
const SQUASHED_UP_TO: i32 = 33;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pre_squash_migrations")
}

/// The pre-squash chain, in version order, as refinery migrations.
pub fn pre_squash_migrations() -> Vec<Migration> {
    let mut files: Vec<(u32, String, String)> = std::fs::read_dir(fixture_dir())
        .expect("the pre-squash fixture")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            let version = stem[1..stem.find("__").unwrap()].parse().unwrap();
            (version, stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    files.sort_by_key(|(v, _, _)| *v);
    assert_eq!(files.len(), 33, "the fixture holds V1-V33");
    files
        .iter()
        .map(|(_, stem, sql)| Migration::unapplied(stem, sql).unwrap())
        .collect()
}

static BOOTSTRAP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A scratch database on the test server, dropped by [`drop_db`].
async fn scratch(server: &str, label: &str) -> (String, Client) {
    let admin = db::connect(server).await.unwrap();
    let name = format!("ombaro_squash_{label}_{}", Uuid::new_v4().simple());
    admin.batch_execute(&format!("create database {name}")).await.unwrap();
    let client = db::connect(&testing::with_database(server, &name)).await.unwrap();
    // The bootstrap alters cluster-wide roles: two at once can collide ("tuple concurrently
    // updated"), so the tests of this file take turns.
    let _turn = BOOTSTRAP.lock().await;
    schema::bootstrap(&client).await.unwrap();
    (name, client)
}

async fn drop_db(server: &str, name: &str) {
    let admin = db::connect(server).await.unwrap();
    admin
        .batch_execute(&format!("drop database if exists {name} with (force)"))
        .await
        .unwrap();
}

async fn snapshot(client: &Client) -> BTreeMap<(String, String), String> {
    let sql = include_str!("catalog_snapshot.sql");
    client
        .query(sql, &[])
        .await
        .expect("catalog snapshot")
        .iter()
        .map(|r| {
            (
                (r.get::<_, String>(0), r.get::<_, String>(1)),
                r.get::<_, Option<String>>(2).unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn squashed_migrations_build_the_catalog_of_the_pre_squash_chain() {
    let server = testing::server_url().await;
    let (old_name, mut old) = scratch(&server, "old").await;
    let (new_name, mut new) = scratch(&server, "new").await;
    schema::run_migrations_unchecked(&mut old, &pre_squash_migrations())
        .await
        .expect("the pre-squash chain applies");
    // The squash covers V1-V33; later migrations build on both chains alike.
    let squashed: Vec<Migration> = schema::migrations()
        .into_iter()
        .filter(|m| m.version() <= SQUASHED_UP_TO)
        .collect();
    schema::run_migrations_unchecked(&mut new, &squashed)
        .await
        .expect("the squashed migrations apply");
    let (before, after) = (snapshot(&old).await, snapshot(&new).await);
    drop(old);
    drop(new);
    drop_db(&server, &old_name).await;
    drop_db(&server, &new_name).await;

    let differing: BTreeSet<(String, String)> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    // A name ending in `*` stands for every name it starts.
    let matches = |pattern: &(&str, &str, &str), (kind, name): &(String, String)| {
        pattern.0 == kind
            && match pattern.1.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => pattern.1 == name,
            }
    };
    let unexpected: Vec<String> = differing
        .iter()
        .filter(|d| !INTENDED.iter().any(|p| matches(p, d)))
        .map(|(k, n)| {
            format!(
                "{k} {n}:\n  before: {}\n  after:  {}",
                before
                    .get(&(k.clone(), n.clone()))
                    .map(String::as_str)
                    .unwrap_or("(absent)"),
                after
                    .get(&(k.clone(), n.clone()))
                    .map(String::as_str)
                    .unwrap_or("(absent)")
            )
        })
        .collect();
    let stale: Vec<&(&str, &str, &str)> = INTENDED
        .iter()
        .filter(|p| !differing.iter().any(|d| matches(p, d)))
        .collect();
    println!(
        "compared {} catalog objects (pre-squash) with {} (squashed); {} intended differences",
        before.len(),
        after.len(),
        differing.len()
    );
    assert!(
        unexpected.is_empty(),
        "differences the squash does not intend:\n{}",
        unexpected.join("\n")
    );
    assert!(stale.is_empty(), "listed as intended but equal: {stale:?}");
    assert!(before.len() > 5000, "the snapshot sees the schema");
}

#[tokio::test]
async fn migrate_refuses_a_database_with_the_pre_squash_history() {
    let server = testing::server_url().await;
    let (name, mut client) = scratch(&server, "hist").await;
    schema::run_migrations_unchecked(&mut client, &pre_squash_migrations())
        .await
        .unwrap();
    let err = schema::migrate(&mut client).await.unwrap_err();
    drop(client);
    drop_db(&server, &name).await;
    let message = format!("{err:#}");
    assert!(message.contains("ombaro db reset"), "{message}");
    assert!(message.contains("supabase db reset"), "{message}");
    assert!(message.contains("supabase migration repair"), "{message}");
    assert!(message.contains("V33__helpers_in_plpgsql"), "{message}");
}
