-- System & configuration: the audit trail every audited table writes to, error logs, API
-- keys for partners and vendors' systems, app release gates, feature flags, scheduled
-- jobs, effective-dated platform settings and webhook endpoints.
--
-- * audit_logs has exactly the columns private.audit_row() (V1) inserts; it is append-only
--   and partitioned by month, and its partitions are kept forever.
-- * API keys and webhook secrets are never stored in the clear: a key is kept as its
--   SHA-256 hash, a webhook secret encrypted by the application.
-- * system_settings is effective-dated: a value that changes on a known date (the GST rate
--   on spa services fell from 18 % to 5 % on 22 September 2025) is a new row with its
--   effective_from, so past invoices recompute with the rate of their day.

-- audit_logs (partitioned) -----------------------------------------------------------------

create table public.audit_logs (
  id uuid not null default gen_random_uuid(),
  actor_id uuid,
  actor_role text,
  action text not null check (action in ('insert', 'update', 'delete')),
  table_name text not null,
  row_id text,
  changes jsonb not null default '{}',
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);

create index idx_audit_logs_table_row on public.audit_logs (table_name, row_id);
create index idx_audit_logs_actor_id on public.audit_logs (actor_id);
create index idx_audit_logs_created_at on public.audit_logs (created_at desc);

create trigger forbid_change before update or delete on public.audit_logs
  for each row execute function private.forbid_change();
create trigger forbid_truncate before truncate on public.audit_logs
  for each statement execute function private.forbid_change();

alter table public.audit_logs enable row level security;

comment on table public.audit_logs is 'Who changed what in audited tables, written by private.audit_row(); append-only, partitioned by month of created_at, kept forever.';
comment on column public.audit_logs.actor_id is 'auth.users id from the request JWT; null for service and migration work. No foreign key: the trail outlives the account.';
comment on column public.audit_logs.actor_role is 'JWT role (authenticated, partner, staff, service_role) or the database role for direct sessions.';
comment on column public.audit_logs.row_id is 'Primary key of the changed row, as text.';
comment on column public.audit_logs.changes is '{"column": {"old": ..., "new": ...}} of the columns that changed (all non-null columns for insert and delete).';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.audit_logs', 'month', 3, null);

-- error_logs (partitioned) -----------------------------------------------------------------

create table public.error_logs (
  id uuid not null default gen_random_uuid(),
  service text not null,
  level text not null default 'error' check (level in ('debug', 'info', 'warn', 'error', 'fatal')),
  message text not null,
  stack text,
  context jsonb not null default '{}',
  request_id text,
  user_id uuid references auth.users (id) on delete set null,
  platform text check (platform in ('web', 'android', 'ios', 'edge_function', 'database', 'worker')),
  app_version text,
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);

create index idx_error_logs_service on public.error_logs (service, created_at desc);
create index idx_error_logs_level on public.error_logs (level, created_at desc);
create index idx_error_logs_request_id on public.error_logs (request_id);
create index idx_error_logs_user_id on public.error_logs (user_id);
create index idx_error_logs_created_at on public.error_logs (created_at desc);

alter table public.error_logs enable row level security;

comment on table public.error_logs is 'Errors reported by the apps, edge functions and workers; partitioned by month of created_at, kept 6 months.';
comment on column public.error_logs.service is 'Reporting component, e.g. booking-service, payment-service, customer-app.';
comment on column public.error_logs.context is 'Structured details (route, ids, provider response); never secrets or card data.';
comment on column public.error_logs.request_id is 'Correlation id of the request, shared with the edge function logs.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.error_logs', 'month', 3, interval '6 months');

select private.maintain_partitions();

-- api_keys ---------------------------------------------------------------------------------

create table public.api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  owner_user_id uuid references auth.users (id) on delete cascade,
  owner_vendor_id uuid references public.vendors (id) on delete cascade,
  environment text not null default 'live' check (environment in ('live', 'test')),
  key_prefix text not null check (key_prefix ~ '^[A-Za-z0-9_]{8}$'),
  key_hash text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] not null default '{}',
  last_used_at timestamptz,
  last_used_ip inet,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint api_keys_single_owner check (num_nonnulls(owner_user_id, owner_vendor_id) = 1),
  constraint api_keys_expiry_check check (expires_at is null or expires_at > created_at)
);

create index idx_api_keys_owner_user_id on public.api_keys (owner_user_id);
create index idx_api_keys_owner_vendor_id on public.api_keys (owner_vendor_id);
create index idx_api_keys_key_prefix on public.api_keys (key_prefix);
create index idx_api_keys_revoked_by on public.api_keys (revoked_by);
create index idx_api_keys_created_by on public.api_keys (created_by);
create index idx_api_keys_expires_at on public.api_keys (expires_at) where revoked_at is null;

create trigger set_updated_at before update on public.api_keys
  for each row execute function private.set_updated_at();
-- Every use bumps last_used_at; only changes to the key itself are worth an audit row.
create trigger audit_row after insert or delete on public.api_keys
  for each row execute function private.audit_row();
create trigger audit_row_update after update of name, owner_user_id, owner_vendor_id, environment, key_prefix, key_hash, scopes, expires_at, revoked_at, revoked_by
  on public.api_keys
  for each row execute function private.audit_row();

alter table public.api_keys enable row level security;

comment on table public.api_keys is 'Keys for server-to-server access (partners, vendors'' own systems); the key is shown once at creation and only its hash is kept.';
comment on column public.api_keys.owner_user_id is 'Account the key acts as; exactly one of owner_user_id and owner_vendor_id is set.';
comment on column public.api_keys.owner_vendor_id is 'Vendor the key acts for; exactly one of owner_user_id and owner_vendor_id is set.';
comment on column public.api_keys.key_prefix is 'First 8 characters of the key, shown in the dashboard so people can tell keys apart.';
comment on column public.api_keys.key_hash is 'Lower-case hex SHA-256 of the full key; requests are authenticated by hashing the presented key.';
comment on column public.api_keys.scopes is 'Permissions granted, e.g. {bookings:read, availability:write}.';
comment on column public.api_keys.revoked_at is 'Set to disable the key; revoked keys are kept for the audit trail.';

-- app_versions -----------------------------------------------------------------------------

create table public.app_versions (
  id uuid primary key default gen_random_uuid(),
  platform text not null check (platform in ('ios', 'android', 'web')),
  version text not null check (version ~ '^[0-9]+\.[0-9]+\.[0-9]+$'),
  build_number integer not null check (build_number >= 1),
  min_supported_version text check (min_supported_version ~ '^[0-9]+\.[0-9]+\.[0-9]+$'),
  force_update boolean not null default false,
  release_notes text,
  store_url text,
  status text not null default 'active' check (status in ('active', 'deprecated', 'blocked')),
  released_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint app_versions_platform_version_key unique (platform, version),
  constraint app_versions_platform_build_key unique (platform, build_number)
);

create index idx_app_versions_platform_status on public.app_versions (platform, status);
create index idx_app_versions_released_at on public.app_versions (platform, released_at desc);

create trigger set_updated_at before update on public.app_versions
  for each row execute function private.set_updated_at();

alter table public.app_versions enable row level security;

comment on table public.app_versions is 'Released app builds per platform; the apps check at launch whether they must update.';
comment on column public.app_versions.version is 'Semantic version shown in the stores, e.g. 2.4.1.';
comment on column public.app_versions.build_number is 'Monotonic store build number (versionCode / CFBundleVersion).';
comment on column public.app_versions.min_supported_version is 'Oldest version still allowed to call the API once this release is out.';
comment on column public.app_versions.force_update is 'Users on older versions must update before continuing.';
comment on column public.app_versions.status is 'active: current; deprecated: works, users nudged to update; blocked: refused by the API.';

-- feature_flags ----------------------------------------------------------------------------

create table public.feature_flags (
  id uuid primary key default gen_random_uuid(),
  key text not null unique check (key ~ '^[a-z][a-z0-9_]*$'),
  description text,
  enabled boolean not null default false,
  rollout_percentage numeric(5,2) not null default 100 check (rollout_percentage between 0 and 100),
  rules jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint feature_flags_rules_object check (jsonb_typeof(rules) = 'object')
);

create index idx_feature_flags_enabled on public.feature_flags (enabled);
create index idx_feature_flags_rules on public.feature_flags using gin (rules);

create trigger set_updated_at before update on public.feature_flags
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.feature_flags
  for each row execute function private.audit_row();

alter table public.feature_flags enable row level security;

comment on table public.feature_flags is 'Switches that turn features on gradually, by city, role or platform, without a release.';
comment on column public.feature_flags.key is 'Name the apps check, e.g. live_tracking.';
comment on column public.feature_flags.enabled is 'Master switch; when false the flag is off for everyone.';
comment on column public.feature_flags.rollout_percentage is 'Share of matching users who get the feature, by a stable hash of their user id.';
comment on column public.feature_flags.rules is 'Targeting: {"city_ids": [...], "roles": [...], "platforms": [...], "min_app_version": "2.4.0"}; an absent key matches everyone.';

-- scheduled_tasks --------------------------------------------------------------------------

create table public.scheduled_tasks (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[a-z][a-z0-9_]*$'),
  description text,
  cron_expression text not null check (
    cron_expression ~ '^((\S+\s+){4}\S+|@(yearly|annually|monthly|weekly|daily|hourly)|[1-5]?[0-9] seconds)$'
  ),
  target_type text not null default 'sql_function' check (target_type in ('sql_function', 'edge_function')),
  function_name text not null,
  arguments jsonb not null default '{}',
  timeout_seconds integer not null default 300 check (timeout_seconds between 1 and 3600),
  is_active boolean not null default true,
  cron_job_id bigint,
  last_run_at timestamptz,
  last_status text check (last_status in ('running', 'succeeded', 'failed', 'skipped')),
  last_error text,
  last_duration_ms integer check (last_duration_ms >= 0),
  next_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint scheduled_tasks_function_name_check check (
    (target_type = 'sql_function' and function_name ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$')
    or (target_type = 'edge_function' and function_name ~ '^[a-z0-9][a-z0-9-]*$')
  )
);

create index idx_scheduled_tasks_due on public.scheduled_tasks (next_run_at) where is_active;
create index idx_scheduled_tasks_last_status on public.scheduled_tasks (last_status);
create index idx_scheduled_tasks_cron_job_id on public.scheduled_tasks (cron_job_id);

create trigger set_updated_at before update on public.scheduled_tasks
  for each row execute function private.set_updated_at();

alter table public.scheduled_tasks enable row level security;

comment on table public.scheduled_tasks is 'Recurring jobs: what runs when, registered with pg_cron where available (or run by the ombaro CLI), with the outcome of the last run.';
comment on column public.scheduled_tasks.cron_expression is 'pg_cron schedule in UTC: five cron fields, @daily style, or "N seconds".';
comment on column public.scheduled_tasks.target_type is 'sql_function: called in the database; edge_function: invoked over HTTP.';
comment on column public.scheduled_tasks.function_name is 'Schema-qualified SQL function (private.maintain_partitions) or edge function name (notification-service).';
comment on column public.scheduled_tasks.arguments is 'Named arguments passed to the function or request body of the edge function.';
comment on column public.scheduled_tasks.cron_job_id is 'cron.job.jobid once registered with pg_cron.';

-- system_settings --------------------------------------------------------------------------

create table public.system_settings (
  id uuid primary key default gen_random_uuid(),
  key text not null check (key ~ '^[a-z][a-z0-9_.]*$'),
  value jsonb not null,
  effective_from timestamptz not null default '-infinity',
  description text,
  is_public boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint system_settings_key_effective_from_key unique (key, effective_from)
);

create index idx_system_settings_public on public.system_settings (key) where is_public;
create index idx_system_settings_effective_from on public.system_settings (effective_from);

create trigger set_updated_at before update on public.system_settings
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.system_settings
  for each row execute function private.audit_row();

alter table public.system_settings enable row level security;

comment on table public.system_settings is 'Platform settings as effective-dated values: the value of a key at time t is its row with the latest effective_from <= t.';
comment on column public.system_settings.key is 'Setting name, e.g. gst_rate, convenience_fee, booking_hold_minutes.';
comment on column public.system_settings.value is 'JSON value; amounts in paise, rates in percent.';
comment on column public.system_settings.effective_from is 'From when this value applies; -infinity for the original value.';
comment on column public.system_settings.is_public is 'May be read by the apps without signing in (fees, policies shown at checkout).';

-- The value of a setting at a moment (now by default), e.g.
-- private.setting_value('gst_rate', booking.created_at).
create or replace function private.setting_value(setting_key text, at_time timestamp with time zone default now())
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select s.value
      from public.system_settings s
     where s.key = setting_key
       and s.effective_from <= at_time
     order by s.effective_from desc
     limit 1
  );
end
$$;

-- webhook_endpoints ------------------------------------------------------------------------

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  direction text not null check (direction in ('inbound', 'outbound')),
  provider text not null check (provider in ('razorpay', 'stripe', 'internal', 'sendgrid', 'msg91', 'whatsapp', 'other')),
  url text not null check (url ~ '^https://'),
  events text[] not null default '{}',
  secret_encrypted bytea,
  secret_key_version integer check (secret_key_version >= 1),
  is_active boolean not null default true,
  last_delivery_at timestamptz,
  last_delivery_status text check (last_delivery_status in ('succeeded', 'failed')),
  last_status_code integer check (last_status_code between 100 and 599),
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_endpoints_direction_provider_url_key unique (direction, provider, url),
  constraint webhook_endpoints_secret_key_check check ((secret_encrypted is null) = (secret_key_version is null))
);

create index idx_webhook_endpoints_provider on public.webhook_endpoints (provider, direction);
create index idx_webhook_endpoints_active on public.webhook_endpoints (is_active);
create index idx_webhook_endpoints_events on public.webhook_endpoints using gin (events);

create trigger set_updated_at before update on public.webhook_endpoints
  for each row execute function private.set_updated_at();
-- Delivery bookkeeping changes on every call; configuration changes are what is audited.
create trigger audit_row after insert or delete on public.webhook_endpoints
  for each row execute function private.audit_row();
create trigger audit_row_update after update of name, direction, provider, url, events, secret_encrypted, secret_key_version, is_active
  on public.webhook_endpoints
  for each row execute function private.audit_row();

alter table public.webhook_endpoints enable row level security;

comment on table public.webhook_endpoints is 'Webhooks received from payment and messaging providers (inbound) and sent to partners (outbound), with their signing secrets.';
comment on column public.webhook_endpoints.direction is 'inbound: a provider calls us (Razorpay, Stripe events); outbound: we call the url.';
comment on column public.webhook_endpoints.url is 'Our endpoint for inbound webhooks, the receiver for outbound ones; HTTPS only.';
comment on column public.webhook_endpoints.events is 'Event types subscribed to or accepted, e.g. {payment.captured, refund.processed}.';
comment on column public.webhook_endpoints.secret_encrypted is 'HMAC signing secret encrypted by the application with a key held outside the database; never stored in the clear.';
comment on column public.webhook_endpoints.secret_key_version is 'Version of the encryption key used, so secrets can be re-encrypted on key rotation.';
comment on column public.webhook_endpoints.consecutive_failures is 'Failed deliveries in a row; outbound endpoints are disabled after repeated failures.';
