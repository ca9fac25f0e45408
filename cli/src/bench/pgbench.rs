//! The baseline: pgbench's tpcb-like transaction (a few updates, an insert, a select) on the
//! same cluster in the same run, so a service's figure reads as "how many of Postgres's own
//! simple transactions one request costs" rather than as a number that depends on the machine.

use std::{path::PathBuf, process::Output, time::Duration};

use anyhow::{bail, Context};

/// pgbench's scale factor: 1 000 000 accounts, enough that 16 clients rarely collide on a
/// branch row more than a real workload would.
pub const SCALE: u32 = 10;

#[derive(Debug, Clone)]
pub struct Baseline {
    pub tps: f64,
    pub clients: usize,
    pub duration: Duration,
}

/// Creates the baseline's database `name` on the cluster `url` (a superuser URL) points at
/// and fills it, when the baseline is `wanted`; returns its URL.
pub async fn prepare(url: &str, name: &str, wanted: bool) -> anyhow::Result<Option<String>> {
    if !wanted {
        return Ok(None);
    }
    eprintln!("loading: pgbench -i -s {SCALE} into {name}…");
    let baseline_url = super::scratch::create_database(url, name).await?;
    init(&baseline_url).await?;
    Ok(Some(baseline_url))
}

/// Measures the baseline in the database [`prepare`] made, if it made one.
pub async fn measure(url: Option<&str>, clients: usize, seconds: u64) -> anyhow::Result<Option<Baseline>> {
    let Some(url) = url else {
        return Ok(None);
    };
    eprintln!("baseline: pgbench tpcb-like, {clients} clients for {seconds} s…");
    run(url, clients, seconds).await.map(Some)
}

/// `pgbench -i`: creates and fills the pgbench tables in the database `url` names.
pub async fn init(url: &str) -> anyhow::Result<()> {
    pgbench(url, &["-i", "-q", "-s", &SCALE.to_string()]).await?;
    Ok(())
}

/// `pgbench -b tpcb-like` with `clients` connections for `seconds`.
pub async fn run(url: &str, clients: usize, seconds: u64) -> anyhow::Result<Baseline> {
    let threads = clients.clamp(1, 2);
    let output = pgbench(
        url,
        &[
            "-b",
            "tpcb-like",
            "-c",
            &clients.to_string(),
            "-j",
            &threads.to_string(),
            "-T",
            &seconds.to_string(),
        ],
    )
    .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tps = parse_tps(&stdout).with_context(|| format!("no `tps = ` line in pgbench's output:\n{stdout}"))?;
    Ok(Baseline {
        tps,
        clients,
        duration: Duration::from_secs(seconds),
    })
}

/// pgbench running the SQL script at `script` (no vacuum, extended protocol as the services'
/// driver uses) with `clients` connections for `seconds`.
pub async fn run_script(url: &str, script: &std::path::Path, clients: usize, seconds: u64) -> anyhow::Result<Baseline> {
    let threads = clients.clamp(1, 2);
    let output = pgbench(
        url,
        &[
            "-n",
            "-M",
            "extended",
            "-f",
            &script.display().to_string(),
            "-c",
            &clients.to_string(),
            "-j",
            &threads.to_string(),
            "-T",
            &seconds.to_string(),
        ],
    )
    .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tps = parse_tps(&stdout).with_context(|| format!("no `tps = ` line in pgbench's output:\n{stdout}"))?;
    Ok(Baseline {
        tps,
        clients,
        duration: Duration::from_secs(seconds),
    })
}

/// The TPS pgbench reports, preferring the figure without connection setup: the benches'
/// clients' connections are pooled, so setup is not part of their figure either. PG 14+
/// prints only "without initial connection time"; older versions print "excluding
/// connections establishing" beside "including ...".
pub fn parse_tps(output: &str) -> Option<f64> {
    let tps_lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tps = "))
        .collect();
    let line = tps_lines
        .iter()
        .find(|l| l.contains("without initial connection time") || l.contains("excluding"))
        .or_else(|| tps_lines.first())?;
    line["tps = ".len()..].split_whitespace().next()?.parse().ok()
}

/// Runs pgbench from the cluster's own binaries (it ships beside `postgres`), else from PATH.
/// The URL goes in `PGDATABASE`, which pgbench expands like a connection string, so a
/// password in it never shows in the process list.
async fn pgbench(url: &str, args: &[&str]) -> anyhow::Result<Output> {
    let program = ombaro_common::cluster::find_bindir()
        .map(|dir| dir.join("pgbench"))
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("pgbench"));
    let output = tokio::process::Command::new(&program)
        .args(args)
        .env("PGDATABASE", url)
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("running {} (install the PostgreSQL client tools)", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} failed ({}):\n{}",
            program.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::parse_tps;

    #[test]
    fn reads_the_tps_without_connection_time() {
        let pg15 = "number of failed transactions: 0 (0.000%)\nlatency average = 19.7 ms\n\
                    initial connection time = 12.345 ms\ntps = 811.961234 (without initial connection time)\n";
        assert_eq!(parse_tps(pg15), Some(811.961234));
        let pg12 =
            "tps = 700.1 (including connections establishing)\ntps = 712.5 (excluding connections establishing)\n";
        assert_eq!(parse_tps(pg12), Some(712.5));
        assert_eq!(parse_tps("pgbench: error: connection failed"), None);
    }
}
