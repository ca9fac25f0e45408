//! `supabase/` must be exactly what `ombaro supabase sync` writes from migrations/ and seeds/.

use std::{fs, path::Path};

fn project_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn committed_supabase_copies_match_the_sources() {
    let diffs = ombaro::supabase::differences(project_root()).unwrap();
    assert!(
        diffs.is_empty(),
        "supabase/ is out of date; run `ombaro supabase sync`:\n{}",
        diffs.join("\n")
    );
}

/// A copy of the project's sources and generated files in a temporary directory.
fn scratch_copy() -> tempdir::TempDir {
    let dir = tempdir::TempDir::new();
    for sub in ["migrations", "seeds", "supabase/migrations"] {
        let from = project_root().join(sub);
        let to = dir.path().join(sub);
        fs::create_dir_all(&to).unwrap();
        for entry in fs::read_dir(&from).into_iter().flatten() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
            }
        }
    }
    fs::copy(
        project_root().join("supabase/seed.sql"),
        dir.path().join("supabase/seed.sql"),
    )
    .unwrap();
    dir
}

#[test]
fn sync_catches_a_hand_edited_copy_and_restores_it() {
    let dir = scratch_copy();
    let root = dir.path();
    let generated = fs::read_dir(root.join("supabase/migrations"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let original = fs::read_to_string(&generated).unwrap();
    fs::write(
        &generated,
        format!("{original}\ncreate table public.sneaky (id int);\n"),
    )
    .unwrap();

    let diffs = ombaro::supabase::differences(root).unwrap();
    let name = generated.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        diffs.iter().any(|d| d.starts_with("differs:") && d.contains(&name)),
        "{diffs:?}"
    );

    let changed = ombaro::supabase::write(root).unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(fs::read_to_string(&generated).unwrap(), original);
    assert!(
        ombaro::supabase::write(root).unwrap().is_empty(),
        "a second sync changed something"
    );
}

#[test]
fn sync_reports_missing_and_stale_files() {
    let dir = scratch_copy();
    let root = dir.path();
    fs::remove_file(root.join("supabase/seed.sql")).unwrap();
    fs::write(
        root.join("supabase/migrations/20990101000000_hand_made.sql"),
        "select 1;",
    )
    .unwrap();
    let diffs = ombaro::supabase::differences(root).unwrap();
    assert!(diffs.contains(&"missing: supabase/seed.sql".to_owned()), "{diffs:?}");
    assert!(
        diffs.contains(&"stale: supabase/migrations/20990101000000_hand_made.sql".to_owned()),
        "{diffs:?}"
    );
    ombaro::supabase::write(root).unwrap();
    assert!(ombaro::supabase::differences(root).unwrap().is_empty());
}

#[test]
fn generated_migrations_keep_the_source_sql_verbatim() {
    let files = ombaro::supabase::expected(project_root()).unwrap();
    for (stem, sql) in ombaro_common::schema::MIGRATIONS {
        let version: u32 = stem[1..stem.find("__").unwrap()].parse().unwrap();
        let name = &stem[stem.find("__").unwrap() + 2..];
        let path = Path::new("supabase/migrations")
            .join(format!("{}_{name}.sql", ombaro::supabase::supabase_timestamp(version)));
        let generated = files
            .get(&path)
            .unwrap_or_else(|| panic!("{} not generated", path.display()));
        assert!(
            generated.ends_with(sql),
            "{} does not end with the source",
            path.display()
        );
    }
}

/// A directory removed when dropped (no extra crate needed for this one use).
mod tempdir {
    pub struct TempDir(std::path::PathBuf);

    impl TempDir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("ombaro-sync-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
