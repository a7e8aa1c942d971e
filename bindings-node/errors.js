'use strict'
// The exported error classes, and the one conversion from the native module's errors (plain
// `Error`s whose `code` is one of the contract's codes) to them. No behaviour lives here.

/** The codes of the contract (shared/docs/api.md, "Errors"). */
const CODES = Object.freeze([
  'invalid_argument',
  'authentication',
  'api',
  'http_status',
  'timeout',
  'connection',
  'decode',
  'internal',
])

/** Every failure of xpay-auth: `code` is one of CODES; `status`, `tag`, `uuid`, `data` when known. */
class XPayError extends Error {
  constructor(message, details = {}) {
    const { code = 'internal', status, tag, uuid, data, cause } = details
    super(message, cause === undefined ? undefined : { cause })
    this.name = new.target.name
    this.code = code
    this.status = status
    this.tag = tag
    this.uuid = uuid
    this.data = data
  }
}

class InvalidArgumentError extends XPayError {}
class AuthenticationError extends XPayError {}
class APIError extends XPayError {}
class HTTPStatusError extends XPayError {}
class APITimeoutError extends XPayError {}
class APIConnectionError extends XPayError {}
class DecodeError extends XPayError {}

const CLASS_BY_CODE = Object.freeze({
  invalid_argument: InvalidArgumentError,
  authentication: AuthenticationError,
  api: APIError,
  http_status: HTTPStatusError,
  timeout: APITimeoutError,
  connection: APIConnectionError,
  decode: DecodeError,
  internal: XPayError,
})

/**
 * The exported error for anything the native module threw or rejected with. Created here (not
 * in Rust) so the stack shows the caller's `await`. A native error without one of our codes
 * (a caught Rust panic, a napi failure) is an SDK bug: code `internal`, original as `cause`.
 */
function fromNative(error) {
  if (error instanceof XPayError) return error
  const code = error !== null && typeof error === 'object' ? error.code : undefined
  if (typeof code === 'string' && CODES.includes(code)) {
    const { message, status, tag, uuid, data } = error
    return new CLASS_BY_CODE[code](message, { code, status, tag, uuid, data })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new XPayError(`internal error: ${message}; this is a bug in xpay-auth, please report it`, {
    code: 'internal',
    cause: error,
  })
}

module.exports = {
  CODES,
  XPayError,
  InvalidArgumentError,
  AuthenticationError,
  APIError,
  HTTPStatusError,
  APITimeoutError,
  APIConnectionError,
  DecodeError,
  fromNative,
}
