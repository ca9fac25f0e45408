-- Location tracking: what the location service records when a therapist's phone sends GPS
-- fixes, and who may follow a therapist on the way.
--
-- * The decisions (which fixes count, distance travelled, the arrival geofence, ETA) are the
--   location core's (functions/location); this file holds the effects. A batch is one call of
--   private.record_location_fixes, executable by service_role only: the fixes stored, the
--   assignment's track and its distance_traveled / travel_time updated, and on arrival the
--   assignment moved in_transit -> reached through V30's transition rules and the customer
--   told once (notification_queue, dedupe key therapist_arrived:<assignment>:<channel>).
-- * An assignment's track (last accepted fix, distance so far, smoothed speed, geofence
--   count) is carried between batches in private.assignment_tracks, so a batch costs the
--   same whatever the length of the journey.
-- * A phone resends what it is not sure arrived: a fix of a therapist at an instant already
--   stored is skipped, not an error (batches of one therapist are recorded one at a time,
--   under a transaction-scoped advisory lock, and looked up on V10's index of
--   (therapist_id, "timestamp")).
-- * One rule for who may follow an assignment's live position, private.may_follow_assignment:
--   its customer only while the therapist is on the way (in_transit), the vendor's people,
--   and operations (therapists: read and bookings: read). The ETA endpoint asks it; the
--   select policy on therapist_locations (what Realtime's postgres_changes delivers) asks the
--   customer part of it, private.active_assignment_ids_of_current_customer, narrowed here
--   from "in transit, reached or in progress" to "in transit"; on Supabase, the policy on
--   realtime.messages for the private topic assignment:<id>:location asks it too, and each
--   batch is broadcast there from the database (realtime.send), where that exists.
-- * Settings: system_settings 'location.tracking' (an object of the core's settings, see
--   functions/location/src/settings.rs), and per city 'location.tracking.cities'
--   ({"<city id>": {...}}), laid over it.

-- assignment_tracks ----------------------------------------------------------------------

create table private.assignment_tracks (
  assignment_id uuid primary key references public.therapist_assignments (id) on delete cascade,
  therapist_id uuid not null references public.therapists (id) on delete cascade,
  state jsonb not null default '{}' check (jsonb_typeof(state) = 'object'),
  fixes_received integer not null default 0 check (fixes_received >= 0),
  arrived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index idx_assignment_tracks_therapist_id on private.assignment_tracks (therapist_id);

create trigger set_updated_at before update on private.assignment_tracks
  for each row execute function private.set_updated_at();

alter table private.assignment_tracks enable row level security;

comment on table private.assignment_tracks is 'What the location core carries from one batch of GPS fixes to the next for an assignment (not exposed: the service reads and writes it through the functions below).';
comment on column private.assignment_tracks.state is 'The core''s TrackState: anchor and last accepted fix, distance_m, smoothed speed_mps, moving_segments, stationary, geofence count, arrived_at.';
comment on column private.assignment_tracks.fixes_received is 'Fixes stored for this assignment (duplicates not counted).';
comment on column private.assignment_tracks.arrived_at is 'When the geofence saw the arrival; set once, so the arrival is acted on once.';

-- Who may follow ---------------------------------------------------------------------------

-- The customer part of the rule (also what therapist_locations' select policy uses): only
-- while the therapist is on the way; not before (it would show where the therapist lives)
-- nor after arrival (the customer can see them at the door).
create or replace function private.active_assignment_ids_of_current_customer()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(a.id), '{}')
      from public.therapist_assignments a
     where a.customer_id = (select auth.uid())
       and a.status = 'in_transit'
  );
end
$$;

-- The whole rule: the assignment's customer while in transit, the vendor's people, and
-- operations.
create or replace function private.may_follow_assignment(assignment uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return exists (
    select 1
      from public.therapist_assignments a
     where a.id = assignment
       and (
         -- the customer, while the therapist is on the way
         a.id = any (private.active_assignment_ids_of_current_customer())
         -- the vendor's people
         or a.vendor_id = any (private.vendor_ids_of_current_user())
         -- operations
         or (private.has_permission('therapists', 'read') and private.has_permission('bookings', 'read'))
       )
  );
end
$$;

-- The ETA endpoint's first question, asked as the caller: null when the caller may not
-- follow the assignment (the endpoint answers 404), else its therapist and status.
create or replace function private.followed_assignment(assignment uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  if not private.may_follow_assignment(assignment) then
    return null;
  end if;
  return (
    select jsonb_build_object('assignment_id', a.id, 'therapist_id', a.therapist_id, 'status', a.status)
      from public.therapist_assignments a
     where a.id = assignment
  );
end
$$;

revoke execute on function private.may_follow_assignment(uuid), private.followed_assignment(uuid) from public, anon;
grant execute on function private.may_follow_assignment(uuid), private.followed_assignment(uuid)
  to authenticated, service_role;

comment on function private.may_follow_assignment(uuid) is 'Who may follow an assignment''s live position and ETA: its customer while in_transit, the vendor''s people, operations. Used by the ETA endpoint (through followed_assignment) and by the Realtime topic policy.';

-- On Supabase, Broadcast from the database: the private topic assignment:<id>:location is
-- joined by those the same rule admits. Stock Postgres has no realtime.messages unless the
-- bootstrap provides one, so the policy is made by a function, run here where the table
-- exists (and by the tests, on the pieces Supabase has).
create or replace function private.install_location_topic_policy()
returns void
language plpgsql
set search_path = ''
as $$
begin
  execute 'drop policy if exists "followers of an assignment receive its location" on realtime.messages';
  execute $policy$
    create policy "followers of an assignment receive its location" on realtime.messages
      for select to authenticated
      using (
        (select realtime.topic()) ~ '^assignment:[0-9a-f-]{36}:location$'
        and private.may_follow_assignment(substring((select realtime.topic()) from 12 for 36)::uuid)
      )
  $policy$;
end
$$;

revoke execute on function private.install_location_topic_policy() from public, anon, authenticated, service_role;

do $$
begin
  if to_regclass('realtime.messages') is not null then
    perform private.install_location_topic_policy();
  end if;
end
$$;

-- Settings ---------------------------------------------------------------------------------

-- The core's settings for an assignment's city: the global object, then the city's, as a
-- JSON array of layers (the core merges them over its defaults).
create or replace function private.location_settings(vendor uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  city text := (select v.city_id::text from public.vendors v where v.id = vendor);
begin
  return jsonb_build_array(
    coalesce(private.setting_value('location.tracking'), '{}'),
    coalesce(private.setting_value('location.tracking.cities') -> city, '{}')
  );
end
$$;

-- What the service reads ------------------------------------------------------------------

-- The therapist's active assignment for a batch of fixes (on the way first, then the one
-- starting nearest now), locked with its track so that two batches of one therapist are
-- judged one after the other; with where it goes, its track so far and the settings. Null
-- assignment when the therapist has none: the fixes are stored unlinked.
create or replace function private.location_context(therapist uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  a record;
  track jsonb;
begin
  select x.id, x.status, x.vendor_id, x.customer_id, x.location_latitude, x.location_longitude
    into a
    from public.therapist_assignments x
   where x.therapist_id = therapist
     and x.status in ('acknowledged', 'in_transit', 'reached', 'in_progress')
   order by x.status <> 'in_transit', abs(extract(epoch from coalesce(x.scheduled_start, now()) - now()))
   limit 1
   for update;
  if a.id is null then
    return jsonb_build_object('assignment_id', null, 'settings', private.location_settings(null));
  end if;
  insert into private.assignment_tracks (assignment_id, therapist_id)
  values (a.id, therapist)
  on conflict (assignment_id) do nothing;
  select t.state into track from private.assignment_tracks t where t.assignment_id = a.id for update;
  return jsonb_build_object(
    'assignment_id', a.id,
    'status', a.status,
    'customer_id', a.customer_id,
    'destination', case when a.location_latitude is not null then
      jsonb_build_object('latitude', a.location_latitude, 'longitude', a.location_longitude) end,
    'track', track,
    'settings', private.location_settings(a.vendor_id)
  );
end
$$;

-- An assignment's position for its ETA: status, destination, track, settings.
create or replace function private.assignment_location(assignment uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return (
    select jsonb_build_object(
             'assignment_id', a.id,
             'therapist_id', a.therapist_id,
             'status', a.status,
             'destination', case when a.location_latitude is not null then
               jsonb_build_object('latitude', a.location_latitude, 'longitude', a.location_longitude) end,
             'track', coalesce(t.state, '{}'),
             'settings', private.location_settings(a.vendor_id))
      from public.therapist_assignments a
      left join private.assignment_tracks t on t.assignment_id = a.id
     where a.id = assignment
  );
end
$$;

-- A therapist's newest stored fix, for the vendor and operations (the caller is checked by
-- the service with private.may_see_therapist_location before this is called).
create or replace function private.therapist_last_fix(therapist uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return (
    select jsonb_build_object(
             'therapist_id', l.therapist_id, 'assignment_id', l.assignment_id,
             'latitude', l.latitude, 'longitude', l.longitude, 'accuracy', l.accuracy,
             'speed', l.speed, 'heading', l.heading, 'altitude', l.altitude,
             'battery_level', l.battery_level, 'is_moving', l.is_moving, 'recorded_at', l."timestamp")
      from public.therapist_locations l
     where l.therapist_id = therapist
     order by l."timestamp" desc
     limit 1
  );
end
$$;

-- The vendor of the therapist (its people) and operations may see where a therapist is.
create or replace function private.may_see_therapist_location(therapist uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_variable
begin
  return exists (
    select 1
      from public.therapists t
     where t.id = therapist
       and (
         -- the vendor's people
         t.vendor_id = any (private.vendor_ids_of_current_user())
         -- operations
         or (private.has_permission('therapists', 'read') and private.has_permission('bookings', 'read'))
       )
  );
end
$$;

revoke execute on function private.may_see_therapist_location(uuid) from public, anon;
grant execute on function private.may_see_therapist_location(uuid) to authenticated, service_role;

-- The effect -------------------------------------------------------------------------------

-- Records a judged batch: `fixes` is a JSON array of {latitude, longitude, accuracy, speed,
-- heading, altitude, battery_level, recorded_at, is_moving}; `track` the core's new state for
-- the assignment (null without one); `arrived` whether the core saw the arrival in this
-- batch. Returns {inserted, duplicates, reached, notified}.
create or replace function private.record_location_fixes(
  therapist uuid, assignment uuid, fixes jsonb, track jsonb, distance_km numeric, travel_minutes integer,
  arrived boolean
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  inserted integer;
  a record;
  reached boolean := false;
  notified integer := 0;
  newest jsonb;
begin
  perform pg_advisory_xact_lock(hashtextextended('therapist_locations:' || therapist::text, 0));
  insert into public.therapist_locations (
    therapist_id, assignment_id, latitude, longitude, accuracy, speed, heading, altitude, battery_level, is_moving,
    "timestamp"
  )
  select distinct on (f.recorded_at)
         therapist, assignment, f.latitude, f.longitude, f.accuracy, f.speed, f.heading, f.altitude, f.battery_level,
         coalesce(f.is_moving, false), f.recorded_at
    from jsonb_to_recordset(fixes) as f(
      latitude numeric, longitude numeric, accuracy numeric, speed numeric, heading numeric, altitude numeric,
      battery_level integer, is_moving boolean, recorded_at timestamptz)
   where not exists (
     select 1 from public.therapist_locations l where l.therapist_id = therapist and l."timestamp" = f.recorded_at
   )
   order by f.recorded_at;
  get diagnostics inserted = row_count;

  if assignment is null then
    return jsonb_build_object('inserted', inserted, 'duplicates', jsonb_array_length(fixes) - inserted,
                              'reached', false, 'notified', 0);
  end if;

  update private.assignment_tracks t
     set state = coalesce(track, t.state),
         fixes_received = t.fixes_received + inserted,
         arrived_at = coalesce(t.arrived_at, case when arrived then (track ->> 'arrived_at')::timestamptz end)
   where t.assignment_id = assignment;

  -- Distance and time count while the therapist is on the way.
  update public.therapist_assignments x
     set distance_traveled = distance_km, travel_time = travel_minutes
   where x.id = assignment and x.status = 'in_transit'
     and (x.distance_traveled, x.travel_time) is distinct from (distance_km, travel_minutes);

  if arrived then
    -- Through V30's transition rules (a trusted writer: any forward move is legal).
    update public.therapist_assignments x
       set status = 'reached'
     where x.id = assignment and x.status = 'in_transit'
    returning x.id, x.customer_id, x.booking_id, x.therapist_id into a;
    reached := a.id is not null;
    if reached then
      insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
      select 'therapist_arrived', a.customer_id, c.channel, 'therapist_arrived',
             jsonb_build_object('assignment_id', a.id, 'booking_id', a.booking_id, 'therapist_id', a.therapist_id,
                                'booking_number', (select b.booking_number from public.bookings b where b.id = a.booking_id),
                                'therapist_name', (select t.name from public.therapists t where t.id = a.therapist_id)),
             'therapist_arrived:' || a.id || ':' || c.channel
        from (values ('push'), ('in_app')) as c(channel)
      on conflict (dedupe_key) do nothing;
      get diagnostics notified = row_count;
    end if;
  end if;

  -- Broadcast from the database to the assignment's private topic, where Realtime has it.
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is not null and track ? 'last' then
    newest := track -> 'last';
    execute 'select realtime.send($1, $2, $3, true)'
      using jsonb_build_object('assignment_id', assignment, 'latitude', newest -> 'latitude',
                               'longitude', newest -> 'longitude', 'accuracy', newest -> 'accuracy',
                               'recorded_at', newest -> 'at', 'reached', reached),
            'location', 'assignment:' || assignment || ':location';
  end if;

  return jsonb_build_object('inserted', inserted, 'duplicates', jsonb_array_length(fixes) - inserted,
                            'reached', reached, 'notified', notified);
end
$$;

revoke execute on function
  private.location_settings(uuid),
  private.location_context(uuid),
  private.assignment_location(uuid),
  private.therapist_last_fix(uuid),
  private.record_location_fixes(uuid, uuid, jsonb, jsonb, numeric, integer, boolean)
  from public, anon, authenticated;
grant execute on function
  private.location_context(uuid),
  private.assignment_location(uuid),
  private.therapist_last_fix(uuid),
  private.record_location_fixes(uuid, uuid, jsonb, jsonb, numeric, integer, boolean)
  to service_role;
