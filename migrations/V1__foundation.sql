-- Foundation: extensions, internal schemas and the shared trigger functions every later
-- migration uses.
--
-- * `private` holds helpers and bookkeeping that the API must never expose (PostgREST only
--   serves `public`); functions there are `security definer` with an empty search_path so a
--   caller cannot redirect what they resolve.
-- * `partitions` holds the child tables of partitioned tables, so `public` lists only the
--   parents the API reads through (and RLS on the parent guards every child).
-- * Extensions live in `extensions`, as on Supabase, so these migrations run unchanged on a
--   hosted project and on stock Postgres. Everything below names them schema-qualified.

create extension if not exists pgcrypto with schema extensions;
create extension if not exists postgis with schema extensions;
create extension if not exists btree_gist with schema extensions;
create extension if not exists pg_trgm with schema extensions;

create schema if not exists private;
revoke all on schema private from public;

create schema if not exists partitions;
revoke all on schema partitions from public;

-- updated_at -----------------------------------------------------------------------------

-- The one trigger function that keeps `updated_at` current on every table that has it.
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Who is acting ----------------------------------------------------------------------------

-- The authenticated user behind the current statement, or null for service work.
create or replace function private.current_actor_id()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
  return nullif(
    coalesce(
      nullif(current_setting('request.jwt.claim.sub', true), ''),
      nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
    ),
    ''
  )::uuid;
end
$$;

-- The JWT role of the current statement ('authenticated', 'service_role', ...) or, for
-- direct database sessions, the database role.
create or replace function private.current_actor_role()
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
    current_user::text
  );
end
$$;

-- Append-only tables ---------------------------------------------------------------------

-- Attached `before update or delete` to ledgers and history tables: rows, once written,
-- are facts. Corrections are new rows.
create or replace function private.forbid_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = '42501', hint = 'write a correcting row instead';
end
$$;

-- Attached `before update of <key>` (the key's name as argument) to the tables a person keeps
-- their own row of. Apps save such a row with PostgREST's upsert, which sets every payload
-- column on conflict, the key included, so API roles hold `update` on the key; this keeps the
-- update to setting the key to the value it has.
create or replace function private.keep_key()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if to_jsonb(new) -> tg_argv[0] is distinct from to_jsonb(old) -> tg_argv[0] then
    raise exception '%.% cannot change', tg_table_name, tg_argv[0]
      using errcode = '42501', hint = 'an upsert may set the key only to the value it has';
  end if;
  return new;
end
$$;

-- Audit ----------------------------------------------------------------------------------

-- Generic audit trigger (attached `after insert or update or delete ... for each row`):
-- writes one `public.audit_logs` row with the actor, the action and, for updates, only the
-- columns that changed as {"column": {"old": ..., "new": ...}}. An update that changes
-- nothing is not logged. `updated_at` alone is not a change worth logging.
create or replace function private.audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('UPDATE', 'INSERT') then to_jsonb(new) end;
  changed jsonb;
begin
  if tg_op = 'UPDATE' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', old_row -> n.key, 'new', n.value)), '{}'::jsonb)
      into changed
      from jsonb_each(new_row) as n
     where n.value is distinct from old_row -> n.key
       and n.key <> 'updated_at';
    if changed = '{}'::jsonb then
      return null;
    end if;
  elsif tg_op = 'INSERT' then
    select coalesce(jsonb_object_agg(n.key, jsonb_build_object('old', null, 'new', n.value)), '{}'::jsonb)
      into changed
      from jsonb_each(new_row) as n
     where n.value <> 'null'::jsonb;
  else
    select coalesce(jsonb_object_agg(o.key, jsonb_build_object('old', o.value, 'new', null)), '{}'::jsonb)
      into changed
      from jsonb_each(old_row) as o
     where o.value <> 'null'::jsonb;
  end if;

  insert into public.audit_logs (actor_id, actor_role, action, table_name, row_id, changes)
  values (
    private.current_actor_id(),
    private.current_actor_role(),
    lower(tg_op),
    tg_table_name,
    coalesce(new_row ->> 'id', old_row ->> 'id'),
    changed
  );
  return null;
end
$$;

-- Partitions -----------------------------------------------------------------------------

-- Which tables are range-partitioned by time, how finely, how far ahead partitions are
-- made, and how long they are kept (null: forever).
create table if not exists private.partitioned_tables (
  parent regclass primary key,
  granularity text not null check (granularity in ('day', 'month')),
  premake integer not null default 3 check (premake >= 1),
  retention interval
);

-- Creates the partition of `parent` holding `at` (UTC bounds) in schema `partitions`, if
-- missing. Returns its name.
create or replace function private.create_partition(parent regclass, at timestamptz)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  grain text;
  lower_bound timestamptz;
  upper_bound timestamptz;
  parent_name text;
  child text;
begin
  select granularity into grain from private.partitioned_tables where partitioned_tables.parent = create_partition.parent;
  if grain is null then
    raise exception '% is not registered in private.partitioned_tables', parent;
  end if;
  lower_bound := date_trunc(grain, at at time zone 'UTC') at time zone 'UTC';
  upper_bound := lower_bound + ('1 ' || grain)::interval;
  select c.relname into parent_name from pg_catalog.pg_class c where c.oid = parent;
  child := parent_name || '_p' || to_char(lower_bound at time zone 'UTC', case grain when 'day' then 'YYYYMMDD' else 'YYYYMM' end);
  if to_regclass('partitions.' || child) is null then
    execute format(
      'create table partitions.%I partition of %s for values from (%L) to (%L)',
      child, parent, lower_bound, upper_bound
    );
  end if;
  return child;
end
$$;

-- Makes sure every partition of `parent` covering [from_ts, to_ts] exists (used by data
-- loads that write history).
create or replace function private.ensure_partitions(parent regclass, from_ts timestamptz, to_ts timestamptz)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  grain text;
  cursor_ts timestamptz;
  made integer := 0;
begin
  select granularity into grain from private.partitioned_tables where partitioned_tables.parent = ensure_partitions.parent;
  cursor_ts := date_trunc(grain, from_ts at time zone 'UTC') at time zone 'UTC';
  while cursor_ts <= to_ts loop
    perform private.create_partition(parent, cursor_ts);
    made := made + 1;
    cursor_ts := cursor_ts + ('1 ' || grain)::interval;
  end loop;
  return made;
end
$$;

-- Creates the current and `premake` upcoming partitions of every registered table and
-- drops the partitions wholly older than its retention. Run by pg_cron where present and
-- by `ombaro` otherwise. Returns one row per partition created or dropped.
create or replace function private.maintain_partitions(as_of timestamptz default now())
returns table (action text, partition_name text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  t record;
  child record;
  i integer;
  upper_bound timestamptz;
  made text;
begin
  for t in select * from private.partitioned_tables loop
    for i in 0 .. t.premake loop
      made := null;
      if to_regclass('partitions.' || (select c.relname from pg_catalog.pg_class c where c.oid = t.parent) || '_p'
        || to_char(date_trunc(t.granularity, (as_of + (i || ' ' || t.granularity)::interval) at time zone 'UTC'),
                   case t.granularity when 'day' then 'YYYYMMDD' else 'YYYYMM' end)) is null then
        made := private.create_partition(t.parent, as_of + (i || ' ' || t.granularity)::interval);
        action := 'created';
        partition_name := made;
        return next;
      end if;
    end loop;

    if t.retention is not null then
      for child in
        select c.oid, c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid) as bound
          from pg_catalog.pg_inherits i2
          join pg_catalog.pg_class c on c.oid = i2.inhrelid
         where i2.inhparent = t.parent
      loop
        -- bound reads: FOR VALUES FROM ('...') TO ('...')
        upper_bound := substring(child.bound from $re$TO \('([^']+)'\)$re$)::timestamptz;
        if upper_bound is not null and upper_bound <= as_of - t.retention then
          execute format('drop table partitions.%I', child.relname);
          action := 'dropped';
          partition_name := child.relname;
          return next;
        end if;
      end loop;
    end if;
  end loop;
end
$$;

revoke all on all functions in schema private from public;

-- API roles get nothing by default ------------------------------------------------------------

-- Supabase's image grants anon and authenticated everything on each new table, sequence and
-- function in `public` (per-schema default privileges of `postgres`). Revoked before the first
-- object, so every grant an API role holds is one a security migration wrote. (Postgres's own
-- global default, execute for PUBLIC on every function, is revoked once the schema is built:
-- V31.)
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke all on functions from anon, authenticated;
