-- Private helpers that no app user needs are closed to them.
--
-- `authenticated` has usage on schema private (policies call its helpers), and functions
-- created before V31 kept Postgres's default EXECUTE for PUBLIC. Of those, only the policy and
-- column-default helpers are meant for app users; refreshing the dashboards (a concurrent
-- refresh of every materialized view) is work for the scheduler and the service, and a user
-- calling it in a loop would load the database for everyone.

revoke execute on function private.refresh_dashboards() from public, anon, authenticated;
grant execute on function private.refresh_dashboards() to service_role;
