-- Foundation: what the bootstrap (or Supabase itself) and V1 give every later migration.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

select has_role('anon', 'role anon exists');
select has_role('authenticated', 'role authenticated exists');
select has_role('service_role', 'role service_role exists');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok(not (select rolbypassrls from pg_roles where rolname = 'authenticated'), 'authenticated does not bypass RLS');

select has_function('auth', 'uid', 'auth.uid() exists');
select has_table('auth', 'users', 'auth.users exists');
select is(
  (select count(*)::int from pg_publication where pubname = 'supabase_realtime'), 1,
  'the supabase_realtime publication exists'
);

select ok(not has_schema_privilege('anon', 'private', 'usage'), 'anon cannot use schema private');
select ok(
  not has_table_privilege('authenticated', 'private.partitioned_tables', 'select'),
  'authenticated cannot read private tables'
);
select ok(not has_schema_privilege('authenticated', 'partitions', 'usage'), 'authenticated cannot reach partitions directly');
select ok(
  not has_function_privilege('authenticated', 'private.maintain_partitions(timestamptz)', 'execute'),
  'authenticated cannot run partition maintenance'
);

select is(
  (select extnamespace::regnamespace::text from pg_extension where extname = 'postgis'), 'extensions',
  'postgis lives in schema extensions'
);

-- auth.uid() follows the claims PostgREST sets.
select set_config('request.jwt.claims', '{"sub":"3b1f0f56-5d3e-4f7a-9a43-2f4f8b0c1d22","role":"authenticated"}', true);
select is(auth.uid(), '3b1f0f56-5d3e-4f7a-9a43-2f4f8b0c1d22'::uuid, 'auth.uid() reads request.jwt.claims');
select is(auth.role(), 'authenticated', 'auth.role() reads request.jwt.claims');
select is(private.current_actor_id(), auth.uid(), 'the audit actor is the caller');

select * from finish();
rollback;
