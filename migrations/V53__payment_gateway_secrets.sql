-- Payments, part 4: webhook secrets that rotate without losing events, and events that are
-- only recorded.
--
-- A gateway keeps signing retries of older events with the secret they were first sent
-- with (Razorpay does for up to 24 hours), so installing a new webhook secret keeps the
-- previous one valid for 24 hours. The payment service reads the secrets on every webhook
-- (decrypted inside its transaction), so a newly installed one applies to the next request
-- without a restart.

alter table public.payment_gateways
  add column webhook_secret_previous_encrypted bytea,
  add column webhook_secret_rotated_at timestamptz;

comment on column public.payment_gateways.webhook_secret_previous_encrypted is
  'The webhook secret before the last rotation, still accepted for 24 hours after webhook_secret_rotated_at.';
comment on column public.payment_gateways.webhook_secret_rotated_at is 'When the webhook secret was last replaced.';

-- Finance and IT may see when the secret last rotated; the previous ciphertext, like the
-- current one, is granted to no API role.
grant select (webhook_secret_rotated_at) on public.payment_gateways to authenticated;

create or replace function public.set_payment_gateway_secrets(gateway_id uuid, secret text default null, webhook_secret text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.has_permission('api_keys', 'update') then
    raise exception 'only IT (api_keys.update) may install gateway secrets' using errcode = '42501';
  end if;
  if secret is not null and length(secret) < 8 or webhook_secret is not null and length(webhook_secret) < 8 then
    raise exception 'a gateway secret has at least 8 characters' using errcode = '22023';
  end if;
  update public.payment_gateways g
     set secret_encrypted = coalesce(private.encrypt_text(secret), g.secret_encrypted),
         secret_last4 = coalesce(private.mask_last4(secret), g.secret_last4),
         webhook_secret_previous_encrypted = case
           when webhook_secret is null then g.webhook_secret_previous_encrypted
           else g.webhook_secret_encrypted end,
         webhook_secret_rotated_at = case
           when webhook_secret is null then g.webhook_secret_rotated_at
           when g.webhook_secret_encrypted is null then null
           else now() end,
         webhook_secret_encrypted = coalesce(private.encrypt_text(webhook_secret), g.webhook_secret_encrypted),
         webhook_secret_last4 = coalesce(private.mask_last4(webhook_secret), g.webhook_secret_last4)
   where g.id = set_payment_gateway_secrets.gateway_id;
  if not found then
    raise exception 'no payment gateway %', gateway_id using errcode = 'P0002';
  end if;
end
$$;

comment on function public.set_payment_gateway_secrets(uuid, text, text) is
  'Encrypts and stores a gateway''s API and webhook secrets (IT only); the masked last four are kept for display, and a replaced webhook secret stays valid for 24 hours.';

-- The webhook secrets a gateway's events may be signed with right now, current first.
create or replace function private.gateway_webhook_secrets(provider text)
returns table (secret text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select s.secret
    from public.payment_gateways g
   cross join lateral (
     select private.decrypt_text(g.webhook_secret_encrypted) as secret, 1 as rank
     union all
     select private.decrypt_text(g.webhook_secret_previous_encrypted), 2
      where g.webhook_secret_rotated_at > now() - interval '24 hours'
   ) s
   where g.code = provider and s.secret is not null
   order by s.rank;
end
$$;

-- An event recorded in the inbox with no effect on money: 'ignored' (a type we do not act
-- on, such as payment.authorized before its capture) or 'flagged' (a dispute: finance is
-- told). Returns 'duplicate' when the event was already in.
create or replace function private.record_event_only(
  provider text, event_id text, event_type text, payload jsonb, status text, detail text
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  if not private.record_webhook_event(provider, event_id, event_type, payload, status) then
    return 'duplicate';
  end if;
  perform private.settle_webhook_event(provider, event_id, status, detail);
  if status = 'flagged' then
    perform private.enqueue_payment_notification('payment.flagged', null,
      coalesce(private.setting_now('finance_alert_email') #>> '{}', 'finance@ombaro.in'), 'email', 'payment_flagged',
      jsonb_build_object('gateway', provider, 'event_id', event_id, 'event_type', event_type, 'problem', detail),
      'payment.flagged:' || provider || ':' || event_id);
  end if;
  return status;
end
$$;

revoke execute on function private.gateway_webhook_secrets(text), private.record_event_only(text, text, text, jsonb, text, text)
  from public, anon, authenticated;
grant execute on function private.gateway_webhook_secrets(text), private.record_event_only(text, text, text, jsonb, text, text)
  to service_role;

-- The API credentials of an active gateway, decrypted inside the caller's transaction (the
-- payment service's, when no keys are set in its environment).
create or replace function private.gateway_credentials(provider text)
returns table (key_id text, secret text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select g.key_id, private.decrypt_text(g.secret_encrypted)
    from public.payment_gateways g
   where g.code = provider and g.is_active and g.key_id is not null and g.secret_encrypted is not null;
end
$$;

revoke execute on function private.gateway_credentials(text) from public, anon, authenticated;
grant execute on function private.gateway_credentials(text) to service_role;
