#!/usr/bin/env bash
# The demo's body, run by `make demo` inside tests/with-mock.sh: each face logs in and makes one
# call against the same local mock. Release builds only (see the Makefile).
set -euo pipefail
echo "xpay-mock at $XPAY_BASE_URL (account $XPAY_USERNAME)"
echo
echo "== Rust (crate xpay-auth) =="
"${CARGO_TARGET_DIR:-target}"/release/examples/demo
echo
echo "== Python (wheel xpay-auth, bindings-python/examples/demo.py) =="
make -s --no-print-directory -C bindings-python demo
echo
echo "== Node.js (npm xpay-auth, bindings-node/examples/demo.js) =="
make -s --no-print-directory -C bindings-node demo
echo
echo "== C (libxpay_auth, bindings-c/examples/login.c) =="
make -s --no-print-directory -C bindings-c demo
echo
echo "== Command line (xpay-auth, cli/) =="
xa="${CARGO_TARGET_DIR:-target}/release/xpay-auth"
# A token store of the demo's own (the default is \$XDG_CACHE_HOME/xpay-auth).
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
export XPAY_TOKEN_STORE="file:$store/tokens"
logins() { curl -s "$XPAY_MOCK_URL/__mock/counts" | sed -n 's/.*"\/client\/authenticate":\([0-9]*\).*/\1/p'; }
before=$(logins)
echo "\$ xpay-auth token"
"$xa" token | cut -c1-12 | sed 's/$/... (cut here)/'
echo "\$ curl -H \"Authorization: Bearer \$(xpay-auth token)\" \$XPAY_BASE_URL/client/echo -d '{\"from\": \"curl\"}'"
curl -s -H "Authorization: Bearer $("$xa" token)" "$XPAY_BASE_URL/client/echo" -d '{"from": "curl"}'
echo
echo "\$ echo '{\"amount\": 10.10}' | xpay-auth call /client/echo -"
echo '{"amount": 10.10}' | "$xa" call /client/echo -
echo "logins the mock saw for these three commands: $(( $(logins) - ${before:-0} ))"
