-- Numbers people quote (bookings, complaints) keep every digit of their serial: the padding
-- is a minimum width, never a cut, so the ten-thousandth booking of all time and the
-- millionth complaint do not collide with earlier ones.
begin;
select plan(4);

select is(private.format_booking_number(42, '2025-10-15 12:00+05:30'), 'OBO-20251015-0042',
  'a small serial is padded to four digits');
select is(private.format_booking_number(12345, '2025-10-15 12:00+05:30'), 'OBO-20251015-12345',
  'a serial past 9 999 keeps all its digits');

select setval('private.customer_complaint_number_seq', 1234566);
select ok(private.next_complaint_number() like 'CMP-%-1234567',
  'the millionth complaint number keeps all its digits');
select setval('private.customer_complaint_number_seq', 41);
select ok(private.next_complaint_number() like 'CMP-%-000042',
  'a small complaint serial is padded to six digits');

select * from finish();
rollback;
