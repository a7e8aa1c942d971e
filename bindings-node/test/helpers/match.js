'use strict'
// The conformance matchers of tests/conformance/README.md ("Matching"), as in the Rust runner.

function jsonType(v) {
  if (v === null || v === undefined) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v // 'string' | 'number' | 'boolean' | 'object'
}

function isUuid(s) {
  return typeof s === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)
}

function matcherOf(want) {
  if (jsonType(want) !== 'object') return null
  const keys = Object.keys(want)
  return keys.length === 1 && keys[0].startsWith('$') ? [keys[0], want[keys[0]]] : null
}

function checkMatcher(key, arg, got, saved) {
  const str = typeof got === 'string'
  switch (key) {
    case '$present':
      return got !== null && got !== undefined
    case '$absent':
      return got === null || got === undefined
    case '$prefix':
      return str && got.startsWith(arg)
    case '$contains':
      return str && got.includes(arg)
    case '$uuid':
      return isUuid(got)
    case '$type':
      return jsonType(got) === arg
    case '$saved':
      return str && saved.has(arg) && saved.get(arg) === got
    case '$not_saved':
      return str && saved.get(arg) !== got
    case '$min_length': {
      const len = str ? [...got].length : Array.isArray(got) ? got.length : -1
      return len >= arg
    }
    default:
      throw new Error(`unknown matcher ${key}`)
  }
}

/** Throws a description of the first mismatch of `got` against the pattern `want`. */
function match(want, got, saved, at = '') {
  const fail = (why) => {
    throw new Error(`at \`${at}\`: ${why} (got ${JSON.stringify(got)})`)
  }
  const matcher = matcherOf(want)
  if (matcher) {
    if (!checkMatcher(matcher[0], matcher[1], got, saved)) fail(`does not match ${JSON.stringify(want)}`)
    return
  }
  if (jsonType(want) === 'object' && jsonType(got) === 'object') {
    for (const [k, wv] of Object.entries(want)) match(wv, got[k] ?? null, saved, `${at}.${k}`)
    return
  }
  if (Array.isArray(want) && Array.isArray(got) && want.length === got.length) {
    want.forEach((wv, i) => match(wv, got[i], saved, `${at}[${i}]`))
    return
  }
  if (want === got || (want === null && got === undefined)) return
  fail(`expected ${JSON.stringify(want)}`)
}

module.exports = { match, isUuid }
