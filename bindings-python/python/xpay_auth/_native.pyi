# Type stubs of the native module xpay_auth._native (src/*.rs). `make test` checks them against
# the built module with mypy's stubtest, so they cannot drift apart unnoticed.
import os
from typing import Any, Coroutine, List, Optional, Union, final

from ._stats import SessionStats

__all__ = [
    "__version__",
    "USER_AGENT",
    "Client",
    "Session",
    "AsyncClient",
    "AsyncSession",
    "Authentication",
    "User",
    "redact_token",
    "drain",
]

__version__: str
USER_AGENT: str

def redact_token(token: str) -> str:
    """A token as it may appear in logs: its first characters and its length."""

def drain(timeout_s: float = 2.0) -> bool:
    """Waits until no runtime task can still call into Python (registered with atexit)."""

@final
class User:
    """The account a login was for."""

    @property
    def username(self) -> str: ...
    @property
    def scopes(self) -> List[str]: ...
    @property
    def is_api(self) -> bool: ...

@final
class Authentication:
    """The result of one login; ``repr()`` shows the token redacted."""

    @property
    def access_token(self) -> str: ...
    @property
    def expires_at(self) -> int:
        """Milliseconds since the Unix epoch."""
    @property
    def user(self) -> User: ...
    @property
    def ticket(self) -> str: ...
    @property
    def uuid(self) -> str: ...
    @property
    def message(self) -> str: ...

@final
class Client:
    """A synchronous client; methods block (with the GIL released) until the reply."""

    def __new__(
        cls,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        *,
        connect_timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
        max_body_bytes: Optional[int] = None,
        refresh_before: Optional[float] = None,
        ca_bundle: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        tls_roots: Optional[str] = None,
        client_cert: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        client_key: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        proxy: Optional[str] = None,
    ) -> Client: ...
    @property
    def base_url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def authenticate(self, username: str, secret_key: str, is_api: bool = True) -> Authentication: ...
    def session(
        self,
        username: Optional[str] = None,
        secret_key: Optional[str] = None,
        *,
        is_api: bool = True,
        store: Optional[str] = None,
    ) -> Session: ...
    def close(self) -> None: ...
    def __enter__(self) -> Client: ...
    def __exit__(self, *_exc_info: object) -> None: ...

@final
class Session:
    """One account's token cache in front of a ``Client``."""

    @property
    def username(self) -> str: ...
    def access_token(self) -> str: ...
    def authentication(self) -> Authentication: ...
    def call(self, path: str, body: Any = None, *, uuid: Optional[str] = None) -> Any: ...
    def call_raw(self, path: str, text: Union[str, bytes], *, uuid: Optional[str] = None) -> str: ...
    def invalidate(self) -> None: ...
    def authorization_header(self) -> str:
        """``"Bearer <token>"`` for your own HTTP client's ``Authorization`` header."""
    def reauthorize(self, rejected: str) -> str:
        """The header to re-send with after a 401 for ``rejected`` (one shared login)."""
    def stats(self) -> SessionStats: ...

@final
class AsyncClient:
    """An asyncio client; network methods return awaitables (asyncio futures) that start at
    once; cancelling the awaiting task cancels the request."""

    def __new__(
        cls,
        base_url: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        *,
        connect_timeout: Optional[float] = None,
        user_agent: Optional[str] = None,
        max_body_bytes: Optional[int] = None,
        refresh_before: Optional[float] = None,
        ca_bundle: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        tls_roots: Optional[str] = None,
        client_cert: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        client_key: Optional[Union[str, bytes, "os.PathLike[str]"]] = None,
        proxy: Optional[str] = None,
    ) -> AsyncClient: ...
    @property
    def base_url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    def authenticate(
        self, username: str, secret_key: str, is_api: bool = True
    ) -> Coroutine[Any, Any, Authentication]: ...
    def session(
        self,
        username: Optional[str] = None,
        secret_key: Optional[str] = None,
        *,
        is_api: bool = True,
        store: Optional[str] = None,
    ) -> AsyncSession: ...
    def close(self) -> None: ...
    def aclose(self) -> Coroutine[Any, Any, None]: ...
    def __aenter__(self) -> Coroutine[Any, Any, AsyncClient]: ...
    def __aexit__(self, *_exc_info: object) -> Coroutine[Any, Any, None]: ...

@final
class AsyncSession:
    """One account's token cache in front of an ``AsyncClient``."""

    @property
    def username(self) -> str: ...
    def access_token(self) -> Coroutine[Any, Any, str]: ...
    def authentication(self) -> Coroutine[Any, Any, Authentication]: ...
    def call(self, path: str, body: Any = None, *, uuid: Optional[str] = None) -> Coroutine[Any, Any, Any]: ...
    def call_raw(
        self, path: str, text: Union[str, bytes], *, uuid: Optional[str] = None
    ) -> Coroutine[Any, Any, str]: ...
    def invalidate(self) -> None: ...
    def authorization_header(self) -> Coroutine[Any, Any, str]:
        """Awaits to ``"Bearer <token>"`` for your own HTTP client's ``Authorization`` header."""
    def reauthorize(self, rejected: str) -> Coroutine[Any, Any, str]:
        """Awaits to the header to re-send with after a 401 for ``rejected`` (one shared login)."""
    def stats(self) -> SessionStats: ...
