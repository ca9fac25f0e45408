-- Email templates for the transactional messages the platform sends (booking lifecycle,
-- payments and refunds, account security, vendor onboarding), in en-IN.
--
-- Placeholders are {{variable}} and each template lists the ones its payload must supply.
-- Amounts reach the templates already formatted as rupees (e.g. ₹1,499.00) by the
-- notification worker, which converts from paise; times are formatted in IST.
--
-- Idempotent: a template that already exists (by code and locale) is left as it is, so
-- wording edited in production is never overwritten by a re-run.

insert into public.email_templates (code, locale, name, category, subject, html_body, text_body, variables)
values
  (
    'booking_confirmation', 'en-IN', 'Booking confirmed', 'transactional',
    'Your booking {{booking_number}} is confirmed',
    $html$<p>Hi {{customer_name}},</p>
<p>Your booking <strong>{{booking_number}}</strong> with <strong>{{vendor_name}}</strong> is confirmed.</p>
<ul>
  <li>Service: {{service_name}}</li>
  <li>When: {{booking_date}} at {{booking_time}} IST</li>
  <li>Where: {{service_address}}</li>
  <li>Amount: {{total_amount}}</li>
</ul>
<p>You can reschedule or cancel from the app under <em>My bookings</em>. Cancellation charges follow our <a href="{{cancellation_policy_url}}">cancellation policy</a>.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

Your booking {{booking_number}} with {{vendor_name}} is confirmed.

Service: {{service_name}}
When: {{booking_date}} at {{booking_time}} IST
Where: {{service_address}}
Amount: {{total_amount}}

You can reschedule or cancel from the app under My bookings. Cancellation charges follow our cancellation policy: {{cancellation_policy_url}}

Team OMBARO$txt$,
    array['customer_name', 'booking_number', 'vendor_name', 'service_name', 'booking_date', 'booking_time', 'service_address', 'total_amount', 'cancellation_policy_url']
  ),
  (
    'booking_cancellation', 'en-IN', 'Booking cancelled', 'transactional',
    'Your booking {{booking_number}} has been cancelled',
    $html$<p>Hi {{customer_name}},</p>
<p>Your booking <strong>{{booking_number}}</strong> with <strong>{{vendor_name}}</strong> for {{booking_date}} at {{booking_time}} IST has been cancelled.</p>
<p>Reason: {{cancellation_reason}}</p>
<p>Refund due: <strong>{{refund_amount}}</strong>. It reaches your original payment method (or OMBARO wallet) within 5-7 working days.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

Your booking {{booking_number}} with {{vendor_name}} for {{booking_date}} at {{booking_time}} IST has been cancelled.

Reason: {{cancellation_reason}}

Refund due: {{refund_amount}}. It reaches your original payment method (or OMBARO wallet) within 5-7 working days.

Team OMBARO$txt$,
    array['customer_name', 'booking_number', 'vendor_name', 'booking_date', 'booking_time', 'cancellation_reason', 'refund_amount']
  ),
  (
    'booking_rescheduled', 'en-IN', 'Booking rescheduled', 'transactional',
    'Your booking {{booking_number}} has moved to {{new_booking_date}}',
    $html$<p>Hi {{customer_name}},</p>
<p>Your booking <strong>{{booking_number}}</strong> with <strong>{{vendor_name}}</strong> has been rescheduled.</p>
<ul>
  <li>Was: {{old_booking_date}} at {{old_booking_time}} IST</li>
  <li>Now: <strong>{{new_booking_date}} at {{new_booking_time}} IST</strong></li>
</ul>
<p>If you did not ask for this change, reply to this email or contact support from the app.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

Your booking {{booking_number}} with {{vendor_name}} has been rescheduled.

Was: {{old_booking_date}} at {{old_booking_time}} IST
Now: {{new_booking_date}} at {{new_booking_time}} IST

If you did not ask for this change, reply to this email or contact support from the app.

Team OMBARO$txt$,
    array['customer_name', 'booking_number', 'vendor_name', 'old_booking_date', 'old_booking_time', 'new_booking_date', 'new_booking_time']
  ),
  (
    'therapist_assigned', 'en-IN', 'Therapist assigned', 'transactional',
    '{{therapist_name}} will take care of your booking {{booking_number}}',
    $html$<p>Hi {{customer_name}},</p>
<p><strong>{{therapist_name}}</strong> ({{therapist_rating}}★, {{therapist_experience_years}} years of experience) has been assigned to your booking <strong>{{booking_number}}</strong> on {{booking_date}} at {{booking_time}} IST.</p>
<p>For home services you can follow your therapist live in the app once they set out. For your safety, share the OTP <strong>{{service_otp}}</strong> only when the therapist has arrived.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

{{therapist_name}} ({{therapist_rating}} stars, {{therapist_experience_years}} years of experience) has been assigned to your booking {{booking_number}} on {{booking_date}} at {{booking_time}} IST.

For home services you can follow your therapist live in the app once they set out. For your safety, share the OTP {{service_otp}} only when the therapist has arrived.

Team OMBARO$txt$,
    array['customer_name', 'therapist_name', 'therapist_rating', 'therapist_experience_years', 'booking_number', 'booking_date', 'booking_time', 'service_otp']
  ),
  (
    'payment_receipt', 'en-IN', 'Payment receipt', 'transactional',
    'Payment of {{amount_paid}} received for booking {{booking_number}}',
    $html$<p>Hi {{customer_name}},</p>
<p>We have received your payment for booking <strong>{{booking_number}}</strong>.</p>
<table>
  <tr><td>Service value</td><td>{{subtotal}}</td></tr>
  <tr><td>Discount</td><td>-{{discount_amount}}</td></tr>
  <tr><td>GST ({{gst_rate}}%, SAC {{sac_code}})</td><td>{{tax_amount}}</td></tr>
  <tr><td>Convenience fee</td><td>{{convenience_fee}}</td></tr>
  <tr><td><strong>Total paid</strong></td><td><strong>{{amount_paid}}</strong></td></tr>
</table>
<p>Paid by {{payment_method}} on {{payment_date}}. Transaction id: {{transaction_id}}.</p>
<p>Your GST invoice {{invoice_number}} is attached and available in the app.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

We have received your payment for booking {{booking_number}}.

Service value: {{subtotal}}
Discount: -{{discount_amount}}
GST ({{gst_rate}}%, SAC {{sac_code}}): {{tax_amount}}
Convenience fee: {{convenience_fee}}
Total paid: {{amount_paid}}

Paid by {{payment_method}} on {{payment_date}}. Transaction id: {{transaction_id}}.

Your GST invoice {{invoice_number}} is attached and available in the app.

Team OMBARO$txt$,
    array['customer_name', 'booking_number', 'subtotal', 'discount_amount', 'gst_rate', 'sac_code', 'tax_amount', 'convenience_fee', 'amount_paid', 'payment_method', 'payment_date', 'transaction_id', 'invoice_number']
  ),
  (
    'refund_processed', 'en-IN', 'Refund processed', 'transactional',
    'Refund of {{refund_amount}} processed for booking {{booking_number}}',
    $html$<p>Hi {{customer_name}},</p>
<p>We have processed a refund of <strong>{{refund_amount}}</strong> for booking <strong>{{booking_number}}</strong>.</p>
<p>It goes back to {{refund_destination}} (reference {{refund_reference}}). Banks usually credit it within 5-7 working days; wallet refunds are instant.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{customer_name}},

We have processed a refund of {{refund_amount}} for booking {{booking_number}}.

It goes back to {{refund_destination}} (reference {{refund_reference}}). Banks usually credit it within 5-7 working days; wallet refunds are instant.

Team OMBARO$txt$,
    array['customer_name', 'refund_amount', 'booking_number', 'refund_destination', 'refund_reference']
  ),
  (
    'password_reset', 'en-IN', 'Password reset', 'transactional',
    'Reset your OMBARO password',
    $html$<p>Hi {{name}},</p>
<p>We received a request to reset the password of your OMBARO account.</p>
<p><a href="{{reset_link}}">Choose a new password</a>. The link expires in {{expires_in_minutes}} minutes and works once.</p>
<p>If you did not ask for this, ignore this email: your password stays as it is.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{name}},

We received a request to reset the password of your OMBARO account.

Choose a new password: {{reset_link}}
The link expires in {{expires_in_minutes}} minutes and works once.

If you did not ask for this, ignore this email: your password stays as it is.

Team OMBARO$txt$,
    array['name', 'reset_link', 'expires_in_minutes']
  ),
  (
    'auth_magic_link', 'en-IN', 'Sign-in link', 'transactional',
    'Your OMBARO sign-in link',
    $html$<p>Hi {{name}},</p>
<p><a href="{{magic_link}}">Sign in to OMBARO</a>, or enter the code <strong>{{otp}}</strong> in the app.</p>
<p>The link and the code expire in {{expires_in_minutes}} minutes and work once. If you did not ask to sign in, ignore this email.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{name}},

Sign in to OMBARO: {{magic_link}}
Or enter the code {{otp}} in the app.

The link and the code expire in {{expires_in_minutes}} minutes and work once. If you did not ask to sign in, ignore this email.

Team OMBARO$txt$,
    array['name', 'magic_link', 'otp', 'expires_in_minutes']
  ),
  (
    'auth_confirm_signup', 'en-IN', 'Confirm your email', 'transactional',
    'Confirm your OMBARO account',
    $html$<p>Hi {{name}},</p>
<p>Welcome to OMBARO. <a href="{{confirmation_link}}">Confirm your email address</a>, or enter the code <strong>{{otp}}</strong> in the app.</p>
<p>The link and the code expire in {{expires_in_minutes}} minutes. If you did not sign up, ignore this email.</p>
<p>Team OMBARO</p>$html$,
    $txt$Hi {{name}},

Welcome to OMBARO. Confirm your email address: {{confirmation_link}}
Or enter the code {{otp}} in the app.

The link and the code expire in {{expires_in_minutes}} minutes. If you did not sign up, ignore this email.

Team OMBARO$txt$,
    array['name', 'confirmation_link', 'otp', 'expires_in_minutes']
  ),
  (
    'vendor_application_status', 'en-IN', 'Vendor application status', 'transactional',
    'Your OMBARO partner application {{application_number}}: {{application_status}}',
    $html$<p>Hi {{contact_person}},</p>
<p>The status of the partner application for <strong>{{business_name}}</strong> ({{application_number}}) is now <strong>{{application_status}}</strong>.</p>
<p>{{status_message}}</p>
<p>You can follow your application and upload any pending documents (GST certificate, PAN, trade licence, bank proof) at <a href="{{application_url}}">{{application_url}}</a>.</p>
<p>Team OMBARO Partner Onboarding</p>$html$,
    $txt$Hi {{contact_person}},

The status of the partner application for {{business_name}} ({{application_number}}) is now {{application_status}}.

{{status_message}}

You can follow your application and upload any pending documents (GST certificate, PAN, trade licence, bank proof) at {{application_url}}

Team OMBARO Partner Onboarding$txt$,
    array['contact_person', 'business_name', 'application_number', 'application_status', 'status_message', 'application_url']
  ),
  (
    'payment_flagged', 'en-IN', 'Payment flagged for finance', 'transactional',
    'Payment flagged at {{gateway}}',
    $html$<p>A payment event from <strong>{{gateway}}</strong> needs a look before it is applied.</p>
<p>{{problem}}</p>
<p>The event is in the payment inbox (private.webhook_events) with status flagged.</p>$html$,
    $txt$A payment event from {{gateway}} needs a look before it is applied.

{{problem}}

The event is in the payment inbox (private.webhook_events) with status flagged.$txt$,
    array['gateway', 'problem']
  )
on conflict (code, locale) do nothing;
