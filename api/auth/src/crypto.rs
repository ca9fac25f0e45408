//! Passwords, one-time codes and opaque tokens.
//!
//! - Passwords are bcrypt hashes in `auth.users.encrypted_password` (`$2a$`/`$2b$`, cost 10
//!   by default, GoTrue's `bcrypt.DefaultCost`), so a user created here signs in on GoTrue
//!   and back. Hashing runs on the blocking pool: it is meant to be slow.
//! - One-time codes are stored as GoTrue stores them: hex SHA-224 of the address followed by
//!   the code, compared in constant time.
//! - Refresh tokens are random alphanumeric strings.

use rand::{distr::Alphanumeric, Rng};
use sha2::{Digest, Sha224};
use subtle::ConstantTimeEq;

/// GoTrue's cost (`bcrypt.DefaultCost`).
pub const DEFAULT_BCRYPT_COST: u32 = 10;

/// Hashes `password` with bcrypt at `cost`, off the async threads.
pub async fn hash_password(password: String, cost: u32) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || bcrypt::hash(password, cost)).await??)
}

/// Whether `password` matches `hash`. A missing or unreadable hash is checked against
/// `decoy` instead, so an account without a password (or no account at all) takes as long to
/// refuse as a wrong password.
pub async fn verify_password(password: String, hash: Option<String>, decoy: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let usable = hash.filter(|h| h.starts_with("$2"));
        match usable {
            Some(h) => bcrypt::verify(&password, &h).unwrap_or(false),
            None => {
                let _ = bcrypt::verify(&password, &decoy);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// [`verify_password`] on the current thread (benchmarks measure bcrypt alone with it).
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// A random string of `len` ASCII letters and digits.
pub fn secure_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A six-digit code.
pub fn otp() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// GoTrue's stored form of a code sent to `address`: hex SHA-224 of `address` + `code`.
pub fn token_hash(address: &str, code: &str) -> String {
    hex::encode(Sha224::digest(format!("{address}{code}").as_bytes()))
}

/// Equality that takes the same time wherever the strings differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bcrypt_round_trip_and_decoy() {
        let hash = hash_password("correct horse".into(), 4).await.unwrap();
        assert!(hash.starts_with("$2"));
        let decoy = hash_password("decoy".into(), 4).await.unwrap();
        assert!(verify_password("correct horse".into(), Some(hash.clone()), decoy.clone()).await);
        assert!(!verify_password("wrong".into(), Some(hash), decoy.clone()).await);
        assert!(!verify_password("decoy".into(), None, decoy.clone()).await);
        assert!(!verify_password("decoy".into(), Some(String::new()), decoy).await);
    }

    #[test]
    fn go_style_2a_hashes_verify() {
        // Go's x/crypto/bcrypt (GoTrue) writes the `$2a$` prefix.
        let go = bcrypt::hash_with_result("password", 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoA);
        assert!(go.starts_with("$2a$04$"));
        assert!(bcrypt::verify("password", &go).unwrap());
        assert!(!bcrypt::verify("Password", &go).unwrap());
    }

    #[test]
    fn codes_and_tokens() {
        let code = otp();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        let t = secure_token(32);
        assert_eq!(t.len(), 32);
        assert_ne!(t, secure_token(32));
        assert_eq!(token_hash("919800000000", "123456").len(), 56);
        assert_ne!(token_hash("a@b.in", "123456"), token_hash("a@b.in", "123457"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
