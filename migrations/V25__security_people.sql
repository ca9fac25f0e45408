-- Security of people: grants, row-level security and RPC functions for the tables of
-- Location (V2), Users (V3), Roles & Permissions (V4), Departments (V5) and HR (V6).
--
-- Who may do what:
-- * Places are the public catalogue: everyone reads them (also signed out); IT and admins
--   maintain them.
-- * A person owns their profile, preferences, emergency contacts, documents, sessions and
--   activity trail. The profile's role and status are never writable by its owner: the API
--   roles hold column privileges on the harmless columns only, and role or status changes
--   go through set_user_role / set_user_status, which check the caller.
-- * Bank account and KYC document numbers are only ever ciphertext plus their last four
--   characters. The ciphertext and keyed-hash columns are not granted to any API role; the
--   owner writes through save_bank_details / save_kyc_verification and reads the clear number
--   back through reveal_bank_account / reveal_kyc_document_number, which only the owner and
--   finance (bank) or the reviewing departments (KYC) may call.
-- * Roles, modules and permissions are not secret (every app reads them to draw its menus)
--   but only super_admin changes them. HR grants and revokes department and staff roles to
--   other people, never platform roles and never to themselves. A delegation lends a role
--   its delegator holds in their own right, as a time-boxed user_roles grant that the
--   database creates and ends with it.
-- * HR data: employees see and touch their own rows only where it makes sense (check in and
--   out, apply for and cancel leave, comment on a review); managers see their reporting line
--   and decide its leave and overtime; HR and the staff department run the rest; salaries are
--   read only by their employee, HR, finance and directors.
--
-- Department access is asked through private.has_permission (V24), which counts only the
-- organisation's roles: the seeds also grant self-service roles (employee, customer, vendor,
-- therapist) module actions such as attendance.read that are meant for their own rows only,
-- and those must never open every row of a table. Self-service callers are matched by id.

-- Helpers ----------------------------------------------------------------------------------------

-- Role ids the caller holds in their own right (primary profile role, or a live grant that
-- is not itself a delegation): what they may lend. Lending a borrowed role would let a
-- delegation outlive the delegation it came from.
create or replace function private.own_role_ids_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct id), '{}')
      from (
        select r.id
          from public.user_profiles p
          join public.roles r on r.code = p.role
         where p.id = (select auth.uid()) and p.status = 'active'
        union all
        select ur.role_id
          from public.user_roles ur
          join public.user_profiles p on p.id = ur.user_id and p.status = 'active'
         where ur.user_id = (select auth.uid())
           and ur.delegation_id is null
           and ur.revoked_at is null
           and ur.valid_from <= now()
           and (ur.valid_until is null or ur.valid_until > now())
      ) mine
  );
end
$$;

-- Roles HR may grant, revoke or switch people to: staff and department roles. Platform roles
-- (super_admin, directors, admin) and the external ones stay with super_admin.
create or replace function private.hr_assignable_role_ids()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(r.id), '{}')
      from public.roles r
     where r.category in ('staff', 'department', 'sub_department')
  );
end
$$;

-- Users whose KYC and documents the caller reviews: everyone for legal and user
-- administrators, employees only for HR.
create or replace function private.can_review_identity_of(target uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select private.has_permission('compliance', 'update')
        or private.has_permission('users', 'update')
        or (private.has_permission('employees', 'update')
            and exists (select 1 from public.employees e where e.id = target))
  );
end
$$;

grant execute on function
  private.has_permission(text, text), private.own_role_ids_of_current_user(),
  private.hr_assignable_role_ids(), private.can_review_identity_of(uuid)
  to authenticated, service_role;

-- Column guard for tables that owners, managers and departments all update: column
-- privileges are per API role, not per person, so they cannot say "the employee may change
-- only the comment". Arguments: module and action that lift the guard (department access),
-- the column naming the row's owner, the columns the owner may change, and the columns
-- anyone else whom a policy lets update (a manager, a reviewer) may change, both as
-- comma-separated lists. Service work and security definer functions (not running as an
-- API role) pass.
create or replace function private.guard_columns()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  allowed text[];
  forbidden text;
begin
  if current_user <> 'anon' and not private.is_signed_in_role() then
    return new;
  end if;
  if private.has_permission(tg_argv[0], tg_argv[1]) then
    return new;
  end if;
  allowed := case when (to_jsonb(old) ->> tg_argv[2]) = (select auth.uid())::text
                  then string_to_array(tg_argv[3], ',') else string_to_array(tg_argv[4], ',') end;
  select string_agg(n.key, ', ' order by n.key) into forbidden
    from jsonb_each(to_jsonb(new)) n
   where n.value is distinct from to_jsonb(old) -> n.key
     and n.key <> 'updated_at'
     and not (n.key = any (coalesce(allowed, '{}')))
     -- generated columns are not computed yet in a before trigger
     and not exists (
       select 1 from pg_catalog.pg_attribute a
        where a.attrelid = tg_relid and a.attname = n.key and a.attgenerated <> ''
     );
  if forbidden is not null then
    raise exception 'you may not change % of %', forbidden, tg_table_name
      using errcode = '42501';
  end if;
  return new;
end
$$;

grant execute on function private.guard_columns() to authenticated, service_role;

-- Location & Geography: the public catalogue ---------------------------------------------------

grant select on public.countries, public.states, public.cities, public.zones, public.pincode_master
  to anon, authenticated;
grant insert, update, delete on public.countries, public.states, public.cities, public.zones, public.pincode_master
  to authenticated;

create policy "anyone reads countries" on public.countries
  for select to anon, authenticated using (true);
create policy "IT and admins add countries" on public.countries
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')) or (select private.has_role('admin')));
create policy "IT and admins edit countries" on public.countries
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')))
  with check ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')));
create policy "IT removes countries" on public.countries
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

create policy "anyone reads states" on public.states
  for select to anon, authenticated using (true);
create policy "IT and admins add states" on public.states
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')) or (select private.has_role('admin')));
create policy "IT and admins edit states" on public.states
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')))
  with check ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')));
create policy "IT removes states" on public.states
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

create policy "anyone reads cities" on public.cities
  for select to anon, authenticated using (true);
create policy "IT and admins add cities" on public.cities
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')) or (select private.has_role('admin')));
create policy "IT and admins edit cities" on public.cities
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')))
  with check ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')));
create policy "IT removes cities" on public.cities
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

create policy "anyone reads zones" on public.zones
  for select to anon, authenticated using (true);
create policy "IT and admins add zones" on public.zones
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')) or (select private.has_role('admin')));
create policy "IT and admins edit zones" on public.zones
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')))
  with check ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')));
create policy "IT removes zones" on public.zones
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

create policy "anyone reads pincodes" on public.pincode_master
  for select to anon, authenticated using (true);
create policy "IT and admins add pincodes" on public.pincode_master
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')) or (select private.has_role('admin')));
create policy "IT and admins edit pincodes" on public.pincode_master
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')))
  with check ((select private.has_permission('system_settings', 'update')) or (select private.has_role('admin')));
create policy "IT removes pincodes" on public.pincode_master
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

-- user_profiles ----------------------------------------------------------------------------------

-- role and status are absent from the update list, so neither a plain update nor an upsert's
-- `do update set role = ...` can touch them; role is insertable only because it has no
-- default, and the insert policy pins it to customer. (No upsert here: the insert policy checks
-- the proposed row's role even when the row exists, and an upsert would then set role.)
grant select on public.user_profiles to authenticated;
grant insert (id, name, mobile, gender, date_of_birth, profile_image, role, address, preferences)
  on public.user_profiles to authenticated;
grant update (name, mobile, gender, date_of_birth, profile_image, address, preferences)
  on public.user_profiles to authenticated;

-- public.user_profiles, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.user_profiles
  for select to authenticated
  using (
    -- HR reads the profiles of employees
    ((select private.has_permission('employees', 'read'))
      and exists (select 1 from public.employees e where e.id = user_profiles.id))
    -- customer-facing departments read customers' profiles
    or (role = 'customer' and (select private.has_permission('customers', 'read')))
    -- people read their own profile
    or (id = (select auth.uid()))
    -- therapists read the customers they are serving now
    or (id = any ((select private.customer_ids_served_now())::uuid[]))
    -- user administrators read every profile
    or ((select private.has_permission('users', 'read')))
  );
comment on policy "authenticated select" on public.user_profiles is
  'Merges: HR reads the profiles of employees; customer-facing departments read customers'' profiles; people read their own profile; therapists read the customers they are serving now; user administrators read every profile';
create policy "people create their own customer profile at sign-up" on public.user_profiles
  for insert to authenticated
  with check (id = (select auth.uid()) and role = 'customer' and status = 'active');

-- public.user_profiles, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.user_profiles
  for update to authenticated
  using (
    -- people update their own profile
    (id = (select auth.uid()))
    -- user administrators update profiles
    or ((select private.has_permission('users', 'update')))
  )
  with check (
    -- people update their own profile
    (id = (select auth.uid()))
    -- user administrators update profiles
    or ((select private.has_permission('users', 'update')))
  );
comment on policy "authenticated update" on public.user_profiles is
  'Merges: people update their own profile; user administrators update profiles';

-- The one way to change a primary role from the apps. super_admin sets any role; HR moves
-- other people between staff and department roles. Nobody changes their own role. The
-- history row is written by the trigger of V4, with the caller as actor.
create or replace function public.set_user_role(target uuid, new_role text, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  current_role_code text;
  hr_roles uuid[] := private.hr_assignable_role_ids();
begin
  select p.role into current_role_code from public.user_profiles p where p.id = target for update;
  if not found then
    raise exception 'no profile %', target using errcode = 'P0002';
  end if;
  if target = (select auth.uid()) then
    raise exception 'nobody changes their own role' using errcode = '42501';
  end if;
  if not (
    private.has_role('super_admin')
    or (private.has_permission('employees', 'update')
        and (select r.id from public.roles r where r.code = current_role_code) = any (hr_roles)
        and (select r.id from public.roles r where r.code = new_role) = any (hr_roles))
  ) then
    raise exception 'not allowed to set role % on this user', new_role using errcode = '42501';
  end if;
  if reason is not null then
    perform pg_catalog.set_config('ombaro.change_reason', reason, true);
  end if;
  update public.user_profiles set role = new_role where id = target;
end
$$;

-- Suspending or reactivating an account: user administrators for anyone, HR for employees;
-- nobody for themselves.
create or replace function public.set_user_status(target uuid, new_status text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if target = (select auth.uid()) then
    raise exception 'nobody changes their own account status' using errcode = '42501';
  end if;
  if not (
    private.has_permission('users', 'update')
    or (private.has_permission('employees', 'update')
        and exists (select 1 from public.employees e where e.id = target))
  ) then
    raise exception 'not allowed to change the status of this user' using errcode = '42501';
  end if;
  update public.user_profiles set status = new_status where id = target;
  if not found then
    raise exception 'no profile %', target using errcode = 'P0002';
  end if;
end
$$;

revoke all on function public.set_user_role(uuid, text, text), public.set_user_status(uuid, text) from public, anon;
grant execute on function public.set_user_role(uuid, text, text), public.set_user_status(uuid, text)
  to authenticated, service_role;

-- user_preferences: the owner only ---------------------------------------------------------------

-- user_id is updatable for the app's upsert (`onConflict: 'user_id'`); keep_key refuses a change.
grant select, insert, delete on public.user_preferences to authenticated;
grant update (user_id, language, timezone, notify_push, notify_email, notify_sms, notify_whatsapp, marketing_opt_in,
              marketing_consent_at, data_processing_consent_at, quiet_hours_start, quiet_hours_end,
              preferred_therapist_gender, theme, settings)
  on public.user_preferences to authenticated;

create policy "people read their own preferences" on public.user_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy "people record their own preferences" on public.user_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "people change their own preferences" on public.user_preferences
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "people remove their own preferences" on public.user_preferences
  for delete to authenticated using (user_id = (select auth.uid()));

create trigger keep_key before update of user_id on public.user_preferences
  for each row execute function private.keep_key('user_id');

-- emergency_contacts: the owner, and HR for employees ---------------------------------------------

grant select, insert, delete on public.emergency_contacts to authenticated;
grant update (name, relationship, mobile, alternate_mobile, email, address, is_primary)
  on public.emergency_contacts to authenticated;

-- public.emergency_contacts, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.emergency_contacts
  for select to authenticated
  using (
    -- HR reads employees' emergency contacts
    ((select private.has_permission('employees', 'read'))
      and exists (select 1 from public.employees e where e.id = emergency_contacts.user_id))
    -- people read their own emergency contacts
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.emergency_contacts is
  'Merges: HR reads employees'' emergency contacts; people read their own emergency contacts';
create policy "people add their own emergency contacts" on public.emergency_contacts
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "people edit their own emergency contacts" on public.emergency_contacts
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "people remove their own emergency contacts" on public.emergency_contacts
  for delete to authenticated using (user_id = (select auth.uid()));

-- user_documents: the owner uploads; review fields are set by the review service -------------------

-- Rows are soft-deleted (the review trail stays), so no delete privilege.
grant select, insert on public.user_documents to authenticated;
grant update (title, expires_on, metadata, deleted_at) on public.user_documents to authenticated;

create policy "people read their own documents" on public.user_documents
  for select to authenticated using (user_id = (select auth.uid()));
create policy "people upload their own documents, unreviewed" on public.user_documents
  for insert to authenticated
  with check (user_id = (select auth.uid()) and status = 'uploaded' and verified_by is null
              and verified_at is null and rejection_reason is null and deleted_at is null);
create policy "people edit and withdraw their own documents" on public.user_documents
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

-- user_kyc_verification ---------------------------------------------------------------------------

-- Every column but the ciphertext and the keyed hash.
grant select (id, user_id, document_type, document_number_last4, name_on_document, date_of_birth_on_document,
              document_id, verification_method, provider, provider_reference, status, name_match_score, attempts,
              consent_given_at, verified_by, verified_at, rejection_reason, expires_on, metadata, created_at, updated_at)
  on public.user_kyc_verification to authenticated;
grant update (status, name_match_score, verified_by, verified_at, rejection_reason, expires_on)
  on public.user_kyc_verification to authenticated;

-- public.user_kyc_verification, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.user_kyc_verification
  for select to authenticated
  using (
    -- HR reads employees' KYC
    ((select private.has_permission('employees', 'update'))
      and exists (select 1 from public.employees e where e.id = user_kyc_verification.user_id))
    -- compliance and user administrators read KYC
    or ((select private.has_permission('compliance', 'read'))
      or (select private.has_permission('users', 'update')))
    -- people read their own KYC
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.user_kyc_verification is
  'Merges: HR reads employees'' KYC; compliance and user administrators read KYC; people read their own KYC';
create policy "reviewers decide KYC" on public.user_kyc_verification
  for update to authenticated
  using (user_id <> (select auth.uid())
         and ((select private.has_permission('compliance', 'update'))
              or (select private.has_permission('users', 'update'))
              or ((select private.has_permission('employees', 'update'))
                  and exists (select 1 from public.employees e where e.id = user_kyc_verification.user_id))))
  with check (user_id <> (select auth.uid()));

-- The owner submits a document number for verification: stored encrypted, with its last four
-- characters and a keyed hash to find the same number on another account. Calling this is
-- the owner's consent to the check.
create or replace function public.save_kyc_verification(
  document_type text,
  document_number text,
  name_on_document text default null,
  date_of_birth_on_document date default null,
  document_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  normalised text := upper(regexp_replace(coalesce(document_number, ''), '[^0-9A-Za-z]', '', 'g'));
  new_id uuid;
begin
  if caller is null then
    raise exception 'sign in to submit KYC' using errcode = '42501';
  end if;
  if length(normalised) < 6 then
    raise exception 'document number is too short' using errcode = '22023';
  end if;
  if document_id is not null
     and not exists (select 1 from public.user_documents d where d.id = document_id and d.user_id = caller) then
    raise exception 'document % is not yours', document_id using errcode = '42501';
  end if;
  insert into public.user_kyc_verification (
    user_id, document_type, document_number_encrypted, document_number_last4, document_number_hash,
    name_on_document, date_of_birth_on_document, document_id, consent_given_at
  )
  values (
    caller, save_kyc_verification.document_type, private.encrypt_text(normalised), right(normalised, 4),
    extensions.hmac(normalised, private.encryption_key(), 'sha256'),
    save_kyc_verification.name_on_document, save_kyc_verification.date_of_birth_on_document,
    save_kyc_verification.document_id, now()
  )
  returning id into new_id;
  return new_id;
end
$$;

-- The clear document number: for its owner and the departments reviewing identities.
create or replace function public.reveal_kyc_document_number(kyc_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  kyc public.user_kyc_verification%rowtype;
begin
  select * into kyc from public.user_kyc_verification k where k.id = kyc_id;
  if not found or not (kyc.user_id = (select auth.uid()) or private.can_review_identity_of(kyc.user_id)) then
    raise exception 'not allowed to read this document number' using errcode = '42501';
  end if;
  return private.decrypt_text(kyc.document_number_encrypted);
end
$$;

revoke all on function public.save_kyc_verification(text, text, text, date, uuid),
  public.reveal_kyc_document_number(uuid) from public, anon;
grant execute on function public.save_kyc_verification(text, text, text, date, uuid),
  public.reveal_kyc_document_number(uuid) to authenticated, service_role;

-- user_bank_details -------------------------------------------------------------------------------

grant select (id, user_id, purpose, account_holder_name, account_number_last4, ifsc, bank_name, branch_name,
              account_type, upi_id, verification_status, verification_method, verification_reference,
              name_match_score, verified_by, verified_at, failure_reason, is_primary, deleted_at, created_at, updated_at)
  on public.user_bank_details to authenticated;
-- The owner may only pick the primary account and withdraw one (the guard below); the
-- verification columns are for finance.
grant update (verification_status, verification_method, verification_reference, name_match_score, verified_by,
              verified_at, failure_reason, is_primary, deleted_at)
  on public.user_bank_details to authenticated;

-- public.user_bank_details, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.user_bank_details
  for select to authenticated
  using (
    -- finance reads bank details
    ((select private.has_permission('payouts', 'read')))
    -- people read their own bank details
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.user_bank_details is
  'Merges: finance reads bank details; people read their own bank details';

-- public.user_bank_details, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.user_bank_details
  for update to authenticated
  using (
    -- finance verifies bank details
    ((select private.has_permission('payouts', 'update')))
    -- people manage their own live bank details
    or (user_id = (select auth.uid()) and deleted_at is null)
  )
  with check (
    -- finance verifies bank details
    ((select private.has_permission('payouts', 'update')))
    -- people manage their own live bank details
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated update" on public.user_bank_details is
  'Merges: finance verifies bank details; people manage their own live bank details';

create trigger guard_columns before update on public.user_bank_details
  for each row execute function private.guard_columns('payouts', 'update', 'user_id', 'is_primary,deleted_at', '');

-- The owner adds an account (or replaces the number of one of theirs, which sends it back to
-- verification). Returns the row id.
create or replace function public.save_bank_details(
  account_holder_name text,
  account_number text,
  ifsc text,
  bank_name text default null,
  branch_name text default null,
  account_type text default 'savings',
  upi_id text default null,
  purpose text default 'payout',
  is_primary boolean default false,
  bank_detail_id uuid default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := (select auth.uid());
  digits text := regexp_replace(coalesce(account_number, ''), '\s', '', 'g');
  saved uuid;
begin
  if caller is null then
    raise exception 'sign in to save bank details' using errcode = '42501';
  end if;
  if digits !~ '^[0-9]{9,18}$' then
    raise exception 'an Indian bank account number has 9 to 18 digits' using errcode = '22023';
  end if;
  if bank_detail_id is null then
    insert into public.user_bank_details (
      user_id, purpose, account_holder_name, account_number_encrypted, account_number_last4, account_number_hash,
      ifsc, bank_name, branch_name, account_type, upi_id, is_primary
    )
    values (
      caller, save_bank_details.purpose, save_bank_details.account_holder_name, private.encrypt_text(digits),
      right(digits, 4), extensions.hmac(digits, private.encryption_key(), 'sha256'),
      upper(save_bank_details.ifsc), save_bank_details.bank_name, save_bank_details.branch_name,
      save_bank_details.account_type, save_bank_details.upi_id, save_bank_details.is_primary
    )
    returning id into saved;
  else
    update public.user_bank_details b
       set account_holder_name = save_bank_details.account_holder_name,
           account_number_encrypted = private.encrypt_text(digits),
           account_number_last4 = right(digits, 4),
           account_number_hash = extensions.hmac(digits, private.encryption_key(), 'sha256'),
           ifsc = upper(save_bank_details.ifsc),
           bank_name = save_bank_details.bank_name,
           branch_name = save_bank_details.branch_name,
           account_type = save_bank_details.account_type,
           upi_id = save_bank_details.upi_id,
           purpose = save_bank_details.purpose,
           is_primary = save_bank_details.is_primary,
           verification_status = 'pending',
           verification_method = null,
           verification_reference = null,
           name_match_score = null,
           verified_by = null,
           verified_at = null,
           failure_reason = null
     where b.id = bank_detail_id and b.user_id = caller and b.deleted_at is null
    returning b.id into saved;
    if saved is null then
      raise exception 'bank details % are not yours', bank_detail_id using errcode = '42501';
    end if;
  end if;
  return saved;
end
$$;

-- The clear account number: for its owner and for finance and accounts (who pay into it).
-- Everyone else who may read the row sees account_number_last4 only.
create or replace function public.reveal_bank_account(bank_detail_id uuid)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  bank public.user_bank_details%rowtype;
begin
  select * into bank from public.user_bank_details b where b.id = bank_detail_id;
  if not found or not (bank.user_id = (select auth.uid()) or private.has_permission('payouts', 'update')) then
    raise exception 'not allowed to read this account number' using errcode = '42501';
  end if;
  return private.decrypt_text(bank.account_number_encrypted);
end
$$;

revoke all on function public.save_bank_details(text, text, text, text, text, text, text, text, boolean, uuid),
  public.reveal_bank_account(uuid) from public, anon;
grant execute on function public.save_bank_details(text, text, text, text, text, text, text, text, boolean, uuid),
  public.reveal_bank_account(uuid) to authenticated, service_role;

-- user_sessions: the owner only -------------------------------------------------------------------

grant select, insert, delete on public.user_sessions to authenticated;
grant update (last_active_at, push_token, ended_at, end_reason) on public.user_sessions to authenticated;

create policy "people read their own sessions" on public.user_sessions
  for select to authenticated using (user_id = (select auth.uid()));
create policy "people record their own sessions" on public.user_sessions
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy "people end their own sessions" on public.user_sessions
  for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy "people remove their own sessions" on public.user_sessions
  for delete to authenticated using (user_id = (select auth.uid()));

-- user_activity_log: append-only ------------------------------------------------------------------

grant select, insert on public.user_activity_log to authenticated;

-- public.user_activity_log, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.user_activity_log
  for select to authenticated
  using (
    -- auditors read all activity
    ((select private.has_permission('audit_logs', 'read')))
    -- people read their own activity
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.user_activity_log is
  'Merges: auditors read all activity; people read their own activity';
create policy "people log their own activity" on public.user_activity_log
  for insert to authenticated with check (user_id = (select auth.uid()));

-- Roles & Permissions: readable by every signed-in user, changed by super_admin ---------------------

grant select, insert, update, delete on public.roles, public.permission_modules, public.permissions,
  public.role_permissions to authenticated;

create policy "signed-in users read roles" on public.roles
  for select to authenticated using (true);
create policy "role administrators add roles" on public.roles
  for insert to authenticated with check ((select private.has_permission('roles', 'create')));
create policy "role administrators edit roles" on public.roles
  for update to authenticated
  using ((select private.has_permission('roles', 'update')))
  with check ((select private.has_permission('roles', 'update')));
create policy "role administrators remove roles" on public.roles
  for delete to authenticated using ((select private.has_permission('roles', 'delete')));

create policy "signed-in users read permission modules" on public.permission_modules
  for select to authenticated using (true);
create policy "role administrators add permission modules" on public.permission_modules
  for insert to authenticated with check ((select private.has_permission('roles', 'create')));
create policy "role administrators edit permission modules" on public.permission_modules
  for update to authenticated
  using ((select private.has_permission('roles', 'update')))
  with check ((select private.has_permission('roles', 'update')));
create policy "role administrators remove permission modules" on public.permission_modules
  for delete to authenticated using ((select private.has_permission('roles', 'delete')));

create policy "signed-in users read permissions" on public.permissions
  for select to authenticated using (true);
create policy "role administrators add permissions" on public.permissions
  for insert to authenticated with check ((select private.has_permission('roles', 'create')));
create policy "role administrators edit permissions" on public.permissions
  for update to authenticated
  using ((select private.has_permission('roles', 'update')))
  with check ((select private.has_permission('roles', 'update')));
create policy "role administrators remove permissions" on public.permissions
  for delete to authenticated using ((select private.has_permission('roles', 'delete')));

create policy "signed-in users read role permissions" on public.role_permissions
  for select to authenticated using (true);
create policy "role administrators grant permissions to roles" on public.role_permissions
  for insert to authenticated with check ((select private.has_permission('roles', 'create')));
create policy "role administrators change role permissions" on public.role_permissions
  for update to authenticated
  using ((select private.has_permission('roles', 'update')))
  with check ((select private.has_permission('roles', 'update')));
create policy "role administrators withdraw role permissions" on public.role_permissions
  for delete to authenticated using ((select private.has_permission('roles', 'delete')));

-- user_roles --------------------------------------------------------------------------------------

-- Assignments are revoked, never deleted, so the history keeps them. Delegated assignments
-- are made only by the delegation trigger below, hence the delegation columns must be null
-- in an insert from the API.
grant select, insert on public.user_roles to authenticated;
grant update (valid_until, revoked_at, revoked_by, revoke_reason) on public.user_roles to authenticated;

-- public.user_roles, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.user_roles
  for select to authenticated
  using (
    -- people read their own role assignments
    (user_id = (select auth.uid()))
    -- role readers and HR read role assignments
    or ((select private.has_permission('roles', 'read'))
      or (select private.has_permission('employees', 'update')))
  );
comment on policy "authenticated select" on public.user_roles is
  'Merges: people read their own role assignments; role readers and HR read role assignments';

-- public.user_roles, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.user_roles
  for insert to authenticated
  with check (
    -- HR grants staff and department roles to others
    ((select private.has_permission('employees', 'update'))
      and user_id <> (select auth.uid())
      and role_id = any ((select private.hr_assignable_role_ids())::uuid[])
      and delegation_id is null and delegated_from is null and revoked_at is null)
    -- super_admin grants any role
    or ((select private.has_permission('roles', 'create'))
      and delegation_id is null and delegated_from is null and revoked_at is null)
  );
comment on policy "authenticated insert" on public.user_roles is
  'Merges: HR grants staff and department roles to others; super_admin grants any role';

-- public.user_roles, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.user_roles
  for update to authenticated
  using (
    -- HR ends staff and department roles of others
    ((select private.has_permission('employees', 'update'))
      and user_id <> (select auth.uid())
      and role_id = any ((select private.hr_assignable_role_ids())::uuid[])
      and delegation_id is null)
    -- super_admin ends any role assignment
    or ((select private.has_permission('roles', 'update')))
  )
  with check (
    -- HR ends staff and department roles of others
    ((select private.has_permission('employees', 'update'))
      and user_id <> (select auth.uid()))
    -- super_admin ends any role assignment
    or ((select private.has_permission('roles', 'update')))
  );
comment on policy "authenticated update" on public.user_roles is
  'Merges: HR ends staff and department roles of others; super_admin ends any role assignment';

-- delegation_history ------------------------------------------------------------------------------

grant select, insert on public.delegation_history to authenticated;
grant update (status, revoked_at, revoked_by, revoke_reason) on public.delegation_history to authenticated;

-- public.delegation_history, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.delegation_history
  for select to authenticated
  using (
    -- delegators and delegates read their delegations
    (delegator_id = (select auth.uid()) or delegate_id = (select auth.uid()))
    -- role readers and HR read delegations
    or ((select private.has_permission('roles', 'read'))
      or (select private.has_permission('employees', 'update')))
  );
comment on policy "authenticated select" on public.delegation_history is
  'Merges: delegators and delegates read their delegations; role readers and HR read delegations';
create policy "people delegate a role they hold in their own right" on public.delegation_history
  for insert to authenticated
  with check (delegator_id = (select auth.uid())
              and role_id = any ((select private.own_role_ids_of_current_user())::uuid[])
              and status in ('scheduled', 'active')
              and revoked_at is null and revoked_by is null and approved_by is null);

-- public.delegation_history, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.delegation_history
  for update to authenticated
  using (
    -- delegators revoke their delegations
    (delegator_id = (select auth.uid()) and status in ('scheduled', 'active'))
    -- super_admin ends any delegation
    or ((select private.has_permission('roles', 'update')))
  )
  with check (
    -- delegators revoke their delegations
    (delegator_id = (select auth.uid()) and status in ('scheduled', 'active', 'revoked'))
    -- super_admin ends any delegation
    or ((select private.has_permission('roles', 'update')))
  );
comment on policy "authenticated update" on public.delegation_history is
  'Merges: delegators revoke their delegations; super_admin ends any delegation';

-- A delegation is a user_roles grant for its period: made with the delegation, ended when
-- it is revoked or expires early. An older grant of the same role to the delegate that has
-- lapsed is closed first (recorded as expired) so that the live-assignment index admits the
-- new one.
create or replace function private.apply_delegation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    update public.user_roles ur
       set revoked_at = ur.valid_until
     where ur.user_id = new.delegate_id and ur.role_id = new.role_id
       and ur.revoked_at is null and ur.valid_until is not null and ur.valid_until <= now();
    insert into public.user_roles (user_id, role_id, granted_by, valid_from, valid_until, delegated_from, delegation_id)
    values (new.delegate_id, new.role_id, new.delegator_id, new.starts_at, new.ends_at, new.delegator_id, new.id);
  elsif new.status in ('revoked', 'expired') and old.status not in ('revoked', 'expired') then
    update public.user_roles ur
       set revoked_at = coalesce(new.revoked_at, now()),
           revoked_by = coalesce(new.revoked_by, private.current_actor_id()),
           revoke_reason = coalesce(new.revoke_reason, 'delegation ' || new.status)
     where ur.delegation_id = new.id and ur.revoked_at is null;
  end if;
  return null;
end
$$;

create trigger apply_delegation after insert or update of status on public.delegation_history
  for each row execute function private.apply_delegation();

revoke all on function private.apply_delegation() from public;

-- role_assignment_history: read-only to the API (triggers write it) ---------------------------------

grant select on public.role_assignment_history to authenticated;

-- public.role_assignment_history, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.role_assignment_history
  for select to authenticated
  using (
    -- auditors and HR read role history
    ((select private.has_permission('audit_logs', 'read'))
      or (select private.has_permission('employees', 'update')))
    -- people read their own role history
    or (user_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.role_assignment_history is
  'Merges: auditors and HR read role history; people read their own role history';

-- Departments -------------------------------------------------------------------------------------

grant select, insert, update, delete on public.departments to authenticated;
-- Maintained by trigger only.
grant select on public.department_hierarchy to authenticated;

create policy "signed-in users read departments" on public.departments
  for select to authenticated using (true);
create policy "organisation administrators add departments" on public.departments
  for insert to authenticated with check ((select private.has_permission('departments', 'create')));
create policy "organisation administrators edit departments" on public.departments
  for update to authenticated
  using ((select private.has_permission('departments', 'update')))
  with check ((select private.has_permission('departments', 'update')));
create policy "organisation administrators remove departments" on public.departments
  for delete to authenticated using ((select private.has_permission('departments', 'delete')));

create policy "signed-in users read the department tree" on public.department_hierarchy
  for select to authenticated using (true);

-- HR reference tables: readable by every signed-in user, kept by HR --------------------------------

grant select, insert, update, delete on public.work_shifts, public.attendance_policies, public.leave_types,
  public.holidays, public.salary_components to authenticated;

create policy "signed-in users read work shifts" on public.work_shifts
  for select to authenticated using (true);
create policy "attendance administrators add work shifts" on public.work_shifts
  for insert to authenticated with check ((select private.has_permission('attendance', 'create')));
create policy "attendance administrators edit work shifts" on public.work_shifts
  for update to authenticated
  using ((select private.has_permission('attendance', 'update')))
  with check ((select private.has_permission('attendance', 'update')));
create policy "HR removes work shifts" on public.work_shifts
  for delete to authenticated using ((select private.has_permission('attendance', 'delete')));

create policy "signed-in users read attendance policies" on public.attendance_policies
  for select to authenticated using (true);
create policy "attendance administrators add attendance policies" on public.attendance_policies
  for insert to authenticated with check ((select private.has_permission('attendance', 'create')));
create policy "attendance administrators edit attendance policies" on public.attendance_policies
  for update to authenticated
  using ((select private.has_permission('attendance', 'update')))
  with check ((select private.has_permission('attendance', 'update')));
create policy "HR removes attendance policies" on public.attendance_policies
  for delete to authenticated using ((select private.has_permission('attendance', 'delete')));

create policy "signed-in users read leave types" on public.leave_types
  for select to authenticated using (true);
create policy "leave administrators add leave types" on public.leave_types
  for insert to authenticated with check ((select private.has_permission('leave', 'create')));
create policy "leave administrators edit leave types" on public.leave_types
  for update to authenticated
  using ((select private.has_permission('leave', 'update')))
  with check ((select private.has_permission('leave', 'update')));
create policy "HR removes leave types" on public.leave_types
  for delete to authenticated using ((select private.has_permission('leave', 'delete')));

create policy "signed-in users read holidays" on public.holidays
  for select to authenticated using (true);
create policy "HR adds holidays" on public.holidays
  for insert to authenticated with check ((select private.has_permission('holidays', 'create')));
create policy "HR edits holidays" on public.holidays
  for update to authenticated
  using ((select private.has_permission('holidays', 'update')))
  with check ((select private.has_permission('holidays', 'update')));
create policy "HR removes holidays" on public.holidays
  for delete to authenticated using ((select private.has_permission('holidays', 'delete')));

create policy "signed-in users read salary components" on public.salary_components
  for select to authenticated using (true);
create policy "payroll administrators add salary components" on public.salary_components
  for insert to authenticated with check ((select private.has_permission('salaries', 'create')));
create policy "payroll administrators edit salary components" on public.salary_components
  for update to authenticated
  using ((select private.has_permission('salaries', 'update')))
  with check ((select private.has_permission('salaries', 'update')));
create policy "payroll administrators remove salary components" on public.salary_components
  for delete to authenticated using ((select private.has_permission('salaries', 'delete')));

-- employees ---------------------------------------------------------------------------------------

grant select, insert, update, delete on public.employees to authenticated;

-- public.employees, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.employees
  for select to authenticated
  using (
    -- HR reads employees
    ((select private.has_permission('employees', 'read')))
    -- employees read their own record
    or (id = (select auth.uid()))
    -- managers read their reporting line
    or (id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.employees is
  'Merges: HR reads employees; employees read their own record; managers read their reporting line';
create policy "HR adds employees" on public.employees
  for insert to authenticated with check ((select private.has_permission('employees', 'create')));

-- public.employees, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.employees
  for update to authenticated
  using (
    -- HR updates employees
    ((select private.has_permission('employees', 'update')))
    -- employees update their own contact details
    or (id = (select auth.uid()))
  )
  with check (
    -- HR updates employees
    ((select private.has_permission('employees', 'update')))
    -- employees update their own contact details
    or (id = (select auth.uid()))
  );
comment on policy "authenticated update" on public.employees is
  'Merges: HR updates employees; employees update their own contact details';
create policy "HR removes employees" on public.employees
  for delete to authenticated using ((select private.has_permission('employees', 'delete')));

create trigger guard_columns before update on public.employees
  for each row execute function private.guard_columns('employees', 'update', 'id',
    'mobile,profile_photo,address,emergency_contact', '');

-- employee_onboarding -----------------------------------------------------------------------------

grant select, insert, update, delete on public.employee_onboarding to authenticated;

-- public.employee_onboarding, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.employee_onboarding
  for select to authenticated
  using (
    -- HR reads onboarding
    ((select private.has_permission('onboarding', 'read')))
    -- new joiners read their onboarding
    or (employee_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.employee_onboarding is
  'Merges: HR reads onboarding; new joiners read their onboarding';
create policy "HR starts onboarding" on public.employee_onboarding
  for insert to authenticated with check ((select private.has_permission('onboarding', 'create')));
create policy "HR runs onboarding" on public.employee_onboarding
  for update to authenticated
  using ((select private.has_permission('onboarding', 'update')))
  with check ((select private.has_permission('onboarding', 'update')));
create policy "HR removes onboarding" on public.employee_onboarding
  for delete to authenticated using ((select private.has_permission('onboarding', 'delete')));

-- attendance_records ------------------------------------------------------------------------------

grant select, insert, update, delete on public.attendance_records to authenticated;

-- public.attendance_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.attendance_records
  for select to authenticated
  using (
    -- attendance administrators read attendance
    ((select private.has_permission('attendance', 'read')))
    -- employees read their own attendance
    or (employee_id = (select auth.uid()))
    -- managers read their reporting line's attendance
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.attendance_records is
  'Merges: attendance administrators read attendance; employees read their own attendance; managers read their reporting line''s attendance';

-- public.attendance_records, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.attendance_records
  for insert to authenticated
  with check (
    -- attendance administrators record attendance
    ((select private.has_permission('attendance', 'create')))
    -- employees check in from the app
    or (employee_id = (select auth.uid()) and (select private.is_active_employee())
      and source = 'app' and approved_by is null)
  );
comment on policy "authenticated insert" on public.attendance_records is
  'Merges: attendance administrators record attendance; employees check in from the app';

-- public.attendance_records, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.attendance_records
  for update to authenticated
  using (
    -- attendance administrators correct attendance
    ((select private.has_permission('attendance', 'update')))
    -- employees check out of an open day
    or (employee_id = (select auth.uid()) and check_out_time is null)
  )
  with check (
    -- attendance administrators correct attendance
    ((select private.has_permission('attendance', 'update')))
    -- employees check out of an open day
    or (employee_id = (select auth.uid()))
  );
comment on policy "authenticated update" on public.attendance_records is
  'Merges: attendance administrators correct attendance; employees check out of an open day';
create policy "HR removes attendance" on public.attendance_records
  for delete to authenticated using ((select private.has_permission('attendance', 'delete')));

create trigger guard_columns before update on public.attendance_records
  for each row execute function private.guard_columns('attendance', 'update', 'employee_id',
    'check_out_time,check_out_location,work_hours,notes', '');

-- leave_balances ----------------------------------------------------------------------------------

grant select, insert, update, delete on public.leave_balances to authenticated;

-- public.leave_balances, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.leave_balances
  for select to authenticated
  using (
    -- employees read their own leave balances
    (employee_id = (select auth.uid()))
    -- leave administrators read leave balances
    or ((select private.has_permission('leave', 'read')))
    -- managers read their reporting line's leave balances
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.leave_balances is
  'Merges: employees read their own leave balances; leave administrators read leave balances; managers read their reporting line''s leave balances';
create policy "leave administrators credit leave" on public.leave_balances
  for insert to authenticated with check ((select private.has_permission('leave', 'create')));
create policy "leave administrators adjust leave balances" on public.leave_balances
  for update to authenticated
  using ((select private.has_permission('leave', 'update')))
  with check ((select private.has_permission('leave', 'update')));
create policy "HR removes leave balances" on public.leave_balances
  for delete to authenticated using ((select private.has_permission('leave', 'delete')));

-- leave_requests ----------------------------------------------------------------------------------

grant select, insert, update, delete on public.leave_requests to authenticated;

-- public.leave_requests, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.leave_requests
  for select to authenticated
  using (
    -- employees read their own leave requests
    (employee_id = (select auth.uid()))
    -- leave administrators read leave requests
    or ((select private.has_permission('leave', 'read')))
    -- managers read their reporting line's leave requests
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.leave_requests is
  'Merges: employees read their own leave requests; leave administrators read leave requests; managers read their reporting line''s leave requests';

-- public.leave_requests, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.leave_requests
  for insert to authenticated
  with check (
    -- employees apply for leave
    (employee_id = (select auth.uid()) and (select private.is_active_employee())
      and status = 'pending' and approved_by is null and approved_date is null)
    -- leave administrators record leave
    or ((select private.has_permission('leave', 'create')))
  );
comment on policy "authenticated insert" on public.leave_requests is
  'Merges: employees apply for leave; leave administrators record leave';

-- public.leave_requests, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.leave_requests
  for update to authenticated
  using (
    -- employees edit or cancel their pending leave
    (employee_id = (select auth.uid()) and status = 'pending')
    -- leave administrators decide leave
    or ((select private.has_permission('leave', 'update')))
    -- managers decide their reporting line's pending leave
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]) and status = 'pending')
  )
  with check (
    -- employees edit or cancel their pending leave
    (employee_id = (select auth.uid()) and status in ('pending', 'cancelled')
      and approved_by is null and approved_date is null)
    -- leave administrators decide leave
    or ((select private.has_permission('leave', 'update')))
    -- managers decide their reporting line's pending leave
    or (employee_id = any ((select private.reports_of_current_user())::uuid[])
      and status in ('pending', 'approved', 'rejected')
      and (approved_by is null or approved_by = (select auth.uid())))
  );
comment on policy "authenticated update" on public.leave_requests is
  'Merges: employees edit or cancel their pending leave; leave administrators decide leave; managers decide their reporting line''s pending leave';
create policy "HR removes leave requests" on public.leave_requests
  for delete to authenticated using ((select private.has_permission('leave', 'delete')));

create trigger guard_columns before update on public.leave_requests
  for each row execute function private.guard_columns('leave', 'update', 'employee_id',
    'status,reason,documents,from_date,to_date,leave_type,leave_type_id',
    'status,approved_by,approved_date,rejection_reason');

-- overtime_records --------------------------------------------------------------------------------

grant select, insert, update, delete on public.overtime_records to authenticated;

-- public.overtime_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.overtime_records
  for select to authenticated
  using (
    -- attendance administrators read overtime
    ((select private.has_permission('attendance', 'read')))
    -- employees read their own overtime
    or (employee_id = (select auth.uid()))
    -- managers read their reporting line's overtime
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
  );
comment on policy "authenticated select" on public.overtime_records is
  'Merges: attendance administrators read overtime; employees read their own overtime; managers read their reporting line''s overtime';

-- public.overtime_records, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.overtime_records
  for insert to authenticated
  with check (
    -- attendance administrators record overtime
    ((select private.has_permission('attendance', 'create')))
    -- employees claim overtime
    or (employee_id = (select auth.uid()) and (select private.is_active_employee())
      and status = 'pending' and approved_by is null and approved_at is null
      and amount = 0 and salary_record_id is null)
  );
comment on policy "authenticated insert" on public.overtime_records is
  'Merges: attendance administrators record overtime; employees claim overtime';

-- public.overtime_records, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.overtime_records
  for update to authenticated
  using (
    -- attendance administrators settle overtime
    ((select private.has_permission('attendance', 'update')))
    -- employees edit their pending overtime claims
    or (employee_id = (select auth.uid()) and status = 'pending')
    -- managers decide their reporting line's overtime
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]) and status = 'pending')
  )
  with check (
    -- attendance administrators settle overtime
    ((select private.has_permission('attendance', 'update')))
    -- employees edit their pending overtime claims
    or (employee_id = (select auth.uid()) and status = 'pending' and approved_by is null and approved_at is null)
    -- managers decide their reporting line's overtime
    or (employee_id = any ((select private.reports_of_current_user())::uuid[])
      and status in ('pending', 'approved', 'rejected')
      and (approved_by is null or approved_by = (select auth.uid())))
  );
comment on policy "authenticated update" on public.overtime_records is
  'Merges: attendance administrators settle overtime; employees edit their pending overtime claims; managers decide their reporting line''s overtime';
create policy "HR removes overtime" on public.overtime_records
  for delete to authenticated using ((select private.has_permission('attendance', 'delete')));

create trigger guard_columns before update on public.overtime_records
  for each row execute function private.guard_columns('attendance', 'update', 'employee_id',
    'work_date,hours,reason,attendance_record_id', 'status,approved_by,approved_at');

-- performance_reviews -----------------------------------------------------------------------------

grant select, insert, update, delete on public.performance_reviews to authenticated;

-- public.performance_reviews, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.performance_reviews
  for select to authenticated
  using (
    -- HR reads reviews
    ((select private.has_permission('performance', 'read')))
    -- employees read their shared reviews
    or (employee_id = (select auth.uid()) and status <> 'draft')
    -- managers read their reporting line's reviews
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
    -- reviewers read the reviews they write
    or (reviewer_id = (select auth.uid()))
  );
comment on policy "authenticated select" on public.performance_reviews is
  'Merges: HR reads reviews; employees read their shared reviews; managers read their reporting line''s reviews; reviewers read the reviews they write';

-- public.performance_reviews, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.performance_reviews
  for insert to authenticated
  with check (
    -- HR records reviews
    ((select private.has_permission('performance', 'create')))
    -- managers draft reviews of their reporting line
    or (reviewer_id = (select auth.uid()) and employee_id = any ((select private.reports_of_current_user())::uuid[])
      and status = 'draft' and employee_comments is null)
  );
comment on policy "authenticated insert" on public.performance_reviews is
  'Merges: HR records reviews; managers draft reviews of their reporting line';

-- public.performance_reviews, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.performance_reviews
  for update to authenticated
  using (
    -- HR edits reviews
    ((select private.has_permission('performance', 'update')))
    -- employees comment on and acknowledge their review
    or (employee_id = (select auth.uid()) and status in ('submitted', 'acknowledged'))
    -- reviewers edit and submit their drafts
    or (reviewer_id = (select auth.uid()) and status = 'draft')
  )
  with check (
    -- HR edits reviews
    ((select private.has_permission('performance', 'update')))
    -- employees comment on and acknowledge their review
    or (employee_id = (select auth.uid()) and status in ('submitted', 'acknowledged'))
    -- reviewers edit and submit their drafts
    or (reviewer_id = (select auth.uid()) and status in ('draft', 'submitted'))
  );
comment on policy "authenticated update" on public.performance_reviews is
  'Merges: HR edits reviews; employees comment on and acknowledge their review; reviewers edit and submit their drafts';
create policy "HR removes reviews" on public.performance_reviews
  for delete to authenticated using ((select private.has_permission('performance', 'delete')));

create trigger guard_columns before update on public.performance_reviews
  for each row execute function private.guard_columns('performance', 'update', 'employee_id',
    'employee_comments,status',
    'review_type,review_period_start,review_period_end,overall_rating,technical_rating,communication_rating,'
    'teamwork_rating,leadership_rating,goals,achievements,areas_of_improvement,reviewer_comments,action_plan,'
    'review_date,status');

-- training_records --------------------------------------------------------------------------------

grant select, insert, update, delete on public.training_records to authenticated;

-- public.training_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.training_records
  for select to authenticated
  using (
    -- employees read their own training
    (employee_id = (select auth.uid()))
    -- managers read their reporting line's training
    or (employee_id = any ((select private.reports_of_current_user())::uuid[]))
    -- training administrators read training
    or ((select private.has_permission('training', 'read')))
  );
comment on policy "authenticated select" on public.training_records is
  'Merges: employees read their own training; managers read their reporting line''s training; training administrators read training';
create policy "training administrators assign training" on public.training_records
  for insert to authenticated with check ((select private.has_permission('training', 'create')));
create policy "training administrators record training" on public.training_records
  for update to authenticated
  using ((select private.has_permission('training', 'update')))
  with check ((select private.has_permission('training', 'update')));
create policy "HR removes training" on public.training_records
  for delete to authenticated using ((select private.has_permission('training', 'delete')));

-- salary_structures and salary_records ------------------------------------------------------------

-- Managers get nothing here: pay is between the employee, HR, finance and the directors.
grant select, insert, update, delete on public.salary_structures, public.salary_records to authenticated;

-- public.salary_structures, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.salary_structures
  for select to authenticated
  using (
    -- employees read their own approved salary structures
    (employee_id = (select auth.uid()) and status <> 'draft')
    -- payroll readers read salary structures
    or ((select private.has_permission('salaries', 'read')))
  );
comment on policy "authenticated select" on public.salary_structures is
  'Merges: employees read their own approved salary structures; payroll readers read salary structures';
create policy "HR sets salary structures" on public.salary_structures
  for insert to authenticated with check ((select private.has_permission('salaries', 'create')));
create policy "HR revises salary structures" on public.salary_structures
  for update to authenticated
  using ((select private.has_permission('salaries', 'update')))
  with check ((select private.has_permission('salaries', 'update')));
create policy "HR removes salary structures" on public.salary_structures
  for delete to authenticated using ((select private.has_permission('salaries', 'delete')));

-- public.salary_records, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.salary_records
  for select to authenticated
  using (
    -- employees read their own salary records
    (employee_id = (select auth.uid()))
    -- payroll readers read salary records
    or ((select private.has_permission('salaries', 'read')))
  );
comment on policy "authenticated select" on public.salary_records is
  'Merges: employees read their own salary records; payroll readers read salary records';
create policy "HR runs payroll" on public.salary_records
  for insert to authenticated with check ((select private.has_permission('salaries', 'create')));
create policy "HR corrects payroll" on public.salary_records
  for update to authenticated
  using ((select private.has_permission('salaries', 'update')))
  with check ((select private.has_permission('salaries', 'update')));
create policy "HR removes salary records" on public.salary_records
  for delete to authenticated using ((select private.has_permission('salaries', 'delete')));
