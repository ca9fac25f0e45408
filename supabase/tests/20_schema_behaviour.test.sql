-- Schema behaviour the spec promises: checks that say no, history and audit written by
-- triggers, append-only ledgers that cannot go negative, time partitions and their upkeep,
-- dashboards that refresh concurrently, full-text and radius search.
begin;
select plan(27);

-- Spec CHECKs -------------------------------------------------------------------------------

select tests.create_customer('asha@test.ombaro.in') as customer \gset
select tests.create_vendor('lotus@test.ombaro.in') as vendor \gset

select throws_ok(
  $$insert into public.user_profiles (id, name, mobile, role) values (gen_random_uuid(), 'x', '9123456789', 'emperor')$$,
  null, 'user_profiles.role accepts only the 22 roles'
);
select throws_ok(
  $$update public.services set pressure_level = 9 where code = 'SWD'$$,
  '23514', null, 'services.pressure_level is 1 to 5'
);
select throws_ok(
  format($$insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
           values (%L, 7, '09:00', '18:00')$$, tests.create_therapist(:'vendor', 'meera@test.ombaro.in')),
  '23514', null, 'therapist_schedules.day_of_week is 0 to 6'
);
select throws_ok(
  format($$insert into public.customer_addresses (customer_id, address_type, address_line1, city, state, pincode)
           values (%L, 'palace', '1 MG Road', 'Bengaluru', 'Karnataka', '560001')$$, :'customer'),
  '23514', null, 'customer_addresses.address_type is home, work or other'
);

-- Booking status history ---------------------------------------------------------------------

select tests.create_booking(:'customer', :'vendor') as booking \gset

select throws_ok(
  format($$update public.bookings set status = 'teleported' where id = %L$$, :'booking'),
  '23514', null, 'bookings.status accepts only the lifecycle states'
);

select is(
  (select array_agg(coalesce(from_status, '-') || '>' || to_status) from public.booking_status_history where booking_id = :'booking'),
  array['->pending'], 'creating a booking records its first status'
);

select set_config('ombaro.change_reason', 'confirmed by the spa', true);
select set_config('request.jwt.claims', json_build_object('sub', :'vendor', 'role', 'authenticated')::text, true);
update public.bookings set status = 'confirmed', hold_expires_at = null where id = :'booking';

select results_eq(
  format($$select from_status, to_status, changed_by, reason from public.booking_status_history
           where booking_id = %L and to_status = 'confirmed'$$, :'booking'),
  format($$values ('pending'::text, 'confirmed'::text, %L::uuid, 'confirmed by the spa'::text)$$, :'vendor'),
  'a status change records who, from, to and why'
);
select throws_ok(
  format($$update public.booking_status_history set to_status = 'completed' where booking_id = %L$$, :'booking'),
  '42501', null, 'booking status history is append-only'
);
select throws_ok(
  format($$update public.bookings set status = 'pending' where id = %L$$, :'booking'),
  null, 'a booking cannot move backwards in its lifecycle'
);
select set_config('request.jwt.claims', null, true);

-- Audit: only the changed fields ---------------------------------------------------------------

insert into public.system_settings (key, value, description) values ('test.audited', '10', 'a test setting');
update public.system_settings set value = '20' where key = 'test.audited';

select is(
  (select changes from public.audit_logs
    where table_name = 'system_settings' and action = 'update'
      and row_id = (select id::text from public.system_settings where key = 'test.audited')),
  '{"value": {"old": 10, "new": 20}}'::jsonb,
  'an audited update records only the changed field, old and new'
);
select is(
  (select count(*)::int from public.audit_logs
    where table_name = 'system_settings' and action = 'insert'
      and row_id = (select id::text from public.system_settings where key = 'test.audited')),
  1, 'an audited insert is recorded'
);
update public.system_settings set value = '20' where key = 'test.audited';
select is(
  (select count(*)::int from public.audit_logs where table_name = 'system_settings' and action = 'update'
      and row_id = (select id::text from public.system_settings where key = 'test.audited')),
  1, 'an update that changes nothing is not audited'
);

-- Ledgers ------------------------------------------------------------------------------------

insert into public.wallet_transactions (user_id, transaction_type, amount, source, description)
values (:'customer', 'credit', 50000, 'cashback', 'festival cashback of Rs 500');
select is(
  (select balance_after from public.wallet_transactions where user_id = :'customer'),
  50000::bigint, 'a credit carries the running balance'
);
select throws_ok(
  format($$insert into public.wallet_transactions (user_id, transaction_type, amount, source, description)
           values (%L, 'debit', 80000, 'adjustment', 'more than the balance')$$, :'customer'),
  null, 'a debit below zero is refused'
);
select throws_ok(
  format($$update public.wallet_transactions set amount = 1 where user_id = %L$$, :'customer'),
  '42501', null, 'wallet ledger rows cannot be updated'
);
select throws_ok(
  format($$delete from public.wallet_transactions where user_id = %L$$, :'customer'),
  '42501', null, 'wallet ledger rows cannot be deleted'
);

insert into public.loyalty_points_transactions (customer_id, transaction_type, points, description)
values (:'customer', 'earn', 120, 'welcome points');
select throws_ok(
  format($$insert into public.loyalty_points_transactions (customer_id, transaction_type, points, description)
           values (%L, 'redeem', -500, 'more than earned')$$, :'customer'),
  null, 'loyalty points cannot be redeemed below zero'
);
select is(
  (select loyalty_points from public.customers where id = :'customer'), 120,
  'the customer''s points follow the ledger'
);
select throws_ok(
  format($$delete from public.loyalty_points_transactions where customer_id = %L$$, :'customer'),
  '42501', null, 'loyalty ledger rows cannot be deleted'
);

-- Partitions ----------------------------------------------------------------------------------

insert into public.therapist_locations (therapist_id, latitude, longitude)
values ((select id from public.therapists where email = 'meera@test.ombaro.in'), 12.9716, 77.5946);
select is(
  (select tableoid::regclass::text from public.therapist_locations
    where therapist_id = (select id from public.therapists where email = 'meera@test.ombaro.in')),
  'partitions.therapist_locations_p' || to_char(now() at time zone 'UTC', 'YYYYMMDD'),
  'a location lands in today''s daily partition'
);

insert into public.analytics_events (event_name, user_id) values ('test_event', :'customer');
select is(
  (select tableoid::regclass::text from public.analytics_events where event_name = 'test_event'),
  'partitions.analytics_events_p' || to_char(now() at time zone 'UTC', 'YYYYMM'),
  'an analytics event lands in this month''s partition'
);

select ok(
  exists (select 1 from private.maintain_partitions(now() + interval '10 days')
           where action = 'created' and partition_name = 'therapist_locations_p'
             || to_char((now() + interval '10 days') at time zone 'UTC', 'YYYYMMDD')),
  'maintenance creates upcoming partitions'
);
select private.create_partition('public.therapist_locations', now() - interval '5 days');
select ok(
  exists (select 1 from private.maintain_partitions()
           where action = 'dropped' and partition_name = 'therapist_locations_p'
             || to_char((now() - interval '5 days') at time zone 'UTC', 'YYYYMMDD')),
  'maintenance drops partitions past their retention'
);

-- Dashboards ------------------------------------------------------------------------------------

select lives_ok($$select private.refresh_dashboards()$$, 'dashboards refresh concurrently');
select is(
  (select total_bookings::int from reporting.dashboard_stats) >= 1, true,
  'the refreshed dashboard counts the new booking'
);

-- Search -----------------------------------------------------------------------------------------

select is(
  (select array_agg(code order by code) from public.services
    where search_vector @@ websearch_to_tsquery('english', 'deep tissue')),
  array['DPT'], 'full-text search finds the deep tissue massage'
);

create function pg_temp.plan_of(query text) returns setof text language plpgsql as $$
begin
  return query execute 'explain ' || query;
end
$$;

-- The radius query is served by the GiST index once vendors are many.
insert into auth.users (id, aud, role, email, created_at, updated_at)
select gen_random_uuid(), 'authenticated', 'authenticated', 'geo' || g || '@test.ombaro.in', now(), now()
  from generate_series(1, 3000) g;
insert into public.user_profiles (id, name, mobile, role)
select id, email, '8' || lpad(row_number() over ()::text, 9, '0'), 'vendor'
  from auth.users where email like 'geo%@test.ombaro.in';
insert into public.vendors (id, business_name, business_address, contact_person, contact_mobile, contact_email,
                            location, verification_status, status)
select u.id, u.email, '{}', 'Owner', '9800000000', u.email,
       extensions.st_setsrid(extensions.st_makepoint(72 + random() * 16, 8 + random() * 25), 4326)::extensions.geography,
       'verified', 'active'
  from auth.users u where u.email like 'geo%@test.ombaro.in';
analyze public.vendors;

select ok(
  (select string_agg(line, ' ') from (
     select * from pg_temp.plan_of($$
       select id from public.vendors
        where extensions.st_dwithin(location, extensions.st_setsrid(extensions.st_makepoint(77.5946, 12.9716), 4326)::extensions.geography, 5000)
     $$)) p(line)) like '%idx_vendors_location%',
  'the radius query uses the GiST index on vendors.location'
);

select * from finish();
rollback;
