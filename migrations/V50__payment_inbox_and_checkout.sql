-- Payments, part 1: where gateway events land and how a checkout starts.
--
-- * private.webhook_events is the inbox: one row per verified gateway event, unique on
--   (provider, event_id), written in the same transaction as the event's effect, so a
--   redelivered, concurrent or replayed event has its effect exactly once. A refund that
--   arrives before its payment is parked here (status 'pending') and applied when the payment
--   arrives.
-- * private.invoice_series numbers GST invoices: a gapless series per issuer per Indian
--   financial year (GST rule 46). The counter row is locked by the transaction that issues
--   the invoice, so a rolled-back invoice gives its number back and two concurrent ones
--   queue instead of sharing or skipping a number.
-- * private.open_checkout / private.attach_gateway_order: the pending payment a checkout
--   creates before the gateway order exists, and the order id once it does.
--
-- Every function here is for the payment service only (service_role): the inbox and the
-- counters are in `private`, out of the API's reach.

-- A payment's method is known only once the customer has paid (card, UPI ...); the pending
-- row written at checkout has none yet.
alter table public.payments alter column payment_method drop not null;

-- A booking whose payment was partly refunded is neither 'paid' nor 'refunded'.
alter table public.bookings drop constraint bookings_payment_status_check;
alter table public.bookings add constraint bookings_payment_status_check
  check (payment_status in ('pending', 'partial', 'paid', 'partially_refunded', 'refunded'));

-- The inbox --------------------------------------------------------------------------------

create table private.webhook_events (
  id uuid primary key default gen_random_uuid(),
  provider text not null check (provider in ('razorpay', 'stripe')),
  event_id text not null check (length(event_id) between 1 and 255),
  event_type text not null,
  status text not null check (status in ('processed', 'pending', 'unmatched', 'flagged', 'ignored', 'failed')),
  booking_id uuid,
  payment_reference text,
  refund_reference text,
  amount bigint,
  refund_succeeded boolean,
  detail text,
  payload jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz
);

comment on table private.webhook_events is
  'Every verified gateway webhook, once: unique on (provider, event_id) and written in the transaction that applies it. status: processed (applied), pending (a refund parked until its payment arrives), unmatched (no booking or payment of ours), flagged (money that does not match: finance is told), ignored (a type we do not act on), failed (applying it broke a rule).';
comment on column private.webhook_events.payment_reference is 'Gateway payment id the event is about (pay_..., pi_...); a parked refund waits for it.';
comment on column private.webhook_events.refund_reference is 'Gateway refund id (rfnd_..., re_...) of a refund event.';
comment on column private.webhook_events.amount is 'Amount the event carries, in paise.';
comment on column private.webhook_events.refund_succeeded is 'For a refund event: whether the gateway says it went through (false: it failed).';
comment on column private.webhook_events.detail is 'Why the event was flagged, unmatched or failed.';

create unique index webhook_events_provider_event_id on private.webhook_events (provider, event_id);
create index webhook_events_parked on private.webhook_events (provider, payment_reference) where status = 'pending';
create index webhook_events_status on private.webhook_events (status, received_at);

-- Records a verified event; false when (provider, event_id) is already in, so the caller
-- applies nothing a second time. Concurrent deliveries of one event queue on the unique
-- index: the second sees the first's row once it commits.
create or replace function private.record_webhook_event(
  provider text, event_id text, event_type text, payload jsonb, status text default 'processed'
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  inserted uuid;
begin
  insert into private.webhook_events (provider, event_id, event_type, status, payload, processed_at)
  values (record_webhook_event.provider, record_webhook_event.event_id, record_webhook_event.event_type,
          record_webhook_event.status, record_webhook_event.payload, now())
  on conflict on constraint webhook_events_provider_event_id do nothing
  returning id into inserted;
  return inserted is not null;
end
$$;

-- `on conflict on constraint` needs a constraint, not only an index.
alter table private.webhook_events
  add constraint webhook_events_provider_event_id unique using index webhook_events_provider_event_id;

-- Sets the outcome of an event recorded by this transaction.
create or replace function private.settle_webhook_event(
  provider text, event_id text, status text, detail text default null,
  booking_id uuid default null, payment_reference text default null,
  refund_reference text default null, amount bigint default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  update private.webhook_events e
     set status = settle_webhook_event.status,
         detail = coalesce(settle_webhook_event.detail, e.detail),
         booking_id = coalesce(settle_webhook_event.booking_id, e.booking_id),
         payment_reference = coalesce(settle_webhook_event.payment_reference, e.payment_reference),
         refund_reference = coalesce(settle_webhook_event.refund_reference, e.refund_reference),
         amount = coalesce(settle_webhook_event.amount, e.amount),
         processed_at = now()
   where e.provider = settle_webhook_event.provider and e.event_id = settle_webhook_event.event_id;
end
$$;

-- Invoice numbers --------------------------------------------------------------------------

create table private.invoice_issuers (
  issuer_id uuid primary key,
  code text not null unique check (code ~ '^[A-Z][A-Z0-9]{1,4}$'),
  created_at timestamptz not null default now()
);

comment on table private.invoice_issuers is
  'Short code each invoice issuer (a vendor supplying the service, or the platform as OMB) prints before its serial, so numbers stay unique across issuers within 16 characters.';

create sequence private.invoice_issuer_code_seq;

create table private.invoice_series (
  issuer_id uuid not null references private.invoice_issuers (issuer_id) on delete restrict,
  financial_year text not null check (financial_year ~ '^FY[0-9]{4}-[0-9]{2}$'),
  last_number integer not null check (last_number between 0 and 99999),
  primary key (issuer_id, financial_year)
);

comment on table private.invoice_series is
  'Last serial issued per issuer per financial year. Advanced only inside the transaction that issues the invoice (row-locked), so the series has no gaps and no repeats.';

-- The issuer's code: the platform is OMB; vendors get V + four base-36 digits in order of
-- their first invoice (1.6 million vendors before the code must grow).
create or replace function private.invoice_issuer_code(issuer uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  found_code text;
  n bigint;
  digits constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  encoded text := '';
begin
  select i.code into found_code from private.invoice_issuers i where i.issuer_id = issuer;
  if found_code is not null then
    return found_code;
  end if;
  if issuer = '00000000-0000-0000-0000-000000000000'::uuid then
    found_code := 'OMB';
  else
    n := nextval('private.invoice_issuer_code_seq');
    for i in 1..4 loop
      encoded := substr(digits, (n % 36)::integer + 1, 1) || encoded;
      n := n / 36;
    end loop;
    found_code := 'V' || encoded;
  end if;
  insert into private.invoice_issuers (issuer_id, code) values (issuer, found_code)
  on conflict (issuer_id) do nothing;
  select i.code into found_code from private.invoice_issuers i where i.issuer_id = issuer;
  return found_code;
end
$$;

-- Next invoice number of `issuer` in the financial year of `issued_on`:
-- <code>/<yyyy>/<serial>, e.g. V000A/2526/00042 (at most 16 characters).
create or replace function private.next_invoice_number(issuer uuid, issued_on date)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  fy text := private.financial_year(issued_on);
  code text := private.invoice_issuer_code(issuer);
  serial integer;
begin
  insert into private.invoice_series as s (issuer_id, financial_year, last_number)
  values (issuer, fy, 1)
  on conflict (issuer_id, financial_year) do update set last_number = s.last_number + 1
  returning s.last_number into serial;
  -- 'FY2025-26' -> '2526'.
  return code || '/' || substr(fy, 5, 2) || substr(fy, 8, 2) || '/' || lpad(serial::text, 5, '0');
end
$$;

-- Checkout ---------------------------------------------------------------------------------

-- The pending payment a customer's checkout pays: refuses a booking that is not theirs, not
-- pending, lapsed or already paid; returns the open one for the same gateway when there is
-- one (so repeating a checkout returns the same order). Amounts come from the booking, never
-- from the client. Returns {outcome, payment_id, transaction_id, gateway_order_id, amount,
-- currency, booking_number}; outcome is 'created', 'existing' or a refusal code.
create or replace function private.open_checkout(booking uuid, customer uuid, gateway text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  b record;
  p record;
  gateway_row uuid;
begin
  select id, booking_number, customer_id, vendor_id, status, payment_status, hold_expires_at,
         subtotal, tax_amount, discount_amount, convenience_fee, total_amount
    into b
    from public.bookings
   where id = open_checkout.booking
     for update;
  if not found or b.customer_id <> customer then
    return jsonb_build_object('outcome', 'booking_not_found');
  end if;
  if b.payment_status in ('paid', 'partially_refunded', 'refunded')
     or exists (select 1 from public.payments x where x.booking_id = b.id and x.status = 'success') then
    return jsonb_build_object('outcome', 'already_paid');
  end if;
  if b.status <> 'pending' then
    return jsonb_build_object('outcome', 'booking_not_pending', 'status', b.status);
  end if;
  if b.hold_expires_at is not null and b.hold_expires_at <= now() then
    return jsonb_build_object('outcome', 'booking_lapsed');
  end if;
  select g.id into gateway_row from public.payment_gateways g where g.code = open_checkout.gateway;
  if gateway_row is null then
    return jsonb_build_object('outcome', 'unknown_gateway');
  end if;

  select x.id, x.transaction_id, x.gateway_order_id, x.total_amount, x.currency into p
    from public.payments x
   where x.booking_id = b.id and x.payment_gateway_id = gateway_row and x.status = 'pending'
     and x.total_amount = b.total_amount
   order by x.created_at desc
   limit 1;
  if found then
    return jsonb_build_object('outcome', 'existing', 'payment_id', p.id, 'transaction_id', p.transaction_id,
      'gateway_order_id', p.gateway_order_id, 'amount', p.total_amount, 'currency', p.currency,
      'booking_number', b.booking_number);
  end if;

  insert into public.payments (transaction_id, booking_id, customer_id, vendor_id, amount, tax_amount,
                               discount_amount, convenience_fee, total_amount, currency, payment_gateway_id, status)
  values (b.booking_number || '-' || (select count(*) + 1 from public.payments x where x.booking_id = b.id),
          b.id, b.customer_id, b.vendor_id, b.subtotal, b.tax_amount, b.discount_amount, b.convenience_fee,
          b.total_amount, 'INR', gateway_row, 'pending')
  returning id, transaction_id, total_amount, currency into p;
  return jsonb_build_object('outcome', 'created', 'payment_id', p.id, 'transaction_id', p.transaction_id,
    'gateway_order_id', null, 'amount', p.total_amount, 'currency', p.currency, 'booking_number', b.booking_number);
end
$$;

-- Records the gateway's order (Razorpay order_..., Stripe pi_...) of a pending payment.
create or replace function private.attach_gateway_order(payment uuid, order_id text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  update public.payments p
     set gateway_order_id = order_id
   where p.id = payment and p.status = 'pending'
     and (p.gateway_order_id is null or p.gateway_order_id = order_id);
  if not found then
    raise exception 'payment % is not a pending payment without another order', payment using errcode = '55000';
  end if;
end
$$;

revoke all on table private.webhook_events, private.invoice_issuers, private.invoice_series from public, anon, authenticated;
revoke all on sequence private.invoice_issuer_code_seq from public, anon, authenticated;
revoke execute on function
  private.record_webhook_event(text, text, text, jsonb, text),
  private.settle_webhook_event(text, text, text, text, uuid, text, text, bigint),
  private.invoice_issuer_code(uuid),
  private.next_invoice_number(uuid, date),
  private.open_checkout(uuid, uuid, text),
  private.attach_gateway_order(uuid, text)
  from public, anon, authenticated;
grant execute on function
  private.record_webhook_event(text, text, text, jsonb, text),
  private.settle_webhook_event(text, text, text, text, uuid, text, text, bigint),
  private.next_invoice_number(uuid, date),
  private.open_checkout(uuid, uuid, text),
  private.attach_gateway_order(uuid, text)
  to service_role;
