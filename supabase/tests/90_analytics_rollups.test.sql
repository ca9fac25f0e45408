-- Analytics rollups (V80-V81): only the service runs them, a rerun leaves the same rows, the
-- grains hold (one all-cities funnel row per step and day, week cohorts start on Mondays),
-- and the funnel rollup agrees with the same answer computed from the raw events.
begin;
select plan(11);

insert into public.analytics_events (user_id, session_id, event_name, "timestamp", location_info) values
  (null, 'pg-1', 'service_viewed', now() - interval '3 hours', '{"city": "Pune"}'),
  (null, 'pg-1', 'slot_selected', now() - interval '3 hours' + interval '40 seconds', null),
  (null, 'pg-1', 'booking_created', now() - interval '3 hours' + interval '100 seconds', null),
  (null, 'pg-2', 'service_viewed', now() - interval '2 hours', '{"city": "Pune"}'),
  (null, 'pg-3', 'slot_selected', now() - interval '2 hours', null),
  (null, 'pg-3', 'service_viewed', now() - interval '1 hours', null);

-- Who may run them.
select tests.authenticate_as_anon();
select throws_ok($$select private.run_analytics_rollups(current_date - 1, current_date)$$, '42501', null,
  'anon may not run the rollups');
reset role;
select tests.authenticate_as(tests.create_user('analytics-customer@example.in'));
select throws_ok($$select private.run_analytics_rollups(current_date - 1, current_date)$$, '42501', null,
  'a customer may not run the rollups');
select throws_ok($$select private.funnel_from_events('discovery', current_date - 1, current_date)$$, '42501', null,
  'a customer may not compute funnels from raw events');
reset role;

select tests.authenticate_as_service_role();
select lives_ok($$select private.run_analytics_rollups(current_date - 2, current_date + 1)$$,
  'the service runs every rollup');
create temp table first_run as
  select funnel_name, step_order, period_start, city, entered, completed, median_seconds_to_next
    from public.funnel_analytics;
select lives_ok($$select private.run_analytics_rollups(current_date - 2, current_date + 1)$$,
  'and runs them again');
select set_eq(
  $$select funnel_name, step_order, period_start, city, entered, completed, median_seconds_to_next from public.funnel_analytics$$,
  $$select * from first_run$$,
  'a rerun leaves the same funnel rows');
select is(
  (select count(*)::integer from private.analytics_rollup_days where rollup = 'funnels' and day between current_date - 2 and current_date + 1),
  4, 'the days rolled up are recorded');
select results_eq(
  $$select step_order, sum(entered)::bigint from public.funnel_analytics
     where funnel_name = 'discovery' and city is null group by step_order order by step_order$$,
  $$select step_order, reached from private.funnel_from_events('discovery', current_date - 2, current_date + 1)
     where reached > 0 order by step_order$$,
  'the rolled-up discovery funnel equals the one computed from raw events');
select is(
  (select sum(entered)::integer from public.funnel_analytics where funnel_name = 'discovery' and city = 'Pune' and step_order = 1),
  2, 'journeys are counted per city of their first step');
reset role;

-- Grains.
select throws_ok(
  $$insert into public.funnel_analytics (funnel_name, step_order, step_name, period_start, city, entered, completed)
    select funnel_name, step_order, step_name, period_start, city, 1, 0 from public.funnel_analytics
     where city is null limit 1$$,
  '23505', null, 'one all-cities row per funnel step and day');
select throws_ok(
  $$insert into public.cohort_analysis (cohort_type, cohort_grain, cohort_month, period_number, cohort_size)
    values ('signup', 'week', date '2026-03-11', 0, 1)$$,
  '23514', null, 'a week cohort starts on a Monday');

select * from finish();
rollback;
