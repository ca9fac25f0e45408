-- Security of services, bookings and payments & finance (V27): every table, every persona,
-- every command, on real rows; then the attacks a marketplace must survive (reading another
-- customer's bookings and payments, booking for someone else, rewriting a payment, a
-- receptionist moving bookings, a therapist reading bookings they are not on, anyone reading
-- gateway secrets).
--
-- The matrix states the outcome of every persona on every fixture row for every command, and
-- tests.attempt adds to each verdict any privilege of the persona's role beyond
-- tests.api_grants, so a widened grant fails every persona's cells on that table. It copies a
-- whole row for `insert`, so tables whose API inserts are limited to some columns show
-- `insert` denied there; the inserts an app really makes are tried column by column further
-- down.
begin;
select plan(6651);

select tests.create_personas();

-- Tries one statement as a persona: 'allowed' (it touched rows), 'no rows' (nothing visible to
-- change), 'refused' (42501: no privilege, a policy's check or a guard trigger), else the error.
create or replace function tests.attempt_statement(persona text, statement text)
returns text
language plpgsql
as $$
declare
  affected bigint;
  state text;
  msg text;
begin
  perform tests.act_as(persona);
  begin
    execute statement;
    get diagnostics affected = row_count;
    raise exception 'attempt_statement affected %', affected using errcode = 'P0001';
  exception when others then
    get stacked diagnostics state = returned_sqlstate, msg = message_text;
  end;
  perform tests.clear_authentication();
  if state = 'P0001' and msg like 'attempt_statement affected %' then
    return case when split_part(msg, ' ', 3)::bigint > 0 then 'allowed' else 'no rows' end;
  elsif state = '42501' then
    return 'refused';
  end if;
  return 'error ' || state || ': ' || msg;
end
$$;

-- Fixtures (as the superuser running the suite) ---------------------------------------------

select id as swd from public.services where code = 'SWD' \gset
select id as razorpay from public.payment_gateways where code = 'razorpay' \gset
select id as travel from public.expense_categories where code = 'travel' \gset
select id as therapist_a_id from public.therapists where user_id = tests.id('therapist_a') \gset
select id as therapist_b_id from public.therapists where user_id = tests.id('therapist_b') \gset

-- Catalogue: one live and one hidden row where it matters.
insert into public.service_categories (code, name) values ('test_rituals', 'Test rituals') returning id as cat_x \gset
insert into public.service_categories (code, name, is_active) values ('test_hidden', 'Hidden', false) returning id as cat_off \gset
insert into public.services (code, name, category, base_price_60min, is_active) values ('ZZOFF', 'Retired ritual', 'wellness', 100000, false)
  returning id as svc_off \gset
insert into public.service_variants (service_id, name, duration_minutes, price) values (:'swd', 'Test 75 minutes', 75, 299900)
  returning id as var_x \gset
insert into public.service_variants (service_id, name, duration_minutes, price) values (:'svc_off', 'Retired 60', 60, 100000)
  returning id as var_off \gset
insert into public.service_pricing_tiers (code, name, tier_type, days_of_week, multiplier_bps)
  values ('test_weekend', 'Test weekend', 'weekend', '{0,6}', 11000) returning id as tier_x \gset
insert into public.addon_services (code, name, duration, price) values ('TESTADD', 'Test hot towel', 10, 10000) returning id as add_x \gset
insert into public.service_packages (code, name, service_ids, total_duration, package_price)
  values ('TESTPKG', 'Test bundle', array[:'swd'::uuid], 60, 200000) returning id as pkg_x \gset
insert into public.service_tags (slug, name) values ('test-tag', 'Test tag') returning id as tag_x \gset
insert into public.service_tags (slug, name, is_active) values ('test-hidden', 'Hidden tag', false) returning id as tag_off \gset
insert into public.service_tag_mapping (service_id, tag_id) values (:'swd', :'tag_x'), (:'swd', :'tag_off');
insert into public.popular_services (service_id, period_start, period_end, booking_count, rank)
  values (:'swd', current_date - 30, current_date - 1, 42, 1) returning id as pop_x \gset
insert into public.service_availability (service_id, city_id)
  values (:'swd', (select id from public.cities where name = 'Bengaluru')) returning id as av_x \gset
insert into public.service_availability (service_id, city_id, is_active)
  values (:'swd', (select id from public.cities where name = 'Bengaluru'), false) returning id as av_off \gset

-- Bookings: bk_a1 (customer_a at vendor_a, therapist_a assigned), bk_a2 (same parties, no
-- therapist), bk_b (customer_b at vendor_b), and completed ones to review.
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 3) as bk_a1 \gset
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 4) as bk_a2 \gset
select tests.create_booking(tests.id('customer_b'), tests.id('vendor_b'), 5) as bk_b \gset
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 6) as bk_a_done1 \gset
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 7) as bk_a_done2 \gset
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 8) as bk_a_done3 \gset
select tests.create_booking(tests.id('customer_b'), tests.id('vendor_b'), 9) as bk_b_done \gset
update public.bookings set status = 'confirmed' where id in (:'bk_a_done1', :'bk_a_done2', :'bk_a_done3', :'bk_b_done');
update public.bookings set status = 'in_progress' where id in (:'bk_a_done1', :'bk_a_done2', :'bk_a_done3', :'bk_b_done');
update public.bookings set status = 'completed' where id in (:'bk_a_done1', :'bk_a_done2', :'bk_a_done3', :'bk_b_done');

insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date,
                                          assignment_time, location_address, estimated_duration)
values (:'bk_a1', :'therapist_a_id', tests.id('vendor_a'), tests.id('customer_a'), :'swd', current_date + 3, '11:00', 'At the spa', 60);

insert into public.booking_items (booking_id, service_id, duration, price, subtotal)
  values (:'bk_a1', :'swd', 60, 249900, 249900) returning id as item_a \gset
insert into public.booking_items (booking_id, service_id, duration, price, subtotal)
  values (:'bk_b', :'swd', 60, 249900, 249900) returning id as item_b \gset

insert into public.booking_notes (booking_id, author_id, note, visibility)
  values (:'bk_a1', tests.id('customer_a'), 'Please use unscented oil', 'customer') returning id as note_cust \gset
insert into public.booking_notes (booking_id, author_id, note, visibility)
  values (:'bk_a1', tests.id('vendor_a'), 'Regular guest, room 2', 'vendor') returning id as note_vend \gset
insert into public.booking_notes (booking_id, author_id, note, visibility)
  values (:'bk_a1', tests.id('customer_care'), 'Complained last visit; handle with care', 'internal') returning id as note_int \gset
insert into public.booking_notes (booking_id, author_id, note, visibility)
  values (:'bk_b', tests.id('customer_b'), 'Ring the bell twice', 'customer') returning id as note_b \gset

insert into public.booking_photos (booking_id, storage_path, kind, uploaded_by)
  values (:'bk_a1', 'bk_a1/issue.jpg', 'issue', tests.id('therapist_a')) returning id as photo_a \gset
insert into public.booking_photos (booking_id, storage_path, kind, uploaded_by)
  values (:'bk_b', 'bk_b/issue.jpg', 'issue', tests.id('therapist_b')) returning id as photo_b \gset

insert into public.booking_reschedules (booking_id, from_scheduled_start, to_scheduled_start, requested_by, requested_by_role)
  select id, scheduled_start, scheduled_start + interval '1 day', customer_id, 'customer' from public.bookings where id = :'bk_a1'
  returning id as resch_a \gset
insert into public.booking_reschedules (booking_id, from_scheduled_start, to_scheduled_start, requested_by, requested_by_role)
  select id, scheduled_start, scheduled_start + interval '1 day', customer_id, 'customer' from public.bookings where id = :'bk_b'
  returning id as resch_b \gset

insert into public.booking_cancellations (booking_id, cancelled_by, actor_role, reason_code)
  values (:'bk_a2', tests.id('customer_a'), 'customer', 'change_of_plans') returning id as cx_a \gset
insert into public.booking_cancellations (booking_id, cancelled_by, actor_role, reason_code)
  values (:'bk_b', tests.id('customer_b'), 'customer', 'change_of_plans') returning id as cx_b \gset

insert into public.service_execution_log (booking_id, booking_item_id, therapist_id, service_id, recorded_by)
  values (:'bk_a1', :'item_a', :'therapist_a_id', :'swd', tests.id('therapist_a')) returning id as log_a \gset
insert into public.service_execution_log (booking_id, booking_item_id, therapist_id, service_id, recorded_by)
  values (:'bk_b', :'item_b', :'therapist_b_id', :'swd', tests.id('therapist_b')) returning id as log_b \gset

insert into public.reviews (booking_id, customer_id, service_id, overall_rating, review_text, status)
  values (:'bk_a_done1', tests.id('customer_a'), :'swd', 4, 'Good, a little rushed', 'pending') returning id as rev_a_pending \gset
insert into public.reviews (booking_id, customer_id, service_id, overall_rating, review_text, status)
  values (:'bk_a_done2', tests.id('customer_a'), :'swd', 5, 'Wonderful', 'approved') returning id as rev_a_ok \gset
insert into public.reviews (booking_id, customer_id, service_id, overall_rating, review_text, status)
  values (:'bk_b_done', tests.id('customer_b'), :'swd', 3, 'Fine', 'approved') returning id as rev_b_ok \gset
insert into public.service_reviews (review_id, service_id, rating) values (:'rev_a_pending', :'swd', 4) returning id as sr_a_pending \gset
insert into public.service_reviews (review_id, service_id, rating) values (:'rev_a_ok', :'swd', 5) returning id as sr_a_ok \gset
insert into public.service_reviews (review_id, service_id, rating) values (:'rev_b_ok', :'swd', 3) returning id as sr_b_ok \gset

-- Payments and finance.
insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount, total_amount,
                             payment_method, payment_gateway_id, status, payment_date)
  values ('TXN-TEST-A', :'bk_a1', tests.id('customer_a'), tests.id('vendor_a'), 249900, 12495, 262395, 'upi', :'razorpay', 'success', now())
  returning id as pay_a \gset
insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount, total_amount,
                             payment_method, payment_gateway_id, status, payment_date)
  values ('TXN-TEST-B', :'bk_b', tests.id('customer_b'), tests.id('vendor_b'), 249900, 12495, 262395, 'upi', :'razorpay', 'success', now())
  returning id as pay_b \gset

insert into public.refunds (payment_id, amount, reason) values (:'pay_a', 1000, 'Late start') returning id as ref_a \gset
insert into public.refunds (payment_id, amount, reason) values (:'pay_b', 1000, 'Late start') returning id as ref_b \gset

insert into public.payment_methods (user_id, gateway_id, method_type, upi_vpa, gateway_token)
  values (tests.id('customer_a'), :'razorpay', 'upi', 'custa@okhdfcbank', 'tok_test_a') returning id as pm_a \gset
insert into public.payment_methods (user_id, gateway_id, method_type, upi_vpa, gateway_token)
  values (tests.id('customer_b'), :'razorpay', 'upi', 'custb@okicici', 'tok_test_b') returning id as pm_b \gset

insert into public.payment_settlements (vendor_id, settlement_period_start, settlement_period_end, total_bookings, gross_amount,
                                        commission_amount, net_settlement_amount)
  values (tests.id('vendor_a'), current_date - 7, current_date - 1, 1, 249900, 37485, 212415) returning id as set_a \gset
insert into public.payment_settlements (vendor_id, settlement_period_start, settlement_period_end, total_bookings, gross_amount,
                                        commission_amount, net_settlement_amount)
  values (tests.id('vendor_b'), current_date - 7, current_date - 1, 1, 249900, 37485, 212415) returning id as set_b \gset

insert into public.invoices (invoice_number, financial_year, booking_id, payment_id, customer_id, vendor_id, recipient_name,
                             place_of_supply_state_id, place_of_supply_code, taxable_value, total_amount, status)
  values ('T-A-0001', 'FY2025-26', :'bk_a1', :'pay_a', tests.id('customer_a'), tests.id('vendor_a'), 'Customer A',
          (select id from public.states where code = 'IN-KA'), '29', 249900, 249900, 'issued')
  returning id as inv_a \gset
insert into public.invoices (invoice_number, financial_year, booking_id, customer_id, vendor_id, recipient_name,
                             place_of_supply_state_id, place_of_supply_code, taxable_value, total_amount)
  values ('T-A-0002', 'FY2025-26', :'bk_a2', tests.id('customer_a'), tests.id('vendor_a'), 'Customer A',
          (select id from public.states where code = 'IN-KA'), '29', 249900, 249900)
  returning id as inv_draft \gset
insert into public.invoices (invoice_number, financial_year, booking_id, payment_id, customer_id, vendor_id, recipient_name,
                             place_of_supply_state_id, place_of_supply_code, taxable_value, total_amount, status)
  values ('T-B-0001', 'FY2025-26', :'bk_b', :'pay_b', tests.id('customer_b'), tests.id('vendor_b'), 'Customer B',
          (select id from public.states where code = 'IN-MH'), '27', 249900, 249900, 'issued')
  returning id as inv_b \gset

insert into public.tax_records (tax_type, section, return_type, period_start, period_end, financial_year, vendor_id, taxable_amount, tax_amount)
  values ('tds', '194-O', '26Q', current_date - 30, current_date - 1, 'FY2025-26', tests.id('vendor_a'), 249900, 2499)
  returning id as tax_a \gset
insert into public.tax_records (tax_type, section, return_type, period_start, period_end, financial_year, vendor_id, taxable_amount, tax_amount)
  values ('tds', '194-O', '26Q', current_date - 30, current_date - 1, 'FY2025-26', tests.id('vendor_b'), 249900, 2499)
  returning id as tax_b \gset

insert into public.commission_rules (code, name, scope, vendor_id, rate, effective_from)
  values ('test_vendor_a', 'Vendor A negotiated', 'vendor', tests.id('vendor_a'), 12, current_date) returning id as rule_a \gset
select id as rule_platform from public.commission_rules where code = 'platform_default' \gset

insert into public.commission_records (booking_id, payment_id, vendor_id, commission_rate, gross_amount, commission_amount, net_to_vendor)
  values (:'bk_a1', :'pay_a', tests.id('vendor_a'), 15, 249900, 37485, 212415) returning id as cr_a \gset
insert into public.commission_records (booking_id, payment_id, vendor_id, commission_rate, gross_amount, commission_amount, net_to_vendor)
  values (:'bk_b', :'pay_b', tests.id('vendor_b'), 15, 249900, 37485, 212415) returning id as cr_b \gset

insert into public.expense_categories (code, name) values ('test_misc', 'Test miscellany') returning id as ecat_x \gset
insert into public.expenses (employee_id, category_id, title, expense_date, amount, status, submitted_at)
  values (tests.id('employee'), :'travel', 'Cab to vendor audit', current_date - 2, 50000, 'submitted', now()) returning id as exp_emp \gset
insert into public.expenses (employee_id, category_id, title, expense_date, amount)
  values (tests.id('hr_department'), :'travel', 'Campus hiring travel', current_date - 3, 80000) returning id as exp_hr \gset

insert into public.budget_allocations (department_id, expense_category_id, fiscal_year, quarter, allocated_amount)
  values ((select id from public.departments where code = 'finance'), :'travel', 'FY2025-26', 1, 10000000) returning id as budget \gset
insert into public.financial_reports (report_type, title, period_start, period_end)
  values ('gst_summary', 'GST summary (test)', current_date - 30, current_date - 1) returning id as report \gset

insert into public.wallet_transactions (user_id, transaction_type, amount, source)
  values (tests.id('customer_a'), 'credit', 5000, 'cashback') returning id as wallet_a \gset
insert into public.wallet_transactions (user_id, transaction_type, amount, source)
  values (tests.id('customer_b'), 'credit', 5000, 'cashback') returning id as wallet_b \gset

-- The matrix ---------------------------------------------------------------------------------

-- Rows tried: a tag, the table and the filter that picks the row.
create temporary table target (tag text primary key, tbl text not null, filter text not null);
insert into target values
  ('live category', 'public.service_categories', format('id = %L', :'cat_x')),
  ('hidden category', 'public.service_categories', format('id = %L', :'cat_off')),
  ('live service SWD', 'public.services', format('id = %L', :'swd')),
  ('retired service', 'public.services', format('id = %L', :'svc_off')),
  ('live variant', 'public.service_variants', format('id = %L', :'var_x')),
  ('variant of retired service', 'public.service_variants', format('id = %L', :'var_off')),
  ('pricing tier', 'public.service_pricing_tiers', format('id = %L', :'tier_x')),
  ('add-on', 'public.addon_services', format('id = %L', :'add_x')),
  ('package', 'public.service_packages', format('id = %L', :'pkg_x')),
  ('live tag', 'public.service_tags', format('id = %L', :'tag_x')),
  ('hidden tag', 'public.service_tags', format('id = %L', :'tag_off')),
  ('tag mapping', 'public.service_tag_mapping', format('service_id = %L and tag_id = %L', :'swd', :'tag_x')),
  ('hidden tag mapping', 'public.service_tag_mapping', format('service_id = %L and tag_id = %L', :'swd', :'tag_off')),
  ('popular service', 'public.popular_services', format('id = %L', :'pop_x')),
  ('availability', 'public.service_availability', format('id = %L', :'av_x')),
  ('inactive availability', 'public.service_availability', format('id = %L', :'av_off')),
  ('booking A1 (assigned)', 'public.bookings', format('id = %L', :'bk_a1')),
  ('booking A2 (unassigned)', 'public.bookings', format('id = %L', :'bk_a2')),
  ('booking B', 'public.bookings', format('id = %L', :'bk_b')),
  ('items of A1', 'public.booking_items', format('booking_id = %L', :'bk_a1')),
  ('items of B', 'public.booking_items', format('booking_id = %L', :'bk_b')),
  ('customer note A1', 'public.booking_notes', format('id = %L', :'note_cust')),
  ('vendor note A1', 'public.booking_notes', format('id = %L', :'note_vend')),
  ('internal note A1', 'public.booking_notes', format('id = %L', :'note_int')),
  ('customer note B', 'public.booking_notes', format('id = %L', :'note_b')),
  ('photo A1', 'public.booking_photos', format('id = %L', :'photo_a')),
  ('photo B', 'public.booking_photos', format('id = %L', :'photo_b')),
  ('reschedule A1', 'public.booking_reschedules', format('id = %L', :'resch_a')),
  ('reschedule B', 'public.booking_reschedules', format('id = %L', :'resch_b')),
  ('cancellation A2', 'public.booking_cancellations', format('id = %L', :'cx_a')),
  ('cancellation B', 'public.booking_cancellations', format('id = %L', :'cx_b')),
  ('history of A1', 'public.booking_status_history', format('booking_id = %L', :'bk_a1')),
  ('history of B', 'public.booking_status_history', format('booking_id = %L', :'bk_b')),
  ('execution A1', 'public.service_execution_log', format('id = %L', :'log_a')),
  ('execution B', 'public.service_execution_log', format('id = %L', :'log_b')),
  ('pending review A', 'public.reviews', format('id = %L', :'rev_a_pending')),
  ('approved review A', 'public.reviews', format('id = %L', :'rev_a_ok')),
  ('approved review B', 'public.reviews', format('id = %L', :'rev_b_ok')),
  ('rating in pending review A', 'public.service_reviews', format('id = %L', :'sr_a_pending')),
  ('rating in approved review A', 'public.service_reviews', format('id = %L', :'sr_a_ok')),
  ('payment A', 'public.payments', format('id = %L', :'pay_a')),
  ('payment B', 'public.payments', format('id = %L', :'pay_b')),
  ('razorpay gateway', 'public.payment_gateways', 'code = ''razorpay'''),
  ('saved method A', 'public.payment_methods', format('id = %L', :'pm_a')),
  ('saved method B', 'public.payment_methods', format('id = %L', :'pm_b')),
  ('settlement A', 'public.payment_settlements', format('id = %L', :'set_a')),
  ('settlement B', 'public.payment_settlements', format('id = %L', :'set_b')),
  ('refund A', 'public.refunds', format('id = %L', :'ref_a')),
  ('refund B', 'public.refunds', format('id = %L', :'ref_b')),
  ('issued invoice A', 'public.invoices', format('id = %L', :'inv_a')),
  ('draft invoice A', 'public.invoices', format('id = %L', :'inv_draft')),
  ('issued invoice B', 'public.invoices', format('id = %L', :'inv_b')),
  ('TDS of vendor A', 'public.tax_records', format('id = %L', :'tax_a')),
  ('TDS of vendor B', 'public.tax_records', format('id = %L', :'tax_b')),
  ('rule of vendor A', 'public.commission_rules', format('id = %L', :'rule_a')),
  ('platform rule', 'public.commission_rules', format('id = %L', :'rule_platform')),
  ('commission line A', 'public.commission_records', format('id = %L', :'cr_a')),
  ('commission line B', 'public.commission_records', format('id = %L', :'cr_b')),
  ('expense category', 'public.expense_categories', format('id = %L', :'ecat_x')),
  ('submitted claim of employee', 'public.expenses', format('id = %L', :'exp_emp')),
  ('draft claim of hr', 'public.expenses', format('id = %L', :'exp_hr')),
  ('finance budget', 'public.budget_allocations', format('id = %L', :'budget')),
  ('GST report', 'public.financial_reports', format('id = %L', :'report')),
  ('wallet of A', 'public.wallet_transactions', format('id = %L', :'wallet_a')),
  ('wallet of B', 'public.wallet_transactions', format('id = %L', :'wallet_b'));

-- Every persona, in the order of the codes below.
create temporary table persona_order (persona text primary key, ord integer not null unique);
insert into persona_order
select persona, ord
  from unnest(array['anon', 'customer_a', 'customer_b', 'vendor_a', 'vendor_b', 'staff_a', 'therapist_a', 'therapist_b',
                    'employee', 'super_admin', 'directors', 'admin', 'finance_department', 'accounts_department',
                    'hr_department', 'staff_department', 'marketing_department', 'customer_data', 'customer_care',
                    'fo_department', 'legal_department', 'advocate', 'ca_cs', 'it_department', 'vendor_list'])
       with ordinality as x (persona, ord);

-- What each persona may do to each row, for every persona and every row: four characters per
-- persona, for select, insert (a copy of the row), update (every column the role may update)
-- and delete; a capital where the command is allowed, '-' where it is denied (42501, or no
-- row visible), a small letter where privileges and policies let it through but a constraint
-- or a trigger's rule stops it (an error 23xxx). Personas: anon, cu_a/cu_b customer_a/b,
-- ve_a/ve_b vendor_a/b, st_a staff_a (vendor A's receptionist, bookings.view only), th_a/th_b
-- therapist_a/b, empl employee (reports to staff_department), supa super_admin, dire directors,
-- admn admin, fina finance, acct accounts, hr, stfd staff, mktg marketing, cdat customer_data,
-- care customer_care, fo front office, legl legal, advo advocate, cacs ca_cs, it, vlst
-- vendor_list (the departments' personas are their heads, *_department).
create temporary table expect (tag text primary key references target, codes text not null);
insert into expect values
  -- Catalogue: public reads, admin writes, only super_admin deletes.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('live category',                'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('hidden category',              '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  ('live service SWD',             'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIU- S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('retired service',              '---- ---- ---- ---- ---- ---- ---- ---- ---- SIU- S--- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  ('live variant',                 'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('variant of retired service',   '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  ('pricing tier',                 'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('add-on',                       'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('package',                      'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('live tag',                     'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('hidden tag',                   '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  ('tag mapping',                  'S--- S--- S--- S--- S--- S--- S--- S--- S--- SI-D S--- SI-D S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('hidden tag mapping',           '---- ---- ---- ---- ---- ---- ---- ---- ---- SI-D S--- SI-D ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  ('popular service',              'S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('availability',                 'S--- S--- S--- S--- S--- S--- S--- S--- S--- SIUD S--- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('inactive availability',        '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- S---'),
  -- Bookings: parties, care/front office/finance read; customer edits pending, vendor manages.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('booking A1 (assigned)',        '---- S-U- ---- S-U- ---- S--- S--- ---- ---- S-U- S--- S-U- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('booking A2 (unassigned)',      '---- S-U- ---- S-U- ---- S--- ---- ---- ---- S-U- S--- S-U- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('booking B',                    '---- ---- S-U- ---- S-U- ---- ---- ---- ---- S-U- S--- S-U- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('items of A1',                  '---- S--- ---- S--- ---- S--- S--- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('items of B',                   '---- ---- S--- ---- S--- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('customer note A1',             '---- S-UD ---- S--- ---- S--- S--- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('vendor note A1',               '---- ---- ---- S-UD ---- S--- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('internal note A1',             '---- ---- ---- ---- ---- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S-UD S--- ---- ---- ---- ---- ----'),
  ('customer note B',              '---- ---- S-UD ---- S--- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('photo A1',                     '---- S-U- ---- S--- ---- S--- S-U- ---- ---- S--- S--- S--- ---- ---- ---- ---- ---- ---- S--- ---- ---- ---- ---- ---- ----'),
  ('photo B',                      '---- ---- S-U- ---- S--- ---- ---- S-U- ---- S--- S--- S--- ---- ---- ---- ---- ---- ---- S--- ---- ---- ---- ---- ---- ----'),
  ('reschedule A1',                '---- S-U- ---- S-U- ---- S--- S--- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('reschedule B',                 '---- ---- S-U- ---- S-U- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('cancellation A2',              '---- S--- ---- S--- ---- S--- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('cancellation B',               '---- ---- S--- ---- S--- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('history of A1',                '---- S--- ---- S--- ---- S--- S--- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('history of B',                 '---- ---- S--- ---- S--- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  -- Execution log and reviews.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('execution A1',                 '---- ---- ---- S-U- ---- S--- S-U- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('execution B',                  '---- ---- ---- ---- S-U- ---- ---- ---- ---- S--- S--- S--- S--- ---- ---- ---- ---- ---- S--- S--- ---- ---- ---- ---- ----'),
  ('pending review A',             '---- S-U- ---- S-U- ---- ---- ---- ---- ---- S-U- S--- S-U- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('approved review A',            'S--- S--- S--- S-U- S--- S--- S--- S--- S--- S-U- S--- S-U- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('approved review B',            'S--- S--- S--- S--- S-U- S--- S--- S--- S--- S-U- S--- S-U- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('rating in pending review A',   '---- S-U- ---- S--- ---- ---- ---- ---- ---- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('rating in approved review A',  'S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  -- Payments and finance.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('payment A',                    '---- S--- ---- S--- ---- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('payment B',                    '---- ---- S--- ---- S--- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('razorpay gateway',             '---- ---- ---- ---- ---- ---- ---- ---- ---- S-U- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- S-U- ----'),
  ('saved method A',               '---- S-UD ---- ---- ---- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('saved method B',               '---- ---- S-UD ---- ---- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('settlement A',                 '---- ---- ---- S--- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('settlement B',                 '---- ---- ---- ---- S--- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('refund A',                     '---- S--- ---- ---- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('refund B',                     '---- ---- S--- ---- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('issued invoice A',             '---- S--- ---- S--- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('draft invoice A',              '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('issued invoice B',             '---- ---- S--- ---- S--- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('TDS of vendor A',              '---- ---- ---- S--- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- SIU- ---- ----'),
  ('TDS of vendor B',              '---- ---- ---- ---- S--- ---- ---- ---- ---- SIUD S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- SIU- ---- ----'),
  ('rule of vendor A',             '---- ---- ---- S--- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('platform rule',                '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('commission line A',            '---- ---- ---- S--- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('commission line B',            '---- ---- ---- ---- S--- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  -- Expenses, budgets, reports: employees claim, managers approve, finance processes.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('expense category',             '---- ---- ---- ---- ---- ---- ---- ---- S--- SIUD S--- S--- SIU- SIU- S--- S--- S--- S--- S--- S--- S--- S--- S--- S--- S---'),
  ('submitted claim of employee',  '---- ---- ---- ---- ---- ---- ---- ---- SIU- SIU- S-U- S--- SIU- SIU- ---- S-U- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('draft claim of hr',            '---- ---- ---- ---- ---- ---- ---- ---- ---- SIU- S--- S--- SIU- SIU- SIUD ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('finance budget',               '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('GST report',                   '---- ---- ---- ---- ---- ---- ---- ---- ---- SIUD S--- S--- SIU- S--- ---- ---- ---- ---- ---- ---- ---- ---- S--- ---- ----'),
  -- Wallet: the owner and finance read; nobody writes through the API.
  --                                anon cu_a cu_b ve_a ve_b st_a th_a th_b empl supa dire admn fina acct hr   stfd mktg cdat care fo   legl advo cacs it   vlst
  ('wallet of A',                  '---- S--- ---- ---- ---- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----'),
  ('wallet of B',                  '---- ---- S--- ---- ---- ---- ---- ---- ---- S--- S--- S--- S--- S--- ---- ---- ---- ---- ---- ---- ---- ---- ---- ---- ----');

-- One verdict per persona, row and command: a wrong cell fails on its own, named.
select is(
  case when c.verdict like 'error 23%' and c.want = 'stopped by a constraint' then c.want else c.verdict end,
  c.want,
  format('%s %s %s (%s)', c.persona, c.command, c.tbl, c.tag)
)
  from (
    select t.tag, t.tbl, p.persona, cmd.command, p.ord, cmd.n,
           case substr(split_part(e.codes, ' ', p.ord), cmd.n, 1)
             when '-' then 'denied'
             when upper(substr(cmd.command, 1, 1)) then 'allowed'
             when substr(cmd.command, 1, 1) then 'stopped by a constraint'
             else 'no expectation: ' || coalesce(split_part(e.codes, ' ', p.ord), 'no grid line')
           end as want,
           tests.attempt(p.persona, cmd.command, t.tbl::regclass, t.filter) as verdict
      from target t
      left join expect e using (tag)
     cross join persona_order p
     cross join (values ('select', 1), ('insert', 2), ('update', 3), ('delete', 4)) as cmd (command, n)
  ) c
 order by c.tbl, c.tag, c.ord, c.n;

-- Coverage -----------------------------------------------------------------------------------

select is(
  (select count(*)::int from pg_class c
    where c.oid = any (array[
      'public.service_categories', 'public.services', 'public.service_variants', 'public.service_pricing_tiers',
      'public.addon_services', 'public.service_packages', 'public.service_tags', 'public.service_tag_mapping',
      'public.popular_services', 'public.service_availability', 'public.service_execution_log', 'public.reviews',
      'public.service_reviews', 'public.bookings', 'public.booking_items', 'public.booking_notes', 'public.booking_photos',
      'public.booking_reschedules', 'public.booking_cancellations', 'public.booking_status_history', 'public.payments',
      'public.payment_gateways', 'public.payment_methods', 'public.payment_settlements', 'public.refunds',
      'public.invoices', 'public.tax_records', 'public.commission_rules', 'public.commission_records',
      'public.expense_categories', 'public.expenses', 'public.budget_allocations', 'public.financial_reports',
      'public.wallet_transactions']::regclass[])
      and c.relrowsecurity
      and exists (select 1 from pg_policy p where p.polrelid = c.oid)),
  34, 'all 34 tables have row-level security on and at least one policy'
);
select is(
  (select array_agg(t.tag order by t.tag) from target t where not exists (select 1 from expect e where e.tag = t.tag)),
  null, 'every fixture row has its line in the matrix'
);
select is(
  (select array_agg(e.tag order by e.tag) from expect e
    where e.codes !~ ('^[Ss-][Ii-][Uu-][Dd-]( [Ss-][Ii-][Uu-][Dd-]){' || (select count(*) - 1 from persona_order) || '}$')),
  null, 'every line of the matrix has four well-formed characters for each persona'
);
select set_eq(
  'select persona from persona_order', 'select name from tests.personas',
  'the matrix covers every persona'
);
select is(
  (select array_agg(distinct table_name::text order by table_name::text)
     from information_schema.role_table_grants
    where grantee = 'anon' and table_schema = 'public'
      and table_name in (select split_part(tbl, '.', 2) from target)),
  array['addon_services', 'popular_services', 'reviews', 'service_availability', 'service_categories',
        'service_packages', 'service_pricing_tiers', 'service_reviews', 'service_tag_mapping', 'service_tags',
        'service_variants', 'services'],
  'anon is granted only the public catalogue and reviews'
);
select is(
  (select array_agg(distinct privilege_type::text order by privilege_type::text)
     from information_schema.role_table_grants
    where grantee = 'anon' and table_schema = 'public' and table_name in (select split_part(tbl, '.', 2) from target)),
  array['SELECT'], 'anon may only select'
);
select is(
  (select count(*)::int from information_schema.role_table_grants
    where grantee = 'authenticated' and table_schema = 'public'
      and table_name in (select split_part(tbl, '.', 2) from target)
      and privilege_type in ('TRUNCATE', 'REFERENCES', 'TRIGGER')),
  0, 'authenticated has no truncate, references or trigger privilege on these tables'
);
select is(
  (select count(*)::int from pg_policy p
    where p.polrelid in (select tbl::regclass from target) and p.polcmd = '*'),
  0, 'no policy is written for all commands'
);
select is(
  (select count(*)::int from pg_policy p
    where p.polrelid in (select tbl::regclass from target) and p.polcmd in ('a', 'w') and p.polwithcheck is null),
  0, 'every insert and update policy has a with check'
);

-- Realtime streams bookings to whoever its select policies let read the row. The reviewed
-- policies are merged into one per role and command (V30); each merged policy names them. The
-- select policy is split by the signed-in roles (V24): authenticated reads its own, partner
-- adds assigned therapists and vendors, staff the departments.
select policies_are('public', 'bookings',
  array['authenticated select', 'authenticated update', 'partner select', 'staff select'],
  'bookings has one select policy per signed-in role, one update policy, and none for anon');
select is(
  (select array_agg(polroles::regrole[]::text || ' ' || coalesce(obj_description(oid, 'pg_policy'), '') order by polname)
     from pg_policy where polrelid = 'public.bookings'::regclass and polcmd = 'r'),
  array['{authenticated} ',
        '{partner} Merges: therapists read bookings they are assigned to; vendors read their bookings',
        '{staff} '],
  'bookings select: customer (every role), assigned therapist and vendor (partner), departments holding bookings.read (staff)'
);
select is(
  (select obj_description(oid, 'pg_policy') from pg_policy where polrelid = 'public.bookings'::regclass and polcmd = 'w'),
  'Merges: customers edit instructions of their pending bookings; operations update bookings; '
    || 'vendors with bookings.manage move their bookings along',
  'bookings update: customer instructions, vendor moves, operations'
);

-- Attacks: bookings --------------------------------------------------------------------------

select is(tests.attempt('customer_a', 'select', 'public.bookings', format('customer_id = %L', tests.id('customer_b'))), 'denied',
  'customer_a sees none of customer_b''s bookings');
select is(tests.attempt('customer_a', 'select', 'public.bookings', 'true'), 'allowed', 'customer_a lists bookings (their own)');
select tests.act_as('customer_a');
select count(*) as bookings_seen_by_a, count(*) filter (where customer_id <> tests.id('customer_a')) as others_seen_by_a
  from public.bookings \gset
select tests.clear_authentication();
select is(:bookings_seen_by_a::int, 5, 'customer_a''s unfiltered list holds their five bookings');
select is(:others_seen_by_a::int, 0, 'and no one else''s');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.bookings (customer_id, vendor_id, booking_type, service_location, scheduled_start, scheduled_end)
    values (%L, %L, 'spa_visit', '{}', now() + interval '2 days', now() + interval '2 days 1 hour')$$,
  tests.id('customer_b'), tests.id('vendor_a'))), 'refused', 'customer_a cannot book in customer_b''s name');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.bookings (customer_id, vendor_id, booking_type, service_location, scheduled_start, scheduled_end, total_amount)
    values (%L, %L, 'spa_visit', '{}', now() + interval '2 days', now() + interval '2 days 1 hour', 0)$$,
  tests.id('customer_a'), tests.id('vendor_a'))), 'refused', 'customer_a cannot insert even their own booking: the booking service prices it');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set special_instructions = 'Knee injury, avoid legs' where id = %L$$, :'bk_a1')),
  'allowed', 'customer_a edits the instructions of their pending booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set special_instructions = 'hi' where id = %L$$, :'bk_b')),
  'no rows', 'customer_a cannot edit customer_b''s booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set special_instructions = 'late' where id = %L$$, :'bk_a_done1')),
  'no rows', 'customer_a cannot edit a booking that is no longer pending');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set status = 'cancelled', cancellation_reason = 'changed mind' where id = %L$$, :'bk_a1')),
  'refused', 'customer_a cannot change the status of their booking directly (the service cancels)');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'refused', 'customer_a cannot confirm their own booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.bookings set total_amount = 0, subtotal = 0, tax_amount = 0 where id = %L$$, :'bk_a1')),
  'refused', 'customer_a cannot rewrite the price of their booking');
select is(tests.attempt('vendor_a', 'select', 'public.bookings', format('vendor_id = %L', tests.id('vendor_b'))), 'denied',
  'vendor_a sees none of vendor_b''s bookings');
select is(tests.attempt_statement('staff_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'no rows', 'a receptionist with only bookings.view cannot confirm a booking');
select is(tests.attempt_statement('staff_a', format($$update public.bookings set status = 'cancelled', cancellation_reason = 'x' where id = %L$$, :'bk_a1')),
  'no rows', 'a receptionist with only bookings.view cannot cancel a booking');
select is(tests.attempt('staff_a', 'select', 'public.bookings', format('id = %L', :'bk_a1')), 'allowed',
  'the receptionist can still read the booking');
select is(tests.attempt_statement('vendor_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'allowed', 'vendor_a confirms its pending booking');
select is(tests.attempt_statement('vendor_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_b')),
  'no rows', 'vendor_a cannot confirm vendor_b''s booking');
select is(tests.attempt_statement('vendor_a', format($$update public.bookings set special_instructions = 'x' where id = %L$$, :'bk_a1')),
  'refused', 'vendor_a cannot rewrite the customer''s instructions');
select is(tests.attempt_statement('vendor_a', format($$update public.bookings set status = 'pending' where id = %L$$, :'bk_a_done1')),
  'error 23514: booking ' || (select booking_number from public.bookings where id = :'bk_a_done1') || ': status cannot change from completed to pending',
  'vendor_a cannot reopen a completed booking (lifecycle trigger)');
select is(tests.attempt_statement('customer_care', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'no rows', 'customer care reads bookings but cannot change them');
select is(tests.attempt('therapist_a', 'select', 'public.bookings', format('id = %L', :'bk_a2')), 'denied',
  'therapist_a cannot read a booking of their vendor they are not assigned to');
select is(tests.attempt('therapist_a', 'select', 'public.bookings', format('id = %L', :'bk_a1')), 'allowed',
  'therapist_a reads the booking they are assigned to');
select is(tests.attempt_statement('therapist_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'no rows', 'therapist_a cannot move the booking''s status through bookings');
select is((select status from public.bookings where id = :'bk_a1'), 'pending', 'after all attempts booking A1 is still pending');
select is((select total_amount from public.bookings where id = :'bk_a1'), 262395::bigint, 'and its total is unchanged');
select is(tests.attempt_statement('vendor_b', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'no rows', 'vendor_b cannot touch vendor_a''s booking');
select is(tests.attempt_statement('anon', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bk_a1')),
  'refused', 'anon cannot update bookings');

-- Attacks: notes, photos, reschedules, execution, history ---------------------------------------

select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'Gate code 1234', 'customer')$$,
  :'bk_a1', tests.id('customer_a'))), 'allowed', 'customer_a adds a note to their booking');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'internal')$$,
  :'bk_a1', tests.id('customer_a'))), 'refused', 'customer_a cannot write an internal note');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'customer')$$,
  :'bk_b', tests.id('customer_a'))), 'refused', 'customer_a cannot note customer_b''s booking');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'customer')$$,
  :'bk_a1', tests.id('customer_b'))), 'refused', 'customer_a cannot write a note in customer_b''s name');
select is(tests.attempt_statement('vendor_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'Room 3 ready', 'vendor')$$,
  :'bk_a1', tests.id('vendor_a'))), 'allowed', 'vendor_a adds a vendor note to its booking');
select is(tests.attempt_statement('vendor_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'internal')$$,
  :'bk_a1', tests.id('vendor_a'))), 'refused', 'vendor_a cannot write an internal note');
select is(tests.attempt_statement('staff_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'vendor')$$,
  :'bk_a1', tests.id('staff_a'))), 'refused', 'the receptionist (bookings.view only) cannot write notes');
select is(tests.attempt_statement('customer_care', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'Called the customer', 'internal')$$,
  :'bk_a1', tests.id('customer_care'))), 'allowed', 'customer care writes an internal note');
select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.booking_notes (booking_id, author_id, note, visibility) values (%L, %L, 'x', 'customer')$$,
  :'bk_a1', tests.id('therapist_a'))), 'refused', 'therapists do not write booking notes');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_notes set visibility = 'internal' where id = %L$$, :'note_cust')),
  'refused', 'customer_a cannot hide their note from the vendor by making it internal');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_notes set note = 'edited' where id = %L$$, :'note_vend')),
  'no rows', 'customer_a cannot edit the vendor''s note');

select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.booking_photos (booking_id, storage_path, kind, uploaded_by, consent_given, consent_at)
    values (%L, 'bk_a1/before.jpg', 'before', %L, true, now())$$, :'bk_a1', tests.id('therapist_a'))),
  'allowed', 'therapist_a adds a consented before photo to their assignment');
select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.booking_photos (booking_id, storage_path, kind, uploaded_by) values (%L, 'bk_a2/x.jpg', 'issue', %L)$$,
  :'bk_a2', tests.id('therapist_a'))), 'refused', 'therapist_a cannot add photos to a booking they are not on');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_photos (booking_id, storage_path, kind, uploaded_by) values (%L, 'bk_b/x.jpg', 'issue', %L)$$,
  :'bk_b', tests.id('customer_a'))), 'refused', 'customer_a cannot add photos to customer_b''s booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_photos set deleted_at = now() where id = %L$$, :'photo_a')),
  'allowed', 'customer_a withdraws a photo of their booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_photos set storage_path = 'elsewhere.jpg' where id = %L$$, :'photo_a')),
  'refused', 'nobody repoints a photo at another object');
select tests.act_as('customer_a');
update public.booking_photos set deleted_at = now() where id = :'photo_a';
select tests.clear_authentication();
select is(tests.attempt('vendor_a', 'select', 'public.booking_photos', format('id = %L', :'photo_a')), 'denied',
  'once withdrawn, the photo is gone for the vendor');
select is(tests.attempt('customer_a', 'select', 'public.booking_photos', format('id = %L', :'photo_a')), 'allowed',
  'the customer still sees the withdrawal');
update public.booking_photos set deleted_at = null where id = :'photo_a';

select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_reschedules (booking_id, from_scheduled_start, to_scheduled_start, requested_by, requested_by_role)
    select id, scheduled_start, scheduled_start + interval '2 days', %L, 'customer' from public.bookings where id = %L$$,
  tests.id('customer_a'), :'bk_a2')), 'allowed', 'customer_a asks to move their booking');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_reschedules (booking_id, from_scheduled_start, to_scheduled_start, requested_by, requested_by_role, fee)
    select id, scheduled_start, scheduled_start + interval '2 days', %L, 'customer', 0 from public.bookings where id = %L$$,
  tests.id('customer_a'), :'bk_a2')), 'refused', 'customer_a cannot set the reschedule fee');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.booking_reschedules (booking_id, from_scheduled_start, to_scheduled_start, requested_by, requested_by_role)
    values (%L, now(), now() + interval '1 day', %L, 'customer')$$, :'bk_b', tests.id('customer_a'))),
  'refused', 'customer_a cannot ask to move customer_b''s booking');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_reschedules set status = 'approved', decided_at = now() where id = %L$$, :'resch_a')),
  'refused', 'customer_a cannot approve their own reschedule request');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_reschedules set status = 'cancelled' where id = %L$$, :'resch_a')),
  'allowed', 'customer_a withdraws their reschedule request');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.booking_reschedules set status = 'approved', decided_by = %L, decided_at = now() where id = %L$$,
  tests.id('vendor_a'), :'resch_a')), 'allowed', 'vendor_a approves a reschedule of its booking');
select is(tests.attempt_statement('staff_a', format(
  $$update public.booking_reschedules set status = 'approved', decided_at = now() where id = %L$$, :'resch_a')),
  'no rows', 'the receptionist cannot decide reschedules');

select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.service_execution_log (booking_id, booking_item_id, therapist_id, service_id, recorded_by, pressure_level_used)
    values (%L, %L, %L, %L, %L, 3)$$, :'bk_a1', :'item_a', :'therapist_a_id', :'swd', tests.id('therapist_a'))),
  'allowed', 'therapist_a records the service they perform');
select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.service_execution_log (booking_id, booking_item_id, therapist_id, service_id, recorded_by)
    values (%L, %L, %L, %L, %L)$$, :'bk_b', :'item_b', :'therapist_a_id', :'swd', tests.id('therapist_a'))),
  'refused', 'therapist_a cannot record a service on a booking they are not assigned to');
select is(tests.attempt_statement('therapist_a', format(
  $$insert into public.service_execution_log (booking_id, booking_item_id, therapist_id, service_id, recorded_by)
    values (%L, %L, %L, %L, %L)$$, :'bk_a1', :'item_a', :'therapist_b_id', :'swd', tests.id('therapist_a'))),
  'refused', 'therapist_a cannot record in therapist_b''s name');
select is(tests.attempt_statement('therapist_a', format(
  $$update public.service_execution_log set status = 'completed', ended_at = started_at + interval '1 hour' where id = %L$$, :'log_a')),
  'allowed', 'therapist_a completes their execution entry');
select is(tests.attempt_statement('therapist_a', format(
  $$update public.service_execution_log set notes = 'x' where id = %L$$, :'log_b')),
  'no rows', 'therapist_a cannot edit therapist_b''s entry');

select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_status_history set reason = 'rewritten' where booking_id = %L$$, :'bk_a1')),
  'refused', 'customer_a cannot rewrite booking history');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.booking_status_history set to_status = 'completed' where booking_id = %L$$, :'bk_a1')),
  'refused', 'vendor_a cannot rewrite booking history');
select is(tests.attempt_statement('super_admin', format(
  $$update public.booking_status_history set reason = 'rewritten' where booking_id = %L$$, :'bk_a1')),
  'refused', 'even super_admin cannot rewrite booking history through the API');
select is(tests.attempt_statement('vendor_a', format(
  $$insert into public.booking_status_history (booking_id, to_status) values (%L, 'completed')$$, :'bk_a1')),
  'refused', 'vendor_a cannot forge a history row');
select is(tests.attempt_statement('admin', format(
  $$update public.service_tag_mapping set tag_id = %L where service_id = %L and tag_id = %L$$, :'tag_off', :'swd', :'tag_x')),
  'refused', 'tag mappings are added and removed, never updated');
select is(tests.attempt_statement('customer_a', format(
  $$update public.booking_items set price = 1, subtotal = 1 where booking_id = %L$$, :'bk_a1')),
  'refused', 'customer_a cannot reprice a booked item');
select is(tests.attempt_statement('vendor_a', format(
  $$insert into public.booking_cancellations (booking_id, actor_role, refund_due) values (%L, 'vendor', 0)$$, :'bk_a1')),
  'refused', 'cancellations (and their refunds) are priced by the booking service only');

-- Attacks: catalogue and reviews -----------------------------------------------------------------

select is(tests.attempt_statement('vendor_a', format($$update public.services set base_price_60min = 1 where id = %L$$, :'swd')),
  'no rows', 'vendor_a cannot reprice the platform catalogue although its role holds services.update');
select is(tests.attempt_statement('customer_a', $$insert into public.service_tags (slug, name) values ('spam', 'Spam')$$),
  'refused', 'customer_a cannot add catalogue tags');
select is(tests.attempt_statement('admin', format($$update public.services set base_price_60min = 259900 where id = %L$$, :'swd')),
  'allowed', 'admin (services.update) maintains the catalogue');
select is(tests.attempt_statement('anon', format($$update public.services set is_active = false where id = %L$$, :'swd')),
  'refused', 'anon cannot touch the catalogue');

select is(tests.attempt_statement('customer_a', format(
  $$insert into public.reviews (booking_id, customer_id, overall_rating, review_text) values (%L, %L, 5, 'Lovely')$$,
  :'bk_a_done3', tests.id('customer_a'))), 'allowed', 'customer_a reviews their completed booking');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.reviews (booking_id, customer_id, overall_rating, status) values (%L, %L, 5, 'approved')$$,
  :'bk_a_done3', tests.id('customer_a'))), 'refused', 'customer_a cannot publish their own review');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.reviews (booking_id, customer_id, overall_rating) values (%L, %L, 1)$$,
  :'bk_b_done', tests.id('customer_b'))), 'refused', 'customer_a cannot review in customer_b''s name');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.reviews (booking_id, customer_id, overall_rating) values (%L, %L, 1)$$,
  :'bk_a1', tests.id('customer_a'))), 'error 23514: review of booking ' || (select booking_number from public.bookings where id = :'bk_a1')
  || ': the booking is pending, not completed', 'customer_a cannot review a booking that has not happened');
select is(tests.attempt_statement('customer_a', format(
  $$update public.reviews set review_text = 'Great, on reflection' where id = %L$$, :'rev_a_pending')),
  'allowed', 'customer_a edits their pending review');
select is(tests.attempt_statement('customer_a', format(
  $$update public.reviews set status = 'approved' where id = %L$$, :'rev_a_pending')),
  'refused', 'customer_a cannot approve their own review');
select is(tests.attempt_statement('customer_a', format(
  $$update public.reviews set vendor_response = 'Thanks!' where id = %L$$, :'rev_a_pending')),
  'refused', 'customer_a cannot write the vendor''s reply');
select is(tests.attempt_statement('customer_a', format(
  $$update public.reviews set review_text = 'changed after approval' where id = %L$$, :'rev_a_ok')),
  'no rows', 'customer_a cannot edit a review once it is approved');
select is(tests.attempt_statement('customer_a', format(
  $$update public.reviews set helpful_count = 999 where id = %L$$, :'rev_a_pending')),
  'refused', 'customer_a cannot inflate helpful votes');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.reviews set vendor_response = 'Thank you for visiting' where id = %L$$, :'rev_a_ok')),
  'allowed', 'vendor_a replies to a review of its business');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.reviews set review_text = 'Best spa ever' where id = %L$$, :'rev_a_ok')),
  'refused', 'vendor_a cannot rewrite the customer''s review');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.reviews set status = 'rejected', moderation_notes = 'x' where id = %L$$, :'rev_a_ok')),
  'refused', 'vendor_a cannot take down a review');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.reviews set vendor_response = 'Come to us instead' where id = %L$$, :'rev_b_ok')),
  'no rows', 'vendor_a cannot reply to reviews of vendor_b');
select is(tests.attempt_statement('staff_a', format(
  $$update public.reviews set vendor_response = 'x' where id = %L$$, :'rev_a_ok')),
  'no rows', 'the receptionist (no reviews.manage) cannot reply');
select is(tests.attempt_statement('admin', format(
  $$update public.reviews set status = 'approved' where id = %L$$, :'rev_a_pending')),
  'allowed', 'admin (reviews.approve) moderates a review');
select tests.act_as('admin');
update public.reviews set status = 'approved' where id = :'rev_a_pending';
select tests.clear_authentication();
select is((select moderated_by from public.reviews where id = :'rev_a_pending'), tests.id('admin'),
  'moderation records the moderator, not a value the client chose');
update public.reviews set status = 'pending', moderated_by = null, moderated_at = null where id = :'rev_a_pending';
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.service_reviews (review_id, service_id, rating) values (%L, (select id from public.services where code = 'HSM'), 4)$$,
  :'rev_a_pending')), 'allowed', 'customer_a rates another service in their pending review');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.service_reviews (review_id, service_id, rating) values (%L, (select id from public.services where code = 'HSM'), 1)$$,
  :'rev_b_ok')), 'refused', 'customer_a cannot add ratings to customer_b''s review');

-- Attacks: payments and money --------------------------------------------------------------------

select is(tests.attempt('customer_a', 'select', 'public.payments', format('customer_id = %L', tests.id('customer_b'))), 'denied',
  'customer_a sees none of customer_b''s payments');
select is(tests.attempt_statement('customer_a', format($$update public.payments set amount = 1, total_amount = 1 where id = %L$$, :'pay_a')),
  'refused', 'customer_a cannot change the amount of their payment');
select is(tests.attempt_statement('customer_a', format($$update public.payments set status = 'refunded' where id = %L$$, :'pay_a')),
  'refused', 'customer_a cannot change the status of their payment');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.payments (id, transaction_id, booking_id, customer_id, vendor_id, amount, total_amount, payment_method, status)
    values (%L, 'TXN-TEST-A', %L, %L, %L, 1, 1, 'cash', 'success')
    on conflict (id) do update set amount = excluded.amount, total_amount = excluded.total_amount, status = 'success'$$,
  :'pay_a', :'bk_a1', tests.id('customer_a'), tests.id('vendor_a'))),
  'refused', 'customer_a cannot rewrite their payment through an upsert');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, total_amount, payment_method, status, payment_date)
    values ('TXN-FORGED', %L, %L, %L, 262395, 262395, 'cash', 'success', now())$$,
  :'bk_a2', tests.id('customer_a'), tests.id('vendor_a'))),
  'refused', 'customer_a cannot record a payment they did not make');
select is(tests.attempt_statement('vendor_a', format($$update public.payments set status = 'success' where id = %L$$, :'pay_a')),
  'refused', 'vendor_a cannot mark payments paid');
select is(tests.attempt_statement('finance_department', format($$update public.payments set amount = 1 where id = %L$$, :'pay_a')),
  'refused', 'even finance changes payments only through refunds and the payment service');
select results_eq(
  format($$select amount, total_amount, status, refund_amount from public.payments where id = %L$$, :'pay_a'),
  $$values (249900::bigint, 262395::bigint, 'success'::text, 0::bigint)$$,
  'payment A is unchanged after every attempt'
);

select is(tests.attempt_statement('customer_a', format(
  $$insert into public.refunds (payment_id, amount, reason, status) values (%L, 1000, 'I want my money', 'requested')$$, :'pay_a')),
  'refused', 'customer_a cannot refund themselves');
select is(tests.attempt_statement('accounts_department', format(
  $$update public.refunds set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
  tests.id('accounts_department'), :'ref_a')), 'refused', 'accounts (no refunds.approve) cannot approve a refund');
select is(tests.attempt_statement('finance_department', format(
  $$update public.refunds set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
  tests.id('finance_department'), :'ref_a')), 'allowed', 'finance approves a refund');
select is(tests.attempt_statement('accounts_department', format(
  $$update public.payment_settlements set status = 'processing', approved_by = %L where id = %L$$,
  tests.id('accounts_department'), :'set_a')), 'refused', 'accounts cannot approve a settlement');
select is(tests.attempt_statement('finance_department', format(
  $$update public.payment_settlements set status = 'processing', approved_by = %L where id = %L$$,
  tests.id('finance_department'), :'set_a')), 'allowed', 'finance approves a settlement');
select is(tests.attempt_statement('vendor_a', format(
  $$update public.payment_settlements set adjustment_amount = 100000, net_settlement_amount = 312415 where id = %L$$, :'set_a')),
  'no rows', 'vendor_a cannot raise its own settlement');
select is(tests.attempt_statement('accounts_department', format(
  $$update public.budget_allocations set status = 'approved', approved_by = %L where id = %L$$,
  tests.id('accounts_department'), :'budget')), 'no rows', 'accounts (budgets read only) cannot approve a budget');
select is(tests.attempt_statement('finance_department', format(
  $$update public.invoices set taxable_value = 1, total_amount = 1 where id = %L$$, :'inv_a')),
  'refused', 'an issued invoice cannot be edited, even by finance');

select is(tests.attempt_statement('customer_a', format(
  $$insert into public.payment_methods (user_id, gateway_id, method_type, upi_vpa) values (%L, %L, 'upi', 'custa@okaxis')$$,
  tests.id('customer_a'), :'razorpay')), 'allowed', 'customer_a saves a UPI id');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.payment_methods (user_id, gateway_id, method_type, upi_vpa) values (%L, %L, 'upi', 'evil@okaxis')$$,
  tests.id('customer_b'), :'razorpay')), 'refused', 'customer_a cannot save a method on customer_b''s account');
select is(tests.attempt_statement('customer_a', format($$delete from public.payment_methods where id = %L$$, :'pm_b')),
  'no rows', 'customer_a cannot remove customer_b''s saved method');
select is(tests.attempt_statement('customer_a', format($$update public.payment_methods set status = 'active', last_used_at = now() where id = %L$$, :'pm_a')),
  'refused', 'the status of a saved method is the payment service''s');
select is(tests.attempt_statement('customer_a', format($$select gateway_token from public.payment_methods where id = %L$$, :'pm_a')),
  'refused', 'not even the owner reads the gateway token of a saved card');
select is(tests.attempt_statement('finance_department', format($$select gateway_token from public.payment_methods where id = %L$$, :'pm_a')),
  'refused', 'finance does not read gateway tokens');

select is(tests.attempt_statement('customer_a', format($$update public.wallet_transactions set amount = 999999 where id = %L$$, :'wallet_a')),
  'refused', 'customer_a cannot change a wallet entry');
select is(tests.attempt_statement('customer_a', format(
  $$insert into public.wallet_transactions (user_id, transaction_type, amount, source) values (%L, 'credit', 100000, 'adjustment')$$,
  tests.id('customer_a'))), 'refused', 'customer_a cannot credit their own wallet');
select is(tests.attempt_statement('super_admin', format($$delete from public.wallet_transactions where id = %L$$, :'wallet_a')),
  'refused', 'even super_admin cannot delete a wallet entry through the API');
select is(tests.attempt_statement('finance_department', format($$update public.wallet_transactions set amount = 1 where id = %L$$, :'wallet_a')),
  'refused', 'finance cannot change a wallet entry');

-- Attacks: expenses ------------------------------------------------------------------------------

select is(tests.attempt_statement('employee', format(
  $$update public.expenses set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
  tests.id('staff_department'), :'exp_emp')), 'refused', 'an employee cannot approve their own claim');
select is(tests.attempt_statement('employee', format(
  $$insert into public.expenses (employee_id, category_id, title, expense_date, amount, status, submitted_at, approved_by, approved_at)
    values (%L, %L, 'Self-approved', current_date, 100, 'approved', now(), %L, now())$$,
  tests.id('employee'), :'travel', tests.id('staff_department'))), 'refused', 'an employee cannot file an approved claim');
select is(tests.attempt_statement('employee', format(
  $$insert into public.expenses (employee_id, category_id, title, expense_date, amount) values (%L, %L, 'For someone else', current_date, 100)$$,
  tests.id('hr_department'), :'travel')), 'refused', 'an employee cannot claim in a colleague''s name');
select is(tests.attempt_statement('staff_department', format(
  $$update public.expenses set amount = 5000000 where id = %L$$, :'exp_emp')),
  'refused', 'the manager cannot change the amount of a claim');
select is(tests.attempt_statement('hr_department', format(
  $$update public.expenses set status = 'approved' where id = %L$$, :'exp_emp')),
  'no rows', 'someone outside the reporting line cannot approve');
select is(tests.attempt_statement('staff_department', format(
  $$update public.expenses set status = 'approved' where id = %L$$, :'exp_emp')),
  'allowed', 'the claimant''s manager approves the claim');
select tests.act_as('staff_department');
update public.expenses set status = 'approved' where id = :'exp_emp';
select tests.clear_authentication();
select results_eq(
  format($$select status, approved_by from public.expenses where id = %L$$, :'exp_emp'),
  format($$values ('approved'::text, %L::uuid)$$, tests.id('staff_department')),
  'the approval records the manager as approver'
);

-- Gateway secrets --------------------------------------------------------------------------------

select is(tests.attempt_statement('customer_a', format(
  $$select public.set_payment_gateway_secrets(%L, 'rzp_secret_forged', null)$$, :'razorpay')),
  'refused', 'customer_a cannot install gateway secrets');
select is(tests.attempt_statement('finance_department', format(
  $$select public.set_payment_gateway_secrets(%L, 'rzp_secret_forged', null)$$, :'razorpay')),
  'refused', 'finance cannot install gateway secrets');
select is(tests.attempt_statement('anon', format(
  $$select public.set_payment_gateway_secrets(%L, 'rzp_secret_forged', null)$$, :'razorpay')),
  'refused', 'anon cannot call the secrets function');
select is(tests.attempt_statement('it_department', format(
  $$select public.set_payment_gateway_secrets(%L, 'rzp_live_secret_9876', 'whsec_abcd1234')$$, :'razorpay')),
  'allowed', 'IT installs the gateway secrets');
select tests.act_as('it_department');
select public.set_payment_gateway_secrets(:'razorpay', 'rzp_live_secret_9876', 'whsec_abcd1234');
select tests.clear_authentication();
select results_eq(
  format($$select secret_last4, webhook_secret_last4 from public.payment_gateways where id = %L$$, :'razorpay'),
  $$values (repeat('•', 16) || '9876', repeat('•', 10) || '1234')$$,
  'only the masked last four characters are kept beside the ciphertext'
);
select isnt(
  (select encode(secret_encrypted, 'escape') from public.payment_gateways where id = :'razorpay'), 'rzp_live_secret_9876',
  'the secret is not stored in clear'
);
select is(tests.attempt_statement(p, $$select secret_encrypted from public.payment_gateways$$), 'refused',
  format('%s cannot read the gateway API secret', p))
  from unnest(array['anon', 'customer_a', 'vendor_a', 'finance_department', 'it_department', 'directors', 'super_admin']) as p;
select is(tests.attempt_statement(p, $$select webhook_secret_encrypted from public.payment_gateways$$), 'refused',
  format('%s cannot read the gateway webhook secret', p))
  from unnest(array['finance_department', 'it_department', 'super_admin']) as p;
select is(tests.attempt_statement('it_department', $$select private.decrypt_text(secret_encrypted) from public.payment_gateways$$),
  'refused', 'IT cannot decrypt the secret either');
select is(tests.attempt_statement('it_department', $$update public.payment_gateways set secret_encrypted = null$$),
  'refused', 'IT cannot overwrite the ciphertext directly');
select tests.authenticate_as_service_role();
select private.decrypt_text(secret_encrypted) as clear_secret from public.payment_gateways where id = :'razorpay' \gset
select tests.clear_authentication();
select is(:'clear_secret'::text, 'rzp_live_secret_9876', 'service_role (the payment function) reads the secret in clear');

select * from finish();
rollback;
