-- Roles & Permissions: the 22 roles and their hierarchy, the permission catalogue
-- (module x action), what each role may do, extra and delegated roles per user, and the
-- append-only history of every role a user gained or lost.
--
-- user_profiles.role stays the primary role (the spec's model, and what the apps read);
-- user_roles adds further roles, time-boxed grants and delegations on top. Both feed
-- role_assignment_history through triggers, so the history cannot be skipped by a client
-- that writes the tables directly. The actor comes from the JWT
-- (private.current_actor_id()) and the reason from the `ombaro.change_reason` setting,
-- which a caller sets with `select set_config('ombaro.change_reason', '...', true)`.
--
-- Which rows a role can see is decided by RLS policies in the security migration; these
-- tables say which modules and actions a role has at all.

-- roles --------------------------------------------------------------------------------

create table public.roles (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  description text,
  category text not null check (category in ('platform', 'department', 'sub_department', 'staff', 'external')),
  parent_role_id uuid references public.roles (id) on delete set null,
  level smallint check (level between 0 and 10),
  department_id uuid,
  is_system boolean not null default false,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint roles_not_own_parent check (parent_role_id is distinct from id)
);

comment on table public.roles is 'The roles of user_profiles.role: super_admin at the top, then directors, departments and sub-departments; customers, vendors and therapists are external roles outside that chain.';
comment on column public.roles.code is 'Stable code used in user_profiles.role, role_permissions.role_id and JWT claims.';
comment on column public.roles.category is 'platform (super_admin, admin, directors), department, sub_department, staff (employee) or external (customer, vendor, therapist).';
comment on column public.roles.parent_role_id is 'The role directly above in the organisation; a parent oversees what its children do.';
comment on column public.roles.level is 'Rank in the organisation: 0 super_admin, 1 directors and admin, 2 departments, 3 sub-departments, 4 staff; null for external roles.';
comment on column public.roles.department_id is 'Department whose members hold this role, for department roles.';
comment on column public.roles.is_system is 'Roles the platform code depends on; they are seeded and must not be renamed or removed.';

create index idx_roles_parent_role_id on public.roles (parent_role_id);
-- FK added in V5: department_id -> departments
create index idx_roles_department_id on public.roles (department_id);
create index idx_roles_category_level on public.roles (category, level);

-- A role may not end up below itself. Security definer so that RLS on roles cannot hide
-- the ancestors the check walks.
create or replace function private.check_role_hierarchy()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.parent_role_id is not null and exists (
    with recursive up as (
      select r.id, r.parent_role_id from public.roles r where r.id = new.parent_role_id
      union
      select r.id, r.parent_role_id from public.roles r join up on r.id = up.parent_role_id
    )
    select 1 from up where up.id = new.id
  ) then
    raise exception 'role % cannot be placed under its own descendant', new.code
      using errcode = '23514';
  end if;
  return new;
end
$$;

create trigger check_role_hierarchy before insert or update of parent_role_id on public.roles
  for each row execute function private.check_role_hierarchy();

create trigger set_updated_at before update on public.roles
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.roles
  for each row execute function private.audit_row();

alter table public.roles enable row level security;

-- user_profiles.role is one of the role codes; a role in use cannot be removed or renamed.
alter table public.user_profiles
  add constraint user_profiles_role_fkey foreign key (role) references public.roles (code)
  on update restrict on delete restrict;

-- permission_modules -------------------------------------------------------------------

create table public.permission_modules (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  description text,
  parent_id uuid references public.permission_modules (id) on delete cascade,
  sort_order integer not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint permission_modules_not_own_parent check (parent_id is distinct from id)
);

comment on table public.permission_modules is 'Areas of the admin apps that permissions are granted on (bookings, payments, salaries ...), grouped under parent modules.';
comment on column public.permission_modules.code is 'Stable code used by role_permissions.module_id / sub_module_id and by the apps.';
comment on column public.permission_modules.parent_id is 'Group this module belongs to (finance, human_resources ...); groups have no parent.';
comment on column public.permission_modules.sort_order is 'Position in the admin navigation.';

create index idx_permission_modules_parent_id on public.permission_modules (parent_id);
create index idx_permission_modules_active on public.permission_modules (sort_order) where is_active;

create trigger set_updated_at before update on public.permission_modules
  for each row execute function private.set_updated_at();

alter table public.permission_modules enable row level security;

-- permissions --------------------------------------------------------------------------

create table public.permissions (
  id uuid primary key default gen_random_uuid(),
  module_id uuid not null references public.permission_modules (id) on delete cascade,
  action text not null check (action in ('read', 'create', 'update', 'delete', 'approve', 'export')),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]*\.(read|create|update|delete|approve|export)$'),
  description text,
  is_sensitive boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (module_id, action)
);

comment on table public.permissions is 'Catalogue of grantable permissions: one row per module and action, e.g. payments.approve.';
comment on column public.permissions.code is '<module code>.<action>, the string the apps check.';
comment on column public.permissions.is_sensitive is 'Grants that expose money or personal data (salaries.read, customers.export); granting them needs director approval.';

create index idx_permissions_action on public.permissions (action);
create index idx_permissions_sensitive on public.permissions (module_id) where is_sensitive;

create trigger set_updated_at before update on public.permissions
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.permissions
  for each row execute function private.audit_row();

alter table public.permissions enable row level security;

-- role_permissions ---------------------------------------------------------------------

create table public.role_permissions (
  id uuid primary key default gen_random_uuid(),
  role_id text not null references public.roles (code) on update cascade on delete cascade,
  module_id text not null references public.permission_modules (code) on update cascade on delete cascade,
  sub_module_id text references public.permission_modules (code) on update cascade on delete cascade,
  permissions text[] not null default '{}' check (
    permissions <@ array['read', 'create', 'update', 'delete', 'approve', 'export']::text[]
    and array_position(permissions, null) is null
  ),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint role_permissions_role_id_module_id_sub_module_id_key unique nulls not distinct (role_id, module_id, sub_module_id)
);

comment on table public.role_permissions is 'Which actions a role has on a module (or one sub-module of it); the spec''s Department-Specific Access Policies in data form.';
comment on column public.role_permissions.role_id is 'Role code (roles.code), as in user_profiles.role.';
comment on column public.role_permissions.module_id is 'Module code (permission_modules.code).';
comment on column public.role_permissions.sub_module_id is 'Optional narrower module code; null grants the whole module. Unique with nulls equal, so a role has one whole-module row per module.';
comment on column public.role_permissions.permissions is 'Granted actions, a subset of read, create, update, delete, approve, export.';

-- A role's rows are found through the unique (role_id, module_id, sub_module_id) index.
create index idx_role_permissions_module on public.role_permissions (module_id);
create index idx_role_permissions_sub_module on public.role_permissions (sub_module_id);

create trigger set_updated_at before update on public.role_permissions
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.role_permissions
  for each row execute function private.audit_row();

alter table public.role_permissions enable row level security;

-- delegation_history -------------------------------------------------------------------

create table public.delegation_history (
  id uuid primary key default gen_random_uuid(),
  delegator_id uuid not null references auth.users (id) on delete cascade,
  delegate_id uuid not null references auth.users (id) on delete cascade,
  role_id uuid not null references public.roles (id) on delete restrict,
  modules text[] not null default '{}',
  scope jsonb not null default '{}'::jsonb,
  starts_at timestamptz not null default now(),
  ends_at timestamptz not null,
  reason text not null,
  status text not null default 'scheduled' check (status in ('scheduled', 'active', 'expired', 'revoked')),
  approved_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  revoke_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint delegation_history_distinct_people check (delegator_id <> delegate_id),
  constraint delegation_history_period check (ends_at > starts_at),
  constraint delegation_history_revoked check ((status = 'revoked') = (revoked_at is not null))
);

comment on table public.delegation_history is 'Temporary hand-over of a role (or some of its modules) from one person to another, e.g. a finance head on leave delegating settlement approval.';
comment on column public.delegation_history.role_id is 'The delegator''s role being lent.';
comment on column public.delegation_history.modules is 'Permission module codes the delegation is limited to; empty means the whole role.';
comment on column public.delegation_history.scope is 'Further limits, e.g. { "city_ids": [...], "max_amount_paise": 5000000 }.';
comment on column public.delegation_history.status is 'scheduled until starts_at, active until ends_at (then expired), or revoked early.';

create index idx_delegation_history_delegator_id on public.delegation_history (delegator_id, starts_at desc);
create index idx_delegation_history_delegate_id on public.delegation_history (delegate_id, starts_at desc);
create index idx_delegation_history_role_id on public.delegation_history (role_id);
create index idx_delegation_history_status_ends_at on public.delegation_history (status, ends_at);
create index idx_delegation_history_approved_by on public.delegation_history (approved_by);
create index idx_delegation_history_revoked_by on public.delegation_history (revoked_by);

create trigger set_updated_at before update on public.delegation_history
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.delegation_history
  for each row execute function private.audit_row();

alter table public.delegation_history enable row level security;

-- user_roles ---------------------------------------------------------------------------

create table public.user_roles (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  role_id uuid not null references public.roles (id) on delete restrict,
  is_primary boolean not null default false,
  granted_by uuid references auth.users (id) on delete set null,
  valid_from timestamptz not null default now(),
  valid_until timestamptz,
  delegated_from uuid references auth.users (id) on delete set null,
  delegation_id uuid references public.delegation_history (id) on delete cascade,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  revoke_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint user_roles_validity check (valid_until is null or valid_until > valid_from),
  constraint user_roles_not_self_delegated check (delegated_from is distinct from user_id),
  constraint user_roles_delegation_pair check (delegation_id is null or delegated_from is not null)
);

comment on table public.user_roles is 'Roles a user holds besides (or mirroring) user_profiles.role: a director who also heads finance, a time-boxed grant, or a delegated role.';
comment on column public.user_roles.is_primary is 'Marks the assignment that mirrors user_profiles.role; at most one live one per user.';
comment on column public.user_roles.valid_from is 'The role applies from this instant (grants can be scheduled).';
comment on column public.user_roles.valid_until is 'The role lapses at this instant; null = until revoked.';
comment on column public.user_roles.delegated_from is 'The person who lent this role, for delegated assignments.';
comment on column public.user_roles.delegation_id is 'The delegation that created this assignment; it goes when the delegation record goes.';
comment on column public.user_roles.revoked_at is 'Set instead of deleting, so the assignment stays visible; null = live.';

create index idx_user_roles_user_id on public.user_roles (user_id);
create unique index idx_user_roles_user_id_role_id_live on public.user_roles (user_id, role_id) where revoked_at is null;
create unique index idx_user_roles_user_id_primary on public.user_roles (user_id) where is_primary and revoked_at is null;
create index idx_user_roles_role_id on public.user_roles (role_id);
create index idx_user_roles_granted_by on public.user_roles (granted_by);
create index idx_user_roles_delegated_from on public.user_roles (delegated_from);
create index idx_user_roles_delegation_id on public.user_roles (delegation_id);
create index idx_user_roles_revoked_by on public.user_roles (revoked_by);
create index idx_user_roles_valid_until on public.user_roles (valid_until) where revoked_at is null and valid_until is not null;

create trigger set_updated_at before update on public.user_roles
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.user_roles
  for each row execute function private.audit_row();

alter table public.user_roles enable row level security;

-- role_assignment_history --------------------------------------------------------------

create table public.role_assignment_history (
  id uuid primary key default gen_random_uuid(),
  user_id uuid references auth.users (id) on delete set null,
  role_code text not null,
  action text not null check (action in ('granted', 'revoked', 'changed', 'expired')),
  from_role text,
  to_role text,
  source text not null check (source in ('user_profiles', 'user_roles')),
  user_role_id uuid,
  changed_by uuid references auth.users (id) on delete set null,
  reason text,
  changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint role_assignment_history_change check (action <> 'changed' or (from_role is not null and to_role is not null))
);

comment on table public.role_assignment_history is 'Append-only record of every role a user gained, lost or switched, written by triggers on user_profiles.role and user_roles.';
comment on column public.role_assignment_history.user_id is 'Whose role changed; set null when the account is erased, the fact itself stays.';
comment on column public.role_assignment_history.role_code is 'Role concerned (the new role for changes), copied as text so the record outlives the role.';
comment on column public.role_assignment_history.from_role is 'Role code before a change or revocation.';
comment on column public.role_assignment_history.to_role is 'Role code after a grant or change.';
comment on column public.role_assignment_history.source is 'Which table the change was made in.';
comment on column public.role_assignment_history.user_role_id is 'The user_roles row concerned; kept without a foreign key because the history outlives that row.';
comment on column public.role_assignment_history.changed_by is 'Who made the change (JWT subject); null for service jobs.';
comment on column public.role_assignment_history.reason is 'Why, from the ombaro.change_reason setting or the revoke reason.';
comment on column public.role_assignment_history.changed_at is 'When the change took effect; for expiries this is valid_until, which may precede the row.';

create index idx_role_assignment_history_user_id_changed_at on public.role_assignment_history (user_id, changed_at desc);
create index idx_role_assignment_history_role_code on public.role_assignment_history (role_code, changed_at desc);
create index idx_role_assignment_history_changed_by on public.role_assignment_history (changed_by);
create index idx_role_assignment_history_user_role_id on public.role_assignment_history (user_role_id) where user_role_id is not null;

-- Rows are facts; only the set-null of an erased user or actor may touch them (that runs
-- inside the referential trigger, at trigger depth 1).
create trigger forbid_change before update or delete on public.role_assignment_history
  for each row when (pg_trigger_depth() = 0) execute function private.forbid_change();

alter table public.role_assignment_history enable row level security;

-- History triggers ---------------------------------------------------------------------

-- user_roles: insert = granted; revoked_at set = revoked (expired when it is set at or
-- after valid_until); revoked_at cleared = granted again; role_id switched = changed;
-- deleting a live assignment = revoked. Rows removed because the user account itself is
-- being erased are not recorded (the history of an erased user is anonymised anyway).
create or replace function private.log_user_role_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor uuid := private.current_actor_id();
  why text := nullif(current_setting('ombaro.change_reason', true), '');
  old_code text;
  new_code text;
begin
  if tg_op in ('UPDATE', 'DELETE') then
    select r.code into old_code from public.roles r where r.id = old.role_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    select r.code into new_code from public.roles r where r.id = new.role_id;
  end if;

  if tg_op = 'INSERT' then
    insert into public.role_assignment_history (user_id, role_code, action, to_role, source, user_role_id, changed_by, reason, changed_at)
    values (new.user_id, new_code, 'granted', new_code, 'user_roles', new.id, coalesce(actor, new.granted_by), why, new.valid_from);

  elsif tg_op = 'UPDATE' then
    if new.role_id is distinct from old.role_id then
      insert into public.role_assignment_history (user_id, role_code, action, from_role, to_role, source, user_role_id, changed_by, reason)
      values (new.user_id, new_code, 'changed', old_code, new_code, 'user_roles', new.id, actor, why);
    end if;
    if old.revoked_at is null and new.revoked_at is not null then
      if new.valid_until is not null and new.revoked_at >= new.valid_until then
        insert into public.role_assignment_history (user_id, role_code, action, from_role, source, user_role_id, changed_by, reason, changed_at)
        values (new.user_id, new_code, 'expired', new_code, 'user_roles', new.id, coalesce(actor, new.revoked_by), coalesce(why, new.revoke_reason), new.valid_until);
      else
        insert into public.role_assignment_history (user_id, role_code, action, from_role, source, user_role_id, changed_by, reason, changed_at)
        values (new.user_id, new_code, 'revoked', new_code, 'user_roles', new.id, coalesce(actor, new.revoked_by), coalesce(why, new.revoke_reason), new.revoked_at);
      end if;
    elsif old.revoked_at is not null and new.revoked_at is null then
      insert into public.role_assignment_history (user_id, role_code, action, to_role, source, user_role_id, changed_by, reason)
      values (new.user_id, new_code, 'granted', new_code, 'user_roles', new.id, actor, why);
    end if;

  elsif old.revoked_at is null and exists (select 1 from auth.users u where u.id = old.user_id) then
    insert into public.role_assignment_history (user_id, role_code, action, from_role, source, user_role_id, changed_by, reason)
    values (old.user_id, old_code, 'revoked', old_code, 'user_roles', old.id, actor, coalesce(why, old.revoke_reason));
  end if;
  return null;
end
$$;

create trigger log_role_assignment after insert or update or delete on public.user_roles
  for each row execute function private.log_user_role_change();

-- user_profiles.role: the first role of a profile is a grant, every switch a change.
create or replace function private.log_profile_role_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor uuid := private.current_actor_id();
  why text := nullif(current_setting('ombaro.change_reason', true), '');
begin
  if tg_op = 'INSERT' then
    insert into public.role_assignment_history (user_id, role_code, action, to_role, source, changed_by, reason)
    values (new.id, new.role, 'granted', new.role, 'user_profiles', actor, why);
  else
    insert into public.role_assignment_history (user_id, role_code, action, from_role, to_role, source, changed_by, reason)
    values (new.id, new.role, 'changed', old.role, new.role, 'user_profiles', actor, why);
  end if;
  return null;
end
$$;

create trigger log_role_assignment after insert on public.user_profiles
  for each row execute function private.log_profile_role_change();

create trigger log_role_change after update of role on public.user_profiles
  for each row when (old.role is distinct from new.role) execute function private.log_profile_role_change();

revoke all on function private.check_role_hierarchy(), private.log_user_role_change(), private.log_profile_role_change() from public;
