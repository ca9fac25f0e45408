-- Support: tickets raised by customers (and vendors) with customer care, and the
-- conversation on each ticket.
--
-- Tickets carry their service-level deadline (sla_due_at) so the care team's queue can be
-- sorted by what breaches first, and a full-text vector over subject and description so
-- agents can find earlier tickets about the same problem. The ticket's assignment and
-- resolution times are stamped by the database so SLA reports do not depend on every
-- client remembering to set them.

-- support_tickets --------------------------------------------------------------------------

create table public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  ticket_number text not null unique,
  customer_id uuid references public.customers (id) on delete set null,
  raised_by uuid references auth.users (id) on delete set null,
  vendor_id uuid references public.vendors (id) on delete set null,
  booking_id uuid references public.bookings (id) on delete set null,
  channel text not null default 'app' check (channel in ('app', 'web', 'email', 'phone', 'whatsapp', 'chat')),
  category text not null check (category in (
    'booking_issue', 'payment_issue', 'service_quality', 'technical', 'feedback', 'other'
  )),
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
  subject text not null,
  description text not null,
  status text not null default 'open' check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
  assigned_to uuid references public.employees (id) on delete set null,
  assigned_at timestamptz,
  sla_due_at timestamptz,
  first_response_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  resolution_notes text,
  satisfaction_rating integer check (satisfaction_rating between 1 and 5),
  attachments text[] not null default '{}',
  search_vector tsvector generated always as (
    to_tsvector('english'::regconfig, coalesce(subject, '') || ' ' || coalesce(description, ''))
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint support_tickets_rating_after_resolution check (satisfaction_rating is null or status in ('resolved', 'closed'))
);

create index idx_support_tickets_customer on public.support_tickets (customer_id);
create index idx_support_tickets_booking on public.support_tickets (booking_id);
create index idx_support_tickets_status on public.support_tickets (status);
create index idx_support_tickets_assigned on public.support_tickets (assigned_to);
create index idx_support_tickets_priority on public.support_tickets (priority);
create index idx_support_tickets_raised_by on public.support_tickets (raised_by);
create index idx_support_tickets_vendor_id on public.support_tickets (vendor_id);
create index idx_support_tickets_created_at on public.support_tickets (created_at desc);
-- The care queue: open work ordered by the deadline it breaches first.
create index idx_support_tickets_sla_due on public.support_tickets (sla_due_at)
  where status in ('open', 'in_progress', 'waiting');
create index idx_support_tickets_search on public.support_tickets using gin (search_vector);

-- Stamps assignment and resolution times, and a default deadline by priority, from the
-- columns clients actually change.
create or replace function private.stamp_support_ticket()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.sla_due_at is null then
      new.sla_due_at := new.created_at + case new.priority
        when 'urgent' then interval '4 hours'
        when 'high' then interval '12 hours'
        when 'medium' then interval '24 hours'
        else interval '72 hours'
      end;
    end if;
    if new.assigned_to is not null and new.assigned_at is null then
      new.assigned_at := now();
    end if;
  else
    if new.assigned_to is distinct from old.assigned_to then
      new.assigned_at := case when new.assigned_to is null then null else now() end;
    end if;
    if new.status in ('resolved', 'closed') and old.status not in ('resolved', 'closed') and new.resolved_at is null then
      new.resolved_at := now();
    elsif new.status not in ('resolved', 'closed') then
      new.resolved_at := null;
    end if;
    if new.status = 'closed' and old.status <> 'closed' and new.closed_at is null then
      new.closed_at := now();
    elsif new.status <> 'closed' then
      new.closed_at := null;
    end if;
  end if;
  return new;
end
$$;

create trigger stamp_support_ticket before insert or update on public.support_tickets
  for each row execute function private.stamp_support_ticket();
create trigger set_updated_at before update on public.support_tickets
  for each row execute function private.set_updated_at();

alter table public.support_tickets enable row level security;

comment on table public.support_tickets is 'Customer care tickets about bookings, payments, service quality or the apps.';
comment on column public.support_tickets.ticket_number is 'Human-facing reference quoted on calls and emails, e.g. TKT-20250102-0001.';
comment on column public.support_tickets.customer_id is 'Customer the ticket is about; null for vendor tickets or once the customer is erased.';
comment on column public.support_tickets.raised_by is 'Account that opened the ticket (customer, vendor owner or an agent on the customer''s behalf).';
comment on column public.support_tickets.channel is 'Where the ticket came in.';
comment on column public.support_tickets.sla_due_at is 'Resolution deadline; defaults from priority (urgent 4 h, high 12 h, medium 24 h, low 72 h).';
comment on column public.support_tickets.first_response_at is 'First reply visible to the requester, for first-response SLA reports.';
comment on column public.support_tickets.assigned_at is 'Set by the database whenever assigned_to changes.';
comment on column public.support_tickets.resolved_at is 'Set by the database when the ticket becomes resolved or closed; cleared if it is reopened.';
comment on column public.support_tickets.satisfaction_rating is 'CSAT 1-5 given by the requester after resolution.';
comment on column public.support_tickets.attachments is 'Storage object paths (support-attachments bucket).';
comment on column public.support_tickets.search_vector is 'Full-text index over subject and description.';

-- ticket_messages --------------------------------------------------------------------------

create table public.ticket_messages (
  id uuid primary key default gen_random_uuid(),
  ticket_id uuid not null references public.support_tickets (id) on delete cascade,
  sender_id uuid references auth.users (id) on delete set null,
  sender_type text not null check (sender_type in ('customer', 'vendor', 'employee', 'system')),
  message text not null,
  attachments text[] not null default '{}',
  is_internal boolean not null default false,
  created_at timestamptz not null default now()
);

create index idx_ticket_messages_ticket on public.ticket_messages (ticket_id, created_at);
create index idx_ticket_messages_sender on public.ticket_messages (sender_id);
create index idx_ticket_messages_created_at on public.ticket_messages (created_at desc);

-- The first agent reply the requester can see stops the first-response clock.
create or replace function private.note_ticket_first_response()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.sender_type = 'employee' and not new.is_internal then
    update public.support_tickets
       set first_response_at = coalesce(first_response_at, new.created_at)
     where id = new.ticket_id
       and first_response_at is null;
  end if;
  return null;
end
$$;

create trigger note_first_response after insert on public.ticket_messages
  for each row execute function private.note_ticket_first_response();

alter table public.ticket_messages enable row level security;

comment on table public.ticket_messages is 'Conversation on a support ticket; apps subscribe to inserts for live chat.';
comment on column public.ticket_messages.sender_id is 'Null for system messages or when the sender''s account was erased.';
comment on column public.ticket_messages.is_internal is 'Note between agents, never shown to the customer or vendor.';
