-- The private functions app users can execute are exactly the helpers their policies, column
-- defaults and triggers call; anything else in `private` (effects of the payment service,
-- dashboard refresh, encryption) is refused to them. A helper added later that should be
-- callable is added to this list; one that should not be fails here.
begin;
select plan(4);

select is(
  (select array_agg(p.proname::text order by p.proname)
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'private' and p.prorettype <> 'trigger'::regtype
      and has_function_privilege('authenticated', p.oid, 'execute')),
  array[
    'active_assignment_ids_of_current_customer', 'booking_ids_of_current_therapist', 'booking_ids_visible_for_photos',
    'busy_range', 'can_review_identity_of', 'changed_columns', 'current_roles', 'customer_ids_served_now',
    'financial_year', 'followed_assignment', 'has_any_role', 'has_permission', 'has_role', 'hr_assignable_role_ids', 'is_active_employee',
    'is_api_caller', 'is_service_role', 'is_signed_in_role', 'mask_last4', 'may_follow_assignment', 'may_see_therapist_location',
    'next_complaint_number', 'object_owner',
    'own_role_ids_of_current_user', 'reports_of_current_user', 'setting_value', 'sha256_hex',
    'therapist_ids_of_current_user', 'therapist_ids_of_current_vendor', 'ticket_ids_of_current_user',
    'vendor_ids_of_current_user', 'vendor_ids_where_staff_can', 'vendor_staff_can', 'vendor_therapist_ids'
  ]::text[],
  'authenticated executes only the private helpers policies, defaults and triggers need'
);

select is(
  (select count(*)::integer
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'private' and has_function_privilege('anon', p.oid, 'execute')
      and p.prorettype <> 'trigger'::regtype
      and has_schema_privilege('anon', 'private', 'usage')),
  0,
  'anon reaches no private function'
);

select tests.create_personas();

select tests.act_as('customer_a');
select throws_ok(
  'select private.refresh_dashboards()', '42501', null,
  'a signed-in user cannot refresh the dashboards'
);
select throws_ok(
  $$select private.decrypt_text('\x00'::bytea)$$, '42501', null,
  'a signed-in user cannot decrypt'
);
select tests.clear_authentication();

select * from finish();
rollback;
