"""The asyncio face: AsyncClient and AsyncSession, awaitables, gather, cancellation."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, Set, TypeVar

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    async def wrapped() -> T:
        return await main()

    return asyncio.run(wrapped())


def test_authenticate_and_session(mock: Mock) -> None:
    async def main() -> None:
        client = xpay_auth.AsyncClient(mock.url, timeout=5.0)
        auth = await client.authenticate(USERNAME, SECRET)
        assert isinstance(auth, xpay_auth.Authentication)
        assert auth.user.username == USERNAME and auth.access_token.startswith("eyJ")
        assert (await client.authenticate(USERNAME, SECRET, is_api=False)).user.is_api is False

        session = client.session(USERNAME, SECRET)
        assert session.username == USERNAME
        token = await session.access_token()
        assert (await session.authentication()).access_token == token
        assert await session.call("/client/echo", {"a": [1, 2.5, None]}) == {"a": [1, 2.5, None]}
        assert await session.call("/client/echo") is None
        await session.call("/client/echo", {}, uuid="11111111-2222-4333-8444-555555555555")
        assert mock.requests()[-1]["headers"]["uuid"] == "11111111-2222-4333-8444-555555555555"
        assert await session.call("/client/echo", {"wei": 10**30}) == {"wei": 10**30}
        raw = '{"amount": 123456789012345678901.000000000000000000001}'
        assert await session.call_raw("/client/echo", raw) == raw
        assert await session.call_raw("/client/echo", raw.encode()) == raw
        with pytest.raises(xpay_auth.InvalidArgumentError):
            await session.call_raw("/client/echo", "{")
        assert mock.count("/client/authenticate") == 3
        session.invalidate()
        assert await session.access_token() != token

    run(main)


def test_session_from_environment(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPAY_BASE_URL", mock.url)
    monkeypatch.setenv("XPAY_USERNAME", USERNAME)
    monkeypatch.setenv("XPAY_SECRET_KEY", SECRET)

    async def main() -> str:
        return await xpay_auth.AsyncClient().session().access_token()

    assert run(main).startswith("eyJ")


def test_errors_are_raised_when_awaited(mock: Mock) -> None:
    async def main() -> None:
        client = xpay_auth.AsyncClient(mock.url)
        session = client.session(USERNAME, SECRET)
        pending = session.call("/client/echo", {1: "not json"})
        with pytest.raises(xpay_auth.InvalidArgumentError, match="JSON"):
            await pending
        with pytest.raises(xpay_auth.InvalidArgumentError):
            await session.call("no-slash")
        with pytest.raises(xpay_auth.AuthenticationError):
            await client.authenticate(USERNAME, "wrong")
        with pytest.raises(xpay_auth.InvalidArgumentError):
            await client.session(USERNAME, "").access_token()
        assert mock.count("/client/echo") == 0

    run(main)


def test_gather_mixes_results_and_errors(mock: Mock) -> None:
    async def main() -> Any:
        client = xpay_auth.AsyncClient(mock.url)
        session = client.session(USERNAME, SECRET)
        return await asyncio.gather(
            session.call("/client/echo", 1),
            session.call("/client/echo", "two"),
            client.authenticate(USERNAME, "wrong"),
            session.access_token(),
            return_exceptions=True,
        )

    one, two, error, token = run(main)
    assert (one, two) == (1, "two")
    assert isinstance(error, xpay_auth.AuthenticationError)
    assert token.startswith("eyJ")


def test_works_across_event_loops(mock: Mock) -> None:
    """One client used from two successive asyncio.run loops: no 'different loop' errors."""
    client = xpay_auth.AsyncClient(mock.url)
    session = client.session(USERNAME, SECRET)

    async def main() -> Any:
        return await session.call("/client/echo", {"loop": id(asyncio.get_running_loop())})

    assert run(main)["loop"] != 0
    assert "loop" in run(main)


def test_async_methods_are_coroutines_that_send_nothing_until_run(mock: Mock) -> None:
    """Like `async def` methods: a money-moving call never leaves unless it is awaited."""
    session = xpay_auth.AsyncClient(mock.url).session(USERNAME, SECRET)
    outside_a_loop = session.call("/client/echo", {"n": 1})
    assert inspect.iscoroutine(outside_a_loop)
    outside_a_loop.close()

    async def main() -> Any:
        pending = session.call("/client/echo", {"n": 2})
        await asyncio.sleep(0.05)
        assert mock.count("/client/authenticate") == 0 and mock.count("/client/echo") == 0
        return await asyncio.create_task(pending)

    assert run(main) == {"n": 2}
    assert mock.count("/client/echo") == 1


def test_async_with_closes(mock: Mock) -> None:
    async def main() -> xpay_auth.AsyncClient:
        async with xpay_auth.AsyncClient(mock.url) as client:
            assert isinstance(client, xpay_auth.AsyncClient)
            assert not client.closed
            await client.session(USERNAME, SECRET).access_token()
        assert client.closed
        with pytest.raises(xpay_auth.InvalidArgumentError, match="closed"):
            await client.authenticate(USERNAME, SECRET)
        return client

    run(main)

    async def aclose() -> None:
        client = xpay_auth.AsyncClient(mock.url)
        await client.aclose()
        assert client.closed
        client.close()

    run(aclose)


def test_reprs_hide_secrets(mock: Mock) -> None:
    client = xpay_auth.AsyncClient(mock.url, timeout=2.5, max_retries=1)
    session = client.session(USERNAME, SECRET)
    assert repr(client) == f"<xpay_auth.AsyncClient base_url='{mock.url}' timeout=2.5 max_retries=1 closed=False>"
    assert repr(session) == f"<xpay_auth.AsyncSession username='{USERNAME}' base_url='{mock.url}'>"

    async def main() -> xpay_auth.Authentication:
        return await session.authentication()

    auth = run(main)
    assert auth.access_token not in repr(auth) and SECRET not in repr(auth) + repr(session)


def established_to(port: int) -> Set[int]:
    """The local ports of client-side TCP connections to 127.0.0.1:`port` that are ESTABLISHED
    (from /proc)."""
    ports = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(remote.split(":")[1], 16) == port:
                ports.add(int(local.split(":")[1], 16))
    return ports


def test_cancelling_the_task_cancels_the_request(mock: Mock) -> None:
    """The request's connection is dropped on cancel, long before the mock would answer."""
    mock.queue("/client/echo", [{"delay_ms": 60_000, "json": {"success": {"message": "OK", "data": 1}}}])
    # Earlier tests' clients may still hold idle connections to the mock; this test's are the
    # ones that appear after this snapshot (nothing else connects meanwhile).
    before = established_to(mock.port)

    async def main() -> None:
        client = xpay_auth.AsyncClient(mock.url, timeout=120.0)
        session = client.session(USERNAME, SECRET)
        await session.access_token()
        task = asyncio.create_task(session.call("/client/echo", {}))
        while mock.count("/client/echo") == 0:
            await asyncio.sleep(0.005)
        ours = established_to(mock.port) - before
        assert len(ours) >= 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = asyncio.get_running_loop().time() + 10
        while established_to(mock.port) & ours:
            assert asyncio.get_running_loop().time() < deadline, "the request was not cancelled"
            await asyncio.sleep(0.01)
        # The session still works afterwards.
        assert await session.call("/client/echo", "after") == "after"

    run(main)


def test_wait_for_timeout_cancels(mock: Mock) -> None:
    mock.queue("/client/echo", [{"delay_ms": 60_000}])

    async def main() -> None:
        session = xpay_auth.AsyncClient(mock.url, timeout=120.0).session(USERNAME, SECRET)
        await session.access_token()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(session.call("/client/echo", {}), 0.2)

    run(main)
