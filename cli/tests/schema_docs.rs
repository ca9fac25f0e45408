//! docs/schema/ is generated from the migrated database; the committed pages must match.

use std::path::Path;

use ombaro_common::testing::TestDb;

#[tokio::test]
async fn committed_schema_docs_match_the_schema() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let pages = ombaro::schema_docs::render(&client).await.unwrap();
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut stale = Vec::new();
    for (path, content) in &pages {
        if std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(content.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "run `ombaro schema docs`; stale pages: {stale:?}");
}

#[tokio::test]
async fn every_category_page_has_a_diagram_and_every_table() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let pages = ombaro::schema_docs::render(&client).await.unwrap();
    let tables: i64 = client
        .query_one(
            "select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let documented: usize = pages.values().map(|p| p.matches("\n## ").count()).sum();
    assert_eq!(documented as i64, tables, "every table gets a section");
    for (path, page) in &pages {
        if !path.ends_with("README.md") {
            assert!(
                page.contains("```mermaid\nerDiagram"),
                "{} has no ER diagram",
                path.display()
            );
        }
    }
}
