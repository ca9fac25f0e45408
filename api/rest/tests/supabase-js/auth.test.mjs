// supabase.auth.* through @supabase/supabase-js against /auth/v1, as the apps call it. The stack
// (with a notification worker delivering SMS into sms_logs) is started by
// cli/tests/auth_supabase_js.rs, which passes it in OMBARO_TEST_ENV. The tests run in order; the
// last one spends the sign-in rate limit.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'

const env = JSON.parse(process.env.OMBARO_TEST_ENV ?? '{}')
if (!env.url) throw new Error('OMBARO_TEST_ENV is missing: run this suite through cargo test')

// Node 20 has no WebSocket of its own; supabase-js wants a realtime transport even unused.
const options = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: ws },
}
const client = () => createClient(env.url, env.anonKey, options)
const anon = client()
const service = createClient(env.url, env.serviceKey, options)
const asUser = (token) =>
  createClient(env.url, env.anonKey, { ...options, global: { headers: { Authorization: `Bearer ${token}` } } })

const claims = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString())
const email = (who) => `${who}.${env.run}.${Math.random().toString(36).slice(2, 8)}@example.in`
const mobile = () => `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const password = 'correct horse battery'

/** The latest SMS sent to `phone` (E.164), once the worker has delivered it. */
async function smsTo(phone) {
  for (let i = 0; i < 100; i++) {
    const { data, error } = await service
      .from('sms_logs')
      .select('body, to_mobile, created_at')
      .eq('to_mobile', phone)
      .order('created_at', { ascending: false })
      .limit(1)
    assert.equal(error, null)
    if (data.length) return data[0].body
    await sleep(100)
  }
  throw new Error(`no SMS reached ${phone}`)
}

test('health and settings answer as GoTrue does', async () => {
  const health = await fetch(`${env.url}/auth/v1/health`)
  assert.equal(health.status, 200)
  assert.equal((await health.json()).name, 'GoTrue')
  const settings = await fetch(`${env.url}/auth/v1/settings`, { headers: { apikey: env.anonKey } })
  assert.equal(settings.status, 200)
  const body = await settings.json()
  assert.equal(body.external.email, true)
  assert.equal(body.external.phone, true)
  assert.equal(body.mailer_autoconfirm, true)
  const keyless = await fetch(`${env.url}/auth/v1/settings`)
  assert.equal(keyless.status, 401)
})

test('email sign-up is autoconfirmed and signed in, with GoTrue claims and the configured expiry', async () => {
  const address = email('meera')
  const { data, error } = await client().auth.signUp({ email: address, password, options: { data: { name: 'Meera' } } })
  assert.equal(error, null)
  assert.equal(data.user.email, address)
  assert.ok(data.user.email_confirmed_at)
  assert.deepEqual(data.user.user_metadata, { name: 'Meera' })
  assert.equal(data.user.identities[0].provider, 'email')
  const c = claims(data.session.access_token)
  assert.equal(c.sub, data.user.id)
  assert.equal(c.aud, 'authenticated')
  assert.equal(c.role, 'authenticated')
  assert.equal(c.email, address)
  assert.equal(c.exp - c.iat, env.jwtExpiry)
  assert.equal(data.session.expires_in, env.jwtExpiry)
  assert.equal(c.iss, `${env.url}/auth/v1`)
  assert.equal(c.aal, 'aal1')
  assert.equal(c.amr[0].method, 'password')
  assert.equal(c.is_anonymous, false)
  assert.equal(c.session_id.length, 36)
  assert.equal(c.app_metadata.provider, 'email')
  assert.deepEqual(c.app_metadata.providers, ['email'])
  assert.equal(c.user_metadata.name, 'Meera')
  assert.equal(typeof data.session.refresh_token, 'string')

  // The same address again: GoTrue's code, and nothing new.
  const again = await client().auth.signUp({ email: address, password })
  assert.equal(again.error.status, 422)
  assert.equal(again.error.code, 'user_already_exists')
})

test('a weak password and a bad address are refused with their codes', async () => {
  const weak = await client().auth.signUp({ email: email('weak'), password: '123' })
  assert.equal(weak.error.status, 422)
  assert.equal(weak.error.code, 'weak_password')
  assert.deepEqual(weak.error.reasons, ['length'])
  const bad = await client().auth.signUp({ email: 'not-an-email', password })
  assert.equal(bad.error.status, 400)
  assert.equal(bad.error.code, 'email_address_invalid')
  const anonymous = await client().auth.signInAnonymously()
  assert.equal(anonymous.error.status, 422)
  assert.equal(anonymous.error.code, 'anonymous_provider_disabled')
})

test('sign-in with the password; a wrong password and an unknown email fail alike', async () => {
  const address = email('meera')
  assert.equal((await client().auth.signUp({ email: address, password })).error, null)
  const meera = client()
  const { data, error } = await meera.auth.signInWithPassword({ email: address.toUpperCase(), password })
  assert.equal(error, null)
  assert.equal(data.user.email, address)
  const me = await meera.auth.getUser()
  assert.equal(me.error, null)
  assert.equal(me.data.user.id, data.user.id)

  const wrong = await client().auth.signInWithPassword({ email: address, password: 'wrong password!' })
  const nobody = await client().auth.signInWithPassword({ email: email('nobody'), password })
  for (const failed of [wrong, nobody]) {
    assert.equal(failed.data.session, null)
    assert.equal(failed.error.status, 400)
    assert.equal(failed.error.code, 'invalid_credentials')
    assert.equal(failed.error.message, 'Invalid login credentials')
  }
  // Byte for byte the same answer, headers included.
  const raw = async (body) => {
    const r = await fetch(`${env.url}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: env.anonKey, 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify(body),
    })
    return [r.status, r.headers.get('x-sb-error-code'), await r.text()]
  }
  assert.deepEqual(await raw({ email: address, password: 'wrong password!' }), await raw({ email: email('nobody'), password }))
  // Older clients get GoTrue's original shape.
  const legacy = await fetch(`${env.url}/auth/v1/token?grant_type=password`, {
    method: 'POST',
    headers: { apikey: env.anonKey, 'content-type': 'application/json' },
    body: JSON.stringify({ email: address, password: 'nope nope' }),
  })
  assert.deepEqual(await legacy.json(), { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' })
})

test('refresh tokens rotate; a lost reply is answered again; reuse outside the interval revokes the family', async () => {
  const address = email('reuse')
  const signed = await client().auth.signUp({ email: address, password })
  assert.equal(signed.error, null)
  const r1 = signed.data.session.refresh_token
  const refresh = async (token) => client().auth.refreshSession({ refresh_token: token })

  const second = await refresh(r1)
  assert.equal(second.error, null)
  const r2 = second.data.session.refresh_token
  assert.notEqual(r2, r1)
  assert.equal(claims(second.data.session.access_token).session_id, claims(signed.data.session.access_token).session_id)

  // r1 again while r2 (its child) is the active token: the client lost the reply; it gets r2.
  const lost = await refresh(r1)
  assert.equal(lost.error, null)
  assert.equal(lost.data.session.refresh_token, r2)

  const third = await refresh(r2)
  assert.equal(third.error, null)
  const r3 = third.data.session.refresh_token

  // r1 once more, after its reuse interval: someone else holds the chain.
  await sleep(env.reuseInterval * 1000 + 700)
  const stolen = await refresh(r1)
  assert.equal(stolen.data.session, null)
  assert.equal(stolen.error.status, 400)
  assert.equal(stolen.error.code, 'refresh_token_already_used')
  // ... and the legitimate holder's current token is dead too.
  const burnt = await refresh(r3)
  assert.equal(burnt.error.code, 'refresh_token_already_used')

  const unknown = await refresh('not-a-token-we-issued')
  assert.equal(unknown.error.code, 'refresh_token_not_found')
})

test('a revoked token inside the reuse interval still refreshes', async () => {
  const signed = await client().auth.signUp({ email: email('interval'), password })
  const r1 = signed.data.session.refresh_token
  const r2 = (await client().auth.refreshSession({ refresh_token: r1 })).data.session.refresh_token
  const r3 = (await client().auth.refreshSession({ refresh_token: r2 })).data.session.refresh_token
  assert.ok(r3)
  // r1 is not r3's parent, but it was revoked less than the interval ago.
  const racing = await client().auth.refreshSession({ refresh_token: r1 })
  assert.equal(racing.error, null)
  assert.ok(racing.data.session.refresh_token)
})

test('sign-out: global ends every session, others all but this one, local only this one', async () => {
  const address = email('signout')
  assert.equal((await client().auth.signUp({ email: address, password })).error, null)
  const signIn = async () => {
    const c = client()
    const { data, error } = await c.auth.signInWithPassword({ email: address, password })
    assert.equal(error, null)
    return { c, session: data.session }
  }
  // GET /user with a session's access token, as GoTrue answers it.
  const userWith = async (session) => {
    const r = await fetch(`${env.url}/auth/v1/user`, {
      headers: { apikey: env.anonKey, authorization: `Bearer ${session.access_token}`, 'x-supabase-api-version': '2024-01-01' },
    })
    const body = await r.json()
    return r.status === 200 ? { error: null, user: body } : { error: { status: r.status, code: body.code } }
  }

  const a = await signIn()
  const b = await signIn()
  const c = await signIn()
  assert.equal((await a.c.auth.signOut({ scope: 'others' })).error, null)
  assert.equal((await userWith(a.session)).error, null)
  for (const other of [b, c]) {
    const gone = await userWith(other.session)
    assert.equal(gone.error.status, 403)
    assert.equal(gone.error.code, 'session_not_found')
    // supabase-js reads that code as "signed out".
    const viaClient = await client().auth.getUser(other.session.access_token)
    assert.equal(viaClient.data.user, null)
    assert.equal(viaClient.error.name, 'AuthSessionMissingError')
    const refresh = await client().auth.refreshSession({ refresh_token: other.session.refresh_token })
    assert.equal(refresh.error.code, 'refresh_token_not_found')
  }

  const d = await signIn()
  assert.equal((await d.c.auth.signOut({ scope: 'local' })).error, null)
  assert.equal((await userWith(d.session)).error.code, 'session_not_found')
  assert.equal((await userWith(a.session)).error, null)

  const e = await signIn()
  assert.equal((await e.c.auth.signOut()).error, null)
  assert.equal((await userWith(e.session)).error.code, 'session_not_found')
  assert.equal((await userWith(a.session)).error.code, 'session_not_found')
  assert.equal((await e.c.auth.getSession()).data.session, null)
})

test('phone OTP: the code goes through the notification worker into sms_logs and signs the customer in', async () => {
  const phone = mobile()
  const sent = await client().auth.signInWithOtp({ phone, options: { data: { name: 'Kabir' } } })
  assert.equal(sent.error, null)
  assert.ok(sent.data.messageId)
  const body = await smsTo(phone)
  assert.match(body, /is your OMBARO login code/)
  const code = body.match(/\b(\d{6})\b/)[1]

  // Asking again at once sends nothing new.
  const tooSoon = await client().auth.signInWithOtp({ phone })
  assert.equal(tooSoon.error.status, 429)
  assert.equal(tooSoon.error.code, 'over_sms_send_rate_limit')

  const wrongCode = String((Number(code) + 1) % 1000000).padStart(6, '0')
  const wrong = await client().auth.verifyOtp({ phone, token: wrongCode, type: 'sms' })
  assert.equal(wrong.error.status, 403)
  assert.equal(wrong.error.code, 'otp_expired')

  const kabir = client()
  const { data, error } = await kabir.auth.verifyOtp({ phone, token: code, type: 'sms' })
  assert.equal(error, null)
  assert.equal(data.user.phone, phone.slice(1))
  assert.ok(data.user.phone_confirmed_at)
  const c = claims(data.session.access_token)
  assert.equal(c.phone, phone.slice(1))
  assert.equal(c.amr[0].method, 'otp')
  assert.equal(c.app_metadata.provider, 'phone')
  assert.equal(c.app_metadata.role, 'customer')

  // The sign-up made the customer's OMBARO profile, readable as themselves through /rest/v1.
  const me = asUser(data.session.access_token)
  const profile = await me.from('user_profiles').select('name, mobile, role').single()
  assert.equal(profile.error, null)
  assert.deepEqual(profile.data, { name: 'Kabir', mobile: phone, role: 'customer' })
  const customer = await me.from('customers').select('id').single()
  assert.equal(customer.error, null)
  assert.equal(customer.data.id, data.user.id)

  // A used code does not work twice.
  const replay = await client().auth.verifyOtp({ phone, token: code, type: 'sms' })
  assert.equal(replay.error.code, 'otp_expired')
})

test('a privileged role in user_metadata buys nothing', async () => {
  const phone = mobile()
  const { data, error } = await client().auth.signUp({
    email: email('meera'),
    password,
    options: { data: { role: 'super_admin', mobile: phone, name: 'Mallory' } },
  })
  assert.equal(error, null)
  const c = claims(data.session.access_token)
  assert.equal(c.role, 'authenticated')
  assert.equal(c.app_metadata.role, 'customer')
  const me = asUser(data.session.access_token)
  const profile = await me.from('user_profiles').select('role').single()
  assert.deepEqual(profile.data, { role: 'customer' })

  // Nor does writing it later, or trying app_metadata.
  const signedIn = client()
  await signedIn.auth.setSession(data.session)
  const updated = await signedIn.auth.updateUser({ data: { role: 'super_admin', app_metadata: { role: 'super_admin' } } })
  assert.equal(updated.error, null)
  const raw = await fetch(`${env.url}/auth/v1/user`, {
    method: 'PUT',
    headers: { apikey: env.anonKey, authorization: `Bearer ${data.session.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app_metadata: { role: 'super_admin' } }),
  })
  assert.equal(raw.status, 200)
  const refreshed = await client().auth.refreshSession({ refresh_token: data.session.refresh_token })
  const after = claims(refreshed.data.session.access_token)
  assert.equal(after.role, 'authenticated')
  assert.equal(after.app_metadata.role, 'customer')
  assert.equal(after.user_metadata.role, 'super_admin')
})

test('updateUser changes the password and metadata of the signed-in user', async () => {
  const address = email('meera')
  const c = client()
  assert.equal((await c.auth.signUp({ email: address, password })).error, null)
  const { data, error } = await c.auth.updateUser({ password: 'a new password', data: { city: 'Pune' } })
  assert.equal(error, null)
  assert.equal(data.user.user_metadata.city, 'Pune')
  assert.equal((await client().auth.signInWithPassword({ email: address, password })).error.code, 'invalid_credentials')
  assert.equal((await client().auth.signInWithPassword({ email: address, password: 'a new password' })).error, null)
  const unauthenticated = await fetch(`${env.url}/auth/v1/user`, { headers: { apikey: env.anonKey } })
  assert.equal(unauthenticated.status, 401)
})

test('email magic link: queued for the notification service, its code signs in', async () => {
  const address = email('magic')
  assert.equal((await client().auth.signUp({ email: address, password })).error, null)
  const sent = await client().auth.signInWithOtp({ email: address, options: { shouldCreateUser: false } })
  assert.equal(sent.error, null)
  const queued = await service
    .from('notification_queue')
    .select('channel, recipient, template_code, payload')
    .eq('recipient', address)
    .eq('template_code', 'auth_magic_link')
    .single()
  assert.equal(queued.error, null)
  assert.equal(queued.data.channel, 'email')
  assert.match(queued.data.payload.magic_link, /\/auth\/v1\/verify\?token=[0-9a-f]{56}&type=magiclink/)
  const { data, error } = await client().auth.verifyOtp({ email: address, token: queued.data.payload.otp, type: 'email' })
  assert.equal(error, null)
  assert.equal(data.user.email, address)

  // A new address gets its account, unconfirmed, and the sign-up confirmation instead.
  const fresh = email('fresh')
  assert.equal((await client().auth.signInWithOtp({ email: fresh })).error, null)
  const confirmation = await service.from('notification_queue').select('template_code').eq('recipient', fresh).single()
  assert.equal(confirmation.data.template_code, 'auth_confirm_signup')

  // No account and no creation: the same answer, and nothing queued.
  const ghost = email('ghost')
  const none = await client().auth.signInWithOtp({ email: ghost, options: { shouldCreateUser: false } })
  assert.equal(none.error, null)
  const nothing = await service.from('notification_queue').select('id').eq('recipient', ghost)
  assert.deepEqual(nothing.data, [])
})

test('password recovery answers the same for unknown addresses and queues only for real ones', async () => {
  const address = email('recover')
  assert.equal((await client().auth.signUp({ email: address, password })).error, null)
  // A redirect to another site is not honoured: the link lands on the project's site URL.
  const known = await client().auth.resetPasswordForEmail(address, { redirectTo: 'https://evil.example/steal' })
  const unknown = await client().auth.resetPasswordForEmail(email('unknown'))
  assert.equal(known.error, null)
  assert.equal(unknown.error, null)
  assert.deepEqual(known.data, unknown.data)
  const queued = await service
    .from('notification_queue')
    .select('template_code, payload')
    .eq('recipient', address)
    .eq('template_code', 'password_reset')
    .single()
  assert.equal(queued.error, null)
  // The link signs in for the recovery, by GET as the email's button does.
  const link = new URL(queued.data.payload.reset_link)
  const followed = await fetch(link, { redirect: 'manual' })
  assert.equal(followed.status, 303)
  assert.ok(!followed.headers.get('location').startsWith('https://evil.example'), followed.headers.get('location'))
  assert.ok(!link.searchParams.get('redirect_to').includes('evil.example'))
  const fragment = new URLSearchParams(new URL(followed.headers.get('location')).hash.slice(1))
  assert.equal(fragment.get('type'), 'recovery')
  assert.equal(claims(fragment.get('access_token')).email, address)
  assert.equal(claims(fragment.get('access_token')).amr[0].method, 'recovery')
  // Once only.
  const twice = await fetch(link, { redirect: 'manual' })
  const error = new URLSearchParams(new URL(twice.headers.get('location')).hash.slice(1))
  assert.equal(error.get('error_code'), 'otp_expired')
})

test('admin API with the service key: create, list, get, update, generate_link, delete', async () => {
  const address = email('admin-made')
  const created = await service.auth.admin.createUser({
    email: address,
    password,
    email_confirm: true,
    user_metadata: { name: 'Asha' },
    app_metadata: { plan: 'gold' },
  })
  assert.equal(created.error, null)
  const id = created.data.user.id
  assert.ok(created.data.user.email_confirmed_at)
  assert.equal(created.data.user.app_metadata.plan, 'gold')
  assert.equal(created.data.user.app_metadata.provider, 'email')

  const dup = await service.auth.admin.createUser({ email: address, password })
  assert.equal(dup.error.status, 422)
  assert.equal(dup.error.code, 'email_exists')

  const listed = await service.auth.admin.listUsers({ page: 1, perPage: 1000 })
  assert.equal(listed.error, null)
  assert.ok(listed.data.users.some((u) => u.id === id))
  assert.ok(listed.data.total >= listed.data.users.length)

  const got = await service.auth.admin.getUserById(id)
  assert.equal(got.error, null)
  assert.equal(got.data.user.email, address)

  const updated = await service.auth.admin.updateUserById(id, { user_metadata: { city: 'Kochi' } })
  assert.equal(updated.error, null)
  assert.equal(updated.data.user.user_metadata.city, 'Kochi')
  assert.equal(updated.data.user.user_metadata.name, 'Asha')

  const link = await service.auth.admin.generateLink({ type: 'magiclink', email: address })
  assert.equal(link.error, null)
  assert.match(link.data.properties.action_link, /\/auth\/v1\/verify\?token=/)
  const signed = await client().auth.verifyOtp({ email: address, token: link.data.properties.email_otp, type: 'magiclink' })
  assert.equal(signed.error, null)
  assert.equal(signed.data.user.id, id)

  const banned = await service.auth.admin.updateUserById(id, { ban_duration: '24h' })
  assert.equal(banned.error, null)
  const refused = await client().auth.signInWithPassword({ email: address, password })
  assert.equal(refused.error.code, 'user_banned')

  const deleted = await service.auth.admin.deleteUser(id)
  assert.equal(deleted.error, null)
  const gone = await service.auth.admin.getUserById(id)
  assert.equal(gone.error.status, 404)
  assert.equal(gone.error.code, 'user_not_found')
})

test('admin API without the service key: anon key and user tokens are refused', async () => {
  const asAnon = await anon.auth.admin.listUsers()
  assert.equal(asAnon.error.status, 403)
  assert.equal(asAnon.error.code, 'not_admin')

  const { data } = await client().auth.signUp({ email: email('sneaky'), password })
  const user = asUser(data.session.access_token)
  for (const attempt of [
    user.auth.admin.listUsers(),
    user.auth.admin.createUser({ email: email('x'), password }),
    user.auth.admin.deleteUser(data.user.id),
    user.auth.admin.generateLink({ type: 'magiclink', email: data.user.email }),
  ]) {
    const { error } = await attempt
    assert.equal(error.status, 403)
    assert.equal(error.code, 'not_admin')
  }
  // A token signed with another secret is not the service role either.
  const forged = await fetch(`${env.url}/auth/v1/admin/users`, {
    headers: { apikey: env.anonKey, authorization: `Bearer ${env.serviceKey.slice(0, -4)}AAAA` },
  })
  assert.equal(forged.status, 403)
  const keyless = await fetch(`${env.url}/auth/v1/admin/users`, { headers: { authorization: `Bearer ${env.serviceKey}` } })
  assert.equal(keyless.status, 401)
  // The user is still there.
  assert.equal((await service.auth.admin.getUserById(data.user.id)).error, null)
})

test('password sign-ins are rate limited per client (429 over_request_rate_limit)', async () => {
  const address = email('limited')
  let limited = null
  for (let i = 0; i <= env.signInLimit; i++) {
    const { error } = await client().auth.signInWithPassword({ email: address, password: 'guessing' + i })
    if (error.status === 429) {
      limited = error
      break
    }
    assert.equal(error.code, 'invalid_credentials')
  }
  assert.ok(limited, 'no 429 within the limit')
  assert.equal(limited.code, 'over_request_rate_limit')
})
