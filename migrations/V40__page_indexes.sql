-- Indexes for the lists staff open first.
--
-- Finance's payments list is `payments order by created_at desc`, and nothing served that
-- order: at 100 000 bookings (94 000 payments) `ombaro bench rls` measured 34 ms for the
-- page even without row-level security, a sort of the whole table for 50 rows. Walking
-- this index reads the 50 newest payments and stops.
--
-- The support queue is the open tickets oldest first (`status in ('open', 'in_progress',
-- 'waiting') order by created_at`). Open tickets are a small share of all tickets once the
-- platform has history, so a partial index on the open ones keeps the queue a walk over
-- the queue alone, however many resolved and closed tickets pile up.

create index idx_payments_created_at on public.payments (created_at desc);

create index idx_support_tickets_open_created_at on public.support_tickets (created_at)
  where status in ('open', 'in_progress', 'waiting');
