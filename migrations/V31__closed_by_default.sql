-- Closed by default: a table, view, sequence or function added to the schema by a later
-- migration starts with no access for the API roles, and gets only what its own migration
-- grants.
--
-- Two defaults open new objects: Supabase's per-schema default privileges (anon and
-- authenticated get all on new tables, sequences and functions in `public`), revoked in V1
-- before the first table; and Postgres's global default, `execute` for PUBLIC on every new
-- function, which a per-schema entry cannot take away (per-schema default privileges only add
-- to the global ones). It is revoked here, after V1-V30, because their functions were written
-- with it: trigger functions need no execute privilege, and the helpers policies call are
-- granted to authenticated explicitly (V24), but this keeps the built schema exactly as those
-- files define it. From here on a new function, in any schema, is executable only by its
-- owner until a migration grants it.
--
-- Service_role keeps Supabase's default grants (it bypasses RLS and is the server's own role).

alter default privileges revoke execute on functions from public;

-- Except in `extensions`: an extension installed later (on Supabase, by the dashboard or a
-- migration) keeps Postgres's behaviour, its functions callable by every role, as the
-- extensions installed before this file are. `extensions` is not an API schema.
alter default privileges in schema extensions grant execute on functions to public;
