'use strict'
// The public face of `xpay-auth`: thin classes over the native module (generated loader
// `native.js`) whose only job is to re-throw native errors as the exported XPayError subclasses
// and to make `util.inspect` / `console.log` show the redacted descriptions the native side
// builds. Behaviour (HTTP, retries, token cache) is entirely the Rust core's.

const { randomBytes } = require('node:crypto')
const { inspect } = require('node:util')
const native = require('./native.js')
const errors = require('./errors.js')

const { fromNative, InvalidArgumentError } = errors

// Sessions come from `client.session()`; this token keeps `new Session()` out of user code.
const FROM_CLIENT = Symbol('xpay-auth session from a client')

// Native Authentication objects keep the token behind a getter; inspect shows the redacted line.
native.Authentication.prototype[inspect.custom] = function inspectAuthentication() {
  return this.toString()
}

/** Runs a native call that may throw synchronously, converting its error. */
function convert(fn) {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

/** Awaits a native call's promise, converting its error (also one thrown before the promise). */
async function settle(fn) {
  try {
    return await fn()
  } catch (error) {
    throw fromNative(error)
  }
}

/**
 * `body` as JSON text with every BigInt written as its exact digits (JSON.stringify refuses
 * BigInts). Each BigInt is first stood in for by a string holding a random 128-bit marker, which
 * no other string of the body can contain, and that quoted string is then replaced by the digits.
 */
function stringifyWithBigInts(body) {
  const marker = `xpay-bigint-${randomBytes(16).toString('hex')}`
  let text
  try {
    text = JSON.stringify(body === undefined ? null : body, (_key, value) =>
      typeof value === 'bigint' ? `${marker}${value.toString()}${marker}` : value,
    )
  } catch (error) {
    throw new InvalidArgumentError(`the call's body is not JSON-serialisable: ${error.message}`, {
      code: 'invalid_argument',
    })
  }
  if (typeof text !== 'string') {
    throw new InvalidArgumentError("the call's body is not JSON-serialisable: JSON.stringify gave no text for it", {
      code: 'invalid_argument',
    })
  }
  return text.replace(new RegExp(`"${marker}(-?[0-9]+)${marker}"`, 'g'), '$1')
}

/** Whether a native error is JSON.stringify refusing a BigInt (then the BigInt path takes over). */
function isBigIntRefusal(error) {
  return error !== null && typeof error === 'object' && /BigInt/.test(String(error.message))
}

/** A Request for `fetch(input, init)` with the `Authorization` header set. */
function withAuthorization(input, init, header) {
  const request = new Request(input, init)
  request.headers.set('authorization', header)
  return request
}

/** Whether the body of `fetch(input, init)` can be sent a second time (not a stream). */
function canSendAgain(input, init) {
  const body = init?.body
  if (body !== undefined && body !== null) {
    return (
      typeof body === 'string' ||
      body instanceof ArrayBuffer ||
      ArrayBuffer.isView(body) ||
      body instanceof Blob ||
      body instanceof FormData ||
      body instanceof URLSearchParams
    )
  }
  // No body in init: a Request given as input carries its own body as a stream.
  return !(input instanceof Request) || input.body === null
}

class Session {
  #native

  constructor(token, nativeSession) {
    if (token !== FROM_CLIENT) {
      throw new InvalidArgumentError('create a Session with client.session({ username, secretKey })', {
        code: 'invalid_argument',
      })
    }
    this.#native = nativeSession
  }

  /** A valid access token (cached while fresh; concurrent callers share one login). */
  async accessToken() {
    // A fresh cached token needs no trip through the runtime (the core decides what is fresh).
    const cached = convert(() => this.#native.cachedAccessToken())
    return cached ?? settle(() => this.#native.accessToken())
  }

  /** The current login (cached, renewed or new). */
  async authentication() {
    return settle(() => this.#native.authentication())
  }

  /**
   * POSTs `body` (JSON-compatible; a BigInt is written as its exact integer) to `path` with the
   * bearer token; resolves with `success.data`.
   */
  async call(path, body, options) {
    return settle(() => {
      try {
        return this.#native.call(path, body, options)
      } catch (error) {
        // The common case stays on the native path; only a body holding a BigInt comes here.
        if (!isBigIntRefusal(error)) throw error
      }
      const text = stringifyWithBigInts(body)
      return this.#native.callRaw(path, text, options).then((data) => JSON.parse(data))
    })
  }

  /**
   * Money-safe call: POSTs the JSON text `text` byte for byte (once checked to be one JSON value)
   * and resolves with `success.data` as the exact text the server sent.
   */
  async callRaw(path, text, options) {
    return settle(() => this.#native.callRaw(path, text, options))
  }

  /** Drops the cached token; the next use logs in again. */
  invalidate() {
    convert(() => this.#native.invalidate())
  }

  /** `"Bearer <token>"` for your own HTTP client's `Authorization` header. */
  async authorizationHeader() {
    return settle(() => this.#native.authorizationHeader())
  }

  /**
   * The header to send a request again with after the server answered 401 to `rejected` (a
   * header from authorizationHeader()): drops that token if still cached, then a fresh one's
   * (one login shared by every concurrent caller).
   */
  async reauthorize(rejected) {
    return settle(() => this.#native.reauthorize(String(rejected)))
  }

  /**
   * The global `fetch` with `Authorization: Bearer <token>` set. On a 401 the token is dropped,
   * a fresh one fetched (one shared login) and the request sent once more, when its body can be
   * sent again (none, a string, bytes, a Blob, FormData, URLSearchParams; not a stream).
   */
  async fetch(input, init) {
    const header = await this.authorizationHeader()
    const response = await globalThis.fetch(withAuthorization(input, init, header))
    if (response.status !== 401 || !canSendAgain(input, init)) return response
    const fresh = await this.reauthorize(header)
    // Done with the refused reply: its connection goes back to fetch's pool.
    await response.body?.cancel()
    return globalThis.fetch(withAuthorization(input, init, fresh))
  }

  /**
   * The core's counts since the session was made: `{ logins, renewals, renewalFailures, waits,
   * backoffUntilMs, expiresAtMs }` (times in ms since the epoch, 0 when none).
   */
  stats() {
    return convert(() => this.#native.stats())
  }

  /** The account's username. */
  get username() {
    return this.#native.username
  }

  toString() {
    return this.#native.toString()
  }

  [inspect.custom]() {
    return this.toString()
  }
}

class Client {
  #native

  /** `new Client({ baseUrl, timeoutMs, maxRetries, ... })`; throws InvalidArgumentError on a bad option. */
  constructor(options) {
    this.#native = convert(() => new native.Client(options))
  }

  /** Logs in once (no caching). */
  async authenticate(credentials) {
    return settle(() => this.#native.authenticate(credentials))
  }

  /**
   * A session for `{ username, secretKey, isApi? }`, or from XPAY_USERNAME / XPAY_SECRET_KEY;
   * `options.store`: the token store URL (`memory:`, `file:<dir>`, `redis://...`).
   */
  session(credentials, options) {
    return new Session(FROM_CLIENT, convert(() => this.#native.session(credentials, options)))
  }

  /** Closes the connection pool; later requests fail with InvalidArgumentError. */
  close() {
    convert(() => this.#native.close())
  }

  /** Whether close() was called. */
  get closed() {
    return this.#native.closed
  }

  /** The base URL requests go to. */
  get baseUrl() {
    return this.#native.baseUrl
  }

  toString() {
    return this.#native.toString()
  }

  [inspect.custom]() {
    return this.toString()
  }
}

module.exports = {
  Client,
  Session,
  Authentication: native.Authentication,
  VERSION: native.VERSION,
  redactToken: native.redactToken,
  CODES: errors.CODES,
  XPayError: errors.XPayError,
  InvalidArgumentError: errors.InvalidArgumentError,
  AuthenticationError: errors.AuthenticationError,
  APIError: errors.APIError,
  HTTPStatusError: errors.HTTPStatusError,
  APITimeoutError: errors.APITimeoutError,
  APIConnectionError: errors.APIConnectionError,
  DecodeError: errors.DecodeError,
}
