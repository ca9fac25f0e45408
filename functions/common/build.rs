//! Embeds the SQL the stack applies: `migrations/V<n>__<name>.sql` (in version order) and
//! `seeds/*.sql` (in file-name order). The files stay the single source of truth; the
//! binary carries a copy so `ombaro` works from any directory.

use std::{env, fs, path::Path};

fn main() {
    // Read when the script runs, not when it was compiled: a build script binary reused from
    // another checkout must still read this checkout's files.
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../..");
    let root = root.canonicalize().expect("workspace root");
    let mut out = String::new();

    let mut migrations = sql_files(&root.join("migrations"))
        .into_iter()
        .filter(|(name, _)| name.starts_with('V'))
        .map(|(name, path)| {
            let version: u32 = name[1..name.find("__").expect("V<n>__<name>.sql")]
                .parse()
                .expect("migration version is a number");
            (version, name, path)
        })
        .collect::<Vec<_>>();
    migrations.sort_by_key(|(version, _, _)| *version);
    out.push_str("/// `(file stem, sql)` of every migration, in version order.\n");
    out.push_str("pub static MIGRATIONS: &[(&str, &str)] = &[\n");
    for (_, name, path) in &migrations {
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            name.trim_end_matches(".sql"),
            path
        ));
    }
    out.push_str("];\n\n");

    let mut seeds = sql_files(&root.join("seeds"));
    seeds.sort();
    out.push_str("/// `(file name, sql)` of every reference seed, in file-name order.\n");
    out.push_str("pub static SEEDS: &[(&str, &str)] = &[\n");
    for (name, path) in &seeds {
        out.push_str(&format!("    ({name:?}, include_str!({path:?})),\n"));
    }
    out.push_str("];\n");

    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded_sql.rs");
    fs::write(dest, out).unwrap();
    for dir in ["migrations", "seeds", "bootstrap"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
}

fn sql_files(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .map(|p| {
            println!("cargo:rerun-if-changed={}", p.display());
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                p.display().to_string(),
            )
        })
        .collect()
}
