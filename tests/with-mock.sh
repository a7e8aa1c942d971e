#!/usr/bin/env bash
# The one way to start the mock for a command: runs CMD against a fresh xpay-mock on a free
# loopback port, then stops the mock.
#
#   tests/with-mock.sh [--release] CMD [ARGS...]
#
# The mock binary is cargo's: $CARGO_TARGET_DIR (else target/ here)/{debug,release}/xpay-mock;
# `--release` picks the release build (the demo and benchmarks), debug otherwise (tests).
# The command sees XPAY_BASE_URL and XPAY_MOCK_URL (the mock's URL; control endpoints under
# /__mock/) and the mock's default account in XPAY_USERNAME / XPAY_SECRET_KEY.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
profile=debug
if [ "${1:-}" = "--release" ]; then profile=release; shift; fi
mock=${CARGO_TARGET_DIR:-$here/target}/$profile/xpay-mock
[ -x "$mock" ] || { echo "with-mock.sh: $mock is not built (cargo build -p xpay-mock, with --release for a release build)" >&2; exit 2; }

# The mock writes its URL as the first line of its stdout; it quits when its stdin (this
# script's pipe) closes, so an interrupted run never leaves a server behind.
coproc MOCK { exec "$mock" --port 0 --exit-on-stdin-close; }
mock_pid=$MOCK_PID
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT
IFS= read -r -t 30 url <&"${MOCK[0]}" || { echo "with-mock.sh: the mock did not start" >&2; exit 2; }

export XPAY_BASE_URL=$url XPAY_MOCK_URL=$url XPAY_USERNAME=demo@xpay.test XPAY_SECRET_KEY=demo-secret
"$@"
