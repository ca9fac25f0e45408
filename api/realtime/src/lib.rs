//! The Realtime API `ombaro up` serves at `/realtime/v1/websocket`, so
//! `supabase.channel(...).on('postgres_changes', ...)`, broadcast and presence work against the
//! local stack as on Supabase. Built as Supabase Realtime's WALRUS design works:
//!
//! - [`protocol`]: the Phoenix messages, in realtime-js's two serialisations;
//! - [`socket`]: one task per websocket: joins, leaves, heartbeats, token refreshes,
//!   broadcast and presence;
//! - [`changes`]: row changes read from a logical replication slot (wal2json) on the
//!   `supabase_realtime` publication's tables; each is delivered to a subscriber only if the
//!   database, asked as that subscriber (role and JWT claims, RLS applying), returns the row,
//!   and only with the columns the subscriber's role may select; and rows written to
//!   `realtime.messages` (`realtime.send`, Broadcast from the database) broadcast to their topic;
//! - [`authorization`]: who may join a private channel, read from the RLS policies on
//!   `realtime.messages`.

pub mod authorization;
pub mod changes;
pub mod filter;
pub mod protocol;
pub mod socket;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use axum::{routing::get, Router};
use ombaro_common::{db::Db, jwt::JwtKeys};
use protocol::Message;
use serde_json::Value;
use tokio::sync::mpsc;

/// Where the stack's server mounts this API.
pub const MOUNT: &str = "/realtime/v1";

/// What a socket's writer sends.
#[derive(Debug)]
pub enum Outgoing {
    Message(Message),
    Close,
}

/// A `postgres_changes` subscription of one channel.
#[derive(Debug, Clone)]
pub struct ChangeSubscription {
    pub id: u32,
    /// `*`, `INSERT`, `UPDATE` or `DELETE`.
    pub event: String,
    pub schema: String,
    pub table: String,
    /// As the client sent it, echoed in the join reply.
    pub raw_filter: Option<String>,
    pub filter: Option<filter::Filter>,
}

/// One joined channel of one socket.
#[derive(Debug, Clone)]
pub struct Channel {
    pub join_ref: Option<String>,
    pub role: String,
    pub claims: Value,
    /// The token's `exp`: past it, the channel is closed.
    pub expires_at: Option<i64>,
    pub changes: Vec<ChangeSubscription>,
    /// Joined with `config.private`: only subscribers the topic's policies admit, and only
    /// private broadcasts. A public and a private channel of one name never hear each other.
    pub private: bool,
    /// On a private channel, whether the policies let this subscriber broadcast and track
    /// presence; public channels always may.
    pub may_write: bool,
    pub broadcast_self: bool,
    pub broadcast_ack: bool,
    pub presence_key: String,
    pub presence: Option<Value>,
}

pub struct Connection {
    pub tx: mpsc::UnboundedSender<Outgoing>,
    pub channels: HashMap<String, Channel>,
}

pub struct Realtime {
    pub keys: Arc<JwtKeys>,
    /// Logged in as `authenticator`: visibility checks act as each subscriber.
    pub db: Db,
    /// A login allowed to read a logical replication slot (on Supabase, Realtime's own
    /// administrative role); without one, `postgres_changes` subscriptions are refused.
    pub replication: Option<tokio_postgres::Config>,
    pub connections: Mutex<HashMap<u64, Connection>>,
    next_connection: AtomicU64,
    next_subscription: AtomicU64,
    feed: tokio::sync::OnceCell<Result<(), String>>,
}

impl Realtime {
    pub fn new(db: Db, keys: Arc<JwtKeys>, replication: Option<tokio_postgres::Config>) -> Arc<Self> {
        Arc::new(Self {
            keys,
            db,
            replication,
            connections: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            next_subscription: AtomicU64::new(1),
            feed: tokio::sync::OnceCell::new(),
        })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/websocket", get(socket::upgrade))
            .with_state(self.clone())
    }

    fn connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    fn subscription_id(&self) -> u32 {
        // Realtime's ids are small integers; they only need to be unique per server.
        (self.next_subscription.fetch_add(1, Ordering::Relaxed) % u32::MAX as u64) as u32
    }

    /// Starts reading the replication slot the first time anyone subscribes to changes.
    pub async fn ensure_feed(self: &Arc<Self>) -> Result<(), String> {
        let this = self.clone();
        self.feed
            .get_or_init(|| async move { changes::start(this).await.map_err(|e| format!("{e:#}")) })
            .await
            .clone()
    }

    /// Sends `message` to every channel on `topic` that is as private as `private` (except
    /// the sender's `from`, unless it asked for its own broadcasts; with no sender, to all).
    pub fn broadcast(&self, topic: &str, private: bool, from: Option<u64>, message: &Message) {
        let connections = self.connections.lock().expect("connections lock");
        for (id, connection) in connections.iter() {
            if let Some(channel) = connection.channels.get(topic) {
                if channel.private != private || (Some(*id) == from && !channel.broadcast_self) {
                    continue;
                }
                let mut m = message.clone();
                m.join_ref = channel.join_ref.clone();
                let _ = connection.tx.send(Outgoing::Message(m));
            }
        }
    }
}
