-- One permissive policy per table, role and command.
--
-- The security migrations write one policy per audience ("customers read their bookings",
-- "vendors read theirs", "finance reads all payments"), which is how people reason about
-- access. Postgres evaluates every permissive policy that applies, and Supabase's linter
-- flags each table/role/command that has several. Permissive policies combine with OR, so
-- merging them changes nothing about who sees what: the merged policy's USING is the OR of
-- their USINGs, its WITH CHECK the OR of their checks (an update policy without a check uses
-- its USING, as Postgres does). The merged policy's comment lists the policies it replaces.
--
-- A policy written for several roles (`to anon, authenticated`) is split per role first.

do $$
declare
  grp record;
  pol record;
  usings text[];
  checks text[];
  names text[];
  merged text;
begin
  for grp in
    select p.polrelid, r.role, p.polcmd
      from pg_catalog.pg_policy p
      cross join lateral unnest(p.polroles) as r(role)
      join pg_catalog.pg_class c on c.oid = p.polrelid
     where p.polpermissive
       and c.relnamespace in ('public'::regnamespace, 'storage'::regnamespace)
     group by p.polrelid, r.role, p.polcmd
    having count(*) > 1
  loop
    usings := '{}';
    checks := '{}';
    names := '{}';
    for pol in
      select p.oid, p.polname,
             pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expr,
             pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expr,
             p.polroles
        from pg_catalog.pg_policy p
       where p.polrelid = grp.polrelid and p.polcmd = grp.polcmd and p.polpermissive
         and grp.role = any (p.polroles)
       order by p.polname
    loop
      names := names || pol.polname::text;
      if pol.using_expr is not null then
        usings := usings || ('(' || pol.using_expr || ')');
      end if;
      if grp.polcmd in ('a', 'w') then
        checks := checks || ('(' || coalesce(pol.check_expr, pol.using_expr) || ')');
      end if;
      -- Keep the policy for its other roles; drop it when this was its only one.
      if cardinality(pol.polroles) > 1 then
        execute format('alter policy %I on %s to %s', pol.polname, grp.polrelid::regclass,
          (select string_agg(quote_ident(pg_catalog.pg_get_userbyid(x)), ', ')
             from unnest(pol.polroles) x where x <> grp.role));
      else
        execute format('drop policy %I on %s', pol.polname, grp.polrelid::regclass);
      end if;
    end loop;

    merged := format('%s %s', pg_catalog.pg_get_userbyid(grp.role),
      case grp.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end);
    execute format('create policy %I on %s as permissive for %s to %I%s%s',
      merged, grp.polrelid::regclass,
      case grp.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end,
      pg_catalog.pg_get_userbyid(grp.role),
      case when cardinality(usings) > 0 then ' using (' || array_to_string(usings, ' or ') || ')' else '' end,
      case when cardinality(checks) > 0 then ' with check (' || array_to_string(checks, ' or ') || ')' else '' end);
    execute format('comment on policy %I on %s is %L', merged, grp.polrelid::regclass,
      'Merges: ' || array_to_string(names, '; '));
  end loop;
end
$$;
