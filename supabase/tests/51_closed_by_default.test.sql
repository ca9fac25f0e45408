-- Objects a later migration adds start closed: no API role may read a new table or sequence
-- or execute a new function until a grant says so, whatever the platform's defaults grant.
begin;
select plan(7);

create table public.added_later (id uuid primary key default gen_random_uuid(), note text);
create sequence public.added_later_seq;
create function public.added_later_fn() returns integer language sql as 'select 1';
create function private.added_later_helper() returns integer language sql as 'select 1';
create view public.added_later_view as select id, note from public.added_later;

select is(has_table_privilege('anon', 'public.added_later', 'select'), false, 'anon cannot read a new table');
select is(
  (select count(*)::int from information_schema.role_table_grants
    where table_schema = 'public' and table_name in ('added_later', 'added_later_view')
      and grantee in ('anon', 'authenticated', 'PUBLIC')),
  0, 'a new table or view grants nothing to anon, authenticated or PUBLIC');
select is(has_sequence_privilege('authenticated', 'public.added_later_seq', 'usage'), false,
  'signed-in users cannot use a new sequence');
select is(has_function_privilege('anon', 'public.added_later_fn()', 'execute'), false,
  'anon cannot execute a new function in public');
select is(has_function_privilege('authenticated', 'private.added_later_helper()', 'execute'), false,
  'signed-in users cannot execute a new helper in private');

set local role anon;
select throws_ok('select * from public.added_later', '42501', null, 'reading the new table as anon is refused');
select throws_ok('select public.added_later_fn()', '42501', null, 'calling the new function as anon is refused');
reset role;

select * from finish();
rollback;
