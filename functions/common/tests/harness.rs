//! The test harness itself: fresh databases from the template, and personas.

use ombaro_common::testing::{as_persona, Persona, TestDb};
use uuid::Uuid;

#[tokio::test]
async fn each_test_database_is_fresh_and_migrated() {
    let first = TestDb::new().await;
    let second = TestDb::new().await;
    assert_ne!(first.name, second.name);

    let a = first.client().await;
    a.batch_execute("create table public.scratch (id int)").await.unwrap();
    let b = second.client().await;
    let leaked = b
        .query_one("select to_regclass('public.scratch') is not null", &[])
        .await
        .unwrap()
        .get::<_, bool>(0);
    assert!(!leaked, "a table made in one test database is visible in another");

    let applied: i64 = b
        .query_one("select count(*) from private.schema_migrations", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied as usize, ombaro_common::schema::MIGRATIONS.len());
}

#[tokio::test]
async fn a_dropped_test_database_is_gone() {
    let name = {
        let db = TestDb::new().await;
        db.name.clone()
    };
    let admin = ombaro_common::db::connect(&ombaro_common::testing::server_url().await)
        .await
        .unwrap();
    let exists = admin
        .query_opt("select 1 from pg_database where datname = $1", &[&name])
        .await
        .unwrap();
    assert!(exists.is_none(), "{name} outlived its TestDb");
}

#[tokio::test]
async fn a_user_persona_is_seen_by_auth_uid_and_auth_role() {
    let db = TestDb::new().await;
    let user = db.create_user("asha@example.in").await;
    let mut client = db.client().await;

    let tx = as_persona(&mut client, &Persona::User(user)).await.unwrap();
    let row = tx
        .query_one(
            "select auth.uid(), auth.role(), current_user::text, auth.jwt() ->> 'aud'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(user));
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("authenticated"));
    assert_eq!(row.get::<_, String>(2), "authenticated");
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("authenticated"));
    tx.rollback().await.unwrap();

    // The persona ends with its transaction: the connection is the superuser again.
    let row = client
        .query_one("select current_user::text, auth.uid()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "postgres");
    assert_eq!(row.get::<_, Option<Uuid>>(1), None);
}

#[tokio::test]
async fn anon_cannot_read_auth_users() {
    let db = TestDb::new().await;
    db.create_user("ravi@example.in").await;
    let mut client = db.client().await;
    let tx = as_persona(&mut client, &Persona::Anon).await.unwrap();
    let err = tx.query("select email from auth.users", &[]).await.unwrap_err();
    assert_eq!(err.as_db_error().unwrap().code().code(), "42501", "{err}");
}

#[tokio::test]
async fn the_older_per_claim_settings_still_work() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let id = Uuid::new_v4();
    let row = client
        .query_one(
            "select set_config('request.jwt.claim.sub', $1, false), auth.uid()",
            &[&id.to_string()],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(1), Some(id));
}
