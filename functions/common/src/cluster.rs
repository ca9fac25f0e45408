//! A local Postgres cluster under a directory of the project (`.ombaro/` by default):
//! `initdb` once, `pg_ctl start` on a free port, reuse while it runs, stop on request.
//!
//! Postgres refuses to run as root. When we are root (as on CI machines), the cluster runs
//! as the `postgres` system user, which owns the data and socket directories.

use std::{
    fs,
    io::Write,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use anyhow::{bail, Context};

/// The port `supabase start` gives its database; used when free.
pub const PREFERRED_PORT: u16 = 54322;

/// The system user that runs the cluster when we are root.
const CLUSTER_USER: &str = "postgres";

#[derive(Debug, Clone)]
pub struct Cluster {
    home: PathBuf,
    bindir: PathBuf,
    run_as: Option<&'static str>,
    durable: bool,
    preferred_port: Option<u16>,
    superuser: &'static str,
}

/// A running cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub pid: u32,
    pub port: u16,
}

impl Running {
    /// Superuser URL of database `db`.
    pub fn url_for(&self, db: &str) -> String {
        format!("postgresql://postgres:postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn url(&self) -> String {
        self.url_for("postgres")
    }
}

impl Cluster {
    /// A cluster living in `home` (created on first start). Fails with one line saying what
    /// to install when the server binaries are missing.
    pub fn new(home: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            home: home.to_path_buf(),
            bindir: find_bindir()?,
            run_as: is_root().then_some(CLUSTER_USER),
            durable: true,
            preferred_port: Some(PREFERRED_PORT),
            superuser: "postgres",
        })
    }

    /// The name `initdb` gives the bootstrap superuser (default `postgres`). The Supabase-like
    /// test cluster names it `supabase_admin`, as Supabase's image does, so that `postgres`
    /// can be an ordinary role.
    pub fn superuser(mut self, name: &'static str) -> Self {
        self.superuser = name;
        self
    }

    /// Trades crash safety for speed (fsync off): for throwaway test clusters.
    pub fn non_durable(mut self) -> Self {
        self.durable = false;
        self
    }

    /// Port to try first; `None` takes any free port.
    pub fn preferred_port(mut self, port: Option<u16>) -> Self {
        self.preferred_port = port;
        self
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.home.join("run")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.home.join("log")
    }

    pub fn log_file(&self) -> PathBuf {
        self.log_dir().join("postgres.log")
    }

    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The running cluster, if any. A `postmaster.pid` left by a crashed server is removed.
    pub fn status(&self) -> anyhow::Result<Option<Running>> {
        let pid_file = self.data_dir().join("postmaster.pid");
        let Ok(text) = fs::read_to_string(&pid_file) else {
            return Ok(None);
        };
        let mut lines = text.lines();
        let pid: Option<u32> = lines.next().and_then(|l| l.trim().parse().ok());
        let port: Option<u16> = lines.nth(2).and_then(|l| l.trim().parse().ok());
        match (pid, port) {
            (Some(pid), Some(port)) if is_postgres_process(pid) => Ok(Some(Running { pid, port })),
            (Some(pid), _) if is_postgres_process(pid) => Ok(None), // still starting up
            _ => {
                eprintln!("removing stale {} (no server runs with its pid)", pid_file.display());
                fs::remove_file(&pid_file).with_context(|| format!("removing {}", pid_file.display()))?;
                Ok(None)
            }
        }
    }

    /// Starts the cluster (running `initdb` the first time) or reuses the running one.
    /// Returns it and whether this call started it.
    pub fn start(&self) -> anyhow::Result<(Running, bool)> {
        fs::create_dir_all(&self.home).with_context(|| format!("creating {}", self.home.display()))?;
        let _lock = self.lock()?;
        if self.data_dir().join("PG_VERSION").exists() {
            self.ensure_encryption_key()?;
        }
        if let Some(running) = self.status()? {
            return Ok((running, false));
        }
        self.prepare_directories()?;
        if !self.data_dir().join("PG_VERSION").exists() {
            self.initdb()?;
        }
        self.ensure_encryption_key()?;
        // A port free when checked can be taken before postgres binds it (another cluster
        // starting at the same moment): then try again on an ephemeral one.
        let mut preferred = self.preferred_port;
        for attempt in 1..=3 {
            let port = free_port(preferred)?;
            let out = self.run(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_dir().display().to_string(),
                    "-l",
                    &self.log_file().display().to_string(),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &format!("-p {port}"),
                    "start",
                ],
            )?;
            if out.status.success() {
                break;
            }
            let log = tail(&self.log_file(), 15);
            if attempt < 3 && log.contains("Address already in use") {
                preferred = None;
                continue;
            }
            bail!(
                "postgres did not start: {}\n--- last lines of {} ---\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                self.log_file().display(),
                log
            );
        }
        match self.status()? {
            Some(running) => Ok((running, true)),
            None => bail!(
                "postgres started but wrote no pid file; see {}",
                self.log_file().display()
            ),
        }
    }

    /// Stops the cluster if it runs; returns whether it was running.
    pub fn stop(&self) -> anyhow::Result<bool> {
        if !self.home.exists() {
            return Ok(false);
        }
        let _lock = self.lock()?;
        let Some(running) = self.status()? else {
            return Ok(false);
        };
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir().display().to_string(),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "stop",
            ],
        )?;
        if !out.status.success() && is_postgres_process(running.pid) {
            bail!("pg_ctl stop failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(true)
    }

    /// Serialises start and stop across processes (tests start clusters concurrently).
    fn lock(&self) -> anyhow::Result<fs::File> {
        let path = self.home.join("cluster.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.lock().with_context(|| format!("locking {}", path.display()))?;
        Ok(file)
    }

    fn prepare_directories(&self) -> anyhow::Result<()> {
        for dir in [self.data_dir(), self.socket_dir(), self.log_dir()] {
            fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        if let Some(user) = self.run_as {
            ensure_system_user(user)?;
            grant_traverse(user, &self.home)?;
            for dir in [self.data_dir(), self.socket_dir(), self.log_dir()] {
                let status = Command::new("chown").args(["-R", user]).arg(&dir).status()?;
                if !status.success() {
                    bail!("could not give {} to user {user}", dir.display());
                }
            }
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(self.data_dir(), fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    fn initdb(&self) -> anyhow::Result<()> {
        eprintln!("initialising a new Postgres cluster in {}", self.data_dir().display());
        let out = self.run(
            "initdb",
            &[
                "-D",
                &self.data_dir().display().to_string(),
                "-U",
                self.superuser,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let mut conf = String::from("\n# --- set by ombaro ---\n");
        conf.push_str("listen_addresses = '127.0.0.1'\n");
        conf.push_str(&format!(
            "unix_socket_directories = '{}'\n",
            self.socket_dir().display()
        ));
        conf.push_str("max_connections = 200\n");
        // Realtime (logical replication of the supabase_realtime publication).
        conf.push_str("wal_level = logical\nmax_wal_senders = 10\nmax_replication_slots = 10\n");
        if self.bindir.join("../lib/pg_cron.so").exists() {
            conf.push_str("shared_preload_libraries = 'pg_cron'\ncron.database_name = 'postgres'\n");
        }
        conf.push_str("timezone = 'UTC'\nlog_timezone = 'UTC'\n");
        if !self.durable {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let conf_path = self.data_dir().join("postgresql.conf");
        fs::OpenOptions::new()
            .append(true)
            .open(&conf_path)
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .with_context(|| format!("writing {}", conf_path.display()))?;
        Ok(())
    }

    /// The data key behind `private.encryption_key()`: a file in the data directory, outside
    /// every table and dump, readable by the server alone. Generated once.
    fn ensure_encryption_key(&self) -> anyhow::Result<()> {
        let dir = self.data_dir().join("ombaro");
        let path = dir.join("encryption.key");
        if path.exists() {
            return Ok(());
        }
        fs::create_dir_all(&dir)?;
        let key: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..64).map(|_| format!("{:x}", rng.random_range(0..16u8))).collect()
        };
        fs::write(&path, key).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
        }
        if let Some(user) = self.run_as {
            let status = Command::new("chown").args(["-R", user]).arg(&dir).status()?;
            if !status.success() {
                bail!("could not give {} to user {user}", dir.display());
            }
        }
        Ok(())
    }

    /// Runs a server binary, as the cluster user when we are root.
    fn run(&self, bin: &str, args: &[&str]) -> anyhow::Result<Output> {
        let path = self.bindir.join(bin);
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        cmd.args(args).current_dir(&self.home);
        cmd.output().with_context(|| format!("running {}", path.display()))
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `OMBARO_PG_BINDIR`, else the
/// newest Debian-style `/usr/lib/postgresql/<n>/bin`, else `PATH`.
pub fn find_bindir() -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    if let Some(dir) = crate::config::env_nonempty("OMBARO_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        if has_server(&dir) {
            return Ok(dir);
        }
        bail!("OMBARO_PG_BINDIR={} has no initdb, pg_ctl and postgres", dir.display());
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, dir)| has_server(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&paths).find(|d| has_server(d)) {
            return Ok(dir);
        }
    }
    bail!("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install PostgreSQL 15 (Debian: apt-get install postgresql-15) or set OMBARO_PG_BINDIR")
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn is_postgres_process(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|comm| comm.trim() == "postgres")
        .unwrap_or(false)
}

fn free_port(preferred: Option<u16>) -> anyhow::Result<u16> {
    if let Some(port) = preferred {
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn ensure_system_user(user: &str) -> anyhow::Result<()> {
    if Command::new("id").args(["-u", user]).output()?.status.success() {
        return Ok(());
    }
    eprintln!("creating system user {user} to run Postgres (it refuses to run as root)");
    let status = Command::new("useradd")
        .args([
            "--system",
            "--user-group",
            "--no-create-home",
            "--shell",
            "/bin/sh",
            user,
        ])
        .status()
        .context("running useradd")?;
    if !status.success() {
        bail!("could not create system user {user}");
    }
    Ok(())
}

/// The cluster user must be able to reach its directories: add the search (x) bit for
/// others on ancestors that lack it (a checkout in a private temporary directory, say).
fn grant_traverse(user: &str, dir: &Path) -> anyhow::Result<()> {
    let reachable = |d: &Path| {
        Command::new("runuser")
            .args(["-u", user, "--", "test", "-x"])
            .arg(d)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if reachable(dir) {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = dir.canonicalize()?;
        for ancestor in dir.ancestors().collect::<Vec<_>>().into_iter().rev() {
            let mode = fs::metadata(ancestor)?.permissions().mode();
            if mode & 0o001 == 0 {
                eprintln!("letting user {user} traverse {} (adding o+x)", ancestor.display());
                fs::set_permissions(ancestor, fs::Permissions::from_mode(mode | 0o001))?;
            }
        }
    }
    if !reachable(dir) {
        bail!(
            "user {user} cannot reach {}; move the project somewhere it can",
            dir.display()
        );
    }
    Ok(())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
