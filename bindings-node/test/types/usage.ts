// Type-checked (tsc --noEmit --strict) as part of `npm test`: the README's usage, typed.
import {
  APIError,
  Authentication,
  Client,
  ClientOptions,
  Credentials,
  ErrorCode,
  InvalidArgumentError,
  Session,
  SessionStats,
  XPayError,
} from 'xpay-auth'

const options: ClientOptions = { baseUrl: 'http://127.0.0.1:8080', timeoutMs: 5000, maxRetries: 2 }
const credentials: Credentials = { username: 'demo@xpay.test', secretKey: 'demo-secret', isApi: true }

/** Exhaustive over the code union: adding a code without a case fails to compile. */
export function advice(code: ErrorCode): string {
  switch (code) {
    case 'invalid_argument':
      return 'fix the input'
    case 'authentication':
      return 'check the credentials'
    case 'api':
    case 'http_status':
    case 'timeout':
    case 'connection':
    case 'decode':
    case 'internal':
      return 'retry or report'
    default: {
      const unreachable: never = code
      return unreachable
    }
  }
}

export async function main(): Promise<void> {
  const client = new Client(options)
  const auth: Authentication = await client.authenticate(credentials)
  const token: string = auth.accessToken
  const expiresAt: number = auth.expiresAt
  const scopes: string[] = auth.user.scopes
  const isApi: boolean = auth.user.isApi
  console.log(token.length, expiresAt, scopes, isApi, auth.ticket, auth.uuid, auth.message)

  const session: Session = client.session({ username: 'demo@xpay.test', secretKey: 'demo-secret' })
  const fromEnv: Session = client.session()
  await session.accessToken()
  const echoed = await session.call<{ a: number }>('/client/echo', { a: 1 }, { uuid: 'f8623092-a59a-4ceb-bc75-18e59815d5df' })
  const a: number = echoed.a
  const exact: string = await session.callRaw('/client/echo', '{"amount":123456789012345678901}', { uuid: 'my-ref' })
  await session.call('/client/echo', { amount: 123456789012345678901n })
  console.log(exact)
  const header: string = await session.authorizationHeader()
  const again: string = await session.reauthorize(header)
  const reply: Response = await session.fetch('http://127.0.0.1:8080/client/echo', { method: 'POST', body: '{}' })
  const viaRequest: Response = await session.fetch(new Request('http://127.0.0.1:8080/client/echo'))
  const stats: SessionStats = session.stats()
  const counts: number[] = [stats.logins, stats.renewals, stats.renewalFailures, stats.waits]
  console.log(again.length, reply.status, viaRequest.ok, counts, stats.backoffUntilMs, stats.expiresAtMs)
  session.invalidate()
  fromEnv.invalidate()
  client.close()
  console.log(a, client.closed, client.baseUrl)

  try {
    await session.call('/client/echo', {})
  } catch (error) {
    if (error instanceof XPayError) {
      const code: ErrorCode = error.code
      const status: number | undefined = error.status
      const tag: string | undefined = error.tag
      const uuid: string | undefined = error.uuid
      const data: unknown = error.data
      console.log(advice(code), status, tag, uuid, data, error.message)
    }
    if (error instanceof APIError) {
      const code: 'api' = error.code
      console.log(code)
    }
    if (error instanceof InvalidArgumentError && error instanceof Error) {
      console.log(error.stack)
    }
  }
}
