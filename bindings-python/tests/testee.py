"""The Python testee of the conformance runner (protocol: tests/conformance/README.md).

    python tests/testee.py            # face python-sync: Client / Session
    python tests/testee.py --async    # face python-async: AsyncClient / AsyncSession

Reads one JSON request per line on stdin and writes exactly one JSON answer per line on stdout
({"ok": value}, {"error": {...}} or {"unsupported": why}); anything else goes to stderr. It only
turns a request into one call of the installed `xpay_auth` and the result into JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import traceback
from typing import Any, Dict, List, Optional

import xpay_auth

Answer = Dict[str, Any]


class Unsupported(Exception):
    """An op this face lacks; answered as {"unsupported": why}."""


def client_options(op: Dict[str, Any]) -> Dict[str, Any]:
    options: Dict[str, Any] = {"base_url": op.get("base_url")}
    if op.get("timeout_ms") is not None:
        options["timeout"] = op["timeout_ms"] / 1000
    if op.get("connect_timeout_ms") is not None:
        options["connect_timeout"] = op["connect_timeout_ms"] / 1000
    if op.get("max_retries") is not None:
        options["max_retries"] = op["max_retries"]
    # Networks (tests/conformance/networks.json): PEM text as bytes, files as paths.
    if op.get("ca_bundle_pem") is not None:
        options["ca_bundle"] = op["ca_bundle_pem"].encode()
    if op.get("ca_bundle_file") is not None:
        options["ca_bundle"] = op["ca_bundle_file"]
    if op.get("tls_roots") is not None:
        options["tls_roots"] = op["tls_roots"]
    if op.get("client_cert_pem") is not None:
        options["client_cert"] = op["client_cert_pem"].encode()
    if op.get("client_key_pem") is not None:
        options["client_key"] = op["client_key_pem"].encode()
    if op.get("proxy") is not None:
        options["proxy"] = op["proxy"]
    return options


def with_env(op: Dict[str, Any], make: Any) -> Any:
    """`make()` with the request's `env` variables set (removed again afterwards)."""
    env = op.get("env") or {}
    for k, v in env.items():
        os.environ[k] = v
    try:
        return make()
    finally:
        for k in env:
            os.environ.pop(k, None)


def store_option(op: Dict[str, Any]) -> Dict[str, Any]:
    """The session's `store=` keyword, only when the request names a store."""
    return {"store": op["store"]} if op.get("store") is not None else {}


def auth_json(a: xpay_auth.Authentication) -> Dict[str, Any]:
    user = {"username": a.user.username, "scopes": a.user.scopes, "is_api": a.user.is_api}
    return {"access_token": a.access_token, "expires_at": a.expires_at, "user": user,
            "ticket": a.ticket, "uuid": a.uuid, "message": a.message}


def error_json(e: xpay_auth.XPayError) -> Dict[str, Any]:
    return {"code": e.code, "message": e.message, "status": e.status, "tag": e.tag,
            "uuid": e.uuid, "data": e.data}


class Face:
    """What both faces share: hello, fork, the unsupported ops, the shape of answers."""

    name = ""

    def __init__(self) -> None:
        self.client: Any = None
        self.session: Any = None

    def answer(self, op: Dict[str, Any]) -> Answer:
        kind = op.get("op")
        if kind == "hello":
            return {"ok": {"face": self.name, "version": xpay_auth.__version__,
                           "can": ["fork"] if hasattr(os, "fork") else []}}
        if kind == "fork":
            return self.fork(op["step"])
        if kind == "worker":
            return {"unsupported": "the Python testee has no worker op (threads share one interpreter)"}
        if kind == "concurrent":
            return {"ok": self.concurrent(int(op["n"]), op["step"])}
        return self.run(op)

    def fork(self, step: Dict[str, Any]) -> Answer:
        """Runs `step` in a forked child on this process's client and session; relays its answer."""
        if not hasattr(os, "fork"):
            return {"unsupported": "this platform cannot fork"}
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: answer through the pipe, never return into the main loop
            status = 1
            try:
                os.close(read_end)
                self.after_fork()
                with os.fdopen(write_end, "w") as pipe:
                    pipe.write(json.dumps(self.answer(step)))
                status = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            text = pipe.read()
        _, status = os.waitpid(pid, 0)
        if not text:
            raise RuntimeError(f"the forked child answered nothing (wait status {status})")
        return dict(json.loads(text))

    def after_fork(self) -> None:
        pass

    def run(self, op: Dict[str, Any]) -> Answer:
        raise NotImplementedError

    def concurrent(self, n: int, step: Dict[str, Any]) -> List[Answer]:
        raise NotImplementedError

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


class SyncFace(Face):
    """`Client` / `Session`; `concurrent` runs n threads released together by a barrier."""

    name = "python-sync"

    def run(self, op: Dict[str, Any]) -> Answer:
        try:
            return {"ok": self.act(op)}
        except xpay_auth.XPayError as e:
            return {"error": error_json(e)}
        except Unsupported as e:
            return {"unsupported": str(e)}

    def act(self, op: Dict[str, Any]) -> Any:
        kind = op["op"]
        if kind == "client":
            self.client, self.session = with_env(op, lambda: xpay_auth.Client(**client_options(op))), None
        elif kind == "session":
            self.session = self.client.session(op["username"], op["secret_key"], **store_option(op))
        elif kind == "authenticate":
            return auth_json(self.client.authenticate(op["username"], op["secret_key"], op.get("is_api", True)))
        elif kind == "access_token":
            return self.session.access_token()
        elif kind == "call":
            return self.session.call(op["path"], op.get("body"), uuid=op.get("uuid"))
        elif kind == "call_raw":
            return self.session.call_raw(op["path"], op["text"], uuid=op.get("uuid"))
        elif kind == "invalidate":
            self.session.invalidate()
        elif kind == "authorization_header":
            return self.session.authorization_header()
        elif kind == "stats":
            return self.session.stats()
        elif kind == "close":
            self.client.close()
        else:
            raise Unsupported(f"unknown op {kind!r}")
        return None

    def concurrent(self, n: int, step: Dict[str, Any]) -> List[Answer]:
        barrier = threading.Barrier(n)
        answers: List[Optional[Answer]] = [None] * n

        def one(i: int) -> None:
            barrier.wait()
            answers[i] = self.answer(step)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if any(a is None for a in answers):
            raise RuntimeError("a concurrent thread failed (traceback above)")
        return [a for a in answers if a is not None]


class AsyncFace(Face):
    """`AsyncClient` / `AsyncSession` on one event loop; `concurrent` gathers n tasks."""

    name = "python-async"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()

    def after_fork(self) -> None:
        # The parent's loop (its selector, its self-pipe) is not the child's to use.
        self.loop = asyncio.new_event_loop()

    def run(self, op: Dict[str, Any]) -> Answer:
        return self.loop.run_until_complete(self.run_async(op))

    async def run_async(self, op: Dict[str, Any]) -> Answer:
        try:
            return {"ok": await self.act(op)}
        except xpay_auth.XPayError as e:
            return {"error": error_json(e)}
        except Unsupported as e:
            return {"unsupported": str(e)}

    async def act(self, op: Dict[str, Any]) -> Any:
        kind = op["op"]
        if kind == "client":
            self.client, self.session = with_env(
                op, lambda: xpay_auth.AsyncClient(**client_options(op))), None
        elif kind == "session":
            self.session = self.client.session(op["username"], op["secret_key"], **store_option(op))
        elif kind == "authenticate":
            return auth_json(await self.client.authenticate(op["username"], op["secret_key"], op.get("is_api", True)))
        elif kind == "access_token":
            return await self.session.access_token()
        elif kind == "call":
            return await self.session.call(op["path"], op.get("body"), uuid=op.get("uuid"))
        elif kind == "call_raw":
            return await self.session.call_raw(op["path"], op["text"], uuid=op.get("uuid"))
        elif kind == "invalidate":
            self.session.invalidate()
        elif kind == "authorization_header":
            return await self.session.authorization_header()
        elif kind == "stats":
            return self.session.stats()
        elif kind == "close":
            await self.client.aclose()
        else:
            raise Unsupported(f"op {kind!r} is not supported here")
        return None

    def concurrent(self, n: int, step: Dict[str, Any]) -> List[Answer]:
        async def all_at_once() -> List[Answer]:
            return list(await asyncio.gather(*(self.run_async(step) for _ in range(n))))

        return self.loop.run_until_complete(all_at_once())

    def close(self) -> None:
        super().close()
        self.loop.close()


def main(argv: List[str]) -> int:
    # Answers are the only thing on stdout: anything printed by mistake goes to stderr.
    out, sys.stdout = sys.stdout, sys.stderr
    face: Face = AsyncFace() if "--async" in argv[1:] else SyncFace()
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(face.answer(json.loads(line))) + "\n")
            out.flush()
    face.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
