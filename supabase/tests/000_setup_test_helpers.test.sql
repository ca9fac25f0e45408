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

grant execute on all functions in schema tests to anon, authenticated, service_role;

begin;
select plan(1);
select has_function('tests', 'create_booking', array['uuid', 'uuid', 'integer'], 'test helpers are installed');
select * from finish();
rollback;
