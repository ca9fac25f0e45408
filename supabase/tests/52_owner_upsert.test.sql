-- Apps save the rows a person keeps of their own with PostgREST's upsert
-- (`supabase.from(t).upsert(row, { onConflict })`), which PostgREST runs as
--   insert into t (cols...) select cols... from json_populate_recordset(null::t, $body)
--   on conflict (key) do update set <every payload column> = excluded.<column>, key included
-- Each such table accepts it from the owner, for a new row and for an existing one, and still
-- refuses someone else's row, a privileged column, and a changed key.
begin;
select plan(12);

\o /dev/null
select tests.create_personas();
\o

create function pg_temp.upsert_as(persona text, tbl text, key text, body jsonb)
returns text
language plpgsql
as $$
declare
  cols text;
  result text;
  state text;
begin
  select string_agg(quote_ident(k), ', ' order by k) into cols from jsonb_object_keys(body) k;
  perform tests.act_as(persona);
  begin
    execute format(
      'insert into public.%1$I (%2$s) select %2$s from json_populate_recordset(null::public.%1$I, $1) '
      'on conflict (%3$I) do update set %4$s returning %3$I::text',
      tbl, cols, key,
      (select string_agg(format('%1$I = excluded.%1$I', k), ', ' order by k) from jsonb_object_keys(body) k))
      into result using jsonb_build_array(body)::json;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
    result := 'error ' || state;
  end;
  perform set_config('role', 'none', true);
  perform set_config('request.jwt.claims', null, true);
  return result;
end
$$;
grant execute on function pg_temp.upsert_as(text, text, text, jsonb) to public;

select is(pg_temp.upsert_as('customer_a', 'user_preferences', 'user_id',
            jsonb_build_object('user_id', tests.id('customer_a'), 'theme', 'dark', 'language', 'hi')),
  tests.id('customer_a')::text, 'user_preferences: the owner upserts a new row');
select is(pg_temp.upsert_as('customer_a', 'user_preferences', 'user_id',
            jsonb_build_object('user_id', tests.id('customer_a'), 'theme', 'light')),
  tests.id('customer_a')::text, 'user_preferences: the owner upserts over their row');
select is((select theme from public.user_preferences where user_id = tests.id('customer_a')), 'light',
  'user_preferences: the upsert changed the row');
select is(pg_temp.upsert_as('customer_b', 'user_preferences', 'user_id',
            jsonb_build_object('user_id', tests.id('customer_a'), 'theme', 'dark')),
  'error 42501', 'user_preferences: nobody upserts over someone else''s row');

select is(pg_temp.upsert_as('customer_a', 'customer_preferences', 'customer_id',
            jsonb_build_object('customer_id', tests.id('customer_a'), 'preferred_language', 'ta', 'pressure_level', 3)),
  tests.id('customer_a')::text, 'customer_preferences: the customer upserts a new row');
select is(pg_temp.upsert_as('customer_a', 'customer_preferences', 'customer_id',
            jsonb_build_object('customer_id', tests.id('customer_a'), 'pressure_level', 4)),
  tests.id('customer_a')::text, 'customer_preferences: the customer upserts over their row');
select is(pg_temp.upsert_as('customer_b', 'customer_preferences', 'customer_id',
            jsonb_build_object('customer_id', tests.id('customer_a'), 'pressure_level', 1)),
  'error 42501', 'customer_preferences: another customer cannot upsert over it');

select is(pg_temp.upsert_as('customer_a', 'customers', 'id',
            jsonb_build_object('id', tests.id('customer_a'), 'allergies', jsonb_build_array('nuts'))),
  tests.id('customer_a')::text, 'customers: the customer upserts their profile');

select is(pg_temp.upsert_as('customer_b', 'customers', 'id',
            jsonb_build_object('id', tests.id('customer_a'), 'allergies', jsonb_build_array('none'))),
  'error 42501', 'customers: another customer cannot upsert over it');
select is(pg_temp.upsert_as('customer_a', 'user_preferences', 'user_id',
            jsonb_build_object('user_id', tests.id('customer_a'), 'id', gen_random_uuid())),
  'error 42501', 'user_preferences: an upsert carrying a new row id is refused (id is not updatable)');

-- The key is updatable only to the value it has, whoever writes.
select throws_ok(
  format('update public.user_preferences set user_id = %L where user_id = %L', tests.id('customer_b'), tests.id('customer_a')),
  '42501', null, 'keep_key: a changed key is refused');
select throws_ok(
  format('update public.customers set id = gen_random_uuid() where id = %L', tests.id('customer_b')),
  '42501', null, 'keep_key: a customer id never changes');

select * from finish();
rollback;
