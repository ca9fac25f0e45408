-- Policy and trigger helpers in PL/pgSQL: the same bodies, planned once per connection.
--
-- What it changes and why: these `private` helpers (V1-V31) were `language sql` with
-- `set search_path = ''` (and mostly `security definer`). Postgres never inlines such a
-- function, and runs a non-inlined SQL function by parsing, analysing and planning its body
-- again in every statement that calls it. RLS policies call them as initplans
-- (`(select private.has_role('admin'))`), so every API statement paid that once per helper:
-- `ombaro bench rls` showed single helper initplans of 0.2-0.9 ms on pages whose filtered
-- query takes 0.04 ms. PL/pgSQL keeps a function's plans for the life of the connection.
--
-- Each function keeps its arguments, result, volatility, security, search_path, grants and
-- comment; only the language changes. The bodies are the SQL bodies unchanged, returned as
-- a scalar subquery (each yields at most one row, as a SQL function returns its first).
-- `#variable_conflict use_column` keeps SQL-function name resolution: where a column and an
-- argument share a name, the column wins, as it did.

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

create or replace function private.booking_ids_of_current_therapist()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct a.booking_id), '{}')
      from public.therapist_assignments a
     where a.therapist_id = any (private.therapist_ids_of_current_user())
  );
end
$$;

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

create or replace function private.current_roles()
returns text[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct code), '{}')
      from (
        select p.role as code
          from public.user_profiles p
         where p.id = (select auth.uid()) and p.status = 'active'
        union all
        select r.code
          from public.user_roles ur
          join public.roles r on r.id = ur.role_id
          join public.user_profiles p on p.id = ur.user_id and p.status = 'active'
         where ur.user_id = (select auth.uid())
           and ur.revoked_at is null
           and ur.valid_from <= now()
           and (ur.valid_until is null or ur.valid_until > now())
      ) held
  );
end
$$;

create or replace function private.customer_ids_served_now()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(distinct a.customer_id), '{}')
      from public.therapist_assignments a
     where a.therapist_id = any (private.therapist_ids_of_current_user())
       and a.status in ('assigned', 'acknowledged', 'in_transit', 'reached', 'in_progress')
  );
end
$$;

create or replace function private.decrypt_text(cipher bytea)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when cipher is null then null else extensions.pgp_sym_decrypt(cipher, private.encryption_key()) end
  );
end
$$;

create or replace function private.encrypt_text(plain text)
returns bytea
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when plain is null then null
                else extensions.pgp_sym_encrypt(plain, private.encryption_key(), 'cipher-algo=aes256') end
  );
end
$$;

create or replace function private.financial_year(d date)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select 'FY' || y::text || '-' || lpad(((y + 1) % 100)::text, 2, '0')
      from (select case when extract(month from d) >= 4 then extract(year from d)::integer
                        else extract(year from d)::integer - 1 end as y) as fy
  );
end
$$;

create or replace function private.has_any_role(roles text[])
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select private.current_roles() && roles
  );
end
$$;

create or replace function private.has_permission(module text, action text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    with held as (
      select coalesce(array_agg(r.code), '{}') as roles
        from public.roles r
       where r.code = any (private.current_roles())
         and r.category in ('platform', 'department', 'sub_department')
         and r.is_active
    )
    select 'super_admin' = any (held.roles)
        or exists (
          select 1
            from public.role_permissions rp
           where rp.role_id = any (held.roles)
             and (rp.module_id = module or rp.sub_module_id = module)
             and action = any (rp.permissions)
        )
      from held
  );
end
$$;

create or replace function private.has_role(role text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select role = any (private.current_roles())
  );
end
$$;

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

create or replace function private.is_active_employee()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select exists (
      select 1 from public.employees e
       where e.id = (select auth.uid()) and e.status in ('active', 'on_leave') and e.deleted_at is null
    )
  );
end
$$;

create or replace function private.is_api_caller()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select current_user in ('anon', 'authenticated')
  );
end
$$;

create or replace function private.is_service_role()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(
      nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
      current_setting('request.jwt.claim.role', true)
    ) = 'service_role'
  );
end
$$;

create or replace function private.mask_last4(plain text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select case when plain is null then null
                when length(plain) <= 4 then repeat('•', length(plain))
                else repeat('•', length(plain) - 4) || right(plain, 4) end
  );
end
$$;

create or replace function private.next_complaint_number()
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select 'CMP-' || to_char(now() at time zone 'Asia/Kolkata', 'YYYYMMDD') || '-'
        || lpad(nextval('private.customer_complaint_number_seq')::text, 6, '0')
  );
end
$$;

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

create or replace function private.reports_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    with recursive line as (
      select e.id, 1 as depth from public.employees e where e.reporting_manager = (select auth.uid())
      union all
      select e.id, line.depth + 1 from public.employees e join line on e.reporting_manager = line.id
       where line.depth < 20
    )
    select coalesce(array_agg(id), '{}') from line
  );
end
$$;

create or replace function private.setting_value(setting_key text, at_time timestamp with time zone default now())
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select s.value
      from public.system_settings s
     where s.key = setting_key
       and s.effective_from <= at_time
     order by s.effective_from desc
     limit 1
  );
end
$$;

create or replace function private.sha256_hex(plain text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select encode(extensions.digest(plain, 'sha256'), 'hex')
  );
end
$$;

create or replace function private.therapist_ids_of_current_user()
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
     where t.user_id = (select auth.uid()) and t.deleted_at is null
  );
end
$$;

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

create or replace function private.ticket_ids_of_current_user()
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
      from public.support_tickets t
     where t.raised_by = (select auth.uid()) or t.customer_id = (select auth.uid())
  );
end
$$;

create or replace function private.vendor_ids_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(id), '{}')
      from (
        select v.id from public.vendors v where v.id = (select auth.uid()) and v.deleted_at is null
        union
        select s.vendor_id from public.vendor_staff s where s.user_id = (select auth.uid()) and s.status = 'active'
      ) mine
  );
end
$$;

create or replace function private.vendor_ids_where_staff_can(permission text)
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(v.id), '{}')
      from unnest(private.vendor_ids_of_current_user()) as v (id)
     where private.vendor_staff_can(v.id, permission)
  );
end
$$;

create or replace function private.vendor_staff_can(vendor uuid, permission text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select vendor = (select auth.uid())
        or exists (
          select 1
            from public.vendor_staff s
           where s.vendor_id = vendor
             and s.user_id = (select auth.uid())
             and s.status = 'active'
             and (
               permission = any (coalesce(s.permissions, '{}'))
               or (s.role in ('manager', 'admin') and permission not like 'payouts.%' and permission not like 'bank.%')
               or (s.role = 'accountant' and (permission like 'payouts.%' or permission like '%.view'))
             )
        )
  );
end
$$;

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
