#!/usr/bin/env bash
# The one glibc check for every binary we ship: reads the versioned symbols each ELF file
# needs (readelf's .gnu.version_r) and fails when any needs a GLIBC_ version above the
# ceiling (2.17, manylinux2014's). Arguments are ELF files, wheels or tarballs (.tgz, .tar.gz)
# as shipped: the shared objects inside (*.so, *.so.*, *.node, not links) are checked; a wheel
# must also satisfy `auditwheel show`, which must name manylinux_2_17 (auditwheel from the
# build venv, tests/dist/.venv).
#
#   tests/dist/glibc-check.sh dist/*.whl dist/xpay-auth-linux-x64-gnu-*.tgz dist/xpay_auth-*-linux-gnu.tar.gz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ceiling=${GLIBC_CEILING:-2.17}
auditwheel=${AUDITWHEEL:-$here/.venv/bin/auditwheel}
[ $# -gt 0 ] || { echo "usage: $0 FILE.whl|ELF..." >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=0
# check ELF LABEL: prints the highest GLIBC_ version ELF needs; fails above the ceiling.
check() {
  local elf=$1 label=$2 needs highest
  readelf -h "$elf" >/dev/null 2>&1 || { echo "glibc-check: $label is not an ELF file" >&2; failed=1; return; }
  needs=$(readelf -W -V "$elf" | sed -n '/Version needs section/,$p' | grep -o 'Name: GLIBC_[0-9.]*' \
    | sed 's/Name: GLIBC_//' | sort -uV)
  highest=$(printf '%s\n' "$needs" | tail -n 1)
  [ -n "$highest" ] || { echo "glibc-check: $label needs no versioned glibc symbol?" >&2; failed=1; return; }
  if [ "$(printf '%s\n%s\n' "$highest" "$ceiling" | sort -V | tail -n 1)" != "$ceiling" ]; then
    echo "glibc-check: FAIL $label needs GLIBC_$highest (> GLIBC_$ceiling); symbols:" >&2
    readelf -W --dyn-syms "$elf" | grep -o '[^ ]*@GLIBC_[0-9.]*' | sort -u \
      | awk -F'@GLIBC_' -v c="$ceiling" '{ split($2, a, "."); split(c, b, ".");
          if (a[1] > b[1] || (a[1] == b[1] && a[2] + 0 > b[2] + 0)) print "  " $0 }' >&2
    failed=1
  else
    echo "glibc-check: ok   $label needs at most GLIBC_$highest (ceiling GLIBC_$ceiling)"
  fi
}

for f in "$@"; do
  case $f in
  *.whl)
    dir=$scratch/$(basename "$f")
    mkdir -p "$dir"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$f" "$dir"
    found=0
    while IFS= read -r so; do
      found=1
      check "$so" "$(basename "$f"):${so#"$dir"/}"
    done < <(find "$dir" -name '*.so' -type f | sort)
    [ $found = 1 ] || { echo "glibc-check: $f holds no extension module" >&2; failed=1; }
    # auditwheel's own reading of the same wheel: it must name manylinux_2_17 (or older).
    tag=$("$auditwheel" show "$f" 2>&1 | tr -s ' \n' ' ' | grep -o 'consistent with the following platform tag: "[^"]*"' \
      | grep -o '"[^"]*"' | tr -d '"') || true
    case $tag in
    manylinux_2_17_x86_64 | manylinux_2_5_x86_64 | manylinux_2_12_x86_64)
      echo "glibc-check: ok   auditwheel show: $(basename "$f") is consistent with $tag" ;;
    *) echo "glibc-check: FAIL auditwheel show: $(basename "$f") is consistent with '${tag:-?}', not manylinux_2_17" >&2
       "$auditwheel" show "$f" >&2 || true
       failed=1 ;;
    esac
    ;;
  *.tgz | *.tar.gz)
    dir=$scratch/$(basename "$f")
    mkdir -p "$dir"
    tar -xzf "$f" -C "$dir"
    found=0
    while IFS= read -r so; do
      found=1
      check "$so" "$(basename "$f"):${so#"$dir"/}"
    done < <(find "$dir" -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.node' \) | sort)
    [ $found = 1 ] || { echo "glibc-check: $f holds no shared object" >&2; failed=1; }
    ;;
  *) check "$f" "$(basename "$f")" ;;
  esac
done
exit $failed
