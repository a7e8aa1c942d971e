"""A client made before fork() works in the child (gunicorn --preload, multiprocessing)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from typing import Any, Callable, Optional

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")


def in_child(work: Callable[[], bool]) -> int:
    """Runs `work` in a forked child; returns its exit status (0: work returned True)."""
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            code = 0 if work() else 2
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_sync_client_after_fork(mock: Mock) -> None:
    client = xpay_auth.Client(mock.url)
    session = client.session(USERNAME, SECRET)
    parent_token = session.access_token()  # the parent's pool and runtime are in use

    def child() -> bool:
        data = session.call("/client/echo", {"pid": os.getpid()})
        fresh = client.authenticate(USERNAME, SECRET)
        return bool(data == {"pid": os.getpid()} and fresh.access_token != parent_token)

    assert in_child(child) == 0
    assert mock.count("/client/echo") == 1
    assert session.call("/client/echo", "parent") == "parent"


def test_async_client_after_fork(mock: Mock) -> None:
    client = xpay_auth.AsyncClient(mock.url)
    session = client.session(USERNAME, SECRET)

    async def use() -> Any:
        return await session.call("/client/echo", {"pid": os.getpid()})

    assert asyncio.run(use()) == {"pid": os.getpid()}  # the parent's async runtime is running

    def child() -> bool:
        return bool(asyncio.run(use()) == {"pid": os.getpid()})

    assert in_child(child) == 0
    assert mock.count("/client/echo") == 2
    assert asyncio.run(use()) == {"pid": os.getpid()}


# multiprocessing pickles the function, not the session: the workers find it in this module,
# as inherited through fork.
SHARED: Optional[xpay_auth.Session] = None


def echo_in_worker(i: int) -> Any:
    assert SHARED is not None
    return SHARED.call("/client/echo", {"i": i, "pid": os.getpid()})


def test_multiprocessing_fork_pool(mock: Mock) -> None:
    global SHARED
    SHARED = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    SHARED.access_token()
    try:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map(echo_in_worker, range(6))
    finally:
        SHARED = None
    assert [r["i"] for r in results] == list(range(6))
    assert all(r["pid"] != os.getpid() for r in results)
