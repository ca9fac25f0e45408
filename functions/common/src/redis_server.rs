//! A local `redis-server` for the stack (`ombaro up` starts one under `.ombaro/redis` when the
//! binary is installed, as it starts Postgres) and for tests (one per test, killed when
//! dropped). Nothing is persisted: it is a cache.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};

/// The binary, from `PATH`.
pub const BINARY: &str = "redis-server";

/// Port tried first for the stack's server (next to the database's 54322).
pub const DEFAULT_PORT: u16 = 54379;

/// Whether `redis-server` can be run here.
pub fn installed() -> bool {
    Command::new(BINARY)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port(preferred: Option<u16>) -> anyhow::Result<u16> {
    if let Some(port) = preferred {
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Whether a Redis answers `PING` on `port`.
pub fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(stream.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

fn wait_until_answers(port: u16, child: Option<&mut Child>) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut child = child;
    while Instant::now() < deadline {
        if answers(port) {
            return Ok(());
        }
        if let Some(c) = child.as_deref_mut() {
            if let Some(status) = c.try_wait()? {
                bail!("{BINARY} exited ({status}) before answering on port {port}");
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    bail!("{BINARY} did not answer on port {port} within 10 s")
}

fn args(port: u16, dir: &Path) -> Vec<String> {
    vec![
        "--port".into(),
        port.to_string(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--dir".into(),
        dir.display().to_string(),
        // A cache: nothing is written to disk.
        "--save".into(),
        String::new(),
        "--appendonly".into(),
        "no".into(),
        "--protected-mode".into(),
        "yes".into(),
    ]
}

/// The stack's server under `dir` (`.ombaro/redis`): a daemon that outlives the command that
/// started it, found again through its pid and port files.
pub struct LocalRedis {
    dir: PathBuf,
}

impl LocalRedis {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn port_file(&self) -> PathBuf {
        self.dir.join("port")
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("redis.pid")
    }

    /// `redis://127.0.0.1:<port>` of the running server, if one answers.
    pub fn url(&self) -> Option<String> {
        let port: u16 = std::fs::read_to_string(self.port_file()).ok()?.trim().parse().ok()?;
        answers(port).then(|| format!("redis://127.0.0.1:{port}"))
    }

    /// Starts the server unless it is running; its URL.
    pub fn start(&self) -> anyhow::Result<String> {
        if let Some(url) = self.url() {
            return Ok(url);
        }
        std::fs::create_dir_all(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        let port = free_port(Some(DEFAULT_PORT))?;
        let mut cmd = Command::new(BINARY);
        cmd.args(args(port, &self.dir))
            .args(["--daemonize", "yes", "--pidfile"])
            .arg(self.pid_file())
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let status = cmd.status().with_context(|| format!("running {BINARY}"))?;
        if !status.success() {
            bail!(
                "{BINARY} failed to start ({status}); see {}",
                self.dir.join("redis.log").display()
            );
        }
        wait_until_answers(port, None)?;
        std::fs::write(self.port_file(), port.to_string())?;
        Ok(format!("redis://127.0.0.1:{port}"))
    }

    /// Stops the server if it runs; whether it did.
    pub fn stop(&self) -> anyhow::Result<bool> {
        let Ok(pid) = std::fs::read_to_string(self.pid_file()) else {
            return Ok(false);
        };
        let pid = pid.trim().to_owned();
        let running = self.url().is_some();
        if running {
            Command::new("kill").arg("-TERM").arg(&pid).status()?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.url().is_some() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = std::fs::remove_file(self.pid_file());
        let _ = std::fs::remove_file(self.port_file());
        Ok(running)
    }
}

/// A server owned by this process (tests, benchmarks): killed when dropped or by
/// [`RedisServer::kill`].
pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts one on a free port with its working directory under the system's temp dir.
    pub fn spawn() -> anyhow::Result<Self> {
        let port = free_port(None)?;
        let dir = std::env::temp_dir().join(format!("ombaro-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut child = Command::new(BINARY)
            .args(args(port, &dir))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {BINARY} (is it installed? scripts/setup installs it)"))?;
        if let Err(err) = wait_until_answers(port, Some(&mut child)) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err);
        }
        Ok(Self {
            child: Some(child),
            port,
            dir,
        })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
