-- Users: the profile every signed-up person has, and what hangs off a person rather than a
-- business role (preferences and consents, emergency contacts, uploaded documents, KYC,
-- bank details for payouts and salaries, sessions and the activity trail).
--
-- Identity lives in auth.users (Supabase Auth); user_profiles.id is that same id.
-- Sensitive identifiers (Aadhaar, PAN, passport and bank account numbers) are stored only
-- encrypted, with the last four characters kept in clear for display and support, and a
-- keyed hash where duplicates across accounts must be detectable. Under the DPDP Act 2023
-- these are personal data: consent timestamps are recorded, and rows go with the person
-- (on delete cascade) when an account is erased.
--
-- No policies here: the security migration adds them. The privileged columns of
-- user_profiles (role, status) must not become writable by their owner there.

-- user_profiles ------------------------------------------------------------------------

create table public.user_profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  name text not null,
  mobile text not null check (mobile ~ '^\+?[1-9][0-9]{9,14}$'),
  gender text check (gender in ('male', 'female', 'other')),
  date_of_birth date check (date_of_birth > date '1900-01-01'),
  profile_image text,
  role text not null check (role in (
    'customer', 'vendor', 'therapist', 'employee', 'admin',
    'accounts_department', 'marketing_department', 'finance_department',
    'legal_department', 'customer_care', 'staff_department',
    'vendor_list', 'customer_data', 'fo_department', 'it_department',
    'super_admin', 'ho_details', 'corporate_office', 'advocate',
    'ca_cs', 'directors', 'hr_department'
  )),
  status text not null default 'active' check (status in ('active', 'inactive', 'suspended')),
  address jsonb,
  preferences jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.user_profiles is 'One profile per auth user: name, mobile and the primary role that decides which app and which department access the person gets.';
comment on column public.user_profiles.mobile is 'Mobile number, unique across users; +91 prefix optional for Indian numbers.';
comment on column public.user_profiles.profile_image is 'Storage object path of the profile photo.';
comment on column public.user_profiles.role is 'Primary role (one of the 22 codes of public.roles). Privileged: only administrators change it; every change is recorded in role_assignment_history.';
comment on column public.user_profiles.status is 'Account state; suspended users keep their data but cannot book or be booked. Privileged like role.';
comment on column public.user_profiles.address is 'Postal address as { street, city, state, pincode, country }; bookable addresses live in customer_addresses.';
comment on column public.user_profiles.preferences is 'Free-form app settings; consents and notification choices are in user_preferences.';

-- The spec names this index; it is the unique index on mobile (not a second copy of it).
create unique index idx_user_profiles_mobile on public.user_profiles (mobile);
-- FK added in V4: role -> roles.code
create index idx_user_profiles_role on public.user_profiles (role);
create index idx_user_profiles_status on public.user_profiles (status);
create index idx_user_profiles_name_trgm on public.user_profiles using gin (name extensions.gin_trgm_ops);

create trigger set_updated_at before update on public.user_profiles
  for each row execute function private.set_updated_at();

alter table public.user_profiles enable row level security;

-- user_preferences ---------------------------------------------------------------------

create table public.user_preferences (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null unique references auth.users (id) on delete cascade,
  language text not null default 'en' check (language in ('en', 'hi', 'mr', 'ta', 'te', 'kn', 'ml', 'bn', 'gu', 'pa', 'or', 'as', 'ur')),
  timezone text not null default 'Asia/Kolkata',
  notify_push boolean not null default true,
  notify_email boolean not null default true,
  notify_sms boolean not null default true,
  notify_whatsapp boolean not null default false,
  marketing_opt_in boolean not null default false,
  marketing_consent_at timestamptz,
  data_processing_consent_at timestamptz,
  quiet_hours_start time,
  quiet_hours_end time,
  preferred_therapist_gender text not null default 'any' check (preferred_therapist_gender in ('female', 'male', 'any')),
  theme text not null default 'system' check (theme in ('system', 'light', 'dark')),
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_preferences_marketing_consent check (not marketing_opt_in or marketing_consent_at is not null),
  constraint user_preferences_quiet_hours check ((quiet_hours_start is null) = (quiet_hours_end is null))
);

comment on table public.user_preferences is 'Per-user language, notification channels and recorded consents (DPDP Act 2023: consent must be specific and provable).';
comment on column public.user_preferences.language is 'UI and notification language (ISO 639-1).';
comment on column public.user_preferences.notify_whatsapp is 'WhatsApp messages need explicit opt-in under WhatsApp Business policy, hence off by default.';
comment on column public.user_preferences.marketing_opt_in is 'Consent to promotional messages; off by default, and TRAI DND rules still apply to SMS.';
comment on column public.user_preferences.marketing_consent_at is 'When marketing consent was given; required while marketing_opt_in is true.';
comment on column public.user_preferences.data_processing_consent_at is 'When the user accepted the privacy notice (DPDP Act 2023 consent).';
comment on column public.user_preferences.quiet_hours_start is 'Local time (in timezone) from which non-urgent notifications are held back.';
comment on column public.user_preferences.preferred_therapist_gender is 'Default therapist gender requested for bookings.';
comment on column public.user_preferences.settings is 'Other app settings that need no database rules.';

create index idx_user_preferences_marketing on public.user_preferences (user_id) where marketing_opt_in;
create index idx_user_preferences_language on public.user_preferences (language);

create trigger set_updated_at before update on public.user_preferences
  for each row execute function private.set_updated_at();

alter table public.user_preferences enable row level security;

-- emergency_contacts -------------------------------------------------------------------

create table public.emergency_contacts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  name text not null,
  relationship text not null check (relationship in ('spouse', 'parent', 'sibling', 'child', 'relative', 'friend', 'colleague', 'other')),
  mobile text not null check (mobile ~ '^\+?[1-9][0-9]{9,14}$'),
  alternate_mobile text check (alternate_mobile ~ '^\+?[1-9][0-9]{9,14}$'),
  email text check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  address text,
  is_primary boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.emergency_contacts is 'People to call if something happens to a user; therapists travelling to homes and employees must have one.';
comment on column public.emergency_contacts.is_primary is 'The contact called first; at most one per user.';

create index idx_emergency_contacts_user_id on public.emergency_contacts (user_id);
create unique index idx_emergency_contacts_user_id_primary on public.emergency_contacts (user_id) where is_primary;
create index idx_emergency_contacts_mobile on public.emergency_contacts (mobile);

create trigger set_updated_at before update on public.emergency_contacts
  for each row execute function private.set_updated_at();

alter table public.emergency_contacts enable row level security;

-- user_documents -----------------------------------------------------------------------

create table public.user_documents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  document_type text not null check (document_type in (
    'profile_photo', 'aadhaar', 'pan', 'passport', 'driving_licence', 'voter_id',
    'address_proof', 'educational_certificate', 'experience_letter', 'relieving_letter',
    'police_verification', 'medical_fitness', 'therapy_certificate', 'bank_proof',
    'gst_certificate', 'offer_letter', 'other'
  )),
  title text,
  storage_bucket text not null default 'documents',
  storage_path text not null,
  mime_type text check (mime_type in ('application/pdf', 'image/jpeg', 'image/png', 'image/webp', 'image/heic')),
  file_size_bytes integer check (file_size_bytes > 0 and file_size_bytes <= 20971520),
  checksum_sha256 text check (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  status text not null default 'uploaded' check (status in ('uploaded', 'under_review', 'verified', 'rejected', 'expired')),
  verified_by uuid references auth.users (id) on delete set null,
  verified_at timestamptz,
  rejection_reason text,
  expires_on date,
  metadata jsonb not null default '{}'::jsonb,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (storage_bucket, storage_path),
  constraint user_documents_verified check (status <> 'verified' or verified_at is not null),
  constraint user_documents_rejected check (status <> 'rejected' or rejection_reason is not null)
);

comment on table public.user_documents is 'Files a user uploads (ID proofs, certificates, police verification); the bytes live in Supabase Storage, this row tracks review.';
comment on column public.user_documents.storage_bucket is 'Supabase Storage bucket holding the file (private bucket; served by signed URL).';
comment on column public.user_documents.storage_path is 'Object path inside the bucket.';
comment on column public.user_documents.file_size_bytes is 'Size in bytes; uploads are capped at 20 MiB.';
comment on column public.user_documents.checksum_sha256 is 'Hex SHA-256 of the file, to detect the same file uploaded for two accounts.';
comment on column public.user_documents.expires_on is 'Validity end of the document (passport, driving licence, police verification), for renewal reminders.';
comment on column public.user_documents.deleted_at is 'Soft delete: the row stays for the review trail; the storage object is removed by the retention job.';

create index idx_user_documents_user_id_type on public.user_documents (user_id, document_type);
create index idx_user_documents_status on public.user_documents (status) where deleted_at is null;
create index idx_user_documents_verified_by on public.user_documents (verified_by);
create index idx_user_documents_expires_on on public.user_documents (expires_on) where expires_on is not null and deleted_at is null;
create index idx_user_documents_checksum on public.user_documents (checksum_sha256) where checksum_sha256 is not null;

create trigger set_updated_at before update on public.user_documents
  for each row execute function private.set_updated_at();

alter table public.user_documents enable row level security;

-- user_kyc_verification ----------------------------------------------------------------

create table public.user_kyc_verification (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  document_type text not null check (document_type in ('aadhaar', 'pan', 'passport', 'driving_licence', 'voter_id')),
  document_number_encrypted bytea not null,
  document_number_last4 text not null check (document_number_last4 ~ '^[0-9A-Z]{4}$'),
  document_number_hash bytea,
  name_on_document text,
  date_of_birth_on_document date,
  document_id uuid references public.user_documents (id) on delete set null,
  verification_method text not null default 'manual' check (verification_method in (
    'manual', 'digilocker', 'aadhaar_offline_xml', 'aadhaar_otp', 'nsdl_pan', 'ckyc', 'video_kyc'
  )),
  provider text,
  provider_reference text,
  status text not null default 'pending' check (status in ('pending', 'in_review', 'verified', 'rejected', 'expired')),
  name_match_score numeric(5,2) check (name_match_score between 0 and 100),
  attempts integer not null default 0 check (attempts >= 0),
  consent_given_at timestamptz not null,
  verified_by uuid references auth.users (id) on delete set null,
  verified_at timestamptz,
  rejection_reason text,
  expires_on date,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_kyc_verification_verified check (status <> 'verified' or verified_at is not null),
  constraint user_kyc_verification_rejected check (status <> 'rejected' or rejection_reason is not null)
);

comment on table public.user_kyc_verification is 'Identity verification of vendors, therapists and employees (Aadhaar, PAN, passport ...); document numbers are never stored in clear.';
comment on column public.user_kyc_verification.document_number_encrypted is 'Document number encrypted server-side (pgcrypto pgp_sym_encrypt with a key held outside the database); never selected by the apps.';
comment on column public.user_kyc_verification.document_number_last4 is 'Last four characters of the document number, for display (XXXX-XXXX-1234) and support calls.';
comment on column public.user_kyc_verification.document_number_hash is 'Keyed hash (HMAC-SHA256) of the normalised number, to find the same Aadhaar or PAN on two accounts without decrypting.';
comment on column public.user_kyc_verification.document_id is 'The uploaded scan this verification reviewed, if any.';
comment on column public.user_kyc_verification.verification_method is 'How the identity was checked: DigiLocker pull, Aadhaar offline XML / OTP e-KYC, NSDL PAN check, CKYC registry, video KYC or manual review.';
comment on column public.user_kyc_verification.provider_reference is 'Request id at the KYC provider, to reconcile callbacks.';
comment on column public.user_kyc_verification.name_match_score is 'Percent similarity between the name on the document and the profile name.';
comment on column public.user_kyc_verification.consent_given_at is 'When the user consented to this verification (Aadhaar Act and DPDP Act require it before any check).';

create index idx_user_kyc_verification_user_id on public.user_kyc_verification (user_id);
create unique index idx_user_kyc_verification_one_verified on public.user_kyc_verification (user_id, document_type) where status = 'verified';
create index idx_user_kyc_verification_status on public.user_kyc_verification (status, created_at);
create index idx_user_kyc_verification_hash on public.user_kyc_verification (document_type, document_number_hash) where document_number_hash is not null;
create index idx_user_kyc_verification_document_id on public.user_kyc_verification (document_id);
create index idx_user_kyc_verification_verified_by on public.user_kyc_verification (verified_by);

create trigger set_updated_at before update on public.user_kyc_verification
  for each row execute function private.set_updated_at();

alter table public.user_kyc_verification enable row level security;

-- user_bank_details --------------------------------------------------------------------

create table public.user_bank_details (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  purpose text not null default 'payout' check (purpose in ('payout', 'salary', 'refund')),
  account_holder_name text not null,
  account_number_encrypted bytea,
  account_number_last4 text check (account_number_last4 ~ '^[0-9]{4}$'),
  account_number_hash bytea,
  ifsc text check (ifsc ~ '^[A-Z]{4}0[A-Z0-9]{6}$'),
  bank_name text,
  branch_name text,
  account_type text check (account_type in ('savings', 'current', 'salary', 'nre', 'nro')),
  upi_id text check (upi_id ~ '^[A-Za-z0-9._-]{2,100}@[A-Za-z][A-Za-z0-9]{1,63}$'),
  verification_status text not null default 'pending' check (verification_status in ('pending', 'in_progress', 'verified', 'failed', 'rejected')),
  verification_method text check (verification_method in ('penny_drop', 'upi_validation', 'cancelled_cheque', 'bank_statement', 'manual')),
  verification_reference text,
  name_match_score numeric(5,2) check (name_match_score between 0 and 100),
  verified_by uuid references auth.users (id) on delete set null,
  verified_at timestamptz,
  failure_reason text,
  is_primary boolean not null default false,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_bank_details_account_complete check (
    (account_number_encrypted is null) = (account_number_last4 is null)
    and (account_number_encrypted is null or ifsc is not null)
  ),
  constraint user_bank_details_has_destination check (account_number_encrypted is not null or upi_id is not null),
  constraint user_bank_details_verified check (verification_status <> 'verified' or verified_at is not null)
);

comment on table public.user_bank_details is 'Where money is paid to a person: salary, therapist payouts, refunds to source failures. Account numbers are stored only encrypted; every change is audited.';
comment on column public.user_bank_details.purpose is 'What the account is used for; one person may keep a salary account and a payout account.';
comment on column public.user_bank_details.account_number_encrypted is 'Bank account number encrypted server-side (pgcrypto pgp_sym_encrypt, key outside the database); decrypted only by the payout service.';
comment on column public.user_bank_details.account_number_last4 is 'Last four digits of the account number, for display.';
comment on column public.user_bank_details.account_number_hash is 'Keyed hash (HMAC-SHA256) of the account number, to detect one account registered by several users.';
comment on column public.user_bank_details.ifsc is 'Indian Financial System Code of the branch (4 letters, 0, 6 alphanumerics).';
comment on column public.user_bank_details.upi_id is 'UPI virtual payment address (name@bank) for UPI payouts.';
comment on column public.user_bank_details.verification_method is 'Penny drop (Re 1 credit with beneficiary name check), UPI VPA validation, cancelled cheque or manual review.';
comment on column public.user_bank_details.verification_reference is 'Reference of the penny-drop or validation request at the payout provider.';
comment on column public.user_bank_details.name_match_score is 'Percent similarity between the beneficiary name returned by the bank and account_holder_name.';
comment on column public.user_bank_details.is_primary is 'The account used by default for its purpose; at most one live primary per user and purpose.';
comment on column public.user_bank_details.deleted_at is 'Soft delete: payouts already made keep pointing at the account they used.';

create index idx_user_bank_details_user_id on public.user_bank_details (user_id);
create unique index idx_user_bank_details_primary on public.user_bank_details (user_id, purpose) where is_primary and deleted_at is null;
create index idx_user_bank_details_verification_status on public.user_bank_details (verification_status) where deleted_at is null;
create index idx_user_bank_details_hash on public.user_bank_details (account_number_hash) where account_number_hash is not null;
create index idx_user_bank_details_verified_by on public.user_bank_details (verified_by);

create trigger set_updated_at before update on public.user_bank_details
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.user_bank_details
  for each row execute function private.audit_row();

alter table public.user_bank_details enable row level security;

-- user_sessions ------------------------------------------------------------------------

create table public.user_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  auth_session_id uuid unique,
  device_id text,
  device_type text not null default 'web' check (device_type in ('android', 'ios', 'web', 'desktop', 'other')),
  device_model text,
  os_version text,
  app_version text,
  push_token text,
  ip_address inet,
  user_agent text,
  city text,
  started_at timestamptz not null default now(),
  last_active_at timestamptz not null default now(),
  expires_at timestamptz,
  ended_at timestamptz,
  end_reason text check (end_reason in ('logout', 'expired', 'revoked', 'replaced', 'password_changed')),
  is_active boolean generated always as (ended_at is null) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_sessions_end check ((ended_at is null) = (end_reason is null) and (ended_at is null or ended_at >= started_at))
);

comment on table public.user_sessions is 'Signed-in devices per user: lets a user see and sign out other devices, and lets support revoke a stolen phone.';
comment on column public.user_sessions.auth_session_id is 'Supabase Auth session id (the session_id claim of the JWT).';
comment on column public.user_sessions.device_id is 'Stable installation id reported by the mobile app.';
comment on column public.user_sessions.push_token is 'FCM / APNs token of the device, for push notifications while the session lives.';
comment on column public.user_sessions.city is 'City resolved from the IP address at sign-in, for the device list.';
comment on column public.user_sessions.is_active is 'True until the session ends.';

create index idx_user_sessions_user_id_last_active on public.user_sessions (user_id, last_active_at desc);
create index idx_user_sessions_active on public.user_sessions (user_id) where ended_at is null;
create index idx_user_sessions_device_id on public.user_sessions (device_id) where device_id is not null;
create index idx_user_sessions_expires_at on public.user_sessions (expires_at) where ended_at is null;

create trigger set_updated_at before update on public.user_sessions
  for each row execute function private.set_updated_at();

alter table public.user_sessions enable row level security;

-- user_activity_log --------------------------------------------------------------------

create table public.user_activity_log (
  id uuid not null default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete cascade,
  session_id uuid references public.user_sessions (id) on delete set null,
  category text not null check (category in (
    'auth', 'profile', 'booking', 'payment', 'search', 'navigation', 'security',
    'preference', 'support', 'admin', 'other'
  )),
  action text not null,
  entity_type text,
  entity_id text,
  description text,
  ip_address inet,
  user_agent text,
  device_type text check (device_type in ('android', 'ios', 'web', 'desktop', 'other')),
  app_version text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  primary key (id, created_at)
) partition by range (created_at);

comment on table public.user_activity_log is 'Append-only trail of what users did in the apps (sign-ins, profile edits, bookings); monthly partitions, kept 13 months.';
comment on column public.user_activity_log.user_id is 'Acting user; rows go with the user when the account is erased (DPDP Act).';
comment on column public.user_activity_log.action is 'What happened, e.g. login, otp_failed, booking_created, address_added.';
comment on column public.user_activity_log.entity_type is 'Kind of record acted on (table name), with entity_id its key.';
comment on column public.user_activity_log.metadata is 'Event details that do not fit the columns; never secrets or document numbers.';

create index idx_user_activity_log_user_id_created_at on public.user_activity_log (user_id, created_at desc);
create index idx_user_activity_log_session_id on public.user_activity_log (session_id);
create index idx_user_activity_log_category_created_at on public.user_activity_log (category, created_at desc);
create index idx_user_activity_log_entity on public.user_activity_log (entity_type, entity_id) where entity_id is not null;

-- Rows are facts. The only changes allowed are the ones foreign keys make when a user or
-- session is erased (they run inside the referential trigger, at trigger depth 1).
create trigger forbid_change before update or delete on public.user_activity_log
  for each row when (pg_trigger_depth() = 0) execute function private.forbid_change();

alter table public.user_activity_log enable row level security;

insert into private.partitioned_tables (parent, granularity, premake, retention)
values ('public.user_activity_log', 'month', 3, interval '13 months')
on conflict (parent) do nothing;

select private.maintain_partitions();
