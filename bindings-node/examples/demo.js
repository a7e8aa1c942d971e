'use strict'
// The Node face in a few lines: log in, keep a session, make a call. Reads XPAY_BASE_URL,
// XPAY_USERNAME and XPAY_SECRET_KEY (`make demo` points them at a running xpay-mock).

const { Client, redactToken } = require('xpay-auth')

async function main() {
  const client = new Client()
  const credentials = { username: process.env.XPAY_USERNAME, secretKey: process.env.XPAY_SECRET_KEY }

  const auth = await client.authenticate(credentials)
  console.log(
    `login  user=${auth.user.username} scopes=${JSON.stringify(auth.user.scopes)} is_api=${auth.user.isApi} ` +
      `token=${redactToken(auth.accessToken)} expires_at=${auth.expiresAt} ticket=${auth.ticket} uuid=${auth.uuid}`,
  )

  const session = client.session(credentials)
  const data = await session.call('/client/echo', { hello: 'xpay', from: 'node' })
  console.log(`call   /client/echo -> ${JSON.stringify(data)}`)
}

main().catch((error) => {
  console.error(`${error.name} [${error.code}]: ${error.message}`)
  process.exitCode = 1
})
