'use strict'
// Every error class and code, with status, tag, uuid and data as JS values.

const { test, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const xpay = require('xpay-auth')
const { fromNative } = require('../errors.js')
const { mock, refusedUrl, ACCOUNT } = require('./helpers/mock.js')
const isUuid = (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)

const { Client, XPayError, CODES } = xpay

beforeEach(() => mock.reset())

const client = (options) => new Client({ baseUrl: mock.url, maxRetries: 0, ...options })

/** Asserts the rejection is `Class` with `code` and the given fields; returns the error. */
async function rejectsWith(promise, Class, code, fields = {}) {
  let caught
  await assert.rejects(promise, (e) => {
    caught = e
    return true
  })
  assert.ok(caught instanceof Class, `expected ${Class.name}, got ${caught}`)
  assert.ok(caught instanceof XPayError)
  assert.ok(caught instanceof Error)
  assert.equal(caught.name, Class.name)
  assert.equal(caught.code, code)
  assert.ok(CODES.includes(caught.code))
  for (const [k, v] of Object.entries(fields)) assert.deepEqual(caught[k], v, k)
  return caught
}

test('the codes are exactly the contract\'s', () => {
  assert.deepEqual(CODES, [
    'invalid_argument', 'authentication', 'api', 'http_status', 'timeout', 'connection', 'decode', 'internal',
  ])
})

test('invalid_argument: InvalidArgumentError', async () => {
  const e = await rejectsWith(
    client().authenticate({ username: '', secretKey: 'k' }),
    xpay.InvalidArgumentError, 'invalid_argument', { status: undefined, tag: undefined, data: undefined },
  )
  assert.match(e.message, /nothing was sent/)
})

test('authentication: AuthenticationError with status, tag, uuid and data', async () => {
  const e = await rejectsWith(
    client().authenticate({ ...ACCOUNT, secretKey: 'wrong' }),
    xpay.AuthenticationError, 'authentication', { status: 200, data: { invalid: true } },
  )
  assert.ok(isUuid(e.tag))
  assert.ok(isUuid(e.uuid))
  assert.match(e.message, /invalid credentials/)
  assert.ok(!e.message.includes('wrong'), 'the secret key is not in the message')
})

test('authentication: a call still refused after a fresh login', async () => {
  const session = client().session(ACCOUNT)
  await session.accessToken()
  const unauthorized = { status: 401, json: { error: { message: 'unauthorized', data: null, tag: 't-401' }, uuid: 'u-401' } }
  await mock.queue('/client/echo', [unauthorized, unauthorized])
  await rejectsWith(session.call('/client/echo', {}), xpay.AuthenticationError, 'authentication', {
    status: 401, tag: 't-401', uuid: 'u-401', data: undefined,
  })
})

test('api: APIError with the envelope\'s data as a JS value', async () => {
  const session = client().session(ACCOUNT)
  await session.accessToken()
  const data = { need: 5, currencies: ['EUR', 'USD'], detail: { nested: null } }
  await mock.queue('/client/echo', [{ json: { error: { message: 'insufficient funds', data, tag: 't-api' }, uuid: 'u-api' } }])
  const e = await rejectsWith(session.call('/client/echo', {}), xpay.APIError, 'api', {
    status: 200, tag: 't-api', uuid: 'u-api', data,
  })
  assert.match(e.message, /insufficient funds/)
})

test('http_status: HTTPStatusError for a proxy\'s HTML page', async () => {
  await mock.queue('/client/authenticate', [
    { status: 502, headers: { 'Content-Type': 'text/html' }, body: '<html>Bad Gateway</html>' },
  ])
  const e = await rejectsWith(client().authenticate(ACCOUNT), xpay.HTTPStatusError, 'http_status', { status: 502 })
  assert.ok(isUuid(e.uuid))
})

test('timeout: APITimeoutError when the reply is too slow', async () => {
  await mock.queue('/client/authenticate', [{ delay_ms: 3000 }])
  await rejectsWith(client({ timeoutMs: 200 }).authenticate(ACCOUNT), xpay.APITimeoutError, 'timeout')
})

test('connection: APIConnectionError when nothing listens', async () => {
  const refused = new Client({ baseUrl: await refusedUrl(), maxRetries: 0 })
  await rejectsWith(refused.authenticate(ACCOUNT), xpay.APIConnectionError, 'connection')
})

test('decode: DecodeError for a reply that is not an envelope', async () => {
  await mock.queue('/client/authenticate', [{ body: 'this is not json' }])
  await rejectsWith(client().authenticate(ACCOUNT), xpay.DecodeError, 'decode', { status: 200 })
})

test('internal: a native failure without a contract code is an XPayError with code internal', () => {
  const original = Object.assign(new Error('panic from Rust code'), { code: 'GenericFailure' })
  const e = fromNative(original)
  assert.ok(e instanceof XPayError)
  assert.equal(e.constructor, XPayError)
  assert.equal(e.code, 'internal')
  assert.equal(e.cause, original)
  assert.match(e.message, /bug in xpay-auth/)
})

test('errors keep the caller in their stack', async () => {
  async function callerFrame() {
    await client().authenticate({ ...ACCOUNT, secretKey: 'wrong' })
  }
  await assert.rejects(callerFrame(), (e) => /callerFrame/.test(e.stack))
})

test('the error classes can be made by user code too (e.g. in their own tests)', () => {
  const e = new xpay.APIError('x', { code: 'api', status: 200, data: [1] })
  assert.equal(e.code, 'api')
  assert.deepEqual(e.data, [1])
  assert.equal(new XPayError('y').code, 'internal')
})
