-- Back-office security (V28): marketing, communications, support, legal, operations,
-- analytics and system tables. A matrix tries every command on a real row of each table as
-- every kind of user and department; then the attacks a customer, a vendor or the wrong
-- department would try: other people's rows, internal notes, secrets, counters, approvals.
begin;

-- Expectations first, so the plan can count them.
create temp table matrix_personas (p text primary key);
insert into matrix_personas values
  ('anon'), ('customer_a'), ('customer_b'), ('vendor_a'), ('staff_a'), ('therapist_a'),
  ('marketing_department'), ('customer_data'), ('customer_care'), ('fo_department'), ('legal_department'),
  ('advocate'), ('it_department'), ('admin'), ('finance_department'), ('hr_department'), ('directors'),
  ('super_admin');

\set everyone '{anon,customer_a,customer_b,vendor_a,staff_a,therapist_a,marketing_department,customer_data,customer_care,fo_department,legal_department,advocate,it_department,admin,finance_department,hr_department,directors,super_admin}'
\set signed_in '{customer_a,customer_b,vendor_a,staff_a,therapist_a,marketing_department,customer_data,customer_care,fo_department,legal_department,advocate,it_department,admin,finance_department,hr_department,directors,super_admin}'
\set nobody '{}'
\set sa '{super_admin}'
\set campaign_r '{marketing_department,customer_data,admin,directors,super_admin}'
\set campaign_w '{marketing_department,directors,super_admin}'
\set mkt_r '{marketing_department,admin,directors,super_admin}'
\set mkt_w '{marketing_department,super_admin}'
\set notif_r '{admin,directors,super_admin}'
\set it_r '{it_department,admin,directors,super_admin}'
\set it_w '{it_department,super_admin}'
\set delivery_r '{it_department,customer_care,fo_department,admin,directors,super_admin}'
\set care_w '{customer_care,fo_department,admin,super_admin}'
\set legal_docs_r '{legal_department,advocate,admin,directors,super_admin}'
\set legal_docs_w '{legal_department,advocate,super_admin}'
\set legal_w '{legal_department,super_admin}'
\set retention_r '{legal_department,admin,directors,super_admin}'
\set inv_r '{admin,finance_department,directors,super_admin}'
\set inv_w '{admin,super_admin}'
\set raw_r '{marketing_department,customer_data,it_department,admin,directors,super_admin}'
\set agg_r '{marketing_department,customer_data,admin,finance_department,directors,super_admin}'
\set audit_r '{it_department,legal_department,directors,super_admin}'

-- Every table's row 1 (see fixtures): who may select, insert a copy of, update and delete it.
create temp table matrix (t text, n integer, c text, allowed text[]);
insert into matrix (t, n, c, allowed) values
  ('campaigns', 1, 'select', :'campaign_r'),
  ('campaigns', 1, 'insert', :'campaign_w'),
  ('campaigns', 1, 'update', :'campaign_w'),
  ('campaigns', 1, 'delete', :'mkt_w'),
  ('campaign_analytics', 2, 'select', :'campaign_r'),
  ('campaign_analytics', 2, 'insert', :'nobody'),
  ('campaign_analytics', 2, 'update', :'nobody'),
  ('campaign_analytics', 2, 'delete', :'nobody'),
  ('promotions', 3, 'select', :'everyone'),
  ('promotions', 3, 'insert', :'mkt_w'),
  ('promotions', 3, 'update', :'mkt_w'),
  ('promotions', 3, 'delete', :'mkt_w'),
  ('promotion_usage', 4, 'select', '{customer_a,marketing_department,admin,directors,super_admin}'),
  ('promotion_usage', 4, 'insert', :'nobody'),
  ('promotion_usage', 4, 'update', :'nobody'),
  ('promotion_usage', 4, 'delete', :'nobody'),
  ('coupon_codes', 5, 'select', '{customer_a,marketing_department,admin,directors,super_admin}'),
  ('coupon_codes', 5, 'insert', :'mkt_w'),
  ('coupon_codes', 5, 'update', :'mkt_w'),
  ('coupon_codes', 5, 'delete', :'mkt_w'),
  ('coupon_usages', 6, 'select', '{customer_a,marketing_department,admin,directors,super_admin}'),
  ('coupon_usages', 6, 'insert', :'nobody'),
  ('coupon_usages', 6, 'update', :'nobody'),
  ('coupon_usages', 6, 'delete', :'nobody'),
  ('email_templates', 7, 'select', :'mkt_r'),
  ('email_templates', 7, 'insert', :'mkt_w'),
  ('email_templates', 7, 'update', :'mkt_w'),
  ('email_templates', 7, 'delete', :'mkt_w'),
  ('referral_rewards', 8, 'select', '{customer_a,marketing_department,admin,directors,super_admin}'),
  ('referral_rewards', 8, 'insert', :'nobody'),
  ('referral_rewards', 8, 'update', :'nobody'),
  ('referral_rewards', 8, 'delete', :'nobody'),
  ('notifications', 9, 'select', '{customer_a,admin,directors,super_admin}'),
  ('notifications', 9, 'insert', :'nobody'),
  ('notifications', 9, 'update', '{customer_a}'),
  ('notifications', 9, 'delete', '{customer_a}'),
  ('notification_queue', 10, 'select', :'it_r'),
  ('notification_queue', 10, 'insert', :'nobody'),
  ('notification_queue', 10, 'update', :'nobody'),
  ('notification_queue', 10, 'delete', :'nobody'),
  ('in_app_messages', 11, 'select', '{customer_a,vendor_a,customer_care,admin,directors,super_admin}'),
  -- A full copy sets read_at, deleted_at and created_at, which no app may write.
  ('in_app_messages', 11, 'insert', :'nobody'),
  ('in_app_messages', 11, 'update', '{customer_a,vendor_a}'),
  ('in_app_messages', 11, 'delete', :'nobody'),
  ('push_notifications', 12, 'select', '{customer_a,admin,directors,super_admin}'),
  ('push_notifications', 12, 'insert', :'nobody'),
  ('push_notifications', 12, 'update', :'nobody'),
  ('push_notifications', 12, 'delete', :'nobody'),
  ('email_logs', 13, 'select', :'delivery_r'),
  ('email_logs', 13, 'insert', :'nobody'),
  ('email_logs', 13, 'update', :'nobody'),
  ('email_logs', 13, 'delete', :'nobody'),
  ('sms_logs', 14, 'select', :'delivery_r'),
  ('sms_logs', 14, 'insert', :'nobody'),
  ('sms_logs', 14, 'update', :'nobody'),
  ('sms_logs', 14, 'delete', :'nobody'),
  ('whatsapp_logs', 15, 'select', :'delivery_r'),
  ('whatsapp_logs', 15, 'insert', :'nobody'),
  ('whatsapp_logs', 15, 'update', :'nobody'),
  ('whatsapp_logs', 15, 'delete', :'nobody'),
  ('support_tickets', 16, 'select', '{customer_a,customer_care,fo_department,admin,directors,super_admin}'),
  -- A full copy sets status, assignment and deadlines: only named columns may be inserted.
  ('support_tickets', 16, 'insert', :'nobody'),
  ('support_tickets', 16, 'update', '{customer_a,customer_care,fo_department,admin,super_admin}'),
  ('support_tickets', 16, 'delete', :'sa'),
  ('ticket_messages', 17, 'select', '{customer_a,customer_care,fo_department,admin,directors,super_admin}'),
  ('ticket_messages', 17, 'insert', :'nobody'),
  ('ticket_messages', 17, 'update', :'nobody'),
  ('ticket_messages', 17, 'delete', :'nobody'),
  ('legal_documents', 18, 'select', :'everyone'),
  -- The copy is published: publishing needs legal_documents approve.
  ('legal_documents', 18, 'insert', :'legal_w'),
  ('legal_documents', 18, 'update', :'legal_docs_w'),
  -- Published texts are never deleted.
  ('legal_documents', 18, 'delete', :'nobody'),
  ('gdpr_requests', 19, 'select', '{customer_a,legal_department,advocate,admin,directors,super_admin}'),
  ('gdpr_requests', 19, 'insert', :'nobody'),
  ('gdpr_requests', 19, 'update', :'legal_w'),
  ('gdpr_requests', 19, 'delete', :'nobody'),
  ('data_retention_policies', 20, 'select', :'retention_r'),
  ('data_retention_policies', 20, 'insert', :'legal_w'),
  ('data_retention_policies', 20, 'update', :'legal_w'),
  ('data_retention_policies', 20, 'delete', :'sa'),
  ('compliance_audits', 21, 'select', '{vendor_a,legal_department,advocate,admin,directors,super_admin}'),
  ('compliance_audits', 21, 'insert', :'legal_docs_w'),
  ('compliance_audits', 21, 'update', :'legal_docs_w'),
  ('compliance_audits', 21, 'delete', :'sa'),
  ('warehouses', 22, 'select', '{vendor_a,admin,finance_department,directors,super_admin}'),
  ('warehouses', 22, 'insert', :'inv_w'),
  ('warehouses', 22, 'update', :'inv_w'),
  ('warehouses', 22, 'delete', :'sa'),
  ('suppliers', 23, 'select', :'inv_r'),
  ('suppliers', 23, 'insert', :'inv_w'),
  ('suppliers', 23, 'update', :'inv_w'),
  ('suppliers', 23, 'delete', :'sa'),
  ('inventory_items', 24, 'select', '{vendor_a,admin,finance_department,directors,super_admin}'),
  ('inventory_items', 24, 'insert', :'inv_w'),
  ('inventory_items', 24, 'update', :'inv_w'),
  ('inventory_items', 24, 'delete', :'sa'),
  ('stock_transactions', 25, 'select', :'inv_r'),
  ('stock_transactions', 25, 'insert', :'inv_w'),
  ('stock_transactions', 25, 'update', :'nobody'),
  ('stock_transactions', 25, 'delete', :'nobody'),
  ('purchase_orders', 26, 'select', :'inv_r'),
  ('purchase_orders', 26, 'insert', :'inv_w'),
  ('purchase_orders', 26, 'update', '{admin,finance_department,super_admin}'),
  ('purchase_orders', 26, 'delete', :'sa'),
  ('asset_tracking', 27, 'select', '{vendor_a,admin,finance_department,directors,super_admin}'),
  ('asset_tracking', 27, 'insert', :'inv_w'),
  ('asset_tracking', 27, 'update', :'inv_w'),
  ('asset_tracking', 27, 'delete', :'sa'),
  ('analytics_events', 28, 'select', :'raw_r'),
  ('analytics_events', 28, 'insert', '{customer_a}'),
  ('analytics_events', 28, 'update', :'nobody'),
  ('analytics_events', 28, 'delete', :'nobody'),
  ('page_views', 29, 'select', :'raw_r'),
  ('page_views', 29, 'insert', '{customer_a}'),
  ('page_views', 29, 'update', :'nobody'),
  ('page_views', 29, 'delete', :'nobody'),
  ('cohort_analysis', 30, 'select', :'agg_r'),
  ('cohort_analysis', 30, 'insert', :'nobody'),
  ('cohort_analysis', 30, 'update', :'nobody'),
  ('cohort_analysis', 30, 'delete', :'nobody'),
  ('conversion_tracking', 31, 'select', :'agg_r'),
  ('conversion_tracking', 31, 'insert', :'nobody'),
  ('conversion_tracking', 31, 'update', :'nobody'),
  ('conversion_tracking', 31, 'delete', :'nobody'),
  ('funnel_analytics', 32, 'select', :'agg_r'),
  ('funnel_analytics', 32, 'insert', :'nobody'),
  ('funnel_analytics', 32, 'update', :'nobody'),
  ('funnel_analytics', 32, 'delete', :'nobody'),
  ('revenue_analytics', 33, 'select', '{vendor_a,marketing_department,customer_data,admin,finance_department,directors,super_admin}'),
  ('revenue_analytics', 33, 'insert', :'nobody'),
  ('revenue_analytics', 33, 'update', :'nobody'),
  ('revenue_analytics', 33, 'delete', :'nobody'),
  ('audit_logs', 34, 'select', :'audit_r'),
  ('audit_logs', 34, 'insert', :'nobody'),
  ('audit_logs', 34, 'update', :'nobody'),
  ('audit_logs', 34, 'delete', :'nobody'),
  ('error_logs', 35, 'select', :'it_r'),
  ('error_logs', 35, 'insert', :'nobody'),
  ('error_logs', 35, 'update', :'nobody'),
  ('error_logs', 35, 'delete', :'nobody'),
  ('api_keys', 36, 'select', '{vendor_a,it_department,super_admin}'),
  ('api_keys', 36, 'insert', :'nobody'),
  ('api_keys', 36, 'update', '{vendor_a,it_department,super_admin}'),
  ('api_keys', 36, 'delete', :'it_w'),
  ('app_versions', 37, 'select', :'everyone'),
  ('app_versions', 37, 'insert', :'it_w'),
  ('app_versions', 37, 'update', :'it_w'),
  ('app_versions', 37, 'delete', :'it_w'),
  ('feature_flags', 38, 'select', :'signed_in'),
  ('feature_flags', 38, 'insert', :'it_w'),
  ('feature_flags', 38, 'update', :'it_w'),
  ('feature_flags', 38, 'delete', :'it_w'),
  ('scheduled_tasks', 39, 'select', :'it_r'),
  ('scheduled_tasks', 39, 'insert', :'it_w'),
  ('scheduled_tasks', 39, 'update', :'it_w'),
  ('scheduled_tasks', 39, 'delete', :'it_w'),
  ('system_settings', 40, 'select', :'everyone'),
  ('system_settings', 40, 'insert', :'it_w'),
  ('system_settings', 40, 'update', :'it_w'),
  ('system_settings', 40, 'delete', :'it_w'),
  ('webhook_endpoints', 41, 'select', :'it_r'),
  -- A full copy carries the encrypted secret, which no API role may write.
  ('webhook_endpoints', 41, 'insert', :'nobody'),
  ('webhook_endpoints', 41, 'update', :'it_w'),
  ('webhook_endpoints', 41, 'delete', :'it_w');

-- The other rows: B's side, drafts, disabled and private rows, withdrawn messages.
create temp table other_rows (p text, c text, t text, n integer, k integer, e text);
insert into other_rows values
  ('customer_a', 'select', 'notifications', 9, 2, 'denied'),
  ('customer_a', 'update', 'notifications', 9, 2, 'denied'),
  ('customer_a', 'delete', 'notifications', 9, 2, 'denied'),
  ('customer_b', 'select', 'notifications', 9, 2, 'allowed'),
  ('customer_a', 'select', 'support_tickets', 16, 2, 'denied'),
  ('customer_a', 'update', 'support_tickets', 16, 2, 'denied'),
  ('customer_b', 'select', 'support_tickets', 16, 2, 'allowed'),
  ('customer_a', 'select', 'ticket_messages', 17, 2, 'denied'),
  ('customer_b', 'select', 'ticket_messages', 17, 2, 'denied'),
  ('customer_care', 'select', 'ticket_messages', 17, 2, 'allowed'),
  ('fo_department', 'select', 'ticket_messages', 17, 2, 'allowed'),
  ('marketing_department', 'select', 'ticket_messages', 17, 2, 'denied'),
  ('customer_a', 'select', 'in_app_messages', 11, 2, 'denied'),
  ('vendor_a', 'select', 'in_app_messages', 11, 2, 'denied'),
  ('customer_b', 'select', 'in_app_messages', 11, 2, 'allowed'),
  ('customer_a', 'select', 'in_app_messages', 11, 3, 'denied'),
  ('vendor_a', 'select', 'in_app_messages', 11, 3, 'allowed'),
  ('customer_care', 'select', 'in_app_messages', 11, 3, 'allowed'),
  ('customer_a', 'select', 'push_notifications', 12, 2, 'denied'),
  ('customer_a', 'select', 'gdpr_requests', 19, 2, 'denied'),
  ('customer_b', 'select', 'gdpr_requests', 19, 2, 'allowed'),
  ('customer_a', 'select', 'coupon_codes', 5, 3, 'denied'),
  ('customer_b', 'select', 'coupon_codes', 5, 3, 'allowed'),
  ('customer_a', 'select', 'referral_rewards', 8, 2, 'denied'),
  ('customer_b', 'select', 'referral_rewards', 8, 2, 'allowed'),
  ('anon', 'select', 'promotions', 3, 3, 'denied'),
  ('customer_a', 'select', 'promotions', 3, 3, 'denied'),
  ('customer_a', 'update', 'promotions', 3, 3, 'denied'),
  ('marketing_department', 'select', 'promotions', 3, 3, 'allowed'),
  ('anon', 'select', 'promotions', 3, 4, 'denied'),
  ('customer_a', 'select', 'promotions', 3, 4, 'denied'),
  ('anon', 'select', 'legal_documents', 18, 2, 'denied'),
  ('customer_a', 'select', 'legal_documents', 18, 2, 'denied'),
  ('advocate', 'select', 'legal_documents', 18, 2, 'allowed'),
  ('advocate', 'update', 'legal_documents', 18, 2, 'allowed'),
  ('legal_department', 'delete', 'legal_documents', 18, 2, 'denied'),
  ('super_admin', 'delete', 'legal_documents', 18, 2, 'allowed'),
  ('vendor_a', 'select', 'warehouses', 22, 3, 'denied'),
  ('vendor_b', 'select', 'warehouses', 22, 3, 'allowed'),
  ('vendor_a', 'select', 'inventory_items', 24, 3, 'denied'),
  ('vendor_b', 'select', 'inventory_items', 24, 3, 'allowed'),
  ('therapist_b', 'select', 'inventory_items', 24, 3, 'denied'),
  ('vendor_a', 'select', 'asset_tracking', 27, 2, 'denied'),
  ('vendor_b', 'select', 'asset_tracking', 27, 2, 'allowed'),
  ('therapist_a', 'select', 'asset_tracking', 27, 3, 'allowed'),
  ('therapist_b', 'select', 'asset_tracking', 27, 3, 'denied'),
  ('vendor_a', 'select', 'revenue_analytics', 33, 2, 'denied'),
  ('vendor_b', 'select', 'revenue_analytics', 33, 2, 'allowed'),
  ('vendor_b', 'select', 'compliance_audits', 21, 1, 'denied'),
  ('vendor_a', 'select', 'api_keys', 36, 2, 'denied'),
  ('vendor_b', 'select', 'api_keys', 36, 2, 'allowed'),
  ('vendor_b', 'select', 'api_keys', 36, 1, 'denied'),
  ('vendor_b', 'update', 'api_keys', 36, 1, 'denied'),
  ('directors', 'select', 'api_keys', 36, 2, 'denied'),
  ('anon', 'insert', 'analytics_events', 28, 2, 'allowed'),
  ('anon', 'insert', 'page_views', 29, 2, 'allowed'),
  ('customer_a', 'insert', 'analytics_events', 28, 2, 'denied'),
  ('customer_a', 'insert', 'page_views', 29, 2, 'denied'),
  ('customer_b', 'insert', 'analytics_events', 28, 1, 'denied'),
  ('anon', 'select', 'analytics_events', 28, 2, 'denied'),
  ('anon', 'select', 'app_versions', 37, 2, 'denied'),
  ('customer_a', 'select', 'app_versions', 37, 2, 'denied'),
  ('it_department', 'select', 'app_versions', 37, 2, 'allowed'),
  ('customer_a', 'select', 'feature_flags', 38, 2, 'denied'),
  ('it_department', 'select', 'feature_flags', 38, 2, 'allowed'),
  ('anon', 'select', 'system_settings', 40, 2, 'denied'),
  ('customer_a', 'select', 'system_settings', 40, 2, 'denied'),
  ('finance_department', 'select', 'system_settings', 40, 2, 'denied'),
  ('it_department', 'select', 'system_settings', 40, 2, 'allowed'),
  ('anon', 'select', 'system_settings', 40, 3, 'denied'),
  ('finance_department', 'select', 'system_settings', 40, 3, 'allowed'),
  ('accounts_department', 'select', 'system_settings', 40, 3, 'allowed'),
  ('marketing_department', 'select', 'system_settings', 40, 3, 'denied'),
  ('super_admin', 'delete', 'purchase_orders', 26, 2, 'denied'),
  ('directors', 'delete', 'campaigns', 1, 1, 'denied');

-- 68 single assertions follow the two tables.
select plan((select count(*)::integer from matrix) * (select count(*)::integer from matrix_personas)
            + (select count(*)::integer from other_rows) + 68);

select private.maintain_partitions();
select tests.create_personas();

-- The grants V28 relies on, as seeds/20_organisation.sql gives them; repeated so the suite
-- also runs on a database seeded before they were added.
update public.role_permissions
   set permissions = array['read', 'create', 'update', 'export']
 where role_id = 'admin' and module_id = 'inventory' and sub_module_id is null
   and permissions = array['read'];
insert into public.role_permissions (role_id, module_id, sub_module_id, permissions)
values
  ('finance_department', 'inventory', null, array['read', 'approve']),
  ('accounts_department', 'inventory', null, array['read'])
on conflict (role_id, module_id, sub_module_id) do nothing;

-- Fixture ids: table number n (matrix order), row k.
create function pg_temp.u(n integer, k integer default 1)
returns uuid
language sql
immutable
as $$
  select (lpad(n::text, 2, '0') || '000000-0000-4000-8000-' || lpad(k::text, 12, '0'))::uuid
$$;
-- New functions are executable by nobody until granted (V31); the personas call this one.
grant execute on function pg_temp.u(integer, integer) to public;

-- Runs one statement as a persona and says what happened: 'rows <n>' or the SQLSTATE.
create function pg_temp.exec_as(persona text, stmt text)
returns text
language plpgsql
as $$
declare
  n bigint;
  state text;
  result text;
begin
  perform tests.act_as(persona);
  begin
    execute stmt;
    get diagnostics n = row_count;
    result := 'rows ' || n;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
    result := state;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);
  return result;
end
$$;

-- Fixtures ---------------------------------------------------------------------------------

select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a')) as booking_a \gset
select tests.create_booking(tests.id('customer_b'), tests.id('vendor_b')) as booking_b \gset
select id as city from public.cities where name = 'Bengaluru' \gset

-- Marketing
insert into public.campaigns (id, name, type, status, content, created_by) values
  (pg_temp.u(1), 'Monsoon detox', 'email', 'draft', '{"subject": "Detox this monsoon"}', tests.id('marketing_department'));
insert into public.campaign_analytics (id, campaign_id, metric_date, channel, sent, delivered) values
  (pg_temp.u(2), pg_temp.u(1), current_date, 'email', 100, 90);
insert into public.promotions (id, code, name, type, discount_value, valid_from, valid_to, status, created_by) values
  (pg_temp.u(3), 'G4WELCOME', 'Welcome 10 %', 'percentage', 1000, now() - interval '1 day', now() + interval '30 days', 'active', tests.id('marketing_department')),
  (pg_temp.u(3, 2), 'G4USED', 'Used offer', 'fixed_amount', 20000, now() - interval '1 day', now() + interval '30 days', 'active', tests.id('marketing_department')),
  (pg_temp.u(3, 3), 'G4PAUSED', 'Paused offer', 'fixed_amount', 20000, now() - interval '1 day', now() + interval '30 days', 'inactive', tests.id('marketing_department')),
  (pg_temp.u(3, 4), 'G4DIWALI', 'Next Diwali', 'fixed_amount', 30000, now() + interval '200 days', now() + interval '230 days', 'active', tests.id('marketing_department'));
insert into public.promotion_usage (id, promotion_id, customer_id, booking_id, discount_amount) values
  (pg_temp.u(4), pg_temp.u(3, 2), tests.id('customer_a'), :'booking_a', 20000);
insert into public.coupon_codes (id, code, promotion_id, customer_id, max_uses) values
  (pg_temp.u(5), 'G4CODEA1', pg_temp.u(3, 2), tests.id('customer_a'), 1),
  (pg_temp.u(5, 2), 'G4CODEA2', pg_temp.u(3, 2), tests.id('customer_a'), 5),
  (pg_temp.u(5, 3), 'G4CODEB1', pg_temp.u(3, 2), tests.id('customer_b'), 1);
insert into public.coupon_usages (id, coupon_code_id, customer_id, booking_id, discount_amount) values
  (pg_temp.u(6), pg_temp.u(5, 2), tests.id('customer_a'), :'booking_a', 10000);
insert into public.email_templates (id, code, name, subject, html_body) values
  (pg_temp.u(7), 'g4_welcome', 'Welcome', 'Welcome to OMBARO', '<p>Namaste {{name}}</p>');
insert into public.customer_referrals (id, referrer_id, referee_id, referral_code) values
  (pg_temp.u(8, 9), tests.id('customer_a'), tests.id('customer_b'), 'G4REFA');
insert into public.referral_rewards (id, referral_id, beneficiary_id, beneficiary_role, reward_type, points) values
  (pg_temp.u(8), pg_temp.u(8, 9), tests.id('customer_a'), 'referrer', 'loyalty_points', 100),
  (pg_temp.u(8, 2), pg_temp.u(8, 9), tests.id('customer_b'), 'referee', 'loyalty_points', 50);

-- Communications
insert into public.notifications (id, user_id, type, title, message) values
  (pg_temp.u(9), tests.id('customer_a'), 'reminder', 'Your visit tomorrow', 'Swedish massage at 11:00'),
  (pg_temp.u(9, 2), tests.id('customer_b'), 'reminder', 'Your visit tomorrow', 'Deep tissue at 11:00');
insert into public.notification_queue (id, event_type, user_id, channel, template_code) values
  (pg_temp.u(10), 'booking.confirmed', tests.id('customer_a'), 'email', 'g4_welcome');
insert into public.in_app_messages (id, conversation_id, sender_id, recipient_id, booking_id, body, deleted_at) values
  (pg_temp.u(11), :'booking_a', tests.id('vendor_a'), tests.id('customer_a'), :'booking_a', 'See you at 11', null),
  (pg_temp.u(11, 2), :'booking_b', tests.id('vendor_b'), tests.id('customer_b'), :'booking_b', 'See you at 11', null),
  (pg_temp.u(11, 3), :'booking_a', tests.id('vendor_a'), tests.id('customer_a'), :'booking_a', 'Wrong address sent', now());
insert into public.push_notifications (id, user_id, device_token, platform, title, body) values
  (pg_temp.u(12), tests.id('customer_a'), 'fcm-token-a', 'fcm', 'Reminder', 'Tomorrow at 11'),
  (pg_temp.u(12, 2), tests.id('customer_b'), 'fcm-token-b', 'fcm', 'Reminder', 'Tomorrow at 11');
insert into public.email_logs (id, user_id, to_email, from_email, subject, provider) values
  (pg_temp.u(13), tests.id('customer_a'), 'customer.a@test.ombaro.in', 'care@ombaro.in', 'Booking confirmed', 'sendgrid');
insert into public.sms_logs (id, user_id, to_mobile, sender_id, dlt_entity_id, dlt_template_id, body, provider) values
  (pg_temp.u(14), tests.id('customer_a'), '+919800000001', 'OMBARO', '1201159100000000001', '1207161234567890123',
   'Your OMBARO booking is confirmed', 'msg91');
insert into public.whatsapp_logs (id, user_id, to_mobile, template_name, provider) values
  (pg_temp.u(15), tests.id('customer_a'), '+919800000001', 'booking_confirmed', 'meta_cloud');

-- Support
insert into public.support_tickets (id, ticket_number, customer_id, raised_by, booking_id, category, subject, description) values
  (pg_temp.u(16), 'TKT-G4-0001', tests.id('customer_a'), tests.id('customer_a'), :'booking_a', 'service_quality', 'Late therapist', 'Came 40 minutes late'),
  (pg_temp.u(16, 2), 'TKT-G4-0002', tests.id('customer_b'), tests.id('customer_b'), :'booking_b', 'payment_issue', 'Charged twice', 'UPI debited twice');
insert into public.ticket_messages (id, ticket_id, sender_id, sender_type, message, is_internal) values
  (pg_temp.u(17), pg_temp.u(16), tests.id('customer_a'), 'customer', 'Please call me back', false),
  (pg_temp.u(17, 2), pg_temp.u(16), tests.id('customer_care'), 'employee', 'Repeat complainer, offer 10 % at most', true);

-- Legal
insert into public.legal_documents (id, doc_type, version, title, body, status, published_at, effective_from) values
  (pg_temp.u(18), 'terms_of_service', '9.1', 'Terms of service', 'The terms.', 'published', now(), now()),
  (pg_temp.u(18, 2), 'privacy_policy', '9.2', 'Privacy policy', 'Draft privacy text.', 'draft', null, null);
insert into public.gdpr_requests (id, request_number, request_type, user_id) values
  (pg_temp.u(19), 'DPR-G4-0001', 'access', tests.id('customer_a')),
  (pg_temp.u(19, 2), 'DPR-G4-0002', 'erasure', tests.id('customer_b'));
insert into public.data_retention_policies (id, table_name, retention_period, action, legal_basis) values
  (pg_temp.u(20), 'g4_scratch', interval '90 days', 'delete', 'DPDP purpose limitation');
insert into public.compliance_audits (id, audit_number, audit_type, vendor_id, scheduled_date) values
  (pg_temp.u(21), 'AUD-G4-0001', 'vendor_hygiene', tests.id('vendor_a'), current_date + 7);

-- Operations
insert into public.warehouses (id, code, name, vendor_id, address, city_id) values
  (pg_temp.u(22), 'G4-VA-SPARE', 'Vendor A spare room', tests.id('vendor_a'), '{}', :'city'),
  (pg_temp.u(22, 2), 'G4-VA-STORE', 'Vendor A store', tests.id('vendor_a'), '{}', :'city'),
  (pg_temp.u(22, 3), 'G4-VB-STORE', 'Vendor B store', tests.id('vendor_b'), '{}', :'city'),
  (pg_temp.u(22, 4), 'G4-BLR', 'OMBARO Bengaluru', null, '{}', :'city');
insert into public.suppliers (id, name) values
  (pg_temp.u(23), 'Kerala Ayurvedic Oils'),
  (pg_temp.u(23, 2), 'Coimbatore Linen');
insert into public.inventory_items (id, sku, name, category, unit, warehouse_id, vendor_id) values
  (pg_temp.u(24), 'G4-OIL-ALMOND', 'Almond oil', 'oils', 'ml', pg_temp.u(22, 2), tests.id('vendor_a')),
  (pg_temp.u(24, 2), 'G4-TOWEL', 'Bath towel', 'linen', 'piece', pg_temp.u(22, 2), tests.id('vendor_a')),
  (pg_temp.u(24, 3), 'G4-OIL-SESAME', 'Sesame oil', 'oils', 'ml', pg_temp.u(22, 3), tests.id('vendor_b'));
insert into public.stock_transactions (id, inventory_item_id, warehouse_id, transaction_type, quantity, performed_by) values
  (pg_temp.u(25), pg_temp.u(24, 2), pg_temp.u(22, 2), 'receipt', 10, tests.id('admin'));
insert into public.purchase_orders (id, po_number, supplier_id, warehouse_id, status, created_by) values
  (pg_temp.u(26), 'PO-G4-0001', pg_temp.u(23, 2), pg_temp.u(22, 4), 'draft', tests.id('admin')),
  (pg_temp.u(26, 2), 'PO-G4-0002', pg_temp.u(23, 2), pg_temp.u(22, 4), 'submitted', tests.id('finance_department'));
insert into public.asset_tracking (id, asset_tag, name, asset_type, assigned_vendor_id, assigned_therapist_id, status) values
  (pg_temp.u(27), 'G4-MT-0001', 'Massage table', 'massage_table', tests.id('vendor_a'), null, 'assigned'),
  (pg_temp.u(27, 2), 'G4-MT-0002', 'Massage table', 'massage_table', tests.id('vendor_b'), null, 'assigned'),
  (pg_temp.u(27, 3), 'G4-ST-0001', 'Portable steamer', 'steamer', null,
   (select id from public.therapists where user_id = tests.id('therapist_a')), 'assigned');

-- Analytics
insert into public.analytics_events (id, user_id, session_id, event_name) values
  (pg_temp.u(28), tests.id('customer_a'), 'sess-a', 'search'),
  (pg_temp.u(28, 2), null, 'sess-anon', 'page_view');
insert into public.page_views (id, user_id, session_id, path) values
  (pg_temp.u(29), tests.id('customer_a'), 'sess-a', '/spas/bengaluru'),
  (pg_temp.u(29, 2), null, 'sess-anon', '/');
insert into public.cohort_analysis (id, cohort_month, period_number, cohort_size, retained_users) values
  (pg_temp.u(30), date_trunc('month', current_date - 400)::date, 0, 10, 5);
insert into public.conversion_tracking (id, session_id, user_id, event) values
  (pg_temp.u(31), 'sess-a', tests.id('customer_a'), 'checkout');
insert into public.funnel_analytics (id, funnel_name, step_order, step_name, period_start, entered, completed) values
  (pg_temp.u(32), 'g4_booking', 1, 'search', current_date - 400, 100, 40);
insert into public.revenue_analytics (id, period_date, vendor_id, gross_revenue, net_revenue) values
  (pg_temp.u(33), current_date - 400, tests.id('vendor_a'), 100000, 100000),
  (pg_temp.u(33, 2), current_date - 400, tests.id('vendor_b'), 50000, 50000);

-- System
insert into public.audit_logs (id, actor_id, action, table_name, row_id) values
  (pg_temp.u(34), tests.id('customer_a'), 'update', 'bookings', :'booking_a');
insert into public.error_logs (id, service, message, user_id) values
  (pg_temp.u(35), 'customer-app', 'TypeError: slot is undefined', tests.id('customer_a'));
insert into public.api_keys (id, name, owner_user_id, owner_vendor_id, key_prefix, key_hash, created_by) values
  (pg_temp.u(36), 'Vendor A POS', tests.id('vendor_a'), null, 'omb_aaaa', private.sha256_hex('omb_aaaa-fixture'), tests.id('vendor_a')),
  (pg_temp.u(36, 2), 'Vendor B booking sync', null, tests.id('vendor_b'), 'omb_bbbb', private.sha256_hex('omb_bbbb-fixture'), tests.id('vendor_b'));
insert into public.app_versions (id, platform, version, build_number, status, released_at) values
  (pg_temp.u(37), 'android', '9.0.0', 90000, 'active', now() - interval '1 day'),
  (pg_temp.u(37, 2), 'android', '9.1.0', 91000, 'active', null);
insert into public.feature_flags (id, key, enabled) values
  (pg_temp.u(38), 'g4_live_tracking', true),
  (pg_temp.u(38, 2), 'g4_couples_booking', false);
insert into public.scheduled_tasks (id, name, cron_expression, function_name) values
  (pg_temp.u(39), 'g4_cleanup', '@daily', 'private.maintain_partitions');
insert into public.system_settings (id, key, value, is_public) values
  (pg_temp.u(40), 'g4.visit_fee', '4900', true),
  (pg_temp.u(40, 2), 'g4.fraud_threshold', '5', false),
  (pg_temp.u(40, 3), 'gst_filing_frequency', '"monthly"', false);
insert into public.webhook_endpoints (id, name, direction, provider, url, secret_encrypted, secret_key_version) values
  (pg_temp.u(41), 'Razorpay payments', 'inbound', 'razorpay', 'https://api.ombaro.in/hooks/g4-razorpay',
   private.encrypt_text('whsec_g4_fixture_secret'), 1);

-- The matrix -------------------------------------------------------------------------------

select is(tests.attempt(p.p, m.c, ('public.' || m.t)::regclass, format('id = %L', pg_temp.u(m.n))),
          case when p.p = any (m.allowed) then 'allowed' else 'denied' end,
          format('%s %s %s', p.p, m.c, m.t))
  from matrix m
  cross join matrix_personas p
 order by m.t, m.c, p.p;

select is(tests.attempt(o.p, o.c, ('public.' || o.t)::regclass, format('id = %L', pg_temp.u(o.n, o.k))), o.e,
          format('%s %s %s row %s', o.p, o.c, o.t, o.k))
  from other_rows o;

-- Attacks ----------------------------------------------------------------------------------

-- Support: internal notes stay with the care team.
select is(pg_temp.exec_as('customer_a', format('select id from public.ticket_messages where ticket_id = %L', pg_temp.u(16))),
          'rows 1', 'a customer sees only the public message of their ticket, not the internal note');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.ticket_messages (ticket_id, sender_id, sender_type, message, is_internal)
    values (%L, %L, 'customer', 'pretend note', true)$$, pg_temp.u(16), tests.id('customer_a'))),
  '42501', 'a customer cannot post an internal note');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.ticket_messages (ticket_id, sender_id, sender_type, message)
    values (%L, %L, 'employee', 'Refund approved')$$, pg_temp.u(16), tests.id('customer_a'))),
  '42501', 'a customer cannot post as an agent');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.ticket_messages (ticket_id, sender_id, sender_type, message)
    values (%L, %L, 'customer', 'hello')$$, pg_temp.u(16, 2), tests.id('customer_a'))),
  '42501', 'a customer cannot post on another customer''s ticket');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.ticket_messages (ticket_id, sender_id, sender_type, message)
    values (%L, %L, 'customer', 'Any update?')$$, pg_temp.u(16), tests.id('customer_a'))),
  'rows 1', 'a customer replies on their own ticket');
select is(pg_temp.exec_as('customer_care', format(
  $$insert into public.ticket_messages (ticket_id, sender_id, sender_type, message, is_internal)
    values (%L, %L, 'employee', 'Called the spa', true)$$, pg_temp.u(16), tests.id('customer_care'))),
  'rows 1', 'customer care adds an internal note');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.support_tickets (ticket_number, customer_id, raised_by, category, subject, description)
    values ('TKT-G4-0003', %L, %L, 'technical', 'App crash', 'On payment')$$, tests.id('customer_a'), tests.id('customer_a'))),
  'rows 1', 'a customer raises a ticket');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.support_tickets (ticket_number, customer_id, raised_by, category, subject, description)
    values ('TKT-G4-0004', %L, %L, 'technical', 'App crash', 'On payment')$$, tests.id('customer_b'), tests.id('customer_a'))),
  '42501', 'a customer cannot raise a ticket about another customer');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.support_tickets (ticket_number, customer_id, raised_by, category, subject, description, status, priority, sla_due_at)
    values ('TKT-G4-0005', %L, %L, 'technical', 'x', 'y', 'resolved', 'urgent', now())$$, tests.id('customer_a'), tests.id('customer_a'))),
  '42501', 'a customer cannot set a ticket''s status or deadline');
select is(pg_temp.exec_as('customer_a', format($$update public.support_tickets set assigned_to = %L where id = %L$$,
          tests.id('customer_care'), pg_temp.u(16))),
  '42501', 'a customer cannot assign their ticket');
select is(pg_temp.exec_as('customer_a', format($$update public.support_tickets set status = 'resolved' where id = %L$$, pg_temp.u(16))),
  '42501', 'a customer cannot mark their ticket resolved');
select is(pg_temp.exec_as('customer_a', format($$update public.support_tickets set status = 'closed' where id = %L$$, pg_temp.u(16))),
  'rows 1', 'a customer closes their own ticket');
select is(pg_temp.exec_as('customer_a', format($$update public.support_tickets set satisfaction_rating = 5 where id = %L$$, pg_temp.u(16))),
  'rows 1', 'a customer rates their closed ticket');
select is(pg_temp.exec_as('customer_care', format($$update public.support_tickets set satisfaction_rating = 1 where id = %L$$, pg_temp.u(16))),
  '42501', 'an agent cannot rate a ticket');
select is(pg_temp.exec_as('customer_b', 'update public.support_tickets set priority = priority'),
  'rows 1', 'an unfiltered update by a customer reaches only their own ticket');

-- Notifications: read flags only, own only.
select is(pg_temp.exec_as('customer_a', format($$update public.notifications set title = 'Free spa day' where id = %L$$, pg_temp.u(9))),
  '42501', 'a customer cannot rewrite a notification');
select is(pg_temp.exec_as('customer_a', format($$update public.notifications set user_id = %L where id = %L$$, tests.id('customer_b'), pg_temp.u(9))),
  '42501', 'a customer cannot hand a notification to someone else');
select is(pg_temp.exec_as('customer_a', 'update public.notifications set is_read = true'),
  'rows 1', 'marking everything read touches only the customer''s own notifications');
select is((select is_read from public.notifications where id = pg_temp.u(9, 2)), false, 'customer B''s notification is still unread');
select is(pg_temp.exec_as('customer_a', 'select id from public.notification_queue'), 'rows 0', 'a customer cannot see the outbox');

-- In-app messages
select is(pg_temp.exec_as('customer_a', format($$update public.in_app_messages set deleted_at = now() where id = %L$$, pg_temp.u(11))),
  '42501', 'a recipient cannot withdraw the sender''s message');
select is(pg_temp.exec_as('customer_a', format($$update public.in_app_messages set read_at = now() where id = %L$$, pg_temp.u(11))),
  'rows 1', 'a recipient marks a message read');
select is(pg_temp.exec_as('vendor_a', format($$update public.in_app_messages set deleted_at = now() where id = %L$$, pg_temp.u(11))),
  'rows 1', 'a sender withdraws their message');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.in_app_messages (conversation_id, sender_id, recipient_id, body) values (%L, %L, %L, 'Cancel my booking')$$,
  pg_temp.u(11, 9), tests.id('vendor_a'), tests.id('customer_b'))),
  '42501', 'a customer cannot send a message as a vendor');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.in_app_messages (conversation_id, sender_id, recipient_id, message_type, body) values (%L, %L, %L, 'system', 'Booking cancelled')$$,
  :'booking_a', tests.id('customer_a'), tests.id('vendor_a'))),
  '42501', 'a customer cannot send system messages');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.in_app_messages (conversation_id, sender_id, recipient_id, body) values (%L, %L, %L, 'Running 5 minutes late')$$,
  :'booking_a', tests.id('customer_a'), tests.id('vendor_a'))),
  'rows 1', 'a customer messages the vendor as themself');

-- Marketing: offers and counters.
select is(pg_temp.exec_as('customer_a', format($$update public.promotions set status = 'active' where id = %L$$, pg_temp.u(3, 3))),
  'rows 0', 'a customer cannot activate a promotion');
select is((select status from public.promotions where id = pg_temp.u(3, 3)), 'inactive', 'the paused promotion stays inactive');
select is(pg_temp.exec_as('customer_a', format($$update public.promotions set current_usage_count = 0 where id = %L$$, pg_temp.u(3, 2))),
  '42501', 'a customer cannot reset a promotion''s usage count');
select is(pg_temp.exec_as('marketing_department', format($$update public.promotions set current_usage_count = 0 where id = %L$$, pg_temp.u(3, 2))),
  '42501', 'marketing cannot reset a usage count either: the redemption trigger keeps it');
select is(pg_temp.exec_as('customer_a', format($$update public.coupon_codes set times_used = 0 where id = %L$$, pg_temp.u(5, 2))),
  '42501', 'a customer cannot edit a coupon''s times_used');
select is(pg_temp.exec_as('customer_a', format($$update public.coupon_codes set max_uses = 99 where id = %L$$, pg_temp.u(5, 2))),
  'rows 0', 'a customer cannot raise their coupon''s use limit');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.promotion_usage (promotion_id, customer_id, booking_id, discount_amount) values (%L, %L, %L, 0)$$,
  pg_temp.u(3), tests.id('customer_a'), :'booking_a')),
  '42501', 'redemptions are recorded by the booking service only');
select is(pg_temp.exec_as('marketing_department', format(
  $$update public.campaigns set approved_by = %L, approved_at = now(), status = 'scheduled' where id = %L$$,
  tests.id('marketing_department'), pg_temp.u(1))),
  '42501', 'a campaign''s author cannot approve it');
select is(pg_temp.exec_as('directors', format(
  $$update public.campaigns set approved_by = %L, approved_at = now(), status = 'scheduled' where id = %L$$,
  tests.id('directors'), pg_temp.u(1))),
  'rows 1', 'a director approves a campaign someone else wrote');
select is(pg_temp.exec_as('marketing_department', format(
  $$insert into public.campaigns (name, type, content, created_by) values ('Forged', 'sms', '{}', %L)$$, tests.id('directors'))),
  'rows 1', 'marketing creates a campaign');
select is((select created_by from public.campaigns where name = 'Forged'), tests.id('marketing_department'),
  'a campaign''s author is whoever created it, whatever the app sent');

-- Legal
select is(pg_temp.exec_as('advocate', format($$update public.legal_documents set status = 'published', published_at = now(), effective_from = now() where id = %L$$, pg_temp.u(18, 2))),
  '42501', 'an advocate cannot publish a legal text');
select is(pg_temp.exec_as('legal_department', format($$update public.legal_documents set status = 'published', published_at = now(), effective_from = now() where id = %L$$, pg_temp.u(18, 2))),
  'rows 1', 'the legal department publishes a legal text');
select is((select published_by from public.legal_documents where id = pg_temp.u(18, 2)), tests.id('legal_department'),
  'the publisher is recorded');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.gdpr_requests (request_number, request_type, user_id) values ('DPR-G4-0003', 'erasure', %L)$$, tests.id('customer_a'))),
  'rows 1', 'a customer files a data request for themself');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.gdpr_requests (request_number, request_type, user_id) values ('DPR-G4-0004', 'erasure', %L)$$, tests.id('customer_b'))),
  '42501', 'a customer cannot file a data request for someone else');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.gdpr_requests (request_number, request_type, user_id, status, completed_at) values ('DPR-G4-0005', 'access', %L, 'completed', now())$$, tests.id('customer_a'))),
  '42501', 'a customer cannot file a request as already completed');

-- Operations: finance approves purchase orders, never their author.
select is(pg_temp.exec_as('admin', format($$update public.purchase_orders set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
          tests.id('admin'), pg_temp.u(26))),
  '42501', 'operations cannot approve its own purchase order');
select is(pg_temp.exec_as('finance_department', format($$update public.purchase_orders set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
          tests.id('finance_department'), pg_temp.u(26, 2))),
  '42501', 'finance cannot approve a purchase order it raised');
select is(pg_temp.exec_as('finance_department', format($$update public.purchase_orders set total_amount = 1, subtotal_amount = 1 where id = %L$$, pg_temp.u(26))),
  '42501', 'an approver cannot change what was ordered');
select is(pg_temp.exec_as('finance_department', format($$update public.purchase_orders set status = 'approved', approved_by = %L, approved_at = now() where id = %L$$,
          tests.id('finance_department'), pg_temp.u(26))),
  'rows 1', 'finance approves a purchase order raised by operations');
select is(pg_temp.exec_as('admin', format($$update public.inventory_items set quantity_on_hand = 1000 where id = %L$$, pg_temp.u(24, 2))),
  '42501', 'stock balances change only through the ledger');

-- Telemetry
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.analytics_events (user_id, session_id, event_name) values (%L, 's', 'x')$$, tests.id('customer_b'))),
  '42501', 'a customer cannot send events in another user''s name');
select is(pg_temp.exec_as('customer_a', format(
  $$insert into public.page_views (id, user_id, session_id, path, created_at) values (%L, %L, 's', '/', '2001-01-01')$$,
  pg_temp.u(29, 9), tests.id('customer_a'))),
  'rows 1', 'a customer sends a page view');
select ok((select created_at > now() - interval '1 hour' from public.page_views where id = pg_temp.u(29, 9)),
  'telemetry is stamped with the time the server received it');

-- System: the audit trail, error logs and secrets.
select is(pg_temp.exec_as('customer_a', 'select id from public.audit_logs'), 'rows 0', 'a customer cannot read the audit trail');
select is(pg_temp.exec_as('customer_a', 'select id from public.error_logs'), 'rows 0', 'a customer cannot read error logs, even their own');
select is(pg_temp.exec_as('super_admin', format($$insert into public.audit_logs (action, table_name) values ('delete', 'bookings')$$)),
  '42501', 'nobody writes the audit trail by hand, not even a super admin');
select is(pg_temp.exec_as('customer_a', 'select id from public.api_keys'), 'rows 0', 'a customer sees nobody''s API keys');
select is(pg_temp.exec_as('vendor_a', 'select key_hash from public.api_keys'), '42501', 'a key''s owner cannot read its hash');
select is(pg_temp.exec_as('super_admin', 'select key_hash from public.api_keys'), '42501', 'a super admin cannot read key hashes');
select is(pg_temp.exec_as('it_department', 'select secret_encrypted from public.webhook_endpoints'), '42501', 'IT cannot read webhook secrets');
select is(pg_temp.exec_as('service_role', 'select key_hash from public.api_keys where key_hash is not null'), 'rows 2',
  'the services authenticate keys by their hash');
select is(pg_temp.exec_as('vendor_a', format($$update public.api_keys set scopes = '{bookings:write}' where id = %L$$, pg_temp.u(36))),
  '42501', 'a key''s owner cannot widen its scopes');
select is(pg_temp.exec_as('vendor_a', format($$update public.api_keys set revoked_at = now() where id = %L$$, pg_temp.u(36))),
  'rows 1', 'a key''s owner revokes it');
select is(pg_temp.exec_as('vendor_a', format($$update public.api_keys set revoked_at = null where id = %L$$, pg_temp.u(36))),
  '42501', 'a revoked key stays revoked');
select is(pg_temp.exec_as('customer_a', $$select public.create_api_key('x', '{bookings:write}', '$$ || tests.id('vendor_b') || $$')$$),
  '42501', 'nobody creates keys for a vendor they do not run');
select is(pg_temp.exec_as('anon', $$select public.create_api_key('x', '{}')$$), '42501', 'anon cannot create API keys');
select is(pg_temp.exec_as('customer_a', $$select public.set_webhook_secret('$$ || pg_temp.u(41) || $$', 'a-very-long-new-secret')$$),
  '42501', 'a customer cannot replace a webhook secret');

select tests.act_as('vendor_a');
select public.create_api_key('Vendor A POS 2', '{bookings:read}') ->> 'api_key' as new_key \gset
select tests.clear_authentication();
select is((select key_hash from public.api_keys where owner_user_id = tests.id('vendor_a') and name = 'Vendor A POS 2'),
          private.sha256_hex(:'new_key'), 'create_api_key keeps only the key''s hash');
select ok(not exists (select 1 from public.api_keys k where strpos(to_jsonb(k)::text, :'new_key') > 0),
          'the clear key is stored nowhere');

select tests.act_as('it_department');
select public.set_webhook_secret(pg_temp.u(41), 'whsec_g4_rotated_secret');
select tests.clear_authentication();
select is((select private.decrypt_text(secret_encrypted) from public.webhook_endpoints where id = pg_temp.u(41)),
          'whsec_g4_rotated_secret', 'IT rotates a webhook secret, stored encrypted');

select * from finish();
rollback;
