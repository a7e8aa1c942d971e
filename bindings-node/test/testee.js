'use strict'
// The Node testee of tests/conformance/README.md ("The testee protocol"): one JSON request per
// line on stdin, one JSON answer per line on stdout, in order. It only turns a request into one
// call of the public API and the outcome into JSON; the runner owns everything else. The same
// file is the worker thread's script for the `worker` op.

const path = require('node:path')
const readline = require('node:readline')
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')

const PACKAGE = path.join(__dirname, '..')
const { Client, VERSION } = require(PACKAGE)

console.log = console.error // stdout carries answers only

const authJson = (a) => ({
  access_token: a.accessToken,
  expires_at: a.expiresAt,
  user: { username: a.user.username, scopes: a.user.scopes, is_api: a.user.isApi },
  ticket: a.ticket,
  uuid: a.uuid,
  message: a.message,
})

const errorJson = (e) => ({
  code: typeof e?.code === 'string' ? e.code : 'internal',
  message: String(e?.message ?? e),
  status: e?.status ?? null,
  tag: e?.tag ?? null,
  uuid: e?.uuid ?? null,
  data: e?.data ?? null,
})

/** What `run` returns when the answer is not `{ ok: value }`: relayed as it is. */
class Answer {
  constructor(answer) {
    this.answer = answer
  }
}
const unsupported = (why) => new Answer({ unsupported: why })

const clientOptions = (r) => {
  const o = { baseUrl: r.base_url }
  if (r.timeout_ms !== undefined) o.timeoutMs = r.timeout_ms
  if (r.connect_timeout_ms !== undefined) o.connectTimeoutMs = r.connect_timeout_ms
  if (r.max_retries !== undefined) o.maxRetries = r.max_retries
  // Networks (tests/conformance/networks.json): PEM text as strings, a CA file as a Buffer.
  if (r.ca_bundle_pem !== undefined) o.caBundle = r.ca_bundle_pem
  if (r.ca_bundle_file !== undefined) o.caBundle = require('node:fs').readFileSync(r.ca_bundle_file)
  if (r.tls_roots !== undefined) o.tlsRoots = r.tls_roots
  if (r.client_cert_pem !== undefined) o.clientCert = r.client_cert_pem
  if (r.client_key_pem !== undefined) o.clientKey = Buffer.from(r.client_key_pem)
  if (r.proxy !== undefined) o.proxy = r.proxy
  return o
}

/** `make()` with the request's `env` variables set (removed again afterwards). */
const withEnv = (r, make) => {
  const env = r.env ?? {}
  for (const [k, v] of Object.entries(env)) process.env[k] = v
  try {
    return make()
  } finally {
    for (const k of Object.keys(env)) delete process.env[k]
  }
}

/** The testee's objects: the current client and session, and what they were made from. */
class State {
  constructor(options, credentials) {
    this.options = options
    this.credentials = credentials
    this.client = options === null ? null : new Client(options)
    this.session = credentials === null || this.client === null ? null : this.client.session(credentials)
  }

  need(what) {
    if (this[what] === null) throw new Error(`no ${what} (make one with the ${what} op first)`)
    return this[what]
  }

  /** The answer to one request: `{ ok }`, `{ error }` or `{ unsupported }`. */
  async answer(r) {
    try {
      const ok = await this.run(r)
      return ok instanceof Answer ? ok.answer : { ok: ok ?? null }
    } catch (error) {
      return { error: errorJson(error) }
    }
  }

  async run(r) {
    switch (r.op) {
      case 'hello':
        return { face: 'node', version: VERSION, can: ['worker'] }
      case 'client':
        this.client?.close()
        this.client = this.session = this.credentials = null
        this.options = clientOptions(r)
        this.client = withEnv(r, () => new Client(this.options))
        return null
      case 'session':
        this.credentials = { username: r.username, secretKey: r.secret_key }
        this.session = this.need('client').session(this.credentials, r.store == null ? undefined : { store: r.store })
        return null
      case 'authenticate': {
        const credentials = { username: r.username, secretKey: r.secret_key }
        if (r.is_api !== undefined) credentials.isApi = r.is_api
        return authJson(await this.need('client').authenticate(credentials))
      }
      case 'access_token':
        return this.need('session').accessToken()
      case 'call':
        return this.need('session').call(r.path, r.body ?? null, r.uuid === undefined ? undefined : { uuid: r.uuid })
      case 'call_raw':
        return this.need('session').callRaw(r.path, r.text)
      case 'invalidate':
        this.need('session').invalidate()
        return null
      case 'authorization_header':
        return this.need('session').authorizationHeader()
      case 'stats': {
        const s = this.need('session').stats()
        return {
          logins: s.logins,
          renewals: s.renewals,
          renewal_failures: s.renewalFailures,
          waits: s.waits,
          backoff_until_ms: s.backoffUntilMs,
          expires_at_ms: s.expiresAtMs,
        }
      }
      case 'close':
        this.need('client').close()
        return null
      case 'concurrent':
        return Promise.all(Array.from({ length: r.n }, () => this.answer(r.step)))
      case 'worker':
        return runWorker(this.options, this.credentials, r)
      case 'fork':
        return unsupported('Node cannot fork a process running a tokio runtime')
      default:
        return unsupported(`unknown op ${JSON.stringify(r.op)}`)
    }
  }

  close() {
    this.client?.close()
  }
}

/**
 * Runs `r.step` in a worker thread with its own client and session made from the same options
 * and credentials, relaying its answer. With `terminate_after_ms` the worker is terminated that
 * long after it started the step, and the answer is `{ ok: { terminated: true } }` (unless the
 * worker answered first: then its answer, so that a step too quick to interrupt shows).
 */
function runWorker(options, credentials, r) {
  return new Promise((resolve) => {
    const worker = new Worker(__filename, { workerData: { options, credentials, step: r.step } })
    const terminate = r.terminate_after_ms !== undefined
    let settled = false
    const settle = (answer) => {
      if (!settled) (settled = true), resolve(new Answer(answer))
    }
    const failed = (e) => settle({ error: errorJson(e) })
    let started = false
    worker.on('message', (m) => {
      if (m.started) {
        started = true
        if (terminate) setTimeout(() => worker.terminate().catch(failed), r.terminate_after_ms)
      } else {
        settle(m.answer) // with terminate_after_ms: it finished (or failed to start) first
      }
    })
    worker.on('error', failed)
    worker.on('exit', (code) => {
      if (terminate && started) settle({ ok: { terminated: true } })
      else failed(new Error(`the worker exited (${code}) without an answer`))
    })
  })
}

async function main() {
  const state = new State(null, null)
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === '') continue
    let answer
    try {
      answer = await state.answer(JSON.parse(line))
    } catch (error) {
      answer = { error: errorJson(error) }
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`)
  }
  state.close()
}

async function workerMain() {
  let state
  try {
    state = new State(workerData.options, workerData.credentials)
  } catch (error) {
    parentPort.postMessage({ answer: { error: errorJson(error) } })
    return
  }
  parentPort.postMessage({ started: true })
  parentPort.postMessage({ answer: await state.answer(workerData.step) })
  state.close()
}

if (isMainThread) main()
else workerMain()
