//! The notification worker as the stack runs it (in `ombaro up`'s process, or alone as
//! `ombaro worker`), and `ombaro notifications tail`.

use std::{future::Future, sync::Arc};

use anyhow::Context;
use ombaro_common::db;
use ombaro_notifications::service::{Providers, Worker, WorkerOptions};

/// Runs one worker against `db_url` until `shutdown`, logging in as the function server does
/// (`authenticator`, acting as `service_role`), with the providers the environment configures
/// (the local provider by default; `echo` prints its line per message).
pub async fn run_worker(
    db_url: &str,
    options: WorkerOptions,
    echo: bool,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let worker = worker(db_url, options, echo).await?;
    let listen = ombaro_common::config::functions_login(db_url)?;
    worker.run(listen, shutdown).await;
    Ok(())
}

/// A worker for `db_url` with its own small pool.
pub async fn worker(db_url: &str, options: WorkerOptions, echo: bool) -> anyhow::Result<Worker> {
    let login = ombaro_common::config::functions_login(db_url)?;
    let pool = db::PoolConfig {
        max_size: 4,
        ..db::PoolConfig::default()
    };
    let db = db::Db::connect(login, &pool)
        .await
        .context("the notification worker's database")?;
    let providers = Providers::from_env(echo)?;
    Ok(Worker::new(db, Arc::new(providers), options))
}

/// The latest `n` deliveries, newest first: one line each, from the queue and its logs.
pub async fn tail(client: &tokio_postgres::Client, n: i64) -> anyhow::Result<Vec<String>> {
    let rows = client
        .query(
            "select to_char(coalesce(q.sent_at, q.updated_at) at time zone 'Asia/Kolkata', 'YYYY-MM-DD HH24:MI:SS'),
                    q.status, q.channel, q.event_type, coalesce(q.template_code, '-'),
                    coalesce(q.recipient, p.name, q.user_id::text, '-'),
                    coalesce(e.subject, s.body, w.template_name, n.title || ' | ' || n.message,
                             (select pn.title || ' | ' || pn.body from public.push_notifications pn
                               where pn.queue_id = q.id limit 1), q.last_error, '')
               from public.notification_queue q
               left join public.user_profiles p on p.id = q.user_id
               left join public.email_logs e on e.queue_id = q.id
               left join public.sms_logs s on s.queue_id = q.id
               left join public.whatsapp_logs w on w.queue_id = q.id
               left join public.notifications n on n.id = q.notification_id and q.channel = 'in_app'
              where q.status in ('sent', 'failed', 'dead', 'skipped')
              order by coalesce(q.sent_at, q.updated_at) desc
              limit $1",
            &[&n],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            format!(
                "{} {:<7} {:<8} {:<26} {:<24} {:<20} {}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
                r.get::<_, String>(3),
                r.get::<_, String>(4),
                r.get::<_, String>(5),
                r.get::<_, String>(6)
            )
        })
        .collect())
}
