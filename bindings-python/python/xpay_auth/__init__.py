"""xpay_auth: the client SDK for the xPay.Stream API's authentication.

Log in (``Client.authenticate``), keep a session whose token is cached and renewed before it
expires (``Client.session``), and make authenticated calls (``Session.call``). ``AsyncClient``
and ``AsyncSession`` are the same for asyncio. Every failure is an ``XPayError`` subclass with a
stable ``code``. Python's ``logging`` logger ``xpay_auth`` receives the request log lines.

Your own HTTP client: ``HttpxAuth(session)`` (httpx, sync and async) and
``RequestsAuth(session)`` (requests) set the bearer header and handle a 401; each imports its
HTTP library only when first used, and neither library is a dependency.
"""

import atexit as _atexit
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    DecodeError,
    HTTPStatusError,
    InternalError,
    InvalidArgumentError,
    XPayError,
)
from ._native import (
    USER_AGENT,
    AsyncClient,
    AsyncSession,
    Authentication,
    Client,
    Session,
    User,
    __version__,
    drain as _drain,
    redact_token,
)
from ._stats import SessionStats

if _TYPE_CHECKING:
    from ._httpx import HttpxAuth as HttpxAuth
    from ._requests import RequestsAuth as RequestsAuth


def __getattr__(name: str) -> _Any:
    # The adapters import httpx / requests: only when asked for, never at `import xpay_auth`.
    if name == "HttpxAuth":
        from ._httpx import HttpxAuth

        return HttpxAuth
    if name == "RequestsAuth":
        from ._requests import RequestsAuth

        return RequestsAuth
    raise AttributeError(f"module 'xpay_auth' has no attribute {name!r}")


# At exit, wait (briefly) for runtime threads still handing an asyncio result to its loop: one
# caught there by the interpreter's finalization would abort the process.
_atexit.register(_drain)

__all__ = [
    "Client",
    "Session",
    "AsyncClient",
    "AsyncSession",
    "HttpxAuth",
    "RequestsAuth",
    "SessionStats",
    "Authentication",
    "User",
    "XPayError",
    "InvalidArgumentError",
    "AuthenticationError",
    "APIError",
    "HTTPStatusError",
    "APITimeoutError",
    "APIConnectionError",
    "DecodeError",
    "InternalError",
    "USER_AGENT",
    "redact_token",
    "__version__",
]
