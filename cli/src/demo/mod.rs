//! Demo and benchmark data: `ombaro seed --demo --scale N [--seed S]`.
//!
//! Generates a consistent marketplace on top of the reference seeds (customers with
//! addresses, vendors with staff, menus and opening hours, therapists with shifts and leave,
//! bookings with items, payments, refunds, assignments, reviews, GPS trails, loyalty points
//! and analytics events) and loads it with COPY in one transaction. Re-running replaces
//! the previous demo data, so the same seed on the same day gives the same rows.
//!
//! * `generate` makes the rows (pure and deterministic), `tables` formats them, `copy`
//!   streams them, `clean` removes the previous demo data.
//! * Bookings are priced by the booking core (`ombaro_booking::pricing::quote`), as the
//!   booking service prices a request: catalogue prices, GST at the rate in force when the
//!   booking was made.
//! * The load runs with `session_replication_role = replica` (triggers and foreign-key
//!   checks off, which makes a million bookings load in minutes); the generator writes what
//!   the triggers would have, and everything it writes is consistent by construction.
//! * For large loads the secondary indexes of a table are dropped and rebuilt around its
//!   COPY (`indexes`), inside the same transaction.

mod clean;
mod copy;
mod generate;
mod indexes;
mod tables;
mod words;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::DateTime;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use ombaro_booking::{pricing::TaxRate, Bps};
use tokio_postgres::Client;
use uuid::Uuid;

pub use generate::DemoPlan;
use generate::{Addon, City, Gateway, Pincode, Reference, Service, Variant, World};

/// Demo accounts live at this e-mail domain; it is how they are found again.
pub const DEMO_EMAIL_DOMAIN: &str = "demo.ombaro.in";

/// What a load did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub plan: DemoPlan,
    pub removed_rows: u64,
    pub tables: Vec<(&'static str, u64, Duration)>,
    pub generate: Duration,
    pub clean: Duration,
    pub load: Duration,
    pub analyze: Duration,
    pub total: Duration,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "demo data: {} bookings, {} customers, {} vendors, {} therapists (seed {}, anchor {})\n",
            self.plan.bookings,
            self.plan.customers,
            self.plan.vendors,
            self.plan.therapists,
            self.plan.seed,
            self.plan.now.format("%Y-%m-%d %H:%M UTC"),
        );
        out.push_str(&format!("\n  {:<36} {:>12} {:>9}\n", "table", "rows", "seconds"));
        for (name, rows, took) in &self.tables {
            out.push_str(&format!("  {:<36} {:>12} {:>9.1}\n", name, rows, took.as_secs_f64()));
        }
        let secs = self.total.as_secs_f64();
        out.push_str(&format!(
            "  {:<36} {:>12} {:>9.1}\n\n",
            "total",
            self.rows(),
            self.load.as_secs_f64()
        ));
        out.push_str(&format!(
            "removed {} rows of earlier demo data; generate {:.1} s, clean {:.1} s, load {:.1} s, analyze {:.1} s; \
             {:.1} s in all ({:.0} rows/s)\n",
            self.removed_rows,
            self.generate.as_secs_f64(),
            self.clean.as_secs_f64(),
            self.load.as_secs_f64(),
            self.analyze.as_secs_f64(),
            secs,
            self.rows() as f64 / secs.max(0.001),
        ));
        out
    }
}

/// Whether progress bars are drawn (on stderr, when it is a terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Terminal,
    Hidden,
}

/// Replaces the demo data of the database behind `client` with the data of `plan`.
pub async fn load(client: &mut Client, plan: &DemoPlan, progress: Progress) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let bars = MultiProgress::with_draw_target(match progress {
        Progress::Terminal => ProgressDrawTarget::stderr(),
        Progress::Hidden => ProgressDrawTarget::hidden(),
    });
    let status = bars.add(ProgressBar::new_spinner());
    status.set_style(ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("template"));
    status.enable_steady_tick(Duration::from_millis(120));

    status.set_message("reading the reference catalogue");
    let reference = read_reference(client, plan).await?;
    status.set_message("generating rows");
    let generate_started = Instant::now();
    let world = {
        let plan = plan.clone();
        tokio::task::spawn_blocking(move || World::generate(&plan, &reference))
            .await
            .context("generating demo data")??
    };
    let world = Arc::new(world);
    let generate = generate_started.elapsed();

    let tx = client.transaction().await?;
    tx.batch_execute("set local session_replication_role = replica")
        .await
        .context("switching triggers off for the load (needs a superuser connection)")?;
    tx.batch_execute("set local synchronous_commit = off").await?;

    status.set_message("removing earlier demo data");
    let clean_started = Instant::now();
    let written: Vec<&str> = tables::TABLES.iter().map(|t| t.name).collect();
    let removed = clean::remove_previous(&tx, &written).await?;
    let clean = clean_started.elapsed();

    status.set_message("creating partitions");
    let now = plan.now;
    let first_event = DateTime::from_timestamp(world.first_event_at, 0).unwrap_or(now);
    tx.execute(
        "select private.ensure_partitions('public.analytics_events', $1, $2)",
        &[&first_event, &now],
    )
    .await
    .context("creating analytics_events partitions")?;
    tx.execute(
        "select private.ensure_partitions('public.therapist_locations', $1, $2)",
        &[&(now - chrono::TimeDelta::hours(24)), &now],
    )
    .await
    .context("creating therapist_locations partitions")?;

    let load_started = Instant::now();
    let total_items: u64 = tables::TABLES.iter().map(|t| (t.len)(&world) as u64).sum();
    let overall = bars.add(ProgressBar::new(total_items));
    overall.set_style(
        ProgressStyle::with_template("{prefix:>36} {bar:40} {percent:>3}% [{elapsed} / ~{duration}]")
            .expect("template"),
    );
    overall.set_prefix("all tables");
    let table_style = ProgressStyle::with_template("{prefix:>36} {bar:40} {pos}/{len} {msg}").expect("template");
    tx.batch_execute("set local maintenance_work_mem = '512MB'").await?;
    let mut loaded = Vec::with_capacity(tables::TABLES.len());
    for table in tables::TABLES {
        status.set_message(format!("loading {}", table.name));
        let t0 = Instant::now();
        let items = (table.len)(&world);
        let bar = bars.insert_before(&overall, ProgressBar::new(items as u64));
        bar.set_style(table_style.clone());
        bar.set_prefix(table.name);
        let deferred = indexes::defer(&tx, table.name, items as i64).await?;
        let rows = copy::copy_table(&tx, table, world.clone(), &[&bar, &overall]).await?;
        if !deferred.is_empty() {
            bar.set_message(format!("rebuilding {} indexes", deferred.len()));
            indexes::rebuild(&tx, &deferred).await?;
        }
        bar.finish_and_clear();
        loaded.push((table.name, rows, t0.elapsed()));
    }
    overall.finish_and_clear();
    status.set_message("encrypting tax ids");
    encrypt_tax_ids(&tx, &world).await?;
    status.set_message("committing");
    tx.commit().await.context("committing the demo data")?;
    let load = load_started.elapsed();

    status.set_message("analyzing");
    let analyze_started = Instant::now();
    for table in tables::TABLES {
        client
            .batch_execute(&format!("analyze {}", table.name))
            .await
            .with_context(|| format!("analyzing {}", table.name))?;
    }
    let analyze = analyze_started.elapsed();

    status.set_message("refreshing dashboards");
    refresh_dashboards(client).await;
    status.finish_and_clear();

    Ok(Summary {
        plan: plan.clone(),
        removed_rows: removed.rows,
        tables: loaded,
        generate,
        clean,
        load,
        analyze,
        total: started.elapsed(),
    })
}

/// Fills the vendors' encrypted GSTIN and PAN columns: COPY writes only the masked tails, and
/// the key is the database's, so the clear values go through `private.encrypt_text` there, in
/// one statement per vendor batch.
async fn encrypt_tax_ids(tx: &tokio_postgres::Transaction<'_>, world: &World) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = world.vendors.iter().map(|v| world.users[v.user].id).collect();
    let gst: Vec<&str> = world.vendors.iter().map(|v| v.gst_number.as_str()).collect();
    let pan: Vec<&str> = world.vendors.iter().map(|v| v.pan_number.as_str()).collect();
    tx.execute(
        "update public.vendors v
            set gst_number_encrypted = private.encrypt_text(t.gst),
                pan_number_encrypted = private.encrypt_text(t.pan)
           from unnest($1::uuid[], $2::text[], $3::text[]) as t (id, gst, pan)
          where v.id = t.id",
        &[&ids, &gst, &pan],
    )
    .await
    .context("encrypting the vendors' tax ids (needs the encryption key: `ombaro db start` writes it)")?;
    Ok(())
}

/// Refreshes the dashboard views when the schema has them; the dashboards otherwise catch
/// up at their next scheduled refresh, so a failure here is only reported.
async fn refresh_dashboards(client: &Client) {
    let present = client
        .query_one(
            "select to_regprocedure('private.refresh_dashboards()') is not null",
            &[],
        )
        .await
        .map(|r| r.get::<_, bool>(0))
        .unwrap_or(false);
    if present {
        if let Err(err) = client.batch_execute("select private.refresh_dashboards()").await {
            eprintln!("note: dashboards not refreshed: {err}");
        }
    }
}

/// The reference catalogue, in the stable order of natural keys the generator relies on.
async fn read_reference(client: &Client, plan: &DemoPlan) -> anyhow::Result<Reference> {
    let mut reference = Reference::default();
    let pincode_rows = client
        .query(
            "select p.id, p.pincode, p.area_name, c.id, c.name, s.name, coalesce(s.gst_state_code, '00'), p.zone_id,
                    extensions.st_y(p.location::extensions.geometry),
                    extensions.st_x(p.location::extensions.geometry)
               from public.pincode_master p
               join public.cities c on c.id = p.city_id
               join public.states s on s.id = c.state_id
              where p.is_serviceable and c.is_serviceable and c.is_active and p.location is not null
              order by c.name, p.pincode",
            &[],
        )
        .await
        .context("reading serviceable PIN codes")?;
    for r in &pincode_rows {
        let city_id: Uuid = r.get(3);
        let city = match reference.cities.iter().position(|c| c.id == city_id) {
            Some(i) => i,
            None => {
                reference.cities.push(City {
                    id: city_id,
                    name: r.get(4),
                    state: r.get(5),
                    gst_state_code: r.get(6),
                });
                reference.cities.len() - 1
            }
        };
        reference.pincodes.push(Pincode {
            id: r.get(0),
            code: r.get(1),
            area: r.get(2),
            city,
            zone_id: r.get(7),
            lat: r.get(8),
            lon: r.get(9),
        });
    }

    for r in client
        .query(
            "select id, code, name, category, is_home_service_available, gender_restriction
               from public.services
              where is_active and deleted_at is null
              order by code",
            &[],
        )
        .await
        .context("reading services")?
    {
        let category: String = r.get(3);
        let gender: String = r.get(5);
        reference.services.push(Service {
            id: r.get(0),
            code: r.get(1),
            name: r.get(2),
            home: r.get(4),
            female_only: gender == "female_only",
            couples: category == "couples",
            variants: Vec::new(),
        });
    }
    for r in client
        .query(
            "select v.id, s.code, v.duration_minutes::bigint, v.price
               from public.service_variants v
               join public.services s on s.id = v.service_id
              where v.is_active
              order by s.code, v.duration_minutes, v.name",
            &[],
        )
        .await
        .context("reading service variants")?
    {
        let code: String = r.get(1);
        let Some(service) = reference.services.iter().position(|s| s.code == code) else {
            continue;
        };
        let index = reference.variants.len();
        reference.variants.push(Variant {
            id: r.get(0),
            duration: r.get(2),
            price: r.get(3),
        });
        reference.services[service].variants.push(index);
    }
    for r in client
        .query(
            "select id, code, name, price, duration::bigint, is_home_service_available
               from public.addon_services where is_active order by code",
            &[],
        )
        .await
        .context("reading add-ons")?
    {
        reference.addons.push(Addon {
            id: r.get(0),
            code: r.get(1),
            name: r.get(2),
            price: r.get(3),
            duration: r.get(4),
            home: r.get(5),
        });
    }
    for r in client
        .query(
            "select id, code from public.payment_gateways order by priority, code",
            &[],
        )
        .await
        .context("reading payment gateways")?
    {
        reference.gateways.push(Gateway {
            id: r.get(0),
            code: r.get(1),
        });
    }
    // Read as the booking service reads them (store::tax_rates), for the booking core.
    for r in client
        .query(
            "select value #>> '{}', nullif(effective_from, '-infinity')
               from public.system_settings where key = 'gst_rate'",
            &[],
        )
        .await
        .context("reading the GST rate")?
    {
        let text: String = r.get(0);
        let rate_bps = Bps::parse_percent(&text)
            .with_context(|| format!("system_settings gst_rate {text:?} is not a percentage"))?;
        reference.tax_rates.push(TaxRate {
            rate_bps,
            effective_from: r.get(1),
        });
    }
    if reference.tax_rates.is_empty() {
        // GST on spa services: 18 % until 21 September 2025, 5 % from 22 September 2025 (IST).
        reference.tax_rates = vec![
            TaxRate {
                rate_bps: Bps::new(1_800),
                effective_from: None,
            },
            TaxRate {
                rate_bps: Bps::new(500),
                effective_from: DateTime::from_timestamp(1_758_479_400, 0),
            },
        ];
    }
    reference.convenience_fee = client
        .query_opt(
            "select (value #>> '{}')::bigint from public.system_settings
              where key = 'convenience_fee' and effective_from <= $1
              order by effective_from desc limit 1",
            &[&plan.now],
        )
        .await
        .context("reading the convenience fee")?
        .map(|r| r.get(0))
        .unwrap_or(4_900);
    for r in client
        .query(
            "select code, min_spend from public.customer_loyalty_tiers where is_active order by rank",
            &[],
        )
        .await
        .context("reading loyalty tiers")?
    {
        reference.tiers.push((r.get(0), r.get(1)));
    }
    Ok(reference)
}
