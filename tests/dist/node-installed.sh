#!/usr/bin/env bash
# `make -C bindings-node test-dist`: the two npm tarballs from dist/ (main package + the
# linux-x64-gnu platform package) installed offline into an empty folder, then require and
# import, login and call there against the mock tests/with-mock.sh started. Also: the main
# package carries no .node, the platform package carries one of at most 8 MB, and npm picked
# the platform package through the main package's optionalDependencies.
#
#   tests/with-mock.sh tests/dist/node-installed.sh dist/xpay-auth-V.tgz dist/xpay-auth-linux-x64-gnu-V.tgz
set -euo pipefail
main_tgz=$(realpath "$1")
platform_tgz=$(realpath "$2")
max_node_bytes=$((8 * 1024 * 1024))
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
cd "$app"
echo '{"name": "app", "private": true}' > package.json
npm install --offline --no-audit --no-fund --loglevel=error "$main_tgz" "$platform_tgz"

fail() { echo "node-installed: FAIL $*" >&2; exit 1; }
[ -z "$(find node_modules/xpay-auth -name '*.node')" ] || fail "the main package carries a .node"
node_file=$(find node_modules/xpay-auth-linux-x64-gnu -name '*.node')
[ -n "$node_file" ] || fail "the platform package carries no .node"
size=$(stat -c %s "$node_file")
[ "$size" -le "$max_node_bytes" ] || fail "$node_file is $size bytes (> $max_node_bytes)"
# npm's lock says the platform package satisfies the main package's optional dependency.
node -e '
  const lock = require("./package-lock.json")
  const main = lock.packages["node_modules/xpay-auth"]
  if (!main.optionalDependencies || !main.optionalDependencies["xpay-auth-linux-x64-gnu"]) throw new Error("no optionalDependencies")
  const p = lock.packages["node_modules/xpay-auth-linux-x64-gnu"]
  if (JSON.stringify(p.os) !== "[\"linux\"]" || JSON.stringify(p.cpu) !== "[\"x64\"]" || JSON.stringify(p.libc) !== "[\"glibc\"]") throw new Error("os/cpu/libc: " + JSON.stringify(p))
  for (const name of ["xpay-auth", "xpay-auth-linux-x64-gnu"]) {
    const engines = require(name + "/package.json").engines
    if (!engines || !engines.node) throw new Error(name + " has no engines.node")
  }'

cjs=$(node -e '
  const { Client } = require("xpay-auth")
  const session = new Client().session()
  session.call("/client/echo", { from: "cjs" }).then((d) => console.log(JSON.stringify(d)))')
[ "$cjs" = '{"from":"cjs"}' ] || fail "require: $cjs"
esm=$(node --input-type=module -e '
  import { Client, XPayError } from "xpay-auth"
  const client = new Client()
  const auth = await client.authenticate({ username: process.env.XPAY_USERNAME, secretKey: process.env.XPAY_SECRET_KEY })
  const data = await client.session().call("/client/echo", { from: "esm" })
  console.log(JSON.stringify({ user: auth.user.username, data, isError: typeof XPayError }))')
[ "$esm" = "{\"user\":\"$XPAY_USERNAME\",\"data\":{\"from\":\"esm\"},\"isError\":\"function\"}" ] || fail "import: $esm"
# The module that answered is the platform package's, not a copy somewhere else.
loaded=$(node -e 'require("xpay-auth"); console.log(Object.keys(require.cache).find((f) => f.endsWith(".node")))')
case $loaded in "$app"/node_modules/xpay-auth-linux-x64-gnu/*) ;; *) fail "loaded $loaded" ;; esac
echo "node-installed: ok  npm install --offline of $(basename "$main_tgz") + $(basename "$platform_tgz"); require + import logged in and called; $(basename "$node_file") $size bytes"
