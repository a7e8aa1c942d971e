#!/usr/bin/env bash
# `make test-dist`'s interpreter sweep: for every CPython 3.9–3.13 this machine has (pyenv's
# versions, else pythonX.Y on PATH), a fresh venv under VENVS, the wheel installed from DIST
# with `pip install --no-index --find-links DIST xpay-auth`, then tests/smoke.py. Run it under
# ../tests/with-mock.sh (smoke.py needs XPAY_BASE_URL etc.). Fails when any interpreter fails
# or when none is found. Prints one smoke line per interpreter and a summary line.
#
#   tests/smoke.sh DIST VENVS [MINOR_VERSIONS...]      (default versions: 3.9 3.10 3.11 3.12 3.13)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist=$(cd "$1" && pwd)
venvs=$2
shift 2
versions=${*:-3.9 3.10 3.11 3.12 3.13}
pyenv_root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}

# The newest patch release of X.Y among pyenv's versions, else pythonX.Y on PATH.
find_python() {
  local v=$1 p
  p=$(ls -d "$pyenv_root/versions/$v".[0-9]*/bin/python"$v" 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$p" ] || p=$(command -v "python$v" 2>/dev/null || true)
  printf '%s' "$p"
}

passed=0 failed=0 missing=""
for v in $versions; do
  py=$(find_python "$v")
  if [ -z "$py" ]; then missing="$missing $v"; continue; fi
  venv=$venvs/$v
  rm -rf "$venv"
  if "$py" -m venv "$venv" \
    && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
         --find-links "$dist" xpay-auth \
    && (cd "$venvs" && "$venv/bin/python" "$here/smoke.py"); then
    passed=$((passed + 1))
  else
    echo "smoke: FAIL CPython $v ($py)" >&2
    failed=$((failed + 1))
  fi
done
[ -z "$missing" ] || echo "smoke: not on this machine:$missing"
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
