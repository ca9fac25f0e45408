//! The providers behind one trait, each a real client of the provider's documented API:
//! push by FCM HTTP v1 (OAuth2 service-account JWT bearer flow), email by SendGrid v3
//! `mail/send` or by SMTP (lettre), SMS by MSG91 (DLT template and entity ids sent), WhatsApp
//! by the Meta WhatsApp Cloud API (template messages); and [`Local`], which delivers nowhere
//! but the logs and prints one line per message (the default of `ombaro up`).
//!
//! Every send carries an idempotency key (the queue row's id) where the provider has a place
//! for it, so a retry after an accepted send (the worker died before recording it) does not
//! reach the person twice where the provider honours it. Base URLs are configurable, so the
//! tests run these clients against local servers that check each request as documented.
//!
//! Errors are classified for the retry schedule: no answer, `408`, `429` and `5xx` are
//! transient; any other `4xx` is permanent (the message is dead).

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::channel::Channel;
use crate::plan::Message;
use crate::retry::Failure;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A provider accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The provider's name as the log tables know it (`sendgrid`, `smtp`, `msg91`,
    /// `meta_cloud`, `fcm`, or `other` for the local provider).
    pub provider: &'static str,
    /// The provider's id of the message (one per device for push).
    pub message_id: Option<String>,
    /// `sent` (handed over) or `delivered` (the local provider: delivered into the logs).
    pub status: &'static str,
    /// Push: what happened to each device.
    pub devices: Vec<DeviceReceipt>,
}

/// One device of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceReceipt {
    pub token: String,
    pub message_id: Option<String>,
    /// `sent`, `delivered`, `token_invalid` or `failed`.
    pub status: &'static str,
    pub error: Option<String>,
}

/// A provider did not take the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{provider}: {message}")]
pub struct ProviderError {
    pub provider: &'static str,
    pub failure: Failure,
    pub message: String,
    /// Push: what happened to each device (some may have been refused for good).
    pub devices: Vec<DeviceReceipt>,
}

impl ProviderError {
    fn new(provider: &'static str, status: Option<u16>, retry_after: Option<u32>, message: impl Into<String>) -> Self {
        ProviderError {
            provider,
            failure: Failure::from_status(status, retry_after),
            message: message.into(),
            devices: Vec::new(),
        }
    }
}

/// What every provider does: send one rendered message, keyed by `key` (the queue row id).
pub trait Provider: Send + Sync {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>>;
}

/// One provider per channel (in-app needs none: it is the inbox row).
#[derive(Clone)]
pub struct Providers {
    pub email: Arc<dyn Provider>,
    pub sms: Arc<dyn Provider>,
    pub whatsapp: Arc<dyn Provider>,
    pub push: Arc<dyn Provider>,
    /// What each channel uses, for the start-up line.
    pub names: [(&'static str, &'static str); 4],
    /// Print a line per message (the local provider's, and in-app notifications').
    pub echo: bool,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.names.iter().map(|(a, b)| (a, b))).finish()
    }
}

impl Providers {
    /// The local provider on every channel; `echo` prints a line per message.
    pub fn local(echo: bool) -> Self {
        let local: Arc<dyn Provider> = Arc::new(Local { echo });
        Providers {
            email: local.clone(),
            sms: local.clone(),
            whatsapp: local.clone(),
            push: local,
            names: [
                ("email", "local"),
                ("sms", "local"),
                ("whatsapp", "local"),
                ("push", "local"),
            ],
            echo,
        }
    }

    pub fn for_channel(&self, channel: Channel) -> Option<&Arc<dyn Provider>> {
        match channel {
            Channel::Email => Some(&self.email),
            Channel::Sms => Some(&self.sms),
            Channel::Whatsapp => Some(&self.whatsapp),
            Channel::Push => Some(&self.push),
            Channel::InApp => None,
        }
    }
}

/// HTTP client of the providers: bounded waits, so a slow provider is a transient failure,
/// not a worker stuck past its lease.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("building the HTTP client")
}

fn retry_after(response: &reqwest::Response) -> Option<u32> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The answer of a JSON API: its body when 2xx, else a classified error quoting it.
async fn json_answer(
    provider: &'static str,
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<(Value, reqwest::header::HeaderMap), ProviderError> {
    let response = response.map_err(|e| ProviderError::new(provider, None, None, format!("no answer: {e}")))?;
    let status = response.status();
    let after = retry_after(&response);
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let short: String = text.chars().take(300).collect();
        return Err(ProviderError::new(
            provider,
            Some(status.as_u16()),
            after,
            format!("{status}: {short}"),
        ));
    }
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok((body, headers))
}

fn wrong_channel(provider: &'static str, message: &Message) -> ProviderError {
    ProviderError {
        provider,
        failure: Failure::Permanent,
        message: format!("cannot send {} messages", channel_of(message)),
        devices: Vec::new(),
    }
}

fn channel_of(message: &Message) -> Channel {
    match message {
        Message::Email { .. } => Channel::Email,
        Message::Sms { .. } => Channel::Sms,
        Message::Whatsapp { .. } => Channel::Whatsapp,
        Message::Push { .. } => Channel::Push,
        Message::InApp { .. } => Channel::InApp,
    }
}

// Local ------------------------------------------------------------------------------------

/// Delivers into the logs only (status `delivered`), printing one line per message so a
/// developer sees what would have been sent.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    pub echo: bool,
}

impl Local {
    pub fn line(message: &Message) -> String {
        match message {
            Message::Email { to, email } => format!("email    {to}: {}", email.subject),
            Message::Sms { to, sms, .. } => format!("sms      {to}: {}", sms.body),
            Message::Whatsapp { to, whatsapp } => format!("whatsapp {to}: {}", whatsapp.preview),
            Message::Push { tokens, push } => {
                format!("push     {} device(s): {} | {}", tokens.len(), push.title, push.body)
            }
            Message::InApp { push, .. } => format!("in_app   {} | {}", push.title, push.body),
        }
    }
}

impl Provider for Local {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(async move {
            if self.echo {
                println!("[notify] {}", Local::line(message));
            }
            let devices = match message {
                Message::Push { tokens, .. } => tokens
                    .iter()
                    .map(|t| DeviceReceipt {
                        token: t.clone(),
                        message_id: Some(format!("local-{key}")),
                        status: "delivered",
                        error: None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ok(Accepted {
                provider: "other",
                message_id: Some(format!("local-{key}")),
                status: "delivered",
                devices,
            })
        })
    }
}

// FCM HTTP v1 --------------------------------------------------------------------------------

/// A Google service account, as its JSON key file has it.
#[derive(Clone, serde::Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    #[serde(default = "default_token_uri")]
    pub token_uri: String,
}

fn default_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

/// The scope FCM's send API needs.
pub const FCM_SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// FCM HTTP v1: an OAuth2 access token from the service account (an RS256 JWT signed with
/// its private key, exchanged at its token URI, cached until shortly before it expires), then
/// `POST {base}/v1/projects/{project}/messages:send` per device. The queue row id travels as
/// the Android collapse key and APNs collapse id and in `data`, so a repeated send replaces
/// rather than adds on the device.
pub struct Fcm {
    pub base_url: String,
    pub account: ServiceAccount,
    key: jsonwebtoken::EncodingKey,
    pub http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

impl Fcm {
    pub const BASE_URL: &'static str = "https://fcm.googleapis.com";

    pub fn new(base_url: String, account: ServiceAccount, http: reqwest::Client) -> anyhow::Result<Self> {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| anyhow::anyhow!("the FCM service account's private_key is not an RSA PEM key: {e}"))?;
        Ok(Fcm {
            base_url,
            account,
            key,
            http,
            token: Mutex::new(None),
        })
    }

    /// A cached access token, or a new one from the token URI.
    async fn access_token(&self) -> Result<String, ProviderError> {
        if let Some((token, until)) = self.token.lock().expect("token cache").clone() {
            if Instant::now() < until {
                return Ok(token);
            }
        }
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": self.account.client_email, "scope": FCM_SCOPE, "aud": self.account.token_uri,
            "iat": now, "exp": now + 3600,
        });
        let assertion = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
            &claims,
            &self.key,
        )
        .map_err(|e| ProviderError::new("fcm", Some(400), None, format!("signing the JWT: {e}")))?;
        let response = self
            .http
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await;
        let (body, _) = json_answer("fcm", response).await?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| ProviderError::new("fcm", None, None, "the token answer has no access_token"))?
            .to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(3600).saturating_sub(60);
        *self.token.lock().expect("token cache") =
            Some((token.clone(), Instant::now() + Duration::from_secs(lifetime)));
        Ok(token)
    }

    async fn send_one(
        &self,
        bearer: &str,
        key: &str,
        token: &str,
        message: &crate::template::RenderedPush,
    ) -> DeviceReceipt {
        let mut data: serde_json::Map<String, Value> =
            message.data.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        data.insert("queue_id".into(), json!(key));
        let body = json!({ "message": {
            "token": token,
            "notification": { "title": message.title, "body": message.body },
            "data": data,
            "android": { "collapse_key": key, "priority": "high" },
            "apns": { "headers": { "apns-collapse-id": key } },
        }});
        let response = self
            .http
            .post(format!(
                "{}/v1/projects/{}/messages:send",
                self.base_url, self.account.project_id
            ))
            .bearer_auth(bearer)
            .json(&body)
            .send()
            .await;
        match json_answer("fcm", response).await {
            Ok((answer, _)) => DeviceReceipt {
                token: token.to_owned(),
                message_id: answer["name"].as_str().map(str::to_owned),
                status: "sent",
                error: None,
            },
            Err(err) => {
                // FCM says UNREGISTERED (404) or INVALID_ARGUMENT on the token (400): the app
                // must register again; the token is dropped.
                let invalid = err.message.contains("UNREGISTERED")
                    || (err.message.starts_with("400") && err.message.contains("token"));
                DeviceReceipt {
                    token: token.to_owned(),
                    message_id: None,
                    status: if invalid {
                        "token_invalid"
                    } else if err.failure == Failure::Permanent {
                        "failed"
                    } else {
                        "retry"
                    },
                    error: Some(err.message),
                }
            }
        }
    }
}

impl Provider for Fcm {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(async move {
            let Message::Push { tokens, push } = message else {
                return Err(wrong_channel("fcm", message));
            };
            let bearer = self.access_token().await?;
            let mut devices = Vec::new();
            for token in tokens {
                devices.push(self.send_one(&bearer, key, token, push).await);
            }
            if devices.iter().any(|d| d.status == "sent") {
                devices.retain(|d| d.status != "retry");
                return Ok(Accepted {
                    provider: "fcm",
                    message_id: devices.iter().find_map(|d| d.message_id.clone()),
                    status: "sent",
                    devices,
                });
            }
            let transient = devices.iter().any(|d| d.status == "retry");
            let message = devices
                .iter()
                .find_map(|d| d.error.clone())
                .unwrap_or_else(|| "no device to send to".into());
            for d in &mut devices {
                if d.status == "retry" {
                    d.status = "failed";
                }
            }
            Err(ProviderError {
                provider: "fcm",
                failure: if transient {
                    Failure::Transient { retry_after_secs: None }
                } else {
                    Failure::Permanent
                },
                message,
                devices,
            })
        })
    }
}

// SendGrid v3 --------------------------------------------------------------------------------

/// SendGrid v3 `POST {base}/v3/mail/send`, bearer API key; `202` with `X-Message-Id`. The
/// queue row id goes in `custom_args` (echoed in SendGrid's event webhooks) and as the
/// message's `Message-ID`, which receiving servers deduplicate on.
pub struct SendGrid {
    pub base_url: String,
    pub api_key: String,
    pub from_email: String,
    pub from_name: String,
    pub http: reqwest::Client,
}

impl SendGrid {
    pub const BASE_URL: &'static str = "https://api.sendgrid.com";
}

impl Provider for SendGrid {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(async move {
            let Message::Email { to, email } = message else {
                return Err(wrong_channel("sendgrid", message));
            };
            let mut content = Vec::new();
            if let Some(text) = &email.text {
                content.push(json!({ "type": "text/plain", "value": text }));
            }
            content.push(json!({ "type": "text/html", "value": email.html }));
            let body = json!({
                "personalizations": [{ "to": [{ "email": to }] }],
                "from": { "email": self.from_email, "name": self.from_name },
                "subject": email.subject,
                "content": content,
                "custom_args": { "queue_id": key, "template": email.template_code },
                "headers": { "Message-ID": format!("<{key}@ombaro.in>") },
                "categories": [email.template_code],
            });
            let response = self
                .http
                .post(format!("{}/v3/mail/send", self.base_url))
                .bearer_auth(&self.api_key)
                .json(&body)
                .send()
                .await;
            let (_, headers) = json_answer("sendgrid", response).await?;
            Ok(Accepted {
                provider: "sendgrid",
                message_id: headers
                    .get("x-message-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                status: "sent",
                devices: Vec::new(),
            })
        })
    }
}

// SMTP -----------------------------------------------------------------------------------------

/// Email over SMTP with lettre: a multipart (text and HTML) message whose `Message-ID` is
/// the queue row id. Plain SMTP with optional AUTH, meant for a relay on the same network
/// (the MTA takes care of TLS onwards). A `5xx` reply is permanent, anything else transient.
pub struct Smtp {
    pub transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    pub from: lettre::message::Mailbox,
}

impl Smtp {
    pub fn new(host: &str, port: u16, credentials: Option<(String, String)>, from: &str) -> anyhow::Result<Self> {
        let mut builder = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(10)));
        if let Some((user, password)) = credentials {
            builder = builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                user, password,
            ));
        }
        Ok(Smtp {
            transport: builder.build(),
            from: from
                .parse()
                .map_err(|e| anyhow::anyhow!("EMAIL_FROM {from:?} is not a mailbox: {e}"))?,
        })
    }
}

impl Provider for Smtp {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        use lettre::message::{MultiPart, SinglePart};
        use lettre::AsyncTransport;
        Box::pin(async move {
            let Message::Email { to, email } = message else {
                return Err(wrong_channel("smtp", message));
            };
            let permanent = |m: String| ProviderError {
                provider: "smtp",
                failure: Failure::Permanent,
                message: m,
                devices: Vec::new(),
            };
            let to: lettre::message::Mailbox = to
                .parse()
                .map_err(|e| permanent(format!("{to:?} is not an address: {e}")))?;
            let message_id = format!("<{key}@ombaro.in>");
            let body = match &email.text {
                Some(text) => MultiPart::alternative_plain_html(text.clone(), email.html.clone()),
                None => MultiPart::mixed().singlepart(SinglePart::html(email.html.clone())),
            };
            let mail = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(email.subject.clone())
                .message_id(Some(message_id.clone()))
                .multipart(body)
                .map_err(|e| permanent(e.to_string()))?;
            match self.transport.send(mail).await {
                Ok(_) => Ok(Accepted {
                    provider: "smtp",
                    message_id: Some(message_id),
                    status: "sent",
                    devices: Vec::new(),
                }),
                Err(e) => Err(ProviderError {
                    provider: "smtp",
                    failure: if e.is_permanent() {
                        Failure::Permanent
                    } else {
                        Failure::Transient { retry_after_secs: None }
                    },
                    message: e.to_string(),
                    devices: Vec::new(),
                }),
            }
        })
    }
}

// MSG91 ----------------------------------------------------------------------------------------

/// MSG91 `POST {base}/api/v2/sendsms` with the `authkey` header: the DLT-registered sender id,
/// the transactional route, the DLT content template id (`DLT_TE_ID`) and OMBARO's principal
/// entity id (`PE_ID`), the body exactly as rendered from its template, the number without
/// `+`. The queue row id is the request's `short_url`-free `reference`.
pub struct Msg91 {
    pub base_url: String,
    pub auth_key: String,
    pub http: reqwest::Client,
}

impl Msg91 {
    pub const BASE_URL: &'static str = "https://api.msg91.com";
}

impl Provider for Msg91 {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(async move {
            let Message::Sms { to, sms, dlt_entity_id } = message else {
                return Err(wrong_channel("msg91", message));
            };
            let number = to.trim_start_matches('+');
            let body = json!({
                "sender": sms.sender_id,
                "route": "4",
                "country": "0",
                "unicode": u8::from(sms.cost.encoding == crate::sms::Encoding::Ucs2),
                "DLT_TE_ID": sms.dlt_template_id,
                "PE_ID": dlt_entity_id,
                "reference": key,
                "sms": [{ "message": sms.body, "to": [number] }],
            });
            let response = self
                .http
                .post(format!("{}/api/v2/sendsms", self.base_url))
                .header("authkey", &self.auth_key)
                .json(&body)
                .send()
                .await;
            let (answer, _) = json_answer("msg91", response).await?;
            if answer["type"] == "error" {
                return Err(ProviderError::new(
                    "msg91",
                    Some(400),
                    None,
                    answer["message"].as_str().unwrap_or("refused").to_owned(),
                ));
            }
            Ok(Accepted {
                provider: "msg91",
                message_id: answer["message"].as_str().map(str::to_owned),
                status: "sent",
                devices: Vec::new(),
            })
        })
    }
}

// WhatsApp Cloud API ---------------------------------------------------------------------------

/// Meta's WhatsApp Cloud API `POST {base}/{phone-number-id}/messages` with a bearer token: an
/// approved template message with its body parameters in order. The queue row id travels as
/// `biz_opaque_callback_data`, echoed in the status webhooks.
pub struct WhatsappCloud {
    pub base_url: String,
    pub phone_number_id: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl WhatsappCloud {
    pub const BASE_URL: &'static str = "https://graph.facebook.com/v21.0";
}

impl Provider for WhatsappCloud {
    fn send<'a>(&'a self, key: &'a str, message: &'a Message) -> BoxFuture<'a, Result<Accepted, ProviderError>> {
        Box::pin(async move {
            let Message::Whatsapp { to, whatsapp } = message else {
                return Err(wrong_channel("meta_cloud", message));
            };
            let parameters: Vec<Value> = whatsapp
                .parameters
                .iter()
                .map(|p| json!({ "type": "text", "text": p }))
                .collect();
            let body = json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to.trim_start_matches('+'),
                "type": "template",
                "template": {
                    "name": whatsapp.template_name,
                    "language": { "code": whatsapp.language },
                    "components": [{ "type": "body", "parameters": parameters }],
                },
                "biz_opaque_callback_data": key,
            });
            let response = self
                .http
                .post(format!("{}/{}/messages", self.base_url, self.phone_number_id))
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await;
            let (answer, _) = json_answer("meta_cloud", response).await?;
            Ok(Accepted {
                provider: "meta_cloud",
                message_id: answer["messages"][0]["id"].as_str().map(str::to_owned),
                status: "sent",
                devices: Vec::new(),
            })
        })
    }
}
