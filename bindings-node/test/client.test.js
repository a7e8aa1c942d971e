'use strict'
// Client: options and their checks, authenticate, session factories, close, User-Agent.

const { test, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { Client, Session, Authentication, InvalidArgumentError, VERSION } = require('xpay-auth')
const { mock, ACCOUNT } = require('./helpers/mock.js')
const isUuid = (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)

beforeEach(() => mock.reset())

test('authenticate resolves with every field of the login', async () => {
  const client = new Client({ baseUrl: mock.url })
  const auth = await client.authenticate(ACCOUNT)
  assert.ok(auth instanceof Authentication)
  assert.match(auth.accessToken, /^eyJ/)
  assert.equal(typeof auth.expiresAt, 'number')
  assert.ok(auth.expiresAt > Date.now())
  assert.deepEqual(auth.user, { username: ACCOUNT.username, scopes: ['tme_user'], isApi: true })
  assert.match(auth.ticket, /^[0-9a-f]{32}$/)
  assert.ok(isUuid(auth.uuid))
  assert.equal(auth.message, 'Authenticated')
  assert.equal(await mock.count('/client/authenticate'), 1)
})

test('authenticate sends isAPI as a boolean, false when asked', async () => {
  const client = new Client({ baseUrl: mock.url })
  const auth = await client.authenticate({ ...ACCOUNT, isApi: false })
  assert.equal(auth.user.isApi, false)
  const [request] = await mock.requests('/client/authenticate')
  assert.deepEqual(request.json, { username: ACCOUNT.username, secretKey: ACCOUNT.secretKey, isAPI: false })
})

test('the User-Agent names the Node face and the version', async () => {
  const client = new Client({ baseUrl: mock.url })
  await client.authenticate(ACCOUNT)
  const [request] = await mock.requests('/client/authenticate')
  assert.equal(request.headers['user-agent'], `xpay-auth-node/${VERSION}`)
  assert.match(VERSION, /^\d+\.\d+\.\d+/)
})

test('a custom userAgent is sent instead', async () => {
  const client = new Client({ baseUrl: mock.url, userAgent: 'my-app/1.0' })
  await client.authenticate(ACCOUNT)
  const [request] = await mock.requests('/client/authenticate')
  assert.equal(request.headers['user-agent'], 'my-app/1.0')
})

test('every option is accepted with its documented type', () => {
  const client = new Client({
    baseUrl: `${mock.url}/`,
    timeoutMs: 5000,
    connectTimeoutMs: 1000,
    maxRetries: 0,
    userAgent: 'x/1',
    maxBodyBytes: 4096,
    refreshBeforeMs: 60000,
    retryBackoffMs: 10,
  })
  assert.equal(client.baseUrl, mock.url)
  assert.equal(client.closed, false)
})

test('the base URL defaults to XPAY_BASE_URL, then production', () => {
  const saved = process.env.XPAY_BASE_URL
  try {
    process.env.XPAY_BASE_URL = mock.url
    assert.equal(new Client().baseUrl, mock.url)
    delete process.env.XPAY_BASE_URL
    assert.equal(new Client({}).baseUrl, 'https://apis.xpay.stream')
  } finally {
    if (saved === undefined) delete process.env.XPAY_BASE_URL
    else process.env.XPAY_BASE_URL = saved
  }
})

const badOptions = [
  [{ baseUrl: 'http://example.com' }, /https/],
  [{ baseUrl: 'not a url' }, /not a URL/],
  [{ baseUrl: 42 }, /baseUrl must be a string/],
  [{ timeoutMs: 0 }, /greater than zero/],
  [{ timeoutMs: -1 }, /timeoutMs must be a whole number/],
  [{ timeoutMs: 1.5 }, /timeoutMs must be a whole number/],
  [{ timeoutMs: Number.NaN }, /timeoutMs/],
  [{ timeoutMs: '5000' }, /timeoutMs must be a whole number/],
  [{ maxRetries: 2 ** 32 }, /maxRetries/],
  [{ userAgent: 'line\nbreak' }, /user agent/],
  [{ timeout: 5000 }, /unknown option "timeout"/],
  ['http://127.0.0.1:1', /must be an object/],
]

for (const [options, message] of badOptions) {
  test(`new Client(${JSON.stringify(options)}) throws invalid_argument`, () => {
    assert.throws(
      () => new Client(options),
      (e) => e instanceof InvalidArgumentError && e.code === 'invalid_argument' && message.test(e.message),
    )
  })
}

const badCredentials = [
  [undefined, /needs \{ username, secretKey \}/],
  [{ username: ACCOUNT.username }, /secretKey/],
  [{ ...ACCOUNT, username: '' }, /username is empty/],
  [{ ...ACCOUNT, secretKey: '' }, /secret key is empty/],
  [{ ...ACCOUNT, secretKey: 7 }, /secretKey must be a string/],
  [{ ...ACCOUNT, isApi: 'yes' }, /isApi must be a boolean/],
  [{ ...ACCOUNT, secret: 'x' }, /unknown option "secret"/],
]

for (const [credentials, message] of badCredentials) {
  test(`authenticate(${JSON.stringify(credentials)}) rejects with invalid_argument, sends nothing`, async () => {
    const client = new Client({ baseUrl: mock.url })
    await assert.rejects(client.authenticate(credentials), (e) => {
      assert.ok(e instanceof InvalidArgumentError, e)
      assert.equal(e.code, 'invalid_argument')
      assert.match(e.message, message)
      return true
    })
    assert.equal(await mock.count('/client/authenticate'), 0)
  })
}

test('session() takes credentials, or reads the environment', async () => {
  const client = new Client({ baseUrl: mock.url })
  assert.ok(client.session(ACCOUNT) instanceof Session)
  const saved = [process.env.XPAY_USERNAME, process.env.XPAY_SECRET_KEY]
  try {
    process.env.XPAY_USERNAME = ACCOUNT.username
    process.env.XPAY_SECRET_KEY = ACCOUNT.secretKey
    const session = client.session()
    assert.equal(session.username, ACCOUNT.username)
    assert.match(await session.accessToken(), /^eyJ/)
    delete process.env.XPAY_SECRET_KEY
    assert.throws(() => client.session(), (e) => e instanceof InvalidArgumentError && /XPAY_SECRET_KEY/.test(e.message))
  } finally {
    for (const [name, value] of [['XPAY_USERNAME', saved[0]], ['XPAY_SECRET_KEY', saved[1]]]) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
})

test('session() with bad credentials throws and a Session cannot be made directly', () => {
  const client = new Client({ baseUrl: mock.url })
  assert.throws(() => client.session({ username: 1, secretKey: 'k' }), InvalidArgumentError)
  assert.throws(() => new Session(), InvalidArgumentError)
})

test('close() makes later requests fail with invalid_argument; twice is harmless', async () => {
  const client = new Client({ baseUrl: mock.url })
  const session = client.session(ACCOUNT)
  client.close()
  client.close()
  assert.equal(client.closed, true)
  await assert.rejects(client.authenticate(ACCOUNT), (e) => e.code === 'invalid_argument' && /closed/.test(e.message))
  await assert.rejects(session.accessToken(), InvalidArgumentError)
  assert.equal(await mock.count('/client/authenticate'), 0)
})
