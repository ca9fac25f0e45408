-- Booking status moves as data: which moves of bookings.status exist and who may ask for each,
-- in one place that the lifecycle trigger reads and the booking core is tested against.
--
-- What it adds and why:
-- * private.booking_status_moves() lists every legal (from_status, to_status) move with the
--   actors who may ask for it: customer, vendor, therapist, admin (operations) and system
--   (the platform: payment webhooks, hold expiry, the booking service following an
--   assignment). The booking core's lifecycle::booking_actors is the same table in Rust; an
--   integration test reads this function and compares every pair both ways, so the two
--   cannot drift apart unnoticed.
-- * private.bookings_before_write() (V11) checks a status change against that list instead
--   of its own case expression. The moves, the error (23514) and everything else the
--   trigger does are unchanged.
-- * Who may make a move through the API is still V27's bookings_guard_api_update (only the
--   vendor with bookings.manage, or operations); every move lists both. Customers move their
--   bookings only through the booking service, which checks the actor against the same table
--   before writing as the platform.

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

-- V11's trigger, with the status check reading the list above; otherwise verbatim.
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
      new.booking_number := 'OBO-' || to_char(now() at time zone 'Asia/Kolkata', 'YYYYMMDD') || '-'
        || lpad(nextval('private.booking_number_seq')::text, 4, '0');
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
