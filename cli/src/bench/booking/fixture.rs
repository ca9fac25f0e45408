//! The bench's world in a scratch database: spas open around the clock with therapists who
//! work around the clock, so every start on the grid is bookable and the only refusals the
//! bench sees are the collisions it provokes. Written as the superuser, as a seed would.

use std::fmt::Write;

use anyhow::Context;
use ombaro_common::{db, schema};
use uuid::Uuid;

/// Therapists per vendor in phase (a): bookings rotate over them, so one therapist's
/// consecutive bookings are hours apart.
pub const THROUGHPUT_THERAPISTS: usize = 4;
/// Vendors and therapists per vendor in phase (c): few enough that random requests collide.
pub const RANDOMIZED_VENDORS: usize = 3;
pub const RANDOMIZED_THERAPISTS: usize = 3;
/// Vendors accept bookings this many days ahead (the schema's maximum).
pub const HORIZON_DAYS: i64 = 365;

pub struct Vendor {
    pub id: Uuid,
    pub therapists: Vec<Uuid>,
}

pub struct World {
    /// Swedish massage, offered by every vendor in 60, 90 and 120 minutes.
    pub service_id: Uuid,
    /// One per client of phase (a), so clients never compete for a slot.
    pub throughput: Vec<Vendor>,
    pub race: Vendor,
    pub randomized: Vec<Vendor>,
    /// As many as the widest phase has concurrent requests.
    pub customers: Vec<Uuid>,
}

/// `url` (a Postgres URL) pointing at database `name` instead.
pub fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base
        .find("://")
        .map(|i| i + 3)
        .context("the database URL is not a postgres:// URL")?;
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    Ok(format!("{}/{name}{query}", &base[..path_start]))
}

/// Creates database `name` afresh (a leftover of an interrupted run is dropped first) and
/// returns its URL.
pub async fn create_database(url: &str, name: &str) -> anyhow::Result<String> {
    let admin = db::connect(url)
        .await
        .with_context(|| format!("connecting to {}", db::redact_url(url)))?;
    // Two statements: a multi-statement query is one transaction, which DROP DATABASE refuses.
    for sql in [
        format!("drop database if exists {name} with (force)"),
        format!("create database {name}"),
    ] {
        admin
            .batch_execute(&sql)
            .await
            .with_context(|| format!("creating scratch database {name}"))?;
    }
    with_database(url, name)
}

pub async fn drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    let admin = db::connect(url).await?;
    admin
        .batch_execute(&format!("drop database if exists {name} with (force)"))
        .await?;
    Ok(())
}

/// What `ombaro up` gives a database: bootstrap, migrations, reference seeds, partitions.
pub async fn prepare(url: &str) -> anyhow::Result<()> {
    let mut client = db::connect(url).await?;
    schema::bootstrap(&client).await?;
    schema::migrate(&mut client).await?;
    schema::seed_reference(&mut client).await?;
    schema::maintain_partitions(&client).await?;
    Ok(())
}

pub async fn build(url: &str, clients: usize, racers: usize) -> anyhow::Result<World> {
    let client = db::connect(url).await?;
    let mut sql = Sql::default();
    let throughput = (0..clients)
        .map(|_| sql.vendor(THROUGHPUT_THERAPISTS))
        .collect::<Vec<_>>();
    let race = sql.vendor(1);
    let randomized = (0..RANDOMIZED_VENDORS)
        .map(|_| sql.vendor(RANDOMIZED_THERAPISTS))
        .collect::<Vec<_>>();
    let customers = (0..clients.max(racers)).map(|_| sql.customer()).collect();
    // One implicit transaction: a half-built world never survives a failed statement.
    client
        .batch_execute(&sql.text)
        .await
        .context("creating the bench's vendors, therapists and customers")?;
    let service_id = client
        .query_one("select id from public.services where code = 'SWD'", &[])
        .await
        .context("the reference seeds have no Swedish massage (SWD)")?
        .get(0);
    Ok(World {
        service_id,
        throughput,
        race,
        randomized,
        customers,
    })
}

/// Pairs of active assignments of one therapist whose busy times overlap: the database's
/// exclusion constraint should make this zero whatever the service does.
pub async fn overlapping_assignments(url: &str) -> anyhow::Result<i64> {
    let client = db::connect(url).await?;
    let row = client
        .query_one(
            "select count(*) from public.therapist_assignments a
               join public.therapist_assignments b
                 on a.therapist_id = b.therapist_id and a.id < b.id and a.busy_during && b.busy_during
              where a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
                and b.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')",
            &[],
        )
        .await
        .context("checking for overlapping assignments")?;
    Ok(row.get(0))
}

/// The fixture's SQL, accumulated; `users` numbers the people so mobiles and emails, which
/// are unique, differ.
#[derive(Default)]
struct Sql {
    text: String,
    users: u32,
}

impl Sql {
    fn user(&mut self, role: &str) -> (Uuid, String) {
        self.users += 1;
        let (id, n) = (Uuid::new_v4(), self.users);
        let email = format!("bench.{role}.{n}@ombaro.test");
        let _ = write!(
            self.text,
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                                     created_at, updated_at)
             values ('{id}', 'authenticated', 'authenticated', '{email}', now(), '{{}}', '{{}}', now(), now());
             insert into public.user_profiles (id, name, mobile, role)
             values ('{id}', 'Bench {role} {n}', '81{n:08}', '{role}');\n"
        );
        (id, email)
    }

    fn customer(&mut self) -> Uuid {
        let (id, _) = self.user("customer");
        let _ = writeln!(self.text, "insert into public.customers (id) values ('{id}');");
        id
    }

    /// A spa in Bengaluru open 00:00-24:00 every day, with no minimum notice and the longest
    /// horizon, offering Swedish and deep tissue; its therapists work the same hours.
    fn vendor(&mut self, therapists: usize) -> Vendor {
        let (id, email) = self.user("vendor");
        let _ = write!(
            self.text,
            "insert into public.vendors (id, business_name, business_type, business_address, city_id, location, timezone,
                                         contact_person, contact_mobile, contact_email, verification_status, status,
                                         min_notice_minutes, booking_horizon_days, travel_buffer_minutes, service_radius_km,
                                         free_cancellation_hours, cancellation_fee_percentage, reschedule_cutoff_hours,
                                         max_reschedules)
             values ('{id}', 'Bench spa {n}', 'spa', '{{\"line1\": \"MG Road\", \"city\": \"Bengaluru\"}}',
                     (select id from public.cities where name = 'Bengaluru'),
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography,
                     'Asia/Kolkata', 'Owner', '9800000000', '{email}', 'verified', 'active',
                     0, {HORIZON_DAYS}, 30, 10, 24, 25, 4, 2);
             insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
             select '{id}', d, '00:00', '24:00' from generate_series(0, 6) d;
             insert into public.vendor_services (vendor_id, service_id, durations_offered, is_home_service, is_in_spa)
             select '{id}', s.id, '{{60,90,120}}', true, true from public.services s where s.code in ('SWD', 'DPT');\n",
            n = self.users
        );
        let therapists = (0..therapists).map(|_| self.therapist(id)).collect();
        Vendor { id, therapists }
    }

    fn therapist(&mut self, vendor: Uuid) -> Uuid {
        let (user_id, email) = self.user("therapist");
        let id = Uuid::new_v4();
        let _ = write!(
            self.text,
            "insert into public.therapists (id, user_id, vendor_id, name, email, mobile, gender, specialization, rating,
                                            status, home_location)
             values ('{id}', '{user_id}', '{vendor}', 'Bench therapist {n}', '{email}', '9700000000', 'female',
                     '{{SWD,DPT}}', 4.5, 'active',
                     extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography);
             insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
             select '{id}', d, '00:00', '24:00' from generate_series(0, 6) d;\n",
            n = self.users
        );
        id
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn urls_point_at_the_scratch_database() {
        assert_eq!(
            with_database("postgresql://postgres:pw@127.0.0.1:54322/postgres", "scratch").unwrap(),
            "postgresql://postgres:pw@127.0.0.1:54322/scratch"
        );
        assert_eq!(
            with_database("postgres://u@db.example.com:5432/app?sslmode=require", "scratch").unwrap(),
            "postgres://u@db.example.com:5432/scratch?sslmode=require"
        );
        assert_eq!(
            with_database("postgresql://u@host", "scratch").unwrap(),
            "postgresql://u@host/scratch"
        );
    }
}
