-- Security for the platform's back office: marketing, communications, support, legal and
-- compliance, operations and inventory, analytics, and system configuration (V13-V19).
--
-- These tables are mostly run by one department each, so most policies are a single
-- `private.has_permission(module, action)` check on the seeded role_permissions; what users
-- touch themselves is narrow and owned: their notifications, messages, tickets, data
-- protection requests, coupon codes, telemetry and API keys. Decisions the spec left open:
--
-- * Active promotions inside their validity window are public marketing: anon reads them.
--   Published legal texts, released app versions and public settings are public too.
-- * Redemptions (promotion_usage, coupon_usages), referral rewards, campaign analytics, the
--   notification outbox, delivery logs, error logs and the analytics aggregates are written
--   by the services (service_role) only: no API role writes a counter, a ledger or a report.
-- * Delivery logs (email, SMS, WhatsApp, push) are read by IT and by customer care to debug
--   delivery. A user reads their own inbox (notifications) and own push receipts, not the
--   provider logs: those carry provider ids, DLT registrations and costs, and a data access
--   request (gdpr_requests) is how a user gets everything held about them.
-- * Telemetry: signed-in users insert analytics_events and page_views as themselves, anon
--   inserts them with user_id null (the visit before sign-in); nobody but analytics readers
--   (and IT, to debug the apps) reads them, and the server stamps created_at.
-- * Inventory is run by admin (inventory create/update) and purchase orders are approved by
--   finance (inventory approve), never by their author; seeds/20_organisation.sql grants
--   these. The legal department reads the audit trail through compliance approve.
-- * Secrets: an API key is shown once by public.create_api_key and stored as its SHA-256;
--   key_hash and webhook secret_encrypted are never granted to API roles.
--
-- Triggers here guard what column privileges cannot express (who may approve, which
-- columns a requester or recipient may change); they let service_role and definer
-- functions through, since those run as their own roles, not as anon or authenticated.

-- Shared helpers ---------------------------------------------------------------------------

-- private.changed_columns(old, new), the columns an update changed, comes from V26.

-- True when the statement comes from an app through the API roles; service_role, the
-- definer functions and maintenance sessions are trusted.
create or replace function private.is_api_caller()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select current_user = 'anon' or private.is_signed_in_role()
  );
end
$$;

-- Sets the column named by the trigger argument to the caller, so "created by" can not be
-- forged by an app (and need not be sent by it).
create or replace function private.stamp_caller()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if private.is_api_caller() then
    new := jsonb_populate_record(new, jsonb_build_object(tg_argv[0], auth.uid()));
  end if;
  return new;
end
$$;

-- Telemetry's created_at is when the server received it, not what the device claims.
create or replace function private.stamp_received_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- Spelled out rather than private.is_api_caller(): anon sends telemetry and may not look
  -- into the private schema. The signed-in roles are V24's.
  if current_user in ('anon', 'authenticated', 'partner', 'staff') then
    new.created_at := now();
  end if;
  return new;
end
$$;

-- Support tickets the caller raised or is the customer of: the tickets whose public
-- conversation they may read and write. Reads support_tickets as the definer, so the
-- ticket_messages policies need not go through the tickets' own policies.
create or replace function private.ticket_ids_of_current_user()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
    select coalesce(array_agg(t.id), '{}')
      from public.support_tickets t
     where t.raised_by = (select auth.uid()) or t.customer_id = (select auth.uid())
  );
end
$$;

revoke all on function private.changed_columns(jsonb, jsonb), private.is_api_caller(),
  private.stamp_caller(), private.stamp_received_at(), private.ticket_ids_of_current_user() from public;
grant execute on function private.changed_columns(jsonb, jsonb), private.is_api_caller(),
  private.ticket_ids_of_current_user() to authenticated, service_role;

-- Marketing --------------------------------------------------------------------------------

-- campaigns: the spec's "Marketing can manage campaigns", split per command and with a
-- check. Live campaigns need a sign-off by someone other than the author (the table's
-- constraint asks for approved_at; this makes it mean something).
create or replace function private.guard_campaign_approval()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not private.is_api_caller() then
    return new;
  end if;
  if (tg_op = 'INSERT' and (new.approved_by is not null or new.approved_at is not null))
     or (tg_op = 'UPDATE' and (new.approved_by, new.approved_at) is distinct from (old.approved_by, old.approved_at)) then
    if not private.has_permission('campaigns', 'approve') then
      raise exception 'approving a campaign needs campaigns approve' using errcode = '42501';
    end if;
    if new.approved_by is not null and (new.approved_by <> auth.uid() or new.approved_by = new.created_by) then
      raise exception 'a campaign is approved by the signed-in approver, who is not its author' using errcode = '42501';
    end if;
  end if;
  return new;
end
$$;

create trigger guard_approval before insert or update on public.campaigns
  for each row execute function private.guard_campaign_approval();
create trigger fill_created_by before insert on public.campaigns
  for each row execute function private.stamp_caller('created_by');

grant select, insert, delete on public.campaigns to authenticated;
-- metrics are denormalised from campaign_analytics by the analytics job.
grant update (name, type, status, target_audience, content, start_date, end_date, budget, approved_by, approved_at)
  on public.campaigns to authenticated;

create policy "marketing reads campaigns" on public.campaigns
  for select to authenticated
  using ((select private.has_permission('campaigns', 'read')));
create policy "marketing creates campaigns" on public.campaigns
  for insert to authenticated
  with check ((select private.has_permission('campaigns', 'create')));
create policy "marketing edits campaigns" on public.campaigns
  for update to authenticated
  using ((select private.has_permission('campaigns', 'update')))
  with check ((select private.has_permission('campaigns', 'update')));
-- Only drafts: a campaign that reached customers is history (cancel it instead).
create policy "marketing deletes draft campaigns" on public.campaigns
  for delete to authenticated
  using ((select private.has_permission('campaigns', 'delete')) and status = 'draft');

-- campaign_analytics: computed by the analytics job; people only read it.
grant select on public.campaign_analytics to authenticated;

create policy "marketing reads campaign analytics" on public.campaign_analytics
  for select to authenticated
  using ((select private.has_permission('campaigns', 'read')));

-- promotions
create trigger fill_created_by before insert on public.promotions
  for each row execute function private.stamp_caller('created_by');

-- Who created an offer and the campaign behind it are internal.
grant select (id, code, name, description, type, discount_value, min_booking_amount, max_discount_amount,
  applicable_services, applicable_vendors, applicable_categories, usage_limit_per_customer, total_usage_limit,
  current_usage_count, first_booking_only, funded_by, valid_from, valid_to, terms_and_conditions, status,
  created_at, updated_at)
  on public.promotions to anon;
grant select, insert, delete on public.promotions to authenticated;
-- current_usage_count is kept by the promotion_usage trigger.
grant update (code, name, description, type, discount_value, min_booking_amount, max_discount_amount,
  applicable_services, applicable_vendors, applicable_categories, usage_limit_per_customer, total_usage_limit,
  first_booking_only, funded_by, campaign_id, valid_from, valid_to, terms_and_conditions, status)
  on public.promotions to authenticated;

create policy "anyone reads live promotions" on public.promotions
  for select to anon
  using (status = 'active' and valid_from <= now() and valid_to > now());
create policy "users read live promotions and marketing reads all" on public.promotions
  for select to authenticated
  using (
    (status = 'active' and valid_from <= now() and valid_to > now())
    or (select private.has_permission('promotions', 'read'))
  );
create policy "marketing creates promotions" on public.promotions
  for insert to authenticated
  with check ((select private.has_permission('promotions', 'create')) and current_usage_count = 0);
create policy "marketing edits promotions" on public.promotions
  for update to authenticated
  using ((select private.has_permission('promotions', 'update')))
  with check ((select private.has_permission('promotions', 'update')));
create policy "marketing deletes promotions" on public.promotions
  for delete to authenticated
  using ((select private.has_permission('promotions', 'delete')));

-- promotion_usage and coupon_usages: written by the booking service with the booking.
grant select on public.promotion_usage to authenticated;

create policy "customers read their promotion uses" on public.promotion_usage
  for select to authenticated
  using (customer_id = (select auth.uid()) or (select private.has_permission('promotions', 'read')));

-- coupon_codes
grant select, insert, delete on public.coupon_codes to authenticated;
-- times_used is kept by the coupon_usages trigger.
grant update (code, promotion_id, customer_id, campaign_id, max_uses, valid_from, valid_to, status)
  on public.coupon_codes to authenticated;

-- A code without a customer is a bearer code: whoever holds it types it in, nobody lists it.
create policy "customers read their coupon codes" on public.coupon_codes
  for select to authenticated
  using (customer_id = (select auth.uid()) or (select private.has_permission('coupons', 'read')));
create policy "marketing creates coupon codes" on public.coupon_codes
  for insert to authenticated
  with check ((select private.has_permission('coupons', 'create')) and times_used = 0);
create policy "marketing edits coupon codes" on public.coupon_codes
  for update to authenticated
  using ((select private.has_permission('coupons', 'update')))
  with check ((select private.has_permission('coupons', 'update')));
create policy "marketing deletes coupon codes" on public.coupon_codes
  for delete to authenticated
  using ((select private.has_permission('coupons', 'delete')));

grant select on public.coupon_usages to authenticated;

create policy "customers read their coupon uses" on public.coupon_usages
  for select to authenticated
  using (customer_id = (select auth.uid()) or (select private.has_permission('coupons', 'read')));

-- email_templates
grant select, insert, delete on public.email_templates to authenticated;
-- version is bumped by the template trigger when the wording changes.
grant update (code, name, subject, html_body, text_body, variables, locale, category, is_active)
  on public.email_templates to authenticated;

create policy "marketing reads message templates" on public.email_templates
  for select to authenticated
  using ((select private.has_permission('email_templates', 'read')));
create policy "marketing creates message templates" on public.email_templates
  for insert to authenticated
  with check ((select private.has_permission('email_templates', 'create')));
create policy "marketing edits message templates" on public.email_templates
  for update to authenticated
  using ((select private.has_permission('email_templates', 'update')))
  with check ((select private.has_permission('email_templates', 'update')));
create policy "marketing deletes message templates" on public.email_templates
  for delete to authenticated
  using ((select private.has_permission('email_templates', 'delete')));

-- referral_rewards: credited and reversed by the referral service with the wallet ledger.
grant select on public.referral_rewards to authenticated;

create policy "customers read their referral rewards" on public.referral_rewards
  for select to authenticated
  using (beneficiary_id = (select auth.uid()) or (select private.has_permission('referrals', 'read')));

-- Communications ---------------------------------------------------------------------------

-- notifications: created by the notification service; the user reads, marks and clears.
grant select, delete on public.notifications to authenticated;
grant update (is_read, read_at) on public.notifications to authenticated;

-- public.notifications, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "users read their notifications" on public.notifications
  for select to authenticated
  using (
    -- users read their notifications
    user_id = (select auth.uid())
  );

create policy "staff select" on public.notifications
  for select to staff
  using (
    -- the notifications team reads notifications
    (select private.has_permission('notifications', 'read'))
  );
create policy "users mark their notifications read" on public.notifications
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));
create policy "users clear their notifications" on public.notifications
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- notification_queue: the outbox belongs to the services; IT looks into stuck deliveries.
grant select on public.notification_queue to authenticated;

create policy "it reads the notification outbox" on public.notification_queue
  for select to authenticated
  using ((select private.has_permission('notifications', 'read')) or (select private.has_permission('error_logs', 'read')));

-- in_app_messages
-- The recipient may only mark a message read, the sender only withdraw it.
create or replace function private.guard_in_app_message_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[] := private.changed_columns(to_jsonb(old), to_jsonb(new));
begin
  if not private.is_api_caller() then
    return new;
  end if;
  if auth.uid() = old.recipient_id and not changed <@ array['read_at'] then
    raise exception 'the recipient may only mark a message read' using errcode = '42501';
  end if;
  if auth.uid() = old.sender_id and not changed <@ array['deleted_at'] then
    raise exception 'the sender may only withdraw a message' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger guard_update before update on public.in_app_messages
  for each row execute function private.guard_in_app_message_update();

grant select on public.in_app_messages to authenticated;
grant insert (conversation_id, sender_id, recipient_id, booking_id, message_type, body, attachments)
  on public.in_app_messages to authenticated;
grant update (read_at, deleted_at) on public.in_app_messages to authenticated;

-- A withdrawn message disappears for the recipient; the sender and customer care (for
-- disputes) still see it.
create policy "senders and recipients read their messages" on public.in_app_messages
  for select to authenticated
  using (
    sender_id = (select auth.uid())
    or (recipient_id = (select auth.uid()) and deleted_at is null)
    or (select private.has_permission('complaints', 'read'))
  );
create policy "users send messages as themselves" on public.in_app_messages
  for insert to authenticated
  with check (sender_id = (select auth.uid()) and message_type <> 'system');
create policy "recipients mark and senders withdraw messages" on public.in_app_messages
  for update to authenticated
  using (recipient_id = (select auth.uid()) or sender_id = (select auth.uid()))
  with check (recipient_id = (select auth.uid()) or sender_id = (select auth.uid()));

-- push_notifications
grant select on public.push_notifications to authenticated;

create policy "users read their push receipts" on public.push_notifications
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.has_permission('notifications', 'read')));

-- email_logs, sms_logs, whatsapp_logs: IT and customer care debug delivery.
grant select on public.email_logs, public.sms_logs, public.whatsapp_logs to authenticated;

create policy "it and customer care read email logs" on public.email_logs
  for select to authenticated
  using ((select private.has_permission('error_logs', 'read')) or (select private.has_permission('support_tickets', 'read')));
create policy "it and customer care read sms logs" on public.sms_logs
  for select to authenticated
  using ((select private.has_permission('error_logs', 'read')) or (select private.has_permission('support_tickets', 'read')));
create policy "it and customer care read whatsapp logs" on public.whatsapp_logs
  for select to authenticated
  using ((select private.has_permission('error_logs', 'read')) or (select private.has_permission('support_tickets', 'read')));

-- Support ----------------------------------------------------------------------------------

-- Requesters may rate, close and attach; agents run the ticket but do not rate it.
create or replace function private.guard_support_ticket_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  -- search_vector is generated after this trigger, so it is null in new.
  changed text[] := array_remove(private.changed_columns(to_jsonb(old), to_jsonb(new)), 'search_vector');
  is_requester boolean := coalesce(auth.uid() in (old.raised_by, old.customer_id), false);
begin
  if not private.is_api_caller() then
    return new;
  end if;
  if not private.has_permission('support_tickets', 'update') then
    if not changed <@ array['satisfaction_rating', 'status', 'attachments'] then
      raise exception 'a requester may only rate, close or add attachments to a ticket' using errcode = '42501';
    end if;
    if new.status is distinct from old.status and new.status <> 'closed' then
      raise exception 'a requester may only close a ticket' using errcode = '42501';
    end if;
  end if;
  if 'satisfaction_rating' = any (changed) and not is_requester then
    raise exception 'only the requester rates a ticket' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger guard_update before update on public.support_tickets
  for each row execute function private.guard_support_ticket_update();

grant select, delete on public.support_tickets to authenticated;
-- Status, assignment, deadlines and resolution are the care team's (or the database's).
grant insert (ticket_number, customer_id, raised_by, vendor_id, booking_id, channel, category, priority, subject,
  description, attachments)
  on public.support_tickets to authenticated;
grant update (vendor_id, booking_id, category, priority, subject, description, status, assigned_to, sla_due_at,
  resolution_notes, satisfaction_rating, attachments)
  on public.support_tickets to authenticated;

-- public.support_tickets, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.support_tickets
  for select to authenticated
  using (
    -- people read the tickets they raised or that concern them
    raised_by = (select auth.uid()) or customer_id = (select auth.uid())
  );

create policy "staff select" on public.support_tickets
  for select to staff
  using (
    -- support reads tickets
    (select private.has_permission('support_tickets', 'read'))
  );

-- public.support_tickets, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.support_tickets
  for insert to authenticated
  with check (
    -- customer care raises tickets for customers
    ((select private.has_permission('support_tickets', 'create')))
    -- users raise tickets as themselves
    or (raised_by = (select auth.uid()) and (customer_id is null or customer_id = (select auth.uid())))
  );
comment on policy "authenticated insert" on public.support_tickets is
  'Merges: customer care raises tickets for customers; users raise tickets as themselves';

-- public.support_tickets, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.support_tickets
  for update to authenticated
  using (
    -- customer care manages tickets
    ((select private.has_permission('support_tickets', 'update')))
    -- requesters rate and close their tickets
    or (raised_by = (select auth.uid()) or customer_id = (select auth.uid()))
  )
  with check (
    -- customer care manages tickets
    ((select private.has_permission('support_tickets', 'update')))
    -- requesters rate and close their tickets
    or (raised_by = (select auth.uid()) or customer_id = (select auth.uid()))
  );
comment on policy "authenticated update" on public.support_tickets is
  'Merges: customer care manages tickets; requesters rate and close their tickets';
create policy "super admins delete spam tickets" on public.support_tickets
  for delete to authenticated
  using ((select private.has_permission('support_tickets', 'delete')));

-- ticket_messages: published to realtime, so this select policy is also what the live
-- chat of a customer receives: never an internal note.
create index idx_ticket_messages_ticket_public on public.ticket_messages (ticket_id, created_at) where not is_internal;

grant select on public.ticket_messages to authenticated;
grant insert (ticket_id, sender_id, sender_type, message, attachments, is_internal)
  on public.ticket_messages to authenticated;

-- public.ticket_messages, select: each signed-in role (V24) gets only the arms that can admit its
-- rows; partner adds to authenticated, staff to partner.
create policy "authenticated select" on public.ticket_messages
  for select to authenticated
  using (
    -- people read the public messages of their tickets
    not is_internal and ticket_id = any ((select private.ticket_ids_of_current_user())::uuid[])
  );

create policy "staff select" on public.ticket_messages
  for select to staff
  using (
    -- support reads messages
    (select private.has_permission('support_tickets', 'read'))
  );

-- public.ticket_messages, authenticated, insert: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated insert" on public.ticket_messages
  for insert to authenticated
  with check (
    -- customer care replies and notes
    ((select private.has_permission('support_tickets', 'update'))
      and sender_id = (select auth.uid())
      and sender_type = 'employee')
    -- requesters reply on their tickets
    or (sender_id = (select auth.uid())
      and sender_type in ('customer', 'vendor')
      and not is_internal
      and ticket_id = any ((select private.ticket_ids_of_current_user())::uuid[]))
  );
comment on policy "authenticated insert" on public.ticket_messages is
  'Merges: customer care replies and notes; requesters reply on their tickets';

-- Legal ------------------------------------------------------------------------------------

-- Publishing a legal text (what users accept) needs legal_documents approve; the publisher
-- is recorded as the signed-in approver.
create or replace function private.guard_legal_document_publish()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not private.is_api_caller() then
    return new;
  end if;
  if new.status = 'published' and (tg_op = 'INSERT' or old.status = 'draft') then
    if not private.has_permission('legal_documents', 'approve') then
      raise exception 'publishing a legal document needs legal_documents approve' using errcode = '42501';
    end if;
    new.published_by := auth.uid();
  end if;
  return new;
end
$$;

create trigger guard_publish before insert or update on public.legal_documents
  for each row execute function private.guard_legal_document_publish();

grant select on public.legal_documents to anon;
grant select, insert, update, delete on public.legal_documents to authenticated;

create policy "anyone reads published legal documents" on public.legal_documents
  for select to anon
  using (status = 'published');
create policy "users read published legal documents and legal reads drafts" on public.legal_documents
  for select to authenticated
  using (status = 'published' or (select private.has_permission('legal_documents', 'read')));
create policy "legal drafts legal documents" on public.legal_documents
  for insert to authenticated
  with check ((select private.has_permission('legal_documents', 'create')));
create policy "legal edits legal documents" on public.legal_documents
  for update to authenticated
  using ((select private.has_permission('legal_documents', 'update')))
  with check ((select private.has_permission('legal_documents', 'update')));
-- The freeze trigger refuses anything but drafts.
create policy "legal deletes draft legal documents" on public.legal_documents
  for delete to authenticated
  using ((select private.has_permission('legal_documents', 'delete')));

-- gdpr_requests: a data principal files and follows their own requests; legal handles all.
grant select on public.gdpr_requests to authenticated;
grant insert (request_number, regulation, request_type, user_id, requester_contact, description)
  on public.gdpr_requests to authenticated;
grant update (requester_contact, description, status, due_at, verified_at, handled_by, response, rejection_reason,
  export_path, completed_at)
  on public.gdpr_requests to authenticated;

create policy "users read their data requests" on public.gdpr_requests
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.has_permission('gdpr', 'read')));
create policy "users file data requests for themselves" on public.gdpr_requests
  for insert to authenticated
  with check (user_id = (select auth.uid()) or (select private.has_permission('gdpr', 'create')));
create policy "legal handles data requests" on public.gdpr_requests
  for update to authenticated
  using ((select private.has_permission('gdpr', 'update')))
  with check ((select private.has_permission('gdpr', 'update')));

-- data_retention_policies
grant select, insert, update, delete on public.data_retention_policies to authenticated;

create policy "legal reads retention policies" on public.data_retention_policies
  for select to authenticated
  using ((select private.has_permission('data_retention', 'read')));
create policy "legal creates retention policies" on public.data_retention_policies
  for insert to authenticated
  with check ((select private.has_permission('data_retention', 'create')));
create policy "legal edits retention policies" on public.data_retention_policies
  for update to authenticated
  using ((select private.has_permission('data_retention', 'update')))
  with check ((select private.has_permission('data_retention', 'update')));
create policy "legal deletes retention policies" on public.data_retention_policies
  for delete to authenticated
  using ((select private.has_permission('data_retention', 'delete')));

-- compliance_audits: the audited vendor (owner and managers) sees its findings.
grant select, insert, update, delete on public.compliance_audits to authenticated;

-- public.compliance_audits, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.compliance_audits
  for select to authenticated
  using (
    -- legal reads compliance audits
    ((select private.has_permission('compliance', 'read')))
    -- vendors read their audits
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'compliance.view')))
  );
comment on policy "authenticated select" on public.compliance_audits is
  'Merges: legal reads compliance audits; vendors read their audits';
create policy "legal schedules compliance audits" on public.compliance_audits
  for insert to authenticated
  with check ((select private.has_permission('compliance', 'create')));
create policy "legal records compliance audits" on public.compliance_audits
  for update to authenticated
  using ((select private.has_permission('compliance', 'update')))
  with check ((select private.has_permission('compliance', 'update')));
create policy "super admins delete compliance audits" on public.compliance_audits
  for delete to authenticated
  using ((select private.has_permission('compliance', 'delete')));

-- Operations and inventory -----------------------------------------------------------------

-- warehouses: a vendor's owner and managers see their own store rooms.
grant select, insert, update, delete on public.warehouses to authenticated;

-- public.warehouses, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.warehouses
  for select to authenticated
  using (
    -- operations reads warehouses
    ((select private.has_permission('inventory', 'read')))
    -- vendors read their warehouses
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'inventory.view')))
  );
comment on policy "authenticated select" on public.warehouses is
  'Merges: operations reads warehouses; vendors read their warehouses';
create policy "operations creates warehouses" on public.warehouses
  for insert to authenticated
  with check ((select private.has_permission('inventory', 'create')));
create policy "operations edits warehouses" on public.warehouses
  for update to authenticated
  using ((select private.has_permission('inventory', 'update')))
  with check ((select private.has_permission('inventory', 'update')));
create policy "operations deletes warehouses" on public.warehouses
  for delete to authenticated
  using ((select private.has_permission('inventory', 'delete')));

-- suppliers: internal purchasing data (PAN, terms).
grant select, insert, update, delete on public.suppliers to authenticated;

create policy "operations reads suppliers" on public.suppliers
  for select to authenticated
  using ((select private.has_permission('inventory', 'read')));
create policy "operations creates suppliers" on public.suppliers
  for insert to authenticated
  with check ((select private.has_permission('inventory', 'create')));
create policy "operations edits suppliers" on public.suppliers
  for update to authenticated
  using ((select private.has_permission('inventory', 'update')))
  with check ((select private.has_permission('inventory', 'update')));
create policy "operations deletes suppliers" on public.suppliers
  for delete to authenticated
  using ((select private.has_permission('inventory', 'delete')));

-- inventory_items: quantity_on_hand belongs to the stock ledger.
grant select, insert, delete on public.inventory_items to authenticated;
grant update (sku, name, category, unit, warehouse_id, vendor_id, preferred_supplier_id, reorder_level,
  reorder_quantity, unit_cost, hsn_code, gst_rate, expiry_tracked, is_active)
  on public.inventory_items to authenticated;

-- public.inventory_items, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.inventory_items
  for select to authenticated
  using (
    -- operations reads stock
    ((select private.has_permission('inventory', 'read')))
    -- vendors read their stock
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'inventory.view')))
  );
comment on policy "authenticated select" on public.inventory_items is
  'Merges: operations reads stock; vendors read their stock';
create policy "operations creates stock items" on public.inventory_items
  for insert to authenticated
  with check ((select private.has_permission('inventory', 'create')));
create policy "operations edits stock items" on public.inventory_items
  for update to authenticated
  using ((select private.has_permission('inventory', 'update')))
  with check ((select private.has_permission('inventory', 'update')));
create policy "operations deletes stock items" on public.inventory_items
  for delete to authenticated
  using ((select private.has_permission('inventory', 'delete')));

-- stock_transactions: append-only ledger (the forbid_change trigger backs the grants).
create trigger fill_performed_by before insert on public.stock_transactions
  for each row execute function private.stamp_caller('performed_by');

grant select, insert on public.stock_transactions to authenticated;

create policy "operations reads the stock ledger" on public.stock_transactions
  for select to authenticated
  using ((select private.has_permission('inventory', 'read')));
create policy "operations records stock movements" on public.stock_transactions
  for insert to authenticated
  with check ((select private.has_permission('inventory', 'create')));

-- purchase_orders: raised by operations, approved by finance, never by their author.
create or replace function private.guard_purchase_order()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[] := private.changed_columns(to_jsonb(old), to_jsonb(new));
begin
  if not private.is_api_caller() then
    return new;
  end if;
  if (new.status = 'approved' and old.status <> 'approved')
     or (new.approved_by, new.approved_at) is distinct from (old.approved_by, old.approved_at) then
    if not private.has_permission('inventory', 'approve') then
      raise exception 'approving a purchase order needs inventory approve (finance)' using errcode = '42501';
    end if;
    if new.approved_by is distinct from auth.uid() or new.approved_by = new.created_by then
      raise exception 'a purchase order is approved by the signed-in approver, who did not raise it' using errcode = '42501';
    end if;
  end if;
  if not private.has_permission('inventory', 'update')
     and not changed <@ array['status', 'approved_by', 'approved_at', 'cancellation_reason', 'notes'] then
    raise exception 'an approver may only approve, cancel or annotate a purchase order' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger guard_update before update on public.purchase_orders
  for each row execute function private.guard_purchase_order();
create trigger fill_created_by before insert on public.purchase_orders
  for each row execute function private.stamp_caller('created_by');

grant select, insert, delete on public.purchase_orders to authenticated;
grant update (supplier_id, warehouse_id, status, lines, subtotal_amount, cgst_amount, sgst_amount, igst_amount,
  total_amount, order_date, expected_date, received_date, approved_by, approved_at, cancellation_reason, notes)
  on public.purchase_orders to authenticated;

create policy "operations and finance read purchase orders" on public.purchase_orders
  for select to authenticated
  using ((select private.has_permission('inventory', 'read')));
create policy "operations raises purchase orders" on public.purchase_orders
  for insert to authenticated
  with check (
    (select private.has_permission('inventory', 'create'))
    and status in ('draft', 'submitted')
    and approved_by is null
    and approved_at is null
  );

-- public.purchase_orders, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.purchase_orders
  for update to authenticated
  using (
    -- finance approves purchase orders
    ((select private.has_permission('inventory', 'approve')))
    -- operations edits purchase orders
    or ((select private.has_permission('inventory', 'update')))
  )
  with check (
    -- finance approves purchase orders
    ((select private.has_permission('inventory', 'approve')))
    -- operations edits purchase orders
    or ((select private.has_permission('inventory', 'update')))
  );
comment on policy "authenticated update" on public.purchase_orders is
  'Merges: finance approves purchase orders; operations edits purchase orders';
create policy "operations deletes draft purchase orders" on public.purchase_orders
  for delete to authenticated
  using ((select private.has_permission('inventory', 'delete')) and status = 'draft');

-- asset_tracking: custodians see what they hold.
grant select, insert, update, delete on public.asset_tracking to authenticated;

-- public.asset_tracking, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.asset_tracking
  for select to authenticated
  using (
    -- custodians read their assets
    ((assigned_vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(assigned_vendor_id, 'inventory.view')))
      or assigned_therapist_id = any ((select private.therapist_ids_of_current_user())::uuid[])
      or assigned_employee_id = (select auth.uid()))
    -- operations reads assets
    or ((select private.has_permission('inventory', 'read')))
  );
comment on policy "authenticated select" on public.asset_tracking is
  'Merges: custodians read their assets; operations reads assets';
create policy "operations registers assets" on public.asset_tracking
  for insert to authenticated
  with check ((select private.has_permission('inventory', 'create')));
create policy "operations edits assets" on public.asset_tracking
  for update to authenticated
  using ((select private.has_permission('inventory', 'update')))
  with check ((select private.has_permission('inventory', 'update')));
create policy "operations deletes assets" on public.asset_tracking
  for delete to authenticated
  using ((select private.has_permission('inventory', 'delete')));

-- Analytics --------------------------------------------------------------------------------

-- analytics_events and page_views: the apps' telemetry, write-only for the apps.
create trigger stamp_received_at before insert on public.analytics_events
  for each row execute function private.stamp_received_at();
create trigger stamp_received_at before insert on public.page_views
  for each row execute function private.stamp_received_at();

grant insert on public.analytics_events, public.page_views to anon;
grant select, insert on public.analytics_events, public.page_views to authenticated;

create policy "visitors send anonymous events" on public.analytics_events
  for insert to anon
  with check (user_id is null);
create policy "users send their own events" on public.analytics_events
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "analysts and it read events" on public.analytics_events
  for select to staff
  using ((select private.has_permission('analytics', 'read')) or (select private.has_permission('error_logs', 'read')));

create policy "visitors send anonymous page views" on public.page_views
  for insert to anon
  with check (user_id is null);
create policy "users send their own page views" on public.page_views
  for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy "analysts and it read page views" on public.page_views
  for select to authenticated
  using ((select private.has_permission('analytics', 'read')) or (select private.has_permission('error_logs', 'read')));

-- Aggregates: rebuilt by the analytics jobs; marketing, finance and directors read them.
grant select on public.cohort_analysis, public.conversion_tracking, public.funnel_analytics, public.revenue_analytics
  to authenticated;

create policy "analysts and finance read cohorts" on public.cohort_analysis
  for select to authenticated
  using ((select private.has_permission('analytics', 'read')) or (select private.has_permission('financial_reports', 'read')));
create policy "analysts and finance read conversions" on public.conversion_tracking
  for select to authenticated
  using ((select private.has_permission('analytics', 'read')) or (select private.has_permission('financial_reports', 'read')));
create policy "analysts and finance read funnels" on public.funnel_analytics
  for select to authenticated
  using ((select private.has_permission('analytics', 'read')) or (select private.has_permission('financial_reports', 'read')));

-- public.revenue_analytics, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.revenue_analytics
  for select to authenticated
  using (
    -- analysts and finance read revenue
    ((select private.has_permission('analytics', 'read')) or (select private.has_permission('financial_reports', 'read')))
    -- vendors read their revenue
    or (vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(vendor_id, 'reports.view')))
  );
comment on policy "authenticated select" on public.revenue_analytics is
  'Merges: analysts and finance read revenue; vendors read their revenue';

-- System -----------------------------------------------------------------------------------

-- audit_logs: written only by private.audit_row(); append-only.
grant select on public.audit_logs to authenticated;

-- Legal reads it for compliance work through compliance approve (the legal department, not
-- its advocates); audit_logs read stays what it is elsewhere (IT, directors).
create policy "it, legal and directors read the audit trail" on public.audit_logs
  for select to authenticated
  using ((select private.has_permission('audit_logs', 'read')) or (select private.has_permission('compliance', 'approve')));

-- error_logs: reported through the edge functions.
grant select on public.error_logs to authenticated;

create policy "it reads error logs" on public.error_logs
  for select to authenticated
  using ((select private.has_permission('error_logs', 'read')));

-- api_keys: created through public.create_api_key; key_hash stays with service_role,
-- which authenticates requests by it.
create or replace function private.guard_api_key_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  changed text[] := private.changed_columns(to_jsonb(old), to_jsonb(new));
begin
  if not private.is_api_caller() or private.has_permission('api_keys', 'update') then
    return new;
  end if;
  if not changed <@ array['name', 'revoked_at', 'revoked_by'] then
    raise exception 'a key''s owner may only rename or revoke it' using errcode = '42501';
  end if;
  if old.revoked_at is not null and new.revoked_at is distinct from old.revoked_at then
    raise exception 'a revoked key stays revoked' using errcode = '42501';
  end if;
  if new.revoked_at is not null and old.revoked_at is null then
    new.revoked_at := now();
    new.revoked_by := auth.uid();
  elsif new.revoked_by is distinct from old.revoked_by then
    raise exception 'revoked_by is set when the key is revoked' using errcode = '42501';
  end if;
  return new;
end
$$;

create trigger guard_update before update on public.api_keys
  for each row execute function private.guard_api_key_update();

grant select (id, name, owner_user_id, owner_vendor_id, environment, key_prefix, scopes, last_used_at, last_used_ip,
  expires_at, revoked_at, revoked_by, created_by, created_at, updated_at)
  on public.api_keys to authenticated;
grant update (name, scopes, expires_at, revoked_at, revoked_by) on public.api_keys to authenticated;
grant delete on public.api_keys to authenticated;

-- public.api_keys, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.api_keys
  for select to authenticated
  using (
    -- it reads api keys
    ((select private.has_permission('api_keys', 'read')))
    -- owners read their api keys
    or (owner_user_id = (select auth.uid())
      or (owner_vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(owner_vendor_id, 'api_keys.manage'))))
  );
comment on policy "authenticated select" on public.api_keys is
  'Merges: it reads api keys; owners read their api keys';

-- public.api_keys, authenticated, update: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated update" on public.api_keys
  for update to authenticated
  using (
    -- it manages api keys
    ((select private.has_permission('api_keys', 'update')))
    -- owners rename and revoke their api keys
    or (owner_user_id = (select auth.uid())
      or (owner_vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(owner_vendor_id, 'api_keys.manage'))))
  )
  with check (
    -- it manages api keys
    ((select private.has_permission('api_keys', 'update')))
    -- owners rename and revoke their api keys
    or (owner_user_id = (select auth.uid())
      or (owner_vendor_id = any ((select private.vendor_ids_of_current_user())::uuid[])
      and (select private.vendor_staff_can(owner_vendor_id, 'api_keys.manage'))))
  );
comment on policy "authenticated update" on public.api_keys is
  'Merges: it manages api keys; owners rename and revoke their api keys';
create policy "it deletes api keys" on public.api_keys
  for delete to authenticated
  using ((select private.has_permission('api_keys', 'delete')));

-- Creates a key for the caller (or for a vendor they may manage keys of) and returns it:
-- the only time the clear key exists. Only its hash and first eight characters are kept.
create or replace function public.create_api_key(name text, scopes text[] default '{}', vendor uuid default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  caller uuid := auth.uid();
  clear_key text;
  new_id uuid;
begin
  if caller is null then
    raise exception 'sign in to create an API key' using errcode = '42501';
  end if;
  if vendor is not null and not private.vendor_staff_can(vendor, 'api_keys.manage') then
    raise exception 'you may not create API keys for this vendor' using errcode = '42501';
  end if;
  if coalesce(length(trim(create_api_key.name)), 0) = 0 then
    raise exception 'an API key needs a name' using errcode = '22023';
  end if;
  if exists (select 1 from unnest(coalesce(create_api_key.scopes, '{}')) as s (scope) where s.scope !~ '^[a-z_]+:(read|write)$') then
    raise exception 'scopes look like bookings:read or availability:write' using errcode = '22023';
  end if;
  if (select count(*) from public.api_keys k
       where k.revoked_at is null
         and (k.owner_user_id = caller and vendor is null or k.owner_vendor_id = vendor)) >= 20 then
    raise exception 'too many live API keys; revoke one first' using errcode = '54000';
  end if;

  clear_key := 'omb_' || encode(extensions.gen_random_bytes(32), 'hex');
  insert into public.api_keys (name, owner_user_id, owner_vendor_id, key_prefix, key_hash, scopes, created_by)
  values (trim(create_api_key.name), case when vendor is null then caller end, vendor, left(clear_key, 8),
          private.sha256_hex(clear_key), coalesce(create_api_key.scopes, '{}'), caller)
  returning id into new_id;

  return jsonb_build_object('id', new_id, 'key_prefix', left(clear_key, 8), 'api_key', clear_key);
end
$$;

revoke all on function public.create_api_key(text, text[], uuid) from public, anon;
grant execute on function public.create_api_key(text, text[], uuid) to authenticated, service_role;

-- app_versions: the apps ask at launch, signed in or not, whether they must update; a
-- blocked or deprecated build has to be readable for that. Unreleased builds stay hidden.
grant select on public.app_versions to anon;
grant select, insert, update, delete on public.app_versions to authenticated;

create policy "anyone reads released app versions" on public.app_versions
  for select to anon
  using (released_at <= now());
create policy "users read released app versions and it reads all" on public.app_versions
  for select to authenticated
  using (released_at <= now() or (select private.has_permission('app_versions', 'read')));
create policy "it creates app versions" on public.app_versions
  for insert to authenticated
  with check ((select private.has_permission('app_versions', 'create')));
create policy "it edits app versions" on public.app_versions
  for update to authenticated
  using ((select private.has_permission('app_versions', 'update')))
  with check ((select private.has_permission('app_versions', 'update')));
create policy "it deletes app versions" on public.app_versions
  for delete to authenticated
  using ((select private.has_permission('app_versions', 'delete')));

-- feature_flags: enabled flags gate app features for signed-in users.
grant select, insert, update, delete on public.feature_flags to authenticated;

create policy "users read enabled feature flags" on public.feature_flags
  for select to authenticated
  using (enabled or (select private.has_permission('feature_flags', 'read')));
create policy "it creates feature flags" on public.feature_flags
  for insert to authenticated
  with check ((select private.has_permission('feature_flags', 'create')));
create policy "it edits feature flags" on public.feature_flags
  for update to authenticated
  using ((select private.has_permission('feature_flags', 'update')))
  with check ((select private.has_permission('feature_flags', 'update')));
create policy "it deletes feature flags" on public.feature_flags
  for delete to authenticated
  using ((select private.has_permission('feature_flags', 'delete')));

-- scheduled_tasks
grant select, insert, update, delete on public.scheduled_tasks to authenticated;

create policy "it reads scheduled tasks" on public.scheduled_tasks
  for select to authenticated
  using ((select private.has_permission('scheduled_tasks', 'read')));
create policy "it creates scheduled tasks" on public.scheduled_tasks
  for insert to authenticated
  with check ((select private.has_permission('scheduled_tasks', 'create')));
create policy "it edits scheduled tasks" on public.scheduled_tasks
  for update to authenticated
  using ((select private.has_permission('scheduled_tasks', 'update')))
  with check ((select private.has_permission('scheduled_tasks', 'update')));
create policy "it deletes scheduled tasks" on public.scheduled_tasks
  for delete to authenticated
  using ((select private.has_permission('scheduled_tasks', 'delete')));

-- system_settings: public ones (fees, policies shown at checkout) for everyone; finance
-- reads the tax settings (gst_*, tds_*, tax.*) it invoices with.
grant select on public.system_settings to anon;
grant select, insert, update, delete on public.system_settings to authenticated;

create policy "anyone reads public settings" on public.system_settings
  for select to anon
  using (is_public);

-- public.system_settings, authenticated, select: one policy serving every audience below (permissive policies
-- combine with OR, so this is exactly their union).
create policy "authenticated select" on public.system_settings
  for select to authenticated
  using (
    -- finance reads tax settings
    (key ~ '^(gst|tds|tax)[_.]' and (select private.has_permission('tax', 'read')))
    -- it reads settings
    or ((select private.has_permission('system_settings', 'read')))
    -- users read public settings
    or (is_public)
  );
comment on policy "authenticated select" on public.system_settings is
  'Merges: finance reads tax settings; it reads settings; users read public settings';
create policy "it creates settings" on public.system_settings
  for insert to authenticated
  with check ((select private.has_permission('system_settings', 'create')));
create policy "it edits settings" on public.system_settings
  for update to authenticated
  using ((select private.has_permission('system_settings', 'update')))
  with check ((select private.has_permission('system_settings', 'update')));
create policy "it deletes settings" on public.system_settings
  for delete to authenticated
  using ((select private.has_permission('system_settings', 'delete')));

-- webhook_endpoints: the signing secret is set through public.set_webhook_secret and read
-- in clear only by the services that verify or sign webhooks (service_role).
grant select (id, name, direction, provider, url, events, secret_key_version, is_active, last_delivery_at,
  last_delivery_status, last_status_code, consecutive_failures, created_at, updated_at)
  on public.webhook_endpoints to authenticated;
grant insert (name, direction, provider, url, events, is_active) on public.webhook_endpoints to authenticated;
grant update (name, direction, provider, url, events, is_active, consecutive_failures)
  on public.webhook_endpoints to authenticated;
grant delete on public.webhook_endpoints to authenticated;

create policy "it reads webhook endpoints" on public.webhook_endpoints
  for select to authenticated
  using ((select private.has_permission('webhooks', 'read')));
create policy "it creates webhook endpoints" on public.webhook_endpoints
  for insert to authenticated
  with check ((select private.has_permission('webhooks', 'create')));
create policy "it edits webhook endpoints" on public.webhook_endpoints
  for update to authenticated
  using ((select private.has_permission('webhooks', 'update')))
  with check ((select private.has_permission('webhooks', 'update')));
create policy "it deletes webhook endpoints" on public.webhook_endpoints
  for delete to authenticated
  using ((select private.has_permission('webhooks', 'delete')));

-- Encrypts and stores an endpoint's signing secret; nothing returns it.
create or replace function public.set_webhook_secret(endpoint uuid, secret text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if not private.has_permission('webhooks', 'update') then
    raise exception 'setting a webhook secret needs webhooks update' using errcode = '42501';
  end if;
  if coalesce(length(secret), 0) < 16 then
    raise exception 'a webhook secret has at least 16 characters' using errcode = '22023';
  end if;
  update public.webhook_endpoints
     set secret_encrypted = private.encrypt_text(secret),
         secret_key_version = 1
   where id = endpoint;
  if not found then
    raise exception 'no webhook endpoint %', endpoint using errcode = 'P0002';
  end if;
end
$$;

revoke all on function public.set_webhook_secret(uuid, text) from public, anon;
grant execute on function public.set_webhook_secret(uuid, text) to authenticated, service_role;
