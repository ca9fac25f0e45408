-- Audience roles: customer and partner may do exactly what authenticated may do.
--
-- V24 introduced the roles a signed-in user's token names (customer, partner, authenticated)
-- so that Postgres plans a customer's or a partner's statement with only the policy arms
-- that can admit their rows. Every migration grants to and writes policies for
-- `authenticated`; this one, applied after them, hands the same to the two narrower roles:
-- privileges on schemas, tables, columns, sequences, functions and types, the role's
-- settings (statement_timeout), and every policy, except where a table already has the
-- audience's own policy for that command (the select policies of V26-V28 on the tables that
-- grow with bookings and users).
--
-- A later migration that grants or writes policies for authenticated ends with
-- `select private.share_with_audiences();`: the pgTAP file 91_audience_roles checks that the
-- three roles hold the same privileges and that every policy of authenticated reaches the
-- other two.

create or replace function private.share_with_audiences()
returns void
language plpgsql
set search_path = ''
as $$
declare
  audience text;
  grant_row record;
begin
  foreach audience in array array['customer', 'partner'] loop
    for grant_row in
      select format('grant %s on schema %I to %I', a.privilege_type, n.nspname, audience) as sql
        from pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
       where a.grantee = 'authenticated'::regrole
      union all
      select format('grant %s on %s %s to %I', a.privilege_type,
                    case c.relkind when 'S' then 'sequence' else 'table' end, c.oid::regclass, audience)
        from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
       where a.grantee = 'authenticated'::regrole
      union all
      select format('grant %s (%I) on table %s to %I', a.privilege_type, att.attname, att.attrelid::regclass, audience)
        from pg_catalog.pg_attribute att, pg_catalog.aclexplode(att.attacl) a
       where a.grantee = 'authenticated'::regrole and not att.attisdropped
      union all
      select format('grant execute on %s %s to %I',
                    case p.prokind when 'p' then 'procedure' else 'function' end, p.oid::regprocedure, audience)
        from pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
       where a.grantee = 'authenticated'::regrole
      union all
      select format('grant usage on type %s to %I', t.oid::regtype, audience)
        from pg_catalog.pg_type t, pg_catalog.aclexplode(t.typacl) a
       where a.grantee = 'authenticated'::regrole
      union all
      select format('alter role %I set %I = %L', audience, split_part(setting, '=', 1),
                    substr(setting, length(split_part(setting, '=', 1)) + 2))
        from pg_catalog.pg_db_role_setting s, unnest(s.setconfig) setting
       where s.setrole = 'authenticated'::regrole and s.setdatabase = 0
      union all
      -- A policy of authenticated reaches the audience unless the table has the audience's
      -- own policy for that command.
      select format('alter policy %I on %s to %s', pol.polname, pol.polrelid::regclass,
                    (select string_agg(quote_ident(r.rolname), ', ' order by r.rolname)
                       from pg_catalog.pg_roles r
                      where r.oid = any (pol.polroles) or r.rolname = audience))
        from pg_catalog.pg_policy pol
       where 'authenticated'::regrole = any (pol.polroles)
         and not (audience::regrole = any (pol.polroles))
         and not exists (
           select 1 from pg_catalog.pg_policy own
            where own.polrelid = pol.polrelid
              and own.polcmd = pol.polcmd
              and audience::regrole = any (own.polroles)
         )
    loop
      execute grant_row.sql;
    end loop;
  end loop;
end
$$;

comment on function private.share_with_audiences() is
  'Gives the customer and partner roles every privilege, setting and policy of authenticated, except where a table has the audience''s own policy for a command.';

revoke execute on function private.share_with_audiences() from public;

select private.share_with_audiences();
