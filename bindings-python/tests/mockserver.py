"""A running xpay-mock (tests/mock) and its control API, for the tests and the conformance runner.

The mock is the real binary, started on a free loopback port; it exits when our pipe to its
stdin closes, so a crashed test run never leaves it behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
USERNAME = "demo@xpay.test"
SECRET = "demo-secret"


def mock_binary() -> Path:
    """`XPAY_MOCK` if set, else the debug build in the workspace's target directory."""
    if os.environ.get("XPAY_MOCK"):
        return Path(os.environ["XPAY_MOCK"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return target / "debug" / "xpay-mock"


class Mock:
    """One xpay-mock process and its `/__mock/*` control endpoints."""

    def __init__(self, binary: Optional[Path] = None) -> None:
        binary = binary or mock_binary()
        if not binary.exists():
            raise RuntimeError(f"{binary} is not built: run `cargo build -p xpay-mock`")
        self._process = subprocess.Popen(
            [str(binary), "--port", "0", "--exit-on-stdin-close"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.close()
            raise RuntimeError(f"xpay-mock did not print its URL (got {self.url!r})")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def control(self, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/__mock/{name}",
            data=data,
            method="POST" if data is not None else "GET",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            return json.loads(reply.read() or b"null")

    def reset(self, settings: Optional[Dict[str, Any]] = None) -> None:
        self.control("reset", settings or {})

    def queue(self, path: str, replies: List[Dict[str, Any]]) -> None:
        self.control("queue", {"path": path, "replies": replies})

    def count(self, path: str) -> int:
        return int(self.control("counts").get(path, 0))

    def requests(self) -> List[Dict[str, Any]]:
        return list(self.control("requests"))

    def revoke(self) -> None:
        self.control("revoke", {})

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()


def refused_url() -> str:
    """A loopback URL where nothing listens: bind a free port, then close it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def wait_until(condition: Callable[[], bool], deadline_s: float = 10.0) -> None:
    """Polls `condition` until it holds; fails at the deadline (never a fixed sleep)."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met by the deadline")
        time.sleep(0.005)
