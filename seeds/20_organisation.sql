-- Reference organisation: the departments of OMBARO and their tree, the 22 roles and
-- their hierarchy, the permission catalogue (module x action) and what each role may do,
-- following the spec's role hierarchy and Department-Specific Access Policies.
--
-- Idempotent: rows are inserted only when their natural key (code; role and module for
-- grants) is missing, parents before children, linked by code. A grant changed by an
-- administrator is therefore never reset by re-running this file. Row-level limits
-- (own bookings, own vendor) are the RLS policies' job; these grants say which modules
-- and actions a role has at all.

-- departments ----------------------------------------------------------------------------

-- Inserted level by level so that each parent exists (and is in the closure table) before
-- its children.
insert into public.departments (code, name, description, cost_centre, sort_order)
values ('directors', 'Directors', 'Board of directors; every department reports here.', 'CC-DIR', 0)
on conflict (code) do nothing;

insert into public.departments (code, name, description, parent_id, cost_centre, sort_order)
select v.code, v.name, v.description, p.id, v.cost_centre, v.sort_order
  from (values
    ('finance', 'Finance', 'Payments, vendor settlements, tax and budgets.', 'directors', 'CC-FIN', 10),
    ('hr', 'Human Resources', 'Employees, attendance, leave, payroll and training.', 'directors', 'CC-HR', 20),
    ('legal', 'Legal', 'Contracts, compliance, data protection and disputes.', 'directors', 'CC-LEG', 30),
    ('it', 'IT', 'Platform, apps, integrations and system configuration.', 'directors', 'CC-IT', 40),
    ('marketing', 'Marketing', 'Campaigns, promotions, coupons and customer segments.', 'directors', 'CC-MKT', 50),
    ('operations', 'Operations', 'Day-to-day running of bookings, customers and vendors.', 'directors', 'CC-OPS', 60),
    ('corporate_office', 'Corporate Office', 'Corporate affairs, administration and investor relations.', 'directors', 'CC-CORP', 70),
    ('ho_details', 'H.O. Details', 'Head office premises, facilities and records.', 'directors', 'CC-HO', 80)
  ) as v (code, name, description, parent_code, cost_centre, sort_order)
  join public.departments p on p.code = v.parent_code
on conflict (code) do nothing;

insert into public.departments (code, name, description, parent_id, cost_centre, sort_order)
select v.code, v.name, v.description, p.id, v.cost_centre, v.sort_order
  from (values
    ('accounts', 'Accounts', 'Bookkeeping, invoices, reconciliation and GST filings.', 'finance', 'CC-FIN-ACC', 11),
    ('staff', 'Staff', 'Staff records, attendance and leave administration.', 'hr', 'CC-HR-STF', 21),
    ('advocate', 'Advocate', 'Litigation, legal notices and contract drafting.', 'legal', 'CC-LEG-ADV', 31),
    ('ca_cs', 'CA / CS', 'Chartered accountant and company secretary: statutory audit, ROC and tax compliance.', 'legal', 'CC-LEG-CACS', 32),
    ('customer_data', 'Customer Data', 'Customer data management, segmentation and analytics.', 'marketing', 'CC-MKT-CDM', 51),
    ('fo', 'F.O.', 'Front office: walk-in customers, calls and booking desk.', 'operations', 'CC-OPS-FO', 61),
    ('customer_care', 'Customer Care', 'Support tickets, complaints and customer calls.', 'operations', 'CC-OPS-CC', 62),
    ('vendor_list', 'Vendor List', 'Vendor onboarding, listing quality and vendor relations.', 'operations', 'CC-OPS-VL', 63)
  ) as v (code, name, description, parent_code, cost_centre, sort_order)
  join public.departments p on p.code = v.parent_code
on conflict (code) do nothing;

-- roles ----------------------------------------------------------------------------------

-- super_admin -> directors -> departments -> sub-departments. Operations has no role of
-- its own, so its sub-department roles (F.O., Customer Care, Vendor List) report to
-- directors. Customers, vendors and therapists are outside the internal chain.
insert into public.roles (code, name, description, category, level, is_system)
values
  ('super_admin', 'Super Admin', 'Command power over the whole platform.', 'platform', 0, true),
  ('customer', 'Customer', 'Books spa visits and home services.', 'external', null, true),
  ('vendor', 'Vendor', 'Spa, salon or home-service business owner.', 'external', null, true),
  ('therapist', 'Therapist', 'Performs services for a vendor, at the spa or at customers'' homes.', 'external', null, true)
on conflict (code) do nothing;

insert into public.roles (code, name, description, category, parent_role_id, level, department_id, is_system)
select v.code, v.name, v.description, v.category, p.id, v.level, d.id, true
  from (values
    ('directors', 'Directors', 'Board of directors: oversight of every department.', 'platform', 'super_admin', 1, 'directors'),
    ('admin', 'Admin', 'Platform administrator for day-to-day operations.', 'platform', 'super_admin', 1, null)
  ) as v (code, name, description, category, parent_code, level, department_code)
  join public.roles p on p.code = v.parent_code
  left join public.departments d on d.code = v.department_code
on conflict (code) do nothing;

insert into public.roles (code, name, description, category, parent_role_id, level, department_id, is_system)
select v.code, v.name, v.description, v.category, p.id, v.level, d.id, true
  from (values
    ('finance_department', 'Finance Department', 'Payments, settlements, refunds, tax.', 'department', 'directors', 2, 'finance'),
    ('hr_department', 'HR Department', 'Employees, attendance, leave, salaries.', 'department', 'directors', 2, 'hr'),
    ('legal_department', 'Legal Department', 'Contracts, compliance, data protection.', 'department', 'directors', 2, 'legal'),
    ('it_department', 'IT Department', 'System settings, API keys, feature flags, app versions.', 'department', 'directors', 2, 'it'),
    ('marketing_department', 'Marketing Department', 'Campaigns, promotions, coupons, segments.', 'department', 'directors', 2, 'marketing'),
    ('corporate_office', 'Corporate Office', 'Corporate affairs and administration.', 'department', 'directors', 2, 'corporate_office'),
    ('ho_details', 'H.O. Details', 'Head office records and facilities.', 'department', 'directors', 2, 'ho_details'),
    ('fo_department', 'F.O. Department', 'Front office under Operations.', 'sub_department', 'directors', 3, 'fo'),
    ('customer_care', 'Customer Care', 'Customer support under Operations.', 'sub_department', 'directors', 3, 'customer_care'),
    ('vendor_list', 'Vendor List Management', 'Vendor onboarding and listings under Operations.', 'sub_department', 'directors', 3, 'vendor_list')
  ) as v (code, name, description, category, parent_code, level, department_code)
  join public.roles p on p.code = v.parent_code
  left join public.departments d on d.code = v.department_code
on conflict (code) do nothing;

insert into public.roles (code, name, description, category, parent_role_id, level, department_id, is_system)
select v.code, v.name, v.description, v.category, p.id, v.level, d.id, true
  from (values
    ('accounts_department', 'Accounts Department', 'Bookkeeping and reconciliation under Finance.', 'sub_department', 'finance_department', 3, 'accounts'),
    ('staff_department', 'Staff Department', 'Staff administration under HR.', 'sub_department', 'hr_department', 3, 'staff'),
    ('advocate', 'Advocate', 'Legal counsel under Legal.', 'sub_department', 'legal_department', 3, 'advocate'),
    ('ca_cs', 'CA / CS', 'Chartered accountant and company secretary under Legal.', 'sub_department', 'legal_department', 3, 'ca_cs'),
    ('customer_data', 'Customer Data Management', 'Customer data and segments under Marketing.', 'sub_department', 'marketing_department', 3, 'customer_data')
  ) as v (code, name, description, category, parent_code, level, department_code)
  join public.roles p on p.code = v.parent_code
  left join public.departments d on d.code = v.department_code
on conflict (code) do nothing;

insert into public.roles (code, name, description, category, parent_role_id, level, is_system)
select 'employee', 'Employee', 'Any OMBARO staff member: own attendance, leave and training.', 'staff', p.id, 4, true
  from public.roles p
 where p.code = 'staff_department'
on conflict (code) do nothing;

-- permission_modules ---------------------------------------------------------------------

insert into public.permission_modules (code, name, description, sort_order)
values
  ('operations', 'Operations', 'Bookings, therapists and the service catalogue.', 10),
  ('finance', 'Finance', 'Money in and out of the platform.', 20),
  ('human_resources', 'Human Resources', 'People of the organisation.', 30),
  ('marketing', 'Marketing', 'Acquisition and retention.', 40),
  ('customer_relations', 'Customers & Support', 'Customers and their support requests.', 50),
  ('vendor_management', 'Vendors', 'Vendor businesses and their onboarding.', 60),
  ('legal', 'Legal & Compliance', 'Contracts, compliance and data protection.', 70),
  ('organisation', 'Organisation', 'Users, roles and departments.', 80),
  ('platform', 'System', 'Configuration and operation of the platform itself.', 90),
  ('reporting', 'Reporting', 'Analytics and dashboards.', 100)
on conflict (code) do nothing;

insert into public.permission_modules (code, name, parent_id, sort_order)
select v.code, v.name, p.id, v.sort_order
  from (values
    ('bookings', 'Bookings', 'operations', 11),
    ('therapists', 'Therapists', 'operations', 12),
    ('services', 'Services & Pricing', 'operations', 13),
    ('reviews', 'Reviews', 'operations', 14),
    ('inventory', 'Inventory & Purchase Orders', 'operations', 15),
    ('payments', 'Payments', 'finance', 21),
    ('settlements', 'Vendor Settlements', 'finance', 22),
    ('invoices', 'Invoices', 'finance', 23),
    ('refunds', 'Refunds', 'finance', 24),
    ('expenses', 'Expenses', 'finance', 25),
    ('tax', 'Tax (GST, TDS)', 'finance', 26),
    ('commissions', 'Commissions', 'finance', 27),
    ('payouts', 'Vendor Payouts', 'finance', 28),
    ('budgets', 'Budgets', 'finance', 29),
    ('financial_reports', 'Financial Reports', 'finance', 30),
    ('employees', 'Employees', 'human_resources', 31),
    ('attendance', 'Attendance', 'human_resources', 32),
    ('leave', 'Leave', 'human_resources', 33),
    ('salaries', 'Salaries', 'human_resources', 34),
    ('performance', 'Performance Reviews', 'human_resources', 35),
    ('training', 'Training', 'human_resources', 36),
    ('onboarding', 'Onboarding', 'human_resources', 37),
    ('holidays', 'Holidays', 'human_resources', 38),
    ('campaigns', 'Campaigns', 'marketing', 41),
    ('promotions', 'Promotions', 'marketing', 42),
    ('coupons', 'Coupons', 'marketing', 43),
    ('customer_segments', 'Customer Segments', 'marketing', 44),
    ('email_templates', 'Message Templates', 'marketing', 45),
    ('loyalty', 'Loyalty Programme', 'marketing', 46),
    ('referrals', 'Referrals', 'marketing', 47),
    ('customers', 'Customers', 'customer_relations', 51),
    ('support_tickets', 'Support Tickets', 'customer_relations', 52),
    ('complaints', 'Complaints', 'customer_relations', 53),
    ('notifications', 'Notifications', 'customer_relations', 54),
    ('vendors', 'Vendors', 'vendor_management', 61),
    ('vendor_applications', 'Vendor Applications', 'vendor_management', 62),
    ('contracts', 'Contracts', 'legal', 71),
    ('compliance', 'Compliance', 'legal', 72),
    ('gdpr', 'Data Protection Requests (DPDP / GDPR)', 'legal', 73),
    ('legal_documents', 'Legal Documents', 'legal', 74),
    ('data_retention', 'Data Retention', 'legal', 75),
    ('users', 'Users', 'organisation', 81),
    ('roles', 'Roles & Permissions', 'organisation', 82),
    ('departments', 'Departments', 'organisation', 83),
    ('system_settings', 'System Settings', 'platform', 91),
    ('error_logs', 'Error Logs', 'platform', 92),
    ('api_keys', 'API Keys', 'platform', 93),
    ('feature_flags', 'Feature Flags', 'platform', 94),
    ('app_versions', 'App Versions', 'platform', 95),
    ('webhooks', 'Webhooks', 'platform', 96),
    ('scheduled_tasks', 'Scheduled Tasks', 'platform', 97),
    ('audit_logs', 'Audit Logs', 'platform', 98),
    ('analytics', 'Analytics', 'reporting', 101)
  ) as v (code, name, parent_code, sort_order)
  join public.permission_modules p on p.code = v.parent_code
on conflict (code) do nothing;

-- permissions ----------------------------------------------------------------------------

-- Every leaf module with every action. Grants touching salaries, secrets, the audit trail,
-- data-protection requests or bulk export of personal data are flagged sensitive.
insert into public.permissions (module_id, action, code, description, is_sensitive)
select m.id, a.action, m.code || '.' || a.action, initcap(a.action) || ' ' || lower(m.name),
       m.code in ('salaries', 'api_keys', 'audit_logs', 'gdpr')
       or (a.action = 'export' and m.code in ('customers', 'employees', 'payments', 'users'))
  from public.permission_modules m
 cross join (values ('read', 1), ('create', 2), ('update', 3), ('delete', 4), ('approve', 5), ('export', 6)) as a (action, ord)
 where m.parent_id is not null
 order by m.sort_order, a.ord
on conflict (module_id, action) do nothing;

-- role_permissions -----------------------------------------------------------------------

-- Specific grants first; the blanket grants of super_admin, directors and admin come
-- after and skip modules a role already has a row for.
insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
select v.role_code, m.module_code, null, v.actions
  from (values
    -- Finance: payments, settlements, invoices, refunds, expenses, tax
    ('finance_department', array['payments', 'settlements', 'invoices', 'refunds', 'expenses', 'tax', 'commissions', 'payouts', 'budgets', 'financial_reports'],
     array['read', 'create', 'update', 'approve', 'export']),
    ('finance_department', array['bookings', 'vendors'], array['read']),
    ('accounts_department', array['payments', 'settlements', 'invoices', 'refunds', 'expenses', 'tax', 'commissions', 'payouts'],
     array['read', 'create', 'update', 'export']),
    ('accounts_department', array['budgets', 'financial_reports'], array['read', 'export']),
    -- HR: employees, attendance, leave, salaries, performance, training
    ('hr_department', array['employees', 'attendance', 'leave', 'salaries', 'performance', 'training', 'onboarding', 'holidays'],
     array['read', 'create', 'update', 'delete', 'approve', 'export']),
    ('hr_department', array['departments'], array['read']),
    ('staff_department', array['attendance', 'leave', 'training', 'onboarding'], array['read', 'create', 'update']),
    ('staff_department', array['employees', 'holidays'], array['read']),
    -- Marketing: campaigns, promotions, coupons, segments; customers read
    ('marketing_department', array['campaigns', 'promotions', 'coupons', 'customer_segments', 'email_templates', 'loyalty', 'referrals'],
     array['read', 'create', 'update', 'delete', 'approve', 'export']),
    ('marketing_department', array['customers'], array['read']),
    ('marketing_department', array['analytics'], array['read', 'export']),
    ('customer_data', array['customers'], array['read', 'export']),
    ('customer_data', array['customer_segments'], array['read', 'create', 'update', 'export']),
    ('customer_data', array['campaigns', 'analytics'], array['read']),
    -- Customer care and front office: tickets; bookings read
    ('customer_care', array['support_tickets', 'complaints'], array['read', 'create', 'update']),
    ('customer_care', array['bookings', 'customers', 'vendors', 'therapists'], array['read']),
    ('fo_department', array['support_tickets'], array['read', 'create', 'update']),
    ('fo_department', array['bookings', 'customers'], array['read']),
    ('vendor_list', array['vendors', 'vendor_applications'], array['read', 'create', 'update', 'approve']),
    ('vendor_list', array['contracts', 'therapists', 'services'], array['read']),
    -- Legal: vendors, contracts, compliance, data protection, legal documents
    ('legal_department', array['contracts', 'compliance', 'gdpr', 'legal_documents', 'data_retention'],
     array['read', 'create', 'update', 'approve', 'export']),
    ('legal_department', array['vendors', 'vendor_applications'], array['read']),
    ('advocate', array['contracts', 'legal_documents', 'compliance'], array['read', 'create', 'update']),
    ('advocate', array['gdpr', 'vendors'], array['read']),
    ('ca_cs', array['compliance', 'tax', 'legal_documents'], array['read', 'create', 'update', 'export']),
    ('ca_cs', array['vendors', 'contracts', 'financial_reports'], array['read']),
    -- IT: system tables
    ('it_department', array['system_settings', 'error_logs', 'api_keys', 'feature_flags', 'app_versions', 'webhooks', 'scheduled_tasks'],
     array['read', 'create', 'update', 'delete', 'approve', 'export']),
    ('it_department', array['audit_logs', 'users', 'roles'], array['read']),
    -- Corporate and head office: oversight reading
    ('corporate_office', array['analytics', 'financial_reports'], array['read', 'export']),
    ('corporate_office', array['departments', 'employees', 'vendors'], array['read']),
    ('ho_details', array['departments', 'employees', 'holidays', 'analytics'], array['read']),
    -- Directors manage campaigns with marketing (spec policy), read the rest below
    ('directors', array['campaigns'], array['read', 'create', 'update', 'approve', 'export']),
    -- Every employee: own attendance, leave, training (rows limited by RLS)
    ('employee', array['attendance', 'leave'], array['read', 'create']),
    ('employee', array['training', 'holidays', 'performance'], array['read']),
    -- Partners in their apps (rows limited to their own by RLS)
    ('vendor', array['bookings'], array['read', 'update']),
    ('vendor', array['therapists', 'services'], array['read', 'create', 'update']),
    ('vendor', array['payouts', 'settlements', 'invoices', 'reviews'], array['read']),
    ('therapist', array['bookings'], array['read', 'update']),
    ('therapist', array['reviews', 'training'], array['read'])
  ) as v (role_code, modules, actions)
 cross join lateral unnest(v.modules) as m (module_code)
on conflict (role_id, module_id, sub_module_id) do nothing;

-- super_admin: everything. directors: read and export nearly everything (not API keys).
-- admin: runs operations, customers, vendors; reads the rest except salaries, secrets
-- and the audit trail.
insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
select g.role_code, m.code, null, g.actions
  from public.permission_modules m
  join (values
    ('super_admin', array['read', 'create', 'update', 'delete', 'approve', 'export'], array[]::text[], array[]::text[]),
    ('directors', array['read', 'export'], array[]::text[], array['api_keys']),
    ('admin', array['read', 'create', 'update', 'approve', 'export'],
     array['bookings', 'therapists', 'services', 'reviews', 'customers', 'support_tickets', 'complaints', 'notifications', 'vendors', 'vendor_applications', 'users'],
     array['salaries', 'api_keys', 'audit_logs']),
    ('admin', array['read'], array[]::text[], array['salaries', 'api_keys', 'audit_logs'])
  ) as g (role_code, actions, only_modules, except_modules)
    on (cardinality(g.only_modules) = 0 or m.code = any (g.only_modules))
   and not (m.code = any (g.except_modules))
 where m.parent_id is not null
 order by g.role_code, cardinality(g.only_modules) desc, m.sort_order
on conflict (role_id, module_id, sub_module_id) do nothing;

-- ==========================================================================================
-- Salaries for finance (added with V25__security_people.sql) ---------------------------------
-- ==========================================================================================

-- Finance and accounts disburse payroll and book it, so they read salary structures and
-- records (not change them: that stays with HR).
insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
values
  ('finance_department', 'salaries', null, array['read', 'export']),
  ('accounts_department', 'salaries', null, array['read'])
on conflict (role_id, module_id, sub_module_id) do nothing;

-- Operations security (V28) ----------------------------------------------------------------

-- Inventory is run by admin and its purchase orders are approved by finance (never by the
-- author, which V28 enforces). Admin's inventory row is widened only while it still holds
-- the original seeded {read}, so a grant an administrator changed is left alone.
update public.role_permissions
   set permissions = array['read', 'create', 'update', 'export']
 where role_id = 'admin' and module_id = 'inventory' and sub_module_id is null
   and permissions = array['read'];

insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
values
  ('finance_department', 'inventory', null, array['read', 'approve']),
  ('accounts_department', 'inventory', null, array['read'])
on conflict (role_id, module_id, sub_module_id) do nothing;
