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
language sql
immutable
set search_path = ''
as $$
  select case when (storage.foldername(name))[1] ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
              then ((storage.foldername(name))[1])::uuid end
$$;

-- Bookings whose photos the caller may see: their own as customer, their vendor's, and those
-- they are assigned to as therapist.
create or replace function private.booking_ids_visible_for_photos()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(b.id), '{}')
    from public.bookings b
   where b.customer_id = (select auth.uid())
      or b.vendor_id = any (private.vendor_ids_of_current_user())
      or b.id = any (private.booking_ids_of_current_therapist())
$$;

-- Therapists of the vendors the caller works for.
create or replace function private.therapist_ids_of_current_vendor()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(t.id), '{}')
    from public.therapists t
   where t.vendor_id = any (private.vendor_ids_of_current_user())
$$;

grant execute on function private.object_owner(text), private.booking_ids_visible_for_photos(),
  private.therapist_ids_of_current_vendor() to authenticated, service_role;

-- Catalogue images: the bucket is public, so anyone fetches a file by its URL without a
-- policy; listing the bucket is for the services module that manages it.
create policy "catalogue managers list catalogue images" on storage.objects
  for select to authenticated
  using (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'read')));
create policy "catalogue managers upload catalogue images" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'create')));
create policy "catalogue managers replace catalogue images" on storage.objects
  for update to authenticated
  using (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'update')))
  with check (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'update')));
create policy "catalogue managers delete catalogue images" on storage.objects
  for delete to authenticated
  using (bucket_id = 'catalogue-images' and (select private.has_permission('services', 'delete')));

-- Profile images: the user's own folder; HR sees employees' for ID cards.
create policy "users read their profile images" on storage.objects
  for select to authenticated
  using (bucket_id = 'profile-images'
         and (private.object_owner(name) = (select auth.uid()) or (select private.has_permission('employees', 'read'))));
create policy "users upload their profile images" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()));
create policy "users replace their profile images" on storage.objects
  for update to authenticated
  using (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()))
  with check (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()));
create policy "users delete their profile images" on storage.objects
  for delete to authenticated
  using (bucket_id = 'profile-images' and private.object_owner(name) = (select auth.uid()));

-- Booking photos (before/after): the booking's customer, vendor and assigned therapist; customer
-- care sees them when a complaint needs it.
create policy "booking parties read booking photos" on storage.objects
  for select to authenticated
  using (bucket_id = 'booking-photos'
         and (private.object_owner(name) = any ((select private.booking_ids_visible_for_photos())::uuid[])
              or (select private.has_permission('complaints', 'read'))));
create policy "booking parties upload booking photos" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'booking-photos'
              and private.object_owner(name) = any ((select private.booking_ids_visible_for_photos())::uuid[]));
create policy "uploaders delete their booking photos" on storage.objects
  for delete to authenticated
  using (bucket_id = 'booking-photos' and owner = (select auth.uid()));

-- Therapist certificates: the therapist's folder (therapists.id); their vendor and the teams
-- that verify therapists read them.
create policy "therapists, their vendor and reviewers read certificates" on storage.objects
  for select to authenticated
  using (bucket_id = 'therapist-certificates'
         and (private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[])
              or private.object_owner(name) = any ((select private.therapist_ids_of_current_vendor())::uuid[])
              or (select private.has_permission('therapists', 'read'))));
create policy "therapists upload their certificates" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'therapist-certificates'
              and private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[]));
create policy "therapists delete their certificates" on storage.objects
  for delete to authenticated
  using (bucket_id = 'therapist-certificates'
         and private.object_owner(name) = any ((select private.therapist_ids_of_current_user())::uuid[]));

-- KYC documents: the user's own folder; legal and HR review them.
create policy "users and reviewers read kyc documents" on storage.objects
  for select to authenticated
  using (bucket_id = 'kyc-documents'
         and (private.object_owner(name) = (select auth.uid())
              or (select private.has_permission('compliance', 'read'))
              or (select private.has_permission('employees', 'approve'))));
create policy "users upload their kyc documents" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'kyc-documents' and private.object_owner(name) = (select auth.uid()));
create policy "users delete their kyc documents" on storage.objects
  for delete to authenticated
  using (bucket_id = 'kyc-documents' and private.object_owner(name) = (select auth.uid()));

-- Vendor documents: the vendor's folder (vendors.id); vendor onboarding and legal review them.
create policy "vendors and reviewers read vendor documents" on storage.objects
  for select to authenticated
  using (bucket_id = 'vendor-documents'
         and (private.object_owner(name) = any ((select private.vendor_ids_of_current_user())::uuid[])
              or (select private.has_permission('vendor_applications', 'read'))
              or (select private.has_permission('contracts', 'read'))));
create policy "vendors upload their documents" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'vendor-documents'
              and private.vendor_staff_can(private.object_owner(name), 'documents.manage'));
create policy "vendors delete their documents" on storage.objects
  for delete to authenticated
  using (bucket_id = 'vendor-documents'
         and private.vendor_staff_can(private.object_owner(name), 'documents.manage'));
