-- Booking integrity (V31): no therapist in two places at once (travel buffers included),
-- lapsed payment holds that never block a new booking, assignment statuses that move only
-- forward and only by the right hands, booking statuses moved only by the right hands, and
-- booking numbers that stay unique past 9999.
begin;
select plan(99);

select tests.create_personas();

-- Runs one statement as a persona (or service_role), keeping its effects: 'rows <n>', or
-- 'error <sqlstate>' (and then nothing of it stays).
create function pg_temp.run(persona text, statement text)
returns text
language plpgsql
as $$
declare
  n bigint;
  state text;
begin
  perform tests.act_as(persona);
  begin
    execute statement;
    get diagnostics n = row_count;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
  end;
  perform tests.clear_authentication();
  return coalesce('error ' || state, 'rows ' || n);
end
$$;

-- A booking of customer_a at vendor_a starting at `starts` (a spa visit unless told).
create function pg_temp.booking(starts timestamptz, kind text default 'spa_visit', hold timestamptz default null)
returns uuid
language sql
as $$
  insert into public.bookings (customer_id, vendor_id, booking_type, service_location, location,
                               scheduled_start, scheduled_end, hold_expires_at)
  values (tests.id('customer_a'), tests.id('vendor_a'), kind, '{"address": "12 Residency Road"}',
          extensions.st_setsrid(extensions.st_makepoint(77.61, 12.96), 4326)::extensions.geography,
          starts, starts + interval '60 minutes', hold)
  returning id
$$;

-- An assignment of `therapist` to `booking` for `minutes` from `starts`, as dispatch writes it
-- (instants only: the local date and time are derived).
create function pg_temp.assign(booking uuid, therapist uuid, starts timestamptz, minutes integer default 60)
returns uuid
language sql
as $$
  insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
                                            scheduled_start, scheduled_end, location_address, estimated_duration)
  select b.id, therapist, b.vendor_id, b.customer_id, (select id from public.services where code = 'SWD'),
         starts, starts + make_interval(mins => minutes), '12 Residency Road', minutes
    from public.bookings b where b.id = booking
  returning id
$$;

create function pg_temp.at(days integer, local_time time)
returns timestamptz
language sql
as $$
  select ((current_date + days)::timestamp + local_time) at time zone 'Asia/Kolkata'
$$;

select id as t_a from public.therapists where user_id = tests.id('therapist_a') \gset
select tests.create_therapist(tests.id('vendor_a'), 'therapist.a2@test.ombaro.in') as t_a2 \gset
insert into tests.personas select 'therapist_a2', user_id from public.therapists where id = :'t_a2';
update public.vendors set travel_buffer_minutes = 30 where id = tests.id('vendor_a');

-- No double booking ------------------------------------------------------------------------

select pg_temp.booking(pg_temp.at(10, '10:00')) as b1 \gset
select pg_temp.booking(pg_temp.at(10, '10:30')) as b2 \gset
select pg_temp.booking(pg_temp.at(10, '11:00')) as b3 \gset
select pg_temp.assign(:'b1', :'t_a', pg_temp.at(10, '10:00')) as a1 \gset

select results_eq(
  format($$select assignment_date, assignment_time, busy_during, travel_buffer_minutes
             from public.therapist_assignments where id = %L$$, :'a1'),
  format($$values (current_date + 10, time '10:00', tstzrange(%L, %L, '[)'), 0)$$,
         pg_temp.at(10, '10:00'), pg_temp.at(10, '11:00')),
  'a spa visit takes the therapist for its own time, no buffer; local date and time follow the instants'
);
select throws_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b2', :'t_a', pg_temp.at(10, '10:30')),
  '23P01', null, 'an overlapping active assignment of the same therapist is refused'
);
select lives_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b3', :'t_a', pg_temp.at(10, '11:00')),
  'the next slot, starting when the first ends, is free'
);
select lives_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b2', :'t_a2', pg_temp.at(10, '10:30')),
  'another therapist takes the overlapping slot'
);

select pg_temp.booking(pg_temp.at(10, '13:00'), 'home_service') as b_home \gset
select pg_temp.booking(pg_temp.at(10, '14:15')) as b_after \gset
select pg_temp.assign(:'b_home', :'t_a', pg_temp.at(10, '13:00')) as a_home \gset
select is(
  (select travel_buffer_minutes from public.therapist_assignments where id = :'a_home'), 30,
  'a home visit carries the vendor''s travel buffer'
);
select is(
  (select upper(busy_during) from public.therapist_assignments where id = :'a_home'), pg_temp.at(10, '14:30'),
  'a home visit keeps the therapist until the end plus the buffer'
);
select throws_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b_after', :'t_a', pg_temp.at(10, '14:15')),
  '23P01', null, 'a visit inside the travel buffer of a home visit is refused'
);
select lives_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b_after', :'t_a', pg_temp.at(10, '14:30')),
  'a visit once the travel buffer is over is accepted'
);

update public.therapist_assignments set status = 'cancelled' where id = :'a1';
select lives_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b2', :'t_a', pg_temp.at(10, '10:00')),
  'a cancelled assignment frees its slot'
);

select lives_ok(
  format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
             assignment_date, assignment_time, location_address, estimated_duration)
           values (%L, %L, %L, %L, (select id from public.services where code = 'SWD'), current_date + 10, '16:00', 'x', 90)$$,
         :'b3', :'t_a2', tests.id('vendor_a'), tests.id('customer_a')),
  'an assignment given only a local date and time is accepted'
);
select is(
  (select busy_during from public.therapist_assignments where booking_id = :'b3' and therapist_id = :'t_a2'),
  tstzrange(pg_temp.at(10, '16:00'), pg_temp.at(10, '17:30'), '[)'),
  'its instants are derived in the booking''s timezone, ending after the estimated duration'
);
set local session_replication_role = replica;
select throws_ok(
  format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
             assignment_date, assignment_time, location_address, estimated_duration)
           values (%L, %L, %L, %L, (select id from public.services where code = 'SWD'), current_date + 10, '20:00', 'x', 60)$$,
         :'b3', :'t_a2', tests.id('vendor_a'), tests.id('customer_a')),
  '23514', null, 'even with triggers off, an active assignment needs its scheduled instants'
);
set local session_replication_role = origin;

select is(
  (select count(*)::int from public.booking_conflicts(:'t_a', pg_temp.at(10, '10:30'), pg_temp.at(10, '11:30'))), 2,
  'booking_conflicts lists the active assignments in the way'
);
select is(
  (select count(*)::int from public.booking_conflicts(:'t_a', pg_temp.at(10, '15:30'), pg_temp.at(10, '16:30'))), 0,
  'booking_conflicts is empty for a free slot'
);

-- The exclusion constraint, case by case: one therapist's day with a spa visit 10:00-11:00
-- and a home visit 14:00-15:00 whose 30-minute travel buffer keeps the therapist until 15:30.
-- Each candidate is tried alone and undone; the constraint must refuse every overlap, however
-- the two ranges lie, and allow every slot that only touches (ranges are half-open).
select tests.create_therapist(tests.id('vendor_a'), 'therapist.x@test.ombaro.in') as t_x \gset
select tests.create_therapist(tests.id('vendor_a'), 'therapist.y@test.ombaro.in') as t_y \gset
select pg_temp.booking(pg_temp.at(20, '10:00')) as x_spa \gset
select pg_temp.booking(pg_temp.at(20, '14:00'), 'home_service') as x_home \gset
select pg_temp.assign(:'x_spa', :'t_x', pg_temp.at(20, '10:00')) as x_visit \gset
select pg_temp.assign(:'x_home', :'t_x', pg_temp.at(20, '14:00')) as x_home_visit \gset

-- Runs a statement and undoes it: 'accepted', or 'refused <sqlstate>'.
create function pg_temp.try(statement text)
returns text
language plpgsql
as $$
declare
  state text;
begin
  begin
    execute statement;
    raise exception 'accepted' using errcode = 'P0001';
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
  end;
  return case when state = 'P0001' then 'accepted' else 'refused ' || state end;
end
$$;

select is(
  (select array_agg(busy_during order by lower(busy_during)) from public.therapist_assignments where therapist_id = :'t_x'),
  array[tstzrange(pg_temp.at(20, '10:00'), pg_temp.at(20, '11:00'), '[)'),
        tstzrange(pg_temp.at(20, '14:00'), pg_temp.at(20, '15:30'), '[)')],
  'the day tried against: 10:00-11:00 at the spa, 14:00-15:30 for a home visit with its buffer'
);
select is(
  pg_temp.try(format('select pg_temp.assign(%L, %L, %L, %s)',
                     case c.kind when 'home' then :'x_home' else :'x_spa' end, c.therapist, pg_temp.at(20, c.starts), c.minutes)),
  c.expected,
  c.description
)
  from (values
    ('spa', '10:00'::time, 60, :'t_x', 'refused 23P01', 'the same range again is refused'),
    ('spa', '10:00', 30, :'t_x', 'refused 23P01', 'same start, ending earlier (10:00-10:30) is refused'),
    ('spa', '10:00', 120, :'t_x', 'refused 23P01', 'same start, ending later (10:00-12:00) is refused'),
    ('spa', '10:30', 30, :'t_x', 'refused 23P01', 'same end, starting later (10:30-11:00) is refused'),
    ('spa', '09:30', 90, :'t_x', 'refused 23P01', 'same end, starting earlier (09:30-11:00) is refused'),
    ('spa', '10:15', 30, :'t_x', 'refused 23P01', 'a range inside the visit (10:15-10:45) is refused'),
    ('spa', '09:00', 180, :'t_x', 'refused 23P01', 'a range around the visit (09:00-12:00) is refused'),
    ('spa', '09:30', 60, :'t_x', 'refused 23P01', 'a range over the visit''s start (09:30-10:30) is refused'),
    ('spa', '10:30', 60, :'t_x', 'refused 23P01', 'a range over the visit''s end (10:30-11:30) is refused'),
    ('spa', '10:59', 60, :'t_x', 'refused 23P01', 'one minute of overlap at the end (10:59-11:59) is refused'),
    ('spa', '09:01', 60, :'t_x', 'refused 23P01', 'one minute of overlap at the start (09:01-10:01) is refused'),
    ('spa', '11:00', 60, :'t_x', 'accepted', 'a visit starting as the other ends (11:00-12:00) is accepted'),
    ('spa', '09:00', 60, :'t_x', 'accepted', 'a visit ending as the other starts (09:00-10:00) is accepted'),
    ('spa', '10:00', 60, :'t_y', 'accepted', 'another therapist takes the same range'),
    ('spa', '15:00', 60, :'t_x', 'refused 23P01', 'a spa visit inside the home visit''s travel buffer (15:00-16:00) is refused'),
    ('spa', '15:29', 60, :'t_x', 'refused 23P01', 'a spa visit in the buffer''s last minute (15:29) is refused'),
    ('spa', '13:00', 61, :'t_x', 'refused 23P01', 'a spa visit running one minute into the home visit (13:00-14:01) is refused'),
    ('spa', '15:30', 60, :'t_x', 'accepted', 'a spa visit starting as the travel buffer ends (15:30) is accepted'),
    ('spa', '13:00', 60, :'t_x', 'accepted', 'a spa visit ending as the home visit starts (13:00-14:00) is accepted'),
    ('home', '08:45', 60, :'t_x', 'refused 23P01', 'a home visit whose own buffer runs into the next visit (08:45-09:45 + 30) is refused'),
    ('home', '08:30', 60, :'t_x', 'accepted', 'a home visit whose buffer ends as the next visit starts (08:30-09:30 + 30) is accepted'),
    ('home', '11:30', 60, :'t_x', 'accepted', 'a home visit between the two, buffer included (11:30-12:30 + 30)'),
    ('home', '12:45', 60, :'t_x', 'refused 23P01', 'a home visit whose buffer runs into the next home visit (12:45-13:45 + 30) is refused'),
    ('home', '12:30', 60, :'t_x', 'accepted', 'a home visit whose buffer ends as the next home visit starts (12:30-13:30 + 30) is accepted')
  ) as c (kind, starts, minutes, therapist, expected, description);

-- Moving a visit is held to the same rule as making one.
select is(
  pg_temp.try(format($$update public.therapist_assignments set scheduled_start = %L, scheduled_end = %L where id = %L$$,
                     pg_temp.at(20, '14:30'), pg_temp.at(20, '15:30'), :'x_visit')),
  'refused 23P01', 'moving the spa visit onto the home visit is refused'
);
select is(
  pg_temp.try(format($$update public.therapist_assignments set scheduled_start = %L, scheduled_end = %L where id = %L$$,
                     pg_temp.at(20, '15:30'), pg_temp.at(20, '16:30'), :'x_visit')),
  'accepted', 'moving it to start as the travel buffer ends is accepted'
);

-- Every active status holds the slot; completed and cancelled ones do not.
select is(
  pg_temp.try(format(
    $$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id,
        scheduled_start, scheduled_end, location_address, estimated_duration, status)
      values (%1$L, %2$L, %3$L, %4$L, (select id from public.services where code = 'SWD'), %5$L, %6$L, 'x', 60, %7$L);
      select pg_temp.assign(%1$L, %2$L, %8$L, 60)$$,
    :'x_spa', :'t_y', tests.id('vendor_a'), tests.id('customer_a'), pg_temp.at(21, '10:00'), pg_temp.at(21, '11:00'),
    s.status, pg_temp.at(21, '10:30'))),
  s.expected,
  format('an overlapping visit is %s while the other is %s', case when s.expected = 'accepted' then 'accepted' else 'refused' end, s.status)
)
  from (values ('assigned', 'refused 23P01'), ('acknowledged', 'refused 23P01'), ('in_transit', 'refused 23P01'),
               ('reached', 'refused 23P01'), ('in_progress', 'refused 23P01'), ('completed', 'accepted'),
               ('cancelled', 'accepted')) as s (status, expected);

-- Payment holds ------------------------------------------------------------------------------

select pg_temp.booking(pg_temp.at(11, '16:00'), hold => now() - interval '1 minute') as b_lapsed \gset
select pg_temp.assign(:'b_lapsed', :'t_a', pg_temp.at(11, '16:00')) as a_lapsed \gset
select pg_temp.booking(pg_temp.at(11, '16:30')) as b_new \gset

select is(
  (select count(*)::int from public.booking_conflicts(:'t_a', pg_temp.at(11, '16:30'), pg_temp.at(11, '17:30'))), 0,
  'booking_conflicts ignores a lapsed hold'
);
-- Taken by the vendor's dispatcher through the API.
select is(
  pg_temp.run('vendor_a', format($$insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id,
      service_id, scheduled_start, scheduled_end, location_address, estimated_duration)
    values (%L, %L, %L, %L, (select id from public.services where code = 'SWD'), %L, %L, 'at the spa', 60)$$,
    :'b_new', :'t_a', tests.id('vendor_a'), tests.id('customer_a'), pg_temp.at(11, '16:30'), pg_temp.at(11, '17:30'))),
  'rows 1', 'a lapsed hold does not block a new booking of the same therapist'
);
select results_eq(
  format($$select status, cancellation_reason, hold_expires_at, cancelled_at is not null, cancelled_by
             from public.bookings where id = %L$$, :'b_lapsed'),
  $$values ('cancelled'::text, 'payment hold expired'::text, null::timestamptz, true, null::uuid)$$,
  'the lapsed booking is cancelled by the system, not by the dispatcher who took the slot'
);
select is(
  (select status from public.therapist_assignments where id = :'a_lapsed'), 'cancelled',
  'the lapsed booking''s assignment is cancelled'
);
select results_eq(
  format($$select actor_role, reason_code, cancellation_fee, refund_due from public.booking_cancellations where booking_id = %L$$, :'b_lapsed'),
  $$values ('system'::text, 'hold_expired'::text, 0::bigint, 0::bigint)$$,
  'the release is recorded as a system cancellation for an expired hold'
);
select results_eq(
  format($$select changed_by, reason from public.booking_status_history where booking_id = %L and to_status = 'cancelled'$$, :'b_lapsed'),
  $$values (null::uuid, 'payment hold expired'::text)$$,
  'the status history shows the release as nobody''s doing, with its reason'
);
select is(
  (select note from public.assignment_timeline where assignment_id = :'a_lapsed' and status = 'cancelled'),
  'payment hold expired', 'the assignment timeline says why it was cancelled'
);

select pg_temp.booking(pg_temp.at(11, '18:00'), hold => now() + interval '10 minutes') as b_held \gset
select pg_temp.assign(:'b_held', :'t_a', pg_temp.at(11, '18:00')) as a_held \gset
select pg_temp.booking(pg_temp.at(11, '18:30')) as b_late \gset
select throws_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'b_late', :'t_a', pg_temp.at(11, '18:30')),
  '23P01', null, 'a hold that has not lapsed blocks the slot'
);
select is((select status from public.bookings where id = :'b_held'), 'pending', 'and stays pending');

-- The periodic release: exactly the lapsed holds.
select pg_temp.booking(pg_temp.at(12, '09:00'), hold => now() - interval '5 minutes') as e1 \gset
select pg_temp.assign(:'e1', :'t_a2', pg_temp.at(12, '09:00')) as e1_a \gset
select pg_temp.booking(pg_temp.at(12, '12:00'), hold => now() - interval '1 second') as e2 \gset
select pg_temp.booking(pg_temp.at(12, '15:00'), hold => now() + interval '1 minute') as u1 \gset
select pg_temp.booking(pg_temp.at(12, '17:00')) as c1 \gset
update public.bookings set status = 'confirmed' where id = :'c1';

select is(private.expire_booking_holds(), 2, 'expire_booking_holds releases the two lapsed holds and says so');
select results_eq(
  format($$select id, status from public.bookings where id in (%L, %L, %L, %L, %L) order by scheduled_start$$,
         :'e1', :'e2', :'u1', :'c1', :'b_held'),
  format($$values (%L::uuid, 'pending'::text), (%L::uuid, 'cancelled'::text), (%L::uuid, 'cancelled'::text),
                  (%L::uuid, 'pending'::text), (%L::uuid, 'confirmed'::text)$$,
         :'b_held', :'e1', :'e2', :'u1', :'c1'),
  'lapsed holds are cancelled; live holds and confirmed bookings are left alone'
);
select is((select status from public.therapist_assignments where id = :'e1_a'), 'cancelled',
  'the released booking''s assignment is cancelled');
select is(private.expire_booking_holds(), 0, 'a second run has nothing to release');

-- The targeted release: only holds on the given therapist and time.
select pg_temp.booking(pg_temp.at(13, '08:00'), hold => now() - interval '1 minute') as e3 \gset
select pg_temp.assign(:'e3', :'t_a2', pg_temp.at(13, '08:00')) as e3_a \gset
select pg_temp.booking(pg_temp.at(13, '12:00'), hold => now() - interval '1 minute') as e4 \gset
select pg_temp.assign(:'e4', :'t_a2', pg_temp.at(13, '12:00')) as e4_a \gset
select is(
  private.expire_booking_holds(:'t_a2', tstzrange(pg_temp.at(13, '07:30'), pg_temp.at(13, '09:00'))), 1,
  'a targeted release frees only the holds on that therapist''s slot'
);
select is(
  (select array_agg(status order by scheduled_start) from public.bookings where id in (:'e3', :'e4')),
  array['cancelled', 'pending'], 'the hold elsewhere in the day is left for the periodic run'
);
select is(private.expire_booking_holds(:'t_a', null), 0, 'another therapist''s lapsed holds are not touched');

select throws_ok(
  format($$select pg_temp.assign(%L, %L, %L)$$, :'e2', :'t_a', pg_temp.at(14, '10:00')),
  '23514', null, 'a cancelled booking cannot take an active assignment'
);

-- Assignment transitions -------------------------------------------------------------------

select pg_temp.booking(pg_temp.at(15, '10:00'), 'home_service') as bt \gset
select pg_temp.assign(:'bt', :'t_a', pg_temp.at(15, '10:00')) as at1 \gset

select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'completed' where id = %L$$, :'at1')),
  'error 23514', 'the therapist cannot jump from assigned to completed');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'acknowledged' where id = %L$$, :'at1')),
  'rows 1', 'the therapist acknowledges');
select is(pg_temp.run('vendor_a', format($$update public.therapist_assignments set status = 'in_transit' where id = %L$$, :'at1')),
  'error 42501', 'the vendor cannot report the therapist''s progress');
select is(pg_temp.run('therapist_a2', format($$update public.therapist_assignments set status = 'in_transit' where id = %L$$, :'at1')),
  'rows 0', 'another therapist does not even see the assignment');
select is(pg_temp.run('customer_a', format($$update public.therapist_assignments set status = 'in_transit' where id = %L$$, :'at1')),
  'rows 0', 'nor may the customer move it');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'in_transit' where id = %L$$, :'at1')),
  'rows 1', 'the therapist sets out');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'acknowledged' where id = %L$$, :'at1')),
  'error 23514', 'the therapist cannot move backwards');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'reached' where id = %L$$, :'at1')),
  'rows 1', 'the therapist arrives');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'in_progress' where id = %L$$, :'at1')),
  'rows 1', 'the therapist starts');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'completed' where id = %L$$, :'at1')),
  'rows 1', 'the therapist completes');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'in_progress' where id = %L$$, :'at1')),
  'error 23514', 'completed is final');
select set_eq(
  format($$select status from public.assignment_timeline where assignment_id = %L and event_type = 'status_change'$$, :'at1'),
  array['assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress', 'completed'],
  'the timeline holds the legal path only'
);

-- Should a policy ever let them reach the row, the guards still say no.
create policy "test: anyone reads assignments" on public.therapist_assignments
  for select to authenticated using (true);
create policy "test: anyone reaches assignments" on public.therapist_assignments
  for update to authenticated using (true) with check (true);
select pg_temp.booking(pg_temp.at(15, '14:00')) as bt2 \gset
select pg_temp.assign(:'bt2', :'t_a', pg_temp.at(15, '14:00')) as at2 \gset
select is(pg_temp.run('customer_a', format($$update public.therapist_assignments set status = 'acknowledged' where id = %L$$, :'at2')),
  'error 42501', 'the customer cannot change an assignment''s status');
select is(pg_temp.run('therapist_a2', format($$update public.therapist_assignments set status = 'acknowledged' where id = %L$$, :'at2')),
  'error 42501', 'another therapist cannot change an assignment''s status');
drop policy "test: anyone reads assignments" on public.therapist_assignments;
drop policy "test: anyone reaches assignments" on public.therapist_assignments;

select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'cancelled' where id = %L$$, :'at2')),
  'error 42501', 'the therapist cannot cancel (dispatch does)');
select is(pg_temp.run('staff_a', format($$update public.therapist_assignments set status = 'cancelled' where id = %L$$, :'at2')),
  'rows 0', 'a receptionist without bookings.manage cannot cancel');
select is(pg_temp.run('therapist_a', format($$update public.therapist_assignments set status = 'acknowledged' where id = %L$$, :'at2')),
  'rows 1', 'the therapist acknowledges the second visit');
select is(pg_temp.run('vendor_a', format($$update public.therapist_assignments set status = 'assigned' where id = %L$$, :'at2')),
  'error 23514', 'the vendor cannot send an assignment back to assigned without a new therapist');
select is(pg_temp.run('vendor_a', format($$update public.therapist_assignments set status = 'assigned', therapist_id = %L where id = %L$$, :'t_a2', :'at2')),
  'rows 1', 'the vendor re-dispatches the visit to another therapist, who must acknowledge it');
select is(pg_temp.run('vendor_a', format($$update public.therapist_assignments set status = 'cancelled' where id = %L$$, :'at2')),
  'rows 1', 'the vendor cancels');
select is(pg_temp.run('vendor_a', format($$update public.therapist_assignments set status = 'assigned' where id = %L$$, :'at2')),
  'error 23514', 'cancelled is final');

select pg_temp.booking(pg_temp.at(15, '18:00')) as bt3 \gset
select pg_temp.assign(:'bt3', :'t_a', pg_temp.at(15, '18:00')) as at3 \gset
select is(pg_temp.run('service_role', format($$update public.therapist_assignments set status = 'completed' where id = %L$$, :'at3')),
  'rows 1', 'the service may record a visit reported late (a forward jump)');
select is(pg_temp.run('service_role', format($$update public.therapist_assignments set status = 'reached' where id = %L$$, :'at3')),
  'error 23514', 'but not move it backwards');

-- Booking status: who may move it ----------------------------------------------------------

select pg_temp.booking(pg_temp.at(16, '10:00')) as bb \gset
select pg_temp.assign(:'bb', :'t_a', pg_temp.at(16, '10:00')) as bb_a \gset

select is(pg_temp.run('customer_a', format($$update public.bookings set status = 'cancelled', cancellation_reason = 'x' where id = %L$$, :'bb')),
  'error 42501', 'the customer cannot cancel directly (the booking service prices cancellations)');
select is(pg_temp.run('customer_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bb')),
  'error 42501', 'the customer cannot confirm their own booking');
select is(pg_temp.run('therapist_a', format($$update public.bookings set status = 'in_progress' where id = %L$$, :'bb')),
  'rows 0', 'the therapist cannot move the booking');
select is(pg_temp.run('vendor_a', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bb')),
  'rows 1', 'the vendor confirms');
select is(pg_temp.run('vendor_a', format($$update public.bookings set status = 'pending' where id = %L$$, :'bb')),
  'error 23514', 'nobody moves a booking backwards');
select is(pg_temp.run('vendor_a', format($$update public.bookings set status = 'cancelled', cancellation_reason = 'therapist unwell' where id = %L$$, :'bb')),
  'rows 1', 'the vendor cancels');
select results_eq(
  format($$select a.status, t.note from public.therapist_assignments a
             join public.assignment_timeline t on t.assignment_id = a.id and t.status = 'cancelled'
            where a.id = %L$$, :'bb_a'),
  $$values ('cancelled'::text, 'therapist unwell'::text)$$,
  'cancelling a booking cancels its active assignments, with the booking''s reason'
);
select is(pg_temp.run('service_role', format($$update public.bookings set status = 'confirmed' where id = %L$$, :'bb')),
  'error 23514', 'not even the service reopens a cancelled booking');

-- Booking numbers --------------------------------------------------------------------------

select is(private.format_booking_number(7, '2025-03-01 10:00+05:30'), 'OBO-20250301-0007', 'serials are padded to four digits');
select isnt(
  private.format_booking_number(10000, now()), private.format_booking_number(1000, now()),
  'serial 10000 is not truncated into serial 1000''s number'
);
select is(
  (select count(distinct booking_number)::int from public.bookings where customer_id = tests.id('customer_a')),
  (select count(*)::int from public.bookings where customer_id = tests.id('customer_a')),
  'every booking made here has its own number'
);

select * from finish();
rollback;
