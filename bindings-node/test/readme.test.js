'use strict'
// The README's quick start really runs: its ```js block, against a real mock.

const { test, before } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { mock } = require('./helpers/mock.js')

const PACKAGE_DIR = path.join(__dirname, '..')

before(() => mock.reset())

test('the quick start is at most 10 lines and logs in and calls', () => {
  const readme = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'))
  const code = /```js\n([\s\S]*?)```/.exec(section)[1]
  assert.ok(code.trim().split('\n').length <= 10, 'at most 10 lines')
  const out = execFileSync(process.execPath, ['-e', code], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, XPAY_BASE_URL: mock.url },
    encoding: 'utf8',
  })
  assert.match(out, /^demo@xpay\.test \[ 'tme_user' \] /)
  assert.match(out, /Authentication \{ .*accessToken: "eyJ[^"]*…\(\d+ chars\)"/)
  assert.match(out, /\{ a: 1 \}\n$/)
})
