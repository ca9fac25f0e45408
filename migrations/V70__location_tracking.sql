-- Location tracking: what the location service records when a therapist's phone sends GPS
-- fixes, and who may follow a therapist on the way.
--
-- * The decisions (which fixes count, distance travelled, the arrival geofence, ETA) are the
--   location core's (functions/location); this file holds the effects. Therapists' apps send
--   small batches often, so the service handles the batches that arrive together as a group,
--   in one transaction of two calls, executable by service_role only:
--   private.location_group_context (who each sender is, their active assignments locked,
--   tracks and settings), then, once the core has judged each batch,
--   private.record_location_groups: the fixes stored, each assignment's track and its
--   distance_traveled / travel_time updated, and on arrival the assignment moved
--   in_transit -> reached through V30's transition rules and the customer told once
--   (notification_queue, dedupe key therapist_arrived:<assignment>:<channel>). Each is
--   set-based: a group costs a few statements, not a few per batch.
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
--   batch is broadcast there from the database (a row of realtime.messages, as realtime.send
--   writes it), where that exists.
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

-- A therapist's active assignment, the one a batch of fixes belongs to: the one on the way
-- first, then the one starting nearest now; null when none.
create or replace function private.active_assignment_of(therapist uuid)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select x.id
    from public.therapist_assignments x
   where x.therapist_id = therapist
     and x.status in ('acknowledged', 'in_transit', 'reached', 'in_progress')
   order by x.status <> 'in_transit', abs(extract(epoch from coalesce(x.scheduled_start, now()) - now()))
   limit 1
$$;

-- The context of a group of batches, one per sender: senders is a JSON array of {claims,
-- therapist_id?}. For each, in order: {error: not_a_therapist | not_your_therapist |
-- therapist_id_required}, or {therapist_id, assignment_id, status, customer_id,
-- destination, track, settings_key} with the therapist's active assignment
-- (private.active_assignment_of; null when none: the fixes are stored unlinked).
-- Which therapist a sender is, is V24's rule, asked as each sender. Every active assignment
-- of the group's therapists is locked, in id order, with its track, so that two batches of
-- one therapist are judged one after the other and concurrent groups never deadlock; the
-- settings are returned once per vendor ({"settings": {"<vendor id or empty>": layers}}).
create or replace function private.location_group_context(senders jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
-- A group's statements are small and many; the JSON functions' row estimates make them look
-- big enough to compile, and compiling costs more than the group.
set jit = off
as $$
declare
  caller_claims text := current_setting('request.jwt.claims', true);
  picks jsonb;
  therapists uuid[];
  assignments uuid[];
  answer jsonb;
begin
  select coalesce(jsonb_agg(private.location_sender(e.sender) order by e.ord), '[]')
    into picks
    from jsonb_array_elements(senders) with ordinality as e(sender, ord);
  perform set_config('request.jwt.claims', coalesce(caller_claims, ''), true);

  select coalesce(array_agg(distinct (p ->> 'therapist_id')::uuid), '{}')
    into therapists
    from jsonb_array_elements(picks) as p
   where p ? 'therapist_id';

  perform 1
     from public.therapist_assignments x
    where x.therapist_id = any (therapists)
      and x.status in ('acknowledged', 'in_transit', 'reached', 'in_progress')
    order by x.id
      for update;

  -- The active assignment of each therapist, as the locks now hold them.
  select coalesce(array_agg(x.id), '{}')
    into assignments
    from unnest(therapists) as t(id)
    join public.therapist_assignments x on x.id = private.active_assignment_of(t.id);

  insert into private.assignment_tracks (assignment_id, therapist_id)
  select x.id, x.therapist_id
    from public.therapist_assignments x
   where x.id = any (assignments)
   order by x.id
  on conflict (assignment_id) do nothing;

  with active as (
    select x.therapist_id, x.id, x.status, x.vendor_id, x.customer_id, x.location_latitude, x.location_longitude
      from public.therapist_assignments x
     where x.id = any (assignments)
  ),
  tracks as (
    select k.assignment_id, k.state
      from private.assignment_tracks k
     where k.assignment_id in (select id from active)
     order by k.assignment_id
       for update
  ),
  contexts as (
    select t.id as therapist_id,
           jsonb_build_object(
             'therapist_id', t.id,
             'assignment_id', a.id,
             'status', a.status,
             'customer_id', a.customer_id,
             'destination', case when a.location_latitude is not null then
               jsonb_build_object('latitude', a.location_latitude, 'longitude', a.location_longitude) end,
             'track', k.state,
             'settings_key', coalesce(a.vendor_id::text, '')) as context,
           coalesce(a.vendor_id::text, '') as settings_key,
           a.vendor_id
      from unnest(therapists) as t(id)
      left join active a on a.therapist_id = t.id
      left join tracks k on k.assignment_id = a.id
  )
  select jsonb_build_object(
           'senders', (select coalesce(jsonb_agg(coalesce(c.context, p.pick) order by p.ord), '[]')
                         from jsonb_array_elements(picks) with ordinality as p(pick, ord)
                         left join contexts c on c.therapist_id = (p.pick ->> 'therapist_id')::uuid),
           'settings', (select coalesce(jsonb_object_agg(s.settings_key, private.location_settings(s.vendor_id)), '{}')
                          from (select distinct settings_key, vendor_id from contexts) as s))
    into answer;
  return answer;
end
$$;

-- One sender of a group, {claims, therapist_id?} with the claims of the sender's verified
-- token: {therapist_id} of the therapist the batch is from, or {error}. Only a signed-in
-- user sends; their therapists are V24's rule, asked as the sender (the caller restores its
-- own claims).
create or replace function private.location_sender(sender jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  own uuid[];
  hint uuid := (sender ->> 'therapist_id')::uuid;
  chosen uuid;
begin
  perform set_config('request.jwt.claims', coalesce(sender -> 'claims', '{}')::text, true);
  if not private.is_signed_in_role((select auth.role())) then
    return jsonb_build_object('error', 'not_a_therapist');
  end if;
  own := private.therapist_ids_of_current_user();
  chosen := case
    when hint is not null and hint = any (own) then hint
    when hint is null and cardinality(own) = 1 then own[1]
  end;
  return case
    when cardinality(own) = 0 then jsonb_build_object('error', 'not_a_therapist')
    when hint is not null and chosen is null then jsonb_build_object('error', 'not_your_therapist')
    when chosen is null then jsonb_build_object('error', 'therapist_id_required')
    else jsonb_build_object('therapist_id', chosen)
  end;
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

-- Records a group's judged batches: `batches` is a JSON array of {therapist_id,
-- assignment_id, fixes, track, distance_km, travel_minutes, arrived}, where `fixes` are
-- {latitude, longitude, accuracy, speed, heading, altitude, battery_level, recorded_at,
-- is_moving}, `track` the core's new state for the assignment (null without one) and
-- `arrived` whether the core saw the arrival in this batch. Returns, in order, each batch's
-- {inserted, duplicates, reached, notified}. Set-based: one statement per table for the
-- whole group, whatever its size; only arrivals, which are rare, are handled one by one.
create or replace function private.record_location_groups(batches jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
-- No JIT, as for location_group_context.
set jit = off
as $$
declare
  arrival record;
  -- Per batch, by its position: fixes stored, and for arrivals whether the assignment moved
  -- and how many messages were queued.
  inserted jsonb;
  reached jsonb := '{}';
  notified jsonb := '{}';
  moved boolean;
  told integer;
begin
  -- Batches of one therapist are recorded one at a time: a resent fix is then seen, and
  -- skipped, by the next batch. Locks are taken in one order.
  perform pg_advisory_xact_lock(k)
     from (select distinct hashtextextended('therapist_locations:' || (b ->> 'therapist_id'), 0) as k
             from jsonb_array_elements(batches) as b
            order by 1) as locks;

  with b as (
    select e.ord, (e.b ->> 'therapist_id')::uuid as therapist_id, (e.b ->> 'assignment_id')::uuid as assignment_id,
           e.b -> 'fixes' as fixes
      from jsonb_array_elements(batches) with ordinality as e(b, ord)
  ),
  f as (
    select distinct on (b.therapist_id, f.recorded_at)
           b.ord, b.therapist_id, b.assignment_id, f.*
      from b
     cross join lateral jsonb_to_recordset(b.fixes) as f(
       latitude numeric, longitude numeric, accuracy numeric, speed numeric, heading numeric, altitude numeric,
       battery_level integer, is_moving boolean, recorded_at timestamptz)
     -- One index probe per fix (offset 0 keeps it a probe: as an anti join the planner,
     -- misled by the JSON functions' row estimates, may sort the whole table instead).
     where not exists (
       select 1 from public.therapist_locations l
        where l.therapist_id = b.therapist_id and l."timestamp" = f.recorded_at
       offset 0
     )
     order by b.therapist_id, f.recorded_at, b.ord
  ),
  stored as (
    insert into public.therapist_locations (
      therapist_id, assignment_id, latitude, longitude, accuracy, speed, heading, altitude, battery_level,
      is_moving, "timestamp"
    )
    select f.therapist_id, f.assignment_id, f.latitude, f.longitude, f.accuracy, f.speed, f.heading, f.altitude,
           f.battery_level, coalesce(f.is_moving, false), f.recorded_at
      from f
     order by f.therapist_id, f.recorded_at
    returning 1
  )
  select coalesce(jsonb_object_agg(b.ord::text, coalesce(c.n, 0)), '{}')
    into inserted
    from b
    left join (select f.ord, count(*) as n from f group by f.ord) as c on c.ord = b.ord;

  with b as (
    select e.ord, (e.b ->> 'assignment_id')::uuid as assignment_id, nullif(e.b -> 'track', 'null') as track,
           coalesce((e.b ->> 'arrived')::boolean, false) as arrived
      from jsonb_array_elements(batches) with ordinality as e(b, ord)
     where e.b ->> 'assignment_id' is not null
  )
  update private.assignment_tracks t
     set state = coalesce(b.track, t.state),
         fixes_received = t.fixes_received + (inserted ->> b.ord::text)::integer,
         arrived_at = coalesce(t.arrived_at, case when b.arrived then (b.track ->> 'arrived_at')::timestamptz end)
    from b
   where t.assignment_id = b.assignment_id;

  -- Distance and time count while the therapist is on the way. They are written when the
  -- minute changes, every 100 m, and at arrival, not on every batch: each write of an
  -- assignment is a change every subscriber of the table receives, and the track (above)
  -- holds the exact figures meanwhile.
  update public.therapist_assignments x
     set distance_traveled = b.distance_km, travel_time = b.travel_minutes
    from (select (e.b ->> 'assignment_id')::uuid as assignment_id, (e.b ->> 'distance_km')::numeric(10, 2) as distance_km,
                 (e.b ->> 'travel_minutes')::integer as travel_minutes,
                 coalesce((e.b ->> 'arrived')::boolean, false) as arrived
            from jsonb_array_elements(batches) as e(b)
           where e.b ->> 'assignment_id' is not null) as b
   where x.id = b.assignment_id and x.status = 'in_transit'
     and (x.distance_traveled, x.travel_time) is distinct from (b.distance_km, b.travel_minutes)
     and (b.arrived
          or x.travel_time is distinct from b.travel_minutes
          or x.distance_traveled is null
          or abs(x.distance_traveled - b.distance_km) >= 0.1);

  -- Arrivals: through V30's transition rules (a trusted writer: any forward move is legal),
  -- and the customer told once.
  for arrival in
    select e.ord, (e.b ->> 'assignment_id')::uuid as assignment_id
      from jsonb_array_elements(batches) with ordinality as e(b, ord)
     where (e.b ->> 'arrived')::boolean and e.b ->> 'assignment_id' is not null
  loop
    update public.therapist_assignments x
       set status = 'reached'
     where x.id = arrival.assignment_id and x.status = 'in_transit';
    moved := found;
    told := 0;
    if moved then
      insert into public.notification_queue (event_type, user_id, channel, template_code, payload, dedupe_key)
      select 'therapist_arrived', a.customer_id, c.channel, 'therapist_arrived',
             jsonb_build_object('assignment_id', a.id, 'booking_id', a.booking_id, 'therapist_id', a.therapist_id,
                                'booking_number', (select k.booking_number from public.bookings k where k.id = a.booking_id),
                                'therapist_name', (select t.name from public.therapists t where t.id = a.therapist_id)),
             'therapist_arrived:' || a.id || ':' || c.channel
        from public.therapist_assignments a
       cross join (values ('push'), ('in_app')) as c(channel)
       where a.id = arrival.assignment_id
      on conflict (dedupe_key) do nothing;
      get diagnostics told = row_count;
    end if;
    reached := reached || jsonb_build_object(arrival.ord::text, moved);
    notified := notified || jsonb_build_object(arrival.ord::text, told);
  end loop;

  -- Broadcast from the database to each assignment's private topic (Supabase's
  -- realtime.messages, as realtime.send writes it), where Realtime has it: one row per batch
  -- with its newest accepted fix, all in one statement.
  if to_regclass('realtime.messages') is not null then
    insert into realtime.messages (id, topic, extension, event, private, payload)
    select m.id, 'assignment:' || m.assignment_id || ':location', 'broadcast', 'location', true,
           jsonb_build_object('id', m.id, 'assignment_id', m.assignment_id, 'latitude', m.newest -> 'latitude',
                              'longitude', m.newest -> 'longitude', 'accuracy', m.newest -> 'accuracy',
                              'recorded_at', m.newest -> 'at',
                              'reached', coalesce((reached ->> m.ord::text)::boolean, false))
      from (select e.ord, gen_random_uuid() as id, (e.b ->> 'assignment_id')::uuid as assignment_id,
                   e.b -> 'track' -> 'last' as newest
              from jsonb_array_elements(batches) with ordinality as e(b, ord)
             where e.b ->> 'assignment_id' is not null and jsonb_typeof(e.b -> 'track' -> 'last') = 'object') as m;
  end if;

  return (
    select coalesce(jsonb_agg(jsonb_build_object(
             'inserted', (inserted ->> e.ord::text)::integer,
             'duplicates', jsonb_array_length(e.b -> 'fixes') - (inserted ->> e.ord::text)::integer,
             'reached', coalesce((reached ->> e.ord::text)::boolean, false),
             'notified', coalesce((notified ->> e.ord::text)::integer, 0)) order by e.ord), '[]')
      from jsonb_array_elements(batches) with ordinality as e(b, ord)
  );
end
$$;

revoke execute on function
  private.location_settings(uuid),
  private.active_assignment_of(uuid),
  private.location_sender(jsonb),
  private.location_group_context(jsonb),
  private.assignment_location(uuid),
  private.therapist_last_fix(uuid),
  private.record_location_groups(jsonb)
  from public, anon, authenticated;
grant execute on function
  private.location_group_context(jsonb),
  private.assignment_location(uuid),
  private.therapist_last_fix(uuid),
  private.record_location_groups(jsonb)
  to service_role;
