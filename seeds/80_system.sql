-- Platform configuration every environment starts with: effective-dated settings (GST,
-- fees, booking policies), feature flags, the current app releases, recurring jobs and
-- data retention policies.
--
-- Idempotent: each row is keyed on its natural key and left alone if it exists, so values
-- changed later by operations are never reset by a re-run. Effective-dated settings change
-- by adding a row with a new effective_from, not by editing the old one.

-- system_settings --------------------------------------------------------------------------

insert into public.system_settings (key, value, effective_from, description, is_public)
values
  -- Spa, beauty and physical well-being services (SAC 99972): 18 % GST until GST 2.0,
  -- 5 % (without input tax credit) for supplies from 22 September 2025.
  ('gst_rate', '18.00', '-infinity', 'GST rate in percent on spa and wellness services (SAC 99972).', true),
  ('gst_rate', '5.00', '2025-09-22 00:00:00+05:30', 'GST rate in percent on spa and wellness services (SAC 99972), from 22 September 2025.', true),
  ('gst_sac_code', '"99972"', '-infinity', 'Services Accounting Code printed on customer invoices: beauty and physical well-being services.', true),
  ('convenience_fee', '4900', '-infinity', 'Platform convenience fee per booking, in paise (₹49).', true),
  ('currency', '"INR"', '-infinity', 'Currency of all amounts; stored in paise.', true),
  ('default_timezone', '"Asia/Kolkata"', '-infinity', 'Timezone used when a vendor or user has none (IST).', true),
  ('booking_hold_minutes', '10', '-infinity', 'Minutes a pending booking holds its slot while the customer pays.', true),
  ('cancellation_policy', '{
      "free_until_hours_before": 24,
      "tiers": [
        {"hours_before": 24, "charge_percentage": 0},
        {"hours_before": 4, "charge_percentage": 25},
        {"hours_before": 0, "charge_percentage": 50}
      ],
      "no_show_charge_percentage": 100,
      "vendor_cancellation_refund_percentage": 100
    }', '-infinity', 'Customer cancellation charges by hours before the start; vendor cancellations are refunded in full.', true),
  ('reschedule_policy', '{
      "free_until_hours_before": 4,
      "max_reschedules": 2,
      "late_reschedule_fee": 9900
    }', '-infinity', 'Free rescheduling up to 4 hours before the start, at most twice; later moves cost late_reschedule_fee paise.', true),
  ('loyalty_earn_rate', '{"points": 1, "per_amount": 10000}', '-infinity', 'Loyalty points earned: points for every per_amount paise of completed bookings (1 point per ₹100).', true),
  ('referral_reward', '{"referrer_amount": 20000, "referee_amount": 10000, "qualifying_min_booking_amount": 99900}', '-infinity', 'Wallet credits in paise for a referral whose first booking of at least the minimum completes.', true),
  ('notification_max_attempts', '5', '-infinity', 'Delivery attempts before an outbox message is marked dead.', false)
on conflict (key, effective_from) do nothing;

-- feature_flags ----------------------------------------------------------------------------

insert into public.feature_flags (key, description, enabled, rollout_percentage, rules)
values
  ('home_services', 'Book therapists to the customer''s address.', true, 100, '{}'),
  ('spa_visits', 'Book visits at partner spas.', true, 100, '{}'),
  ('wallet', 'OMBARO wallet: refunds and cashback to wallet, pay from wallet.', true, 100, '{}'),
  ('referrals', 'Refer-a-friend codes and rewards.', true, 100, '{}'),
  ('loyalty_program', 'Earn and redeem loyalty points.', true, 100, '{}'),
  ('live_tracking', 'Follow the assigned therapist on a map during home services.', true, 100, '{"platforms": ["android", "ios"]}'),
  ('whatsapp_notifications', 'Booking updates over WhatsApp for customers who opted in.', true, 25, '{"roles": ["customer"]}'),
  ('in_app_chat', 'Chat between customer and vendor or therapist about a booking.', false, 0, '{}'),
  ('international_cards', 'Accept cards issued outside India through Stripe.', false, 0, '{}')
on conflict (key) do nothing;

-- app_versions -----------------------------------------------------------------------------

insert into public.app_versions (platform, version, build_number, min_supported_version, force_update, release_notes, store_url, status, released_at)
values
  ('android', '2.3.0', 230, '2.0.0', false, 'GST at 5 % on spa and wellness services; faster checkout with UPI intent.', 'https://play.google.com/store/apps/details?id=com.ombaro.app', 'active', '2025-10-01 10:00:00+05:30'),
  ('ios', '2.3.0', 230, '2.0.0', false, 'GST at 5 % on spa and wellness services; faster checkout.', 'https://apps.apple.com/in/app/ombaro/id0000000000', 'active', '2025-10-01 10:00:00+05:30'),
  ('web', '2.3.0', 230, '2.3.0', false, 'GST at 5 % on spa and wellness services.', 'https://ombaro.com', 'active', '2025-10-01 10:00:00+05:30')
on conflict (platform, version) do nothing;

-- scheduled_tasks --------------------------------------------------------------------------

-- Schedules are pg_cron expressions in UTC.
insert into public.scheduled_tasks (name, description, cron_expression, target_type, function_name, arguments, timeout_seconds)
values
  ('maintain_partitions', 'Create upcoming monthly and daily partitions and drop those past retention.', '7 0 * * *', 'sql_function', 'private.maintain_partitions', '{}', 600),
  ('refresh_dashboards', 'Refresh the dashboard materialized views.', '*/5 * * * *', 'sql_function', 'private.refresh_dashboards', '{}', 240),
  ('expire_booking_holds', 'Cancel pending bookings whose payment hold has lapsed, freeing the slot.', '* * * * *', 'sql_function', 'private.expire_booking_holds', '{}', 50),
  ('notification_outbox_worker', 'Drain due rows of notification_queue: render, send, record the outcome, back off on failure.', '10 seconds', 'edge_function', 'notification-service', '{"batch_size": 100}', 55)
on conflict (name) do nothing;

-- data_retention_policies ------------------------------------------------------------------

insert into public.data_retention_policies (table_name, date_column, retention_period, action, legal_basis, description)
values
  ('therapist_locations', 'timestamp', interval '1 day', 'delete', 'DPDP Act 2023 s.8(7): live location is needed only while the service is under way.', 'Daily partitions dropped after a day; trips keep only distance and duration.'),
  ('analytics_events', 'timestamp', interval '24 months', 'delete', 'DPDP Act 2023 s.8(7): product analytics purpose served within two years.', 'Monthly partitions dropped after 24 months.'),
  ('page_views', 'viewed_at', interval '24 months', 'delete', 'DPDP Act 2023 s.8(7): product analytics purpose served within two years.', 'Monthly partitions dropped after 24 months.'),
  ('audit_logs', 'created_at', null, 'archive', 'Evidence of who changed what (IT Act 2000 s.67C, Companies Act books of account); kept indefinitely.', 'Never deleted; older partitions may move to cold storage.'),
  ('error_logs', 'created_at', interval '6 months', 'delete', 'Operational need only; CERT-In directions of 2022 require 180 days of logs.', 'Monthly partitions dropped after 6 months.'),
  ('email_logs', 'created_at', interval '12 months', 'delete', 'Delivery evidence for disputes within a year.', 'Monthly partitions dropped after 12 months.'),
  ('sms_logs', 'created_at', interval '12 months', 'delete', 'Delivery evidence for disputes within a year; TRAI DLT scrubbing records are kept by the operator.', 'Monthly partitions dropped after 12 months.'),
  ('whatsapp_logs', 'created_at', interval '12 months', 'delete', 'Delivery evidence for disputes within a year.', 'Monthly partitions dropped after 12 months.')
on conflict (table_name) do nothing;

-- SMS templates. Indian operators deliver only DLT-registered templates, so the registered
-- template id travels with each text; variables are {#var#} as DLT writes them.
insert into public.system_settings (key, value, effective_from, description, is_public)
values (
  'sms_templates',
  '{
    "booking_confirmed": {"dlt_template_id": "1107170000000000101", "sender_id": "OMBARO", "category": "service_implicit",
      "variables": ["booking_number", "service_name", "booking_date"],
      "body": "Your OMBARO booking {#var#} for {#var#} on {#var#} is confirmed. Track it in the app. -OMBARO"},
    "therapist_assigned": {"dlt_template_id": "1107170000000000102", "sender_id": "OMBARO", "category": "service_implicit",
      "variables": ["therapist_name", "booking_number", "booking_time"],
      "body": "{#var#} will serve your OMBARO booking {#var#} at {#var#}. -OMBARO"},
    "therapist_arriving": {"dlt_template_id": "1107170000000000103", "sender_id": "OMBARO", "category": "service_implicit",
      "variables": ["minutes_away", "booking_number"],
      "body": "Your therapist is {#var#} minutes away for booking {#var#}. -OMBARO"},
    "booking_cancelled": {"dlt_template_id": "1107170000000000104", "sender_id": "OMBARO", "category": "service_implicit",
      "variables": ["booking_number", "refund_amount"],
      "body": "Your OMBARO booking {#var#} is cancelled. Refund of Rs {#var#} will reach you in 5-7 working days. -OMBARO"},
    "otp_login": {"dlt_template_id": "1107170000000000105", "sender_id": "OMBARO", "category": "transactional",
      "variables": ["otp"],
      "body": "{#var#} is your OMBARO login code. It expires in 10 minutes. Do not share it. -OMBARO"},
    "payment_received": {"dlt_template_id": "1107170000000000106", "sender_id": "OMBARO", "category": "service_implicit",
      "variables": ["amount_paid", "booking_number"],
      "body": "Payment of Rs {#var#} received for OMBARO booking {#var#}. Thank you. -OMBARO"}
  }',
  '-infinity',
  'DLT-registered SMS templates by code: template id, sender id, TRAI category, the variable behind each {#var#} in order, body.',
  false
)
on conflict (key, effective_from) do nothing;

-- Push and in-app templates by message code: the title and body an app shows (the in-app
-- inbox row uses the same), `{{name}}` placeholders from the variables listed.
insert into public.system_settings (key, value, effective_from, description, is_public)
values (
  'push_templates',
  '{
    "booking_created": {"title": "Booking {{booking_number}} received",
      "body": "{{service_name}} at {{vendor_name}} on {{booking_date}} at {{booking_time}}. Pay {{total_amount}} to confirm it.",
      "variables": ["booking_number", "service_name", "vendor_name", "booking_date", "booking_time", "total_amount"]},
    "vendor_new_booking": {"title": "New booking {{booking_number}}",
      "body": "{{customer_name}} booked {{service_name}} on {{booking_date}} at {{booking_time}}.",
      "variables": ["booking_number", "customer_name", "service_name", "booking_date", "booking_time"]},
    "booking_confirmed": {"title": "Booking {{booking_number}} confirmed",
      "body": "{{vendor_name}} expects you on {{booking_date}} at {{booking_time}}.",
      "variables": ["booking_number", "vendor_name", "booking_date", "booking_time"]},
    "booking_started": {"title": "Your session has started",
      "body": "Enjoy your {{service_name}} ({{booking_number}}).",
      "variables": ["service_name", "booking_number"]},
    "booking_completed": {"title": "Session complete",
      "body": "How was your {{service_name}} at {{vendor_name}}? Rate it in the app.",
      "variables": ["service_name", "vendor_name"]},
    "booking_cancelled": {"title": "Booking {{booking_number}} cancelled",
      "body": "Your booking on {{booking_date}} at {{booking_time}} is cancelled. Refund due: {{refund_amount}}.",
      "variables": ["booking_number", "booking_date", "booking_time", "refund_amount"]},
    "vendor_booking_cancelled": {"title": "Booking {{booking_number}} cancelled",
      "body": "The booking of {{customer_name}} on {{booking_date}} at {{booking_time}} is cancelled; the slot is free again.",
      "variables": ["booking_number", "customer_name", "booking_date", "booking_time"]},
    "booking_rescheduled": {"title": "Booking {{booking_number}} moved",
      "body": "Now on {{new_booking_date}} at {{new_booking_time}} (was {{old_booking_date}} at {{old_booking_time}}).",
      "variables": ["booking_number", "new_booking_date", "new_booking_time", "old_booking_date", "old_booking_time"]},
    "therapist_assigned": {"title": "{{therapist_name}} will serve you",
      "body": "{{therapist_name}} is assigned to your booking {{booking_number}} on {{booking_date}} at {{booking_time}}.",
      "variables": ["therapist_name", "booking_number", "booking_date", "booking_time"]},
    "therapist_new_assignment": {"title": "New assignment {{booking_number}}",
      "body": "{{service_name}} for {{customer_name}} on {{booking_date}} at {{booking_time}}.",
      "variables": ["booking_number", "service_name", "customer_name", "booking_date", "booking_time"]},
    "therapist_arriving": {"title": "Your therapist is on the way",
      "body": "{{therapist_name}} is heading to you for booking {{booking_number}}.",
      "variables": ["therapist_name", "booking_number"]},
    "therapist_arrived": {"title": "Your therapist has arrived",
      "body": "{{therapist_name}} is at your door for booking {{booking_number}}. Share your OTP only now.",
      "variables": ["therapist_name", "booking_number"]},
    "payment_received": {"title": "Payment received",
      "body": "{{amount_paid}} received for booking {{booking_number}}. Thank you.",
      "variables": ["amount_paid", "booking_number"]},
    "vendor_booking_paid": {"title": "Booking {{booking_number}} paid",
      "body": "{{customer_name}} paid {{amount}} for {{booking_date}} at {{booking_time}}.",
      "variables": ["booking_number", "customer_name", "amount", "booking_date", "booking_time"]},
    "payment_failed": {"title": "Payment failed",
      "body": "The payment for booking {{booking_number}} did not go through. Try again before your slot is released.",
      "variables": ["booking_number"]},
    "refund_processed": {"title": "Refund processed",
      "body": "{{refund_amount}} for booking {{booking_number}} is on its way back to you.",
      "variables": ["refund_amount", "booking_number"]},
    "promotion": {"title": "{{title}}", "body": "{{body}}", "variables": ["title", "body"]}
  }',
  '-infinity',
  'Push and in-app notification templates by message code: title, body and the variables they use.',
  false
)
on conflict (key, effective_from) do nothing;

-- WhatsApp Business templates as approved by Meta: name, language, category, body with
-- {{1}}..{{n}} and the variable behind each.
insert into public.system_settings (key, value, effective_from, description, is_public)
values (
  'whatsapp_templates',
  '{
    "booking_confirmed": {"name": "booking_confirmed", "language": "en", "category": "utility",
      "body": "Hi {{1}}, your OMBARO booking {{2}} with {{3}} on {{4}} at {{5}} is confirmed.",
      "variables": ["customer_name", "booking_number", "vendor_name", "booking_date", "booking_time"]},
    "booking_cancelled": {"name": "booking_cancelled", "language": "en", "category": "utility",
      "body": "Hi {{1}}, your OMBARO booking {{2}} is cancelled. Refund due: {{3}}.",
      "variables": ["customer_name", "booking_number", "refund_amount"]}
  }',
  '-infinity',
  'Approved WhatsApp Business template messages by message code.',
  false
)
on conflict (key, effective_from) do nothing;

-- OMBARO's principal entity id on the DLT platform, sent with every SMS to an Indian number.
insert into public.system_settings (key, value, effective_from, description, is_public)
values ('dlt_entity_id', '"1101000000000000001"', '-infinity',
        'Principal entity id of OMBARO registered on the TRAI DLT platform.', false)
on conflict (key, effective_from) do nothing;
