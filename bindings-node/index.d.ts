// Type declarations of the `xpay-auth` package (hand-written: the public surface is index.js
// over the generated native.d.ts).

/** The error codes of the contract; `XPayError.code` is always one of them. */
export type ErrorCode =
  | 'invalid_argument'
  | 'authentication'
  | 'api'
  | 'http_status'
  | 'timeout'
  | 'connection'
  | 'decode'
  | 'internal'

/** Every code, in the contract's order. */
export declare const CODES: readonly ErrorCode[]

/** The SDK version, as sent in the `User-Agent` (`xpay-auth-node/<version>`). */
export declare const VERSION: string

/** A token as logs may show it: its first characters and its length, e.g. `eyJhbG…(412 chars)`. */
export declare function redactToken(token: string): string

/** Any JSON value: what `session.call` sends (after `JSON.stringify`) and resolves with. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** Options of `new Client(...)`; every one is optional. */
export interface ClientOptions {
  /** Default: `XPAY_BASE_URL`, else `https://apis.xpay.stream`. `http://` only for loopback hosts. */
  baseUrl?: string | null
  /** Limit for a whole request, in ms (default 30000). */
  timeoutMs?: number | null
  /** Limit for connecting, in ms (default 10000). */
  connectTimeoutMs?: number | null
  /** How many times a failed request may be retried when safe (default 2). */
  maxRetries?: number | null
  /** The `User-Agent` header (default `xpay-auth-node/<version>`). */
  userAgent?: string | null
  /** Largest reply body accepted, in bytes (default 1 MiB); larger is a `decode` error. */
  maxBodyBytes?: number | null
  /** How long before `expiresAt` a session renews its token, in ms (default 300000). */
  refreshBeforeMs?: number | null
  /** First retry delay before jitter, in ms (default 100); doubles each retry. */
  retryBackoffMs?: number | null
  /**
   * Extra CA certificates to trust (PEM, one or more), besides `tlsRoots`. `XPAY_CA_BUNDLE`
   * and `SSL_CERT_FILE` (PEM files) add to the roots too.
   */
  caBundle?: string | Buffer | null
  /**
   * Which roots to trust: `'system+bundled'` (default: the OS store and the bundled Mozilla
   * roots), `'system'`, `'bundled'` or `'none'` (only `caBundle`).
   */
  tlsRoots?: 'system+bundled' | 'system' | 'bundled' | 'none' | null
  /** Client certificate (PEM, leaf first) for mutual TLS; needs `clientKey`. */
  clientCert?: string | Buffer | null
  /** The client certificate's private key (PEM). */
  clientKey?: string | Buffer | null
  /**
   * Proxy URL for every request: `http://`, `https://` or `socks5://host:port` (credentials as
   * `user:password@`, never logged). Without it `HTTPS_PROXY` / `ALL_PROXY` apply unless
   * `NO_PROXY` names the host, and never for loopback.
   */
  proxy?: string | null
}

/** An account's login. */
export interface Credentials {
  username: string
  secretKey: string
  /** `true` (the default) for API (machine) logins; the web console uses `false`. */
  isApi?: boolean | null
}

/** Options of `client.session(credentials, options)`. */
export interface SessionOptions {
  /**
   * Where the session keeps its token so that other sessions and processes reuse it:
   * `memory:` (the default), `file:<directory>` (this host), `redis://host:port/db` /
   * `rediss://…` (a fleet). Default: `XPAY_TOKEN_STORE`, else `memory:`.
   */
  store?: string | null
}

/** Options of one `session.call`. */
export interface CallOptions {
  /** The request reference sent as the `uuid` header (default: a fresh v4 uuid). */
  uuid?: string | null
}

/** The account a login was for. */
export interface User {
  username: string
  scopes: string[]
  isApi: boolean
}

/** One successful login. `util.inspect` and `toString()` show the token redacted. */
export declare class Authentication {
  private constructor()
  /** The bearer token (opaque). */
  get accessToken(): string
  /** When the token stops working, in milliseconds since the Unix epoch. */
  get expiresAt(): number
  get user(): User
  /** The server's reference of this login (32 hex digits). */
  get ticket(): string
  /** The request's reference, for support. */
  get uuid(): string
  /** The server's message, e.g. `Authenticated`. */
  get message(): string
  toString(): string
}

/** A client plus one account's credentials, with a token cache. Made by `client.session()`. */
export declare class Session {
  private constructor()
  /** A valid access token: cached while fresh; concurrent callers share one login. */
  accessToken(): Promise<string>
  /** The current login (cached, renewed or new). */
  authentication(): Promise<Authentication>
  /**
   * POSTs `body` as JSON to `path` with the bearer token and resolves with `success.data`.
   * On HTTP 401 it logs in again and retries once.
   */
  call<T = unknown>(path: string, body?: unknown, options?: CallOptions): Promise<T>
  /**
   * Money-safe call: POSTs the JSON text `text` byte for byte (after checking it is one JSON
   * value, else InvalidArgumentError and nothing is sent) and resolves with `success.data` as
   * the exact text the server sent, so no number goes through a double either way.
   */
  callRaw(path: string, text: string, options?: CallOptions): Promise<string>
  /** Drops the cached token; the next use logs in again. */
  invalidate(): void
  /** `"Bearer <token>"` for your own HTTP client's `Authorization` header. */
  authorizationHeader(): Promise<string>
  /**
   * The header to send a request again with after the server answered 401 to `rejected`:
   * drops that token if still cached, then resolves with a fresh one's (one shared login).
   */
  reauthorize(rejected: string): Promise<string>
  /**
   * The global `fetch` with `Authorization: Bearer <token>` set; on a 401 one shared re-login
   * and one re-send, when the body can be sent again (not a stream).
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** The core's counts since the session was made, its back-off end and token expiry. */
  stats(): SessionStats
  get username(): string
  toString(): string
}

/** `session.stats()`: counted by the core since the session was made. */
export interface SessionStats {
  /** Login requests this session sent (every attempt counts, retries too). */
  logins: number
  /** Background renewals started. */
  renewals: number
  /** Background renewals that failed. */
  renewalFailures: number
  /** Callers that had to wait for a login (the one that started it included). */
  waits: number
  /** End of the current failed-login back-off (ms since the epoch), 0 when none. */
  backoffUntilMs: number
  /** The current token's `expiresAt` (ms since the epoch), 0 when there is none. */
  expiresAtMs: number
}

/** An xPay client: configuration plus a pool of keep-alive connections. */
export declare class Client {
  /** @throws {InvalidArgumentError} on a bad option. */
  constructor(options?: ClientOptions)
  /** Logs in once (no caching). */
  authenticate(credentials: Credentials): Promise<Authentication>
  /**
   * A session for these credentials, or for `XPAY_USERNAME` / `XPAY_SECRET_KEY` without any.
   * @throws {InvalidArgumentError} when `options.store` names no token store.
   */
  session(credentials?: Credentials | null, options?: SessionOptions): Session
  /** Closes the connection pool; later requests fail with `invalid_argument`. */
  close(): void
  get closed(): boolean
  get baseUrl(): string
  toString(): string
}

/** What an XPayError carries besides its message. */
export interface XPayErrorDetails {
  code?: ErrorCode
  status?: number
  tag?: string
  uuid?: string
  data?: unknown
  cause?: unknown
}

/** Every failure of xpay-auth. */
export declare class XPayError extends Error {
  constructor(message: string, details?: XPayErrorDetails)
  /** One of the contract's codes. */
  readonly code: ErrorCode
  /** The HTTP status of the reply, when there was one. */
  readonly status: number | undefined
  /** The server's reference of this error, when it gave one. */
  readonly tag: string | undefined
  /** The request's reference. */
  readonly uuid: string | undefined
  /** The error's `data` as the server sent it (a JS value), when not null. */
  readonly data: unknown
}

/** `invalid_argument`: unusable input; nothing was sent. */
export declare class InvalidArgumentError extends XPayError {
  readonly code: 'invalid_argument'
}
/** `authentication`: the login was refused, or a call still got 401 after a fresh login. */
export declare class AuthenticationError extends XPayError {
  readonly code: 'authentication'
}
/** `api`: another endpoint answered with a business error. */
export declare class APIError extends XPayError {
  readonly code: 'api'
}
/** `http_status`: a non-200 status without a business error envelope. */
export declare class HTTPStatusError extends XPayError {
  readonly code: 'http_status'
}
/** `timeout`: the connect or whole-request time limit passed. */
export declare class APITimeoutError extends XPayError {
  readonly code: 'timeout'
}
/** `connection`: DNS, refused, reset, TLS failure. */
export declare class APIConnectionError extends XPayError {
  readonly code: 'connection'
}
/** `decode`: the reply is not a valid envelope. */
export declare class DecodeError extends XPayError {
  readonly code: 'decode'
}
