//! Who may join a private channel, decided as Supabase Realtime decides it: by the RLS
//! policies on `realtime.messages`. In one transaction, rolled back, a probe message is
//! written for the topic (as `service_role`, so it exists whatever the policies say), then,
//! acting as the subscriber (role, JWT claims and `realtime.topic` set), the subscriber may
//! *read* the topic if a select finds it and may *write* to it if an insert passes the
//! policies' checks. Policies name the topic through `realtime.topic()`.

use serde_json::Value;
use tokio_postgres::error::SqlState;

use crate::Realtime;

/// What a subscriber may do on one private topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopicAccess {
    /// Receive its broadcasts (join the channel).
    pub read: bool,
    /// Broadcast and track presence on it.
    pub write: bool,
}

/// The access `role` with `claims` has to the private `topic` (without the `realtime:`
/// prefix). An error is a failure to ask, not a refusal.
pub async fn authorize(rt: &Realtime, role: &str, claims: &Value, topic: &str) -> Result<TopicAccess, String> {
    let mut client = rt
        .db
        .pool
        .get()
        .await
        .map_err(|e| format!("database unavailable: {e}"))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| format!("authorising the channel: {e}"))?;
    let asked = async {
        tx.execute("select set_config('role', 'service_role', true)", &[])
            .await?;
        tx.execute(
            "insert into realtime.messages (topic, extension, private) values ($1, 'broadcast', true)",
            &[&topic],
        )
        .await?;
        tx.execute(
            "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                    set_config('realtime.topic', $3, true)",
            &[&role, &claims.to_string(), &topic],
        )
        .await?;
        let read = denied_is_false(
            tx.query_one(
                "select exists (select 1 from realtime.messages where topic = $1 and extension = 'broadcast')",
                &[&topic],
            )
            .await
            .map(|row| row.get::<_, bool>(0)),
        )?;
        tx.batch_execute("savepoint write_probe").await?;
        let write = denied_is_false(
            tx.execute(
                "insert into realtime.messages (topic, extension, private) values ($1, 'broadcast', true)",
                &[&topic],
            )
            .await
            .map(|n| n == 1),
        );
        tx.batch_execute("rollback to savepoint write_probe").await?;
        Ok::<_, tokio_postgres::Error>(TopicAccess { read, write: write? })
    }
    .await;
    let _ = tx.rollback().await;
    asked.map_err(|e| format!("authorising the channel: {e}"))
}

/// A refusal by privileges or policies answers "no"; any other error is an error.
fn denied_is_false(answer: Result<bool, tokio_postgres::Error>) -> Result<bool, tokio_postgres::Error> {
    match answer {
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => Ok(false),
        other => other,
    }
}
