-- Analytics: raw behavioural events and page views from the apps, and the aggregates the
-- dashboards read (cohort retention, conversion funnels, revenue by city, vendor and
-- category).
--
-- The two raw streams grow by millions of rows a month and are read by recent time
-- ranges, so they are range-partitioned by month and kept 24 months: dropping an old
-- partition replaces mass deletes. The specification declared analytics_events as a plain
-- table and then attached a partition to it, and its primary key lacked the partition key;
-- here it is partitioned from the start with primary key (id, "timestamp").
--
-- The aggregate tables hold one row per grain, rebuilt by the analytics jobs with
-- insert ... on conflict on that grain. Grains with an optional dimension use
-- "unique nulls not distinct" so the all-cities row is unique too.

-- analytics_events (partitioned) -----------------------------------------------------------

create table public.analytics_events (
  id uuid not null default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  session_id text,
  event_name text not null,
  event_category text,
  event_properties jsonb not null default '{}',
  device_info jsonb,
  location_info jsonb,
  "timestamp" timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (id, "timestamp")
) partition by range ("timestamp");

create index idx_analytics_events_user on public.analytics_events (user_id);
create index idx_analytics_events_name on public.analytics_events (event_name);
create index idx_analytics_events_timestamp on public.analytics_events ("timestamp" desc);
create index idx_analytics_events_session on public.analytics_events (session_id, "timestamp");

alter table public.analytics_events enable row level security;

comment on table public.analytics_events is 'Behavioural events sent by the web and mobile apps; partitioned by month of "timestamp", kept 24 months.';
comment on column public.analytics_events.session_id is 'Client-generated session id grouping one visit''s events.';
comment on column public.analytics_events.event_name is 'e.g. page_view, button_click, search, booking_started, booking_completed.';
comment on column public.analytics_events.event_properties is 'Event-specific attributes (search terms, service ids, amounts in paise).';
comment on column public.analytics_events.device_info is '{"platform", "os", "browser", "app_version"}.';
comment on column public.analytics_events.location_info is '{"city", "state", "country"} resolved from IP or device location.';
comment on column public.analytics_events."timestamp" is 'When the event happened on the device; partition key.';
comment on column public.analytics_events.created_at is 'When the event reached the server.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.analytics_events', 'month', 3, interval '24 months');

-- page_views (partitioned) -----------------------------------------------------------------

create table public.page_views (
  id uuid not null default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  session_id text not null,
  path text not null,
  title text,
  referrer text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_term text,
  utm_content text,
  platform text not null default 'web' check (platform in ('web', 'android', 'ios')),
  device_type text check (device_type in ('mobile', 'tablet', 'desktop')),
  duration_seconds integer check (duration_seconds >= 0),
  viewed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (id, viewed_at)
) partition by range (viewed_at);

create index idx_page_views_user_id on public.page_views (user_id);
create index idx_page_views_session_id on public.page_views (session_id, viewed_at);
create index idx_page_views_path on public.page_views (path, viewed_at desc);
create index idx_page_views_viewed_at on public.page_views (viewed_at desc);
create index idx_page_views_utm_campaign on public.page_views (utm_campaign, viewed_at) where utm_campaign is not null;

alter table public.page_views enable row level security;

comment on table public.page_views is 'Screens and pages viewed, with their acquisition source; partitioned by month of viewed_at, kept 24 months.';
comment on column public.page_views.path is 'Route without query string, e.g. /spas/bangalore/indiranagar.';
comment on column public.page_views.utm_source is 'Campaign source from the landing URL (google, instagram, sms ...).';
comment on column public.page_views.utm_campaign is 'Campaign name from the landing URL; campaigns tag links with their id.';
comment on column public.page_views.duration_seconds is 'Time on the page, sent when the user leaves it.';

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.page_views', 'month', 3, interval '24 months');

select private.maintain_partitions();

-- cohort_analysis --------------------------------------------------------------------------

create table public.cohort_analysis (
  id uuid primary key default gen_random_uuid(),
  cohort_type text not null default 'first_booking' check (cohort_type in ('signup', 'first_booking')),
  cohort_month date not null check (cohort_month = date_trunc('month', cohort_month)::date),
  city_id uuid references public.cities (id) on delete cascade,
  period_number integer not null check (period_number >= 0),
  cohort_size integer not null check (cohort_size >= 0),
  retained_users integer not null default 0 check (retained_users >= 0),
  retention_rate numeric(5,2) generated always as (
    case when cohort_size = 0 then 0 else round(100.0 * retained_users / cohort_size, 2) end
  ) stored,
  bookings_count integer not null default 0 check (bookings_count >= 0),
  revenue bigint not null default 0 check (revenue >= 0),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cohort_analysis_retained_check check (retained_users <= cohort_size),
  constraint cohort_analysis_grain_key unique nulls not distinct (cohort_type, cohort_month, city_id, period_number)
);

create index idx_cohort_analysis_city_id on public.cohort_analysis (city_id);
create index idx_cohort_analysis_month on public.cohort_analysis (cohort_month, period_number);

create trigger set_updated_at before update on public.cohort_analysis
  for each row execute function private.set_updated_at();

alter table public.cohort_analysis enable row level security;

comment on table public.cohort_analysis is 'Monthly customer cohorts and how many come back in each later month; one row per cohort, city and period.';
comment on column public.cohort_analysis.cohort_type is 'What puts a customer in a cohort: the month of signup or of first completed booking.';
comment on column public.cohort_analysis.cohort_month is 'First day of the cohort''s month (IST).';
comment on column public.cohort_analysis.city_id is 'City of the cohort; null for the all-India row.';
comment on column public.cohort_analysis.period_number is 'Months since the cohort month; 0 is the cohort month itself.';
comment on column public.cohort_analysis.retained_users is 'Cohort members with a completed booking in that period.';
comment on column public.cohort_analysis.retention_rate is 'retained_users as a percentage of cohort_size.';
comment on column public.cohort_analysis.revenue is 'Net booking revenue from the cohort in that period, in paise.';

-- conversion_tracking ----------------------------------------------------------------------

create table public.conversion_tracking (
  id uuid primary key default gen_random_uuid(),
  session_id text,
  user_id uuid references auth.users (id) on delete set null,
  funnel_name text not null default 'booking',
  event text not null,
  step_order integer check (step_order >= 1),
  source text,
  medium text,
  campaign_id uuid references public.campaigns (id) on delete set null,
  promotion_id uuid references public.promotions (id) on delete set null,
  booking_id uuid references public.bookings (id) on delete set null,
  value bigint not null default 0 check (value >= 0),
  occurred_at timestamptz not null default now(),
  converted_at timestamptz,
  created_at timestamptz not null default now(),
  constraint conversion_tracking_actor_check check (session_id is not null or user_id is not null)
);

create index idx_conversion_tracking_session_id on public.conversion_tracking (session_id, occurred_at);
create index idx_conversion_tracking_user_id on public.conversion_tracking (user_id, occurred_at);
create index idx_conversion_tracking_campaign_id on public.conversion_tracking (campaign_id, occurred_at);
create index idx_conversion_tracking_promotion_id on public.conversion_tracking (promotion_id);
create index idx_conversion_tracking_booking_id on public.conversion_tracking (booking_id);
create index idx_conversion_tracking_funnel_event on public.conversion_tracking (funnel_name, event, occurred_at);
create index idx_conversion_tracking_converted_at on public.conversion_tracking (converted_at) where converted_at is not null;

alter table public.conversion_tracking enable row level security;

comment on table public.conversion_tracking is 'Funnel step events per session or user with their acquisition source, and the booking a journey converted into.';
comment on column public.conversion_tracking.funnel_name is 'Funnel the event belongs to: booking, vendor_signup, referral ...';
comment on column public.conversion_tracking.event is 'Step reached, e.g. search, view_vendor, select_slot, checkout, payment_success.';
comment on column public.conversion_tracking.step_order is 'Position of the step in its funnel (1 = entry).';
comment on column public.conversion_tracking.source is 'Acquisition source (utm_source, referral, organic, push ...).';
comment on column public.conversion_tracking.medium is 'Acquisition medium (utm_medium: cpc, email, sms, social ...).';
comment on column public.conversion_tracking.value is 'Booking value credited to this conversion, in paise.';
comment on column public.conversion_tracking.converted_at is 'When the journey ended in a confirmed booking; null while not converted.';

-- funnel_analytics -------------------------------------------------------------------------

create table public.funnel_analytics (
  id uuid primary key default gen_random_uuid(),
  funnel_name text not null,
  step_order integer not null check (step_order >= 1),
  step_name text not null,
  period_grain text not null default 'day' check (period_grain in ('day', 'week', 'month')),
  period_start date not null,
  platform text not null default 'all' check (platform in ('all', 'web', 'android', 'ios')),
  entered integer not null default 0 check (entered >= 0),
  completed integer not null default 0 check (completed >= 0),
  drop_off integer generated always as (entered - completed) stored,
  conversion_rate numeric(5,2) generated always as (
    case when entered = 0 then 0 else round(100.0 * completed / entered, 2) end
  ) stored,
  median_seconds_to_next integer check (median_seconds_to_next >= 0),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint funnel_analytics_completed_le_entered check (completed <= entered),
  constraint funnel_analytics_grain_key unique (funnel_name, period_grain, period_start, platform, step_order)
);

create index idx_funnel_analytics_period on public.funnel_analytics (period_grain, period_start);
create index idx_funnel_analytics_step on public.funnel_analytics (funnel_name, step_order);

create trigger set_updated_at before update on public.funnel_analytics
  for each row execute function private.set_updated_at();

alter table public.funnel_analytics enable row level security;

comment on table public.funnel_analytics is 'Per funnel step and period: how many sessions reached the step and how many went on to the next.';
comment on column public.funnel_analytics.period_start is 'First day (IST) of the day, ISO week or month the row covers.';
comment on column public.funnel_analytics.entered is 'Sessions that reached this step in the period.';
comment on column public.funnel_analytics.completed is 'Of those, sessions that reached the next step.';
comment on column public.funnel_analytics.drop_off is 'entered minus completed.';
comment on column public.funnel_analytics.conversion_rate is 'completed as a percentage of entered.';
comment on column public.funnel_analytics.median_seconds_to_next is 'Median time from this step to the next among completers.';

-- revenue_analytics ------------------------------------------------------------------------

create table public.revenue_analytics (
  id uuid primary key default gen_random_uuid(),
  period_grain text not null default 'day' check (period_grain in ('day', 'week', 'month')),
  period_date date not null,
  city_id uuid references public.cities (id) on delete cascade,
  vendor_id uuid references public.vendors (id) on delete cascade,
  service_category_id uuid references public.service_categories (id) on delete cascade,
  bookings_count integer not null default 0 check (bookings_count >= 0),
  cancelled_count integer not null default 0 check (cancelled_count >= 0),
  gross_revenue bigint not null default 0 check (gross_revenue >= 0),
  discount_amount bigint not null default 0 check (discount_amount >= 0),
  tax_amount bigint not null default 0 check (tax_amount >= 0),
  refund_amount bigint not null default 0 check (refund_amount >= 0),
  net_revenue bigint not null default 0,
  commission_amount bigint not null default 0 check (commission_amount >= 0),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint revenue_analytics_net_check check (net_revenue = gross_revenue - discount_amount - tax_amount - refund_amount),
  constraint revenue_analytics_grain_key unique nulls not distinct (period_grain, period_date, city_id, vendor_id, service_category_id)
);

create index idx_revenue_analytics_period on public.revenue_analytics (period_date, period_grain);
create index idx_revenue_analytics_city_id on public.revenue_analytics (city_id, period_date);
create index idx_revenue_analytics_vendor_id on public.revenue_analytics (vendor_id, period_date);
create index idx_revenue_analytics_service_category_id on public.revenue_analytics (service_category_id, period_date);

create trigger set_updated_at before update on public.revenue_analytics
  for each row execute function private.set_updated_at();

alter table public.revenue_analytics enable row level security;

comment on table public.revenue_analytics is 'Revenue per period and city, vendor and service category (null dimension = all); rebuilt nightly from bookings, payments and refunds.';
comment on column public.revenue_analytics.period_date is 'First day (IST) of the period the row covers.';
comment on column public.revenue_analytics.city_id is 'null: all cities.';
comment on column public.revenue_analytics.vendor_id is 'null: all vendors.';
comment on column public.revenue_analytics.service_category_id is 'null: all categories.';
comment on column public.revenue_analytics.bookings_count is 'Completed bookings in the period.';
comment on column public.revenue_analytics.gross_revenue is 'Booking value before discounts, including GST, in paise.';
comment on column public.revenue_analytics.discount_amount is 'Promotion and coupon discounts, in paise.';
comment on column public.revenue_analytics.tax_amount is 'GST collected, in paise.';
comment on column public.revenue_analytics.refund_amount is 'Refunds issued in the period, in paise.';
comment on column public.revenue_analytics.net_revenue is 'gross - discount - tax - refund, in paise; negative when refunds exceed the period''s sales.';
comment on column public.revenue_analytics.commission_amount is 'OMBARO''s commission on the period''s bookings, in paise.';
