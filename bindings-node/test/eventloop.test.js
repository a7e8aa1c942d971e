'use strict'
// Network work never blocks the event loop: a login is answered only after a timer has fired
// several times while the login Promise is pending. The "server" here is in this very event
// loop, so a blocked loop could never answer and the test would fail at its deadline.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { Client } = require('xpay-auth')

const TICKS_BEFORE_REPLY = 5

function loginReply(uuid) {
  return JSON.stringify({
    success: {
      message: 'Authenticated',
      data: {
        success: true,
        expiresAt: Date.now() + 3600000,
        user: { username: 'loop@xpay.test', scopes: ['tme_user'], isAPI: true },
        ticket: '0123456789abcdef0123456789abcdef',
        access_token: 'eyJevent-loop-test-token',
      },
    },
    uuid,
  })
}

test('a timer keeps firing while a slow login waits', { timeout: 30000 }, async () => {
  let ticks = 0
  let answered = false
  const server = http.createServer((req, res) => {
    req.resume()
    // Answer only once the timer below has fired TICKS_BEFORE_REPLY times during the wait.
    const reply = () => {
      if (ticks < TICKS_BEFORE_REPLY) return setImmediate(reply)
      answered = true
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(loginReply(req.headers.uuid))
    }
    reply()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const timer = setInterval(() => {
    ticks += 1
  }, 1)
  try {
    const client = new Client({ baseUrl: `http://127.0.0.1:${server.address().port}`, timeoutMs: 20000, maxRetries: 0 })
    const pending = client.authenticate({ username: 'loop@xpay.test', secretKey: 'k' })
    assert.equal(ticks, 0, 'authenticate returned at once, before any timer ran')
    const auth = await pending
    assert.ok(answered)
    assert.ok(ticks >= TICKS_BEFORE_REPLY)
    assert.equal(auth.user.username, 'loop@xpay.test')
    client.close()
  } finally {
    clearInterval(timer)
    server.close()
  }
})
