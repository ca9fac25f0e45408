-- The location service's effects and the cache's version are the service's alone: app users
-- cannot record fixes, read tracks or move an assignment to reached through them. A change
-- to the catalogue bumps its cache version in the changing transaction, whoever makes it.
begin;
select plan(13);

select tests.create_personas();

select tests.act_as('therapist_a');
select throws_ok(
  $$select private.record_location_fixes(gen_random_uuid(), null, '[]', null, 0, 0, true)$$, '42501', null,
  'a therapist cannot record fixes past the service (or mark an arrival)'
);
select throws_ok($$select private.location_context(gen_random_uuid())$$, '42501', null,
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
  $$select private.record_location_fixes(null, null, '[]', null, 0, 0, false)$$,
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

select * from finish();
rollback;
