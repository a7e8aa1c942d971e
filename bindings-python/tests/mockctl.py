"""The control client of the mock that tests/with-mock.sh started (`XPAY_MOCK_URL`): reset,
queue, counts, requests, revoke over HTTP. `make test` runs pytest under with-mock.sh."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
from typing import Any, Callable, Dict, List, Optional

USERNAME = "demo@xpay.test"
SECRET = "demo-secret"


class Mock:
    """The running xpay-mock's `/__mock/*` control endpoints."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

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


def the_mock() -> Mock:
    url = os.environ.get("XPAY_MOCK_URL")
    if not url:
        raise RuntimeError("XPAY_MOCK_URL is not set: run the suite under tests/with-mock.sh (make test)")
    return Mock(url)
