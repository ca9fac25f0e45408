-- Schema contract: `public` holds exactly the 143 tables the spec lists (partition children
-- live in schema `partitions` and are not counted), each with a primary key, RLS enabled,
-- and the structural promises of the spec: indexed foreign keys, 300+ indexes, updated_at
-- kept by the shared trigger, an explicit on-delete rule on every foreign key.
begin;
create extension if not exists pgtap with schema extensions;
select plan(10);

create temporary table spec_tables (name text primary key) on commit drop;
insert into spec_tables values
  ('addon_services'), ('analytics_events'), ('api_keys'), ('app_versions'), ('asset_tracking'),
  ('assignment_timeline'), ('attendance_policies'), ('attendance_records'), ('audit_logs'), ('booking_cancellations'),
  ('booking_items'), ('booking_notes'), ('booking_photos'), ('booking_reschedules'), ('booking_status_history'),
  ('bookings'), ('budget_allocations'), ('campaign_analytics'), ('campaigns'), ('cities'),
  ('cohort_analysis'), ('commission_records'), ('commission_rules'), ('compliance_audits'), ('conversion_tracking'),
  ('countries'), ('coupon_codes'), ('coupon_usages'), ('customer_addresses'), ('customer_communication_log'),
  ('customer_complaints'), ('customer_loyalty_tiers'), ('customer_preferences'), ('customer_referrals'), ('customer_segment_mapping'),
  ('customer_segments'), ('customers'), ('data_retention_policies'), ('delegation_history'), ('department_hierarchy'),
  ('departments'), ('email_logs'), ('email_templates'), ('emergency_contacts'), ('employee_onboarding'),
  ('employees'), ('error_logs'), ('expense_categories'), ('expenses'), ('feature_flags'),
  ('financial_reports'), ('funnel_analytics'), ('gdpr_requests'), ('holidays'), ('in_app_messages'),
  ('inventory_items'), ('invoices'), ('leave_balances'), ('leave_requests'), ('leave_types'),
  ('legal_documents'), ('loyalty_points_transactions'), ('notification_queue'), ('notifications'), ('overtime_records'),
  ('page_views'), ('payment_gateways'), ('payment_methods'), ('payment_settlements'), ('payments'),
  ('performance_reviews'), ('permission_modules'), ('permissions'), ('pincode_master'), ('popular_services'),
  ('promotion_usage'), ('promotions'), ('purchase_orders'), ('push_notifications'), ('referral_rewards'),
  ('refunds'), ('revenue_analytics'), ('reviews'), ('role_assignment_history'), ('role_permissions'),
  ('roles'), ('salary_components'), ('salary_records'), ('salary_structures'), ('scheduled_tasks'),
  ('service_availability'), ('service_categories'), ('service_execution_log'), ('service_packages'), ('service_pricing_tiers'),
  ('service_reviews'), ('service_tag_mapping'), ('service_tags'), ('service_variants'), ('services'),
  ('sms_logs'), ('states'), ('stock_transactions'), ('suppliers'), ('support_tickets'),
  ('system_settings'), ('tax_records'), ('therapist_assignments'), ('therapist_certifications'), ('therapist_leaves'),
  ('therapist_locations'), ('therapist_performance'), ('therapist_schedules'), ('therapists'), ('ticket_messages'),
  ('training_records'), ('user_activity_log'), ('user_bank_details'), ('user_documents'), ('user_kyc_verification'),
  ('user_preferences'), ('user_profiles'), ('user_roles'), ('user_sessions'), ('vendor_application_history'),
  ('vendor_applications'), ('vendor_availability'), ('vendor_bank_accounts'), ('vendor_compliance'), ('vendor_contracts'),
  ('vendor_documents'), ('vendor_payouts'), ('vendor_ratings'), ('vendor_reviews'), ('vendor_services'),
  ('vendor_staff'), ('vendors'), ('wallet_transactions'), ('warehouses'), ('webhook_endpoints'),
  ('whatsapp_logs'), ('work_shifts'), ('zones');

select is((select count(*)::int from spec_tables), 143, 'the spec lists 143 tables');

select is(
  array(
    select s.name from spec_tables s
     where not exists (
       select 1 from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relname = s.name and c.relkind in ('r', 'p')
     )
     order by 1
  ),
  '{}'::text[],
  'no spec table is missing from public'
);

select is(
  array(
    select c.relname::text from pg_class c
     where c.relnamespace = 'public'::regnamespace
       and c.relkind in ('r', 'p')
       and not c.relispartition
       and c.relname not in (select name from spec_tables)
     order by 1
  ),
  '{}'::text[],
  'public holds no table the spec does not list'
);

select is(
  array(
    select c.relname::text from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
       and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')
     order by 1
  ),
  '{}'::text[],
  'every table has a primary key'
);

select is(
  array(
    select c.relname::text from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity
     order by 1
  ),
  '{}'::text[],
  'row-level security is enabled on every table'
);

-- A foreign key is indexed when some index on its table starts with exactly its columns.
select is(
  array(
    select format('%s(%s)', k.conrelid::regclass, (
             select string_agg(a.attname, ', ' order by u.ord)
               from unnest(k.conkey) with ordinality u(attnum, ord)
               join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum))
      from pg_constraint k
      join pg_class t on t.oid = k.conrelid
     where k.contype = 'f'
       and t.relnamespace = 'public'::regnamespace
       and not exists (
         select 1 from pg_index i
          where i.indrelid = k.conrelid
            and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey
            and (i.indkey::int2[])[0:cardinality(k.conkey) - 1] <@ k.conkey
       )
     order by 1
  ),
  '{}'::text[],
  'every foreign key has an index leading with its columns'
);

-- An index whose columns lead a wider index on the same table (same method, same predicate,
-- no uniqueness of its own to enforce) serves nothing the wider one does not, and costs every
-- write: the duplicate_index advisor, extended to prefixes.
select is(
  array(
    select format('%s.%s served by %s', i.indrelid::regclass, narrow.relname, wide.relname)
      from pg_index i
      join pg_class narrow on narrow.oid = i.indexrelid
      join pg_index w on w.indrelid = i.indrelid and w.indexrelid <> i.indexrelid
      join pg_class wide on wide.oid = w.indexrelid
     where i.indrelid in (select oid from pg_class where relnamespace in ('public'::regnamespace, 'private'::regnamespace))
       and not i.indisunique
       and i.indnatts = i.indnkeyatts
       and narrow.relam = wide.relam
       and i.indexprs is null and w.indexprs is null
       and pg_get_expr(i.indpred, i.indrelid) is not distinct from pg_get_expr(w.indpred, w.indrelid)
       and (w.indkey::int2[])[0:i.indnkeyatts - 1] = (i.indkey::int2[])[0:i.indnkeyatts - 1]
       and (w.indclass::oid[])[0:i.indnkeyatts - 1] = (i.indclass::oid[])[0:i.indnkeyatts - 1]
       and (w.indoption::int2[])[0:i.indnkeyatts - 1] = (i.indoption::int2[])[0:i.indnkeyatts - 1]
       and w.indnkeyatts >= i.indnkeyatts
       and (w.indnkeyatts > i.indnkeyatts or i.indexrelid > w.indexrelid)
       and not exists (select 1 from pg_inherits h where h.inhrelid = i.indrelid)
     order by 1
  ),
  '{}'::text[],
  'no index is served by another that leads with its columns'
);

select cmp_ok(
  (select count(*)::int from pg_indexes where schemaname = 'public'),
  '>=', 300,
  'public has 300 or more indexes'
);

select is(
  array(
    select c.relname::text from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'updated_at' and not a.attisdropped
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
       and not exists (
         select 1 from pg_trigger t
          where t.tgrelid = c.oid and t.tgfoid = 'private.set_updated_at()'::regprocedure
       )
     order by 1
  ),
  '{}'::text[],
  'every table with updated_at keeps it by the shared trigger'
);

select is(
  array(
    select k.conrelid::regclass::text || '.' || k.conname
      from pg_constraint k
      join pg_class t on t.oid = k.conrelid
     where k.contype = 'f' and t.relnamespace = 'public'::regnamespace
       and k.confdeltype = 'a'  -- "no action", the default nobody chose
     order by 1
  ),
  '{}'::text[],
  'every foreign key says what happens on delete'
);

select * from finish();
rollback;
