-- A person who signs up through Supabase Auth becomes a customer: the insert into auth.users
-- (by GoTrue on Supabase, by `ombaro`'s /auth/v1 locally) creates their user_profiles and
-- customers rows, so every app finds a profile without a second call.
--
-- * The role is always 'customer'. Nothing the person sends (user_metadata is theirs to
--   write) can make them anything else; other roles are given by set_user_role.
-- * user_profiles needs a mobile number (unique). It comes from the sign-up phone, or from
--   user_metadata.mobile / .phone for an email sign-up; without a valid, unused one no
--   profile is made here, and the app creates it later through the sign-up insert policy of
--   V25 once it has asked for the number. A sign-up never fails because of its profile.
-- * The name comes from user_metadata.name or .full_name, else the email's local part.

create or replace function private.create_customer_profile()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta jsonb := case when jsonb_typeof(new.raw_user_meta_data) = 'object' then new.raw_user_meta_data else '{}'::jsonb end;
  mobile text := coalesce(nullif(new.phone, ''), meta ->> 'mobile', meta ->> 'phone');
  display_name text;
begin
  if mobile is null then
    return new;
  end if;
  mobile := regexp_replace(mobile, '[[:space:]()-]', '', 'g');
  if mobile ~ '^[1-9][0-9]{9,14}$' and length(mobile) > 10 then
    mobile := '+' || mobile;
  end if;
  if mobile !~ '^\+?[1-9][0-9]{9,14}$' then
    return new;
  end if;
  display_name := left(coalesce(
    nullif(btrim(meta ->> 'name'), ''),
    nullif(btrim(meta ->> 'full_name'), ''),
    nullif(split_part(coalesce(new.email, ''), '@', 1), ''),
    'Customer'
  ), 200);
  insert into public.user_profiles (id, name, mobile, role, status)
  values (new.id, display_name, mobile, 'customer', 'active')
  on conflict do nothing;
  if found then
    insert into public.customers (id) values (new.id) on conflict do nothing;
  end if;
  return new;
end
$$;

revoke all on function private.create_customer_profile() from public;

comment on function private.create_customer_profile() is
  'Trigger on auth.users: a new sign-up gets a customer profile (user_profiles + customers) when a valid, unused mobile is known; never any other role.';

create trigger create_customer_profile after insert on auth.users
  for each row execute function private.create_customer_profile();
