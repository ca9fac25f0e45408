-- Security of vendors, customers and therapists (V26): every table, persona and command on
-- real rows, then the attacks the policies exist to stop.
--
-- Fixture rows for A's side (customer_a, vendor_a with staff_a, therapist_a) and B's side are
-- made by the superuser the suite runs as. The matrix tries select, insert (a full copy, as
-- the driver does), update, delete and an insert of only the columns the API role may
-- insert (as a client sends it), per table, for fifteen personas on A's row and four of A's
-- side on B's row.
begin;
select plan(3134);

-- Runs one statement as a persona and says what happened: 'rows <n>' (rows read or changed) or
-- 'error <sqlstate>'. Whatever it did is rolled back.
create function tests.g2_run(persona text, statement text)
returns text
language plpgsql
as $$
declare
  n bigint;
  state text;
  msg text;
begin
  perform tests.act_as(persona);
  begin
    if statement ~* '^\s*select' then
      execute format('select count(*) from (%s) q', statement) into n;
    else
      execute statement;
      get diagnostics n = row_count;
    end if;
    raise exception 'rows %', n using errcode = 'P0001';
  exception when others then
    get stacked diagnostics state = returned_sqlstate, msg = message_text;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);
  if state = 'P0001' and msg like 'rows %' then
    return msg;
  end if;
  return 'error ' || state;
end
$$;

-- Runs one statement as a persona, keeps its effects and returns its first value as text, or
-- 'error <sqlstate>'.
create function tests.g2_value(persona text, statement text)
returns text
language plpgsql
as $$
declare
  result text;
  state text;
begin
  perform tests.act_as(persona);
  begin
    execute statement into result;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
    result := 'error ' || state;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);
  return result;
end
$$;

-- Fixtures ---------------------------------------------------------------------------------------

\o /dev/null
select tests.create_personas();

-- Fixture rows, made as the superuser the suite runs as. g2_rows names, per table, the row
-- of A's side and of B's side as a filter on literal ids.
create temporary table g2_ids (k text primary key, id uuid not null);
create temporary table g2_rows (tbl text, side text, filter text, primary key (tbl, side));

create function pg_temp.put(k text, id uuid) returns uuid language sql as $$
  insert into g2_ids values (k, id) returning id
$$;

create function pg_temp.k(key text) returns uuid language sql stable as $$
  select coalesce((select id from g2_ids where k = key), tests.id(key))
$$;

create function pg_temp.tables() returns regclass[] language sql immutable as $$
  select array[
    'public.vendors', 'public.vendor_staff', 'public.vendor_applications', 'public.vendor_application_history',
    'public.vendor_availability', 'public.vendor_bank_accounts', 'public.vendor_compliance', 'public.vendor_contracts',
    'public.vendor_documents', 'public.vendor_payouts', 'public.vendor_ratings', 'public.vendor_reviews',
    'public.vendor_services', 'public.customers', 'public.customer_addresses', 'public.customer_communication_log',
    'public.customer_complaints', 'public.customer_loyalty_tiers', 'public.customer_preferences',
    'public.customer_referrals', 'public.customer_segment_mapping', 'public.customer_segments',
    'public.loyalty_points_transactions', 'public.therapists', 'public.therapist_schedules', 'public.therapist_leaves',
    'public.therapist_locations', 'public.therapist_performance', 'public.therapist_certifications',
    'public.therapist_assignments', 'public.assignment_timeline'
  ]::regclass[]
$$;

select pg_temp.put(p, tests.id(p)) from unnest(array['customer_a', 'customer_b', 'vendor_a', 'vendor_b']) p;
select pg_temp.put('therapist_a', (select id from public.therapists where user_id = tests.id('therapist_a')));
select pg_temp.put('therapist_b', (select id from public.therapists where user_id = tests.id('therapist_b')));
select pg_temp.put('swd', (select id from public.services where code = 'SWD'));

-- vendor side
select pg_temp.put('staff_a', (select id from public.vendor_staff where user_id = tests.id('staff_a')));
with i as (
  insert into public.vendor_staff (vendor_id, name, role, mobile, permissions)
  values (tests.id('vendor_b'), 'Receptionist B', 'receptionist', '9600000002', '{bookings.view}') returning id)
select pg_temp.put('staff_b', id) from i;
with i as (
  insert into public.vendor_applications (applicant_id, business_name, business_type, contact_person, contact_mobile, status, gst_number, pan_number)
  values (tests.id('vendor_a'), 'Spa vendor.a', 'spa', 'Owner A', '9800000001', 'submitted', '29ABCDE1234F1Z5', 'ABCDE1234F') returning id)
select pg_temp.put('application_a', id) from i;
with i as (
  insert into public.vendor_applications (applicant_id, business_name, business_type, contact_person, contact_mobile, status)
  values (tests.id('vendor_b'), 'Spa vendor.b', 'spa', 'Owner B', '9800000002', 'submitted') returning id)
select pg_temp.put('application_b', id) from i;
select pg_temp.put('history_a', (select id from public.vendor_application_history where application_id = (select id from g2_ids where k = 'application_a')));
select pg_temp.put('history_b', (select id from public.vendor_application_history where application_id = (select id from g2_ids where k = 'application_b')));
with i as (
  insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
  values (tests.id('vendor_a'), 1, '10:00', '20:00') returning id)
select pg_temp.put('availability_a', id) from i;
with i as (
  insert into public.vendor_availability (vendor_id, day_of_week, open_time, close_time)
  values (tests.id('vendor_b'), 1, '10:00', '20:00') returning id)
select pg_temp.put('availability_b', id) from i;
with i as (
  insert into public.vendor_bank_accounts (vendor_id, account_holder_name, account_number_encrypted, account_number_last4, ifsc, is_primary)
  values (tests.id('vendor_a'), 'Spa A Pvt Ltd', private.encrypt_text('123456789012'), '9012', 'HDFC0001234', true) returning id)
select pg_temp.put('bank_a', id) from i;
with i as (
  insert into public.vendor_bank_accounts (vendor_id, account_holder_name, account_number_encrypted, account_number_last4, ifsc, is_primary)
  values (tests.id('vendor_b'), 'Spa B Pvt Ltd', private.encrypt_text('987654321098'), '1098', 'ICIC0004321', true) returning id)
select pg_temp.put('bank_b', id) from i;
with i as (
  insert into public.vendor_compliance (vendor_id, compliance_type, licence_number)
  values (tests.id('vendor_a'), 'trade_licence', 'TL-A-1') returning id)
select pg_temp.put('compliance_a', id) from i;
with i as (
  insert into public.vendor_compliance (vendor_id, compliance_type, licence_number)
  values (tests.id('vendor_b'), 'trade_licence', 'TL-B-1') returning id)
select pg_temp.put('compliance_b', id) from i;
with i as (
  insert into public.vendor_contracts (contract_number, vendor_id, contract_type, commission_rate, start_date)
  values ('CT-A-1', tests.id('vendor_a'), 'commission_agreement', 15, current_date) returning id)
select pg_temp.put('contract_a', id) from i;
with i as (
  insert into public.vendor_contracts (contract_number, vendor_id, contract_type, commission_rate, start_date)
  values ('CT-B-1', tests.id('vendor_b'), 'commission_agreement', 12, current_date) returning id)
select pg_temp.put('contract_b', id) from i;
with i as (
  insert into public.vendor_documents (vendor_id, document_type, file_url)
  values (tests.id('vendor_a'), 'pan_card', 'vendor-documents/a/pan.pdf') returning id)
select pg_temp.put('document_a', id) from i;
with i as (
  insert into public.vendor_documents (vendor_id, document_type, file_url)
  values (tests.id('vendor_b'), 'pan_card', 'vendor-documents/b/pan.pdf') returning id)
select pg_temp.put('document_b', id) from i;
with i as (
  insert into public.vendor_payouts (payout_number, vendor_id, bank_account_id, amount, payout_mode)
  values ('PO-A-1', tests.id('vendor_a'), (select id from g2_ids where k = 'bank_a'), 500000, 'IMPS') returning id)
select pg_temp.put('payout_a', id) from i;
with i as (
  insert into public.vendor_payouts (payout_number, vendor_id, bank_account_id, amount, payout_mode)
  values ('PO-B-1', tests.id('vendor_b'), (select id from g2_ids where k = 'bank_b'), 700000, 'IMPS') returning id)
select pg_temp.put('payout_b', id) from i;
with i as (
  insert into public.vendor_ratings (vendor_id, period_type, period_start, period_end, avg_overall, review_count)
  values (tests.id('vendor_a'), 'month', date_trunc('month', current_date)::date, current_date, 4.5, 2) returning id)
select pg_temp.put('rating_a', id) from i;
with i as (
  insert into public.vendor_ratings (vendor_id, period_type, period_start, period_end, avg_overall, review_count)
  values (tests.id('vendor_b'), 'month', date_trunc('month', current_date)::date, current_date, 4.0, 1) returning id)
select pg_temp.put('rating_b', id) from i;
with i as (
  insert into public.vendor_services (vendor_id, service_id, custom_price_60min)
  values (tests.id('vendor_a'), (select id from g2_ids where k = 'swd'), 249900) returning id)
select pg_temp.put('service_a', id) from i;
with i as (
  insert into public.vendor_services (vendor_id, service_id, custom_price_60min)
  values (tests.id('vendor_b'), (select id from g2_ids where k = 'swd'), 199900) returning id)
select pg_temp.put('service_b', id) from i;

-- bookings: a completed one each (reviews) and a live one each (assignments)
select pg_temp.put('done_a', tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 3));
select pg_temp.put('done_b', tests.create_booking(tests.id('customer_b'), tests.id('vendor_b'), 3));
update public.bookings set status = 'confirmed' where id in (select id from g2_ids where k in ('done_a', 'done_b'));
update public.bookings set status = 'in_progress' where id in (select id from g2_ids where k in ('done_a', 'done_b'));
update public.bookings set status = 'completed' where id in (select id from g2_ids where k in ('done_a', 'done_b'));
select pg_temp.put('live_a', tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 4));
select pg_temp.put('live_b', tests.create_booking(tests.id('customer_b'), tests.id('vendor_b'), 4));

with i as (
  insert into public.vendor_reviews (vendor_id, customer_id, booking_id, overall_rating, review_text, status)
  values (tests.id('vendor_a'), tests.id('customer_a'), (select id from g2_ids where k = 'done_a'), 5, 'Lovely', 'pending') returning id)
select pg_temp.put('review_a', id) from i;
with i as (
  insert into public.vendor_reviews (vendor_id, customer_id, booking_id, overall_rating, review_text, status)
  values (tests.id('vendor_b'), tests.id('customer_b'), (select id from g2_ids where k = 'done_b'), 4, 'Good', 'approved') returning id)
select pg_temp.put('review_b', id) from i;

-- customer side
update public.customers set referral_code = 'REFA' where id = tests.id('customer_a');
update public.customers set referral_code = 'REFB' where id = tests.id('customer_b');
with i as (
  insert into public.customer_addresses (customer_id, address_type, address_line1, city, state, pincode, latitude, longitude)
  values (tests.id('customer_a'), 'home', '12 Residency Road', 'Bengaluru', 'Karnataka', '560025', 12.9700, 77.6000) returning id)
select pg_temp.put('address_a', id) from i;
with i as (
  insert into public.customer_addresses (customer_id, address_type, address_line1, city, state, pincode)
  values (tests.id('customer_b'), 'home', '4 Marine Drive', 'Mumbai', 'Maharashtra', '400020') returning id)
select pg_temp.put('address_b', id) from i;
with i as (
  insert into public.customer_complaints (customer_id, vendor_id, category, subject, description)
  values (tests.id('customer_a'), tests.id('vendor_a'), 'hygiene', 'Towels', 'Towels were not fresh') returning id)
select pg_temp.put('complaint_a', id) from i;
with i as (
  insert into public.customer_complaints (customer_id, vendor_id, category, subject, description)
  values (tests.id('customer_b'), tests.id('vendor_b'), 'late_arrival', 'Late', 'Therapist came late') returning id)
select pg_temp.put('complaint_b', id) from i;
with i as (
  insert into public.customer_communication_log (customer_id, channel, direction, summary, employee_id, complaint_id)
  values (tests.id('customer_a'), 'phone', 'inbound', 'Called about towels', tests.id('customer_care'), (select id from g2_ids where k = 'complaint_a')) returning id)
select pg_temp.put('communication_a', id) from i;
with i as (
  insert into public.customer_communication_log (customer_id, channel, direction, summary, employee_id)
  values (tests.id('customer_b'), 'phone', 'inbound', 'Asked about timing', tests.id('customer_care')) returning id)
select pg_temp.put('communication_b', id) from i;
select pg_temp.put('tier_gold', (select id from public.customer_loyalty_tiers where code = 'gold'));
with i as (
  insert into public.customer_preferences (customer_id, pressure_level, preferred_oils) values (tests.id('customer_a'), 3, '{coconut}') returning id)
select pg_temp.put('preferences_a', id) from i;
with i as (
  insert into public.customer_preferences (customer_id, pressure_level) values (tests.id('customer_b'), 4) returning id)
select pg_temp.put('preferences_b', id) from i;
with i as (
  insert into public.customer_referrals (referrer_id, referral_code, invitee_contact, channel)
  values (tests.id('customer_a'), 'REFA', '9811111111', 'whatsapp') returning id)
select pg_temp.put('referral_a', id) from i;
with i as (
  insert into public.customer_referrals (referrer_id, referral_code, invitee_contact, channel)
  values (tests.id('customer_b'), 'REFB', '9822222222', 'sms') returning id)
select pg_temp.put('referral_b', id) from i;
with i as (
  insert into public.customer_segments (code, name, is_dynamic) values ('g2_lapsed', 'Lapsed 90 days', false) returning id)
select pg_temp.put('segment', id) from i;
insert into public.customer_segment_mapping (customer_id, segment_id, source)
select tests.id(c), (select id from g2_ids where k = 'segment'), 'manual' from unnest(array['customer_a', 'customer_b']) c;
with i as (
  insert into public.loyalty_points_transactions (customer_id, transaction_type, points, balance_after, description)
  values (tests.id('customer_a'), 'earn', 120, 0, 'Welcome') returning id)
select pg_temp.put('points_a', id) from i;
with i as (
  insert into public.loyalty_points_transactions (customer_id, transaction_type, points, balance_after, description)
  values (tests.id('customer_b'), 'earn', 80, 0, 'Welcome') returning id)
select pg_temp.put('points_b', id) from i;

-- therapist side
with i as (
  insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
  values ((select id from g2_ids where k = 'therapist_a'), 1, '09:00', '18:00') returning id)
select pg_temp.put('schedule_a', id) from i;
with i as (
  insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
  values ((select id from g2_ids where k = 'therapist_b'), 1, '09:00', '18:00') returning id)
select pg_temp.put('schedule_b', id) from i;
with i as (
  insert into public.therapist_leaves (therapist_id, leave_type, start_date, end_date, reason)
  values ((select id from g2_ids where k = 'therapist_a'), 'casual', current_date + 10, current_date + 11, 'Family function') returning id)
select pg_temp.put('leave_a', id) from i;
with i as (
  insert into public.therapist_leaves (therapist_id, leave_type, start_date, end_date, reason)
  values ((select id from g2_ids where k = 'therapist_b'), 'sick', current_date + 10, current_date + 10, 'Fever') returning id)
select pg_temp.put('leave_b', id) from i;
with i as (
  insert into public.therapist_certifications (therapist_id, certification_name, issuing_body, certificate_number)
  values ((select id from g2_ids where k = 'therapist_a'), 'Swedish Massage L4', 'B&WSSC', 'BW-A-1') returning id)
select pg_temp.put('certification_a', id) from i;
with i as (
  insert into public.therapist_certifications (therapist_id, certification_name, issuing_body, certificate_number)
  values ((select id from g2_ids where k = 'therapist_b'), 'Swedish Massage L4', 'B&WSSC', 'BW-B-1') returning id)
select pg_temp.put('certification_b', id) from i;
with i as (
  insert into public.therapist_performance (therapist_id, vendor_id, period_type, period_start, period_end, services_completed)
  values ((select id from g2_ids where k = 'therapist_a'), tests.id('vendor_a'), 'month', date_trunc('month', current_date)::date, current_date, 12) returning id)
select pg_temp.put('performance_a', id) from i;
with i as (
  insert into public.therapist_performance (therapist_id, vendor_id, period_type, period_start, period_end, services_completed)
  values ((select id from g2_ids where k = 'therapist_b'), tests.id('vendor_b'), 'month', date_trunc('month', current_date)::date, current_date, 9) returning id)
select pg_temp.put('performance_b', id) from i;
-- Both therapists are on their way to their customer (live tracking is on).
with i as (
  insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date,
                                            assignment_time, status, location_address, estimated_duration)
  values ((select id from g2_ids where k = 'live_a'), (select id from g2_ids where k = 'therapist_a'), tests.id('vendor_a'),
          tests.id('customer_a'), (select id from g2_ids where k = 'swd'), current_date + 4, '11:00', 'in_transit', '12 Residency Road', 60)
  returning id)
select pg_temp.put('assignment_a', id) from i;
with i as (
  insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date,
                                            assignment_time, status, location_address, estimated_duration)
  values ((select id from g2_ids where k = 'live_b'), (select id from g2_ids where k = 'therapist_b'), tests.id('vendor_b'),
          tests.id('customer_b'), (select id from g2_ids where k = 'swd'), current_date + 4, '11:00', 'in_transit', '4 Marine Drive', 60)
  returning id)
select pg_temp.put('assignment_b', id) from i;
with i as (
  insert into public.assignment_timeline (assignment_id, event_type, status, note, eta_minutes)
  values ((select id from g2_ids where k = 'assignment_a'), 'eta_update', 'in_transit', 'Stuck at Silk Board', 20) returning id)
select pg_temp.put('timeline_a', id) from i;
with i as (
  insert into public.assignment_timeline (assignment_id, event_type, status, note, eta_minutes)
  values ((select id from g2_ids where k = 'assignment_b'), 'eta_update', 'in_transit', 'On the way', 10) returning id)
select pg_temp.put('timeline_b', id) from i;
with i as (
  insert into public.therapist_locations (therapist_id, assignment_id, latitude, longitude)
  values ((select id from g2_ids where k = 'therapist_a'), (select id from g2_ids where k = 'assignment_a'), 12.9600, 77.6100) returning id)
select pg_temp.put('location_a', id) from i;
with i as (
  insert into public.therapist_locations (therapist_id, assignment_id, latitude, longitude)
  values ((select id from g2_ids where k = 'therapist_b'), (select id from g2_ids where k = 'assignment_b'), 19.0700, 72.8700) returning id)
select pg_temp.put('location_b', id) from i;

-- The row of each side, per table, as a filter on literal ids.
insert into g2_rows
select tbl, side, format('%s = %L', coalesce(col, 'id'), (select id from g2_ids where k = key))
  from (values
    ('vendors', 'a', 'vendor_a', null), ('vendors', 'b', 'vendor_b', null),
    ('vendor_staff', 'a', 'staff_a', null), ('vendor_staff', 'b', 'staff_b', null),
    ('vendor_applications', 'a', 'application_a', null), ('vendor_applications', 'b', 'application_b', null),
    ('vendor_application_history', 'a', 'history_a', null), ('vendor_application_history', 'b', 'history_b', null),
    ('vendor_availability', 'a', 'availability_a', null), ('vendor_availability', 'b', 'availability_b', null),
    ('vendor_bank_accounts', 'a', 'bank_a', null), ('vendor_bank_accounts', 'b', 'bank_b', null),
    ('vendor_compliance', 'a', 'compliance_a', null), ('vendor_compliance', 'b', 'compliance_b', null),
    ('vendor_contracts', 'a', 'contract_a', null), ('vendor_contracts', 'b', 'contract_b', null),
    ('vendor_documents', 'a', 'document_a', null), ('vendor_documents', 'b', 'document_b', null),
    ('vendor_payouts', 'a', 'payout_a', null), ('vendor_payouts', 'b', 'payout_b', null),
    ('vendor_ratings', 'a', 'rating_a', null), ('vendor_ratings', 'b', 'rating_b', null),
    ('vendor_reviews', 'a', 'review_a', null), ('vendor_reviews', 'b', 'review_b', null),
    ('vendor_services', 'a', 'service_a', null), ('vendor_services', 'b', 'service_b', null),
    ('customers', 'a', 'customer_a', null), ('customers', 'b', 'customer_b', null),
    ('customer_addresses', 'a', 'address_a', null), ('customer_addresses', 'b', 'address_b', null),
    ('customer_communication_log', 'a', 'communication_a', null), ('customer_communication_log', 'b', 'communication_b', null),
    ('customer_complaints', 'a', 'complaint_a', null), ('customer_complaints', 'b', 'complaint_b', null),
    ('customer_loyalty_tiers', 'a', 'tier_gold', null), ('customer_loyalty_tiers', 'b', 'tier_gold', null),
    ('customer_preferences', 'a', 'preferences_a', null), ('customer_preferences', 'b', 'preferences_b', null),
    ('customer_referrals', 'a', 'referral_a', null), ('customer_referrals', 'b', 'referral_b', null),
    ('customer_segment_mapping', 'a', 'customer_a', 'customer_id'), ('customer_segment_mapping', 'b', 'customer_b', 'customer_id'),
    ('customer_segments', 'a', 'segment', null), ('customer_segments', 'b', 'segment', null),
    ('loyalty_points_transactions', 'a', 'points_a', null), ('loyalty_points_transactions', 'b', 'points_b', null),
    ('therapists', 'a', 'therapist_a', null), ('therapists', 'b', 'therapist_b', null),
    ('therapist_schedules', 'a', 'schedule_a', null), ('therapist_schedules', 'b', 'schedule_b', null),
    ('therapist_leaves', 'a', 'leave_a', null), ('therapist_leaves', 'b', 'leave_b', null),
    ('therapist_locations', 'a', 'location_a', null), ('therapist_locations', 'b', 'location_b', null),
    ('therapist_performance', 'a', 'performance_a', null), ('therapist_performance', 'b', 'performance_b', null),
    ('therapist_certifications', 'a', 'certification_a', null), ('therapist_certifications', 'b', 'certification_b', null),
    ('therapist_assignments', 'a', 'assignment_a', null), ('therapist_assignments', 'b', 'assignment_b', null),
    ('assignment_timeline', 'a', 'timeline_a', null), ('assignment_timeline', 'b', 'timeline_b', null)
  ) r (tbl, side, key, col);
\o

-- The matrix ------------------------------------------------------------------------------------

-- Expected outcomes per table: five characters per persona (select, insert, update, delete,
-- insert of permitted columns), a capital where the command is allowed, '-' where denied, and
-- a small letter where privileges and policies let it through but a constraint stops it (an
-- error 23xxx: a vendor deleting a therapist or bank account that assignments or payouts
-- still point at). First string: A's row, for the personas of side 'a' below in order;
-- second: B's row.
with personas (persona, side, ord) as (
  values ('anon', 'a', 1), ('customer_a', 'a', 2), ('customer_b', 'a', 3), ('vendor_a', 'a', 4), ('staff_a', 'a', 5),
         ('therapist_a', 'a', 6), ('vendor_list', 'a', 7), ('legal_department', 'a', 8), ('finance_department', 'a', 9),
         ('marketing_department', 'a', 10), ('customer_data', 'a', 11), ('customer_care', 'a', 12),
         ('hr_department', 'a', 13), ('directors', 'a', 14), ('super_admin', 'a', 15),
         ('customer_a', 'b', 1), ('vendor_a', 'b', 2), ('staff_a', 'b', 3), ('therapist_a', 'b', 4)
),
expected (tbl, codes_a, codes_b) as (
  values
    ('vendors',                     'S---- S---- S---- S-U-- S---- S---- S-U-- S---- S---- S---- S---- S---- S---- S---- S-U--', 'S---- S---- S---- S----'),
    ('vendor_staff',                '----- ----- ----- S-UDI S---- ----- S---- S---- S---- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('vendor_applications',         '----- ----- ----- S---I ----- ----- S-U-- S---- ----- ----- ----- ----- ----- S---- S-U--', '----- ----- ----- -----'),
    ('vendor_application_history',  '----- ----- ----- S---- ----- ----- S---- S---- ----- ----- ----- ----- ----- S---- S----', '----- ----- ----- -----'),
    ('vendor_availability',         'S---- S---- S---- S-UDI S---- S---- S---- S---- S---- S---- S---- S---- S---- S---- S----', 'S---- S---- S---- S----'),
    ('vendor_bank_accounts',        '----- ----- ----- S-Ud- ----- ----- ----- ----- S---- ----- ----- ----- ----- S---- S----', '----- ----- ----- -----'),
    ('vendor_compliance',           '----- ----- ----- S--DI S---- ----- S---- S-U-I ----- ----- ----- ----- ----- S---- S-UDI', '----- ----- ----- -----'),
    ('vendor_contracts',            '----- ----- ----- S---- S---- ----- S---- S-U-I ----- ----- ----- ----- ----- S---- S-U-I', '----- ----- ----- -----'),
    ('vendor_documents',            '----- ----- ----- S--DI S---- ----- S-U-- S-U-- ----- ----- ----- ----- ----- S---- S-U--', '----- ----- ----- -----'),
    ('vendor_payouts',              '----- ----- ----- S---- ----- ----- ----- ----- S-U-I ----- ----- ----- ----- S---- S-U-I', '----- ----- ----- -----'),
    ('vendor_ratings',              '----- ----- ----- S---- S---- ----- S---- S---- S---- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('vendor_reviews',              '----- S-U-I ----- S-U-- S---- ----- ----- ----- ----- ----- ----- ----- ----- S---- S-UD-', 'S---- S---- S---- S----'),
    ('vendor_services',             'S---- S---- S---- S-UDI S---- S---- S---- S---- S---- S---- S---- S---- S---- S---- S-U--', 'S---- S---- S---- S----'),
    ('customers',                   '----- S-U-I ----- ----- ----- S---- ----- ----- ----- S---- S---- S---- ----- S---- S-U--', '----- ----- ----- -----'),
    ('customer_addresses',          '----- S-UDI ----- ----- ----- S---- ----- ----- ----- S---- S---- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('customer_communication_log',  '----- S---- ----- ----- ----- ----- ----- ----- ----- S---- S---- S-U-I ----- S---- S----', '----- ----- ----- -----'),
    ('customer_complaints',         '----- S---I ----- ----- ----- ----- ----- ----- ----- ----- ----- S-U-I ----- S---- S-U-I', '----- ----- ----- -----'),
    ('customer_loyalty_tiers',      'S---- S---- S---- S---- S---- S---- S---- S---- S---- SIUDI S---- S---- S---- S---- SIUDI', 'S---- S---- S---- S----'),
    ('customer_preferences',        '----- S-U-I ----- ----- ----- S---- ----- ----- ----- S---- S---- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('customer_referrals',          '----- S---I ----- ----- ----- ----- ----- ----- ----- S-U-- ----- ----- ----- S---- S-U--', '----- ----- ----- -----'),
    ('customer_segment_mapping',    '----- ----- ----- ----- ----- ----- ----- ----- ----- SI-DI SI-DI ----- ----- S---- SI-DI', '----- ----- ----- -----'),
    ('customer_segments',           '----- ----- ----- ----- ----- ----- ----- ----- ----- SIUDI SIU-I ----- ----- S---- SIUDI', '----- ----- ----- -----'),
    ('loyalty_points_transactions', '----- S---- ----- ----- ----- ----- ----- ----- ----- S---- S---- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('therapists',                  '----- ----- ----- S-UdI S---- S-U-- S---- ----- ----- ----- ----- S---- ----- S---- S-U--', '----- ----- ----- -----'),
    ('therapist_schedules',         '----- ----- ----- S-UDI S---- S---- S---- ----- ----- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('therapist_leaves',            '----- ----- ----- S-U-I S---- S--DI S---- ----- ----- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('therapist_locations',         '----- S---- ----- S---- S---- S---I ----- ----- ----- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('therapist_performance',       '----- ----- ----- S---- S---- S---- S---- ----- ----- ----- ----- S---- ----- S---- S----', '----- ----- ----- -----'),
    ('therapist_certifications',    '----- ----- ----- S--DI S---- S--DI S---- ----- ----- ----- ----- S---- ----- S---- S-U--', '----- ----- ----- -----'),
    ('therapist_assignments',       '----- S---- ----- S-U-I S---- S-U-- ----- ----- S---- ----- ----- S---- ----- S---- S-U-I', '----- ----- ----- -----'),
    ('assignment_timeline',         '----- S---- ----- S---I S---- S---I ----- ----- S---- ----- ----- S---- ----- S---- S---I', '----- ----- ----- -----')
),
cells as (
  select e.tbl, r.side, r.filter, p.persona, c.command, c.ord,
         case substr(split_part(case r.side when 'a' then e.codes_a else e.codes_b end, ' ', p.ord), c.ord::int, 1)
           when '-' then 'denied' when 'S' then 'allowed' when 'I' then 'allowed' when 'U' then 'allowed'
           when 'D' then 'allowed' else 'stopped by a constraint' end as outcome
    from expected e
    join g2_rows r on r.tbl = e.tbl
    join personas p on p.side = r.side
   cross join unnest(array['select', 'insert', 'update', 'delete', 'insert permitted columns']) with ordinality c (command, ord)
)
select is(
  case when verdict like 'error 23%' and outcome = 'stopped by a constraint' then outcome else verdict end,
  outcome,
  format('%s %s %s (row of side %s)', persona, command, tbl, side)
)
  from cells
 cross join lateral (
   select tests.attempt(persona, case when command = 'insert permitted columns' then 'insert granted' else command end,
                        ('public.' || tbl)::regclass, filter) as verdict
 ) v
 order by tbl, side, persona, ord;

-- Structure: RLS on, a policy each, no FOR ALL, WITH CHECK everywhere, nothing for PUBLIC --------

select is(
  (select count(*)::int from pg_class c where c.oid = any (pg_temp.tables()) and c.relrowsecurity),
  31, 'row-level security is enabled on all 31 tables'
);
select is(
  (select array_agg(t::text order by t::text) from unnest(pg_temp.tables()) t
    where not exists (select 1 from pg_policies p join pg_class c on c.relname = p.tablename
                       where p.schemaname = 'public' and c.oid = t)),
  null, 'every table has at least one policy'
);
select is(
  (select count(*)::int from pg_policies p where p.schemaname = 'public'
      and p.tablename in (select c.relname from pg_class c where c.oid = any (pg_temp.tables()))
      and (p.cmd = 'ALL' or 'public' = any (p.roles))),
  0, 'no policy is FOR ALL or TO PUBLIC'
);
select is(
  (select count(*)::int from pg_policies p where p.schemaname = 'public'
      and p.tablename in (select c.relname from pg_class c where c.oid = any (pg_temp.tables()))
      and p.cmd in ('INSERT', 'UPDATE') and p.with_check is null),
  0, 'every insert and update policy has WITH CHECK'
);
select is(
  (select count(*)::int from unnest(pg_temp.tables()) t
    where has_any_column_privilege('anon', t, 'INSERT') or has_any_column_privilege('anon', t, 'UPDATE')
       or has_table_privilege('anon', t, 'DELETE') or has_table_privilege('anon', t, 'TRUNCATE')),
  0, 'anon may write none of the tables'
);
select is(
  (select array_agg(t::text order by t::text) from unnest(pg_temp.tables()) t where has_any_column_privilege('anon', t, 'SELECT')),
  array['customer_loyalty_tiers', 'vendor_availability', 'vendor_reviews', 'vendor_services', 'vendors'],
  'anon reads only the public catalogue'
);
select is(
  (select count(*)::int from unnest(pg_temp.tables()) t
    where has_table_privilege('authenticated', t, 'TRUNCATE') or has_table_privilege('authenticated', t, 'REFERENCES')
       or has_table_privilege('authenticated', t, 'TRIGGER')),
  0, 'authenticated has no truncate, references or trigger privilege'
);
select is(
  (select count(*)::int from unnest(array['public.vendor_application_history', 'public.assignment_timeline', 'public.therapist_locations',
                                          'public.loyalty_points_transactions', 'public.customer_segment_mapping',
                                          'public.vendor_ratings', 'public.therapist_performance']::regclass[]) t
    where has_any_column_privilege('authenticated', t, 'UPDATE') or has_table_privilege('authenticated', t, 'DELETE')
       and t::text not in ('customer_segment_mapping')),
  0, 'append-only and computed tables cannot be updated (or deleted) through the API'
);
select is(
  (select count(*)::int from (values ('public.vendor_bank_accounts', 'account_number_encrypted'), ('public.vendors', 'gst_number_encrypted'),
                                     ('public.vendors', 'pan_number_encrypted'), ('public.therapists', 'bank_details')) c (t, col),
                             unnest(array['anon', 'authenticated']) r
    where has_column_privilege(r, c.t, c.col, 'SELECT') or has_column_privilege(r, c.t, c.col, 'INSERT')
       or has_column_privilege(r, c.t, c.col, 'UPDATE')),
  0, 'ciphertext and bank details are granted to no API role'
);
select hasnt_column('public', 'vendors', 'gst_number', 'vendors.gst_number is no longer stored in clear');
select hasnt_column('public', 'vendors', 'pan_number', 'vendors.pan_number is no longer stored in clear');
select is(
  (select count(*)::int from unnest(array['commission_rate', 'contact_mobile', 'contact_person', 'contact_email', 'gst_number_last4',
                                          'pan_number_last4', 'verification_documents']) col
    where has_column_privilege('anon', 'public.vendors', col, 'SELECT')),
  0, 'anon sees no contacts, tax ids, commission or KYC links of vendors'
);
select is(
  (select count(*)::int from unnest(array['commission_rate', 'verification_documents']) col
    where has_column_privilege('authenticated', 'public.vendors', col, 'SELECT')),
  0, 'signed-in users cannot read any vendor''s commission or KYC links from the listing'
);
select is(
  (select count(*)::int from unnest(array['customer_id', 'booking_id', 'moderation_notes', 'moderated_by']) col
    where has_column_privilege('anon', 'public.vendor_reviews', col, 'SELECT')),
  0, 'anon does not see who wrote a review or the moderators'' notes'
);

-- Customers cannot reach each other's addresses -----------------------------------------------

select is(tests.g2_run('customer_a', format('select * from public.customer_addresses where customer_id = %L', pg_temp.k('customer_b'))),
  'rows 0', 'customer_a reads none of customer_b''s addresses');
select is(tests.g2_run('customer_a', 'select * from public.customer_addresses'),
  'rows 1', 'customer_a reading every address gets only their own');
select is(tests.g2_run('customer_a', format('update public.customer_addresses set city = %L where id = %L', 'Pune', pg_temp.k('address_b'))),
  'rows 0', 'customer_a updates none of customer_b''s addresses');
select is((select city from public.customer_addresses where id = pg_temp.k('address_b')),
  'Mumbai', 'customer_b''s address is unchanged');
select is(tests.g2_run('customer_a', format('delete from public.customer_addresses where customer_id = %L', pg_temp.k('customer_b'))),
  'rows 0', 'customer_a deletes none of customer_b''s addresses');
select is(tests.g2_run('customer_a', format($$insert into public.customer_addresses (customer_id, address_type, address_line1, city, state, pincode)
                                              values (%L, 'home', '1 Fake St', 'Pune', 'Maharashtra', '411001')$$, pg_temp.k('customer_b'))),
  'error 42501', 'customer_a cannot add an address to customer_b''s account');
select is(tests.g2_run('customer_a', format('select * from public.customers where id = %L', pg_temp.k('customer_b'))),
  'rows 0', 'customer_a cannot read customer_b''s profile');

-- Vendors see only their own business ----------------------------------------------------------

select is(tests.g2_run('vendor_a', format('select id, name from public.therapists where vendor_id = %L', pg_temp.k('vendor_b'))),
  'rows 0', 'vendor_a reads none of vendor_b''s therapists');
select is(tests.g2_run('vendor_a', 'select id, name from public.therapists'),
  'rows 1', 'vendor_a reading every therapist gets only their own');
select is(tests.g2_run('vendor_a', format('select * from public.vendor_payouts where vendor_id = %L', pg_temp.k('vendor_b'))),
  'rows 0', 'vendor_a reads none of vendor_b''s payouts');
select is(tests.g2_run('vendor_a', 'select * from public.vendor_payouts'),
  'rows 1', 'vendor_a reading every payout gets only their own');
select is(tests.g2_run('vendor_a', 'select id, vendor_id, account_number_last4 from public.vendor_bank_accounts'),
  'rows 1', 'vendor_a reading every bank account gets only their own');
select is(tests.g2_run('vendor_a', format('select * from public.therapist_schedules where therapist_id = %L', pg_temp.k('therapist_b'))),
  'rows 0', 'vendor_a reads none of vendor_b''s therapist shifts');
select is(tests.g2_run('vendor_a', format('select * from public.therapist_assignments where vendor_id = %L', pg_temp.k('vendor_b'))),
  'rows 0', 'vendor_a reads none of vendor_b''s assignments');
select is(tests.g2_run('vendor_a', format($$insert into public.vendor_services (vendor_id, service_id, custom_price_60min)
                                            values (%L, (select id from public.services where code = 'HSM'), 1)$$, pg_temp.k('vendor_b'))),
  'error 42501', 'vendor_a cannot add a service to vendor_b''s menu');
select is(tests.g2_run('vendor_a', format('update public.vendor_services set custom_price_60min = 1 where id = %L', pg_temp.k('service_b'))),
  'rows 0', 'vendor_a cannot reprice vendor_b''s services');
select is(tests.g2_run('vendor_a', format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                              assignment_date, assignment_time, location_address, estimated_duration)
                                            values (%L, %L, %L, %L, %L, current_date + 4, '15:00', 'x', 60)$$,
                                          pg_temp.k('live_a'), pg_temp.k('therapist_b'), pg_temp.k('vendor_a'), pg_temp.k('customer_a'), pg_temp.k('swd'))),
  'error 23514', 'vendor_a cannot dispatch vendor_b''s therapist');
select is(tests.g2_run('vendor_a', format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                              assignment_date, assignment_time, location_address, estimated_duration)
                                            values (%L, %L, %L, %L, %L, current_date + 4, '15:00', 'x', 60)$$,
                                          pg_temp.k('live_a'), pg_temp.k('therapist_a'), pg_temp.k('vendor_a'), pg_temp.k('customer_b'), pg_temp.k('swd'))),
  'error 23514', 'vendor_a cannot attach customer_b to its own booking''s assignment (and so to its therapist)');
select is(tests.g2_run('vendor_a', format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                              assignment_date, assignment_time, location_address, estimated_duration)
                                            values (%L, %L, %L, %L, %L, current_date + 4, '15:00', 'x', 60)$$,
                                          pg_temp.k('live_a'), pg_temp.k('therapist_a'), pg_temp.k('vendor_a'), pg_temp.k('customer_a'), pg_temp.k('swd'))),
  'rows 1', 'vendor_a dispatches its own therapist to its own booking');

-- A receptionist reads but does not change -------------------------------------------------------

select is(tests.g2_run('staff_a', format('update public.vendor_services set custom_price_60min = 100 where id = %L', pg_temp.k('service_a'))),
  'rows 0', 'staff_a (receptionist) cannot change a service price');
select is((select custom_price_60min from public.vendor_services where id = pg_temp.k('service_a')),
  249900::bigint, 'the price is unchanged');
select is(tests.g2_run('staff_a', format($$update public.therapist_schedules set end_time = '23:00' where id = %L$$, pg_temp.k('schedule_a'))),
  'rows 0', 'staff_a (receptionist) cannot change a therapist shift');
select is((select end_time from public.therapist_schedules where id = pg_temp.k('schedule_a')),
  '18:00'::time, 'the shift is unchanged');
select is(tests.g2_run('staff_a', format($$insert into public.therapist_schedules (therapist_id, day_of_week, start_time, end_time)
                                           values (%L, 2, '09:00', '17:00')$$, pg_temp.k('therapist_a'))),
  'error 42501', 'staff_a (receptionist) cannot add a therapist shift');
select is(tests.g2_run('staff_a', format('update public.therapists set status = %L where id = %L', 'inactive', pg_temp.k('therapist_a'))),
  'rows 0', 'staff_a (receptionist) cannot change a therapist');
select is(tests.g2_run('staff_a', 'select * from public.vendor_payouts'),
  'rows 0', 'staff_a (receptionist) cannot read payouts');
select is(tests.g2_run('staff_a', format('update public.vendor_staff set permissions = %L where user_id = %L', '{bank.manage,payouts.view}', pg_temp.k('staff_a'))),
  'rows 0', 'staff_a cannot widen their own vendor permissions');
select is(tests.g2_run('staff_a', format('update public.vendors set business_name = %L where id = %L', 'Hijacked', pg_temp.k('vendor_a'))),
  'rows 0', 'staff_a (receptionist) cannot edit the listing');

-- Customers cannot set their own tier, points or totals ------------------------------------------

select is(tests.g2_run('customer_a', format('update public.customers set loyalty_points = 99999 where id = %L', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set their loyalty_points');
select is(tests.g2_run('customer_a', format('update public.customers set membership_tier = %L where id = %L', 'diamond', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set their membership_tier');
select is(tests.g2_run('customer_a', format('update public.customers set total_spent = 99999999 where id = %L', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set their total_spent');
select is(tests.g2_run('customer_a', format('update public.customers set total_bookings = 500 where id = %L', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set their total_bookings');
select is(tests.g2_run('customer_a', format('update public.customers set referral_count = 500 where id = %L', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set their referral_count');
select is(tests.g2_run('customer_a', format('insert into public.customers (id) values (%L) on conflict (id) do update set loyalty_points = 99999', pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set loyalty_points through an upsert');
select is(tests.g2_run('customer_a', format($$insert into public.customers (id) values (%L) on conflict (id) do update set membership_tier = 'diamond'$$, pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot set membership_tier through an upsert');
select is(tests.g2_run('customer_a', format($$insert into public.customers (id, membership_tier, loyalty_points) values (%L, 'diamond', 99999) on conflict (id) do nothing$$, pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot insert a profile carrying a tier or points');
select is((select format('%s %s %s', membership_tier, loyalty_points, total_spent) from public.customers where id = pg_temp.k('customer_a')),
  'silver 120 0', 'customer_a''s tier, points and spend are unchanged');
select is(tests.g2_run('customer_a', format($$insert into public.customers (id, allergies) values (%L, '{nut oils}') on conflict (id) do update set allergies = excluded.allergies$$, pg_temp.k('customer_a'))),
  'rows 1', 'customer_a may upsert their own care notes');
select is(tests.g2_run('customer_a', format($$insert into public.loyalty_points_transactions (customer_id, transaction_type, points, balance_after) values (%L, 'earn', 5000, 0)$$, pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot write to the points ledger');

-- Vendors cannot verify themselves or set their commission ---------------------------------------

select is(tests.g2_run('vendor_a', format($$update public.vendors set verification_status = 'verified' where id = %L$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set their verification_status');
select is(tests.g2_run('vendor_a', format('update public.vendors set commission_rate = 0 where id = %L', pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set their commission_rate');
select is(tests.g2_run('vendor_a', format($$update public.vendors set status = 'active' where id = %L$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set their listing status');
select is(tests.g2_run('vendor_a', format('update public.vendors set rating = 5, total_reviews = 999 where id = %L', pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set their rating or review count');
select is(tests.g2_run('vendor_a', format($$insert into public.vendors (id, business_name, business_address, contact_person, contact_mobile, contact_email)
                                            values (%L, 'Spa A', '{}', 'Owner', '9800000000', 'a@x.in')
                                            on conflict (id) do update set commission_rate = 0$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set commission_rate through an upsert');
select is(tests.g2_run('vendor_a', format($$insert into public.vendors (id, business_name, business_address, contact_person, contact_mobile, contact_email)
                                            values (%L, 'Spa A', '{}', 'Owner', '9800000000', 'a@x.in')
                                            on conflict (id) do update set verification_status = 'verified'$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set verification_status through an upsert');
select is(tests.g2_run('vendor_a', format('select public.set_vendor_standing(%L, null, null, 0)', pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set their commission through the RPC');
select is(tests.g2_run('vendor_a', format($$select public.set_vendor_standing(%L, 'verified')$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot verify themselves through the RPC');
select is((select format('%s %s %s', verification_status, commission_rate, status) from public.vendors where id = pg_temp.k('vendor_a')),
  'verified 15.00 active', 'vendor_a''s verification, commission and status are unchanged');
select is(tests.g2_run('vendor_a', format($$update public.vendors set business_name = 'Spa A Renamed' where id = %L$$, pg_temp.k('vendor_a'))),
  'rows 1', 'vendor_a edits their own listing');
select is(tests.g2_value('vendor_a', format('select public.vendor_commission_rate(%L)', pg_temp.k('vendor_a'))),
  '15.00', 'vendor_a reads their commission through the RPC');
select is(tests.g2_value('customer_a', format('select public.vendor_commission_rate(%L)', pg_temp.k('vendor_a'))),
  'error 42501', 'customer_a cannot read a vendor''s commission');
select is(tests.g2_value('vendor_b', format('select public.vendor_commission_rate(%L)', pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_b cannot read vendor_a''s commission');
select is(tests.g2_run('customer_a', 'select commission_rate from public.vendors'),
  'error 42501', 'customer_a cannot select commission_rate from the listing');
select is(tests.g2_run('anon', 'select contact_mobile from public.vendors'),
  'error 42501', 'anon cannot select vendors'' contact numbers');
select is(tests.g2_run('anon', 'select id, business_name, rating from public.vendors'),
  'rows 2', 'anon browses the listed vendors');

-- Therapists cannot set their rating or totals, nor move vendor ---------------------------------

select is(tests.g2_run('therapist_a', format('update public.therapists set rating = 5 where id = %L', pg_temp.k('therapist_a'))),
  'error 42501', 'therapist_a cannot set their rating');
select is(tests.g2_run('therapist_a', format('update public.therapists set total_reviews = 999, total_services = 999 where id = %L', pg_temp.k('therapist_a'))),
  'error 42501', 'therapist_a cannot set their review and service counts');
select is(tests.g2_run('therapist_a', format($$insert into public.therapists (id, vendor_id, name, email, mobile) values (%L, %L, 'T', 't@x.in', '9700000000')
                                               on conflict (id) do update set rating = 5$$, pg_temp.k('therapist_a'), pg_temp.k('vendor_a'))),
  'error 42501', 'therapist_a cannot set their rating through an upsert');
select is(tests.g2_run('vendor_a', format('update public.therapists set rating = 5, total_services = 999 where id = %L', pg_temp.k('therapist_a'))),
  'error 42501', 'vendor_a cannot set its therapist''s rating or totals');
select is(tests.g2_run('vendor_a', format($$insert into public.therapists (vendor_id, name, email, mobile) values (%L, 'T', 'therapist.a@test.ombaro.in', '9700000000')
                                            on conflict (email) do update set total_reviews = 999$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot set its therapist''s totals through an upsert');
select is(tests.g2_run('therapist_a', format('update public.therapists set vendor_id = %L where id = %L', pg_temp.k('vendor_b'), pg_temp.k('therapist_a'))),
  'error 42501', 'therapist_a cannot move to another vendor');
select is(tests.g2_run('therapist_a', format($$update public.therapists set specialization = '{ARO}' where id = %L$$, pg_temp.k('therapist_a'))),
  'error 42501', 'therapist_a cannot change their own skills (their vendor does)');
select is(tests.g2_run('therapist_a', format($$update public.therapists set availability_status = 'available', languages = '{Kannada,English}' where id = %L$$, pg_temp.k('therapist_a'))),
  'rows 1', 'therapist_a sets their own availability and languages');
select is(tests.g2_run('therapist_a', format($$update public.therapists set availability_status = 'offline' where id = %L$$, pg_temp.k('therapist_b'))),
  'rows 0', 'therapist_a cannot change therapist_b');
select is((select format('%s %s %s', rating, total_reviews, total_services) from public.therapists where id = pg_temp.k('therapist_a')),
  '0.00 0 0', 'therapist_a''s rating and totals are unchanged');
select is(tests.g2_run('vendor_a', format($$update public.therapists set specialization = '{SWD,DPT,ARO}' where id = %L$$, pg_temp.k('therapist_a'))),
  'rows 1', 'vendor_a updates its therapist''s skills');

-- Live locations ---------------------------------------------------------------------------------

select is(tests.g2_run('therapist_a', format('insert into public.therapist_locations (therapist_id, latitude, longitude) values (%L, 12.9, 77.6)', pg_temp.k('therapist_b'))),
  'error 42501', 'therapist_a cannot report a position for therapist_b');
select is(tests.g2_run('therapist_a', format('insert into public.therapist_locations (therapist_id, assignment_id, latitude, longitude) values (%L, %L, 19.0, 72.8)',
                                             pg_temp.k('therapist_a'), pg_temp.k('assignment_b'))),
  'error 42501', 'therapist_a cannot put their position on another therapist''s assignment');
select is(tests.g2_run('therapist_a', format('insert into public.therapist_locations (therapist_id, assignment_id, latitude, longitude) values (%L, %L, 12.965, 77.605)',
                                             pg_temp.k('therapist_a'), pg_temp.k('assignment_a'))),
  'rows 1', 'therapist_a reports their position on their assignment');
select is(tests.g2_run('customer_b', format('select * from public.therapist_locations where therapist_id = %L', pg_temp.k('therapist_a'))),
  'rows 0', 'customer_b cannot follow therapist_a');
select is(tests.g2_run('customer_b', format('select * from public.therapist_locations where assignment_id = %L', pg_temp.k('assignment_a'))),
  'rows 0', 'customer_b cannot follow customer_a''s booking');
select is(tests.g2_run('customer_a', format('select * from public.therapist_locations where assignment_id = %L', pg_temp.k('assignment_a'))),
  'rows 1', 'customer_a follows the therapist of their booking while under way');
select is(tests.g2_run('vendor_b', format('select * from public.therapist_locations where therapist_id = %L', pg_temp.k('therapist_a'))),
  'rows 0', 'vendor_b cannot follow vendor_a''s therapist');
select is(tests.g2_run('therapist_b', 'select * from public.therapist_locations'),
  'rows 1', 'therapist_b sees only their own positions');
select is(tests.g2_run('marketing_department', 'select * from public.therapist_locations'),
  'rows 0', 'marketing cannot follow therapists');

-- Assignments --------------------------------------------------------------------------------------

select is(tests.g2_run('customer_b', format('select * from public.therapist_assignments where id = %L', pg_temp.k('assignment_a'))),
  'rows 0', 'customer_b cannot see customer_a''s assignment');
select is(tests.g2_run('therapist_a', format('select * from public.customer_addresses where customer_id = %L', pg_temp.k('customer_a'))),
  'rows 1', 'therapist_a reads the address of the customer they are serving now');
select is(tests.g2_run('therapist_a', format('select * from public.customer_addresses where customer_id = %L', pg_temp.k('customer_b'))),
  'rows 0', 'therapist_a cannot read the address of a customer they are not serving');
select is(tests.g2_run('therapist_a', format('update public.therapist_assignments set customer_rating = 5 where id = %L', pg_temp.k('assignment_a'))),
  'error 42501', 'therapist_a cannot rate themselves on the customer''s behalf');
select is(tests.g2_run('therapist_a', format($$update public.therapist_assignments set status = 'cancelled' where id = %L$$, pg_temp.k('assignment_a'))),
  'error 42501', 'therapist_a cannot cancel an assignment (dispatch does)');
select is(tests.g2_run('therapist_a', format($$update public.therapist_assignments set status = 'completed' where id = %L$$, pg_temp.k('assignment_b'))),
  'rows 0', 'therapist_a cannot move therapist_b''s assignment');
select is(tests.g2_run('customer_a', format('update public.therapist_assignments set customer_rating = 5 where id = %L', pg_temp.k('assignment_a'))),
  'rows 0', 'customer_a cannot rate a visit that is not finished');
select is(tests.g2_value('therapist_a', format($$update public.therapist_assignments set status = 'reached' where id = %L returning status$$, pg_temp.k('assignment_a'))),
  'reached', 'therapist_a reports arrival on their assignment');
select is(tests.g2_run('therapist_a', format($$insert into public.assignment_timeline (assignment_id, event_type, status) values (%L, 'status_change', 'completed')$$, pg_temp.k('assignment_a'))),
  'error 42501', 'therapist_a cannot forge a status change in the timeline');
select is(tests.g2_run('therapist_a', format($$insert into public.assignment_timeline (assignment_id, event_type, note) values (%L, 'note', 'x')$$, pg_temp.k('assignment_b'))),
  'error 42501', 'therapist_a cannot write in another therapist''s timeline');
select is(tests.g2_value('therapist_a', format($$update public.therapist_assignments set status = 'completed' where id = %L returning status$$, pg_temp.k('assignment_a'))),
  'completed', 'therapist_a completes their assignment');
select is(tests.g2_run('customer_a', format('select * from public.therapist_locations where assignment_id = %L', pg_temp.k('assignment_a'))),
  'rows 0', 'customer_a no longer follows the therapist once the visit is over');
select is(tests.g2_run('therapist_a', format('select * from public.customer_addresses where customer_id = %L', pg_temp.k('customer_a'))),
  'rows 0', 'therapist_a no longer reads customer_a''s address once the visit is over');
select is(tests.g2_run('customer_a', format('update public.therapist_assignments set customer_rating = 5, customer_feedback = %L where id = %L', 'Great', pg_temp.k('assignment_a'))),
  'rows 1', 'customer_a rates the finished visit');
select is(tests.g2_run('customer_a', format('update public.therapist_assignments set notes = %L where id = %L', 'x', pg_temp.k('assignment_a'))),
  'error 42501', 'customer_a cannot change anything else of the assignment');

-- Vendor bank accounts ---------------------------------------------------------------------------

select is(tests.g2_value(p, format('select public.reveal_vendor_bank_account_number(%L)', pg_temp.k('bank_a'))),
  '123456789012', format('%s reads vendor_a''s account number in clear', p))
  from unnest(array['vendor_a', 'finance_department', 'accounts_department', 'super_admin']) p;
select is(tests.g2_value(p, format('select public.reveal_vendor_bank_account_number(%L)', pg_temp.k('bank_a'))),
  'error 42501', format('%s cannot read vendor_a''s account number in clear', p))
  from unnest(array['anon', 'customer_a', 'vendor_b', 'staff_a', 'therapist_a', 'directors', 'legal_department',
                    'marketing_department', 'vendor_list', 'customer_care', 'hr_department', 'admin']) p;
select is(tests.g2_run(p, 'select account_number_encrypted from public.vendor_bank_accounts'),
  'error 42501', format('%s cannot select the ciphertext', p))
  from unnest(array['vendor_a', 'finance_department']) p;
select is(tests.g2_run('vendor_a', format($$insert into public.vendor_bank_accounts (vendor_id, account_holder_name, upi_id) values (%L, 'Spa A', 'spa.a@okaxis')$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_a cannot write a bank account around the RPC');
select is(tests.g2_value('staff_a', format($$select public.save_vendor_bank_account(%L, 'Spa A', '111122223333', 'HDFC0001234')$$, pg_temp.k('vendor_a'))),
  'error 42501', 'staff_a cannot add a payout account');
select is(tests.g2_value('vendor_b', format($$select public.save_vendor_bank_account(%L, 'Spa A', '111122223333', 'HDFC0001234')$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_b cannot add a payout account to vendor_a');
select pg_temp.put('bank_a2', tests.g2_value('vendor_a', format($$select public.save_vendor_bank_account(%L, 'Spa A Pvt Ltd', '5555 6666 4321', 'sbin0001111', null, 'SBI', 'MG Road')$$, pg_temp.k('vendor_a')))::uuid);
select is((select format('%s %s %s', account_number_last4, ifsc, private.decrypt_text(account_number_encrypted)) from public.vendor_bank_accounts where id = pg_temp.k('bank_a2')),
  '4321 SBIN0001111 555566664321', 'vendor_a''s new account is stored encrypted with its last four digits');

-- Vendor tax ids ------------------------------------------------------------------------------

select is(tests.g2_value('vendor_a', format($$select public.save_vendor_tax_ids(%L, '29ABCDE1234F1Z5', 'abcde1234f')$$, pg_temp.k('vendor_a'))),
  '', 'vendor_a records their GSTIN and PAN');
select is((select format('%s %s', gst_number_last4, pan_number_last4) from public.vendors where id = pg_temp.k('vendor_a')),
  'F1Z5 234F', 'only the last four characters are kept in clear');
select is(tests.g2_value(p, format('select r::text from public.reveal_vendor_tax_ids(%L) r', pg_temp.k('vendor_a'))),
  '(29ABCDE1234F1Z5,ABCDE1234F)', format('%s reads vendor_a''s GSTIN and PAN', p))
  from unnest(array['vendor_a', 'legal_department', 'advocate', 'ca_cs', 'finance_department', 'accounts_department', 'super_admin']) p;
select is(tests.g2_value(p, format('select r::text from public.reveal_vendor_tax_ids(%L) r', pg_temp.k('vendor_a'))),
  'error 42501', format('%s cannot read vendor_a''s GSTIN and PAN', p))
  from unnest(array['anon', 'customer_a', 'vendor_b', 'staff_a', 'therapist_a', 'marketing_department', 'customer_care']) p;
select is(tests.g2_value('vendor_b', format($$select public.save_vendor_tax_ids(%L, '27ABCDE1234F1Z5', null)$$, pg_temp.k('vendor_a'))),
  'error 42501', 'vendor_b cannot overwrite vendor_a''s tax ids');
select is(tests.g2_value('vendor_a', format($$select public.save_vendor_tax_ids(%L, 'NOT-A-GSTIN', null)$$, pg_temp.k('vendor_a'))),
  'error 22023', 'a malformed GSTIN is refused');

-- Department standing changes go through the RPC -------------------------------------------------

select is(tests.g2_value('finance_department', format('select public.set_vendor_standing(%L, null, null, 12.5)', pg_temp.k('vendor_b'))),
  '', 'finance sets vendor_b''s commission');
select is(tests.g2_value('vendor_list', format('select public.set_vendor_standing(%L, null, null, 1)', pg_temp.k('vendor_b'))),
  'error 42501', 'vendor onboarding cannot set a commission');
select is(tests.g2_value('finance_department', format($$select public.set_vendor_standing(%L, 'rejected')$$, pg_temp.k('vendor_b'))),
  'error 42501', 'finance cannot change a vendor''s verification');
select is(tests.g2_value('vendor_list', format($$select public.set_vendor_standing(%L, null, 'suspended')$$, pg_temp.k('vendor_b'))),
  '', 'vendor onboarding suspends vendor_b');
select is((select format('%s %s', status, commission_rate) from public.vendors where id = pg_temp.k('vendor_b')),
  'suspended 12.50', 'vendor_b is suspended with the commission finance set');
select is(tests.g2_run('anon', format('select id from public.vendors where id = %L', pg_temp.k('vendor_b'))),
  'rows 0', 'a suspended vendor leaves the public listing');
select is(tests.g2_run('anon', format('select id from public.vendor_services where vendor_id = %L', pg_temp.k('vendor_b'))),
  'rows 0', 'a suspended vendor''s menu leaves the public listing');
select is(tests.g2_run('vendor_b', format('select id from public.vendors where id = %L', pg_temp.k('vendor_b'))),
  'rows 1', 'a suspended vendor still sees their own listing');

-- Therapists' salary accounts ----------------------------------------------------------------------

select is(tests.g2_run('therapist_a', 'select bank_details from public.therapists'),
  'error 42501', 'bank_details cannot be selected, even by the therapist');
select is(tests.g2_value('therapist_a', format($$select public.save_therapist_bank_details(%L, 'Therapist A', '00112233445566', 'HDFC0001234', 'HDFC', 'Indiranagar')$$, pg_temp.k('therapist_a'))),
  '', 'therapist_a saves their salary account');
select is((select bank_details ->> 'account_last4' from public.therapists where id = pg_temp.k('therapist_a')),
  '5566', 'the salary account keeps its last four digits in clear');
select ok((select bank_details::text not like '%00112233445566%' from public.therapists where id = pg_temp.k('therapist_a')),
  'the salary account number is not stored in clear');
select is(tests.g2_value(p, format($$select public.therapist_bank_details(%L) ->> 'account_number'$$, pg_temp.k('therapist_a'))),
  '00112233445566', format('%s reads therapist_a''s salary account', p))
  from unnest(array['therapist_a', 'vendor_a']) p;
select is(tests.g2_value(p, format($$select public.therapist_bank_details(%L) ->> 'account_number'$$, pg_temp.k('therapist_a'))),
  'error 42501', format('%s cannot read therapist_a''s salary account', p))
  from unnest(array['anon', 'customer_a', 'vendor_b', 'staff_a', 'therapist_b', 'marketing_department']) p;
select is(tests.g2_value('vendor_b', format($$select public.save_therapist_bank_details(%L, 'X', '99999999999', 'HDFC0001234')$$, pg_temp.k('therapist_a'))),
  'error 42501', 'vendor_b cannot redirect therapist_a''s salary');

-- Leave -------------------------------------------------------------------------------------------

select is(tests.g2_run('therapist_a', format($$update public.therapist_leaves set status = 'approved' where id = %L$$, pg_temp.k('leave_a'))),
  'error 42501', 'therapist_a cannot approve their own leave');
select is(tests.g2_run('staff_a', format($$update public.therapist_leaves set status = 'approved' where id = %L$$, pg_temp.k('leave_a'))),
  'rows 0', 'staff_a (receptionist) cannot approve leave');
select is(tests.g2_value('vendor_a', format($$update public.therapist_leaves set status = 'approved' where id = %L returning approved_by::text$$, pg_temp.k('leave_a'))),
  pg_temp.k('vendor_a')::text, 'vendor_a approves the leave and is recorded as approver');
select is(tests.g2_value('therapist_a', format($$update public.therapist_leaves set status = 'cancelled' where id = %L returning status$$, pg_temp.k('leave_a'))),
  'cancelled', 'therapist_a cancels their approved leave');
select is(tests.g2_run('therapist_a', format($$insert into public.therapist_leaves (therapist_id, leave_type, start_date, end_date, reason) values (%L, 'sick', current_date, current_date, 'x')$$, pg_temp.k('therapist_b'))),
  'error 42501', 'therapist_a cannot request leave for therapist_b');

-- Applications, reviews, complaints, referrals -----------------------------------------------------

select pg_temp.put('draft_a', tests.g2_value('vendor_a', $$insert into public.vendor_applications (applicant_id, business_name, contact_person, contact_mobile)
                                                          values ((select auth.uid()), 'Spa A Whitefield', 'Owner A', '9800000001') returning id$$)::uuid);
select is(tests.g2_run('vendor_a', format($$update public.vendor_applications set decision_notes = 'approved by me' where id = %L$$, pg_temp.k('draft_a'))),
  'error 42501', 'an applicant cannot write the reviewer''s notes');
select is(tests.g2_value('vendor_a', format($$update public.vendor_applications set status = 'submitted' where id = %L returning status$$, pg_temp.k('draft_a'))),
  'submitted', 'an applicant submits their draft');
select is(tests.g2_run('vendor_a', format($$update public.vendor_applications set business_name = 'Changed' where id = %L$$, pg_temp.k('draft_a'))),
  'rows 0', 'a submitted application is out of the applicant''s hands');
select is(tests.g2_run('vendor_a', format($$update public.vendor_applications set status = 'under_review' where id = %L$$, pg_temp.k('draft_a'))),
  'rows 0', 'an applicant cannot move their submitted application into review');
select is(tests.g2_run('customer_a', format($$insert into public.vendor_applications (applicant_id, business_name, contact_person, contact_mobile) values (%L, 'x', 'x', '9800000001')$$, pg_temp.k('vendor_b'))),
  'error 42501', 'nobody applies in another account''s name');

select is(tests.g2_run('vendor_a', format('update public.vendor_reviews set overall_rating = 1 where id = %L', pg_temp.k('review_a'))),
  'error 42501', 'vendor_a cannot change the rating of a review of them');
select is(tests.g2_value('vendor_a', format($$update public.vendor_reviews set vendor_reply = 'Thank you!', vendor_replied_at = now() where id = %L returning replied_by::text$$, pg_temp.k('review_a'))),
  pg_temp.k('vendor_a')::text, 'vendor_a replies to a review and is recorded as the replier');
select is(tests.g2_run('customer_a', format($$update public.vendor_reviews set status = 'approved' where id = %L$$, pg_temp.k('review_a'))),
  'error 42501', 'customer_a cannot approve their own review');
select is(tests.g2_run('customer_a', format($$update public.vendor_reviews set vendor_reply = 'fake reply' where id = %L$$, pg_temp.k('review_a'))),
  'error 42501', 'customer_a cannot write the vendor''s reply');
select is(tests.g2_run('staff_a', format($$update public.vendor_reviews set vendor_reply = 'x', vendor_replied_at = now() where id = %L$$, pg_temp.k('review_a'))),
  'rows 0', 'staff_a (receptionist) cannot reply to reviews');
select is(tests.g2_run('customer_a', format($$insert into public.vendor_reviews (vendor_id, customer_id, booking_id, overall_rating) values (%L, %L, %L, 1)$$,
                                          pg_temp.k('vendor_b'), pg_temp.k('customer_b'), pg_temp.k('done_b'))),
  'error 42501', 'customer_a cannot review in customer_b''s name');

select matches(tests.g2_value('customer_a', format($$insert into public.customer_complaints (customer_id, vendor_id, category, subject, description)
                                                    values (%L, %L, 'hygiene', 'Dirty room', 'Sheets not changed') returning complaint_number$$,
                                                  pg_temp.k('customer_a'), pg_temp.k('vendor_a'))),
  '^CMP-[0-9]{8}-[0-9]{6}$', 'customer_a files a complaint and is given its number');
select is(tests.g2_run('customer_a', format($$insert into public.customer_complaints (customer_id, category, subject, description) values (%L, 'other', 'x', 'x')$$, pg_temp.k('customer_b'))),
  'error 42501', 'customer_a cannot file a complaint as customer_b');
select is(tests.g2_run('customer_a', format($$update public.customer_complaints set status = 'resolved', resolution = 'x', resolved_at = now() where id = %L$$, pg_temp.k('complaint_a'))),
  'rows 0', 'customer_a cannot resolve their own complaint');
select is(tests.g2_run('customer_care', format($$update public.customer_complaints set status = 'in_progress', assigned_to = %L where id = %L$$, pg_temp.k('customer_care'), pg_temp.k('complaint_a'))),
  'rows 1', 'customer care works a complaint');
select is(tests.g2_run('marketing_department', format($$update public.customer_complaints set status = 'closed' where id = %L$$, pg_temp.k('complaint_a'))),
  'rows 0', 'marketing cannot work complaints');

select is(tests.g2_run('customer_a', format($$insert into public.customer_referrals (referrer_id, referral_code, invitee_contact) values (%L, 'REFB', '9833333333')$$, pg_temp.k('customer_a'))),
  'error 42501', 'customer_a cannot invite with customer_b''s code');
select is(tests.g2_run('customer_a', format($$insert into public.customer_referrals (referrer_id, referral_code, invitee_contact) values (%L, 'REFA', '9833333333')$$, pg_temp.k('customer_a'))),
  'rows 1', 'customer_a invites a friend with their own code');
select is(tests.g2_run('customer_a', format($$update public.customer_referrals set reward_given = true, rewarded_at = now(), status = 'rewarded' where id = %L$$, pg_temp.k('referral_a'))),
  'rows 0', 'customer_a cannot mark their referral rewarded');

select * from finish();
rollback;
