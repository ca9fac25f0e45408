-- Supabase's ownership model, part 2 of 2: who owns `auth`, `storage` and `vault`, what
-- `postgres` may do with them, and the default privileges a Supabase project starts with.
-- Test-only, like `supabase_roles.sql`; runs as `supabase_admin` after `supabase_compat.sql`
-- in the database the migrations will be applied to (owned by `postgres`).
--
-- What cannot be reproduced without Supabase's `supautils` extension is emulated:
-- * supautils lets `postgres` create and drop policies on `storage.objects` without owning
--   it: here `postgres` is a member of `supabase_storage_admin`, and an event trigger refuses
--   what supautils refuses, `comment on policy` on storage tables;
-- * supautils lets `postgres` create the extensions Supabase offers: here they are created
--   beforehand by `supabase_admin`, so the migrations' `create extension if not exists` finds them;
-- * Vault keeps secrets encrypted with pgsodium: here `vault.secrets` keeps them in a table
--   readable by `supabase_admin` and, through `vault.decrypted_secrets`, by `postgres`, with
--   Vault's names and signatures.

set client_min_messages = warning;

-- auth: owned by supabase_auth_admin; postgres may read and write users (tests sign people up)
-- and reference them from its tables.
alter schema auth owner to supabase_admin;
alter table auth.users owner to supabase_auth_admin;
alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant usage on schema auth to postgres, supabase_auth_admin;
grant all on auth.users to postgres;

-- storage: owned by supabase_storage_admin; postgres reads and writes rows (buckets) and, as
-- supautils allows, creates policies on storage.objects.
alter schema storage owner to supabase_admin;
alter table storage.buckets owner to supabase_storage_admin;
alter table storage.objects owner to supabase_storage_admin;
alter function storage.foldername(text) owner to supabase_storage_admin;
alter function storage.filename(text) owner to supabase_storage_admin;
alter function storage.extension(text) owner to supabase_storage_admin;
grant usage on schema storage to postgres, supabase_storage_admin;
grant all on storage.buckets, storage.objects to postgres;
grant supabase_storage_admin to postgres;

create or replace function public.supautils_refuse_storage_policy_comments()
returns event_trigger
language plpgsql
as $$
declare
  cmd record;
begin
  if current_user = 'supabase_admin' then
    return;
  end if;
  for cmd in select * from pg_event_trigger_ddl_commands() loop
    if cmd.object_type = 'policy' and cmd.object_identity like '% on storage.%' then
      raise exception 'must be owner of relation %', split_part(cmd.object_identity, ' on ', 2)
        using errcode = '42501', hint = 'Supabase (supautils) lets postgres create policies on storage tables, not comment on them';
    end if;
  end loop;
end
$$;
alter function public.supautils_refuse_storage_policy_comments() set schema extensions;
revoke all on function extensions.supautils_refuse_storage_policy_comments() from public;
drop event trigger if exists supautils_storage_policy_comments;
create event trigger supautils_storage_policy_comments on ddl_command_end when tag in ('COMMENT')
  execute function extensions.supautils_refuse_storage_policy_comments();

-- Extensions the migrations and the test suite install.
create extension if not exists postgis with schema extensions;
create extension if not exists btree_gist with schema extensions;
create extension if not exists pg_trgm with schema extensions;
create extension if not exists pgtap with schema extensions;
grant usage, create on schema extensions to postgres;

-- Vault.
create schema if not exists vault;
create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create or replace view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, key_id, nonce, created_at, updated_at
    from vault.secrets;
create or replace function vault.create_secret(new_secret text, new_name text default null,
  new_description text default '', new_key_id uuid default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  made uuid;
begin
  insert into vault.secrets (secret, name, description, key_id)
  values (new_secret, new_name, coalesce(new_description, ''), new_key_id)
  returning id into made;
  return made;
end
$$;
revoke all on schema vault from public;
revoke all on all tables in schema vault from public;
revoke all on function vault.create_secret(text, text, text, uuid) from public;
grant usage on schema vault to postgres;
grant select, delete on vault.secrets, vault.decrypted_secrets to postgres;
grant execute on function vault.create_secret(text, text, text, uuid) to postgres;

-- Supabase's default privileges: the API roles get everything postgres creates in public.
alter default privileges for role postgres in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to anon, authenticated, service_role;

-- Realtime: the publication belongs to postgres, which adds its tables to it.
alter publication supabase_realtime owner to postgres;

-- Realtime's messages belong to supabase_realtime_admin; postgres, as on Supabase, writes
-- policies on them (who may join a private topic).
alter schema realtime owner to supabase_admin;
alter table realtime.messages owner to supabase_realtime_admin;
alter function realtime.topic() owner to supabase_realtime_admin;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
grant supabase_realtime_admin to postgres;

-- Settings supautils lets postgres change although they are superuser-only
-- (`supautils.privileged_role_allowed_configs`); the suites use session_replication_role.
grant set on parameter session_replication_role to postgres;
