// Realtime through @supabase/supabase-js, as the apps subscribe. The stack and its people are
// made by cli/tests/realtime_supabase_js.rs, which passes them in OMBARO_TEST_ENV; the changes
// are made here, through the booking service and the data API, while everyone listens.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createClient } from '@supabase/supabase-js'
import ws from 'ws'
import { createHmac } from 'node:crypto'

const env = JSON.parse(process.env.OMBARO_TEST_ENV ?? '{}')
if (!env.url) throw new Error('OMBARO_TEST_ENV is missing: run this suite through cargo test')

const clients = []
function client(token, vsn) {
  const c = createClient(env.url, env.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: ws, ...(vsn ? { vsn } : {}) },
    global: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  })
  if (token) c.realtime.setAuth(token)
  clients.push(c)
  return c
}
after(async () => {
  for (const c of clients) await c.removeAllChannels()
})

/// A user token signed here with the stack's secret, as GoTrue would issue it.
function userToken(sub, ttlSeconds) {
  const now = Math.floor(Date.now() / 1000)
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + ttlSeconds })}`
  return `${unsigned}.${createHmac('sha256', env.jwtSecret).update(unsigned).digest('base64url')}`
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/// Subscribes and resolves once the server confirmed it, with the events it receives.
function listen(c, name, binding) {
  const events = []
  const statuses = []
  return new Promise((resolve, reject) => {
    const channel = c
      .channel(name)
      .on('postgres_changes', binding, (payload) => events.push(payload))
      .subscribe((status, err) => {
        statuses.push(status)
        if (status === 'SUBSCRIBED') resolve({ channel, events, statuses })
        if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') resolve({ channel, events, statuses, error: err ?? status })
      })
    setTimeout(() => reject(new Error(`${name}: no answer to the join`)), 10000)
  })
}

async function book(token, hour) {
  const request = { ...env.bookingRequest, start: env.starts[hour] }
  const res = await fetch(`${env.url}/functions/v1/booking-service/bookings`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(request),
  })
  const body = await res.json()
  assert.equal(res.status, 201, JSON.stringify(body))
  return body.booking?.id ?? body.id
}

async function until(predicate, ms = 5000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (predicate()) return true
    await sleep(50)
  }
  return predicate()
}

test('bookings: each customer receives their own changes only, the vendor its bookings, anon nothing', async () => {
  const all = { event: '*', schema: 'public', table: 'bookings' }
  const meera = await listen(client(env.tokens.meera), 'meera-bookings', all)
  const kabir = await listen(client(env.tokens.kabir), 'kabir-bookings', all)
  // Kabir also asks, by filter, for Meera's bookings: RLS still decides.
  const nosy = await listen(client(env.tokens.kabir), 'kabir-nosy', { ...all, filter: `customer_id=eq.${env.ids.meera}` })
  const vendor = await listen(client(env.tokens.vendor, '1.0.0'), 'vendor-bookings', all)
  const rival = await listen(client(env.tokens.rival), 'rival-bookings', all)
  const anon = await listen(client(null), 'anon-bookings', all)
  for (const s of [meera, kabir, nosy, vendor, rival]) assert.equal(s.error, undefined, String(s.error))
  assert.notEqual(anon.error, undefined, 'anon may not subscribe to bookings')

  const meeraBooking = await book(env.tokens.meera, 0)
  const kabirBooking = await book(env.tokens.kabir, 1)
  assert.ok(await until(() => meera.events.length >= 1 && kabir.events.length >= 1 && vendor.events.length >= 2))
  await sleep(500)

  const ids = (s) => s.events.map((e) => e.new?.id ?? e.old?.id)
  assert.deepEqual(ids(meera), [meeraBooking])
  assert.equal(meera.events[0].eventType, 'INSERT')
  assert.equal(meera.events[0].table, 'bookings')
  assert.equal(meera.events[0].new.customer_id, env.ids.meera)
  assert.ok(meera.events[0].commit_timestamp)
  assert.deepEqual(ids(kabir), [kabirBooking])
  assert.deepEqual(nosy.events, [], "a filter naming another customer's rows gets nothing")
  assert.deepEqual(ids(vendor).sort(), [meeraBooking, kabirBooking].sort())
  assert.deepEqual(rival.events, [], 'another vendor receives nothing')
  assert.deepEqual(anon.events, [])
})

test('notifications: an update reaches its owner with the new values and the old key', async () => {
  const service = client(env.serviceKey)
  const mine = await listen(client(env.tokens.meera), 'meera-inbox', { event: 'UPDATE', schema: 'public', table: 'notifications' })
  const theirs = await listen(client(env.tokens.kabir), 'kabir-inbox', { event: '*', schema: 'public', table: 'notifications' })
  const { data, error } = await service
    .from('notifications')
    .insert({ user_id: env.ids.meera, type: 'reminder', title: 'Tomorrow', message: 'Your massage is tomorrow' })
    .select('id')
    .single()
  assert.equal(error, null, JSON.stringify(error))
  const read = await client(env.tokens.meera).from('notifications').update({ is_read: true }).eq('id', data.id)
  assert.equal(read.error, null, JSON.stringify(read.error))
  assert.ok(await until(() => mine.events.length >= 1))
  await sleep(300)
  assert.equal(mine.events.length, 1, 'only the UPDATE was asked for')
  assert.equal(mine.events[0].new.is_read, true)
  assert.deepEqual(mine.events[0].old, { id: data.id })
  assert.deepEqual(theirs.events, [])
})

test('an expired token ends the subscription', async () => {
  const c = client(userToken(env.ids.meera, 2))
  const s = await listen(c, 'short-lived', { event: '*', schema: 'public', table: 'bookings' })
  assert.equal(s.error, undefined, String(s.error))
  assert.ok(await until(() => s.statuses.includes('CLOSED') || s.statuses.includes('CHANNEL_ERROR'), 8000), s.statuses.join())
  await book(env.tokens.meera, 2)
  await sleep(800)
  assert.deepEqual(s.events, [], 'nothing after the token expired')
})

test('broadcast and presence between two apps on one channel', async () => {
  const a = client(env.tokens.meera)
  const b = client(env.tokens.kabir, '1.0.0')
  const got = []
  const sync = []
  const chanB = b
    .channel('room-1', { config: { presence: { key: 'kabir' } } })
    .on('broadcast', { event: 'wave' }, (m) => got.push(m))
    .on('presence', { event: 'sync' }, () => sync.push(chanB.presenceState()))
  await new Promise((resolve) => chanB.subscribe((s) => s === 'SUBSCRIBED' && resolve()))
  const chanA = a.channel('room-1', { config: { presence: { key: 'meera' }, broadcast: { ack: true } } })
  await new Promise((resolve) => chanA.subscribe((s) => s === 'SUBSCRIBED' && resolve()))
  const sent = await chanA.send({ type: 'broadcast', event: 'wave', payload: { hello: 'kabir' } })
  assert.equal(sent, 'ok')
  assert.equal(await chanA.track({ online_at: 'now' }), 'ok')
  assert.ok(await until(() => got.length >= 1 && sync.some((s) => 'meera' in s)))
  assert.deepEqual(got[0].payload, { hello: 'kabir' })
})
