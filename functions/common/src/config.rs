//! Where things are and which secrets apply, read from the environment first:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `DATABASE_URL` | use this database; start and stop nothing | the local cluster |
//! | `JWT_SECRET` | HS256 secret for API keys and user tokens | generated once into `.ombaro/jwt_secret` |
//! | `OMBARO_PROJECT_DIR` | the project checkout | nearest ancestor holding `migrations/` and `supabase/` |
//! | `OMBARO_HOME` | local state (cluster, secret, stack info) | `<project>/.ombaro` |
//! | `FUNCTIONS_DATABASE_URL` | how the function server logs in (as `authenticator`) | the database URL with user `authenticator` |
//! | `AUTHENTICATOR_PASSWORD` | `authenticator`'s password, when the URL's own is not it | the URL's password |

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use anyhow::Context;
use rand::{distr::Alphanumeric, Rng};

/// The project checkout and the directory holding its local state.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub home: PathBuf,
}

impl Project {
    pub fn discover() -> Self {
        let root = env_nonempty("OMBARO_PROJECT_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                let cwd = std::env::current_dir().ok()?;
                cwd.ancestors()
                    .find(|dir| dir.join("migrations").is_dir() && dir.join("supabase").is_dir())
                    .map(Path::to_path_buf)
            })
            .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")));
        let home = env_nonempty("OMBARO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".ombaro"));
        Self::at(root, home)
    }

    pub fn at(root: impl Into<PathBuf>, home: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let home = home.into();
        let home = if home.is_absolute() { home } else { root.join(home) };
        Self { root, home }
    }

    /// `JWT_SECRET` if set, else the secret stored in the home directory, generated on first
    /// use (readable by the owner only).
    pub fn jwt_secret(&self) -> anyhow::Result<String> {
        if let Some(secret) = env_nonempty("JWT_SECRET") {
            return Ok(secret);
        }
        let path = self.home.join("jwt_secret");
        if let Ok(secret) = fs::read_to_string(&path) {
            let secret = secret.trim().to_owned();
            if !secret.is_empty() {
                return Ok(secret);
            }
        }
        fs::create_dir_all(&self.home).with_context(|| format!("creating {}", self.home.display()))?;
        let secret: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(48)
            .map(char::from)
            .collect();
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode_owner_only()
            .open(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        file.write_all(secret.as_bytes())?;
        Ok(secret)
    }
}

/// `DATABASE_URL`, when set to something.
pub fn external_database_url() -> Option<String> {
    env_nonempty("DATABASE_URL")
}

/// How the function server logs in to the database at `db_url`: `FUNCTIONS_DATABASE_URL` as
/// it is, else `db_url` as `authenticator` (with `AUTHENTICATOR_PASSWORD` when set). Never
/// the superuser: the server refuses a login that could do more than the API roles.
pub fn functions_login(db_url: &str) -> anyhow::Result<tokio_postgres::Config> {
    match env_nonempty("FUNCTIONS_DATABASE_URL") {
        Some(url) => url
            .parse()
            .map_err(|_| anyhow::anyhow!("FUNCTIONS_DATABASE_URL is not a valid Postgres URL")),
        None => crate::db::login_as(
            db_url,
            crate::db::LOGIN_ROLE,
            env_nonempty("AUTHENTICATOR_PASSWORD").as_deref(),
        ),
    }
}

pub fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for fs::OpenOptions {
    fn mode_owner_only(&mut self) -> &mut Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            self.mode(0o600);
        }
        self
    }
}
