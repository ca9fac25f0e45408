-- Analytics rollups: the SQL functions that turn raw events, bookings, payments and refunds
-- into the aggregate tables the analytics service answers from, and their schedule.
--
-- Every rollup takes a range of IST days and is idempotent: it upserts on its table's grain
-- and removes (or zeroes) rows of the range it did not produce this time, so running it
-- twice, or again after late events arrive, leaves exactly what one run over the final data
-- leaves. private.run_analytics_rollups(from, to) runs them all, records the days covered in
-- private.analytics_rollup_days and refreshes the reporting views; `ombaro analytics rollup`
-- calls it for any range, and pg_cron (where installed) or the scheduler of `ombaro up` calls
-- private.run_analytics_rollups_recent() every five minutes.
--
-- The definitions are those of the analytics core (functions/analytics: funnel.rs,
-- cohort.rs, revenue.rs); the integration tests hold the rollups equal to plain SQL over the
-- raw rows and to the core's own evaluation.

-- Funnels --------------------------------------------------------------------------------------

-- The defined funnels: ordered steps and the window (from the journey's start) within which
-- later steps count. Kept equal to FUNNELS in functions/analytics/src/funnel.rs.
create or replace function private.analytics_funnel_steps()
returns table (funnel_name text, step_order integer, step_name text, window_seconds integer)
language plpgsql
immutable
set search_path = ''
as $$
begin
  return query
    select v.funnel_name, v.step_order, v.step_name, v.window_seconds
      from (values
        ('discovery', 1, 'service_viewed', 86400),
        ('discovery', 2, 'slot_selected', 86400),
        ('discovery', 3, 'booking_created', 86400),
        ('discovery', 4, 'payment_captured', 86400),
        ('signup', 1, 'app_opened', 86400),
        ('signup', 2, 'signup_started', 86400),
        ('signup', 3, 'signup_completed', 86400)
      ) as v (funnel_name, step_order, step_name, window_seconds);
end
$$;

-- Every journey of `funnel` that started on IST days from_day..to_day, one row per step it
-- reached: the journey's day and city, the step, and the seconds to the next step (null when
-- it did not go on). A journey starts at an actor's (user, else session) first step-1 event
-- of a day; step k is the earliest step-k event at or after step k-1 within the window from
-- the start. Step by step with hash joins, so its cost grows with the events, not their square.
create or replace function private.analytics_funnel_journeys(funnel text, from_day date, to_day date)
returns table (day date, city text, step_order integer, seconds_to_next bigint)
language plpgsql
security definer
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_steps text[];
  v_window interval;
  v_lo timestamptz := from_day::timestamp at time zone 'Asia/Kolkata';
  v_hi_start timestamptz := (to_day + 1)::timestamp at time zone 'Asia/Kolkata';
  k integer;
begin
  select array_agg(s.step_name order by s.step_order), make_interval(secs => max(s.window_seconds))
    into v_steps, v_window
    from private.analytics_funnel_steps() s
   where s.funnel_name = funnel;
  if v_steps is null then
    raise exception 'no funnel named %', funnel using errcode = '22023';
  end if;

  drop table if exists pg_temp.analytics_funnel_events, pg_temp.analytics_funnel_journeys,
    pg_temp.analytics_funnel_next, pg_temp.analytics_funnel_reached;

  create temp table analytics_funnel_events as
    select coalesce(e.user_id::text, 'session:' || e.session_id) as actor, e.event_name, e."timestamp" as at,
           e.location_info ->> 'city' as city
      from public.analytics_events e
     where e.event_name = any (v_steps)
       and e."timestamp" >= v_lo
       and e."timestamp" <= v_hi_start + v_window
       and (e.user_id is not null or e.session_id is not null);

  create temp table analytics_funnel_journeys as
    select row_number() over () as id, s.actor, s.day, s.city, s.at as start_at, s.at as reached_at, 1 as step
      from (
        select distinct on (e.actor, (e.at at time zone 'Asia/Kolkata')::date)
               e.actor, (e.at at time zone 'Asia/Kolkata')::date as day, e.city, e.at
          from pg_temp.analytics_funnel_events e
         where e.event_name = v_steps[1] and e.at < v_hi_start
         order by e.actor, (e.at at time zone 'Asia/Kolkata')::date, e.at
      ) s;

  create temp table analytics_funnel_reached (id bigint, step integer, seconds_to_next bigint);
  insert into pg_temp.analytics_funnel_reached select j.id, 1, null from pg_temp.analytics_funnel_journeys j;

  for k in 2 .. cardinality(v_steps) loop
    create temp table analytics_funnel_next as
      select j.id, min(e.at) as at
        from pg_temp.analytics_funnel_journeys j
        join pg_temp.analytics_funnel_events e
          on e.actor = j.actor and e.event_name = v_steps[k]
         and e.at >= j.reached_at and e.at <= j.start_at + v_window
       where j.step = k - 1
       group by j.id;
    update pg_temp.analytics_funnel_reached r
       set seconds_to_next = floor(extract(epoch from n.at - j.reached_at))::bigint
      from pg_temp.analytics_funnel_next n
      join pg_temp.analytics_funnel_journeys j on j.id = n.id
     where r.id = n.id and r.step = k - 1;
    insert into pg_temp.analytics_funnel_reached select n.id, k, null from pg_temp.analytics_funnel_next n;
    update pg_temp.analytics_funnel_journeys j
       set reached_at = n.at, step = k
      from pg_temp.analytics_funnel_next n
     where j.id = n.id;
    drop table pg_temp.analytics_funnel_next;
  end loop;

  return query
    select j.day, j.city, r.step, r.seconds_to_next
      from pg_temp.analytics_funnel_reached r
      join pg_temp.analytics_funnel_journeys j on j.id = r.id;

  drop table pg_temp.analytics_funnel_events, pg_temp.analytics_funnel_journeys, pg_temp.analytics_funnel_reached;
end
$$;

-- A funnel's answer straight from the raw events (the service's answer when the rollups do
-- not cover a range, and the benchmark's baseline).
create or replace function private.funnel_from_events(funnel text, from_day date, to_day date, in_city text default null)
returns table (step_order integer, step_name text, reached bigint, median_seconds_to_next bigint)
language plpgsql
security definer
set search_path = ''
as $$
begin
  return query
    with j as (
      select * from private.analytics_funnel_journeys(funnel, from_day, to_day) j
       where in_city is null or j.city = in_city
    )
    select s.step_order, s.step_name, count(j.step_order),
           percentile_disc(0.5) within group (order by j.seconds_to_next)
      from private.analytics_funnel_steps() s
      left join j on j.step_order = s.step_order
     where s.funnel_name = funnel
     group by s.step_order, s.step_name
     order by s.step_order;
end
$$;

-- funnel_analytics for every defined funnel, per IST day of the journeys' start, per city
-- and for all cities: entered = journeys reaching the step, completed = those reaching the
-- next (the last step completes the funnel), the median seconds to the next step.
create or replace function private.rollup_funnels(from_day date, to_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  f text;
  written integer := 0;
  n integer;
begin
  for f in select distinct s.funnel_name from private.analytics_funnel_steps() s order by 1 loop
    with j as (
      select * from private.analytics_funnel_journeys(f, from_day, to_day)
    ),
    per_step as (
      select j.day, j.city, j.step_order, count(*) as reached,
             percentile_disc(0.5) within group (order by j.seconds_to_next) as median_next,
             grouping(j.city) as all_cities
        from j
       group by grouping sets ((j.day, j.step_order), (j.day, j.city, j.step_order))
      having not (grouping(j.city) = 0 and j.city is null)
    ),
    out_rows as (
      select p.day, case when p.all_cities = 1 then null else p.city end as city, s.step_order, s.step_name,
             p.reached as entered,
             case when nxt.reached is not null then nxt.reached
                  when s.step_order = (select max(s2.step_order) from private.analytics_funnel_steps() s2
                                        where s2.funnel_name = f) then p.reached
                  else 0 end as completed,
             p.median_next
        from private.analytics_funnel_steps() s
        join per_step p on p.step_order = s.step_order
        left join per_step nxt on nxt.day = p.day and nxt.all_cities = p.all_cities
              and nxt.city is not distinct from p.city and nxt.step_order = s.step_order + 1
       where s.funnel_name = f
    )
    insert into public.funnel_analytics as fa (funnel_name, step_order, step_name, period_grain, period_start, platform,
                                               city, entered, completed, median_seconds_to_next, computed_at)
    select f, r.step_order, r.step_name, 'day', r.day, 'all', r.city, r.entered, r.completed, r.median_next, now()
      from out_rows r
    on conflict on constraint funnel_analytics_grain_key do update
      set step_name = excluded.step_name, entered = excluded.entered, completed = excluded.completed,
          median_seconds_to_next = excluded.median_seconds_to_next, computed_at = excluded.computed_at;
    get diagnostics n = row_count;
    written := written + n;
    -- Grains this run did not produce (a city with no journeys any more) go.
    delete from public.funnel_analytics fa
     where fa.funnel_name = f and fa.period_grain = 'day' and fa.platform = 'all'
       and fa.period_start between from_day and to_day and fa.computed_at < now();
  end loop;
  return written;
end
$$;

-- Revenue ---------------------------------------------------------------------------------------

-- revenue_analytics per IST day, for all (null dimensions) and per city, vendor and service
-- category: paid bookings on their booking day (gross = subtotal + GST + fee, discounts, GST,
-- OMBARO's commission), processed refunds on the day they were processed; net = gross -
-- discounts - GST - refunds. A booking's category is that of its largest item.
create or replace function private.rollup_revenue(from_day date, to_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  written integer;
begin
  with booking_category as (
    select distinct on (i.booking_id) i.booking_id, s.category_id
      from public.booking_items i
      join public.services s on s.id = i.service_id
     order by i.booking_id, i.subtotal desc, i.id
  ),
  facts as (
    select b.booking_date as day, v.city_id, b.vendor_id, bc.category_id,
           1 as bookings, (b.status = 'cancelled')::integer as cancelled,
           b.subtotal + b.tax_amount + b.convenience_fee as gross, b.discount_amount as discount,
           b.tax_amount as tax, 0::bigint as refund,
           coalesce((select sum(c.commission_amount) from public.commission_records c
                      where c.booking_id = b.id and c.status <> 'reversed'), 0) as commission
      from public.bookings b
      join public.vendors v on v.id = b.vendor_id
      left join booking_category bc on bc.booking_id = b.id
     where b.payment_status in ('paid', 'refunded')
       and b.booking_date between from_day and to_day
    union all
    select (r.processed_at at time zone 'Asia/Kolkata')::date, v.city_id, b.vendor_id, bc.category_id,
           0, 0, 0, 0, 0, r.amount, 0
      from public.refunds r
      join public.bookings b on b.id = r.booking_id
      join public.vendors v on v.id = b.vendor_id
      left join booking_category bc on bc.booking_id = b.id
     where r.status = 'processed'
       and r.processed_at >= from_day::timestamp at time zone 'Asia/Kolkata'
       and r.processed_at < (to_day + 1)::timestamp at time zone 'Asia/Kolkata'
  )
  insert into public.revenue_analytics as ra (period_grain, period_date, city_id, vendor_id, service_category_id,
                                              bookings_count, cancelled_count, gross_revenue, discount_amount,
                                              tax_amount, refund_amount, net_revenue, commission_amount, computed_at)
  select 'day', f.day, f.city_id, f.vendor_id, f.category_id,
         sum(f.bookings), sum(f.cancelled), sum(f.gross), sum(f.discount), sum(f.tax), sum(f.refund),
         sum(f.gross) - sum(f.discount) - sum(f.tax) - sum(f.refund), sum(f.commission), now()
    from facts f
   group by grouping sets ((f.day), (f.day, f.city_id), (f.day, f.vendor_id), (f.day, f.category_id))
  having not ((grouping(f.city_id) = 0 and f.city_id is null)
           or (grouping(f.vendor_id) = 0 and f.vendor_id is null)
           or (grouping(f.category_id) = 0 and f.category_id is null))
  on conflict on constraint revenue_analytics_grain_key do update
    set bookings_count = excluded.bookings_count, cancelled_count = excluded.cancelled_count,
        gross_revenue = excluded.gross_revenue, discount_amount = excluded.discount_amount,
        tax_amount = excluded.tax_amount, refund_amount = excluded.refund_amount,
        net_revenue = excluded.net_revenue, commission_amount = excluded.commission_amount,
        computed_at = excluded.computed_at;
  get diagnostics written = row_count;
  delete from public.revenue_analytics ra
   where ra.period_grain = 'day' and ra.period_date between from_day and to_day and ra.computed_at < now();
  return written;
end
$$;

-- Cohorts ---------------------------------------------------------------------------------------

-- Whole weeks or months from the period of `start` to the period of `day`.
create or replace function private.analytics_periods_between(grain text, start date, day date)
returns integer
language plpgsql
immutable
set search_path = ''
as $$
begin
  if grain = 'week' then
    return (date_trunc('week', day::timestamp)::date - date_trunc('week', start::timestamp)::date) / 7;
  end if;
  return (extract(year from day)::integer * 12 + extract(month from day)::integer)
       - (extract(year from start)::integer * 12 + extract(month from start)::integer);
end
$$;

-- cohort_analysis for cohorts whose week or month starts in from_day..to_day (both grains,
-- both kinds), every period up to today's: members join on the day of their first completed
-- booking (first_booking) or of their customer profile (signup); a member is retained in a
-- period with a completed booking dated in it; revenue is those bookings' subtotal less
-- discounts, in paise. All-India rows (city null).
create or replace function private.rollup_cohorts(from_day date, to_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  g text;
  t text;
  today date := (now() at time zone 'Asia/Kolkata')::date;
  written integer := 0;
  n integer;
begin
  foreach g in array array['week', 'month'] loop
    foreach t in array array['first_booking', 'signup'] loop
      with members as (
        select b.customer_id as member, min(b.booking_date) as joined
          from public.bookings b
         where t = 'first_booking' and b.status = 'completed'
         group by b.customer_id
        union all
        select p.id, (p.created_at at time zone 'Asia/Kolkata')::date
          from public.user_profiles p
         where t = 'signup' and p.role = 'customer'
      ),
      chosen as (
        select m.member, date_trunc(g, m.joined::timestamp)::date as start
          from members m
      ),
      sizes as (
        select c.start, count(*) as size
          from chosen c
         where c.start between date_trunc(g, from_day::timestamp)::date and to_day
         group by c.start
      ),
      periods as (
        select s.start, s.size, p.n as period
          from sizes s
         cross join lateral generate_series(0, greatest(private.analytics_periods_between(g, s.start, today), 0)) as p(n)
      ),
      activity as (
        select c.start, private.analytics_periods_between(g, c.start, b.booking_date) as period,
               count(distinct c.member) as retained, count(*) as bookings,
               sum(b.subtotal - b.discount_amount) as revenue
          from chosen c
          join sizes s on s.start = c.start
          join public.bookings b on b.customer_id = c.member and b.status = 'completed' and b.booking_date >= c.start
         group by 1, 2
      )
      insert into public.cohort_analysis as ca (cohort_type, cohort_grain, cohort_month, city_id, period_number,
                                                cohort_size, retained_users, bookings_count, revenue, computed_at)
      select t, g, p.start, null, p.period, p.size, coalesce(a.retained, 0), coalesce(a.bookings, 0),
             coalesce(a.revenue, 0), now()
        from periods p
        left join activity a on a.start = p.start and a.period = p.period
      on conflict on constraint cohort_analysis_grain_key do update
        set cohort_size = excluded.cohort_size, retained_users = excluded.retained_users,
            bookings_count = excluded.bookings_count, revenue = excluded.revenue, computed_at = excluded.computed_at;
      get diagnostics n = row_count;
      written := written + n;
      delete from public.cohort_analysis ca
       where ca.cohort_type = t and ca.cohort_grain = g and ca.city_id is null
         and ca.cohort_month between date_trunc(g, from_day::timestamp)::date and to_day
         and ca.computed_at < now();
    end loop;
  end loop;
  return written;
end
$$;

-- Conversions and campaigns ---------------------------------------------------------------------

-- conversion_tracking: every funnel-step event of the range, with its acquisition source
-- (utm_* properties), campaign and booking when the event names existing ones, value
-- (`amount` in paise), and converted_at: when the same actor reached the funnel's last step
-- at or after it within the window. Rows of the range are replaced.
create or replace function private.rollup_conversions(from_day date, to_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lo timestamptz := from_day::timestamp at time zone 'Asia/Kolkata';
  v_hi timestamptz := (to_day + 1)::timestamp at time zone 'Asia/Kolkata';
  written integer;
begin
  delete from public.conversion_tracking ct
   where ct.occurred_at >= v_lo and ct.occurred_at < v_hi
     and ct.funnel_name in (select s.funnel_name from private.analytics_funnel_steps() s);
  with steps as (
    select s.*, max(s.step_order) over (partition by s.funnel_name) as last_step
      from private.analytics_funnel_steps() s
  ),
  ev as (
    select e.user_id, e.session_id, s.funnel_name, s.step_order, s.step_name, s.window_seconds,
           s.step_order = s.last_step as is_last, e."timestamp" as at, e.event_properties as props,
           coalesce(e.user_id::text, 'session:' || e.session_id) as actor
      from public.analytics_events e
      join steps s on s.step_name = e.event_name
     where e."timestamp" >= v_lo
       and e."timestamp" < v_hi + interval '1 day' * 2
       and (e.user_id is not null or e.session_id is not null)
  ),
  marked as (
    select ev.*, min(ev.at) filter (where ev.is_last)
             over (partition by ev.funnel_name, ev.actor order by ev.at rows between current row and unbounded following) as last_at
      from ev
  )
  insert into public.conversion_tracking (session_id, user_id, funnel_name, event, step_order, source, medium,
                                          campaign_id, booking_id, value, occurred_at, converted_at)
  select m.session_id, m.user_id, m.funnel_name, m.step_name, m.step_order,
         m.props ->> 'utm_source', m.props ->> 'utm_medium', c.id, b.id,
         case when m.props ->> 'amount' ~ '^[0-9]{1,15}$' then (m.props ->> 'amount')::bigint else 0 end,
         m.at,
         case when m.last_at <= m.at + make_interval(secs => m.window_seconds) then m.last_at end
    from marked m
    left join public.campaigns c on c.id::text = m.props ->> 'campaign_id'
    left join public.bookings b on b.id::text = m.props ->> 'booking_id'
   where m.at >= v_lo and m.at < v_hi;
  get diagnostics written = row_count;
  return written;
end
$$;

-- campaign_analytics' behavioural columns per campaign, day and channel: clicked = sessions
-- landing with utm_campaign = the campaign's id, converted = journeys of the campaign that
-- reached the discovery funnel's payment, revenue = their value. sent, delivered, opened,
-- unsubscribed and cost belong to the messaging side and are left as they are.
create or replace function private.rollup_campaigns(from_day date, to_day date)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_lo timestamptz := from_day::timestamp at time zone 'Asia/Kolkata';
  v_hi timestamptz := (to_day + 1)::timestamp at time zone 'Asia/Kolkata';
  written integer;
begin
  with channel as (
    select c.id, case when c.type = 'multi_channel' then 'in_app' else c.type end as default_channel
      from public.campaigns c
  ),
  clicks as (
    select ch.id as campaign_id, (pv.viewed_at at time zone 'Asia/Kolkata')::date as day,
           case when pv.utm_medium in ('email', 'sms', 'push', 'in_app', 'whatsapp') then pv.utm_medium
                else ch.default_channel end as channel,
           count(distinct pv.session_id) as clicked, 0::bigint as converted, 0::bigint as revenue
      from public.page_views pv
      join channel ch on ch.id::text = pv.utm_campaign
     where pv.viewed_at >= v_lo and pv.viewed_at < v_hi
     group by 1, 2, 3
  ),
  conversions as (
    select ch.id, (ct.occurred_at at time zone 'Asia/Kolkata')::date,
           case when ct.medium in ('email', 'sms', 'push', 'in_app', 'whatsapp') then ct.medium
                else ch.default_channel end,
           0::bigint, count(*), sum(ct.value)
      from public.conversion_tracking ct
      join channel ch on ch.id = ct.campaign_id
     where ct.funnel_name = 'discovery' and ct.event = 'payment_captured'
       and ct.occurred_at >= v_lo and ct.occurred_at < v_hi
     group by 1, 2, 3
  )
  insert into public.campaign_analytics as ca (campaign_id, metric_date, channel, clicked, converted, revenue)
  select x.campaign_id, x.day, x.channel, sum(x.clicked), sum(x.converted), sum(x.revenue)
    from (select * from clicks union all select * from conversions) x
   group by 1, 2, 3
  on conflict on constraint campaign_analytics_grain_key do update
    set clicked = excluded.clicked, converted = excluded.converted, revenue = excluded.revenue,
        updated_at = now();
  get diagnostics written = row_count;
  update public.campaign_analytics ca
     set clicked = 0, converted = 0, revenue = 0
   where ca.metric_date between from_day and to_day and ca.updated_at < now()
     and (ca.clicked, ca.converted, ca.revenue) <> (0, 0, 0);
  return written;
end
$$;

-- Running them ----------------------------------------------------------------------------------

-- Every rollup for from_day..to_day (conversions before campaigns, which read them), the
-- days recorded as covered, and the reporting views refreshed concurrently. Returns the
-- rows each rollup wrote.
create or replace function private.run_analytics_rollups(from_day date, to_day date)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  result jsonb;
begin
  if from_day is null or to_day is null or from_day > to_day then
    raise exception 'a rollup needs from_day <= to_day' using errcode = '22023';
  end if;
  result := jsonb_build_object(
    'funnels', private.rollup_funnels(from_day, to_day),
    'revenue', private.rollup_revenue(from_day, to_day),
    'cohorts', private.rollup_cohorts(from_day, to_day),
    'conversions', private.rollup_conversions(from_day, to_day),
    'campaigns', private.rollup_campaigns(from_day, to_day)
  );
  insert into private.analytics_rollup_days (rollup, day, computed_at)
  select r.rollup, d::date, now()
    from unnest(array['funnels', 'cohorts', 'conversions', 'revenue', 'campaigns']) as r(rollup)
   cross join generate_series(from_day, to_day, interval '1 day') as d
  on conflict (rollup, day) do update set computed_at = excluded.computed_at;
  perform private.refresh_dashboards();
  return result;
end
$$;

-- The scheduled run: yesterday and today (IST), since a journey that started yesterday can
-- still complete within its window today; cohorts from their first one, since every cohort's
-- current period changes as customers come back.
create or replace function private.run_analytics_rollups_recent()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  today date := (now() at time zone 'Asia/Kolkata')::date;
  first_day date;
  result jsonb;
begin
  result := private.run_analytics_rollups(today - 1, today);
  select least(min(b.booking_date), today - 1) into first_day from public.bookings b where b.status = 'completed';
  if first_day is not null and first_day < today - 1 then
    perform private.rollup_cohorts(first_day, today - 2);
    insert into private.analytics_rollup_days (rollup, day, computed_at)
    select 'cohorts', d::date, now() from generate_series(first_day, today - 2, interval '1 day') as d
    on conflict (rollup, day) do update set computed_at = excluded.computed_at;
  end if;
  return result;
end
$$;

revoke execute on function private.analytics_funnel_steps(), private.analytics_funnel_journeys(text, date, date),
  private.funnel_from_events(text, date, date, text), private.rollup_funnels(date, date),
  private.rollup_revenue(date, date), private.analytics_periods_between(text, date, date),
  private.rollup_cohorts(date, date), private.rollup_conversions(date, date), private.rollup_campaigns(date, date),
  private.run_analytics_rollups(date, date), private.run_analytics_rollups_recent()
  from public, anon, authenticated;
grant execute on function private.analytics_funnel_steps(), private.analytics_funnel_journeys(text, date, date),
  private.funnel_from_events(text, date, date, text), private.rollup_funnels(date, date),
  private.rollup_revenue(date, date), private.analytics_periods_between(text, date, date),
  private.rollup_cohorts(date, date), private.rollup_conversions(date, date), private.rollup_campaigns(date, date),
  private.run_analytics_rollups(date, date), private.run_analytics_rollups_recent()
  to service_role;

-- Schedule (as V23: where pg_cron is installed and usable in this database) ----------------------

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    begin
      execute 'create extension if not exists pg_cron with schema pg_catalog';
      perform cron.schedule('ombaro-analytics-rollups', '*/5 * * * *', 'select private.run_analytics_rollups_recent()');
    exception when others then
      raise notice 'pg_cron is not usable in this database (%): analytics rollups not scheduled', sqlerrm;
    end;
  end if;
end
$$;
