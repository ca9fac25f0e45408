-- HR & Employees: the people of the internal organisation and what HR runs for them:
-- shifts and attendance, leave (types, balances, requests), holidays, overtime, reviews,
-- training, onboarding, and payroll (components, per-employee structures, monthly
-- salary records).
--
-- Indian payroll norms shape the design: amounts are integer paise; statutory components
-- (PF 12% of basic up to the wage ceiling, ESI, professional tax, TDS) are catalogued in
-- salary_components; overtime defaults to twice the ordinary rate (Factories Act s.59).
-- The database keeps the books straight on its own: approved leave is counted against
-- leave_balances by trigger and cannot exceed the entitlement; a leave request cannot
-- overlap another live request; salary structures of an employee cannot overlap; net pay
-- is gross minus deductions. Holidays are also read by booking slot logic (later
-- migrations), so they carry state and city scope.
--
-- Employees, salary records and salary structures are audited.

-- work_shifts --------------------------------------------------------------------------

create table public.work_shifts (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]*$'),
  name text not null,
  start_time time not null,
  end_time time not null,
  crosses_midnight boolean generated always as (end_time < start_time) stored,
  break_minutes integer not null default 60 check (break_minutes between 0 and 240),
  grace_minutes integer not null default 15 check (grace_minutes between 0 and 120),
  working_days smallint[] not null default '{1,2,3,4,5,6}' check (
    cardinality(working_days) between 1 and 7 and working_days <@ '{1,2,3,4,5,6,7}'::smallint[]
  ),
  timezone text not null default 'Asia/Kolkata',
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint work_shifts_times check (start_time <> end_time)
);

comment on table public.work_shifts is 'Shift timings (general office, customer-care morning/evening/night); attendance is judged against the employee''s shift.';
comment on column public.work_shifts.start_time is 'Local start time in timezone.';
comment on column public.work_shifts.end_time is 'Local end time; earlier than start_time for a night shift.';
comment on column public.work_shifts.crosses_midnight is 'True when the shift ends on the next calendar day.';
comment on column public.work_shifts.break_minutes is 'Unpaid break inside the shift, subtracted from worked hours.';
comment on column public.work_shifts.grace_minutes is 'Minutes after start_time before a check-in counts as late.';
comment on column public.work_shifts.working_days is 'ISO weekdays the shift runs (1 = Monday ... 7 = Sunday).';

create index idx_work_shifts_active on public.work_shifts (start_time) where is_active;
create index idx_work_shifts_working_days on public.work_shifts using gin (working_days);

create trigger set_updated_at before update on public.work_shifts
  for each row execute function private.set_updated_at();

alter table public.work_shifts enable row level security;

-- attendance_policies ------------------------------------------------------------------

create table public.attendance_policies (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]*$'),
  name text not null,
  description text,
  work_shift_id uuid references public.work_shifts (id) on delete set null,
  min_hours_full_day numeric(4,2) not null default 8.00 check (min_hours_full_day between 0 and 24),
  min_hours_half_day numeric(4,2) not null default 4.00 check (min_hours_half_day between 0 and 24),
  late_marks_per_half_day integer check (late_marks_per_half_day > 0),
  weekly_offs smallint[] not null default '{7}' check (weekly_offs <@ '{1,2,3,4,5,6,7}'::smallint[]),
  max_wfh_days_per_month integer not null default 0 check (max_wfh_days_per_month between 0 and 31),
  geofence_required boolean not null default false,
  office_location extensions.geography(point, 4326),
  geofence_radius_m integer check (geofence_radius_m between 10 and 5000),
  auto_checkout_time time,
  overtime_eligible boolean not null default true,
  overtime_multiplier numeric(4,2) not null default 2.00 check (overtime_multiplier >= 1),
  is_default boolean not null default false,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint attendance_policies_half_below_full check (min_hours_half_day <= min_hours_full_day),
  constraint attendance_policies_geofence check (not geofence_required or (office_location is not null and geofence_radius_m is not null))
);

comment on table public.attendance_policies is 'Rules that turn check-ins into attendance statuses: hours for full and half days, late marks, weekly offs, work from home, geofenced check-in.';
comment on column public.attendance_policies.work_shift_id is 'Default shift of employees under this policy.';
comment on column public.attendance_policies.late_marks_per_half_day is 'Late check-ins in a month that together count as one half day (a common Indian office rule); null = never.';
comment on column public.attendance_policies.weekly_offs is 'ISO weekdays that are weekly offs (7 = Sunday).';
comment on column public.attendance_policies.office_location is 'Office the geofence is drawn around.';
comment on column public.attendance_policies.geofence_radius_m is 'Check-ins farther than this many metres from office_location are refused or flagged.';
comment on column public.attendance_policies.auto_checkout_time is 'Local time at which a forgotten check-out is closed by the nightly job.';
comment on column public.attendance_policies.overtime_multiplier is 'Overtime pay as a multiple of the ordinary hourly rate (Factories Act s.59: twice).';
comment on column public.attendance_policies.is_default is 'Policy for employees without one; exactly one default.';

create index idx_attendance_policies_work_shift_id on public.attendance_policies (work_shift_id);
create unique index idx_attendance_policies_default on public.attendance_policies (is_default) where is_default;
create index idx_attendance_policies_office_location on public.attendance_policies using gist (office_location);

create trigger set_updated_at before update on public.attendance_policies
  for each row execute function private.set_updated_at();

alter table public.attendance_policies enable row level security;

-- leave_types --------------------------------------------------------------------------

create table public.leave_types (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  description text,
  annual_quota numeric(5,1) check (annual_quota >= 0),
  is_paid boolean not null default true,
  accrual text not null default 'annual' check (accrual in ('annual', 'monthly', 'none')),
  carry_forward_limit numeric(5,1) not null default 0 check (carry_forward_limit >= 0),
  is_encashable boolean not null default false,
  max_consecutive_days integer check (max_consecutive_days > 0),
  min_service_days integer not null default 0 check (min_service_days >= 0),
  requires_document boolean not null default false,
  document_after_days integer check (document_after_days > 0),
  applicable_gender text check (applicable_gender in ('female', 'male')),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- lets leave_requests prove its leave_type text and leave_type_id agree
  unique (id, code)
);

comment on table public.leave_types is 'Kinds of leave and their entitlements (casual, sick, earned, maternity, paternity, emergency, unpaid).';
comment on column public.leave_types.code is 'Stable code; the values of leave_requests.leave_type.';
comment on column public.leave_types.annual_quota is 'Days granted per calendar year; null for leave that is not counted against a balance (unpaid).';
comment on column public.leave_types.accrual is 'How the quota is credited: all at the start of the year, monthly, or not at all.';
comment on column public.leave_types.carry_forward_limit is 'Unused days that may move into the next year (earned leave: up to 30 under most state Shops and Establishments Acts).';
comment on column public.leave_types.is_encashable is 'Unused days are paid out at exit or year end.';
comment on column public.leave_types.max_consecutive_days is 'Longest single request allowed; null = no limit.';
comment on column public.leave_types.min_service_days is 'Days of service before the leave can be taken (earned leave after 240 days, maternity benefit after 80).';
comment on column public.leave_types.document_after_days is 'A supporting document (medical certificate) is needed for requests longer than this.';
comment on column public.leave_types.applicable_gender is 'Restricts the leave to one gender (maternity, paternity); null = everyone.';

create index idx_leave_types_active on public.leave_types (code) where is_active;
create index idx_leave_types_is_paid on public.leave_types (is_paid);

create trigger set_updated_at before update on public.leave_types
  for each row execute function private.set_updated_at();

alter table public.leave_types enable row level security;

-- holidays -----------------------------------------------------------------------------

create table public.holidays (
  id uuid primary key default gen_random_uuid(),
  holiday_date date not null,
  name text not null,
  scope text not null default 'national' check (scope in ('national', 'state', 'city', 'company')),
  state_id uuid references public.states (id) on delete cascade,
  city_id uuid references public.cities (id) on delete cascade,
  is_optional boolean not null default false,
  blocks_bookings boolean not null default false,
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint holidays_scope check (
    case scope
      when 'state' then state_id is not null and city_id is null
      when 'city' then city_id is not null
      else state_id is null and city_id is null
    end
  ),
  constraint holidays_date_name_state_id_city_id_key unique nulls not distinct (holiday_date, name, state_id, city_id)
);

comment on table public.holidays is 'Public and company holidays: office closures for HR, and dates booking slot logic may block.';
comment on column public.holidays.scope is 'national (gazetted, all of India), state (state_id), city (city_id) or company (OMBARO-wide closure).';
comment on column public.holidays.state_id is 'State observing the holiday, for state holidays (Maharashtra Day ...).';
comment on column public.holidays.city_id is 'City observing the holiday, for city holidays (local festivals).';
comment on column public.holidays.is_optional is 'Restricted holiday: employees may pick a limited number of these.';
comment on column public.holidays.blocks_bookings is 'True when no bookings are taken that day in the scope (spas usually open on festivals, so false by default).';

-- A day's holidays are found through the unique (holiday_date, name, state_id, city_id) index.
create index idx_holidays_state_id on public.holidays (state_id, holiday_date);
create index idx_holidays_city_id on public.holidays (city_id, holiday_date);
create index idx_holidays_blocks_bookings on public.holidays (holiday_date) where blocks_bookings;

create trigger set_updated_at before update on public.holidays
  for each row execute function private.set_updated_at();

alter table public.holidays enable row level security;

-- salary_components --------------------------------------------------------------------

create table public.salary_components (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]*$'),
  name text not null,
  description text,
  component_type text not null check (component_type in ('earning', 'deduction', 'employer_contribution')),
  calculation_type text not null check (calculation_type in ('structure', 'fixed', 'percent_of_basic', 'percent_of_gross', 'balancing', 'slab')),
  percentage numeric(5,2) check (percentage between 0 and 100),
  fixed_amount bigint check (fixed_amount >= 0),
  wage_ceiling bigint check (wage_ceiling >= 0),
  is_taxable boolean not null default true,
  is_statutory boolean not null default false,
  display_order integer not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint salary_components_percentage check (
    (calculation_type in ('percent_of_basic', 'percent_of_gross')) = (percentage is not null)
  ),
  constraint salary_components_fixed check ((calculation_type = 'fixed') = (fixed_amount is not null))
);

comment on table public.salary_components is 'Pay heads of the payslip (BASIC, HRA, special allowance, PF, ESI, professional tax, TDS) and how each is computed.';
comment on column public.salary_components.component_type is 'earning (adds to gross), deduction (reduces net) or employer_contribution (part of CTC, not of gross: employer PF and ESI).';
comment on column public.salary_components.calculation_type is 'structure (amount set per employee in salary_structures, e.g. BASIC), fixed amount, percent of basic, percent of gross, balancing (what is left of the monthly gross) or slab (state professional tax, income-tax TDS).';
comment on column public.salary_components.percentage is 'Rate for percent_of_basic and percent_of_gross components, e.g. 12.00 for PF.';
comment on column public.salary_components.fixed_amount is 'Monthly amount for fixed components, in paise.';
comment on column public.salary_components.wage_ceiling is 'Monthly wage the percentage applies up to (PF: Rs 15,000) or above which the component stops (ESI: Rs 21,000 gross), in paise.';
comment on column public.salary_components.is_taxable is 'Counts towards taxable income for TDS.';
comment on column public.salary_components.is_statutory is 'Required by law (PF, ESI, PT, TDS) rather than company policy.';

create index idx_salary_components_type on public.salary_components (component_type, display_order);
create index idx_salary_components_active on public.salary_components (code) where is_active;

create trigger set_updated_at before update on public.salary_components
  for each row execute function private.set_updated_at();

alter table public.salary_components enable row level security;

-- employees ----------------------------------------------------------------------------

create table public.employees (
  id uuid primary key references auth.users (id) on delete cascade,
  employee_code text not null,
  name text not null,
  email text not null unique check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  mobile text not null check (mobile ~ '^\+?[1-9][0-9]{9,14}$'),
  gender text check (gender in ('male', 'female', 'other')),
  date_of_birth date,
  profile_photo text,
  department text not null,
  department_id uuid references public.departments (id) on delete restrict,
  designation text not null,
  employee_type text check (employee_type in ('full_time', 'part_time', 'contract', 'intern')),
  reporting_manager uuid references public.employees (id) on delete set null,
  joining_date date not null,
  probation_end_date date,
  confirmation_date date,
  resignation_date date,
  last_working_date date,
  status text not null default 'active' check (status in ('active', 'inactive', 'on_leave', 'terminated')),
  work_shift_id uuid references public.work_shifts (id) on delete set null,
  attendance_policy_id uuid references public.attendance_policies (id) on delete set null,
  work_city_id uuid references public.cities (id) on delete set null,
  uan text check (uan ~ '^[0-9]{12}$'),
  esic_number text check (esic_number ~ '^[0-9]{10,17}$'),
  salary_account_id uuid references public.user_bank_details (id) on delete set null,
  address jsonb,
  emergency_contact jsonb,
  documents jsonb not null default '[]'::jsonb,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint employees_not_own_manager check (reporting_manager is distinct from id),
  constraint employees_probation check (probation_end_date is null or probation_end_date >= joining_date),
  constraint employees_exit check (last_working_date is null or last_working_date >= joining_date)
);

comment on table public.employees is 'Staff of the OMBARO organisation (not vendor therapists): one row per employee, keyed by their auth user. Soft-deleted, audited.';
comment on column public.employees.employee_code is 'HR employee number, unique, printed on payslips and ID cards.';
comment on column public.employees.department is 'Department role code the employee works under (e.g. hr_department), as the apps map it to roles.';
comment on column public.employees.department_id is 'Department in the organisation tree; drives reporting lines and cost centre.';
comment on column public.employees.reporting_manager is 'Employee this one reports to; leave and overtime approvals go to them.';
comment on column public.employees.work_shift_id is 'Shift the employee works; null = the attendance policy''s default shift.';
comment on column public.employees.attendance_policy_id is 'Attendance policy; null = the default policy.';
comment on column public.employees.work_city_id is 'City of the office the employee works from (professional tax and holidays follow the state).';
comment on column public.employees.uan is 'EPFO Universal Account Number (12 digits) for provident fund.';
comment on column public.employees.esic_number is 'ESIC insurance number, for employees under the ESI wage ceiling.';
comment on column public.employees.salary_account_id is 'Verified bank account salaries are paid to (account numbers are stored encrypted in user_bank_details).';
comment on column public.employees.address is 'Residential address { street, city, state, pincode, country }.';
comment on column public.employees.emergency_contact is 'Quick-reference contact { name, relation, phone, alternate_phone }; the full list is emergency_contacts.';
comment on column public.employees.documents is 'Document index [{ type, url, uploaded_at }]; reviewed files are user_documents rows.';
comment on column public.employees.deleted_at is 'Soft delete: salary, attendance and review history must outlive the employee''s active record.';

-- The spec names this index; it is the unique index on employee_code.
create unique index idx_employees_code on public.employees (employee_code);
create index idx_employees_department on public.employees (department);
create index idx_employees_manager on public.employees (reporting_manager);
create index idx_employees_status on public.employees (status) where deleted_at is null;
create index idx_employees_department_id on public.employees (department_id);
create index idx_employees_work_shift_id on public.employees (work_shift_id);
create index idx_employees_attendance_policy_id on public.employees (attendance_policy_id);
create index idx_employees_work_city_id on public.employees (work_city_id);
create index idx_employees_salary_account_id on public.employees (salary_account_id);
create index idx_employees_joining_date on public.employees (joining_date);
create index idx_employees_name_trgm on public.employees using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.employees
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.employees
  for each row execute function private.audit_row();

alter table public.employees enable row level security;

-- departments.head_employee_id was left without its foreign key in V5.
alter table public.departments
  add constraint departments_head_employee_id_fkey foreign key (head_employee_id)
  references public.employees (id) on delete set null;

-- employee_onboarding ------------------------------------------------------------------

create table public.employee_onboarding (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  joining_date date not null,
  offer_letter_issued_at timestamptz,
  offer_accepted_at timestamptz,
  hr_owner_id uuid references public.employees (id) on delete set null,
  buddy_employee_id uuid references public.employees (id) on delete set null,
  checklist jsonb not null default '[]'::jsonb,
  background_verification_status text not null default 'not_started' check (background_verification_status in ('not_started', 'in_progress', 'cleared', 'failed')),
  documents_collected boolean not null default false,
  assets_issued boolean not null default false,
  accounts_created boolean not null default false,
  induction_completed_at timestamptz,
  status text not null default 'pending' check (status in ('pending', 'in_progress', 'completed', 'cancelled')),
  completed_at timestamptz,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint employee_onboarding_completed check ((status = 'completed') = (completed_at is not null))
);

comment on table public.employee_onboarding is 'Joining formalities of a new employee: offer, documents, background verification, assets, accounts and induction.';
comment on column public.employee_onboarding.hr_owner_id is 'HR employee running this onboarding.';
comment on column public.employee_onboarding.buddy_employee_id is 'Colleague assigned to help the new joiner in the first weeks.';
comment on column public.employee_onboarding.checklist is 'Remaining steps [{ item, owner, due_on, done_at }].';
comment on column public.employee_onboarding.background_verification_status is 'Result of the third-party background check (address, education, previous employment, police record).';
comment on column public.employee_onboarding.assets_issued is 'Laptop, SIM card, ID card issued (tracked in asset_tracking).';
comment on column public.employee_onboarding.accounts_created is 'Email and admin app accounts provisioned.';

create index idx_employee_onboarding_employee_id on public.employee_onboarding (employee_id);
create index idx_employee_onboarding_status on public.employee_onboarding (status, joining_date);
create index idx_employee_onboarding_hr_owner_id on public.employee_onboarding (hr_owner_id);
create index idx_employee_onboarding_buddy_employee_id on public.employee_onboarding (buddy_employee_id);

create trigger set_updated_at before update on public.employee_onboarding
  for each row execute function private.set_updated_at();

alter table public.employee_onboarding enable row level security;

-- attendance_records -------------------------------------------------------------------

create table public.attendance_records (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  date date not null,
  check_in_time timestamptz,
  check_out_time timestamptz,
  status text not null check (status in ('present', 'absent', 'late', 'half_day', 'leave', 'work_from_home', 'holiday')),
  work_hours numeric(5,2) check (work_hours between 0 and 24),
  work_shift_id uuid references public.work_shifts (id) on delete set null,
  late_minutes integer not null default 0 check (late_minutes >= 0),
  source text not null default 'app' check (source in ('app', 'biometric', 'manual', 'system')),
  check_in_location jsonb,
  check_out_location jsonb,
  notes text,
  approved_by uuid references public.employees (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (employee_id, date),
  constraint attendance_records_times check (check_out_time is null or (check_in_time is not null and check_out_time >= check_in_time))
);

comment on table public.attendance_records is 'One row per employee per working day: check-in and check-out, hours and the resulting status.';
comment on column public.attendance_records.date is 'Working day in the employee''s local time (the shift start date for night shifts).';
comment on column public.attendance_records.work_hours is 'Hours worked after breaks, computed at check-out.';
comment on column public.attendance_records.work_shift_id is 'Shift the day was judged against.';
comment on column public.attendance_records.late_minutes is 'Minutes after shift start plus grace at which the employee checked in.';
comment on column public.attendance_records.source is 'How the record was made: mobile app (geofenced), biometric device, manual entry by HR, or the nightly job.';
comment on column public.attendance_records.check_in_location is '{ latitude, longitude, address, accuracy_m } reported by the app at check-in.';
comment on column public.attendance_records.approved_by is 'Manager or HR who approved a manual entry or regularisation.';

-- An employee's attendance is found through the unique (employee_id, date) index.
create index idx_attendance_date on public.attendance_records (date);
create index idx_attendance_status on public.attendance_records (status);
create index idx_attendance_records_work_shift_id on public.attendance_records (work_shift_id);
create index idx_attendance_records_approved_by on public.attendance_records (approved_by);

create trigger set_updated_at before update on public.attendance_records
  for each row execute function private.set_updated_at();

alter table public.attendance_records enable row level security;

-- leave_balances -----------------------------------------------------------------------

create table public.leave_balances (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  leave_type_id uuid not null references public.leave_types (id) on delete restrict,
  year smallint not null check (year between 2000 and 2100),
  entitled numeric(5,1) not null default 0 check (entitled >= 0),
  carried_forward numeric(5,1) not null default 0 check (carried_forward >= 0),
  used numeric(5,1) not null default 0 check (used >= 0),
  available numeric(5,1) generated always as (entitled + carried_forward - used) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (employee_id, leave_type_id, year),
  constraint leave_balances_within_entitlement check (used <= entitled + carried_forward)
);

comment on table public.leave_balances is 'Days of each leave type an employee has for a calendar year; used is kept by a trigger on leave_requests and may never exceed what was granted.';
comment on column public.leave_balances.year is 'Calendar year (January to December) the balance covers.';
comment on column public.leave_balances.entitled is 'Days credited for the year (pro-rated for joiners).';
comment on column public.leave_balances.carried_forward is 'Unused days brought from the previous year, within the leave type''s carry_forward_limit.';
comment on column public.leave_balances.used is 'Days of approved leave in the year; maintained by trigger, not by the apps.';
comment on column public.leave_balances.available is 'Days still available.';

create index idx_leave_balances_leave_type_id on public.leave_balances (leave_type_id, year);
create index idx_leave_balances_year on public.leave_balances (year);

create trigger set_updated_at before update on public.leave_balances
  for each row execute function private.set_updated_at();

alter table public.leave_balances enable row level security;

-- leave_requests -----------------------------------------------------------------------

create table public.leave_requests (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  leave_type text not null check (leave_type in (
    'sick', 'casual', 'earned', 'maternity', 'paternity', 'emergency', 'unpaid'
  )),
  leave_type_id uuid not null,
  from_date date not null,
  to_date date not null,
  total_days integer generated always as (to_date - from_date + 1) stored,
  reason text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'cancelled')),
  applied_date timestamptz not null default now(),
  approved_by uuid references public.employees (id) on delete set null,
  approved_date timestamptz,
  rejection_reason text,
  documents text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (to_date >= from_date),
  constraint leave_requests_leave_type_fkey foreign key (leave_type_id, leave_type)
    references public.leave_types (id, code) on update cascade on delete restrict,
  constraint leave_requests_no_overlap exclude using gist (
    employee_id with =,
    daterange(from_date, to_date, '[]') with &&
  ) where (status in ('pending', 'approved')),
  constraint leave_requests_rejected check (status <> 'rejected' or rejection_reason is not null)
);

comment on table public.leave_requests is 'Leave applications and their approval; approved days are counted against leave_balances, and live requests of one employee cannot overlap.';
comment on column public.leave_requests.leave_type is 'Leave type code, as in the spec; leave_type_id is filled from it (or it from leave_type_id).';
comment on column public.leave_requests.leave_type_id is 'The leave_types row; kept consistent with leave_type by a composite foreign key.';
comment on column public.leave_requests.total_days is 'Calendar days requested, both ends included.';
comment on column public.leave_requests.approved_by is 'Employee (manager or HR) who approved or rejected the request.';
comment on column public.leave_requests.documents is 'Storage paths of supporting documents (medical certificate ...).';

create index idx_leave_requests_employee on public.leave_requests (employee_id);
create index idx_leave_requests_status on public.leave_requests (status);
create index idx_leave_requests_dates on public.leave_requests (from_date, to_date);
create index idx_leave_requests_leave_type_id on public.leave_requests (leave_type_id, leave_type);
create index idx_leave_requests_approved_by on public.leave_requests (approved_by);

-- Whichever of leave_type / leave_type_id the app sent, fill in the other.
create or replace function private.resolve_leave_type()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.leave_type is distinct from old.leave_type and new.leave_type_id = old.leave_type_id then
    new.leave_type_id := null;
  end if;
  if new.leave_type_id is null and new.leave_type is not null then
    select lt.id into new.leave_type_id from public.leave_types lt where lt.code = new.leave_type;
    if new.leave_type_id is null then
      raise exception 'leave type % is not configured in leave_types', new.leave_type using errcode = '23503';
    end if;
  elsif new.leave_type is null and new.leave_type_id is not null then
    select lt.code into new.leave_type from public.leave_types lt where lt.id = new.leave_type_id;
  end if;
  return new;
end
$$;

-- Counts approved days into leave_balances.used, per calendar year the leave falls in;
-- takes them back when an approved request is cancelled, rejected or re-dated. Leave
-- types without a quota (unpaid) have no balance. The balance's check constraint refuses
-- approvals beyond the entitlement. Approved requests are cancelled, never deleted, so
-- deletes need no handling.
create or replace function private.apply_leave_to_balance()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  y record;
begin
  if tg_op = 'UPDATE' and old.status = 'approved'
     and exists (select 1 from public.leave_types lt where lt.id = old.leave_type_id and lt.annual_quota is not null) then
    for y in
      select extract(year from d)::smallint as yr, count(*)::numeric as days
        from pg_catalog.generate_series(old.from_date::timestamp, old.to_date::timestamp, interval '1 day') as d
       group by 1
    loop
      update public.leave_balances b
         set used = b.used - y.days
       where b.employee_id = old.employee_id and b.leave_type_id = old.leave_type_id and b.year = y.yr;
    end loop;
  end if;

  if new.status = 'approved'
     and exists (select 1 from public.leave_types lt where lt.id = new.leave_type_id and lt.annual_quota is not null) then
    for y in
      select extract(year from d)::smallint as yr, count(*)::numeric as days
        from pg_catalog.generate_series(new.from_date::timestamp, new.to_date::timestamp, interval '1 day') as d
       group by 1
    loop
      update public.leave_balances b
         set used = b.used + y.days
       where b.employee_id = new.employee_id and b.leave_type_id = new.leave_type_id and b.year = y.yr;
      if not found then
        raise exception 'no % leave balance for employee % in %', new.leave_type, new.employee_id, y.yr
          using errcode = '23514', hint = 'credit leave_balances for the year before approving';
      end if;
    end loop;
  end if;
  return null;
end
$$;

create trigger resolve_leave_type before insert or update of leave_type, leave_type_id on public.leave_requests
  for each row execute function private.resolve_leave_type();

create trigger apply_leave_to_balance after insert on public.leave_requests
  for each row when (new.status = 'approved') execute function private.apply_leave_to_balance();

create trigger apply_leave_to_balance_on_change after update of status, from_date, to_date, leave_type_id on public.leave_requests
  for each row when (old.status = 'approved' or new.status = 'approved')
  execute function private.apply_leave_to_balance();

create trigger set_updated_at before update on public.leave_requests
  for each row execute function private.set_updated_at();

alter table public.leave_requests enable row level security;

-- performance_reviews ------------------------------------------------------------------

create table public.performance_reviews (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  review_period_start date not null,
  review_period_end date not null,
  reviewer_id uuid not null references public.employees (id) on delete restrict,
  review_type text check (review_type in ('quarterly', 'half_yearly', 'annual', 'probation')),
  overall_rating numeric(3,2) check (overall_rating between 0 and 5),
  technical_rating numeric(3,2) check (technical_rating between 0 and 5),
  communication_rating numeric(3,2) check (communication_rating between 0 and 5),
  teamwork_rating numeric(3,2) check (teamwork_rating between 0 and 5),
  leadership_rating numeric(3,2) check (leadership_rating between 0 and 5),
  goals jsonb not null default '[]'::jsonb,
  achievements text[],
  areas_of_improvement text[],
  reviewer_comments text,
  employee_comments text,
  action_plan text,
  review_date date not null,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'acknowledged')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint performance_reviews_period check (review_period_end >= review_period_start),
  constraint performance_reviews_not_self check (reviewer_id <> employee_id)
);

comment on table public.performance_reviews is 'Periodic and probation reviews of employees with ratings out of 5, goals and the employee''s acknowledgement.';
comment on column public.performance_reviews.reviewer_id is 'Employee who wrote the review (usually the reporting manager); kept, so reviewers cannot be deleted.';
comment on column public.performance_reviews.goals is 'Goals of the period [{ goal, status, achievement_percentage }].';
comment on column public.performance_reviews.status is 'draft (reviewer editing), submitted (shared with employee), acknowledged (employee has read and commented).';

create index idx_performance_reviews_employee on public.performance_reviews (employee_id);
create index idx_performance_reviews_reviewer on public.performance_reviews (reviewer_id);
create index idx_performance_reviews_period on public.performance_reviews (review_period_start, review_period_end);
create index idx_performance_reviews_status on public.performance_reviews (status);

create trigger set_updated_at before update on public.performance_reviews
  for each row execute function private.set_updated_at();

alter table public.performance_reviews enable row level security;

-- salary_structures --------------------------------------------------------------------

create table public.salary_structures (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete restrict,
  effective_from date not null,
  effective_to date,
  ctc bigint not null check (ctc >= 0),
  gross_monthly bigint not null check (gross_monthly >= 0),
  basic_monthly bigint not null check (basic_monthly >= 0),
  components jsonb not null default '[]'::jsonb,
  tax_regime text not null default 'new' check (tax_regime in ('old', 'new')),
  status text not null default 'draft' check (status in ('draft', 'active', 'superseded')),
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint salary_structures_period check (effective_to is null or effective_to >= effective_from),
  constraint salary_structures_basic_within_gross check (basic_monthly <= gross_monthly),
  constraint salary_structures_approved check (status = 'draft' or approved_at is not null),
  constraint salary_structures_no_overlap exclude using gist (
    employee_id with =,
    daterange(effective_from, effective_to, '[]') with &&
  ) where (status <> 'draft')
);

comment on table public.salary_structures is 'Compensation of an employee from a date: annual CTC and its monthly break-up into salary components. Revisions add a new row; periods never overlap. Audited.';
comment on column public.salary_structures.effective_to is 'Last day the structure applies; null = until revised.';
comment on column public.salary_structures.ctc is 'Annual cost to company, in paise.';
comment on column public.salary_structures.gross_monthly is 'Monthly gross earnings before deductions, in paise.';
comment on column public.salary_structures.basic_monthly is 'Monthly basic pay (the base of HRA and PF), in paise.';
comment on column public.salary_structures.components is 'Monthly break-up [{ code, amount }] by salary_components code, amounts in paise.';
comment on column public.salary_structures.tax_regime is 'Income-tax regime the employee chose for TDS (new regime is the default since FY 2023-24).';

create index idx_salary_structures_employee_id on public.salary_structures (employee_id, effective_from desc);
create index idx_salary_structures_status on public.salary_structures (status);
create index idx_salary_structures_approved_by on public.salary_structures (approved_by);

create trigger set_updated_at before update on public.salary_structures
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.salary_structures
  for each row execute function private.audit_row();

alter table public.salary_structures enable row level security;

-- salary_records -----------------------------------------------------------------------

create table public.salary_records (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete restrict,
  salary_structure_id uuid references public.salary_structures (id) on delete set null,
  month integer not null check (month between 1 and 12),
  year integer not null check (year between 2000 and 2100),
  working_days numeric(4,1) check (working_days between 0 and 31),
  paid_days numeric(4,1) check (paid_days between 0 and 31),
  basic_salary bigint not null check (basic_salary >= 0),
  allowances jsonb not null default '{}'::jsonb,
  deductions jsonb not null default '{}'::jsonb,
  overtime_hours numeric(5,2) not null default 0 check (overtime_hours >= 0),
  overtime_amount bigint not null default 0 check (overtime_amount >= 0),
  bonus bigint not null default 0 check (bonus >= 0),
  gross_salary bigint not null check (gross_salary >= 0),
  total_deductions bigint not null check (total_deductions >= 0),
  net_salary bigint not null check (net_salary >= 0),
  payment_date date,
  payment_method text check (payment_method in ('bank_transfer', 'neft', 'imps', 'rtgs', 'upi', 'cheque', 'cash')),
  payment_reference text,
  payslip_path text,
  status text not null default 'pending' check (status in ('pending', 'processed', 'paid', 'hold')),
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (employee_id, month, year),
  constraint salary_records_net check (net_salary = gross_salary - total_deductions),
  constraint salary_records_paid check (status <> 'paid' or payment_date is not null)
);

comment on table public.salary_records is 'Monthly payroll result per employee: earnings, deductions and net pay, and how it was paid. Amounts in paise. Audited.';
comment on column public.salary_records.salary_structure_id is 'Structure the month was computed from.';
comment on column public.salary_records.working_days is 'Payable days in the month under the company calendar.';
comment on column public.salary_records.paid_days is 'Days paid after loss-of-pay (unpaid leave, absence).';
comment on column public.salary_records.basic_salary is 'Basic pay for the month, in paise.';
comment on column public.salary_records.allowances is 'Earnings besides basic { hra, transport, medical, special, other }, each in paise.';
comment on column public.salary_records.deductions is 'Deductions { pf, esi, professional_tax, tds, loan_emi, advance, other }, each in paise.';
comment on column public.salary_records.overtime_amount is 'Overtime pay for the month, in paise.';
comment on column public.salary_records.bonus is 'Bonus paid with this month''s salary (statutory bonus, performance bonus), in paise.';
comment on column public.salary_records.gross_salary is 'Total earnings for the month, in paise.';
comment on column public.salary_records.total_deductions is 'Sum of deductions, in paise.';
comment on column public.salary_records.net_salary is 'Take-home pay, gross_salary minus total_deductions, in paise.';
comment on column public.salary_records.payment_reference is 'Bank UTR or cheque number of the salary credit.';
comment on column public.salary_records.payslip_path is 'Storage path of the generated payslip PDF.';

-- An employee's salary records are found through the unique (employee_id, month, year) index.
create index idx_salary_records_period on public.salary_records (year, month);
create index idx_salary_records_status on public.salary_records (status);
create index idx_salary_records_salary_structure_id on public.salary_records (salary_structure_id);

create trigger set_updated_at before update on public.salary_records
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.salary_records
  for each row execute function private.audit_row();

alter table public.salary_records enable row level security;

-- overtime_records ---------------------------------------------------------------------

create table public.overtime_records (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  attendance_record_id uuid references public.attendance_records (id) on delete set null,
  work_date date not null,
  hours numeric(5,2) not null check (hours > 0 and hours <= 16),
  rate_multiplier numeric(4,2) not null default 2.00 check (rate_multiplier >= 1),
  amount bigint not null default 0 check (amount >= 0),
  reason text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'paid')),
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  salary_record_id uuid references public.salary_records (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint overtime_records_approved check (status not in ('approved', 'paid') or approved_at is not null),
  constraint overtime_records_paid check (status <> 'paid' or salary_record_id is not null)
);

comment on table public.overtime_records is 'Extra hours worked beyond the shift, their approval and the payroll month that paid them.';
comment on column public.overtime_records.hours is 'Overtime hours claimed for the day.';
comment on column public.overtime_records.rate_multiplier is 'Multiple of the ordinary hourly rate paid (Factories Act s.59: twice).';
comment on column public.overtime_records.amount is 'Overtime pay computed at approval, in paise.';
comment on column public.overtime_records.salary_record_id is 'Salary record that paid this overtime.';

create index idx_overtime_records_employee_id on public.overtime_records (employee_id, work_date desc);
create index idx_overtime_records_attendance_record_id on public.overtime_records (attendance_record_id);
create index idx_overtime_records_status on public.overtime_records (status, work_date);
create index idx_overtime_records_approved_by on public.overtime_records (approved_by);
create index idx_overtime_records_salary_record_id on public.overtime_records (salary_record_id);

create trigger set_updated_at before update on public.overtime_records
  for each row execute function private.set_updated_at();

alter table public.overtime_records enable row level security;

-- training_records ---------------------------------------------------------------------

create table public.training_records (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete cascade,
  title text not null,
  training_type text not null check (training_type in (
    'induction', 'technical', 'soft_skills', 'compliance', 'posh', 'data_protection',
    'safety', 'product', 'leadership', 'certification'
  )),
  provider text,
  trainer_name text,
  mode text not null default 'online' check (mode in ('classroom', 'online', 'on_the_job', 'external')),
  start_date date not null,
  end_date date,
  duration_hours numeric(6,2) check (duration_hours > 0),
  is_mandatory boolean not null default false,
  status text not null default 'planned' check (status in ('planned', 'enrolled', 'in_progress', 'completed', 'failed', 'cancelled')),
  score numeric(5,2) check (score between 0 and 100),
  certificate_path text,
  certificate_expires_on date,
  cost bigint not null default 0 check (cost >= 0),
  assigned_by uuid references public.employees (id) on delete set null,
  completed_at timestamptz,
  feedback text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint training_records_period check (end_date is null or end_date >= start_date),
  constraint training_records_completed check (status <> 'completed' or completed_at is not null)
);

comment on table public.training_records is 'Trainings assigned to and completed by employees, including mandatory POSH (Sexual Harassment of Women at Workplace Act) and data-protection courses.';
comment on column public.training_records.score is 'Assessment score in percent.';
comment on column public.training_records.certificate_path is 'Storage path of the completion certificate.';
comment on column public.training_records.certificate_expires_on is 'When the certification must be renewed (first aid, safety).';
comment on column public.training_records.cost is 'Fee paid for the training, in paise.';
comment on column public.training_records.assigned_by is 'Manager or HR who assigned the training.';

create index idx_training_records_employee_id on public.training_records (employee_id, start_date desc);
create index idx_training_records_status on public.training_records (status);
create index idx_training_records_type on public.training_records (training_type);
create index idx_training_records_assigned_by on public.training_records (assigned_by);
create index idx_training_records_certificate_expires_on on public.training_records (certificate_expires_on) where certificate_expires_on is not null;

create trigger set_updated_at before update on public.training_records
  for each row execute function private.set_updated_at();

alter table public.training_records enable row level security;
