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

-- Act as a signed-in user (role authenticated, claims as PostgREST sets them) until the
-- end of the transaction, or as anon / service_role.
create or replace function tests.authenticate_as(user_id uuid)
returns void
language sql
as $$
  select set_config('request.jwt.claims', json_build_object('sub', user_id, 'role', 'authenticated')::text, true),
         set_config('role', 'authenticated', true);
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

-- Tries one command on one table as a persona and says what happened: 'allowed' (it read,
-- changed or inserted at least one row), 'denied' (no privilege, a policy refused, or no row
-- was visible to change), or 'error <sqlstate>: ...' for anything else. Whatever the command
-- did is rolled back. `filter` picks the rows (for insert: the row to copy, with a new id).
create or replace function tests.attempt(persona text, command text, target regclass, filter text default 'true')
returns text
language plpgsql
as $$
declare
  affected bigint;
  cols text;
  copy jsonb;
  update_col text;
  state text;
  msg text;
begin
  if command = 'insert' then
    execute format('select to_jsonb(t) from %s t where %s limit 1', target, filter) into copy;
    if copy is null then
      return 'error: no row matches ' || filter;
    end if;
    if copy ? 'id' then
      copy := jsonb_set(copy, '{id}', to_jsonb(gen_random_uuid()));
    end if;
    select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
      from pg_attribute a
     where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' and a.attidentity = '';
  elsif command = 'update' then
    -- A column the persona may update if there is one (a no-op assignment), else updated_at.
    select a.attname into update_col
      from pg_attribute a
     where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
       and has_column_privilege(case when persona = 'anon' then 'anon' else 'authenticated' end, target, a.attname, 'UPDATE')
     order by (a.attname = 'updated_at') desc, a.attnum
     limit 1;
    update_col := coalesce(update_col, 'updated_at');
  elsif command not in ('select', 'delete') then
    raise exception 'unknown command %', command;
  end if;

  perform tests.act_as(persona);
  begin
    case command
      when 'select' then
        execute format('select count(*) from %s where %s', target, filter) into affected;
      when 'update' then
        execute format('update %s set %I = %I where %s', target, update_col, update_col, filter);
        get diagnostics affected = row_count;
      when 'delete' then
        execute format('delete from %s where %s', target, filter);
        get diagnostics affected = row_count;
      when 'insert' then
        execute format('insert into %s (%s) select %s from jsonb_populate_record(null::%s, $1)', target, cols, cols, target)
          using copy;
        affected := 1;
    end case;
    raise exception 'tests.attempt affected %', affected using errcode = 'P0001';
  exception when others then
    get stacked diagnostics state = returned_sqlstate, msg = message_text;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);

  if state = 'P0001' and msg like 'tests.attempt affected %' then
    return case when split_part(msg, ' ', 3)::bigint > 0 then 'allowed' else 'denied' end;
  elsif state = '42501' then
    return 'denied';
  elsif command = 'insert' and state like '23%' then
    return 'allowed';  -- past privileges and policies, stopped by a constraint on the copy
  end if;
  return 'error ' || state || ': ' || msg;
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
select plan(2);
select has_function('tests', 'create_booking', array['uuid', 'uuid', 'integer'], 'test helpers are installed');
select has_function('tests', 'attempt', array['text', 'text', 'regclass', 'text'], 'the attack driver is installed');
select * from finish();
rollback;
