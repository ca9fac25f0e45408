-- Finance reference data: the payment gateways the platform integrates (inactive until
-- their credentials are loaded through the admin console; no secrets here), the company
-- expense heads with their ledger codes, and the default platform commission of 15%.
--
-- Idempotent: rows are keyed by code and skipped when present.

insert into public.payment_gateways (code, display_name, mode, supported_methods, supported_currencies, priority, is_active)
values
  ('razorpay', 'Razorpay', 'test', array['credit_card', 'debit_card', 'upi', 'net_banking', 'wallet', 'emi', 'pay_later'], array['INR'], 10, false),
  ('cashfree', 'Cashfree Payments', 'test', array['credit_card', 'debit_card', 'upi', 'net_banking', 'wallet', 'emi', 'pay_later'], array['INR'], 20, false),
  ('paytm', 'Paytm Payment Gateway', 'test', array['credit_card', 'debit_card', 'upi', 'net_banking', 'wallet'], array['INR'], 30, false),
  ('stripe', 'Stripe', 'test', array['credit_card', 'debit_card'], array['INR', 'USD', 'EUR', 'GBP', 'AED'], 40, false)
on conflict (code) do nothing;

-- Expense heads: parents first, then children found by the parent's code.

insert into public.expense_categories (code, name, description, gl_code, budget_head, is_gst_input_eligible)
values
  ('travel', 'Travel & Conveyance', 'Business travel of employees.', '5100', 'Operations', true),
  ('marketing', 'Marketing & Advertising', 'Customer and vendor acquisition.', '5200', 'Marketing', true),
  ('rent', 'Rent & Office', 'Office and co-working rent, maintenance.', '5300', 'Administration', true),
  ('utilities', 'Utilities', 'Electricity, water, internet.', '5400', 'Administration', true),
  ('technology', 'Technology & Software', 'Cloud, SaaS subscriptions, devices.', '5500', 'Technology', true),
  ('professional_fees', 'Professional Fees', 'Legal, audit, CA/CS and consulting fees.', '5600', 'Finance', true),
  ('staff_welfare', 'Staff Welfare', 'Meals, events and gifts for employees.', '5700', 'Human Resources', false),
  ('training', 'Training & Certification', 'Therapist and employee training programmes.', '5800', 'Human Resources', true),
  ('office_supplies', 'Office Supplies', 'Stationery, printing, pantry.', '5900', 'Administration', true),
  ('spa_consumables', 'Spa Consumables & Samples', 'Oils, linen and product kits for quality audits and partner onboarding.', '6000', 'Operations', true),
  ('insurance', 'Insurance', 'Group health, professional indemnity and asset insurance.', '6100', 'Finance', true),
  ('bank_charges', 'Bank & Gateway Charges', 'Bank fees and payment gateway MDR.', '6200', 'Finance', true),
  ('telecom', 'Telephone & Mobile', 'Mobile plans, SMS and call centre lines.', '6300', 'Operations', true)
on conflict (code) do nothing;

insert into public.expense_categories (code, name, description, parent_id, gl_code, budget_head, is_gst_input_eligible)
select v.code, v.name, v.description, p.id, v.gl_code, p.budget_head, v.itc
  from (values
    ('travel_air_rail', 'Air & Rail Travel', 'Flights and train tickets.', 'travel', '5101', true),
    ('travel_hotel', 'Hotel Stay', 'Accommodation on business travel.', 'travel', '5102', true),
    ('travel_local', 'Local Conveyance', 'Cabs, autos, fuel and parking within the city.', 'travel', '5103', false),
    ('marketing_digital', 'Digital Marketing', 'Search, social and app-install campaigns.', 'marketing', '5201', true),
    ('marketing_offline', 'Offline & Events', 'Print, outdoor, sampling events.', 'marketing', '5202', true),
    ('marketing_influencer', 'Influencer & Content', 'Creators, photo and video shoots.', 'marketing', '5203', true),
    ('technology_cloud', 'Cloud & Hosting', 'Database, hosting, CDN and maps APIs.', 'technology', '5501', true),
    ('technology_saas', 'SaaS Subscriptions', 'Productivity, CRM and support tools.', 'technology', '5502', true),
    ('staff_welfare_meals', 'Team Meals', 'Working lunches and team meals (input credit blocked).', 'staff_welfare', '5701', false),
    ('staff_welfare_events', 'Team Events & Festivals', 'Diwali, annual day and offsites.', 'staff_welfare', '5702', false)
  ) as v (code, name, description, parent_code, gl_code, itc)
  join public.expense_categories p on p.code = v.parent_code
on conflict (code) do nothing;

insert into public.commission_rules (code, name, scope, rate, flat_fee, effective_from, priority, description)
values
  ('platform_default', 'Platform default commission', 'platform', 15.00, 0, '2025-01-01', 1000,
   'Applies to every booking not covered by a vendor, category or service rule.')
on conflict (code) do nothing;
