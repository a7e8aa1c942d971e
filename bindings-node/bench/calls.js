'use strict'
// `make bench` (in bindings-node/): what a call costs through xpay-auth's Node face compared with
// the code a Node user would otherwise hand-roll — global `fetch` (undici) and `http.request`
// with a keep-alive `http.Agent` — against a running xpay-mock over loopback. The same workload
// and table as the Rust bench (core/benches/calls.rs), plus a 64-in-flight mode. Prints
// figures; asserts nothing about speed.
//
// Needs XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY (tests/with-mock.sh sets them) and the
// release native module (`make build-release`). Run with `node --expose-gc` to collect garbage
// between rows.

const assert = require('node:assert/strict')
const http = require('node:http')
const { randomUUID } = require('node:crypto')
const { Client, VERSION } = require('..')

const CALLS = 5_000 // sequential calls per row
const WARMUP = 300 // warm-up calls per row (concurrent rows: whole batches, at least this many)
const IN_FLIGHT = 64 // concurrent rows: Promise.all batches of this many
const CONCURRENT_CALLS = 20_000 // concurrent rows: calls per row
const TOKEN_CALLS = 100_000 // cached accessToken() awaits
const COLD_CALLERS = 1_000 // concurrent accessToken() callers on a cold session
const TIME_LIMIT_MS = 110_000 // the whole bench; a stuck run fails instead of hanging

const PATH = '/client/echo'
const BODY = { wallet: 'w-1', amount: 125 }

const baseUrl = (process.env.XPAY_BASE_URL ?? '').replace(/\/$/, '')
const username = process.env.XPAY_USERNAME
const secretKey = process.env.XPAY_SECRET_KEY

const now = process.hrtime.bigint

// ---------------------------------------------------------------------------------------------
// The hand-rolled clients: log in once, then POST with the bearer token, a fresh uuid4 and the
// JSON body over a kept-alive connection, decode the reply and pick out `success.data`.

/** With the global `fetch` (undici; keeps connections alive by default). */
async function fetchClient() {
  const post = async (path, body, headers) => {
    const response = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
    return response.json()
  }
  const login = await post('/client/authenticate', { username, secretKey, isAPI: true })
  const token = login.success.data.access_token
  return async (body) => {
    const reply = await post(PATH, body, { authorization: `Bearer ${token}`, uuid: randomUUID() })
    return reply.success.data
  }
}

/** With `http.request` and a keep-alive `http.Agent`. */
async function httpClient() {
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
  const login = await post('/client/authenticate', { username, secretKey, isAPI: true })
  const token = login.success.data.access_token
  const call = async (body) => {
    const reply = await post(PATH, body, { authorization: `Bearer ${token}`, uuid: randomUUID() })
    return reply.success.data
  }
  call.close = () => agent.destroy()
  return call
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/** `call(BODY)` CALLS times, one after the other, after WARMUP; per-call times in ns. */
async function sequential(call) {
  assert.deepEqual(await call(BODY), BODY) // the row really echoes (correctness, not speed)
  for (let i = 1; i < WARMUP; i++) await call(BODY)
  const times = new Float64Array(CALLS)
  for (let i = 0; i < CALLS; i++) {
    const started = now()
    await call(BODY)
    times[i] = Number(now() - started)
  }
  return { times, wall: null }
}

/** CONCURRENT_CALLS calls in Promise.all batches of IN_FLIGHT; per-call times and the wall time. */
async function concurrent(call) {
  assert.deepEqual(await call(BODY), BODY)
  const warmupBatches = Math.ceil(WARMUP / IN_FLIGHT) // also opens the IN_FLIGHT connections
  for (let b = 0; b < warmupBatches; b++) {
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => call(BODY)))
  }
  const times = new Float64Array(CONCURRENT_CALLS)
  const started = now()
  for (let first = 0; first < CONCURRENT_CALLS; first += IN_FLIGHT) {
    const batch = []
    for (let i = first; i < Math.min(first + IN_FLIGHT, CONCURRENT_CALLS); i++) {
      const sent = now()
      batch.push(
        call(BODY).then(() => {
          times[i] = Number(now() - sent)
        }),
      )
    }
    await Promise.all(batch)
  }
  return { times, wall: Number(now() - started) }
}

const pad = (s, n) => String(s).padEnd(n)
const num = (x, digits, n) => x.toFixed(digits).padStart(n)

function header() {
  const columns = ['mean µs', 'p50 µs', 'p99 µs'].map((c) => c.padStart(9))
  console.log(`${pad('', 46)} ${columns.join(' ')} ${'calls/s'.padStart(10)}`)
}

/** One table row; calls/s is calls over the summed call times, or over the wall time if given. */
function report(name, { times, wall }) {
  const sorted = Float64Array.from(times).sort()
  const n = sorted.length
  let total = 0
  for (const t of sorted) total += t
  const us = (ns) => ns / 1e3
  console.log(
    `${pad(name, 46)} ${num(us(total / n), 1, 9)} ${num(us(sorted[n >> 1]), 1, 9)} ` +
      `${num(us(sorted[Math.floor((n * 99) / 100)]), 1, 9)} ` +
      `${num(n / ((wall ?? total) / 1e9), 0, 10)}`,
  )
}

function collect() {
  if (typeof global.gc === 'function') global.gc()
}

/** The mock's per-path request counts (a control endpoint; not counted itself). */
async function mockCounts() {
  const response = await fetch(`${baseUrl}/__mock/counts`)
  return response.json()
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const benchStarted = now()
  if (!baseUrl || !username || !secretKey) {
    throw new Error('set XPAY_BASE_URL, XPAY_USERNAME, XPAY_SECRET_KEY (tests/with-mock.sh does)')
  }
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(baseUrl)) {
    throw new Error(`the bench runs over loopback only; XPAY_BASE_URL is ${baseUrl}`)
  }
  if (typeof fetch !== 'function') throw new Error('global fetch is missing: Node >= 18 is needed')

  const sdk = new Client({ baseUrl })
  const session = sdk.session({ username, secretKey })
  const sdkCall = (body) => session.call(PATH, body)

  console.log(
    `Node ${process.version}, xpay-auth ${VERSION} (release native module), mock at ${baseUrl}\n` +
      `POST ${PATH} ${JSON.stringify(BODY)}, keep-alive, loopback; ` +
      `${WARMUP} warm-up calls per row first\n`,
  )

  console.log(`${CALLS} sequential calls (await one, then the next)`)
  header()
  const rows = [
    ['xpay-auth session.call', () => sdkCall],
    ['hand-rolled fetch (undici)', fetchClient],
    ['hand-rolled http.request + keepAlive Agent', httpClient],
  ]
  const closers = []
  for (const [name, make] of rows) {
    const call = await make()
    if (call.close) closers.push(call.close)
    collect()
    report(name, await sequential(call))
  }

  console.log(
    `\n${CONCURRENT_CALLS} calls, ${IN_FLIGHT} in flight (Promise.all batches); ` +
      'calls/s over the wall time',
  )
  header()
  for (const [name, make] of rows) {
    const call = await make()
    if (call.close) closers.push(call.close)
    collect()
    report(`${name} ×${IN_FLIGHT}`, await concurrent(call))
  }

  // The cached-token path every SDK call starts with.
  await session.accessToken()
  for (let i = 0; i < 1_000; i++) await session.accessToken()
  collect()
  let started = now()
  for (let i = 0; i < TOKEN_CALLS; i++) await session.accessToken()
  const perToken = Number(now() - started) / TOKEN_CALLS
  console.log(
    `\nawait session.accessToken(), cached: ${(perToken / 1e3).toFixed(2)} µs per call ` +
      `(${TOKEN_CALLS} awaits)`,
  )

  // Many callers on a cold session share one login.
  const cold = sdk.session({ username, secretKey })
  const before = (await mockCounts())['/client/authenticate'] ?? 0
  started = now()
  await Promise.all(Array.from({ length: COLD_CALLERS }, () => cold.accessToken()))
  const coldMs = Number(now() - started) / 1e6
  const logins = ((await mockCounts())['/client/authenticate'] ?? 0) - before
  console.log(
    `${COLD_CALLERS} concurrent cold session.accessToken() callers: ${coldMs.toFixed(2)} ms, ` +
      `${logins} login request(s)`,
  )

  for (const close of closers) close()
  sdk.close()
  console.log(`\n(bench took ${(Number(now() - benchStarted) / 1e9).toFixed(1)} s)`)
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${TIME_LIMIT_MS / 1000} s; giving up`)
  process.exit(1)
}, TIME_LIMIT_MS)
watchdog.unref()

main().catch((error) => {
  console.error('bench failed:', error)
  process.exitCode = 1
})
