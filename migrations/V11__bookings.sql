-- Bookings: a customer's reservation of services from a vendor, at the spa or at home, and
-- everything that happens to it (notes, photos, reschedules, cancellation, status history).
--
-- Apps write bookings directly through supabase-js, so the rules that keep a booking
-- coherent live here:
-- * money is integer paise and the total must reconcile with its parts;
-- * `scheduled_start`/`scheduled_end` (UTC) and the spec's local `booking_date`/`booking_time`
--   are kept in step by a trigger, in the booking's own timezone;
-- * `booking_number` (OBO-YYYYMMDD-NNNN, IST date of creation) is assigned by the database
--   when omitted, from one global sequence, padded to at least four digits and never
--   truncated, so numbers stay unique at any volume (the unique constraint is the backstop
--   for numbers supplied by hand; the serial does not restart each day, since a daily counter
--   would serialise every booking of the day on one row);
-- * status moves only along the booking lifecycle, and every move is written to the
--   append-only `booking_status_history`;
-- * a retried create with the same idempotency key cannot make a second booking.
--
-- Also adds the foreign keys that earlier files left for bookings, booking items and
-- therapists (V10 is earlier than this file, later than V9).

-- bookings ---------------------------------------------------------------------------------

create sequence private.booking_number_seq as bigint start with 1;

comment on sequence private.booking_number_seq is
  'Running serial of booking numbers (private.next_booking_number); global, so numbers stay unique within one IST day at any volume.';

create table public.bookings (
  id uuid primary key default gen_random_uuid(),
  booking_number text not null unique check (booking_number ~ '^OBO-[0-9]{8}-[0-9]{4,}$'),
  customer_id uuid not null references auth.users (id) on delete restrict,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  booking_type text not null check (booking_type in ('home_service', 'spa_visit', 'hotel_service')),
  source text not null default 'app' check (source in ('app', 'web', 'phone', 'walk_in')),
  service_location jsonb not null check (jsonb_typeof(service_location) = 'object'),
  address_id uuid references public.customer_addresses (id) on delete set null,
  location extensions.geography(point, 4326),
  booking_date date not null,
  booking_time time not null,
  scheduled_start timestamptz not null,
  scheduled_end timestamptz not null,
  timezone text not null default 'Asia/Kolkata',
  hold_expires_at timestamptz,
  reschedule_count integer not null default 0 check (reschedule_count >= 0),
  status text not null default 'pending' check (status in (
    'pending', 'confirmed', 'assigned', 'in_progress', 'completed', 'cancelled', 'rescheduled'
  )),
  cancellation_reason text,
  cancelled_by uuid references auth.users (id) on delete set null,
  cancelled_at timestamptz,
  payment_status text not null default 'pending' check (payment_status in ('pending', 'partial', 'paid', 'refunded')),
  subtotal bigint not null default 0 check (subtotal >= 0),
  discount_amount bigint not null default 0 check (discount_amount >= 0),
  tax_rate numeric(5,2) not null default 18.00 check (tax_rate between 0 and 100),
  tax_amount bigint not null default 0 check (tax_amount >= 0),
  convenience_fee bigint not null default 0 check (convenience_fee >= 0),
  total_amount bigint not null default 0 check (total_amount >= 0),
  promotion_id uuid,  -- FK added in V13: promotion_id -> promotions
  coupon_code_id uuid,  -- FK added in V13: coupon_code_id -> coupon_codes
  preferred_therapist_gender text not null default 'any' check (preferred_therapist_gender in ('any', 'female', 'male')),
  special_instructions text,
  idempotency_key text check (length(idempotency_key) between 8 and 200),
  idempotency_request_hash text check (idempotency_request_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint bookings_end_after_start check (scheduled_end > scheduled_start),
  constraint bookings_discount_within_subtotal check (discount_amount <= subtotal),
  constraint bookings_total_reconciles check (total_amount = subtotal - discount_amount + tax_amount + convenience_fee),
  constraint bookings_hold_only_pending check (status = 'pending' or hold_expires_at is null),
  constraint bookings_cancelled_at check (status <> 'cancelled' or cancelled_at is not null),
  constraint bookings_home_service_location check (booking_type <> 'home_service' or location is not null or address_id is not null),
  constraint bookings_idempotency_request_hash_needs_key check (idempotency_request_hash is null or idempotency_key is not null)
);

comment on table public.bookings is
  'A reservation of one or more services from a vendor for a customer at a time and place. Never deleted: a booking ends as completed or cancelled, and its status history, payments and invoices keep pointing at it.';
comment on column public.bookings.booking_number is 'Human-facing reference OBO-<IST date YYYYMMDD>-<4+ digit serial>; assigned by the database when omitted.';
comment on column public.bookings.customer_id is 'Customer who booked (auth user).';
comment on column public.bookings.source is 'Channel the booking came through; phone and walk_in are entered by vendor or care staff.';
comment on column public.bookings.service_location is 'Snapshot of where the service happens: { address, latitude, longitude, landmark }; survives edits to the saved address.';
comment on column public.bookings.address_id is 'Saved customer address used for a home service, if any.';
comment on column public.bookings.location is 'Point of service_location, for distance and zone queries; required (or address_id) for home services.';
comment on column public.bookings.booking_date is 'Local date of the start in the booking''s timezone; kept in step with scheduled_start.';
comment on column public.bookings.booking_time is 'Local start time in the booking''s timezone; kept in step with scheduled_start.';
comment on column public.bookings.scheduled_start is 'Start of the appointment (UTC instant). Derived from booking_date + booking_time when omitted.';
comment on column public.bookings.scheduled_end is 'End of the appointment including add-ons (UTC instant); defaults to one hour after the start when omitted.';
comment on column public.bookings.timezone is 'IANA zone the local date and time are read in (the vendor''s).';
comment on column public.bookings.hold_expires_at is 'A pending booking holds its slot until this instant; after it, a job cancels unpaid holds. Cleared when the booking leaves pending.';
comment on column public.bookings.reschedule_count is 'How many times the start moved after confirmation; maintained by the database, read by the reschedule policy.';
comment on column public.bookings.cancellation_reason is 'Why it was cancelled; copied into booking_status_history.';
comment on column public.bookings.cancelled_by is 'User who cancelled; defaults to the acting user.';
comment on column public.bookings.payment_status is 'Summary of payments against total_amount.';
comment on column public.bookings.subtotal is 'Sum of booking_items.subtotal before discount and tax, in paise.';
comment on column public.bookings.discount_amount is 'Promotion, coupon and loyalty discounts, in paise.';
comment on column public.bookings.tax_rate is 'GST rate applied, percent (18.00 for spa services).';
comment on column public.bookings.tax_amount is 'GST charged (CGST + SGST or IGST), in paise.';
comment on column public.bookings.convenience_fee is 'Platform fee charged to the customer, in paise.';
comment on column public.bookings.total_amount is 'Amount payable = subtotal - discount_amount + tax_amount + convenience_fee, in paise.';
comment on column public.bookings.promotion_id is 'Promotion applied, if any.';
comment on column public.bookings.coupon_code_id is 'Coupon code redeemed, if any.';
comment on column public.bookings.preferred_therapist_gender is 'Customer''s preference for the therapist''s gender, honoured at assignment.';
comment on column public.bookings.idempotency_key is 'Client-generated key of the create request; a retry with the same key hits the unique index instead of double-booking.';
comment on column public.bookings.idempotency_request_hash is
  'SHA-256 (hex) of the canonical create request made with idempotency_key: a retry with the same key must send the same request (another is refused with 422 idempotency_key_reused, as Stripe does).';

create index idx_bookings_customer on public.bookings (customer_id, scheduled_start desc);
create index idx_bookings_vendor on public.bookings (vendor_id, scheduled_start);
create index idx_bookings_status on public.bookings (status);
create index idx_bookings_date on public.bookings (booking_date, booking_time);
create index idx_bookings_scheduled_start on public.bookings (scheduled_start);
create index idx_bookings_payment_status on public.bookings (payment_status);
create index idx_bookings_created_at on public.bookings (created_at desc);
create index idx_bookings_hold_expires_at on public.bookings (hold_expires_at) where status = 'pending';
create index idx_bookings_address_id on public.bookings (address_id);
create index idx_bookings_cancelled_by on public.bookings (cancelled_by);
create index idx_bookings_promotion_id on public.bookings (promotion_id);
create index idx_bookings_coupon_code_id on public.bookings (coupon_code_id);
create index idx_bookings_location on public.bookings using gist (location);
create unique index idx_bookings_customer_id_idempotency_key on public.bookings (customer_id, idempotency_key)
  where idempotency_key is not null;

-- booking numbers --------------------------------------------------------------------------

-- The number of serial `serial` made at `created`: never truncated, so distinct serials give
-- distinct numbers.
create or replace function private.format_booking_number(serial bigint, created timestamptz)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
  return 'OBO-' || to_char(created at time zone 'Asia/Kolkata', 'YYYYMMDD') || '-'
      || case when length(serial::text) < 4 then lpad(serial::text, 4, '0') else serial::text end;
end
$$;

comment on function private.format_booking_number(bigint, timestamptz) is
  'OBO-<IST date of created, YYYYMMDD>-<serial, zero-padded to at least 4 digits, never truncated>.';

create or replace function private.next_booking_number()
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  return private.format_booking_number(nextval('private.booking_number_seq'), now());
end
$$;

comment on function private.next_booking_number() is
  'The next booking number; the serial comes from private.booking_number_seq, so two bookings never share a number.';

revoke execute on function private.next_booking_number(), private.format_booking_number(bigint, timestamptz)
  from public, anon, authenticated;
grant execute on function private.next_booking_number(), private.format_booking_number(bigint, timestamptz) to service_role;

-- Booking status moves as data: every legal (from_status, to_status) move of
-- bookings.status with the actors who may ask for it (customer, vendor, therapist, admin =
-- operations, system = the platform: payment webhooks, hold expiry, the booking service
-- following an assignment). bookings_before_write checks a status change against it; the
-- booking core's lifecycle::booking_actors is the same table in Rust, and an integration test
-- compares the two pair by pair. Who may make a move through the API is V27's
-- bookings_guard_api_update.
create or replace function private.booking_status_moves()
returns table (from_status text, to_status text, actors text[])
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return query
  select m.from_status, m.to_status, m.actors
    from (values
      -- Payment captured (system) or accepted by the vendor.
      ('pending', 'confirmed', array['vendor', 'admin', 'system']),
      -- Customer backs out, vendor declines, unpaid hold expires.
      ('pending', 'cancelled', array['customer', 'vendor', 'admin', 'system']),
      ('confirmed', 'assigned', array['vendor', 'admin', 'system']),
      -- Started without a formal assignment (walk-in at the spa), or following the assignment.
      ('confirmed', 'in_progress', array['vendor', 'admin', 'system']),
      ('assigned', 'in_progress', array['vendor', 'admin', 'system']),
      ('confirmed', 'rescheduled', array['customer', 'vendor', 'admin']),
      ('assigned', 'rescheduled', array['customer', 'vendor', 'admin']),
      ('confirmed', 'cancelled', array['customer', 'vendor', 'admin', 'system']),
      ('assigned', 'cancelled', array['customer', 'vendor', 'admin', 'system']),
      ('rescheduled', 'cancelled', array['customer', 'vendor', 'admin', 'system']),
      -- The therapist was taken off; the booking waits for another.
      ('assigned', 'confirmed', array['vendor', 'admin', 'system']),
      ('rescheduled', 'confirmed', array['vendor', 'admin', 'system']),
      ('rescheduled', 'assigned', array['vendor', 'admin', 'system']),
      ('in_progress', 'completed', array['vendor', 'admin', 'system']),
      -- Once started, only the business can abort (customer taken ill, safety).
      ('in_progress', 'cancelled', array['vendor', 'admin', 'system'])
    ) as m(from_status, to_status, actors);
end
$$;

comment on function private.booking_status_moves() is
  'Every legal move of bookings.status (completed and cancelled are final) with the actors who may ask for it: customer, vendor, therapist, admin, system. Read by bookings_before_write; mirrored by the booking core''s lifecycle::booking_actors.';

revoke execute on function private.booking_status_moves() from public, anon, authenticated;
grant execute on function private.booking_status_moves() to service_role;

-- Assigns the booking number, keeps local and UTC schedule in step, and enforces the
-- lifecycle. Runs before the row is checked, so the not-null columns it fills may be
-- omitted by the app.
create or replace function private.bookings_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  local_start timestamp;
  allowed boolean;
begin
  if tg_op = 'INSERT' then
    if new.booking_number is null then
      new.booking_number := private.next_booking_number();
    end if;
    if new.scheduled_start is null then
      if new.booking_date is null or new.booking_time is null then
        raise exception 'a booking needs scheduled_start, or booking_date and booking_time'
          using errcode = '23502';
      end if;
      new.scheduled_start := (new.booking_date + new.booking_time) at time zone new.timezone;
    end if;
    if new.scheduled_end is null then
      new.scheduled_end := new.scheduled_start + interval '60 minutes';
    end if;
  else
    if new.status is distinct from old.status then
      allowed := exists (
        select 1 from private.booking_status_moves() m
         where m.from_status = old.status and m.to_status = new.status
      );
      if not allowed then
        raise exception 'booking %: status cannot change from % to %', old.booking_number, old.status, new.status
          using errcode = '23514', hint = 'completed and cancelled are final';
      end if;
    end if;
    if new.booking_number is distinct from old.booking_number then
      raise exception 'booking %: booking_number cannot change', old.booking_number using errcode = '23514';
    end if;
    -- The app moved the local date/time only: move the UTC instants with it.
    if new.scheduled_start is not distinct from old.scheduled_start
       and (new.booking_date, new.booking_time, new.timezone) is distinct from (old.booking_date, old.booking_time, old.timezone) then
      new.scheduled_start := (new.booking_date + new.booking_time) at time zone new.timezone;
    end if;
    if new.scheduled_start is distinct from old.scheduled_start then
      if new.scheduled_end is not distinct from old.scheduled_end then
        new.scheduled_end := new.scheduled_start + (old.scheduled_end - old.scheduled_start);
      end if;
      if old.status <> 'pending' then
        new.reschedule_count := old.reschedule_count + 1;
      end if;
    end if;
  end if;

  local_start := new.scheduled_start at time zone new.timezone;
  new.booking_date := local_start::date;
  new.booking_time := local_start::time;

  if new.status <> 'pending' then
    new.hold_expires_at := null;
  end if;
  if new.status = 'cancelled' and (tg_op = 'INSERT' or old.status <> 'cancelled') then
    new.cancelled_at := coalesce(new.cancelled_at, now());
    new.cancelled_by := coalesce(new.cancelled_by, private.current_actor_id());
  end if;
  return new;
end
$$;

create trigger bookings_before_write before insert or update on public.bookings
  for each row execute function private.bookings_before_write();

create trigger set_updated_at before update on public.bookings
  for each row execute function private.set_updated_at();

alter table public.bookings enable row level security;

-- booking_items ----------------------------------------------------------------------------

create table public.booking_items (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  service_id uuid not null references public.services (id) on delete restrict,
  variant_id uuid references public.service_variants (id) on delete set null,
  package_id uuid references public.service_packages (id) on delete set null,
  service_name text,
  duration integer not null check (duration > 0),
  price bigint not null check (price >= 0),
  quantity integer not null default 1 check (quantity between 1 and 20),
  addon_services jsonb not null default '[]'::jsonb check (jsonb_typeof(addon_services) = 'array'),
  addon_amount bigint not null default 0 check (addon_amount >= 0),
  subtotal bigint not null check (subtotal >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint booking_items_subtotal_reconciles check (subtotal = price * quantity + addon_amount)
);

comment on table public.booking_items is 'The services (with add-ons) a booking is for, priced at the moment of booking.';
comment on column public.booking_items.variant_id is 'Variant chosen (duration / signature version), if any.';
comment on column public.booking_items.package_id is 'Package this line was sold as part of, if any.';
comment on column public.booking_items.service_name is 'Service name at booking time, for receipts that must not change when the catalogue does.';
comment on column public.booking_items.duration is 'Treatment minutes booked for this line (excluding add-on minutes).';
comment on column public.booking_items.price is 'Unit price after pricing tiers, before GST, in paise.';
comment on column public.booking_items.quantity is 'Number of guests receiving this service (2 for a couples booking of one service).';
comment on column public.booking_items.addon_services is 'Add-ons on this line: [{ "id", "code", "name", "price" (paise), "duration" }].';
comment on column public.booking_items.addon_amount is 'Sum of the add-on prices on this line, in paise.';
comment on column public.booking_items.subtotal is 'price * quantity + addon_amount, in paise.';

create index idx_booking_items_booking on public.booking_items (booking_id);
create index idx_booking_items_service on public.booking_items (service_id);
create index idx_booking_items_variant_id on public.booking_items (variant_id);
create index idx_booking_items_package_id on public.booking_items (package_id);

create trigger set_updated_at before update on public.booking_items
  for each row execute function private.set_updated_at();

alter table public.booking_items enable row level security;

-- booking_notes ----------------------------------------------------------------------------

create table public.booking_notes (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  author_id uuid references auth.users (id) on delete set null,
  note text not null check (length(btrim(note)) > 0),
  visibility text not null default 'internal' check (visibility in ('customer', 'vendor', 'internal')),
  is_pinned boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.booking_notes is 'Free-text notes on a booking by the customer, the vendor or platform staff.';
comment on column public.booking_notes.author_id is 'User who wrote the note; null once that user is erased.';
comment on column public.booking_notes.visibility is 'Who may read it: customer (everyone on the booking), vendor (vendor and platform staff), internal (platform staff only).';

create index idx_booking_notes_booking_id on public.booking_notes (booking_id, created_at);
create index idx_booking_notes_author_id on public.booking_notes (author_id);
create index idx_booking_notes_visibility on public.booking_notes (visibility);

create trigger set_updated_at before update on public.booking_notes
  for each row execute function private.set_updated_at();

alter table public.booking_notes enable row level security;

-- booking_photos ---------------------------------------------------------------------------

create table public.booking_photos (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  bucket text not null default 'booking-photos',
  storage_path text not null,
  kind text not null check (kind in ('before', 'after', 'issue', 'other')),
  caption text,
  uploaded_by uuid references auth.users (id) on delete set null,
  consent_given boolean not null default false,
  consent_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (bucket, storage_path),
  constraint booking_photos_consent_time check (consent_given = (consent_at is not null)),
  constraint booking_photos_consent_required check (kind not in ('before', 'after') or consent_given)
);

comment on table public.booking_photos is
  'Photos taken around a service (before/after for facials and body treatments, or evidence of an issue). Before/after photos of a customer need their recorded consent (DPDP Act).';
comment on column public.booking_photos.bucket is 'Storage bucket holding the object.';
comment on column public.booking_photos.storage_path is 'Object path inside the bucket.';
comment on column public.booking_photos.kind is 'before / after the treatment, issue (damage, hygiene complaint evidence) or other.';
comment on column public.booking_photos.consent_given is 'Customer agreed to this photo being taken and stored.';
comment on column public.booking_photos.consent_at is 'When consent was recorded.';
comment on column public.booking_photos.deleted_at is 'Set when the photo is withdrawn (consent revoked); the object is purged by a job. Null = live.';

create index idx_booking_photos_booking_id on public.booking_photos (booking_id) where deleted_at is null;
create index idx_booking_photos_uploaded_by on public.booking_photos (uploaded_by);
create index idx_booking_photos_kind on public.booking_photos (kind);

create trigger set_updated_at before update on public.booking_photos
  for each row execute function private.set_updated_at();

alter table public.booking_photos enable row level security;

-- booking_reschedules ----------------------------------------------------------------------

create table public.booking_reschedules (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete cascade,
  from_scheduled_start timestamptz not null,
  to_scheduled_start timestamptz not null,
  to_scheduled_end timestamptz,
  requested_by uuid references auth.users (id) on delete set null,
  requested_by_role text not null check (requested_by_role in ('customer', 'vendor', 'admin', 'system')),
  reason text,
  policy_applied jsonb not null default '{}'::jsonb check (jsonb_typeof(policy_applied) = 'object'),
  fee bigint not null default 0 check (fee >= 0),
  status text not null default 'requested' check (status in ('requested', 'approved', 'rejected', 'completed', 'cancelled')),
  decided_by uuid references auth.users (id) on delete set null,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint booking_reschedules_moves check (to_scheduled_start <> from_scheduled_start),
  constraint booking_reschedules_end_after_start check (to_scheduled_end is null or to_scheduled_end > to_scheduled_start),
  constraint booking_reschedules_decided_at check (status not in ('approved', 'rejected') or decided_at is not null)
);

comment on table public.booking_reschedules is
  'Requests to move a booking to another time, with the policy that priced them; an approved request updates bookings.scheduled_start.';
comment on column public.booking_reschedules.from_scheduled_start is 'Start before the move (UTC instant).';
comment on column public.booking_reschedules.to_scheduled_start is 'Requested new start (UTC instant).';
comment on column public.booking_reschedules.to_scheduled_end is 'Requested new end (UTC instant); null keeps the same length.';
comment on column public.booking_reschedules.requested_by_role is 'Side that asked for the move; vendor-initiated moves are never charged.';
comment on column public.booking_reschedules.policy_applied is 'Snapshot of the policy used: { "code", "free_until_hours", "fee_percent", "max_reschedules" }.';
comment on column public.booking_reschedules.fee is 'Reschedule fee charged to the customer, in paise.';
comment on column public.booking_reschedules.decided_by is 'User (vendor or staff) who approved or rejected it.';

create index idx_booking_reschedules_booking_id on public.booking_reschedules (booking_id, created_at);
create index idx_booking_reschedules_requested_by on public.booking_reschedules (requested_by);
create index idx_booking_reschedules_decided_by on public.booking_reschedules (decided_by);
create index idx_booking_reschedules_status on public.booking_reschedules (status);

create trigger set_updated_at before update on public.booking_reschedules
  for each row execute function private.set_updated_at();

alter table public.booking_reschedules enable row level security;

-- booking_cancellations --------------------------------------------------------------------

create table public.booking_cancellations (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null unique references public.bookings (id) on delete cascade,
  cancelled_by uuid references auth.users (id) on delete set null,
  actor_role text not null check (actor_role in ('customer', 'vendor', 'admin', 'system')),
  reason_code text not null default 'other' check (reason_code in (
    'change_of_plans', 'found_alternative', 'therapist_unavailable', 'vendor_closed',
    'payment_failed', 'hold_expired', 'customer_no_show', 'safety_concern', 'duplicate', 'other'
  )),
  reason text,
  notice_minutes integer,
  cancellation_fee bigint not null default 0 check (cancellation_fee >= 0),
  refund_due bigint not null default 0 check (refund_due >= 0),
  refund_id uuid,  -- FK added in V12: refund_id -> refunds
  policy jsonb not null default '{}'::jsonb check (jsonb_typeof(policy) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.booking_cancellations is
  'How a booking was cancelled and what it cost: one row per cancelled booking, with the policy snapshot used to price it and the refund it led to.';
comment on column public.booking_cancellations.actor_role is 'Side that cancelled; system covers expired holds and failed payments.';
comment on column public.booking_cancellations.reason_code is 'Structured reason for reporting; reason holds the free text.';
comment on column public.booking_cancellations.notice_minutes is 'Minutes between the cancellation and the scheduled start; negative when cancelled after the start (no-show).';
comment on column public.booking_cancellations.cancellation_fee is 'Fee kept under the policy, in paise.';
comment on column public.booking_cancellations.refund_due is 'Amount to return to the customer, in paise.';
comment on column public.booking_cancellations.refund_id is 'Refund issued for refund_due, once created.';
comment on column public.booking_cancellations.policy is 'Snapshot of the policy applied: { "code", "free_until_hours", "fee_percent", "vendor_penalty" }.';

create index idx_booking_cancellations_cancelled_by on public.booking_cancellations (cancelled_by);
create index idx_booking_cancellations_refund_id on public.booking_cancellations (refund_id);
create index idx_booking_cancellations_role_created on public.booking_cancellations (actor_role, created_at desc);
create index idx_booking_cancellations_reason_code on public.booking_cancellations (reason_code);

create trigger set_updated_at before update on public.booking_cancellations
  for each row execute function private.set_updated_at();

alter table public.booking_cancellations enable row level security;

-- booking_status_history -------------------------------------------------------------------

create table public.booking_status_history (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null references public.bookings (id) on delete restrict,
  from_status text,
  to_status text not null,
  changed_by uuid,
  actor_role text,
  changed_at timestamptz not null default now(),
  reason text,
  created_at timestamptz not null default now()
);

comment on table public.booking_status_history is
  'Every status a booking has had, written by a trigger on bookings; append-only. It restricts booking deletion on purpose: bookings are cancelled, not deleted.';
comment on column public.booking_status_history.from_status is 'Status before the change; null for the row written when the booking was created.';
comment on column public.booking_status_history.changed_by is 'Acting user (JWT sub), null for service work. No foreign key: the history keeps the id even after the user is erased.';
comment on column public.booking_status_history.actor_role is 'JWT role (authenticated, partner, staff, service_role) or database role of the change.';
comment on column public.booking_status_history.reason is 'Cancellation reason, or the ombaro.change_reason setting of the transaction that made the change.';

create index idx_booking_status_history_booking_id on public.booking_status_history (booking_id, changed_at);
create index idx_booking_status_history_to_status on public.booking_status_history (to_status, changed_at desc);
create index idx_booking_status_history_changed_by on public.booking_status_history (changed_by);

create trigger forbid_change before update or delete on public.booking_status_history
  for each row execute function private.forbid_change();

alter table public.booking_status_history enable row level security;

-- Writes the history row. Security definer: the acting user has no policy on the history
-- table and must not need one.
create or replace function private.bookings_log_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and new.status is not distinct from old.status then
    return null;
  end if;
  insert into public.booking_status_history (booking_id, from_status, to_status, changed_by, actor_role, reason)
  values (
    new.id,
    case when tg_op = 'UPDATE' then old.status end,
    new.status,
    private.current_actor_id(),
    private.current_actor_role(),
    case
      when new.status = 'cancelled' then new.cancellation_reason
      else nullif(current_setting('ombaro.change_reason', true), '')
    end
  );
  return null;
end
$$;

create trigger bookings_log_status after insert or update of status on public.bookings
  for each row execute function private.bookings_log_status();

-- Reviews (V9) belong to a completed booking of the reviewer -----------------------------

create or replace function private.reviews_check_booking()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  b record;
begin
  select customer_id, vendor_id, status, booking_number into b
    from public.bookings where id = new.booking_id;
  if not found then
    return new;  -- the foreign key reports it
  end if;
  if b.customer_id <> new.customer_id then
    raise exception 'review of booking %: only its customer may review it', b.booking_number
      using errcode = '23514';
  end if;
  if b.status <> 'completed' then
    raise exception 'review of booking %: the booking is %, not completed', b.booking_number, b.status
      using errcode = '23514';
  end if;
  new.vendor_id := coalesce(new.vendor_id, b.vendor_id);
  if new.vendor_id <> b.vendor_id then
    raise exception 'review of booking %: vendor does not match the booking', b.booking_number
      using errcode = '23514';
  end if;
  return new;
end
$$;

create trigger reviews_check_booking before insert or update of booking_id, customer_id, vendor_id on public.reviews
  for each row execute function private.reviews_check_booking();

-- Foreign keys left by earlier files -------------------------------------------------------

alter table public.service_execution_log
  add constraint service_execution_log_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete restrict,
  add constraint service_execution_log_booking_item_id_fkey
    foreign key (booking_item_id) references public.booking_items (id) on delete restrict,
  add constraint service_execution_log_therapist_id_fkey
    foreign key (therapist_id) references public.therapists (id) on delete set null;

alter table public.reviews
  add constraint reviews_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete cascade,
  add constraint reviews_therapist_id_fkey
    foreign key (therapist_id) references public.therapists (id) on delete set null;

alter table public.service_reviews
  add constraint service_reviews_booking_item_id_fkey
    foreign key (booking_item_id) references public.booking_items (id) on delete set null;

alter table public.therapist_assignments
  add constraint therapist_assignments_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete cascade;

alter table public.vendor_reviews
  add constraint vendor_reviews_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete cascade;

alter table public.customer_referrals
  add constraint customer_referrals_qualifying_booking_id_fkey
    foreign key (qualifying_booking_id) references public.bookings (id) on delete set null;

alter table public.customer_complaints
  add constraint customer_complaints_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete set null;

alter table public.customer_communication_log
  add constraint customer_communication_log_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete set null;

-- Ledger rows cannot be updated, so a booking with loyalty entries cannot be deleted.
alter table public.loyalty_points_transactions
  add constraint loyalty_points_transactions_booking_id_fkey
    foreign key (booking_id) references public.bookings (id) on delete restrict;
