//! HS256 JWTs as Supabase uses them: API keys (`anon`, `service_role`) and user access tokens
//! share one secret and carry the Postgres role to act as in the `role` claim.
//!
//! Verification is strict on purpose: only HS256 (so `alg: none` and algorithm confusion are
//! refused), `exp` required and in the future, and `role` required and one of [`API_ROLES`],
//! because the role ends up in `set_config('role', ...)`: a token naming `postgres` must never
//! get that far.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The roles a verified token may act as: the API keys' (`anon`, `service_role`) and those a
/// signed-in user's token may name ([`SIGNED_IN_ROLES`]).
pub const API_ROLES: [&str; 5] = ["anon", "authenticated", "partner", "staff", "service_role"];

/// The roles of signed-in users' tokens, each holding all the one before holds. Auth's custom
/// access token hook (`public.custom_access_token_hook`, V24) names `partner` for vendors and
/// therapists and `staff` for employees, so Postgres plans their statements with the policy
/// arms that can admit their rows and no others; a customer's token is `authenticated`.
pub const SIGNED_IN_ROLES: [&str; 3] = ["authenticated", "partner", "staff"];

/// Issuer of the keys this stack signs.
pub const ISSUER: &str = "ombaro";

/// `iat` of the printed API keys: fixed so the same secret always prints the same keys.
const API_KEY_ISSUED_AT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const API_KEY_LIFETIME_SECS: i64 = 10 * 365 * 24 * 3600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing Authorization: Bearer <token> header")]
    Missing,
    #[error("token has expired")]
    Expired,
    #[error("token signature or format is invalid")]
    Invalid,
    #[error("token has no role claim")]
    MissingRole,
    #[error("token role {0:?} is not an API role")]
    UnknownRole(String),
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "missing_token",
            AuthError::Expired => "token_expired",
            AuthError::Invalid => "invalid_token",
            AuthError::MissingRole => "missing_role",
            AuthError::UnknownRole(_) => "unknown_role",
        }
    }
}

/// The claims of a verified token: the role to act as, the user (`sub`) if any, and every
/// claim as sent, which is what `request.jwt.claims` carries into Postgres.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedClaims {
    pub role: String,
    pub sub: Option<String>,
    pub raw: Value,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// SHA-256 of the secret: the root of [`JwtKeys::derived_secret`].
    seed: [u8; 32],
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

#[derive(Deserialize)]
struct RoleClaims {
    role: Option<Value>,
    sub: Option<Value>,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        use sha2::{Digest, Sha256};
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            seed: Sha256::digest(secret.as_bytes()).into(),
        }
    }

    /// A secret for `purpose` derived from the project's JWT secret: stable across restarts,
    /// different per project and per purpose, and revealing nothing about the JWT secret (for
    /// example the local sandbox gateway's webhook signing secret).
    pub fn derived_secret(&self, purpose: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new()
            .chain_update(self.seed)
            .chain_update(b"/")
            .chain_update(purpose.as_bytes())
            .finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn verify(&self, token: &str) -> Result<VerifiedClaims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let data =
            decode::<Map<String, Value>>(token.trim(), &self.decoding, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })?;
        let raw = Value::Object(data.claims);
        let parsed: RoleClaims = serde_json::from_value(raw.clone()).map_err(|_| AuthError::Invalid)?;
        let role = match parsed.role {
            Some(Value::String(role)) if !role.is_empty() => role,
            Some(Value::String(_)) | None | Some(Value::Null) => return Err(AuthError::MissingRole),
            Some(_) => return Err(AuthError::Invalid),
        };
        if !API_ROLES.contains(&role.as_str()) {
            return Err(AuthError::UnknownRole(role));
        }
        let sub = match parsed.sub {
            Some(Value::String(sub)) => Some(sub),
            _ => None,
        };
        Ok(VerifiedClaims { role, sub, raw })
    }

    /// Signs any claims with HS256.
    pub fn sign(&self, claims: &Value) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of JSON claims cannot fail")
    }

    /// The long-lived API key for `role` (`anon` or `service_role`), as `supabase start` prints.
    pub fn api_key(&self, role: &str) -> String {
        self.sign(&serde_json::json!({
            "iss": ISSUER,
            "role": role,
            "iat": API_KEY_ISSUED_AT,
            "exp": API_KEY_ISSUED_AT + API_KEY_LIFETIME_SECS,
        }))
    }

    /// A user access token like GoTrue issues: `sub`, `role: authenticated`, `aud`, `email`,
    /// valid for `ttl_secs` from now. Extra claims (e.g. `app_metadata`) are merged in.
    pub fn user_token(&self, user_id: &str, email: Option<&str>, ttl_secs: i64, extra: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = serde_json::json!({
            "iss": ISSUER,
            "sub": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "iat": now,
            "exp": now + ttl_secs,
        });
        if let (Value::Object(base), Value::Object(more)) = (&mut claims, extra) {
            base.extend(more);
        }
        self.sign(&claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> JwtKeys {
        JwtKeys::new("super-secret-jwt-token-with-at-least-32-characters")
    }

    #[test]
    fn api_keys_verify_with_their_role() {
        let keys = keys();
        for role in ["anon", "service_role"] {
            let claims = keys.verify(&keys.api_key(role)).unwrap();
            assert_eq!(claims.role, role);
            assert_eq!(claims.raw["iss"], ISSUER);
        }
    }

    #[test]
    fn api_keys_are_stable_for_a_secret() {
        assert_eq!(keys().api_key("anon"), keys().api_key("anon"));
        assert_ne!(
            keys().api_key("anon"),
            JwtKeys::new("another-secret-of-enough-length!!").api_key("anon")
        );
    }

    #[test]
    fn user_tokens_carry_sub_and_extra_claims() {
        let keys = keys();
        let token = keys.user_token(
            "8d0f1f7e-4c8c-4a8a-9f62-5b6c3d2e1a00",
            Some("a@b.in"),
            60,
            json!({"app_metadata": {"x": 1}}),
        );
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.role, "authenticated");
        assert_eq!(claims.sub.as_deref(), Some("8d0f1f7e-4c8c-4a8a-9f62-5b6c3d2e1a00"));
        assert_eq!(claims.raw["app_metadata"]["x"], 1);
    }

    #[test]
    fn another_secret_is_invalid() {
        let token = JwtKeys::new("another-secret-of-enough-length!!").api_key("anon");
        assert_eq!(keys().verify(&token), Err(AuthError::Invalid));
    }

    #[test]
    fn expired_is_refused() {
        let keys = keys();
        let token = keys.sign(&json!({"role": "anon", "exp": chrono::Utc::now().timestamp() - 5}));
        assert_eq!(keys.verify(&token), Err(AuthError::Expired));
    }

    #[test]
    fn alg_none_is_refused() {
        use base64_url as b64;
        let header = b64::encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64::encode(br#"{"role":"service_role","exp":4102444800}"#);
        assert_eq!(keys().verify(&format!("{header}.{body}.")), Err(AuthError::Invalid));
    }

    #[test]
    fn missing_or_foreign_role_is_refused() {
        let keys = keys();
        let no_role = keys.sign(&json!({"exp": 4102444800_i64}));
        assert_eq!(keys.verify(&no_role), Err(AuthError::MissingRole));
        let postgres = keys.sign(&json!({"role": "postgres", "exp": 4102444800_i64}));
        assert_eq!(keys.verify(&postgres), Err(AuthError::UnknownRole("postgres".into())));
    }

    #[test]
    fn garbage_and_missing_exp_are_invalid() {
        let keys = keys();
        assert_eq!(keys.verify("not a token"), Err(AuthError::Invalid));
        assert_eq!(keys.verify(""), Err(AuthError::Invalid));
        let no_exp = keys.sign(&json!({"role": "anon"}));
        assert_eq!(keys.verify(&no_exp), Err(AuthError::Invalid));
    }

    /// Unpadded base64url, enough to forge a token by hand.
    mod base64_url {
        pub fn encode(bytes: &[u8]) -> String {
            const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
