-- The location service's effects and the cache's version are the service's alone: app users
-- cannot record fixes, read tracks or move an assignment to reached through them. A change
-- to the catalogue bumps its cache version in the changing transaction, whoever makes it.
begin;
select plan(32);

select tests.create_personas();

select tests.act_as('therapist_a');
select throws_ok(
  $$select private.record_location_groups(jsonb_build_array(jsonb_build_object('therapist_id', gen_random_uuid(), 'fixes', '[]'::jsonb, 'arrived', true)))$$, '42501', null,
  'a therapist cannot record fixes past the service (or mark an arrival)'
);
select throws_ok($$select private.location_group_context(jsonb_build_array(jsonb_build_object('user_id', gen_random_uuid())))$$, '42501', null,
  'a therapist cannot lock and read an assignment''s track');
select throws_ok($$select private.assignment_location(gen_random_uuid())$$, '42501', null,
  'a therapist cannot read a track');
select throws_ok($$select private.therapist_last_fix(gen_random_uuid())$$, '42501', null,
  'a therapist cannot read another''s last fix through the service''s function');
select throws_ok($$select private.cache_version('services:catalog')$$, '42501', null,
  'the cache version is the service''s');
select is(private.may_follow_assignment(gen_random_uuid()), false, 'nobody follows an assignment that does not exist');
select is(private.followed_assignment(gen_random_uuid()), null, 'and learns nothing about it');
select is(private.may_see_therapist_location(gen_random_uuid()), false, 'nor a therapist that does not exist');
select tests.clear_authentication();

select tests.act_as('anon');
select throws_ok($$select private.may_follow_assignment(gen_random_uuid())$$, '42501', null,
  'anon asks nothing');
select tests.clear_authentication();

select tests.act_as('service_role');
select lives_ok(
  $$select private.record_location_groups('[]')$$,
  'the service records batches'
);
select is(private.cache_version('services:catalog') >= 0, true, 'the service reads the cache version');
select tests.clear_authentication();

create temporary table before_change as select private.cache_version('services:catalog') as v;
update public.services set name = name where code = 'SWD';
select is(private.cache_version('services:catalog'), (select v + 1 from before_change),
  'a catalogue change bumps the version in its own transaction');
update public.vendor_services set custom_price_60min = custom_price_60min where false;
select is(private.cache_version('services:catalog'), (select v + 2 from before_change),
  'even an update of no rows: the trigger is per statement');

-- One rule for who follows an assignment, from every side: the ETA's question
-- (may_follow_assignment), the rows of therapist_locations (what postgres_changes delivers),
-- and the private Realtime topic assignment:<id>:location (Broadcast from the database).
-- realtime.messages is Supabase's (the bootstrap's on stock Postgres); V70 put the topic's
-- policy on it.
select policies_are('realtime', 'messages', array['followers of an assignment receive its location'],
  'the private topic''s policy is on realtime.messages');

create temporary table trip_booking as
  select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a'), 4) as booking;
create temporary table trip (assignment uuid, therapist uuid);
with a as (
  insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                            assignment_date, assignment_time, status, location_address,
                                            location_latitude, location_longitude, estimated_duration)
  select b.booking, t.id, t.vendor_id, tests.id('customer_a'), (select id from public.services where code = 'SWD'),
         current_date + 4, '11:00', 'in_transit', '12 Residency Road', 12.9716, 77.6126, 60
    from trip_booking b, public.therapists t
   where t.user_id = tests.id('therapist_a')
  returning id, therapist_id)
insert into trip select id, therapist_id from a;
grant select on trip to authenticated, service_role;

select tests.act_as('service_role');
select is(
  (select private.record_location_groups(jsonb_build_array(jsonb_build_object(
     'therapist_id', therapist, 'assignment_id', assignment,
     'fixes', jsonb_build_array(jsonb_build_object('latitude', 12.9716, 'longitude', 77.5946, 'accuracy', 8,
                                                   'recorded_at', now() - interval '10 seconds', 'is_moving', true)),
     'track', jsonb_build_object('last', jsonb_build_object('latitude', 12.9716, 'longitude', 77.5946, 'accuracy', 8,
                                                            'at', now() - interval '10 seconds')),
     'distance_km', 0, 'travel_minutes', 0, 'arrived', false))) -> 0 ->> 'inserted' from trip),
  '1', 'the service records a fix'
);
select tests.clear_authentication();
select is((select count(*)::int from realtime.messages m, trip where m.topic = 'assignment:' || trip.assignment || ':location'),
  1, 'and broadcasts it to the assignment''s private topic');

create or replace function pg_temp.sides(persona text)
returns text
language plpgsql
as $$
declare
  answer text;
begin
  perform tests.act_as(persona);
  perform set_config('realtime.topic', (select 'assignment:' || assignment || ':location' from trip), true);
  select concat_ws(' ',
           (select private.may_follow_assignment(assignment) from trip),
           (select count(*) from public.therapist_locations l, trip where l.assignment_id = trip.assignment),
           (select count(*) from realtime.messages))
    into answer;
  perform set_config('realtime.topic', '', true);
  perform tests.clear_authentication();
  return answer;
end
$$;

-- may follow / location rows seen / topic messages seen
select is(pg_temp.sides('customer_a'), 't 1 1', 'on the way: the customer follows, on every side');
select is(pg_temp.sides('vendor_a'), 't 1 1', 'the vendor follows');
select is(pg_temp.sides('staff_a'), 't 1 1', 'the vendor''s staff follow');
select is(pg_temp.sides('customer_care'), 't 1 1', 'operations follow');
select is(pg_temp.sides('customer_b'), 'f 0 0', 'another customer does not');
select is(pg_temp.sides('vendor_b'), 'f 0 0', 'another vendor does not');
select is(pg_temp.sides('therapist_b'), 'f 0 0', 'another therapist does not');
select is(pg_temp.sides('finance_department'), 'f 0 0', 'finance does not');

-- A topic is read only under its own name: another topic set, the customer sees nothing.
select tests.act_as('customer_a');
select set_config('realtime.topic', 'assignment:' || gen_random_uuid() || ':location', true);
select is((select count(*)::int from realtime.messages), 0, 'a topic of no assignment of theirs shows nothing');
select set_config('realtime.topic', 'assignment:x:location', true);
select is((select count(*)::int from realtime.messages), 0, 'a malformed topic shows nothing (and raises nothing)');
select set_config('realtime.topic', '', true);
select tests.clear_authentication();

update public.therapist_assignments set status = 'reached' where id = (select assignment from trip);
select is(pg_temp.sides('customer_a'), 'f 0 0', 'arrived: the customer no longer follows, on any side');
select is(pg_temp.sides('vendor_a'), 't 1 1', 'the vendor still does');
select is(pg_temp.sides('customer_care'), 't 1 1', 'operations still do');

update public.therapist_assignments set status = 'in_transit' where false;
select is(
  (select count(*)::int from public.therapist_assignments a, trip where a.id = trip.assignment and a.status = 'reached'),
  1, 'the assignment stays reached'
);

-- The ETA's first question answers only those the rule admits.
select tests.act_as('vendor_a');
select is((select private.followed_assignment(assignment) ->> 'status' from trip), 'reached', 'the vendor learns the status');
select tests.clear_authentication();
select tests.act_as('customer_a');
select is((select private.followed_assignment(assignment) from trip), null, 'the customer, after arrival, learns nothing');
select tests.clear_authentication();

select * from finish();
rollback;
