'use strict'
// Starts a real xpay-mock on a free loopback port for one test file and drives its control API.
// The mock exits when our pipe to its stdin closes, so a crashed test leaves no server behind.

const { spawn } = require('node:child_process')
const path = require('node:path')
const net = require('node:net')

const MOCK_BIN =
  process.env.XPAY_MOCK_BIN || path.join(__dirname, '..', '..', '..', 'target', 'debug', 'xpay-mock')

const ACCOUNT = Object.freeze({ username: 'demo@xpay.test', secretKey: 'demo-secret' })

async function startMock() {
  const child = spawn(MOCK_BIN, ['--port', '0', '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    let text = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`xpay-mock exited (${code}) before printing its URL`)))
    child.stdout.on('data', (chunk) => {
      text += chunk
      const newline = text.indexOf('\n')
      if (newline >= 0) resolve(text.slice(0, newline).trim())
    })
  })
  child.removeAllListeners('exit')
  return new Mock(child, url)
}

class Mock {
  constructor(child, url) {
    this.child = child
    this.url = url
  }

  async control(name, body) {
    const response = await fetch(`${this.url}/__mock/${name}`, {
      method: 'POST',
      body: body === undefined ? '' : JSON.stringify(body),
    })
    const json = await response.json()
    if (!response.ok) throw new Error(`mock ${name}: ${JSON.stringify(json)}`)
    return json
  }

  reset(settings) {
    return this.control('reset', settings ?? {})
  }

  queue(path, replies) {
    return this.control('queue', { path, replies })
  }

  revoke() {
    return this.control('revoke')
  }

  async counts() {
    return (await fetch(`${this.url}/__mock/counts`)).json()
  }

  async count(path) {
    return (await this.counts())[path] ?? 0
  }

  async requests(path) {
    const query = path === undefined ? '' : `?path=${encodeURIComponent(path)}`
    return (await fetch(`${this.url}/__mock/requests${query}`)).json()
  }

  stop() {
    this.child.stdin.end()
  }
}

/** A loopback URL where nothing listens: bind a free port, then close it. */
async function refusedUrl() {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

module.exports = { startMock, refusedUrl, ACCOUNT, MOCK_BIN }
