// The ES module entry's types: named and default imports.
import xpay, { Client, XPayError } from 'xpay-auth'

export async function login(): Promise<string> {
  const client: Client = new xpay.Client({ timeoutMs: 1000 })
  const other = new Client()
  other.close()
  try {
    return (await client.authenticate({ username: 'u', secretKey: 'k' })).accessToken
  } catch (e) {
    if (e instanceof XPayError) return e.code
    throw e
  }
}
