//! The migrations, the seeds and the pgTAP suites on Supabase's ownership model: a cluster
//! whose superuser is `supabase_admin`, with `postgres` an ordinary role that owns none of
//! `auth` and `storage` (see `bootstrap/supabase_roles.sql` and
//! `bootstrap/supabase_ownership.sql`). Everything runs as that `postgres`, as
//! `supabase db reset` and `supabase test db` do; whatever fails here fails on Supabase.
//!
//! The cluster lives in `target/ombaro-supabase-like` (`OMBARO_HOME=target/ombaro-supabase-like
//! ombaro db stop` stops it; `scripts/test` does).

use std::{path::PathBuf, process::Command};

use ombaro_common::{cluster::Cluster, db, schema};
use tokio_postgres::Client;

const ROLES: &str = include_str!("../../../bootstrap/supabase_roles.sql");
const OWNERSHIP: &str = include_str!("../../../bootstrap/supabase_ownership.sql");
const DATABASE: &str = "ombaro_supabase_like";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Starts (or reuses) the cluster and builds a fresh database in it; returns its port.
async fn supabase_like_database() -> u16 {
    let home = root().join("target/ombaro-supabase-like/db");
    let (running, _) = tokio::task::spawn_blocking(move || {
        Cluster::new(&home)?
            .non_durable()
            .preferred_port(None)
            .superuser("supabase_admin")
            .start()
    })
    .await
    .unwrap()
    .expect("starting the Supabase-like cluster");
    let port = running.port;
    let admin = db::connect(&format!("postgresql://supabase_admin@127.0.0.1:{port}/postgres"))
        .await
        .unwrap();
    admin.batch_execute(ROLES).await.expect("bootstrap/supabase_roles.sql");
    for sql in [
        format!("drop database if exists {DATABASE} with (force)"),
        format!("create database {DATABASE} owner postgres"),
    ] {
        admin.batch_execute(&sql).await.unwrap();
    }
    let admin = db::connect(&format!("postgresql://supabase_admin@127.0.0.1:{port}/{DATABASE}"))
        .await
        .unwrap();
    schema::bootstrap(&admin).await.unwrap();
    admin
        .batch_execute(OWNERSHIP)
        .await
        .expect("bootstrap/supabase_ownership.sql");
    port
}

fn postgres_url(port: u16) -> String {
    format!("postgresql://postgres:postgres@127.0.0.1:{port}/{DATABASE}")
}

async fn one<T: for<'a> tokio_postgres::types::FromSql<'a>>(client: &Client, sql: &str) -> T {
    client
        .query_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

#[tokio::test]
async fn migrations_seeds_and_pgtap_run_as_supabases_postgres() {
    let port = supabase_like_database().await;
    let mut pg = db::connect(&postgres_url(port)).await.unwrap();

    // The model: postgres is no superuser and owns neither auth nor storage.
    assert!(!one::<bool>(&pg, "select rolsuper from pg_roles where rolname = current_user").await);
    assert_eq!(
        one::<String>(
            &pg,
            "select relowner::regrole::text from pg_class where oid = 'storage.objects'::regclass"
        )
        .await,
        "supabase_storage_admin"
    );
    assert_eq!(
        one::<String>(
            &pg,
            "select relowner::regrole::text from pg_class where oid = 'auth.users'::regclass"
        )
        .await,
        "supabase_auth_admin"
    );

    let applied = schema::migrate(&mut pg)
        .await
        .expect("the migrations apply as Supabase's postgres");
    assert_eq!(applied.len(), schema::MIGRATIONS.len());
    schema::seed_reference(&mut pg)
        .await
        .expect("the seeds load as Supabase's postgres");

    // As supautils does, the emulation refuses comments on storage policies.
    let err = pg
        .batch_execute(r#"comment on policy "authenticated select" on storage.objects is 'x'"#)
        .await
        .expect_err("comment on a storage policy is refused");
    assert_eq!(err.code().map(|c| c.code()), Some("42501"), "{err}");

    // Supabase's default grants are undone: API roles hold only what the migrations grant.
    assert_eq!(
        one::<i64>(
            &pg,
            "select count(*) from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
               and (has_sequence_privilege('anon', c.oid, 'usage') or has_sequence_privilege('anon', c.oid, 'select'))"
        )
        .await,
        0,
        "anon uses no sequence"
    );

    // The encryption key comes from the Vault secret the seed made.
    assert_eq!(
        one::<i64>(
            &pg,
            "select count(*) from vault.decrypted_secrets where name = 'ombaro_encryption_key'"
        )
        .await,
        1
    );
    assert_eq!(
        one::<String>(
            &pg,
            "select private.decrypt_text(private.encrypt_text('29ABCDE1234F1Z5'))"
        )
        .await,
        "29ABCDE1234F1Z5"
    );
    drop(pg);

    // Every pgTAP suite, as postgres.
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("supabase/tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let started = std::time::Instant::now();
    let out = Command::new("pg_prove")
        .arg("--dbname")
        .arg(postgres_url(port))
        .args(&files)
        .output()
        .expect("running pg_prove");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("Files=") || l.starts_with("Result:") || l.contains("Failed") || l.contains("not ok"))
        .collect();
    println!(
        "pgTAP as Supabase's postgres ({:.1} s): {}",
        started.elapsed().as_secs_f64(),
        summary.join(" | ")
    );
    assert!(
        out.status.success(),
        "pgTAP as Supabase's postgres failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
