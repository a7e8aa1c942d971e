'use strict'
// Secrets: util.inspect / console.log / toString / JSON.stringify of every object show neither
// the secret key nor a whole access token.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Client } = require('xpay-auth')
const { mock } = require('./helpers/mock.js')

const SECRET = 'very-secret-key-do-not-print'
const ACCOUNT = { username: 'inspect@xpay.test', secretKey: SECRET }

before(async () => {
  await mock.reset({ accounts: [[ACCOUNT.username, SECRET]] })
})

/** Every way a user might print `value`. */
function renderings(value) {
  const captured = []
  const log = console.log
  console.log = (...args) => captured.push(util.format(...args))
  try {
    console.log(value)
    console.log('%o', value)
  } finally {
    console.log = log
  }
  return [
    ...captured,
    util.inspect(value),
    util.inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    String(value),
    JSON.stringify(value) ?? '',
  ]
}

function assertClean(value, token) {
  for (const text of renderings(value)) {
    assert.ok(!text.includes(SECRET), `secret key printed: ${text}`)
    if (token) assert.ok(!text.includes(token), `whole token printed: ${text}`)
  }
}

test('an Authentication prints its token redacted (prefix and length only)', async () => {
  const auth = await new Client({ baseUrl: mock.url }).authenticate(ACCOUNT)
  assertClean(auth, auth.accessToken)
  const shown = util.inspect(auth)
  assert.match(shown, new RegExp(`…\\(${auth.accessToken.length} chars\\)`))
  assert.match(shown, /inspect@xpay\.test/)
  assert.match(shown, new RegExp(auth.ticket))
})

test('a Session prints neither the secret key nor its token', async () => {
  const session = new Client({ baseUrl: mock.url }).session(ACCOUNT)
  assertClean(session)
  const token = await session.accessToken()
  assertClean(session, token)
  assert.match(util.inspect(session), /inspect@xpay\.test/)
})

test('a Client prints its base URL and nothing secret', () => {
  const client = new Client({ baseUrl: mock.url })
  assertClean(client)
  assert.match(util.inspect(client), new RegExp(mock.url.replace(/\./g, '\\.')))
})

test('errors print no secret key or token', async () => {
  const client = new Client({ baseUrl: mock.url })
  const session = client.session(ACCOUNT)
  const token = await session.accessToken()
  await mock.queue('/client/echo', [{ json: { error: { message: 'refused', data: { a: 1 }, tag: 't' }, uuid: 'u' } }])
  const errors = await Promise.all([
    client.authenticate({ ...ACCOUNT, secretKey: `${SECRET}-wrong` }).catch((e) => e),
    session.call('/client/echo', {}).catch((e) => e),
  ])
  for (const e of errors) {
    assert.ok(e instanceof Error)
    assertClean(e, token)
    assert.ok(!util.inspect(e).includes(`${SECRET}-wrong`))
  }
})
