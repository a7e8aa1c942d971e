'use strict'
// The Node face's bench program for `make bench` (tests/bench/run.py runs it, pinned to one CPU,
// against one release xpay-mock): xpay-auth against what a Node user would hand-roll — global
// `fetch` (undici) and `http.request` with a keep-alive `http.Agent` — on the same workload.
// Prints one machine-readable line per figure (`BENCH {json}`, the protocol in
// tests/bench/README.md); asserts nothing about speed.
//
//   node bench/calls.js rows [--ms N]   every row once, in order (one round): logins, then calls
//   node bench/calls.js token [--n N]   the cached accessToken(), N awaits (default 1,000,000)
//   node bench/calls.js cold node       1,000 concurrent accessToken() callers on a cold session;
//                                       the orchestrator counts the logins the mock saw
//
// Needs XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY and the release native module
// (`make build-release`).

const assert = require('node:assert/strict')
const http = require('node:http')
const { randomUUID } = require('node:crypto')
const { Client } = require('..')

const ECHO = '/client/echo'
const LOGIN = '/client/authenticate'
const BODY = { wallet: 'w-1', amount: 125 }
const COLD_CALLERS = 1_000

const baseUrl = (process.env.XPAY_BASE_URL ?? '').replace(/\/$/, '')
const username = process.env.XPAY_USERNAME
const secretKey = process.env.XPAY_SECRET_KEY
const loginBody = { username, secretKey, isAPI: true }

const clock = () => performance.now() // ms

function emit(figure) {
  console.log(`BENCH ${JSON.stringify(figure)}`)
}

/** `f` awaited for ms/5 ms untimed, then for `ms` ms timed, one after the other. */
async function row(group, client, sdk, op, ms, f) {
  const warmUntil = clock() + ms / 5
  while (clock() < warmUntil) await f()
  if (typeof global.gc === 'function') global.gc()
  let ops = 0
  const started = clock()
  const until = started + ms
  while (clock() < until) {
    await f()
    ops++
  }
  emit({ group, client, sdk, op, ops, secs: (clock() - started) / 1e3 })
}

// ---------------------------------------------------------------------------------------------
// The hand-rolled clients: the vendor's login body, `success.data.access_token` picked out of
// the reply; calls with the bearer token, a fresh uuid4 and the JSON body over a kept-alive
// connection, `success.data` picked out of the decoded reply.

/** With the global `fetch` (undici; keeps connections alive by default). */
function fetchClient() {
  const post = async (path, body, headers) => {
    const response = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    return response.json()
  }
  return handRolled(post)
}

/** With `http.request` and a keep-alive `http.Agent`. */
function httpClient() {
  const agent = new http.Agent({ keepAlive: true })
  const { hostname: host, port } = new URL(baseUrl)
  const hostname = host.replace(/^\[(.*)\]$/, '$1') // [::1] -> ::1
  const post = (path, body, headers) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body)
      const request = http.request(
        {
          agent,
          hostname,
          port,
          path,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...headers,
          },
        },
        (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk) => (text += chunk))
          response.on('end', () => {
            try {
              resolve(JSON.parse(text))
            } catch (error) {
              reject(error)
            }
          })
          response.on('error', reject)
        },
      )
      request.on('error', reject)
      request.end(payload)
    })
  const client = handRolled(post)
  client.close = () => agent.destroy()
  return client
}

function handRolled(post) {
  const client = {
    token: '',
    login: async () => (await post(LOGIN, loginBody, {})).success.data.access_token,
    call: async (body) => {
      const reply = await post(ECHO, body, { authorization: `Bearer ${client.token}`, uuid: randomUUID() })
      return reply.success.data
    },
    close: () => {},
  }
  return client
}

// ---------------------------------------------------------------------------------------------

async function rows(ms) {
  const sdk = new Client({ baseUrl })
  const session = sdk.session({ username, secretKey })
  const viaFetch = fetchClient()
  const viaHttp = httpClient()
  for (const hand of [viaFetch, viaHttp]) hand.token = await hand.login()
  assert.deepEqual(await session.call(ECHO, BODY), BODY)
  assert.deepEqual(await viaFetch.call(BODY), BODY)
  assert.deepEqual(await viaHttp.call(BODY), BODY)

  const group = 'Node'
  await row(group, 'client.authenticate', true, 'login', ms, () => sdk.authenticate({ username, secretKey }))
  await row(group, 'fetch', false, 'login', ms, viaFetch.login)
  await row(group, 'http.request + keep-alive Agent', false, 'login', ms, viaHttp.login)
  await row(group, 'session.call', true, 'call', ms, () => session.call(ECHO, BODY))
  await row(group, 'fetch', false, 'call', ms, () => viaFetch.call(BODY))
  await row(group, 'http.request + keep-alive Agent', false, 'call', ms, () => viaHttp.call(BODY))
  viaHttp.close()
  sdk.close()
}

/** The cached-token path every SDK call starts with, through the public API. */
async function token(n) {
  const sdk = new Client({ baseUrl })
  const session = sdk.session({ username, secretKey })
  await session.accessToken()
  if (typeof global.gc === 'function') global.gc()
  const started = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await session.accessToken()
  const ns = Number(process.hrtime.bigint() - started) / n
  emit({ metric: 'token', face: 'node', api: 'await session.accessToken()', n, ns })
  sdk.close()
}

/** 1,000 concurrent accessToken() callers on a fresh session. */
async function cold() {
  const sdk = new Client({ baseUrl })
  const session = sdk.session({ username, secretKey })
  const started = clock()
  const results = await Promise.allSettled(Array.from({ length: COLD_CALLERS }, () => session.accessToken()))
  const ms = clock() - started
  const ok = results.filter((r) => r.status === 'fulfilled').length
  emit({ metric: 'cold', face: 'node', callers: COLD_CALLERS, ok, ms })
  sdk.close()
}

async function main() {
  if (!baseUrl || !username || !secretKey) {
    throw new Error('set XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY (tests/bench/run.py does)')
  }
  const args = process.argv.slice(2)
  const flag = (name, fallback) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : fallback
  }
  switch (args[0]) {
    case 'rows':
      return rows(flag('--ms', 1000))
    case 'token':
      return token(flag('--n', 1_000_000))
    case 'cold':
      return cold()
    default:
      throw new Error('usage: calls.js rows [--ms N] | token [--n N] | cold node')
  }
}

main().catch((error) => {
  console.error('bench failed:', error)
  process.exitCode = 1
})
