-- Schedules: partition upkeep daily and dashboard refresh every five minutes, run by pg_cron
-- where it is installed and preloaded (Supabase; the local cluster when the Debian package is
-- present). pg_cron lives in one database per cluster (`cron.database_name`); elsewhere (test
-- databases, clusters without it) nothing is scheduled and `ombaro` runs the same functions.
--
-- Whether pg_cron can run here is learnt by trying: `shared_preload_libraries` and
-- `cron.database_name` are readable only by superusers, and on Supabase `postgres` is not one.
-- pg_cron refuses to be created outside its database or when it is not preloaded; then
-- nothing is scheduled.

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    begin
      execute 'create extension if not exists pg_cron with schema pg_catalog';
      perform cron.schedule('ombaro-maintain-partitions', '7 0 * * *', 'select private.maintain_partitions()');
      perform cron.schedule('ombaro-refresh-dashboards', '*/5 * * * *', 'select private.refresh_dashboards()');
    exception when others then
      raise notice 'pg_cron is not usable in this database (%): nothing scheduled', sqlerrm;
    end;
  end if;
end
$$;
