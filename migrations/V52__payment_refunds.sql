-- Payments, part 3: refunds, from either side.
--
-- * Ours: finance refunds a captured payment (partly or fully), or a cancellation's refund is
--   paid out; private.create_refund records it under the payment's row lock (never more than
--   what is left of the payment; the refunds_guard trigger is the last word) and the service
--   then asks the gateway, with the refund's id as the idempotency key. A refund to the OMBARO
--   wallet is credited at once through the wallet ledger.
-- * The gateway's: refund.processed / refund.failed (Razorpay), charge.refunded /
--   refund.created / refund.updated (Stripe) complete the refund we asked for, or record one
--   made at the gateway's dashboard. A refund event for a payment we have not seen yet is
--   parked in the inbox and applied when the payment arrives (V51).
--
-- The payment's refund_amount and status follow from the refunds (V12's trigger); the
-- booking's payment_status follows the payment here.

-- The booking's payment summary from its payments.
create or replace function private.sync_booking_payment_status(booking uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  captured bigint;
  refunded bigint;
  summary text;
begin
  select coalesce(sum(p.total_amount), 0), coalesce(sum(p.refund_amount), 0) into captured, refunded
    from public.payments p
   where p.booking_id = booking and p.status in ('success', 'partially_refunded', 'refunded');
  summary := case
    when captured = 0 then null
    when refunded = 0 then 'paid'
    when refunded >= captured then 'refunded'
    else 'partially_refunded'
  end;
  if summary is not null then
    update public.bookings b set payment_status = summary
     where b.id = booking and b.payment_status is distinct from summary;
  end if;
end
$$;

-- Completes or records a gateway refund against a payment this transaction has locked.
-- Returns 'processed', 'failed' (the gateway says it failed), 'duplicate' (already applied)
-- or 'refused: <why>' (it would refund more than was captured).
create or replace function private.record_gateway_refund(
  payment uuid, refund_reference text, amount bigint, succeeded boolean
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  r record;
  p record;
begin
  select x.id, x.booking_id, x.status into p from public.payments x where x.id = payment for update;
  select x.id, x.status into r from public.refunds x where x.gateway_refund_id = refund_reference for update;
  if not found then
    -- A refund we asked for and the gateway now names.
    select x.id, x.status into r
      from public.refunds x
     where x.payment_id = p.id and x.gateway_refund_id is null and x.amount = record_gateway_refund.amount
       and x.status in ('requested', 'approved', 'processing')
     order by x.created_at
     limit 1
       for update;
  end if;
  if r.id is not null then
    -- Final states stay final; a failed refund may still be reported processed later.
    if r.status in ('processed', 'rejected') or (r.status = 'failed' and not succeeded) then
      return 'duplicate';
    end if;
    update public.refunds x
       set gateway_refund_id = refund_reference,
           status = case when succeeded then 'processed' else 'failed' end,
           approved_at = coalesce(x.approved_at, now()),
           processed_at = case when succeeded then now() else x.processed_at end,
           failure_reason = case when succeeded then null else 'the gateway reported the refund failed' end
     where x.id = r.id;
  elsif succeeded then
    begin
      insert into public.refunds (payment_id, amount, reason, reason_code, refund_method, status, gateway_refund_id,
                                  approved_at, processed_at)
      values (p.id, amount, 'refunded at the gateway', 'other', 'original_method', 'processed', refund_reference,
              now(), now());
    exception when check_violation then
      return 'refused: ' || sqlerrm;
    end;
  else
    return 'failed';
  end if;
  perform private.sync_booking_payment_status(p.booking_id);
  return case when succeeded then 'processed' else 'failed' end;
end
$$;

-- A gateway refund event. Returns 'processed', 'failed', 'duplicate', 'parked' (its payment
-- is not here yet) or 'flagged' (it would refund more than was captured).
create or replace function private.apply_refund_event(
  provider text, event_id text, event_type text, payload jsonb,
  refund_reference text, payment_reference text, amount bigint, succeeded boolean
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  p record;
  outcome text;
begin
  if not private.record_webhook_event(provider, event_id, event_type, payload, 'processed') then
    return 'duplicate';
  end if;
  perform private.payment_event_lock(provider, payment_reference);
  select x.id, x.booking_id into p
    from public.payments x
   where x.payment_gateway = apply_refund_event.provider and x.gateway_transaction_id = payment_reference
     and x.status in ('success', 'partially_refunded', 'refunded')
     for update;
  if not found then
    update private.webhook_events e
       set status = 'pending', payment_reference = apply_refund_event.payment_reference,
           refund_reference = apply_refund_event.refund_reference, amount = apply_refund_event.amount,
           refund_succeeded = succeeded, detail = 'waiting for its payment'
     where e.provider = apply_refund_event.provider and e.event_id = apply_refund_event.event_id;
    return 'parked';
  end if;
  outcome := private.record_gateway_refund(p.id, refund_reference, amount, succeeded);
  update private.webhook_events e
     set status = case when outcome like 'refused%' then 'flagged' else 'processed' end,
         detail = case when outcome like 'refused%' then outcome end,
         booking_id = p.booking_id, payment_reference = apply_refund_event.payment_reference,
         refund_reference = apply_refund_event.refund_reference, amount = apply_refund_event.amount,
         refund_succeeded = succeeded, processed_at = now()
   where e.provider = apply_refund_event.provider and e.event_id = apply_refund_event.event_id;
  return case when outcome like 'refused%' then 'flagged' else outcome end;
end
$$;

-- A parked refund event, now that its payment is here (called by apply_payment_capture).
create or replace function private.apply_parked_refund(
  provider text, event_id text, refund_reference text, payment_reference text, amount bigint, succeeded boolean
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  p uuid;
  outcome text;
begin
  select x.id into p from public.payments x
   where x.payment_gateway = apply_parked_refund.provider and x.gateway_transaction_id = payment_reference
     and x.status in ('success', 'partially_refunded', 'refunded');
  if p is null then
    return 'parked';
  end if;
  outcome := private.record_gateway_refund(p, refund_reference, amount, succeeded);
  update private.webhook_events e
     set status = case when outcome like 'refused%' then 'flagged' else 'processed' end,
         detail = case when outcome like 'refused%' then outcome else 'applied once its payment arrived' end,
         processed_at = now()
   where e.provider = apply_parked_refund.provider and e.event_id = apply_parked_refund.event_id;
  return outcome;
end
$$;

-- Our own refund of a captured payment: by finance, or for a cancellation. `idempotency_key`
-- makes a repeated request return the first refund. Returns {outcome, refund_id, status,
-- amount, refund_method, gateway, gateway_payment_id, customer_id}; outcome 'created',
-- 'existing', 'payment_not_found', 'not_captured', 'exceeds_captured' or 'invalid_amount'.
create or replace function private.create_refund(
  payment uuid, amount bigint, reason text, reason_code text, refund_method text,
  requested_by uuid, idempotency_key text
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  p record;
  r record;
  refunded bigint;
begin
  select x.id, x.booking_id, x.customer_id, x.status, x.total_amount, x.payment_gateway, x.gateway_transaction_id
    into p
    from public.payments x where x.id = create_refund.payment for update;
  if not found then
    return jsonb_build_object('outcome', 'payment_not_found');
  end if;
  select x.id, x.status, x.amount, x.refund_method into r
    from public.refunds x
   where x.payment_id = p.id and x.metadata ->> 'idempotency_key' = create_refund.idempotency_key;
  if found then
    return jsonb_build_object('outcome', 'existing', 'refund_id', r.id, 'status', r.status, 'amount', r.amount,
      'refund_method', r.refund_method, 'gateway', p.payment_gateway, 'gateway_payment_id', p.gateway_transaction_id,
      'customer_id', p.customer_id);
  end if;
  if amount is null or amount <= 0 then
    return jsonb_build_object('outcome', 'invalid_amount');
  end if;
  if p.status not in ('success', 'partially_refunded') then
    return jsonb_build_object('outcome', 'not_captured', 'status', p.status);
  end if;
  select coalesce(sum(x.amount), 0) into refunded
    from public.refunds x where x.payment_id = p.id and x.status not in ('failed', 'rejected');
  if refunded + amount > p.total_amount then
    return jsonb_build_object('outcome', 'exceeds_captured', 'refundable', p.total_amount - refunded);
  end if;

  insert into public.refunds (payment_id, amount, reason, reason_code, refund_method, status, requested_by,
                              approved_by, approved_at, processed_at, metadata)
  values (p.id, amount, coalesce(nullif(reason, ''), 'refund'), coalesce(reason_code, 'other'), refund_method,
          case when refund_method = 'wallet' then 'processed' else 'processing' end,
          requested_by, requested_by, now(),
          case when refund_method = 'wallet' then now() end,
          jsonb_build_object('idempotency_key', idempotency_key))
  returning id, status, amount into r;

  if refund_method = 'wallet' then
    insert into public.wallet_transactions (user_id, transaction_type, amount, balance_after, source, booking_id,
                                            payment_id, refund_id, description, idempotency_key)
    values (p.customer_id, 'credit', amount, 0, 'refund', p.booking_id, p.id, r.id,
            'Refund to OMBARO wallet', 'refund:' || r.id);
    perform private.sync_booking_payment_status(p.booking_id);
  end if;
  return jsonb_build_object('outcome', 'created', 'refund_id', r.id, 'status', r.status, 'amount', r.amount,
    'refund_method', refund_method, 'gateway', p.payment_gateway, 'gateway_payment_id', p.gateway_transaction_id,
    'customer_id', p.customer_id);
end
$$;

-- The refund a cancellation owes (booking_cancellations.refund_due), against the booking's
-- captured payment; the cancellation's id is the idempotency key, so it is paid once.
create or replace function private.refund_for_cancellation(cancellation uuid, to_wallet boolean)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  c record;
  p uuid;
  result jsonb;
begin
  select x.id, x.booking_id, x.refund_due, x.refund_id into c
    from public.booking_cancellations x where x.id = cancellation for update;
  if not found then
    return jsonb_build_object('outcome', 'cancellation_not_found');
  end if;
  if c.refund_due <= 0 then
    return jsonb_build_object('outcome', 'nothing_due');
  end if;
  -- A refunded payment still answers a repeated request with the refund already made.
  select x.id into p from public.payments x
   where x.booking_id = c.booking_id and x.status in ('success', 'partially_refunded', 'refunded')
   order by x.payment_date
   limit 1;
  if p is null then
    return jsonb_build_object('outcome', 'not_captured');
  end if;
  result := private.create_refund(p, c.refund_due, 'booking cancelled', 'booking_cancelled',
                                  case when to_wallet then 'wallet' else 'original_method' end,
                                  null, 'cancellation:' || c.id);
  if result ? 'refund_id' and c.refund_id is null then
    update public.booking_cancellations x set refund_id = (result ->> 'refund_id')::uuid where x.id = c.id;
  end if;
  return result;
end
$$;

-- The gateway accepted (or refused) a refund we asked for.
create or replace function private.attach_gateway_refund(refund uuid, gateway_refund_id text, succeeded boolean)
returns void
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  r record;
begin
  select x.id, x.payment_id, x.status into r from public.refunds x where x.id = refund for update;
  if r.status in ('processed', 'failed', 'rejected') then
    if r.status <> 'processed' or succeeded then
      update public.refunds x set gateway_refund_id = coalesce(x.gateway_refund_id, attach_gateway_refund.gateway_refund_id)
       where x.id = r.id;
      return;
    end if;
  end if;
  update public.refunds x
     set gateway_refund_id = coalesce(attach_gateway_refund.gateway_refund_id, x.gateway_refund_id),
         status = case when succeeded then x.status else 'failed' end,
         failure_reason = case when succeeded then null else 'the gateway refused the refund' end
   where x.id = r.id;
end
$$;

revoke execute on function
  private.sync_booking_payment_status(uuid),
  private.record_gateway_refund(uuid, text, bigint, boolean),
  private.apply_refund_event(text, text, text, jsonb, text, text, bigint, boolean),
  private.apply_parked_refund(text, text, text, text, bigint, boolean),
  private.create_refund(uuid, bigint, text, text, text, uuid, text),
  private.refund_for_cancellation(uuid, boolean),
  private.attach_gateway_refund(uuid, text, boolean)
  from public, anon, authenticated;
grant execute on function
  private.apply_refund_event(text, text, text, jsonb, text, text, bigint, boolean),
  private.create_refund(uuid, bigint, text, text, text, uuid, text),
  private.refund_for_cancellation(uuid, boolean),
  private.attach_gateway_refund(uuid, text, boolean)
  to service_role;
