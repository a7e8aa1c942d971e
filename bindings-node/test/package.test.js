'use strict'
// The `npm pack` tarball, installed into an empty folder (no download: it has no dependencies
// and carries this platform's .node), loads with require and import and logs in.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { mock, ACCOUNT } = require('./helpers/mock.js')

const PACKAGE_DIR = path.join(__dirname, '..')
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

let scratch
before(async () => {
  await mock.reset()
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'xpay-auth-pack-'))
})
after(() => {
  fs.rmSync(scratch, { recursive: true, force: true })
})

test('npm pack → npm install <tarball> in an empty folder → require and import log in', { timeout: 120000 }, async () => {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', scratch], PACKAGE_DIR))
  const files = packed.files.map((f) => f.path)
  for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'errors.js', 'native.js', 'native.d.ts', 'package.json']) {
    assert.ok(files.includes(f), `${f} is in the tarball`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the native module is in the tarball')
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests')

  const app = path.join(scratch, 'app')
  fs.mkdirSync(app)
  fs.writeFileSync(path.join(app, 'package.json'), '{"name": "app", "private": true}')
  npm(['install', '--offline', '--no-audit', '--no-fund', path.join(scratch, packed.filename)], app)

  const env = { ...process.env, XPAY_BASE_URL: mock.url, XPAY_USERNAME: ACCOUNT.username, XPAY_SECRET_KEY: ACCOUNT.secretKey }
  const cjs = `
    const { Client } = require('xpay-auth')
    new Client().session().call('/client/echo', { from: 'cjs' }).then((d) => console.log(JSON.stringify(d)))`
  const esm = `
    import { Client, XPayError } from 'xpay-auth'
    const auth = await new Client().authenticate({ username: process.env.XPAY_USERNAME, secretKey: process.env.XPAY_SECRET_KEY })
    console.log(JSON.stringify({ user: auth.user.username, isError: typeof XPayError }))`
  const run = (args) => execFileSync(process.execPath, args, { cwd: app, env, encoding: 'utf8' }).trim()
  assert.equal(run(['-e', cjs]), '{"from":"cjs"}')
  assert.equal(run(['--input-type=module', '-e', esm]), `{"user":"${ACCOUNT.username}","isError":"function"}`)
  assert.ok(fs.realpathSync(path.join(app, 'node_modules', 'xpay-auth')).startsWith(fs.realpathSync(app)), 'installed, not linked')
})
