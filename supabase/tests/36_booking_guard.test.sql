-- A booking's price, schedule, parties and payment state change only through the booking
-- and payment services, even if a grant is ever widened by mistake: the guard trigger is a
-- second line behind the column grants (which 001_api_grants pins).
begin;
select plan(4);

select tests.create_personas();
select id as vendor_a_id from public.vendors where id = tests.id('vendor_a') \gset

-- A pending booking of customer_a at vendor_a, written as the booking service would.
insert into public.bookings (id, customer_id, vendor_id, booking_type, service_location, scheduled_start,
                             scheduled_end, subtotal, tax_amount, total_amount, hold_expires_at)
values ('00000000-0000-4000-8000-0000000000b1', tests.id('customer_a'), :'vendor_a_id', 'spa_visit', '{}',
        now() + interval '3 days', now() + interval '3 days 1 hour', 100000, 5000, 105000, now() + interval '10 minutes');

-- The mistake: every column of bookings granted to signed-in users.
grant update on public.bookings to authenticated;

select tests.act_as('customer_a');
select throws_ok(
  $$update public.bookings set total_amount = 100, subtotal = 95, tax_amount = 5
     where id = '00000000-0000-4000-8000-0000000000b1'$$,
  '42501', null,
  'a customer cannot rewrite the price of their booking even with the grant'
);
select throws_ok(
  $$update public.bookings set payment_status = 'paid' where id = '00000000-0000-4000-8000-0000000000b1'$$,
  '42501', null,
  'nor mark it paid'
);
select throws_ok(
  $$update public.bookings set customer_id = vendor_id where id = '00000000-0000-4000-8000-0000000000b1'$$,
  '42501', null,
  'nor give it to someone else'
);
select lives_ok(
  $$update public.bookings set special_instructions = 'Please use lavender oil'
     where id = '00000000-0000-4000-8000-0000000000b1'$$,
  'the instructions of a pending booking are still theirs to change'
);
select tests.clear_authentication();

select * from finish();
rollback;
