"""Replays the shared scenarios of tests/conformance/*.json (see its README) through the Python
face, once with the sync `Client` and once with the asyncio `AsyncClient`, against a real
xpay-mock. The steps and matchers are those of the reference runner core/tests/conformance.rs.

    python tests/conformance.py [NAME_FILTER]

prints one line per scenario run and ends with `conformance: N passed, M failed`.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import xpay_auth

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mockserver import REPO, Mock, refused_url  # noqa: E402

DEFAULT_USERNAME = "demo@xpay.test"
DEFAULT_SECRET = "demo-secret"
SCENARIOS = REPO / "tests" / "conformance"

# (succeeded, value): the step's result as canonical JSON, or its error as
# {"code", "message", "status", "tag", "uuid", "data"}.
Outcome = Tuple[bool, Any]


def load_scenarios() -> List[Dict[str, Any]]:
    scenarios: List[Dict[str, Any]] = []
    for path in sorted(SCENARIOS.glob("*.json")):
        items = json.loads(path.read_text())
        if not isinstance(items, list):
            raise ValueError(f"{path}: expected an array of scenarios")
        scenarios.extend(items)
    return scenarios


def auth_json(a: xpay_auth.Authentication) -> Dict[str, Any]:
    return {
        "access_token": a.access_token,
        "expires_at": a.expires_at,
        "user": {"username": a.user.username, "scopes": a.user.scopes, "is_api": a.user.is_api},
        "ticket": a.ticket,
        "uuid": a.uuid,
        "message": a.message,
    }


def error_json(e: xpay_auth.XPayError) -> Dict[str, Any]:
    return {
        "code": e.code,
        "message": e.message,
        "status": e.status,
        "tag": e.tag,
        "uuid": e.uuid,
        "data": e.data,
    }


def attempt(action: Callable[[], Any]) -> Outcome:
    try:
        return True, action()
    except xpay_auth.XPayError as e:
        return False, error_json(e)


class SyncFace:
    """The sync classes; concurrency through threads released together by a barrier."""

    name = "sync"

    def __init__(self, base_url: str, timeout: float, retries: int, account: Tuple[str, str]):
        self.client = xpay_auth.Client(base_url, timeout=timeout, max_retries=retries)
        self.session = self.client.session(*account)

    def authenticate(self, username: str, secret: str, is_api: bool) -> Any:
        return auth_json(self.client.authenticate(username, secret, is_api=is_api))

    def access_token(self) -> str:
        return self.session.access_token()

    def call(self, path: str, body: Any) -> Any:
        return self.session.call(path, body)

    def invalidate(self) -> None:
        self.session.invalidate()

    def concurrent_access_tokens(self, n: int) -> List[Outcome]:
        barrier = threading.Barrier(n)
        results: List[Outcome] = [(False, None)] * n

        def one(i: int) -> None:
            barrier.wait()
            results[i] = attempt(self.session.access_token)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def close(self) -> None:
        self.client.close()


class AsyncFace:
    """The asyncio classes, driven on one event loop; concurrency through asyncio.gather."""

    name = "async"

    def __init__(self, base_url: str, timeout: float, retries: int, account: Tuple[str, str]):
        self.loop = asyncio.new_event_loop()
        self.client = xpay_auth.AsyncClient(base_url, timeout=timeout, max_retries=retries)
        self.session = self.client.session(*account)

    def run(self, awaitable: Any) -> Any:
        async def wrapped() -> Any:
            return await awaitable()

        return self.loop.run_until_complete(wrapped())

    def authenticate(self, username: str, secret: str, is_api: bool) -> Any:
        return auth_json(self.run(lambda: self.client.authenticate(username, secret, is_api=is_api)))

    def access_token(self) -> str:
        return str(self.run(self.session.access_token))

    def call(self, path: str, body: Any) -> Any:
        return self.run(lambda: self.session.call(path, body))

    def invalidate(self) -> None:
        self.session.invalidate()

    def concurrent_access_tokens(self, n: int) -> List[Outcome]:
        async def all_at_once() -> List[Any]:
            calls = [self.session.access_token() for _ in range(n)]
            return await asyncio.gather(*calls, return_exceptions=True)

        results = self.loop.run_until_complete(all_at_once())
        return [
            (False, error_json(r)) if isinstance(r, xpay_auth.XPayError) else (True, r)
            for r in results
        ]

    def close(self) -> None:
        self.client.close()
        self.loop.close()


class Run:
    def __init__(self, mock: Mock, face: Any, account: Tuple[str, str]) -> None:
        self.mock = mock
        self.face = face
        self.account = account
        self.saved: Dict[str, str] = {}

    def step(self, step: Dict[str, Any]) -> None:
        outcome = self.act(step)
        name = step.get("save")
        if name and outcome is not None and outcome[0]:
            token = outcome[1].get("access_token")
            if not isinstance(token, str):
                raise AssertionError("save needs an access_token result")
            self.saved[name] = token
        if "expect" in step:
            if outcome is None:
                raise AssertionError("this step has no result to expect")
            self.check_outcome(step["expect"], outcome)
        for path, want in step.get("requests", {}).items():
            got = self.mock.count(path)
            if got != want:
                raise AssertionError(f"{path}: expected {want} requests, the mock counted {got}")
        if "last_request" in step:
            recorded = self.mock.requests()
            if not recorded:
                raise AssertionError("the mock recorded no request")
            matches("", step["last_request"], recorded[-1], self.saved, "last request: ")

    def act(self, step: Dict[str, Any]) -> Optional[Outcome]:
        face = self.face
        if "queue" in step:
            self.mock.queue(step["queue"]["path"], step["queue"]["replies"])
            return None
        if "authenticate" in step:
            args = step["authenticate"]
            return attempt(
                lambda: face.authenticate(
                    args.get("username", self.account[0]),
                    args.get("secret_key", self.account[1]),
                    args.get("is_api", True),
                )
            )
        if "access_token" in step:
            return attempt(lambda: {"access_token": face.access_token()})
        if "call" in step:
            args = step["call"]
            return attempt(lambda: {"data": face.call(args["path"], args.get("body"))})
        if "invalidate" in step:
            face.invalidate()
            return None
        if "revoke" in step:
            self.mock.revoke()
            return None
        if "concurrent_access_tokens" in step:
            results = face.concurrent_access_tokens(int(step["concurrent_access_tokens"]["n"]))
            tokens = {value for ok, value in results if ok}
            errors = sum(1 for ok, _ in results if not ok)
            return True, {"count": len(results), "distinct": len(tokens), "errors": errors}
        if "poll_access_token" in step:
            return self.poll(step["poll_access_token"])
        raise AssertionError(f"unknown step {step}")

    def poll(self, args: Dict[str, Any]) -> Outcome:
        deadline = time.monotonic() + args.get("deadline_ms", 10_000) / 1000
        until_requests = args.get("until_requests")
        until_changed = args.get("until_changed")
        if not isinstance(until_requests, dict) and not isinstance(until_changed, str):
            raise AssertionError("poll_access_token needs until_requests or until_changed")
        while True:
            outcome = attempt(lambda: {"access_token": self.face.access_token()})
            if isinstance(until_requests, dict):
                done = all(self.mock.count(p) >= n for p, n in until_requests.items())
            else:
                done = not outcome[0] or self.saved.get(until_changed) != outcome[1]["access_token"]
            if done:
                return outcome
            if time.monotonic() > deadline:
                raise AssertionError(f"poll_access_token: condition not met by the deadline ({args})")
            # Polling, not waiting: give the renewal a moment of the CPU between looks.
            time.sleep(0.001)

    def check_outcome(self, expect: Dict[str, Any], outcome: Outcome) -> None:
        ok, value = outcome
        if "ok" in expect and ok:
            matches("", expect["ok"], value, self.saved)
        elif "error" in expect and not ok:
            matches("", expect["error"], value, self.saved)
        elif "ok" in expect:
            raise AssertionError(f"expected success, got error {value}")
        elif "error" in expect:
            raise AssertionError(f"expected an error, got {value}")
        else:
            raise AssertionError("expect needs ok or error")


UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def matcher(want: Any) -> Optional[Tuple[str, Any]]:
    if isinstance(want, dict) and len(want) == 1:
        key, arg = next(iter(want.items()))
        if key.startswith("$"):
            return key, arg
    return None


def check_matcher(key: str, arg: Any, got: Any, saved: Dict[str, str]) -> bool:
    if key == "$present":
        return got is not None
    if key == "$absent":
        return got is None
    if key == "$prefix":
        return isinstance(got, str) and got.startswith(arg)
    if key == "$contains":
        return isinstance(got, str) and arg in got
    if key == "$uuid":
        return isinstance(got, str) and UUID.match(got) is not None
    if key == "$type":
        return json_type(got) == arg
    if key == "$saved":
        return isinstance(got, str) and saved.get(arg) == got
    if key == "$not_saved":
        return isinstance(got, str) and saved.get(arg) != got
    if key == "$min_length":
        return isinstance(got, (str, list)) and len(got) >= arg
    raise AssertionError(f"unknown matcher {key}")


def matches(at: str, want: Any, got: Any, saved: Dict[str, str], context: str = "") -> None:
    def fail(why: str) -> None:
        raise AssertionError(f"{context}at `{at}`: {why} (got {json.dumps(got)})")

    m = matcher(want)
    if m is not None:
        if not check_matcher(m[0], m[1], got, saved):
            fail(f"does not match {json.dumps(want)}")
        return
    if isinstance(want, dict) and isinstance(got, dict):
        for key, w in want.items():
            matches(f"{at}.{key}", w, got.get(key), saved, context)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            matches(f"{at}[{i}]", w, g, saved, context)
    elif json_type(want) == "number" and json_type(got) == "number":
        if float(want) != float(got):
            fail(f"expected {json.dumps(want)}")
    elif want != got or json_type(want) != json_type(got):
        fail(f"expected {json.dumps(want)}")


def run_scenario(mock: Mock, face_class: Any, scenario: Dict[str, Any]) -> None:
    mock.reset(scenario.get("mock"))
    options = scenario.get("client", {})
    base_url = refused_url() if options.get("base_url") == "refused" else mock.url
    session = scenario.get("session", {})
    account = (session.get("username", DEFAULT_USERNAME), session.get("secret_key", DEFAULT_SECRET))
    face = face_class(
        base_url, options.get("timeout_ms", 5000) / 1000, options.get("max_retries", 2), account
    )
    try:
        run = Run(mock, face, account)
        for i, step in enumerate(scenario["steps"], 1):
            try:
                run.step(step)
            except AssertionError as e:
                raise AssertionError(f"step {i}: {e}") from None
    finally:
        face.close()


def main(argv: List[str]) -> int:
    name_filter = argv[1] if len(argv) > 1 else None
    mock = Mock()
    passed = failed = 0
    try:
        scenarios = load_scenarios()
        for face_class in (SyncFace, AsyncFace):
            for scenario in scenarios:
                name = scenario.get("name", "?")
                if name_filter and name_filter not in name:
                    continue
                started = time.monotonic()
                try:
                    run_scenario(mock, face_class, scenario)
                except Exception as e:  # a failed scenario is reported, the run goes on
                    failed += 1
                    print(f"FAILED {face_class.name} {name}: {e}", flush=True)
                else:
                    passed += 1
                    ms = int((time.monotonic() - started) * 1000)
                    print(f"ok     {face_class.name} {name} ({ms} ms)", flush=True)
    finally:
        mock.close()
    print(f"conformance: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
