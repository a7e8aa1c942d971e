"""The Python faces' bench program for `make bench` (tests/bench/run.py runs it, pinned to one
CPU, against one release xpay-mock): xpay_auth's sync and asyncio clients against what a Python
user would hand-roll with requests and httpx, on the same workload. Prints one machine-readable
line per figure (`BENCH {json}`, the protocol in tests/bench/README.md); asserts nothing about
speed.

    bench.py rows [--ms N]   every row once, in order (one round): logins, then calls
    bench.py token [--n N]   the cached access_token() of each face, N calls (default 1,000,000)
    bench.py cold FACE       1,000 concurrent callers on a cold session (python-sync: threads,
                             python-async: asyncio tasks); the orchestrator counts the logins

Needs XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY, the release wheel of xpay_auth, and
requests + httpx (the Makefile's BENCH_DEPS, in the release venv).

Every hand-rolled client does what a user must: reuse keep-alive connections, send the vendor's
login body and pick `success.data.access_token` out of the reply; for calls, send
`Authorization: Bearer <token>` and a fresh uuid4 in the `uuid` header, JSON-encode the body,
JSON-decode the reply and take `success.data`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
import uuid
from typing import Any, Awaitable, Callable

import httpx
import requests

import xpay_auth

ECHO = "/client/echo"
LOGIN = "/client/authenticate"
BODY = {"wallet": "w-1", "amount": 125}
COLD_CALLERS = 1_000

BASE_URL = os.environ["XPAY_BASE_URL"].rstrip("/")
USERNAME = os.environ["XPAY_USERNAME"]
SECRET_KEY = os.environ["XPAY_SECRET_KEY"]
LOGIN_BODY = {"username": USERNAME, "secretKey": SECRET_KEY, "isAPI": True}


def emit(**figure: Any) -> None:
    print("BENCH " + json.dumps(figure), flush=True)


def row(group: str, client: str, sdk: bool, op: str, ms: int, f: Callable[[], Any]) -> None:
    """`f` repeated for ms/5 ms untimed, then for `ms` ms timed."""
    clock = time.perf_counter
    warm_until = clock() + ms / 5000
    while clock() < warm_until:
        f()
    gc.collect()
    ops = 0
    started = clock()
    until = started + ms / 1000
    while clock() < until:
        f()
        ops += 1
    emit(group=group, client=client, sdk=sdk, op=op, ops=ops, secs=clock() - started)


async def row_async(group: str, client: str, sdk: bool, op: str, ms: int, f: Callable[[], Awaitable[Any]]) -> None:
    clock = time.perf_counter
    warm_until = clock() + ms / 5000
    while clock() < warm_until:
        await f()
    gc.collect()
    ops = 0
    started = clock()
    until = started + ms / 1000
    while clock() < until:
        await f()
        ops += 1
    emit(group=group, client=client, sdk=sdk, op=op, ops=ops, secs=clock() - started)


def check(data: Any) -> None:
    """Each client's reply must be the echoed body (a correctness check, not speed)."""
    if data != BODY:
        sys.exit(f"bench: unexpected reply {data!r}")


# ---------------------------------------------------------------------------------------------
# The hand-rolled clients: what a user writes without the SDK.


def token_of(login: Any) -> str:
    """The hand-rolled token lookup: `success.data.access_token`, as the vendor's page says."""
    return str(login["success"]["data"]["access_token"])


class HandRequests:
    """requests.Session: the usual choice."""

    def __init__(self) -> None:
        self.http = requests.Session()
        self.auth = f"Bearer {self.login()}"

    def login(self) -> str:
        return token_of(self.http.post(BASE_URL + LOGIN, json=LOGIN_BODY, timeout=30).json())

    def call(self) -> Any:
        headers = {"Authorization": self.auth, "uuid": str(uuid.uuid4())}
        reply = self.http.post(BASE_URL + ECHO, json=BODY, headers=headers, timeout=30)
        return reply.json()["success"]["data"]


class HandHttpx:
    """httpx.Client (sync)."""

    def __init__(self) -> None:
        self.http = httpx.Client(base_url=BASE_URL, timeout=30)
        self.auth = f"Bearer {self.login()}"

    def login(self) -> str:
        return token_of(self.http.post(LOGIN, json=LOGIN_BODY).json())

    def call(self) -> Any:
        headers = {"Authorization": self.auth, "uuid": str(uuid.uuid4())}
        return self.http.post(ECHO, json=BODY, headers=headers).json()["success"]["data"]


class HandHttpxAsync:
    """httpx.AsyncClient."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=BASE_URL, timeout=30)
        self.auth = ""

    async def login(self) -> str:
        return token_of((await self.http.post(LOGIN, json=LOGIN_BODY)).json())

    async def call(self) -> Any:
        headers = {"Authorization": self.auth, "uuid": str(uuid.uuid4())}
        return (await self.http.post(ECHO, json=BODY, headers=headers)).json()["success"]["data"]


# ---------------------------------------------------------------------------------------------


def rows(ms: int) -> None:
    client = xpay_auth.Client()
    session = client.session(USERNAME, SECRET_KEY)
    hand = HandRequests()
    hand_httpx = HandHttpx()
    for call in (lambda: session.call(ECHO, BODY), hand.call, hand_httpx.call):
        check(call())

    sync = "Python sync"
    row(sync, "Client.authenticate", True, "login", ms, lambda: client.authenticate(USERNAME, SECRET_KEY))
    row(sync, "requests.Session", False, "login", ms, hand.login)
    row(sync, "httpx.Client", False, "login", ms, hand_httpx.login)
    asyncio.run(async_rows(ms, "login"))
    row(sync, "Session.call", True, "call", ms, lambda: session.call(ECHO, BODY))
    row(sync, "requests.Session", False, "call", ms, hand.call)
    row(sync, "httpx.Client", False, "call", ms, hand_httpx.call)
    asyncio.run(async_rows(ms, "call"))
    hand.http.close()
    hand_httpx.http.close()
    client.close()


async def async_rows(ms: int, op: str) -> None:
    client = xpay_auth.AsyncClient()
    hand = HandHttpxAsync()
    hand.auth = f"Bearer {await hand.login()}"
    group = "Python asyncio"
    if op == "login":
        await row_async(group, "AsyncClient.authenticate", True, op, ms, lambda: client.authenticate(USERNAME, SECRET_KEY))
        await row_async(group, "httpx.AsyncClient", False, op, ms, hand.login)
    else:
        session = client.session(USERNAME, SECRET_KEY)
        check(await session.call(ECHO, BODY))
        check(await hand.call())
        await row_async(group, "AsyncSession.call", True, op, ms, lambda: session.call(ECHO, BODY))
        await row_async(group, "httpx.AsyncClient", False, op, ms, hand.call)
    await hand.http.aclose()
    await client.aclose()


def token(n: int) -> None:
    """The cached-token path every call starts with, through each face's public API."""
    client = xpay_auth.Client()
    session = client.session(USERNAME, SECRET_KEY)
    access_token = session.access_token
    access_token()
    gc.collect()
    started = time.perf_counter_ns()
    for _ in range(n):
        access_token()
    emit(metric="token", face="python-sync", api="Session.access_token()", n=n, ns=(time.perf_counter_ns() - started) / n)
    client.close()

    async def cached() -> float:
        client = xpay_auth.AsyncClient()
        session = client.session(USERNAME, SECRET_KEY)
        access_token = session.access_token
        await access_token()
        gc.collect()
        started = time.perf_counter_ns()
        for _ in range(n):
            await access_token()
        elapsed = time.perf_counter_ns() - started
        await client.aclose()
        return elapsed / n

    ns = asyncio.run(cached())
    emit(metric="token", face="python-async", api="await AsyncSession.access_token()", n=n, ns=ns)


def cold_sync() -> None:
    """1,000 threads calling access_token() on a fresh session at once."""
    client = xpay_auth.Client()
    session = client.session(USERNAME, SECRET_KEY)
    barrier = threading.Barrier(COLD_CALLERS + 1)
    ok = []

    def caller() -> None:
        barrier.wait()
        session.access_token()
        ok.append(True)

    threads = [threading.Thread(target=caller) for _ in range(COLD_CALLERS)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    emit(metric="cold", face="python-sync", callers=COLD_CALLERS, ok=len(ok), ms=(time.perf_counter() - started) * 1e3)
    client.close()


async def cold_async() -> None:
    """1,000 asyncio tasks awaiting access_token() on a fresh session at once."""
    client = xpay_auth.AsyncClient()
    session = client.session(USERNAME, SECRET_KEY)
    started = time.perf_counter()
    results = await asyncio.gather(*(session.access_token() for _ in range(COLD_CALLERS)), return_exceptions=True)
    ms = (time.perf_counter() - started) * 1e3
    ok = sum(isinstance(r, str) for r in results)
    emit(metric="cold", face="python-async", callers=COLD_CALLERS, ok=ok, ms=ms)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["rows", "token", "cold"])
    parser.add_argument("face", nargs="?", choices=["python-sync", "python-async"])
    parser.add_argument("--ms", type=int, default=1000)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.mode == "rows":
        rows(args.ms)
    elif args.mode == "token":
        token(args.n)
    elif args.face == "python-sync":
        cold_sync()
    elif args.face == "python-async":
        asyncio.run(cold_async())
    else:
        parser.error("cold needs a face: python-sync or python-async")


if __name__ == "__main__":
    main()
    # Every figure is out. Skip interpreter finalization: with an AsyncClient used, the release
    # wheel sometimes crashes in it (SIGSEGV, or "PyGILState_Release: thread state ... must be
    # current" while finalizing; ~1 run in 10), which would discard a finished measurement.
    sys.stdout.flush()
    os._exit(0)
