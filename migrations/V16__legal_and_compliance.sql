-- Legal & compliance: the published legal texts users accept, requests from data
-- principals under India's Digital Personal Data Protection Act 2023 (and the GDPR for
-- users abroad), how long each kind of data is kept, and compliance audits of vendors and
-- of the platform itself.
--
-- A legal text that has been published is evidence of what users agreed to, so its wording
-- can no longer change: a new wording is a new version. Every change to these tables is
-- audited.

-- legal_documents --------------------------------------------------------------------------

create table public.legal_documents (
  id uuid primary key default gen_random_uuid(),
  doc_type text not null check (doc_type in (
    'terms_of_service', 'privacy_policy', 'refund_policy', 'cancellation_policy',
    'vendor_agreement', 'therapist_agreement', 'cookie_policy', 'community_guidelines',
    'grievance_redressal'
  )),
  version text not null check (version ~ '^[0-9]+(\.[0-9]+){0,2}$'),
  title text not null,
  body text not null,
  summary_of_changes text,
  locale text not null default 'en-IN' check (locale ~ '^[a-z]{2}(-[A-Z]{2})?$'),
  status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
  requires_acceptance boolean not null default true,
  published_at timestamptz,
  effective_from timestamptz,
  published_by uuid references public.employees (id) on delete set null,
  search_vector tsvector generated always as (
    to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(body, ''))
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint legal_documents_type_version_locale_key unique (doc_type, version, locale),
  constraint legal_documents_published_check check (status = 'draft' or (published_at is not null and effective_from is not null))
);

-- "The privacy policy in force": latest published effective_from per type and locale.
create index idx_legal_documents_current on public.legal_documents (doc_type, locale, effective_from desc)
  where status = 'published';
create index idx_legal_documents_status on public.legal_documents (status);
create index idx_legal_documents_published_by on public.legal_documents (published_by);
create index idx_legal_documents_search on public.legal_documents using gin (search_vector);

-- Once published, the text users accepted is frozen; only its status may move on.
create or replace function private.freeze_published_legal_document()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    if old.status <> 'draft' then
      raise exception 'legal document % % (%) was published and cannot be deleted', old.doc_type, old.version, old.locale
        using errcode = '42501', hint = 'archive it instead';
    end if;
    return old;
  end if;
  if old.status <> 'draft'
     and (new.doc_type, new.version, new.locale, new.title, new.body, new.published_at, new.effective_from)
         is distinct from (old.doc_type, old.version, old.locale, old.title, old.body, old.published_at, old.effective_from) then
    raise exception 'legal document % % (%) was published and its text is frozen', old.doc_type, old.version, old.locale
      using errcode = '42501', hint = 'publish a new version instead';
  end if;
  if old.status = 'archived' and new.status <> 'archived' then
    raise exception 'an archived legal document cannot be republished' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger freeze_published before update or delete on public.legal_documents
  for each row execute function private.freeze_published_legal_document();
create trigger set_updated_at before update on public.legal_documents
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.legal_documents
  for each row execute function private.audit_row();

alter table public.legal_documents enable row level security;

comment on table public.legal_documents is 'Versioned legal texts (terms, privacy policy, refund policy, vendor agreement ...) per locale; frozen once published.';
comment on column public.legal_documents.version is 'Dotted version number, e.g. 2.1; a new wording is a new row.';
comment on column public.legal_documents.body is 'Full text in Markdown.';
comment on column public.legal_documents.summary_of_changes is 'What changed since the previous version, shown when users are asked to accept again.';
comment on column public.legal_documents.requires_acceptance is 'Users must accept this version before continuing (notice and consent under the DPDP Act).';
comment on column public.legal_documents.effective_from is 'When this version starts to govern; may be later than published_at to give notice.';
comment on column public.legal_documents.search_vector is 'Full-text index over title and body.';

-- gdpr_requests ----------------------------------------------------------------------------

create table public.gdpr_requests (
  id uuid primary key default gen_random_uuid(),
  request_number text not null unique,
  regulation text not null default 'dpdp_2023' check (regulation in ('dpdp_2023', 'gdpr')),
  request_type text not null check (request_type in (
    'access', 'correction', 'erasure', 'portability', 'consent_withdrawal', 'grievance', 'nomination'
  )),
  user_id uuid references auth.users (id) on delete set null,
  requester_contact text,
  description text,
  status text not null default 'received' check (status in ('received', 'verifying', 'in_progress', 'completed', 'rejected')),
  received_at timestamptz not null default now(),
  due_at timestamptz not null default (now() + interval '30 days'),
  verified_at timestamptz,
  handled_by uuid references public.employees (id) on delete set null,
  response text,
  rejection_reason text,
  export_path text,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint gdpr_requests_due_check check (due_at > received_at),
  constraint gdpr_requests_closed_check check (status not in ('completed', 'rejected') or completed_at is not null),
  constraint gdpr_requests_rejection_check check (status <> 'rejected' or rejection_reason is not null)
);

create index idx_gdpr_requests_user_id on public.gdpr_requests (user_id);
create index idx_gdpr_requests_status on public.gdpr_requests (status);
create index idx_gdpr_requests_handled_by on public.gdpr_requests (handled_by);
create index idx_gdpr_requests_type on public.gdpr_requests (request_type, received_at desc);
-- The legal team's queue: open requests by statutory deadline.
create index idx_gdpr_requests_open_due on public.gdpr_requests (due_at)
  where status in ('received', 'verifying', 'in_progress');

create trigger set_updated_at before update on public.gdpr_requests
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.gdpr_requests
  for each row execute function private.audit_row();

alter table public.gdpr_requests enable row level security;

comment on table public.gdpr_requests is 'Requests from data principals (DPDP Act 2023 sections 6(4) and 11-14) and GDPR data subjects, with their handling; kept after an erasure as proof it was done.';
comment on column public.gdpr_requests.request_number is 'Reference given to the requester, e.g. DPR-2025-000123.';
comment on column public.gdpr_requests.regulation is 'Law the request is made under: dpdp_2023 for India, gdpr for EU residents.';
comment on column public.gdpr_requests.request_type is 'access (summary of data), correction, erasure, portability, consent_withdrawal, grievance (to the Grievance Officer), nomination (DPDP s.14).';
comment on column public.gdpr_requests.user_id is 'Requesting account; set null when an erasure deletes it, the request row remains.';
comment on column public.gdpr_requests.requester_contact is 'Email or mobile to answer on; cleared when an erasure request completes.';
comment on column public.gdpr_requests.due_at is 'Deadline to respond; 30 days by default, shortened by the handler where the law requires.';
comment on column public.gdpr_requests.verified_at is 'When the requester''s identity was verified.';
comment on column public.gdpr_requests.export_path is 'Storage path of the data export for access and portability requests (expiring link).';

-- data_retention_policies ------------------------------------------------------------------

create table public.data_retention_policies (
  id uuid primary key default gen_random_uuid(),
  table_name text not null unique check (table_name ~ '^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$'),
  date_column text not null default 'created_at' check (date_column ~ '^[a-z_][a-z0-9_]*$'),
  retention_period interval,
  action text not null check (action in ('delete', 'anonymise', 'archive')),
  legal_basis text not null,
  description text,
  is_active boolean not null default true,
  last_applied_at timestamptz,
  last_affected_rows bigint check (last_affected_rows >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint data_retention_policies_period_check check (retention_period is null or retention_period > interval '0')
);

create index idx_data_retention_policies_active on public.data_retention_policies (is_active);
create index idx_data_retention_policies_action on public.data_retention_policies (action);

create trigger set_updated_at before update on public.data_retention_policies
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.data_retention_policies
  for each row execute function private.audit_row();

alter table public.data_retention_policies enable row level security;

comment on table public.data_retention_policies is 'How long each table''s rows are kept and what happens after (DPDP Act s.8(7): erase once the purpose is served, unless a law requires keeping them).';
comment on column public.data_retention_policies.table_name is 'Table the policy governs, e.g. therapist_locations (public assumed when unqualified).';
comment on column public.data_retention_policies.date_column is 'Timestamp column whose age is compared with retention_period.';
comment on column public.data_retention_policies.retention_period is 'Age after which action applies; null keeps rows forever.';
comment on column public.data_retention_policies.action is 'delete the rows, anonymise personal columns in place, or archive them to cold storage.';
comment on column public.data_retention_policies.legal_basis is 'Why this period: e.g. CGST Act s.36 (72 months for tax records), DPDP purpose limitation, IT Act.';
comment on column public.data_retention_policies.last_affected_rows is 'Rows deleted, anonymised or archived by the last run.';

-- compliance_audits ------------------------------------------------------------------------

create table public.compliance_audits (
  id uuid primary key default gen_random_uuid(),
  audit_number text not null unique,
  audit_type text not null check (audit_type in (
    'vendor_hygiene', 'vendor_licensing', 'therapist_certification', 'fire_safety',
    'data_protection', 'gst', 'labour_law', 'financial', 'internal'
  )),
  vendor_id uuid references public.vendors (id) on delete restrict,
  auditor_id uuid references public.employees (id) on delete set null,
  external_auditor text,
  scheduled_date date not null,
  conducted_date date,
  findings jsonb not null default '[]',
  score numeric(5,2) check (score between 0 and 100),
  outcome text check (outcome in ('pass', 'conditional_pass', 'fail')),
  status text not null default 'scheduled' check (status in ('scheduled', 'in_progress', 'completed', 'remediation', 'closed', 'cancelled')),
  corrective_actions jsonb not null default '[]',
  corrective_due_date date,
  report_path text,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint compliance_audits_findings_array check (jsonb_typeof(findings) = 'array'),
  constraint compliance_audits_actions_array check (jsonb_typeof(corrective_actions) = 'array'),
  constraint compliance_audits_done_check check (status not in ('completed', 'remediation', 'closed') or (conducted_date is not null and outcome is not null))
);

create index idx_compliance_audits_vendor_id on public.compliance_audits (vendor_id, scheduled_date desc);
create index idx_compliance_audits_auditor_id on public.compliance_audits (auditor_id);
create index idx_compliance_audits_status on public.compliance_audits (status);
create index idx_compliance_audits_type on public.compliance_audits (audit_type);
create index idx_compliance_audits_scheduled_date on public.compliance_audits (scheduled_date);
create index idx_compliance_audits_corrective_due on public.compliance_audits (corrective_due_date) where status = 'remediation';

create trigger set_updated_at before update on public.compliance_audits
  for each row execute function private.set_updated_at();
create trigger audit_row after insert or update or delete on public.compliance_audits
  for each row execute function private.audit_row();

alter table public.compliance_audits enable row level security;

comment on table public.compliance_audits is 'Planned and conducted compliance audits of vendors (hygiene, licences, fire safety) and of the platform (data protection, GST, labour law).';
comment on column public.compliance_audits.vendor_id is 'Audited vendor; null for audits of OMBARO itself.';
comment on column public.compliance_audits.external_auditor is 'Firm or person when the audit is done by an outside party (e.g. a CA firm for GST).';
comment on column public.compliance_audits.findings is 'Observations: [{"code", "severity": "minor|major|critical", "description", "evidence_paths": [...]}].';
comment on column public.compliance_audits.score is 'Audit score out of 100.';
comment on column public.compliance_audits.corrective_actions is 'Required fixes: [{"action", "owner", "due_date", "status"}].';
comment on column public.compliance_audits.status is 'remediation: conducted, waiting for corrective actions before closing.';
comment on column public.compliance_audits.report_path is 'Storage path of the signed audit report.';
