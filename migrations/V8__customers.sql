-- Customers: the people who book spa visits and home services, their saved addresses,
-- preferences and consents, loyalty tiers and points ledger, referrals, segments, and the
-- record of every complaint and conversation the support team has with them.
--
-- Why it is shaped this way:
-- * A customer row's id is the auth.users id (1:1 with user_profiles), so "my data" is
--   `customer_id = auth.uid()` without a join.
-- * Loyalty points are a ledger. The balance in customers.loyalty_points is only ever moved
--   by a ledger insert, under a row lock on the customer, so the two cannot drift and two
--   concurrent redemptions cannot overspend.
-- * DPDP Act 2023: marketing consent per channel is recorded with the time it was given or
--   withdrawn and the notice version, in customer_preferences.
-- * Customers are soft-deleted (`deleted_at`) and anonymised rather than removed: ledgers,
--   complaints and bookings must keep their customer.

-- customers ------------------------------------------------------------------------------

create table public.customers (
  id uuid primary key references auth.users (id) on delete cascade,
  membership_tier text not null default 'silver' check (membership_tier in ('silver', 'gold', 'platinum', 'diamond')),
  membership_start_date date,
  loyalty_points integer not null default 0 check (loyalty_points >= 0),
  total_bookings integer not null default 0 check (total_bookings >= 0),
  total_spent bigint not null default 0 check (total_spent >= 0),
  preferred_services uuid[],
  preferred_therapists uuid[],
  preferred_vendors uuid[],
  communication_preferences jsonb not null default '{}'::jsonb,
  allergies text[],
  medical_conditions text[],
  special_requirements text,
  referral_code text,
  referred_by uuid references public.customers (id) on delete set null,
  referral_count integer not null default 0 check (referral_count >= 0),
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customers_not_self_referred check (referred_by is null or referred_by <> id)
);

create index idx_customers_tier on public.customers (membership_tier);
create unique index idx_customers_referral_code on public.customers (referral_code);
create index idx_customers_referred_by on public.customers (referred_by);
create index idx_customers_created_at on public.customers (created_at);
create index idx_customers_total_spent on public.customers (total_spent desc) where deleted_at is null;

create trigger set_updated_at before update on public.customers
  for each row execute function private.set_updated_at();

alter table public.customers enable row level security;

comment on table public.customers is 'Customer profile (1:1 with user_profiles): membership, loyalty balance, lifetime totals and care notes. Soft-deleted and anonymised, never removed, once it has history.';
comment on column public.customers.id is 'The customer''s auth.users id.';
comment on column public.customers.membership_tier is 'Current tier; customer_loyalty_tiers holds each tier''s thresholds and benefits.';
comment on column public.customers.loyalty_points is 'Current points balance. Maintained only by inserts into loyalty_points_transactions (equals the latest balance_after); direct changes are refused.';
comment on column public.customers.total_bookings is 'Completed bookings, maintained by the bookings workflow.';
comment on column public.customers.total_spent is 'Lifetime amount paid for completed bookings, net of refunds, in paise.';
comment on column public.customers.preferred_services is 'services.id the customer marked as favourites.';
comment on column public.customers.preferred_therapists is 'therapists.id the customer marked as favourites.';
comment on column public.customers.preferred_vendors is 'vendors.id the customer marked as favourites.';
comment on column public.customers.communication_preferences is 'Channel toggles as shown in the app { email, sms, whatsapp, push }; consent evidence lives in customer_preferences.';
comment on column public.customers.allergies is 'Allergies therapists must know about (nut oils, fragrances ...). Sensitive personal data.';
comment on column public.customers.medical_conditions is 'Conditions relevant to massage (pregnancy, hypertension ...). Sensitive personal data.';
comment on column public.customers.referral_code is 'The customer''s own code to invite friends; unique.';
comment on column public.customers.referred_by is 'Customer whose code was used at sign-up.';
comment on column public.customers.referral_count is 'Successful referrals made, maintained from customer_referrals.';
comment on column public.customers.deleted_at is 'Soft delete (account closed or erased under DPDP); personal columns are blanked at the same time.';

-- Points move only through the ledger: a direct write to loyalty_points would make the
-- balance disagree with the latest balance_after. The ledger trigger's own update runs
-- nested inside it (trigger depth > 1) with a transaction-local flag set; both must hold.
create or replace function private.customers_guard_loyalty_points()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not (pg_trigger_depth() > 1 and coalesce(current_setting('ombaro.loyalty_ledger', true), '') = 'on')
     and ((tg_op = 'INSERT' and new.loyalty_points <> 0)
          or (tg_op = 'UPDATE' and new.loyalty_points is distinct from old.loyalty_points)) then
    raise exception 'customers.loyalty_points changes only through loyalty_points_transactions'
      using errcode = '42501', hint = 'insert an earn, redeem, expire or adjust row instead';
  end if;
  return new;
end
$$;

create trigger guard_loyalty_points before insert or update of loyalty_points on public.customers
  for each row execute function private.customers_guard_loyalty_points();

-- customer_addresses ---------------------------------------------------------------------

create table public.customer_addresses (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  address_type text not null check (address_type in ('home', 'work', 'other')),
  label text,
  recipient_name text,
  recipient_mobile text,
  address_line1 text not null,
  address_line2 text,
  landmark text,
  city text not null,
  state text not null,
  pincode text not null check (pincode ~ '^[1-9][0-9]{5}$'),
  pincode_id uuid references public.pincode_master (id) on delete set null,
  country text not null default 'India',
  latitude numeric(10,8) check (latitude between -90 and 90),
  longitude numeric(11,8) check (longitude between -180 and 180),
  location extensions.geography(point, 4326) generated always as (
    extensions.st_setsrid(extensions.st_makepoint(longitude::float8, latitude::float8), 4326)::extensions.geography
  ) stored,
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_addresses_coordinates check ((latitude is null) = (longitude is null))
);

create index idx_customer_addresses_customer on public.customer_addresses (customer_id);
create index idx_customer_addresses_type on public.customer_addresses (address_type);
-- One default address per customer.
create unique index idx_customer_addresses_customer_id_default on public.customer_addresses (customer_id) where is_default;
create index idx_customer_addresses_pincode_id on public.customer_addresses (pincode_id);
create index idx_customer_addresses_location on public.customer_addresses using gist (location);

create trigger set_updated_at before update on public.customer_addresses
  for each row execute function private.set_updated_at();

alter table public.customer_addresses enable row level security;

comment on table public.customer_addresses is 'Saved places where a customer receives home services.';
comment on column public.customer_addresses.label is 'Customer''s own name for the place (Home, Office, Mom''s place).';
comment on column public.customer_addresses.recipient_name is 'Who the therapist should ask for, when not the customer.';
comment on column public.customer_addresses.recipient_mobile is 'Number the therapist calls on arrival, when not the customer''s.';
comment on column public.customer_addresses.pincode is 'Six-digit Indian PIN code as entered.';
comment on column public.customer_addresses.pincode_id is 'Matched pincode_master row (gives city, zone and serviceability); null if the PIN is unknown.';
comment on column public.customer_addresses.location is 'Derived from latitude/longitude; used for vendor radius and therapist travel checks.';
comment on column public.customer_addresses.is_default is 'Address preselected at checkout; at most one per customer.';

-- customer_loyalty_tiers -----------------------------------------------------------------

create table public.customer_loyalty_tiers (
  id uuid primary key default gen_random_uuid(),
  code text not null check (code in ('silver', 'gold', 'platinum', 'diamond')),
  name text not null,
  rank integer not null check (rank >= 1),
  min_points integer not null default 0 check (min_points >= 0),
  min_spend bigint not null default 0 check (min_spend >= 0),
  qualification_window_months integer not null default 12 check (qualification_window_months between 1 and 60),
  points_multiplier numeric(5,2) not null default 1.00 check (points_multiplier > 0),
  discount_percentage numeric(5,2) not null default 0 check (discount_percentage between 0 and 100),
  benefits jsonb not null default '{}'::jsonb,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index idx_customer_loyalty_tiers_code on public.customer_loyalty_tiers (code);
create unique index idx_customer_loyalty_tiers_rank on public.customer_loyalty_tiers (rank);
create index idx_customer_loyalty_tiers_min_spend on public.customer_loyalty_tiers (min_spend) where is_active;

create trigger set_updated_at before update on public.customer_loyalty_tiers
  for each row execute function private.set_updated_at();

alter table public.customer_loyalty_tiers enable row level security;

comment on table public.customer_loyalty_tiers is 'Membership tier definitions (silver, gold, platinum, diamond): how to qualify and what each tier gives.';
comment on column public.customer_loyalty_tiers.code is 'Matches customers.membership_tier.';
comment on column public.customer_loyalty_tiers.rank is 'Order of tiers, 1 = entry tier.';
comment on column public.customer_loyalty_tiers.min_points is 'Points earned within the qualification window needed to reach the tier.';
comment on column public.customer_loyalty_tiers.min_spend is 'Spend within the qualification window needed to reach the tier, in paise (either threshold qualifies).';
comment on column public.customer_loyalty_tiers.qualification_window_months is 'Rolling window over which points and spend are counted.';
comment on column public.customer_loyalty_tiers.points_multiplier is 'Multiplier on base points earned per booking.';
comment on column public.customer_loyalty_tiers.discount_percentage is 'Member discount on service prices, percent.';
comment on column public.customer_loyalty_tiers.benefits is 'Perks shown to members { free_addons, priority_booking, free_cancellation_hours, birthday_bonus_points, ... }.';

-- customer_preferences -------------------------------------------------------------------

create table public.customer_preferences (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  preferred_therapist_gender text not null default 'any' check (preferred_therapist_gender in ('male', 'female', 'any')),
  pressure_level integer check (pressure_level between 1 and 5),
  preferred_oils text[] not null default '{}',
  avoid_products text[] not null default '{}',
  focus_areas text[] not null default '{}',
  preferred_time_slots text[] not null default '{}'
    check (preferred_time_slots <@ array['early_morning', 'morning', 'afternoon', 'evening', 'night']::text[]),
  preferred_days integer[] not null default '{}'
    check (preferred_days <@ array[0, 1, 2, 3, 4, 5, 6]),
  preferred_language text not null default 'en' check (preferred_language ~ '^[a-z]{2,3}$'),
  session_preferences jsonb not null default '{}'::jsonb,
  email_opt_in boolean not null default false,
  email_consent_at timestamptz,
  sms_opt_in boolean not null default false,
  sms_consent_at timestamptz,
  whatsapp_opt_in boolean not null default false,
  whatsapp_consent_at timestamptz,
  push_opt_in boolean not null default false,
  push_consent_at timestamptz,
  personalisation_consent boolean not null default false,
  personalisation_consent_at timestamptz,
  consent_withdrawn_at timestamptz,
  consent_source text check (consent_source in ('app', 'web', 'call_centre', 'in_store', 'import')),
  consent_notice_version text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_preferences_email_consent check (not email_opt_in or email_consent_at is not null),
  constraint customer_preferences_sms_consent check (not sms_opt_in or sms_consent_at is not null),
  constraint customer_preferences_whatsapp_consent check (not whatsapp_opt_in or whatsapp_consent_at is not null),
  constraint customer_preferences_push_consent check (not push_opt_in or push_consent_at is not null),
  constraint customer_preferences_personalisation_consent check (not personalisation_consent or personalisation_consent_at is not null),
  constraint customer_preferences_consent_evidence check (
    not (email_opt_in or sms_opt_in or whatsapp_opt_in or push_opt_in or personalisation_consent)
    or (consent_source is not null and consent_notice_version is not null)
  )
);

create unique index idx_customer_preferences_customer_id on public.customer_preferences (customer_id);
create index idx_customer_preferences_therapist_gender on public.customer_preferences (preferred_therapist_gender);
-- Campaign audiences: customers who may be messaged on a channel.
create index idx_customer_preferences_whatsapp_opt_in on public.customer_preferences (customer_id) where whatsapp_opt_in;
create index idx_customer_preferences_email_opt_in on public.customer_preferences (customer_id) where email_opt_in;
create index idx_customer_preferences_language on public.customer_preferences (preferred_language);

create trigger set_updated_at before update on public.customer_preferences
  for each row execute function private.set_updated_at();

alter table public.customer_preferences enable row level security;

comment on table public.customer_preferences is 'How a customer likes their sessions and how they agreed to be contacted. Marketing consents carry DPDP Act evidence (when, where, which notice).';
comment on column public.customer_preferences.preferred_therapist_gender is 'Gender of therapist to assign; any = no preference.';
comment on column public.customer_preferences.pressure_level is 'Preferred massage pressure, 1 (light) to 5 (deep), same scale as services.';
comment on column public.customer_preferences.preferred_oils is 'Oils the customer likes (coconut, almond, lavender ...).';
comment on column public.customer_preferences.avoid_products is 'Oils and products to keep away from this customer (dislikes or sensitivities); medical allergies are in customers.allergies.';
comment on column public.customer_preferences.focus_areas is 'Body areas to focus on (back, shoulders, feet ...).';
comment on column public.customer_preferences.preferred_time_slots is 'Local time bands the customer prefers: early_morning, morning, afternoon, evening, night.';
comment on column public.customer_preferences.preferred_days is 'Preferred weekdays, 0 = Sunday .. 6 = Saturday.';
comment on column public.customer_preferences.preferred_language is 'ISO 639 code of the language for messages and therapist matching (en, hi, ta, te, kn, mr, bn ...).';
comment on column public.customer_preferences.session_preferences is 'Other comfort settings { music, room_temperature, conversation, draping }.';
comment on column public.customer_preferences.email_consent_at is 'When marketing e-mail consent was given (or last changed).';
comment on column public.customer_preferences.whatsapp_consent_at is 'When WhatsApp marketing consent was given (or last changed); WhatsApp Business also requires opt-in.';
comment on column public.customer_preferences.personalisation_consent is 'Consent to use booking history for recommendations and segments.';
comment on column public.customer_preferences.consent_withdrawn_at is 'When the customer last withdrew any consent; withdrawal must be as easy as giving it (DPDP s.6).';
comment on column public.customer_preferences.consent_source is 'Where the latest consent was captured.';
comment on column public.customer_preferences.consent_notice_version is 'Version of the privacy notice shown when consent was taken.';

-- customer_segments ----------------------------------------------------------------------

create table public.customer_segments (
  id uuid primary key default gen_random_uuid(),
  code text not null,
  name text not null,
  description text,
  rules jsonb not null default '{}'::jsonb,
  is_dynamic boolean not null default true,
  member_count integer not null default 0 check (member_count >= 0),
  last_computed_at timestamptz,
  status text not null default 'active' check (status in ('active', 'paused', 'archived')),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index idx_customer_segments_code on public.customer_segments (code);
create index idx_customer_segments_status on public.customer_segments (status, is_dynamic);
create index idx_customer_segments_created_by on public.customer_segments (created_by);

create trigger set_updated_at before update on public.customer_segments
  for each row execute function private.set_updated_at();

alter table public.customer_segments enable row level security;

comment on table public.customer_segments is 'Named groups of customers for campaigns and analytics (lapsed 90 days, high spenders in Bengaluru ...).';
comment on column public.customer_segments.rules is 'Filter definition evaluated by the segmentation job { all: [{ field, op, value }] }; empty for manual segments.';
comment on column public.customer_segments.is_dynamic is 'True: membership is recomputed from rules; false: members are added by hand or import.';
comment on column public.customer_segments.member_count is 'Members at the last computation.';

-- customer_segment_mapping ---------------------------------------------------------------

create table public.customer_segment_mapping (
  customer_id uuid not null references public.customers (id) on delete cascade,
  segment_id uuid not null references public.customer_segments (id) on delete cascade,
  source text not null default 'rule' check (source in ('rule', 'manual', 'import')),
  added_by uuid references auth.users (id) on delete set null,
  added_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (customer_id, segment_id)
);

create index idx_customer_segment_mapping_segment_id on public.customer_segment_mapping (segment_id, added_at);
create index idx_customer_segment_mapping_added_by on public.customer_segment_mapping (added_by);

alter table public.customer_segment_mapping enable row level security;

comment on table public.customer_segment_mapping is 'Which customers are in which segment. Rows are replaced, not edited, when a dynamic segment is recomputed.';
comment on column public.customer_segment_mapping.source is 'How the customer entered the segment: rule evaluation, by hand, or bulk import.';
comment on column public.customer_segment_mapping.added_by is 'User who added the customer by hand; null for rule and import.';
comment on column public.customer_segment_mapping.added_at is 'When the customer first qualified; kept across recomputations that re-insert the row.';

-- customer_referrals ---------------------------------------------------------------------

create table public.customer_referrals (
  id uuid primary key default gen_random_uuid(),
  referrer_id uuid not null references public.customers (id) on delete cascade,
  referee_id uuid references public.customers (id) on delete set null,
  referral_code text not null,
  invitee_contact text,
  channel text check (channel in ('whatsapp', 'sms', 'email', 'link', 'other')),
  status text not null default 'invited' check (status in ('invited', 'signed_up', 'qualified', 'rewarded', 'expired', 'cancelled')),
  qualifying_booking_id uuid, -- FK added in V11: qualifying_booking_id -> bookings
  referrer_reward_amount bigint not null default 0 check (referrer_reward_amount >= 0),
  referee_reward_amount bigint not null default 0 check (referee_reward_amount >= 0),
  reward_given boolean not null default false,
  rewarded_at timestamptz,
  signed_up_at timestamptz,
  qualified_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_referrals_not_self check (referee_id is null or referee_id <> referrer_id),
  constraint customer_referrals_reward check (reward_given = (rewarded_at is not null)),
  constraint customer_referrals_rewarded check (status <> 'rewarded' or reward_given)
);

create index idx_customer_referrals_referrer_id on public.customer_referrals (referrer_id, created_at desc);
-- A customer can be referred only once.
create unique index idx_customer_referrals_referee_id on public.customer_referrals (referee_id) where referee_id is not null;
create index idx_customer_referrals_status on public.customer_referrals (status, expires_at);
create index idx_customer_referrals_referral_code on public.customer_referrals (referral_code);
create index idx_customer_referrals_qualifying_booking_id on public.customer_referrals (qualifying_booking_id);

create trigger set_updated_at before update on public.customer_referrals
  for each row execute function private.set_updated_at();

alter table public.customer_referrals enable row level security;

comment on table public.customer_referrals is 'Invitations from one customer to another and whether they earned the referral reward (first completed booking).';
comment on column public.customer_referrals.referee_id is 'The invited person once they have signed up.';
comment on column public.customer_referrals.referral_code is 'Code used, as it was at the time (the referrer''s customers.referral_code).';
comment on column public.customer_referrals.invitee_contact is 'Mobile or e-mail the invitation was sent to, before sign-up.';
comment on column public.customer_referrals.qualifying_booking_id is 'The referee''s first completed booking that qualified the reward.';
comment on column public.customer_referrals.referrer_reward_amount is 'Wallet credit due to the referrer, in paise.';
comment on column public.customer_referrals.referee_reward_amount is 'Wallet credit or discount due to the new customer, in paise.';

-- customer_complaints --------------------------------------------------------------------

create table public.customer_complaints (
  id uuid primary key default gen_random_uuid(),
  complaint_number text not null,
  customer_id uuid not null references public.customers (id) on delete restrict,
  booking_id uuid, -- FK added in V11: booking_id -> bookings
  vendor_id uuid references public.vendors (id) on delete set null,
  therapist_id uuid, -- FK added in V10: therapist_id -> therapists
  category text not null check (category in (
    'service_quality', 'therapist_behaviour', 'hygiene', 'late_arrival', 'no_show', 'billing',
    'refund', 'safety', 'harassment', 'app_issue', 'other'
  )),
  severity text not null default 'medium' check (severity in ('low', 'medium', 'high', 'critical')),
  status text not null default 'open' check (status in ('open', 'in_progress', 'escalated', 'resolved', 'closed', 'reopened')),
  subject text not null,
  description text not null,
  attachments text[],
  channel text not null default 'app' check (channel in ('app', 'web', 'phone', 'email', 'whatsapp', 'social')),
  assigned_to uuid references public.employees (id) on delete set null,
  assigned_at timestamptz,
  escalation_level integer not null default 0 check (escalation_level between 0 and 3),
  sla_due_at timestamptz,
  resolution text,
  compensation_amount bigint not null default 0 check (compensation_amount >= 0),
  resolved_by uuid references public.employees (id) on delete set null,
  resolved_at timestamptz,
  closed_at timestamptz,
  customer_satisfaction integer check (customer_satisfaction between 1 and 5),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint customer_complaints_resolution check (status not in ('resolved', 'closed') or (resolution is not null and resolved_at is not null))
);

create unique index idx_customer_complaints_complaint_number on public.customer_complaints (complaint_number);
create index idx_customer_complaints_customer_id on public.customer_complaints (customer_id, created_at desc);
create index idx_customer_complaints_booking_id on public.customer_complaints (booking_id);
create index idx_customer_complaints_vendor_id on public.customer_complaints (vendor_id);
create index idx_customer_complaints_therapist_id on public.customer_complaints (therapist_id);
create index idx_customer_complaints_assigned_to on public.customer_complaints (assigned_to, status);
create index idx_customer_complaints_resolved_by on public.customer_complaints (resolved_by);
-- The care team's queue: open work by urgency and deadline.
create index idx_customer_complaints_status on public.customer_complaints (status, severity, sla_due_at);

create trigger set_updated_at before update on public.customer_complaints
  for each row execute function private.set_updated_at();

alter table public.customer_complaints enable row level security;

comment on table public.customer_complaints is 'Formal complaints about a booking, vendor or therapist, worked by customer care until resolved. Kept for grievance-redressal records (Consumer Protection (E-Commerce) Rules 2020).';
comment on column public.customer_complaints.complaint_number is 'Reference given to the customer (CMP-YYYYMMDD-0001).';
comment on column public.customer_complaints.therapist_id is 'Therapist the complaint is about, if any.';
comment on column public.customer_complaints.severity is 'critical = safety or harassment, handled immediately.';
comment on column public.customer_complaints.escalation_level is '0 = first line, 1 = team lead, 2 = manager, 3 = grievance officer.';
comment on column public.customer_complaints.sla_due_at is 'When a resolution is due (the E-Commerce Rules give one month at most).';
comment on column public.customer_complaints.compensation_amount is 'Goodwill credit or refund granted on resolution, in paise.';
comment on column public.customer_complaints.customer_satisfaction is 'Customer''s rating of how the complaint was handled, 1-5.';

-- customer_communication_log -------------------------------------------------------------

create table public.customer_communication_log (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete cascade,
  channel text not null check (channel in ('phone', 'email', 'sms', 'whatsapp', 'in_app', 'chat', 'in_person')),
  direction text not null check (direction in ('inbound', 'outbound')),
  subject text,
  summary text not null,
  outcome text check (outcome in ('resolved', 'follow_up', 'escalated', 'no_answer', 'informational')),
  employee_id uuid references public.employees (id) on delete set null,
  complaint_id uuid references public.customer_complaints (id) on delete set null,
  booking_id uuid, -- FK added in V11: booking_id -> bookings
  duration_seconds integer check (duration_seconds >= 0),
  recording_url text,
  follow_up_at timestamptz,
  communicated_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_customer_communication_log_customer_id on public.customer_communication_log (customer_id, communicated_at desc);
create index idx_customer_communication_log_employee_id on public.customer_communication_log (employee_id, communicated_at desc);
create index idx_customer_communication_log_complaint_id on public.customer_communication_log (complaint_id);
create index idx_customer_communication_log_booking_id on public.customer_communication_log (booking_id);
create index idx_customer_communication_log_follow_up_at on public.customer_communication_log (follow_up_at) where follow_up_at is not null;

create trigger set_updated_at before update on public.customer_communication_log
  for each row execute function private.set_updated_at();

alter table public.customer_communication_log enable row level security;

comment on table public.customer_communication_log is 'Conversations the care and sales teams had with a customer (calls, e-mails, chats), written by the employee. Automated messages are in the communications logs.';
comment on column public.customer_communication_log.summary is 'What was discussed and agreed.';
comment on column public.customer_communication_log.employee_id is 'Employee who handled the conversation.';
comment on column public.customer_communication_log.recording_url is 'Storage path of the call recording, where the customer was told the call is recorded.';
comment on column public.customer_communication_log.follow_up_at is 'When the employee promised to get back to the customer.';
comment on column public.customer_communication_log.communicated_at is 'When the conversation took place.';

-- loyalty_points_transactions ------------------------------------------------------------

create table public.loyalty_points_transactions (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid not null references public.customers (id) on delete restrict,
  transaction_type text not null check (transaction_type in ('earn', 'redeem', 'expire', 'adjust')),
  points integer not null,
  balance_after integer not null check (balance_after >= 0),
  booking_id uuid, -- FK added in V11: booking_id -> bookings (on delete restrict: ledger rows cannot be updated)
  description text,
  expires_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  constraint loyalty_points_transactions_sign check (
    (transaction_type = 'earn' and points > 0)
    or (transaction_type in ('redeem', 'expire') and points < 0)
    or (transaction_type = 'adjust' and points <> 0)
  ),
  constraint loyalty_points_transactions_expiry check (expires_at is null or transaction_type = 'earn')
);

create index idx_loyalty_points_transactions_customer_id on public.loyalty_points_transactions (customer_id, created_at desc);
create index idx_loyalty_points_transactions_booking_id on public.loyalty_points_transactions (booking_id);
-- The expiry job looks for earned points reaching their expiry date.
create index idx_loyalty_points_transactions_expires_at on public.loyalty_points_transactions (expires_at) where expires_at is not null;
create index idx_loyalty_points_transactions_type on public.loyalty_points_transactions (transaction_type, created_at);
create index idx_loyalty_points_transactions_created_by on public.loyalty_points_transactions (created_by);

create trigger forbid_change before update or delete on public.loyalty_points_transactions
  for each row execute function private.forbid_change();

alter table public.loyalty_points_transactions enable row level security;

comment on table public.loyalty_points_transactions is 'Append-only loyalty points ledger. Each row moves the customer''s balance; balance_after is computed by the database and mirrored into customers.loyalty_points.';
comment on column public.loyalty_points_transactions.points is 'Signed change: positive for earn (and upward adjust), negative for redeem, expire (and downward adjust).';
comment on column public.loyalty_points_transactions.balance_after is 'Balance once this row applied; set by the database (any supplied value is overwritten), never negative.';
comment on column public.loyalty_points_transactions.booking_id is 'Booking that earned or redeemed the points.';
comment on column public.loyalty_points_transactions.expires_at is 'When points earned by this row lapse (earn rows only); the expiry job writes the matching expire row.';
comment on column public.loyalty_points_transactions.created_by is 'auth.users id of the actor (null for automated jobs). Not a foreign key: the ledger outlives accounts.';

-- Runs before each ledger insert. Locking the customer row serialises concurrent inserts
-- for one customer, so each sees the balance left by the previous one.
create or replace function private.loyalty_points_apply()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  current_balance integer;
begin
  select c.loyalty_points into current_balance
    from public.customers c
   where c.id = new.customer_id
     for update;
  if not found then
    raise exception 'customer % does not exist', new.customer_id using errcode = '23503';
  end if;

  new.balance_after := current_balance + new.points;
  if new.balance_after < 0 then
    raise exception 'insufficient loyalty points: balance %, change %', current_balance, new.points
      using errcode = '23514';
  end if;
  new.created_by := coalesce(private.current_actor_id(), new.created_by);

  perform set_config('ombaro.loyalty_ledger', 'on', true);
  update public.customers set loyalty_points = new.balance_after where id = new.customer_id;
  perform set_config('ombaro.loyalty_ledger', 'off', true);
  return new;
end
$$;

create trigger apply_points before insert on public.loyalty_points_transactions
  for each row execute function private.loyalty_points_apply();

-- Back-references into this version ------------------------------------------------------

alter table public.vendor_reviews
  add constraint vendor_reviews_customer_id_fkey foreign key (customer_id) references public.customers (id) on delete cascade;
