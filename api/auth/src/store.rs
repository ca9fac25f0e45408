//! Every statement `/auth/v1` runs, on GoTrue's tables (`auth.users`, `identities`,
//! `sessions`, `refresh_tokens`, `mfa_amr_claims`, `one_time_tokens`) and the notification
//! outbox. Each runs in a transaction the handler opened as `service_role`.

use deadpool_postgres::Transaction;
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::error::AuthError;

/// GoTrue's instance id for a single-tenant project.
pub const INSTANCE_ID: &str = "00000000-0000-0000-0000-000000000000";

/// A user as the handlers need it: what goes into tokens and checks, and the JSON answer.
#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub encrypted_password: Option<String>,
    pub email_confirmed: bool,
    pub phone_confirmed: bool,
    pub banned: bool,
    pub is_anonymous: bool,
    pub app_metadata: Value,
    pub user_metadata: Value,
    /// `user_profiles.role`, the OMBARO role, when the person has a profile.
    pub profile_role: Option<String>,
    pub confirmation_token: Option<String>,
    pub recovery_token: Option<String>,
    pub confirmation_sent_at: Option<i64>,
    pub recovery_sent_at: Option<i64>,
    /// The user as GoTrue answers with it (`id`, `aud`, `role`, `email`, `phone`, the
    /// confirmation times, `app_metadata`, `user_metadata`, `identities`, ...).
    pub json: Value,
}

/// The columns [`User`] reads, from `auth.users u`.
const USER_SELECT: &str = "
  select u.id, nullif(u.email, ''), nullif(u.phone, ''), u.encrypted_password,
         u.email_confirmed_at is not null, u.phone_confirmed_at is not null,
         coalesce(u.banned_until > now(), false), u.is_anonymous,
         coalesce(u.raw_app_meta_data, '{}'), coalesce(u.raw_user_meta_data, '{}'),
         (select p.role from public.user_profiles p where p.id = u.id),
         nullif(u.confirmation_token, ''), nullif(u.recovery_token, ''),
         floor(extract(epoch from u.confirmation_sent_at))::int8, floor(extract(epoch from u.recovery_sent_at))::int8,
         jsonb_build_object(
           'id', u.id, 'aud', coalesce(u.aud, ''), 'role', coalesce(u.role, ''),
           'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
           'email_confirmed_at', u.email_confirmed_at, 'phone_confirmed_at', u.phone_confirmed_at,
           'confirmation_sent_at', u.confirmation_sent_at, 'recovery_sent_at', u.recovery_sent_at,
           'confirmed_at', u.confirmed_at, 'last_sign_in_at', u.last_sign_in_at,
           'app_metadata', coalesce(u.raw_app_meta_data, '{}'), 'user_metadata', coalesce(u.raw_user_meta_data, '{}'),
           'identities', coalesce((
             select jsonb_agg(jsonb_build_object(
                      'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id,
                      'identity_data', i.identity_data, 'provider', i.provider,
                      'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
                      'updated_at', i.updated_at, 'email', i.email) order by i.created_at)
               from auth.identities i where i.user_id = u.id), '[]'),
           'created_at', u.created_at, 'updated_at', u.updated_at,
           'banned_until', u.banned_until, 'is_anonymous', u.is_anonymous)
    from auth.users u";

fn user_of(row: &Row) -> User {
    User {
        id: row.get(0),
        email: row.get(1),
        phone: row.get(2),
        encrypted_password: row.get(3),
        email_confirmed: row.get(4),
        phone_confirmed: row.get(5),
        banned: row.get(6),
        is_anonymous: row.get(7),
        app_metadata: row.get(8),
        user_metadata: row.get(9),
        profile_role: row.get(10),
        confirmation_token: row.get(11),
        recovery_token: row.get(12),
        confirmation_sent_at: row.get(13),
        recovery_sent_at: row.get(14),
        json: row.get(15),
    }
}

async fn one_user(
    tx: &Transaction<'_>,
    filter: &str,
    param: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Option<User>, AuthError> {
    let sql = format!("{USER_SELECT} where {filter} and u.deleted_at is null");
    let statement = tx.prepare_cached(&sql).await?;
    Ok(tx.query_opt(&statement, &[param]).await?.as_ref().map(user_of))
}

pub async fn user_by_id(tx: &Transaction<'_>, id: Uuid) -> Result<Option<User>, AuthError> {
    one_user(tx, "u.id = $1", &id).await
}

/// By email, case-insensitively (GoTrue keeps emails lower-case).
pub async fn user_by_email(tx: &Transaction<'_>, email: &str) -> Result<Option<User>, AuthError> {
    one_user(tx, "lower(u.email) = lower($1) and u.is_sso_user = false", &email).await
}

pub async fn user_by_phone(tx: &Transaction<'_>, phone: &str) -> Result<Option<User>, AuthError> {
    one_user(tx, "u.phone = $1", &phone).await
}

/// What a new user starts with.
pub struct NewUser<'a> {
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub encrypted_password: Option<&'a str>,
    pub user_metadata: &'a Value,
    pub app_metadata: &'a Value,
    pub email_confirmed: bool,
    pub phone_confirmed: bool,
    /// `auth.users.role`: `authenticated` for every sign-up.
    pub role: &'a str,
}

/// Inserts the user and its identity (provider `email` or `phone`, `provider_id` the user id
/// as GoTrue does). The insert fires the V90 trigger that gives a sign-up its customer
/// profile. `None` when the email or phone is taken (a concurrent sign-up won).
pub async fn insert_user(tx: &Transaction<'_>, new: &NewUser<'_>) -> Result<Option<Uuid>, AuthError> {
    let id = Uuid::new_v4();
    let provider = if new.email.is_some() { "email" } else { "phone" };
    let statement = tx
        .prepare_cached(
            "with u as (
               insert into auth.users (instance_id, id, aud, role, email, phone, encrypted_password,
                                       email_confirmed_at, phone_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                                       created_at, updated_at, is_sso_user, is_anonymous,
                                       confirmation_token, recovery_token, email_change_token_new, email_change)
               select $1::uuid, $2::uuid, 'authenticated', $9::text, $3::text, $4::text, coalesce($5::text, ''),
                      case when $6::bool then now() end, case when $7::bool then now() end, $8::jsonb, $10::jsonb,
                      now(), now(), false, false, '', '', '', ''
                where not exists (select 1 from auth.users x where ($3::text is not null and lower(x.email) = lower($3) and x.is_sso_user = false)
                                                             or ($4::text is not null and x.phone = $4))
               on conflict do nothing
               returning id, email, phone, email_confirmed_at, phone_confirmed_at
             )
             insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
             select u.id::text, u.id,
                    jsonb_strip_nulls(jsonb_build_object('sub', u.id::text, 'email', u.email, 'phone', u.phone,
                                                         'email_verified', u.email_confirmed_at is not null,
                                                         'phone_verified', u.phone_confirmed_at is not null)),
                    $11::text, now(), now(), now()
               from u
             returning user_id",
        )
        .await?;
    let instance: Uuid = INSTANCE_ID.parse().expect("instance id");
    let row = tx
        .query_opt(
            &statement,
            &[
                &instance,
                &id,
                &new.email,
                &new.phone,
                &new.encrypted_password,
                &new.email_confirmed,
                &new.phone_confirmed,
                new.app_metadata,
                &new.role,
                new.user_metadata,
                &provider,
            ],
        )
        .await;
    match row {
        Ok(row) => Ok(row.map(|r| r.get(0))),
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// A session for `user` signed in by `method` (`password`, `otp`, `magiclink`, ...), with
/// its first refresh token. Returns the session id.
pub async fn create_session(
    tx: &Transaction<'_>,
    user: Uuid,
    method: &str,
    refresh_token: &str,
    user_agent: Option<&str>,
    ip: Option<&str>,
) -> Result<Uuid, AuthError> {
    let session = Uuid::new_v4();
    let statement = tx
        .prepare_cached(
            "with s as (
               insert into auth.sessions (id, user_id, created_at, updated_at, aal, refreshed_at, user_agent, ip)
               values ($1, $2, now(), now(), 'aal1', now()::timestamp, $5, $6::text::inet)
               returning id
             ), a as (
               insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id)
               select s.id, now(), now(), $3, gen_random_uuid() from s
             ), r as (
               insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
               select $7::uuid, $4, $2::text, false, now(), now(), null, s.id from s
             ), i as (
               update auth.identities set last_sign_in_at = now(), updated_at = now() where user_id = $2
             )
             update auth.users set last_sign_in_at = now(), updated_at = now() where id = $2",
        )
        .await?;
    let instance: Uuid = INSTANCE_ID.parse().expect("instance id");
    tx.execute(
        &statement,
        &[&session, &user, &method, &refresh_token, &user_agent, &ip, &instance],
    )
    .await?;
    Ok(session)
}

/// The `amr` claim of a session: how it was authenticated, newest first.
pub async fn amr(tx: &Transaction<'_>, session: Uuid) -> Result<Value, AuthError> {
    let statement = tx
        .prepare_cached(
            "select coalesce(jsonb_agg(jsonb_build_object('method', authentication_method,
                                                          'timestamp', extract(epoch from updated_at)::int8)
                                       order by updated_at desc), '[]')
               from auth.mfa_amr_claims where session_id = $1",
        )
        .await?;
    Ok(tx.query_one(&statement, &[&session]).await?.get(0))
}

pub async fn session_exists(tx: &Transaction<'_>, session: Uuid, user: Uuid) -> Result<bool, AuthError> {
    let statement = tx
        .prepare_cached(
            "select exists (select 1 from auth.sessions
                             where id = $1 and user_id = $2 and (not_after is null or not_after > now()))",
        )
        .await?;
    Ok(tx.query_one(&statement, &[&session, &user]).await?.get(0))
}

/// A refresh token found for a grant, locked with its session.
pub struct RefreshToken {
    pub id: i64,
    pub token: String,
    pub revoked: bool,
    pub session_id: Uuid,
    pub user_id: Uuid,
    /// Seconds since the token was last updated (revoked, for a revoked one).
    pub age_secs: f64,
    pub session_expired: bool,
}

pub async fn lock_refresh_token(tx: &Transaction<'_>, token: &str) -> Result<Option<RefreshToken>, AuthError> {
    let statement = tx
        .prepare_cached(
            "select rt.id, rt.token, coalesce(rt.revoked, false), rt.session_id, s.user_id,
                    extract(epoch from now() - rt.updated_at)::float8,
                    coalesce(s.not_after <= now(), false)
               from auth.refresh_tokens rt
               join auth.sessions s on s.id = rt.session_id
              where rt.token = $1
              for update of rt, s",
        )
        .await?;
    Ok(tx.query_opt(&statement, &[&token]).await?.map(|r| RefreshToken {
        id: r.get(0),
        token: r.get(1),
        revoked: r.get(2),
        session_id: r.get(3),
        user_id: r.get(4),
        age_secs: r.get(5),
        session_expired: r.get(6),
    }))
}

/// The session's one unrevoked token and its parent.
pub async fn active_token(tx: &Transaction<'_>, session: Uuid) -> Result<Option<(String, Option<String>)>, AuthError> {
    let statement = tx
        .prepare_cached(
            "select token, parent from auth.refresh_tokens
              where session_id = $1 and not coalesce(revoked, false)
              order by id desc limit 1",
        )
        .await?;
    Ok(tx
        .query_opt(&statement, &[&session])
        .await?
        .map(|r| (r.get(0), r.get(1))))
}

/// Revokes `parent` (if not yet) and issues `child` after it in the same session.
pub async fn rotate(tx: &Transaction<'_>, parent: &RefreshToken, child: &str) -> Result<(), AuthError> {
    let statement = tx
        .prepare_cached(
            "with revoke as (
               update auth.refresh_tokens set revoked = true, updated_at = now()
                where id = $1 and not coalesce(revoked, false)
             ), s as (
               update auth.sessions set refreshed_at = now()::timestamp, updated_at = now() where id = $4
             )
             insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
             values ($5::uuid, $2, $3, false, now(), now(), $6, $4)",
        )
        .await?;
    let instance: Uuid = INSTANCE_ID.parse().expect("instance id");
    tx.execute(
        &statement,
        &[
            &parent.id,
            &child,
            &parent.user_id.to_string(),
            &parent.session_id,
            &instance,
            &parent.token,
        ],
    )
    .await?;
    Ok(())
}

/// Revokes every token of the session and ends it (reuse of a revoked token: the family is
/// burnt).
pub async fn revoke_family(tx: &Transaction<'_>, session: Uuid) -> Result<u64, AuthError> {
    let statement = tx
        .prepare_cached(
            "with ended as (update auth.sessions set not_after = now(), updated_at = now() where id = $1)
             update auth.refresh_tokens set revoked = true, updated_at = now()
              where session_id = $1 and not coalesce(revoked, false)",
        )
        .await?;
    Ok(tx.execute(&statement, &[&session]).await?)
}

/// Ends sessions of `user`: `global` all, `local` only `session`, `others` all but it.
pub async fn logout(tx: &Transaction<'_>, user: Uuid, session: Option<Uuid>, scope: &str) -> Result<u64, AuthError> {
    let sql = match scope {
        "global" => "delete from auth.sessions where user_id = $1 and ($2::uuid is null or true)",
        "others" => "delete from auth.sessions where user_id = $1 and id is distinct from $2",
        _ => "delete from auth.sessions where user_id = $1 and id = $2",
    };
    let statement = tx.prepare_cached(sql).await?;
    Ok(tx.execute(&statement, &[&user, &session]).await?)
}

/// The changes `PUT /user` and the admin API make. `None` leaves a column as it is.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub encrypted_password: Option<&'a str>,
    /// Merged into `raw_user_meta_data` (top-level keys replaced; GoTrue's merge).
    pub user_metadata: Option<&'a Value>,
    /// Merged into `raw_app_meta_data`: admin only.
    pub app_metadata: Option<&'a Value>,
    pub email_confirmed: Option<bool>,
    pub phone_confirmed: Option<bool>,
    /// Seconds from now; `Some(0)` lifts a ban.
    pub ban_secs: Option<i64>,
    /// Clears the recovery token (after a recovery sign-in).
    pub clear_recovery: bool,
    pub clear_confirmation: bool,
}

pub async fn update_user(tx: &Transaction<'_>, id: Uuid, c: &UserChanges<'_>) -> Result<bool, AuthError> {
    let statement = tx
        .prepare_cached(
            "update auth.users set
               email = coalesce($2, email),
               phone = coalesce($3, phone),
               encrypted_password = coalesce($4, encrypted_password),
               raw_user_meta_data = case when $5::jsonb is null then raw_user_meta_data
                                         else coalesce(raw_user_meta_data, '{}') || $5::jsonb end,
               raw_app_meta_data = case when $6::jsonb is null then raw_app_meta_data
                                        else coalesce(raw_app_meta_data, '{}') || $6::jsonb end,
               email_confirmed_at = case when $7::bool is null then email_confirmed_at
                                         when $7 then coalesce(email_confirmed_at, now()) end,
               phone_confirmed_at = case when $8::bool is null then phone_confirmed_at
                                         when $8 then coalesce(phone_confirmed_at, now()) end,
               banned_until = case when $9::int8 is null then banned_until
                                   when $9 = 0 then null
                                   else now() + make_interval(secs => $9) end,
               recovery_token = case when $10 then '' else recovery_token end,
               confirmation_token = case when $11 then '' else confirmation_token end,
               updated_at = now()
             where id = $1 and deleted_at is null",
        )
        .await?;
    let result = tx
        .execute(
            &statement,
            &[
                &id,
                &c.email,
                &c.phone,
                &c.encrypted_password,
                &c.user_metadata,
                &c.app_metadata,
                &c.email_confirmed,
                &c.phone_confirmed,
                &c.ban_secs,
                &c.clear_recovery,
                &c.clear_confirmation,
            ],
        )
        .await;
    match result {
        Ok(n) => {
            if c.email.is_some() || c.phone.is_some() {
                let sync = tx
                    .prepare_cached(
                        "update auth.identities i
                            set identity_data = i.identity_data
                                  || jsonb_strip_nulls(jsonb_build_object('email', u.email, 'phone', nullif(u.phone, ''))),
                                updated_at = now()
                           from auth.users u
                          where u.id = $1 and i.user_id = u.id and i.provider in ('email', 'phone')",
                    )
                    .await?;
                tx.execute(&sync, &[&id]).await?;
            }
            Ok(n == 1)
        }
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            Err(AuthError::unprocessable(
                "email_exists",
                "A user with this email address or phone number has already been registered",
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// Which one-time token a code is kept as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneTimeKind {
    /// Sign-up confirmation, and OTP sign-in of a not yet confirmed address.
    Confirmation,
    /// Recovery, magic links and OTP sign-in of a confirmed address.
    Recovery,
}

/// Stores the hashed code on the user (GoTrue's `confirmation_token`/`recovery_token`
/// columns and `one_time_tokens`) and stamps when it was sent.
pub async fn store_one_time_token(
    tx: &Transaction<'_>,
    user: Uuid,
    kind: OneTimeKind,
    hash: &str,
    relates_to: &str,
) -> Result<(), AuthError> {
    let (column, sent, token_type) = match kind {
        OneTimeKind::Confirmation => ("confirmation_token", "confirmation_sent_at", "confirmation_token"),
        OneTimeKind::Recovery => ("recovery_token", "recovery_sent_at", "recovery_token"),
    };
    let sql = format!(
        "with u as (update auth.users set {column} = $2, {sent} = now(), updated_at = now() where id = $1)
         insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to, created_at, updated_at)
         values (gen_random_uuid(), $1, '{token_type}', $2, $3, now(), now())
         on conflict (user_id, token_type) do update
           set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()"
    );
    let statement = tx.prepare_cached(&sql).await?;
    tx.execute(&statement, &[&user, &hash, &relates_to]).await?;
    Ok(())
}

/// Forgets a used code.
pub async fn consume_one_time_token(tx: &Transaction<'_>, user: Uuid, kind: OneTimeKind) -> Result<(), AuthError> {
    let (column, token_type) = match kind {
        OneTimeKind::Confirmation => ("confirmation_token", "confirmation_token"),
        OneTimeKind::Recovery => ("recovery_token", "recovery_token"),
    };
    let sql = format!(
        "with u as (update auth.users set {column} = '', updated_at = now() where id = $1)
         delete from auth.one_time_tokens where user_id = $1 and token_type = '{token_type}'"
    );
    let statement = tx.prepare_cached(&sql).await?;
    tx.execute(&statement, &[&user]).await?;
    Ok(())
}

/// The user whose outstanding code hashes to `hash` (a magic link or confirmation link).
pub async fn user_by_token_hash(tx: &Transaction<'_>, hash: &str) -> Result<Option<(Uuid, OneTimeKind)>, AuthError> {
    let statement = tx
        .prepare_cached(
            "select user_id, token_type::text from auth.one_time_tokens
              where token_hash = $1 and token_type in ('confirmation_token', 'recovery_token')
              limit 1",
        )
        .await?;
    Ok(tx.query_opt(&statement, &[&hash]).await?.map(|r| {
        let kind = if r.get::<_, String>(1) == "confirmation_token" {
            OneTimeKind::Confirmation
        } else {
            OneTimeKind::Recovery
        };
        (r.get(0), kind)
    }))
}

/// Queues a message for the notification worker: `channel` `sms` or `email`, to `recipient`
/// (an E.164 number or an email address), with `template` and its `payload`.
pub async fn enqueue(
    tx: &Transaction<'_>,
    event: &str,
    user: Uuid,
    channel: &str,
    recipient: &str,
    template: &str,
    payload: &Value,
) -> Result<Uuid, AuthError> {
    let statement = tx
        .prepare_cached(
            "insert into public.notification_queue (event_type, user_id, recipient, channel, template_code, payload, max_attempts)
             values ($1, $2, $3, $4, $5, $6, 3)
             returning id",
        )
        .await?;
    Ok(tx
        .query_one(&statement, &[&event, &user, &recipient, &channel, &template, payload])
        .await?
        .get(0))
}

/// Admin listing: a page of users (newest first) and the total.
pub async fn list_users(tx: &Transaction<'_>, page: i64, per_page: i64) -> Result<(Vec<Value>, i64), AuthError> {
    let sql = format!("{USER_SELECT} where u.deleted_at is null order by u.created_at desc, u.id limit $1 offset $2");
    let statement = tx.prepare_cached(&sql).await?;
    let rows = tx.query(&statement, &[&per_page, &((page - 1) * per_page)]).await?;
    let total: i64 = tx
        .query_one("select count(*) from auth.users where deleted_at is null", &[])
        .await?
        .get(0);
    Ok((rows.iter().map(|r| user_of(r).json).collect(), total))
}

/// Deletes a user (hard: their profile rows go by cascade where the schema says so), or
/// soft-deletes it as GoTrue does with `should_soft_delete` (obfuscated, sessions ended).
pub async fn delete_user(tx: &Transaction<'_>, id: Uuid, soft: bool) -> Result<bool, AuthError> {
    let sql = if soft {
        "with s as (delete from auth.sessions where user_id = $1),
              i as (delete from auth.identities where user_id = $1)
         update auth.users set deleted_at = now(), updated_at = now(),
                email = null, phone = null, encrypted_password = '',
                raw_user_meta_data = '{}', raw_app_meta_data = '{}'
          where id = $1 and deleted_at is null"
    } else {
        "delete from auth.users where id = $1"
    };
    let statement = tx.prepare_cached(sql).await?;
    match tx.execute(&statement, &[&id]).await {
        Ok(n) => Ok(n == 1),
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
            Err(AuthError::unprocessable(
                "user_has_history",
                "The user has records that must be kept (bookings, ledgers); delete with should_soft_delete",
            ))
        }
        Err(err) => Err(err.into()),
    }
}
