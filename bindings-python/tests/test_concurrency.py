"""Single flight under threads and tasks, and the GIL / event loop left free during I/O."""

from __future__ import annotations

import asyncio
import threading
from typing import List

import xpay_auth
from mockctl import SECRET, USERNAME, Mock, wait_until


def test_100_threads_on_a_cold_session_share_one_login(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    barrier = threading.Barrier(100)
    tokens: List[str] = []
    errors: List[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            tokens.append(session.access_token())
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(tokens) == 100 and len(set(tokens)) == 1
    assert mock.count("/client/authenticate") == 1


def test_1000_tasks_on_a_cold_session_share_one_login(mock: Mock) -> None:
    async def main() -> List[str]:
        session = xpay_auth.AsyncClient(mock.url).session(USERNAME, SECRET)
        return await asyncio.gather(*(session.access_token() for _ in range(1000)))

    tokens = asyncio.run(main())
    assert len(tokens) == 1000 and len(set(tokens)) == 1
    assert mock.count("/client/authenticate") == 1


def test_100_threads_calling_at_once(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    results: List[object] = [None] * 100

    def worker(i: int) -> None:
        results[i] = session.call("/client/echo", {"i": i})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"i": i} for i in range(100)]
    assert mock.count("/client/authenticate") == 1


def test_the_gil_is_released_while_a_call_waits(mock: Mock) -> None:
    """Another Python thread runs while a sync call waits on a slow reply.

    The observer thread needs the GIL to poll the mock; it sees the request arrive and the
    call still unfinished. Were the GIL held for the whole wait, it could only run after the
    call returned, and would find it finished.
    """
    mock.queue("/client/echo", [{"delay_ms": 3000, "json": {"success": {"message": "OK", "data": "slow"}}}])
    session = xpay_auth.Client(mock.url, timeout=30.0).session(USERNAME, SECRET)
    session.access_token()
    finished = threading.Event()
    seen_while_waiting: List[bool] = []

    def observer() -> None:
        wait_until(lambda: mock.count("/client/echo") == 1 or finished.is_set())
        seen_while_waiting.append(not finished.is_set())

    watcher = threading.Thread(target=observer)
    watcher.start()
    assert session.call("/client/echo", {}) == "slow"
    finished.set()
    watcher.join()
    assert seen_while_waiting == [True]


def test_the_event_loop_runs_while_a_call_waits(mock: Mock) -> None:
    mock.queue("/client/echo", [{"delay_ms": 3000, "json": {"success": {"message": "OK", "data": "slow"}}}])

    async def main() -> List[bool]:
        session = xpay_auth.AsyncClient(mock.url, timeout=30.0).session(USERNAME, SECRET)
        await session.access_token()
        call = asyncio.create_task(session.call("/client/echo", {}))
        seen: List[bool] = []
        while mock.count("/client/echo") == 0:
            await asyncio.sleep(0.005)
        seen.append(not call.done())
        assert await call == "slow"
        return seen

    assert asyncio.run(main()) == [True]
