"""The interpreter exits cleanly right after an asyncio call.

pyo3-async-runtimes hands each result to the loop from a runtime thread, which briefly releases
the GIL while it writes the loop's wake-up pipe; a thread still there when the interpreter
finalizes aborts the process. Before the package's atexit hook waited for them, about one such
exit in ten aborted; twenty in a row catch that almost always.
"""

from __future__ import annotations

import subprocess
import sys

from mockctl import Mock

SCRIPT = """
import asyncio, xpay_auth
async def main():
    session = xpay_auth.AsyncClient(base_url=%r).session("demo@xpay.test", "demo-secret")
    await session.call("/client/echo", {"a": 1})
asyncio.run(main())
"""


def test_exit_right_after_an_async_call_never_aborts(mock: Mock) -> None:
    for _ in range(20):
        done = subprocess.run([sys.executable, "-c", SCRIPT % mock.url], capture_output=True)
        assert done.returncode == 0, done.stderr.decode()
