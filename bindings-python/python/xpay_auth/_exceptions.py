"""The exceptions of xpay_auth: one base class, one subclass per error code.

Every exception carries the attributes of the shared error contract: ``code`` (one of
``invalid_argument``, ``authentication``, ``api``, ``http_status``, ``timeout``,
``connection``, ``decode``, ``internal``), ``message``, ``status``, ``tag``, ``uuid`` and
``data`` (the server's error data as Python objects). ``str(e)`` adds what to do about it.
The native module raises them through ``_from_native``.
"""

from __future__ import annotations

# `typing` is only for the type checker: importing it would double this package's import time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Type

__all__ = [
    "XPayError",
    "InvalidArgumentError",
    "AuthenticationError",
    "APIError",
    "HTTPStatusError",
    "APITimeoutError",
    "APIConnectionError",
    "DecodeError",
    "InternalError",
]


class XPayError(Exception):
    """Base class of every xpay_auth failure."""

    code: str = "internal"
    message: str
    status: Optional[int]
    tag: Optional[str]
    uuid: Optional[str]
    data: Any
    retry_after: Optional[float]

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        status: Optional[int] = None,
        tag: Optional[str] = None,
        uuid: Optional[str] = None,
        data: Any = None,
        retry_after: Optional[float] = None,
        description: Optional[str] = None,
    ) -> None:
        # args[0] is the full description, so str(), tracebacks and pickling all carry it.
        super().__init__(description if description is not None else message)
        if code is not None:
            self.code = code
        self.message = message
        self.status = status
        self.tag = tag
        self.uuid = uuid
        self.data = data
        self.retry_after = retry_after

    def __repr__(self) -> str:
        fields = [f"code={self.code!r}", f"message={self.message!r}"]
        for name in ("status", "tag", "uuid", "data"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(fields)})"


class InvalidArgumentError(XPayError, ValueError):
    """The caller's input is unusable (empty credential, bad URL or path, body not JSON);
    nothing was sent."""

    code = "invalid_argument"


class AuthenticationError(XPayError):
    """The login was refused, or a call still got HTTP 401 after a fresh login."""

    code = "authentication"


class APIError(XPayError):
    """An endpoint answered with a business error envelope."""

    code = "api"


class HTTPStatusError(XPayError):
    """A non-200 status without a business error envelope (e.g. a proxy's 502 page)."""

    code = "http_status"


class APITimeoutError(XPayError):
    """The connect or the whole-request time limit passed."""

    code = "timeout"


class APIConnectionError(XPayError):
    """DNS, refused, reset or TLS failure."""

    code = "connection"


class DecodeError(XPayError):
    """The reply is not a valid xPay envelope (not JSON, fields missing or mistyped, too large)."""

    code = "decode"


class InternalError(XPayError):
    """A bug in xpay-auth; please report it."""

    code = "internal"


_BY_CODE: Dict[str, Type[XPayError]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        AuthenticationError,
        APIError,
        HTTPStatusError,
        APITimeoutError,
        APIConnectionError,
        DecodeError,
        InternalError,
    )
}


def _from_native(message: str, *, code: str, **details: Any) -> XPayError:
    """The exception for a core error (called by the native module); unknown codes get the
    base class, so a newer core never breaks an older face."""
    cls = _BY_CODE.get(code, XPayError)
    return cls(message, code=code, **details)
