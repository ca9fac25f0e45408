-- Security for services, bookings and payments & finance: grants, row-level policies, column
-- guards and gateway secrets for the 34 tables of V9, V11 and V12.
--
-- Who may do what:
-- * The catalogue (services, categories, variants, pricing tiers, add-ons, packages, tags,
--   popular services, availability) and approved reviews are public; only holders of the
--   services module (admin, super_admin) write it. Vendors price their own offer through
--   vendor_services, not here.
-- * A booking is read by its customer, its vendor (owner, or staff with bookings.view), the
--   therapists assigned to it, and the departments holding bookings.read (customer care,
--   front office, finance, admin, directors). bookings is in the realtime publication, so these
--   select policies are also what decides who receives its changes.
-- * Bookings, their items, cancellations and payments are written by the booking and payment
--   services as service_role: they compute prices, fees and refunds, which a client must not
--   choose. Through the API a customer may only edit the special instructions of a pending
--   booking, and a vendor with bookings.manage may move its status (the lifecycle trigger of
--   V11 says which moves are legal).
-- * Money read by finance and accounts; approvals (refunds, settlements, budgets) need the
--   module's approve action, which accounts does not hold. Employees claim their own expenses
--   and their managers approve them.
-- * The wallet ledger and booking status history are read-only through the API.
--
-- Department checks go through private.has_permission (V24), which ignores the partner
-- roles' own-row grants (vendor, therapist hold bookings, services, reviews ... actions for
-- their own business only).

-- Helpers ------------------------------------------------------------------------------------

-- Vendors the caller may do `permission` for (owner, or staff whose role or permissions
-- allow it), as an array so a policy evaluates it once per statement.
create or replace function private.vendor_ids_where_staff_can(permission text)
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  -- Read once: auth.uid() parses the JWT claims on every call.
  me uuid := auth.uid();
begin
  -- vendor_ids_of_current_user() and vendor_staff_can() written out in one query: policies on
  -- the large tables call this on every statement.
  return (
    select coalesce(array_agg(mine.id), '{}')
      from (
        select v.id from public.vendors v where v.id = me and v.deleted_at is null
        union
        select s.vendor_id
          from public.vendor_staff s
         where s.user_id = me
           and s.status = 'active'
           and private.vendor_staff_role_allows(s.role, s.permissions, permission)
      ) mine
  );
end
$$;

comment on function private.vendor_ids_where_staff_can(text) is
  'Vendors the caller owns or staffs with the given vendor-panel permission (bookings.view, bookings.manage, payments.view, payouts.view, invoices.view, reviews.view, reviews.manage).';

grant execute on function private.vendor_ids_where_staff_can(text)
  to authenticated, service_role;

-- Catalogue -----------------------------------------------------------------------------------

grant select on public.service_categories, public.services, public.service_variants, public.service_pricing_tiers,
  public.addon_services, public.service_packages, public.service_tags, public.service_tag_mapping,
  public.popular_services, public.service_availability
  to anon, authenticated;

grant insert, update, delete on public.service_categories, public.service_variants, public.service_pricing_tiers,
  public.addon_services, public.service_packages, public.service_tags, public.service_availability
  to authenticated;
-- Services are soft-deleted (bookings and reviews keep pointing at them): no delete.
grant insert, update on public.services to authenticated;
-- Tag mappings are added and removed, never changed.
grant insert, delete on public.service_tag_mapping to authenticated;
-- popular_services is recomputed by a scheduled job (service_role): read-only here.

-- service_categories
create policy "anyone reads active service categories" on public.service_categories
  for select to anon
  using (is_active);

-- public.service_categories, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_categories
  for select to authenticated
  using (
    -- anyone reads active service categories
    (is_active)
    -- catalogue managers read all service categories
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_categories is
  'Merges: anyone reads active service categories; catalogue managers read all service categories';
create policy "catalogue managers add service categories" on public.service_categories
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change service categories" on public.service_categories
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete service categories" on public.service_categories
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- services
create policy "anyone reads live services" on public.services
  for select to anon
  using (is_active and deleted_at is null);

-- public.services, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.services
  for select to authenticated
  using (
    -- anyone reads live services
    (is_active and deleted_at is null)
    -- catalogue managers read all services
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.services is
  'Merges: anyone reads live services; catalogue managers read all services';
create policy "catalogue managers add services" on public.services
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change services" on public.services
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));

-- service_variants: shown only while their service is (the subquery sees services through
-- the caller's own policies).
create policy "anyone reads active variants of live services" on public.service_variants
  for select to anon
  using (is_active and exists (
    select 1 from public.services s where s.id = service_variants.service_id and s.is_active and s.deleted_at is null
  ));

-- public.service_variants, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_variants
  for select to authenticated
  using (
    -- anyone reads active variants of live services
    (is_active and exists (
      select 1 from public.services s where s.id = service_variants.service_id and s.is_active and s.deleted_at is null
      ))
    -- catalogue managers read all service variants
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_variants is
  'Merges: anyone reads active variants of live services; catalogue managers read all service variants';
create policy "catalogue managers add service variants" on public.service_variants
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change service variants" on public.service_variants
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete service variants" on public.service_variants
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- service_pricing_tiers: public so that customers can see why a price moved.
create policy "anyone reads active pricing tiers" on public.service_pricing_tiers
  for select to anon
  using (is_active);

-- public.service_pricing_tiers, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_pricing_tiers
  for select to authenticated
  using (
    -- anyone reads active pricing tiers
    (is_active)
    -- catalogue managers read all pricing tiers
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_pricing_tiers is
  'Merges: anyone reads active pricing tiers; catalogue managers read all pricing tiers';
create policy "catalogue managers add pricing tiers" on public.service_pricing_tiers
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change pricing tiers" on public.service_pricing_tiers
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete pricing tiers" on public.service_pricing_tiers
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- addon_services
create policy "anyone reads active add-ons" on public.addon_services
  for select to anon
  using (is_active);

-- public.addon_services, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.addon_services
  for select to authenticated
  using (
    -- anyone reads active add-ons
    (is_active)
    -- catalogue managers read all add-ons
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.addon_services is
  'Merges: anyone reads active add-ons; catalogue managers read all add-ons';
create policy "catalogue managers add add-ons" on public.addon_services
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change add-ons" on public.addon_services
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete add-ons" on public.addon_services
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- service_packages
create policy "anyone reads active packages" on public.service_packages
  for select to anon
  using (is_active);

-- public.service_packages, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_packages
  for select to authenticated
  using (
    -- anyone reads active packages
    (is_active)
    -- catalogue managers read all packages
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_packages is
  'Merges: anyone reads active packages; catalogue managers read all packages';
create policy "catalogue managers add packages" on public.service_packages
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change packages" on public.service_packages
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete packages" on public.service_packages
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- service_tags
create policy "anyone reads active service tags" on public.service_tags
  for select to anon
  using (is_active);

-- public.service_tags, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_tags
  for select to authenticated
  using (
    -- anyone reads active service tags
    (is_active)
    -- catalogue managers read all service tags
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_tags is
  'Merges: anyone reads active service tags; catalogue managers read all service tags';
create policy "catalogue managers add service tags" on public.service_tags
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change service tags" on public.service_tags
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete service tags" on public.service_tags
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- service_tag_mapping: a mapping is public when both its tag and its service are.
create policy "anyone reads tags of live services" on public.service_tag_mapping
  for select to anon
  using (
    exists (select 1 from public.service_tags t where t.id = service_tag_mapping.tag_id and t.is_active)
    and exists (select 1 from public.services s where s.id = service_tag_mapping.service_id and s.is_active and s.deleted_at is null)
  );

-- public.service_tag_mapping, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_tag_mapping
  for select to authenticated
  using (
    -- anyone reads tags of live services
    (exists (select 1 from public.service_tags t where t.id = service_tag_mapping.tag_id and t.is_active)
      and exists (select 1 from public.services s where s.id = service_tag_mapping.service_id and s.is_active and s.deleted_at is null))
    -- catalogue managers read all tag mappings
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_tag_mapping is
  'Merges: anyone reads tags of live services; catalogue managers read all tag mappings';
create policy "catalogue managers tag services" on public.service_tag_mapping
  for insert to authenticated
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers untag services" on public.service_tag_mapping
  for delete to authenticated
  using ((select private.has_permission('services', 'update')));

-- popular_services
create policy "anyone reads popular services" on public.popular_services
  for select to anon
  using (exists (
    select 1 from public.services s where s.id = popular_services.service_id and s.is_active and s.deleted_at is null
  ));

-- public.popular_services, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.popular_services
  for select to authenticated
  using (
    -- anyone reads popular services
    (exists (
      select 1 from public.services s where s.id = popular_services.service_id and s.is_active and s.deleted_at is null
      ))
    -- catalogue managers read all popularity rankings
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.popular_services is
  'Merges: anyone reads popular services; catalogue managers read all popularity rankings';

-- service_availability
create policy "anyone reads active service availability" on public.service_availability
  for select to anon
  using (is_active);

-- public.service_availability, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_availability
  for select to authenticated
  using (
    -- anyone reads active service availability
    (is_active)
    -- catalogue managers read all service availability
    or ((select private.has_permission('services', 'read')))
  );
comment on policy "authenticated select" on public.service_availability is
  'Merges: anyone reads active service availability; catalogue managers read all service availability';
create policy "catalogue managers add service availability" on public.service_availability
  for insert to authenticated
  with check ((select private.has_permission('services', 'create')));
create policy "catalogue managers change service availability" on public.service_availability
  for update to authenticated
  using ((select private.has_permission('services', 'update')))
  with check ((select private.has_permission('services', 'update')));
create policy "catalogue managers delete service availability" on public.service_availability
  for delete to authenticated
  using ((select private.has_permission('services', 'delete')));

-- Bookings ------------------------------------------------------------------------------------

grant select on public.bookings, public.booking_items, public.booking_notes, public.booking_photos,
  public.booking_reschedules, public.booking_cancellations, public.booking_status_history
  to authenticated;
-- The union of what customers (special_instructions) and vendors or operations (status and
-- its reason) may change; bookings_guard_api_update says which of them each may touch.
grant update (special_instructions, status, cancellation_reason) on public.bookings to authenticated;
grant insert (booking_id, author_id, note, visibility, is_pinned),
  update (note, visibility, is_pinned),
  delete
  on public.booking_notes to authenticated;
grant insert (booking_id, bucket, storage_path, kind, caption, uploaded_by, consent_given, consent_at),
  update (caption, deleted_at)
  on public.booking_photos to authenticated;
-- The fee and the policy snapshot are priced by the booking service; the API only asks.
grant insert (booking_id, from_scheduled_start, to_scheduled_start, to_scheduled_end, requested_by, requested_by_role, reason),
  update (status, decided_by, decided_at)
  on public.booking_reschedules to authenticated;

-- public.bookings, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.bookings
  for select to authenticated
  using (
    -- customers read their own bookings
    customer_id = (select auth.uid())
  );

create policy "partner select" on public.bookings
  for select to partner
  using (
    -- therapists read bookings they are assigned to
    (id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read their bookings
    or ((vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[]) and vendor_id is not distinct from vendor_id))
  );
comment on policy "partner select" on public.bookings is
  'Merges: therapists read bookings they are assigned to; vendors read their bookings';

create policy "staff select" on public.bookings
  for select to staff
  using (
    -- operations, care and finance read bookings
    (select private.has_permission('bookings', 'read'))
  );

-- public.bookings, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.bookings
  for update to authenticated
  using (
    -- customers edit instructions of their pending bookings
    (customer_id = (select auth.uid()) and status = 'pending')
    -- operations update bookings
    or ((select private.has_permission('bookings', 'update')))
    -- vendors with bookings.manage move their bookings along
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[]))
  )
  with check (
    -- customers edit instructions of their pending bookings
    (customer_id = (select auth.uid()) and status = 'pending')
    -- operations update bookings
    or ((select private.has_permission('bookings', 'update')))
    -- vendors with bookings.manage move their bookings along
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[]))
  );
comment on policy "authenticated update" on public.bookings is
  'Merges: customers edit instructions of their pending bookings; operations update bookings; vendors with bookings.manage move their bookings along';

-- Column privileges are per role, not per person: this trigger keeps each party to its own
-- columns. Not security definer, so that work done by service_role or by a trusted definer
-- function (current_user is then not an API role) is left alone.
create or replace function private.bookings_guard_api_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user <> 'anon' and not private.is_signed_in_role() then
    return new;
  end if;
  if (new.status, new.cancellation_reason) is distinct from (old.status, old.cancellation_reason)
     and not old.vendor_id = any (private.vendor_ids_where_staff_can('bookings.manage'))
     and not private.has_permission('bookings', 'update') then
    raise exception 'booking %: only its vendor (bookings.manage) or operations may change its status', old.booking_number
      using errcode = '42501', hint = 'customers cancel through the booking service';
  end if;
  if new.special_instructions is distinct from old.special_instructions
     and not (old.customer_id = (select auth.uid()) and old.status = 'pending')
     and not private.has_permission('bookings', 'update') then
    raise exception 'booking %: only its customer may change the instructions, while it is pending', old.booking_number
      using errcode = '42501';
  end if;
  -- A second line behind the column grants: whatever an API role is ever granted, its price,
  -- schedule, parties and payment state change only through the booking and payment
  -- services. Listed: what the API may change, and what bookings_before_write derives from
  -- it (in whichever order the two triggers run).
  if (to_jsonb(new) - array['special_instructions', 'status', 'cancellation_reason', 'hold_expires_at',
                            'cancelled_at', 'cancelled_by', 'updated_at'])
     is distinct from
     (to_jsonb(old) - array['special_instructions', 'status', 'cancellation_reason', 'hold_expires_at',
                            'cancelled_at', 'cancelled_by', 'updated_at']) then
    raise exception 'booking %: its price, schedule, parties and payment change only through the booking and payment services',
      old.booking_number
      using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger bookings_guard_api_update before update on public.bookings
  for each row execute function private.bookings_guard_api_update();

-- public.booking_items, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.booking_items
  for select to authenticated
  using (
    -- customers read items of their bookings
    exists (
      select 1 from public.bookings b where b.id = booking_items.booking_id and b.customer_id = (select auth.uid())
    )
  );

create policy "partner select" on public.booking_items
  for select to partner
  using (
    -- therapists read items of their assigned bookings
    (booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read items of their bookings
    or (exists (
      select 1 from public.bookings b
       where b.id = booking_items.booking_id
         and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
    ))
  );
comment on policy "partner select" on public.booking_items is
  'Merges: therapists read items of their assigned bookings; vendors read items of their bookings';

create policy "staff select" on public.booking_items
  for select to staff
  using (
    -- operations, care and finance read booking items
    (select private.has_permission('bookings', 'read'))
  );

-- public.booking_notes, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.booking_notes
  for select to authenticated
  using (
    -- customers read customer notes of their bookings
    (visibility = 'customer' and exists (
      select 1 from public.bookings b where b.id = booking_notes.booking_id and b.customer_id = (select auth.uid())
      ))
    -- operations, care and finance read all booking notes
    or ((select private.has_permission('bookings', 'read')))
    -- therapists read customer notes of their assigned bookings
    or (visibility = 'customer' and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read vendor and customer notes of their bookings
    or (visibility in ('customer', 'vendor') and exists (
      select 1 from public.bookings b
      where b.id = booking_notes.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
      ))
  );
comment on policy "authenticated select" on public.booking_notes is
  'Merges: customers read customer notes of their bookings; operations, care and finance read all booking notes; therapists read customer notes of their assigned bookings; vendors read vendor and customer notes of their bookings';

-- public.booking_notes, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.booking_notes
  for insert to authenticated
  with check (
    -- care, front office and operations write booking notes
    (author_id = (select auth.uid())
      and ((select private.has_permission('support_tickets', 'create'))
      or (select private.has_permission('bookings', 'update'))))
    -- customers write notes on their bookings
    or (author_id = (select auth.uid()) and visibility = 'customer'
      and exists (select 1 from public.bookings b where b.id = booking_notes.booking_id and b.customer_id = (select auth.uid())))
    -- vendors write notes on their bookings
    or (author_id = (select auth.uid()) and visibility in ('customer', 'vendor')
      and exists (
      select 1 from public.bookings b
      where b.id = booking_notes.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated insert" on public.booking_notes is
  'Merges: care, front office and operations write booking notes; customers write notes on their bookings; vendors write notes on their bookings';

-- public.booking_notes, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.booking_notes
  for update to authenticated
  using (
    -- care, front office and operations edit their notes
    (author_id = (select auth.uid())
      and ((select private.has_permission('support_tickets', 'create'))
      or (select private.has_permission('bookings', 'update'))))
    -- customers edit their notes
    or (author_id = (select auth.uid()) and visibility = 'customer' and exists (
      select 1 from public.bookings b where b.id = booking_notes.booking_id and b.customer_id = (select auth.uid())
      ))
    -- vendors edit their notes
    or (author_id = (select auth.uid()) and exists (
      select 1 from public.bookings b
      where b.id = booking_notes.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  )
  with check (
    -- care, front office and operations edit their notes
    (author_id = (select auth.uid())
      and ((select private.has_permission('support_tickets', 'create'))
      or (select private.has_permission('bookings', 'update'))))
    -- customers edit their notes
    or (author_id = (select auth.uid()) and visibility = 'customer' and exists (
      select 1 from public.bookings b where b.id = booking_notes.booking_id and b.customer_id = (select auth.uid())
      ))
    -- vendors edit their notes
    or (author_id = (select auth.uid()) and visibility in ('customer', 'vendor') and exists (
      select 1 from public.bookings b
      where b.id = booking_notes.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated update" on public.booking_notes is
  'Merges: care, front office and operations edit their notes; customers edit their notes; vendors edit their notes';
create policy "authors delete their notes" on public.booking_notes
  for delete to authenticated
  using (author_id = (select auth.uid()));

-- public.booking_photos, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.booking_photos
  for select to authenticated
  using (
    -- complaint handlers read booking photos
    ((select private.has_permission('complaints', 'read')))
    -- customers read photos of their bookings
    or (exists (
      select 1 from public.bookings b where b.id = booking_photos.booking_id and b.customer_id = (select auth.uid())
      ))
    -- therapists read photos of their assigned bookings
    or (deleted_at is null and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- uploaders read their photos
    or (uploaded_by = (select auth.uid()))
    -- vendors read photos of their bookings
    or (deleted_at is null and exists (
      select 1 from public.bookings b
      where b.id = booking_photos.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
      ))
  );
comment on policy "authenticated select" on public.booking_photos is
  'Merges: complaint handlers read booking photos; customers read photos of their bookings; therapists read photos of their assigned bookings; uploaders read their photos; vendors read photos of their bookings';

-- public.booking_photos, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.booking_photos
  for insert to authenticated
  with check (
    -- customers add photos to their bookings
    (uploaded_by = (select auth.uid()) and exists (
      select 1 from public.bookings b where b.id = booking_photos.booking_id and b.customer_id = (select auth.uid())
      ))
    -- therapists add photos to their assigned bookings
    or (uploaded_by = (select auth.uid()) and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors add photos to their bookings
    or (uploaded_by = (select auth.uid()) and exists (
      select 1 from public.bookings b
      where b.id = booking_photos.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated insert" on public.booking_photos is
  'Merges: customers add photos to their bookings; therapists add photos to their assigned bookings; vendors add photos to their bookings';

-- public.booking_photos, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.booking_photos
  for update to authenticated
  using (
    -- customers withdraw photos of their bookings
    (exists (
      select 1 from public.bookings b where b.id = booking_photos.booking_id and b.customer_id = (select auth.uid())
      ))
    -- uploaders edit or withdraw their photos
    or (uploaded_by = (select auth.uid()))
  )
  with check (
    -- customers withdraw photos of their bookings
    (exists (
      select 1 from public.bookings b where b.id = booking_photos.booking_id and b.customer_id = (select auth.uid())
      ))
    -- uploaders edit or withdraw their photos
    or (uploaded_by = (select auth.uid()))
  );
comment on policy "authenticated update" on public.booking_photos is
  'Merges: customers withdraw photos of their bookings; uploaders edit or withdraw their photos';

-- public.booking_reschedules, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.booking_reschedules
  for select to authenticated
  using (
    -- customers read reschedules of their bookings
    (exists (
      select 1 from public.bookings b where b.id = booking_reschedules.booking_id and b.customer_id = (select auth.uid())
      ))
    -- operations, care and finance read reschedules
    or ((select private.has_permission('bookings', 'read')))
    -- therapists read reschedules of their assigned bookings
    or (booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read reschedules of their bookings
    or (exists (
      select 1 from public.bookings b
      where b.id = booking_reschedules.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
      ))
  );
comment on policy "authenticated select" on public.booking_reschedules is
  'Merges: customers read reschedules of their bookings; operations, care and finance read reschedules; therapists read reschedules of their assigned bookings; vendors read reschedules of their bookings';

-- public.booking_reschedules, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.booking_reschedules
  for insert to authenticated
  with check (
    -- customers ask to move their bookings
    (requested_by = (select auth.uid()) and requested_by_role = 'customer' and status = 'requested'
      and exists (select 1 from public.bookings b where b.id = booking_reschedules.booking_id and b.customer_id = (select auth.uid())))
    -- vendors ask to move their bookings
    or (requested_by = (select auth.uid()) and requested_by_role = 'vendor' and status = 'requested'
      and exists (
      select 1 from public.bookings b
      where b.id = booking_reschedules.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated insert" on public.booking_reschedules is
  'Merges: customers ask to move their bookings; vendors ask to move their bookings';

-- public.booking_reschedules, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.booking_reschedules
  for update to authenticated
  using (
    -- customers withdraw their open reschedule requests
    (requested_by = (select auth.uid()) and status = 'requested')
    -- vendors decide reschedules of their bookings
    or (exists (
      select 1 from public.bookings b
      where b.id = booking_reschedules.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  )
  with check (
    -- customers withdraw their open reschedule requests
    (requested_by = (select auth.uid()) and status in ('requested', 'cancelled') and decided_by is null)
    -- vendors decide reschedules of their bookings
    or ((decided_by is null or decided_by = (select auth.uid()))
      and exists (
      select 1 from public.bookings b
      where b.id = booking_reschedules.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated update" on public.booking_reschedules is
  'Merges: customers withdraw their open reschedule requests; vendors decide reschedules of their bookings';

-- public.booking_cancellations, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.booking_cancellations
  for select to authenticated
  using (
    -- customers read cancellations of their bookings
    exists (
      select 1 from public.bookings b where b.id = booking_cancellations.booking_id and b.customer_id = (select auth.uid())
    )
  );

create policy "partner select" on public.booking_cancellations
  for select to partner
  using (
    -- vendors read cancellations of their bookings
    exists (
      select 1 from public.bookings b
       where b.id = booking_cancellations.booking_id
         and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
    )
  );

create policy "staff select" on public.booking_cancellations
  for select to staff
  using (
    -- operations, care and finance read cancellations
    (select private.has_permission('bookings', 'read'))
  );

-- public.booking_status_history, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.booking_status_history
  for select to authenticated
  using (
    -- customers read the history of their bookings
    exists (
      select 1 from public.bookings b where b.id = booking_status_history.booking_id and b.customer_id = (select auth.uid())
    )
  );

create policy "partner select" on public.booking_status_history
  for select to partner
  using (
    -- therapists read the history of their assigned bookings
    (booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read the history of their bookings
    or (exists (
      select 1 from public.bookings b
       where b.id = booking_status_history.booking_id
         and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
    ))
  );
comment on policy "partner select" on public.booking_status_history is
  'Merges: therapists read the history of their assigned bookings; vendors read the history of their bookings';

create policy "staff select" on public.booking_status_history
  for select to staff
  using (
    -- operations, care and finance read booking history
    (select private.has_permission('bookings', 'read'))
  );

-- Service execution and reviews ----------------------------------------------------------------

grant select on public.service_execution_log to authenticated;
grant insert (booking_id, booking_item_id, therapist_id, service_id, status, started_at, ended_at, pressure_level_used,
              body_areas, products_used, abort_reason, notes, recorded_by),
  update (status, ended_at, pressure_level_used, body_areas, products_used, abort_reason, notes)
  on public.service_execution_log to authenticated;

-- public.service_execution_log, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.service_execution_log
  for select to authenticated
  using (
    -- operations and care read execution logs
    ((select private.has_permission('bookings', 'read')))
    -- therapists read the execution log of their assignments
    or (booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendors read the execution log of their bookings
    or (exists (
      select 1 from public.bookings b
      where b.id = service_execution_log.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.view'))::uuid[])
      ))
  );
comment on policy "authenticated select" on public.service_execution_log is
  'Merges: operations and care read execution logs; therapists read the execution log of their assignments; vendors read the execution log of their bookings';

-- public.service_execution_log, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.service_execution_log
  for insert to authenticated
  with check (
    -- therapists record services they perform
    (recorded_by = (select auth.uid())
      and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[])
      and therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- vendor desks record services of their bookings
    or (recorded_by = (select auth.uid())
      and exists (
      select 1 from public.bookings b
      where b.id = service_execution_log.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated insert" on public.service_execution_log is
  'Merges: therapists record services they perform; vendor desks record services of their bookings';

-- public.service_execution_log, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.service_execution_log
  for update to authenticated
  using (
    -- therapists update their execution entries
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
      and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendor desks update execution entries of their bookings
    or (exists (
      select 1 from public.bookings b
      where b.id = service_execution_log.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  )
  with check (
    -- therapists update their execution entries
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
      and booking_id = any ((select private.booking_ids_of_current_therapist())::uuid[]))
    -- vendor desks update execution entries of their bookings
    or (exists (
      select 1 from public.bookings b
      where b.id = service_execution_log.booking_id and b.vendor_id = any ((select private.vendor_ids_where_staff_can('bookings.manage'))::uuid[])
      ))
  );
comment on policy "authenticated update" on public.service_execution_log is
  'Merges: therapists update their execution entries; vendor desks update execution entries of their bookings';

-- reviews: status, moderation and helpful_count are never the author's; vendor_responded_at,
-- moderated_by and moderated_at are stamped by reviews_guard_api_update.
grant select on public.reviews, public.service_reviews to anon, authenticated;
grant insert (booking_id, customer_id, vendor_id, therapist_id, service_id, overall_rating, service_quality_rating,
              professionalism_rating, cleanliness_rating, value_for_money_rating, title, review_text, photos, would_recommend),
  update (title, review_text, photos, would_recommend, vendor_response, status, moderation_notes)
  on public.reviews to authenticated;
grant insert (review_id, service_id, booking_item_id, rating, comment),
  update (rating, comment)
  on public.service_reviews to authenticated;

create policy "anyone reads approved reviews" on public.reviews
  for select to anon
  using (status = 'approved');

-- public.reviews, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.reviews
  for select to authenticated
  using (
    -- anyone reads approved reviews
    (status = 'approved')
    -- customers read their own reviews
    or (customer_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.reviews is
  'Merges: anyone reads approved reviews; customers read their own reviews';

create policy "partner select" on public.reviews
  for select to partner
  using (
    -- vendors read reviews of their business
    (vendor_id = any ((select private.vendor_ids_where_staff_can('reviews.view'))::uuid[]) and vendor_id is not distinct from vendor_id)
  );

create policy "staff select" on public.reviews
  for select to staff
  using (
    -- moderators read all reviews
    (select private.has_permission('reviews', 'read'))
  );

-- reviews_check_booking (V11) already requires a completed booking of the same customer.
create policy "customers review their completed bookings" on public.reviews
  for insert to authenticated
  with check (customer_id = (select auth.uid()) and status = 'pending');

-- public.reviews, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.reviews
  for update to authenticated
  using (
    -- customers edit their pending reviews
    (customer_id = (select auth.uid()) and status = 'pending')
    -- moderators moderate reviews
    or ((select private.has_permission('reviews', 'approve')))
    -- vendors reply to reviews of their business
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('reviews.manage'))::uuid[]))
  )
  with check (
    -- customers edit their pending reviews
    (customer_id = (select auth.uid()) and status = 'pending')
    -- moderators moderate reviews
    or ((select private.has_permission('reviews', 'approve')))
    -- vendors reply to reviews of their business
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('reviews.manage'))::uuid[]))
  );
comment on policy "authenticated update" on public.reviews is
  'Merges: customers edit their pending reviews; moderators moderate reviews; vendors reply to reviews of their business';

create or replace function private.reviews_guard_api_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user <> 'anon' and not private.is_signed_in_role() then
    return new;
  end if;
  if (new.title, new.review_text, new.photos, new.would_recommend)
       is distinct from (old.title, old.review_text, old.photos, old.would_recommend)
     and not (old.customer_id = (select auth.uid()) and old.status = 'pending') then
    raise exception 'review %: only its author may edit it, while it is pending', old.id using errcode = '42501';
  end if;
  if new.vendor_response is distinct from old.vendor_response then
    if not coalesce(old.vendor_id = any (private.vendor_ids_where_staff_can('reviews.manage')), false) then
      raise exception 'review %: only the reviewed vendor may reply', old.id using errcode = '42501';
    end if;
    new.vendor_responded_at := now();
  end if;
  if (new.status, new.moderation_notes) is distinct from (old.status, old.moderation_notes) then
    if not private.has_permission('reviews', 'approve') then
      raise exception 'review %: only moderators may change its status', old.id using errcode = '42501';
    end if;
    new.moderated_by := (select auth.uid());
    new.moderated_at := now();
  end if;
  return new;
end
$$;

create trigger reviews_guard_api_update before update on public.reviews
  for each row execute function private.reviews_guard_api_update();

-- service_reviews: visible exactly when their review is (the subquery applies the caller's
-- review policies); written by the review's author while it is pending.
create policy "readers of a review read its service ratings" on public.service_reviews
  for select to anon, authenticated
  using (exists (select 1 from public.reviews r where r.id = service_reviews.review_id));
create policy "customers rate services in their pending reviews" on public.service_reviews
  for insert to authenticated
  with check (exists (
    select 1 from public.reviews r
     where r.id = service_reviews.review_id and r.customer_id = (select auth.uid()) and r.status = 'pending'
  ));
create policy "customers edit service ratings of their pending reviews" on public.service_reviews
  for update to authenticated
  using (exists (
    select 1 from public.reviews r
     where r.id = service_reviews.review_id and r.customer_id = (select auth.uid()) and r.status = 'pending'
  ))
  with check (exists (
    select 1 from public.reviews r
     where r.id = service_reviews.review_id and r.customer_id = (select auth.uid()) and r.status = 'pending'
  ));

-- Payments ------------------------------------------------------------------------------------

-- payments: written by the payment service and gateway webhooks (service_role) only, so no
-- client can set an amount or a status.
grant select on public.payments to authenticated;

-- public.payments, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.payments
  for select to authenticated
  using (
    -- customers read their own payments
    customer_id = (select auth.uid())
  );

create policy "partner select" on public.payments
  for select to partner
  using (
    -- vendors read payments for their bookings
    (vendor_id = any ((select private.vendor_ids_where_staff_can('payments.view'))::uuid[]) and vendor_id is not distinct from vendor_id)
  );

create policy "staff select" on public.payments
  for select to staff
  using (
    -- finance reads all payments
    (select private.has_permission('payments', 'read'))
  );

-- payment_gateways: the ciphertext columns are granted to no API role; secrets are set
-- through set_payment_gateway_secrets and read in clear by service_role only.
alter table public.payment_gateways
  add column secret_last4 text,
  add column webhook_secret_last4 text;

comment on column public.payment_gateways.secret_last4 is 'Masked last four characters of the API secret, so IT can tell which secret is installed.';
comment on column public.payment_gateways.webhook_secret_last4 is 'Masked last four characters of the webhook signing secret.';

grant select (id, code, display_name, mode, supported_methods, supported_currencies, key_id, secret_last4,
              webhook_secret_last4, priority, is_active, created_at, updated_at),
  update (display_name, mode, supported_methods, supported_currencies, key_id, priority, is_active)
  on public.payment_gateways to authenticated;

create policy "finance and IT read gateway settings" on public.payment_gateways
  for select to authenticated
  using ((select private.has_permission('payments', 'read'))
         or (select private.has_permission('api_keys', 'read')));
create policy "IT configures gateways" on public.payment_gateways
  for update to authenticated
  using ((select private.has_permission('api_keys', 'update')))
  with check ((select private.has_permission('api_keys', 'update')));

-- Installs a gateway's API and/or webhook secret (null leaves one unchanged). Callers hold
-- api_keys.update; the clear text never touches a table.
create or replace function public.set_payment_gateway_secrets(gateway_id uuid, secret text default null, webhook_secret text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not private.has_permission('api_keys', 'update') then
    raise exception 'only IT (api_keys.update) may install gateway secrets' using errcode = '42501';
  end if;
  if secret is not null and length(secret) < 8 or webhook_secret is not null and length(webhook_secret) < 8 then
    raise exception 'a gateway secret has at least 8 characters' using errcode = '22023';
  end if;
  update public.payment_gateways g
     set secret_encrypted = coalesce(private.encrypt_text(secret), g.secret_encrypted),
         secret_last4 = coalesce(private.mask_last4(secret), g.secret_last4),
         webhook_secret_encrypted = coalesce(private.encrypt_text(webhook_secret), g.webhook_secret_encrypted),
         webhook_secret_last4 = coalesce(private.mask_last4(webhook_secret), g.webhook_secret_last4)
   where g.id = set_payment_gateway_secrets.gateway_id;
  if not found then
    raise exception 'no payment gateway %', gateway_id using errcode = 'P0002';
  end if;
end
$$;

comment on function public.set_payment_gateway_secrets(uuid, text, text) is
  'Encrypts and stores a gateway''s API and webhook secrets (IT only); the masked last four are kept for display.';

revoke execute on function public.set_payment_gateway_secrets(uuid, text, text) from public, anon;
grant execute on function public.set_payment_gateway_secrets(uuid, text, text) to authenticated, service_role;

-- payment_methods: the token and gateway customer id are used by the payment service only;
-- status and last use are the service's too.
grant select (id, user_id, gateway_id, method_type, nickname, card_last4, card_network, card_type, card_issuer,
              expiry_month, expiry_year, upi_vpa, bank_code, bank_name, wallet_provider, is_default, status,
              last_used_at, created_at, updated_at),
  insert (user_id, gateway_id, method_type, nickname, card_last4, card_network, card_type, card_issuer, expiry_month,
          expiry_year, gateway_token, gateway_customer_id, upi_vpa, bank_code, bank_name, wallet_provider, is_default),
  update (nickname, is_default),
  delete
  on public.payment_methods to authenticated;

-- public.payment_methods, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.payment_methods
  for select to authenticated
  using (
    -- customers read their saved payment methods
    (user_id = (select auth.uid()))
    -- finance reads saved payment methods
    or ((select private.has_permission('payments', 'read')))
  );
comment on policy "authenticated select" on public.payment_methods is
  'Merges: customers read their saved payment methods; finance reads saved payment methods';
create policy "customers save payment methods" on public.payment_methods
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "customers rename their payment methods" on public.payment_methods
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "customers remove their payment methods" on public.payment_methods
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- payment_settlements: finance and accounts prepare them; only approvers (settlements.approve)
-- approve, pay out or record completion.
grant select, insert, update on public.payment_settlements to authenticated;

-- public.payment_settlements, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.payment_settlements
  for select to authenticated
  using (
    -- finance reads settlements
    ((select private.has_permission('settlements', 'read')))
    -- vendors read their settlements
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('payouts.view'))::uuid[]))
  );
comment on policy "authenticated select" on public.payment_settlements is
  'Merges: finance reads settlements; vendors read their settlements';
create policy "finance prepares settlements" on public.payment_settlements
  for insert to authenticated
  with check (
    (select private.has_permission('settlements', 'create'))
    and ((select private.has_permission('settlements', 'approve')) or (status = 'pending' and approved_by is null))
  );
create policy "finance updates settlements" on public.payment_settlements
  for update to authenticated
  using ((select private.has_permission('settlements', 'update')))
  with check (
    (select private.has_permission('settlements', 'update'))
    and ((select private.has_permission('settlements', 'approve'))
         or (status in ('pending', 'failed') and approved_by is null))
  );

-- refunds: raised by the booking service or finance; approving needs refunds.approve.
grant select, insert, update on public.refunds to authenticated;

-- public.refunds, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.refunds
  for select to authenticated
  using (
    -- customers read their refunds
    customer_id = (select auth.uid())
  );

create policy "staff select" on public.refunds
  for select to staff
  using (
    -- finance reads refunds
    (select private.has_permission('refunds', 'read'))
  );
create policy "finance raises refunds" on public.refunds
  for insert to authenticated
  with check (
    (select private.has_permission('refunds', 'create'))
    and ((select private.has_permission('refunds', 'approve')) or (status = 'requested' and approved_by is null))
  );
create policy "finance works refunds" on public.refunds
  for update to authenticated
  using ((select private.has_permission('refunds', 'update')))
  with check (
    (select private.has_permission('refunds', 'update'))
    and ((select private.has_permission('refunds', 'approve'))
         or (status in ('requested', 'rejected', 'failed') and approved_by is null))
  );

-- invoices: parties see issued ones; invoices_guard (V12) freezes them once issued.
grant select, insert, update, delete on public.invoices to authenticated;

-- public.invoices, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.invoices
  for select to authenticated
  using (
    -- customers read their issued invoices
    customer_id = (select auth.uid()) and status <> 'draft'
  );

create policy "partner select" on public.invoices
  for select to partner
  using (
    -- vendors read their issued invoices
    (vendor_id = any ((select private.vendor_ids_where_staff_can('invoices.view'))::uuid[]) and vendor_id is not distinct from vendor_id) and status <> 'draft'
  );

create policy "staff select" on public.invoices
  for select to staff
  using (
    -- finance reads invoices
    (select private.has_permission('invoices', 'read'))
  );
create policy "finance raises invoices" on public.invoices
  for insert to authenticated
  with check ((select private.has_permission('invoices', 'create')));
create policy "finance updates invoices" on public.invoices
  for update to authenticated
  using ((select private.has_permission('invoices', 'update')))
  with check ((select private.has_permission('invoices', 'update')));
create policy "finance deletes draft invoices" on public.invoices
  for delete to authenticated
  using (status = 'draft' and (select private.has_permission('invoices', 'delete')));

-- tax_records: vendors see the TDS and TCS withheld from them (for their own returns).
grant select, insert, update, delete on public.tax_records to authenticated;

-- public.tax_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.tax_records
  for select to authenticated
  using (
    -- finance and CA read tax records
    ((select private.has_permission('tax', 'read')))
    -- vendors read tax withheld from them
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('payouts.view'))::uuid[]))
  );
comment on policy "authenticated select" on public.tax_records is
  'Merges: finance and CA read tax records; vendors read tax withheld from them';
create policy "finance and CA add tax records" on public.tax_records
  for insert to authenticated
  with check ((select private.has_permission('tax', 'create')));
create policy "finance and CA update tax records" on public.tax_records
  for update to authenticated
  using ((select private.has_permission('tax', 'update')))
  with check ((select private.has_permission('tax', 'update')));
create policy "tax records are deleted with tax.delete" on public.tax_records
  for delete to authenticated
  using ((select private.has_permission('tax', 'delete')));

-- commission_rules: a vendor sees the rules written for it (its contract terms).
grant select, insert, update, delete on public.commission_rules to authenticated;

-- public.commission_rules, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.commission_rules
  for select to authenticated
  using (
    -- finance reads commission rules
    ((select private.has_permission('commissions', 'read')))
    -- vendors read their commission rules
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('payouts.view'))::uuid[]))
  );
comment on policy "authenticated select" on public.commission_rules is
  'Merges: finance reads commission rules; vendors read their commission rules';
create policy "finance adds commission rules" on public.commission_rules
  for insert to authenticated
  with check ((select private.has_permission('commissions', 'create')));
create policy "finance updates commission rules" on public.commission_rules
  for update to authenticated
  using ((select private.has_permission('commissions', 'update')))
  with check ((select private.has_permission('commissions', 'update')));
create policy "commission rules are deleted with commissions.delete" on public.commission_rules
  for delete to authenticated
  using ((select private.has_permission('commissions', 'delete')));

-- commission_records: money lines, reversed rather than deleted.
grant select, insert, update on public.commission_records to authenticated;

-- public.commission_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.commission_records
  for select to authenticated
  using (
    -- finance reads commission lines
    ((select private.has_permission('commissions', 'read')))
    -- vendors read their commission lines
    or (vendor_id = any ((select private.vendor_ids_where_staff_can('payouts.view'))::uuid[]))
  );
comment on policy "authenticated select" on public.commission_records is
  'Merges: finance reads commission lines; vendors read their commission lines';
create policy "finance adds commission lines" on public.commission_records
  for insert to authenticated
  with check ((select private.has_permission('commissions', 'create')));
create policy "finance updates commission lines" on public.commission_records
  for update to authenticated
  using ((select private.has_permission('commissions', 'update')))
  with check ((select private.has_permission('commissions', 'update')));

-- Expenses and budgets -------------------------------------------------------------------------

grant select, insert, update, delete on public.expense_categories, public.expenses, public.budget_allocations,
  public.financial_reports
  to authenticated;

-- expense_categories: every employee picks one when claiming.
create policy "employees read expense categories" on public.expense_categories
  for select to authenticated
  using ((select private.is_active_employee()) or (select private.has_permission('expenses', 'read')));
create policy "finance adds expense categories" on public.expense_categories
  for insert to authenticated
  with check ((select private.has_permission('expenses', 'create')));
create policy "finance updates expense categories" on public.expense_categories
  for update to authenticated
  using ((select private.has_permission('expenses', 'update')))
  with check ((select private.has_permission('expenses', 'update')));
create policy "expense categories are deleted with expenses.delete" on public.expense_categories
  for delete to authenticated
  using ((select private.has_permission('expenses', 'delete')));

-- public.expenses, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.expenses
  for select to authenticated
  using (
    -- employees read their own expenses
    (employee_id = (select auth.uid()))
    -- finance reads expenses
    or ((select private.has_permission('expenses', 'read')))
    -- managers read expenses of their reports
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.expenses is
  'Merges: employees read their own expenses; finance reads expenses; managers read expenses of their reports';

-- public.expenses, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.expenses
  for insert to authenticated
  with check (
    -- employees claim expenses
    (employee_id = (select auth.uid()) and (select private.is_active_employee())
      and status in ('draft', 'submitted') and approved_by is null and approved_at is null and reimbursed_at is null)
    -- finance records expenses
    or ((select private.has_permission('expenses', 'create')))
  );
comment on policy "authenticated insert" on public.expenses is
  'Merges: employees claim expenses; finance records expenses';

-- public.expenses, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.expenses
  for update to authenticated
  using (
    -- employees edit their open claims
    (employee_id = (select auth.uid()) and status in ('draft', 'submitted', 'rejected'))
    -- finance processes expenses
    or ((select private.has_permission('expenses', 'update')))
    -- managers decide claims of their reports
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]) and status = 'submitted')
  )
  with check (
    -- employees edit their open claims
    (employee_id = (select auth.uid()) and status in ('draft', 'submitted') and approved_by is null)
    -- finance processes expenses
    or ((select private.has_permission('expenses', 'update')))
    -- managers decide claims of their reports
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]) and status in ('submitted', 'approved', 'rejected'))
  );
comment on policy "authenticated update" on public.expenses is
  'Merges: employees edit their open claims; finance processes expenses; managers decide claims of their reports';

create policy "employees delete their draft claims" on public.expenses
  for delete to authenticated
  using (employee_id = (select auth.uid()) and status = 'draft');

-- A manager decides (status, approver, reason) but does not rewrite the claim; a claimant
-- does not approve or mark reimbursed. Finance may correct anything.
create or replace function private.expenses_guard_api_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  decision constant text[] := array['status', 'approved_by', 'approved_at', 'rejection_reason', 'updated_at'];
  settlement constant text[] := array['approved_by', 'approved_at', 'reimbursed_at', 'reimbursement_reference'];
begin
  if (current_user <> 'anon' and not private.is_signed_in_role()) or private.has_permission('expenses', 'update') then
    return new;
  end if;
  if new.employee_id is distinct from old.employee_id then
    raise exception 'expense %: the claimant cannot change', old.id using errcode = '42501';
  end if;
  if old.employee_id = (select auth.uid()) then
    if (select jsonb_object_agg(k, to_jsonb(new) -> k) from unnest(settlement) k)
         is distinct from (select jsonb_object_agg(k, to_jsonb(old) -> k) from unnest(settlement) k) then
      raise exception 'expense %: a claimant cannot approve or settle their own claim', old.id using errcode = '42501';
    end if;
    if new.status = 'submitted' and old.status <> 'submitted' then
      new.submitted_at := now();
    end if;
  else
    if (to_jsonb(new) - decision) is distinct from (to_jsonb(old) - decision) then
      raise exception 'expense %: an approver decides the claim but does not change it', old.id using errcode = '42501';
    end if;
    if new.status = 'approved' and old.status <> 'approved' then
      new.approved_by := (select auth.uid());
      new.approved_at := now();
    end if;
  end if;
  return new;
end
$$;

create trigger expenses_guard_api_update before update on public.expenses
  for each row execute function private.expenses_guard_api_update();

-- budget_allocations: approving or freezing a budget needs budgets.approve.
create policy "finance reads budgets" on public.budget_allocations
  for select to authenticated
  using ((select private.has_permission('budgets', 'read')));
create policy "finance plans budgets" on public.budget_allocations
  for insert to authenticated
  with check (
    (select private.has_permission('budgets', 'create'))
    and (status = 'draft' or (select private.has_permission('budgets', 'approve')))
  );
create policy "finance revises budgets" on public.budget_allocations
  for update to authenticated
  using ((select private.has_permission('budgets', 'update')))
  with check (
    (select private.has_permission('budgets', 'update'))
    and (status = 'draft' or (select private.has_permission('budgets', 'approve')))
  );
create policy "budgets are deleted with budgets.delete" on public.budget_allocations
  for delete to authenticated
  using ((select private.has_permission('budgets', 'delete')));

-- financial_reports
create policy "finance, CA and corporate office read financial reports" on public.financial_reports
  for select to authenticated
  using ((select private.has_permission('financial_reports', 'read')));
create policy "finance requests financial reports" on public.financial_reports
  for insert to authenticated
  with check ((select private.has_permission('financial_reports', 'create')));
create policy "finance updates financial reports" on public.financial_reports
  for update to authenticated
  using ((select private.has_permission('financial_reports', 'update')))
  with check ((select private.has_permission('financial_reports', 'update')));
create policy "financial reports are deleted with financial_reports.delete" on public.financial_reports
  for delete to authenticated
  using ((select private.has_permission('financial_reports', 'delete')));

-- Wallet ----------------------------------------------------------------------------------------

-- wallet_transactions: written by the payment service (service_role) only; forbid_change
-- (V12) keeps even that append-only.
grant select on public.wallet_transactions to authenticated;

-- public.wallet_transactions, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.wallet_transactions
  for select to authenticated
  using (
    -- finance reads wallets
    ((select private.has_permission('payments', 'read')))
    -- users read their own wallet
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.wallet_transactions is
  'Merges: finance reads wallets; users read their own wallet';
