-- Departments: the internal organisation that runs the platform (Directors; Finance ->
-- Accounts; HR -> Staff; Legal -> Advocate, CA/CS; IT; Marketing -> Customer Data;
-- Operations -> F.O., Customer Care, Vendor List; Corporate Office; H.O.), and a closure
-- table of that tree.
--
-- "Everyone in Finance, including Accounts" and "the chain above this team" are asked by
-- RLS policies and reports on every request; department_hierarchy answers both with one
-- indexed lookup instead of a recursive query. A trigger keeps it in step with
-- departments.parent_id and refuses moves that would create a cycle.

-- departments --------------------------------------------------------------------------

create table public.departments (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[a-z][a-z0-9_]*$'),
  name text not null,
  description text,
  parent_id uuid references public.departments (id) on delete restrict,
  head_employee_id uuid,
  cost_centre text unique check (cost_centre ~ '^[A-Z0-9][A-Z0-9-]{1,19}$'),
  email text check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone text check (phone ~ '^\+?[0-9]{8,15}$'),
  sort_order integer not null default 0,
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint departments_not_own_parent check (parent_id is distinct from id)
);

comment on table public.departments is 'Internal departments and sub-departments of the OMBARO organisation; employees and department roles belong to one.';
comment on column public.departments.code is 'Stable code (finance, accounts, customer_care ...) used by seeds and configuration.';
comment on column public.departments.parent_id is 'Department this one reports into; a department with sub-departments cannot be deleted.';
comment on column public.departments.head_employee_id is 'Employee heading the department; approvals escalate to them.';
comment on column public.departments.cost_centre is 'Cost centre code that expenses, budgets and salaries of the department are booked to.';
comment on column public.departments.email is 'Shared mailbox of the department (escalations, vendor and customer correspondence).';

create index idx_departments_parent_id on public.departments (parent_id);
-- FK added in V6: head_employee_id -> employees
create index idx_departments_head_employee_id on public.departments (head_employee_id);
create index idx_departments_active on public.departments (sort_order) where is_active;

create trigger set_updated_at before update on public.departments
  for each row execute function private.set_updated_at();

create trigger audit_row after insert or update or delete on public.departments
  for each row execute function private.audit_row();

alter table public.departments enable row level security;

-- department_hierarchy -----------------------------------------------------------------

create table public.department_hierarchy (
  ancestor_id uuid not null references public.departments (id) on delete cascade,
  descendant_id uuid not null references public.departments (id) on delete cascade,
  depth integer not null check (depth >= 0),
  created_at timestamptz not null default now(),
  primary key (ancestor_id, descendant_id),
  constraint department_hierarchy_self check ((depth = 0) = (ancestor_id = descendant_id))
);

comment on table public.department_hierarchy is 'Closure table of departments: one row per (ancestor, descendant) pair including each department with itself at depth 0. Maintained by trigger; never written directly.';
comment on column public.department_hierarchy.depth is 'Number of parent links from ancestor down to descendant.';

create index idx_department_hierarchy_descendant_id on public.department_hierarchy (descendant_id, depth);
create index idx_department_hierarchy_ancestor_id_depth on public.department_hierarchy (ancestor_id, depth);

alter table public.department_hierarchy enable row level security;

-- Rejects a parent that is the department itself or one of its descendants. Moves are
-- serialised so two concurrent moves cannot together close a loop. Security definer so
-- that RLS on department_hierarchy cannot hide the rows the check needs.
create or replace function private.check_department_parent()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.parent_id is null then
    return new;
  end if;
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('public.department_hierarchy'));
  if new.parent_id = new.id or exists (
    select 1 from public.department_hierarchy h
     where h.ancestor_id = new.id and h.descendant_id = new.parent_id
  ) then
    raise exception 'department % cannot report into itself or one of its sub-departments', new.code
      using errcode = '23514';
  end if;
  return new;
end
$$;

-- Inserts: the department under itself and under every ancestor of its parent.
-- Parent changes: detach the department's subtree from its old ancestors and attach it
-- under the new parent's ancestors.
create or replace function private.maintain_department_hierarchy()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    insert into public.department_hierarchy (ancestor_id, descendant_id, depth)
    values (new.id, new.id, 0);
    insert into public.department_hierarchy (ancestor_id, descendant_id, depth)
    select h.ancestor_id, new.id, h.depth + 1
      from public.department_hierarchy h
     where h.descendant_id = new.parent_id;
    return null;
  end if;

  delete from public.department_hierarchy link
   where link.descendant_id in (select sub.descendant_id from public.department_hierarchy sub where sub.ancestor_id = new.id)
     and link.ancestor_id not in (select sub.descendant_id from public.department_hierarchy sub where sub.ancestor_id = new.id);

  if new.parent_id is not null then
    insert into public.department_hierarchy (ancestor_id, descendant_id, depth)
    select sup.ancestor_id, sub.descendant_id, sup.depth + sub.depth + 1
      from public.department_hierarchy sup
     cross join public.department_hierarchy sub
     where sup.descendant_id = new.parent_id
       and sub.ancestor_id = new.id;
  end if;
  return null;
end
$$;

create trigger check_department_parent before insert or update of parent_id on public.departments
  for each row execute function private.check_department_parent();

create trigger maintain_department_hierarchy after insert on public.departments
  for each row execute function private.maintain_department_hierarchy();

create trigger maintain_department_hierarchy_on_move after update of parent_id on public.departments
  for each row when (old.parent_id is distinct from new.parent_id)
  execute function private.maintain_department_hierarchy();

-- roles.department_id was left without its foreign key in V4 (departments did not exist).
alter table public.roles
  add constraint roles_department_id_fkey foreign key (department_id)
  references public.departments (id) on delete set null;
