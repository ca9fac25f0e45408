-- Idempotent booking requests: an Idempotency-Key means "this same request again", so the
-- request a key was first used for is kept with the booking it made.
--
-- What it adds and why:
-- * bookings.idempotency_request_hash: the SHA-256 (hex) of the canonical create request the
--   booking was made from (the booking service's BookingRequest::fingerprint). A retry with
--   the same key and the same request replays the booking; the same key with a different
--   request (other items, another therapist, another time) is refused with 422
--   idempotency_key_reused, as Stripe does, instead of answering with a booking the client
--   did not ask for. Written by the booking service together with idempotency_key, so it is
--   never set without one.

alter table public.bookings
  add column idempotency_request_hash text check (idempotency_request_hash ~ '^[0-9a-f]{64}$'),
  add constraint bookings_idempotency_request_hash_needs_key
    check (idempotency_request_hash is null or idempotency_key is not null);

comment on column public.bookings.idempotency_request_hash is
  'SHA-256 (hex) of the canonical create request made with idempotency_key: a retry with the same key must send the same request.';
