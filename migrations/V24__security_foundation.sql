-- Security foundation: who the caller is, what they may do, and how secrets are kept.
--
-- Policies ask these helpers instead of querying role tables themselves: a policy on
-- user_profiles that reads user_profiles recurses (the spec's "Admins can view all profiles"
-- did), and a role read from JWT claims goes stale when it is revoked. Each helper is
-- `security definer` (it reads role tables the caller cannot), `stable`, with an empty
-- search_path, and is meant to be called as `(select private.fn(...))` so Postgres runs it
-- once per statement, not once per row.
--
-- Helpers are PL/pgSQL. A `language sql` function with a `set` clause is never inlined, so
-- Postgres parses, analyses and plans its body again in every statement that calls it (policy
-- initplans paid 0.2-0.9 ms per helper); PL/pgSQL keeps its plans for the connection. Bodies
-- are single queries returned as scalar subqueries; `#variable_conflict use_column` keeps SQL
-- name resolution where a column and an argument share a name.
--
-- Encryption: bank, PAN/GST and KYC document numbers and gateway secrets are stored as
-- pgp_sym_encrypt ciphertext with the last four characters beside them for display. The key
-- never lives in a table: on Supabase it is the Vault secret `ombaro_encryption_key`; on a
-- stock cluster it is the server-side file `ombaro/encryption.key` in the data directory
-- (written by `ombaro db start`, readable only by the server's superuser).

-- Roles and permissions ------------------------------------------------------------------------

-- Every role the caller holds now: the profile role (if the profile is active) and every live
-- user_roles grant (including delegations, which are grants with an end).
create or replace function private.current_roles()
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- Read once: auth.uid() parses the JWT claims on every call.
  me uuid := auth.uid();
begin
  return (
    select coalesce(array_agg(distinct code), '{}')
      from (
        select p.role as code
          from public.user_profiles p
         where p.id = me and p.status = 'active'
        union all
        select r.code
          from public.user_roles ur
          join public.roles r on r.id = ur.role_id
          join public.user_profiles p on p.id = ur.user_id and p.status = 'active'
         where ur.user_id = me
           and ur.revoked_at is null
           and ur.valid_from <= now()
           and (ur.valid_until is null or ur.valid_until > now())
      ) held
  );
end
$$;

create or replace function private.has_role(role text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select role = any (private.current_roles())
  );
end
$$;

-- True when a role the caller holds grants `action` on `module` across the whole platform
-- (role_permissions), or the caller is super_admin (who may do everything). Only platform,
-- department and sub-department roles count: the grants of external roles (customer,
-- vendor, therapist) and of plain staff describe access to their own rows, which ownership
-- policies give; a vendor's "bookings: read" must never read every vendor's bookings.
create or replace function private.has_permission(module text, action text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- Read once: auth.uid() parses the JWT claims on every call.
  me uuid := auth.uid();
begin
  -- current_roles() written out, not called: a policy on a large page pays for this helper
  -- on every statement, and a nested definer call costs as much as the lookup.
  return (
    with held as (
      select r.code
        from public.roles r
       where r.category in ('platform', 'department', 'sub_department')
         and r.is_active
         and r.code in (
           select p.role
             from public.user_profiles p
            where p.id = me and p.status = 'active'
           union all
           select granted.code
             from public.user_roles ur
             join public.roles granted on granted.id = ur.role_id
             join public.user_profiles p on p.id = ur.user_id and p.status = 'active'
            where ur.user_id = me
              and ur.revoked_at is null
              and ur.valid_from <= now()
              and (ur.valid_until is null or ur.valid_until > now())
         )
    )
    select exists (select 1 from held where held.code = 'super_admin')
        or exists (
          select 1
            from public.role_permissions rp
            join held on held.code = rp.role_id
           where (rp.module_id = module or rp.sub_module_id = module)
             and action = any (rp.permissions)
        )
  );
end
$$;

-- Vendors ----------------------------------------------------------------------------------------

-- Vendors the caller works for: the one they own (vendors.id is the owner's user id) and
-- those whose active staff they are.
create or replace function private.vendor_ids_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- Read once: auth.uid() parses the JWT claims on every call.
  me uuid := auth.uid();
begin
  return (
    select coalesce(array_agg(id), '{}')
      from (
        select v.id from public.vendors v where v.id = me and v.deleted_at is null
        union
        select s.vendor_id from public.vendor_staff s where s.user_id = me and s.status = 'active'
      ) mine
  );
end
$$;

-- Whether a vendor staff member with `staff_role` and explicit `permissions` may do
-- `permission`: what the permissions list, and for managers and admins everything but payouts
-- and bank accounts, for accountants payouts and every view.
create or replace function private.vendor_staff_role_allows(staff_role text, permissions text[], permission text)
returns boolean
language plpgsql
immutable
set search_path = ''
as $$
begin
  return permission = any (coalesce(permissions, '{}'))
    or (staff_role in ('manager', 'admin') and permission not like 'payouts.%' and permission not like 'bank.%')
    or (staff_role = 'accountant' and (permission like 'payouts.%' or permission like '%.view'));
end
$$;

-- Whether the caller may do `permission` (e.g. 'bookings.manage') for `vendor`: owners may do
-- everything; staff what private.vendor_staff_role_allows says.
create or replace function private.vendor_staff_can(vendor uuid, permission text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- Read once: auth.uid() parses the JWT claims on every call.
  me uuid := auth.uid();
begin
  return (
    select vendor = me
        or exists (
          select 1
            from public.vendor_staff s
           where s.vendor_id = vendor
             and s.user_id = me
             and s.status = 'active'
             and private.vendor_staff_role_allows(s.role, s.permissions, permission)
        )
  );
end
$$;

-- Therapists -------------------------------------------------------------------------------------

create or replace function private.therapist_ids_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(t.id), '{}')
      from public.therapists t
     where t.user_id = (select auth.uid()) and t.deleted_at is null
  );
end
$$;

-- Bookings the caller is (or was) assigned to as a therapist.
create or replace function private.booking_ids_of_current_therapist()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct a.booking_id), '{}')
      from public.therapist_assignments a
      join public.therapists t on t.id = a.therapist_id
     where t.user_id = (select auth.uid()) and t.deleted_at is null
  );
end
$$;

-- Customers whose contact details the caller may see as their therapist: only while an
-- assignment is live (assigned through in progress).
create or replace function private.customer_ids_served_now()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct a.customer_id), '{}')
      from public.therapist_assignments a
     where a.therapist_id = any (private.therapist_ids_of_current_user())
       and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
  );
end
$$;

-- Employees --------------------------------------------------------------------------------------

create or replace function private.is_active_employee()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select exists (
      select 1 from public.employees e
       where e.id = (select auth.uid()) and e.status in ('active', 'on_leave') and e.deleted_at is null
    )
  );
end
$$;

-- Employees in the caller's reporting line (direct and indirect reports).
create or replace function private.reports_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    with recursive line as (
      select e.id, 1 as depth from public.employees e where e.reporting_manager = (select auth.uid())
      union all
      select e.id, line.depth + 1 from public.employees e join line on e.reporting_manager = line.id
       where line.depth < 20
    )
    select coalesce(array_agg(id), '{}') from line
  );
end
$$;

-- Encryption -------------------------------------------------------------------------------------

-- The data key, from Supabase Vault when present, else from the server's key file. Never
-- granted to API roles: only the definer functions below use it.
create or replace function private.encryption_key()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  key text;
begin
  if to_regclass('vault.decrypted_secrets') is not null then
    execute 'select decrypted_secret from vault.decrypted_secrets where name = $1 limit 1'
      into key using 'ombaro_encryption_key';
  end if;
  if key is null then
    begin
      key := trim(both e' \n' from pg_catalog.pg_read_file('ombaro/encryption.key'));
    exception when others then
      key := null;
    end;
  end if;
  if key is null or length(key) < 32 then
    raise exception 'no encryption key: create the Vault secret ombaro_encryption_key (Supabase) or start the cluster with `ombaro db start`'
      using errcode = '55000';
  end if;
  return key;
end
$$;

create or replace function private.encrypt_text(plain text)
returns bytea
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when plain is null then null
                else extensions.pgp_sym_encrypt(plain, private.encryption_key(), 'cipher-algo=aes256') end
  );
end
$$;

create or replace function private.decrypt_text(cipher bytea)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when cipher is null then null else extensions.pgp_sym_decrypt(cipher, private.encryption_key()) end
  );
end
$$;

-- What everyone but the owner and finance sees of a number: its last four characters.
create or replace function private.mask_last4(plain text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when plain is null then null
                when length(plain) <= 4 then repeat('•', length(plain))
                else repeat('•', length(plain) - 4) || right(plain, 4) end
  );
end
$$;

-- API keys and webhook secrets are compared by hash, never stored in clear.
create or replace function private.sha256_hex(plain text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select encode(extensions.digest(plain, 'sha256'), 'hex')
  );
end
$$;

-- Audiences ------------------------------------------------------------------------------------

-- A signed-in caller acts as one of three Postgres roles, named by the access token's `role`
-- claim (PostgREST, Realtime and Storage switch to it; Auth's custom access token hook below
-- writes it), each a member of the one before and holding all it holds:
-- * `authenticated`: anyone signed in; a customer's token, and any token issued without the hook;
-- * `partner`: a vendor's owner or staff, or a therapist;
-- * `staff`: an employee (platform, department or staff roles).
-- Every grant and almost every policy is written for `authenticated` and so holds for all
-- three. The tables that grow with bookings and users split their select policy by audience
-- (V26-V28): `authenticated` gets the arms that admit a person's own rows, `partner` adds the
-- vendor and therapist arms, `staff` the department arms. Postgres picks a role's policies
-- when it plans a statement, so a customer's bookings page is planned with
-- `customer_id = (select auth.uid())` alone and walks that index in order, instead of an OR of
-- every audience's arm that no index serves in order.
--
-- The role never admits a row by itself: every arm still asks the data (is the caller this
-- vendor's staff? assigned to this booking? granted bookings.read?). A token whose role is
-- narrower than the person is now (a customer made vendor staff since it was issued) sees
-- less until it is refreshed, never more; a token without the hook is a customer's.
--
-- In partner policies a vendor arm carries a planner hint:
-- `vendor_id = any (V) and vendor_id is not distinct from vendor_id`. Postgres plans `= any`
-- of an array it cannot see yet as ten values: 2 000 of a million bookings among 5 000
-- vendors. It would then walk the whole date index through every vendor's rows (64 ms for the
-- busiest vendor's last 30 days) instead of reading the partner's own. The hint is always
-- true, but Postgres cannot compare a column with itself from statistics and guesses 0.5%,
-- so the arm is estimated at the few rows one business has and the vendor index is used. It
-- costs a comparison per row the arm already admits; the earlier form, the arm stated twice,
-- cost a second helper call and a second subplan per statement.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'partner') then
    create role partner nologin inherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'staff') then
    create role staff nologin inherit;
  end if;
end
$$;
grant authenticated to partner;
grant partner to staff;
-- Whoever may become authenticated may become the others: the API's login, and postgres (as on
-- Supabase, where postgres is a member of the API roles).
grant partner, staff to authenticator, postgres;
-- Role settings are not inherited: the same statement timeout as authenticated.
alter role partner set statement_timeout = '8s';
alter role staff set statement_timeout = '8s';

-- Whether `role` (by default the current one) is one a signed-in user acts as. Column guards
-- and triggers that treat API callers differently from trusted writers (service_role, definer
-- functions) ask it.
create or replace function private.is_signed_in_role(role text default current_user)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(role in ('authenticated', 'partner', 'staff'), false);
end
$$;

-- The role `person`'s access token names: `staff` for anyone holding a role other than
-- customer, vendor or therapist, or on the employee rolls; `partner` for vendors' owners and
-- staff and therapists; `authenticated` otherwise.
create or replace function private.audience_of(person uuid)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    with held as (
      select p.role as code from public.user_profiles p where p.id = person
      union
      select r.code
        from public.user_roles ur
        join public.roles r on r.id = ur.role_id
       where ur.user_id = person
         and ur.revoked_at is null
         and (ur.valid_until is null or ur.valid_until > now())
    )
    select case
      when exists (select 1 from held where code not in ('customer', 'vendor', 'therapist'))
        or exists (select 1 from public.employees e where e.id = person and e.deleted_at is null)
        then 'staff'
      when exists (select 1 from held where code in ('vendor', 'therapist'))
        or exists (select 1 from public.vendors v where v.id = person and v.deleted_at is null)
        or exists (select 1 from public.vendor_staff s where s.user_id = person and s.status = 'active')
        or exists (select 1 from public.therapists t where t.user_id = person and t.deleted_at is null)
        then 'partner'
      else 'authenticated'
    end
  );
end
$$;

comment on function private.audience_of(uuid) is
  'The Postgres role a user''s access token names: staff (employees), partner (vendors, their staff, therapists) or authenticated.';

-- Supabase Auth's custom access token hook (`[auth.hook.custom_access_token]` in
-- supabase/config.toml; `ombaro up`'s Auth calls it the same way): sets the `role` claim of
-- a signed-in user's token to their audience. Run by Auth, never by the API roles.
create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  claims jsonb := coalesce(event -> 'claims', '{}');
begin
  if claims ->> 'role' = 'authenticated' and event ->> 'user_id' is not null then
    claims := jsonb_set(claims, '{role}', to_jsonb(private.audience_of((event ->> 'user_id')::uuid)));
  end if;
  return jsonb_build_object('claims', claims);
end
$$;

revoke execute on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
-- `ombaro up`'s Auth works as service_role; Supabase's as supabase_auth_admin.
grant execute on function public.custom_access_token_hook(jsonb) to service_role;
do $$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
    grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
  end if;
end
$$;

-- Privileges -------------------------------------------------------------------------------------

-- Start from nothing: hosted projects created before Supabase stopped granting API roles
-- everything on new tables would otherwise keep those grants. Each security migration then
-- grants, table by table, only what some policy can allow.
revoke all on all tables in schema public from anon, authenticated;
grant usage on schema public to anon, authenticated, service_role;
grant all on all tables in schema public to service_role;

-- Policies call these as the caller.
grant execute on function
  private.current_roles(), private.has_role(text), private.has_any_role(text[]),
  private.has_permission(text, text), private.vendor_ids_of_current_user(), private.vendor_staff_can(uuid, text),
  private.therapist_ids_of_current_user(), private.booking_ids_of_current_therapist(),
  private.customer_ids_served_now(), private.is_active_employee(), private.reports_of_current_user(),
  private.mask_last4(text), private.sha256_hex(text)
  to authenticated, service_role;
-- Guards and triggers ask it as whoever writes.
grant execute on function private.is_signed_in_role(text) to authenticated, service_role;
revoke execute on function private.is_signed_in_role(text), private.vendor_staff_role_allows(text, text[], text)
  from public, anon;
-- Which audience a person belongs to is Auth's business (the hook), not the API's.
revoke execute on function private.audience_of(uuid) from public, anon, authenticated;
revoke execute on function private.encryption_key(), private.encrypt_text(text), private.decrypt_text(bytea)
  from public, anon, authenticated;
grant execute on function private.encrypt_text(text), private.decrypt_text(bytea) to service_role;
