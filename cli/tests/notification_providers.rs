//! The real provider clients against local servers that check each request as the provider
//! documents it (authentication, path, body) and answer in its shapes, errors included; and
//! SMTP against a small SMTP server speaking the protocol.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Form, Json, Router,
};
use ombaro_notifications::{
    plan::Message,
    retry::Failure,
    service::providers::{http_client, Fcm, Msg91, Provider, SendGrid, ServiceAccount, Smtp, WhatsappCloud},
    template::{EmailCategory, RenderedEmail, RenderedPush, RenderedWhatsapp, SmsTemplate, Vars, WhatsappCategory},
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

type Seen = Arc<Mutex<Vec<(String, HeaderMap, Value)>>>;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn error(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

// FCM ------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct FakeGoogle {
    seen: Seen,
    token_requests: Arc<Mutex<usize>>,
    base: Arc<Mutex<String>>,
}

/// Google's token endpoint: a JWT bearer grant whose assertion is an RS256 JWT signed by the
/// service account, for the FCM scope, with this endpoint as audience.
async fn token(State(g): State<FakeGoogle>, Form(form): Form<BTreeMap<String, String>>) -> Response {
    *g.token_requests.lock().unwrap() += 1;
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return error(400, json!({"error": "unsupported_grant_type"}));
    }
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(include_bytes!("fixtures/fcm_test_key.pub.pem")).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    let audience = format!("{}/token", g.base.lock().unwrap());
    validation.set_audience(&[audience]);
    validation.set_issuer(&["push@ombaro-test.iam.gserviceaccount.com"]);
    let Ok(claims) = jsonwebtoken::decode::<Value>(form["assertion"].as_str(), &key, &validation) else {
        return error(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
        );
    };
    if claims.claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
        return error(400, json!({"error": "invalid_scope"}));
    }
    Json(json!({"access_token": "ya29.test-access-token", "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn fcm_send(
    State(g): State<FakeGoogle>,
    Path(project): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    g.seen
        .lock()
        .unwrap()
        .push((project.clone(), headers.clone(), body.clone()));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer ya29.test-access-token") {
        return error(401, json!({"error": {"code": 401, "status": "UNAUTHENTICATED"}}));
    }
    if project != "ombaro-test" {
        return error(
            404,
            json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "no such project"}}),
        );
    }
    let message = &body["message"];
    match message["token"].as_str() {
        Some("token-unregistered-000000000000") => error(
            404,
            json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                             "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}}),
        ),
        Some("token-busy-000000000000000000") => error(503, json!({"error": {"code": 503, "status": "UNAVAILABLE"}})),
        Some(_) if message["notification"]["title"].is_string() && message["data"]["queue_id"].is_string() => {
            Json(json!({"name": "projects/ombaro-test/messages/0:1500415314455276%31bd1c9631bd1c96"})).into_response()
        }
        _ => error(400, json!({"error": {"code": 400, "status": "INVALID_ARGUMENT"}})),
    }
}

fn push(tokens: &[&str]) -> Message {
    Message::Push {
        tokens: tokens.iter().map(|t| t.to_string()).collect(),
        push: RenderedPush {
            template_code: "therapist_arrived".into(),
            title: "Your therapist has arrived".into(),
            body: "Asha is at your door.".into(),
            data: BTreeMap::from([("booking_id".into(), "b-1".into())]),
        },
    }
}

#[tokio::test]
async fn fcm_signs_a_jwt_for_a_cached_token_and_sends_per_device() {
    let google = FakeGoogle::default();
    let app = Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{project}/messages:send", post(fcm_send))
        .with_state(google.clone());
    let base = serve(app).await;
    *google.base.lock().unwrap() = base.clone();
    let account = ServiceAccount {
        project_id: "ombaro-test".into(),
        client_email: "push@ombaro-test.iam.gserviceaccount.com".into(),
        private_key: include_str!("fixtures/fcm_test_key.pem").into(),
        token_uri: format!("{base}/token"),
    };
    let fcm = Fcm::new(base.clone(), account, http_client()).unwrap();

    let accepted = fcm
        .send(
            "queue-1",
            &push(&["token-good-0000000000000000000", "token-unregistered-000000000000"]),
        )
        .await
        .unwrap();
    assert_eq!(accepted.provider, "fcm");
    assert_eq!(accepted.devices.len(), 2);
    assert_eq!(accepted.devices[0].status, "sent");
    assert!(accepted.devices[0]
        .message_id
        .as_deref()
        .unwrap()
        .starts_with("projects/ombaro-test/messages/"));
    assert_eq!(accepted.devices[1].status, "token_invalid");
    {
        let seen = google.seen.lock().unwrap();
        let body = &seen[0].2["message"];
        assert_eq!(body["token"], "token-good-0000000000000000000");
        assert_eq!(body["notification"]["title"], "Your therapist has arrived");
        assert_eq!(body["data"], json!({"booking_id": "b-1", "queue_id": "queue-1"}));
        assert_eq!(body["android"]["collapse_key"], "queue-1");
        assert_eq!(body["apns"]["headers"]["apns-collapse-id"], "queue-1");
    }
    // The access token is cached: a second send asks Google once in all.
    fcm.send("queue-2", &push(&["token-good-0000000000000000000"]))
        .await
        .unwrap();
    assert_eq!(*google.token_requests.lock().unwrap(), 1);
    // Only unavailable devices: transient; only invalid ones: permanent.
    let err = fcm
        .send("queue-3", &push(&["token-busy-000000000000000000"]))
        .await
        .unwrap_err();
    assert!(matches!(err.failure, Failure::Transient { .. }), "{err}");
    let err = fcm
        .send("queue-4", &push(&["token-unregistered-000000000000"]))
        .await
        .unwrap_err();
    assert_eq!(err.failure, Failure::Permanent);
    assert_eq!(err.devices[0].status, "token_invalid");

    // A key Google does not know is refused at the token exchange: permanent.
    let other = ServiceAccount {
        project_id: "ombaro-test".into(),
        client_email: "intruder@example.iam.gserviceaccount.com".into(),
        private_key: include_str!("fixtures/fcm_test_key.pem").into(),
        token_uri: format!("{base}/token"),
    };
    let err = Fcm::new(base, other, http_client())
        .unwrap()
        .send("queue-5", &push(&["token-good-0000000000000000000"]))
        .await
        .unwrap_err();
    assert_eq!(err.failure, Failure::Permanent, "{err}");
}

// SendGrid ------------------------------------------------------------------------------------

fn email() -> Message {
    Message::Email {
        to: "meera@example.in".into(),
        email: RenderedEmail {
            template_code: "booking_confirmation".into(),
            template_version: 1,
            category: EmailCategory::Transactional,
            subject: "Your booking OBO-20251015-0001 is confirmed".into(),
            html: "<p>Hi Meera &amp; co</p>".into(),
            text: Some("Hi Meera & co".into()),
        },
    }
}

#[tokio::test]
async fn sendgrid_posts_v3_mail_send_and_classifies_its_errors() {
    let seen: Seen = Arc::default();
    let status = Arc::new(Mutex::new(202u16));
    let (s, st) = (seen.clone(), status.clone());
    let app = Router::new().route(
        "/v3/mail/send",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let (seen, status) = (s.clone(), st.clone());
            async move {
                seen.lock()
                    .unwrap()
                    .push(("/v3/mail/send".into(), headers.clone(), body.clone()));
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer SG.key") {
                    return error(
                        401,
                        json!({"errors": [{"message": "The provided authorization grant is invalid"}]}),
                    );
                }
                let ok = body["personalizations"][0]["to"][0]["email"].is_string()
                    && body["from"]["email"].is_string()
                    && body["subject"].is_string()
                    && body["content"][0]["type"] == "text/plain"
                    && body["content"][1]["type"] == "text/html";
                if !ok {
                    return error(400, json!({"errors": [{"message": "bad request"}]}));
                }
                let code = *status.lock().unwrap();
                let mut r = StatusCode::from_u16(code).unwrap().into_response();
                if code == 429 {
                    r.headers_mut().insert("retry-after", "120".parse().unwrap());
                }
                r.headers_mut().insert("x-message-id", "sg-123".parse().unwrap());
                r
            }
        }),
    );
    let base = serve(app).await;
    let sendgrid = |key: &str| SendGrid {
        base_url: base.clone(),
        api_key: key.into(),
        from_email: "no-reply@ombaro.in".into(),
        from_name: "OMBARO".into(),
        http: http_client(),
    };
    let accepted = sendgrid("SG.key").send("queue-1", &email()).await.unwrap();
    assert_eq!(
        (accepted.provider, accepted.message_id.as_deref()),
        ("sendgrid", Some("sg-123"))
    );
    let body = seen.lock().unwrap()[0].2.clone();
    assert_eq!(body["custom_args"]["queue_id"], "queue-1");
    assert_eq!(body["headers"]["Message-ID"], "<queue-1@ombaro.in>");
    assert_eq!(body["content"][1]["value"], "<p>Hi Meera &amp; co</p>");

    let err = sendgrid("SG.wrong").send("queue-2", &email()).await.unwrap_err();
    assert_eq!(err.failure, Failure::Permanent);
    *status.lock().unwrap() = 429;
    let err = sendgrid("SG.key").send("queue-3", &email()).await.unwrap_err();
    assert_eq!(
        err.failure,
        Failure::Transient {
            retry_after_secs: Some(120)
        }
    );
    // Nobody listening: transient.
    let gone = SendGrid {
        base_url: "http://127.0.0.1:1".into(),
        ..sendgrid("SG.key")
    };
    assert!(matches!(
        gone.send("queue-4", &email()).await.unwrap_err().failure,
        Failure::Transient { .. }
    ));
}

// MSG91 ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn msg91_sends_the_dlt_ids_with_the_authkey() {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/api/v2/sendsms",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let seen = s.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .push(("/api/v2/sendsms".into(), headers.clone(), body.clone()));
                if headers.get("authkey").and_then(|v| v.to_str().ok()) != Some("msg91-key") {
                    return error(401, json!({"type": "error", "message": "Authentication failure"}));
                }
                if body["DLT_TE_ID"].as_str().is_none_or(|t| t.len() < 10) || body["PE_ID"].as_str().is_none() {
                    return error(400, json!({"type": "error", "message": "DLT template id required"}));
                }
                if body["sms"][0]["to"][0].as_str().is_some_and(|n| n.starts_with('+')) {
                    return error(400, json!({"type": "error", "message": "invalid number"}));
                }
                Json(json!({"type": "success", "message": "3763646c3058373530393138"})).into_response()
            }
        }),
    );
    let base = serve(app).await;
    let template = SmsTemplate::from_setting(&json!({"payment_received": {
        "dlt_template_id": "1107170000000000106", "sender_id": "OMBARO", "category": "service_implicit",
        "variables": ["amount_paid", "booking_number"],
        "body": "Payment of Rs {#var#} received for OMBARO booking {#var#}. Thank you. -OMBARO"}}))
    .unwrap()
    .remove("payment_received")
    .unwrap();
    let sms = template
        .render(
            &Vars::new()
                .with("amount_paid", "2,935.35")
                .with("booking_number", "OBO-20251015-0001"),
        )
        .unwrap();
    let message = Message::Sms {
        to: "+919812345678".into(),
        sms,
        dlt_entity_id: Some("1101000000000000001".into()),
    };
    let msg91 = |key: &str| Msg91 {
        base_url: base.clone(),
        auth_key: key.into(),
        http: http_client(),
    };
    let accepted = msg91("msg91-key").send("queue-1", &message).await.unwrap();
    assert_eq!(accepted.message_id.as_deref(), Some("3763646c3058373530393138"));
    let body = seen.lock().unwrap()[0].2.clone();
    assert_eq!(body["sender"], "OMBARO");
    assert_eq!(body["DLT_TE_ID"], "1107170000000000106");
    assert_eq!(body["PE_ID"], "1101000000000000001");
    assert_eq!(body["sms"][0]["to"][0], "919812345678");
    assert_eq!(
        body["sms"][0]["message"],
        "Payment of Rs 2,935.35 received for OMBARO booking OBO-20251015-0001. Thank you. -OMBARO"
    );
    assert_eq!(
        msg91("wrong").send("queue-2", &message).await.unwrap_err().failure,
        Failure::Permanent
    );
}

// WhatsApp -------------------------------------------------------------------------------------------

#[tokio::test]
async fn whatsapp_cloud_sends_a_template_message_with_a_bearer_token() {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = Router::new().route(
        "/v21.0/{phone}/messages",
        post(move |Path(phone): Path<String>, headers: HeaderMap, Json(body): Json<Value>| {
            let seen = s.clone();
            async move {
                seen.lock().unwrap().push((phone.clone(), headers.clone(), body.clone()));
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer EAAG-test") {
                    return error(401, json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}));
                }
                if phone != "106540352242922" || body["messaging_product"] != "whatsapp" || body["type"] != "template" {
                    return error(400, json!({"error": {"message": "Invalid parameter", "code": 100}}));
                }
                if body["template"]["name"] == "over_limit" {
                    return error(429, json!({"error": {"message": "Rate limit hit", "code": 130429}}));
                }
                Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                            "messages": [{"id": "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQ0E="}]}))
                .into_response()
            }
        }),
    );
    let base = serve(app).await;
    let message = |name: &str| Message::Whatsapp {
        to: "+919812345678".into(),
        whatsapp: RenderedWhatsapp {
            template_name: name.into(),
            language: "en".into(),
            category: WhatsappCategory::Utility,
            parameters: vec!["Meera".into(), "OBO-20251015-0001".into()],
            preview: "Hi Meera, your booking OBO-20251015-0001 is confirmed.".into(),
        },
    };
    let cloud = |token: &str| WhatsappCloud {
        base_url: format!("{base}/v21.0"),
        phone_number_id: "106540352242922".into(),
        token: token.into(),
        http: http_client(),
    };
    let accepted = cloud("EAAG-test")
        .send("queue-1", &message("booking_confirmed"))
        .await
        .unwrap();
    assert_eq!(
        accepted.message_id.as_deref(),
        Some("wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQ0E=")
    );
    let body = seen.lock().unwrap()[0].2.clone();
    assert_eq!(body["to"], "919812345678");
    assert_eq!(body["template"]["language"]["code"], "en");
    assert_eq!(
        body["template"]["components"][0]["parameters"],
        json!([{"type": "text", "text": "Meera"}, {"type": "text", "text": "OBO-20251015-0001"}])
    );
    assert_eq!(body["biz_opaque_callback_data"], "queue-1");
    assert_eq!(
        cloud("expired")
            .send("q", &message("booking_confirmed"))
            .await
            .unwrap_err()
            .failure,
        Failure::Permanent
    );
    assert!(matches!(
        cloud("EAAG-test")
            .send("q", &message("over_limit"))
            .await
            .unwrap_err()
            .failure,
        Failure::Transient { .. }
    ));
}

// SMTP ------------------------------------------------------------------------------------------------

/// A small SMTP server (RFC 5321): greets, answers EHLO, takes MAIL FROM / RCPT TO / DATA up
/// to the lone dot, and records the message; a recipient at `full.example` is refused with
/// 550 (permanent), at `busy.example` with 451 (transient).
/// Mails received: (MAIL FROM, RCPT TO..., the data).
type Mails = Arc<Mutex<Vec<(String, Vec<String>, String)>>>;

async fn smtp_server() -> (u16, Mails) {
    let mails: Mails = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 localhost ESMTP test\r\n").await.unwrap();
                let (mut from, mut to, mut data, mut in_data) = (String::new(), Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().unwrap().push((from.clone(), to.clone(), data.clone()));
                            write.write_all(b"250 2.0.0 queued as T1\r\n").await.unwrap();
                        } else {
                            data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-localhost\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        from = line[10..].trim().to_owned();
                        b"250 2.1.0 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let rcpt = line[8..].trim().to_owned();
                        if rcpt.contains("full.example") {
                            b"550 5.2.2 mailbox full\r\n"
                        } else if rcpt.contains("busy.example") {
                            b"451 4.3.0 try again later\r\n"
                        } else {
                            to.push(rcpt);
                            b"250 2.1.5 ok\r\n"
                        }
                    } else if upper == "DATA" {
                        in_data = true;
                        b"354 end with <CRLF>.<CRLF>\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
                        break;
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 2.0.0 ok\r\n"
                    } else {
                        b"502 5.5.2 not implemented\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

#[tokio::test]
async fn smtp_speaks_the_protocol_to_a_real_listener() {
    let (port, mails) = smtp_server().await;
    let smtp = Smtp::new("127.0.0.1", port, None, "OMBARO <no-reply@ombaro.in>").unwrap();
    let accepted = smtp.send("queue-1", &email()).await.unwrap();
    assert_eq!(accepted.message_id.as_deref(), Some("<queue-1@ombaro.in>"));
    let (from, to, data) = mails.lock().unwrap()[0].clone();
    assert_eq!(from, "<no-reply@ombaro.in>");
    assert_eq!(to, vec!["<meera@example.in>"]);
    assert!(
        data.contains("Subject: Your booking OBO-20251015-0001 is confirmed"),
        "{data}"
    );
    assert!(data.contains("Message-ID: <queue-1@ombaro.in>"), "{data}");
    assert!(data.contains("multipart/alternative"), "{data}");

    let to = |address: &str| {
        let Message::Email { email, .. } = email() else {
            unreachable!()
        };
        Message::Email {
            to: address.into(),
            email,
        }
    };
    let err = smtp.send("queue-2", &to("someone@full.example")).await.unwrap_err();
    assert_eq!(err.failure, Failure::Permanent, "{err}");
    let err = smtp.send("queue-3", &to("someone@busy.example")).await.unwrap_err();
    assert!(matches!(err.failure, Failure::Transient { .. }), "{err}");
}
