-- Storage: the buckets the apps upload to, and who may read and write each.
--
-- Objects are addressed `<bucket>/<owner>/<file>`: the first folder names whose the file
-- is (a user, a booking, a therapist or a vendor), and the policies read it with
-- storage.foldername(name). Only catalogue images are public; every other bucket is private,
-- readable by its owner and by the departments that review what is in it.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
  ('catalogue-images', 'catalogue-images', true, 5242880, array['image/jpeg', 'image/png', 'image/webp']),
  ('profile-images', 'profile-images', false, 5242880, array['image/jpeg', 'image/png', 'image/webp']),
  ('booking-photos', 'booking-photos', false, 10485760, array['image/jpeg', 'image/png', 'image/webp', 'image/heic']),
  ('therapist-certificates', 'therapist-certificates', false, 10485760, array['application/pdf', 'image/jpeg', 'image/png']),
  ('kyc-documents', 'kyc-documents', false, 10485760, array['application/pdf', 'image/jpeg', 'image/png']),
  ('vendor-documents', 'vendor-documents', false, 20971520, array['application/pdf', 'image/jpeg', 'image/png'])
on conflict (id) do nothing;

-- Whose is the object: the first folder of its path, as a uuid (null when it is not one).
create or replace function private.object_owner(name text)
returns uuid
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when (storage.foldername(name))[1] ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then ((storage.foldername(name))[1])::uuid end
  );
end
$$;

-- Bookings whose photos the caller may see: their own as customer, their vendor's, and those
-- they are assigned to as therapist.
create or replace function private.booking_ids_visible_for_photos()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(b.id), '{}')
      from public.bookings b
     where b.customer_id = (select auth.uid())
        or b.vendor_id = any (private.vendor_ids_of_current_user())
        or b.id = any (private.booking_ids_of_current_therapist())
  );
end
$$;

-- Therapists of the vendors the caller works for.
create or replace function private.therapist_ids_of_current_vendor()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(t.id), '{}')
      from public.therapists t
     where t.vendor_id = any (private.vendor_ids_of_current_user())
  );
end
$$;

grant execute on function private.object_owner(text), private.booking_ids_visible_for_photos(),
  private.therapist_ids_of_current_vendor() to authenticated, service_role;

-- storage.objects, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on storage.objects
  for update to authenticated
  using (
    -- catalogue managers replace catalogue images
    (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'update')))
    -- users replace their profile images
    or (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()))
  )
  with check (
    -- catalogue managers replace catalogue images
    (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'update')))
    -- users replace their profile images
    or (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()))
  );

-- storage.objects, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on storage.objects
  for select to authenticated
  using (
    -- booking parties read booking photos
    (bucket_id = 'booking-photos'
      and (private.object_owner(name) = any ((select private.booking_ids_visible_for_photos())::uuid[])
      or (select private.has_permission('complaints', 'read'))))
    -- catalogue managers list catalogue images
    or (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'read')))
    -- therapists, their vendor and reviewers read certificates
    or (bucket_id = 'therapist-certificates'
      and (private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[])
      or private.object_owner(name) = any ((select private.therapist_ids_of_current_vendor())::uuid[])
      or (select private.has_permission('therapists', 'read'))))
    -- users and reviewers read kyc documents
    or (bucket_id = 'kyc-documents'
      and (private.object_owner(name) = (select auth.uid())
      or (select private.has_permission('compliance', 'read'))
      or (select private.has_permission('employees', 'approve'))))
    -- users read their profile images
    or (bucket_id = 'profile-images'
      and (private.object_owner(name) = (select auth.uid()) or (select private.has_permission('employees', 'read'))))
    -- vendors and reviewers read vendor documents
    or (bucket_id = 'vendor-documents'
      and (private.object_owner(name) = any ((select private.vendor_ids_of_current_user())::uuid[])
      or (select private.has_permission('vendor_applications', 'read'))
      or (select private.has_permission('contracts', 'read'))))
  );

-- storage.objects, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on storage.objects
  for insert to authenticated
  with check (
    -- booking parties upload booking photos
    (bucket_id = 'booking-photos'
      and private.object_owner(name) = any ((select private.booking_ids_visible_for_photos())::uuid[]))
    -- catalogue managers upload catalogue images
    or (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'create')))
    -- therapists upload their certificates
    or (bucket_id = 'therapist-certificates'
      and private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- users upload their kyc documents
    or (bucket_id = 'kyc-documents' and private.object_owner(name) = (select auth.uid()))
    -- users upload their profile images
    or (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()))
    -- vendors upload their documents
    or (bucket_id = 'vendor-documents'
      and private.vendor_staff_can(private.object_owner(name), 'documents.manage'))
  );

-- storage.objects, authenticated, delete: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated delete" on storage.objects
  for delete to authenticated
  using (
    -- catalogue managers delete catalogue images
    (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'delete')))
    -- therapists delete their certificates
    or (bucket_id = 'therapist-certificates'
      and private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- uploaders delete their booking photos
    or (bucket_id = 'booking-photos' and owner = (select auth.uid()))
    -- users delete their kyc documents
    or (bucket_id = 'kyc-documents' and private.object_owner(name) = (select auth.uid()))
    -- users delete their profile images
    or (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()))
    -- vendors delete their documents
    or (bucket_id = 'vendor-documents'
      and private.vendor_staff_can(private.object_owner(name), 'documents.manage'))
  );
