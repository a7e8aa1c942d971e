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
