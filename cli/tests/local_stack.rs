//! The `ombaro` binary driving a real local cluster and function server, as a developer
//! would: each test has its own state directory.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::{json, Value};

struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("ombaro-home-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn ombaro(&self, args: &[&str]) -> Output {
        self.ombaro_with(args, &[])
    }

    fn ombaro_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ombaro"));
        cmd.args(args)
            .env("OMBARO_HOME", &self.0)
            .env("OMBARO_PROJECT_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env_remove("DATABASE_URL")
            .env_remove("JWT_SECRET")
            .env("OMBARO_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn data_dir(&self) -> PathBuf {
        self.0.join("db/data")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.ombaro(&["stop"]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pids of postmasters serving `data_dir`.
fn postmasters(data_dir: &Path) -> Vec<u32> {
    let needle = data_dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains("postgres") && cmdline.contains(&needle) && !cmdline.contains("pg_ctl")
        })
        .collect()
}

#[test]
fn db_start_twice_runs_one_cluster_and_stop_leaves_none() {
    let home = Home::new();
    let first = stdout(&home.ombaro(&["db", "start"]));
    assert!(first.contains("started"), "{first}");
    let second = stdout(&home.ombaro(&["db", "start"]));
    assert!(second.contains("already running"), "{second}");
    assert_eq!(postmasters(&home.data_dir()).len(), 1);

    let url = stdout(&home.ombaro(&["db", "url"])).trim().to_owned();
    assert!(url.starts_with("postgresql://postgres:postgres@127.0.0.1:"), "{url}");

    stdout(&home.ombaro(&["db", "stop"]));
    assert!(
        postmasters(&home.data_dir()).is_empty(),
        "a postgres process outlived `db stop`"
    );
    assert!(!home.ombaro(&["db", "status"]).status.success());

    // A crash leaves a pid file whose process is gone: the next start recovers.
    std::fs::write(home.data_dir().join("postmaster.pid"), "4194000\n/nowhere\n0\n54322\n").unwrap();
    let restarted = stdout(&home.ombaro(&["db", "start"]));
    assert!(restarted.contains("started"), "{restarted}");
    assert_eq!(postmasters(&home.data_dir()).len(), 1);
}

#[test]
fn up_detached_serves_the_printed_keys_and_refuses_others() {
    let home = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let printed = stdout(&home.ombaro(&["up", "--detach", "--port", &port]));
    for label in ["API URL:", "DB URL:", "anon key:", "service_role key:"] {
        assert!(printed.contains(label), "`up` did not print {label}:\n{printed}");
    }

    let status: Value = serde_json::from_str(&stdout(&home.ombaro(&["status", "--json"]))).unwrap();
    for key in ["api_url", "db_url", "anon_key", "service_role_key", "jwt_secret"] {
        assert!(status[key].is_string(), "status --json lacks {key}: {status}");
    }
    let api = status["api_url"].as_str().unwrap();
    assert!(printed.contains(status["anon_key"].as_str().unwrap()));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let health = format!("{api}/functions/v1/health");
        let call = |token: String| {
            let req = http.get(&health).bearer_auth(token);
            async move { req.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(call(status["anon_key"].as_str().unwrap().to_owned()).await, 200);
        // The cache is the redis-server `up` started under .ombaro/redis (scripts/setup
        // installs it).
        let body: Value = http
            .get(&health)
            .bearer_auth(status["anon_key"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["cache"]["backend"], "redis", "{body}");

        let keys = ombaro_common::jwt::JwtKeys::new(status["jwt_secret"].as_str().unwrap());
        let foreign = ombaro_common::jwt::JwtKeys::new("a-secret-from-some-other-project-000");
        assert_eq!(call(foreign.api_key("anon")).await, 401);
        let expired = keys.sign(&json!({"role": "anon", "exp": chrono::Utc::now().timestamp() - 60}));
        assert_eq!(call(expired).await, 401);
        assert_eq!(
            call("eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.".into()).await,
            401
        );

        // The database behind it: auth.uid() follows request.jwt.claims.
        let client = ombaro_common::db::connect(status["db_url"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(
            client
                .query_one("select auth.uid()", &[])
                .await
                .unwrap()
                .get::<_, Option<uuid::Uuid>>(0),
            None
        );
        let user = uuid::Uuid::new_v4();
        client
            .batch_execute(&format!(
                r#"set request.jwt.claims = '{{"sub":"{user}","role":"authenticated"}}'"#
            ))
            .await
            .unwrap();
        assert_eq!(
            client
                .query_one("select auth.uid()", &[])
                .await
                .unwrap()
                .get::<_, Option<uuid::Uuid>>(0),
            Some(user)
        );
    });

    // A second `up` reports the running stack instead of starting another.
    let again = stdout(&home.ombaro(&["up", "--detach", "--port", &port]));
    assert!(again.contains("already running"), "{again}");

    // `stop` stops the server first and waits for it, then Postgres, and says so.
    let server_pid: u32 = serde_json::from_slice::<Value>(&std::fs::read(home.0.join("stack.json")).unwrap()).unwrap()
        ["pid"]
        .as_u64()
        .unwrap() as u32;
    let stopped = stdout(&home.ombaro(&["stop"]));
    assert!(
        stopped.contains(&format!("stopped the function server (pid {server_pid})")),
        "{stopped}"
    );
    assert!(stopped.contains("Postgres stopped"), "{stopped}");
    assert!(stopped.contains("stopped the local redis-server"), "{stopped}");
    assert!(!home.0.join("redis").join("port").exists());
    let server_line = stopped.find("function server").unwrap();
    assert!(server_line < stopped.find("Postgres stopped").unwrap(), "{stopped}");
    assert!(
        !std::path::Path::new(&format!("/proc/{server_pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{server_pid}/stat")).is_ok_and(|s| s.contains(") Z")),
        "the function server outlived `ombaro stop`"
    );
    assert!(postmasters(&home.data_dir()).is_empty());
    assert!(home.ombaro(&["status"]).status.code() == Some(1));

    // Stopping a stopped stack says nothing was running.
    let again = stdout(&home.ombaro(&["stop"]));
    assert!(again.contains("the function server was not running"), "{again}");
    assert!(again.contains("Postgres was not running"), "{again}");
}

#[test]
fn database_url_means_nothing_is_started() {
    let home = Home::new();
    let url = "postgresql://postgres:postgres@127.0.0.1:1/elsewhere";
    let out = stdout(&home.ombaro_with(&["db", "start"], &[("DATABASE_URL", url)]));
    assert!(out.contains("nothing is started"), "{out}");
    assert!(!out.contains("postgres:postgres@"), "the password was printed: {out}");
    assert_eq!(
        stdout(&home.ombaro_with(&["db", "url"], &[("DATABASE_URL", url)])).trim(),
        url
    );
    assert!(
        !home.data_dir().exists(),
        "a cluster was initialised although DATABASE_URL was set"
    );
}

#[test]
fn missing_server_binaries_are_one_clear_line() {
    let home = Home::new();
    let out = home.ombaro_with(&["db", "start"], &[("OMBARO_PG_BINDIR", "/nonexistent/bin")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("initdb"), "{err}");
}

#[test]
fn every_command_explains_itself() {
    let home = Home::new();
    for args in [
        vec!["--help"],
        vec!["up", "--help"],
        vec!["db", "--help"],
        vec!["db", "start", "--help"],
        vec!["status", "--help"],
        vec!["keys", "--help"],
        vec!["supabase", "sync", "--help"],
    ] {
        let out = stdout(&home.ombaro(&args));
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
}
