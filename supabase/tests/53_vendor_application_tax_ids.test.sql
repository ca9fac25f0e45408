-- Vendor applications keep GSTIN and PAN as vendors do: the form writes them as before, the
-- row stores ciphertext and the last four characters, and only the applicant and the teams
-- reviewing applications read them in full.
begin;
select plan(8);

\o /dev/null
select tests.create_personas();
\o

select tests.act_as('vendor_a');
insert into public.vendor_applications (applicant_id, business_name, contact_person, contact_mobile, gst_number, pan_number)
values ((select auth.uid()), 'Spa A Indiranagar', 'Owner A', '9800000001', '29abcde1234f1z5', 'ABCDE1234F')
returning id as application \gset
select tests.clear_authentication();

select is((select gst_number from public.vendor_applications where id = :'application'), null,
  'the clear GSTIN is not stored');
select is((select pan_number from public.vendor_applications where id = :'application'), null,
  'the clear PAN is not stored');
select is((select format('%s %s', gst_number_last4, pan_number_last4) from public.vendor_applications where id = :'application'),
  'F1Z5 234F', 'the last four characters are kept for display');
select ok((select gst_number_encrypted is not null and pan_number_encrypted is not null
             and strpos(encode(gst_number_encrypted, 'escape'), '29ABCDE1234F1Z5') = 0
             from public.vendor_applications where id = :'application'),
  'both are stored as ciphertext');
select is(has_column_privilege('authenticated', 'public.vendor_applications', 'gst_number_encrypted', 'select'), false,
  'signed-in users cannot read the ciphertext');

select tests.act_as('vendor_a');
select is((select format('%s %s', gst_number, pan_number) from public.reveal_vendor_application_tax_ids(:'application')),
  '29ABCDE1234F1Z5 ABCDE1234F', 'the applicant reads them');
select tests.clear_authentication();
select tests.act_as('vendor_list');
select is((select format('%s %s', gst_number, pan_number) from public.reveal_vendor_application_tax_ids(:'application')),
  '29ABCDE1234F1Z5 ABCDE1234F', 'vendor onboarding reads them');
select tests.clear_authentication();
select tests.act_as('vendor_b');
select throws_ok(format('select * from public.reveal_vendor_application_tax_ids(%L)', :'application'), '42501', null,
  'another vendor cannot');
select tests.clear_authentication();

select * from finish();
rollback;
