-- Marketing: campaigns and their daily channel metrics, promotions and the coupon codes
-- that carry them, redemption records, email templates and referral rewards.
--
-- Discounts are money leaving the platform, so redemption limits are enforced here and not
-- only in the apps: recording a promotion or coupon use locks and counts against the
-- promotion or code row in the same transaction, and the check constraints on the counters
-- reject the redemption that would go over a limit, however many clients race for it.

-- campaigns --------------------------------------------------------------------------------

create table public.campaigns (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  type text not null check (type in ('email', 'sms', 'push', 'in_app', 'whatsapp', 'multi_channel')),
  status text not null default 'draft' check (status in ('draft', 'scheduled', 'active', 'paused', 'completed', 'cancelled')),
  target_audience jsonb,
  content jsonb not null,
  start_date timestamptz,
  end_date timestamptz,
  budget bigint check (budget >= 0),
  created_by uuid not null references public.employees (id) on delete restrict,
  approved_by uuid references public.employees (id) on delete set null,
  approved_at timestamptz,
  metrics jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaigns_dates_check check (end_date is null or start_date is null or end_date > start_date),
  constraint campaigns_content_object check (jsonb_typeof(content) = 'object'),
  -- A campaign reaches customers only once someone other than its author signed it off.
  constraint campaigns_live_needs_approval check (status not in ('scheduled', 'active') or approved_at is not null)
);

create index idx_campaigns_status on public.campaigns (status);
create index idx_campaigns_dates on public.campaigns (start_date, end_date);
create index idx_campaigns_created_by on public.campaigns (created_by);
create index idx_campaigns_approved_by on public.campaigns (approved_by);

create trigger set_updated_at before update on public.campaigns
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.campaigns
  for each row execute function private.audit_row();

alter table public.campaigns enable row level security;

comment on table public.campaigns is 'Outbound marketing campaigns run by the marketing department; a campaign needs approval before it is scheduled or goes live.';
comment on column public.campaigns.type is 'Delivery channel; multi_channel campaigns fan out per channel in campaign_analytics.';
comment on column public.campaigns.target_audience is 'Audience filter, e.g. {"tier": ["gold"], "city_ids": [...], "age_range": [25, 40], "last_booking_days": 90}.';
comment on column public.campaigns.content is 'Creative per channel: {"subject", "body", "images", "cta", "template_code"}.';
comment on column public.campaigns.budget is 'Spend cap in paise; null means no cap was set.';
comment on column public.campaigns.approved_at is 'When approved_by signed the campaign off; kept even if that employee is later removed.';
comment on column public.campaigns.metrics is 'Lifetime totals {sent, delivered, opened, clicked, converted} denormalised from campaign_analytics for list screens.';

-- campaign_analytics -----------------------------------------------------------------------

create table public.campaign_analytics (
  id uuid primary key default gen_random_uuid(),
  campaign_id uuid not null references public.campaigns (id) on delete cascade,
  metric_date date not null,
  channel text not null check (channel in ('email', 'sms', 'push', 'in_app', 'whatsapp')),
  sent integer not null default 0 check (sent >= 0),
  delivered integer not null default 0 check (delivered >= 0),
  opened integer not null default 0 check (opened >= 0),
  clicked integer not null default 0 check (clicked >= 0),
  converted integer not null default 0 check (converted >= 0),
  unsubscribed integer not null default 0 check (unsubscribed >= 0),
  revenue bigint not null default 0 check (revenue >= 0),
  cost bigint not null default 0 check (cost >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaign_analytics_delivered_le_sent check (delivered <= sent),
  constraint campaign_analytics_grain_key unique (campaign_id, metric_date, channel)
);

create index idx_campaign_analytics_metric_date on public.campaign_analytics (metric_date);
create index idx_campaign_analytics_channel_date on public.campaign_analytics (channel, metric_date);

create trigger set_updated_at before update on public.campaign_analytics
  for each row execute function private.set_updated_at();

alter table public.campaign_analytics enable row level security;

comment on table public.campaign_analytics is 'One row per campaign, IST calendar day and channel; upserted by the analytics job from the communication logs and conversions.';
comment on column public.campaign_analytics.metric_date is 'Calendar day in Asia/Kolkata the counts belong to.';
comment on column public.campaign_analytics.converted is 'Bookings attributed to the campaign that day (see conversion_tracking).';
comment on column public.campaign_analytics.revenue is 'Booking revenue attributed to the campaign that day, in paise.';
comment on column public.campaign_analytics.cost is 'Channel spend that day (SMS/WhatsApp/ads), in paise.';

-- promotions -------------------------------------------------------------------------------

create table public.promotions (
  id uuid primary key default gen_random_uuid(),
  code text not null unique,
  name text not null,
  description text,
  type text not null check (type in ('percentage', 'fixed_amount', 'free_service', 'free_addon')),
  discount_value bigint not null check (discount_value >= 0),
  min_booking_amount bigint not null default 0 check (min_booking_amount >= 0),
  max_discount_amount bigint check (max_discount_amount >= 0),
  applicable_services uuid[] not null default '{}',
  applicable_vendors uuid[] not null default '{}',
  applicable_categories uuid[] not null default '{}',
  usage_limit_per_customer integer default 1 check (usage_limit_per_customer > 0),
  total_usage_limit integer check (total_usage_limit > 0),
  current_usage_count integer not null default 0 check (current_usage_count >= 0),
  first_booking_only boolean not null default false,
  funded_by text not null default 'platform' check (funded_by in ('platform', 'vendor', 'shared')),
  campaign_id uuid references public.campaigns (id) on delete set null,
  valid_from timestamptz not null,
  valid_to timestamptz not null,
  terms_and_conditions text,
  status text not null default 'active' check (status in ('active', 'inactive', 'expired')),
  created_by uuid not null references public.employees (id) on delete restrict,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint promotions_validity_check check (valid_to > valid_from),
  constraint promotions_usage_limit_check check (total_usage_limit is null or current_usage_count <= total_usage_limit),
  -- Basis points: 1 to 10000 (0.01 % to 100 %).
  constraint promotions_percentage_range check (type <> 'percentage' or discount_value between 1 and 10000),
  constraint promotions_fixed_amount_positive check (type <> 'fixed_amount' or discount_value > 0)
);

-- Codes are typed by people: WELCOME50 and welcome50 must be the same promotion.
create unique index idx_promotions_code_upper on public.promotions (upper(code));
create index idx_promotions_status on public.promotions (status);
create index idx_promotions_dates on public.promotions (valid_from, valid_to);
create index idx_promotions_campaign_id on public.promotions (campaign_id);
create index idx_promotions_created_by on public.promotions (created_by);
create index idx_promotions_applicable_vendors on public.promotions using gin (applicable_vendors);
create index idx_promotions_applicable_services on public.promotions using gin (applicable_services);

create trigger set_updated_at before update on public.promotions
  for each row execute function private.set_updated_at();
-- Every redemption bumps current_usage_count; changes to the offer itself are audited.
create trigger audit_row after insert or delete on public.promotions
  for each row execute function private.audit_row();
create trigger audit_row_update after update of code, name, description, type, discount_value, min_booking_amount,
  max_discount_amount, applicable_services, applicable_vendors, applicable_categories, usage_limit_per_customer,
  total_usage_limit, first_booking_only, funded_by, campaign_id, valid_from, valid_to, terms_and_conditions, status, created_by
  on public.promotions
  for each row execute function private.audit_row();

alter table public.promotions enable row level security;

comment on table public.promotions is 'Discount rules customers apply at checkout, either by the promotion code itself or through individual coupon_codes.';
comment on column public.promotions.code is 'Public code; unique regardless of letter case.';
comment on column public.promotions.discount_value is 'Unit depends on type: percentage = basis points (1250 = 12.5 %, so discount = amount * value / 10000 in integer paise); fixed_amount = paise off; free_service and free_addon = 0 (the free item is in the booking lines).';
comment on column public.promotions.min_booking_amount is 'Smallest booking subtotal the promotion applies to, in paise; 0 means any amount.';
comment on column public.promotions.max_discount_amount is 'Cap on the discount of one booking, in paise; null means no cap.';
comment on column public.promotions.applicable_services is 'services.id the promotion is limited to; empty means all services.';
comment on column public.promotions.applicable_vendors is 'vendors.id the promotion is limited to; empty means all vendors.';
comment on column public.promotions.applicable_categories is 'service_categories.id the promotion is limited to; empty means all categories.';
comment on column public.promotions.usage_limit_per_customer is 'Redemptions allowed per customer; null means unlimited.';
comment on column public.promotions.total_usage_limit is 'Redemptions allowed in total; null means unlimited.';
comment on column public.promotions.current_usage_count is 'Kept by the promotion_usage trigger; never written by apps.';
comment on column public.promotions.funded_by is 'Who bears the discount at settlement: the platform, the vendor, or both.';

-- promotion_usage --------------------------------------------------------------------------

create table public.promotion_usage (
  id uuid primary key default gen_random_uuid(),
  promotion_id uuid not null references public.promotions (id) on delete restrict,
  customer_id uuid not null references public.customers (id) on delete cascade,
  booking_id uuid not null references public.bookings (id) on delete cascade,
  discount_amount bigint not null check (discount_amount >= 0),
  used_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint promotion_usage_promotion_booking_key unique (promotion_id, booking_id)
);

-- A promotion's uses are found through the unique (promotion_id, booking_id) index.
create index idx_promotion_usage_customer on public.promotion_usage (customer_id, promotion_id);
create index idx_promotion_usage_booking on public.promotion_usage (booking_id);
create index idx_promotion_usage_used_at on public.promotion_usage (used_at);

alter table public.promotion_usage enable row level security;

comment on table public.promotion_usage is 'One row per promotion applied to a booking; inserting it consumes the promotion, deleting it (booking removed) gives the use back.';
comment on column public.promotion_usage.discount_amount is 'Discount actually granted on the booking, in paise.';

-- Counts a redemption against its promotion. The update locks the promotion row, so
-- concurrent redemptions queue up and the limit check constraint sees every earlier one.
create or replace function private.count_promotion_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  promo public.promotions%rowtype;
  used_by_customer integer;
begin
  if tg_op = 'DELETE' then
    update public.promotions
       set current_usage_count = greatest(current_usage_count - 1, 0)
     where id = old.promotion_id;
    return old;
  end if;

  update public.promotions
     set current_usage_count = current_usage_count + 1
   where id = new.promotion_id
  returning * into promo;

  if promo.status <> 'active' then
    raise exception 'promotion % is %', promo.code, promo.status using errcode = '23514';
  end if;
  if new.used_at < promo.valid_from or new.used_at >= promo.valid_to then
    raise exception 'promotion % is not valid at %', promo.code, new.used_at using errcode = '23514';
  end if;
  if promo.usage_limit_per_customer is not null then
    select count(*) into used_by_customer
      from public.promotion_usage u
     where u.promotion_id = new.promotion_id
       and u.customer_id = new.customer_id;
    if used_by_customer >= promo.usage_limit_per_customer then
      raise exception 'promotion % already used % time(s) by this customer', promo.code, used_by_customer
        using errcode = '23514';
    end if;
  end if;
  return new;
end
$$;

create trigger count_promotion_usage before insert or delete on public.promotion_usage
  for each row execute function private.count_promotion_usage();

-- coupon_codes -----------------------------------------------------------------------------

create table public.coupon_codes (
  id uuid primary key default gen_random_uuid(),
  code text not null,
  promotion_id uuid not null references public.promotions (id) on delete cascade,
  customer_id uuid references public.customers (id) on delete cascade,
  campaign_id uuid references public.campaigns (id) on delete set null,
  max_uses integer not null default 1 check (max_uses > 0),
  times_used integer not null default 0 check (times_used >= 0),
  valid_from timestamptz,
  valid_to timestamptz,
  status text not null default 'active' check (status in ('active', 'redeemed', 'expired', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint coupon_codes_uses_check check (times_used <= max_uses),
  constraint coupon_codes_validity_check check (valid_to is null or valid_from is null or valid_to > valid_from),
  constraint coupon_codes_code_format check (code ~ '^[A-Za-z0-9_-]{4,32}$')
);

create unique index idx_coupon_codes_code_upper on public.coupon_codes (upper(code));
create index idx_coupon_codes_promotion_id on public.coupon_codes (promotion_id);
create index idx_coupon_codes_customer_id on public.coupon_codes (customer_id);
create index idx_coupon_codes_campaign_id on public.coupon_codes (campaign_id);
create index idx_coupon_codes_status on public.coupon_codes (status);
-- The expiry job walks live codes by end date.
create index idx_coupon_codes_active_valid_to on public.coupon_codes (valid_to) where status = 'active';

create trigger set_updated_at before update on public.coupon_codes
  for each row execute function private.set_updated_at();

alter table public.coupon_codes enable row level security;

comment on table public.coupon_codes is 'Individual single- or multi-use codes of a promotion, optionally issued to one customer or through a campaign.';
comment on column public.coupon_codes.code is 'Code as printed; unique regardless of letter case.';
comment on column public.coupon_codes.customer_id is 'Only this customer may redeem the code; null means anyone holding it.';
comment on column public.coupon_codes.times_used is 'Kept by the coupon_usages trigger; reaching max_uses marks the code redeemed.';
comment on column public.coupon_codes.valid_from is 'Narrows the promotion window for this code; null means the promotion''s own valid_from.';
comment on column public.coupon_codes.valid_to is 'Narrows the promotion window for this code; null means the promotion''s own valid_to.';

-- coupon_usages ----------------------------------------------------------------------------

create table public.coupon_usages (
  id uuid primary key default gen_random_uuid(),
  coupon_code_id uuid not null references public.coupon_codes (id) on delete restrict,
  customer_id uuid not null references public.customers (id) on delete cascade,
  booking_id uuid not null references public.bookings (id) on delete cascade,
  discount_amount bigint not null check (discount_amount >= 0),
  used_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint coupon_usages_coupon_booking_key unique (coupon_code_id, booking_id)
);

create index idx_coupon_usages_customer_id on public.coupon_usages (customer_id);
create index idx_coupon_usages_booking_id on public.coupon_usages (booking_id);
create index idx_coupon_usages_used_at on public.coupon_usages (used_at);

alter table public.coupon_usages enable row level security;

comment on table public.coupon_usages is 'One row per coupon code redeemed on a booking; inserting it consumes a use of the code.';
comment on column public.coupon_usages.discount_amount is 'Discount actually granted on the booking, in paise.';

-- Counts a redemption against its code (row lock as for promotions) and checks the code
-- is live, inside its window (or its promotion's) and, if personal, used by its owner.
create or replace function private.count_coupon_usage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  coupon public.coupon_codes%rowtype;
  promo public.promotions%rowtype;
begin
  if tg_op = 'DELETE' then
    update public.coupon_codes
       set times_used = greatest(times_used - 1, 0),
           status = case when status = 'redeemed' then 'active' else status end
     where id = old.coupon_code_id;
    return old;
  end if;

  select * into coupon from public.coupon_codes where id = new.coupon_code_id for update;
  select * into promo from public.promotions where id = coupon.promotion_id;

  if coupon.status <> 'active' then
    raise exception 'coupon % is %', coupon.code, coupon.status using errcode = '23514';
  end if;
  if promo.status <> 'active' then
    raise exception 'promotion % of coupon % is %', promo.code, coupon.code, promo.status using errcode = '23514';
  end if;
  if new.used_at < coalesce(coupon.valid_from, promo.valid_from)
     or new.used_at >= coalesce(coupon.valid_to, promo.valid_to) then
    raise exception 'coupon % is not valid at %', coupon.code, new.used_at using errcode = '23514';
  end if;
  if coupon.customer_id is not null and coupon.customer_id <> new.customer_id then
    raise exception 'coupon % belongs to another customer', coupon.code using errcode = '42501';
  end if;

  update public.coupon_codes
     set times_used = times_used + 1,
         status = case when times_used + 1 >= max_uses then 'redeemed' else status end
   where id = new.coupon_code_id;
  return new;
end
$$;

create trigger count_coupon_usage before insert or delete on public.coupon_usages
  for each row execute function private.count_coupon_usage();

-- email_templates --------------------------------------------------------------------------

create table public.email_templates (
  id uuid primary key default gen_random_uuid(),
  code text not null check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  subject text not null,
  html_body text not null,
  text_body text,
  variables text[] not null default '{}',
  locale text not null default 'en-IN' check (locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  category text not null default 'transactional' check (category in ('transactional', 'marketing')),
  is_active boolean not null default true,
  version integer not null default 1 check (version >= 1),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint email_templates_code_locale_key unique (code, locale)
);

create index idx_email_templates_category on public.email_templates (category);
create index idx_email_templates_active on public.email_templates (is_active);

-- Bumps version whenever what recipients see changes, so email_logs can say which
-- wording a message went out with.
create or replace function private.bump_email_template_version()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.subject, new.html_body, new.text_body) is distinct from (old.subject, old.html_body, old.text_body)
     and new.version = old.version then
    new.version := old.version + 1;
  end if;
  return new;
end
$$;

create trigger bump_version before update on public.email_templates
  for each row execute function private.bump_email_template_version();
create trigger set_updated_at before update on public.email_templates
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.email_templates
  for each row execute function private.audit_row();

alter table public.email_templates enable row level security;

comment on table public.email_templates is 'Email subjects and bodies by code and locale, rendered by the notification worker with {{variable}} placeholders.';
comment on column public.email_templates.code is 'Stable key the apps and notification_queue.template_code refer to, e.g. booking_confirmation.';
comment on column public.email_templates.variables is 'Placeholder names the payload must supply, e.g. {customer_name, booking_number}.';
comment on column public.email_templates.locale is 'BCP 47 tag (en-IN, hi-IN, ...); the worker falls back to en-IN.';
comment on column public.email_templates.category is 'marketing mail honours unsubscribes and consent withdrawal; transactional mail does not need opt-in.';
comment on column public.email_templates.version is 'Incremented automatically when subject or bodies change.';

-- referral_rewards -------------------------------------------------------------------------

create table public.referral_rewards (
  id uuid primary key default gen_random_uuid(),
  referral_id uuid not null references public.customer_referrals (id) on delete restrict,
  beneficiary_id uuid not null references public.customers (id) on delete cascade,
  beneficiary_role text not null check (beneficiary_role in ('referrer', 'referee')),
  reward_type text not null check (reward_type in ('wallet_credit', 'loyalty_points', 'coupon')),
  amount bigint not null default 0 check (amount >= 0),
  points integer not null default 0 check (points >= 0),
  coupon_code_id uuid references public.coupon_codes (id) on delete set null,
  wallet_transaction_id uuid references public.wallet_transactions (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'credited', 'expired', 'reversed')),
  credited_at timestamptz,
  expires_at timestamptz,
  reversed_at timestamptz,
  reversal_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint referral_rewards_referral_beneficiary_key unique (referral_id, beneficiary_id),
  constraint referral_rewards_value_check check (
    (reward_type = 'wallet_credit' and amount > 0)
    or (reward_type = 'loyalty_points' and points > 0)
    or reward_type = 'coupon'
  ),
  constraint referral_rewards_credited_check check (status <> 'credited' or credited_at is not null),
  constraint referral_rewards_reversed_check check (status <> 'reversed' or (reversed_at is not null and reversal_reason is not null))
);

create index idx_referral_rewards_beneficiary_id on public.referral_rewards (beneficiary_id);
create index idx_referral_rewards_status on public.referral_rewards (status);
create index idx_referral_rewards_coupon_code_id on public.referral_rewards (coupon_code_id);
create index idx_referral_rewards_wallet_transaction_id on public.referral_rewards (wallet_transaction_id);
create index idx_referral_rewards_pending_expiry on public.referral_rewards (expires_at) where status = 'pending';

create trigger set_updated_at before update on public.referral_rewards
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.referral_rewards
  for each row execute function private.audit_row();

alter table public.referral_rewards enable row level security;

comment on table public.referral_rewards is 'What each side of a customer referral earns, and whether it has been paid out to the wallet, loyalty points or a coupon.';
comment on column public.referral_rewards.beneficiary_role is 'referrer: the existing customer who shared the code; referee: the new customer.';
comment on column public.referral_rewards.amount is 'Wallet credit in paise (wallet_credit rewards); 0 otherwise.';
comment on column public.referral_rewards.points is 'Loyalty points (loyalty_points rewards); 0 otherwise.';
comment on column public.referral_rewards.coupon_code_id is 'Code issued to the beneficiary (coupon rewards).';
comment on column public.referral_rewards.wallet_transaction_id is 'Ledger entry that credited the wallet, once credited.';
comment on column public.referral_rewards.expires_at is 'A pending reward lapses if its qualifying booking has not completed by then.';

-- Foreign keys left by earlier files -------------------------------------------------------

-- A booking keeps pointing at the promotion and code it was priced with; those are retired
-- (status), not deleted, once used.
alter table public.bookings
  add constraint bookings_promotion_id_fkey foreign key (promotion_id)
  references public.promotions (id) on delete restrict;
alter table public.bookings
  add constraint bookings_coupon_code_id_fkey foreign key (coupon_code_id)
  references public.coupon_codes (id) on delete restrict;
