-- Geo search: vendors near a point, nearest first, served by the GiST index on
-- `vendors.location` (st_dwithin on geography filters with the index; `<->` orders by it).
--
-- security invoker: the caller's own row-level security decides which vendors they see.

create or replace function public.nearest_vendors(
  latitude double precision,
  longitude double precision,
  radius_km double precision default 10,
  max_results integer default 20
)
returns table (vendor_id uuid, business_name text, business_type text, rating numeric, distance_m double precision)
language sql
stable
security invoker
set search_path = ''
as $$
  with here as (
    select extensions.st_setsrid(extensions.st_makepoint(longitude, latitude), 4326)::extensions.geography as point
  )
  select v.id, v.business_name, v.business_type, v.rating,
         extensions.st_distance(v.location, here.point) as distance_m
    from public.vendors v, here
   where extensions.st_dwithin(v.location, here.point, radius_km * 1000)
     and v.deleted_at is null
     and v.status = 'active'
     and v.verification_status = 'verified'
   order by v.location operator(extensions.<->) here.point
   limit least(greatest(max_results, 1), 100)
$$;

comment on function public.nearest_vendors(double precision, double precision, double precision, integer) is
  'Active, verified vendors within radius_km of a point, nearest first (at most 100).';

revoke execute on function public.nearest_vendors(double precision, double precision, double precision, integer) from public;
grant execute on function public.nearest_vendors(double precision, double precision, double precision, integer)
  to anon, authenticated, service_role;
