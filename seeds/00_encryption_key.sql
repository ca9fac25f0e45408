-- The data key behind `private.encryption_key()` where Supabase Vault holds it: creates the
-- Vault secret `ombaro_encryption_key` with a random 256-bit key when it is missing, so a
-- `supabase start` / `supabase db reset` project can save and reveal encrypted numbers.
--
-- Only where the `vault` schema exists (Supabase); on a stock cluster the key is the file
-- `ombaro db start` writes, and this does nothing. An existing secret is never replaced:
-- a new key would make every stored ciphertext unreadable. For a hosted project, create the
-- secret once yourself (README, "The encryption key on Supabase").

do $$
begin
  if to_regclass('vault.decrypted_secrets') is null then
    return;
  end if;
  if exists (select 1 from vault.decrypted_secrets where name = 'ombaro_encryption_key') then
    return;
  end if;
  perform vault.create_secret(encode(extensions.gen_random_bytes(32), 'hex'), 'ombaro_encryption_key',
    'OMBARO data key for private.encrypt_text / decrypt_text; never rotate without re-encrypting');
end
$$;
