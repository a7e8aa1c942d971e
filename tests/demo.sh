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
