-- Booking integrity: the rules that must hold whoever writes a booking or an assignment (the
-- booking service, a vendor panel through supabase-js, a back-office fix, a job), so that the
-- Rust checks only have to give the caller a clear error first.
--
-- What it adds and why:
-- * No double-booked therapist. therapist_assignments.busy_during is the time a therapist is
--   taken by an assignment: [scheduled_start, scheduled_end + travel_buffer_minutes). The
--   buffer is copied from the vendor's travel_buffer_minutes when the booking sends the
--   therapist out (home_service and hotel_service; 0 at the spa), so that the range can be a
--   generated column and a later change of the vendor setting does not reshuffle booked days.
--   An exclusion constraint keeps the ranges of one therapist's active assignments (assigned
--   .. in_progress) apart: concurrent inserts are serialised by the index itself, the loser
--   gets SQLSTATE 23P01. Ranges are half-open, so back-to-back slots fit.
-- * Active assignments must have their instants. scheduled_start/scheduled_end are derived
--   from assignment_date + assignment_time (booking's timezone) and estimated_duration when
--   omitted, and the local date and time follow the instants, as bookings do (V11).
-- * Payment holds. A pending booking holds its slot until hold_expires_at;
--   private.expire_booking_holds() cancels lapsed holds (every minute through pg_cron, and
--   from the insert path for exactly the slot being taken), so an expired hold never blocks a
--   new booking even before the job runs. A pending booking without hold_expires_at holds
--   its slot until someone moves it. Cancelling a booking cancels its active assignments,
--   whoever cancels it.
-- * Assignment status moves along assigned -> acknowledged -> in_transit -> reached ->
--   in_progress -> completed, any active status -> cancelled, and each move belongs to one
--   actor: the assignment's therapist reports progress, the vendor (bookings.manage) or
--   operations assign and cancel. Wrong actor: 42501; illegal move: 23514. Trusted writers
--   (service_role, definer functions, maintenance) may record a forward move that skips steps
--   (a visit reported late from an offline phone) but never move backwards or out of
--   completed/cancelled. V26's guard_actor decides which columns each actor may touch (it ignores
--   busy_during, the generated column added here).
-- * Booking status actors are already enforced by V27 (bookings_guard_api_update: only the
--   vendor with bookings.manage or operations move a booking through the API; customers cancel
--   through the booking service, which prices the cancellation) on top of V11's lifecycle, so
--   nothing is added for them here.
-- * Booking numbers are assigned in V11's bookings_before_write (one trigger, one place).

-- Busy range -------------------------------------------------------------------------------

-- Minutes are a fixed length, so adding them to an instant does not depend on the session's
-- timezone: immutable, as a generated column needs (timestamptz + interval is only stable
-- because of day and month units). Null when the instants are missing or reversed, so the
-- table's own checks report those.
create or replace function private.busy_range(starts timestamptz, ends timestamptz, buffer_minutes integer)
returns tstzrange
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  if starts is null or ends is null or ends < starts then
    return null;
  end if;
  return pg_catalog.tstzrange(starts, ends + pg_catalog.make_interval(mins => coalesce(buffer_minutes, 0)), '[)');
end
$$;

comment on function private.busy_range(timestamptz, timestamptz, integer) is
  'The time a therapist is taken by a visit: [starts, ends + buffer_minutes).';

-- Inserting and updating through the API computes the generated column as the caller.
grant execute on function private.busy_range(timestamptz, timestamptz, integer) to authenticated, service_role;

alter table public.therapist_assignments
  add column travel_buffer_minutes integer not null default 0 check (travel_buffer_minutes between 0 and 720),
  add column busy_during tstzrange generated always as (
    private.busy_range(scheduled_start, scheduled_end, travel_buffer_minutes)
  ) stored;

comment on column public.therapist_assignments.travel_buffer_minutes is
  'Minutes kept free after the visit for the therapist to travel on: the vendor''s travel_buffer_minutes when the booking sends the therapist out (home_service, hotel_service), else 0. Copied when the assignment is made.';
comment on column public.therapist_assignments.busy_during is
  '[scheduled_start, scheduled_end + travel_buffer_minutes): the time the therapist is taken; active assignments of one therapist may not overlap.';
comment on column public.therapist_assignments.scheduled_end is
  'Planned end of the service (UTC instant); the travel buffer comes on top of it in busy_during.';

alter table public.therapist_assignments
  add constraint therapist_assignments_active_scheduled check (
    status not in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
    or (scheduled_start is not null and scheduled_end is not null)
  );

-- The no-double-booking rule. Also the index for "is this therapist free then".
alter table public.therapist_assignments
  add constraint therapist_assignments_no_double_booking
    exclude using gist (therapist_id extensions.gist_uuid_ops with =, busy_during with &&)
    where (status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress'));

-- Payment holds ----------------------------------------------------------------------------

-- Cancels pending bookings whose hold has lapsed and returns how many it released; their
-- active assignments follow (bookings_cancel_assignments below). With a therapist and/or a
-- range, only the holds whose active assignments overlap them, so that a new assignment can
-- free exactly the slot it wants. The periodic run skips rows another transaction is
-- working on (a payment being confirmed; they are due again next minute); the targeted run
-- waits for them, so that it sees how they ended.
-- The JWT settings are cleared for the duration: the release is the system's doing, not that
-- of whoever happened to trigger it, so cancelled_by and changed_by stay null. They are
-- cleared and restored in the body: a `set` clause naming them would need superuser (or
-- `grant set on parameter`), which `postgres` is not on Supabase.
create or replace function private.expire_booking_holds(therapist uuid default null, during tstzrange default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  due uuid[];
  released integer := 0;
  caller_claims text := current_setting('request.jwt.claims', true);
  caller_sub text := current_setting('request.jwt.claim.sub', true);
  caller_role text := current_setting('request.jwt.claim.role', true);
begin
  perform set_config('request.jwt.claims', '', true),
          set_config('request.jwt.claim.sub', '', true),
          set_config('request.jwt.claim.role', '', true);
  if therapist is null and during is null then
    select coalesce(array_agg(l.id), '{}') into due
      from (
        select b.id
          from public.bookings b
         where b.status = 'pending' and b.hold_expires_at <= now()
         order by b.id
           for update skip locked
      ) l;
  elsif therapist is not null and during is not null then
    -- The insert path: only what overlaps the slot being taken, found through the
    -- no-double-booking index. One therapist's active assignments never overlap each
    -- other, so each booking comes up once.
    select coalesce(array_agg(l.id), '{}') into due
      from (
        select b.id
          from public.therapist_assignments a
          join public.bookings b on b.id = a.booking_id
         where a.therapist_id = therapist
           and a.busy_during && during
           and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
           and b.status = 'pending' and b.hold_expires_at <= now()
         order by b.id
           for update of b
      ) l;
  else
    select coalesce(array_agg(l.id), '{}') into due
      from (
        select b.id
          from public.bookings b
         where b.status = 'pending' and b.hold_expires_at <= now()
           and exists (
             select 1
               from public.therapist_assignments a
              where a.booking_id = b.id
                and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
                and (therapist is null or a.therapist_id = therapist)
                and (during is null or a.busy_during && during)
           )
         order by b.id
           for update of b
      ) l;
  end if;

  if cardinality(due) > 0 then
    with cancelled as (
      update public.bookings b
         set status = 'cancelled',
             cancellation_reason = 'payment hold expired',
             cancelled_at = now(),
             hold_expires_at = null
       where b.id = any (due) and b.status = 'pending'
      returning b.id, b.scheduled_start
    ),
    recorded as (
      insert into public.booking_cancellations (booking_id, actor_role, reason_code, reason, notice_minutes, policy)
      select c.id, 'system', 'hold_expired', 'payment hold expired',
             floor(extract(epoch from c.scheduled_start - now()) / 60)::integer,
             '{"code": "hold_expired"}'::jsonb
        from cancelled c
      on conflict (booking_id) do nothing
    )
    select count(*) into released from cancelled;
  end if;

  perform set_config('request.jwt.claims', coalesce(caller_claims, ''), true),
          set_config('request.jwt.claim.sub', coalesce(caller_sub, ''), true),
          set_config('request.jwt.claim.role', coalesce(caller_role, ''), true);
  return released;
end
$$;

comment on function private.expire_booking_holds(uuid, tstzrange) is
  'Cancels pending bookings whose payment hold (hold_expires_at) has lapsed, with their active assignments; optionally only those overlapping a therapist and/or range. Returns the number of bookings released. Run every minute and before each new assignment.';

revoke execute on function private.expire_booking_holds(uuid, tstzrange) from public, anon, authenticated;
grant execute on function private.expire_booking_holds(uuid, tstzrange) to service_role;

-- A cancelled booking frees its therapists whoever cancelled it (customer through the
-- service, vendor, operations, the hold job). Definer, so the cascade is the database's
-- doing and passes the assignment guards; the booking's reason goes into the timeline.
create or replace function private.bookings_cancel_assignments()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  previous text := current_setting('ombaro.change_reason', true);
begin
  perform set_config('ombaro.change_reason', coalesce(new.cancellation_reason, 'booking cancelled'), true);
  update public.therapist_assignments a
     set status = 'cancelled'
   where a.booking_id = new.id
     and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress');
  perform set_config('ombaro.change_reason', coalesce(previous, ''), true);
  return null;
end
$$;

create trigger cancel_assignments after update of status on public.bookings
  for each row when (new.status = 'cancelled' and old.status is distinct from 'cancelled')
  execute function private.bookings_cancel_assignments();

-- Assignment slot: buffer, instants, released holds ----------------------------------------

-- Copies the travel buffer, derives the missing instants (and keeps the local date and time
-- in step with them), then releases lapsed holds on the slot about to be taken, so that
-- only live bookings can make the exclusion constraint say no. Definer: it reads the
-- booking and vendor and may cancel other customers' lapsed bookings, which the caller can
-- neither see nor change.
create or replace function private.therapist_assignments_prepare_slot()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  b record;
  booking_status text;
  local_start timestamp;
begin
  select bk.booking_number, bk.booking_type, bk.timezone, v.travel_buffer_minutes into b
    from public.bookings bk
    join public.vendors v on v.id = bk.vendor_id
   where bk.id = new.booking_id;
  if not found then
    return new;  -- the foreign key reports it
  end if;

  if tg_op = 'INSERT' or new.booking_id is distinct from old.booking_id then
    new.travel_buffer_minutes := case when b.booking_type in ('home_service', 'hotel_service')
                                      then b.travel_buffer_minutes else 0 end;
  end if;

  if new.scheduled_start is null
     or (tg_op = 'UPDATE' and new.scheduled_start is not distinct from old.scheduled_start
         and (new.assignment_date, new.assignment_time) is distinct from (old.assignment_date, old.assignment_time)) then
    -- The app moved (or only gave) the local date and time: the instants follow.
    new.scheduled_start := (new.assignment_date + new.assignment_time) at time zone b.timezone;
  end if;
  if new.scheduled_end is null then
    new.scheduled_end := new.scheduled_start + pg_catalog.make_interval(mins => new.estimated_duration);
  elsif tg_op = 'UPDATE' and new.scheduled_start is distinct from old.scheduled_start
        and new.scheduled_end is not distinct from old.scheduled_end and old.scheduled_start is not null then
    new.scheduled_end := new.scheduled_start + (old.scheduled_end - old.scheduled_start);
  end if;
  if new.scheduled_start is not null then
    local_start := new.scheduled_start at time zone b.timezone;
    new.assignment_date := local_start::date;
    new.assignment_time := local_start::time;
  end if;

  if tg_op = 'INSERT' and new.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress') then
    perform private.expire_booking_holds(
      new.therapist_id,
      private.busy_range(new.scheduled_start, new.scheduled_end, new.travel_buffer_minutes)
    );
    -- Read after the release: the booking itself may have been a lapsed hold.
    select bk.status into booking_status from public.bookings bk where bk.id = new.booking_id;
    if booking_status in ('cancelled', 'completed') then
      raise exception 'booking % is %: it cannot take an active assignment', b.booking_number, booking_status
        using errcode = 'check_violation';
    end if;
  end if;
  return new;
end
$$;

create trigger prepare_slot
  before insert or update of booking_id, assignment_date, assignment_time, scheduled_start, scheduled_end, estimated_duration
  on public.therapist_assignments
  for each row execute function private.therapist_assignments_prepare_slot();

-- Assignment status: legal moves, each by its actor ----------------------------------------

-- Named to run after V26's guard_actor (triggers fire in name order). Not a definer: the
-- actor is the caller, and work done by service_role or a definer function is trusted.
create or replace function private.therapist_assignments_guard_status()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  steps constant text[] := array['assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress', 'completed'];
  api boolean := private.is_api_caller();
  legal boolean;
begin
  if new.status is not distinct from old.status then
    return new;
  end if;

  if api then
    if new.status in ('assigned', 'cancelled') then
      if not (private.vendor_staff_can(old.vendor_id, 'bookings.manage') or private.has_permission('bookings', 'update')) then
        raise exception 'assignment %: only the vendor (bookings.manage) or operations may set it %', old.id, new.status
          using errcode = 'insufficient_privilege', hint = 'therapists report progress; dispatch assigns and cancels';
      end if;
    elsif not old.therapist_id = any (private.therapist_ids_of_current_user()) then
      raise exception 'assignment %: only its therapist may report it %', old.id, new.status
        using errcode = 'insufficient_privilege', hint = 'therapists report progress; dispatch assigns and cancels';
    end if;
  end if;

  legal := case
    when old.status in ('completed', 'cancelled') then false
    when new.status = 'cancelled' then true
    -- Re-dispatch: another therapist takes over before the visit has begun and must accept it.
    when new.status = 'assigned' then
      old.status in ('acknowledged', 'in_transit') and new.therapist_id is distinct from old.therapist_id
    -- Trusted writers record what happened, possibly late: any forward move.
    when not api then array_position(steps, new.status) > array_position(steps, old.status)
    else (old.status, new.status) in (
      ('assigned', 'acknowledged'),
      ('acknowledged', 'in_transit'),
      ('acknowledged', 'reached'),      -- no travel (at the spa, or already there)
      ('acknowledged', 'in_progress'),
      ('in_transit', 'reached'),
      ('reached', 'in_progress'),
      ('reached', 'completed'),         -- start reported with the end; V10's stamp fills it
      ('in_progress', 'completed')
    )
  end;
  if not legal then
    raise exception 'assignment %: status cannot change from % to %', old.id, old.status, new.status
      using errcode = 'check_violation',
            hint = 'assigned -> acknowledged -> in_transit -> reached -> in_progress -> completed; completed and cancelled are final';
  end if;
  return new;
end
$$;

create trigger guard_status before update of status on public.therapist_assignments
  for each row execute function private.therapist_assignments_guard_status();

-- Conflicts, for a clear error before the insert ---------------------------------------------

-- The active assignments that would stop a therapist from taking [starts_at, ends_at) plus a
-- travel buffer: what the exclusion constraint would refuse, minus lapsed holds (they are
-- released by the insert). Invoker: callers see only the assignments their policies admit.
create or replace function public.booking_conflicts(
  therapist uuid,
  starts_at timestamptz,
  ends_at timestamptz,
  buffer_minutes integer default 0
)
returns table (assignment_id uuid, booking_id uuid, status text, busy_during tstzrange)
language sql
stable
set search_path = ''
as $$
  select a.id, a.booking_id, a.status, a.busy_during
    from public.therapist_assignments a
    join public.bookings b on b.id = a.booking_id
   where a.therapist_id = therapist
     and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
     and a.busy_during && private.busy_range(starts_at, ends_at, buffer_minutes)
     and not (b.status = 'pending' and b.hold_expires_at is not null and b.hold_expires_at <= now())
   order by lower(a.busy_during)
$$;

comment on function public.booking_conflicts(uuid, timestamptz, timestamptz, integer) is
  'Active assignments of a therapist that overlap [starts_at, ends_at + buffer_minutes), ignoring lapsed payment holds: empty means the slot can be taken.';

revoke execute on function public.booking_conflicts(uuid, timestamptz, timestamptz, integer) from public, anon;
grant execute on function public.booking_conflicts(uuid, timestamptz, timestamptz, integer) to authenticated, service_role;

-- Schedule ---------------------------------------------------------------------------------

-- As in V23: only where V23 could install pg_cron.
do $$
begin
  if to_regnamespace('cron') is not null then
    perform cron.schedule('ombaro-expire-booking-holds', '* * * * *', 'select private.expire_booking_holds()');
  end if;
end
$$;
