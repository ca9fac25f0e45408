-- Payments, part 5: settling vendors for a period.
--
-- The payment core (functions/payments, settlement.rs) computes a vendor's settlement from
-- plain inputs: commission at the vendor's rate, 18 % GST on it, TDS under section 194-O,
-- GST TCS under section 52, refunds as adjustments, net payable; one rounding rule, rates
-- taken from effective-dated settings. These functions are its two ends in the database:
-- private.settlement_inputs reads everything a period needs, and private.record_settlement
-- writes the core's answer in one transaction: the settlement, the commission lines it pays,
-- the TDS/TCS entries and the payout to make. A period that was settled is answered with the
-- existing settlement (a rerun changes nothing); one that overlaps another is refused.

-- The statutory rates, effective-dated, in basis points: never constants in code.
insert into public.system_settings (key, value, effective_from, description, is_public)
values
  ('commission_gst_rate', '1800', '-infinity', 'GST charged to vendors on the platform''s commission, in basis points (18 %).', false),
  ('tds_194o_rate', '100', '-infinity', 'Income-tax TDS under section 194-O on gross sales through the platform, in basis points (1 %).', false),
  ('tds_194o_rate', '10', '2024-10-01 00:00:00+05:30', 'Income-tax TDS under section 194-O, in basis points (0.1 % from 1 October 2024).', false),
  ('tds_194o_no_pan_rate', '500', '-infinity', 'TDS under section 194-O when the vendor has furnished no PAN (section 206AA), in basis points (5 %).', false),
  ('gst_tcs_rate', '100', '-infinity', 'GST TCS under section 52 on the net taxable value of supplies, in basis points (1 %).', false),
  ('gst_tcs_rate', '50', '2024-07-10 00:00:00+05:30', 'GST TCS under section 52, in basis points (0.5 % from 10 July 2024).', false)
on conflict (key, effective_from) do nothing;

-- One settlement per vendor and period; two periods of a vendor never overlap.
alter table public.payment_settlements
  add constraint payment_settlements_no_overlap exclude using gist (
    vendor_id with =,
    daterange(settlement_period_start, settlement_period_end, '[]') with &&
  );

-- Everything the core needs to settle [period_start, period_end] (IST dates), one object per
-- vendor with something to settle: its completed, paid and not yet settled bookings of the
-- period, its refunds processed in the period, whether it has a PAN, its settled periods, and
-- every rate row.
create or replace function private.settlement_inputs(period_start date, period_end date)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  rates jsonb;
  result jsonb;
begin
  select coalesce(jsonb_agg(jsonb_build_object(
           'key', s.key,
           'effective_from', case when s.effective_from = '-infinity' then null
                                  else (s.effective_from at time zone 'Asia/Kolkata')::date end,
           'value_bps', (s.value #>> '{}')::integer)), '[]'::jsonb)
    into rates
    from public.system_settings s
   where s.key in ('commission_gst_rate', 'tds_194o_rate', 'tds_194o_no_pan_rate', 'gst_tcs_rate');

  with due as (
    select b.id, b.vendor_id, b.booking_date, b.subtotal - b.discount_amount as taxable, b.tax_amount
      from public.bookings b
     where b.booking_date between period_start and period_end
       and b.status = 'completed'
       and b.payment_status in ('paid', 'partially_refunded', 'refunded')
       and not exists (select 1 from public.commission_records c
                        where c.booking_id = b.id and c.settlement_id is not null)
  ),
  refunded as (
    select b.vendor_id, r.id, r.booking_id, (r.processed_at at time zone 'Asia/Kolkata')::date as processed_on,
           b.booking_date, r.amount,
           case when b.total_amount > 0
                then floor((r.amount::numeric * (b.subtotal - b.discount_amount)) / b.total_amount + 0.5)::bigint
                else 0 end as taxable
      from public.refunds r
      join public.bookings b on b.id = r.booking_id
     where r.status = 'processed'
       and (r.processed_at at time zone 'Asia/Kolkata')::date between period_start and period_end
  ),
  -- Vendors settled for a period touching this one are answered too (a rerun says so; an
  -- overlap is refused), even with nothing new to settle.
  vendors as (
    select vendor_id from due
    union select vendor_id from refunded
    union select s.vendor_id from public.payment_settlements s
     where daterange(s.settlement_period_start, s.settlement_period_end, '[]')
           && daterange(period_start, period_end, '[]')
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'vendor_id', v.id,
           'period', jsonb_build_object('start', period_start, 'end', period_end),
           'vendor_has_pan', v.pan_number_encrypted is not null,
           'bookings', coalesce((select jsonb_agg(jsonb_build_object(
                          'booking_id', d.id, 'service_date', d.booking_date, 'taxable_value', d.taxable,
                          'gst_amount', d.tax_amount, 'commission_rate_bps', (v.commission_rate * 100)::integer)
                          order by d.booking_date, d.id)
                        from due d where d.vendor_id = v.id), '[]'::jsonb),
           'refunds', coalesce((select jsonb_agg(jsonb_build_object(
                         'refund_id', f.id, 'booking_id', f.booking_id, 'processed_on', f.processed_on,
                         'supply_date', f.booking_date, 'amount', f.amount, 'taxable_value', f.taxable)
                         order by f.processed_on, f.id)
                       from refunded f where f.vendor_id = v.id), '[]'::jsonb),
           'settled_periods', coalesce((select jsonb_agg(jsonb_build_object(
                                 'start', s.settlement_period_start, 'end', s.settlement_period_end))
                               from public.payment_settlements s where s.vendor_id = v.id), '[]'::jsonb),
           'rates', rates)
         order by v.id), '[]'::jsonb)
    into result
    from vendors x
    join public.vendors v on v.id = x.vendor_id;
  return result;
end
$$;

-- Writes one vendor's settlement as the core computed it (its JSON). Returns {outcome,
-- settlement_id}: 'created', or 'existing' when exactly this period is already settled (then
-- nothing changes). An overlapping period is refused by the exclusion constraint (23P01).
create or replace function private.record_settlement(settlement jsonb, approved_by uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  vendor uuid := (settlement ->> 'vendor_id')::uuid;
  starts date := (settlement #>> '{period,start}')::date;
  ends date := (settlement #>> '{period,end}')::date;
  existing uuid;
  created uuid;
  line jsonb;
  tax jsonb;
  net bigint := (settlement ->> 'net_settlement_amount')::bigint;
  account uuid;
  pan text;
begin
  -- One runner per vendor at a time: a concurrent rerun waits, then finds the first one's.
  perform pg_advisory_xact_lock(hashtext('private.record_settlement'), hashtext(vendor::text));
  select s.id into existing from public.payment_settlements s
   where s.vendor_id = vendor and s.settlement_period_start = starts and s.settlement_period_end = ends;
  if existing is not null then
    return jsonb_build_object('outcome', 'existing', 'settlement_id', existing);
  end if;

  insert into public.payment_settlements (vendor_id, settlement_period_start, settlement_period_end, total_bookings,
                                          gross_amount, commission_amount, commission_gst_amount, tds_amount,
                                          tcs_amount, adjustment_amount, net_settlement_amount, status, notes)
  values (vendor, starts, ends, (settlement ->> 'total_bookings')::integer,
          (settlement ->> 'gross_amount')::bigint, (settlement ->> 'commission_amount')::bigint,
          (settlement ->> 'commission_gst_amount')::bigint, (settlement ->> 'tds_amount')::bigint,
          (settlement ->> 'tcs_amount')::bigint, (settlement ->> 'adjustment_amount')::bigint, net, 'pending',
          'computed by the payment service')
  returning id into created;

  for line in select * from jsonb_array_elements(settlement -> 'lines') loop
    update public.commission_records c
       set commission_rate = (line ->> 'commission_rate_bps')::numeric / 100,
           gross_amount = (line ->> 'gross_amount')::bigint,
           commission_amount = (line ->> 'commission_amount')::bigint,
           gst_on_commission = (line ->> 'commission_gst_amount')::bigint,
           tds_amount = (line ->> 'tds_amount')::bigint,
           tcs_amount = (line ->> 'tcs_amount')::bigint,
           net_to_vendor = (line ->> 'net_to_vendor')::bigint,
           settlement_id = created,
           status = 'settled'
     where c.booking_id = (line ->> 'booking_id')::uuid and c.settlement_id is null;
    if not found then
      insert into public.commission_records (booking_id, payment_id, vendor_id, commission_rate, gross_amount,
                                             commission_amount, gst_on_commission, tds_amount, tcs_amount,
                                             net_to_vendor, settlement_id, status)
      values ((line ->> 'booking_id')::uuid,
              (select p.id from public.payments p where p.booking_id = (line ->> 'booking_id')::uuid
                  and p.status in ('success', 'partially_refunded', 'refunded') order by p.payment_date limit 1),
              vendor, (line ->> 'commission_rate_bps')::numeric / 100, (line ->> 'gross_amount')::bigint,
              (line ->> 'commission_amount')::bigint, (line ->> 'commission_gst_amount')::bigint,
              (line ->> 'tds_amount')::bigint, (line ->> 'tcs_amount')::bigint, (line ->> 'net_to_vendor')::bigint,
              created, 'settled');
    end if;
  end loop;

  select private.decrypt_text(v.pan_number_encrypted) into pan from public.vendors v where v.id = vendor;
  for tax in select * from jsonb_array_elements(settlement -> 'tax') loop
    continue when (tax ->> 'tax_amount')::bigint <= 0;
    insert into public.tax_records (tax_type, section, return_type, period_start, period_end, financial_year,
                                    vendor_id, counterparty_pan, settlement_id, taxable_amount, tax_rate, tax_amount)
    values (case tax ->> 'tax_type' when 'tds' then 'tds' else 'gst_tcs' end, tax ->> 'section', tax ->> 'return_type',
            starts, ends, private.financial_year(ends), vendor,
            case when tax ->> 'tax_type' = 'tds' and pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$' then pan end,
            created, (tax ->> 'taxable_amount')::bigint, (tax ->> 'rate_bps')::numeric / 100,
            (tax ->> 'tax_amount')::bigint);
  end loop;

  if net > 0 then
    select a.id into account from public.vendor_bank_accounts a
     where a.vendor_id = vendor and a.is_primary order by a.created_at limit 1;
    insert into public.vendor_payouts (payout_number, vendor_id, settlement_id, bank_account_id, amount, tds_amount,
                                       payout_mode, status, initiated_by, notes)
    values ('PO-' || to_char(ends, 'YYYYMMDD') || '-' || left(replace(vendor::text, '-', ''), 12), vendor, created,
            account, net, (settlement ->> 'tds_amount')::bigint,
            case when net >= 20000000 then 'RTGS' else 'NEFT' end, 'pending', approved_by,
            format('settlement %s to %s', starts, ends));
  end if;
  return jsonb_build_object('outcome', 'created', 'settlement_id', created);
end
$$;

revoke execute on function private.settlement_inputs(date, date), private.record_settlement(jsonb, uuid)
  from public, anon, authenticated;
grant execute on function private.settlement_inputs(date, date), private.record_settlement(jsonb, uuid)
  to service_role;
