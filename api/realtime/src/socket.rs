//! One websocket: the API key in the URL opens it; each channel joins with its own access
//! token (the signed-in user's JWT, refreshed by `access_token` messages); heartbeats keep it
//! open; broadcast and presence are relayed between the channels on one topic.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{self, WebSocket, WebSocketUpgrade},
        Query, State,
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::{
    authorization::{authorize, TopicAccess},
    filter::Filter,
    protocol::{Message, Vsn},
    ChangeSubscription, Channel, Connection, Outgoing, Realtime,
};

#[derive(Debug, Deserialize)]
pub struct Params {
    apikey: Option<String>,
    vsn: Option<String>,
}

pub async fn upgrade(State(rt): State<Arc<Realtime>>, Query(params): Query<Params>, ws: WebSocketUpgrade) -> Response {
    let vsn = match Vsn::parse(params.vsn.as_deref()) {
        Ok(vsn) => vsn,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let Some(key) = params.apikey else {
        return (StatusCode::UNAUTHORIZED, "No API key found in request").into_response();
    };
    let claims = match rt.keys.verify(&key) {
        Ok(claims) => claims,
        Err(err) => return (StatusCode::UNAUTHORIZED, err.to_string()).into_response(),
    };
    ws.on_upgrade(move |socket| run(rt, socket, vsn, claims.role, claims.raw))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn run(rt: Arc<Realtime>, socket: WebSocket, vsn: Vsn, key_role: String, key_claims: Value) {
    let id = rt.connection_id();
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    rt.connections.lock().expect("connections lock").insert(
        id,
        Connection {
            tx: tx.clone(),
            channels: Default::default(),
        },
    );
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let frame = match out {
                Outgoing::Message(m) => ws::Message::Text(m.encode(vsn).into()),
                Outgoing::Close => {
                    let _ = sink.send(ws::Message::Close(None)).await;
                    break;
                }
            };
            if sink.send(frame).await.is_err() {
                break;
            }
        }
    });
    let mut expiry = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            frame = stream.next() => {
                let message = match frame {
                    Some(Ok(ws::Message::Text(text))) => Message::decode_text(&text, vsn),
                    Some(Ok(ws::Message::Binary(bytes))) if vsn == Vsn::V2 => Message::decode_binary(&bytes),
                    Some(Ok(ws::Message::Binary(_))) => Err("binary frames need vsn=2.0.0".into()),
                    Some(Ok(ws::Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                match message {
                    Ok(message) => handle(&rt, id, &tx, message, &key_role, &key_claims).await,
                    Err(err) => tracing::debug!(connection = id, %err, "unreadable realtime frame"),
                }
            }
            _ = expiry.tick() => close_expired(&rt, id),
        }
    }
    let left = rt.connections.lock().expect("connections lock").remove(&id);
    if let Some(connection) = left {
        for (topic, channel) in connection.channels {
            leave_presence(&rt, &topic, &channel);
        }
    }
    let _ = tx.send(Outgoing::Close);
    let _ = writer.await;
}

fn send(tx: &mpsc::UnboundedSender<Outgoing>, message: Message) {
    let _ = tx.send(Outgoing::Message(message));
}

/// A `system` message on a channel, as Realtime reports subscription outcomes and errors.
pub fn system(topic: &str, extension: &str, status: &str, message: &str) -> Message {
    let channel = topic.strip_prefix("realtime:").unwrap_or(topic);
    Message::new(
        topic,
        "system",
        json!({"channel": channel, "extension": extension, "message": message, "status": status}),
    )
}

/// Ends the channels whose token has expired: the subscriber is told why, then the channel
/// closes, so no change reaches a token past its `exp`.
pub fn close_expired(rt: &Realtime, id: u64) {
    let mut connections = rt.connections.lock().expect("connections lock");
    let Some(connection) = connections.get_mut(&id) else {
        return;
    };
    let now = now();
    let expired: Vec<String> = connection
        .channels
        .iter()
        .filter(|(_, c)| c.expires_at.is_some_and(|exp| exp <= now))
        .map(|(t, _)| t.clone())
        .collect();
    for topic in expired {
        if let Some(channel) = connection.channels.remove(&topic) {
            let mut notice = system(&topic, "system", "error", "Token has expired 0 seconds ago");
            notice.join_ref = channel.join_ref.clone();
            send(&connection.tx, notice);
            let mut close = Message::new(&topic, "phx_close", json!({}));
            close.join_ref = channel.join_ref.clone();
            send(&connection.tx, close);
        }
    }
}

struct Auth {
    role: String,
    claims: Value,
    expires_at: Option<i64>,
    /// A private channel's access, asked again with the new token.
    access: Option<TopicAccess>,
}

/// `realtime:assignment:1:location` -> `assignment:1:location`, the topic policies see.
fn subtopic(topic: &str) -> &str {
    topic.strip_prefix("realtime:").unwrap_or(topic)
}

fn unauthorized_read(topic: &str) -> String {
    format!(
        "Unauthorized: You do not have permissions to read from this Channel topic: {}",
        subtopic(topic)
    )
}

fn unauthorized_write(topic: &str) -> String {
    format!(
        "Unauthorized: You do not have permissions to write to this Channel topic: {}",
        subtopic(topic)
    )
}

/// For a token refresh on a private channel: the policies asked again as the new token, so a
/// subscriber who may no longer read the topic is removed.
async fn private_access(rt: &Realtime, id: u64, topic: &str, mut auth: Auth) -> Result<Auth, String> {
    let private = rt
        .connections
        .lock()
        .expect("connections lock")
        .get(&id)
        .and_then(|c| c.channels.get(topic))
        .is_some_and(|c| c.private);
    if private {
        let access = authorize(rt, &auth.role, &auth.claims, subtopic(topic)).await?;
        if !access.read {
            return Err(unauthorized_read(topic));
        }
        auth.access = Some(access);
    }
    Ok(auth)
}

fn auth_of(rt: &Realtime, token: Option<&str>, key_role: &str, key_claims: &Value) -> Result<Auth, String> {
    let (role, claims) = match token {
        Some(token) => {
            let verified = rt.keys.verify(token).map_err(|e| format!("Invalid token: {e}"))?;
            (verified.role, verified.raw)
        }
        None => (key_role.to_owned(), key_claims.clone()),
    };
    let expires_at = claims.get("exp").and_then(Value::as_i64);
    Ok(Auth {
        role,
        claims,
        expires_at,
        access: None,
    })
}

async fn handle(
    rt: &Arc<Realtime>,
    id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    message: Message,
    key_role: &str,
    key_claims: &Value,
) {
    match (message.topic.as_str(), message.event.as_str()) {
        ("phoenix", "heartbeat") => send(tx, message.reply("ok", json!({}))),
        (_, "phx_join") => join(rt, id, tx, message, key_role, key_claims).await,
        (_, "phx_leave") => {
            let removed = rt
                .connections
                .lock()
                .expect("connections lock")
                .get_mut(&id)
                .and_then(|c| c.channels.remove(&message.topic));
            if let Some(channel) = removed {
                leave_presence(rt, &message.topic, &channel);
            }
            send(tx, message.reply("ok", json!({})));
            let mut close = Message::new(&message.topic, "phx_close", json!({}));
            close.join_ref = message.join_ref.clone();
            send(tx, close);
        }
        (_, "access_token") => {
            let token = message.payload.get("access_token").and_then(Value::as_str);
            let auth = match auth_of(rt, token, key_role, key_claims) {
                Ok(auth) => private_access(rt, id, &message.topic, auth).await,
                Err(reason) => Err(reason),
            };
            match auth {
                Ok(auth) => {
                    let mut connections = rt.connections.lock().expect("connections lock");
                    if let Some(channel) = connections
                        .get_mut(&id)
                        .and_then(|c| c.channels.get_mut(&message.topic))
                    {
                        channel.role = auth.role;
                        channel.claims = auth.claims;
                        channel.expires_at = auth.expires_at;
                        if let Some(access) = auth.access {
                            channel.may_write = access.write;
                        }
                    }
                }
                Err(reason) => {
                    let removed = rt
                        .connections
                        .lock()
                        .expect("connections lock")
                        .get_mut(&id)
                        .and_then(|c| c.channels.remove(&message.topic));
                    if removed.is_some() {
                        send(tx, system(&message.topic, "system", "error", &reason));
                        send(tx, Message::new(&message.topic, "phx_close", json!({})));
                    }
                }
            }
        }
        (_, "broadcast") => {
            let joined = {
                let connections = rt.connections.lock().expect("connections lock");
                connections
                    .get(&id)
                    .and_then(|c| c.channels.get(&message.topic))
                    .map(|channel| (channel.broadcast_ack, channel.private, channel.may_write))
            };
            let Some((ack, private, may_write)) = joined else {
                send(
                    tx,
                    message.reply("error", json!({"reason": "join the channel before broadcasting"})),
                );
                return;
            };
            if !may_write {
                send(
                    tx,
                    message.reply("error", json!({"reason": unauthorized_write(&message.topic)})),
                );
                return;
            }
            let out = Message::new(&message.topic, "broadcast", message.payload.clone());
            rt.broadcast(&message.topic, private, Some(id), &out);
            if ack {
                send(tx, message.reply("ok", json!({})));
            }
        }
        (_, "presence") => presence(rt, id, tx, message),
        _ => send(
            tx,
            message.reply("error", json!({"reason": format!("unknown event {:?}", message.event)})),
        ),
    }
}

async fn join(
    rt: &Arc<Realtime>,
    id: u64,
    tx: &mpsc::UnboundedSender<Outgoing>,
    message: Message,
    key_role: &str,
    key_claims: &Value,
) {
    let refuse = |reason: String| send(tx, message.reply("error", json!({ "reason": reason })));
    if !message.topic.starts_with("realtime:") {
        return refuse(format!("topic {:?} is not a realtime channel", message.topic));
    }
    let token = message.payload.get("access_token").and_then(Value::as_str);
    let auth = match auth_of(rt, token, key_role, key_claims) {
        Ok(auth) => auth,
        Err(reason) => return refuse(reason),
    };
    if auth.expires_at.is_some_and(|exp| exp <= now()) {
        return refuse("Token has expired".into());
    }
    let config = message.payload.get("config").cloned().unwrap_or(json!({}));
    let private = config.get("private").and_then(Value::as_bool) == Some(true);
    let access = if private {
        let topic = subtopic(&message.topic);
        match authorize(rt, &auth.role, &auth.claims, topic).await {
            Ok(access) if access.read => access,
            Ok(_) => return refuse(unauthorized_read(&message.topic)),
            Err(reason) => return refuse(reason),
        }
    } else {
        TopicAccess {
            read: true,
            write: true,
        }
    };
    let mut changes = Vec::new();
    let mut response = Vec::new();
    for wanted in config
        .get("postgres_changes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let event = wanted.get("event").and_then(Value::as_str).unwrap_or("*").to_owned();
        let schema = wanted
            .get("schema")
            .and_then(Value::as_str)
            .unwrap_or("public")
            .to_owned();
        let table = wanted.get("table").and_then(Value::as_str).unwrap_or("*").to_owned();
        let raw_filter = wanted.get("filter").and_then(Value::as_str).map(str::to_owned);
        if !matches!(event.as_str(), "*" | "INSERT" | "UPDATE" | "DELETE") {
            return refuse(format!("unknown postgres_changes event {event:?}"));
        }
        let filter = match raw_filter.as_deref().map(Filter::parse).transpose() {
            Ok(f) => f,
            Err(reason) => return refuse(reason),
        };
        if let Err(reason) = crate::changes::may_subscribe(rt, &auth.role, &schema, &table).await {
            return refuse(reason);
        }
        let sub = ChangeSubscription {
            id: rt.subscription_id(),
            event: event.clone(),
            schema: schema.clone(),
            table: table.clone(),
            raw_filter: raw_filter.clone(),
            filter,
        };
        let mut entry = json!({"id": sub.id, "event": event, "schema": schema, "table": table});
        if let Some(f) = &raw_filter {
            entry["filter"] = json!(f);
        }
        response.push(entry);
        changes.push(sub);
    }
    // The feed carries Broadcast from the database too, so every channel starts it; only a
    // channel that asked for row changes cannot do without it.
    if let Err(reason) = rt.ensure_feed().await {
        if !changes.is_empty() {
            return refuse(format!("Unable to subscribe to changes: {reason}"));
        }
        tracing::debug!(%reason, "realtime joined without the database feed");
    }
    let presence_enabled = config
        .pointer("/presence/enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let channel = Channel {
        join_ref: message.join_ref.clone(),
        role: auth.role,
        claims: auth.claims,
        expires_at: auth.expires_at,
        changes: changes.clone(),
        private,
        may_write: access.write,
        broadcast_self: config
            .pointer("/broadcast/self")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        broadcast_ack: config
            .pointer("/broadcast/ack")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        presence_key: config
            .pointer("/presence/key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        presence: None,
    };
    let state = {
        let mut connections = rt.connections.lock().expect("connections lock");
        let Some(connection) = connections.get_mut(&id) else {
            return;
        };
        connection.channels.insert(message.topic.clone(), channel);
        presence_state(&connections, &message.topic, private)
    };
    let mut reply = message.reply("ok", json!({}));
    if !response.is_empty() {
        reply.payload["response"] = json!({ "postgres_changes": response });
    }
    send(tx, reply);
    if !changes.is_empty() {
        let mut subscribed = system(&message.topic, "postgres_changes", "ok", "Subscribed to PostgreSQL");
        subscribed.join_ref = message.join_ref.clone();
        send(tx, subscribed);
    }
    if presence_enabled {
        let mut m = Message::new(&message.topic, "presence_state", state);
        m.join_ref = message.join_ref.clone();
        send(tx, m);
    }
}

/// `{key: {metas: [...]}}` of everyone tracked on `topic` (its public or its private side).
fn presence_state(connections: &std::collections::HashMap<u64, Connection>, topic: &str, private: bool) -> Value {
    let mut state = serde_json::Map::new();
    for connection in connections.values() {
        if let Some(channel) = connection.channels.get(topic).filter(|c| c.private == private) {
            if let Some(meta) = &channel.presence {
                let entry = state
                    .entry(channel.presence_key.clone())
                    .or_insert_with(|| json!({"metas": []}));
                entry["metas"].as_array_mut().expect("metas").push(meta.clone());
            }
        }
    }
    Value::Object(state)
}

fn presence(rt: &Realtime, id: u64, tx: &mpsc::UnboundedSender<Outgoing>, message: Message) {
    let action = message.payload.get("event").and_then(Value::as_str).unwrap_or_default();
    let (diff, private) = {
        let mut connections = rt.connections.lock().expect("connections lock");
        let Some(channel) = connections
            .get_mut(&id)
            .and_then(|c| c.channels.get_mut(&message.topic))
        else {
            send(
                tx,
                message.reply("error", json!({"reason": "join the channel before tracking presence"})),
            );
            return;
        };
        let key = channel.presence_key.clone();
        if action == "track" && !channel.may_write {
            send(
                tx,
                message.reply("error", json!({"reason": unauthorized_write(&message.topic)})),
            );
            return;
        }
        let private = channel.private;
        let diff = match action {
            "track" => {
                let mut meta = message.payload.get("payload").cloned().unwrap_or(json!({}));
                if !meta.is_object() {
                    meta = json!({ "value": meta });
                }
                meta["phx_ref"] = json!(uuid::Uuid::new_v4().simple().to_string());
                let previous = channel.presence.replace(meta.clone());
                let leaves = previous
                    .map(|p| json!({ key.clone(): {"metas": [p]} }))
                    .unwrap_or(json!({}));
                json!({"joins": { key: {"metas": [meta]} }, "leaves": leaves})
            }
            "untrack" => match channel.presence.take() {
                Some(previous) => json!({"joins": {}, "leaves": { key: {"metas": [previous]} }}),
                None => json!({"joins": {}, "leaves": {}}),
            },
            other => {
                send(
                    tx,
                    message.reply("error", json!({"reason": format!("unknown presence event {other:?}")})),
                );
                return;
            }
        };
        (diff, private)
    };
    send(tx, message.reply("ok", json!({})));
    // Everyone on the topic, the tracker included, sees the diff.
    rt.broadcast(
        &message.topic,
        private,
        None,
        &Message::new(&message.topic, "presence_diff", diff),
    );
}

fn leave_presence(rt: &Realtime, topic: &str, channel: &Channel) {
    if let Some(meta) = &channel.presence {
        let diff = json!({"joins": {}, "leaves": { channel.presence_key.clone(): {"metas": [meta]} }});
        rt.broadcast(
            topic,
            channel.private,
            None,
            &Message::new(topic, "presence_diff", diff),
        );
    }
}
