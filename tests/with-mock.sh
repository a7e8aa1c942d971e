#!/usr/bin/env bash
# Runs a command against a fresh xpay-mock on a free loopback port, then stops the mock.
#
#   tests/with-mock.sh [--mock PATH] CMD [ARGS...]
#
# The command sees XPAY_BASE_URL (the mock's URL) and the mock's default account in
# XPAY_USERNAME / XPAY_SECRET_KEY. The mock exits with this script even if it is killed.
set -euo pipefail
mock=target/release/xpay-mock
if [ "${1:-}" = "--mock" ]; then mock=$2; shift 2; fi
[ -x "$mock" ] || { echo "with-mock.sh: $mock is not built (cargo build -p xpay-mock)" >&2; exit 2; }

# The mock reads the first line of its own stdout as its URL to us; it quits when its stdin
# (this script's pipe) closes, so an interrupted run never leaves a server behind.
coproc MOCK { exec "$mock" --port 0 --exit-on-stdin-close; }
mock_pid=$MOCK_PID
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT
IFS= read -r -t 30 url <&"${MOCK[0]}" || { echo "with-mock.sh: the mock did not start" >&2; exit 2; }

export XPAY_BASE_URL=$url XPAY_USERNAME=demo@xpay.test XPAY_SECRET_KEY=demo-secret
"$@"
