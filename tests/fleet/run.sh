#!/usr/bin/env bash
# `make fleet` (part of `make test`): the fleet tests of the Redis token store (fleet.py).
# Installs Debian's redis-server when it is missing and this is root with apt-get; skips, with
# the reason, only when it still cannot be had. Expects the debug mock, the Python wheel in
# bindings-python/.venv and the Node addon built (the Makefile target builds them first).
# `run.sh --install-only`: only the install step (make test does it before the Rust tests).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "fleet: redis-server is missing; installing Debian's package (apt-get install redis-server)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null 2>&1 ||
      echo "fleet: apt-get could not install redis-server"
  fi
fi
if [ "${1:-}" = "--install-only" ]; then
  command -v redis-server >/dev/null 2>&1 ||
    echo "fleet: redis-server is not installed and could not be installed here: the Redis store's tests will skip"
  exit 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "fleet: SKIPPED: redis-server is not installed and could not be installed here (needs root and apt-get; or run: apt-get install redis-server)"
  exit 0
fi
exec python3 "$here/fleet.py" "$@"
