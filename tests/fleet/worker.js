'use strict'
// One fleet process of the Node face: the same job as worker.py (see tests/fleet/README.md).
//
//   node worker.js --base-url URL --store URL --username U --seconds N --tokens FILE
//
// The secret key comes from XPAY_SECRET_KEY. Waits for "go" on stdin, calls the mock's echo for
// N seconds with a short pause between calls, prints one JSON line with its figures, and writes
// the raw tokens it used to --tokens (mode 0600) for the harness's "no token text in Redis" check.

const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')
const { setTimeout: sleep } = require('node:timers/promises')

const xpay = require(path.join(__dirname, '..', '..', 'bindings-node'))

function parseArgs(argv) {
  const args = { pauseMs: 50, refreshBeforeMs: 1000, once: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = () => {
      i += 1
      if (i >= argv.length) throw new Error(`${flag} needs a value`)
      return argv[i]
    }
    switch (flag) {
      case '--base-url': args.baseUrl = value(); break
      case '--store': args.store = value(); break
      case '--username': args.username = value(); break
      case '--seconds': args.seconds = Number(value()); break
      case '--pause-ms': args.pauseMs = Number(value()); break
      case '--refresh-before': args.refreshBeforeMs = Number(value()) * 1000; break
      case '--tokens': args.tokens = value(); break
      case '--once': args.once = true; break
      default: throw new Error(`unknown argument ${flag}`)
    }
  }
  return args
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const client = new xpay.Client({ baseUrl: args.baseUrl, timeoutMs: 10000, refreshBeforeMs: args.refreshBeforeMs })
  // `--store env`: the store named by XPAY_TOKEN_STORE, the session given none.
  const credentials = { username: args.username, secretKey: process.env.XPAY_SECRET_KEY }
  const session = args.store === 'env' ? client.session(credentials) : client.session(credentials, { store: args.store })
  process.stdout.write('ready\n')
  const lines = readline.createInterface({ input: process.stdin })
  const first = await new Promise((resolve) => {
    lines.once('line', resolve)
    lines.once('close', () => resolve(''))
  })
  lines.close()
  if (first.trim() !== 'go') return 2

  let calls = 0
  let failed = 0
  const errors = []
  const tokens = []
  const seen = new Set()
  const deadline = performance.now() + args.seconds * 1000
  for (;;) {
    calls += 1
    try {
      const token = await session.accessToken()
      if (!seen.has(token)) {
        seen.add(token)
        tokens.push(token)
      }
      await session.call('/client/echo', { n: calls })
    } catch (error) {
      failed += 1
      if (errors.length < 5) errors.push(`${error.code}: ${error.message}`)
    }
    if (args.once || performance.now() >= deadline) break
    await sleep(args.pauseMs)
  }
  fs.writeFileSync(args.tokens, tokens.join('\n'), { mode: 0o600 })
  process.stdout.write(JSON.stringify({ face: 'node', calls, failed, errors, tokens: tokens.length }) + '\n')
  client.close()
  return 0
}

main().then(
  (code) => { process.exitCode = code },
  (error) => {
    process.stderr.write(`worker.js: ${error && error.stack ? error.stack : error}\n`)
    process.exitCode = 1
  },
)
