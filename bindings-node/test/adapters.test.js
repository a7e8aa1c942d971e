'use strict'
// Your own HTTP client: session.fetch (Node's global fetch with the bearer, one re-login and one
// re-send after a 401), authorizationHeader(), stats() against the mock's counts, and no token in
// anything the process writes at the most verbose log level.

const { test, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { Client } = require('xpay-auth')
const { mock, ACCOUNT } = require('./helpers/mock.js')

const LOGIN = '/client/authenticate'
const ECHO = '/client/echo'
const UNAUTHORIZED = { status: 401, json: { error: { message: 'unauthorized', data: null, tag: 't-401' }, uuid: '{{uuid}}' } }

beforeEach(() => mock.reset())

const newSession = () => new Client({ baseUrl: mock.url }).session(ACCOUNT)
const echoUrl = () => `${mock.url}${ECHO}`
const bearers = async () => (await mock.requests(ECHO)).map((r) => r.headers.authorization)
const post = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body })

test('authorizationHeader() is "Bearer " and the cached token', async () => {
  const session = newSession()
  assert.equal(await session.authorizationHeader(), `Bearer ${await session.accessToken()}`)
  assert.equal(await mock.count(LOGIN), 1)
})

test('session.fetch sends the bearer through the global fetch', async () => {
  const session = newSession()
  const reply = await session.fetch(echoUrl(), post('{"a":1}'))
  assert.ok(reply instanceof Response)
  assert.equal(reply.status, 200)
  assert.deepEqual((await reply.json()).success.data, { a: 1 })
  assert.deepEqual(await bearers(), [`Bearer ${await session.accessToken()}`])
  // A Request object as input, with headers of its own kept.
  const request = new Request(echoUrl(), { method: 'POST', headers: { 'x-mine': 'yes' } })
  assert.equal((await session.fetch(request)).status, 200)
  const last = (await mock.requests(ECHO)).at(-1)
  assert.equal(last.headers['x-mine'], 'yes')
  assert.equal(last.headers.authorization, `Bearer ${await session.accessToken()}`)
  assert.equal(await mock.count(LOGIN), 1)
})

test('a 401 makes one re-login and one re-send; a second 401 is the answer', async () => {
  const session = newSession()
  await session.accessToken()
  const old = await session.accessToken()
  await mock.revoke()
  const reply = await session.fetch(echoUrl(), post('{"b":2}'))
  assert.equal(reply.status, 200)
  assert.deepEqual((await reply.json()).success.data, { b: 2 })
  assert.equal(await mock.count(LOGIN), 2)
  assert.equal(await mock.count(ECHO), 2)
  assert.deepEqual(await bearers(), [`Bearer ${old}`, `Bearer ${await session.accessToken()}`])
  await mock.queue(ECHO, [UNAUTHORIZED, UNAUTHORIZED])
  assert.equal((await session.fetch(echoUrl(), post(new TextEncoder().encode('3')))).status, 401)
  assert.equal(await mock.count(LOGIN), 3)
  assert.equal(await mock.count(ECHO), 4)
  assert.equal(session.stats().logins, 3)
})

test('a streamed body is not sent again after a 401', async () => {
  const session = newSession()
  await session.accessToken()
  await mock.revoke()
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"streamed":true}'))
      controller.close()
    },
  })
  const reply = await session.fetch(echoUrl(), { method: 'POST', body, duplex: 'half' })
  assert.equal(reply.status, 401)
  assert.equal(await mock.count(ECHO), 1)
  assert.equal(await mock.count(LOGIN), 1)
})

test('100 concurrent fetches on a cold session share one login', async () => {
  const session = newSession()
  const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => session.fetch(echoUrl(), post(String(i)))))
  assert.deepEqual(replies.map((r) => r.status), Array(100).fill(200))
  await Promise.all(replies.map((r) => r.arrayBuffer()))
  assert.equal(await mock.count(LOGIN), 1)
  assert.equal(new Set(await bearers()).size, 1)
  const stats = session.stats()
  assert.equal(stats.logins, 1)
  assert.ok(stats.waits >= 1 && stats.waits <= 100, `${stats.waits}`)
})

test('stats() counts as the mock does, in camelCase', async () => {
  const session = newSession()
  assert.deepEqual(session.stats(), { logins: 0, renewals: 0, renewalFailures: 0, waits: 0, backoffUntilMs: 0, expiresAtMs: 0 })
  const auth = await session.authentication()
  const stats = session.stats()
  assert.equal(stats.logins, await mock.count(LOGIN))
  assert.equal(stats.expiresAtMs, auth.expiresAt)
  const bad = new Client({ baseUrl: mock.url }).session({ username: ACCOUNT.username, secretKey: 'wrong' })
  await assert.rejects(bad.accessToken(), { code: 'authentication' })
  assert.equal(bad.stats().logins, 1)
  assert.ok(bad.stats().backoffUntilMs > Date.now() - 60_000)
})

test('no token in anything a process writes with RUST_LOG=trace', () => {
  // The Node face installs no logger; whatever a child process writes at the most verbose
  // setting (a login, a 401, a re-login, a re-send) must not hold a token or the secret key.
  const script = `
    const { Client } = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(async () => {
      const url = process.env.XPAY_MOCK_URL
      const s = new Client({ baseUrl: url }).session({ username: 'demo@xpay.test', secretKey: 'demo-secret' })
      const first = await s.accessToken()
      await fetch(url + '/__mock/revoke', { method: 'POST' })
      const r = await s.fetch(url + '/client/echo', { method: 'POST', body: '1' })
      process.stdout.write('TOKENS ' + JSON.stringify([first, await s.accessToken(), r.status]) + '\\n')
    })()`
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, RUST_LOG: 'trace' }, encoding: 'utf8', timeout: 60_000 })
  const line = run.stdout.split('\n').find((l) => l.startsWith('TOKENS '))
  assert.ok(line, run.stdout + run.stderr)
  const [first, second, status] = JSON.parse(line.slice('TOKENS '.length))
  assert.equal(status, 200)
  assert.notEqual(first, second)
  const rest = run.stdout.replace(line, '') + run.stderr
  for (const secret of [first, second, 'demo-secret']) assert.ok(!rest.includes(secret), rest)
})
