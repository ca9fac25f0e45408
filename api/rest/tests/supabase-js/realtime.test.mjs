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

/// Joins a channel (private unless told) and collects its `event` broadcasts; resolves with
/// the join's outcome.
function follow(c, topic, event, { isPrivate = true } = {}) {
  const got = []
  return new Promise((resolve, reject) => {
    const channel = c
      .channel(topic, { config: { private: isPrivate, broadcast: { ack: true } } })
      .on('broadcast', { event }, (m) => got.push(m))
      .subscribe((status, err) => {
        if (status === 'SUBSCRIBED') resolve({ channel, got })
        if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') resolve({ channel, got, error: String(err?.message ?? err ?? status) })
      })
    setTimeout(() => reject(new Error(`${topic}: no answer to the join`)), 10000)
  })
}

test("a therapist's location reaches the customer of the active assignment and no one else", async () => {
  const topic = `assignment:${env.assignment}:location`
  const meera = await follow(client(env.tokens.meera), topic, 'location')
  const vendor = await follow(client(env.tokens.vendor, '1.0.0'), topic, 'location')
  assert.equal(meera.error, undefined, meera.error)
  assert.equal(vendor.error, undefined, `the vendor's people follow their therapist: ${vendor.error}`)
  // Refused at the join by the topic's policy on realtime.messages.
  for (const [who, token] of [['kabir', env.tokens.kabir], ['rival vendor', env.tokens.rival], ['anon', null]]) {
    const s = await follow(client(token), topic, 'location')
    assert.match(s.error ?? '', /Unauthorized/, `${who} must not join the private topic`)
  }
  // The same name joined as a public channel hears nothing of the private one.
  const eavesdropper = await follow(client(env.tokens.kabir), topic, 'location', { isPrivate: false })
  assert.equal(eavesdropper.error, undefined, eavesdropper.error)
  // Nor may a follower write to the topic: the policy only lets them read.
  assert.equal(await meera.channel.send({ type: 'broadcast', event: 'location', payload: { latitude: 0, longitude: 0 } }), 'error')

  // Asha, on her way, sends three fixes 100 m apart, ten seconds apart.
  const [lat, homeLon] = env.home
  const spaLon = homeLon - 0.018
  const now = Date.now()
  const fixes = [0, 1, 2].map((i) => ({
    latitude: lat,
    longitude: spaLon + (i * 100) / (111320 * Math.cos((lat * Math.PI) / 180)),
    accuracy: 8,
    recorded_at: new Date(now - (30 - i * 10) * 1000).toISOString(),
  }))
  const res = await fetch(`${env.url}/functions/v1/location-service/locations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.tokens.asha}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ fixes }),
  })
  const body = await res.json()
  assert.equal(res.status, 200, JSON.stringify(body))
  assert.equal(body.assignment_id, env.assignment)

  assert.ok(await until(() => meera.got.length >= 1 && vendor.got.length >= 1), 'the followers receive the position')
  await sleep(500)
  assert.equal(meera.got.length, 1, 'one broadcast per batch')
  const m = meera.got[0]
  assert.equal(m.type, 'broadcast')
  assert.equal(m.event, 'location')
  assert.equal(m.payload.assignment_id, env.assignment)
  assert.equal(m.payload.latitude, fixes[2].latitude, 'the newest fix of the batch')
  assert.ok(Math.abs(m.payload.longitude - fixes[2].longitude) < 1e-9)
  assert.equal(m.payload.reached, false)
  assert.deepEqual(vendor.got.map((g) => g.payload), [m.payload])
  assert.deepEqual(eavesdropper.got, [], 'nothing reaches the public channel of the same name')
})
