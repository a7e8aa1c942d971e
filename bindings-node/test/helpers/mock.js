'use strict'
// A small control client for the one mock `make test` starts (../tests/with-mock.sh exports
// XPAY_MOCK_URL). Test files run one at a time and reset the mock as they need.

const net = require('node:net')

const ACCOUNT = Object.freeze({ username: 'demo@xpay.test', secretKey: 'demo-secret' })

const url = process.env.XPAY_MOCK_URL
if (!url) throw new Error('XPAY_MOCK_URL is not set: run the tests under ../tests/with-mock.sh (make test does)')

async function control(name, body) {
  const response = await fetch(`${url}/__mock/${name}`, {
    method: 'POST',
    body: body === undefined ? '' : JSON.stringify(body),
  })
  const json = await response.json()
  if (!response.ok) throw new Error(`mock ${name}: ${JSON.stringify(json)}`)
  return json
}

const mock = Object.freeze({
  url,
  reset: (settings) => control('reset', settings ?? {}),
  queue: (path, replies) => control('queue', { path, replies }),
  revoke: () => control('revoke'),
  counts: () => control('counts'),
  count: async (path) => (await control('counts'))[path] ?? 0,
  requests: (path) => fetch(`${url}/__mock/requests${path === undefined ? '' : `?path=${encodeURIComponent(path)}`}`).then((r) => r.json()),
})

/** A loopback URL where nothing listens: bind a free port, then close it. */
async function refusedUrl() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

module.exports = { mock, refusedUrl, ACCOUNT }
