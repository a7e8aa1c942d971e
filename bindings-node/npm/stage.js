'use strict'
// `make dist`'s staging step: copies the main package's files (package.json's "files", less
// native modules, which ship in npm/<platform>/) into STAGE, so `npm pack STAGE` packs the
// main package without whatever .node a local `npm run build` left in this folder.
//
//   node npm/stage.js STAGE
const fs = require('node:fs')
const path = require('node:path')

const here = path.join(__dirname, '..')
const stage = process.argv[2]
if (!stage) throw new Error('usage: node npm/stage.js STAGE')
const pkg = require(path.join(here, 'package.json'))
fs.mkdirSync(stage, { recursive: true })
// native.js / native.d.ts come from the release `napi build` (written into STAGE by make dist).
const generated = new Set(['native.js', 'native.d.ts'])
for (const entry of ['package.json', ...pkg.files]) {
  if (entry.includes('*') || generated.has(entry)) continue
  fs.cpSync(path.join(here, entry), path.join(stage, entry), { recursive: true })
}
for (const name of generated) {
  if (!fs.existsSync(path.join(stage, name))) throw new Error(`${name} is missing from ${stage}`)
}
