-- Supabase's ownership model, part 1 of 2: the roles. Test-only (the Supabase-like run in
-- `functions/common/tests/supabase_like.rs`); never applied by `ombaro up` or `ombaro migrate`.
--
-- Runs as the cluster's superuser, `supabase_admin`, before `supabase_compat.sql`. As on a
-- Supabase image, `postgres` is *not* a superuser: it logs in, creates roles and databases,
-- bypasses RLS and is a member of the API roles, and owns what the migrations create; the
-- `auth` and `storage` objects belong to `supabase_auth_admin` and `supabase_storage_admin`
-- (part 2, `supabase_ownership.sql`).

set client_min_messages = warning;

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login createrole createdb replication bypassrls password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_storage_admin') then
    create role supabase_storage_admin login noinherit createrole;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit;
  end if;
end
$$;

alter role postgres nosuperuser;
