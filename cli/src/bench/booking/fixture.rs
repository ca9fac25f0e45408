//! The bench's world in a scratch database: spas open around the clock with therapists who
//! work around the clock, so every start on the grid is bookable and the only refusals the
//! bench sees are the collisions it provokes. Written as the superuser, as a seed would.

use anyhow::Context;
use ombaro_common::db;
use uuid::Uuid;

use crate::bench::people::Sql;
pub use crate::bench::people::{Vendor, HORIZON_DAYS};

/// Therapists per vendor in phase (a): bookings rotate over them, so one therapist's
/// consecutive bookings are hours apart.
pub const THROUGHPUT_THERAPISTS: usize = 4;
/// Vendors and therapists per vendor in phase (c): few enough that random requests collide.
pub const RANDOMIZED_VENDORS: usize = 3;
pub const RANDOMIZED_THERAPISTS: usize = 3;

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
