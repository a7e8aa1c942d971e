"""xpay_auth: the client SDK for the xPay.Stream API's authentication.

Log in (``Client.authenticate``), keep a session whose token is cached and renewed before it
expires (``Client.session``), and make authenticated calls (``Session.call``). ``AsyncClient``
and ``AsyncSession`` are the same for asyncio. Every failure is an ``XPayError`` subclass with a
stable ``code``. Python's ``logging`` logger ``xpay_auth`` receives the request log lines.
"""

import atexit as _atexit

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

# At exit, wait (briefly) for runtime threads still handing an asyncio result to its loop: one
# caught there by the interpreter's finalization would abort the process.
_atexit.register(_drain)

__all__ = [
    "Client",
    "Session",
    "AsyncClient",
    "AsyncSession",
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
