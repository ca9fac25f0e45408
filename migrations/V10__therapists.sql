-- Therapists: the people who perform the services, employed by vendors. Their profiles,
-- weekly shifts, leave, certifications, live GPS trail, per-booking assignments with an
-- event timeline, and periodic performance figures.
--
-- Why it is shaped this way:
-- * Home-service dispatch is geographic: assignments and GPS points carry PostGIS
--   geography derived from the reported latitude/longitude, so ETA and "who is nearby"
--   queries use GiST indexes.
-- * GPS points arrive every few seconds per active therapist and are only needed for a
--   day, so therapist_locations is range-partitioned by day and old partitions are dropped
--   by private.maintain_partitions() (the spec's `where timestamp < now() - ...` index is
--   not valid: now() is not immutable).
-- * Shifts are local `time` in the vendor's timezone; breaks must sit inside the shift.
-- * Every status change of an assignment is written to the append-only
--   assignment_timeline by a trigger, so the customer app, vendor panel and support all
--   read the same story.
-- * Therapists are soft-deleted (`deleted_at`): assignments, reviews and payroll keep them.

-- therapists -----------------------------------------------------------------------------

create table public.therapists (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  name text not null,
  email text not null,
  mobile text not null,
  gender text check (gender in ('male', 'female', 'other')),
  date_of_birth date,
  profile_image text,
  specialization text[] not null default '{}',
  experience_years integer not null default 0 check (experience_years between 0 and 60),
  certifications jsonb not null default '[]'::jsonb,
  languages text[] not null default '{}',
  rating numeric(3,2) not null default 0.00 check (rating between 0 and 5),
  total_reviews integer not null default 0 check (total_reviews >= 0),
  total_services integer not null default 0 check (total_services >= 0),
  status text not null default 'active' check (status in ('active', 'inactive', 'on_leave', 'terminated')),
  availability_status text not null default 'offline' check (availability_status in ('available', 'busy', 'offline')),
  emergency_contact jsonb,
  address jsonb,
  home_location extensions.geography(point, 4326),
  bank_details jsonb,
  -- array_to_string() is only stable, so the arrays are rendered through their
  -- (immutable) tsvector text form instead.
  search_vector tsvector generated always as (
    to_tsvector(
      'english'::regconfig,
      coalesce(name, '') || ' '
        || coalesce(array_to_tsvector(specialization)::text, '') || ' '
        || coalesce(array_to_tsvector(languages)::text, '')
    )
  ) stored,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- array_to_tsvector() rejects null and empty elements.
  constraint therapists_specialization_elements check (
    array_position(specialization, null) is null and array_position(specialization, '') is null
  ),
  constraint therapists_languages_elements check (
    array_position(languages, null) is null and array_position(languages, '') is null
  )
);

create unique index idx_therapists_email on public.therapists (email);
create index idx_therapists_vendor on public.therapists (vendor_id);
create index idx_therapists_user on public.therapists (user_id);
create index idx_therapists_status on public.therapists (status);
create index idx_therapists_availability on public.therapists (availability_status);
create index idx_therapists_rating on public.therapists (rating desc);
create index idx_therapists_specialization on public.therapists using gin (specialization);
create index idx_therapists_languages on public.therapists using gin (languages);
create index idx_therapists_search_vector on public.therapists using gin (search_vector);
create index idx_therapists_home_location on public.therapists using gist (home_location);
-- Dispatch: a vendor's live therapists of the requested gender who are free now.
create index idx_therapists_vendor_id_dispatch on public.therapists (vendor_id, gender, availability_status)
  where deleted_at is null and status = 'active';

create trigger set_updated_at before update on public.therapists
  for each row execute function private.set_updated_at();

alter table public.therapists enable row level security;

comment on table public.therapists is 'Therapists working for a vendor (at the spa or travelling to customers). Soft-deleted through deleted_at.';
comment on column public.therapists.user_id is 'Login for the therapist app; null until invited, or after the account is removed.';
comment on column public.therapists.gender is 'Used to honour customers'' therapist-gender preference.';
comment on column public.therapists.specialization is 'Service codes the therapist is trained for (services.code, e.g. ARO, SWD, DPT).';
comment on column public.therapists.certifications is 'Legacy summary [{ name, issuer, year, document_url }]; therapist_certifications is the verified source.';
comment on column public.therapists.languages is 'Languages spoken (Hindi, English, Tamil ...), for customer matching.';
comment on column public.therapists.rating is 'Average approved review rating (1-5), kept current by the review moderation workflow; 0 = not yet rated.';
comment on column public.therapists.availability_status is 'Live state set by the therapist app: available for dispatch, busy on a booking, or offline.';
comment on column public.therapists.emergency_contact is '{ name, relation, phone }.';
comment on column public.therapists.home_location is 'Where the therapist starts their day (WGS 84); first-trip travel time is estimated from here.';
comment on column public.therapists.bank_details is 'Salary account { bank_name, branch, ifsc, account_last4, account_number_ciphertext }; the account number is stored only encrypted by the application.';
comment on column public.therapists.search_vector is 'Full-text index over name, specialisations and languages.';
comment on column public.therapists.deleted_at is 'Soft delete: set when the therapist leaves the platform; null = live.';

-- therapist_schedules --------------------------------------------------------------------

create table public.therapist_schedules (
  id uuid primary key default gen_random_uuid(),
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  day_of_week integer not null check (day_of_week between 0 and 6),
  start_time time not null,
  end_time time not null,
  is_available boolean not null default true,
  break_start time,
  break_end time,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint therapist_schedules_shift check (end_time > start_time),
  constraint therapist_schedules_break check (
    (break_start is null and break_end is null)
    or (break_start is not null and break_end is not null
        and break_end > break_start and break_start >= start_time and break_end <= end_time)
  )
);

-- One shift per therapist per weekday (the spec's unique constraint, kept under its index name).
create unique index idx_therapist_schedules_therapist on public.therapist_schedules (therapist_id, day_of_week);
create index idx_therapist_schedules_day on public.therapist_schedules (day_of_week);
create index idx_therapist_schedules_available on public.therapist_schedules (day_of_week, start_time, end_time) where is_available;

create trigger set_updated_at before update on public.therapist_schedules
  for each row execute function private.set_updated_at();

alter table public.therapist_schedules enable row level security;

comment on table public.therapist_schedules is 'A therapist''s weekly working hours, one shift per weekday, in the vendor''s local time.';
comment on column public.therapist_schedules.day_of_week is '0 = Sunday .. 6 = Saturday.';
comment on column public.therapist_schedules.start_time is 'Shift start, local time (vendors.timezone).';
comment on column public.therapist_schedules.end_time is 'Shift end, local time (vendors.timezone); 24:00 = midnight.';
comment on column public.therapist_schedules.is_available is 'False for a weekly off day.';
comment on column public.therapist_schedules.break_start is 'Unbookable break inside the shift (lunch), local time.';

-- therapist_leaves -----------------------------------------------------------------------

create table public.therapist_leaves (
  id uuid primary key default gen_random_uuid(),
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  leave_type text not null check (leave_type in ('sick', 'casual', 'emergency', 'annual')),
  start_date date not null,
  end_date date not null,
  total_days integer generated always as (end_date - start_date + 1) stored,
  reason text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'cancelled')),
  approved_by uuid references auth.users (id) on delete set null,
  approved_at timestamptz,
  rejection_reason text,
  documents text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (end_date >= start_date),
  constraint therapist_leaves_rejection_reason check (status <> 'rejected' or rejection_reason is not null)
);

create index idx_therapist_leaves_therapist on public.therapist_leaves (therapist_id);
create index idx_therapist_leaves_status on public.therapist_leaves (status);
create index idx_therapist_leaves_dates on public.therapist_leaves (start_date, end_date);
create index idx_therapist_leaves_approved_by on public.therapist_leaves (approved_by);
-- Dispatch asks "is this therapist on approved leave on that date".
create index idx_therapist_leaves_therapist_id_approved on public.therapist_leaves (therapist_id, start_date, end_date)
  where status = 'approved';

create trigger set_updated_at before update on public.therapist_leaves
  for each row execute function private.set_updated_at();

alter table public.therapist_leaves enable row level security;

comment on table public.therapist_leaves is 'Leave requested by a therapist and decided by the vendor; approved leave blocks dispatch for those dates.';
comment on column public.therapist_leaves.total_days is 'Calendar days covered, both ends included.';
comment on column public.therapist_leaves.status is 'pending -> approved | rejected; the therapist may cancel a pending or future approved leave.';
comment on column public.therapist_leaves.approved_by is 'Vendor user who approved or rejected the request.';
comment on column public.therapist_leaves.documents is 'Storage paths of supporting documents (medical certificate).';

-- therapist_certifications ---------------------------------------------------------------

create table public.therapist_certifications (
  id uuid primary key default gen_random_uuid(),
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  certification_name text not null,
  issuing_body text not null,
  certificate_number text,
  skill_codes text[] not null default '{}',
  issued_on date,
  expires_on date,
  document_url text,
  verification_status text not null default 'pending' check (verification_status in ('pending', 'verified', 'rejected', 'expired')),
  verified_by uuid references public.employees (id) on delete set null,
  verified_at timestamptz,
  rejection_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint therapist_certifications_dates check (expires_on is null or issued_on is null or expires_on >= issued_on),
  constraint therapist_certifications_verified check (verification_status <> 'verified' or verified_at is not null)
);

create index idx_therapist_certifications_therapist_id on public.therapist_certifications (therapist_id);
create index idx_therapist_certifications_verification_status on public.therapist_certifications (verification_status, created_at);
create index idx_therapist_certifications_expires_on on public.therapist_certifications (expires_on)
  where expires_on is not null and verification_status = 'verified';
create index idx_therapist_certifications_verified_by on public.therapist_certifications (verified_by);
-- The same certificate cannot be claimed twice.
create unique index idx_therapist_certifications_issuer_number on public.therapist_certifications (issuing_body, certificate_number)
  where certificate_number is not null;

create trigger set_updated_at before update on public.therapist_certifications
  for each row execute function private.set_updated_at();

alter table public.therapist_certifications enable row level security;

comment on table public.therapist_certifications is 'Training certificates (e.g. Beauty & Wellness Sector Skill Council, Ayurveda institutes, CIDESCO) checked by OMBARO before a therapist may offer the related services.';
comment on column public.therapist_certifications.issuing_body is 'Institution or council that issued the certificate.';
comment on column public.therapist_certifications.skill_codes is 'Service codes the certificate qualifies the therapist for.';
comment on column public.therapist_certifications.document_url is 'Storage path of the scanned certificate.';
comment on column public.therapist_certifications.verified_by is 'Employee who checked the certificate.';

-- therapist_assignments ------------------------------------------------------------------

create table public.therapist_assignments (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null, -- FK added in V11: booking_id -> bookings (on delete cascade)
  therapist_id uuid not null references public.therapists (id) on delete restrict,
  vendor_id uuid not null references public.vendors (id) on delete restrict,
  customer_id uuid not null references auth.users (id) on delete restrict,
  service_id uuid not null references public.services (id) on delete restrict,
  assignment_date date not null,
  assignment_time time not null,
  scheduled_start timestamptz,
  scheduled_end timestamptz,
  status text not null default 'assigned' check (status in (
    'assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress', 'completed', 'cancelled'
  )),
  location_address text not null,
  location_latitude numeric(10,8) check (location_latitude between -90 and 90),
  location_longitude numeric(11,8) check (location_longitude between -180 and 180),
  location extensions.geography(point, 4326) generated always as (
    extensions.st_setsrid(extensions.st_makepoint(location_longitude::float8, location_latitude::float8), 4326)::extensions.geography
  ) stored,
  estimated_duration integer not null check (estimated_duration > 0),
  actual_start_time timestamptz,
  actual_end_time timestamptz,
  actual_duration integer check (actual_duration >= 0),
  distance_traveled numeric(10,2) check (distance_traveled >= 0),
  travel_time integer check (travel_time >= 0),
  customer_rating integer check (customer_rating between 1 and 5),
  customer_feedback text,
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint therapist_assignments_coordinates check ((location_latitude is null) = (location_longitude is null)),
  constraint therapist_assignments_schedule check (scheduled_end is null or scheduled_start is null or scheduled_end > scheduled_start),
  constraint therapist_assignments_actual check (actual_end_time is null or actual_start_time is null or actual_end_time >= actual_start_time)
);

create index idx_therapist_assignments_booking on public.therapist_assignments (booking_id);
create index idx_therapist_assignments_therapist on public.therapist_assignments (therapist_id);
create index idx_therapist_assignments_vendor on public.therapist_assignments (vendor_id);
create index idx_therapist_assignments_customer on public.therapist_assignments (customer_id);
create index idx_therapist_assignments_service_id on public.therapist_assignments (service_id);
create index idx_therapist_assignments_status on public.therapist_assignments (status);
create index idx_therapist_assignments_date on public.therapist_assignments (assignment_date, assignment_time);
create index idx_therapist_assignments_location on public.therapist_assignments using gist (location);
-- A therapist's day, in order (today's run sheet, clash checks).
create index idx_therapist_assignments_therapist_id_scheduled_start on public.therapist_assignments (therapist_id, scheduled_start)
  where status <> 'cancelled';

create trigger set_updated_at before update on public.therapist_assignments
  for each row execute function private.set_updated_at();

alter table public.therapist_assignments enable row level security;

comment on table public.therapist_assignments is 'A therapist sent to perform a service of a booking: from assignment through travel and arrival to completion. A booking may have several (couples, multiple services).';
comment on column public.therapist_assignments.customer_id is 'The booking''s customer (auth.users id), copied so the therapist app can filter without reading bookings.';
comment on column public.therapist_assignments.assignment_date is 'Local service date (vendors.timezone).';
comment on column public.therapist_assignments.assignment_time is 'Local service start time (vendors.timezone).';
comment on column public.therapist_assignments.scheduled_start is 'Planned start as an instant (assignment_date + assignment_time in the vendor''s timezone); basis for the no-double-booking constraint.';
comment on column public.therapist_assignments.scheduled_end is 'Planned end including the service duration (travel buffers are added by the clash check).';
comment on column public.therapist_assignments.status is 'assigned -> acknowledged -> in_transit -> reached -> in_progress -> completed; cancelled at any point before completion.';
comment on column public.therapist_assignments.location_address is 'Where the service happens (customer address or spa), as shown to the therapist.';
comment on column public.therapist_assignments.location is 'Derived from location_latitude/location_longitude.';
comment on column public.therapist_assignments.estimated_duration is 'Planned service length, in minutes.';
comment on column public.therapist_assignments.actual_start_time is 'Set when status becomes in_progress, if not supplied.';
comment on column public.therapist_assignments.actual_end_time is 'Set when status becomes completed, if not supplied.';
comment on column public.therapist_assignments.actual_duration is 'Minutes between actual start and end.';
comment on column public.therapist_assignments.distance_traveled is 'Kilometres travelled to the service location.';
comment on column public.therapist_assignments.travel_time is 'Minutes spent travelling to the service location.';
comment on column public.therapist_assignments.customer_rating is 'Quick 1-5 rating the customer gives the therapist after the service.';

-- Fills the actual start/end stamps that the apps would otherwise have to remember.
create or replace function private.therapist_assignments_stamp()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status is distinct from old.status then
    if new.status = 'in_progress' and new.actual_start_time is null then
      new.actual_start_time := now();
    elsif new.status = 'completed' then
      new.actual_start_time := coalesce(new.actual_start_time, old.actual_start_time, now());
      new.actual_end_time := coalesce(new.actual_end_time, now());
    end if;
  end if;
  if new.actual_start_time is not null and new.actual_end_time is not null and new.actual_duration is null then
    new.actual_duration := floor(extract(epoch from new.actual_end_time - new.actual_start_time) / 60)::integer;
  end if;
  return new;
end
$$;

create trigger stamp before update on public.therapist_assignments
  for each row execute function private.therapist_assignments_stamp();

-- assignment_timeline --------------------------------------------------------------------

create table public.assignment_timeline (
  id uuid primary key default gen_random_uuid(),
  assignment_id uuid not null references public.therapist_assignments (id) on delete restrict,
  event_type text not null default 'status_change' check (event_type in (
    'status_change', 'note', 'eta_update', 'delay', 'issue', 'customer_contacted'
  )),
  status text not null check (status in (
    'assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress', 'completed', 'cancelled'
  )),
  note text,
  location extensions.geography(point, 4326),
  eta_minutes integer check (eta_minutes >= 0),
  actor_id uuid,
  actor_role text,
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now()
);

create index idx_assignment_timeline_assignment_id on public.assignment_timeline (assignment_id, occurred_at);
create index idx_assignment_timeline_actor_id on public.assignment_timeline (actor_id);
create index idx_assignment_timeline_event_type on public.assignment_timeline (event_type, occurred_at);
create index idx_assignment_timeline_location on public.assignment_timeline using gist (location);

create trigger forbid_change before update or delete on public.assignment_timeline
  for each row execute function private.forbid_change();

alter table public.assignment_timeline enable row level security;

comment on table public.assignment_timeline is 'Append-only events of an assignment: every status change (written by a trigger) plus notes, ETA updates and issues reported by the therapist, vendor or support.';
comment on column public.assignment_timeline.event_type is 'status_change rows are written by the database; the others by the apps.';
comment on column public.assignment_timeline.status is 'The assignment''s status when the event happened (the new status for status_change); filled from the assignment when omitted.';
comment on column public.assignment_timeline.location is 'Where the therapist was when the event was recorded (WGS 84), if known.';
comment on column public.assignment_timeline.eta_minutes is 'Estimated minutes to arrival, for eta_update and delay events.';
comment on column public.assignment_timeline.actor_id is 'auth.users id of who caused the event, taken from the JWT (null for system jobs). Not a foreign key: the timeline outlives accounts.';
comment on column public.assignment_timeline.actor_role is 'JWT or database role of the actor at the time.';
comment on column public.assignment_timeline.occurred_at is 'When the event happened (apps may report offline events late).';

-- Stamps who wrote an event (from the JWT, so the apps cannot claim to be someone else)
-- and the assignment's current status when the caller leaves it out. status_change rows
-- come only from the trigger on therapist_assignments below.
create or replace function private.assignment_timeline_stamp()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.event_type = 'status_change' and pg_trigger_depth() < 2 then
    raise exception 'status_change events are written by the database when therapist_assignments.status changes'
      using errcode = '42501';
  end if;
  new.actor_id := coalesce(private.current_actor_id(), new.actor_id);
  new.actor_role := coalesce(new.actor_role, private.current_actor_role());
  if new.status is null then
    select a.status into new.status from public.therapist_assignments a where a.id = new.assignment_id;
  end if;
  return new;
end
$$;

create trigger stamp before insert on public.assignment_timeline
  for each row execute function private.assignment_timeline_stamp();

create or replace function private.therapist_assignments_log_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    insert into public.assignment_timeline (assignment_id, event_type, status, note, actor_id, actor_role)
    values (
      new.id,
      'status_change',
      new.status,
      nullif(current_setting('ombaro.change_reason', true), ''),
      private.current_actor_id(),
      private.current_actor_role()
    );
  end if;
  return null;
end
$$;

create trigger log_status after insert or update of status on public.therapist_assignments
  for each row execute function private.therapist_assignments_log_status();

-- therapist_locations --------------------------------------------------------------------

create table public.therapist_locations (
  id uuid not null default gen_random_uuid(),
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  assignment_id uuid references public.therapist_assignments (id) on delete set null,
  latitude numeric(10,8) not null check (latitude between -90 and 90),
  longitude numeric(11,8) not null check (longitude between -180 and 180),
  location extensions.geography(point, 4326) generated always as (
    extensions.st_setsrid(extensions.st_makepoint(longitude::float8, latitude::float8), 4326)::extensions.geography
  ) stored,
  accuracy numeric(10,2) check (accuracy >= 0),
  altitude numeric(10,2),
  speed numeric(10,2) check (speed >= 0),
  heading numeric(5,2) check (heading >= 0 and heading < 360),
  battery_level integer check (battery_level between 0 and 100),
  is_moving boolean not null default false,
  "timestamp" timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (id, "timestamp")
) partition by range ("timestamp");

-- Latest position of a therapist, and the trail of one day.
create index idx_therapist_locations_therapist on public.therapist_locations (therapist_id, "timestamp" desc);
create index idx_therapist_locations_timestamp on public.therapist_locations ("timestamp" desc);
create index idx_therapist_locations_assignment_id on public.therapist_locations (assignment_id, "timestamp");
create index idx_therapist_locations_location on public.therapist_locations using gist (location);

alter table public.therapist_locations enable row level security;

comment on table public.therapist_locations is 'GPS points sent by the therapist app while on duty (live tracking for customers and dispatch). Partitioned by day (UTC) and kept for one day after the day ends; rows are never updated.';
comment on column public.therapist_locations.assignment_id is 'Assignment the therapist was travelling to or serving, if any.';
comment on column public.therapist_locations.location is 'Derived from latitude/longitude.';
comment on column public.therapist_locations.accuracy is 'GPS accuracy radius, in metres.';
comment on column public.therapist_locations.altitude is 'Metres above sea level.';
comment on column public.therapist_locations.speed is 'km/h.';
comment on column public.therapist_locations.heading is 'Direction of travel, degrees clockwise from north.';
comment on column public.therapist_locations.battery_level is 'Phone battery percent, to warn dispatch before a therapist goes dark.';
comment on column public.therapist_locations."timestamp" is 'When the device took the fix (partition key).';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.therapist_locations', 'day', 3, interval '1 day')
on conflict (parent) do nothing;

select private.maintain_partitions();

-- therapist_performance ------------------------------------------------------------------

create table public.therapist_performance (
  id uuid primary key default gen_random_uuid(),
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  vendor_id uuid not null references public.vendors (id) on delete cascade,
  period_type text not null check (period_type in ('day', 'week', 'month', 'quarter', 'year')),
  period_start date not null,
  period_end date not null,
  services_completed integer not null default 0 check (services_completed >= 0),
  services_cancelled integer not null default 0 check (services_cancelled >= 0),
  cancellations_by_therapist integer not null default 0 check (cancellations_by_therapist >= 0),
  no_shows integer not null default 0 check (no_shows >= 0),
  on_time_percentage numeric(5,2) check (on_time_percentage between 0 and 100),
  acceptance_rate numeric(5,2) check (acceptance_rate between 0 and 100),
  avg_rating numeric(3,2) check (avg_rating between 1 and 5),
  ratings_count integer not null default 0 check (ratings_count >= 0),
  complaints_count integer not null default 0 check (complaints_count >= 0),
  service_minutes integer not null default 0 check (service_minutes >= 0),
  distance_traveled_km numeric(10,2) not null default 0 check (distance_traveled_km >= 0),
  revenue bigint not null default 0 check (revenue >= 0),
  tips bigint not null default 0 check (tips >= 0),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint therapist_performance_period check (period_end >= period_start)
);

create unique index idx_therapist_performance_therapist_id_period on public.therapist_performance (therapist_id, period_type, period_start);
create index idx_therapist_performance_vendor_id on public.therapist_performance (vendor_id, period_type, period_start);
create index idx_therapist_performance_avg_rating on public.therapist_performance (period_type, period_start, avg_rating desc);

create trigger set_updated_at before update on public.therapist_performance
  for each row execute function private.set_updated_at();

alter table public.therapist_performance enable row level security;

comment on table public.therapist_performance is 'Per-therapist figures per period, computed by the analytics job from assignments, reviews and complaints; feeds incentives and vendor dashboards.';
comment on column public.therapist_performance.vendor_id is 'Vendor the therapist worked for in the period.';
comment on column public.therapist_performance.period_start is 'First local day of the period (IST).';
comment on column public.therapist_performance.cancellations_by_therapist is 'Assignments the therapist dropped after accepting.';
comment on column public.therapist_performance.on_time_percentage is 'Share of visits where the therapist reached before the scheduled start, percent.';
comment on column public.therapist_performance.acceptance_rate is 'Share of offered assignments acknowledged, percent.';
comment on column public.therapist_performance.service_minutes is 'Minutes of service delivered.';
comment on column public.therapist_performance.revenue is 'Value of services the therapist completed, net of discounts, in paise.';
comment on column public.therapist_performance.tips is 'Tips received through the app, in paise.';

-- Back-references into this version ------------------------------------------------------

alter table public.customer_complaints
  add constraint customer_complaints_therapist_id_fkey foreign key (therapist_id) references public.therapists (id) on delete set null;
