-- Analytics rollups: the grains the analytics service answers from, and a record of which
-- days each rollup has covered.
--
-- * Funnels are read per city (`GET .../funnels/{name}?city=`), so funnel_analytics gets a
--   city (the `location_info.city` of the event that started the journey; null is the
--   all-cities row), and its grain includes it.
-- * Cohorts are read by week as well as by month, so cohort_analysis gets a grain, and its
--   period start is the first day of that week (Monday) or month.
-- * private.analytics_rollup_days records, per rollup and IST day, when that day was last
--   computed. The service answers from the rollups only when every day of the range is
--   covered, and says how fresh the stalest day is; otherwise it computes from the raw rows.
-- * The ingest endpoint accepts events up to 7 days old, which in the first days of a month
--   land in the previous month's partition: it is created here for a new database (the daily
--   upkeep only makes partitions ahead).

-- funnel_analytics: per city ---------------------------------------------------------------

alter table public.funnel_analytics add column city text;

alter table public.funnel_analytics drop constraint funnel_analytics_grain_key;
alter table public.funnel_analytics add constraint funnel_analytics_grain_key
  unique nulls not distinct (funnel_name, period_grain, period_start, platform, city, step_order);

comment on column public.funnel_analytics.city is 'City of the event that started the journeys (location_info.city); null for the all-cities row.';

-- cohort_analysis: by week or month ----------------------------------------------------------

alter table public.cohort_analysis add column cohort_grain text not null default 'month'
  check (cohort_grain in ('week', 'month'));

alter table public.cohort_analysis drop constraint cohort_analysis_cohort_month_check;
alter table public.cohort_analysis add constraint cohort_analysis_cohort_month_check check (
  cohort_month = case cohort_grain when 'week' then date_trunc('week', cohort_month)::date
                                   else date_trunc('month', cohort_month)::date end
);

alter table public.cohort_analysis drop constraint cohort_analysis_grain_key;
alter table public.cohort_analysis add constraint cohort_analysis_grain_key
  unique nulls not distinct (cohort_type, cohort_grain, cohort_month, city_id, period_number);

comment on column public.cohort_analysis.cohort_grain is 'Length of the cohort''s period: week (Monday first) or month.';
comment on column public.cohort_analysis.cohort_month is 'First day (IST) of the cohort''s week or month.';
comment on column public.cohort_analysis.period_number is 'Weeks or months (cohort_grain) since the cohort''s own; 0 is the cohort period itself.';

-- Which days each rollup covers --------------------------------------------------------------

create table private.analytics_rollup_days (
  rollup text not null check (rollup in ('funnels', 'cohorts', 'conversions', 'revenue', 'campaigns')),
  day date not null,
  computed_at timestamptz not null default now(),
  primary key (rollup, day)
);

comment on table private.analytics_rollup_days is 'When each rollup last computed each IST day; the analytics service answers from rollups only for fully covered ranges.';

revoke all on private.analytics_rollup_days from public, anon, authenticated;
grant select on private.analytics_rollup_days to service_role;

-- Last month's telemetry partitions ------------------------------------------------------------

select private.create_partition('public.analytics_events', now() - interval '1 month');
select private.create_partition('public.page_views', now() - interval '1 month');
