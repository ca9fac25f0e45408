-- Cache invalidation: the function services cache what many requests read and few change
-- (the service catalogue with vendors' prices, bookings), in Redis or in process. A cached
-- price must never outlive a change of price, whoever makes it (an app through supabase-js,
-- an admin in SQL, a service): so the tables themselves announce their changes with
-- NOTIFY on channel 'ombaro_cache', and every service LISTENs and drops the keys named.
--
-- * Payload: a key or key prefix. 'services:catalog' for any change to what a quote reads of
--   the catalogue (services, their categories and variants, vendors' own prices and
--   durations); 'booking:<id>' for a booking.
-- * NOTIFY is delivered at commit and not at all on rollback, and identical payloads of one
--   transaction are delivered once, so a bulk price update costs one message.
-- * Statement-level for the catalogue (one message per statement, whatever its size).
-- * NOTIFY arrives a moment after commit, so a quote racing a price change could still find
--   the old entry. The catalogue therefore also has a version, bumped in the changing
--   transaction itself: cached catalogue entries are keyed by the version they were read
--   at, and a quote reads the version in its own snapshot, so it never takes an entry older
--   than the prices it can see. NOTIFY then frees the old entries.

create table private.cache_versions (
  name text primary key,
  version bigint not null default 0 check (version >= 0),
  updated_at timestamptz not null default now()
);

alter table private.cache_versions enable row level security;

comment on table private.cache_versions is 'Version of each cached family of data, bumped by the changing transaction (see private.notify_cache_catalog); part of the cache keys.';

-- The version of a cached family, for the services (0 before the first change).
create or replace function private.cache_version(family text)
returns bigint
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return coalesce((select v.version from private.cache_versions v where v.name = family), 0);
end
$$;

create or replace function private.notify_cache_catalog()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.cache_versions as v (name, version) values ('services:catalog', 1)
  on conflict (name) do update set version = v.version + 1, updated_at = now();
  perform pg_notify('ombaro_cache', 'services:catalog');
  return null;
end
$$;

create or replace function private.notify_cache_booking()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform pg_notify('ombaro_cache', 'booking:' || coalesce(new.id, old.id));
  return null;
end
$$;

create trigger notify_cache after insert or update or delete or truncate on public.services
  for each statement execute function private.notify_cache_catalog();
create trigger notify_cache after insert or update or delete or truncate on public.service_categories
  for each statement execute function private.notify_cache_catalog();
create trigger notify_cache after insert or update or delete or truncate on public.service_variants
  for each statement execute function private.notify_cache_catalog();
create trigger notify_cache after insert or update or delete or truncate on public.vendor_services
  for each statement execute function private.notify_cache_catalog();

create trigger notify_cache after update or delete on public.bookings
  for each row execute function private.notify_cache_booking();

revoke execute on function private.notify_cache_catalog(), private.notify_cache_booking(), private.cache_version(text)
  from public, anon, authenticated;
grant execute on function private.cache_version(text) to service_role;
