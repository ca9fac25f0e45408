-- Payments, part 2: what a captured or failed payment does, in one transaction.
--
-- private.apply_payment_capture is the one place a gateway's "money arrived" takes effect,
-- whichever way it came (Razorpay payment.captured or order.paid, Stripe
-- payment_intent.succeeded, the checkout's signature fast path): the inbox row, the payment
-- (the checkout's pending row completed, never a second row), and when the money matches the
-- booking: the booking paid and confirmed (its hold cleared by the bookings trigger), a GST tax
-- invoice from the vendor's gapless series, the commission line at the vendor's rate,
-- loyalty points at the customer's tier, and the customer's and vendor's notifications; when
-- it does not match: the payment recorded as received, the booking left as it is, the event
-- flagged and finance told. Refunds parked before this payment arrived are applied last.
--
-- The service verifies the signature and parses the event (functions/payments); these
-- functions decide nothing that needs a secret and everything that needs the rows, under the
-- booking's row lock.

-- The platform's finance desk, for notifications that need a person.
insert into public.system_settings (key, value, effective_from, description, is_public)
values ('finance_alert_email', '"finance@ombaro.in"', '-infinity',
        'Where the payment service sends alerts that need finance (mismatched or unexpected payments).', false)
on conflict (key, effective_from) do nothing;

-- The setting `key` in force now (effective-dated rows, latest start not in the future).
create or replace function private.setting_now(key text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  found jsonb;
begin
  select s.value into found
    from public.system_settings s
   where s.key = setting_now.key and s.effective_from <= now()
   order by s.effective_from desc
   limit 1;
  return found;
end
$$;

-- Notification outbox rows of the payment service; the dedupe key makes a repeated effect a
-- no-op.
create or replace function private.enqueue_payment_notification(
  kind text, to_user uuid, to_address text, via text, template text, body jsonb, key text
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.notification_queue (event_type, user_id, recipient, channel, template_code, payload, dedupe_key)
  values (kind, to_user, to_address, via, template, body, key)
  on conflict (dedupe_key) do nothing;
end
$$;

-- The GST tax invoice of a paid booking, issued by its vendor (the supplier of the service)
-- from the vendor's series. Place of supply: where the service is performed (the customer's
-- address for home and hotel visits, the vendor's city otherwise); the same state as the
-- vendor means CGST + SGST at half the rate each, otherwise IGST. An odd paisa of tax within
-- a state cannot split into two equal halves; it stays in the taxable value, so the invoice
-- total is exactly what the customer paid for the service.
create or replace function private.issue_booking_invoice(booking uuid, payment uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  b record;
  v record;
  supply_state_id uuid;
  supply_code text;
  taxable bigint;
  tax bigint;
  half bigint;
  invoice_id uuid;
  issued_on date := (now() at time zone 'Asia/Kolkata')::date;
  same_state boolean;
  customer_name text;
begin
  select i.id into invoice_id
    from public.invoices i
   where i.booking_id = issue_booking_invoice.booking and i.invoice_type = 'tax_invoice'
     and i.supply_kind = 'spa_service' and i.status = 'issued';
  if invoice_id is not null then
    return invoice_id;
  end if;

  select x.id, x.customer_id, x.vendor_id, x.booking_type, x.address_id, x.service_location,
         x.subtotal, x.discount_amount, x.tax_rate, x.tax_amount
    into b
    from public.bookings x where x.id = issue_booking_invoice.booking;
  select x.id, x.business_name, private.decrypt_text(x.gst_number_encrypted) as gst_number, c.state_id, s.gst_state_code
    into v
    from public.vendors x
    left join public.cities c on c.id = x.city_id
    left join public.states s on s.id = c.state_id
   where x.id = b.vendor_id;

  if b.booking_type in ('home_service', 'hotel_service') and b.address_id is not null then
    select s.id, s.gst_state_code into supply_state_id, supply_code
      from public.customer_addresses a
      join public.states s on lower(s.name) = lower(a.state)
     where a.id = b.address_id;
  end if;
  if supply_state_id is null then
    supply_state_id := v.state_id;
    supply_code := v.gst_state_code;
  end if;
  if supply_state_id is null or supply_code is null then
    raise exception 'booking %: no place of supply (the vendor has no city with a GST state code)', booking
      using errcode = '23514';
  end if;

  same_state := supply_state_id = v.state_id;
  taxable := b.subtotal - b.discount_amount;
  tax := b.tax_amount;
  half := tax / 2;
  if same_state and tax % 2 = 1 then
    taxable := taxable + 1;
  end if;
  select coalesce(p.name, 'Customer') into customer_name from public.user_profiles p where p.id = b.customer_id;

  insert into public.invoices (invoice_number, financial_year, invoice_type, supply_kind, booking_id, payment_id,
                               customer_id, vendor_id, supplier_gstin, recipient_name, place_of_supply_state_id,
                               place_of_supply_code, sac_code, line_items, taxable_value,
                               cgst_rate, cgst_amount, sgst_rate, sgst_amount, igst_rate, igst_amount,
                               total_amount, status, issued_at)
  select private.next_invoice_number(b.vendor_id, issued_on), private.financial_year(issued_on), 'tax_invoice',
         'spa_service', b.id, payment, b.customer_id, b.vendor_id,
         case when v.gst_number ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$' then v.gst_number end,
         coalesce(customer_name, 'Customer'), supply_state_id, supply_code, '999722',
         coalesce((select jsonb_agg(jsonb_build_object('description', s.name, 'sac', '999722',
                                                       'quantity', bi.quantity, 'rate', bi.price,
                                                       'taxable_value', bi.subtotal) order by bi.created_at)
                     from public.booking_items bi join public.services s on s.id = bi.service_id
                    where bi.booking_id = b.id), '[]'::jsonb),
         taxable,
         case when same_state then b.tax_rate / 2 else 0 end, case when same_state then half else 0 end,
         case when same_state then b.tax_rate / 2 else 0 end, case when same_state then half else 0 end,
         case when same_state then 0 else b.tax_rate end, case when same_state then 0 else tax end,
         taxable + case when same_state then 2 * half else tax end, 'issued', now()
  returning id into invoice_id;
  return invoice_id;
end
$$;

-- The commission line of a captured payment, at the vendor's rate.
create or replace function private.record_commission(booking uuid, payment uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  b record;
  rate numeric(5,2);
  gross bigint;
  commission bigint;
  gst bigint;
begin
  select x.id, x.vendor_id, x.subtotal - x.discount_amount as gross into b
    from public.bookings x where x.id = booking;
  select v.commission_rate into rate from public.vendors v where v.id = b.vendor_id;
  gross := b.gross;
  -- Half up to the paisa, the project's one rounding rule.
  commission := floor(gross * rate / 100 + 0.5)::bigint;
  gst := floor(commission * 18 / 100.0 + 0.5)::bigint;
  insert into public.commission_records (booking_id, payment_id, vendor_id, commission_rate, gross_amount,
                                         commission_amount, gst_on_commission, net_to_vendor)
  values (b.id, payment, b.vendor_id, rate, gross, commission, gst, gross - commission - gst)
  on conflict (booking_id, payment_id) do nothing;
end
$$;

-- Loyalty points for a paid booking: the catalogue's earn rate (points per amount) times the
-- customer's tier multiplier, rounded down; nothing when no earn rate is set or the customer
-- has no loyalty account.
create or replace function private.award_loyalty_points(booking uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  b record;
  rate jsonb := private.setting_now('loyalty_earn_rate');
  multiplier numeric := 1;
  points integer;
begin
  if rate is null or coalesce((rate ->> 'per_amount')::bigint, 0) <= 0 then
    return 0;
  end if;
  select x.id, x.customer_id, x.total_amount into b from public.bookings x where x.id = booking;
  if not exists (select 1 from public.customers c where c.id = b.customer_id) then
    return 0;
  end if;
  if exists (select 1 from public.loyalty_points_transactions t
              where t.booking_id = b.id and t.transaction_type = 'earn') then
    return 0;
  end if;
  select coalesce(t.points_multiplier, 1) into multiplier
    from public.customers c
    left join public.customer_loyalty_tiers t on t.code = c.membership_tier and t.is_active
   where c.id = b.customer_id;
  points := floor((b.total_amount / (rate ->> 'per_amount')::bigint) * coalesce((rate ->> 'points')::integer, 1)
                  * coalesce(multiplier, 1))::integer;
  if points <= 0 then
    return 0;
  end if;
  insert into public.loyalty_points_transactions (customer_id, transaction_type, points, balance_after, booking_id, description)
  values (b.customer_id, 'earn', points, 0, b.id, 'Points for booking payment');
  return points;
end
$$;

-- Serialises the events of one gateway payment. Without it a refund could be parked by a
-- transaction that cannot yet see its payment's capture (still uncommitted) while the capture
-- looks for parked refunds before the refund is committed: each misses the other and the
-- refund is never applied. Under this lock the second to come sees the first's commit.
create or replace function private.payment_event_lock(provider text, payment_reference text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended('payment-event/' || provider || '/' || coalesce(payment_reference, ''), 0));
end
$$;

-- "Money arrived" for a booking. Returns the event's outcome: 'processed', 'duplicate'
-- (this event, or this gateway payment, was already applied), 'unmatched' (no booking or
-- order of ours) or 'flagged' (amount, currency or booking state does not allow marking it
-- paid).
create or replace function private.apply_payment_capture(
  provider text, event_id text, event_type text, payload jsonb,
  booking uuid, payment_reference text, order_reference text,
  amount bigint, currency text, method text, captured_at timestamptz
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  gateway_row record;
  b record;
  p record;
  problem text;
  invoice uuid;
  finance text := coalesce(private.setting_now('finance_alert_email') #>> '{}', 'finance@ombaro.in');
  parked record;
begin
  if not private.record_webhook_event(provider, event_id, event_type, payload, 'processed') then
    return 'duplicate';
  end if;
  -- One gateway payment's events apply one at a time (see private.payment_event_lock).
  perform private.payment_event_lock(provider, payment_reference);
  select g.id, g.code into gateway_row from public.payment_gateways g where g.code = apply_payment_capture.provider;

  -- The booking: named in the event, else the one our order belongs to.
  if booking is null and order_reference is not null then
    select x.booking_id into booking
      from public.payments x
     where x.payment_gateway_id = gateway_row.id and x.gateway_order_id = order_reference
     limit 1;
  end if;
  select x.id, x.booking_number, x.customer_id, x.vendor_id, x.status, x.payment_status, x.total_amount,
         x.subtotal, x.tax_amount, x.discount_amount, x.convenience_fee
    into b
    from public.bookings x where x.id = booking
     for update;
  if not found then
    perform private.settle_webhook_event(provider, event_id, 'unmatched', 'no booking of ours for this payment',
                                         null, payment_reference, null, amount);
    return 'unmatched';
  end if;

  -- One gateway payment is one payments row, whichever events announce it.
  perform 1 from public.payments x
   where x.payment_gateway = gateway_row.code and x.gateway_transaction_id = payment_reference
     and x.status in ('success', 'partially_refunded', 'refunded');
  if found then
    perform private.settle_webhook_event(provider, event_id, 'processed', 'payment already recorded',
                                         b.id, payment_reference, null, amount);
    return 'duplicate';
  end if;

  if upper(currency) <> 'INR' then
    problem := format('currency %s, the booking is in INR', upper(currency));
  elsif amount <> b.total_amount then
    problem := format('amount %s paise, the booking totals %s paise', amount, b.total_amount);
  elsif b.payment_status <> 'pending'
        or exists (select 1 from public.payments x where x.booking_id = b.id and x.status = 'success') then
    problem := 'the booking is already paid (duplicate payment)';
  elsif b.status <> 'pending' and b.status <> 'confirmed' then
    problem := format('the booking is %s', b.status);
  end if;

  -- Complete the checkout's pending row for this order (or any pending row of the booking at
  -- this gateway), else record a new one.
  select x.id into p
    from public.payments x
   where x.booking_id = b.id and x.payment_gateway_id = gateway_row.id
     and x.status in ('pending', 'processing', 'failed')
     and (x.gateway_order_id is not distinct from order_reference or x.gateway_order_id is null)
   order by (x.gateway_order_id is not distinct from order_reference) desc, x.created_at
   limit 1
     for update;
  if found then
    update public.payments x
       set status = 'success', payment_date = coalesce(captured_at, now()),
           gateway_transaction_id = payment_reference,
           gateway_order_id = coalesce(order_reference, x.gateway_order_id),
           payment_method = coalesce(method, x.payment_method),
           total_amount = amount, currency = upper(apply_payment_capture.currency), failure_reason = null,
           metadata = coalesce(x.metadata, '{}'::jsonb) || jsonb_build_object('event_id', event_id)
                      || case when problem is null then '{}'::jsonb else jsonb_build_object('flag', problem) end
     where x.id = p.id;
  else
    insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount, discount_amount,
                                 convenience_fee, total_amount, currency, payment_method, payment_gateway_id,
                                 gateway_order_id, gateway_transaction_id, status, payment_date, metadata)
    values (b.booking_number || '-' || (select count(*) + 1 from public.payments x where x.booking_id = b.id),
            b.id, b.customer_id, b.vendor_id, b.subtotal, b.tax_amount, b.discount_amount, b.convenience_fee,
            amount, upper(apply_payment_capture.currency), method, gateway_row.id, order_reference, payment_reference,
            'success', coalesce(captured_at, now()),
            jsonb_build_object('event_id', event_id)
              || case when problem is null then '{}'::jsonb else jsonb_build_object('flag', problem) end)
    returning id into p;
  end if;

  if problem is not null then
    perform private.settle_webhook_event(provider, event_id, 'flagged', problem, b.id, payment_reference, null, amount);
    perform private.enqueue_payment_notification('payment.flagged', null, finance, 'email', 'payment_flagged',
      jsonb_build_object('booking_number', b.booking_number, 'payment_id', p.id, 'gateway', provider,
                         'gateway_payment_id', payment_reference, 'amount', amount, 'problem', problem),
      'payment.flagged:' || p.id);
  else
    perform set_config('ombaro.change_reason', 'payment captured', true);
    update public.bookings x
       set payment_status = 'paid',
           status = case when x.status = 'pending' then 'confirmed' else x.status end
     where x.id = b.id;
    invoice := private.issue_booking_invoice(b.id, p.id);
    perform private.record_commission(b.id, p.id);
    perform private.award_loyalty_points(b.id);
    perform private.enqueue_payment_notification('payment.captured', b.customer_id, null, 'sms', 'payment_received',
      jsonb_build_object('booking_id', b.id, 'booking_number', b.booking_number, 'amount', amount, 'invoice_id', invoice),
      'payment.captured:' || p.id || ':customer');
    perform private.enqueue_payment_notification('booking.confirmed', b.customer_id, null, 'push', 'booking_confirmed',
      jsonb_build_object('booking_id', b.id, 'booking_number', b.booking_number),
      'booking.confirmed:' || b.id || ':customer');
    -- A vendor's notifications go to its owner's account (vendors.id is the owner's user id).
    perform private.enqueue_payment_notification('booking.paid', b.vendor_id, null, 'in_app', 'vendor_booking_paid',
      jsonb_build_object('booking_id', b.id, 'booking_number', b.booking_number, 'amount', amount),
      'booking.paid:' || b.id || ':vendor');
    perform private.settle_webhook_event(provider, event_id, 'processed', null, b.id, payment_reference, null, amount);
  end if;

  -- Refunds that arrived before this payment.
  for parked in
    select e.event_id, e.refund_reference, e.amount, e.refund_succeeded
      from private.webhook_events e
     where e.provider = apply_payment_capture.provider and e.payment_reference = apply_payment_capture.payment_reference
       and e.status = 'pending'
     order by e.received_at
  loop
    perform private.apply_parked_refund(provider, parked.event_id, parked.refund_reference, payment_reference,
                                        parked.amount, coalesce(parked.refund_succeeded, true));
  end loop;
  return case when problem is null then 'processed' else 'flagged' end;
end
$$;

-- "The payment failed." The pending row of the order (or a new failed row) records why; the
-- booking stays pending until its hold lapses, and the customer is told.
create or replace function private.apply_payment_failure(
  provider text, event_id text, event_type text, payload jsonb,
  booking uuid, payment_reference text, order_reference text, amount bigint, currency text, reason text
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  gateway_row record;
  b record;
  p uuid;
begin
  if not private.record_webhook_event(provider, event_id, event_type, payload, 'processed') then
    return 'duplicate';
  end if;
  select g.id, g.code into gateway_row from public.payment_gateways g where g.code = apply_payment_failure.provider;
  if booking is null and order_reference is not null then
    select x.booking_id into booking from public.payments x
     where x.payment_gateway_id = gateway_row.id and x.gateway_order_id = order_reference limit 1;
  end if;
  select x.id, x.booking_number, x.customer_id, x.vendor_id, x.subtotal, x.tax_amount, x.discount_amount,
         x.convenience_fee, x.total_amount
    into b from public.bookings x where x.id = booking for update;
  if not found then
    perform private.settle_webhook_event(provider, event_id, 'unmatched', 'no booking of ours for this payment',
                                         null, payment_reference, null, amount);
    return 'unmatched';
  end if;
  select x.id into p from public.payments x
   where x.booking_id = b.id and x.payment_gateway_id = gateway_row.id and x.status in ('pending', 'processing')
     and (x.gateway_order_id is not distinct from order_reference or x.gateway_order_id is null)
   order by (x.gateway_order_id is not distinct from order_reference) desc, x.created_at
   limit 1
     for update;
  if p is not null then
    update public.payments x set status = 'failed', failure_reason = left(coalesce(reason, 'payment failed'), 500)
     where x.id = p;
  elsif not exists (select 1 from public.payments x
                     where x.payment_gateway = gateway_row.code and x.gateway_transaction_id = payment_reference) then
    insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount, discount_amount,
                                 convenience_fee, total_amount, currency, payment_gateway_id, gateway_order_id,
                                 gateway_transaction_id, status, failure_reason)
    values (b.booking_number || '-' || (select count(*) + 1 from public.payments x where x.booking_id = b.id),
            b.id, b.customer_id, b.vendor_id, b.subtotal, b.tax_amount, b.discount_amount, b.convenience_fee,
            coalesce(amount, b.total_amount), upper(coalesce(currency, 'INR')), gateway_row.id, order_reference,
            payment_reference, 'failed', left(coalesce(reason, 'payment failed'), 500))
    returning id into p;
  end if;
  perform private.enqueue_payment_notification('payment.failed', b.customer_id, null, 'push', 'payment_failed',
    jsonb_build_object('booking_id', b.id, 'booking_number', b.booking_number, 'reason', reason),
    'payment.failed:' || provider || ':' || coalesce(payment_reference, event_id));
  perform private.settle_webhook_event(provider, event_id, 'processed', reason, b.id, payment_reference, null, amount);
  return 'processed';
end
$$;

revoke execute on function
  private.payment_event_lock(text, text),
  private.setting_now(text),
  private.enqueue_payment_notification(text, uuid, text, text, text, jsonb, text),
  private.issue_booking_invoice(uuid, uuid),
  private.record_commission(uuid, uuid),
  private.award_loyalty_points(uuid),
  private.apply_payment_capture(text, text, text, jsonb, uuid, text, text, bigint, text, text, timestamptz),
  private.apply_payment_failure(text, text, text, jsonb, uuid, text, text, bigint, text, text)
  from public, anon, authenticated;
grant execute on function
  private.apply_payment_capture(text, text, text, jsonb, uuid, text, text, bigint, text, text, timestamptz),
  private.apply_payment_failure(text, text, text, jsonb, uuid, text, text, bigint, text, text)
  to service_role;
