-- Communications: what users are told and how it reached them.
--
-- * notifications: the in-app inbox each user reads.
-- * notification_queue: the transactional outbox. Whatever must reach a user is inserted
--   here in the same transaction as the change that caused it (booking confirmed, refund
--   processed ...), so a message is never lost nor sent for a rolled-back change; a worker
--   claims due rows, delivers them and records the outcome.
-- * in_app_messages: chat between customers, vendors and therapists about a booking.
-- * push_notifications, email_logs, sms_logs, whatsapp_logs: one row per delivery attempt
--   with the provider's id and receipts. The three message logs grow with every booking and
--   are only read recently, so they are range-partitioned by month and kept 12 months.

-- notifications ----------------------------------------------------------------------------

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  type text not null check (type in (
    'booking_confirmed', 'booking_cancelled', 'therapist_assigned', 'therapist_arrived',
    'service_started', 'service_completed', 'payment_received', 'refund_processed',
    'promotion', 'reminder', 'system_alert'
  )),
  title text not null,
  message text not null,
  data jsonb,
  channels text[] not null default '{}',
  is_read boolean not null default false,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint notifications_channels_check check (channels <@ array['push', 'email', 'sms', 'whatsapp', 'in_app']::text[])
);

create index idx_notifications_user on public.notifications (user_id, created_at desc);
create index idx_notifications_type on public.notifications (type);
create index idx_notifications_created on public.notifications (created_at desc);
-- The unread badge.
create index idx_notifications_user_unread on public.notifications (user_id) where not is_read;

-- Keeps read_at consistent with is_read whichever of the two a client sets.
create or replace function private.sync_notification_read_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.read_at is not null and not new.is_read and (tg_op = 'INSERT' or old.read_at is null) then
    new.is_read := true;
  end if;
  if new.is_read and new.read_at is null then
    new.read_at := now();
  elsif not new.is_read then
    new.read_at := null;
  end if;
  return new;
end
$$;

create trigger sync_read_at before insert or update on public.notifications
  for each row execute function private.sync_notification_read_at();
create trigger set_updated_at before update on public.notifications
  for each row execute function private.set_updated_at();

alter table public.notifications enable row level security;

comment on table public.notifications is 'In-app inbox: one row per thing a user is told, whichever channels also carried it.';
comment on column public.notifications.data is 'Related ids and the deep link, e.g. {"booking_id": "...", "route": "/bookings/..."}.';
comment on column public.notifications.channels is 'Channels this notification was also sent on (push, email, sms, whatsapp, in_app).';
comment on column public.notifications.read_at is 'Set when is_read becomes true, cleared when it becomes false.';

-- notification_queue -----------------------------------------------------------------------

create table public.notification_queue (
  id uuid primary key default gen_random_uuid(),
  event_type text not null,
  user_id uuid references auth.users (id) on delete cascade,
  recipient text,
  channel text not null check (channel in ('push', 'email', 'sms', 'whatsapp', 'in_app')),
  template_code text,
  locale text not null default 'en-IN',
  payload jsonb not null default '{}',
  dedupe_key text unique,
  notification_id uuid references public.notifications (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'sent', 'failed', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 5 check (max_attempts >= 1),
  next_attempt_at timestamptz not null default now(),
  locked_at timestamptz,
  locked_by text,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint notification_queue_recipient_check check (user_id is not null or recipient is not null),
  constraint notification_queue_payload_object check (jsonb_typeof(payload) = 'object'),
  constraint notification_queue_attempts_within_max check (attempts <= max_attempts),
  constraint notification_queue_lock_check check (status <> 'processing' or (locked_at is not null and locked_by is not null)),
  constraint notification_queue_sent_check check (status <> 'sent' or sent_at is not null)
);

-- The worker's claim: due rows in order (select ... for update skip locked).
create index idx_notification_queue_due on public.notification_queue (status, next_attempt_at)
  where status in ('pending', 'failed');
-- Reaping claims of crashed workers.
create index idx_notification_queue_locked on public.notification_queue (locked_at) where status = 'processing';
create index idx_notification_queue_user_id on public.notification_queue (user_id, created_at desc);
create index idx_notification_queue_notification_id on public.notification_queue (notification_id);
create index idx_notification_queue_event_type on public.notification_queue (event_type, created_at desc);

create trigger set_updated_at before update on public.notification_queue
  for each row execute function private.set_updated_at();

alter table public.notification_queue enable row level security;

comment on table public.notification_queue is 'Transactional outbox of messages to deliver, written in the transaction that caused them and drained by the notification worker with retries.';
comment on column public.notification_queue.event_type is 'Domain event behind the message, e.g. booking.confirmed, refund.processed.';
comment on column public.notification_queue.user_id is 'Recipient user; null for people without an account (e.g. a vendor applicant), who are reached through recipient.';
comment on column public.notification_queue.recipient is 'Address overriding the user''s own: email, E.164 mobile or device token.';
comment on column public.notification_queue.template_code is 'email_templates.code (or the SMS/WhatsApp template name) to render payload with.';
comment on column public.notification_queue.payload is 'Template variables and ids, e.g. {"booking_number": "OBO-20250102-0001"}.';
comment on column public.notification_queue.dedupe_key is 'Idempotency key such as booking_confirmed:<booking_id>:email; a second enqueue of the same key is rejected.';
comment on column public.notification_queue.notification_id is 'The inbox row this delivery belongs to, if any.';
comment on column public.notification_queue.status is 'pending -> processing -> sent; failed rows are retried at next_attempt_at until attempts reach max_attempts, then dead.';
comment on column public.notification_queue.attempts is 'Delivery attempts so far, incremented when a worker claims the row.';
comment on column public.notification_queue.next_attempt_at is 'Not before this time; the worker backs off exponentially after failures.';
comment on column public.notification_queue.locked_at is 'When a worker claimed the row; a processing row locked long ago belongs to a crashed worker.';
comment on column public.notification_queue.locked_by is 'Identifier of the worker instance holding the claim.';

-- in_app_messages --------------------------------------------------------------------------

create table public.in_app_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null,
  sender_id uuid references auth.users (id) on delete set null,
  recipient_id uuid not null references auth.users (id) on delete cascade,
  booking_id uuid references public.bookings (id) on delete set null,
  message_type text not null default 'text' check (message_type in ('text', 'image', 'location', 'system')),
  body text not null check (length(body) between 1 and 4000),
  attachments text[] not null default '{}',
  read_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint in_app_messages_not_self check (sender_id is null or sender_id <> recipient_id)
);

create index idx_in_app_messages_conversation on public.in_app_messages (conversation_id, created_at);
create index idx_in_app_messages_recipient on public.in_app_messages (recipient_id, created_at desc);
create index idx_in_app_messages_recipient_unread on public.in_app_messages (recipient_id) where read_at is null and deleted_at is null;
create index idx_in_app_messages_sender on public.in_app_messages (sender_id, created_at desc);
create index idx_in_app_messages_booking on public.in_app_messages (booking_id);

create trigger set_updated_at before update on public.in_app_messages
  for each row execute function private.set_updated_at();

alter table public.in_app_messages enable row level security;

comment on table public.in_app_messages is 'Direct messages between customers, vendors, therapists and support, grouped into conversations (usually one per booking).';
comment on column public.in_app_messages.conversation_id is 'Thread key shared by all messages of one conversation; for booking chats it is the booking id.';
comment on column public.in_app_messages.sender_id is 'Null for system messages or when the sender''s account was erased.';
comment on column public.in_app_messages.attachments is 'Storage object paths (chat-attachments bucket).';
comment on column public.in_app_messages.deleted_at is 'Set when the sender withdraws the message; the row is kept for dispute handling.';

-- push_notifications -----------------------------------------------------------------------

create table public.push_notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  notification_id uuid references public.notifications (id) on delete set null,
  queue_id uuid references public.notification_queue (id) on delete set null,
  device_token text not null,
  platform text not null check (platform in ('fcm', 'apns', 'web')),
  title text not null,
  body text not null,
  data jsonb not null default '{}',
  status text not null default 'queued' check (status in ('queued', 'sent', 'delivered', 'opened', 'failed', 'token_invalid')),
  provider_message_id text,
  error text,
  sent_at timestamptz,
  delivered_at timestamptz,
  opened_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_push_notifications_user on public.push_notifications (user_id, created_at desc);
create index idx_push_notifications_notification_id on public.push_notifications (notification_id);
create index idx_push_notifications_queue_id on public.push_notifications (queue_id);
create index idx_push_notifications_status on public.push_notifications (status, created_at);
create index idx_push_notifications_provider_message_id on public.push_notifications (provider_message_id);
-- Finding every send to a token the provider reported dead.
create index idx_push_notifications_device_token on public.push_notifications (device_token);

create trigger set_updated_at before update on public.push_notifications
  for each row execute function private.set_updated_at();

alter table public.push_notifications enable row level security;

comment on table public.push_notifications is 'One row per push sent to one device through FCM, APNs or Web Push, with its delivery receipts.';
comment on column public.push_notifications.device_token is 'Provider registration token of the target device.';
comment on column public.push_notifications.platform is 'Push service: fcm (Android), apns (iOS), web (Web Push).';
comment on column public.push_notifications.data is 'Silent payload delivered to the app (deep link, ids).';
comment on column public.push_notifications.status is 'token_invalid: the provider rejected the token; the app must re-register.';
comment on column public.push_notifications.provider_message_id is 'Id returned by FCM/APNs, matched against receipts.';

-- email_logs (partitioned) -----------------------------------------------------------------

create table public.email_logs (
  id uuid not null default gen_random_uuid(),
  queue_id uuid references public.notification_queue (id) on delete set null,
  user_id uuid references auth.users (id) on delete set null,
  template_code text,
  template_version integer,
  to_email text not null,
  from_email text not null,
  subject text not null,
  category text not null default 'transactional' check (category in ('transactional', 'marketing')),
  campaign_id uuid references public.campaigns (id) on delete set null,
  provider text not null check (provider in ('sendgrid', 'ses', 'smtp', 'other')),
  provider_message_id text,
  status text not null default 'queued' check (status in ('queued', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'failed')),
  error text,
  delivered_at timestamptz,
  opened_at timestamptz,
  clicked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);

create index idx_email_logs_queue_id on public.email_logs (queue_id);
create index idx_email_logs_user_id on public.email_logs (user_id, created_at desc);
create index idx_email_logs_campaign_id on public.email_logs (campaign_id);
create index idx_email_logs_provider_message_id on public.email_logs (provider_message_id);
create index idx_email_logs_status on public.email_logs (status, created_at desc);
create index idx_email_logs_to_email on public.email_logs (lower(to_email));
create index idx_email_logs_created_at on public.email_logs (created_at desc);

create trigger set_updated_at before update on public.email_logs
  for each row execute function private.set_updated_at();

alter table public.email_logs enable row level security;

comment on table public.email_logs is 'One row per email handed to the provider, updated from its event webhooks; partitioned by month of created_at, kept 12 months.';
comment on column public.email_logs.template_version is 'email_templates.version the message was rendered from.';
comment on column public.email_logs.campaign_id is 'Set for marketing mail, which feeds campaign_analytics.';
comment on column public.email_logs.provider_message_id is 'Provider id (e.g. SendGrid sg_message_id) used to match webhooks.';
comment on column public.email_logs.status is 'bounced and complained addresses are suppressed from further marketing mail.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.email_logs', 'month', 3, interval '12 months');

-- sms_logs (partitioned) -------------------------------------------------------------------

create table public.sms_logs (
  id uuid not null default gen_random_uuid(),
  queue_id uuid references public.notification_queue (id) on delete set null,
  user_id uuid references auth.users (id) on delete set null,
  to_mobile text not null check (to_mobile ~ '^\+[1-9][0-9]{7,14}$'),
  sender_id text not null check (sender_id ~ '^[A-Za-z0-9]{6}$'),
  dlt_entity_id text,
  dlt_template_id text check (dlt_template_id ~ '^[0-9]{10,25}$'),
  message_type text not null default 'transactional' check (message_type in ('transactional', 'service_implicit', 'service_explicit', 'promotional')),
  body text not null,
  segments integer not null default 1 check (segments >= 1),
  campaign_id uuid references public.campaigns (id) on delete set null,
  provider text not null check (provider in ('msg91', 'gupshup', 'twilio', 'kaleyra', 'other')),
  provider_message_id text,
  status text not null default 'queued' check (status in ('queued', 'sent', 'delivered', 'failed', 'undelivered', 'rejected')),
  error_code text,
  cost bigint not null default 0 check (cost >= 0),
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (id, created_at),
  -- TRAI's TCCCPR rules: operators drop SMS to Indian numbers whose content is not a
  -- registered DLT template.
  constraint sms_logs_dlt_required check (to_mobile not like '+91%' or (dlt_template_id is not null and dlt_entity_id is not null))
) partition by range (created_at);

create index idx_sms_logs_queue_id on public.sms_logs (queue_id);
create index idx_sms_logs_user_id on public.sms_logs (user_id, created_at desc);
create index idx_sms_logs_campaign_id on public.sms_logs (campaign_id);
create index idx_sms_logs_provider_message_id on public.sms_logs (provider_message_id);
create index idx_sms_logs_status on public.sms_logs (status, created_at desc);
create index idx_sms_logs_to_mobile on public.sms_logs (to_mobile, created_at desc);
create index idx_sms_logs_dlt_template_id on public.sms_logs (dlt_template_id);

create trigger set_updated_at before update on public.sms_logs
  for each row execute function private.set_updated_at();

alter table public.sms_logs enable row level security;

comment on table public.sms_logs is 'One row per SMS sent, with its DLT registration and delivery report; partitioned by month of created_at, kept 12 months.';
comment on column public.sms_logs.to_mobile is 'Recipient in E.164 form (+91XXXXXXXXXX).';
comment on column public.sms_logs.sender_id is 'DLT-registered 6-character header the SMS is sent from, e.g. OMBARO.';
comment on column public.sms_logs.dlt_entity_id is 'Principal entity id of OMBARO on the DLT platform.';
comment on column public.sms_logs.dlt_template_id is 'DLT content template id the body was rendered from; required for Indian numbers.';
comment on column public.sms_logs.message_type is 'TRAI category: promotional SMS only to opted-in numbers outside 9 pm - 9 am IST.';
comment on column public.sms_logs.segments is 'Billable message parts (160 GSM-7 / 70 Unicode characters each).';
comment on column public.sms_logs.cost is 'Provider charge for all segments, in paise.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.sms_logs', 'month', 3, interval '12 months');

-- whatsapp_logs (partitioned) --------------------------------------------------------------

create table public.whatsapp_logs (
  id uuid not null default gen_random_uuid(),
  queue_id uuid references public.notification_queue (id) on delete set null,
  user_id uuid references auth.users (id) on delete set null,
  to_mobile text not null check (to_mobile ~ '^\+[1-9][0-9]{7,14}$'),
  template_name text not null,
  template_language text not null default 'en',
  category text not null default 'utility' check (category in ('utility', 'marketing', 'authentication', 'service')),
  variables jsonb not null default '{}',
  campaign_id uuid references public.campaigns (id) on delete set null,
  provider text not null check (provider in ('meta_cloud', 'gupshup', 'twilio', 'interakt', 'other')),
  provider_message_id text,
  status text not null default 'sent' check (status in ('sent', 'delivered', 'read', 'failed')),
  error text,
  cost bigint not null default 0 check (cost >= 0),
  delivered_at timestamptz,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);

create index idx_whatsapp_logs_queue_id on public.whatsapp_logs (queue_id);
create index idx_whatsapp_logs_user_id on public.whatsapp_logs (user_id, created_at desc);
create index idx_whatsapp_logs_campaign_id on public.whatsapp_logs (campaign_id);
create index idx_whatsapp_logs_provider_message_id on public.whatsapp_logs (provider_message_id);
create index idx_whatsapp_logs_status on public.whatsapp_logs (status, created_at desc);
create index idx_whatsapp_logs_to_mobile on public.whatsapp_logs (to_mobile, created_at desc);

create trigger set_updated_at before update on public.whatsapp_logs
  for each row execute function private.set_updated_at();

alter table public.whatsapp_logs enable row level security;

comment on table public.whatsapp_logs is 'One row per WhatsApp Business template message, updated from status webhooks; partitioned by month of created_at, kept 12 months.';
comment on column public.whatsapp_logs.to_mobile is 'Recipient in E.164 form (+91XXXXXXXXXX).';
comment on column public.whatsapp_logs.template_name is 'Approved WhatsApp Business template the message used.';
comment on column public.whatsapp_logs.category is 'Meta conversation category, which sets the per-message price.';
comment on column public.whatsapp_logs.variables is 'Values filled into the template placeholders.';
comment on column public.whatsapp_logs.provider_message_id is 'wamid returned by the WhatsApp API, matched against status webhooks.';
comment on column public.whatsapp_logs.cost is 'Conversation charge, in paise.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.whatsapp_logs', 'month', 3, interval '12 months');

select private.maintain_partitions();
