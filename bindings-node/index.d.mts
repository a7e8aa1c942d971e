// Types of the ES module entry (index.mjs): the same as the CommonJS entry's, plus its default.
import * as xpay from './index.js'

export * from './index.js'
export default xpay
