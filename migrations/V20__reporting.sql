-- Reporting: materialized views for the dashboards, and the functions that read them.
--
-- Materialized views cannot carry row-level security, so they live in schema `reporting`,
-- which the API does not expose, and are read through `public` functions that check the
-- caller first. Each view has a unique index so `refresh materialized view concurrently`
-- can rebuild it without blocking readers (pg_cron refreshes them every 5 minutes where it
-- is installed; the function server does it otherwise).
--
-- The spec's `dashboard_stats` summed `bookings.total_amount`, which its own DDL lacked, and
-- indexed `(1)`, which is not SQL: here bookings carry `total_amount` (paise) and the view
-- has a one-row key column to index.

create schema if not exists reporting;
revoke all on schema reporting from public;

-- Who the caller is --------------------------------------------------------------------------

-- True when the calling user holds any of `roles`: as their profile role, or through a live
-- (started, unexpired, unrevoked) `user_roles` grant. Read fresh on every statement, so a
-- revoked role stops working on the user's next request.
create or replace function private.has_any_role(roles text[])
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select private.current_roles() && roles
  );
end
$$;

-- Service work (webhooks, workers) acts as service_role and may read every report.
create or replace function private.is_service_role()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(
      nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
      current_setting('request.jwt.claim.role', true)
    ) = 'service_role'
  );
end
$$;

-- Views ----------------------------------------------------------------------------------

-- One row: the last 30 days of bookings (the spec's dashboard, corrected).
create materialized view reporting.dashboard_stats as
select
  1 as id,
  count(*) filter (where status = 'confirmed') as confirmed_bookings,
  count(*) filter (where status = 'completed') as completed_bookings,
  count(*) filter (where status = 'cancelled') as cancelled_bookings,
  count(*) as total_bookings,
  coalesce(sum(total_amount) filter (where payment_status = 'paid'), 0)::bigint as total_revenue,
  now() as refreshed_at
from public.bookings
where booking_date >= current_date - 30;

create unique index idx_dashboard_stats_id on reporting.dashboard_stats (id);
comment on materialized view reporting.dashboard_stats is 'Bookings of the last 30 days by status and paid revenue (paise); one row.';

-- Paid revenue per day and city (the vendor's city), amounts in paise.
create materialized view reporting.revenue_by_day_city as
select
  b.booking_date as day,
  c.id as city_id,
  c.name as city,
  count(*) as bookings,
  sum(b.subtotal)::bigint as gross_amount,
  sum(b.discount_amount)::bigint as discount_amount,
  sum(b.tax_amount)::bigint as tax_amount,
  sum(b.total_amount)::bigint as revenue
from public.bookings b
join public.vendors v on v.id = b.vendor_id
join public.cities c on c.id = v.city_id
where b.payment_status = 'paid'
group by b.booking_date, c.id, c.name;

create unique index idx_revenue_by_day_city_key on reporting.revenue_by_day_city (day, city_id);
create index idx_revenue_by_day_city_city on reporting.revenue_by_day_city (city_id, day);
comment on materialized view reporting.revenue_by_day_city is 'Paid bookings and revenue (paise) per booking day and vendor city.';

-- Per vendor: volume, cancellations, paid revenue and approved-review rating.
create materialized view reporting.vendor_performance as
select
  v.id as vendor_id,
  v.business_name,
  v.city_id,
  coalesce(b.bookings, 0) as bookings,
  coalesce(b.completed, 0) as completed,
  coalesce(b.cancelled, 0) as cancelled,
  case when coalesce(b.bookings, 0) = 0 then 0
       else round(100.0 * b.cancelled / b.bookings, 2) end as cancellation_rate,
  coalesce(b.revenue, 0)::bigint as revenue,
  coalesce(r.reviews, 0) as reviews,
  coalesce(r.average_rating, 0) as average_rating,
  b.last_booking_at
from public.vendors v
left join lateral (
  select
    count(*) as bookings,
    count(*) filter (where status = 'completed') as completed,
    count(*) filter (where status = 'cancelled') as cancelled,
    sum(total_amount) filter (where payment_status = 'paid') as revenue,
    max(scheduled_start) as last_booking_at
  from public.bookings
  where vendor_id = v.id
) b on true
left join lateral (
  select count(*) as reviews, round(avg(overall_rating), 2) as average_rating
  from public.reviews
  where vendor_id = v.id and status = 'approved'
) r on true
where v.deleted_at is null;

create unique index idx_vendor_performance_vendor on reporting.vendor_performance (vendor_id);
comment on materialized view reporting.vendor_performance is 'Per vendor: bookings, cancellations, paid revenue (paise), approved-review rating.';

-- Per therapist: completed work, time on the job, customer rating.
create materialized view reporting.therapist_scorecard as
select
  t.id as therapist_id,
  t.vendor_id,
  t.name,
  count(a.id) filter (where a.status = 'completed') as completed_assignments,
  count(a.id) filter (where a.status = 'cancelled') as cancelled_assignments,
  coalesce(sum(a.actual_duration) filter (where a.status = 'completed'), 0) as minutes_served,
  round(avg(a.customer_rating), 2) as average_rating,
  count(a.customer_rating) as ratings,
  max(a.actual_end_time) as last_service_at
from public.therapists t
left join public.therapist_assignments a on a.therapist_id = t.id
where t.deleted_at is null
group by t.id, t.vendor_id, t.name;

create unique index idx_therapist_scorecard_therapist on reporting.therapist_scorecard (therapist_id);
create index idx_therapist_scorecard_vendor on reporting.therapist_scorecard (vendor_id);
comment on materialized view reporting.therapist_scorecard is 'Per therapist: completed and cancelled assignments, minutes served, customer rating.';

-- Refresh ----------------------------------------------------------------------------------

create or replace function private.refresh_dashboards()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  refresh materialized view concurrently reporting.dashboard_stats;
  refresh materialized view concurrently reporting.revenue_by_day_city;
  refresh materialized view concurrently reporting.vendor_performance;
  refresh materialized view concurrently reporting.therapist_scorecard;
end
$$;

-- Work for the scheduler and the service: a user refreshing every view in a loop would load
-- the database for everyone.
revoke execute on function private.refresh_dashboards() from public, anon, authenticated;
grant execute on function private.refresh_dashboards() to service_role;

-- Readers ----------------------------------------------------------------------------------

create or replace function public.dashboard_stats()
returns setof reporting.dashboard_stats
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not (private.is_service_role() or private.has_any_role(array[
    'super_admin', 'directors', 'admin', 'finance_department', 'accounts_department',
    'marketing_department', 'corporate_office', 'ho_details'])) then
    raise exception 'dashboard statistics are for management roles' using errcode = '42501';
  end if;
  return query select * from reporting.dashboard_stats;
end
$$;

create or replace function public.revenue_by_day_city(from_day date, to_day date)
returns setof reporting.revenue_by_day_city
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not (private.is_service_role() or private.has_any_role(array[
    'super_admin', 'directors', 'finance_department', 'accounts_department', 'ca_cs'])) then
    raise exception 'revenue reports are for finance and directors' using errcode = '42501';
  end if;
  return query
    select * from reporting.revenue_by_day_city r
     where r.day between from_day and to_day
     order by r.day, r.city;
end
$$;

-- Management sees every vendor; a vendor owner sees their own row.
create or replace function public.vendor_performance()
returns setof reporting.vendor_performance
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if private.is_service_role() or private.has_any_role(array[
    'super_admin', 'directors', 'admin', 'vendor_list', 'finance_department', 'corporate_office']) then
    return query select * from reporting.vendor_performance order by revenue desc;
  else
    return query select * from reporting.vendor_performance where vendor_id = (select auth.uid());
  end if;
end
$$;

-- Management sees every therapist; a vendor owner their therapists; a therapist themself.
create or replace function public.therapist_scorecard()
returns setof reporting.therapist_scorecard
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if private.is_service_role() or private.has_any_role(array['super_admin', 'directors', 'admin', 'vendor_list']) then
    return query select * from reporting.therapist_scorecard order by completed_assignments desc;
  else
    return query
      select s.* from reporting.therapist_scorecard s
       where s.vendor_id = (select auth.uid())
          or s.therapist_id in (select t.id from public.therapists t where t.user_id = (select auth.uid()));
  end if;
end
$$;

revoke execute on function public.dashboard_stats(), public.revenue_by_day_city(date, date),
  public.vendor_performance(), public.therapist_scorecard() from public, anon;
grant execute on function public.dashboard_stats(), public.revenue_by_day_city(date, date),
  public.vendor_performance(), public.therapist_scorecard() to authenticated, service_role;

-- The readers call these helpers as their owner; policies call them as the caller.
grant usage on schema private to authenticated, service_role;
grant execute on function private.has_any_role(text[]), private.is_service_role() to authenticated, service_role;
