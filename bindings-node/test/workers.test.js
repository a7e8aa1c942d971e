'use strict'
// worker_threads: one client per worker, all logging in and calling at once; the main thread's
// client keeps working while and after the workers come and go.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const { Client } = require('xpay-auth')
const { mock, ACCOUNT } = require('./helpers/mock.js')

// Workers load the package by absolute path, so the tests run from any working directory.
const PACKAGE = require.resolve('xpay-auth')


const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { Client, XPayError } = require(workerData.package)
;(async () => {
  const client = new Client({ baseUrl: workerData.url })
  const session = client.session(workerData.account)
  const data = await session.call('/client/echo', { worker: workerData.id })
  let code
  try { await client.authenticate({ ...workerData.account, secretKey: 'wrong' }) }
  catch (e) { code = e instanceof XPayError ? e.code : String(e) }
  parentPort.postMessage({ data, code, token: (await session.accessToken()).slice(0, 3) })
})().catch((e) => parentPort.postMessage({ failed: String(e && e.stack || e) }))
`

function runWorker(id) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { id, url: mock.url, account: ACCOUNT, package: PACKAGE } })
    worker.once('message', (m) => (m.failed ? reject(new Error(m.failed)) : resolve(m)))
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
  })
}

test('clients in several worker threads work at once', async () => {
  await mock.reset()
  const main = new Client({ baseUrl: mock.url }).session(ACCOUNT)
  const [results, mainData] = await Promise.all([
    Promise.all([1, 2, 3, 4].map(runWorker)),
    main.call('/client/echo', { worker: 0 }),
  ])
  results.forEach((r, i) => {
    assert.deepEqual(r.data, { worker: i + 1 })
    assert.equal(r.code, 'authentication')
    assert.equal(r.token, 'eyJ')
  })
  assert.deepEqual(mainData, { worker: 0 })
  // After every worker has exited, the main thread's session still works.
  assert.deepEqual(await main.call('/client/echo', { after: true }), { after: true })
})

test('a worker terminated while its request is in flight does not disturb the others', async () => {
  await mock.reset()
  await mock.queue('/client/authenticate', [{ delay_ms: 1000 }])
  const doomed = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { Client } = require(workerData.package)
     const p = new Client({ baseUrl: workerData.url }).authenticate(workerData.account)
     parentPort.postMessage('started'); p.catch(() => {})`,
    { eval: true, workerData: { url: mock.url, account: ACCOUNT, package: PACKAGE } },
  )
  await new Promise((resolve) => doomed.once('message', resolve))
  await doomed.terminate()
  const session = new Client({ baseUrl: mock.url }).session(ACCOUNT)
  assert.deepEqual(await session.call('/client/echo', [1]), [1])
  assert.deepEqual(await runWorker(9), { data: { worker: 9 }, code: 'authentication', token: 'eyJ' })
})
