#!/usr/bin/env python3
"""Replays the shared scenarios of tests/conformance/*.json through the C API (libxpay_auth,
called with ctypes) against a real xpay-mock, with the same steps and matchers as the Rust
runner (core/tests/conformance.rs). Prints one line per scenario and the closing summary
"conformance: N passed, M failed".

    conformance.py LIBXPAY_AUTH_SO XPAY_MOCK_BINARY [NAME_FILTER]
"""

import glob
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from capi import CError, Library

DEFAULT_ACCOUNT = ("demo@xpay.test", "demo-secret")
SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "conformance")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class Mock:
    """xpay-mock as a child process; it exits when our end of its stdin closes."""

    def __init__(self, exe):
        self.proc = subprocess.Popen([exe, "--port", "0", "--exit-on-stdin-close"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.url = self.proc.stdout.readline().decode().strip()
        if not self.url.startswith("http://"):
            raise SystemExit("conformance: the mock did not start")

    def control(self, name, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/__mock/{name}", data=data, method="POST")
        with urllib.request.urlopen(req, timeout=10) as reply:
            return json.loads(reply.read() or b"null")

    def count(self, path):
        return self.control("counts").get(path, 0)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def refused_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def outcome(fn, *args):
    """("ok", value) or ("error", the error's fields)."""
    try:
        return ("ok", fn(*args))
    except CError as e:
        return ("error", e.fields)


class Run:
    def __init__(self, api, mock, scenario):
        self.api, self.mock, self.saved = api, mock, {}
        mock.control("reset", scenario.get("mock", {}))
        opts = scenario.get("client", {})
        url = refused_url() if opts.get("base_url") == "refused" else mock.url
        session = scenario.get("session", {})
        self.account = (session.get("username", DEFAULT_ACCOUNT[0]),
                        session.get("secret_key", DEFAULT_ACCOUNT[1]))
        self.client = api.client(url, opts.get("timeout_ms", 5000), opts.get("max_retries", 2))
        self.session = api.session(self.client, *self.account)

    def close(self):
        self.api.lib.xpay_session_free(self.session)
        self.api.lib.xpay_client_free(self.client)

    def token(self):
        return outcome(lambda: {"access_token": self.api.access_token(self.session)})

    def act(self, step):
        api = self.api
        if "queue" in step:
            self.mock.control("queue", step["queue"])
        elif "authenticate" in step:
            a = step["authenticate"]
            return outcome(api.authenticate, self.client, a.get("username", self.account[0]),
                           a.get("secret_key", self.account[1]), a.get("is_api", True))
        elif "access_token" in step:
            return self.token()
        elif "call" in step:
            c = step["call"]
            return outcome(lambda: {"data": api.call(self.session, c["path"], c.get("body"))})
        elif "invalidate" in step:
            api.lib.xpay_session_invalidate(self.session)
        elif "revoke" in step:
            self.mock.control("revoke")
        elif "concurrent_access_tokens" in step:
            return ("ok", self.concurrent(step["concurrent_access_tokens"]["n"]))
        elif "poll_access_token" in step:
            return self.poll(step["poll_access_token"])
        else:
            raise AssertionError(f"unknown step {step}")
        return None

    def concurrent(self, n):
        """n threads released at once, each asking the session for a token."""
        barrier, results = threading.Barrier(n), [None] * n

        def one(i):
            barrier.wait()
            results[i] = self.token()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        tokens = {r[1]["access_token"] for r in results if r[0] == "ok"}
        return {"count": n, "distinct": len(tokens), "errors": sum(r[0] == "error" for r in results)}

    def poll(self, args):
        deadline = time.monotonic() + args.get("deadline_ms", 10000) / 1000
        while True:
            result = self.token()
            if "until_requests" in args:
                done = all(self.mock.count(p) >= n for p, n in args["until_requests"].items())
            elif "until_changed" in args:
                done = result[0] == "error" or self.saved.get(args["until_changed"]) != result[1]["access_token"]
            else:
                raise AssertionError("poll_access_token needs until_requests or until_changed")
            if done:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"poll_access_token: condition not met by the deadline ({args})")
            time.sleep(0.001)  # polling, not waiting: let the renewal have the CPU

    def step(self, step):
        result = self.act(step)
        if "save" in step and result and result[0] == "ok":
            self.saved[step["save"]] = result[1]["access_token"]
        if "expect" in step:
            if result is None:
                raise AssertionError("this step has no result to expect")
            kind = "ok" if "ok" in step["expect"] else "error"
            if result[0] != kind:
                raise AssertionError(f"expected {kind}, got {result[0]} {result[1]}")
            match("", step["expect"][kind], result[1], self.saved)
        for path, want in step.get("requests", {}).items():
            got = self.mock.count(path)
            if got != want:
                raise AssertionError(f"{path}: expected {want} requests, the mock counted {got}")
        if "last_request" in step:
            recorded = self.mock.control("requests")
            if not recorded:
                raise AssertionError("the mock recorded no request")
            match("last_request", step["last_request"], recorded[-1], self.saved)


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(v)]


def matcher_ok(key, arg, got, saved):
    s = got if isinstance(got, str) else None
    if key == "$present":
        return got is not None
    if key == "$absent":
        return got is None
    if key == "$prefix":
        return s is not None and s.startswith(arg)
    if key == "$contains":
        return s is not None and arg in s
    if key == "$uuid":
        return s is not None and bool(UUID.match(s))
    if key == "$type":
        return json_type(got) == arg
    if key == "$saved":
        return s is not None and saved.get(arg) == s
    if key == "$not_saved":
        return s is not None and saved.get(arg) != s
    if key == "$min_length":
        return isinstance(got, (str, list)) and len(got) >= arg
    raise AssertionError(f"unknown matcher {key}")


def match(at, want, got, saved):
    if isinstance(want, dict) and len(want) == 1 and next(iter(want)).startswith("$"):
        key, arg = next(iter(want.items()))
        if not matcher_ok(key, arg, got, saved):
            raise AssertionError(f"at `{at}`: {got!r} does not match {want}")
    elif isinstance(want, dict) and isinstance(got, dict):
        for k, w in want.items():
            match(f"{at}.{k}", w, got.get(k), saved)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            match(f"{at}[{i}]", w, g, saved)
    elif want != got or isinstance(want, bool) != isinstance(got, bool):
        raise AssertionError(f"at `{at}`: expected {want!r}, got {got!r}")


def main():
    lib_path, mock_exe = sys.argv[1], sys.argv[2]
    only = sys.argv[3] if len(sys.argv) > 3 else None
    api, mock = Library(lib_path), Mock(mock_exe)
    passed = failed = 0
    try:
        for path in sorted(glob.glob(os.path.join(SCENARIOS, "*.json"))):
            with open(path, encoding="utf-8") as f:
                scenarios = json.load(f)
            for sc in scenarios:
                if only and only not in sc["name"]:
                    continue
                started = time.monotonic()
                try:
                    run = Run(api, mock, sc)
                    try:
                        for i, step in enumerate(sc["steps"], 1):
                            try:
                                run.step(step)
                            except (AssertionError, CError) as e:
                                raise AssertionError(f"step {i}: {e}") from e
                    finally:
                        run.close()
                    passed += 1
                    print(f"ok     C {sc['name']} ({(time.monotonic() - started) * 1000:.0f} ms)", flush=True)
                except (AssertionError, CError) as e:
                    failed += 1
                    print(f"FAILED C {sc['name']}: {e}", flush=True)
    finally:
        mock.stop()
    print(f"conformance: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not passed else 0)


if __name__ == "__main__":
    main()
