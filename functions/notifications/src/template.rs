//! Templates per channel, parsed once from their rows and rendered from a payload.
//!
//! A template declares its variables; rendering needs every one of them, each non-blank, and
//! fills all or nothing: a missing variable is an error, never a half-filled message. A
//! template whose text uses a placeholder it does not declare does not parse.
//!
//! - email (`email_templates`): `{{name}}` in subject, HTML and text bodies; values are
//!   HTML-escaped in the HTML body, a value in an `href`/`src` attribute must be an
//!   `http(s)` or `mailto` URL, and a subject value cannot hold a line break (header
//!   injection);
//! - SMS (the `sms_templates` setting): DLT content templates, `{#var#}` placeholders filled
//!   in order from the variables the template names; each value at most 30 characters (the
//!   operators' limit per `{#var#}`), and the rendered body is checked to match the
//!   registered template ([`dlt_match`]) before its cost is computed ([`crate::sms`]);
//! - WhatsApp: approved template messages, `{{1}}`..`{{n}}` filled from the named variables
//!   in order; a parameter cannot hold a newline, a tab or more than four consecutive spaces
//!   (the Cloud API rejects those), the rendered body at most 1024 characters;
//! - push and in-app: `{{name}}` in a title and a body, plain text, and the FCM message
//!   (title, body, data) within 4096 bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::channel::Category;
use crate::sms::{self, SmsCost};

/// Why a template does not parse or a message cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("template {template}: {reason}")]
    InvalidTemplate { template: String, reason: String },
    #[error("template {template} uses {{{{{name}}}}} but does not declare it")]
    UndeclaredPlaceholder { template: String, name: String },
    #[error("template {template} needs {}", names.join(", "))]
    MissingVariables { template: String, names: Vec<String> },
    #[error("variable {name} must be text or a number")]
    NotText { name: String },
    #[error("variable {name} has {chars} characters, more than the {max} allowed")]
    TooLong { name: String, chars: usize, max: usize },
    #[error("variable {name}: {reason}")]
    UnsafeValue { name: String, reason: String },
    #[error("the message does not match its template: {0}")]
    DltMismatch(String),
    #[error("the rendered message has {size} {unit}, more than the {max} allowed")]
    MessageTooLong {
        size: usize,
        max: usize,
        unit: &'static str,
    },
}

impl RenderError {
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::InvalidTemplate { .. } => "invalid_template",
            RenderError::UndeclaredPlaceholder { .. } => "undeclared_placeholder",
            RenderError::MissingVariables { .. } => "missing_variable",
            RenderError::NotText { .. } => "variable_not_text",
            RenderError::TooLong { .. } => "variable_too_long",
            RenderError::UnsafeValue { .. } => "unsafe_value",
            RenderError::DltMismatch(_) => "dlt_mismatch",
            RenderError::MessageTooLong { .. } => "message_too_long",
        }
    }
}

// ---------------------------------------------------------------------------------------
// Variables

/// A payload's template variables: text by name. Numbers are written as JSON writes them;
/// anything else (null, booleans, arrays, objects) is not a template value. Parsed from
/// `notification_queue.payload`, whose other keys (ids) are left for the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "serde_json::Map<String, Value>")]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// The payload's values; only the keys a template reads need to be text.
    pub fn from_payload(payload: &serde_json::Map<String, Value>) -> Self {
        Vars(
            payload
                .iter()
                .filter_map(|(k, v)| text_of(v).map(|t| (k.clone(), t)))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl TryFrom<serde_json::Map<String, Value>> for Vars {
    type Error = RenderError;

    fn try_from(map: serde_json::Map<String, Value>) -> Result<Self, Self::Error> {
        map.into_iter()
            .map(|(k, v)| match text_of(&v) {
                Some(t) => Ok((k, t)),
                None => Err(RenderError::NotText { name: k }),
            })
            .collect::<Result<_, _>>()
            .map(Vars)
    }
}

/// Every declared variable's value, or the names of all that are missing or blank.
fn values<'a>(template: &str, declared: &[String], vars: &'a Vars) -> Result<BTreeMap<&'a str, &'a str>, RenderError> {
    let mut missing = Vec::new();
    let mut found = BTreeMap::new();
    for name in declared {
        match vars.0.get_key_value(name) {
            Some((k, v)) if !v.trim().is_empty() => {
                found.insert(k.as_str(), v.as_str());
            }
            _ => missing.push(name.clone()),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(RenderError::MissingVariables {
            template: template.to_owned(),
            names: missing,
        })
    }
}

fn declared_names(template: &str, variables: Vec<String>) -> Result<Vec<String>, RenderError> {
    let mut seen = std::collections::BTreeSet::new();
    for v in &variables {
        if !is_name(v) {
            return Err(invalid(template, format!("{v:?} is not a variable name")));
        }
        if !seen.insert(v.as_str()) {
            return Err(invalid(template, format!("declares {v} twice")));
        }
    }
    Ok(variables)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn invalid(template: &str, reason: impl Into<String>) -> RenderError {
    RenderError::InvalidTemplate {
        template: template.to_owned(),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------
// `{{name}}` text

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(String),
}

/// Text with `{{name}}` placeholders, each name declared.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Text(Vec<Piece>);

impl Text {
    fn parse(template: &str, source: &str, declared: &[String]) -> Result<Self, RenderError> {
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| invalid(template, "a {{ is never closed"))?;
            let name = after[..close].trim();
            if !is_name(name) {
                return Err(invalid(template, format!("{{{{{name}}}}} is not a placeholder")));
            }
            if !declared.iter().any(|d| d == name) {
                return Err(RenderError::UndeclaredPlaceholder {
                    template: template.to_owned(),
                    name: name.to_owned(),
                });
            }
            pieces.push(Piece::Var(name.to_owned()));
            rest = &after[close + 2..];
        }
        if rest.contains("}}") {
            return Err(invalid(template, "a }} is never opened"));
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Text(pieces))
    }

    /// Fills the placeholders; `fill` gets the text written so far (for context) and the
    /// placeholder's name and value, and returns what to write.
    fn render(
        &self,
        values: &BTreeMap<&str, &str>,
        mut fill: impl FnMut(&str, &str, &str) -> Result<String, RenderError>,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => {
                    let value = values[name.as_str()];
                    let filled = fill(&out, name, value)?;
                    out.push_str(&filled);
                }
            }
        }
        Ok(out)
    }

    fn plain(&self, values: &BTreeMap<&str, &str>) -> Result<String, RenderError> {
        self.render(values, |_, _, v| Ok(v.to_owned()))
    }
}

/// `&`, `<`, `>`, `"` and `'` as HTML entities.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether HTML written so far leaves the next value as a URL attribute's value.
fn in_url_attribute(before: &str) -> bool {
    let tail: String = before
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_ascii_lowercase();
    ["href=\"", "src=\"", "href='", "src='"]
        .iter()
        .any(|a| tail.ends_with(a))
}

fn safe_url(value: &str) -> bool {
    let lower = value.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:"].iter().any(|s| lower.starts_with(s))
}

fn no_line_break(name: &str, value: &str) -> Result<(), RenderError> {
    if value.contains(['\r', '\n']) {
        Err(RenderError::UnsafeValue {
            name: name.to_owned(),
            reason: "a line break".into(),
        })
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Email

/// `email_templates.category`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailCategory {
    Transactional,
    Marketing,
}

/// An `email_templates` row as read.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailTemplateRow {
    pub code: String,
    #[serde(default = "default_locale")]
    pub locale: String,
    pub category: EmailCategory,
    pub subject: String,
    pub html_body: String,
    pub text_body: Option<String>,
    pub variables: Vec<String>,
    #[serde(default = "one")]
    pub version: u32,
}

fn default_locale() -> String {
    "en-IN".into()
}

fn one() -> u32 {
    1
}

/// A parsed email template.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "EmailTemplateRow")]
pub struct EmailTemplate {
    pub code: String,
    pub locale: String,
    pub category: EmailCategory,
    pub version: u32,
    variables: Vec<String>,
    subject: Text,
    html: Text,
    text: Option<Text>,
}

impl TryFrom<EmailTemplateRow> for EmailTemplate {
    type Error = RenderError;

    fn try_from(row: EmailTemplateRow) -> Result<Self, Self::Error> {
        let code = row.code;
        let variables = declared_names(&code, row.variables)?;
        if row.subject.trim().is_empty() || row.html_body.trim().is_empty() {
            return Err(invalid(&code, "subject and HTML body cannot be empty"));
        }
        Ok(EmailTemplate {
            subject: Text::parse(&code, &row.subject, &variables)?,
            html: Text::parse(&code, &row.html_body, &variables)?,
            text: row
                .text_body
                .as_deref()
                .map(|t| Text::parse(&code, t, &variables))
                .transpose()?,
            code,
            locale: row.locale,
            category: row.category,
            version: row.version,
            variables,
        })
    }
}

/// A rendered email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedEmail {
    pub template_code: String,
    pub template_version: u32,
    pub category: EmailCategory,
    pub subject: String,
    pub html: String,
    pub text: Option<String>,
}

impl EmailTemplate {
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    pub fn render(&self, vars: &Vars) -> Result<RenderedEmail, RenderError> {
        let values = values(&self.code, &self.variables, vars)?;
        let subject = self.subject.render(&values, |_, name, value| {
            no_line_break(name, value)?;
            Ok(value.to_owned())
        })?;
        let html = self.html.render(&values, |before, name, value| {
            if in_url_attribute(before) && !safe_url(value) {
                return Err(RenderError::UnsafeValue {
                    name: name.to_owned(),
                    reason: "a link must be an http(s) or mailto URL".into(),
                });
            }
            Ok(escape_html(value))
        })?;
        let text = self.text.as_ref().map(|t| t.plain(&values)).transpose()?;
        Ok(RenderedEmail {
            template_code: self.code.clone(),
            template_version: self.version,
            category: self.category,
            subject,
            html,
            text,
        })
    }
}

// ---------------------------------------------------------------------------------------
// DLT SMS

/// The DLT placeholder.
pub const DLT_VAR: &str = "{#var#}";
/// Characters one `{#var#}` may carry (operators' DLT scrubbing allows 0 to 30).
pub const DLT_MAX_VAR_CHARS: usize = 30;

/// One entry of the `sms_templates` setting, keyed by code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsTemplateRow {
    pub dlt_template_id: String,
    pub sender_id: String,
    pub body: String,
    /// The variable behind each `{#var#}`, in order.
    #[serde(default)]
    pub variables: Vec<String>,
    /// The category the template is registered under, when the setting says.
    pub category: Option<Category>,
}

/// A DLT content template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmsTemplate {
    pub code: String,
    pub dlt_template_id: String,
    pub sender_id: String,
    pub body: String,
    pub variables: Vec<String>,
    pub category: Option<Category>,
}

impl SmsTemplate {
    pub fn parse(code: &str, row: SmsTemplateRow) -> Result<Self, RenderError> {
        let variables = declared_names(code, row.variables)?;
        let id_ok =
            (10..=25).contains(&row.dlt_template_id.len()) && row.dlt_template_id.bytes().all(|b| b.is_ascii_digit());
        if !id_ok {
            return Err(invalid(code, "a DLT template id is 10 to 25 digits"));
        }
        if row.sender_id.len() != 6 || !row.sender_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(code, "a DLT sender id (header) is 6 letters or digits"));
        }
        let slots = row.body.matches(DLT_VAR).count();
        if slots != variables.len() {
            return Err(invalid(
                code,
                format!("the body has {slots} {DLT_VAR} but names {} variables", variables.len()),
            ));
        }
        if row.body.trim().is_empty() {
            return Err(invalid(code, "the body is empty"));
        }
        Ok(SmsTemplate {
            code: code.to_owned(),
            dlt_template_id: row.dlt_template_id,
            sender_id: row.sender_id,
            body: row.body,
            variables,
            category: row.category,
        })
    }

    /// Every template of the `sms_templates` setting's value, by code.
    pub fn from_setting(setting: &Value) -> Result<BTreeMap<String, SmsTemplate>, RenderError> {
        let map = setting
            .as_object()
            .ok_or_else(|| invalid("sms_templates", "the setting is an object of templates by code"))?;
        map.iter()
            .map(|(code, row)| {
                let row: SmsTemplateRow =
                    serde_json::from_value(row.clone()).map_err(|e| invalid(code, e.to_string()))?;
                Ok((code.clone(), SmsTemplate::parse(code, row)?))
            })
            .collect()
    }

    pub fn render(&self, vars: &Vars) -> Result<RenderedSms, RenderError> {
        let values = values(&self.code, &self.variables, vars)?;
        let mut body = String::new();
        let mut parts = self.body.split(DLT_VAR);
        body.push_str(parts.next().unwrap_or_default());
        for (name, literal) in self.variables.iter().zip(parts) {
            let value = values[name.as_str()];
            let chars = value.chars().count();
            if chars > DLT_MAX_VAR_CHARS {
                return Err(RenderError::TooLong {
                    name: name.clone(),
                    chars,
                    max: DLT_MAX_VAR_CHARS,
                });
            }
            if value.contains(['\r', '\n']) || value.contains(DLT_VAR) {
                return Err(RenderError::UnsafeValue {
                    name: name.clone(),
                    reason: "a line break or a DLT placeholder".into(),
                });
            }
            body.push_str(value);
            body.push_str(literal);
        }
        dlt_match(&self.body, &body)?;
        Ok(RenderedSms {
            template_code: self.code.clone(),
            dlt_template_id: self.dlt_template_id.clone(),
            sender_id: self.sender_id.clone(),
            category: self.category,
            cost: sms::cost(&body),
            body,
        })
    }
}

/// A rendered SMS, ready for the provider and `sms_logs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedSms {
    pub template_code: String,
    pub dlt_template_id: String,
    pub sender_id: String,
    pub category: Option<Category>,
    pub body: String,
    #[serde(flatten)]
    pub cost: SmsCost,
}

/// Whether `text` is `template` with each `{#var#}` replaced by at most
/// [`DLT_MAX_VAR_CHARS`] characters and everything else exactly as registered, as the
/// operators' scrubbing checks it; the values found, in order.
pub fn dlt_match(template: &str, text: &str) -> Result<Vec<String>, RenderError> {
    let literals: Vec<&str> = template.split(DLT_VAR).collect();
    let first = literals[0];
    let Some(rest) = text.strip_prefix(first) else {
        return Err(RenderError::DltMismatch(format!("it must start with {first:?}")));
    };
    let mut found = Vec::new();
    if matches_from(&literals[1..], rest, &mut found) {
        found.reverse();
        Ok(found)
    } else {
        Err(RenderError::DltMismatch(format!(
            "the text differs from the registered template outside its {DLT_VAR}, or a value exceeds {DLT_MAX_VAR_CHARS} characters"
        )))
    }
}

/// Each literal follows a value of at most the allowed length; `found` gets the values in
/// reverse order on success.
fn matches_from(literals: &[&str], text: &str, found: &mut Vec<String>) -> bool {
    let Some((literal, more)) = literals.split_first() else {
        return text.is_empty();
    };
    // Candidate ends of the value: every char boundary within the limit.
    let ends = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .take(DLT_MAX_VAR_CHARS + 1);
    for end in ends {
        let after = &text[end..];
        if let Some(rest) = after.strip_prefix(literal) {
            if matches_from(more, rest, found) {
                found.push(text[..end].to_owned());
                return true;
            }
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// WhatsApp

/// Meta's template categories, `whatsapp_logs.category`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhatsappCategory {
    Utility,
    Marketing,
    Authentication,
}

/// An approved WhatsApp template as configured.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappTemplateRow {
    /// The template's name at Meta.
    pub name: String,
    #[serde(default = "default_language")]
    pub language: String,
    pub category: WhatsappCategory,
    /// The approved body, `{{1}}`..`{{n}}`.
    pub body: String,
    /// The variable behind `{{1}}`, `{{2}}`, ...
    pub variables: Vec<String>,
}

fn default_language() -> String {
    "en".into()
}

/// Characters of a rendered WhatsApp template body.
pub const WHATSAPP_MAX_BODY_CHARS: usize = 1024;

/// A parsed WhatsApp template.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "WhatsappTemplateRow")]
pub struct WhatsappTemplate {
    pub name: String,
    pub language: String,
    pub category: WhatsappCategory,
    body: String,
    variables: Vec<String>,
}

impl TryFrom<WhatsappTemplateRow> for WhatsappTemplate {
    type Error = RenderError;

    fn try_from(row: WhatsappTemplateRow) -> Result<Self, Self::Error> {
        let name = row.name;
        if !is_name(&name) {
            return Err(invalid(
                &name,
                "a WhatsApp template name is lower case letters, digits and _",
            ));
        }
        let variables = declared_names(&name, row.variables)?;
        // The body's placeholders must be exactly {{1}}..{{n}}.
        let mut used = std::collections::BTreeSet::new();
        let mut rest = row.body.as_str();
        while let Some(open) = rest.find("{{") {
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| invalid(&name, "a {{ is never closed"))?;
            let n: usize = after[..close].parse().map_err(|_| {
                invalid(
                    &name,
                    format!("{{{{{}}}}} is not a numbered parameter", &after[..close]),
                )
            })?;
            used.insert(n);
            rest = &after[close + 2..];
        }
        if used != (1..=variables.len()).collect() {
            return Err(invalid(
                &name,
                format!("the body's parameters must be {{{{1}}}}..{{{{{}}}}}", variables.len()),
            ));
        }
        Ok(WhatsappTemplate {
            name,
            language: row.language,
            category: row.category,
            body: row.body,
            variables,
        })
    }
}

/// A WhatsApp template message: the body parameters in order, and the text the person sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedWhatsapp {
    pub template_name: String,
    pub language: String,
    pub category: WhatsappCategory,
    pub parameters: Vec<String>,
    pub preview: String,
}

impl WhatsappTemplate {
    pub fn render(&self, vars: &Vars) -> Result<RenderedWhatsapp, RenderError> {
        let values = values(&self.name, &self.variables, vars)?;
        let mut parameters = Vec::new();
        for name in &self.variables {
            let value = values[name.as_str()];
            if value.contains(['\n', '\r', '\t']) || value.contains("     ") {
                return Err(RenderError::UnsafeValue {
                    name: name.clone(),
                    reason: "a WhatsApp parameter cannot hold a newline, a tab or more than 4 consecutive spaces"
                        .into(),
                });
            }
            parameters.push(value.to_owned());
        }
        let mut preview = self.body.clone();
        for (i, p) in parameters.iter().enumerate().rev() {
            preview = preview.replace(&format!("{{{{{}}}}}", i + 1), p);
        }
        let chars = preview.chars().count();
        if chars > WHATSAPP_MAX_BODY_CHARS {
            return Err(RenderError::MessageTooLong {
                size: chars,
                max: WHATSAPP_MAX_BODY_CHARS,
                unit: "characters",
            });
        }
        Ok(RenderedWhatsapp {
            template_name: self.name.clone(),
            language: self.language.clone(),
            category: self.category,
            parameters,
            preview,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Push and in-app

/// A push (and in-app) template as configured.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushTemplateRow {
    pub code: String,
    pub title: String,
    pub body: String,
    pub variables: Vec<String>,
}

/// FCM's limit on a message's payload.
pub const PUSH_MAX_BYTES: usize = 4096;

/// A parsed push template; the in-app inbox row uses the same title and body.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "PushTemplateRow")]
pub struct PushTemplate {
    pub code: String,
    variables: Vec<String>,
    title: Text,
    body: Text,
}

impl TryFrom<PushTemplateRow> for PushTemplate {
    type Error = RenderError;

    fn try_from(row: PushTemplateRow) -> Result<Self, Self::Error> {
        let code = row.code;
        let variables = declared_names(&code, row.variables)?;
        if row.title.trim().is_empty() || row.body.trim().is_empty() {
            return Err(invalid(&code, "title and body cannot be empty"));
        }
        Ok(PushTemplate {
            title: Text::parse(&code, &row.title, &variables)?,
            body: Text::parse(&code, &row.body, &variables)?,
            code,
            variables,
        })
    }
}

/// A rendered push or in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedPush {
    pub template_code: String,
    pub title: String,
    pub body: String,
    /// The deep-link data sent with it (ids and route), as given.
    pub data: BTreeMap<String, String>,
}

impl PushTemplate {
    /// Renders title and body; `data` travels with the message and counts towards FCM's
    /// 4096 bytes.
    pub fn render(&self, vars: &Vars, data: BTreeMap<String, String>) -> Result<RenderedPush, RenderError> {
        let values = values(&self.code, &self.variables, vars)?;
        let title = self.title.render(&values, |_, name, value| {
            no_line_break(name, value)?;
            Ok(value.to_owned())
        })?;
        let body = self.body.plain(&values)?;
        let size = title.len() + body.len() + data.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        if size > PUSH_MAX_BYTES {
            return Err(RenderError::MessageTooLong {
                size,
                max: PUSH_MAX_BYTES,
                unit: "bytes",
            });
        }
        Ok(RenderedPush {
            template_code: self.code.clone(),
            title,
            body,
            data,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    /// The `email_templates` rows of seeds/70_communications.sql, read from the SQL.
    pub(crate) fn seeded_email_templates() -> Vec<EmailTemplateRow> {
        let sql = include_str!("../../../seeds/70_communications.sql");
        let quoted = |s: &str| -> (String, usize) {
            let start = s.find('\'').unwrap() + 1;
            let len = s[start..].find('\'').unwrap();
            (s[start..start + len].to_owned(), start + len + 1)
        };
        let dollar = |s: &str, tag: &str| -> (String, usize) {
            let start = s.find(tag).unwrap() + tag.len();
            let len = s[start..].find(tag).unwrap();
            (s[start..start + len].to_owned(), start + len + tag.len())
        };
        let values = &sql[sql.find("values").unwrap()..];
        let mut rows = Vec::new();
        for tuple in values.split("\n  (\n").skip(1) {
            let mut rest = tuple;
            let mut fields = Vec::new();
            for _ in 0..5 {
                let (f, n) = quoted(rest);
                fields.push(f);
                rest = &rest[n..];
            }
            let (html, n) = dollar(rest, "$html$");
            rest = &rest[n..];
            let (text, n) = dollar(rest, "$txt$");
            rest = &rest[n..];
            let array = &rest[rest.find("array[").unwrap() + 6..rest.find(']').unwrap()];
            let variables = array
                .split(',')
                .map(|v| v.trim().trim_matches('\'').to_owned())
                .collect();
            rows.push(EmailTemplateRow {
                code: fields[0].clone(),
                locale: fields[1].clone(),
                category: serde_json::from_value(json!(fields[3])).unwrap(),
                subject: fields[4].clone(),
                html_body: html,
                text_body: Some(text),
                variables,
                version: 1,
            });
        }
        rows
    }

    fn seeded_email(code: &str) -> EmailTemplate {
        let row = seeded_email_templates().into_iter().find(|r| r.code == code).unwrap();
        EmailTemplate::try_from(row).unwrap()
    }

    /// The `sms_templates` setting of seeds/80_system.sql, as seeded.
    pub(crate) fn seeded_sms_setting() -> Value {
        seeded_setting("sms_templates")
    }

    /// A JSON setting of seeds/80_system.sql, as seeded.
    pub(crate) fn seeded_setting(key: &str) -> Value {
        let sql = include_str!("../../../seeds/80_system.sql");
        let at = sql.find(&format!("'{key}',")).unwrap();
        let start = at + sql[at..].find("'{").unwrap() + 1;
        let end = start + sql[start..].find("}'").unwrap() + 1;
        serde_json::from_str(&sql[start..end].replace("''", "'")).unwrap()
    }

    fn seeded_sms(code: &str) -> SmsTemplate {
        SmsTemplate::from_setting(&seeded_sms_setting())
            .unwrap()
            .remove(code)
            .unwrap()
    }

    fn confirmation_vars() -> Vars {
        Vars::new()
            .with("customer_name", "Asha <b>Rao</b>")
            .with("booking_number", "OBO-20251015-0001")
            .with("vendor_name", "Tattva Spa & Wellness")
            .with("service_name", "Balinese massage")
            .with("booking_date", "15 Oct 2025")
            .with("booking_time", "18:30")
            .with("service_address", "12, MG Road, Bengaluru")
            .with("total_amount", "₹2,499.00")
            .with("cancellation_policy_url", "https://ombaro.com/cancellation")
    }

    #[test]
    fn every_seeded_email_template_parses_and_uses_what_it_declares() {
        let rows = seeded_email_templates();
        assert_eq!(rows.len(), 11);
        for row in rows {
            let code = row.code.clone();
            let declared = row.variables.clone();
            let t = EmailTemplate::try_from(row).unwrap_or_else(|e| panic!("{code}: {e}"));
            // Each declared variable appears somewhere: a value for each renders fully.
            let vars = declared
                .iter()
                .fold(Vars::new(), |v, n| v.with(n, format!("https://x/{n}")));
            let email = t.render(&vars).unwrap();
            for n in &declared {
                let shown = email.subject.contains(n) || email.html.contains(n);
                assert!(shown, "{code} declares {n} but never shows it");
            }
            assert!(!email.html.contains("{{") && !email.subject.contains("{{"));
        }
    }

    #[test]
    fn email_renders_with_html_escaped_only_in_html() {
        let email = seeded_email("booking_confirmation")
            .render(&confirmation_vars())
            .unwrap();
        assert_eq!(email.subject, "Your booking OBO-20251015-0001 is confirmed");
        assert!(email.html.contains("Hi Asha &lt;b&gt;Rao&lt;/b&gt;,"), "{}", email.html);
        assert!(email.html.contains("<strong>Tattva Spa &amp; Wellness</strong>"));
        assert!(email.html.contains(r#"<a href="https://ombaro.com/cancellation">"#));
        let text = email.text.unwrap();
        assert!(text.starts_with("Hi Asha <b>Rao</b>,"));
        assert!(text.contains("Amount: ₹2,499.00"));
        assert_eq!(email.template_version, 1);
        assert_eq!(email.category, EmailCategory::Transactional);
    }

    #[test]
    fn a_missing_or_blank_variable_is_an_error_naming_all_of_them() {
        let t = seeded_email("booking_confirmation");
        let vars = Vars::from_payload(
            json!({"customer_name": "Asha", "booking_number": "  ", "booking_id": "x"})
                .as_object()
                .unwrap(),
        );
        let err = t.render(&vars).unwrap_err();
        assert_eq!(err.code(), "missing_variable");
        let RenderError::MissingVariables { names, .. } = err else {
            panic!()
        };
        assert_eq!(names.len(), 8);
        assert!(names.contains(&"booking_number".to_owned()));
        assert!(!names.contains(&"customer_name".to_owned()));
    }

    #[test]
    fn payload_values_are_text_or_numbers() {
        let vars: Vars = serde_json::from_value(json!({"a": "x", "n": 1499.5, "i": 7})).unwrap();
        assert_eq!((vars.get("n"), vars.get("i")), (Some("1499.5"), Some("7")));
        let err = Vars::try_from(json!({"a": null}).as_object().unwrap().clone()).unwrap_err();
        assert_eq!(err.code(), "variable_not_text");
        let lenient = Vars::from_payload(json!({"a": true, "b": "y"}).as_object().unwrap());
        assert_eq!((lenient.get("a"), lenient.get("b")), (None, Some("y")));
    }

    #[test]
    fn links_must_be_web_or_mail_urls_and_subjects_single_lines() {
        let t = seeded_email("booking_confirmation");
        let err = t
            .render(&confirmation_vars().with("cancellation_policy_url", "javascript:alert(1)"))
            .unwrap_err();
        assert_eq!(err.code(), "unsafe_value");
        let err = t
            .render(&confirmation_vars().with("booking_number", "X\r\nBcc: all@example.com"))
            .unwrap_err();
        assert_eq!(err.code(), "unsafe_value");
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn templates_using_undeclared_or_broken_placeholders_do_not_parse() {
        let row = |subject: &str, vars: &[&str]| EmailTemplateRow {
            code: "t".into(),
            locale: "en-IN".into(),
            category: EmailCategory::Transactional,
            subject: subject.into(),
            html_body: "<p>x</p>".into(),
            text_body: None,
            variables: vars.iter().map(|s| s.to_string()).collect(),
            version: 1,
        };
        let code = |r: EmailTemplateRow| EmailTemplate::try_from(r).unwrap_err().code();
        assert_eq!(code(row("Hi {{name}}", &[])), "undeclared_placeholder");
        assert_eq!(code(row("Hi {{name", &["name"])), "invalid_template");
        assert_eq!(code(row("Hi name}}", &["name"])), "invalid_template");
        assert_eq!(code(row("Hi {{Name!}}", &["name"])), "invalid_template");
        assert_eq!(code(row("Hi", &["a", "a"])), "invalid_template");
        assert_eq!(code(row(" ", &[])), "invalid_template");
        assert!(EmailTemplate::try_from(row("Hi {{ name }}", &["name"])).is_ok());
    }

    #[test]
    fn every_seeded_sms_template_parses_once_its_variables_are_named() {
        let all = SmsTemplate::from_setting(&seeded_sms_setting()).unwrap();
        assert_eq!(all.len(), 6);
        // As seeded, without names, the count check refuses them.
        let sql = include_str!("../../../seeds/80_system.sql");
        assert!(sql.contains("{#var#}"));
        let mut bare = seeded_sms_setting();
        bare["otp_login"].as_object_mut().unwrap().remove("variables");
        let err = SmsTemplate::from_setting(&bare).unwrap_err();
        assert_eq!(err.code(), "invalid_template");
    }

    #[test]
    fn sms_fills_dlt_placeholders_in_order_and_knows_its_cost() {
        let sms = seeded_sms("booking_confirmed")
            .render(
                &Vars::new()
                    .with("booking_number", "OBO-20251015-0001")
                    .with("service_name", "Balinese massage")
                    .with("booking_date", "15 Oct 18:30"),
            )
            .unwrap();
        assert_eq!(
            sms.body,
            "Your OMBARO booking OBO-20251015-0001 for Balinese massage on 15 Oct 18:30 is confirmed. Track it in the app. -OMBARO"
        );
        assert_eq!(sms.dlt_template_id, "1107170000000000101");
        assert_eq!(sms.sender_id, "OMBARO");
        assert_eq!(sms.cost.encoding, crate::sms::Encoding::Gsm7);
        assert_eq!(sms.cost.segments, 1);
        // A rupee sign in a value turns the whole SMS into UCS-2: 2 segments instead of 1.
        let sms = seeded_sms("booking_cancelled")
            .render(
                &Vars::new()
                    .with("booking_number", "OBO-20251015-0001")
                    .with("refund_amount", "₹1,499"),
            )
            .unwrap();
        assert_eq!(sms.cost.encoding, crate::sms::Encoding::Ucs2);
        assert_eq!(sms.cost.segments, 2);
    }

    #[test]
    fn a_dlt_value_is_at_most_30_characters() {
        let t = seeded_sms("otp_login");
        assert!(t.render(&Vars::new().with("otp", "x".repeat(30))).is_ok());
        let err = t.render(&Vars::new().with("otp", "x".repeat(31))).unwrap_err();
        assert_eq!(err.code(), "variable_too_long");
        let err = t.render(&Vars::new().with("otp", "12\n34")).unwrap_err();
        assert_eq!(err.code(), "unsafe_value");
        assert_eq!(t.render(&Vars::new()).unwrap_err().code(), "missing_variable");
    }

    #[test]
    fn dlt_match_accepts_only_the_registered_text() {
        let template = "{#var#} is your OMBARO login code. It expires in 10 minutes. Do not share it. -OMBARO";
        let ok = "483920 is your OMBARO login code. It expires in 10 minutes. Do not share it. -OMBARO";
        assert_eq!(dlt_match(template, ok).unwrap(), vec!["483920"]);
        for bad in [
            "483920 is your OMBARO login code. It expires in 20 minutes. Do not share it. -OMBARO",
            "483920 is your OMBARO login code. It expires in 10 minutes. Do not share it.",
            "483920 is your OMBARO login code.  It expires in 10 minutes. Do not share it. -OMBARO",
            &format!(
                "{} is your OMBARO login code. It expires in 10 minutes. Do not share it. -OMBARO",
                "9".repeat(31)
            ),
        ] {
            assert_eq!(dlt_match(template, bad).unwrap_err().code(), "dlt_mismatch", "{bad}");
        }
        // Adjacent placeholders carry a long value split in two.
        let two = dlt_match(
            "Track: {#var#}{#var#} -OMBARO",
            "Track: https://ombaro.com/t/ABCDEFGHIJKLMNOPQRS -OMBARO",
        );
        assert_eq!(two.unwrap().concat(), "https://ombaro.com/t/ABCDEFGHIJKLMNOPQRS");
        assert!(dlt_match("Hi {#var#}, bye {#var#}.", "Hi a, bye , bye b.").is_ok());
    }

    #[test]
    fn sms_templates_check_their_dlt_registration() {
        let row = |id: &str, sender: &str, body: &str, vars: &[&str]| SmsTemplateRow {
            dlt_template_id: id.into(),
            sender_id: sender.into(),
            body: body.into(),
            variables: vars.iter().map(|s| s.to_string()).collect(),
            category: None,
        };
        let code = |r: SmsTemplateRow| SmsTemplate::parse("t", r).unwrap_err().code();
        assert_eq!(code(row("12345", "OMBARO", "x", &[])), "invalid_template");
        assert_eq!(code(row("1107170000000000101", "OMB", "x", &[])), "invalid_template");
        assert_eq!(
            code(row("1107170000000000101", "OMBARO", "{#var#}", &[])),
            "invalid_template"
        );
        assert!(SmsTemplate::parse("t", row("1107170000000000101", "OMBARO", "{#var#}", &["a"])).is_ok());
    }

    fn whatsapp() -> WhatsappTemplate {
        serde_json::from_value(json!({
            "name": "booking_confirmed", "language": "en_US", "category": "utility",
            "body": "Hi {{1}}, your booking {{2}} on {{3}} is confirmed.",
            "variables": ["customer_name", "booking_number", "booking_date"]
        }))
        .unwrap()
    }

    #[test]
    fn whatsapp_gives_parameters_in_order() {
        let vars = confirmation_vars();
        let w = whatsapp().render(&vars).unwrap();
        assert_eq!(
            w.parameters,
            vec!["Asha <b>Rao</b>", "OBO-20251015-0001", "15 Oct 2025"]
        );
        assert_eq!(
            w.preview,
            "Hi Asha <b>Rao</b>, your booking OBO-20251015-0001 on 15 Oct 2025 is confirmed."
        );
        assert_eq!(w.category, WhatsappCategory::Utility);
        for bad in ["a\nb", "a\tb", "a     b"] {
            let err = whatsapp().render(&vars.clone().with("customer_name", bad)).unwrap_err();
            assert_eq!(err.code(), "unsafe_value");
        }
        let long = "x".repeat(1000);
        let err = whatsapp()
            .render(&vars.clone().with("customer_name", long))
            .unwrap_err();
        assert_eq!(err.code(), "message_too_long");
    }

    #[test]
    fn whatsapp_parameters_must_be_numbered_one_to_n() {
        for body in ["Hi {{1}} {{3}}", "Hi {{name}} {{2}}", "Hi {{1}}", "Hi {{1"] {
            let err = serde_json::from_value::<WhatsappTemplate>(json!({
                "name": "t", "category": "utility", "body": body, "variables": ["a", "b"]
            }));
            assert!(err.is_err(), "{body}");
        }
        let row = WhatsappTemplateRow {
            name: "t".into(),
            language: "en".into(),
            category: WhatsappCategory::Marketing,
            body: "{{2}} {{1}} {{1}}".into(),
            variables: vec!["a".into(), "b".into()],
        };
        let t = WhatsappTemplate::try_from(row).unwrap();
        assert_eq!(
            t.render(&Vars::new().with("a", "A").with("b", "B")).unwrap().preview,
            "B A A"
        );
    }

    #[test]
    fn push_renders_plain_text_within_fcm_size() {
        let t: PushTemplate = serde_json::from_value(json!({
            "code": "booking_confirmed", "title": "Booking {{booking_number}} confirmed",
            "body": "{{vendor_name}} expects you on {{booking_date}}.",
            "variables": ["booking_number", "vendor_name", "booking_date"]
        }))
        .unwrap();
        let data = BTreeMap::from([("route".to_owned(), "/bookings/1".to_owned())]);
        let p = t.render(&confirmation_vars(), data.clone()).unwrap();
        assert_eq!(p.title, "Booking OBO-20251015-0001 confirmed");
        assert_eq!(p.body, "Tattva Spa & Wellness expects you on 15 Oct 2025.");
        assert_eq!(p.data, data);
        let big = BTreeMap::from([("blob".to_owned(), "x".repeat(4096))]);
        assert_eq!(
            t.render(&confirmation_vars(), big).unwrap_err().code(),
            "message_too_long"
        );
        let err = t
            .render(&confirmation_vars().with("booking_number", "a\nb"), BTreeMap::new())
            .unwrap_err();
        assert_eq!(err.code(), "unsafe_value");
    }

    #[test]
    fn every_error_has_a_distinct_code() {
        let errors = [
            invalid("t", "r"),
            RenderError::UndeclaredPlaceholder {
                template: "t".into(),
                name: "n".into(),
            },
            RenderError::MissingVariables {
                template: "t".into(),
                names: vec![],
            },
            RenderError::NotText { name: "n".into() },
            RenderError::TooLong {
                name: "n".into(),
                chars: 31,
                max: 30,
            },
            RenderError::UnsafeValue {
                name: "n".into(),
                reason: "r".into(),
            },
            RenderError::DltMismatch("r".into()),
            RenderError::MessageTooLong {
                size: 2,
                max: 1,
                unit: "bytes",
            },
        ];
        let codes: std::collections::BTreeSet<_> = errors.iter().map(RenderError::code).collect();
        assert_eq!(codes.len(), errors.len());
        assert!(errors.iter().all(|e| !e.to_string().is_empty()));
    }
}
