-- Storage: each bucket's objects reach only their owner, the parties of the booking, and the
-- departments that review them; only catalogue images are public.
begin;
select plan(41);
select tests.create_personas();

select tests.create_booking(tests.id('customer_a'), tests.id('vendor_a')) as booking_a \gset
select id as therapist_a from public.therapists where user_id = tests.id('therapist_a') \gset
insert into public.therapist_assignments (booking_id, therapist_id, vendor_id, customer_id, service_id, assignment_date,
                                          assignment_time, location_address, estimated_duration)
values (:'booking_a', :'therapist_a', tests.id('vendor_a'), tests.id('customer_a'),
        (select id from public.services where code = 'SWD'), current_date + 3, '11:00', 'at the spa', 60);

insert into storage.objects (bucket_id, name, owner) values
  ('catalogue-images', 'services/swedish.jpg', tests.id('super_admin')),
  ('profile-images', tests.id('customer_a') || '/avatar.jpg', tests.id('customer_a')),
  ('booking-photos', :'booking_a' || '/before.jpg', tests.id('customer_a')),
  ('therapist-certificates', :'therapist_a' || '/cidesco.pdf', tests.id('therapist_a')),
  ('kyc-documents', tests.id('customer_a') || '/pan.pdf', tests.id('customer_a')),
  ('vendor-documents', tests.id('vendor_a') || '/gst-certificate.pdf', tests.id('vendor_a'));

select is(tests.attempt(p, c, 'storage.objects', format('bucket_id = %L', b)), e, format('%s %s %s', p, c, b))
  from (values
    ('anon', 'select', 'catalogue-images', 'denied'),
    ('customer_a', 'select', 'catalogue-images', 'denied'),
    ('anon', 'insert', 'catalogue-images', 'denied'),
    ('customer_a', 'insert', 'catalogue-images', 'denied'),
    ('super_admin', 'insert', 'catalogue-images', 'allowed'),
    ('anon', 'select', 'profile-images', 'denied'),
    ('customer_a', 'select', 'profile-images', 'allowed'),
    ('customer_b', 'select', 'profile-images', 'denied'),
    ('vendor_a', 'select', 'profile-images', 'denied'),
    ('customer_a', 'update', 'profile-images', 'allowed'),
    ('customer_b', 'update', 'profile-images', 'denied'),
    ('customer_b', 'delete', 'profile-images', 'denied'),
    ('hr_department', 'select', 'profile-images', 'allowed'),
    ('anon', 'select', 'booking-photos', 'denied'),
    ('customer_a', 'select', 'booking-photos', 'allowed'),
    ('vendor_a', 'select', 'booking-photos', 'allowed'),
    ('staff_a', 'select', 'booking-photos', 'allowed'),
    ('therapist_a', 'select', 'booking-photos', 'allowed'),
    ('customer_b', 'select', 'booking-photos', 'denied'),
    ('vendor_b', 'select', 'booking-photos', 'denied'),
    ('therapist_b', 'select', 'booking-photos', 'denied'),
    ('customer_b', 'insert', 'booking-photos', 'denied'),
    ('vendor_b', 'delete', 'booking-photos', 'denied'),
    ('therapist_a', 'select', 'therapist-certificates', 'allowed'),
    ('vendor_a', 'select', 'therapist-certificates', 'allowed'),
    ('vendor_b', 'select', 'therapist-certificates', 'denied'),
    ('customer_a', 'select', 'therapist-certificates', 'denied'),
    ('therapist_b', 'insert', 'therapist-certificates', 'denied'),
    ('customer_a', 'select', 'kyc-documents', 'allowed'),
    ('customer_b', 'select', 'kyc-documents', 'denied'),
    ('vendor_a', 'select', 'kyc-documents', 'denied'),
    ('marketing_department', 'select', 'kyc-documents', 'denied'),
    ('legal_department', 'select', 'kyc-documents', 'allowed'),
    ('vendor_a', 'select', 'vendor-documents', 'allowed'),
    ('vendor_b', 'select', 'vendor-documents', 'denied'),
    ('customer_a', 'select', 'vendor-documents', 'denied'),
    ('legal_department', 'select', 'vendor-documents', 'allowed'),
    ('vendor_list', 'select', 'vendor-documents', 'allowed'),
    ('staff_a', 'delete', 'vendor-documents', 'denied'),
    ('vendor_b', 'insert', 'vendor-documents', 'denied')
  ) m(p, c, b, e);

-- An upload into someone else's folder is refused whatever the bucket.
select tests.act_as('customer_b');
select throws_ok(
  format($$insert into storage.objects (bucket_id, name, owner) values ('kyc-documents', '%s/forged.pdf', %L)$$,
         tests.id('customer_a'), tests.id('customer_b')),
  '42501', null, 'a customer cannot upload into another customer''s KYC folder'
);
select tests.clear_authentication();

select * from finish();
rollback;
