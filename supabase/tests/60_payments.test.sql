-- The payment service's database side (V50-V54): webhook secrets that rotate with 24 hours
-- of grace, invoice numbers that are gapless per issuer and financial year and fit GST rule
-- 46, and an inbox that takes each gateway event once.
begin;
select plan(12);

select tests.create_personas();
select id as razorpay from public.payment_gateways where code = 'razorpay' \gset

-- Rotation -------------------------------------------------------------------------------------

select tests.act_as('it_department');
select public.set_payment_gateway_secrets(:'razorpay', null, 'whsec_first_secret');
select tests.clear_authentication();
select results_eq(
  $$select secret from private.gateway_webhook_secrets('razorpay')$$,
  $$values ('whsec_first_secret')$$,
  'the first webhook secret is the only one'
);

select tests.act_as('it_department');
select public.set_payment_gateway_secrets(:'razorpay', null, 'whsec_second_secret');
select tests.clear_authentication();
select results_eq(
  $$select secret from private.gateway_webhook_secrets('razorpay')$$,
  $$values ('whsec_second_secret'), ('whsec_first_secret')$$,
  'after a rotation the new secret comes first and the previous one still verifies'
);
select isnt(
  (select webhook_secret_rotated_at from public.payment_gateways where code = 'razorpay'),
  null,
  'the rotation time is recorded'
);

update public.payment_gateways set webhook_secret_rotated_at = now() - interval '24 hours 1 minute'
 where code = 'razorpay';
select results_eq(
  $$select secret from private.gateway_webhook_secrets('razorpay')$$,
  $$values ('whsec_second_secret')$$,
  'the previous secret stops verifying 24 hours after the rotation'
);

select tests.act_as('it_department');
select public.set_payment_gateway_secrets(:'razorpay', 'rzp_api_secret_only', null);
select tests.clear_authentication();
select results_eq(
  $$select secret from private.gateway_webhook_secrets('razorpay')$$,
  $$values ('whsec_second_secret')$$,
  'changing only the API secret leaves the webhook secret alone'
);

-- Invoice numbers ------------------------------------------------------------------------------

select private.next_invoice_number(tests.id('vendor_a'), '2025-04-01') as first_number \gset
select is(
  array[:'first_number',
        private.next_invoice_number(tests.id('vendor_a'), '2025-09-30'),
        private.next_invoice_number(tests.id('vendor_a'), '2026-03-31')],
  array(select (select code from private.invoice_issuers where issuer_id = tests.id('vendor_a'))
               || '/2526/' || lpad(n::text, 5, '0') from generate_series(1, 3) n),
  'a vendor''s invoices number 1, 2, 3 within a financial year (April to March)'
);
select is(
  private.next_invoice_number(tests.id('vendor_a'), '2026-04-01'),
  (select code from private.invoice_issuers where issuer_id = tests.id('vendor_a')) || '/2627/00001',
  'a new financial year starts a new series'
);
select isnt(
  private.next_invoice_number(tests.id('vendor_b'), '2025-04-01'),
  private.next_invoice_number(tests.id('vendor_a'), '2025-04-01'),
  'two vendors never share a number'
);
select ok(
  (select bool_and(length(private.next_invoice_number(tests.id('vendor_b'), '2025-05-01')) <= 16
                   and private.next_invoice_number(tests.id('vendor_b'), '2025-05-01') ~ '^[A-Za-z0-9/-]+$')),
  'numbers fit GST rule 46: at most 16 letters, digits, - and /'
);

savepoint before_rollback;
select private.next_invoice_number(tests.id('vendor_a'), '2025-06-01') as rolled_back \gset
rollback to savepoint before_rollback;
select is(
  private.next_invoice_number(tests.id('vendor_a'), '2025-06-01'),
  (select code from private.invoice_issuers where issuer_id = tests.id('vendor_a')) || '/2526/00005',
  'a number taken by a rolled-back invoice is given out again: no gaps (4 went to the test above)'
);

-- The inbox ------------------------------------------------------------------------------------

select is(
  array[private.record_webhook_event('razorpay', 'evt_once', 'payment.captured', '{}'),
        private.record_webhook_event('razorpay', 'evt_once', 'payment.captured', '{}'),
        private.record_webhook_event('stripe', 'evt_once', 'payment_intent.succeeded', '{}')],
  array[true, false, true],
  'an event is taken once per gateway'
);
select throws_ok(
  $$insert into private.webhook_events (provider, event_id, event_type, status, payload)
    values ('razorpay', 'evt_once', 'x', 'processed', '{}')$$,
  '23505', null,
  'the inbox is unique on exactly (provider, event_id)'
);

select * from finish();
rollback;
