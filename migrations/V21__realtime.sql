-- Realtime: the tables whose changes the apps subscribe to (live therapist location, booking
-- and assignment status, support chat, notifications, in-app messages).
--
-- Supabase Realtime streams these through the `supabase_realtime` publication and delivers a
-- change only to subscribers whose select policies allow the row. `therapist_locations` is
-- partitioned, so changes are published under the parent's name.

alter publication supabase_realtime add table
  public.therapist_locations,
  public.bookings,
  public.therapist_assignments,
  public.ticket_messages,
  public.notifications,
  public.in_app_messages;

alter publication supabase_realtime set (publish_via_partition_root = true);
