-- Signed-in roles (V24): a token names authenticated, partner or staff, each a member of the
-- one before. Auth's hook names the role; only the select policies of the tables that grow
-- with bookings and users differ between them; and the role only ever narrows what the data
-- admits, never widens it.
begin;
select plan(16);

select tests.create_personas();

-- Who gets which role ------------------------------------------------------------------------

select is(private.audience_of(tests.id('customer_a')), 'authenticated', 'a customer''s token names authenticated');
select is(private.audience_of(tests.id('vendor_a')), 'partner', 'a vendor owner''s token names partner');
select is(private.audience_of(tests.id('staff_a')), 'partner', 'vendor staff''s token names partner');
select is(private.audience_of(tests.id('therapist_a')), 'partner', 'a therapist''s token names partner');
select is(private.audience_of(tests.id('finance_department')), 'staff', 'an employee''s token names staff');
select is(private.audience_of(tests.id('employee')), 'staff', 'a plain employee''s token names staff');

select is(
  public.custom_access_token_hook(jsonb_build_object(
    'user_id', tests.id('vendor_a'), 'authentication_method', 'password',
    'claims', jsonb_build_object('sub', tests.id('vendor_a'), 'role', 'authenticated', 'aal', 'aal1'))),
  jsonb_build_object('claims', jsonb_build_object('sub', tests.id('vendor_a'), 'role', 'partner', 'aal', 'aal1')),
  'the hook rewrites only the role claim'
);

select tests.act_as('customer_a');
select throws_ok(
  format($$select public.custom_access_token_hook('{"user_id": "%s", "claims": {"role": "authenticated"}}')$$, tests.id('customer_a')),
  '42501', null, 'a customer cannot run the hook');
select throws_ok(
  format($$select private.audience_of(%L)$$, tests.id('finance_department')),
  '42501', null, 'a customer cannot ask who is an employee');
select tests.clear_authentication();

-- One ladder of roles ------------------------------------------------------------------------

select ok(
  pg_has_role('partner', 'authenticated', 'usage') and pg_has_role('staff', 'partner', 'usage')
    and not pg_has_role('authenticated', 'partner', 'member') and not pg_has_role('partner', 'staff', 'member'),
  'partner holds all authenticated holds, staff all partner holds, and never the other way'
);
select set_eq(
  $$select distinct polrelid::regclass::text from pg_policy
     where 'partner'::regrole = any (polroles) or 'staff'::regrole = any (polroles)$$,
  array['bookings', 'booking_items', 'booking_status_history', 'booking_cancellations', 'therapist_assignments',
        'therapist_locations', 'payments', 'refunds', 'invoices', 'reviews', 'notifications', 'support_tickets',
        'ticket_messages', 'loyalty_points_transactions', 'customer_addresses', 'analytics_events'],
  'only the tables that grow with bookings and users have policies of their own for partner and staff'
);
select is(
  (select count(*)::int from pg_policy
    where ('partner'::regrole = any (polroles) or 'staff'::regrole = any (polroles)) and polcmd <> 'r'),
  0, 'and only for select: every write is decided as for authenticated'
);

-- The role narrows, never widens ---------------------------------------------------------------

-- A booking and a payment at vendor_a by customer_b.
select tests.create_booking(tests.id('customer_b'), tests.id('vendor_a')) as booking \gset
insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount, total_amount,
                             payment_method, payment_gateway_id, status, payment_date)
select 'TXN-AUDIENCE', :'booking', tests.id('customer_b'), tests.id('vendor_a'), 249900, 12495, 262395, 'upi', g.id, 'success', now()
  from public.payment_gateways g where g.code = 'razorpay';

select tests.act_as('vendor_a');
select is(
  (select count(*)::int from public.bookings where id = :'booking'), 1,
  'the vendor''s partner token reads the booking');
select tests.clear_authentication();

-- A staff token in the hands of someone who is no employee and no partner reads nothing more.
do $$
begin
  perform set_config('request.jwt.claims', json_build_object('sub', tests.id('customer_a'), 'role', 'staff')::text, true);
  perform set_config('role', 'staff', true);
end
$$;
select is(
  (select count(*)::int from public.bookings where id = :'booking')
    + (select count(*)::int from public.payments where vendor_id = tests.id('vendor_a')),
  0, 'a staff token admits nothing by itself: a customer holding one reads no one else''s booking or payment');
select tests.clear_authentication();

-- A customer's token of someone since made vendor staff: less, until the token is refreshed.
update public.vendor_staff set user_id = tests.id('customer_a') where user_id = tests.id('staff_a');
do $$
begin
  perform set_config('request.jwt.claims', json_build_object('sub', tests.id('customer_a'), 'role', 'authenticated')::text, true);
  perform set_config('role', 'authenticated', true);
end
$$;
select is(
  (select count(*)::int from public.bookings where id = :'booking'),
  0, 'an authenticated token does not read the vendor''s bookings after its bearer joins the vendor');
select tests.clear_authentication();
select tests.act_as('customer_a');
select is(
  (select count(*)::int from public.bookings where id = :'booking'),
  1, 'the next token names partner and reads them');
select tests.clear_authentication();

select * from finish();
rollback;
