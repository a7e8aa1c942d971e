'use strict'
// Session: token cache, single flight, call (JSON in and out), invalidate, the uuid option.

const { test, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { Client, Authentication, InvalidArgumentError } = require('xpay-auth')
const { mock, ACCOUNT } = require('./helpers/mock.js')

beforeEach(() => mock.reset())

const newSession = () => new Client({ baseUrl: mock.url }).session(ACCOUNT)

test('accessToken caches the token: three uses, one login', async () => {
  const session = newSession()
  const first = await session.accessToken()
  assert.equal(await session.accessToken(), first)
  assert.equal(await session.accessToken(), first)
  assert.equal(await mock.count('/client/authenticate'), 1)
})

test('1,000 concurrent accessToken() calls on a cold session cause one login', async () => {
  const session = newSession()
  const tokens = await Promise.all(Array.from({ length: 1000 }, () => session.accessToken()))
  assert.equal(new Set(tokens).size, 1)
  assert.equal(await mock.count('/client/authenticate'), 1)
})

test('many concurrent calls share one session and one login', async () => {
  const session = newSession()
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => session.call('/client/echo', { i })))
  results.forEach((data, i) => assert.deepEqual(data, { i }))
  assert.equal(await mock.count('/client/authenticate'), 1)
  assert.equal(await mock.count('/client/echo'), 200)
})

test('authentication() resolves with the cached login', async () => {
  const session = newSession()
  const auth = await session.authentication()
  assert.ok(auth instanceof Authentication)
  assert.equal(auth.accessToken, await session.accessToken())
  assert.equal(auth.user.username, ACCOUNT.username)
  assert.equal(await mock.count('/client/authenticate'), 1)
})

test('invalidate drops the token: the next use logs in again', async () => {
  const session = newSession()
  const first = await session.accessToken()
  session.invalidate()
  assert.notEqual(await session.accessToken(), first)
  assert.equal(await mock.count('/client/authenticate'), 2)
})

const bodies = [
  ['an object', { a: 1, nested: { list: [1, 'two', null, true] } }],
  ['an array', [1, 2, 3]],
  ['a string', 'hello ✓'],
  ['a number', 12.5],
  ['a boolean', false],
  ['null', null],
]

for (const [what, body] of bodies) {
  test(`call sends ${what} as JSON and resolves with success.data as a JS value`, async () => {
    const session = newSession()
    assert.deepEqual(await session.call('/client/echo', body), body)
    const [request] = await mock.requests('/client/echo')
    assert.deepEqual(request.json, body)
    assert.match(request.headers.authorization, /^Bearer eyJ/)
    assert.equal(request.headers['content-type'], 'application/json')
  })
}

test('call with no body sends null; JSON.stringify rules apply (toJSON, undefined fields)', async () => {
  const session = newSession()
  assert.equal(await session.call('/client/echo'), null)
  const when = new Date(0)
  assert.deepEqual(await session.call('/client/echo', { when, skip: undefined }), { when: when.toJSON() })
})

test('call sends a fresh uuid per request, or the caller\'s', async () => {
  const session = newSession()
  await session.call('/client/echo', {})
  await session.call('/client/echo', {})
  const mine = 'f8623092-a59a-4ceb-bc75-18e59815d5df'
  await session.call('/client/echo', {}, { uuid: mine })
  const uuids = (await mock.requests('/client/echo')).map((r) => r.headers.uuid)
  assert.equal(new Set(uuids).size, 3)
  assert.equal(uuids[2], mine)
})

test('a BigInt in a call body is written as the exact integer', async () => {
  const session = newSession()
  const body = { amount: 123456789012345678901234567890n, list: [-5n, 1.5], s: 'xpay-bigint-not-a-marker' }
  const data = await session.call('/client/echo', body)
  const [sent] = await mock.requests('/client/echo')
  assert.equal(sent.body, '{"amount":123456789012345678901234567890,"list":[-5,1.5],"s":"xpay-bigint-not-a-marker"}')
  assert.equal(data.s, 'xpay-bigint-not-a-marker')
  assert.deepEqual(data.list, [-5, 1.5])
  assert.equal(await session.call('/client/echo', 18446744073709551616n), 18446744073709551616)
  const [, bare] = await mock.requests('/client/echo')
  assert.equal(bare.body, '18446744073709551616')
})

test('callRaw sends the text byte for byte and resolves with the exact success.data', async () => {
  const session = newSession()
  const text = '{ "amount": 123456789012345678901, "fee": 0.1000000000000000000001 }'
  assert.equal(await session.callRaw('/client/echo', text), text)
  const [sent] = await mock.requests('/client/echo')
  assert.equal(sent.body, text)
  assert.equal(await session.callRaw('/client/echo', '1E2', { uuid: 'my-ref-1' }), '1E2')
  const [, second] = await mock.requests('/client/echo')
  assert.equal(second.headers.uuid, 'my-ref-1')
})

for (const [what, args, message] of [
  ['text that is not one JSON value', ['/client/echo', '{"a": 1'], /not one JSON value/],
  ['a non-string text', ['/client/echo', { a: 1 }], /must be a string of JSON/],
  ['a dot-dot path', ['/client/%2e%2e/admin', '{}'], /segments/],
  ['a uuid that is no header value', ['/client/echo', '{}', { uuid: 'a\nb' }], /not a valid header value/],
]) {
  test(`callRaw with ${what} rejects with invalid_argument and sends nothing`, async () => {
    const session = newSession()
    await assert.rejects(session.callRaw(...args), (e) => {
      assert.ok(e instanceof InvalidArgumentError, e)
      assert.match(e.message, message)
      return true
    })
    const counts = await mock.counts()
    assert.equal(counts['/client/echo'] ?? 0, 0)
    assert.equal(counts['/client/authenticate'] ?? 0, 0)
  })
}

const badCalls = [
  ['a cyclic body', () => { const o = {}; o.self = o; return ['/client/echo', o] }, /circular/],
  ['a function body', () => ['/client/echo', () => 1], /not JSON-serialisable/],
  ['a relative path', () => ['client/echo', {}], /must start with a single/],
  ['a non-string path', () => [42, {}], /path must be a string/],
  ['an unknown call option', () => ['/client/echo', {}, { uuidd: 'x' }], /unknown option "uuidd"/],
]

for (const [what, args, message] of badCalls) {
  test(`call with ${what} rejects with invalid_argument and sends nothing`, async () => {
    const session = newSession()
    await assert.rejects(session.call(...args()), (e) => {
      assert.ok(e instanceof InvalidArgumentError, e)
      assert.match(e.message, message)
      return true
    })
    const counts = await mock.counts()
    assert.equal(counts['/client/echo'] ?? 0, 0)
    assert.equal(counts['/client/authenticate'] ?? 0, 0)
  })
}

test('a call after the mock forgot the token logs in again and retries once', async () => {
  const session = newSession()
  const first = await session.accessToken()
  await mock.revoke()
  assert.deepEqual(await session.call('/client/echo', { again: true }), { again: true })
  assert.notEqual(await session.accessToken(), first)
  assert.equal(await mock.count('/client/authenticate'), 2)
})
