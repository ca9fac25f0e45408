-- Location & Geography: countries, states, cities, zones and the pincode master.
--
-- Every address, vendor, holiday and price tier in OMBARO resolves to these tables:
-- * cities carry the tier (1/2/3) that city-tier pricing reads;
-- * zones are the operational areas inside a city (multipolygon boundaries) that decide
--   whether a home-service booking can be taken and which vendors serve it;
-- * pincode_master maps the six-digit India Post PIN code a customer types to its area,
--   city, state and zone, and says whether we serve it.
-- Consistency between levels (a pincode's city lies in its state, its zone lies in its
-- city) is enforced with composite foreign keys rather than left to the apps.

-- countries ----------------------------------------------------------------------------

create table public.countries (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z]{2}$'),
  iso3_code text unique check (iso3_code ~ '^[A-Z]{3}$'),
  name text not null unique,
  dial_code text not null check (dial_code ~ '^\+[0-9]{1,4}$'),
  currency_code text not null default 'INR' check (currency_code ~ '^[A-Z]{3}$'),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.countries is 'Countries the platform knows; India is the operating market, others exist for addresses of foreign customers and documents.';
comment on column public.countries.code is 'ISO 3166-1 alpha-2 code (IN).';
comment on column public.countries.iso3_code is 'ISO 3166-1 alpha-3 code (IND).';
comment on column public.countries.dial_code is 'International dialling prefix, e.g. +91; mobile numbers are stored with it.';
comment on column public.countries.currency_code is 'ISO 4217 currency; amounts elsewhere are integer minor units (paise for INR).';

create index idx_countries_is_active on public.countries (is_active);

create trigger set_updated_at before update on public.countries
  for each row execute function private.set_updated_at();

alter table public.countries enable row level security;

-- states -------------------------------------------------------------------------------

create table public.states (
  id uuid primary key default gen_random_uuid(),
  country_id uuid not null references public.countries (id) on delete restrict,
  code text not null unique check (code ~ '^[A-Z]{2}-[A-Z0-9]{1,3}$'),
  name text not null,
  state_type text not null default 'state' check (state_type in ('state', 'union_territory')),
  gst_state_code text unique check (gst_state_code ~ '^[0-9]{2}$'),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (country_id, name)
);

comment on table public.states is 'States and union territories; the GST state code decides place of supply (CGST+SGST within a state, IGST across states).';
comment on column public.states.code is 'ISO 3166-2 subdivision code, e.g. IN-MH.';
comment on column public.states.gst_state_code is 'Two-digit GST state code (first two characters of a GSTIN), e.g. 27 for Maharashtra.';

-- A country's states are found through the unique (country_id, name) index.
create index idx_states_state_type on public.states (state_type);

create trigger set_updated_at before update on public.states
  for each row execute function private.set_updated_at();

alter table public.states enable row level security;

-- cities -------------------------------------------------------------------------------

create table public.cities (
  id uuid primary key default gen_random_uuid(),
  state_id uuid not null references public.states (id) on delete restrict,
  name text not null,
  tier smallint not null default 3 check (tier in (1, 2, 3)),
  location extensions.geography(point, 4326),
  timezone text not null default 'Asia/Kolkata',
  is_serviceable boolean not null default false,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (state_id, name),
  -- lets pincode_master prove that its city lies in its state
  unique (id, state_id)
);

comment on table public.cities is 'Cities the platform lists or serves; the tier drives city-tier pricing of services.';
comment on column public.cities.tier is 'City tier for pricing: 1 = metro (Mumbai, Delhi, Bengaluru ...), 2 = large city, 3 = other.';
comment on column public.cities.location is 'City centre, used to sort cities by distance and to centre maps.';
comment on column public.cities.timezone is 'IANA time zone for local rules (opening hours, shifts); Asia/Kolkata across India.';
comment on column public.cities.is_serviceable is 'True once the city is launched: bookings are accepted in its serviceable zones and pincodes.';

create index idx_cities_tier on public.cities (tier);
create index idx_cities_location on public.cities using gist (location);
create index idx_cities_serviceable on public.cities (state_id) where is_serviceable;
create index idx_cities_name_trgm on public.cities using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.cities
  for each row execute function private.set_updated_at();

alter table public.cities enable row level security;

-- zones --------------------------------------------------------------------------------

create table public.zones (
  id uuid primary key default gen_random_uuid(),
  city_id uuid not null references public.cities (id) on delete restrict,
  code text not null check (code ~ '^[A-Z0-9][A-Z0-9_-]*$'),
  name text not null,
  boundary extensions.geography(multipolygon, 4326) not null,
  is_serviceable boolean not null default true,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (city_id, code),
  unique (city_id, name),
  -- lets pincode_master prove that its zone lies in its city
  unique (id, city_id)
);

comment on table public.zones is 'Operational areas inside a city; a home-service address is bookable when it falls in a serviceable zone.';
comment on column public.zones.code is 'Short stable code, e.g. MUM-WEST; seeds and configuration refer to zones by (city, code).';
comment on column public.zones.boundary is 'Zone outline in WGS 84; point-in-zone tests use extensions.st_covers(boundary, point).';
comment on column public.zones.is_serviceable is 'False pauses new bookings in the zone (monsoon flooding, too few therapists) without deleting it.';

create index idx_zones_boundary on public.zones using gist (boundary);
create index idx_zones_serviceable on public.zones (city_id) where is_serviceable;

create trigger set_updated_at before update on public.zones
  for each row execute function private.set_updated_at();

alter table public.zones enable row level security;

-- pincode_master -----------------------------------------------------------------------

create table public.pincode_master (
  id uuid primary key default gen_random_uuid(),
  pincode text not null unique check (pincode ~ '^[1-9][0-9]{5}$'),
  area_name text not null,
  district text,
  state_id uuid not null references public.states (id) on delete restrict,
  city_id uuid references public.cities (id) on delete restrict,
  zone_id uuid,
  location extensions.geography(point, 4326),
  is_serviceable boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint pincode_master_city_in_state_fkey
    foreign key (city_id, state_id) references public.cities (id, state_id) on delete restrict,
  constraint pincode_master_zone_in_city_fkey
    foreign key (zone_id, city_id) references public.zones (id, city_id) on delete set null (zone_id),
  constraint pincode_master_zone_needs_city check (zone_id is null or city_id is not null)
);

comment on table public.pincode_master is 'India Post PIN codes with their area, city, state and zone; address forms and serviceability checks look up here.';
comment on column public.pincode_master.pincode is 'Six-digit PIN code; the first digit is never 0.';
comment on column public.pincode_master.area_name is 'Locality or head post office name shown to customers, e.g. Bandra West.';
comment on column public.pincode_master.district is 'Revenue district as India Post lists it (e.g. Mumbai Suburban).';
comment on column public.pincode_master.city_id is 'City the PIN code belongs to; null for rural PIN codes outside any listed city.';
comment on column public.pincode_master.zone_id is 'Operational zone containing the PIN code centroid; must be a zone of city_id.';
comment on column public.pincode_master.location is 'Approximate centroid of the PIN code area.';
comment on column public.pincode_master.is_serviceable is 'Whether home services are offered at addresses with this PIN code.';

create index idx_pincode_master_state_id on public.pincode_master (state_id);
create index idx_pincode_master_city_id_state_id on public.pincode_master (city_id, state_id);
create index idx_pincode_master_zone_id_city_id on public.pincode_master (zone_id, city_id);
create index idx_pincode_master_location on public.pincode_master using gist (location);
create index idx_pincode_master_serviceable on public.pincode_master (city_id) where is_serviceable;

create trigger set_updated_at before update on public.pincode_master
  for each row execute function private.set_updated_at();

alter table public.pincode_master enable row level security;
