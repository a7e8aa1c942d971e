"""`make bench` (from bindings-python/): what a call costs through the Python face of xpay-auth
compared with the HTTP client code a Python user would otherwise hand-roll, against xpay-mock
over loopback. Prints figures; asserts nothing about speed.

Needs XPAY_BASE_URL, XPAY_USERNAME and XPAY_SECRET_KEY (../tests/with-mock.sh sets them), the
release wheel of xpay_auth, and requests + httpx (the Makefile's `bench` target installs them
into the release venv). The workload is the Rust bench's (../core/benches/calls.rs): one login,
300 warm-up calls, then 5,000 sequential `POST /client/echo` with {"wallet": "w-1", "amount": 125}
per row; the concurrent rows make 20,000 calls with 64 asyncio tasks or 16 threads in flight.

Every hand-rolled client does what a user must: reuse keep-alive connections, send
`Authorization: Bearer <token>` and a fresh uuid4 in the `uuid` header, JSON-encode the body,
JSON-decode the reply and take `success.data`.
"""

from __future__ import annotations

import asyncio
import gc
import http.client
import json
import os
import platform
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any, Awaitable, Callable, List

import httpx
import requests
import requests.adapters

import xpay_auth

CALLS = 5_000
WARMUP = 300
CONCURRENT_CALLS = 20_000
TASKS = 64
THREADS = 16
# A row's timed phase stops after this many seconds (reported under the row), so the whole
# bench stays bounded on a loaded machine: hand-rolled httpx.AsyncClient with 64 tasks in
# flight manages ~150 calls/s here (encode/httpx#3215), i.e. over 2 minutes for 20,000 calls.
ROW_CAP_S = 15
PATH = "/client/echo"
BODY = {"wallet": "w-1", "amount": 125}

BASE_URL = os.environ["XPAY_BASE_URL"].rstrip("/")
USERNAME = os.environ["XPAY_USERNAME"]
SECRET_KEY = os.environ["XPAY_SECRET_KEY"]
NAME_WIDTH = 52


# ---------------------------------------------------------------------------------------------
# Measuring and printing


def measure(call: Callable[[], Any]) -> List[int]:
    """WARMUP untimed calls, then CALLS timed ones; per-call times in ns."""
    check(call())
    for _ in range(WARMUP - 1):
        call()
    gc.collect()
    times = []
    clock = time.perf_counter_ns
    deadline = clock() + ROW_CAP_S * 10**9
    for _ in range(CALLS):
        started = clock()
        if started > deadline:
            break
        call()
        times.append(clock() - started)
    return times


async def measure_async(call: Callable[[], Awaitable[Any]]) -> List[int]:
    check(await call())
    for _ in range(WARMUP - 1):
        await call()
    gc.collect()
    times = []
    clock = time.perf_counter_ns
    deadline = clock() + ROW_CAP_S * 10**9
    for _ in range(CALLS):
        started = clock()
        if started > deadline:
            break
        await call()
        times.append(clock() - started)
    return times


async def measure_tasks(call: Callable[[], Awaitable[Any]]) -> tuple[List[int], int]:
    """CONCURRENT_CALLS calls by TASKS asyncio tasks (asyncio.gather), each awaiting one call
    at a time: per-call latencies and the wall time, in ns. Warm-up: WARMUP calls per task
    count, also TASKS in flight, so every pool holds its connections before timing."""

    async def run(total: int, times: List[int] | None) -> None:
        remaining = total
        clock = time.perf_counter_ns
        deadline = clock() + ROW_CAP_S * 10**9

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = clock()
                if started > deadline:
                    return
                await call()
                if times is not None:
                    times.append(clock() - started)

        await asyncio.gather(*(worker() for _ in range(TASKS)))

    check(await call())
    await run(max(WARMUP, TASKS * 5), None)
    gc.collect()
    times: List[int] = []
    started = time.perf_counter_ns()
    await run(CONCURRENT_CALLS, times)
    return times, time.perf_counter_ns() - started


def measure_threads(call: Callable[[], Any]) -> tuple[List[int], int]:
    """CONCURRENT_CALLS calls by THREADS threads sharing one client: latencies and wall time."""
    check(call())
    per_thread = CONCURRENT_CALLS // THREADS

    def run(count: int, sink: List[List[int]] | None) -> None:
        deadline = time.perf_counter_ns() + ROW_CAP_S * 10**9

        def worker() -> None:
            times = []
            clock = time.perf_counter_ns
            for _ in range(count):
                started = clock()
                if started > deadline:
                    break
                call()
                times.append(clock() - started)
            if sink is not None:
                sink.append(times)

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    run(max(WARMUP // THREADS, 5), None)
    gc.collect()
    results: List[List[int]] = []
    started = time.perf_counter_ns()
    run(per_thread, results)
    wall = time.perf_counter_ns() - started
    if len(results) != THREADS:
        sys.exit(f"bench: {THREADS - len(results)} thread(s) failed")
    return [t for chunk in results for t in chunk], wall


def check(data: Any) -> None:
    """Each client's first reply must be the echoed body (a correctness check, not speed)."""
    if data != BODY:
        sys.exit(f"bench: unexpected reply {data!r}")


def report(name: str, times: List[int], wall_ns: int | None = None, planned: int = CALLS) -> None:
    """mean, p50, p99 in µs; calls/s = calls / sum of call times (sequential rows, as the Rust
    bench) or calls / wall time (concurrent rows). A row cut short by ROW_CAP_S says so."""
    times = sorted(times)
    total = sum(times)
    n = len(times)
    rate = n / ((wall_ns if wall_ns is not None else total) / 1e9)
    print(
        f"{name:<{NAME_WIDTH}} {total / n / 1e3:>9.1f} {times[n // 2] / 1e3:>9.1f}"
        f" {times[n * 99 // 100] / 1e3:>9.1f} {rate:>10.0f}",
        flush=True,
    )
    if n < planned:
        print(f"  (stopped after {ROW_CAP_S} s: {n:,} of {planned:,} calls timed)", flush=True)


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"{'':<{NAME_WIDTH}} {'mean µs':>9} {'p50 µs':>9} {'p99 µs':>9} {'calls/s':>10}")


# ---------------------------------------------------------------------------------------------
# The hand-rolled clients: what a user writes without the SDK.


def login_body() -> dict[str, Any]:
    """The hand-rolled login request: what the vendor's page shows."""
    return {"username": USERNAME, "secretKey": SECRET_KEY, "isAPI": True}


def token_of(login: Any) -> str:
    """The hand-rolled token lookup: `success.data.access_token`, as the vendor's page says."""
    return str(login["success"]["data"]["access_token"])


class HandRequests:
    """requests.Session: the usual choice."""

    def __init__(self, pool_size: int = 10) -> None:
        self.http = requests.Session()
        # requests keeps at most 10 idle connections per host; a user sharing the session
        # between more threads raises it, or the extra connections are closed after each call.
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)
        login = self.http.post(f"{BASE_URL}/client/authenticate", json=login_body(), timeout=30)
        self.auth = f"Bearer {token_of(login.json())}"
        self.url = f"{BASE_URL}{PATH}"

    def call(self) -> Any:
        reply = self.http.post(
            self.url,
            json=BODY,
            headers={"Authorization": self.auth, "uuid": str(uuid.uuid4())},
            timeout=30,
        )
        return reply.json()["success"]["data"]


class HandHttpx:
    """httpx.Client (sync)."""

    def __init__(self) -> None:
        self.http = httpx.Client(base_url=BASE_URL, timeout=30)
        login = self.http.post("/client/authenticate", json=login_body())
        self.auth = f"Bearer {token_of(login.json())}"

    def call(self) -> Any:
        reply = self.http.post(PATH, json=BODY, headers={"Authorization": self.auth, "uuid": str(uuid.uuid4())})
        return reply.json()["success"]["data"]


class HandHttpClient:
    """The standard library's http.client.HTTPConnection, one keep-alive connection,
    reconnecting once if the server closed it."""

    def __init__(self) -> None:
        url = urllib.parse.urlsplit(BASE_URL)
        self.conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        self.prefix = url.path
        self.auth = f"Bearer {token_of(self.post('/client/authenticate', login_body(), {}))}"

    def post(self, path: str, body: Any, headers: dict[str, str]) -> Any:
        payload = json.dumps(body).encode()
        headers = {**headers, "Content-Type": "application/json"}
        for attempt in (0, 1):
            try:
                self.conn.request("POST", self.prefix + path, body=payload, headers=headers)
                reply = self.conn.getresponse()
                return json.loads(reply.read())
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def call(self) -> Any:
        return self.post(PATH, BODY, {"Authorization": self.auth, "uuid": str(uuid.uuid4())})["success"]["data"]


class HandHttpxAsync:
    """httpx.AsyncClient; with `concurrency` its pool keeps that many connections alive (the
    default keeps 20, closing the rest after each call)."""

    def __init__(self, concurrency: int | None = None) -> None:
        if concurrency:
            limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
            self.http = httpx.AsyncClient(base_url=BASE_URL, timeout=30, limits=limits)
        else:
            self.http = httpx.AsyncClient(base_url=BASE_URL, timeout=30)
        self.auth = ""

    async def login(self) -> HandHttpxAsync:
        login = await self.http.post("/client/authenticate", json=login_body())
        self.auth = f"Bearer {token_of(login.json())}"
        return self

    async def call(self) -> Any:
        reply = await self.http.post(PATH, json=BODY, headers={"Authorization": self.auth, "uuid": str(uuid.uuid4())})
        return reply.json()["success"]["data"]


def mock_count(path: str) -> int:
    with urllib.request.urlopen(f"{BASE_URL}/__mock/counts", timeout=10) as reply:
        return int(json.loads(reply.read()).get(path, 0))


# ---------------------------------------------------------------------------------------------


def sync_rows() -> None:
    header(f"sync: {CALLS:,} sequential calls per row after {WARMUP} warm-up calls")
    client = xpay_auth.Client()
    session = client.session(USERNAME, SECRET_KEY)
    report("xpay_auth.Client session.call", measure(lambda: session.call(PATH, BODY)))

    hand = HandRequests()
    report("hand-rolled requests.Session", measure(hand.call))
    hand.http.close()

    hand_httpx = HandHttpx()
    report("hand-rolled httpx.Client", measure(hand_httpx.call))
    hand_httpx.http.close()

    hand_stdlib = HandHttpClient()
    report("hand-rolled http.client.HTTPConnection", measure(hand_stdlib.call))
    hand_stdlib.conn.close()

    header(
        f"threads: {THREADS} threads sharing one client, {CONCURRENT_CALLS:,} calls in all"
        " (calls/s = calls / wall time)"
    )
    times, wall = measure_threads(lambda: session.call(PATH, BODY))
    report(f"xpay_auth.Client session.call, {THREADS} threads", times, wall, CONCURRENT_CALLS)
    shared = HandRequests(pool_size=THREADS)
    times, wall = measure_threads(shared.call)
    report(f"hand-rolled requests.Session, {THREADS} threads", times, wall, CONCURRENT_CALLS)
    shared.http.close()

    # The cached-token path every call starts with.
    n = 200_000
    access_token = session.access_token
    started = time.perf_counter_ns()
    for _ in range(n):
        access_token()
    cached_ns = (time.perf_counter_ns() - started) / n
    client.close()
    print(f"\nSession.access_token(), cached: {cached_ns:.0f} ns per call ({n:,} calls)")


async def async_rows() -> None:
    header(f"asyncio: {CALLS:,} sequential awaited calls per row after {WARMUP} warm-up calls")
    client = xpay_auth.AsyncClient()
    session = client.session(USERNAME, SECRET_KEY)
    report("xpay_auth.AsyncClient session.call", await measure_async(lambda: session.call(PATH, BODY)))
    hand = await HandHttpxAsync().login()
    report("hand-rolled httpx.AsyncClient", await measure_async(hand.call))
    await hand.http.aclose()

    header(
        f"asyncio: {TASKS} tasks in flight (asyncio.gather), {CONCURRENT_CALLS:,} calls in all"
        " (calls/s = calls / wall time)"
    )
    times, wall = await measure_tasks(lambda: session.call(PATH, BODY))
    report(f"xpay_auth.AsyncClient session.call, {TASKS} tasks", times, wall, CONCURRENT_CALLS)
    hand = await HandHttpxAsync(concurrency=TASKS).login()
    times, wall = await measure_tasks(hand.call)
    report(f"hand-rolled httpx.AsyncClient, {TASKS} tasks", times, wall, CONCURRENT_CALLS)
    await hand.http.aclose()

    n = 20_000
    started = time.perf_counter_ns()
    for _ in range(n):
        await session.access_token()
    cached_ns = (time.perf_counter_ns() - started) / n
    print(f"\nawait AsyncSession.access_token(), cached: {cached_ns:.0f} ns per call ({n:,} calls)")

    # 1,000 concurrent callers on a fresh session share one login.
    cold = client.session(USERNAME, SECRET_KEY)
    before = mock_count("/client/authenticate")
    started = time.perf_counter_ns()
    await asyncio.gather(*(cold.access_token() for _ in range(1000)))
    elapsed = (time.perf_counter_ns() - started) / 1e6
    logins = mock_count("/client/authenticate") - before
    print(f"1,000 concurrent cold access_token() callers: {elapsed:.2f} ms, {logins} login request(s)")
    await client.aclose()


def main() -> None:
    started = time.perf_counter()
    print(
        f"xpay_auth {xpay_auth.__version__} (release wheel) vs requests {requests.__version__},"
        f" httpx {httpx.__version__}, http.client; CPython {platform.python_version()},"
        f" {os.cpu_count()} CPUs"
    )
    print(f'POST {PATH} {json.dumps(BODY)} to xpay-mock at {BASE_URL}, keep-alive, loopback')
    sync_rows()
    asyncio.run(async_rows())
    print(f"\nbench took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
