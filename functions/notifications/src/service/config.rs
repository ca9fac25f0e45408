//! Which provider each channel uses, read once at start-up from the environment. Without any
//! of these, every channel is the local provider (the default of `ombaro up`).
//!
//! | variable | meaning |
//! | --- | --- |
//! | `NOTIFY_PROVIDERS` | `local` forces the local provider on every channel whatever else is set |
//! | `FCM_SERVICE_ACCOUNT` | path of a Firebase service account's JSON key: push by FCM HTTP v1 |
//! | `FCM_BASE_URL` | default `https://fcm.googleapis.com` (the token URI comes from the key file) |
//! | `SENDGRID_API_KEY`, `SENDGRID_BASE_URL` | email by SendGrid v3 (default `https://api.sendgrid.com`) |
//! | `SMTP_HOST`, `SMTP_PORT`, `SMTP_USERNAME`, `SMTP_PASSWORD` | email by SMTP when SendGrid is not set (port 25 by default) |
//! | `EMAIL_FROM`, `EMAIL_FROM_NAME` | the sender, default `OMBARO <no-reply@ombaro.in>` |
//! | `MSG91_AUTH_KEY`, `MSG91_BASE_URL` | SMS by MSG91 (default `https://api.msg91.com`) |
//! | `WHATSAPP_TOKEN`, `WHATSAPP_PHONE_NUMBER_ID`, `WHATSAPP_BASE_URL` | WhatsApp by the Cloud API (default `https://graph.facebook.com/v21.0`) |

use std::sync::Arc;

use anyhow::Context;
use ombaro_common::config::env_nonempty;

use super::providers::{http_client, Fcm, Msg91, Providers, SendGrid, ServiceAccount, Smtp, WhatsappCloud};

impl Providers {
    /// From the environment (see the module's table); `echo`: the local provider prints a
    /// line per message.
    pub fn from_env(echo: bool) -> anyhow::Result<Self> {
        let mut providers = Providers::local(echo);
        if env_nonempty("NOTIFY_PROVIDERS").as_deref() == Some("local") {
            return Ok(providers);
        }
        let http = http_client();
        let from_email = env_nonempty("EMAIL_FROM").unwrap_or_else(|| "no-reply@ombaro.in".into());
        let from_name = env_nonempty("EMAIL_FROM_NAME").unwrap_or_else(|| "OMBARO".into());
        if let Some(path) = env_nonempty("FCM_SERVICE_ACCOUNT") {
            let raw = std::fs::read_to_string(&path).with_context(|| format!("reading FCM_SERVICE_ACCOUNT {path}"))?;
            let account: ServiceAccount =
                serde_json::from_str(&raw).with_context(|| format!("{path} is not a service account key"))?;
            let base = env_nonempty("FCM_BASE_URL").unwrap_or_else(|| Fcm::BASE_URL.into());
            providers.push = Arc::new(Fcm::new(base, account, http.clone())?);
            providers.names[3].1 = "fcm";
        }
        if let Some(api_key) = env_nonempty("SENDGRID_API_KEY") {
            providers.email = Arc::new(SendGrid {
                base_url: env_nonempty("SENDGRID_BASE_URL").unwrap_or_else(|| SendGrid::BASE_URL.into()),
                api_key,
                from_email,
                from_name,
                http: http.clone(),
            });
            providers.names[0].1 = "sendgrid";
        } else if let Some(host) = env_nonempty("SMTP_HOST") {
            let port = env_nonempty("SMTP_PORT")
                .map(|p| p.parse::<u16>())
                .transpose()
                .context("SMTP_PORT is not a port")?
                .unwrap_or(25);
            let credentials =
                env_nonempty("SMTP_USERNAME").map(|u| (u, env_nonempty("SMTP_PASSWORD").unwrap_or_default()));
            providers.email = Arc::new(Smtp::new(
                &host,
                port,
                credentials,
                &format!("{from_name} <{from_email}>"),
            )?);
            providers.names[0].1 = "smtp";
        }
        if let Some(auth_key) = env_nonempty("MSG91_AUTH_KEY") {
            providers.sms = Arc::new(Msg91 {
                base_url: env_nonempty("MSG91_BASE_URL").unwrap_or_else(|| Msg91::BASE_URL.into()),
                auth_key,
                http: http.clone(),
            });
            providers.names[1].1 = "msg91";
        }
        if let (Some(token), Some(phone_number_id)) =
            (env_nonempty("WHATSAPP_TOKEN"), env_nonempty("WHATSAPP_PHONE_NUMBER_ID"))
        {
            providers.whatsapp = Arc::new(WhatsappCloud {
                base_url: env_nonempty("WHATSAPP_BASE_URL").unwrap_or_else(|| WhatsappCloud::BASE_URL.into()),
                phone_number_id,
                token,
                http,
            });
            providers.names[2].1 = "meta_cloud";
        }
        Ok(providers)
    }
}
