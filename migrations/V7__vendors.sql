-- Vendors: the spas, salons and home-service businesses that sell on OMBARO, from the
-- onboarding application to the live listing, its opening hours, staff, catalogue,
-- licences, contracts, bank accounts, payouts, reviews and rating roll-ups.
--
-- Why it is shaped this way:
-- * A vendor row's id is the owner's auth.users id, so "my vendor" is `id = auth.uid()`
--   without a join. Staff who act for the vendor are listed in vendor_staff.
-- * Discovery is geographic (city, zone, radius around `location`) and textual
--   (`search_vector`), so both are indexed on the vendor itself; the spec's ll_to_earth
--   index needed cube/earthdistance and an immutable cast and is replaced by PostGIS.
-- * Booking rules that the booking engine must respect (notice, horizon, travel buffer,
--   cancellation and reschedule windows) live as typed columns, not free jsonb, so the
--   database can check them.
-- * Onboarding status changes are recorded by a trigger into an append-only history, and
--   money-bearing rows (bank accounts, contracts, payouts) are audited.
-- * Listings are soft-deleted (`deleted_at`): bookings, payouts and reviews must keep
--   pointing at them.

-- vendors --------------------------------------------------------------------------------

create table public.vendors (
  id uuid primary key references auth.users (id) on delete cascade,
  business_name text not null,
  business_type text check (business_type in ('spa', 'salon', 'home_service', 'hotel_spa', 'wellness_center')),
  description text,
  gst_number_encrypted bytea,
  gst_number_last4 text,
  pan_number_encrypted bytea,
  pan_number_last4 text,
  business_address jsonb not null,
  city_id uuid references public.cities (id) on delete restrict,
  zone_id uuid references public.zones (id) on delete set null,
  pincode text check (pincode ~ '^[1-9][0-9]{5}$'),
  location extensions.geography(point, 4326),
  timezone text not null default 'Asia/Kolkata',
  contact_person text not null,
  contact_mobile text not null,
  contact_email text not null,
  logo_url text,
  services_offered uuid[],
  operating_hours jsonb,
  service_radius_km numeric(6,2) not null default 10 check (service_radius_km > 0),
  min_notice_minutes integer not null default 60 check (min_notice_minutes >= 0),
  booking_horizon_days integer not null default 30 check (booking_horizon_days between 1 and 365),
  travel_buffer_minutes integer not null default 30 check (travel_buffer_minutes >= 0),
  free_cancellation_hours integer not null default 4 check (free_cancellation_hours >= 0),
  cancellation_fee_percentage numeric(5,2) not null default 0 check (cancellation_fee_percentage between 0 and 100),
  reschedule_cutoff_hours integer not null default 2 check (reschedule_cutoff_hours >= 0),
  max_reschedules integer not null default 2 check (max_reschedules >= 0),
  rating numeric(3,2) not null default 0.00 check (rating between 0 and 5),
  total_reviews integer not null default 0 check (total_reviews >= 0),
  verification_status text not null default 'pending' check (verification_status in ('pending', 'verified', 'rejected')),
  verification_documents jsonb,
  verified_at timestamptz,
  commission_rate numeric(5,2) not null default 15.00 check (commission_rate between 0 and 100),
  status text not null default 'active' check (status in ('active', 'inactive', 'suspended')),
  search_vector tsvector generated always as (
    to_tsvector(
      'english'::regconfig,
      coalesce(business_name, '') || ' ' || coalesce(replace(business_type, '_', ' '), '') || ' ' || coalesce(description, '')
    )
  ) stored,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_vendors_status on public.vendors (status);
create index idx_vendors_verification on public.vendors (verification_status);
create index idx_vendors_rating on public.vendors (rating desc);
create index idx_vendors_location on public.vendors using gist (location);
create index idx_vendors_city_id on public.vendors (city_id);
create index idx_vendors_zone_id on public.vendors (zone_id);
create index idx_vendors_search_vector on public.vendors using gin (search_vector);
create index idx_vendors_business_name_trgm on public.vendors using gin (business_name extensions.gin_trgm_ops);
-- The marketplace only ever lists live, verified, active vendors of one city.
create index idx_vendors_city_id_listable on public.vendors (city_id, rating desc)
  where deleted_at is null and status = 'active' and verification_status = 'verified';

create trigger set_updated_at before update on public.vendors
  for each row execute function private.set_updated_at();

alter table public.vendors enable row level security;

comment on table public.vendors is 'A business selling on OMBARO (spa, salon, home-service provider). The id is the owner''s auth user id; soft-deleted through deleted_at so bookings and payouts keep their vendor.';
comment on column public.vendors.id is 'The owner''s auth.users id: one vendor listing per owning account.';
comment on column public.vendors.gst_number_encrypted is 'GSTIN, encrypted (private.encrypt_text); read through public.reveal_vendor_tax_ids, written through public.save_vendor_tax_ids. Never granted to API roles. Branches may legitimately share one GSTIN, so it is not unique.';
comment on column public.vendors.gst_number_last4 is 'Last four characters of the GSTIN, for display.';
comment on column public.vendors.pan_number_encrypted is 'PAN of the legal entity, encrypted (private.encrypt_text); read and written only through RPCs.';
comment on column public.vendors.pan_number_last4 is 'Last four characters of the PAN, for display.';
comment on column public.vendors.business_address is 'Postal address as entered { line1, line2, landmark, city, state, pincode }; city_id, pincode and location are the queryable copies.';
comment on column public.vendors.pincode is 'Six-digit Indian PIN code of the premises.';
comment on column public.vendors.location is 'Premises position (WGS 84); home-service radius and distance sorting are measured from here.';
comment on column public.vendors.timezone is 'IANA zone in which opening hours, therapist shifts and booking cut-offs are read.';
comment on column public.vendors.services_offered is 'Denormalised list of services.id for quick display; vendor_services is the source of truth.';
comment on column public.vendors.operating_hours is 'Legacy summary of weekly hours { monday: { open, close, closed } }; vendor_availability is the source of truth.';
comment on column public.vendors.service_radius_km is 'How far from location the vendor sends therapists for home services, in km.';
comment on column public.vendors.min_notice_minutes is 'Minimum minutes between booking time and service start.';
comment on column public.vendors.booking_horizon_days is 'How many days ahead customers may book.';
comment on column public.vendors.travel_buffer_minutes is 'Minutes kept free around each home-service visit for the therapist to travel.';
comment on column public.vendors.free_cancellation_hours is 'A customer may cancel free of charge up to this many hours before the start.';
comment on column public.vendors.cancellation_fee_percentage is 'Share of the booking value charged for a late cancellation.';
comment on column public.vendors.reschedule_cutoff_hours is 'Reschedules are refused less than this many hours before the start.';
comment on column public.vendors.max_reschedules is 'How many times one booking may be rescheduled.';
comment on column public.vendors.rating is 'Average approved review rating (1-5), kept current by the review moderation workflow; 0 = not yet rated.';
comment on column public.vendors.verification_documents is 'Legacy list of document URLs; vendor_documents is the source of truth.';
comment on column public.vendors.commission_rate is 'Default OMBARO commission, percent of the service value; an active vendor_contracts row may override it.';
comment on column public.vendors.search_vector is 'Full-text index over business name, type and description.';
comment on column public.vendors.deleted_at is 'Soft delete: set when the listing is withdrawn; null = live.';

-- vendor_staff ---------------------------------------------------------------------------

create table public.vendor_staff (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  user_id uuid references auth.users (id) on delete cascade,
  name text not null,
  role text not null check (role in ('manager', 'receptionist', 'admin', 'accountant')),
  mobile text not null,
  email text,
  permissions text[],
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A vendor's staff are found through idx_vendor_staff_status (vendor_id, status).
create index idx_vendor_staff_user on public.vendor_staff (user_id);
create unique index idx_vendor_staff_vendor_id_user_id on public.vendor_staff (vendor_id, user_id) where user_id is not null;
create index idx_vendor_staff_status on public.vendor_staff (vendor_id, status);

create trigger set_updated_at before update on public.vendor_staff
  for each row execute function private.set_updated_at();

alter table public.vendor_staff enable row level security;

comment on table public.vendor_staff is 'People who operate a vendor''s account (front desk, managers). Therapists are in public.therapists.';
comment on column public.vendor_staff.user_id is 'Login of the staff member, if they have one; one membership per vendor.';
comment on column public.vendor_staff.permissions is 'Vendor-panel permissions granted on top of the role, e.g. {bookings.manage, payouts.view}.';

-- vendor_applications --------------------------------------------------------------------

-- Numbers submitted applications; only the trigger below draws from it.
create sequence private.vendor_application_number_seq;

create table public.vendor_applications (
  id uuid primary key default gen_random_uuid(),
  application_number text,
  applicant_id uuid not null references auth.users (id) on delete cascade,
  business_name text not null,
  business_type text check (business_type in ('spa', 'salon', 'home_service', 'hotel_spa', 'wellness_center')),
  legal_entity_type text check (legal_entity_type in (
    'proprietorship', 'partnership', 'llp', 'private_limited', 'public_limited', 'trust', 'society', 'other'
  )),
  gst_number text check (gst_number is null),
  pan_number text check (pan_number is null),
  gst_number_encrypted bytea,
  gst_number_last4 text,
  pan_number_encrypted bytea,
  pan_number_last4 text,
  contact_person text not null,
  contact_mobile text not null,
  contact_email text,
  business_address jsonb not null default '{}'::jsonb,
  city_id uuid references public.cities (id) on delete set null,
  pincode text check (pincode ~ '^[1-9][0-9]{5}$'),
  location extensions.geography(point, 4326),
  years_in_operation integer check (years_in_operation >= 0),
  therapist_count integer check (therapist_count >= 0),
  offers_home_service boolean not null default false,
  services_interested uuid[] not null default '{}',
  documents jsonb not null default '[]'::jsonb,
  status text not null default 'draft' check (status in ('draft', 'submitted', 'under_review', 'approved', 'rejected', 'on_hold')),
  submitted_at timestamptz,
  reviewer_id uuid references public.employees (id) on delete set null,
  review_started_at timestamptz,
  decided_at timestamptz,
  decision_notes text,
  rejection_reason text,
  vendor_id uuid references public.vendors (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_applications_number_when_submitted check (status = 'draft' or application_number is not null),
  constraint vendor_applications_rejection_reason check (status <> 'rejected' or rejection_reason is not null)
);

create unique index idx_vendor_applications_application_number on public.vendor_applications (application_number);
create index idx_vendor_applications_applicant_id on public.vendor_applications (applicant_id);
create index idx_vendor_applications_status on public.vendor_applications (status, submitted_at);
create index idx_vendor_applications_reviewer_id on public.vendor_applications (reviewer_id);
create index idx_vendor_applications_city_id on public.vendor_applications (city_id);
create index idx_vendor_applications_vendor_id on public.vendor_applications (vendor_id);

create trigger set_updated_at before update on public.vendor_applications
  for each row execute function private.set_updated_at();

alter table public.vendor_applications enable row level security;

comment on table public.vendor_applications is 'A business''s onboarding form, from draft to the review decision; an approved application points at the vendor it created.';
comment on column public.vendor_applications.application_number is 'Human reference (VA-YYYYMM-000123), assigned when the application is first submitted.';
comment on column public.vendor_applications.gst_number is 'Write-only: a GSTIN written here is encrypted into gst_number_encrypted (V26 trigger) and never stored; always null.';
comment on column public.vendor_applications.pan_number is 'Write-only: a PAN written here is encrypted into pan_number_encrypted (V26 trigger) and never stored; always null.';
comment on column public.vendor_applications.gst_number_encrypted is 'GSTIN, encrypted (private.encrypt_text); read through public.reveal_vendor_application_tax_ids.';
comment on column public.vendor_applications.gst_number_last4 is 'Last four characters of the GSTIN, for display.';
comment on column public.vendor_applications.pan_number_encrypted is 'PAN, encrypted (private.encrypt_text); read through public.reveal_vendor_application_tax_ids.';
comment on column public.vendor_applications.pan_number_last4 is 'Last four characters of the PAN, for display.';
comment on column public.vendor_applications.applicant_id is 'The account that filled in the form and will own the vendor.';
comment on column public.vendor_applications.location is 'Premises position picked on the map (WGS 84).';
comment on column public.vendor_applications.therapist_count is 'Therapists the business says it employs.';
comment on column public.vendor_applications.services_interested is 'services.id the business wants to list; copied into vendor_services on approval.';
comment on column public.vendor_applications.documents is 'Uploaded files [{ type, url, uploaded_at }]; verified copies move to vendor_documents on approval.';
comment on column public.vendor_applications.status is 'draft -> submitted -> under_review -> approved | rejected | on_hold; on_hold returns to under_review or submitted. Approved and rejected are final.';
comment on column public.vendor_applications.reviewer_id is 'Employee (vendor onboarding) handling the review.';
comment on column public.vendor_applications.decision_notes is 'Reviewer''s notes on the decision, visible to the applicant.';
comment on column public.vendor_applications.vendor_id is 'The vendor created from this application, once approved.';

-- Checks each status move, stamps the lifecycle timestamps and numbers the application
-- on first submission, so every client path (app, panel, service) obeys the same flow.
create or replace function private.vendor_applications_lifecycle()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' and new.status not in ('draft', 'submitted') then
    raise exception 'a new vendor application starts as draft or submitted, not %', new.status
      using errcode = '23514';
  end if;
  if tg_op = 'UPDATE' and new.status is distinct from old.status then
    if not (
      (old.status = 'draft' and new.status = 'submitted')
      or (old.status = 'submitted' and new.status in ('under_review', 'rejected'))
      or (old.status = 'under_review' and new.status in ('approved', 'rejected', 'on_hold'))
      or (old.status = 'on_hold' and new.status in ('submitted', 'under_review', 'approved', 'rejected'))
    ) then
      raise exception 'vendor application cannot move from % to %', old.status, new.status
        using errcode = '23514';
    end if;
  end if;

  if new.status <> 'draft' then
    if new.application_number is null then
      -- At least six digits, never cut (lpad would truncate the millionth serial).
      new.application_number := 'VA-' || to_char(now() at time zone 'Asia/Kolkata', 'YYYYMM') || '-'
        || (select case when length(n::text) < 6 then lpad(n::text, 6, '0') else n::text end
              from (select nextval('private.vendor_application_number_seq') as n) as serial);
    end if;
    new.submitted_at := coalesce(new.submitted_at, now());
  end if;
  if new.status = 'under_review' then
    new.review_started_at := coalesce(new.review_started_at, now());
  end if;
  if new.status in ('approved', 'rejected') then
    new.decided_at := coalesce(new.decided_at, now());
  end if;
  return new;
end
$$;

create trigger lifecycle before insert or update on public.vendor_applications
  for each row execute function private.vendor_applications_lifecycle();

-- vendor_application_history -------------------------------------------------------------

create table public.vendor_application_history (
  id uuid primary key default gen_random_uuid(),
  application_id uuid not null references public.vendor_applications (id) on delete restrict,
  from_status text,
  to_status text not null,
  changed_by uuid,
  reason text,
  created_at timestamptz not null default now()
);

create index idx_vendor_application_history_application_id on public.vendor_application_history (application_id, created_at);
create index idx_vendor_application_history_changed_by on public.vendor_application_history (changed_by);
create index idx_vendor_application_history_to_status on public.vendor_application_history (to_status, created_at);

create trigger forbid_change before update or delete on public.vendor_application_history
  for each row execute function private.forbid_change();

alter table public.vendor_application_history enable row level security;

comment on table public.vendor_application_history is 'Append-only log of vendor application status changes, written by a trigger on vendor_applications. Drafts that were never submitted leave no history and can be deleted; submitted applications cannot.';
comment on column public.vendor_application_history.from_status is 'Status before the change; null when the application was created already submitted.';
comment on column public.vendor_application_history.changed_by is 'auth.users id of the actor (null for service jobs). Deliberately not a foreign key: history outlives accounts.';
comment on column public.vendor_application_history.reason is 'Why, as given by the caller in the ombaro.change_reason setting.';
comment on column public.vendor_application_history.created_at is 'When the status changed.';

create or replace function private.vendor_applications_log_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (tg_op = 'INSERT' and new.status <> 'draft')
     or (tg_op = 'UPDATE' and new.status is distinct from old.status) then
    insert into public.vendor_application_history (application_id, from_status, to_status, changed_by, reason)
    values (
      new.id,
      case when tg_op = 'UPDATE' then old.status end,
      new.status,
      private.current_actor_id(),
      nullif(current_setting('ombaro.change_reason', true), '')
    );
  end if;
  return null;
end
$$;

create trigger log_status after insert or update of status on public.vendor_applications
  for each row execute function private.vendor_applications_log_status();

-- vendor_availability --------------------------------------------------------------------

create table public.vendor_availability (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  day_of_week integer check (day_of_week between 0 and 6),
  specific_date date,
  open_time time,
  close_time time,
  is_closed boolean not null default false,
  note text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_availability_weekly_or_dated check ((day_of_week is null) <> (specific_date is null)),
  constraint vendor_availability_hours check (
    (is_closed and open_time is null and close_time is null)
    or (not is_closed and open_time is not null and close_time is not null and close_time > open_time)
  ),
  -- Split shifts (10:00-14:00, 16:00-21:00) are separate rows; they must not overlap.
  constraint vendor_availability_weekly_no_overlap exclude using gist (
    vendor_id with =,
    day_of_week with =,
    tsrange(date '2000-01-01' + open_time, date '2000-01-01' + close_time) with &&
  ) where (day_of_week is not null and not is_closed),
  constraint vendor_availability_dated_no_overlap exclude using gist (
    vendor_id with =,
    specific_date with =,
    tsrange(date '2000-01-01' + open_time, date '2000-01-01' + close_time) with &&
  ) where (specific_date is not null and not is_closed),
  -- A day is either closed or has opening slots, never both.
  constraint vendor_availability_weekly_closed_or_open exclude using gist (
    vendor_id with =,
    day_of_week with =,
    is_closed with <>
  ) where (day_of_week is not null),
  constraint vendor_availability_dated_closed_or_open exclude using gist (
    vendor_id with =,
    specific_date with =,
    is_closed with <>
  ) where (specific_date is not null)
);

create index idx_vendor_availability_vendor_id_day on public.vendor_availability (vendor_id, day_of_week, open_time);
create index idx_vendor_availability_vendor_id_date on public.vendor_availability (vendor_id, specific_date, open_time)
  where specific_date is not null;
create unique index idx_vendor_availability_weekly_closed on public.vendor_availability (vendor_id, day_of_week)
  where is_closed and day_of_week is not null;
create unique index idx_vendor_availability_dated_closed on public.vendor_availability (vendor_id, specific_date)
  where is_closed and specific_date is not null;

create trigger set_updated_at before update on public.vendor_availability
  for each row execute function private.set_updated_at();

alter table public.vendor_availability enable row level security;

comment on table public.vendor_availability is 'Opening hours: weekly rows (day_of_week) and date-specific rows (specific_date) for holidays, festivals and special hours. Any row for a date replaces that weekday''s weekly rows for that date.';
comment on column public.vendor_availability.day_of_week is 'Weekly rule: 0 = Sunday .. 6 = Saturday. Null for a date-specific row.';
comment on column public.vendor_availability.specific_date is 'Date-specific override (local date in the vendor''s timezone). Null for a weekly row.';
comment on column public.vendor_availability.open_time is 'Local opening time (vendors.timezone).';
comment on column public.vendor_availability.close_time is 'Local closing time (vendors.timezone); 24:00 means open until midnight.';
comment on column public.vendor_availability.is_closed is 'Closed for the whole day (weekly off or holiday); open_time and close_time are then null.';

-- vendor_bank_accounts -------------------------------------------------------------------

create table public.vendor_bank_accounts (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  account_holder_name text not null,
  bank_name text,
  branch_name text,
  account_type text not null default 'current' check (account_type in ('savings', 'current')),
  account_number_encrypted bytea,
  account_number_last4 text check (account_number_last4 ~ '^[0-9]{4}$'),
  ifsc text check (ifsc ~ '^[A-Z]{4}0[A-Z0-9]{6}$'),
  upi_id text check (upi_id ~ '^[A-Za-z0-9._-]{2,255}@[A-Za-z][A-Za-z0-9]{1,63}$'),
  is_primary boolean not null default false,
  verification_status text not null default 'pending' check (verification_status in ('pending', 'verified', 'failed')),
  verification_method text check (verification_method in ('penny_drop', 'cancelled_cheque', 'bank_statement', 'upi_validation', 'manual')),
  verification_reference text,
  verified_at timestamptz,
  verified_by uuid references public.employees (id) on delete set null,
  name_match_score numeric(5,2) check (name_match_score between 0 and 100),
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_bank_accounts_destination check (
    (account_number_encrypted is not null and account_number_last4 is not null and ifsc is not null)
    or upi_id is not null
  ),
  constraint vendor_bank_accounts_primary_is_active check (not is_primary or status = 'active')
);

create index idx_vendor_bank_accounts_vendor_id on public.vendor_bank_accounts (vendor_id);
-- At most one primary payout account per vendor.
create unique index idx_vendor_bank_accounts_vendor_id_primary on public.vendor_bank_accounts (vendor_id) where is_primary;
create index idx_vendor_bank_accounts_verification_status on public.vendor_bank_accounts (verification_status);
create index idx_vendor_bank_accounts_verified_by on public.vendor_bank_accounts (verified_by);
create index idx_vendor_bank_accounts_ifsc on public.vendor_bank_accounts (ifsc);

create trigger set_updated_at before update on public.vendor_bank_accounts
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.vendor_bank_accounts
  for each row execute function private.audit_row();

alter table public.vendor_bank_accounts enable row level security;

comment on table public.vendor_bank_accounts is 'Where a vendor''s payouts go: bank account (IMPS/NEFT/RTGS) and/or UPI id. Audited.';
comment on column public.vendor_bank_accounts.account_number_encrypted is 'Full account number, encrypted by the payouts service (pgcrypto/KMS); never stored in clear.';
comment on column public.vendor_bank_accounts.account_number_last4 is 'Last four digits, for display and matching.';
comment on column public.vendor_bank_accounts.ifsc is 'Indian Financial System Code of the branch (4 letters, 0, 6 alphanumerics).';
comment on column public.vendor_bank_accounts.upi_id is 'UPI virtual payment address (name@bank) for UPI payouts.';
comment on column public.vendor_bank_accounts.is_primary is 'The account payouts go to by default; one per vendor.';
comment on column public.vendor_bank_accounts.verification_reference is 'Penny-drop or validation reference from the payout provider.';
comment on column public.vendor_bank_accounts.name_match_score is 'How closely the bank''s account holder name matched, percent, as reported by the penny-drop provider.';

-- vendor_compliance ----------------------------------------------------------------------

create table public.vendor_compliance (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  compliance_type text not null check (compliance_type in (
    'shop_establishment', 'trade_licence', 'gst_registration', 'fssai', 'fire_noc',
    'pollution_noc', 'police_noc', 'spa_licence', 'professional_tax', 'other'
  )),
  licence_number text,
  issuing_authority text,
  state_id uuid references public.states (id) on delete set null,
  issued_on date,
  expires_on date,
  is_applicable boolean not null default true,
  document_url text,
  status text not null default 'pending' check (status in ('pending', 'valid', 'expiring_soon', 'expired', 'rejected', 'not_applicable')),
  verified_by uuid references public.employees (id) on delete set null,
  verified_at timestamptz,
  remarks text,
  reminder_sent_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_compliance_dates check (expires_on is null or issued_on is null or expires_on >= issued_on),
  constraint vendor_compliance_applicability check (is_applicable or status = 'not_applicable')
);

create index idx_vendor_compliance_vendor_id on public.vendor_compliance (vendor_id, compliance_type);
create index idx_vendor_compliance_status on public.vendor_compliance (status);
-- Renewal reminders scan the licences that are still in force.
create index idx_vendor_compliance_expires_on on public.vendor_compliance (expires_on)
  where status in ('valid', 'expiring_soon');
create index idx_vendor_compliance_state_id on public.vendor_compliance (state_id);
create index idx_vendor_compliance_verified_by on public.vendor_compliance (verified_by);

create trigger set_updated_at before update on public.vendor_compliance
  for each row execute function private.set_updated_at();

alter table public.vendor_compliance enable row level security;

comment on table public.vendor_compliance is 'Statutory licences and registrations a vendor must hold (Shops & Establishments, trade licence, GST, FSSAI where food is served, fire NOC, ...). A renewal is a new row.';
comment on column public.vendor_compliance.compliance_type is 'Which licence or registration; fssai applies only to vendors serving food or beverages.';
comment on column public.vendor_compliance.state_id is 'State whose authority issued the licence (most are state or municipal).';
comment on column public.vendor_compliance.is_applicable is 'False when the requirement does not apply to this vendor (then status is not_applicable).';
comment on column public.vendor_compliance.status is 'expiring_soon is set by the renewal job ahead of expires_on.';
comment on column public.vendor_compliance.reminder_sent_at is 'Last renewal reminder sent to the vendor.';

-- vendor_contracts -----------------------------------------------------------------------

create table public.vendor_contracts (
  id uuid primary key default gen_random_uuid(),
  contract_number text not null,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  contract_type text not null check (contract_type in (
    'master_service_agreement', 'commission_agreement', 'home_service_addendum', 'addendum', 'renewal', 'nda'
  )),
  commission_rate numeric(5,2) check (commission_rate between 0 and 100),
  start_date date not null,
  end_date date,
  auto_renew boolean not null default false,
  notice_period_days integer not null default 30 check (notice_period_days >= 0),
  terms jsonb not null default '{}'::jsonb,
  document_url text,
  vendor_signatory_name text,
  vendor_signed_at timestamptz,
  ombaro_signatory_id uuid references public.employees (id) on delete set null,
  ombaro_signed_at timestamptz,
  status text not null default 'draft' check (status in ('draft', 'sent', 'signed', 'active', 'expired', 'terminated')),
  terminated_at timestamptz,
  termination_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_contracts_dates check (end_date is null or end_date >= start_date),
  constraint vendor_contracts_signed check (
    status not in ('signed', 'active') or (vendor_signed_at is not null and ombaro_signed_at is not null)
  ),
  constraint vendor_contracts_terminated check (status <> 'terminated' or terminated_at is not null)
);

create unique index idx_vendor_contracts_contract_number on public.vendor_contracts (contract_number);
create index idx_vendor_contracts_vendor_id on public.vendor_contracts (vendor_id, start_date desc);
create index idx_vendor_contracts_status on public.vendor_contracts (status);
create index idx_vendor_contracts_end_date on public.vendor_contracts (end_date) where status = 'active';
create index idx_vendor_contracts_ombaro_signatory_id on public.vendor_contracts (ombaro_signatory_id);

create trigger set_updated_at before update on public.vendor_contracts
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.vendor_contracts
  for each row execute function private.audit_row();

alter table public.vendor_contracts enable row level security;

comment on table public.vendor_contracts is 'Agreements between OMBARO and a vendor (commission, home-service addenda, NDAs). Kept after the vendor leaves; audited.';
comment on column public.vendor_contracts.contract_number is 'Legal reference printed on the agreement.';
comment on column public.vendor_contracts.commission_rate is 'Commission agreed in this contract, percent of the service value; overrides vendors.commission_rate while active.';
comment on column public.vendor_contracts.terms is 'Structured terms { payout_cycle, exclusivity, penalties, ... } for the contract engine.';
comment on column public.vendor_contracts.document_url is 'Storage path of the signed PDF.';
comment on column public.vendor_contracts.ombaro_signatory_id is 'Employee who signed for OMBARO.';
comment on column public.vendor_contracts.notice_period_days is 'Days of notice either side must give to terminate.';

-- vendor_documents -----------------------------------------------------------------------

create table public.vendor_documents (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  document_type text not null check (document_type in (
    'pan_card', 'gst_certificate', 'cancelled_cheque', 'bank_statement', 'address_proof',
    'owner_id_proof', 'shop_establishment_certificate', 'trade_licence', 'fire_noc', 'fssai_licence',
    'premises_photo', 'agreement', 'other'
  )),
  document_number_masked text,
  file_url text not null,
  file_name text,
  mime_type text,
  file_size_bytes integer check (file_size_bytes >= 0),
  status text not null default 'pending' check (status in ('pending', 'verified', 'rejected', 'expired')),
  verified_by uuid references public.employees (id) on delete set null,
  verified_at timestamptz,
  rejection_reason text,
  expires_on date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_documents_rejection_reason check (status <> 'rejected' or rejection_reason is not null)
);

create index idx_vendor_documents_vendor_id on public.vendor_documents (vendor_id, document_type);
create index idx_vendor_documents_status on public.vendor_documents (status, created_at);
create index idx_vendor_documents_verified_by on public.vendor_documents (verified_by);
create index idx_vendor_documents_expires_on on public.vendor_documents (expires_on) where expires_on is not null;

create trigger set_updated_at before update on public.vendor_documents
  for each row execute function private.set_updated_at();

alter table public.vendor_documents enable row level security;

comment on table public.vendor_documents is 'KYC and business documents uploaded by a vendor and checked by the onboarding team.';
comment on column public.vendor_documents.document_number_masked is 'Document number with all but the last characters masked (Aadhaar and PAN must never be stored in full here).';
comment on column public.vendor_documents.file_url is 'Storage object path in the private vendor-documents bucket.';

-- vendor_payouts -------------------------------------------------------------------------

create table public.vendor_payouts (
  id uuid primary key default gen_random_uuid(),
  payout_number text not null,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  settlement_id uuid, -- FK added in V12: settlement_id -> payment_settlements
  bank_account_id uuid references public.vendor_bank_accounts (id) on delete restrict,
  amount bigint not null check (amount > 0),
  tds_amount bigint not null default 0 check (tds_amount >= 0),
  currency text not null default 'INR' check (currency = 'INR'),
  payout_mode text not null check (payout_mode in ('IMPS', 'NEFT', 'RTGS', 'UPI')),
  status text not null default 'pending' check (status in ('pending', 'processing', 'paid', 'failed', 'reversed')),
  utr text,
  gateway text check (gateway in ('razorpayx', 'stripe', 'bank_transfer', 'manual')),
  gateway_payout_id text,
  initiated_by uuid references auth.users (id) on delete set null,
  initiated_at timestamptz,
  paid_at timestamptz,
  failed_at timestamptz,
  failure_reason text,
  reversed_at timestamptz,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_payouts_paid check (status not in ('paid', 'reversed') or (utr is not null and paid_at is not null)),
  constraint vendor_payouts_failed check (status <> 'failed' or failed_at is not null),
  constraint vendor_payouts_rtgs_minimum check (payout_mode <> 'RTGS' or amount >= 20000000)
);

create unique index idx_vendor_payouts_payout_number on public.vendor_payouts (payout_number);
create index idx_vendor_payouts_vendor_id on public.vendor_payouts (vendor_id, created_at desc);
create index idx_vendor_payouts_settlement_id on public.vendor_payouts (settlement_id);
create index idx_vendor_payouts_bank_account_id on public.vendor_payouts (bank_account_id);
create index idx_vendor_payouts_status on public.vendor_payouts (status, initiated_at);
create unique index idx_vendor_payouts_utr on public.vendor_payouts (utr) where utr is not null;
create unique index idx_vendor_payouts_gateway_payout_id on public.vendor_payouts (gateway, gateway_payout_id)
  where gateway_payout_id is not null;
create index idx_vendor_payouts_initiated_by on public.vendor_payouts (initiated_by);

create trigger set_updated_at before update on public.vendor_payouts
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.vendor_payouts
  for each row execute function private.audit_row();

alter table public.vendor_payouts enable row level security;

comment on table public.vendor_payouts is 'Money transfers from OMBARO to a vendor''s bank account or UPI id, usually one per settlement. Audited; never deleted once paid.';
comment on column public.vendor_payouts.payout_number is 'Human reference shown on the vendor''s statement.';
comment on column public.vendor_payouts.settlement_id is 'The payment settlement this payout pays out.';
comment on column public.vendor_payouts.amount is 'Net amount transferred to the vendor, in paise.';
comment on column public.vendor_payouts.tds_amount is 'Income tax deducted at source (section 194-O) before transfer, in paise.';
comment on column public.vendor_payouts.utr is 'Unique Transaction Reference from the bank (RRN for UPI); proof of payment.';
comment on column public.vendor_payouts.gateway_payout_id is 'Payout id at the provider (RazorpayX payout id, Stripe transfer id); unique per gateway.';
comment on column public.vendor_payouts.initiated_by is 'Finance user who released the payout; null for the scheduled payout run.';
comment on constraint vendor_payouts_rtgs_minimum on public.vendor_payouts is 'RBI: RTGS is for transfers of Rs 2 lakh (20,000,000 paise) and above.';

-- vendor_ratings -------------------------------------------------------------------------

create table public.vendor_ratings (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  period_type text not null check (period_type in ('week', 'month', 'quarter', 'year', 'all_time')),
  period_start date not null,
  period_end date not null,
  avg_overall numeric(3,2) check (avg_overall between 1 and 5),
  avg_cleanliness numeric(3,2) check (avg_cleanliness between 1 and 5),
  avg_ambience numeric(3,2) check (avg_ambience between 1 and 5),
  avg_service_quality numeric(3,2) check (avg_service_quality between 1 and 5),
  avg_staff_behaviour numeric(3,2) check (avg_staff_behaviour between 1 and 5),
  avg_value_for_money numeric(3,2) check (avg_value_for_money between 1 and 5),
  review_count integer not null default 0 check (review_count >= 0),
  rating_distribution jsonb not null default '{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}'::jsonb,
  recommend_percentage numeric(5,2) check (recommend_percentage between 0 and 100),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_ratings_period check (period_end >= period_start)
);

create unique index idx_vendor_ratings_vendor_id_period on public.vendor_ratings (vendor_id, period_type, period_start);
create index idx_vendor_ratings_period on public.vendor_ratings (period_type, period_start);
create index idx_vendor_ratings_avg_overall on public.vendor_ratings (period_type, avg_overall desc);

create trigger set_updated_at before update on public.vendor_ratings
  for each row execute function private.set_updated_at();

alter table public.vendor_ratings enable row level security;

comment on table public.vendor_ratings is 'Review averages per vendor per period, recomputed by the analytics job from approved vendor_reviews.';
comment on column public.vendor_ratings.period_start is 'First day of the period (IST); for all_time, the vendor''s first review date.';
comment on column public.vendor_ratings.rating_distribution is 'Count of reviews per overall star { "1": n, ..., "5": n }.';
comment on column public.vendor_ratings.recommend_percentage is 'Share of reviews with would_recommend = true, percent.';

-- vendor_reviews -------------------------------------------------------------------------

create table public.vendor_reviews (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  customer_id uuid not null, -- FK added in V8: customer_id -> customers
  booking_id uuid not null, -- FK added in V11: booking_id -> bookings
  overall_rating integer not null check (overall_rating between 1 and 5),
  cleanliness_rating integer check (cleanliness_rating between 1 and 5),
  ambience_rating integer check (ambience_rating between 1 and 5),
  service_quality_rating integer check (service_quality_rating between 1 and 5),
  staff_behaviour_rating integer check (staff_behaviour_rating between 1 and 5),
  value_for_money_rating integer check (value_for_money_rating between 1 and 5),
  title text,
  review_text text,
  photos text[],
  would_recommend boolean,
  is_anonymous boolean not null default false,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'flagged')),
  moderated_by uuid references public.employees (id) on delete set null,
  moderated_at timestamptz,
  moderation_notes text,
  vendor_reply text,
  vendor_replied_at timestamptz,
  replied_by uuid references auth.users (id) on delete set null,
  helpful_count integer not null default 0 check (helpful_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_reviews_reply check ((vendor_reply is null) = (vendor_replied_at is null))
);

create index idx_vendor_reviews_vendor_id on public.vendor_reviews (vendor_id, status, created_at desc);
create index idx_vendor_reviews_customer_id on public.vendor_reviews (customer_id);
-- One review of the vendor per booking.
create unique index idx_vendor_reviews_booking_id on public.vendor_reviews (booking_id);
create index idx_vendor_reviews_status on public.vendor_reviews (status, created_at);
create index idx_vendor_reviews_rating on public.vendor_reviews (vendor_id, overall_rating);
create index idx_vendor_reviews_moderated_by on public.vendor_reviews (moderated_by);
create index idx_vendor_reviews_replied_by on public.vendor_reviews (replied_by);

create trigger set_updated_at before update on public.vendor_reviews
  for each row execute function private.set_updated_at();

alter table public.vendor_reviews enable row level security;

comment on table public.vendor_reviews is 'A customer''s review of the vendor (premises and experience) after a booking, moderated before it is shown; therapist and service reviews are separate.';
comment on column public.vendor_reviews.booking_id is 'The completed booking being reviewed; one vendor review per booking.';
comment on column public.vendor_reviews.is_anonymous is 'Show the review without the customer''s name.';
comment on column public.vendor_reviews.status is 'Only approved reviews are public and count towards vendors.rating.';
comment on column public.vendor_reviews.moderated_by is 'Employee who approved, rejected or flagged the review.';
comment on column public.vendor_reviews.replied_by is 'Vendor owner or staff user who wrote the public reply.';

-- vendor_services ------------------------------------------------------------------------

create table public.vendor_services (
  id uuid primary key default gen_random_uuid(),
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  service_id uuid not null, -- FK added in V9: service_id -> services
  custom_price_60min bigint check (custom_price_60min >= 0),
  duration_prices jsonb not null default '{}'::jsonb,
  durations_offered integer[] not null default '{60}',
  is_home_service boolean not null default false,
  is_in_spa boolean not null default true,
  home_service_surcharge bigint not null default 0 check (home_service_surcharge >= 0),
  max_daily_bookings integer check (max_daily_bookings > 0),
  display_order integer not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint vendor_services_vendor_id_service_id_key unique (vendor_id, service_id),
  constraint vendor_services_mode check (is_home_service or is_in_spa),
  constraint vendor_services_durations check (
    cardinality(durations_offered) > 0
    and array_position(durations_offered, null) is null
    and 15 <= all(durations_offered)
    and 480 >= all(durations_offered)
  )
);

create index idx_vendor_services_service_id on public.vendor_services (service_id, is_active);
create index idx_vendor_services_vendor_id_active on public.vendor_services (vendor_id, is_active, display_order);

create trigger set_updated_at before update on public.vendor_services
  for each row execute function private.set_updated_at();

alter table public.vendor_services enable row level security;

comment on table public.vendor_services is 'A service from the OMBARO catalogue that a vendor offers, with the vendor''s own price, durations and where it is delivered.';
comment on column public.vendor_services.custom_price_60min is 'Vendor''s price for 60 minutes, in paise; null = services.base_price_60min.';
comment on column public.vendor_services.duration_prices is 'Price per offered duration in paise, keyed by minutes { "90": 349900 }; durations missing here scale from the 60-minute price.';
comment on column public.vendor_services.durations_offered is 'Session lengths offered, in minutes (15-480).';
comment on column public.vendor_services.is_home_service is 'Offered at the customer''s address by a travelling therapist.';
comment on column public.vendor_services.is_in_spa is 'Offered at the vendor''s premises.';
comment on column public.vendor_services.home_service_surcharge is 'Added to home-service bookings of this service, in paise.';
comment on column public.vendor_services.max_daily_bookings is 'Cap on bookings of this service per day (null = limited only by therapist capacity).';
