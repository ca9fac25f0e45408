-- Payments & finance: money in (payments through Razorpay/Stripe/Cashfree/Paytm, saved
-- instruments, the customer wallet), money out (refunds, vendor settlements, expenses) and
-- the books around them (GST invoices, TDS/TCS/GST records, commission, budgets, reports).
--
-- All amounts are integer paise. The database keeps the invariants that apps writing through
-- supabase-js could otherwise break:
-- * refunds never exceed what was paid, and the payment's refund_amount/status follow them;
-- * the wallet is an append-only ledger whose running balance is computed here, one writer
--   per user at a time, and can never go negative;
-- * an issued GST invoice cannot be edited, only cancelled (and re-issued);
-- * settlements and commission lines reconcile arithmetically.
-- Payment, gateway, settlement, refund and invoice changes are audited.
--
-- Also adds the foreign keys that earlier files left for payments, refunds, settlements and
-- invoices.

-- Indian financial year ('FY2025-26') of a date: April to March.
create or replace function private.financial_year(d date)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select 'FY' || y::text || '-' || lpad(((y + 1) % 100)::text, 2, '0')
      from (select case when extract(month from d) >= 4 then extract(year from d)::integer
                        else extract(year from d)::integer - 1 end as y) as fy
  );
end
$$;

comment on function private.financial_year(date) is 'Indian financial year label (April-March) of a date, e.g. FY2025-26.';

-- payment_gateways -------------------------------------------------------------------------

create table public.payment_gateways (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code in ('razorpay', 'stripe', 'paytm', 'cashfree')),
  display_name text not null,
  mode text not null default 'test' check (mode in ('test', 'live')),
  supported_methods text[] not null default '{}' check (supported_methods <@ array[
    'credit_card', 'debit_card', 'upi', 'net_banking', 'wallet', 'emi', 'pay_later'
  ]::text[]),
  supported_currencies text[] not null default '{INR}',
  key_id text,
  secret_encrypted bytea,
  webhook_secret_encrypted bytea,
  priority integer not null default 100,
  is_active boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payment_gateways_active_needs_credentials check (not is_active or (key_id is not null and secret_encrypted is not null))
);

comment on table public.payment_gateways is
  'Payment providers the platform can charge through and their API credentials. Secrets are stored only encrypted (never in clear) and only an edge function holding the key can read them.';
comment on column public.payment_gateways.code is 'Provider identifier used in payments.payment_gateway.';
comment on column public.payment_gateways.mode is 'test uses the sandbox keys, live charges real money.';
comment on column public.payment_gateways.supported_methods is 'payments.payment_method values (plus emi, pay_later) this provider is used for.';
comment on column public.payment_gateways.key_id is 'Public key identifier (Razorpay key_id, Stripe publishable key); safe to show to apps.';
comment on column public.payment_gateways.secret_encrypted is 'API secret, encrypted (pgp_sym_encrypt) with a key held outside the database.';
comment on column public.payment_gateways.webhook_secret_encrypted is 'Webhook signing secret, encrypted the same way.';
comment on column public.payment_gateways.priority is 'Routing order when several active gateways support a method, lowest first.';
comment on column public.payment_gateways.is_active is 'Only active gateways are offered at checkout; activation needs credentials.';

create index idx_payment_gateways_active on public.payment_gateways (is_active, priority);
create index idx_payment_gateways_supported_methods on public.payment_gateways using gin (supported_methods);

create trigger set_updated_at before update on public.payment_gateways
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.payment_gateways
  for each row execute function private.audit_row();

alter table public.payment_gateways enable row level security;

-- payment_methods --------------------------------------------------------------------------

create table public.payment_methods (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  gateway_id uuid not null references public.payment_gateways (id) on delete cascade,
  method_type text not null check (method_type in ('card', 'upi', 'netbanking', 'wallet')),
  nickname text,
  card_last4 text check (card_last4 ~ '^[0-9]{4}$'),
  card_network text check (card_network in ('visa', 'mastercard', 'rupay', 'amex', 'diners', 'discover', 'maestro')),
  card_type text check (card_type in ('credit', 'debit', 'prepaid')),
  card_issuer text,
  expiry_month smallint check (expiry_month between 1 and 12),
  expiry_year smallint check (expiry_year between 2000 and 2100),
  gateway_token text,
  gateway_customer_id text,
  upi_vpa text check (upi_vpa ~ '^[A-Za-z0-9._-]{2,255}@[A-Za-z][A-Za-z0-9]{1,63}$'),
  bank_code text check (bank_code ~ '^[A-Z0-9_]{2,20}$'),
  bank_name text,
  wallet_provider text,
  is_default boolean not null default false,
  status text not null default 'active' check (status in ('active', 'expired', 'revoked')),
  last_used_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payment_methods_card_details check (method_type <> 'card' or (card_last4 is not null and card_network is not null
    and expiry_month is not null and expiry_year is not null and gateway_token is not null)),
  constraint payment_methods_upi_vpa check (method_type <> 'upi' or upi_vpa is not null),
  constraint payment_methods_bank_code check (method_type <> 'netbanking' or bank_code is not null),
  constraint payment_methods_wallet_provider check (method_type <> 'wallet' or wallet_provider is not null),
  constraint payment_methods_default_active check (not is_default or status = 'active')
);

comment on table public.payment_methods is
  'A customer''s saved instruments. Cards are kept only as gateway tokens (RBI card-on-file tokenisation): never the card number or CVV.';
comment on column public.payment_methods.gateway_id is 'Gateway that issued the token; the token is useless with any other.';
comment on column public.payment_methods.card_last4 is 'Last four digits, for display.';
comment on column public.payment_methods.card_issuer is 'Issuing bank as reported by the gateway (HDFC, ICICI ...).';
comment on column public.payment_methods.gateway_token is 'Gateway token standing for the card (network token reference).';
comment on column public.payment_methods.gateway_customer_id is 'The user''s customer id at the gateway the token belongs to.';
comment on column public.payment_methods.upi_vpa is 'UPI virtual payment address, e.g. name@okhdfcbank.';
comment on column public.payment_methods.bank_code is 'Gateway bank code for net banking (HDFC, SBIN, ICIC ...).';
comment on column public.payment_methods.wallet_provider is 'Third-party wallet (paytm, phonepe, amazonpay, mobikwik).';
comment on column public.payment_methods.is_default is 'Preselected at checkout; at most one per user.';

create index idx_payment_methods_user_id on public.payment_methods (user_id, status);
create index idx_payment_methods_gateway_id on public.payment_methods (gateway_id);
create unique index idx_payment_methods_user_id_default on public.payment_methods (user_id) where is_default;
create unique index idx_payment_methods_gateway_token on public.payment_methods (gateway_id, gateway_token)
  where gateway_token is not null;

create trigger set_updated_at before update on public.payment_methods
  for each row execute function private.set_updated_at();

alter table public.payment_methods enable row level security;

-- payments ---------------------------------------------------------------------------------

create table public.payments (
  id uuid primary key default gen_random_uuid(),
  transaction_id text unique not null,
  booking_id uuid not null references public.bookings (id) on delete restrict,
  customer_id uuid not null references auth.users (id) on delete restrict,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  amount bigint not null check (amount >= 0),
  tax_amount bigint not null default 0 check (tax_amount >= 0),
  discount_amount bigint not null default 0 check (discount_amount >= 0),
  convenience_fee bigint not null default 0 check (convenience_fee >= 0),
  total_amount bigint not null check (total_amount >= 0),
  currency text not null default 'INR' check (currency ~ '^[A-Z]{3}$'),
  payment_method text not null check (payment_method in (
    'credit_card', 'debit_card', 'upi', 'net_banking', 'wallet', 'cash'
  )),
  payment_gateway text,
  payment_gateway_id uuid references public.payment_gateways (id) on delete restrict,
  payment_method_id uuid references public.payment_methods (id) on delete set null,
  gateway_order_id text,
  gateway_transaction_id text,
  status text not null default 'pending' check (status in (
    'pending', 'processing', 'success', 'failed', 'refunded', 'partially_refunded'
  )),
  payment_date timestamptz,
  failure_reason text,
  refund_amount bigint not null default 0 check (refund_amount >= 0),
  refund_date timestamptz,
  refund_reason text,
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payments_refund_within_total check (refund_amount <= total_amount),
  constraint payments_gateway_required check (payment_method = 'cash' or payment_method = 'wallet' or payment_gateway_id is not null
    or status in ('pending', 'failed')),
  constraint payments_success_date check (status <> 'success' or payment_date is not null)
);

comment on table public.payments is
  'Money collected from a customer for a booking (a booking may have several: advance, balance, retries). Refund fields are maintained from public.refunds.';
comment on column public.payments.transaction_id is 'Platform''s own payment reference, given to the gateway as the receipt id.';
comment on column public.payments.amount is 'Amount for the services before tax, fees and discount, in paise.';
comment on column public.payments.tax_amount is 'GST included in this payment, in paise.';
comment on column public.payments.discount_amount is 'Discount applied to this payment, in paise.';
comment on column public.payments.convenience_fee is 'Platform convenience fee in this payment, in paise.';
comment on column public.payments.total_amount is 'Amount actually charged, in paise.';
comment on column public.payments.payment_gateway is 'Gateway code at the time of payment (razorpay, stripe ...); filled from payment_gateway_id.';
comment on column public.payments.payment_gateway_id is 'Gateway the charge went through; null for cash and wallet payments.';
comment on column public.payments.payment_method_id is 'Saved instrument used, if any.';
comment on column public.payments.gateway_order_id is 'Gateway order / payment intent id created before checkout.';
comment on column public.payments.gateway_transaction_id is 'Gateway payment id (pay_..., pi_...); unique per gateway so a replayed webhook cannot record a payment twice.';
comment on column public.payments.payment_date is 'When the money was captured.';
comment on column public.payments.refund_amount is 'Sum of processed refunds, in paise; maintained by the database.';
comment on column public.payments.refund_date is 'When the latest refund was processed.';
comment on column public.payments.metadata is 'Gateway-specific payload (method details, bank reference, UPI RRN).';

create index idx_payments_booking on public.payments (booking_id);
create index idx_payments_customer on public.payments (customer_id, created_at desc);
create index idx_payments_vendor on public.payments (vendor_id);
create index idx_payments_status on public.payments (status);
create index idx_payments_date on public.payments (payment_date);
create index idx_payments_payment_gateway_id on public.payments (payment_gateway_id);
create index idx_payments_payment_method_id on public.payments (payment_method_id);
create unique index idx_payments_gateway_transaction_id on public.payments (payment_gateway, gateway_transaction_id)
  where gateway_transaction_id is not null;
create index idx_payments_gateway_order_id on public.payments (gateway_order_id) where gateway_order_id is not null;

create or replace function private.payments_fill_gateway()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.payment_gateway_id is not null then
    select g.code into new.payment_gateway from public.payment_gateways g where g.id = new.payment_gateway_id;
  end if;
  return new;
end
$$;

create trigger payments_fill_gateway before insert or update of payment_gateway_id, payment_gateway on public.payments
  for each row execute function private.payments_fill_gateway();

create trigger set_updated_at before update on public.payments
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.payments
  for each row execute function private.audit_row();

alter table public.payments enable row level security;

-- payment_settlements ----------------------------------------------------------------------

create table public.payment_settlements (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  settlement_period_start date not null,
  settlement_period_end date not null,
  total_bookings integer not null check (total_bookings >= 0),
  gross_amount bigint not null check (gross_amount >= 0),
  commission_amount bigint not null check (commission_amount >= 0),
  commission_gst_amount bigint not null default 0 check (commission_gst_amount >= 0),
  tds_amount bigint not null default 0 check (tds_amount >= 0),
  tcs_amount bigint not null default 0 check (tcs_amount >= 0),
  adjustment_amount bigint not null default 0,
  net_settlement_amount bigint not null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'completed', 'failed')),
  payment_reference text,
  payment_date timestamptz,
  payment_method text check (payment_method in ('neft', 'rtgs', 'imps', 'upi', 'gateway_payout')),
  approved_by uuid references public.employees (id) on delete set null,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint payment_settlements_period_order check (settlement_period_end >= settlement_period_start),
  constraint payment_settlements_net_reconciles check (net_settlement_amount = gross_amount - commission_amount - commission_gst_amount - tds_amount - tcs_amount + adjustment_amount),
  constraint payment_settlements_completed_reference check (status <> 'completed' or (payment_reference is not null and payment_date is not null))
);

comment on table public.payment_settlements is
  'What the platform owes a vendor for a period: collections minus commission (with its GST), TDS under section 194-O, GST TCS under section 52, plus adjustments.';
comment on column public.payment_settlements.total_bookings is 'Completed bookings counted in the period.';
comment on column public.payment_settlements.gross_amount is 'Booking value collected for the vendor in the period, in paise.';
comment on column public.payment_settlements.commission_amount is 'Platform commission, in paise.';
comment on column public.payment_settlements.commission_gst_amount is 'GST (18%) on the commission, charged to the vendor, in paise.';
comment on column public.payment_settlements.tds_amount is 'Income-tax TDS withheld under section 194-O, in paise.';
comment on column public.payment_settlements.tcs_amount is 'GST TCS collected under section 52 of the CGST Act, in paise.';
comment on column public.payment_settlements.adjustment_amount is 'Manual correction (negative for recoveries such as cancellation penalties), in paise.';
comment on column public.payment_settlements.net_settlement_amount is 'Amount paid out = gross - commission - commission GST - TDS - TCS + adjustment, in paise; negative when the vendor owes the platform.';
comment on column public.payment_settlements.payment_reference is 'Bank UTR or payout id of the transfer.';
comment on column public.payment_settlements.approved_by is 'Finance employee who approved the payout.';

create unique index idx_payment_settlements_vendor on public.payment_settlements (vendor_id, settlement_period_start, settlement_period_end);
create index idx_payment_settlements_period on public.payment_settlements (settlement_period_start, settlement_period_end);
create index idx_payment_settlements_status on public.payment_settlements (status);
create index idx_payment_settlements_approved_by on public.payment_settlements (approved_by);

create trigger set_updated_at before update on public.payment_settlements
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.payment_settlements
  for each row execute function private.audit_row();

alter table public.payment_settlements enable row level security;

-- refunds ----------------------------------------------------------------------------------

create table public.refunds (
  id uuid primary key default gen_random_uuid(),
  payment_id uuid not null references public.payments (id) on delete restrict,
  booking_id uuid not null references public.bookings (id) on delete restrict,
  customer_id uuid not null references auth.users (id) on delete restrict,
  amount bigint not null check (amount > 0),
  reason text not null,
  reason_code text not null default 'other' check (reason_code in (
    'booking_cancelled', 'vendor_cancelled', 'service_not_delivered', 'service_quality',
    'duplicate_payment', 'overcharge', 'goodwill', 'other'
  )),
  refund_method text not null default 'original_method' check (refund_method in ('original_method', 'wallet', 'bank_transfer')),
  status text not null default 'requested' check (status in (
    'requested', 'approved', 'processing', 'processed', 'failed', 'rejected'
  )),
  gateway_refund_id text,
  requested_by uuid references auth.users (id) on delete set null,
  approved_by uuid references auth.users (id) on delete set null,
  approved_at timestamptz,
  processed_at timestamptz,
  failure_reason text,
  metadata jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint refunds_processed_at check (status <> 'processed' or processed_at is not null),
  constraint refunds_approved_at check (status not in ('approved', 'processing', 'processed') or approved_at is not null)
);

comment on table public.refunds is
  'Money returned to a customer against a payment. Active refunds of a payment can never add up to more than it charged; processed ones roll up into payments.refund_amount.';
comment on column public.refunds.booking_id is 'Booking of the payment (filled from the payment when omitted).';
comment on column public.refunds.customer_id is 'Customer refunded (filled from the payment when omitted).';
comment on column public.refunds.amount is 'Amount refunded, in paise.';
comment on column public.refunds.refund_method is 'Back to the original instrument, to the OMBARO wallet, or by bank transfer (cash payments).';
comment on column public.refunds.gateway_refund_id is 'Gateway refund id (rfnd_..., re_...).';
comment on column public.refunds.requested_by is 'User who raised the refund (customer, care agent, or null for automatic cancellation refunds).';
comment on column public.refunds.approved_by is 'Finance or care user who approved it.';

create index idx_refunds_payment_id on public.refunds (payment_id);
create index idx_refunds_booking_id on public.refunds (booking_id);
create index idx_refunds_customer_id on public.refunds (customer_id, created_at desc);
create index idx_refunds_status on public.refunds (status, created_at);
create index idx_refunds_requested_by on public.refunds (requested_by);
create index idx_refunds_approved_by on public.refunds (approved_by);
create unique index idx_refunds_gateway_refund_id on public.refunds (gateway_refund_id) where gateway_refund_id is not null;

-- Serialises refunds of one payment (row lock on the payment) and keeps their sum within
-- what was charged.
create or replace function private.refunds_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  p record;
  others bigint;
begin
  if tg_op = 'UPDATE' then
    if old.status in ('processed', 'rejected') and new.status is distinct from old.status then
      raise exception 'refund %: status % is final', old.id, old.status using errcode = '23514';
    end if;
    if new.payment_id is distinct from old.payment_id then
      raise exception 'refund %: payment_id cannot change', old.id using errcode = '23514';
    end if;
  end if;

  select id, booking_id, customer_id, total_amount, status into p
    from public.payments where id = new.payment_id
     for update;
  if not found then
    return new;  -- the foreign key reports it
  end if;

  new.booking_id := coalesce(new.booking_id, p.booking_id);
  new.customer_id := coalesce(new.customer_id, p.customer_id);
  if new.booking_id <> p.booking_id or new.customer_id <> p.customer_id then
    raise exception 'refund: booking and customer must be those of payment %', p.id using errcode = '23514';
  end if;

  if new.status not in ('failed', 'rejected') then
    if p.status not in ('success', 'partially_refunded', 'refunded') then
      raise exception 'refund: payment % is %, nothing was captured to refund', p.id, p.status
        using errcode = '23514';
    end if;
    select coalesce(sum(r.amount), 0) into others
      from public.refunds r
     where r.payment_id = new.payment_id
       and r.id <> new.id
       and r.status not in ('failed', 'rejected');
    if others + new.amount > p.total_amount then
      raise exception 'refund of % paise exceeds what is left of payment % (% of % paise already refunded or pending)',
        new.amount, p.id, others, p.total_amount
        using errcode = '23514';
    end if;
  end if;
  return new;
end
$$;

create trigger refunds_guard before insert or update of payment_id, booking_id, customer_id, amount, status on public.refunds
  for each row execute function private.refunds_guard();

-- Rolls processed refunds up into the payment.
create or replace function private.refunds_sync_payment()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  refunded bigint;
begin
  select coalesce(sum(amount), 0) into refunded
    from public.refunds
   where payment_id = new.payment_id and status = 'processed';
  update public.payments p
     set refund_amount = refunded,
         refund_date = case when refunded > 0 then coalesce(new.processed_at, now()) else p.refund_date end,
         refund_reason = case when new.status = 'processed' then new.reason else p.refund_reason end,
         status = case
           when refunded = 0 then p.status
           when refunded >= p.total_amount then 'refunded'
           else 'partially_refunded'
         end
   where p.id = new.payment_id
     and (p.refund_amount is distinct from refunded
          or (refunded > 0 and p.status not in ('refunded', 'partially_refunded')));
  return null;
end
$$;

create trigger refunds_sync_payment after insert or update of amount, status on public.refunds
  for each row execute function private.refunds_sync_payment();

create trigger set_updated_at before update on public.refunds
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.refunds
  for each row execute function private.audit_row();

alter table public.refunds enable row level security;

-- invoices ---------------------------------------------------------------------------------

create table public.invoices (
  id uuid primary key default gen_random_uuid(),
  invoice_number text not null unique check (invoice_number ~ '^[A-Za-z0-9/-]{1,16}$'),
  financial_year text not null check (financial_year ~ '^FY[0-9]{4}-[0-9]{2}$'),
  invoice_type text not null default 'tax_invoice' check (invoice_type in ('tax_invoice', 'credit_note', 'debit_note')),
  supply_kind text not null default 'spa_service' check (supply_kind in ('spa_service', 'convenience_fee', 'commission')),
  original_invoice_id uuid references public.invoices (id) on delete restrict,
  booking_id uuid references public.bookings (id) on delete restrict,
  payment_id uuid references public.payments (id) on delete set null,
  settlement_id uuid references public.payment_settlements (id) on delete set null,
  customer_id uuid references auth.users (id) on delete restrict,
  vendor_id uuid references public.vendors (id) on delete restrict,
  supplier_gstin text check (supplier_gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  recipient_gstin text check (recipient_gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  recipient_name text not null,
  billing_address jsonb,
  place_of_supply_state_id uuid not null references public.states (id) on delete restrict,
  place_of_supply_code text not null check (place_of_supply_code ~ '^[0-9]{2}$'),
  sac_code text not null default '999722' check (sac_code ~ '^[0-9]{6}$'),
  line_items jsonb not null default '[]'::jsonb check (jsonb_typeof(line_items) = 'array'),
  taxable_value bigint not null check (taxable_value >= 0),
  cgst_rate numeric(5,2) not null default 0 check (cgst_rate between 0 and 100),
  cgst_amount bigint not null default 0 check (cgst_amount >= 0),
  sgst_rate numeric(5,2) not null default 0 check (sgst_rate between 0 and 100),
  sgst_amount bigint not null default 0 check (sgst_amount >= 0),
  igst_rate numeric(5,2) not null default 0 check (igst_rate between 0 and 100),
  igst_amount bigint not null default 0 check (igst_amount >= 0),
  total_amount bigint not null check (total_amount >= 0),
  status text not null default 'draft' check (status in ('draft', 'issued', 'cancelled')),
  issued_at timestamptz,
  cancelled_at timestamptz,
  cancellation_reason text,
  irn text check (irn ~ '^[0-9a-f]{64}$'),
  pdf_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint invoices_igst_or_cgst_sgst check (igst_amount = 0 or (cgst_amount = 0 and sgst_amount = 0)),
  constraint invoices_cgst_equals_sgst check (cgst_rate = sgst_rate and cgst_amount = sgst_amount),
  constraint invoices_total_reconciles check (total_amount = taxable_value + cgst_amount + sgst_amount + igst_amount),
  constraint invoices_note_amends_invoice check (invoice_type = 'tax_invoice' or original_invoice_id is not null),
  constraint invoices_recipient check (num_nonnulls(customer_id, vendor_id) >= 1),
  constraint invoices_issued_at check (status = 'draft' or issued_at is not null),
  constraint invoices_cancellation check (status <> 'cancelled' or (cancelled_at is not null and cancellation_reason is not null))
);

comment on table public.invoices is
  'GST tax invoices, credit and debit notes: for spa services to customers, the platform convenience fee, and commission billed to vendors. Once issued an invoice is frozen; corrections are credit/debit notes or cancellation.';
comment on column public.invoices.invoice_number is 'Consecutive serial, unique per financial year as GST rule 46 requires: at most 16 characters of letters, digits, - and /.';
comment on column public.invoices.financial_year is 'Indian financial year of the invoice, e.g. FY2025-26; filled from the issue date when omitted.';
comment on column public.invoices.supply_kind is 'What is invoiced: the spa service, the platform convenience fee, or commission charged to a vendor.';
comment on column public.invoices.original_invoice_id is 'Invoice a credit or debit note amends.';
comment on column public.invoices.settlement_id is 'Settlement a commission invoice belongs to.';
comment on column public.invoices.customer_id is 'Recipient when billing a customer.';
comment on column public.invoices.vendor_id is 'Vendor supplying the service, or the recipient of a commission invoice.';
comment on column public.invoices.supplier_gstin is 'GSTIN of the supplier (15 characters).';
comment on column public.invoices.recipient_gstin is 'GSTIN of a registered recipient (B2B); null for consumers.';
comment on column public.invoices.place_of_supply_state_id is 'State of the place of supply: where the service is performed. Same state as the supplier => CGST+SGST, otherwise IGST.';
comment on column public.invoices.place_of_supply_code is 'Two-digit GST state code of the place of supply (27 Maharashtra, 29 Karnataka ...).';
comment on column public.invoices.sac_code is 'Services Accounting Code (999722 spa and beauty, 998599 platform fees).';
comment on column public.invoices.line_items is 'Printed lines: [{ "description", "sac", "quantity", "rate" (paise), "taxable_value" (paise) }].';
comment on column public.invoices.taxable_value is 'Value on which GST is charged, in paise.';
comment on column public.invoices.cgst_rate is 'Central GST rate, percent (9.00 within a state).';
comment on column public.invoices.cgst_amount is 'Central GST, in paise.';
comment on column public.invoices.sgst_rate is 'State/UT GST rate, percent.';
comment on column public.invoices.sgst_amount is 'State/UT GST, in paise.';
comment on column public.invoices.igst_rate is 'Integrated GST rate for inter-state supply, percent (18.00).';
comment on column public.invoices.igst_amount is 'Integrated GST, in paise.';
comment on column public.invoices.total_amount is 'Invoice value = taxable value + all GST, in paise.';
comment on column public.invoices.irn is 'Invoice Reference Number from the e-invoice portal, when e-invoicing applies.';
comment on column public.invoices.pdf_url is 'Storage path of the rendered PDF.';

create index idx_invoices_booking_id on public.invoices (booking_id);
create index idx_invoices_payment_id on public.invoices (payment_id);
create index idx_invoices_settlement_id on public.invoices (settlement_id);
create index idx_invoices_customer_id on public.invoices (customer_id, issued_at desc);
create index idx_invoices_vendor_id on public.invoices (vendor_id, issued_at desc);
create index idx_invoices_original_invoice_id on public.invoices (original_invoice_id);
create index idx_invoices_place_of_supply_state_id on public.invoices (place_of_supply_state_id);
create index idx_invoices_status_issued_at on public.invoices (status, issued_at);
create index idx_invoices_financial_year on public.invoices (financial_year, supply_kind);

-- Fills the financial year and issue time, and freezes an invoice once issued: only its
-- cancellation, PDF and IRN may be recorded afterwards, and only drafts may be deleted.
create or replace function private.invoices_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  mutable_after_issue constant text[] := array[
    'status', 'cancelled_at', 'cancellation_reason', 'pdf_url', 'irn', 'updated_at'
  ];
begin
  if tg_op = 'DELETE' then
    if old.status <> 'draft' then
      raise exception 'invoice % is %: only drafts can be deleted', old.invoice_number, old.status
        using errcode = '42501', hint = 'cancel it or issue a credit note';
    end if;
    return old;
  end if;

  if new.status <> 'draft' and new.issued_at is null then
    new.issued_at := now();
  end if;
  if new.status = 'cancelled' and new.cancelled_at is null then
    new.cancelled_at := now();
  end if;
  if new.financial_year is null then
    new.financial_year := private.financial_year((coalesce(new.issued_at, now()) at time zone 'Asia/Kolkata')::date);
  end if;

  if tg_op = 'UPDATE' and old.status <> 'draft' then
    if old.status = 'cancelled' and new.status <> 'cancelled' then
      raise exception 'invoice % is cancelled and cannot be reinstated', old.invoice_number using errcode = '42501';
    end if;
    if new.status = 'draft' then
      raise exception 'invoice % is issued and cannot return to draft', old.invoice_number using errcode = '42501';
    end if;
    if (to_jsonb(new) - mutable_after_issue) is distinct from (to_jsonb(old) - mutable_after_issue) then
      raise exception 'invoice % is issued: its contents cannot change', old.invoice_number
        using errcode = '42501', hint = 'cancel it or issue a credit/debit note';
    end if;
  end if;
  return new;
end
$$;

create trigger invoices_guard before insert or update or delete on public.invoices
  for each row execute function private.invoices_guard();

create trigger set_updated_at before update on public.invoices
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.invoices
  for each row execute function private.audit_row();

alter table public.invoices enable row level security;

-- tax_records ------------------------------------------------------------------------------

create table public.tax_records (
  id uuid primary key default gen_random_uuid(),
  tax_type text not null check (tax_type in ('gst_output', 'gst_input', 'gst_tcs', 'tds')),
  section text,
  return_type text not null check (return_type in ('GSTR-1', 'GSTR-3B', 'GSTR-8', '26Q', '24Q', '27EQ')),
  period_start date not null,
  period_end date not null,
  financial_year text not null check (financial_year ~ '^FY[0-9]{4}-[0-9]{2}$'),
  gstin text check (gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  state_id uuid references public.states (id) on delete restrict,
  vendor_id uuid references public.vendors (id) on delete restrict,
  counterparty_pan text check (counterparty_pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$'),
  invoice_id uuid references public.invoices (id) on delete set null,
  settlement_id uuid references public.payment_settlements (id) on delete set null,
  taxable_amount bigint not null default 0 check (taxable_amount >= 0),
  tax_rate numeric(5,2) check (tax_rate between 0 and 100),
  tax_amount bigint not null default 0 check (tax_amount >= 0),
  filing_status text not null default 'pending' check (filing_status in ('pending', 'filed', 'paid', 'revised')),
  due_date date,
  filed_at timestamptz,
  filing_reference text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tax_records_period_order check (period_end >= period_start),
  constraint tax_records_filing_reference check (filing_status = 'pending' or filing_reference is not null)
);

comment on table public.tax_records is
  'GST and TDS entries per return period: output GST on invoices, input credit, GST TCS collected from vendors (GSTR-8) and income-tax TDS (26Q), with their filing state.';
comment on column public.tax_records.tax_type is 'gst_output (on our supplies), gst_input (credit on purchases), gst_tcs (section 52 collection), tds (income-tax withholding).';
comment on column public.tax_records.section is 'Statutory section, e.g. 194-O, 194J, 194C, 52.';
comment on column public.tax_records.return_type is 'Return the entry is reported in.';
comment on column public.tax_records.period_start is 'First date of the return period (usually a month or a quarter).';
comment on column public.tax_records.period_end is 'Last date of the return period.';
comment on column public.tax_records.gstin is 'Platform GSTIN (one per state registration) the entry is filed under.';
comment on column public.tax_records.vendor_id is 'Deductee / collectee vendor for TDS and TCS entries.';
comment on column public.tax_records.counterparty_pan is 'PAN of the deductee, required in TDS returns.';
comment on column public.tax_records.taxable_amount is 'Base amount, in paise.';
comment on column public.tax_records.tax_rate is 'Rate applied, percent.';
comment on column public.tax_records.tax_amount is 'Tax amount, in paise.';
comment on column public.tax_records.filing_reference is 'ARN of the return, or challan / CIN for a TDS deposit.';

create index idx_tax_records_return_period on public.tax_records (return_type, period_start);
create index idx_tax_records_state_id on public.tax_records (state_id);
create index idx_tax_records_vendor_id on public.tax_records (vendor_id);
create index idx_tax_records_invoice_id on public.tax_records (invoice_id);
create index idx_tax_records_settlement_id on public.tax_records (settlement_id);
create index idx_tax_records_filing_status on public.tax_records (filing_status, due_date);

create trigger set_updated_at before update on public.tax_records
  for each row execute function private.set_updated_at();

alter table public.tax_records enable row level security;

-- commission_rules -------------------------------------------------------------------------

create table public.commission_rules (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]{1,60}$'),
  name text not null,
  scope text not null check (scope in ('platform', 'vendor', 'service', 'category')),
  vendor_id uuid references public.vendors (id) on delete cascade,
  service_id uuid references public.services (id) on delete cascade,
  category_id uuid references public.service_categories (id) on delete cascade,
  rate numeric(5,2) not null check (rate between 0 and 100),
  flat_fee bigint not null default 0 check (flat_fee >= 0),
  effective_from date not null,
  effective_to date,
  priority integer not null default 100,
  is_active boolean not null default true,
  description text,
  created_by uuid references public.employees (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint commission_rules_effective_order check (effective_to is null or effective_to >= effective_from),
  constraint commission_rules_scope_target check (
    (scope = 'platform' and num_nonnulls(vendor_id, service_id, category_id) = 0)
    or (scope = 'vendor' and vendor_id is not null and service_id is null and category_id is null)
    or (scope = 'service' and service_id is not null and category_id is null)
    or (scope = 'category' and category_id is not null and service_id is null)
  ),
  -- One active rule per target and scope at any date.
  constraint commission_rules_no_overlap exclude using gist (
    scope with =,
    (coalesce(vendor_id, '00000000-0000-0000-0000-000000000000'::uuid)) with =,
    (coalesce(service_id, category_id, '00000000-0000-0000-0000-000000000000'::uuid)) with =,
    daterange(effective_from, effective_to, '[]') with &&
  ) where (is_active)
);

comment on table public.commission_rules is
  'How much the platform keeps from a booking. The most specific active rule wins: vendor+service, then service or category (optionally for one vendor), then vendor, then the platform default; priority breaks remaining ties (lowest first).';
comment on column public.commission_rules.code is 'Stable natural key used by seeds and reports.';
comment on column public.commission_rules.scope is 'What the rule targets; the matching column must be set and the others empty (service and category rules may also name a vendor).';
comment on column public.commission_rules.rate is 'Commission, percent of the booking value before GST.';
comment on column public.commission_rules.flat_fee is 'Fixed fee per booking on top of the rate, in paise.';
comment on column public.commission_rules.effective_from is 'First IST date the rule applies (inclusive).';
comment on column public.commission_rules.effective_to is 'Last IST date the rule applies (inclusive); null = open-ended.';
comment on column public.commission_rules.priority is 'Tie-break between equally specific rules, lowest first.';

create index idx_commission_rules_vendor_id on public.commission_rules (vendor_id);
create index idx_commission_rules_service_id on public.commission_rules (service_id);
create index idx_commission_rules_category_id on public.commission_rules (category_id);
create index idx_commission_rules_created_by on public.commission_rules (created_by);
create index idx_commission_rules_active on public.commission_rules (scope, effective_from) where is_active;

create trigger set_updated_at before update on public.commission_rules
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.commission_rules
  for each row execute function private.audit_row();

alter table public.commission_rules enable row level security;

-- commission_records -----------------------------------------------------------------------

create table public.commission_records (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete restrict,
  payment_id uuid references public.payments (id) on delete restrict,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  rule_id uuid references public.commission_rules (id) on delete restrict,
  commission_rate numeric(5,2) not null check (commission_rate between 0 and 100),
  gross_amount bigint not null check (gross_amount >= 0),
  commission_amount bigint not null check (commission_amount >= 0),
  gst_on_commission bigint not null default 0 check (gst_on_commission >= 0),
  tds_amount bigint not null default 0 check (tds_amount >= 0),
  tcs_amount bigint not null default 0 check (tcs_amount >= 0),
  net_to_vendor bigint not null,
  settlement_id uuid references public.payment_settlements (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'settled', 'reversed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint commission_records_commission_within_gross check (commission_amount <= gross_amount),
  constraint commission_records_net_reconciles check (net_to_vendor = gross_amount - commission_amount - gst_on_commission - tds_amount - tcs_amount),
  constraint commission_records_settled_settlement check (status <> 'settled' or settlement_id is not null),
  unique nulls not distinct (booking_id, payment_id)
);

comment on table public.commission_records is
  'Commission computed for each booking payment: which rule applied and how the gross splits between platform, taxes and vendor. Settlements sum these lines.';
comment on column public.commission_records.payment_id is 'Payment the line was computed for; null for a booking settled without an online payment (cash).';
comment on column public.commission_records.rule_id is 'Rule that applied; its rate is copied into commission_rate.';
comment on column public.commission_records.commission_rate is 'Rate applied, percent (snapshot of the rule).';
comment on column public.commission_records.gross_amount is 'Booking value the commission is computed on (before GST), in paise.';
comment on column public.commission_records.commission_amount is 'Platform commission, in paise.';
comment on column public.commission_records.gst_on_commission is 'GST (18%) the platform charges the vendor on its commission, in paise.';
comment on column public.commission_records.tds_amount is 'TDS under section 194-O on this line, in paise.';
comment on column public.commission_records.tcs_amount is 'GST TCS under section 52 on this line, in paise.';
comment on column public.commission_records.net_to_vendor is 'gross - commission - GST on commission - TDS - TCS, in paise.';
comment on column public.commission_records.settlement_id is 'Settlement that paid this line out.';

create index idx_commission_records_payment_id on public.commission_records (payment_id);
create index idx_commission_records_vendor_id on public.commission_records (vendor_id, status);
create index idx_commission_records_rule_id on public.commission_records (rule_id);
create index idx_commission_records_settlement_id on public.commission_records (settlement_id);
create index idx_commission_records_created_at on public.commission_records (created_at desc);

create trigger set_updated_at before update on public.commission_records
  for each row execute function private.set_updated_at();

alter table public.commission_records enable row level security;

-- expense_categories -----------------------------------------------------------------------

create table public.expense_categories (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]{1,48}$'),
  name text not null,
  description text,
  parent_id uuid references public.expense_categories (id) on delete set null,
  gl_code text,
  budget_head text,
  is_gst_input_eligible boolean not null default true,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint expense_categories_not_own_parent check (parent_id is distinct from id)
);

comment on table public.expense_categories is 'Chart of company expense heads (travel, marketing, rent, software ...), mapped to the ledger.';
comment on column public.expense_categories.code is 'Stable natural key for seeds and reports.';
comment on column public.expense_categories.gl_code is 'General-ledger account code in the accounting system (Tally / Zoho Books).';
comment on column public.expense_categories.budget_head is 'Budget line the category rolls up to in budget reviews.';
comment on column public.expense_categories.is_gst_input_eligible is 'Whether GST paid on these expenses can be claimed as input tax credit (blocked credits under section 17(5) cannot).';

create index idx_expense_categories_parent_id on public.expense_categories (parent_id);
create index idx_expense_categories_gl_code on public.expense_categories (gl_code);
create index idx_expense_categories_active on public.expense_categories (is_active);

create trigger set_updated_at before update on public.expense_categories
  for each row execute function private.set_updated_at();

alter table public.expense_categories enable row level security;

-- expenses ---------------------------------------------------------------------------------

create table public.expenses (
  id uuid primary key default gen_random_uuid(),
  employee_id uuid not null references public.employees (id) on delete restrict,
  category_id uuid not null references public.expense_categories (id) on delete restrict,
  department_id uuid references public.departments (id) on delete set null,
  title text not null,
  description text,
  expense_date date not null,
  amount bigint not null check (amount > 0),
  gst_amount bigint not null default 0 check (gst_amount >= 0),
  supplier_name text,
  supplier_gstin text check (supplier_gstin ~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$'),
  supplier_invoice_number text,
  payment_mode text check (payment_mode in ('cash', 'card', 'upi', 'bank_transfer', 'company_card')),
  receipt_url text,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'approved', 'rejected', 'reimbursed')),
  submitted_at timestamptz,
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  rejection_reason text,
  reimbursed_at timestamptz,
  reimbursement_reference text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint expenses_gst_within_amount check (gst_amount <= amount),
  constraint expenses_no_self_approval check (approved_by is null or approved_by <> employee_id),
  constraint expenses_submitted_at check (status = 'draft' or submitted_at is not null),
  constraint expenses_approval check (status not in ('approved', 'reimbursed') or (approved_by is not null and approved_at is not null)),
  constraint expenses_rejection_reason check (status <> 'rejected' or rejection_reason is not null),
  constraint expenses_reimbursed_at check (status <> 'reimbursed' or reimbursed_at is not null)
);

comment on table public.expenses is 'Company expenses claimed by employees, approved by someone else and reimbursed.';
comment on column public.expenses.department_id is 'Department the cost is charged to (defaults to the claimant''s in the app).';
comment on column public.expenses.expense_date is 'Date on the supplier bill (IST).';
comment on column public.expenses.amount is 'Amount claimed including GST, in paise.';
comment on column public.expenses.gst_amount is 'GST included in amount, claimable as input credit when the supplier GSTIN is present, in paise.';
comment on column public.expenses.supplier_gstin is 'Supplier''s GSTIN from the bill.';
comment on column public.expenses.receipt_url is 'Storage path of the bill image or PDF.';
comment on column public.expenses.approved_by is 'Approver; never the claimant.';
comment on column public.expenses.reimbursement_reference is 'Bank UTR of the reimbursement.';

create index idx_expenses_employee_id on public.expenses (employee_id, expense_date desc);
create index idx_expenses_category_id on public.expenses (category_id);
create index idx_expenses_department_id on public.expenses (department_id, expense_date);
create index idx_expenses_approved_by on public.expenses (approved_by);
create index idx_expenses_status_date on public.expenses (status, expense_date);

create trigger set_updated_at before update on public.expenses
  for each row execute function private.set_updated_at();

alter table public.expenses enable row level security;

-- budget_allocations -----------------------------------------------------------------------

create table public.budget_allocations (
  id uuid primary key default gen_random_uuid(),
  department_id uuid not null references public.departments (id) on delete restrict,
  expense_category_id uuid not null references public.expense_categories (id) on delete restrict,
  fiscal_year text not null check (fiscal_year ~ '^FY[0-9]{4}-[0-9]{2}$'),
  quarter smallint check (quarter between 1 and 4),
  allocated_amount bigint not null default 0 check (allocated_amount >= 0),
  spent_amount bigint not null default 0 check (spent_amount >= 0),
  status text not null default 'draft' check (status in ('draft', 'approved', 'frozen')),
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint budget_allocations_approval check (status = 'draft' or approved_by is not null),
  unique nulls not distinct (department_id, expense_category_id, fiscal_year, quarter)
);

comment on table public.budget_allocations is 'Budget per department and expense head for a financial year or one of its quarters, with what has been spent against it.';
comment on column public.budget_allocations.fiscal_year is 'Indian financial year, e.g. FY2026-27 (April 2026 to March 2027).';
comment on column public.budget_allocations.quarter is 'Quarter of the financial year (1 = April-June); null = the whole year.';
comment on column public.budget_allocations.allocated_amount is 'Budget granted, in paise.';
comment on column public.budget_allocations.spent_amount is 'Approved expenses booked against it, in paise; updated by the finance close.';
comment on column public.budget_allocations.status is 'draft while being planned, approved once signed off, frozen when no more spend may be booked.';

create index idx_budget_allocations_expense_category_id on public.budget_allocations (expense_category_id);
create index idx_budget_allocations_fiscal_year on public.budget_allocations (fiscal_year, quarter);
create index idx_budget_allocations_approved_by on public.budget_allocations (approved_by);

create trigger set_updated_at before update on public.budget_allocations
  for each row execute function private.set_updated_at();

alter table public.budget_allocations enable row level security;

-- financial_reports ------------------------------------------------------------------------

create table public.financial_reports (
  id uuid primary key default gen_random_uuid(),
  report_type text not null check (report_type in (
    'profit_and_loss', 'balance_sheet', 'cash_flow', 'gst_summary', 'tds_summary', 'settlement_summary'
  )),
  title text not null,
  period_start date not null,
  period_end date not null,
  financial_year text check (financial_year ~ '^FY[0-9]{4}-[0-9]{2}$'),
  parameters jsonb not null default '{}'::jsonb check (jsonb_typeof(parameters) = 'object'),
  data jsonb not null default '{}'::jsonb,
  status text not null default 'queued' check (status in ('queued', 'generating', 'ready', 'failed', 'published')),
  error_message text,
  file_url text,
  generated_by uuid references auth.users (id) on delete set null,
  generated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint financial_reports_period_order check (period_end >= period_start),
  constraint financial_reports_generated_at check (status not in ('ready', 'published') or generated_at is not null)
);

comment on table public.financial_reports is 'Generated finance reports (P&L, balance sheet, GST and TDS summaries, settlement summaries) with their figures and the exported file.';
comment on column public.financial_reports.parameters is 'Inputs the report was run with: { "city_ids", "vendor_ids", "department_ids", "basis" }.';
comment on column public.financial_reports.data is 'Computed figures (amounts in paise), as the dashboards render them.';
comment on column public.financial_reports.file_url is 'Storage path of the exported PDF / XLSX.';
comment on column public.financial_reports.generated_by is 'User who requested the report; null for scheduled runs.';

create index idx_financial_reports_type_period on public.financial_reports (report_type, period_start desc);
create index idx_financial_reports_generated_by on public.financial_reports (generated_by);
create index idx_financial_reports_status on public.financial_reports (status);

create trigger set_updated_at before update on public.financial_reports
  for each row execute function private.set_updated_at();

alter table public.financial_reports enable row level security;

-- wallet_transactions ----------------------------------------------------------------------

create table public.wallet_transactions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete restrict,
  entry_no integer not null check (entry_no >= 1),
  transaction_type text not null check (transaction_type in ('credit', 'debit')),
  amount bigint not null check (amount > 0),
  balance_after bigint not null check (balance_after >= 0),
  source text not null check (source in ('refund', 'cashback', 'topup', 'booking_payment', 'referral', 'adjustment')),
  booking_id uuid references public.bookings (id) on delete restrict,
  payment_id uuid references public.payments (id) on delete restrict,
  refund_id uuid references public.refunds (id) on delete restrict,
  description text,
  idempotency_key text,
  created_at timestamptz not null default now(),
  unique (user_id, entry_no),
  constraint wallet_transactions_debit_sources check (transaction_type = 'credit' or source in ('booking_payment', 'adjustment')),
  constraint wallet_transactions_booking_payment_is_debit check (transaction_type = 'debit' or source <> 'booking_payment'),
  constraint wallet_transactions_refund_link check (source <> 'refund' or refund_id is not null),
  constraint wallet_transactions_booking_link check (source <> 'booking_payment' or booking_id is not null),
  constraint wallet_transactions_topup_payment check (source <> 'topup' or payment_id is not null)
);

comment on table public.wallet_transactions is
  'The OMBARO wallet as an append-only ledger: each row moves money in or out and carries the balance after it. The balance is computed by the database (never trusted from the client) and cannot go below zero; corrections are adjustment rows.';
comment on column public.wallet_transactions.entry_no is 'Position in the user''s ledger (1, 2, 3 ...); assigned by the database. The unique (user_id, entry_no) pair is a second guard against two concurrent writers.';
comment on column public.wallet_transactions.amount is 'Amount moved, always positive, in paise.';
comment on column public.wallet_transactions.balance_after is 'Wallet balance after this entry, in paise; computed by the database.';
comment on column public.wallet_transactions.source is 'Why money moved: refund or cashback credits, top-up, payment for a booking, referral reward, or a manual adjustment.';
comment on column public.wallet_transactions.payment_id is 'Top-up payment, or the payment a wallet debit belongs to.';
comment on column public.wallet_transactions.idempotency_key is 'Client or job key of the operation; a retry hits the unique index instead of moving money twice.';

create index idx_wallet_transactions_booking_id on public.wallet_transactions (booking_id);
create index idx_wallet_transactions_payment_id on public.wallet_transactions (payment_id);
create index idx_wallet_transactions_refund_id on public.wallet_transactions (refund_id);
create index idx_wallet_transactions_source_created on public.wallet_transactions (source, created_at desc);
create unique index idx_wallet_transactions_user_id_idempotency_key on public.wallet_transactions (user_id, idempotency_key)
  where idempotency_key is not null;

-- Computes entry_no and balance_after from the user's latest entry. The transaction-scoped
-- advisory lock makes concurrent writers for one user queue here; the latest entry is read
-- after the lock is held, so it includes what the previous writer committed.
create or replace function private.wallet_transactions_apply()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  last_entry integer;
  last_balance bigint;
begin
  perform pg_advisory_xact_lock(hashtext('public.wallet_transactions'), hashtext(new.user_id::text));

  select w.entry_no, w.balance_after into last_entry, last_balance
    from public.wallet_transactions w
   where w.user_id = new.user_id
   order by w.entry_no desc
   limit 1;
  last_entry := coalesce(last_entry, 0);
  last_balance := coalesce(last_balance, 0);

  new.entry_no := last_entry + 1;
  if new.transaction_type = 'credit' then
    new.balance_after := last_balance + new.amount;
  else
    if new.amount > last_balance then
      raise exception 'insufficient wallet balance: debit of % paise, balance is % paise', new.amount, last_balance
        using errcode = '23514', hint = 'the wallet cannot go below zero';
    end if;
    new.balance_after := last_balance - new.amount;
  end if;
  new.created_at := now();
  return new;
end
$$;

create trigger wallet_transactions_apply before insert on public.wallet_transactions
  for each row execute function private.wallet_transactions_apply();

create trigger forbid_change before update or delete on public.wallet_transactions
  for each row execute function private.forbid_change();

alter table public.wallet_transactions enable row level security;

-- Foreign keys left by earlier files -------------------------------------------------------

alter table public.booking_cancellations
  add constraint booking_cancellations_refund_id_fkey
    foreign key (refund_id) references public.refunds (id) on delete set null;

alter table public.vendor_payouts
  add constraint vendor_payouts_settlement_id_fkey
    foreign key (settlement_id) references public.payment_settlements (id) on delete restrict;
