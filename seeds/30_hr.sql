-- Reference HR data: leave types with Indian statutory norms, the 2026 holiday calendar
-- (gazetted national holidays and major festivals, plus a few state holidays of launch
-- states), work shifts, the default attendance policy and the payroll components.
--
-- Idempotent: rows are skipped when their natural key (code; date, name and place for
-- holidays) exists. Festival dates follow the Government of India list of holidays for
-- central government offices, 2026; lunar festivals can move by a day when the moon is
-- sighted, so HR should confirm them each year.

-- leave_types ----------------------------------------------------------------------------

insert into public.leave_types (
  code, name, description, annual_quota, is_paid, accrual, carry_forward_limit, is_encashable,
  max_consecutive_days, min_service_days, requires_document, document_after_days, applicable_gender
)
values
  ('casual', 'Casual Leave', 'Short personal needs; cannot be carried forward.', 12, true, 'monthly', 0, false, 3, 0, false, null, null),
  ('sick', 'Sick Leave', 'Illness or injury; medical certificate for more than two consecutive days.', 12, true, 'annual', 0, false, null, 0, true, 2, null),
  ('earned', 'Earned Leave', 'Privilege leave earned at one day per twenty days worked; carried forward up to 30 days and encashable at exit.', 15, true, 'monthly', 30, true, null, 240, false, null, null),
  ('maternity', 'Maternity Leave', 'Twenty-six weeks of paid leave under the Maternity Benefit Act, 1961 (as amended in 2017) after 80 days of service.', 182, true, 'none', 0, false, 182, 80, true, 1, 'female'),
  ('paternity', 'Paternity Leave', 'Fifteen days around childbirth or adoption, to be taken within six months.', 15, true, 'none', 0, false, 15, 0, true, 1, 'male'),
  ('emergency', 'Emergency Leave', 'Sudden family emergencies or bereavement.', 3, true, 'annual', 0, false, 3, 0, false, null, null),
  ('unpaid', 'Leave Without Pay', 'Loss-of-pay leave when no paid balance is left; deducted from salary, not counted against a balance.', null, false, 'none', 0, false, null, 0, false, null, null)
on conflict (code) do nothing;

-- holidays -------------------------------------------------------------------------------

insert into public.holidays (holiday_date, name, scope, is_optional, description)
values
  (date '2026-01-26', 'Republic Day', 'national', false, 'National holiday.'),
  (date '2026-03-04', 'Holi', 'national', false, null),
  (date '2026-03-21', 'Id-ul-Fitr', 'national', false, 'Subject to moon sighting.'),
  (date '2026-03-26', 'Ram Navami', 'national', false, null),
  (date '2026-03-31', 'Mahavir Jayanti', 'national', false, null),
  (date '2026-04-03', 'Good Friday', 'national', false, null),
  (date '2026-05-01', 'Buddha Purnima', 'national', false, null),
  (date '2026-05-27', 'Id-ul-Zuha (Bakrid)', 'national', false, 'Subject to moon sighting.'),
  (date '2026-06-26', 'Muharram', 'national', false, 'Subject to moon sighting.'),
  (date '2026-08-15', 'Independence Day', 'national', false, 'National holiday.'),
  (date '2026-08-26', 'Milad-un-Nabi', 'national', false, 'Subject to moon sighting.'),
  (date '2026-09-04', 'Janmashtami', 'national', false, null),
  (date '2026-10-02', 'Gandhi Jayanti', 'national', false, 'National holiday.'),
  (date '2026-10-20', 'Dussehra', 'national', false, null),
  (date '2026-11-08', 'Diwali (Deepavali)', 'national', false, null),
  (date '2026-11-24', 'Guru Nanak Jayanti', 'national', false, null),
  (date '2026-12-25', 'Christmas', 'national', false, null),
  (date '2026-01-14', 'Makar Sankranti / Pongal', 'national', true, 'Restricted holiday.'),
  (date '2026-09-14', 'Ganesh Chaturthi', 'national', true, 'Restricted holiday; a full holiday in Maharashtra offices by state notification.')
on conflict (holiday_date, name, state_id, city_id) do nothing;

insert into public.holidays (holiday_date, name, scope, state_id, is_optional, description)
select v.holiday_date, v.name, 'state', s.id, false, v.description
  from (values
    (date '2026-05-01', 'Maharashtra Day', 'IN-MH', 'Formation of Maharashtra state.'),
    (date '2026-06-02', 'Telangana Formation Day', 'IN-TS', 'Formation of Telangana state.'),
    (date '2026-11-01', 'Kannada Rajyotsava', 'IN-KA', 'Formation of Karnataka state.'),
    (date '2026-04-14', 'Tamil New Year', 'IN-TN', 'Puthandu.')
  ) as v (holiday_date, name, state_code, description)
  join public.states s on s.code = v.state_code
on conflict (holiday_date, name, state_id, city_id) do nothing;

-- work_shifts ----------------------------------------------------------------------------

insert into public.work_shifts (code, name, start_time, end_time, break_minutes, grace_minutes, working_days)
values
  ('GENERAL', 'General office shift', time '09:30', time '18:30', 60, 15, '{1,2,3,4,5,6}'),
  ('MORNING', 'Customer care morning', time '07:00', time '16:00', 60, 10, '{1,2,3,4,5,6,7}'),
  ('EVENING', 'Customer care evening', time '13:00', time '22:00', 60, 10, '{1,2,3,4,5,6,7}'),
  ('NIGHT', 'Customer care night', time '22:00', time '07:00', 60, 10, '{1,2,3,4,5,6,7}'),
  ('FIELD', 'Field operations', time '10:00', time '19:00', 45, 15, '{1,2,3,4,5,6}')
on conflict (code) do nothing;

-- attendance_policies --------------------------------------------------------------------

insert into public.attendance_policies (
  code, name, description, work_shift_id, min_hours_full_day, min_hours_half_day,
  late_marks_per_half_day, weekly_offs, max_wfh_days_per_month, auto_checkout_time,
  overtime_eligible, overtime_multiplier, is_default
)
select 'DEFAULT', 'Default office policy',
       'Eight hours make a full day and four a half day; three late marks in a month count as a half day; Sunday weekly off; up to four work-from-home days a month.',
       ws.id, 8.00, 4.00, 3, '{7}', 4, time '23:59', true, 2.00, true
  from public.work_shifts ws
 where ws.code = 'GENERAL'
on conflict (code) do nothing;

-- salary_components ----------------------------------------------------------------------

-- Amounts in paise: the PF wage ceiling is Rs 15,000 a month, the ESI ceiling Rs 21,000
-- gross a month.
insert into public.salary_components (
  code, name, description, component_type, calculation_type, percentage, fixed_amount,
  wage_ceiling, is_taxable, is_statutory, display_order
)
values
  ('BASIC', 'Basic Salary', 'Base of HRA, PF and gratuity; usually 40-50% of CTC.', 'earning', 'structure', null, null, null, true, false, 10),
  ('HRA', 'House Rent Allowance', '40% of basic (50% in metro cities); partly exempt under section 10(13A) in the old regime.', 'earning', 'percent_of_basic', 40.00, null, null, true, false, 20),
  ('SPECIAL', 'Special Allowance', 'Balance of the monthly gross after the other earnings.', 'earning', 'balancing', null, null, null, true, false, 30),
  ('PF', 'Provident Fund (employee)', 'Employee EPF contribution, 12% of basic up to the wage ceiling.', 'deduction', 'percent_of_basic', 12.00, null, 1500000, false, true, 110),
  ('ESI', 'Employees'' State Insurance (employee)', 'Employee ESI contribution, 0.75% of gross while gross is within the ceiling.', 'deduction', 'percent_of_gross', 0.75, null, 2100000, false, true, 120),
  ('PT', 'Professional Tax', 'State professional tax by salary slab (at most Rs 2,500 a year).', 'deduction', 'slab', null, null, null, false, true, 130),
  ('TDS', 'Income Tax (TDS)', 'Tax deducted at source under section 192, by the employee''s chosen regime.', 'deduction', 'slab', null, null, null, false, true, 140),
  ('PF_EMPLOYER', 'Provident Fund (employer)', 'Employer EPF and EPS contribution, 12% of basic up to the wage ceiling; part of CTC.', 'employer_contribution', 'percent_of_basic', 12.00, null, 1500000, false, true, 210),
  ('ESI_EMPLOYER', 'Employees'' State Insurance (employer)', 'Employer ESI contribution, 3.25% of gross while gross is within the ceiling; part of CTC.', 'employer_contribution', 'percent_of_gross', 3.25, null, 2100000, false, true, 220)
on conflict (code) do nothing;
