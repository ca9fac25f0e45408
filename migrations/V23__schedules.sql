-- Schedules: partition upkeep daily and dashboard refresh every five minutes, run by pg_cron
-- where it is installed and preloaded (Supabase; the local cluster when the Debian package is
-- present). pg_cron lives in one database per cluster (`cron.database_name`); elsewhere (test
-- databases, clusters without it) nothing is scheduled and `ombaro` runs the same functions.

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and current_setting('shared_preload_libraries', true) like '%pg_cron%'
     and current_database() = coalesce(nullif(current_setting('cron.database_name', true), ''), 'postgres') then
    execute 'create extension if not exists pg_cron with schema pg_catalog';
    perform cron.schedule('ombaro-maintain-partitions', '7 0 * * *', 'select private.maintain_partitions()');
    perform cron.schedule('ombaro-refresh-dashboards', '*/5 * * * *', 'select private.refresh_dashboards()');
  end if;
end
$$;
