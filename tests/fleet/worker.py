"""One fleet process of the Python face (the blocking `Session`): see tests/fleet/README.md.

    python worker.py --base-url URL --store URL --username U --seconds N --tokens FILE

The secret key comes from XPAY_SECRET_KEY (never an argument: `ps` shows arguments). Waits for
one line on stdin ("go"), then calls the mock's echo for N seconds with a short pause between
calls and prints one JSON line: its call and failure counts, the first few failures' codes and
the number of distinct tokens it used. The raw tokens it saw go to --tokens (mode 0600, for the
harness's "Redis holds no token text" check only).
"""

import argparse
import json
import os
import sys
import time

import xpay_auth


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--store", required=True, help="the store URL, or 'env' (XPAY_TOKEN_STORE)")
    parser.add_argument("--username", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--pause-ms", type=float, default=50)
    parser.add_argument("--refresh-before", type=float, default=1.0)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--once", action="store_true", help="one call, then report")
    args = parser.parse_args()
    secret_key = os.environ["XPAY_SECRET_KEY"]

    client = xpay_auth.Client(args.base_url, timeout=10.0, refresh_before=args.refresh_before)
    if args.store == "env":
        session = client.session(args.username, secret_key)
    else:
        session = client.session(args.username, secret_key, store=args.store)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2

    calls = failed = 0
    codes = []
    tokens = []
    seen = set()
    deadline = time.monotonic() + args.seconds
    while True:
        calls += 1
        try:
            token = session.access_token()
            if token not in seen:
                seen.add(token)
                tokens.append(token)
            session.call("/client/echo", {"n": calls})
        except xpay_auth.XPayError as e:
            failed += 1
            if len(codes) < 5:
                codes.append(f"{e.code}: {e}")
        if args.once or time.monotonic() >= deadline:
            break
        time.sleep(args.pause_ms / 1000)

    fd = os.open(args.tokens, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(tokens))
    print(
        json.dumps(
            {"face": "python", "calls": calls, "failed": failed, "errors": codes, "tokens": len(tokens)}
        ),
        flush=True,
    )
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
