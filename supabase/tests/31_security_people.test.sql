-- Security of people (V25): places, users, roles and permissions, departments and HR.
--
-- First a matrix: every table, every persona, every command, tried on real rows through
-- tests.attempt, each with the outcome the access model promises. Then the attacks the
-- model exists to stop: a customer making themselves super_admin (by update and by upsert)
-- or changing their own status, bank and KYC numbers read in clear by anyone but their owner
-- and finance or the reviewers, a revoked role or a lapsed delegation that still works, a
-- borrowed role lent on, and salaries read by colleagues or managers. Last, the catalogue:
-- RLS on, policies per command with checks, nothing for anon but reading places, no
-- ciphertext column granted.
begin;
select plan(3342);

select tests.create_personas();

-- Finance reads salaries (seeds/20_organisation.sql, added with V25); re-applied here so the
-- suite also runs on a database seeded before that grant existed.
insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
values ('finance_department', 'salaries', null, array['read', 'export']),
       ('accounts_department', 'salaries', null, array['read'])
on conflict (role_id, module_id, sub_module_id) do nothing;

-- Two more employees: one reporting to marketing (a manager without HR rights), one who
-- leaves (a row HR may delete without payroll history in the way).
insert into tests.personas values
  ('junior', tests.create_employee('junior@test.ombaro.in', 'employee', tests.id('marketing_department'))),
  ('leaver', tests.create_employee('leaver@test.ombaro.in', 'employee', tests.id('staff_department')));

-- Runs one statement as a persona and says how many rows it touched; errors propagate (to
-- throws_ok), and with them the persona's settings are undone.
create function pg_temp.run_as(persona text, sql text)
returns bigint
language plpgsql
as $$
declare
  n bigint;
begin
  perform tests.act_as(persona);
  execute sql;
  get diagnostics n = row_count;
  perform tests.clear_authentication();
  return n;
end
$$;

-- The single value a query returns, run as a persona.
create function pg_temp.value_as(persona text, sql text)
returns text
language plpgsql
as $$
declare
  v text;
begin
  perform tests.act_as(persona);
  execute sql into v;
  perform tests.clear_authentication();
  return v;
end
$$;

-- Fixtures -----------------------------------------------------------------------------------
-- Each fixture row's id is kept in tests.personas under a fx_ name, so that filters run as
-- any persona can find it with tests.id().

-- Places nothing else refers to, so that deleting them is possible.
with c as (
  insert into public.countries (code, name, dial_code) values ('XA', 'Testland', '+999') returning id
)
insert into tests.personas select 'fx_country', id from c;
with s as (
  insert into public.states (country_id, code, name)
  select id, 'IN-ZZ', 'Test State' from public.countries where code = 'IN' returning id
)
insert into tests.personas select 'fx_state', id from s;
with c as (
  insert into public.cities (state_id, name, tier)
  select id, 'Testpur', 3 from public.states where code = 'IN-KA' returning id
)
insert into tests.personas select 'fx_city', id from c;
with z as (
  insert into public.zones (city_id, code, name, boundary)
  select id, 'TEST-ZONE', 'Test Zone',
         'SRID=4326;MULTIPOLYGON(((77.50 12.90, 77.60 12.90, 77.60 13.00, 77.50 12.90)))'::extensions.geography
    from public.cities where name = 'Bengaluru' returning id
)
insert into tests.personas select 'fx_zone', id from z;
with p as (
  insert into public.pincode_master (pincode, area_name, state_id)
  select '999999', 'Test Area', id from public.states where code = 'IN-KA' returning id
)
insert into tests.personas select 'fx_pincode', id from p;

-- Users.
with p as (
  insert into public.user_preferences (user_id, language)
  values (tests.id('customer_a'), 'hi'), (tests.id('customer_b'), 'ta') returning id, user_id
)
insert into tests.personas
select case when user_id = tests.id('customer_a') then 'fx_pref_a' else 'fx_pref_b' end, id from p;

with e as (
  insert into public.emergency_contacts (user_id, name, relationship, mobile)
  values (tests.id('customer_a'), 'Ravi', 'spouse', '9811111111'),
         (tests.id('employee'), 'Sunita', 'parent', '9822222222')
  returning id, user_id
)
insert into tests.personas
select case when user_id = tests.id('customer_a') then 'fx_contact_a' else 'fx_contact_employee' end, id from e;

with d as (
  insert into public.user_documents (user_id, document_type, storage_path, mime_type)
  values (tests.id('customer_a'), 'pan', 'customer_a/pan.pdf', 'application/pdf') returning id
)
insert into tests.personas select 'fx_document_a', id from d;

with k as (
  insert into public.user_kyc_verification (user_id, document_type, document_number_encrypted, document_number_last4, consent_given_at)
  values (tests.id('customer_a'), 'pan', private.encrypt_text('ABCDE1234F'), '234F', now()),
         (tests.id('customer_b'), 'pan', private.encrypt_text('BBCDE5678G'), '678G', now()),
         (tests.id('employee'), 'aadhaar', private.encrypt_text('123412341234'), '1234', now())
  returning id, user_id
)
insert into tests.personas
select case user_id when tests.id('customer_a') then 'fx_kyc_a' when tests.id('customer_b') then 'fx_kyc_b' else 'fx_kyc_employee' end, id
  from k;

with b as (
  insert into public.user_bank_details (user_id, account_holder_name, account_number_encrypted, account_number_last4, ifsc)
  values (tests.id('therapist_a'), 'Therapist A', private.encrypt_text('111122223333'), '3333', 'HDFC0001234'),
         (tests.id('therapist_b'), 'Therapist B', private.encrypt_text('444455556666'), '6666', 'ICIC0004321')
  returning id, user_id
)
insert into tests.personas
select case when user_id = tests.id('therapist_a') then 'fx_bank_a' else 'fx_bank_b' end, id from b;

with s as (
  insert into public.user_sessions (user_id, device_type)
  values (tests.id('customer_a'), 'android'), (tests.id('customer_b'), 'ios') returning id, user_id
)
insert into tests.personas
select case when user_id = tests.id('customer_a') then 'fx_session_a' else 'fx_session_b' end, id from s;

with l as (
  insert into public.user_activity_log (user_id, category, action)
  values (tests.id('customer_a'), 'auth', 'login') returning id
)
insert into tests.personas select 'fx_activity_a', id from l;

-- Roles and permissions.
with r as (
  insert into public.roles (code, name, category) values ('test_role', 'Test Role', 'staff') returning id
)
insert into tests.personas select 'fx_role', id from r;
with m as (
  insert into public.permission_modules (code, name) values ('test_module', 'Test Module') returning id
)
insert into tests.personas select 'fx_module', id from m;
with p as (
  insert into public.permissions (module_id, action, code) values (tests.id('fx_module'), 'read', 'test_module.read') returning id
)
insert into tests.personas select 'fx_permission', id from p;
with rp as (
  insert into public.role_permissions (role_id, module_id, permissions) values ('test_role', 'test_module', '{read}') returning id
)
insert into tests.personas select 'fx_role_permission', id from rp;

-- An extra, harmless role (employee grants nothing beyond the holder's own rows) for the
-- customers, so that role assignments have A and B rows.
with ur as (
  insert into public.user_roles (user_id, role_id)
  select u, (select id from public.roles where code = 'employee')
    from unnest(array[tests.id('customer_a'), tests.id('customer_b')]) u
  returning id, user_id
)
insert into tests.personas
select case when user_id = tests.id('customer_a') then 'fx_user_role_a' else 'fx_user_role_b' end, id from ur;

-- A delegation that starts next month, so that it lends nothing while the matrix runs.
with d as (
  insert into public.delegation_history (delegator_id, delegate_id, role_id, starts_at, ends_at, reason)
  values (tests.id('it_department'), tests.id('employee'), (select id from public.roles where code = 'it_department'),
          now() + interval '30 days', now() + interval '37 days', 'annual leave cover')
  returning id
)
insert into tests.personas select 'fx_delegation', id from d;

-- Departments.
with d as (
  insert into public.departments (code, name, parent_id)
  select 'test_dept', 'Test Department', id from public.departments where code = 'directors' returning id
)
insert into tests.personas select 'fx_dept', id from d;

-- HR reference rows.
with w as (
  insert into public.work_shifts (code, name, start_time, end_time) values ('TEST_SHIFT', 'Test shift', '10:00', '19:00') returning id
)
insert into tests.personas select 'fx_shift', id from w;
with a as (
  insert into public.attendance_policies (code, name) values ('TEST_POLICY', 'Test policy') returning id
)
insert into tests.personas select 'fx_policy', id from a;
with t as (
  insert into public.leave_types (code, name, annual_quota) values ('test_leave', 'Test leave', 2) returning id
)
insert into tests.personas select 'fx_leave_type', id from t;
with h as (
  insert into public.holidays (holiday_date, name, scope) values (date '2031-01-01', 'Test Day', 'company') returning id
)
insert into tests.personas select 'fx_holiday', id from h;
with c as (
  insert into public.salary_components (code, name, component_type, calculation_type, fixed_amount)
  values ('TEST_COMP', 'Test allowance', 'earning', 'fixed', 100000) returning id
)
insert into tests.personas select 'fx_component', id from c;

-- HR rows of the employee (reports to staff_department) and of others.
with o as (
  insert into public.employee_onboarding (employee_id, joining_date) values (tests.id('employee'), current_date - 400) returning id
)
insert into tests.personas select 'fx_onboarding', id from o;

with a as (
  insert into public.attendance_records (employee_id, date, check_in_time, status)
  values (tests.id('employee'), current_date, now() - interval '4 hours', 'present'),
         (tests.id('junior'), current_date, now() - interval '4 hours', 'present')
  returning id, employee_id
)
insert into tests.personas
select case when employee_id = tests.id('employee') then 'fx_attendance_employee' else 'fx_attendance_junior' end, id from a;

with b as (
  insert into public.leave_balances (employee_id, leave_type_id, year, entitled)
  select tests.id(p), lt.id, extract(year from current_date)::smallint, 12
    from public.leave_types lt, unnest(array['employee', 'junior']) p
   where lt.code = 'casual'
  returning id, employee_id
)
insert into tests.personas
select case when employee_id = tests.id('employee') then 'fx_balance' else 'fx_balance_junior' end, id from b;
-- Leave a few weeks ahead may fall in the next calendar year.
insert into public.leave_balances (employee_id, leave_type_id, year, entitled)
select tests.id(p), lt.id, extract(year from current_date)::smallint + 1, 12
  from public.leave_types lt, unnest(array['employee', 'junior']) p
 where lt.code = 'casual';

with r as (
  insert into public.leave_requests (employee_id, leave_type, from_date, to_date, reason)
  values (tests.id('employee'), 'casual', current_date + 30, current_date + 31, 'family function'),
         (tests.id('junior'), 'casual', current_date + 40, current_date + 41, 'travel')
  returning id, employee_id
)
insert into tests.personas
select case when employee_id = tests.id('employee') then 'fx_leave_employee' else 'fx_leave_junior' end, id from r;

with o as (
  insert into public.overtime_records (employee_id, work_date, hours, reason)
  values (tests.id('employee'), current_date - 1, 2, 'month-end close') returning id
)
insert into tests.personas select 'fx_overtime', id from o;

with r as (
  insert into public.performance_reviews (employee_id, reviewer_id, review_period_start, review_period_end, review_type,
                                          overall_rating, review_date, status)
  values (tests.id('employee'), tests.id('staff_department'), current_date - 180, current_date - 1, 'half_yearly',
          3.50, current_date, 'submitted')
  returning id
)
insert into tests.personas select 'fx_review', id from r;

with t as (
  insert into public.training_records (employee_id, title, training_type, start_date)
  values (tests.id('employee'), 'POSH awareness', 'posh', current_date) returning id
)
insert into tests.personas select 'fx_training', id from t;

with s as (
  insert into public.salary_structures (employee_id, effective_from, ctc, gross_monthly, basic_monthly, status, approved_at)
  values (tests.id('employee'), current_date - 400, 60000000, 5000000, 2500000, 'active', now()),
         (tests.id('finance_department'), current_date - 400, 120000000, 10000000, 5000000, 'active', now())
  returning id, employee_id
)
insert into tests.personas
select case when employee_id = tests.id('employee') then 'fx_structure_employee' else 'fx_structure_finance' end, id from s;

with s as (
  insert into public.salary_records (employee_id, month, year, basic_salary, gross_salary, total_deductions, net_salary)
  values (tests.id('employee'), 1, 2025, 2500000, 5000000, 500000, 4500000),
         (tests.id('finance_department'), 1, 2025, 5000000, 10000000, 1500000, 8500000)
  returning id, employee_id
)
insert into tests.personas
select case when employee_id = tests.id('employee') then 'fx_salary_employee' else 'fx_salary_finance' end, id from s;

-- The matrix ---------------------------------------------------------------------------------
-- One line per table and row: which personas each command is allowed to (a space-separated
-- list; '*' every signed-in persona, '**' also anon; empty: nobody); every other persona
-- of the list below must be denied. Commands a line leaves out are tested after the matrix
-- (tables without updated_at and without updatable columns) or would fail on a foreign key
-- rather than on access.

create temp table matrix (t text, f text, cmds text, sel text, ins text, upd text, del text);
insert into matrix values
  ('public.countries', 'id = tests.id(''fx_country'')', 'select insert update delete',
   '**', 'it_department admin super_admin', 'it_department admin super_admin', 'it_department super_admin'),
  ('public.states', 'id = tests.id(''fx_state'')', 'select insert update delete',
   '**', 'it_department admin super_admin', 'it_department admin super_admin', 'it_department super_admin'),
  ('public.cities', 'id = tests.id(''fx_city'')', 'select insert update delete',
   '**', 'it_department admin super_admin', 'it_department admin super_admin', 'it_department super_admin'),
  ('public.zones', 'id = tests.id(''fx_zone'')', 'select insert update delete',
   '**', 'it_department admin super_admin', 'it_department admin super_admin', 'it_department super_admin'),
  ('public.pincode_master', 'id = tests.id(''fx_pincode'')', 'select insert update delete',
   '**', 'it_department admin super_admin', 'it_department admin super_admin', 'it_department super_admin'),

  ('public.user_profiles', 'id = tests.id(''customer_a'')', 'select insert update delete',
   'customer_a it_department admin marketing_department directors super_admin', '', 'customer_a admin super_admin', ''),
  ('public.user_profiles', 'id = tests.id(''customer_b'')', 'select insert update delete',
   'it_department admin marketing_department directors super_admin', '', 'admin super_admin', ''),
  ('public.user_profiles', 'id = tests.id(''employee'')', 'select insert update delete',
   'employee staff_department hr_department it_department admin directors super_admin', '', 'employee admin super_admin', ''),
  ('public.user_preferences', 'id = tests.id(''fx_pref_a'')', 'select insert update delete',
   'customer_a', 'customer_a', 'customer_a', 'customer_a'),
  ('public.user_preferences', 'id = tests.id(''fx_pref_b'')', 'select insert update delete', '', '', '', ''),
  ('public.emergency_contacts', 'id = tests.id(''fx_contact_a'')', 'select insert update delete',
   'customer_a', 'customer_a', 'customer_a', 'customer_a'),
  ('public.emergency_contacts', 'id = tests.id(''fx_contact_employee'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'employee', 'employee', 'employee'),
  ('public.user_documents', 'id = tests.id(''fx_document_a'')', 'select insert update delete',
   'customer_a', 'customer_a', 'customer_a', ''),
  ('public.user_kyc_verification', 'id = tests.id(''fx_kyc_a'')', 'select insert update delete',
   'customer_a legal_department admin directors super_admin', '', 'legal_department admin super_admin', ''),
  ('public.user_kyc_verification', 'id = tests.id(''fx_kyc_b'')', 'select insert update delete',
   'legal_department admin directors super_admin', '', 'legal_department admin super_admin', ''),
  ('public.user_kyc_verification', 'id = tests.id(''fx_kyc_employee'')', 'select insert update delete',
   'employee legal_department hr_department admin directors super_admin', '', 'legal_department hr_department admin super_admin', ''),
  ('public.user_bank_details', 'id = tests.id(''fx_bank_a'')', 'select insert update delete',
   'therapist_a finance_department admin directors super_admin', '', 'therapist_a finance_department super_admin', ''),
  ('public.user_bank_details', 'id = tests.id(''fx_bank_b'')', 'select insert update delete',
   'finance_department admin directors super_admin', '', 'finance_department super_admin', ''),
  ('public.user_sessions', 'id = tests.id(''fx_session_a'')', 'select insert update delete',
   'customer_a', 'customer_a', 'customer_a', 'customer_a'),
  ('public.user_sessions', 'id = tests.id(''fx_session_b'')', 'select insert update delete', '', '', '', ''),
  ('public.user_activity_log', 'id = tests.id(''fx_activity_a'')', 'select insert delete',
   'customer_a it_department directors super_admin', 'customer_a', '', ''),

  ('public.roles', 'id = tests.id(''fx_role'')', 'select insert update delete', '*', 'super_admin', 'super_admin', 'super_admin'),
  ('public.permission_modules', 'id = tests.id(''fx_module'')', 'select insert update delete', '*', 'super_admin', 'super_admin', 'super_admin'),
  ('public.permissions', 'id = tests.id(''fx_permission'')', 'select insert update delete', '*', 'super_admin', 'super_admin', 'super_admin'),
  ('public.role_permissions', 'id = tests.id(''fx_role_permission'')', 'select insert update delete', '*', 'super_admin', 'super_admin', 'super_admin'),
  ('public.user_roles', 'id = tests.id(''fx_user_role_a'')', 'select insert update delete',
   'customer_a hr_department it_department admin directors super_admin', 'hr_department super_admin', 'hr_department super_admin', ''),
  ('public.user_roles', 'id = tests.id(''fx_user_role_b'')', 'select insert update delete',
   'hr_department it_department admin directors super_admin', 'hr_department super_admin', 'hr_department super_admin', ''),
  ('public.delegation_history', 'id = tests.id(''fx_delegation'')', 'select insert update delete',
   'it_department employee hr_department admin directors super_admin', 'it_department', 'it_department super_admin', ''),
  ('public.role_assignment_history', 'user_id = tests.id(''customer_a'') and source = ''user_profiles''', 'select insert delete',
   'customer_a hr_department it_department directors super_admin', '', '', ''),
  ('public.role_assignment_history', 'user_id = tests.id(''customer_b'') and source = ''user_profiles''', 'select insert delete',
   'hr_department it_department directors super_admin', '', '', ''),

  ('public.departments', 'id = tests.id(''fx_dept'')', 'select insert update delete', '*', 'super_admin', 'super_admin', 'super_admin'),
  ('public.department_hierarchy', 'ancestor_id = tests.id(''fx_dept'') and descendant_id = tests.id(''fx_dept'')', 'select insert delete',
   '*', '', '', ''),

  ('public.work_shifts', 'id = tests.id(''fx_shift'')', 'select insert update delete',
   '*', 'staff_department hr_department super_admin', 'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.attendance_policies', 'id = tests.id(''fx_policy'')', 'select insert update delete',
   '*', 'staff_department hr_department super_admin', 'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.leave_types', 'id = tests.id(''fx_leave_type'')', 'select insert update delete',
   '*', 'staff_department hr_department super_admin', 'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.holidays', 'id = tests.id(''fx_holiday'')', 'select insert update delete',
   '*', 'hr_department super_admin', 'hr_department super_admin', 'hr_department super_admin'),
  ('public.salary_components', 'id = tests.id(''fx_component'')', 'select insert update delete',
   '*', 'hr_department super_admin', 'hr_department super_admin', 'hr_department super_admin'),

  ('public.employees', 'id = tests.id(''employee'')', 'select insert update',
   'employee staff_department hr_department admin directors super_admin', 'hr_department super_admin',
   'employee hr_department super_admin', ''),
  ('public.employees', 'id = tests.id(''leaver'')', 'select insert update delete',
   'staff_department hr_department admin directors super_admin', 'hr_department super_admin',
   'hr_department super_admin', 'hr_department super_admin'),
  ('public.employees', 'id = tests.id(''finance_department'')', 'select insert update',
   'finance_department hr_department staff_department admin directors super_admin', 'hr_department super_admin',
   'finance_department hr_department super_admin', ''),
  ('public.employee_onboarding', 'id = tests.id(''fx_onboarding'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.attendance_records', 'id = tests.id(''fx_attendance_employee'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'employee staff_department hr_department super_admin',
   'employee staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.attendance_records', 'id = tests.id(''fx_attendance_junior'')', 'select insert update delete',
   'marketing_department staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.leave_balances', 'id = tests.id(''fx_balance'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.leave_balances', 'id = tests.id(''fx_balance_junior'')', 'select insert update delete',
   'marketing_department staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.leave_requests', 'id = tests.id(''fx_leave_employee'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'employee staff_department hr_department super_admin',
   'employee staff_department hr_department directors super_admin', 'hr_department super_admin'),
  ('public.leave_requests', 'id = tests.id(''fx_leave_junior'')', 'select insert update delete',
   'marketing_department staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'marketing_department staff_department hr_department directors super_admin', 'hr_department super_admin'),
  ('public.overtime_records', 'id = tests.id(''fx_overtime'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'employee staff_department hr_department super_admin',
   'employee staff_department hr_department directors super_admin', 'hr_department super_admin'),
  ('public.performance_reviews', 'id = tests.id(''fx_review'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'hr_department super_admin',
   'employee hr_department super_admin', 'hr_department super_admin'),
  ('public.training_records', 'id = tests.id(''fx_training'')', 'select insert update delete',
   'employee staff_department hr_department admin directors super_admin', 'staff_department hr_department super_admin',
   'staff_department hr_department super_admin', 'hr_department super_admin'),
  ('public.salary_structures', 'id = tests.id(''fx_structure_employee'')', 'select insert update delete',
   'employee hr_department finance_department directors super_admin', 'hr_department super_admin',
   'hr_department super_admin', 'hr_department super_admin'),
  ('public.salary_structures', 'id = tests.id(''fx_structure_finance'')', 'select insert update delete',
   'finance_department hr_department directors super_admin', 'hr_department super_admin',
   'hr_department super_admin', 'hr_department super_admin'),
  ('public.salary_records', 'id = tests.id(''fx_salary_employee'')', 'select insert update delete',
   'employee hr_department finance_department directors super_admin', 'hr_department super_admin',
   'hr_department super_admin', 'hr_department super_admin'),
  ('public.salary_records', 'id = tests.id(''fx_salary_finance'')', 'select insert update delete',
   'finance_department hr_department directors super_admin', 'hr_department super_admin',
   'hr_department super_admin', 'hr_department super_admin');

-- anon, the people outside the organisation, the employee, the departments that own these
-- tables (HR, staff, finance, IT, legal, admin), one that owns none of them (marketing),
-- directors and super_admin.
create temp table matrix_personas (p text, ord int);
insert into matrix_personas
select p, ord
  from unnest(array['anon', 'customer_a', 'vendor_a', 'staff_a', 'therapist_a', 'employee', 'staff_department',
                    'hr_department', 'finance_department', 'it_department', 'legal_department', 'admin',
                    'marketing_department', 'directors', 'super_admin']) with ordinality as x (p, ord);

select is(
  tests.attempt(mp.p, c.cmd, m.t::regclass, m.f),
  case when allowed = '**' or (allowed = '*' and mp.p <> 'anon') or mp.p = any (string_to_array(allowed, ' '))
       then 'allowed' else 'denied' end,
  format('%s %s %s where %s', mp.p, c.cmd, m.t, m.f)
)
  from matrix m
 cross join lateral (values ('select', m.sel, 1), ('insert', m.ins, 2), ('update', m.upd, 3), ('delete', m.del, 4))
       as c (cmd, allowed, cord)
 cross join matrix_personas mp
 where c.cmd = any (string_to_array(m.cmds, ' '))
 order by m.t, m.f, c.cord, mp.ord;

-- Tables nobody updates through the API (left out of the matrix above): no persona may
-- update a column of them at all.
select throws_ok(
  format($$select pg_temp.run_as(%L, %L)$$, mp.p, format('update %s set %s where %s', t.t, t.col, t.f)),
  '42501', null, format('%s cannot update %s', mp.p, t.t)
)
  from (values
    ('public.user_activity_log', 'user_id = user_id', 'id = tests.id(''fx_activity_a'')'),
    ('public.role_assignment_history', 'reason = reason', 'user_id = tests.id(''customer_a'')'),
    ('public.department_hierarchy', 'depth = depth', 'ancestor_id = tests.id(''fx_dept'')')
  ) t (t, col, f)
 cross join matrix_personas mp
 order by t.t, mp.ord;

-- Privileged profile columns ------------------------------------------------------------------

select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$update public.user_profiles set role = 'super_admin' where id = tests.id('customer_a')$q$)$$,
  '42501', null, 'a customer cannot make themselves super_admin by update'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('customer_a'), 'A', '9876543210', 'customer')
      on conflict (id) do update set role = 'super_admin'$q$)$$,
  '42501', null, 'a customer cannot make themselves super_admin by upsert'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('customer_a'), 'A', '9876543210', 'super_admin')
      on conflict (id) do update set name = excluded.name$q$)$$,
  '42501', null, 'a customer cannot make themselves super_admin by upserting a super_admin row'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$update public.user_profiles set status = 'active', role = 'customer' where id = tests.id('customer_a')$q$)$$,
  '42501', null, 'a customer cannot set their own status'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('customer_a'), 'A', '9876543210', 'customer')
      on conflict (id) do update set status = 'active'$q$)$$,
  '42501', null, 'a customer cannot set their own status by upsert'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.user_profiles set role = 'hr_department' where id = tests.id('employee')$q$)$$,
  '42501', null, 'an employee cannot promote themselves either'
);
select throws_ok(
  $$select pg_temp.run_as('admin', $q$update public.user_profiles set role = 'super_admin' where id = tests.id('customer_b')$q$)$$,
  '42501', null, 'even user administrators do not write role directly'
);
select is(
  (select role || '/' || status from public.user_profiles where id = tests.id('customer_a')),
  'customer/active', 'customer_a is still an active customer'
);
select is(
  pg_temp.run_as('customer_a', $$update public.user_profiles set name = 'Asha' where id = tests.id('customer_a')$$),
  1::bigint, 'a customer still edits their own name'
);
select is(
  pg_temp.run_as('customer_a', $$update public.user_profiles set name = 'Mallory' where id = tests.id('customer_b')$$),
  0::bigint, 'a customer cannot edit someone else''s profile'
);

-- A new user creates their own profile as a customer, and nothing else.
select tests.create_user('newcomer@test.ombaro.in') as newcomer \gset
delete from public.user_profiles where id = :'newcomer';
insert into tests.personas values ('newcomer', :'newcomer');
select throws_ok(
  $$select pg_temp.run_as('newcomer', $q$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('newcomer'), 'New', '9123400001', 'finance_department')$q$)$$,
  '42501', null, 'signing up as a department role is refused'
);
select throws_ok(
  $$select pg_temp.run_as('newcomer', $q$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('customer_b'), 'New', '9123400001', 'customer')$q$)$$,
  '42501', null, 'signing up under someone else''s id is refused'
);
select is(
  pg_temp.run_as('newcomer', $$insert into public.user_profiles (id, name, mobile, role)
      values (tests.id('newcomer'), 'New', '9123400001', 'customer')$$),
  1::bigint, 'signing up as a customer works'
);

-- Role changes go through set_user_role, which checks the caller.
select throws_ok(
  $$select pg_temp.value_as('customer_a', $q$select public.set_user_role(tests.id('customer_a'), 'super_admin')::text$q$)$$,
  '42501', null, 'set_user_role: a customer cannot promote themselves'
);
select throws_ok(
  $$select pg_temp.value_as('hr_department', $q$select public.set_user_role(tests.id('hr_department'), 'finance_department')::text$q$)$$,
  '42501', null, 'set_user_role: HR cannot change its own role'
);
select throws_ok(
  $$select pg_temp.value_as('hr_department', $q$select public.set_user_role(tests.id('employee'), 'super_admin')::text$q$)$$,
  '42501', null, 'set_user_role: HR cannot hand out platform roles'
);
select throws_ok(
  $$select pg_temp.value_as('hr_department', $q$select public.set_user_role(tests.id('customer_b'), 'employee')::text$q$)$$,
  '42501', null, 'set_user_role: HR does not touch customers'' roles'
);
select lives_ok(
  $$select pg_temp.value_as('hr_department', $q$select public.set_user_role(tests.id('leaver'), 'staff_department', 'moved to staff admin')::text$q$)$$,
  'set_user_role: HR moves an employee into a department role'
);
select lives_ok(
  $$select pg_temp.value_as('super_admin', $q$select public.set_user_role(tests.id('customer_b'), 'vendor')::text$q$)$$,
  'set_user_role: super_admin sets any role'
);
select is(
  (select changed_by from public.role_assignment_history
    where user_id = tests.id('customer_b') and action = 'changed' and to_role = 'vendor'),
  tests.id('super_admin'), 'the role change is recorded with super_admin as actor'
);
select throws_ok(
  $$select pg_temp.value_as('customer_a', $q$select public.set_user_status(tests.id('customer_b'), 'suspended')::text$q$)$$,
  '42501', null, 'set_user_status: a customer cannot suspend anyone'
);
select throws_ok(
  $$select pg_temp.value_as('admin', $q$select public.set_user_status(tests.id('admin'), 'active')::text$q$)$$,
  '42501', null, 'set_user_status: nobody changes their own status'
);
select lives_ok(
  $$select pg_temp.value_as('admin', $q$select public.set_user_status(tests.id('customer_b'), 'suspended')::text$q$)$$,
  'set_user_status: a user administrator suspends an account'
);
select is((select status from public.user_profiles where id = tests.id('customer_b')), 'suspended', 'customer_b is suspended');
select is(
  pg_temp.run_as('customer_a', $$select 1 from public.role_assignment_history where user_id = tests.id('customer_b')$$),
  0::bigint, 'a customer cannot read someone else''s role history'
);
select throws_ok(
  $$select pg_temp.run_as('super_admin', $q$delete from public.role_assignment_history where user_id = tests.id('customer_b')$q$)$$,
  '42501', null, 'role history is append-only, even for super_admin'
);

-- A therapist sees a customer's profile only while serving them.
select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a')) as booking \gset
insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date,
                                          assignment_time, location_address, estimated_duration)
select :'booking', t.id, tests.id('vendor_a'), tests.id('customer_a'), (select id from public.services where code = 'SWD'),
       current_date + 3, '11:00', 'at the spa', 60
  from public.therapists t where t.user_id = tests.id('therapist_a');
select is(
  pg_temp.value_as('therapist_a', $$select name || ' ' || mobile from public.user_profiles where id = tests.id('customer_a')$$),
  (select name || ' ' || mobile from public.user_profiles where id = tests.id('customer_a')),
  'a therapist reads the name and mobile of the customer they are serving'
);
select is(
  pg_temp.value_as('therapist_b', $$select count(*)::text from public.user_profiles where id = tests.id('customer_a')$$),
  '0', 'another therapist does not'
);
update public.therapist_assignments set status = 'completed', actual_start_time = now() - interval '1 hour', actual_end_time = now()
 where booking_id = :'booking';
select is(
  pg_temp.value_as('therapist_a', $$select count(*)::text from public.user_profiles where id = tests.id('customer_a')$$),
  '0', 'once the service is over, the therapist no longer reads the customer''s profile'
);

-- Bank account numbers -----------------------------------------------------------------------

select pg_temp.value_as('therapist_a', $$select public.save_bank_details('Therapist A', '5012 3456 7890 12', 'sbin0001234',
  'State Bank of India', purpose => 'salary')::text$$) as saved_bank \gset
insert into tests.personas values ('fx_saved_bank', :'saved_bank');

select is(
  (select account_number_last4 || ' ' || (private.decrypt_text(account_number_encrypted) = '50123456789012')::text
          || ' ' || (position('50123456789012' in encode(account_number_encrypted, 'escape')) = 0)::text
     from public.user_bank_details where id = :'saved_bank'),
  '9012 true true', 'save_bank_details stores ciphertext and the last four digits, never the number in clear'
);
select throws_ok(
  $$select pg_temp.value_as('anon', $q$select public.save_bank_details('X', '123456789012', 'SBIN0001234')::text$q$)$$,
  '42501', null, 'anon cannot save bank details'
);
select is(
  pg_temp.value_as('therapist_a', $$select public.reveal_bank_account(tests.id('fx_saved_bank'))$$),
  '50123456789012', 'the owner reads their account number in clear'
);
select is(
  pg_temp.value_as('finance_department', $$select public.reveal_bank_account(tests.id('fx_saved_bank'))$$),
  '50123456789012', 'finance reads the account number in clear'
);
select is(
  pg_temp.value_as('accounts_department', $$select public.reveal_bank_account(tests.id('fx_saved_bank'))$$),
  '50123456789012', 'accounts reads the account number in clear'
);
select throws_ok(
  format($$select pg_temp.value_as(%L, $q$select public.reveal_bank_account(tests.id('fx_saved_bank'))$q$)$$, p),
  '42501', null, format('%s cannot reveal someone else''s account number', p)
)
  from unnest(array['customer_a', 'therapist_b', 'vendor_a', 'staff_a', 'employee', 'hr_department', 'admin',
                    'it_department', 'marketing_department', 'directors']) p;
select throws_ok(
  format($$select pg_temp.value_as(%L, $q$select account_number_encrypted::text from public.user_bank_details where id = tests.id('fx_saved_bank')$q$)$$, p),
  '42501', null, format('%s cannot select the account number ciphertext', p)
)
  from unnest(array['therapist_a', 'finance_department', 'directors', 'admin', 'super_admin']) p;
select throws_ok(
  $$select pg_temp.value_as('directors', $q$select account_number_hash::text from public.user_bank_details where id = tests.id('fx_saved_bank')$q$)$$,
  '42501', null, 'nobody selects the account number hash either'
);
select is(
  pg_temp.value_as('directors', $$select account_number_last4 from public.user_bank_details where id = tests.id('fx_saved_bank')$$),
  '9012', 'directors see only the last four digits'
);
select is(
  pg_temp.value_as('admin', $$select account_number_last4 from public.user_bank_details where id = tests.id('fx_saved_bank')$$),
  '9012', 'admins see only the last four digits'
);
select throws_ok(
  $$select pg_temp.run_as('therapist_a', $q$update public.user_bank_details set verification_status = 'verified', verified_at = now()
      where id = tests.id('fx_saved_bank')$q$)$$,
  '42501', null, 'an owner cannot mark their own account verified'
);
select throws_ok(
  $$select pg_temp.run_as('therapist_a', $q$update public.user_bank_details set account_number_last4 = '9999' where id = tests.id('fx_saved_bank')$q$)$$,
  '42501', null, 'an owner cannot rewrite the last four digits'
);
select throws_ok(
  $$select pg_temp.run_as('therapist_a', $q$insert into public.user_bank_details (user_id, account_holder_name, upi_id)
      values (tests.id('therapist_a'), 'A', 'a@okhdfc')$q$)$$,
  '42501', null, 'bank details are written only through save_bank_details'
);
select is(
  pg_temp.run_as('finance_department', $$update public.user_bank_details set verification_status = 'verified', verified_at = now(),
      verification_method = 'penny_drop', verified_by = tests.id('finance_department') where id = tests.id('fx_saved_bank')$$),
  1::bigint, 'finance verifies an account'
);
select throws_ok(
  $$select pg_temp.value_as('therapist_b', $q$select public.save_bank_details('B', '999988887777', 'SBIN0001234',
      bank_detail_id => tests.id('fx_saved_bank'))::text$q$)$$,
  '42501', null, 'nobody replaces the number of someone else''s account'
);
select is(
  pg_temp.value_as('therapist_a', $$select public.save_bank_details('Therapist A', '777766665555', 'SBIN0001234',
      purpose => 'salary', bank_detail_id => tests.id('fx_saved_bank'))::text$$),
  :'saved_bank', 'the owner replaces their account number'
);
select is(
  (select verification_status || ' ' || account_number_last4 from public.user_bank_details where id = :'saved_bank'),
  'pending 5555', 'a replaced number goes back to verification'
);
select is(
  pg_temp.run_as('therapist_a', $$update public.user_bank_details set is_primary = true where id = tests.id('fx_saved_bank')$$),
  1::bigint, 'an owner picks their primary account'
);

-- KYC document numbers -----------------------------------------------------------------------

select pg_temp.value_as('customer_a', $$select public.save_kyc_verification('aadhaar', '9999 8888 7777')::text$$) as saved_kyc \gset
insert into tests.personas values ('fx_saved_kyc', :'saved_kyc');
select is(
  (select user_id::text || ' ' || document_number_last4 from public.user_kyc_verification where id = :'saved_kyc'),
  tests.id('customer_a')::text || ' 7777', 'save_kyc_verification stores the caller''s document with its last four characters'
);
select is(
  pg_temp.value_as('customer_a', $$select public.reveal_kyc_document_number(tests.id('fx_saved_kyc'))$$),
  '999988887777', 'the owner reads their document number'
);
select is(
  pg_temp.value_as('legal_department', $$select public.reveal_kyc_document_number(tests.id('fx_saved_kyc'))$$),
  '999988887777', 'legal reads the document number it reviews'
);
select is(
  pg_temp.value_as('hr_department', $$select public.reveal_kyc_document_number(tests.id('fx_kyc_employee'))$$),
  '123412341234', 'HR reads an employee''s document number'
);
select throws_ok(
  format($$select pg_temp.value_as(%L, $q$select public.reveal_kyc_document_number(tests.id('fx_saved_kyc'))$q$)$$, p),
  '42501', null, format('%s cannot reveal a customer''s document number', p)
)
  from unnest(array['customer_b', 'therapist_a', 'vendor_a', 'employee', 'hr_department', 'finance_department',
                    'marketing_department', 'directors']) p;
select throws_ok(
  $$select pg_temp.value_as('legal_department', $q$select document_number_encrypted::text from public.user_kyc_verification where id = tests.id('fx_saved_kyc')$q$)$$,
  '42501', null, 'not even the reviewers select the document ciphertext'
);
select is(
  pg_temp.run_as('customer_a', $$update public.user_kyc_verification set status = 'verified', verified_at = now() where id = tests.id('fx_saved_kyc')$$),
  0::bigint, 'a user cannot verify their own KYC'
);
select is((select status from public.user_kyc_verification where id = :'saved_kyc'), 'pending', 'the KYC is still pending');
select is(
  pg_temp.run_as('legal_department', $$update public.user_kyc_verification set status = 'verified', verified_at = now(),
      verified_by = tests.id('legal_department') where id = tests.id('fx_saved_kyc')$$),
  1::bigint, 'legal verifies the KYC'
);

-- Revoked roles and delegations ------------------------------------------------------------------

insert into public.user_roles (user_id, role_id, granted_by)
select tests.id('customer_a'), id, tests.id('super_admin') from public.roles where code = 'finance_department';
select is(
  pg_temp.value_as('customer_a', $$select private.has_permission('payments', 'read')::text$$),
  'true', 'a finance grant gives customer_a payments.read'
);
select is(
  pg_temp.run_as('super_admin', $$update public.user_roles set revoked_at = now(), revoked_by = tests.id('super_admin'),
      revoke_reason = 'granted by mistake' where user_id = tests.id('customer_a') and revoked_at is null
      and role_id = (select id from public.roles where code = 'finance_department')$$),
  1::bigint, 'super_admin revokes it'
);
select is(
  pg_temp.value_as('customer_a', $$select private.has_permission('payments', 'read')::text$$),
  'false', 'the revoked role stops working in the very next statement'
);

-- The same for an employee lent HR for a day: the rows it opens close with the revocation.
insert into public.user_roles (user_id, role_id, granted_by, valid_until)
select tests.id('employee'), id, tests.id('super_admin'), now() + interval '1 day' from public.roles where code = 'hr_department';
select is(
  pg_temp.value_as('employee', $$select count(*)::text from public.salary_records where employee_id = tests.id('finance_department')$$),
  '1', 'an employee granted HR reads a colleague''s salary'
);
select is(
  pg_temp.run_as('hr_department', $$update public.user_roles set revoked_at = now() where user_id = tests.id('employee')
      and role_id = (select id from public.roles where code = 'hr_department') and revoked_at is null$$),
  1::bigint, 'HR revokes the grant'
);
select is(
  pg_temp.value_as('employee', $$select count(*)::text from public.salary_records where employee_id = tests.id('finance_department')$$),
  '0', 'and in the very next statement the salary is out of reach again'
);

-- A delegation that has ended lends nothing.
insert into public.delegation_history (delegator_id, delegate_id, role_id, starts_at, ends_at, reason, status)
select tests.id('finance_department'), tests.id('customer_b'), id, now() - interval '10 days', now() - interval '1 day',
       'cover while travelling', 'expired'
  from public.roles where code = 'finance_department';
update public.user_profiles set status = 'active' where id = tests.id('customer_b');
select is(
  pg_temp.value_as('customer_b', $$select private.has_permission('payments', 'read')::text$$),
  'false', 'an expired delegation grants nothing'
);
select is(
  pg_temp.value_as('customer_b', $$select private.has_role('finance_department')::text$$),
  'false', 'an expired delegation is not a role held'
);

-- A live delegation made through the API lends the role until it is revoked.
select is(
  pg_temp.run_as('finance_department', $$insert into public.delegation_history (delegator_id, delegate_id, role_id, ends_at, reason)
      select tests.id('finance_department'), tests.id('customer_b'), id, now() + interval '2 days', 'cover for two days'
        from public.roles where code = 'finance_department'$$),
  1::bigint, 'finance delegates its own role'
);
select is(
  pg_temp.value_as('customer_b', $$select private.has_permission('payments', 'read')::text$$),
  'true', 'the delegate holds the role while the delegation lives'
);
select throws_ok(
  $$select pg_temp.run_as('customer_b', $q$insert into public.delegation_history (delegator_id, delegate_id, role_id, ends_at, reason)
      select tests.id('customer_b'), tests.id('customer_a'), id, now() + interval '1 day', 'passing it on'
        from public.roles where code = 'finance_department'$q$)$$,
  '42501', null, 'a borrowed role cannot be lent on'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.delegation_history (delegator_id, delegate_id, role_id, ends_at, reason)
      select tests.id('customer_a'), tests.id('customer_b'), id, now() + interval '1 day', 'please'
        from public.roles where code = 'super_admin'$q$)$$,
  '42501', null, 'nobody delegates a role they do not hold'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.delegation_history (delegator_id, delegate_id, role_id, ends_at, reason)
      select tests.id('finance_department'), tests.id('customer_a'), id, now() + interval '1 day', 'forged'
        from public.roles where code = 'finance_department'$q$)$$,
  '42501', null, 'nobody delegates in someone else''s name'
);
select is(
  pg_temp.run_as('finance_department', $$update public.delegation_history set status = 'revoked', revoked_at = now(),
      revoked_by = tests.id('finance_department'), revoke_reason = 'back early'
      where delegator_id = tests.id('finance_department') and revoked_at is null$$),
  1::bigint, 'the delegator revokes the delegation'
);
select is(
  pg_temp.value_as('customer_b', $$select private.has_permission('payments', 'read')::text$$),
  'false', 'a revoked delegation stops working at once'
);
select is(
  pg_temp.run_as('customer_b', $$update public.delegation_history set status = 'active', revoked_at = null
      where delegate_id = tests.id('customer_b')$$),
  0::bigint, 'the delegate cannot revive it'
);

-- Role grants: HR hands out department roles to others, never platform roles, never to itself.
select throws_ok(
  $$select pg_temp.run_as('hr_department', $q$insert into public.user_roles (user_id, role_id)
      select tests.id('hr_department'), id from public.roles where code = 'finance_department'$q$)$$,
  '42501', null, 'HR cannot grant itself a role'
);
select throws_ok(
  $$select pg_temp.run_as('hr_department', $q$insert into public.user_roles (user_id, role_id)
      select tests.id('employee'), id from public.roles where code = 'super_admin'$q$)$$,
  '42501', null, 'HR cannot grant super_admin'
);
select throws_ok(
  $$select pg_temp.run_as('hr_department', $q$insert into public.user_roles (user_id, role_id, delegated_from, delegation_id)
      select tests.id('employee'), id, tests.id('hr_department'), tests.id('fx_delegation') from public.roles where code = 'accounts_department'$q$)$$,
  '42501', null, 'a delegated assignment cannot be forged through user_roles'
);
select throws_ok(
  $$select pg_temp.run_as('it_department', $q$insert into public.user_roles (user_id, role_id)
      select tests.id('employee'), id from public.roles where code = 'accounts_department'$q$)$$,
  '42501', null, 'reading roles is not granting them'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.user_roles (user_id, role_id)
      select tests.id('customer_a'), id from public.roles where code = 'super_admin'$q$)$$,
  '42501', null, 'a customer cannot grant themselves super_admin'
);
select is(
  pg_temp.run_as('hr_department', $$insert into public.user_roles (user_id, role_id, granted_by)
      select tests.id('employee'), id, tests.id('hr_department') from public.roles where code = 'accounts_department'$$),
  1::bigint, 'HR grants an employee the accounts role'
);
select is(
  pg_temp.run_as('hr_department', $$update public.user_roles set revoked_at = now() where user_id = tests.id('employee')
      and role_id = (select id from public.roles where code = 'accounts_department') and revoked_at is null$$),
  1::bigint, 'HR revokes it again'
);
select is(
  pg_temp.run_as('hr_department', $$update public.user_roles set revoked_at = now() where user_id = tests.id('super_admin')$$),
  0::bigint, 'HR cannot revoke super_admin''s roles'
);

-- Salaries -----------------------------------------------------------------------------------

select is(
  pg_temp.value_as('employee', $$select count(*)::text from public.salary_records where employee_id = tests.id('finance_department')$$),
  '0', 'an employee cannot read another employee''s salary'
);
select is(
  pg_temp.value_as('employee', $$select count(*)::text from public.salary_structures where employee_id <> tests.id('employee')$$),
  '0', 'nor their salary structure'
);
select is(
  pg_temp.value_as('employee', $$select net_salary::text from public.salary_records where employee_id = tests.id('employee')$$),
  '4500000', 'an employee reads their own salary'
);
select is(
  pg_temp.value_as('staff_department', $$select count(*)::text from public.salary_records where employee_id = tests.id('employee')$$),
  '0', 'their manager cannot read it'
);
select is(
  pg_temp.value_as('staff_department', $$select count(*)::text from public.salary_structures where employee_id = tests.id('employee')$$),
  '0', 'nor their salary structure'
);
select is(
  pg_temp.value_as('hr_department', $$select count(*)::text from public.salary_records where employee_id = tests.id('employee')$$),
  '1', 'HR reads it'
);
select is(
  pg_temp.value_as('accounts_department', $$select count(*)::text from public.salary_records where employee_id = tests.id('employee')$$),
  '1', 'accounts reads it'
);
select is(
  pg_temp.value_as('admin', $$select count(*)::text from public.salary_records$$),
  '0', 'admins do not read salaries'
);
select is(
  pg_temp.run_as('employee', $$update public.salary_records set net_salary = 9000000, gross_salary = 9500000
      where employee_id = tests.id('employee')$$),
  0::bigint, 'an employee cannot change their salary'
);

-- Employees' own rows ------------------------------------------------------------------------

select is(
  pg_temp.run_as('employee', $$update public.employees set mobile = '9812345670', address = '{"city": "Bengaluru"}'
      where id = tests.id('employee')$$),
  1::bigint, 'an employee updates their contact details'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.employees set designation = 'Head of HR' where id = tests.id('employee')$q$)$$,
  '42501', null, 'an employee cannot change their designation'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.employees set reporting_manager = null, status = 'active' where id = tests.id('employee')$q$)$$,
  '42501', null, 'an employee cannot change their manager or status'
);
select is(
  pg_temp.run_as('employee', $$update public.employees set mobile = '9812345671' where id = tests.id('junior')$$),
  0::bigint, 'an employee cannot edit a colleague'
);
select is(
  pg_temp.run_as('employee', $$update public.attendance_records set check_out_time = now(), work_hours = 4
      where id = tests.id('fx_attendance_employee')$$),
  1::bigint, 'an employee checks out'
);
select is(
  pg_temp.run_as('employee', $$update public.attendance_records set notes = 'forgot something' where id = tests.id('fx_attendance_employee')$$),
  0::bigint, 'a closed day is closed to its employee'
);
select throws_ok(
  $$select pg_temp.run_as('junior', $q$update public.attendance_records set status = 'work_from_home' where id = tests.id('fx_attendance_junior')$q$)$$,
  '42501', null, 'an employee cannot change their attendance status'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$insert into public.attendance_records (employee_id, date, check_in_time, status)
      values (tests.id('junior'), current_date - 1, now(), 'present')$q$)$$,
  '42501', null, 'an employee cannot check in for a colleague'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$insert into public.attendance_records (employee_id, date, check_in_time, status, source)
      values (tests.id('employee'), current_date - 1, now() - interval '1 day', 'present', 'manual')$q$)$$,
  '42501', null, 'an employee cannot enter a manual attendance record'
);
select throws_ok(
  $$select pg_temp.run_as('customer_a', $q$insert into public.attendance_records (employee_id, date, check_in_time, status)
      values (tests.id('customer_a'), current_date, now(), 'present')$q$)$$,
  '42501', null, 'someone who is not an employee cannot check in'
);

select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.leave_requests set status = 'approved', approved_date = now()
      where id = tests.id('fx_leave_employee')$q$)$$,
  '42501', null, 'an employee cannot approve their own leave'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$insert into public.leave_requests (employee_id, leave_type, from_date, to_date, reason, status)
      values (tests.id('employee'), 'casual', current_date + 60, current_date + 61, 'trip', 'approved')$q$)$$,
  '42501', null, 'an employee cannot apply for leave already approved'
);
select is(
  pg_temp.run_as('employee', $$insert into public.leave_requests (employee_id, leave_type, from_date, to_date, reason)
      values (tests.id('employee'), 'sick', current_date + 70, current_date + 70, 'dentist')$$),
  1::bigint, 'an employee applies for leave'
);
select is(
  pg_temp.run_as('employee', $$update public.leave_requests set status = 'cancelled' where employee_id = tests.id('employee')
      and leave_type = 'sick' and status = 'pending'$$),
  1::bigint, 'an employee cancels their pending leave'
);
select is(
  pg_temp.run_as('employee', $$update public.leave_requests set status = 'pending' where employee_id = tests.id('employee')
      and leave_type = 'sick'$$),
  0::bigint, 'a cancelled request stays cancelled'
);
select is(
  pg_temp.run_as('marketing_department', $$update public.leave_requests set status = 'approved', approved_date = now()
      where id = tests.id('fx_leave_employee')$$),
  0::bigint, 'a manager cannot decide leave outside their reporting line'
);
select throws_ok(
  $$select pg_temp.run_as('marketing_department', $q$update public.leave_requests set reason = 'rewritten' where id = tests.id('fx_leave_junior')$q$)$$,
  '42501', null, 'a manager cannot rewrite a report''s request'
);
select is(
  pg_temp.run_as('marketing_department', $$update public.leave_requests set status = 'approved', approved_date = now(),
      approved_by = tests.id('marketing_department') where id = tests.id('fx_leave_junior')$$),
  1::bigint, 'a manager approves the leave of their report'
);
select is(
  (select sum(used)::text from public.leave_balances where employee_id = tests.id('junior')),
  '2.0', 'the approved days are counted against the balance'
);
select is(
  pg_temp.value_as('marketing_department', $$select count(*)::text from public.attendance_records where employee_id = tests.id('employee')$$),
  '0', 'a manager does not read attendance outside their reporting line'
);

select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.overtime_records set amount = 500000 where id = tests.id('fx_overtime')$q$)$$,
  '42501', null, 'an employee cannot price their own overtime'
);
select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.overtime_records set status = 'approved', approved_at = now() where id = tests.id('fx_overtime')$q$)$$,
  '42501', null, 'an employee cannot approve their own overtime'
);

select throws_ok(
  $$select pg_temp.run_as('employee', $q$update public.performance_reviews set overall_rating = 5 where id = tests.id('fx_review')$q$)$$,
  '42501', null, 'an employee cannot rate themselves'
);
select is(
  pg_temp.run_as('employee', $$update public.performance_reviews set employee_comments = 'Agreed, thanks', status = 'acknowledged'
      where id = tests.id('fx_review')$$),
  1::bigint, 'an employee comments on and acknowledges their review'
);
select is(
  pg_temp.run_as('staff_department', $$update public.performance_reviews set overall_rating = 1 where id = tests.id('fx_review')$$),
  0::bigint, 'the reviewer cannot change a review once shared'
);
select is(
  pg_temp.run_as('employee', $$update public.training_records set status = 'completed', completed_at = now() where id = tests.id('fx_training')$$),
  0::bigint, 'an employee cannot mark their own training completed'
);

-- The catalogue --------------------------------------------------------------------------------

create temp table people_tables (t regclass);
insert into people_tables
select ('public.' || t)::regclass
  from unnest(array['countries', 'states', 'cities', 'zones', 'pincode_master', 'user_profiles', 'user_preferences',
                    'emergency_contacts', 'user_documents', 'user_kyc_verification', 'user_bank_details', 'user_sessions',
                    'user_activity_log', 'roles', 'permission_modules', 'permissions', 'role_permissions', 'user_roles',
                    'delegation_history', 'role_assignment_history', 'departments', 'department_hierarchy',
                    'attendance_policies', 'attendance_records', 'employee_onboarding', 'employees', 'holidays',
                    'leave_balances', 'leave_requests', 'leave_types', 'overtime_records', 'performance_reviews',
                    'salary_components', 'salary_records', 'salary_structures', 'training_records', 'work_shifts']) t;

select is((select count(*)::int from people_tables), 37, 'the 37 tables of Location, Users, Roles, Departments and HR');
select is(
  (select array_agg(t::text order by t::text) from people_tables p join pg_class c on c.oid = p.t where not c.relrowsecurity),
  null, 'every table has row-level security enabled'
);
select is(
  (select array_agg(t::text order by t::text) from people_tables p
    where not exists (select 1 from pg_policy pol where pol.polrelid = p.t)),
  null, 'every table has at least one policy'
);
select is(
  (select array_agg(pol.polname order by pol.polname) from pg_policy pol join people_tables p on pol.polrelid = p.t
    where pol.polcmd = '*'),
  null, 'no policy is for all commands'
);
select is(
  (select array_agg(pol.polname order by pol.polname) from pg_policy pol join people_tables p on pol.polrelid = p.t
    where pol.polcmd in ('a', 'w') and pol.polwithcheck is null),
  null, 'every insert and update policy has a with check'
);
select is(
  (select array_agg(pol.polname order by pol.polname) from pg_policy pol join people_tables p on pol.polrelid = p.t
    where 0 = any (pol.polroles)),
  null, 'no policy applies to public (every one names anon or authenticated)'
);
select is(
  (select array_agg(p.t::text || ':' || priv order by p.t::text, priv) from people_tables p
    cross join unnest(array['insert', 'update', 'delete', 'truncate', 'references', 'trigger']) priv
    where case when priv in ('insert', 'update') then has_any_column_privilege('anon', p.t, priv)
               else has_table_privilege('anon', p.t, priv) end),
  null, 'anon may write nothing'
);
select is(
  (select array_agg(p.t::text order by p.t::text) from people_tables p where has_any_column_privilege('anon', p.t, 'select')),
  array['cities', 'countries', 'pincode_master', 'states', 'zones'],
  'anon reads only the places'
);
select is(
  (select array_agg(p.t::text order by p.t::text) from people_tables p where has_table_privilege('authenticated', p.t, 'truncate')
     or has_table_privilege('authenticated', p.t, 'references') or has_table_privilege('authenticated', p.t, 'trigger')),
  null, 'signed-in users get no truncate, references or trigger'
);
select is(
  (select array_agg(format('%s.%s', t, c) order by t, c)
     from (values ('user_bank_details', 'account_number_encrypted'), ('user_bank_details', 'account_number_hash'),
                  ('user_kyc_verification', 'document_number_encrypted'), ('user_kyc_verification', 'document_number_hash')) x (t, c)
     cross join unnest(array['anon', 'authenticated']) r
     cross join unnest(array['select', 'insert', 'update']) priv
    where has_column_privilege(r, ('public.' || t)::regclass, c, priv)),
  null, 'no API role may read or write a ciphertext or hash column'
);
select is(
  (select array_agg(c order by c) from unnest(array['role', 'status', 'id', 'created_at']) c
    where has_column_privilege('authenticated', 'public.user_profiles', c, 'update')),
  null, 'user_profiles.role and status (and the keys) are not updatable by signed-in users'
);
select is(
  (select array_agg(p.proname::text order by p.proname) from pg_proc p
    where p.pronamespace = 'public'::regnamespace
      and p.proname in ('save_bank_details', 'reveal_bank_account', 'save_kyc_verification', 'reveal_kyc_document_number',
                        'set_user_role', 'set_user_status')
      and (not p.prosecdef or not coalesce('search_path=""' = any (p.proconfig), false) or has_function_privilege('anon', p.oid, 'execute'))),
  null, 'the RPC functions are security definer, with an empty search_path, closed to anon'
);

select * from finish();
rollback;
