// ES module entry: the same objects as the CommonJS entry (one native module per process).
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const xpay = require('./index.js')

export const {
  Client,
  Session,
  Authentication,
  VERSION,
  redactToken,
  CODES,
  XPayError,
  InvalidArgumentError,
  AuthenticationError,
  APIError,
  HTTPStatusError,
  APITimeoutError,
  APIConnectionError,
  DecodeError,
} = xpay
export default xpay
