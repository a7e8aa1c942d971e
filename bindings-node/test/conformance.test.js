'use strict'
// Replays the shared scenarios of tests/conformance/*.json (see its README) through the public
// Node API against a real xpay-mock, one subtest per scenario, ending with the plain summary
// line `conformance: N passed, M failed`.

const { test, before, after } = require('node:test')
const fs = require('node:fs')
const path = require('node:path')
const { Client } = require('xpay-auth')
const { startMock, refusedUrl, ACCOUNT } = require('./helpers/mock.js')
const { match } = require('./helpers/match.js')

const DIR = path.join(__dirname, '..', '..', 'tests', 'conformance')
const scenarios = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .flatMap((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')))

let mock
const tally = { passed: 0, failed: 0 }
before(async () => {
  mock = await startMock()
})
after(() => {
  mock.stop()
  console.log(`conformance: ${tally.passed} passed, ${tally.failed} failed`)
})

const authJson = (a) => ({
  access_token: a.accessToken,
  expires_at: a.expiresAt,
  user: { username: a.user.username, scopes: a.user.scopes, is_api: a.user.isApi },
  ticket: a.ticket,
  uuid: a.uuid,
  message: a.message,
})

const errorJson = (e) => ({
  code: e.code,
  message: e.message,
  status: e.status ?? null,
  tag: e.tag ?? null,
  uuid: e.uuid ?? null,
  data: e.data ?? null,
})

/** Runs `fn`, returning `{ ok }` or `{ error }` (the error as the README's JSON). */
async function outcome(fn) {
  try {
    return { ok: await fn() }
  } catch (error) {
    if (typeof error?.code !== 'string') throw error
    return { error: errorJson(error) }
  }
}

class Run {
  constructor(scenario, client) {
    this.client = client
    const s = scenario.session ?? {}
    this.account = { username: s.username ?? ACCOUNT.username, secretKey: s.secret_key ?? ACCOUNT.secretKey }
    this.session = client.session(this.account)
    this.saved = new Map()
  }

  async action(step) {
    if (step.queue) return void (await mock.queue(step.queue.path, step.queue.replies))
    if (step.authenticate) {
      const a = step.authenticate
      const credentials = {
        username: a.username ?? this.account.username,
        secretKey: a.secret_key ?? this.account.secretKey,
        isApi: a.is_api ?? true,
      }
      return outcome(async () => authJson(await this.client.authenticate(credentials)))
    }
    if (step.access_token) return this.accessToken()
    if (step.call) return outcome(async () => ({ data: await this.session.call(step.call.path, step.call.body) }))
    if (step.invalidate) return void this.session.invalidate()
    if (step.revoke) return void (await mock.revoke())
    if (step.concurrent_access_tokens) return this.concurrent(step.concurrent_access_tokens.n)
    if (step.poll_access_token) return this.poll(step.poll_access_token)
    throw new Error(`unknown step ${JSON.stringify(step)}`)
  }

  accessToken() {
    return outcome(async () => ({ access_token: await this.session.accessToken() }))
  }

  async concurrent(n) {
    const results = await Promise.allSettled(Array.from({ length: n }, () => this.session.accessToken()))
    const tokens = results.filter((r) => r.status === 'fulfilled').map((r) => r.value)
    return { ok: { count: results.length, distinct: new Set(tokens).size, errors: n - tokens.length } }
  }

  /** Calls accessToken until the condition holds; each look is a request to the mock, no sleep. */
  async poll(args) {
    const deadline = Date.now() + (args.deadline_ms ?? 10000)
    for (;;) {
      const result = await this.accessToken()
      let done
      if (args.until_requests) {
        const counts = await mock.counts()
        done = Object.entries(args.until_requests).every(([p, n]) => (counts[p] ?? 0) >= n)
      } else if (args.until_changed) {
        done = result.error !== undefined || this.saved.get(args.until_changed) !== result.ok.access_token
      } else {
        throw new Error('poll_access_token needs until_requests or until_changed')
      }
      if (done) return result
      if (Date.now() > deadline) throw new Error(`poll_access_token: not met by the deadline (${JSON.stringify(args)})`)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async step(step) {
    const result = await this.action(step)
    if (step.save && result?.ok) this.saved.set(step.save, result.ok.access_token)
    if (step.expect) {
      if (!result) throw new Error('this step has no result to expect')
      if ('ok' in step.expect) {
        if (!('ok' in result)) throw new Error(`expected success, got error ${JSON.stringify(result.error)}`)
        match(step.expect.ok, result.ok, this.saved)
      } else {
        if (!('error' in result)) throw new Error(`expected an error, got ${JSON.stringify(result.ok)}`)
        match(step.expect.error, result.error, this.saved)
      }
    }
    if (step.requests) {
      const counts = await mock.counts()
      for (const [p, want] of Object.entries(step.requests)) {
        const got = counts[p] ?? 0
        if (got !== want) throw new Error(`${p}: expected ${want} requests, the mock counted ${got}`)
      }
    }
    if (step.last_request) {
      const requests = await mock.requests()
      if (requests.length === 0) throw new Error('the mock recorded no request')
      match(step.last_request, requests[requests.length - 1], this.saved)
    }
  }
}

async function runScenario(scenario) {
  await mock.reset(scenario.mock ?? {})
  const c = scenario.client ?? {}
  const baseUrl = (c.base_url ?? 'mock') === 'refused' ? await refusedUrl() : mock.url
  const client = new Client({ baseUrl, timeoutMs: c.timeout_ms ?? 5000, maxRetries: c.max_retries ?? 2 })
  const run = new Run(scenario, client)
  for (const [i, step] of scenario.steps.entries()) {
    try {
      await run.step(step)
    } catch (e) {
      e.message = `step ${i + 1}: ${e.message}`
      throw e
    }
  }
  client.close()
}

for (const scenario of scenarios) {
  test(scenario.name, async () => {
    try {
      await runScenario(scenario)
      tally.passed += 1
    } catch (e) {
      tally.failed += 1
      throw e
    }
  })
}
