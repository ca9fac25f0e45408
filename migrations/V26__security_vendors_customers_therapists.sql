-- Security for vendors, customers and therapists: grants, row-level security, privileged
-- columns and secrets for the 31 tables of V7 (vendors), V8 (customers) and V10 (therapists).
--
-- Why it is shaped this way:
-- * Vendor isolation: owners and their active staff reach only their own business
--   (`vendor_id = any (private.vendor_ids_of_current_user())`); what staff may change is
--   decided per area by private.vendor_staff_can(vendor, '<area>.manage'), so a receptionist
--   holding only {bookings.view} reads the business but changes none of it. Payouts and bank
--   accounts are for the owner and the accountant ('payouts.view', 'bank.view'); only the
--   owner (or an explicit 'bank.manage' grant) changes bank accounts and staff.
-- * The marketplace is public: anon and signed-in users browse live, verified, active
--   vendors, their opening hours, active services and approved reviews. anon gets column
--   lists without contacts, tax ids, commission or KYC links.
-- * Privileged columns (ratings, totals, statuses, tiers, points, commission, verification)
--   are left out of the column grants, so neither a direct update nor the upsert path
--   (`insert ... on conflict do update`) can set them; the workflows that own them run as the
--   service role or through the checked RPCs below. Where one grant serves several kinds of
--   caller (therapist and vendor, reviewer and reviewed), a trigger checks which columns
--   this caller changed.
-- * Secrets: vendors' GSTIN and PAN move to ciphertext plus last four characters, bank
--   account numbers are only ever ciphertext, therapists' bank details are no longer
--   granted; security definer RPCs encrypt on save and decrypt for the owner and finance.
-- * Realtime: therapist_locations and therapist_assignments are streamed to whoever their
--   select policies admit, so those policies are exact: a customer follows a therapist only
--   while an assignment of their own booking is under way.

-- Helpers ----------------------------------------------------------------------------------------

-- Columns whose value differs between two row images, for triggers that allow a caller to
-- change only some of the columns the shared column grant lets through.
create or replace function private.changed_columns(old_row jsonb, new_row jsonb)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(n.key order by n.key), '{}')
      from jsonb_each(new_row) n
     where n.value is distinct from old_row -> n.key
       and n.key <> 'updated_at'
  );
end
$$;

-- Therapists of the vendors the caller works for; with a permission, only of the vendors
-- where the caller holds it (vendor_staff_can), e.g. 'therapists.manage'.
create or replace function private.vendor_therapist_ids(permission text)
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
       and (permission is null or private.vendor_staff_can(t.vendor_id, permission))
  );
end
$$;

-- Assignments of the caller's own bookings whose therapist is on the way or at work: the only
-- ones whose live location the customer may follow (not before the therapist sets out,
-- which could reveal where they live, and not after the service).
create or replace function private.active_assignment_ids_of_current_customer()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(a.id), '{}')
      from public.therapist_assignments a
     where a.customer_id = (select auth.uid())
       and a.status in ('in_transit', 'reached', 'in_progress')
  );
end
$$;

-- Complaint references are drawn here so that customers, who may not use the sequence, can
-- file complaints without inventing a number.
create sequence if not exists private.customer_complaint_number_seq;

create or replace function private.next_complaint_number()
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  -- At least six digits, never cut: lpad would truncate the millionth serial to six.
  return (
    select 'CMP-' || to_char(now() at time zone 'Asia/Kolkata', 'YYYYMMDD') || '-'
        || case when length(n::text) < 6 then lpad(n::text, 6, '0') else n::text end
      from (select nextval('private.customer_complaint_number_seq') as n) as serial
  );
end
$$;

alter table public.customer_complaints
  alter column complaint_number set default private.next_complaint_number();

grant execute on function
  private.changed_columns(jsonb, jsonb), private.vendor_therapist_ids(text),
  private.active_assignment_ids_of_current_customer(), private.next_complaint_number()
  to authenticated, service_role;

-- An assignment must match its booking (same customer and vendor): the therapist of an
-- assignment may read that customer's addresses and care notes, so a vendor must not be able
-- to attach any customer to its own assignment.
create or replace function private.therapist_assignments_check_booking()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  b record;
begin
  select customer_id, vendor_id into b from public.bookings where id = new.booking_id;
  if not found then
    return new;  -- the foreign key reports it
  end if;
  if b.customer_id <> new.customer_id or b.vendor_id <> new.vendor_id then
    raise exception 'assignment does not match booking %: customer and vendor must be the booking''s', new.booking_id
      using errcode = '23514';
  end if;
  if not exists (select 1 from public.therapists t where t.id = new.therapist_id and t.vendor_id = new.vendor_id) then
    raise exception 'therapist % does not work for vendor %', new.therapist_id, new.vendor_id
      using errcode = '23514';
  end if;
  return new;
end
$$;

create trigger check_booking before insert or update of booking_id, customer_id, vendor_id, therapist_id
  on public.therapist_assignments
  for each row execute function private.therapist_assignments_check_booking();

-- The review of a vendor must be by the customer of a completed booking at that vendor, as for
-- public.reviews.
create trigger check_booking before insert or update of booking_id, customer_id, vendor_id on public.vendor_reviews
  for each row execute function private.reviews_check_booking();

-- Indexes for policies -----------------------------------------------------------------------

-- Live tracking: a customer's assignments that are under way.
create index if not exists idx_therapist_assignments_customer_id_live on public.therapist_assignments (customer_id)
  where status in ('in_transit', 'reached', 'in_progress');
-- Staff membership lookups by login (vendor_ids_of_current_user, vendor_staff_can).
create index if not exists idx_vendor_staff_user_id_active on public.vendor_staff (user_id, vendor_id)
  where status = 'active';
create index if not exists idx_therapists_user_id_live on public.therapists (user_id) where deleted_at is null;

-- =================================================================================================
-- Vendors
-- =================================================================================================

-- vendors ----------------------------------------------------------------------------------------

-- GSTIN and PAN are stored only encrypted (V7): ciphertext for the owner, legal and finance
-- (via RPC), last four characters for display; the ciphertext is granted to no API role.
grant select (
  id, business_name, business_type, description, business_address, city_id, zone_id, pincode, location, timezone,
  logo_url, services_offered, operating_hours, service_radius_km, min_notice_minutes, booking_horizon_days,
  travel_buffer_minutes, free_cancellation_hours, cancellation_fee_percentage, reschedule_cutoff_hours,
  max_reschedules, rating, total_reviews, verification_status, status, search_vector, deleted_at, created_at, updated_at
) on public.vendors to anon;
-- Signed-in users add the business contacts and masked tax ids; commission and the KYC links
-- stay behind RPCs because other vendors and customers can read the same listing row.
grant select (
  id, business_name, business_type, description, business_address, city_id, zone_id, pincode, location, timezone,
  contact_person, contact_mobile, contact_email, logo_url, services_offered, operating_hours, service_radius_km,
  min_notice_minutes, booking_horizon_days, travel_buffer_minutes, free_cancellation_hours,
  cancellation_fee_percentage, reschedule_cutoff_hours, max_reschedules, rating, total_reviews, verification_status,
  verified_at, status, search_vector, gst_number_last4, pan_number_last4, deleted_at, created_at, updated_at
) on public.vendors to authenticated;
grant update (
  business_name, business_type, description, business_address, city_id, zone_id, pincode, location, timezone,
  contact_person, contact_mobile, contact_email, logo_url, services_offered, operating_hours, service_radius_km,
  min_notice_minutes, booking_horizon_days, travel_buffer_minutes, free_cancellation_hours,
  cancellation_fee_percentage, reschedule_cutoff_hours, max_reschedules
) on public.vendors to authenticated;

create policy "anyone browses listed vendors" on public.vendors
  for select to anon
  using (deleted_at is null and status = 'active' and verification_status = 'verified');

create policy "users browse listed vendors and their own business" on public.vendors
  for select to authenticated
  using (
    (deleted_at is null and status = 'active' and verification_status = 'verified')
    or id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('vendors', 'read'))
  );

-- public.vendors, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.vendors
  for update to authenticated
  using (
    -- vendor management edits listings
    ((select private.has_permission('vendors', 'update')))
    -- vendor owners and managers edit their listing
    or (id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(id, 'vendor.manage')))
  )
  with check (
    -- vendor management edits listings
    ((select private.has_permission('vendors', 'update')))
    -- vendor owners and managers edit their listing
    or (id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(id, 'vendor.manage')))
  );
comment on policy "authenticated update" on public.vendors is
  'Merges: vendor management edits listings; vendor owners and managers edit their listing';

-- vendor_staff -----------------------------------------------------------------------------------

grant select on public.vendor_staff to authenticated;
grant insert (vendor_id, user_id, name, role, mobile, email, permissions, status) on public.vendor_staff to authenticated;
grant update (name, role, mobile, email, permissions, status) on public.vendor_staff to authenticated;
grant delete on public.vendor_staff to authenticated;

create policy "vendor teams read their colleagues" on public.vendor_staff
  for select to authenticated
  using (
    vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or user_id = (select auth.uid())
    or (select private.has_permission('vendors', 'read'))
  );

-- Only the owner manages the team: a manager who could edit staff rows could grant
-- themselves payouts or bank access.
create policy "vendor owners add staff" on public.vendor_staff
  for insert to authenticated
  with check (vendor_id = (select auth.uid()));

create policy "vendor owners change staff" on public.vendor_staff
  for update to authenticated
  using (vendor_id = (select auth.uid()))
  with check (vendor_id = (select auth.uid()));

create policy "vendor owners remove staff" on public.vendor_staff
  for delete to authenticated
  using (vendor_id = (select auth.uid()));

-- vendor_applications ----------------------------------------------------------------------------

-- GSTIN and PAN are kept as the vendors' are: ciphertext plus the last four characters. The
-- form still writes `gst_number` / `pan_number` (so supabase-js inserts and updates work as
-- they are); this trigger encrypts what arrives there and clears it before the row is
-- stored, and the ciphertext columns are granted to no API role. Definer: the key is the
-- owner's to use.
create or replace function private.vendor_applications_encrypt_tax_ids()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  gst text := nullif(upper(regexp_replace(coalesce(new.gst_number, ''), '\s', '', 'g')), '');
  pan text := nullif(upper(regexp_replace(coalesce(new.pan_number, ''), '\s', '', 'g')), '');
begin
  if gst is not null then
    new.gst_number_encrypted := private.encrypt_text(gst);
    new.gst_number_last4 := right(gst, 4);
  end if;
  if pan is not null then
    new.pan_number_encrypted := private.encrypt_text(pan);
    new.pan_number_last4 := right(pan, 4);
  end if;
  new.gst_number := null;
  new.pan_number := null;
  return new;
end
$$;

create trigger encrypt_tax_ids before insert or update of gst_number, pan_number on public.vendor_applications
  for each row execute function private.vendor_applications_encrypt_tax_ids();

-- Clear tax ids of an application for its applicant and for the teams that review
-- applications (vendor_applications: read).
create or replace function public.reveal_vendor_application_tax_ids(p_application_id uuid)
returns table (gst_number text, pan_number text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  application public.vendor_applications;
begin
  select * into application from public.vendor_applications a where a.id = p_application_id;
  if not found or not (
    application.applicant_id = (select auth.uid())
    or private.has_permission('vendor_applications', 'read')
  ) then
    raise exception 'only the applicant and application reviewers may read tax ids in full' using errcode = '42501';
  end if;
  return query
    select private.decrypt_text(application.gst_number_encrypted), private.decrypt_text(application.pan_number_encrypted);
end
$$;

revoke all on function public.reveal_vendor_application_tax_ids(uuid) from public, anon;
grant execute on function public.reveal_vendor_application_tax_ids(uuid) to authenticated, service_role;

grant select (
  id, application_number, applicant_id, business_name, business_type, legal_entity_type, gst_number, pan_number,
  gst_number_last4, pan_number_last4, contact_person, contact_mobile, contact_email, business_address, city_id,
  pincode, location, years_in_operation, therapist_count, offers_home_service, services_interested, documents,
  status, submitted_at, reviewer_id, review_started_at, decided_at, decision_notes, rejection_reason, vendor_id,
  created_at, updated_at
) on public.vendor_applications to authenticated;
grant insert (
  applicant_id, business_name, business_type, legal_entity_type, gst_number, pan_number, contact_person,
  contact_mobile, contact_email, business_address, city_id, pincode, location, years_in_operation, therapist_count,
  offers_home_service, services_interested, documents, status
) on public.vendor_applications to authenticated;
grant update (
  business_name, business_type, legal_entity_type, gst_number, pan_number, contact_person, contact_mobile,
  contact_email, business_address, city_id, pincode, location, years_in_operation, therapist_count,
  offers_home_service, services_interested, documents, status, reviewer_id, decision_notes, rejection_reason
) on public.vendor_applications to authenticated;
grant delete on public.vendor_applications to authenticated;

-- The applicant and the reviewer share one column grant; only reviewers may fill the review.
create or replace function private.vendor_applications_guard_review()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if private.is_signed_in_role()
     and not private.has_permission('vendor_applications', 'update')
     and (new.reviewer_id, new.decision_notes, new.rejection_reason)
         is distinct from (old.reviewer_id, old.decision_notes, old.rejection_reason) then
    raise exception 'only vendor onboarding fills in the review of an application' using errcode = '42501';
  end if;
  return new;
end
$$;

-- Named to run before the lifecycle trigger, so it sees what the caller sent.
create trigger guard_review before update on public.vendor_applications
  for each row execute function private.vendor_applications_guard_review();

create policy "applicants and onboarding read applications" on public.vendor_applications
  for select to authenticated
  using (
    applicant_id = (select auth.uid())
    or (select private.has_permission('vendor_applications', 'read'))
    or (select private.has_permission('compliance', 'read'))
  );

create policy "applicants start their application" on public.vendor_applications
  for insert to authenticated
  with check (applicant_id = (select auth.uid()) and status in ('draft', 'submitted'));

-- public.vendor_applications, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.vendor_applications
  for update to authenticated
  using (
    -- applicants edit and submit their draft
    (applicant_id = (select auth.uid()) and status = 'draft')
    -- vendor onboarding reviews applications
    or ((select private.has_permission('vendor_applications', 'update')))
  )
  with check (
    -- applicants edit and submit their draft
    (applicant_id = (select auth.uid()) and status in ('draft', 'submitted'))
    -- vendor onboarding reviews applications
    or ((select private.has_permission('vendor_applications', 'update')))
  );
comment on policy "authenticated update" on public.vendor_applications is
  'Merges: applicants edit and submit their draft; vendor onboarding reviews applications';

create policy "applicants discard their draft" on public.vendor_applications
  for delete to authenticated
  using (applicant_id = (select auth.uid()) and status = 'draft');

-- vendor_application_history -------------------------------------------------------------------

grant select on public.vendor_application_history to authenticated;

create policy "applicants and onboarding read application history" on public.vendor_application_history
  for select to authenticated
  using (
    application_id in (select a.id from public.vendor_applications a where a.applicant_id = (select auth.uid()))
    or (select private.has_permission('vendor_applications', 'read'))
    or (select private.has_permission('compliance', 'read'))
  );

-- vendor_availability ----------------------------------------------------------------------------

grant select on public.vendor_availability to anon, authenticated;
grant insert (vendor_id, day_of_week, specific_date, open_time, close_time, is_closed, note)
  on public.vendor_availability to authenticated;
grant update (day_of_week, specific_date, open_time, close_time, is_closed, note)
  on public.vendor_availability to authenticated;
grant delete on public.vendor_availability to authenticated;

create policy "anyone reads opening hours of listed vendors" on public.vendor_availability
  for select to anon
  using (exists (
    select 1 from public.vendors v
     where v.id = vendor_availability.vendor_id
       and v.deleted_at is null and v.status = 'active' and v.verification_status = 'verified'
  ));

create policy "users read hours of listed vendors and their own" on public.vendor_availability
  for select to authenticated
  using (
    exists (
      select 1 from public.vendors v
       where v.id = vendor_availability.vendor_id
         and v.deleted_at is null and v.status = 'active' and v.verification_status = 'verified'
    )
    or vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('vendors', 'read'))
  );

create policy "vendor managers set opening hours" on public.vendor_availability
  for insert to authenticated
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'vendor.manage')));

create policy "vendor managers change opening hours" on public.vendor_availability
  for update to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'vendor.manage')))
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'vendor.manage')));

create policy "vendor managers remove opening hours" on public.vendor_availability
  for delete to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'vendor.manage')));

-- vendor_bank_accounts ---------------------------------------------------------------------------

-- The ciphertext is never granted: numbers are saved and revealed only through the RPCs.
grant select (
  id, vendor_id, account_holder_name, bank_name, branch_name, account_type, account_number_last4, ifsc, upi_id,
  is_primary, verification_status, verification_method, verification_reference, verified_at, verified_by,
  name_match_score, status, created_at, updated_at
) on public.vendor_bank_accounts to authenticated;
grant update (is_primary, status) on public.vendor_bank_accounts to authenticated;
grant delete on public.vendor_bank_accounts to authenticated;

create policy "vendor owners, accountants and finance read bank accounts" on public.vendor_bank_accounts
  for select to authenticated
  using (
    (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'bank.view')))
    or (select private.has_permission('payouts', 'read'))
  );

create policy "vendor owners choose their payout account" on public.vendor_bank_accounts
  for update to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'bank.manage')))
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'bank.manage')));

create policy "vendor owners remove bank accounts" on public.vendor_bank_accounts
  for delete to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'bank.manage')));

-- vendor_compliance ------------------------------------------------------------------------------

grant select on public.vendor_compliance to authenticated;
grant insert (
  vendor_id, compliance_type, licence_number, issuing_authority, state_id, issued_on, expires_on, document_url, remarks
) on public.vendor_compliance to authenticated;
grant update (
  compliance_type, licence_number, issuing_authority, state_id, issued_on, expires_on, is_applicable, document_url,
  status, verified_by, verified_at, remarks, reminder_sent_at
) on public.vendor_compliance to authenticated;
grant delete on public.vendor_compliance to authenticated;

create policy "vendors, legal and onboarding read licences" on public.vendor_compliance
  for select to authenticated
  using (
    vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('compliance', 'read'))
    or (select private.has_permission('vendor_applications', 'read'))
  );

create policy "vendors file their licences" on public.vendor_compliance
  for insert to authenticated
  with check (
    (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'documents.manage')))
    or (select private.has_permission('compliance', 'create'))
  );

create policy "legal verifies licences" on public.vendor_compliance
  for update to authenticated
  using ((select private.has_permission('compliance', 'update')))
  with check ((select private.has_permission('compliance', 'update')));

create policy "vendors withdraw unverified licences" on public.vendor_compliance
  for delete to authenticated
  using (
    (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'documents.manage')) and status = 'pending')
    or (select private.has_permission('compliance', 'delete'))
  );

-- vendor_contracts -------------------------------------------------------------------------------

grant select on public.vendor_contracts to authenticated;
grant insert (
  contract_number, vendor_id, contract_type, commission_rate, start_date, end_date, auto_renew, notice_period_days,
  terms, document_url, vendor_signatory_name, vendor_signed_at, ombaro_signatory_id, ombaro_signed_at, status,
  terminated_at, termination_reason
) on public.vendor_contracts to authenticated;
grant update (
  contract_type, commission_rate, start_date, end_date, auto_renew, notice_period_days, terms, document_url,
  vendor_signatory_name, vendor_signed_at, ombaro_signatory_id, ombaro_signed_at, status, terminated_at,
  termination_reason
) on public.vendor_contracts to authenticated;

create policy "vendors and legal read contracts" on public.vendor_contracts
  for select to authenticated
  using (
    vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('contracts', 'read'))
  );

create policy "legal drafts contracts" on public.vendor_contracts
  for insert to authenticated
  with check ((select private.has_permission('contracts', 'create')));

create policy "legal amends contracts" on public.vendor_contracts
  for update to authenticated
  using ((select private.has_permission('contracts', 'update')))
  with check ((select private.has_permission('contracts', 'update')));

-- vendor_documents -------------------------------------------------------------------------------

grant select on public.vendor_documents to authenticated;
grant insert (
  vendor_id, document_type, document_number_masked, file_url, file_name, mime_type, file_size_bytes, expires_on
) on public.vendor_documents to authenticated;
grant update (document_number_masked, status, verified_by, verified_at, rejection_reason, expires_on)
  on public.vendor_documents to authenticated;
grant delete on public.vendor_documents to authenticated;

create policy "vendors, legal and onboarding read vendor documents" on public.vendor_documents
  for select to authenticated
  using (
    vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('compliance', 'read'))
    or (select private.has_permission('vendor_applications', 'read'))
  );

create policy "vendors upload their documents" on public.vendor_documents
  for insert to authenticated
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'documents.manage')));

create policy "onboarding and legal verify vendor documents" on public.vendor_documents
  for update to authenticated
  using ((select private.has_permission('vendor_applications', 'approve')) or (select private.has_permission('compliance', 'update')))
  with check ((select private.has_permission('vendor_applications', 'approve')) or (select private.has_permission('compliance', 'update')));

create policy "vendors withdraw unverified documents" on public.vendor_documents
  for delete to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'documents.manage')) and status = 'pending');

-- vendor_payouts ---------------------------------------------------------------------------------

grant select on public.vendor_payouts to authenticated;
grant insert (
  payout_number, vendor_id, settlement_id, bank_account_id, amount, tds_amount, currency, payout_mode, status, utr,
  gateway, gateway_payout_id, initiated_by, initiated_at, notes
) on public.vendor_payouts to authenticated;
grant update (status, utr, gateway, gateway_payout_id, initiated_at, paid_at, failed_at, failure_reason, reversed_at, notes)
  on public.vendor_payouts to authenticated;

create policy "vendor owners, accountants and finance read payouts" on public.vendor_payouts
  for select to authenticated
  using (
    (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'payouts.view')))
    or (select private.has_permission('payouts', 'read'))
  );

create policy "finance creates payouts" on public.vendor_payouts
  for insert to authenticated
  with check ((select private.has_permission('payouts', 'create')));

create policy "finance records payout progress" on public.vendor_payouts
  for update to authenticated
  using ((select private.has_permission('payouts', 'update')))
  with check ((select private.has_permission('payouts', 'update')));

-- vendor_ratings ---------------------------------------------------------------------------------

-- Written by the analytics job (service role); customers see vendors.rating and reviews.
grant select on public.vendor_ratings to authenticated;

create policy "vendors and the review team read rating roll-ups" on public.vendor_ratings
  for select to authenticated
  using (
    vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('reviews', 'read'))
    or (select private.has_permission('vendors', 'read'))
  );

-- vendor_reviews ---------------------------------------------------------------------------------

grant select (
  id, vendor_id, overall_rating, cleanliness_rating, ambience_rating, service_quality_rating, staff_behaviour_rating,
  value_for_money_rating, title, review_text, photos, would_recommend, is_anonymous, status, vendor_reply,
  vendor_replied_at, helpful_count, created_at, updated_at
) on public.vendor_reviews to anon;
grant select on public.vendor_reviews to authenticated;
grant insert (
  vendor_id, customer_id, booking_id, overall_rating, cleanliness_rating, ambience_rating, service_quality_rating,
  staff_behaviour_rating, value_for_money_rating, title, review_text, photos, would_recommend, is_anonymous
) on public.vendor_reviews to authenticated;
grant update (
  overall_rating, cleanliness_rating, ambience_rating, service_quality_rating, staff_behaviour_rating,
  value_for_money_rating, title, review_text, photos, would_recommend, is_anonymous, status, moderated_by,
  moderated_at, moderation_notes, vendor_reply, vendor_replied_at, replied_by
) on public.vendor_reviews to authenticated;
grant delete on public.vendor_reviews to authenticated;

-- Authors edit their words, vendors their reply, moderators the verdict: one grant, three
-- column sets.
create or replace function private.vendor_reviews_guard_actor()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[] := private.changed_columns(to_jsonb(old), to_jsonb(new));
begin
  if not private.is_signed_in_role() or private.has_permission('reviews', 'update') then
    return new;
  end if;
  if old.customer_id = (select auth.uid()) and changed <@ array[
       'overall_rating', 'cleanliness_rating', 'ambience_rating', 'service_quality_rating', 'staff_behaviour_rating',
       'value_for_money_rating', 'title', 'review_text', 'photos', 'would_recommend', 'is_anonymous'] then
    return new;
  end if;
  if private.vendor_staff_can(old.vendor_id, 'reviews.manage')
     and changed <@ array['vendor_reply', 'vendor_replied_at', 'replied_by'] then
    new.replied_by := (select auth.uid());
    return new;
  end if;
  raise exception 'you may not change % of this review', array_to_string(changed, ', ') using errcode = '42501';
end
$$;

create trigger guard_actor before update on public.vendor_reviews
  for each row execute function private.vendor_reviews_guard_actor();

create policy "anyone reads approved reviews" on public.vendor_reviews
  for select to anon
  using (status = 'approved');

create policy "users read approved, own and their business's reviews" on public.vendor_reviews
  for select to authenticated
  using (
    status = 'approved'
    or customer_id = (select auth.uid())
    or vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('reviews', 'read'))
  );

create policy "customers review their completed bookings" on public.vendor_reviews
  for insert to authenticated
  with check (customer_id = (select auth.uid()));

-- public.vendor_reviews, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.vendor_reviews
  for update to authenticated
  using (
    -- customers edit their review until it is moderated
    (customer_id = (select auth.uid()) and status = 'pending')
    -- moderators decide on reviews
    or ((select private.has_permission('reviews', 'update')))
    -- vendors reply to reviews of their business
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'reviews.manage')))
  )
  with check (
    -- customers edit their review until it is moderated
    (customer_id = (select auth.uid()) and status = 'pending')
    -- moderators decide on reviews
    or ((select private.has_permission('reviews', 'update')))
    -- vendors reply to reviews of their business
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'reviews.manage')))
  );
comment on policy "authenticated update" on public.vendor_reviews is
  'Merges: customers edit their review until it is moderated; moderators decide on reviews; vendors reply to reviews of their business';

create policy "moderators remove reviews" on public.vendor_reviews
  for delete to authenticated
  using ((select private.has_permission('reviews', 'delete')));

-- vendor_services --------------------------------------------------------------------------------

grant select on public.vendor_services to anon, authenticated;
grant insert (
  vendor_id, service_id, custom_price_60min, duration_prices, durations_offered, is_home_service, is_in_spa,
  home_service_surcharge, max_daily_bookings, display_order, is_active
) on public.vendor_services to authenticated;
grant update (
  custom_price_60min, duration_prices, durations_offered, is_home_service, is_in_spa, home_service_surcharge,
  max_daily_bookings, display_order, is_active
) on public.vendor_services to authenticated;
grant delete on public.vendor_services to authenticated;

create policy "anyone reads the menus of listed vendors" on public.vendor_services
  for select to anon
  using (
    is_active
    and exists (
      select 1 from public.vendors v
       where v.id = vendor_services.vendor_id
         and v.deleted_at is null and v.status = 'active' and v.verification_status = 'verified'
    )
  );

create policy "users read menus of listed vendors and their own" on public.vendor_services
  for select to authenticated
  using (
    (
      is_active
      and exists (
        select 1 from public.vendors v
         where v.id = vendor_services.vendor_id
           and v.deleted_at is null and v.status = 'active' and v.verification_status = 'verified'
      )
    )
    or vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('services', 'read'))
  );

create policy "vendor managers add services" on public.vendor_services
  for insert to authenticated
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'services.manage')));

-- public.vendor_services, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.vendor_services
  for update to authenticated
  using (
    -- operations corrects vendor menus
    ((select private.has_permission('services', 'update')))
    -- vendor managers price services
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'services.manage')))
  )
  with check (
    -- operations corrects vendor menus
    ((select private.has_permission('services', 'update')))
    -- vendor managers price services
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'services.manage')))
  );
comment on policy "authenticated update" on public.vendor_services is
  'Merges: operations corrects vendor menus; vendor managers price services';

create policy "vendor managers remove services" on public.vendor_services
  for delete to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'services.manage')));

-- =================================================================================================
-- Customers
-- =================================================================================================

-- customers --------------------------------------------------------------------------------------

grant select on public.customers to authenticated;
grant insert (
  id, preferred_services, preferred_therapists, preferred_vendors, communication_preferences, allergies,
  medical_conditions, special_requirements, referred_by
) on public.customers to authenticated;
-- id is updatable for the app's upsert (`onConflict: 'id'`); keep_key refuses a change.
grant update (
  id, preferred_services, preferred_therapists, preferred_vendors, communication_preferences, allergies,
  medical_conditions, special_requirements
) on public.customers to authenticated;

create trigger keep_key before update of id on public.customers
  for each row execute function private.keep_key('id');

create policy "customers, their therapist and customer teams read profiles" on public.customers
  for select to authenticated
  using (
    id = (select auth.uid())
    or id = any ((select private.customer_ids_served_now())::uuid[])
    or (select private.has_permission('customers', 'read'))
  );

create policy "customers create their own profile" on public.customers
  for insert to authenticated
  with check (id = (select auth.uid()));

-- public.customers, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.customers
  for update to authenticated
  using (
    -- customer administration edits profiles
    ((select private.has_permission('customers', 'update')))
    -- customers edit their own profile
    or (id = (select auth.uid()))
  )
  with check (
    -- customer administration edits profiles
    ((select private.has_permission('customers', 'update')))
    -- customers edit their own profile
    or (id = (select auth.uid()))
  );
comment on policy "authenticated update" on public.customers is
  'Merges: customer administration edits profiles; customers edit their own profile';

-- customer_addresses -----------------------------------------------------------------------------

grant select on public.customer_addresses to authenticated;
grant insert (
  customer_id, address_type, label, recipient_name, recipient_mobile, address_line1, address_line2, landmark, city,
  state, pincode, pincode_id, country, latitude, longitude, is_default
) on public.customer_addresses to authenticated;
grant update (
  address_type, label, recipient_name, recipient_mobile, address_line1, address_line2, landmark, city, state, pincode,
  pincode_id, country, latitude, longitude, is_default
) on public.customer_addresses to authenticated;
grant delete on public.customer_addresses to authenticated;

-- public.customer_addresses, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "customers, their therapist and customer teams read addresses" on public.customer_addresses
  for select to authenticated
  using (
    -- customers read their addresses
    customer_id = (select auth.uid())
  );

create policy "partner select" on public.customer_addresses
  for select to partner
  using (
    -- a therapist reads the address of the customer served now
    customer_id = any ((select private.customer_ids_served_now())::uuid[])
  );

create policy "staff select" on public.customer_addresses
  for select to staff
  using (
    -- customer teams read addresses
    (select private.has_permission('customers', 'read'))
  );

create policy "customers save their addresses" on public.customer_addresses
  for insert to authenticated
  with check (customer_id = (select auth.uid()));

create policy "customers edit their addresses" on public.customer_addresses
  for update to authenticated
  using (customer_id = (select auth.uid()))
  with check (customer_id = (select auth.uid()));

create policy "customers remove their addresses" on public.customer_addresses
  for delete to authenticated
  using (customer_id = (select auth.uid()));

-- customer_communication_log ---------------------------------------------------------------------

grant select on public.customer_communication_log to authenticated;
grant insert (
  customer_id, channel, direction, subject, summary, outcome, employee_id, complaint_id, booking_id,
  duration_seconds, recording_url, follow_up_at, communicated_at
) on public.customer_communication_log to authenticated;
grant update (subject, summary, outcome, complaint_id, follow_up_at) on public.customer_communication_log to authenticated;

create policy "customers, their agents and customer teams read conversations" on public.customer_communication_log
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or employee_id = (select auth.uid())
    or (select private.has_permission('customers', 'read'))
  );

create policy "support agents log their conversations" on public.customer_communication_log
  for insert to authenticated
  with check (
    employee_id = (select auth.uid())
    and ((select private.has_permission('complaints', 'create')) or (select private.has_permission('support_tickets', 'create')))
  );

create policy "support agents complete their own notes" on public.customer_communication_log
  for update to authenticated
  using (
    employee_id = (select auth.uid())
    and ((select private.has_permission('complaints', 'update')) or (select private.has_permission('support_tickets', 'update')))
  )
  with check (
    employee_id = (select auth.uid())
    and ((select private.has_permission('complaints', 'update')) or (select private.has_permission('support_tickets', 'update')))
  );

-- customer_complaints ----------------------------------------------------------------------------

grant select on public.customer_complaints to authenticated;
grant insert (customer_id, booking_id, vendor_id, therapist_id, category, subject, description, attachments, channel)
  on public.customer_complaints to authenticated;
grant update (
  category, severity, status, assigned_to, assigned_at, escalation_level, sla_due_at, resolution,
  compensation_amount, resolved_by, resolved_at, closed_at
) on public.customer_complaints to authenticated;

create policy "customers and customer care read complaints" on public.customer_complaints
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or (select private.has_permission('complaints', 'read'))
  );

-- public.customer_complaints, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.customer_complaints
  for insert to authenticated
  with check (
    -- customer care files complaints for callers
    ((select private.has_permission('complaints', 'create')))
    -- customers file complaints
    or (customer_id = (select auth.uid()) and status = 'open')
  );
comment on policy "authenticated insert" on public.customer_complaints is
  'Merges: customer care files complaints for callers; customers file complaints';

create policy "customer care works complaints" on public.customer_complaints
  for update to authenticated
  using ((select private.has_permission('complaints', 'update')))
  with check ((select private.has_permission('complaints', 'update')));

-- customer_loyalty_tiers -------------------------------------------------------------------------

grant select on public.customer_loyalty_tiers to anon, authenticated;
grant insert, update, delete on public.customer_loyalty_tiers to authenticated;

create policy "anyone reads the membership tiers" on public.customer_loyalty_tiers
  for select to anon
  using (is_active);

create policy "signed-in users read the membership tiers" on public.customer_loyalty_tiers
  for select to authenticated
  using (is_active or (select private.has_permission('loyalty', 'read')));

create policy "marketing defines tiers" on public.customer_loyalty_tiers
  for insert to authenticated
  with check ((select private.has_permission('loyalty', 'create')));

create policy "marketing changes tiers" on public.customer_loyalty_tiers
  for update to authenticated
  using ((select private.has_permission('loyalty', 'update')))
  with check ((select private.has_permission('loyalty', 'update')));

create policy "marketing retires tiers" on public.customer_loyalty_tiers
  for delete to authenticated
  using ((select private.has_permission('loyalty', 'delete')));

-- customer_preferences ---------------------------------------------------------------------------

grant select on public.customer_preferences to authenticated;
grant insert (
  customer_id, preferred_therapist_gender, pressure_level, preferred_oils, avoid_products, focus_areas,
  preferred_time_slots, preferred_days, preferred_language, session_preferences, email_opt_in, email_consent_at,
  sms_opt_in, sms_consent_at, whatsapp_opt_in, whatsapp_consent_at, push_opt_in, push_consent_at,
  personalisation_consent, personalisation_consent_at, consent_withdrawn_at, consent_source, consent_notice_version
) on public.customer_preferences to authenticated;
-- customer_id is updatable for the app's upsert (`onConflict: 'customer_id'`); keep_key refuses
-- a change.
grant update (
  customer_id, preferred_therapist_gender, pressure_level, preferred_oils, avoid_products, focus_areas, preferred_time_slots,
  preferred_days, preferred_language, session_preferences, email_opt_in, email_consent_at, sms_opt_in,
  sms_consent_at, whatsapp_opt_in, whatsapp_consent_at, push_opt_in, push_consent_at, personalisation_consent,
  personalisation_consent_at, consent_withdrawn_at, consent_source, consent_notice_version
) on public.customer_preferences to authenticated;

create policy "customers, their therapist and customer teams read preferences" on public.customer_preferences
  for select to authenticated
  using (
    customer_id = (select auth.uid())
    or customer_id = any ((select private.customer_ids_served_now())::uuid[])
    or (select private.has_permission('customers', 'read'))
  );

create policy "customers record their preferences" on public.customer_preferences
  for insert to authenticated
  with check (customer_id = (select auth.uid()));

create policy "customers change their preferences and consents" on public.customer_preferences
  for update to authenticated
  using (customer_id = (select auth.uid()))
  with check (customer_id = (select auth.uid()));

create trigger keep_key before update of customer_id on public.customer_preferences
  for each row execute function private.keep_key('customer_id');

-- customer_referrals -----------------------------------------------------------------------------

grant select on public.customer_referrals to authenticated;
grant insert (referrer_id, referral_code, invitee_contact, channel) on public.customer_referrals to authenticated;
grant update (
  referee_id, status, qualifying_booking_id, referrer_reward_amount, referee_reward_amount, reward_given,
  rewarded_at, signed_up_at, qualified_at, expires_at
) on public.customer_referrals to authenticated;

create policy "referrers, referees and marketing read referrals" on public.customer_referrals
  for select to authenticated
  using (
    referrer_id = (select auth.uid())
    or referee_id = (select auth.uid())
    or (select private.has_permission('referrals', 'read'))
  );

-- An invitation carries the inviter's own code, so rewards go to whoever really invited.
create policy "customers invite friends with their own code" on public.customer_referrals
  for insert to authenticated
  with check (
    referrer_id = (select auth.uid())
    and referral_code = (select c.referral_code from public.customers c where c.id = (select auth.uid()))
  );

create policy "marketing settles referrals" on public.customer_referrals
  for update to authenticated
  using ((select private.has_permission('referrals', 'update')))
  with check ((select private.has_permission('referrals', 'update')));

-- customer_segment_mapping -----------------------------------------------------------------------

grant select, insert, delete on public.customer_segment_mapping to authenticated;

create policy "segment owners read segment members" on public.customer_segment_mapping
  for select to authenticated
  using ((select private.has_permission('customer_segments', 'read')));

create policy "segment owners add segment members" on public.customer_segment_mapping
  for insert to authenticated
  with check ((select private.has_permission('customer_segments', 'create')) or (select private.has_permission('customer_segments', 'update')));

create policy "segment owners remove segment members" on public.customer_segment_mapping
  for delete to authenticated
  using ((select private.has_permission('customer_segments', 'update')) or (select private.has_permission('customer_segments', 'delete')));

-- customer_segments ------------------------------------------------------------------------------

grant select, insert, update, delete on public.customer_segments to authenticated;

create policy "segment owners read segments" on public.customer_segments
  for select to authenticated
  using ((select private.has_permission('customer_segments', 'read')));

create policy "segment owners create segments" on public.customer_segments
  for insert to authenticated
  with check ((select private.has_permission('customer_segments', 'create')));

create policy "segment owners change segments" on public.customer_segments
  for update to authenticated
  using ((select private.has_permission('customer_segments', 'update')))
  with check ((select private.has_permission('customer_segments', 'update')));

create policy "segment owners delete segments" on public.customer_segments
  for delete to authenticated
  using ((select private.has_permission('customer_segments', 'delete')));

-- loyalty_points_transactions --------------------------------------------------------------------

-- Points move only through the booking, referral and expiry workflows (service role), whose
-- inserts the ledger trigger applies to the balance.
grant select on public.loyalty_points_transactions to authenticated;

-- public.loyalty_points_transactions, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "customers and the loyalty team read points history" on public.loyalty_points_transactions
  for select to authenticated
  using (
    -- customers read their points history
    customer_id = (select auth.uid())
  );

create policy "staff select" on public.loyalty_points_transactions
  for select to staff
  using (
    -- the loyalty team reads points history
    ((select private.has_permission('loyalty', 'read')))
    -- customer teams read points history
    or ((select private.has_permission('customers', 'read')))
  );
comment on policy "staff select" on public.loyalty_points_transactions is
  'Merges: the loyalty team reads points history; customer teams read points history';

-- =================================================================================================
-- Therapists
-- =================================================================================================

-- therapists -------------------------------------------------------------------------------------

-- bank_details is not granted: it is read and written through the therapist bank RPCs.
grant select (
  id, user_id, vendor_id, name, email, mobile, gender, date_of_birth, profile_image, specialization,
  experience_years, certifications, languages, rating, total_reviews, total_services, status, availability_status,
  emergency_contact, address, home_location, search_vector, deleted_at, created_at, updated_at
) on public.therapists to authenticated;
grant insert (
  vendor_id, name, email, mobile, gender, date_of_birth, profile_image, specialization, experience_years,
  certifications, languages, status, availability_status, emergency_contact, address, home_location
) on public.therapists to authenticated;
grant update (
  name, email, mobile, gender, date_of_birth, profile_image, specialization, experience_years, certifications,
  languages, status, availability_status, emergency_contact, address, home_location, deleted_at
) on public.therapists to authenticated;
grant delete on public.therapists to authenticated;

-- A therapist edits their own contact card and live availability; the rest of the profile
-- (skills, status, employment) is their vendor's to change.
create or replace function private.therapists_guard_self_service()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[];
begin
  if not private.is_signed_in_role()
     or private.vendor_staff_can(old.vendor_id, 'therapists.manage')
     or private.has_permission('therapists', 'update') then
    return new;
  end if;
  changed := private.changed_columns(to_jsonb(old), to_jsonb(new));
  if not changed <@ array['profile_image', 'languages', 'availability_status', 'emergency_contact', 'address',
                          'home_location', 'search_vector'] then
    raise exception 'a therapist may change only their photo, languages, availability, address and emergency contact'
      using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger guard_self_service before update on public.therapists
  for each row execute function private.therapists_guard_self_service();

create policy "therapists, their vendor and operations read therapist profiles" on public.therapists
  for select to authenticated
  using (
    user_id = (select auth.uid())
    or vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('therapists', 'read'))
  );

create policy "vendor managers onboard therapists" on public.therapists
  for insert to authenticated
  with check (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'therapists.manage')));

-- public.therapists, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.therapists
  for update to authenticated
  using (
    -- operations edits therapist profiles
    ((select private.has_permission('therapists', 'update')))
    -- therapists edit their own profile
    or (user_id = (select auth.uid()))
    -- vendor managers edit their therapists
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'therapists.manage')))
  )
  with check (
    -- operations edits therapist profiles
    ((select private.has_permission('therapists', 'update')))
    -- therapists edit their own profile
    or (user_id = (select auth.uid()))
    -- vendor managers edit their therapists
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'therapists.manage')))
  );
comment on policy "authenticated update" on public.therapists is
  'Merges: operations edits therapist profiles; therapists edit their own profile; vendor managers edit their therapists';

create policy "vendor managers remove therapists" on public.therapists
  for delete to authenticated
  using (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'therapists.manage')));

-- therapist_schedules ----------------------------------------------------------------------------

grant select on public.therapist_schedules to authenticated;
grant insert (therapist_id, day_of_week, start_time, end_time, is_available, break_start, break_end)
  on public.therapist_schedules to authenticated;
grant update (day_of_week, start_time, end_time, is_available, break_start, break_end)
  on public.therapist_schedules to authenticated;
grant delete on public.therapist_schedules to authenticated;

create policy "therapists, their vendor and operations read shifts" on public.therapist_schedules
  for select to authenticated
  using (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    or therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[])
    or (select private.has_permission('therapists', 'read'))
  );

create policy "vendor managers plan shifts" on public.therapist_schedules
  for insert to authenticated
  with check (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]));

create policy "vendor managers change shifts" on public.therapist_schedules
  for update to authenticated
  using (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]))
  with check (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]));

create policy "vendor managers remove shifts" on public.therapist_schedules
  for delete to authenticated
  using (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]));

-- therapist_leaves -------------------------------------------------------------------------------

grant select on public.therapist_leaves to authenticated;
grant insert (therapist_id, leave_type, start_date, end_date, reason, documents) on public.therapist_leaves to authenticated;
grant update (status, approved_by, approved_at, rejection_reason) on public.therapist_leaves to authenticated;
grant delete on public.therapist_leaves to authenticated;

-- Therapists may only cancel; the decision (and who made it) belongs to the vendor.
create or replace function private.therapist_leaves_guard_actor()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if private.is_signed_in_role()
     and not exists (
       select 1 from public.therapists t
        where t.id = old.therapist_id and private.vendor_staff_can(t.vendor_id, 'therapists.manage')
     )
     and (new.status <> 'cancelled'
          or not private.changed_columns(to_jsonb(old), to_jsonb(new)) <@ array['status', 'total_days']) then
    raise exception 'a therapist may only cancel their leave request' using errcode = '42501';
  end if;
  if private.is_signed_in_role() and new.status in ('approved', 'rejected') and new.status is distinct from old.status then
    new.approved_by := (select auth.uid());
    new.approved_at := now();
  end if;
  return new;
end
$$;

create trigger guard_actor before update on public.therapist_leaves
  for each row execute function private.therapist_leaves_guard_actor();

create policy "therapists, their vendor and operations read leave" on public.therapist_leaves
  for select to authenticated
  using (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    or therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[])
    or (select private.has_permission('therapists', 'read'))
  );

create policy "therapists request leave and vendors record it" on public.therapist_leaves
  for insert to authenticated
  with check (
    status = 'pending'
    and (
      therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
      or therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[])
    )
  );

-- public.therapist_leaves, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.therapist_leaves
  for update to authenticated
  using (
    -- therapists cancel their leave
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]) and status in ('pending', 'approved'))
    -- vendor managers decide on leave
    or (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]))
  )
  with check (
    -- therapists cancel their leave
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]) and status = 'cancelled')
    -- vendor managers decide on leave
    or (therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[]))
  );
comment on policy "authenticated update" on public.therapist_leaves is
  'Merges: therapists cancel their leave; vendor managers decide on leave';

create policy "therapists withdraw pending leave requests" on public.therapist_leaves
  for delete to authenticated
  using (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]) and status = 'pending');

-- therapist_locations ----------------------------------------------------------------------------

grant select on public.therapist_locations to authenticated;
grant insert (
  therapist_id, assignment_id, latitude, longitude, accuracy, altitude, speed, heading, battery_level, is_moving,
  "timestamp"
) on public.therapist_locations to authenticated;

-- Streamed by Realtime: this policy decides who follows whom.
-- public.therapist_locations, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "therapist, vendor, customer served and support see locations" on public.therapist_locations
  for select to authenticated
  using (
    -- the customer of a live assignment follows it
    assignment_id = any ((select private.active_assignment_ids_of_current_customer())::uuid[])
  );

create policy "partner select" on public.therapist_locations
  for select to partner
  using (
    -- therapists see their own positions
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- vendors see their therapists
    or (therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[]))
  );
comment on policy "partner select" on public.therapist_locations is
  'Merges: therapists see their own positions; vendors see their therapists';

create policy "staff select" on public.therapist_locations
  for select to staff
  using (
    -- support sees locations
    ((select private.has_permission('therapists', 'read')) and (select private.has_permission('bookings', 'read')))
  );

-- A point is tied only to the therapist's own assignment: otherwise a therapist could make
-- their position appear on another booking's live map.
create policy "therapists report their own position" on public.therapist_locations
  for insert to authenticated
  with check (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    and (
      assignment_id is null
      or assignment_id in (
        select a.id from public.therapist_assignments a where a.therapist_id = therapist_locations.therapist_id
      )
    )
  );

-- therapist_performance --------------------------------------------------------------------------

-- Computed by the analytics job (service role).
grant select on public.therapist_performance to authenticated;

create policy "therapists, their vendor and operations read performance" on public.therapist_performance
  for select to authenticated
  using (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    or vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
    or (select private.has_permission('therapists', 'read'))
  );

-- therapist_certifications -----------------------------------------------------------------------

grant select on public.therapist_certifications to authenticated;
grant insert (
  therapist_id, certification_name, issuing_body, certificate_number, skill_codes, issued_on, expires_on, document_url
) on public.therapist_certifications to authenticated;
grant update (verification_status, verified_by, verified_at, rejection_reason) on public.therapist_certifications to authenticated;
grant delete on public.therapist_certifications to authenticated;

create policy "therapists, their vendor and operations read certificates" on public.therapist_certifications
  for select to authenticated
  using (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    or therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[])
    or (select private.has_permission('therapists', 'read'))
  );

create policy "therapists and vendor managers submit certificates" on public.therapist_certifications
  for insert to authenticated
  with check (
    therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
    or therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[])
  );

create policy "operations verifies certificates" on public.therapist_certifications
  for update to authenticated
  using ((select private.has_permission('therapists', 'approve')))
  with check ((select private.has_permission('therapists', 'approve')));

create policy "therapists and vendor managers withdraw unverified certificates" on public.therapist_certifications
  for delete to authenticated
  using (
    verification_status = 'pending'
    and (
      therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
      or therapist_id = any ((select private.vendor_therapist_ids('therapists.manage'))::uuid[])
    )
  );

-- therapist_assignments --------------------------------------------------------------------------

grant select on public.therapist_assignments to authenticated;
grant insert (
  booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date, assignment_time, scheduled_start,
  scheduled_end, location_address, location_latitude, location_longitude, estimated_duration, notes
) on public.therapist_assignments to authenticated;
grant update (
  therapist_id, assignment_date, assignment_time, scheduled_start, scheduled_end, status, location_address,
  location_latitude, location_longitude, estimated_duration, actual_start_time, actual_end_time, distance_traveled,
  travel_time, customer_rating, customer_feedback, notes
) on public.therapist_assignments to authenticated;

-- Dispatch (vendor, operations) plans; the therapist reports progress; the customer rates a
-- finished visit. Each may change only their part.
create or replace function private.therapist_assignments_guard_actor()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[];
begin
  if not private.is_signed_in_role() or private.has_permission('bookings', 'update') then
    return new;
  end if;
  changed := private.changed_columns(to_jsonb(old), to_jsonb(new));
  if private.vendor_staff_can(old.vendor_id, 'bookings.manage')
     and not changed && array['customer_rating', 'customer_feedback'] then
    return new;
  end if;
  if old.therapist_id = any (private.therapist_ids_of_current_user())
     and changed <@ array['status', 'notes', 'actual_start_time', 'actual_end_time', 'distance_traveled', 'travel_time',
                          'location', 'busy_during']
     and (new.status = old.status or new.status in ('acknowledged', 'in_transit', 'reached', 'in_progress', 'completed')) then
    return new;
  end if;
  if old.customer_id = (select auth.uid()) and old.status = 'completed'
     and changed <@ array['customer_rating', 'customer_feedback', 'location', 'busy_during'] then
    return new;
  end if;
  raise exception 'you may not change % of this assignment', array_to_string(changed, ', ') using errcode = '42501';
end
$$;

create trigger guard_actor before update on public.therapist_assignments
  for each row execute function private.therapist_assignments_guard_actor();

-- Streamed by Realtime: this policy decides who sees each assignment change.
-- public.therapist_assignments, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "therapists, vendor, customer and operations read assignments" on public.therapist_assignments
  for select to authenticated
  using (
    -- customers read the assignments of their bookings
    customer_id = (select auth.uid())
  );

create policy "partner select" on public.therapist_assignments
  for select to partner
  using (
    -- therapists read their assignments
    (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- vendors read their assignments
    or ((vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])))
  );
comment on policy "partner select" on public.therapist_assignments is
  'Merges: therapists read their assignments; vendors read their assignments';

create policy "staff select" on public.therapist_assignments
  for select to staff
  using (
    -- operations read assignments
    (select private.has_permission('bookings', 'read'))
  );

create policy "vendor dispatchers assign their therapists" on public.therapist_assignments
  for insert to authenticated
  with check (
    (
      vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'bookings.manage'))
      and therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[])
    )
    or (select private.has_permission('bookings', 'create'))
  );

-- public.therapist_assignments, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.therapist_assignments
  for update to authenticated
  using (
    -- customers rate finished visits
    (customer_id = (select auth.uid()) and status = 'completed')
    -- operations manages assignments
    or ((select private.has_permission('bookings', 'update')))
    -- therapists report progress on their assignments
    or (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- vendor dispatchers manage their assignments
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and (select private.vendor_staff_can(vendor_id, 'bookings.manage')))
  )
  with check (
    -- customers rate finished visits
    (customer_id = (select auth.uid()) and status = 'completed')
    -- operations manages assignments
    or ((select private.has_permission('bookings', 'update')))
    -- therapists report progress on their assignments
    or (therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[]))
    -- vendor dispatchers manage their assignments
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'bookings.manage'))
      and therapist_id = any ((select private.vendor_therapist_ids(null))::uuid[]))
  );
comment on policy "authenticated update" on public.therapist_assignments is
  'Merges: customers rate finished visits; operations manages assignments; therapists report progress on their assignments; vendor dispatchers manage their assignments';

-- assignment_timeline ----------------------------------------------------------------------------

grant select on public.assignment_timeline to authenticated;
grant insert (assignment_id, event_type, status, note, location, eta_minutes, occurred_at)
  on public.assignment_timeline to authenticated;

-- Whoever may read the assignment reads its story (the assignments policy decides).
create policy "readers of an assignment read its timeline" on public.assignment_timeline
  for select to authenticated
  using (assignment_id in (select a.id from public.therapist_assignments a));

create policy "therapists, dispatchers and operations add notes to assignments" on public.assignment_timeline
  for insert to authenticated
  with check (
    event_type <> 'status_change'
    and (
      assignment_id in (
        select a.id from public.therapist_assignments a
         where a.therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
            or (a.vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[]) and private.vendor_staff_can(a.vendor_id, 'bookings.manage'))
      )
      or (select private.has_permission('bookings', 'update'))
    )
  );

-- =================================================================================================
-- RPCs for privileged columns and secrets
-- =================================================================================================

-- Verification, listing status and commission are decided by OMBARO, never by the vendor:
-- onboarding ('vendors: approve') verifies and suspends, finance ('commissions: update') sets
-- the commission.
create or replace function public.set_vendor_standing(
  p_vendor_id uuid,
  p_verification_status text default null,
  p_status text default null,
  p_commission_rate numeric default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if (p_verification_status is not null or p_status is not null)
     and not private.has_permission('vendors', 'approve') then
    raise exception 'only vendor onboarding may verify or suspend a vendor' using errcode = '42501';
  end if;
  if p_commission_rate is not null and not private.has_permission('commissions', 'update') then
    raise exception 'only finance may set a vendor''s commission' using errcode = '42501';
  end if;
  update public.vendors
     set verification_status = coalesce(p_verification_status, verification_status),
         verified_at = case when p_verification_status = 'verified' then now()
                            when p_verification_status is not null then null
                            else verified_at end,
         status = coalesce(p_status, status),
         commission_rate = coalesce(p_commission_rate, commission_rate)
   where id = p_vendor_id;
  if not found then
    raise exception 'vendor % not found', p_vendor_id using errcode = 'P0002';
  end if;
end
$$;

create or replace function public.save_vendor_tax_ids(p_vendor_id uuid, p_gst_number text default null, p_pan_number text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  gst text := nullif(upper(regexp_replace(coalesce(p_gst_number, ''), '\s', '', 'g')), '');
  pan text := nullif(upper(regexp_replace(coalesce(p_pan_number, ''), '\s', '', 'g')), '');
begin
  if not (p_vendor_id = (select auth.uid()) or private.has_permission('vendors', 'update')) then
    raise exception 'only the vendor owner or vendor onboarding may record tax ids' using errcode = '42501';
  end if;
  if gst is not null and gst !~ '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$' then
    raise exception 'not a GSTIN: %', private.mask_last4(gst) using errcode = '22023';
  end if;
  if pan is not null and pan !~ '^[A-Z]{5}[0-9]{4}[A-Z]$' then
    raise exception 'not a PAN: %', private.mask_last4(pan) using errcode = '22023';
  end if;
  update public.vendors
     set gst_number_encrypted = coalesce(private.encrypt_text(gst), gst_number_encrypted),
         gst_number_last4 = coalesce(right(gst, 4), gst_number_last4),
         pan_number_encrypted = coalesce(private.encrypt_text(pan), pan_number_encrypted),
         pan_number_last4 = coalesce(right(pan, 4), pan_number_last4)
   where id = p_vendor_id;
  if not found then
    raise exception 'vendor % not found', p_vendor_id using errcode = 'P0002';
  end if;
end
$$;

-- Clear tax ids for the owner, legal (compliance) and finance (tax); everyone else has the
-- last four characters on the vendor row.
create or replace function public.reveal_vendor_tax_ids(p_vendor_id uuid)
returns table (gst_number text, pan_number text)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not (
    p_vendor_id = (select auth.uid())
    or private.has_permission('compliance', 'read')
    or private.has_permission('tax', 'read')
  ) then
    raise exception 'only the vendor owner, legal and finance may read tax ids in full' using errcode = '42501';
  end if;
  return query
    select private.decrypt_text(v.gst_number_encrypted), private.decrypt_text(v.pan_number_encrypted)
      from public.vendors v
     where v.id = p_vendor_id;
end
$$;

-- The commission is not on the listing columns other users can read; the vendor's owner and
-- accountant, and OMBARO teams that deal with vendors or commissions, read it here.
create or replace function public.vendor_commission_rate(p_vendor_id uuid)
returns numeric
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  rate numeric;
begin
  if not (
    (p_vendor_id = any (private.vendor_ids_of_current_user()) and private.vendor_staff_can(p_vendor_id, 'payouts.view'))
    or private.has_permission('vendors', 'read')
    or private.has_permission('commissions', 'read')
  ) then
    raise exception 'not allowed to read this vendor''s commission' using errcode = '42501';
  end if;
  select v.commission_rate into rate from public.vendors v where v.id = p_vendor_id;
  return rate;
end
$$;

-- Adds a payout account, or replaces the details of one (which sends it back to
-- verification). Only the owner, or staff explicitly given 'bank.manage'.
create or replace function public.save_vendor_bank_account(
  p_vendor_id uuid,
  p_account_holder_name text,
  p_account_number text default null,
  p_ifsc text default null,
  p_upi_id text default null,
  p_bank_name text default null,
  p_branch_name text default null,
  p_account_type text default 'current',
  p_bank_account_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  digits text := nullif(regexp_replace(coalesce(p_account_number, ''), '[\s-]', '', 'g'), '');
  saved uuid;
begin
  if (select auth.uid()) is null or not private.vendor_staff_can(p_vendor_id, 'bank.manage') then
    raise exception 'only the vendor owner may change bank accounts' using errcode = '42501';
  end if;
  if digits is not null and digits !~ '^[0-9]{9,18}$' then
    raise exception 'a bank account number has 9 to 18 digits' using errcode = '22023';
  end if;
  if p_bank_account_id is null then
    insert into public.vendor_bank_accounts (
      vendor_id, account_holder_name, bank_name, branch_name, account_type, account_number_encrypted,
      account_number_last4, ifsc, upi_id
    )
    values (
      p_vendor_id, p_account_holder_name, p_bank_name, p_branch_name, p_account_type, private.encrypt_text(digits),
      right(digits, 4), upper(p_ifsc), p_upi_id
    )
    returning id into saved;
  else
    update public.vendor_bank_accounts
       set account_holder_name = p_account_holder_name,
           bank_name = p_bank_name,
           branch_name = p_branch_name,
           account_type = p_account_type,
           account_number_encrypted = private.encrypt_text(digits),
           account_number_last4 = right(digits, 4),
           ifsc = upper(p_ifsc),
           upi_id = p_upi_id,
           verification_status = 'pending',
           verification_method = null,
           verification_reference = null,
           verified_at = null,
           verified_by = null,
           name_match_score = null
     where id = p_bank_account_id and vendor_id = p_vendor_id
    returning id into saved;
    if saved is null then
      raise exception 'bank account % is not one of vendor %', p_bank_account_id, p_vendor_id using errcode = '42501';
    end if;
  end if;
  return saved;
end
$$;

-- The full number, for the owner (or a 'bank.manage' delegate) and finance releasing payouts.
create or replace function public.reveal_vendor_bank_account_number(p_bank_account_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  account record;
begin
  select b.vendor_id, b.account_number_encrypted into account
    from public.vendor_bank_accounts b
   where b.id = p_bank_account_id;
  if not found
     or not ((select auth.uid()) is not null and private.vendor_staff_can(account.vendor_id, 'bank.manage')
             or private.has_permission('payouts', 'update')) then
    raise exception 'only the vendor owner and finance may read an account number' using errcode = '42501';
  end if;
  return private.decrypt_text(account.account_number_encrypted);
end
$$;

-- Therapists' salary accounts: the number is kept encrypted inside bank_details, which API
-- roles can no longer read; the therapist and their vendor's owner save and read it here.
create or replace function public.save_therapist_bank_details(
  p_therapist_id uuid,
  p_account_holder_name text,
  p_account_number text,
  p_ifsc text,
  p_bank_name text default null,
  p_branch text default null
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  digits text := regexp_replace(coalesce(p_account_number, ''), '[\s-]', '', 'g');
begin
  if (select auth.uid()) is null or not exists (
    select 1 from public.therapists t
     where t.id = p_therapist_id and (t.user_id = (select auth.uid()) or t.vendor_id = (select auth.uid()))
  ) then
    raise exception 'only the therapist and their vendor may change salary details' using errcode = '42501';
  end if;
  if digits !~ '^[0-9]{9,18}$' then
    raise exception 'a bank account number has 9 to 18 digits' using errcode = '22023';
  end if;
  if upper(coalesce(p_ifsc, '')) !~ '^[A-Z]{4}0[A-Z0-9]{6}$' then
    raise exception 'not an IFSC: %', p_ifsc using errcode = '22023';
  end if;
  update public.therapists
     set bank_details = jsonb_build_object(
           'account_holder_name', p_account_holder_name,
           'bank_name', p_bank_name,
           'branch', p_branch,
           'ifsc', upper(p_ifsc),
           'account_last4', right(digits, 4),
           'account_number_ciphertext', encode(private.encrypt_text(digits), 'base64')
         )
   where id = p_therapist_id;
end
$$;

create or replace function public.therapist_bank_details(p_therapist_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  details jsonb;
begin
  select t.bank_details into details
    from public.therapists t
   where t.id = p_therapist_id and (t.user_id = (select auth.uid()) or t.vendor_id = (select auth.uid()));
  if not found or (select auth.uid()) is null then
    raise exception 'only the therapist and their vendor may read salary details' using errcode = '42501';
  end if;
  if details ? 'account_number_ciphertext' then
    details := (details - 'account_number_ciphertext')
      || jsonb_build_object('account_number', private.decrypt_text(decode(details ->> 'account_number_ciphertext', 'base64')));
  end if;
  return details;
end
$$;

revoke execute on function
  public.set_vendor_standing(uuid, text, text, numeric), public.save_vendor_tax_ids(uuid, text, text),
  public.reveal_vendor_tax_ids(uuid), public.vendor_commission_rate(uuid),
  public.save_vendor_bank_account(uuid, text, text, text, text, text, text, text, uuid),
  public.reveal_vendor_bank_account_number(uuid),
  public.save_therapist_bank_details(uuid, text, text, text, text, text), public.therapist_bank_details(uuid)
  from public, anon;
grant execute on function
  public.set_vendor_standing(uuid, text, text, numeric), public.save_vendor_tax_ids(uuid, text, text),
  public.reveal_vendor_tax_ids(uuid), public.vendor_commission_rate(uuid),
  public.save_vendor_bank_account(uuid, text, text, text, text, text, text, text, uuid),
  public.reveal_vendor_bank_account_number(uuid),
  public.save_therapist_bank_details(uuid, text, text, text, text, text), public.therapist_bank_details(uuid)
  to authenticated, service_role;
