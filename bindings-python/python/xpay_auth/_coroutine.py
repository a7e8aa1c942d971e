"""Makes the native async methods behave like ``async def`` methods."""

from __future__ import annotations

from typing import Any, Awaitable, Callable


async def run(start: Callable[[], Awaitable[Any]]) -> Any:
    """Awaits the request that ``start()`` begins.

    Nothing is sent until the coroutine runs (``await``, ``asyncio.create_task``, ``gather``),
    and cancelling the task that runs it cancels the request: asyncio cancels the future the
    task is waiting on, which drops the request in the core.
    """
    return await start()


async def ready(value: Any) -> Any:
    """Returns ``value``: an answer the core had at once (a fresh cached token), as a coroutine
    like every other async method's, without a trip through the I/O runtime."""
    return value
