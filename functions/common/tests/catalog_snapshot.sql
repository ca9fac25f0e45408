-- Everything the migrations define, one row per object, normalized so that two databases
-- built by different histories compare equal when they end in the same schema: no OIDs, no
-- creation order, role lists sorted, absent ACLs replaced by the defaults they stand for.
-- Columns: kind, name (identity inside its kind), detail (what must be equal).
-- Comments are left out on purpose (they document history, not behaviour).
with
ns as (
  select oid, nspname from pg_namespace where nspname in ('public', 'private', 'partitions')
),
rel as (
  select c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) as name, c.relacl, c.relowner
    from pg_class c join ns n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
),
fn as (
  select p.oid, format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as name,
         p.proacl, p.proowner, p.prokind
    from pg_proc p join ns n on n.oid = p.pronamespace
   where not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
)
select 'schema' as kind, n.nspname::text as name,
       (select string_agg(format('%s:%s', coalesce(nullif(a.grantee::regrole::text, '-'), 'public'), a.privilege_type), ',' order by 1)
          from aclexplode(coalesce(n2.nspacl, acldefault('n', n2.nspowner))) a) as detail
  from ns n join pg_namespace n2 on n2.oid = n.oid
union all
select 'extension', e.extname, e.extnamespace::regnamespace::text from pg_extension e
union all
select 'relation', r.name,
       format('kind=%s rls=%s force=%s partkey=%s bound=%s', r.relkind, c.relrowsecurity, c.relforcerowsecurity,
              pg_get_partkeydef(r.oid), pg_get_expr(c.relpartbound, r.oid))
  from rel r join pg_class c on c.oid = r.oid
union all
select 'view', r.name, pg_get_viewdef(r.oid) from rel r where r.relkind in ('v', 'm')
union all
select 'sequence', r.name, format('%s start=%s inc=%s min=%s max=%s cycle=%s', s.seqtypid::regtype, s.seqstart,
       s.seqincrement, s.seqmin, s.seqmax, s.seqcycle)
  from rel r join pg_sequence s on s.seqrelid = r.oid
union all
select 'column', r.name || '.' || quote_ident(a.attname),
       format('%s notnull=%s default=%s generated=%s identity=%s', format_type(a.atttypid, a.atttypmod), a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity)
  from rel r join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where r.relkind in ('r', 'p', 'v', 'm', 'f')
union all
select 'constraint', r.name || ' ' || quote_ident(k.conname), pg_get_constraintdef(k.oid)
  from rel r join pg_constraint k on k.conrelid = r.oid
union all
select 'index', format('%s %I', r.name, i.relname), pg_get_indexdef(i.oid)
  from rel r join pg_index x on x.indrelid = r.oid join pg_class i on i.oid = x.indexrelid
union all
select 'trigger', r.name || ' ' || quote_ident(t.tgname), pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
  from rel r join pg_trigger t on t.tgrelid = r.oid and not t.tgisinternal
union all
select 'policy', format('%s.%I %I', n.nspname, c.relname, p.polname),
       format('cmd=%s permissive=%s to=%s using=%s check=%s', p.polcmd, p.polpermissive,
              (select string_agg(case when x = 0 then 'public' else x::regrole::text end, ',' order by 1) from unnest(p.polroles) x),
              pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
  from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
 where n.nspname in ('public', 'private', 'partitions', 'storage')
union all
select 'grant', r.name || ' ' || coalesce(nullif(a.grantee::regrole::text, '-'), 'public'),
       string_agg(a.privilege_type || case when a.is_grantable then '*' else '' end, ',' order by a.privilege_type)
  from rel r
  cross join lateral aclexplode(coalesce(r.relacl, acldefault((case when r.relkind = 'S' then 's' else 'r' end)::"char", r.relowner))) a
 group by r.name, a.grantee
union all
select 'column grant', r.name || '.' || quote_ident(att.attname) || ' ' || coalesce(nullif(a.grantee::regrole::text, '-'), 'public'),
       string_agg(a.privilege_type, ',' order by a.privilege_type)
  from rel r join pg_attribute att on att.attrelid = r.oid and att.attnum > 0 and att.attacl is not null
  cross join lateral aclexplode(att.attacl) a
 group by r.name, att.attname, a.grantee
union all
select 'function', f.name, pg_get_functiondef(f.oid) from fn f where f.prokind in ('f', 'p', 'w')
union all
select 'function', f.name, 'aggregate' from fn f where f.prokind = 'a'
union all
select 'function grant', f.name || ' ' || coalesce(nullif(a.grantee::regrole::text, '-'), 'public'), a.privilege_type
  from fn f cross join lateral aclexplode(coalesce(f.proacl, acldefault('f', f.proowner))) a
union all
select 'type', format('%I.%I', n.nspname, t.typname),
       format('%s %s', t.typtype, coalesce((select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid),
              pg_catalog.format_type(t.typbasetype, t.typtypmod)))
  from pg_type t join ns n on n.oid = t.typnamespace
 where t.typtype in ('e', 'd') or (t.typtype = 'c' and exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
union all
select 'publication', p.pubname, format('all=%s ins=%s upd=%s del=%s trunc=%s root=%s', p.puballtables, p.pubinsert,
       p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot)
  from pg_publication p
union all
select 'publication table', pt.pubname || ' ' || format('%I.%I', pt.schemaname, pt.tablename),
       format('columns=%s filter=%s', pt.attnames, pt.rowfilter)
  from pg_publication_tables pt
union all
select 'default privileges', format('%s %s %s', d.defaclrole::regrole, coalesce(d.defaclnamespace::regnamespace::text, '*'), d.defaclobjtype),
       (select string_agg(format('%s:%s', coalesce(nullif(a.grantee::regrole::text, '-'), 'public'), a.privilege_type), ',' order by 1)
          from aclexplode(d.defaclacl) a)
  from pg_default_acl d
union all
select 'event trigger', e.evtname, format('%s %s %s', e.evtevent, e.evtfoid::regproc, e.evttags) from pg_event_trigger e
order by 1, 2
