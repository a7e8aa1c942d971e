'use strict'
// Corporate networks: the TLS and proxy options of `new Client(...)`, checked when the client
// is made. (Trusting a private CA, mutual TLS and the proxies themselves are the shared
// scenarios of tests/conformance/networks.json, run by test/testee.js.)

const { test, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { Client, InvalidArgumentError, APIConnectionError } = require('xpay-auth')
const { mock, ACCOUNT } = require('./helpers/mock.js')

beforeEach(() => mock.reset())

test('bad network options throw invalid_argument and send nothing', async () => {
  for (const [options, says] of [
    [{ caBundle: 'not a certificate' }, 'CA bundle'],
    [{ caBundle: Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n') }, 'CA bundle'],
    [{ caBundle: 42 }, 'caBundle'],
    [{ tlsRoots: 'everything' }, 'tls_roots'],
    [{ clientCert: '-----BEGIN CERTIFICATE-----\n' }, 'clientKey'],
    [{ clientKey: Buffer.from('key') }, 'clientCert'],
    [{ proxy: 'ftp://user:hunter2@127.0.0.1:21' }, 'proxy'],
    [{ proxy: 'http://' }, 'proxy'],
  ]) {
    assert.throws(
      () => new Client({ baseUrl: mock.url, ...options }),
      (e) => {
        assert.ok(e instanceof InvalidArgumentError, String(e))
        assert.equal(e.code, 'invalid_argument')
        assert.ok(e.message.includes(says), `${e.message} should name ${says}`)
        assert.ok(!e.message.includes('hunter2'))
        return true
      },
    )
  }
  assert.equal(await mock.count('/client/authenticate'), 0)
})

test('network options that parse make a client', () => {
  for (const tlsRoots of ['system+bundled', 'system', 'bundled', 'none']) {
    new Client({ baseUrl: 'http://127.0.0.1:9', tlsRoots, proxy: 'socks5://u:pw@127.0.0.1:1080' }).close()
  }
  new Client({ baseUrl: 'https://apis.xpay.stream', proxy: 'https://proxy.example:8443' }).close()
})

test('an explicit proxy is used for loopback, named without its password', async () => {
  const client = new Client({ baseUrl: mock.url, maxRetries: 0, proxy: 'http://u:hunter2@127.0.0.1:9' })
  await assert.rejects(client.authenticate(ACCOUNT), (e) => {
    assert.ok(e instanceof APIConnectionError, String(e))
    assert.ok(e.message.includes('http://127.0.0.1:9'), e.message)
    assert.ok(!e.message.includes('hunter2'))
    return true
  })
  assert.equal(await mock.count('/client/authenticate'), 0)
})
