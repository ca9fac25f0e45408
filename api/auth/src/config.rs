//! The `[auth]` settings of `supabase/config.toml` that `/auth/v1` honours, with Supabase's
//! defaults where the file is silent, so the same file configures the Supabase CLI's GoTrue
//! and this one.

use std::path::Path;

use crate::crypto::DEFAULT_BCRYPT_COST;

/// Request budgets per client IP, as `[auth.rate_limit]` names them. `0` turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Password sign-ins and sign-ups per 5 minutes.
    pub sign_in_sign_ups: u32,
    /// OTP and magic-link verifications per 5 minutes.
    pub token_verifications: u32,
    /// Refresh-token grants per 5 minutes.
    pub token_refresh: u32,
    /// SMS sent (OTP) per hour.
    pub sms_sent: u32,
    /// Emails sent (magic links, recovery, confirmation) per hour.
    pub email_sent: u32,
}

impl Default for RateLimits {
    /// The Supabase CLI's defaults, except `email_sent`: locally mail goes to a log, so the
    /// 2/hour meant for a shared SMTP server would only get in the way of development.
    fn default() -> Self {
        Self {
            sign_in_sign_ups: 30,
            token_verifications: 30,
            token_refresh: 150,
            sms_sent: 30,
            email_sent: 30,
        }
    }
}

impl RateLimits {
    /// No limits (benchmarks).
    pub fn off() -> Self {
        Self {
            sign_in_sign_ups: 0,
            token_verifications: 0,
            token_refresh: 0,
            sms_sent: 0,
            email_sent: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOptions {
    /// Access token lifetime, seconds (`[auth] jwt_expiry`).
    pub jwt_expiry: i64,
    /// bcrypt cost of new password hashes.
    pub bcrypt_cost: u32,
    /// `[auth] enable_signup`.
    pub enable_signup: bool,
    /// `[auth.email] enable_signup`.
    pub email_signup: bool,
    /// `[auth.sms] enable_signup`.
    pub phone_signup: bool,
    /// `[auth.email] enable_confirmations`: an email sign-up must confirm before signing in.
    pub email_confirmations: bool,
    /// `[auth.sms] enable_confirmations`.
    pub phone_confirmations: bool,
    /// `[auth] enable_refresh_token_rotation`.
    pub refresh_token_rotation: bool,
    /// `[auth] refresh_token_reuse_interval`, seconds.
    pub refresh_token_reuse_interval: i64,
    /// `[auth] minimum_password_length`.
    pub minimum_password_length: usize,
    /// `[auth.email] otp_expiry`, seconds: magic links, confirmation and recovery.
    pub email_otp_expiry: i64,
    /// How long an SMS code is valid, seconds.
    pub sms_otp_expiry: i64,
    /// `[auth.email] max_frequency` / `[auth.sms] max_frequency`: seconds between two
    /// messages to the same address.
    pub max_frequency: i64,
    pub rate_limits: RateLimits,
    /// `[auth.hook.custom_access_token]`: the Postgres function (`schema.name`, from a
    /// `pg-functions://<db>/<schema>/<name>` uri) that may rewrite an access token's claims
    /// before it is signed.
    pub custom_access_token_hook: Option<String>,
}

impl Default for AuthOptions {
    fn default() -> Self {
        Self {
            jwt_expiry: 3600,
            bcrypt_cost: DEFAULT_BCRYPT_COST,
            enable_signup: true,
            email_signup: true,
            phone_signup: true,
            email_confirmations: false,
            phone_confirmations: false,
            refresh_token_rotation: true,
            refresh_token_reuse_interval: 10,
            minimum_password_length: 6,
            email_otp_expiry: 3600,
            sms_otp_expiry: 600,
            max_frequency: 60,
            rate_limits: RateLimits::default(),
            custom_access_token_hook: None,
        }
    }
}

impl AuthOptions {
    /// The options of the project at `root` (defaults when the file or a key is missing).
    pub fn from_project(root: &Path) -> Self {
        let text = std::fs::read_to_string(root.join("supabase/config.toml")).unwrap_or_default();
        Self::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Self {
        let mut options = Self::default();
        let Ok(doc) = text.parse::<toml::Table>() else {
            tracing::warn!("supabase/config.toml does not parse; /auth/v1 uses Supabase's defaults");
            return options;
        };
        let Some(auth) = doc.get("auth").and_then(|v| v.as_table()) else {
            return options;
        };
        let int = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_integer());
        let boolean = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_bool());
        if let Some(v) = int(auth, "jwt_expiry").filter(|v| *v > 0) {
            options.jwt_expiry = v;
        }
        if let Some(v) = boolean(auth, "enable_signup") {
            options.enable_signup = v;
        }
        if let Some(v) = boolean(auth, "enable_refresh_token_rotation") {
            options.refresh_token_rotation = v;
        }
        if let Some(v) = int(auth, "refresh_token_reuse_interval").filter(|v| *v >= 0) {
            options.refresh_token_reuse_interval = v;
        }
        if let Some(v) = int(auth, "minimum_password_length").filter(|v| *v > 0) {
            options.minimum_password_length = v as usize;
        }
        if let Some(email) = auth.get("email").and_then(|v| v.as_table()) {
            if let Some(v) = boolean(email, "enable_signup") {
                options.email_signup = v;
            }
            if let Some(v) = boolean(email, "enable_confirmations") {
                options.email_confirmations = v;
            }
            if let Some(v) = int(email, "otp_expiry").filter(|v| *v > 0) {
                options.email_otp_expiry = v;
            }
        }
        if let Some(sms) = auth.get("sms").and_then(|v| v.as_table()) {
            if let Some(v) = boolean(sms, "enable_signup") {
                options.phone_signup = v;
            }
            if let Some(v) = boolean(sms, "enable_confirmations") {
                options.phone_confirmations = v;
            }
        }
        if let Some(hook) = auth
            .get("hook")
            .and_then(|v| v.get("custom_access_token"))
            .and_then(|v| v.as_table())
            .filter(|hook| boolean(hook, "enabled") == Some(true))
        {
            let uri = hook.get("uri").and_then(|v| v.as_str()).unwrap_or_default();
            match pg_function_of(uri) {
                Some(function) => options.custom_access_token_hook = Some(function),
                None => tracing::warn!(
                    uri,
                    "[auth.hook.custom_access_token] is not a pg-functions://<db>/<schema>/<function> uri; tokens are issued without it"
                ),
            }
        }
        if let Some(limits) = auth.get("rate_limit").and_then(|v| v.as_table()) {
            let u = |k: &str| int(limits, k).and_then(|v| u32::try_from(v).ok());
            let r = &mut options.rate_limits;
            r.sign_in_sign_ups = u("sign_in_sign_ups").unwrap_or(r.sign_in_sign_ups);
            r.token_verifications = u("token_verifications").unwrap_or(r.token_verifications);
            r.token_refresh = u("token_refresh").unwrap_or(r.token_refresh);
            r.sms_sent = u("sms_sent").unwrap_or(r.sms_sent);
            r.email_sent = u("email_sent").unwrap_or(r.email_sent);
        }
        options
    }
}

/// `schema.function`, each part quoted, of a `pg-functions://<database>/<schema>/<function>` hook
/// uri.
fn pg_function_of(uri: &str) -> Option<String> {
    let path = uri.strip_prefix("pg-functions://")?;
    let mut parts = path.split('/');
    let (_database, schema, function) = (parts.next()?, parts.next()?, parts.next()?);
    let ident = |s: &str| {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| format!("\"{s}\""))
    };
    if parts.next().is_some() {
        return None;
    }
    Some(format!("{}.{}", ident(schema)?, ident(function)?))
}

/// Where links in messages may lead: `[auth] site_url` (the default) and
/// `additional_redirect_urls`. A `redirect_to` elsewhere is replaced by the site URL, as GoTrue
/// does, so nobody can have a victim's sign-in link deliver its tokens to another site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUrls {
    pub site_url: String,
    pub additional: Vec<String>,
}

impl Default for RedirectUrls {
    fn default() -> Self {
        Self {
            site_url: "http://127.0.0.1:3000".to_owned(),
            additional: Vec::new(),
        }
    }
}

impl RedirectUrls {
    pub fn from_project(root: &Path) -> Self {
        let text = std::fs::read_to_string(root.join("supabase/config.toml")).unwrap_or_default();
        Self::from_toml(&text)
    }

    pub fn from_toml(text: &str) -> Self {
        let mut urls = Self::default();
        let Some(auth) = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|d| d.get("auth").and_then(|a| a.as_table()).cloned())
        else {
            return urls;
        };
        if let Some(site) = auth.get("site_url").and_then(|v| v.as_str()) {
            urls.site_url = site.trim_end_matches('/').to_owned();
        }
        if let Some(list) = auth.get("additional_redirect_urls").and_then(|v| v.as_array()) {
            urls.additional = list
                .iter()
                .filter_map(|v| v.as_str())
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect();
        }
        urls
    }

    /// `wanted` when it is the site URL or an allowed URL, or a path below one; else the site.
    pub fn choose(&self, wanted: Option<&str>) -> String {
        let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
            return self.site_url.clone();
        };
        let allowed = std::iter::once(&self.site_url)
            .chain(self.additional.iter())
            .any(|base| {
                wanted == base
                    || wanted
                        .strip_prefix(base.as_str())
                        .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('#'))
            });
        if allowed {
            wanted.to_owned()
        } else {
            self.site_url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_auth_sections() {
        let o = AuthOptions::from_toml(
            r#"
[api]
max_rows = 10
[auth]
jwt_expiry = 900
refresh_token_reuse_interval = 0
[auth.email]
enable_confirmations = true
[auth.sms]
enable_signup = false
[auth.rate_limit]
sign_in_sign_ups = 5
"#,
        );
        assert_eq!(o.jwt_expiry, 900);
        assert_eq!(o.refresh_token_reuse_interval, 0);
        assert!(o.email_confirmations);
        assert!(!o.phone_signup);
        assert!(o.email_signup);
        assert_eq!(o.rate_limits.sign_in_sign_ups, 5);
        assert_eq!(o.rate_limits.token_refresh, 150);
        assert_eq!(o.bcrypt_cost, 10);
    }

    #[test]
    fn the_project_lets_a_new_phone_number_sign_up_by_otp() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(root.join("supabase/config.toml").is_file());
        let o = AuthOptions::from_project(&root);
        assert!(
            o.enable_signup && o.phone_signup,
            "phone OTP is India's default sign-in"
        );
    }

    #[test]
    fn the_project_names_each_token_s_audience_role_through_the_hook() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let o = AuthOptions::from_project(&root);
        assert_eq!(
            o.custom_access_token_hook.as_deref(),
            Some(r#""public"."custom_access_token_hook""#)
        );
    }

    #[test]
    fn a_hook_is_a_pg_function_or_nothing() {
        let hook = |uri: &str, enabled: bool| {
            AuthOptions::from_toml(&format!(
                "[auth.hook.custom_access_token]\nenabled = {enabled}\nuri = \"{uri}\"\n"
            ))
            .custom_access_token_hook
        };
        assert_eq!(
            hook("pg-functions://postgres/public/claims", true).as_deref(),
            Some(r#""public"."claims""#)
        );
        assert_eq!(hook("pg-functions://postgres/public/claims", false), None);
        assert_eq!(hook("https://hooks.example/claims", true), None);
        assert_eq!(hook("pg-functions://postgres/public/x; drop table y", true), None);
    }

    #[test]
    fn redirects_stay_on_allowed_sites() {
        let urls = RedirectUrls::from_toml(
            r#"
[auth]
site_url = "http://127.0.0.1:3000"
additional_redirect_urls = ["https://app.ombaro.in/"]
"#,
        );
        assert_eq!(urls.choose(None), "http://127.0.0.1:3000");
        assert_eq!(
            urls.choose(Some("https://app.ombaro.in/welcome")),
            "https://app.ombaro.in/welcome"
        );
        assert_eq!(urls.choose(Some("http://127.0.0.1:3000")), "http://127.0.0.1:3000");
        assert_eq!(urls.choose(Some("https://evil.example/steal")), "http://127.0.0.1:3000");
        assert_eq!(
            urls.choose(Some("https://app.ombaro.in.evil.example/")),
            "http://127.0.0.1:3000"
        );
        assert_eq!(urls.choose(Some("http://127.0.0.1:30001/")), "http://127.0.0.1:3000");
    }

    #[test]
    fn garbage_means_defaults() {
        assert_eq!(AuthOptions::from_toml("not [ toml"), AuthOptions::default());
        assert_eq!(AuthOptions::from_toml(""), AuthOptions::default());
    }
}
