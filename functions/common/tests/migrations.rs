//! The migration pipeline: idempotent re-runs and refusal of edited migrations.

use ombaro_common::{schema, testing::TestDb};
use refinery::Migration;

#[tokio::test]
async fn rerunning_migrations_applies_nothing() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let applied = schema::migrate(&mut client).await.unwrap();
    assert!(applied.is_empty(), "re-run applied {applied:?}");
}

#[tokio::test]
async fn an_edited_applied_migration_is_refused_by_name() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let mut migrations = schema::migrations();
    let (name, sql) = schema::MIGRATIONS[0];
    migrations[0] = Migration::unapplied(name, &format!("{sql}\n-- an edit\n")).unwrap();

    let err = schema::run_migrations(&mut client, &migrations).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains(&format!("migrations/{name}.sql")), "{message}");
    assert!(message.contains("edited"), "{message}");
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_keeps_data() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let user = db.create_user("meera@example.in").await;
    schema::bootstrap(&client).await.unwrap();
    schema::bootstrap(&client).await.unwrap();
    let count: i64 = client
        .query_one("select count(*) from auth.users where id = $1", &[&user])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 1);
}

#[tokio::test]
async fn bootstrap_gives_what_supabase_gives() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let roles = client
        .query(
            "select rolname, rolcanlogin, rolbypassrls, rolinherit from pg_roles
              where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname",
            &[],
        )
        .await
        .unwrap();
    let roles: Vec<(String, bool, bool, bool)> =
        roles.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        roles,
        vec![
            ("anon".into(), false, false, false),
            ("authenticated".into(), false, false, false),
            ("authenticator".into(), true, false, false),
            ("service_role".into(), false, true, false),
        ]
    );
    let settings: Vec<String> = client
        .query(
            "select unnest(setconfig) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
              where r.rolname in ('anon', 'authenticated', 'authenticator') and s.setdatabase = 0 order by 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for expected in [
        "statement_timeout=3s",
        "statement_timeout=8s",
        "pgrst.db_schemas=public",
    ] {
        assert!(
            settings.iter().any(|s| s == expected),
            "{expected} missing from {settings:?}"
        );
    }
    let member_of: i64 = client
        .query_one(
            "select count(*) from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on u.oid = m.member
              where u.rolname = 'authenticator' and r.rolname in ('anon', 'authenticated', 'service_role')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(member_of, 3);
    let row = client
        .query_one(
            "select (select count(*) from pg_publication where pubname = 'supabase_realtime'),
                    (select relrowsecurity from pg_class where oid = 'storage.objects'::regclass),
                    (select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto'),
                    (select count(*) from information_schema.columns where table_schema = 'auth' and table_name = 'users'
                       and column_name in ('is_anonymous', 'is_sso_user', 'banned_until', 'deleted_at', 'phone', 'raw_app_meta_data'))",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, String>(2), "extensions");
    assert_eq!(row.get::<_, i64>(3), 6);
}
