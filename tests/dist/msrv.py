#!/usr/bin/env python3
"""Is xpay-auth's declared `rust-version` true? Its floor is the highest `rust-version` among
the crates it builds with (normal and build dependencies, as Cargo.lock resolves them, for
x86_64 Linux): no older toolchain can compile those. Fails when the declared version is below
that floor and names the crates that set it. (Our own code: clippy's `incompatible_msrv` lint,
on in `make lint`, rejects standard-library APIs newer than the declared version.)

    python3 tests/dist/msrv.py [--package xpay-auth]
"""

import argparse
import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split(".")) + (0,) * (3 - len(text.split(".")))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", default="xpay-auth")
    args = parser.parse_args()
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked",
             "--filter-platform", "x86_64-unknown-linux-gnu"],
            check=True, capture_output=True, text=True,
        ).stdout
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = next(p for p in meta["packages"] if p["name"] == args.package and p["source"] is None)
    declared = root.get("rust_version")
    if not declared:
        print(f"msrv: FAIL {args.package} declares no rust-version", file=sys.stderr)
        return 1
    seen, stack = set(), [root["id"]]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for dep in nodes[node]["deps"]:
            if any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"]):
                stack.append(dep["pkg"])
    seen.discard(root["id"])
    needs = [(version(packages[i]["rust_version"]), packages[i]["name"], packages[i]["version"])
             for i in seen if packages[i].get("rust_version")]
    floor = max(needs)[0] if needs else (0, 0, 0)
    setters = sorted(f"{name} {v}" for need, name, v in needs if need == floor)
    floor_text = ".".join(str(x) for x in floor[:2]) + (f".{floor[2]}" if floor[2] else "")
    line = (f"{args.package} declares rust-version {declared}; its {len(seen)} dependencies "
            f"need at least {floor_text} ({', '.join(setters)})")
    if version(declared) < floor:
        print(f"msrv: FAIL {line}", file=sys.stderr)
        return 1
    print(f"msrv: ok   {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
