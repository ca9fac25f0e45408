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
    let matching: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains("postgres") && cmdline.contains(&needle) && !cmdline.contains("pg_ctl")
        })
        .collect();
    // A child the postmaster has just forked still shows its parent's command line until it
    // renames itself: only processes whose parent is not one of them are postmasters.
    let parent = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(") ")?.1.split_whitespace().nth(1)?.parse().ok()
    };
    matching
        .iter()
        .copied()
        .filter(|pid| parent(*pid).is_none_or(|ppid| !matching.contains(&ppid)))
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
        vec!["worker", "--help"],
        vec!["notifications", "tail", "--help"],
        vec!["bench", "notifications", "--help"],
    ] {
        let out = stdout(&home.ombaro(&args));
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
}

/// `ombaro up` delivers the outbox in its own process: a booking made over HTTP reaches the
/// customer and the vendor through the local provider within a second, inbox rows included.
#[test]
fn up_delivers_a_bookings_notifications_within_a_second() {
    let home = Home::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    stdout(&home.ombaro(&["up", "--detach", "--port", &port]));
    let status: Value = serde_json::from_str(&stdout(&home.ombaro(&["status", "--json"]))).unwrap();
    let (api, db_url) = (status["api_url"].as_str().unwrap(), status["db_url"].as_str().unwrap());
    let keys = ombaro_common::jwt::JwtKeys::new(status["jwt_secret"].as_str().unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = ombaro_common::db::connect(db_url).await.unwrap();
        let (customer, vendor, therapist) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let therapist_user = uuid::Uuid::new_v4();
        client
            .batch_execute(&format!(
                "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                 select id, 'authenticated', 'authenticated', id || '@example.in', now(), '{{}}', '{{}}', now(), now()
                   from unnest(array['{customer}', '{vendor}', '{therapist_user}']::uuid[]) id;
                 insert into public.user_profiles (id, name, mobile, role) values
                   ('{customer}', 'Meera', '9811111111', 'customer'), ('{vendor}', 'Serene', '9822222222', 'vendor'),
                   ('{therapist_user}', 'Asha', '9833333333', 'therapist');
                 insert into public.customers (id) values ('{customer}');
                 insert into public.vendors (id, business_name, business_type, business_address, city_id, location, timezone,
                                             contact_person, contact_mobile, contact_email, verification_status, status)
                 values ('{vendor}', 'Serene Spa', 'spa', '{{\"line1\": \"MG Road\", \"city\": \"Bengaluru\"}}',
                         (select id from public.cities where name = 'Bengaluru'),
                         extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography,
                         'Asia/Kolkata', 'Owner', '9800000000', 'serene@example.in', 'verified', 'active');
                 insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
                 select '{vendor}', d, '09:00', '21:00' from generate_series(0, 6) d;
                 insert into public.vendor_services (vendor_id, service_id, durations_offered, is_home_service, is_in_spa)
                 select '{vendor}', s.id, '{{60}}', false, true from public.services s where s.code = 'SWD';
                 insert into public.therapists (id, user_id, vendor_id, name, email, mobile, gender, specialization, rating, status)
                 values ('{therapist}', '{therapist_user}', '{vendor}', 'Asha', 'asha@example.in', '9700000000', 'female',
                         '{{SWD}}', 4.8, 'active');
                 insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
                 select '{therapist}', d, '09:00', '21:00' from generate_series(0, 6) d;"
            ))
            .await
            .unwrap();
        let swd: uuid::Uuid = client
            .query_one("select id from public.services where code = 'SWD'", &[])
            .await
            .unwrap()
            .get(0);
        let ist = chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let day = chrono::Utc::now().with_timezone(&ist).date_naive() + chrono::Duration::days(3);
        let start = format!("{day}T11:00:00+05:30");
        let token = keys.user_token(&customer.to_string(), None, 600, json!({}));
        let http = reqwest::Client::new();
        let booked = http
            .post(format!("{api}/functions/v1/booking-service/bookings"))
            .bearer_auth(&token)
            .json(&json!({"vendor_id": vendor, "start": start,
                          "items": [{"service_id": swd, "duration_minutes": 60}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(booked.status().as_u16(), 201, "{}", booked.text().await.unwrap());
        let at = std::time::Instant::now();
        let delivered = loop {
            let inbox: i64 = client
                .query_one(
                    "select count(*) from public.notifications where user_id = any($1) and type = 'booking_created'",
                    &[&vec![customer, vendor]],
                )
                .await
                .unwrap()
                .get(0);
            // Generous: a loaded machine must not fail this; how fast it is belongs to
            // `ombaro bench notifications`, and the time is printed for the record.
            if inbox == 2 || at.elapsed() > std::time::Duration::from_secs(30) {
                break at.elapsed();
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert!(
            delivered < std::time::Duration::from_secs(30),
            "the customer's and vendor's inbox rows never arrived ({delivered:?})"
        );
        println!("booking to both inbox rows delivered: {delivered:?}");
        let pending: i64 = client
            .query_one(
                "select count(*) from public.notification_queue where status in ('pending', 'processing', 'failed', 'dead')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(pending, 0);
    });
    let log = std::fs::read_to_string(home.0.join("serve.log")).unwrap();
    assert!(log.contains("[notify] in_app   Booking OBO-"), "{log}");
    let tail = stdout(&home.ombaro(&["notifications", "tail"]));
    assert!(tail.contains("booking.created"), "{tail}");
}
