-- Notification delivery: the worker's side of the outbox (`notification_queue`).
--
-- Producers (the booking service, the payment functions of V51-V53, the location service)
-- insert one row per message in the transaction of the change it announces. Workers
-- (`ombaro worker`, and the one `ombaro up` runs) then, as service_role only:
--
-- * claim due rows in small batches with `for update skip locked`, leasing each one
--   (`locked_at`, `locked_by`); a row whose lease expired (its worker died mid-send) is
--   claimed again, so nothing is lost; `private.claim_notifications`;
-- * decide with the notification core (channels, preferences, quiet hours, templates) and
--   send through the channel's provider with the row id as idempotency key;
-- * record the outcome of one row in one call, `private.record_notification`: sent (the
--   channel's log row, or the in-app inbox row), failed with its next attempt, dead, skipped
--   (no channel may carry it for this person) or deferred (quiet hours, TRAI's window), and
--   the rows the message fans out to on the event's other channels. An outcome is recorded
--   only by the worker still holding the lease, so a row is never logged twice.
--
-- Workers sleep on `LISTEN notification_queue`: the triggers below `NOTIFY` when rows become
-- due. The rules on device tokens (`user_sessions.push_token`) and preferences hold whoever
-- writes, the endpoints of /functions/v1/notification-service or an app with supabase-js.

-- notification_queue ---------------------------------------------------------------------

alter table public.notification_queue
  add column parent_id uuid references public.notification_queue (id) on delete cascade;
create index idx_notification_queue_parent_id on public.notification_queue (parent_id);

alter table public.notification_queue drop constraint notification_queue_status_check;
alter table public.notification_queue add constraint notification_queue_status_check
  check (status in ('pending', 'processing', 'sent', 'failed', 'dead', 'skipped'));

comment on column public.notification_queue.parent_id is 'The message this row was fanned out from onto another channel of its event; null for rows a producer wrote.';
comment on column public.notification_queue.status is 'pending -> processing -> sent; failed rows are retried at next_attempt_at until attempts reach max_attempts, then dead; skipped when no channel may carry it for this person (reason in last_error).';

-- The inbox types of the events the services queue.
alter table public.notifications drop constraint notifications_type_check;
alter table public.notifications add constraint notifications_type_check check (type in (
  'booking_created', 'booking_confirmed', 'booking_cancelled', 'booking_rescheduled', 'therapist_assigned',
  'therapist_on_the_way', 'therapist_arrived', 'service_started', 'service_completed', 'payment_received',
  'payment_failed', 'refund_processed', 'promotion', 'reminder', 'system_alert'
));

-- Wake the workers ----------------------------------------------------------------------------

-- One NOTIFY per statement that makes rows due (Postgres folds identical notifications of a
-- transaction into one, delivered at commit).
create or replace function private.notify_notifications_due()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if exists (select 1 from changed where status in ('pending', 'failed') and next_attempt_at <= now()) then
    perform pg_notify('notification_queue', '');
  end if;
  return null;
end
$$;

create trigger notify_due_on_insert after insert on public.notification_queue
  referencing new table as changed
  for each statement execute function private.notify_notifications_due();
create trigger notify_due_on_update after update on public.notification_queue
  referencing new table as changed
  for each statement execute function private.notify_notifications_due();

-- What a worker needs to know about a message's recipient -------------------------------------

-- The recipient's addresses, preferences and consents, and the booking the message is about
-- (raw values: the core formats amounts and times).
create or replace function private.notification_context(q public.notification_queue)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  person jsonb := '{}';
  booking jsonb;
  booking_id uuid;
begin
  if q.user_id is not null then
    select jsonb_build_object(
             'account', true,
             'name', p.name,
             'email', u.email,
             'mobile', case when p.mobile is null then null
                            when p.mobile like '+%' then p.mobile
                            else '+91' || right(p.mobile, 10) end,
             'push_tokens', coalesce((
               select jsonb_agg(distinct s.push_token)
                 from public.user_sessions s
                where s.user_id = q.user_id and s.ended_at is null and s.push_token is not null
                  and (s.expires_at is null or s.expires_at > now())), '[]'::jsonb),
             'preferences', (select to_jsonb(up) from public.user_preferences up where up.user_id = q.user_id),
             'consent', (select to_jsonb(cp) from public.customer_preferences cp where cp.customer_id = q.user_id)
           )
      into person
      from auth.users u
      left join public.user_profiles p on p.id = u.id
     where u.id = q.user_id;
    person := coalesce(person, jsonb_build_object('account', false, 'push_tokens', '[]'::jsonb));
  end if;

  if q.payload ->> 'booking_id' ~ '^[0-9a-fA-F-]{36}$' then
    booking_id := (q.payload ->> 'booking_id')::uuid;
    select jsonb_strip_nulls(jsonb_build_object(
             'booking_number', b.booking_number,
             'scheduled_start', b.scheduled_start,
             'booking_timezone', b.timezone,
             'total_amount', b.total_amount,
             'customer_name', cp.name,
             'vendor_name', v.business_name,
             'service_name', (select string_agg(coalesce(i.service_name, s.name), ', ' order by i.created_at)
                                from public.booking_items i join public.services s on s.id = i.service_id
                               where i.booking_id = b.id),
             'service_address', coalesce(b.service_location ->> 'address', v.business_address ->> 'line1'),
             'cancellation_reason', coalesce(b.cancellation_reason, 'not given'),
             'therapist_name', t.name,
             'therapist_rating', t.rating,
             'therapist_experience_years', t.experience_years
           ))
      into booking
      from public.bookings b
      join public.vendors v on v.id = b.vendor_id
      left join public.user_profiles cp on cp.id = b.customer_id
      left join lateral (
        select th.name, th.rating, th.experience_years
          from public.therapist_assignments a join public.therapists th on th.id = a.therapist_id
         where a.booking_id = b.id and a.status <> 'cancelled'
         order by a.created_at desc
         limit 1
      ) t on true
     where b.id = booking_id;
  end if;

  return person || jsonb_build_object('booking', booking);
end
$$;

-- Claim ----------------------------------------------------------------------------------------

-- Up to `batch` rows for `worker`: due ones (pending, or failed and due again) and ones whose
-- lease ran out (their worker died), oldest first, skipping rows other workers hold. Each is
-- leased to `worker` until now() + `lease` and counts an attempt (a reclaimed row on its last
-- attempt keeps it). Returns each row with its recipient's context.
create or replace function private.claim_notifications(worker text, batch integer, lease interval)
returns table (row_data jsonb, context jsonb)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if worker is null or length(worker) not between 1 and 200 or batch not between 1 and 1000
     or lease is null or lease <= interval '0' then
    raise exception 'claim_notifications(worker, batch 1..1000, positive lease)' using errcode = '22023';
  end if;
  return query
  with expired as (
    select q.id from public.notification_queue q
     where q.status = 'processing' and q.locked_at < now() - lease
     order by q.locked_at
     limit batch
       for update skip locked
  ), due as (
    select q.id from public.notification_queue q
     where q.status in ('pending', 'failed') and q.next_attempt_at <= now()
     order by q.next_attempt_at
     limit batch
       for update skip locked
  ), picked as (
    select id from expired union all select id from due limit batch
  ), claimed as (
    update public.notification_queue q
       set status = 'processing', locked_at = now(), locked_by = worker,
           attempts = least(q.attempts + 1, q.max_attempts)
      from picked
     where q.id = picked.id
    returning q.*
  )
  select to_jsonb(c), private.notification_context(c::public.notification_queue)
    from claimed c;
end
$$;

-- Record one outcome -----------------------------------------------------------------------

-- `outcome`: {"status": "sent" | "failed" | "dead" | "skipped" | "deferred", "error": text,
-- "next_attempt_at": timestamptz (failed, deferred), "log": the channel's log row (an array of
-- them for push: one per device), "fan_out": [channels]}. Returns 'recorded', or 'lease_lost'
-- when `worker` no longer holds the row (its lease ran out and another worker took it), in
-- which case nothing is written.
create or replace function private.record_notification(queue_id uuid, worker text, outcome jsonb)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  q public.notification_queue;
  status text := outcome ->> 'status';
  log jsonb := outcome -> 'log';
  entry jsonb;
  base text;
  via text;
  inbox uuid;
  logged_status text;
begin
  if status is null or status not in ('sent', 'failed', 'dead', 'skipped', 'deferred') then
    raise exception 'unknown outcome %', status using errcode = '22023';
  end if;
  select * into q from public.notification_queue x where x.id = queue_id for update;
  if not found or q.status <> 'processing' or q.locked_by is distinct from worker then
    return 'lease_lost';
  end if;

  -- The message on the event's other channels: one row each, keyed by the message's key and
  -- the channel (a producer that wrote that channel's row itself already holds the key).
  if jsonb_typeof(outcome -> 'fan_out') = 'array' then
    base := coalesce(q.dedupe_key, 'queue:' || q.id);
    if right(base, length(q.channel) + 1) = ':' || q.channel then
      base := left(base, length(base) - length(q.channel) - 1);
    end if;
    for via in select jsonb_array_elements_text(outcome -> 'fan_out') loop
      continue when via = q.channel;
      insert into public.notification_queue
        (event_type, user_id, recipient, channel, template_code, locale, payload, dedupe_key, max_attempts, parent_id)
      values (q.event_type, q.user_id, q.recipient, via, q.template_code, q.locale, q.payload, base || ':' || via,
              q.max_attempts, q.id)
      on conflict (dedupe_key) do nothing;
    end loop;
  end if;

  if log is not null and jsonb_typeof(log) <> 'null' then
    logged_status := case when status = 'sent' then coalesce(log ->> 'status', 'sent') else 'failed' end;
    case q.channel
    when 'in_app' then
      if status = 'sent' then
        insert into public.notifications (user_id, type, title, message, data, channels)
        values (q.user_id, log ->> 'type', log ->> 'title', log ->> 'message', coalesce(log -> 'data', '{}'),
                coalesce(array(select jsonb_array_elements_text(log -> 'channels')), array['in_app']))
        returning id into inbox;
      end if;
    when 'email' then
      insert into public.email_logs (queue_id, user_id, template_code, template_version, to_email, from_email, subject,
                                     category, provider, provider_message_id, status, error, delivered_at)
      values (q.id, q.user_id, log ->> 'template_code', (log ->> 'template_version')::integer, log ->> 'to',
              log ->> 'from', log ->> 'subject', coalesce(log ->> 'category', 'transactional'), log ->> 'provider',
              log ->> 'provider_message_id', logged_status, outcome ->> 'error',
              case when logged_status = 'delivered' then now() end);
    when 'sms' then
      insert into public.sms_logs (queue_id, user_id, to_mobile, sender_id, dlt_entity_id, dlt_template_id, message_type,
                                   body, segments, provider, provider_message_id, status, error_code, cost, delivered_at)
      values (q.id, q.user_id, log ->> 'to', log ->> 'sender_id', log ->> 'dlt_entity_id', log ->> 'dlt_template_id',
              coalesce(log ->> 'message_type', 'service_implicit'), log ->> 'body',
              coalesce((log ->> 'segments')::integer, 1), log ->> 'provider', log ->> 'provider_message_id',
              logged_status, left(outcome ->> 'error', 100), coalesce((log ->> 'cost')::bigint, 0),
              case when logged_status = 'delivered' then now() end);
    when 'whatsapp' then
      insert into public.whatsapp_logs (queue_id, user_id, to_mobile, template_name, template_language, category, variables,
                                        provider, provider_message_id, status, error, delivered_at)
      values (q.id, q.user_id, log ->> 'to', log ->> 'template_name', coalesce(log ->> 'language', 'en'),
              coalesce(log ->> 'category', 'utility'), coalesce(log -> 'variables', '{}'), log ->> 'provider',
              log ->> 'provider_message_id', logged_status, outcome ->> 'error',
              case when logged_status = 'delivered' then now() end);
    when 'push' then
      for entry in select * from jsonb_array_elements(case jsonb_typeof(log) when 'array' then log else jsonb_build_array(log) end) loop
        insert into public.push_notifications (user_id, notification_id, queue_id, device_token, platform, title, body, data,
                                               status, provider_message_id, error, sent_at, delivered_at)
        values (q.user_id, q.notification_id, q.id, entry ->> 'token', coalesce(entry ->> 'platform', 'fcm'),
                entry ->> 'title', entry ->> 'body', coalesce(entry -> 'data', '{}'),
                case when status = 'sent' then coalesce(entry ->> 'status', 'sent') else coalesce(entry ->> 'status', 'failed') end,
                entry ->> 'provider_message_id', coalesce(entry ->> 'error', outcome ->> 'error'),
                case when status = 'sent' then now() end,
                case when entry ->> 'status' = 'delivered' then now() end);
        -- A token FCM no longer knows is dropped; the app registers a new one.
        if entry ->> 'status' = 'token_invalid' then
          update public.user_sessions s set push_token = null where s.push_token = entry ->> 'token';
        end if;
      end loop;
    end case;
  end if;

  update public.notification_queue x
     set status = case status when 'deferred' then 'pending' else status end,
         attempts = case status when 'deferred' then greatest(x.attempts - 1, 0) else x.attempts end,
         next_attempt_at = case when status in ('failed', 'deferred')
                                then coalesce((outcome ->> 'next_attempt_at')::timestamptz, now())
                                else x.next_attempt_at end,
         sent_at = case when status = 'sent' then now() else x.sent_at end,
         last_error = case when status = 'sent' then null else left(outcome ->> 'error', 2000) end,
         notification_id = coalesce(inbox, x.notification_id),
         locked_at = null,
         locked_by = null
   where x.id = q.id;
  return 'recorded';
end
$$;

-- A staff member's or service's message: one row per recipient, not sent inline. `recipients`
-- is an array of {"user_id"} or {"recipient"} (an address); the dedupe key of each is
-- `<key>:<user or address>:<channel>`, so the same request again queues nothing new.
-- Returns how many rows were queued now.
create or replace function private.enqueue_notifications(
  event text, via text, template text, body jsonb, recipients jsonb, key text
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  queued integer;
begin
  insert into public.notification_queue (event_type, user_id, recipient, channel, template_code, payload, dedupe_key)
  select event, (r ->> 'user_id')::uuid, r ->> 'recipient', via, template, body,
         key || ':' || coalesce(r ->> 'user_id', r ->> 'recipient') || ':' || via
    from jsonb_array_elements(recipients) r
  on conflict (dedupe_key) do nothing;
  get diagnostics queued = row_count;
  return queued;
end
$$;

-- The active customers of a campaign segment (`customer_segments.rules`,
-- `{"all": [{"field", "op", "value"}]}`): fields `membership_tier` (eq) and `total_bookings`
-- (eq, gte, lte); no rules: every active customer. A rule this cannot evaluate is refused
-- rather than widened to everyone.
create or replace function private.segment_user_ids(segment uuid)
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  rules jsonb;
  r jsonb;
begin
  select s.rules into rules from public.customer_segments s where s.id = segment and s.status = 'active';
  if not found then
    raise exception 'no active segment %', segment using errcode = 'P0002';
  end if;
  for r in select * from jsonb_array_elements(coalesce(rules -> 'all', '[]'::jsonb)) loop
    if not ((r ->> 'field' = 'membership_tier' and r ->> 'op' = 'eq')
            or (r ->> 'field' = 'total_bookings' and r ->> 'op' in ('eq', 'gte', 'lte')
                and jsonb_typeof(r -> 'value') = 'number')) then
      raise exception 'segment rule % cannot be evaluated', r using errcode = '22023';
    end if;
  end loop;
  return query
  select c.id
    from public.customers c
    join public.user_profiles p on p.id = c.id
   where p.status = 'active'
     and not exists (
       select 1 from jsonb_array_elements(coalesce(rules -> 'all', '[]'::jsonb)) r
        where not case
          when r ->> 'field' = 'membership_tier' then c.membership_tier = r ->> 'value'
          when r ->> 'op' = 'eq' then c.total_bookings = (r ->> 'value')::numeric
          when r ->> 'op' = 'gte' then c.total_bookings >= (r ->> 'value')::numeric
          else c.total_bookings <= (r ->> 'value')::numeric
        end);
end
$$;

revoke execute on function
  private.notify_notifications_due(),
  private.notification_context(public.notification_queue),
  private.claim_notifications(text, integer, interval),
  private.record_notification(uuid, text, jsonb),
  private.enqueue_notifications(text, text, text, jsonb, jsonb, text),
  private.segment_user_ids(uuid)
  from public, anon, authenticated;
grant execute on function
  private.claim_notifications(text, integer, interval),
  private.record_notification(uuid, text, jsonb),
  private.enqueue_notifications(text, text, text, jsonb, jsonb, text),
  private.segment_user_ids(uuid)
  to service_role;

-- Device tokens ----------------------------------------------------------------------------------

-- A device's push token lives on its session (`user_sessions.push_token`): the owner sets it
-- when the app registers with FCM and clears it to stop pushes. A token is one app install:
-- it belongs to one live session at a time, and signing in on the device as someone else
-- takes it over (the previous session loses it, whoever it belonged to). An ended session
-- keeps no token.
alter table public.user_sessions
  add constraint user_sessions_push_token_format
  check (push_token is null or (length(push_token) between 20 and 4096 and push_token ~ '^[A-Za-z0-9_:.-]+$'));

create or replace function private.take_over_push_token()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.ended_at is not null then
    new.push_token := null;
  end if;
  if new.push_token is not null then
    update public.user_sessions s set push_token = null
     where s.push_token = new.push_token and s.id <> new.id;
  end if;
  return new;
end
$$;

create trigger take_over_push_token before insert or update of push_token, ended_at on public.user_sessions
  for each row execute function private.take_over_push_token();

create unique index idx_user_sessions_push_token on public.user_sessions (push_token)
  where push_token is not null;

comment on column public.user_sessions.push_token is 'FCM registration token of the device while the session lives; one live session per token (a new sign-in on the device takes it over), cleared when the session ends.';

-- Preferences ------------------------------------------------------------------------------------

-- A time zone Postgres does not know would make every quiet-hours check fail later; refuse it
-- now. Marketing consent is recorded when it is given, never dated in the future.
create or replace function private.check_user_preferences()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_timezone_names where name = new.timezone) then
    raise exception 'unknown time zone %', new.timezone using errcode = '22023',
      hint = 'an IANA name such as Asia/Kolkata';
  end if;
  if new.marketing_consent_at > now() + interval '5 minutes' then
    raise exception 'marketing consent cannot be dated in the future' using errcode = '22023';
  end if;
  return new;
end
$$;

create trigger check_preferences before insert or update of timezone, marketing_consent_at on public.user_preferences
  for each row execute function private.check_user_preferences();
