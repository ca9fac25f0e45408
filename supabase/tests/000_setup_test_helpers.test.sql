-- Test helpers, installed once before the other test files (pg_prove runs files in name
-- order): schema `tests` with functions that create users of each kind and act as them.
-- Not part of the migrations: nothing in production calls these.
create extension if not exists pgtap with schema extensions;
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

-- A user as GoTrue creates one, with the profile the app creates on sign-up.
create or replace function tests.create_user(email text, role text default 'customer')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  user_id uuid := gen_random_uuid();
begin
  insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
  values (user_id, 'authenticated', 'authenticated', email, now(), '{}', '{}', now(), now());
  insert into public.user_profiles (id, name, mobile, role)
  values (user_id, split_part(email, '@', 1), '9' || lpad((abs(hashtext(email)) % 1000000000)::text, 9, '0'), role);
  return user_id;
end
$$;

create or replace function tests.create_customer(email text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  user_id uuid := tests.create_user(email, 'customer');
begin
  insert into public.customers (id) values (user_id);
  return user_id;
end
$$;

-- A verified, active spa at a point (Bengaluru's MG Road by default).
create or replace function tests.create_vendor(
  email text,
  latitude double precision default 12.9756,
  longitude double precision default 77.6050
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  user_id uuid := tests.create_user(email, 'vendor');
begin
  insert into public.vendors (
    id, business_name, business_type, business_address, city_id, location,
    contact_person, contact_mobile, contact_email, verification_status, status
  )
  values (
    user_id, 'Spa ' || split_part(email, '@', 1), 'spa',
    jsonb_build_object('line1', 'MG Road', 'city', 'Bengaluru', 'latitude', latitude, 'longitude', longitude),
    (select id from public.cities where name = 'Bengaluru'),
    extensions.st_setsrid(extensions.st_makepoint(longitude, latitude), 4326)::extensions.geography,
    'Owner', '9800000000', email, 'verified', 'active'
  );
  return user_id;
end
$$;

create or replace function tests.create_therapist(vendor_id uuid, email text, gender text default 'female')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  therapist_id uuid;
begin
  insert into public.therapists (user_id, vendor_id, name, email, mobile, gender, specialization)
  values (tests.create_user(email, 'therapist'), vendor_id, split_part(email, '@', 1), email, '9700000000', gender, '{SWD,DPT}')
  returning id into therapist_id;
  return therapist_id;
end
$$;

-- A pending spa-visit booking `days_ahead` days from now at 11:00 IST, priced with one
-- 60-minute Swedish massage.
create or replace function tests.create_booking(customer_id uuid, vendor_id uuid, days_ahead integer default 3)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  booking_id uuid;
  starts timestamptz := ((current_date + days_ahead)::timestamp + time '11:00') at time zone 'Asia/Kolkata';
begin
  insert into public.bookings (
    customer_id, vendor_id, booking_type, service_location, scheduled_start, scheduled_end,
    subtotal, tax_rate, tax_amount, total_amount
  )
  values (
    customer_id, vendor_id, 'spa_visit', '{"address": "at the spa"}', starts, starts + interval '60 minutes',
    249900, 5.00, 12495, 262395
  )
  returning id into booking_id;
  return booking_id;
end
$$;

-- Act as a signed-in user (claims as PostgREST sets them, and the role their access token
-- names: authenticated, partner or staff, as Auth's custom access token hook of V24 names it,
-- so every check runs under the policies that user's requests are planned with) until the end
-- of the transaction, or as anon / service_role.
create or replace function tests.authenticate_as(user_id uuid)
returns void
language plpgsql
as $$
declare
  audience text;
begin
  perform set_config('role', 'none', true);
  audience := private.audience_of(user_id);
  perform set_config('request.jwt.claims', json_build_object('sub', user_id, 'role', audience)::text, true),
          set_config('role', audience, true);
end
$$;

create or replace function tests.authenticate_as_anon()
returns void
language sql
as $$
  select set_config('request.jwt.claims', '{"role": "anon"}', true), set_config('role', 'anon', true);
$$;

create or replace function tests.authenticate_as_service_role()
returns void
language sql
as $$
  select set_config('request.jwt.claims', '{"role": "service_role"}', true), set_config('role', 'service_role', true);
$$;

create or replace function tests.clear_authentication()
returns void
language sql
as $$
  select set_config('role', 'none', true), set_config('request.jwt.claims', null, true);
$$;


-- Personas -----------------------------------------------------------------------------------

-- The people the security suite attacks with, by name. Rows are made inside each test's
-- transaction (tests.create_personas) and vanish with it.
create table if not exists tests.personas (name text primary key, user_id uuid);
grant select on tests.personas to anon, authenticated, service_role;

create or replace function tests.id(persona text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select user_id from tests.personas where name = persona
$$;

create or replace function tests.create_employee(email text, role text, manager uuid default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  user_id uuid := tests.create_user(email, role);
begin
  insert into public.employees (id, employee_code, name, email, mobile, department, department_id, designation,
                                joining_date, reporting_manager)
  values (user_id, 'EMP-' || upper(substr(md5(email), 1, 6)), split_part(email, '@', 1), email,
          '9' || lpad((abs(hashtext(email || 'm')) % 1000000000)::text, 9, '0'), role,
          (select id from public.departments where code = role), initcap(replace(role, '_', ' ')),
          current_date - 400, manager);
  return user_id;
end
$$;

-- Everyone the spec names: two customers, two vendors (owners) with a receptionist at vendor
-- A, a therapist at each vendor, and an employee of every department role.
create or replace function tests.create_personas()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  dept text;
  therapist uuid;
begin
  insert into tests.personas values
    ('anon', null),
    ('customer_a', tests.create_customer('customer.a@test.ombaro.in')),
    ('customer_b', tests.create_customer('customer.b@test.ombaro.in')),
    ('vendor_a', tests.create_vendor('vendor.a@test.ombaro.in')),
    ('vendor_b', tests.create_vendor('vendor.b@test.ombaro.in', 19.0760, 72.8777));
  insert into tests.personas values ('staff_a', tests.create_user('staff.a@test.ombaro.in', 'vendor'));
  insert into public.vendor_staff (vendor_id, user_id, name, role, mobile, permissions)
  values (tests.id('vendor_a'), tests.id('staff_a'), 'Receptionist A', 'receptionist', '9600000001', '{bookings.view}');
  -- The therapist row is made first: a function called inside the selecting statement would
  -- insert after that statement's snapshot and never be seen by it.
  therapist := tests.create_therapist(tests.id('vendor_a'), 'therapist.a@test.ombaro.in');
  insert into tests.personas select 'therapist_a', t.user_id from public.therapists t where t.id = therapist;
  therapist := tests.create_therapist(tests.id('vendor_b'), 'therapist.b@test.ombaro.in');
  insert into tests.personas select 'therapist_b', t.user_id from public.therapists t where t.id = therapist;
  insert into tests.personas values ('super_admin', tests.create_employee('super.admin@test.ombaro.in', 'super_admin'));
  insert into tests.personas values ('directors', tests.create_employee('director@test.ombaro.in', 'directors', tests.id('super_admin')));
  foreach dept in array array['finance_department', 'accounts_department', 'hr_department', 'staff_department',
    'marketing_department', 'customer_data', 'customer_care', 'fo_department', 'legal_department', 'advocate',
    'ca_cs', 'it_department', 'vendor_list', 'admin'] loop
    insert into tests.personas values (dept, tests.create_employee(replace(dept, '_', '.') || '@test.ombaro.in', dept, tests.id('directors')));
  end loop;
  -- A plain employee reporting to the staff department head.
  insert into tests.personas values ('employee', tests.create_employee('employee@test.ombaro.in', 'employee', tests.id('staff_department')));
end
$$;

-- Acts as a persona for the rest of the transaction (anon, or a signed-in user).
create or replace function tests.act_as(persona text)
returns void
language plpgsql
as $$
begin
  if persona = 'anon' then
    perform tests.authenticate_as_anon();
  elsif persona = 'service_role' then
    perform tests.authenticate_as_service_role();
  else
    if tests.id(persona) is null then
      raise exception 'unknown persona %', persona;
    end if;
    perform tests.authenticate_as(tests.id(persona));
  end if;
end
$$;

-- Column privileges ------------------------------------------------------------------------

-- The privileges the API roles are meant to hold, per table: tests.api_grants, filled by
-- 001_api_grants.test.sql. Column privileges are per role, not per person, so a grant wider
-- than this list is a hole for every persona of the role whatever the policies and guard
-- triggers say today: tests.attempt reports it on every verdict for the table.

-- The API role a persona acts as.
create or replace function tests.api_role(persona text)
returns text
language sql
immutable
as $$
  select case when persona in ('anon', 'service_role') then persona else 'authenticated' end
$$;

-- The columns of `target` that `api_role` holds `privilege` (SELECT, INSERT, UPDATE) on, in
-- column order; for DELETE, TRUNCATE, REFERENCES and TRIGGER (table privileges) the
-- privilege's name when held.
create or replace function tests.granted(api_role text, target regclass, privilege text)
returns text[]
language sql
stable
as $$
  select case
    when privilege in ('SELECT', 'INSERT', 'UPDATE') then
      coalesce((select array_agg(a.attname::text order by a.attnum)
                  from pg_attribute a
                 where a.attrelid = target and a.attnum > 0 and not a.attisdropped
                   and has_column_privilege(api_role, target, a.attname, privilege)), '{}')
    when has_table_privilege(api_role, target, privilege)
      or (privilege = 'REFERENCES' and has_any_column_privilege(api_role, target, privilege)) then
      array[lower(privilege)]
    else '{}'
  end
$$;

-- The same, as the allow-list has it: '-' nothing, '*' every column, '* except a, b', or the
-- columns named; for the table privileges, the names of those allowed ('delete, truncate').
create or replace function tests.allowed(api_role text, target regclass, privilege text)
returns text[]
language plpgsql
stable
as $$
declare
  spec text;
  every text[];
begin
  select case when privilege = 'SELECT' then g.sel when privilege = 'INSERT' then g.ins
              when privilege = 'UPDATE' then g.upd else g.tbl_privs end
    into spec
    from tests.api_grants g
   where g.tbl = target and g.role = api_role;
  spec := coalesce(spec, '-');
  if privilege not in ('SELECT', 'INSERT', 'UPDATE') then
    return case when lower(privilege) = any (regexp_split_to_array(spec, ',\s*')) then array[lower(privilege)] else '{}' end;
  end if;
  select array_agg(a.attname::text order by a.attnum) into every
    from pg_attribute a
   where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
  return case
    when spec = '-' then '{}'
    when spec = '*' then every
    when spec like '* except %' then
      array(select c from unnest(every) c where c <> all (regexp_split_to_array(substr(spec, 10), ',\s*')))
    else regexp_split_to_array(spec, ',\s*')
  end;
end
$$;

-- Null when `api_role` holds exactly the allowed `privilege` on `target`, else what differs:
-- 'authenticated may also update id, total_amount' or 'authenticated may no longer update status'.
create or replace function tests.grant_drift(api_role text, target regclass, privilege text)
returns text
language plpgsql
stable
as $$
declare
  have text[] := tests.granted(api_role, target, privilege);
  want text[] := tests.allowed(api_role, target, privilege);
  extra text[] := array(select c from unnest(have) c where c <> all (want));
  missing text[] := array(select c from unnest(want) c where c <> all (have));
begin
  if privilege not in ('SELECT', 'INSERT', 'UPDATE') then
    return case when cardinality(extra) > 0 then format('%s may also %s', api_role, lower(privilege))
                when cardinality(missing) > 0 then format('%s may no longer %s', api_role, lower(privilege)) end;
  end if;
  return nullif(concat_ws('; ',
    case when cardinality(extra) > 0 then
      format('%s may also %s %s', api_role, lower(privilege), array_to_string(extra, ', ')) end,
    case when cardinality(missing) > 0 then
      format('%s may no longer %s %s', api_role, lower(privilege), array_to_string(missing, ', ')) end
  ), '');
end
$$;

-- Every privilege of `api_role` on `target` that differs from the allow-list, or null.
create or replace function tests.grant_drift(api_role text, target regclass)
returns text
language sql
stable
as $$
  select nullif(concat_ws('; ', variadic array(
    select tests.grant_drift(api_role, target, p)
      from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) with ordinality as x (p, n)
     order by n)), '')
$$;

-- The attack driver -------------------------------------------------------------------------

-- Tries one command on one table as a persona and says what happened, whatever it did being
-- rolled back:
-- * 'allowed': select read at least one row; update changed at least one row, setting every
--   column the persona's role may update (each to its own value, so that guard triggers see
--   no change); delete removed at least one row; insert put the row in: the table holds one
--   more row afterwards.
-- * 'denied': refused with 42501 (no privilege, a policy's check, a guard trigger), or no row
--   was visible to read, change or delete.
-- * 'error <sqlstate>: <message>' for anything else. An insert, update or delete that a
--   constraint or a trigger's rule stops (23xxx) is never 'allowed': the row did not get in
--   or change, and a trigger that runs before the policies can hide what they would say.
-- After '; ' it adds how the role's privilege for the command differs from tests.api_grants
-- (001_api_grants.test.sql), so that a grant wider than allowed fails every persona's verdict
-- on the table, not only where a policy lets the persona reach a row (service_role, the
-- trusted backend, is not on the list).
--
-- For 'insert', `filter` picks a row to copy, every column with its value; for 'insert
-- granted', only the columns the role may insert, the others taking their defaults, as a
-- client would send it. The copy goes in in place of the original: the user running the
-- suite deletes the original first (with its cascades and triggers; where that is refused,
-- on append-only tables or under `on delete restrict`, with triggers and foreign keys off)
-- and it comes back with the rollback, so that unique keys, exclusion constraints and "one
-- per ..." rules leave room for the copy, and what stops it is the persona's privileges and
-- policies and the rules of the row itself.
create or replace function tests.attempt(persona text, command text, target regclass, filter text default 'true')
returns text
language plpgsql
as $$
declare
  api_role text := tests.api_role(persona);
  privilege text;
  drift text;
  affected bigint;
  rows_before bigint;
  rows_after bigint;
  cols text;
  sets text;
  copy jsonb;
  source_part regclass;
  source_tid tid;
  state text;
  msg text;
  verdict text;
begin
  privilege := case command when 'select' then 'SELECT' when 'insert' then 'INSERT' when 'insert granted' then 'INSERT'
                            when 'update' then 'UPDATE' when 'delete' then 'DELETE' end;
  if privilege is null then
    raise exception 'unknown command %', command;
  end if;
  if api_role <> 'service_role' then
    drift := tests.grant_drift(api_role, target, privilege);
  end if;

  if privilege = 'INSERT' then
    execute format('select t.tableoid::regclass, t.ctid, to_jsonb(t) from %s t where %s limit 1', target, filter)
      into source_part, source_tid, copy;
    if copy is null then
      return 'error: no row matches ' || filter;
    end if;
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
      from pg_attribute a
     where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = ''
       and (command = 'insert' or has_column_privilege(api_role, target, a.attname, 'INSERT'));
  elsif command = 'update' then
    -- Every column the role may update, each set to itself; with none, the first column, which
    -- the privilege check refuses.
    select string_agg(format('%1$I = %1$I', a.attname), ', ' order by a.attnum) into sets
      from pg_attribute a
     where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity <> 'a'
       and has_column_privilege(api_role, target, a.attname, 'UPDATE');
    if sets is null then
      select format('%1$I = %1$I', a.attname) into sets
        from pg_attribute a
       where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity <> 'a'
       order by a.attnum
       limit 1;
    end if;
  end if;

  begin
    if privilege = 'INSERT' then
      begin
        execute format('delete from only %s where ctid = $1', source_part) using source_tid;
      exception when others then
        -- Append-only, or still referenced with `on delete restrict`.
        perform set_config('session_replication_role', 'replica', true);
        execute format('delete from only %s where ctid = $1', source_part) using source_tid;
        perform set_config('session_replication_role', 'origin', true);
      end;
      execute format('select count(*) from %s', target) into rows_before;
    end if;
    perform tests.act_as(persona);
    case command
      when 'select' then
        execute format('select count(*) from %s where %s', target, filter) into affected;
      when 'update' then
        execute format('update %s set %s where %s', target, sets, filter);
        get diagnostics affected = row_count;
      when 'delete' then
        execute format('delete from %s where %s', target, filter);
        get diagnostics affected = row_count;
      else
        if cols is null then
          execute format('insert into %s default values', target);
        else
          execute format('insert into %s (%s) select %s from jsonb_populate_record(null::%s, $1)', target, cols, cols, target)
            using copy;
        end if;
        perform set_config('role', 'none', true);
        execute format('select count(*) from %s', target) into rows_after;
        affected := rows_after - rows_before;
    end case;
    raise exception 'tests.attempt affected %', affected using errcode = 'P0001';
  exception when others then
    get stacked diagnostics state = returned_sqlstate, msg = message_text;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);

  if state = 'P0001' and msg like 'tests.attempt affected %' then
    verdict := case when split_part(msg, ' ', 3)::bigint > 0 then 'allowed' else 'denied' end;
  elsif state = '42501' then
    verdict := 'denied';
  else
    verdict := 'error ' || state || ': ' || msg;
  end if;
  return concat_ws('; ', verdict, drift);
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
select plan(3);
select has_function('tests', 'create_booking', array['uuid', 'uuid', 'integer'], 'test helpers are installed');
select has_function('tests', 'attempt', array['text', 'text', 'regclass', 'text'], 'the attack driver is installed');
select has_function('tests', 'grant_drift', array['text', 'regclass', 'text'], 'the grant check is installed');
select * from finish();
rollback;
