-- Services: the catalogue customers browse and book, and what happens to it afterwards.
--
-- * `service_categories`, `services`, `service_variants`, `addon_services`,
--   `service_packages`, `service_tags` and `service_tag_mapping` describe what can be sold.
-- * `service_pricing_tiers` and `service_availability` say how a price moves (weekends,
--   evening peak, tier-1 cities, festivals) and where and when a service is offered.
-- * `popular_services` holds the ranking the home screen shows per city.
-- * `service_execution_log`, `reviews` and `service_reviews` record what was actually
--   performed and what the customer thought of it.
--
-- Money is integer paise; GST on spa and beauty treatments is reported under SAC 999722.
-- Bookings (V11) and therapists (V10) come later: the columns pointing at them are created
-- here and their foreign keys are added by V11.

-- service_categories -----------------------------------------------------------------------

create table public.service_categories (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]{1,48}$'),
  name text not null,
  description text,
  parent_id uuid references public.service_categories (id) on delete set null,
  sort_order integer not null default 100,
  image_url text,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_categories_not_own_parent check (parent_id is distinct from id)
);

comment on table public.service_categories is
  'Browsing tree of the catalogue. The top level mirrors services.category (relaxation, therapeutic, specialty, couples, wellness); children refine it (e.g. ayurvedic under wellness).';
comment on column public.service_categories.code is 'Stable slug used by apps, seeds and commission rules; never renamed.';
comment on column public.service_categories.parent_id is 'Parent category; null for a top-level category.';
comment on column public.service_categories.sort_order is 'Ascending display order among siblings.';
comment on column public.service_categories.image_url is 'Storage path or CDN URL of the category tile image.';

create index idx_service_categories_parent_id on public.service_categories (parent_id);
create index idx_service_categories_active_sort on public.service_categories (is_active, sort_order);

create trigger set_updated_at before update on public.service_categories
  for each row execute function private.set_updated_at();

alter table public.service_categories enable row level security;

-- services ---------------------------------------------------------------------------------

create table public.services (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
  name text not null,
  category text not null check (category in (
    'relaxation', 'therapeutic', 'specialty', 'couples', 'wellness'
  )),
  category_id uuid references public.service_categories (id) on delete restrict,
  description text,
  style text,
  pressure_level integer check (pressure_level between 1 and 5),
  techniques text,
  focus_areas text,
  primary_benefits text,
  contraindications text,
  oils_products text,
  room_setup text,
  recommended_addons text[],
  duration_options integer[] check (duration_options is null or (cardinality(duration_options) > 0 and 0 < all (duration_options))),
  base_price_60min bigint not null check (base_price_60min >= 0),
  sac_code text not null default '999722' check (sac_code ~ '^[0-9]{6}$'),
  is_home_service_available boolean not null default true,
  gender_restriction text not null default 'any' check (gender_restriction in ('any', 'female_only', 'male_only')),
  is_active boolean not null default true,
  deleted_at timestamptz,
  search_vector tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(focus_areas, '') || ' ' || coalesce(primary_benefits, '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(description, '') || ' ' || coalesce(techniques, '')), 'C')
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.services is
  'The platform-wide service menu (Swedish, Abhyanga, Shirodhara ...). Vendors opt in and set their own prices through vendor_services. Rows are soft-deleted: bookings and reviews keep pointing at them.';
comment on column public.services.code is 'Short upper-case service code printed on tickets and invoices, e.g. ARO, SWD, DPT.';
comment on column public.services.category is 'Top-level family; kept as text for filtering and matches a top-level service_categories.code.';
comment on column public.services.category_id is 'Most specific catalogue category (may be a sub-category of category).';
comment on column public.services.style is 'Tradition or school of the treatment, e.g. Swedish, Thai, Ayurvedic, Balinese.';
comment on column public.services.pressure_level is 'Typical pressure, 1 (very light) to 5 (very firm).';
comment on column public.services.recommended_addons is 'addon_services.code values suggested at checkout.';
comment on column public.services.duration_options is 'Durations in minutes a customer can pick, e.g. {60,90,120}.';
comment on column public.services.base_price_60min is 'Reference price for 60 minutes, before tiers and GST, in paise.';
comment on column public.services.sac_code is 'GST Services Accounting Code printed on invoices; 999722 covers beauty and physical well-being services.';
comment on column public.services.is_home_service_available is 'Whether a therapist may perform it at the customer''s address (some need a steam room or a Shirodhara stand).';
comment on column public.services.gender_restriction is 'Who may book it; spas in India often run female-only treatments.';
comment on column public.services.deleted_at is 'Soft delete: set instead of deleting, so history keeps its references. Null = live.';
comment on column public.services.search_vector is 'Weighted full-text document: name (A), focus areas and benefits (B), description and techniques (C).';

create index idx_services_category on public.services (category);
create index idx_services_category_id on public.services (category_id);
create index idx_services_active on public.services (is_active) where deleted_at is null;
create index idx_services_search on public.services using gin (search_vector);
create index idx_services_name_trgm on public.services using gin (name extensions.gin_trgm_ops);

-- services.category (the spec's filter column) and category_id must describe the same
-- family: the root of category_id's branch is the category.
create or replace function private.check_service_category()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  root_code text;
begin
  if new.category_id is null then
    return new;
  end if;
  with recursive up as (
    select c.id, c.parent_id, c.code, 1 as depth from public.service_categories c where c.id = new.category_id
    union all
    select p.id, p.parent_id, p.code, up.depth + 1
      from public.service_categories p join up on p.id = up.parent_id
     where up.depth < 10
  )
  select code into root_code from up where parent_id is null;
  if root_code is distinct from new.category then
    raise exception 'service %: category_id belongs to %, not to category %', new.code, coalesce(root_code, '?'), new.category
      using errcode = '23514';
  end if;
  return new;
end
$$;

create trigger check_service_category before insert or update of category, category_id on public.services
  for each row execute function private.check_service_category();

create trigger set_updated_at before update on public.services
  for each row execute function private.set_updated_at();

alter table public.services enable row level security;

-- service_variants -------------------------------------------------------------------------

create table public.service_variants (
  id uuid primary key default gen_random_uuid(),
  service_id uuid not null references public.services (id) on delete cascade,
  name text not null,
  duration_minutes integer not null check (duration_minutes between 15 and 480),
  price bigint not null check (price >= 0),
  is_default boolean not null default false,
  is_active boolean not null default true,
  sort_order integer not null default 100,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (service_id, name)
);

comment on table public.service_variants is
  'Sellable versions of a service (60/90/120 minutes, signature or express) with their own list price.';
comment on column public.service_variants.duration_minutes is 'Hands-on treatment time in minutes.';
comment on column public.service_variants.price is 'List price of this variant before tiers and GST, in paise.';
comment on column public.service_variants.is_default is 'Variant preselected in the app; at most one per service.';

create unique index idx_service_variants_service_id_default on public.service_variants (service_id) where is_default;
create index idx_service_variants_active on public.service_variants (is_active, sort_order);
create index idx_service_variants_duration on public.service_variants (duration_minutes);

create trigger set_updated_at before update on public.service_variants
  for each row execute function private.set_updated_at();

alter table public.service_variants enable row level security;

-- service_pricing_tiers --------------------------------------------------------------------

create table public.service_pricing_tiers (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]{1,60}$'),
  name text not null,
  tier_type text not null check (tier_type in ('weekend', 'peak_hour', 'city_tier', 'festival', 'vendor_premium')),
  service_id uuid references public.services (id) on delete cascade,
  vendor_id uuid references public.vendors (id) on delete cascade,
  days_of_week integer[] check (days_of_week is null or (cardinality(days_of_week) > 0 and days_of_week <@ '{0,1,2,3,4,5,6}'::integer[])),
  start_time time,
  end_time time,
  city_tier smallint check (city_tier between 1 and 3),
  valid_from date,
  valid_to date,
  multiplier_bps integer check (multiplier_bps between 1 and 100000),
  flat_adjustment bigint,
  priority integer not null default 100,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_pricing_tiers_one_adjustment check (num_nonnulls(multiplier_bps, flat_adjustment) = 1),
  constraint service_pricing_tiers_window_complete check ((start_time is null) = (end_time is null)),
  constraint service_pricing_tiers_window_order check (end_time is null or end_time > start_time),
  constraint service_pricing_tiers_validity_order check (valid_to is null or valid_from is null or valid_to >= valid_from),
  constraint service_pricing_tiers_weekend_days check (tier_type <> 'weekend' or days_of_week is not null),
  constraint service_pricing_tiers_peak_window check (tier_type <> 'peak_hour' or start_time is not null),
  constraint service_pricing_tiers_city_tier_set check (tier_type <> 'city_tier' or city_tier is not null),
  constraint service_pricing_tiers_festival_dates check (tier_type <> 'festival' or (valid_from is not null and valid_to is not null)),
  constraint service_pricing_tiers_vendor_premium_vendor check (tier_type <> 'vendor_premium' or vendor_id is not null)
);

comment on table public.service_pricing_tiers is
  'Rules that move a list price: weekend and evening-peak surcharges, tier-1 city uplift, festival (Diwali, New Year) pricing, premium vendors. Every matching active rule applies, in ascending priority; all conditions present on a row must hold.';
comment on column public.service_pricing_tiers.code is 'Stable natural key used by seeds and the pricing engine.';
comment on column public.service_pricing_tiers.service_id is 'Service the rule applies to; null = every service.';
comment on column public.service_pricing_tiers.vendor_id is 'Vendor the rule applies to; null = every vendor. Required for vendor_premium.';
comment on column public.service_pricing_tiers.days_of_week is 'Local days the rule applies on, 0 = Sunday; null = every day.';
comment on column public.service_pricing_tiers.start_time is 'Start of the local time-of-day window (vendor timezone), inclusive.';
comment on column public.service_pricing_tiers.end_time is 'End of the local time-of-day window (vendor timezone), exclusive; windows do not cross midnight.';
comment on column public.service_pricing_tiers.city_tier is 'Applies to cities of this tier (cities.tier: 1 metro, 2, 3); null = any city.';
comment on column public.service_pricing_tiers.valid_from is 'First local date the rule applies (inclusive); null = no start limit.';
comment on column public.service_pricing_tiers.valid_to is 'Last local date the rule applies (inclusive); null = no end limit.';
comment on column public.service_pricing_tiers.multiplier_bps is 'Price multiplier in basis points: 10000 = unchanged, 11000 = +10%, 9000 = -10%.';
comment on column public.service_pricing_tiers.flat_adjustment is 'Flat amount added to the price (negative for a discount), in paise.';
comment on column public.service_pricing_tiers.priority is 'Application order, lowest first; multipliers compound in that order.';

create index idx_service_pricing_tiers_service_id on public.service_pricing_tiers (service_id);
create index idx_service_pricing_tiers_vendor_id on public.service_pricing_tiers (vendor_id);
create index idx_service_pricing_tiers_type_active on public.service_pricing_tiers (tier_type, priority) where is_active;
create index idx_service_pricing_tiers_validity on public.service_pricing_tiers (valid_from, valid_to);

create trigger set_updated_at before update on public.service_pricing_tiers
  for each row execute function private.set_updated_at();

alter table public.service_pricing_tiers enable row level security;

-- addon_services ---------------------------------------------------------------------------

create table public.addon_services (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]{1,23}$'),
  name text not null,
  description text,
  duration integer not null check (duration >= 0),
  price bigint not null check (price >= 0),
  sac_code text not null default '999722' check (sac_code ~ '^[0-9]{6}$'),
  is_home_service_available boolean not null default true,
  sort_order integer not null default 100,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.addon_services is
  'Extras added to a booked service at checkout (hot towel, aroma oil upgrade, 15-minute head massage, foot scrub).';
comment on column public.addon_services.code is 'Short upper-case code; services.recommended_addons lists these.';
comment on column public.addon_services.duration is 'Extra minutes the add-on adds to the session (0 when done within it).';
comment on column public.addon_services.price is 'List price before GST, in paise.';
comment on column public.addon_services.sac_code is 'GST Services Accounting Code for invoices.';

create index idx_addon_services_active_sort on public.addon_services (is_active, sort_order);
create index idx_addon_services_name_trgm on public.addon_services using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.addon_services
  for each row execute function private.set_updated_at();

alter table public.addon_services enable row level security;

-- service_packages -------------------------------------------------------------------------

create table public.service_packages (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z][A-Z0-9_]{1,23}$'),
  name text not null,
  description text,
  service_ids uuid[] not null check (cardinality(service_ids) > 0 and array_position(service_ids, null) is null),
  total_duration integer not null check (total_duration > 0),
  package_price bigint not null check (package_price >= 0),
  discount_percentage numeric(5,2) not null default 0 check (discount_percentage between 0 and 100),
  image_url text,
  valid_from date,
  valid_to date,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_packages_validity_order check (valid_to is null or valid_from is null or valid_to >= valid_from)
);

comment on table public.service_packages is
  'Bundles of services sold together at a discount (e.g. Swedish + Body Scrub, bridal pre-wedding ritual).';
comment on column public.service_packages.code is 'Stable natural key for seeds and marketing links.';
comment on column public.service_packages.service_ids is 'services.id of each service in the bundle, in the order performed; checked on write because an array cannot carry a foreign key.';
comment on column public.service_packages.total_duration is 'Total treatment time in minutes.';
comment on column public.service_packages.package_price is 'Bundle price before GST, in paise.';
comment on column public.service_packages.discount_percentage is 'Saving shown to the customer against the sum of the list prices, percent.';
comment on column public.service_packages.valid_from is 'First local date the bundle can be booked; null = no start limit.';
comment on column public.service_packages.valid_to is 'Last local date the bundle can be booked; null = no end limit.';

create index idx_service_packages_service_ids on public.service_packages using gin (service_ids);
create index idx_service_packages_active on public.service_packages (is_active, valid_from, valid_to);

-- Packages name services by id inside an array, so the database checks them itself.
create or replace function private.check_package_services()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  missing uuid;
begin
  select s.id into missing
    from unnest(new.service_ids) as s(id)
   where not exists (select 1 from public.services v where v.id = s.id and v.deleted_at is null)
   limit 1;
  if missing is not null then
    raise exception 'service_packages.service_ids: % is not a live service', missing
      using errcode = '23503';
  end if;
  return new;
end
$$;

create trigger check_package_services before insert or update of service_ids on public.service_packages
  for each row execute function private.check_package_services();

create trigger set_updated_at before update on public.service_packages
  for each row execute function private.set_updated_at();

alter table public.service_packages enable row level security;

-- service_tags -----------------------------------------------------------------------------

create table public.service_tags (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text not null,
  tag_type text not null default 'general' check (tag_type in (
    'benefit', 'body_area', 'technique', 'audience', 'occasion', 'general'
  )),
  sort_order integer not null default 100,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.service_tags is 'Filter chips for the catalogue (stress relief, back pain, prenatal, ayurvedic, couples ...).';
comment on column public.service_tags.slug is 'URL-safe natural key, e.g. stress-relief.';
comment on column public.service_tags.tag_type is 'Which filter group the chip appears under.';

create index idx_service_tags_type on public.service_tags (tag_type, sort_order);
create index idx_service_tags_active on public.service_tags (is_active);

create trigger set_updated_at before update on public.service_tags
  for each row execute function private.set_updated_at();

alter table public.service_tags enable row level security;

-- service_tag_mapping ----------------------------------------------------------------------

create table public.service_tag_mapping (
  service_id uuid not null references public.services (id) on delete cascade,
  tag_id uuid not null references public.service_tags (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (service_id, tag_id)
);

comment on table public.service_tag_mapping is 'Which tags a service carries; rows are added and removed, never changed.';

create index idx_service_tag_mapping_tag_id on public.service_tag_mapping (tag_id);

alter table public.service_tag_mapping enable row level security;

-- popular_services -------------------------------------------------------------------------

create table public.popular_services (
  id uuid primary key default gen_random_uuid(),
  service_id uuid not null references public.services (id) on delete cascade,
  city_id uuid references public.cities (id) on delete cascade,
  period_start date not null,
  period_end date not null,
  booking_count integer not null default 0 check (booking_count >= 0),
  revenue bigint not null default 0 check (revenue >= 0),
  average_rating numeric(3,2) check (average_rating between 0 and 5),
  rank integer not null check (rank >= 1),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint popular_services_period_order check (period_end >= period_start),
  unique nulls not distinct (city_id, period_start, period_end, service_id)
);

comment on table public.popular_services is
  'Periodic ranking of services by completed bookings, per city and nationwide (city_id null); recomputed by a scheduled job and read by the home screen.';
comment on column public.popular_services.city_id is 'City the ranking is for; null = all of India.';
comment on column public.popular_services.period_start is 'First IST date counted (inclusive).';
comment on column public.popular_services.period_end is 'Last IST date counted (inclusive).';
comment on column public.popular_services.booking_count is 'Completed bookings containing the service in the period.';
comment on column public.popular_services.revenue is 'Booking value of those services in the period, in paise.';
comment on column public.popular_services.rank is '1 = most booked in that city and period.';

create index idx_popular_services_service_id on public.popular_services (service_id);
create index idx_popular_services_city_rank on public.popular_services (city_id, period_end desc, rank);

create trigger set_updated_at before update on public.popular_services
  for each row execute function private.set_updated_at();

alter table public.popular_services enable row level security;

-- service_availability ---------------------------------------------------------------------

create table public.service_availability (
  id uuid primary key default gen_random_uuid(),
  service_id uuid not null references public.services (id) on delete cascade,
  city_id uuid references public.cities (id) on delete cascade,
  zone_id uuid references public.zones (id) on delete cascade,
  vendor_id uuid references public.vendors (id) on delete cascade,
  days_of_week integer[] not null default '{0,1,2,3,4,5,6}' check (cardinality(days_of_week) > 0 and days_of_week <@ '{0,1,2,3,4,5,6}'::integer[]),
  start_time time not null default '09:00',
  end_time time not null default '21:00',
  timezone text not null default 'Asia/Kolkata',
  is_home_service boolean not null default false,
  valid_from date,
  valid_to date,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_availability_place check (num_nonnulls(city_id, zone_id) >= 1),
  constraint service_availability_window_order check (end_time > start_time),
  constraint service_availability_validity_order check (valid_to is null or valid_from is null or valid_to >= valid_from)
);

comment on table public.service_availability is
  'Where and when a service can be booked: per city or zone, optionally for one vendor, on which days and in which local time window, at the spa or at home.';
comment on column public.service_availability.city_id is 'City the window applies to; at least one of city_id and zone_id is set.';
comment on column public.service_availability.zone_id is 'Zone within a city, for home services limited to part of a city.';
comment on column public.service_availability.vendor_id is 'Vendor the window is specific to; null = every vendor offering the service there.';
comment on column public.service_availability.days_of_week is 'Local days offered, 0 = Sunday.';
comment on column public.service_availability.start_time is 'Earliest local start time (in timezone).';
comment on column public.service_availability.end_time is 'Latest local end time (in timezone); windows do not cross midnight.';
comment on column public.service_availability.is_home_service is 'True for at-home delivery, false for in-spa visits.';

create index idx_service_availability_service_id on public.service_availability (service_id);
create index idx_service_availability_city_id on public.service_availability (city_id) where is_active;
create index idx_service_availability_zone_id on public.service_availability (zone_id);
create index idx_service_availability_vendor_id on public.service_availability (vendor_id);

create trigger set_updated_at before update on public.service_availability
  for each row execute function private.set_updated_at();

alter table public.service_availability enable row level security;

-- service_execution_log --------------------------------------------------------------------

create table public.service_execution_log (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null,  -- FK added in V11: booking_id -> bookings
  booking_item_id uuid not null,  -- FK added in V11: booking_item_id -> booking_items
  therapist_id uuid,  -- FK added in V11: therapist_id -> therapists
  service_id uuid not null references public.services (id) on delete restrict,
  status text not null default 'in_progress' check (status in ('in_progress', 'completed', 'aborted')),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  actual_duration_minutes integer generated always as (
    (extract(epoch from (ended_at - started_at)) / 60)::integer
  ) stored,
  pressure_level_used integer check (pressure_level_used between 1 and 5),
  body_areas text[],
  products_used jsonb not null default '[]'::jsonb check (jsonb_typeof(products_used) = 'array'),
  abort_reason text,
  notes text,
  recorded_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint service_execution_log_end_after_start check (ended_at is null or ended_at > started_at),
  constraint service_execution_log_ended check (status = 'in_progress' or ended_at is not null),
  constraint service_execution_log_abort_reason check (status <> 'aborted' or abort_reason is not null)
);

comment on table public.service_execution_log is
  'What was actually performed for a booked service: who, when, how long, with which oils and products. Feeds inventory consumption, therapist performance and complaint handling.';
comment on column public.service_execution_log.booking_item_id is 'The booked line this execution fulfils.';
comment on column public.service_execution_log.therapist_id is 'Therapist who performed it; null if not recorded.';
comment on column public.service_execution_log.actual_duration_minutes is 'Minutes between start and end, null while in progress.';
comment on column public.service_execution_log.pressure_level_used is 'Pressure actually applied, 1 (very light) to 5 (very firm).';
comment on column public.service_execution_log.body_areas is 'Areas worked on (back, neck, legs ...), or avoided areas noted by the therapist.';
comment on column public.service_execution_log.products_used is 'Products consumed: [{ "name", "sku", "quantity", "unit" }].';
comment on column public.service_execution_log.recorded_by is 'User who wrote the entry (therapist app or vendor desk).';

create index idx_service_execution_log_booking_id on public.service_execution_log (booking_id);
create index idx_service_execution_log_booking_item_id on public.service_execution_log (booking_item_id);
create index idx_service_execution_log_therapist_id on public.service_execution_log (therapist_id, started_at desc);
create index idx_service_execution_log_service_id on public.service_execution_log (service_id);
create index idx_service_execution_log_recorded_by on public.service_execution_log (recorded_by);
create index idx_service_execution_log_started_at on public.service_execution_log (started_at desc);

create trigger set_updated_at before update on public.service_execution_log
  for each row execute function private.set_updated_at();

alter table public.service_execution_log enable row level security;

-- reviews ----------------------------------------------------------------------------------

create table public.reviews (
  id uuid primary key default gen_random_uuid(),
  booking_id uuid not null,  -- FK added in V11: booking_id -> bookings
  customer_id uuid not null references public.customers (id) on delete cascade,
  vendor_id uuid references public.vendors (id) on delete cascade,
  therapist_id uuid,  -- FK added in V11: therapist_id -> therapists
  service_id uuid references public.services (id) on delete set null,
  overall_rating integer not null check (overall_rating between 1 and 5),
  service_quality_rating integer check (service_quality_rating between 1 and 5),
  professionalism_rating integer check (professionalism_rating between 1 and 5),
  cleanliness_rating integer check (cleanliness_rating between 1 and 5),
  value_for_money_rating integer check (value_for_money_rating between 1 and 5),
  title text,
  review_text text,
  photos text[],
  would_recommend boolean,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'flagged')),
  moderated_by uuid references public.employees (id) on delete set null,
  moderated_at timestamptz,
  moderation_notes text,
  vendor_response text,
  vendor_responded_at timestamptz,
  helpful_count integer not null default 0 check (helpful_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.reviews is
  'A customer''s review of a completed booking: one per booking, moderated before it is shown.';
comment on column public.reviews.customer_id is 'Reviewer; must be the booking''s customer.';
comment on column public.reviews.therapist_id is 'Therapist being rated, when the booking had one.';
comment on column public.reviews.service_id is 'Main service of the booking; per-service ratings live in service_reviews.';
comment on column public.reviews.photos is 'Storage object paths of photos attached by the customer.';
comment on column public.reviews.status is 'Moderation state; only approved reviews are public.';
comment on column public.reviews.moderated_by is 'Employee who approved, rejected or flagged the review.';
comment on column public.reviews.vendor_response is 'Public reply from the vendor.';
comment on column public.reviews.helpful_count is 'Number of "helpful" votes from other customers.';

create unique index idx_reviews_booking on public.reviews (booking_id);
create index idx_reviews_customer on public.reviews (customer_id);
create index idx_reviews_vendor on public.reviews (vendor_id, status, created_at desc);
create index idx_reviews_therapist on public.reviews (therapist_id);
create index idx_reviews_service_id on public.reviews (service_id);
create index idx_reviews_moderated_by on public.reviews (moderated_by);
create index idx_reviews_status on public.reviews (status);
create index idx_reviews_rating on public.reviews (overall_rating);

create trigger set_updated_at before update on public.reviews
  for each row execute function private.set_updated_at();

alter table public.reviews enable row level security;

-- service_reviews --------------------------------------------------------------------------

create table public.service_reviews (
  id uuid primary key default gen_random_uuid(),
  review_id uuid not null references public.reviews (id) on delete cascade,
  service_id uuid not null references public.services (id) on delete restrict,
  booking_item_id uuid,  -- FK added in V11: booking_item_id -> booking_items
  rating integer not null check (rating between 1 and 5),
  comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (review_id, service_id)
);

comment on table public.service_reviews is
  'Rating of one service within a reviewed booking, so a combo booking rates its massage and its scrub separately; feeds per-service averages.';
comment on column public.service_reviews.booking_item_id is 'The booked line rated, when known.';
comment on column public.service_reviews.rating is 'Stars, 1 to 5.';

create index idx_service_reviews_service_id on public.service_reviews (service_id, rating);
create index idx_service_reviews_booking_item_id on public.service_reviews (booking_item_id);

create trigger set_updated_at before update on public.service_reviews
  for each row execute function private.set_updated_at();

alter table public.service_reviews enable row level security;

-- Foreign keys left by earlier files -------------------------------------------------------

alter table public.vendor_services
  add constraint vendor_services_service_id_fkey
    foreign key (service_id) references public.services (id) on delete restrict;
