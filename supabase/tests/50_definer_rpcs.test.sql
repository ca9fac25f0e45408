-- SECURITY DEFINER functions in the API schema (Supabase advisor lints 0028 and 0029): anon
-- executes none; signed-in users execute exactly the ones migrations/README.md lists as
-- intentional, each of which checks its caller itself. Every one of them is attacked here
-- by a caller its check must refuse, and by anon.
begin;
select plan(48);

create function tests.rpc_value(persona text, statement text)
returns text
language plpgsql
as $$
declare
  result text;
  state text;
begin
  perform tests.act_as(persona);
  begin
    execute statement into result;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
    result := 'error ' || state;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);
  return result;
end
$$;

-- What the lints see: definer functions in the schemas PostgREST exposes.
create temporary view exposed_definers as
select p.oid, p.oid::regprocedure::text as signature, p.proname, p.proargtypes
  from pg_proc p
 where p.prosecdef
   and p.pronamespace::regnamespace::text = any (string_to_array(
         coalesce(nullif(current_setting('pgrst.db_schemas', true), ''), 'public'), ','));

-- Lint 0028: anon_security_definer_function_executable.
select is(
  (select coalesce(string_agg(signature, ', ' order by signature), '') from exposed_definers
    where has_function_privilege('anon', oid, 'execute')),
  '', 'lint 0028: anon executes no security definer function in the API schema');

-- Lint 0029: authenticated_security_definer_function_executable, intentional ones only.
select set_eq(
  $$select signature from exposed_definers where has_function_privilege('authenticated', oid, 'execute')$$,
  array[
    'dashboard_stats()',
    'revenue_by_day_city(date,date)',
    'vendor_performance()',
    'therapist_scorecard()',
    'set_user_role(uuid,text,text)',
    'set_user_status(uuid,text)',
    'save_kyc_verification(text,text,text,date,uuid)',
    'reveal_kyc_document_number(uuid)',
    'save_bank_details(text,text,text,text,text,text,text,text,boolean,uuid)',
    'reveal_bank_account(uuid)',
    'set_vendor_standing(uuid,text,text,numeric)',
    'save_vendor_tax_ids(uuid,text,text)',
    'reveal_vendor_tax_ids(uuid)',
    'reveal_vendor_application_tax_ids(uuid)',
    'vendor_commission_rate(uuid)',
    'save_vendor_bank_account(uuid,text,text,text,text,text,text,text,uuid)',
    'reveal_vendor_bank_account_number(uuid)',
    'save_therapist_bank_details(uuid,text,text,text,text,text)',
    'therapist_bank_details(uuid)',
    'set_payment_gateway_secrets(uuid,text,text)',
    'create_api_key(text,text[],uuid)',
    'set_webhook_secret(uuid,text)'
  ],
  'lint 0029: signed-in users execute only the definer functions documented as intentional');

\o /dev/null
select tests.create_personas();
\o

select id as therapist_a from public.therapists where user_id = tests.id('therapist_a') \gset

-- Anon: refused before the body runs, whatever the arguments.
select is(tests.rpc_value('anon', format('select count(*)::text from %s(%s)', p.oid::regprocedure::regproc,
            (select string_agg('null::' || format_type(t, null), ', ' order by o)
               from unnest(p.proargtypes::oid[]) with ordinality a (t, o)))),
          'error 42501', format('anon cannot execute %s', p.signature))
  from exposed_definers p
 order by p.signature;

-- Signed-in callers each check must refuse.
select is(tests.rpc_value('customer_a', 'select count(*)::text from public.dashboard_stats()'),
  'error 42501', 'dashboard_stats: a customer is refused (management roles only)');
select is(tests.rpc_value('vendor_a', $$select count(*)::text from public.revenue_by_day_city('2025-01-01', '2030-01-01')$$),
  'error 42501', 'revenue_by_day_city: a vendor is refused (finance and directors only)');
select is(tests.rpc_value('vendor_b', format('select count(*)::text from public.vendor_performance() where vendor_id <> %L',
            tests.id('vendor_b'))),
  '0', 'vendor_performance: a vendor sees no other vendor''s row');
select is(tests.rpc_value('customer_a', 'select count(*)::text from public.therapist_scorecard()'),
  '0', 'therapist_scorecard: a customer sees no therapist');
select is(tests.rpc_value('customer_a', format($$select public.set_user_role(%L, 'admin', null)::text$$, tests.id('customer_b'))),
  'error 42501', 'set_user_role: a customer cannot make anyone an admin');
select is(tests.rpc_value('customer_a', format($$select public.set_user_role(%L, 'super_admin', null)::text$$, tests.id('customer_a'))),
  'error 42501', 'set_user_role: nobody changes their own role');
select is(tests.rpc_value('vendor_a', format($$select public.set_user_status(%L, 'suspended')::text$$, tests.id('customer_a'))),
  'error 42501', 'set_user_status: a vendor cannot suspend a customer');
select is(tests.rpc_value('customer_a', format($$select public.save_kyc_verification('pan', 'ABCDE1234F', null, null, %L)::text$$,
            gen_random_uuid())),
  'error 42501', 'save_kyc_verification: a document that is not the caller''s is refused');
select is(tests.rpc_value('customer_b', format('select public.reveal_kyc_document_number(%L)', gen_random_uuid())),
  'error 42501', 'reveal_kyc_document_number: a document the caller may not review is refused');
select is(tests.rpc_value('customer_a', format($$select public.save_bank_details('Asha', '123456789012', 'HDFC0001234', 'HDFC', null, null, 'savings', null, false, %L)::text$$,
            gen_random_uuid())),
  'error 42501', 'save_bank_details: bank details that are not the caller''s are refused');
select is(tests.rpc_value('customer_b', format('select public.reveal_bank_account(%L)', gen_random_uuid())),
  'error 42501', 'reveal_bank_account: someone else''s account is refused');
select is(tests.rpc_value('vendor_a', format($$select public.set_vendor_standing(%L, 'verified', 'active', null)::text$$, tests.id('vendor_a'))),
  'error 42501', 'set_vendor_standing: a vendor cannot verify itself');
select is(tests.rpc_value('vendor_b', format($$select public.save_vendor_tax_ids(%L, '27ABCDE1234F1Z5', null)::text$$, tests.id('vendor_a'))),
  'error 42501', 'save_vendor_tax_ids: a vendor cannot overwrite another''s');
select is(tests.rpc_value('customer_a', format('select public.reveal_vendor_tax_ids(%L)::text', tests.id('vendor_a'))),
  'error 42501', 'reveal_vendor_tax_ids: a customer is refused');
select is(tests.rpc_value('customer_a', format('select public.reveal_vendor_application_tax_ids(%L)::text', gen_random_uuid())),
  'error 42501', 'reveal_vendor_application_tax_ids: an application the caller neither made nor reviews is refused');
select is(tests.rpc_value('staff_a', format('select public.vendor_commission_rate(%L)::text', tests.id('vendor_a'))),
  'error 42501', 'vendor_commission_rate: a receptionist without payouts.view is refused');
select is(tests.rpc_value('vendor_b', format($$select public.save_vendor_bank_account(%L, 'B', '123456789012', 'HDFC0001234', 'HDFC', null, null, 'current', null)::text$$,
            tests.id('vendor_a'))),
  'error 42501', 'save_vendor_bank_account: a vendor cannot add accounts to another');
select is(tests.rpc_value('vendor_b', format('select public.reveal_vendor_bank_account_number(%L)', gen_random_uuid())),
  'error 42501', 'reveal_vendor_bank_account_number: an account the caller may not manage is refused');
select is(tests.rpc_value('customer_a', format($$select public.save_therapist_bank_details(%L, 'A', '123456789012', 'HDFC0001234', 'HDFC', null)::text$$,
            :'therapist_a')),
  'error 42501', 'save_therapist_bank_details: a customer cannot set a therapist''s salary account');
select is(tests.rpc_value('vendor_b', format('select public.therapist_bank_details(%L)::text', :'therapist_a')),
  'error 42501', 'therapist_bank_details: another vendor is refused');
select is(tests.rpc_value('vendor_a', format($$select public.set_payment_gateway_secrets(%L, 'sk_live_12345678', null)::text$$, gen_random_uuid())),
  'error 42501', 'set_payment_gateway_secrets: only IT may install gateway secrets');
select is(tests.rpc_value('customer_a', format($$select public.create_api_key('mine', array['bookings:read'], %L)::text$$, tests.id('vendor_a'))),
  'error 42501', 'create_api_key: a customer cannot mint keys for a vendor');
select is(tests.rpc_value('vendor_a', format($$select public.set_webhook_secret(%L, 'whsec_0123456789abcdef')::text$$, gen_random_uuid())),
  'error 42501', 'set_webhook_secret: only webhooks.update may set a secret');

select * from finish();
rollback;
