"""Every public name of xpay_auth, used with full types: `mypy --strict` checks this file
against the shipped stubs, and the test suite runs it against xpay-mock.

    XPAY_BASE_URL=http://127.0.0.1:PORT python examples/typed_usage.py
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Dict, List, Optional, Type

import xpay_auth
from xpay_auth import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncClient,
    AsyncSession,
    Authentication,
    AuthenticationError,
    Client,
    DecodeError,
    HttpxAuth,
    HTTPStatusError,
    InternalError,
    InvalidArgumentError,
    RequestsAuth,
    Session,
    SessionStats,
    User,
    XPayError,
)

USERNAME = os.environ.get("XPAY_USERNAME", "demo@xpay.test")
SECRET = os.environ.get("XPAY_SECRET_KEY", "demo-secret")

ERRORS: List[Type[XPayError]] = [
    InvalidArgumentError, AuthenticationError, APIError, HTTPStatusError,
    APITimeoutError, APIConnectionError, DecodeError, InternalError,
]


def describe(auth: Authentication) -> str:
    user: User = auth.user
    scopes: List[str] = user.scopes
    is_api: bool = user.is_api
    expires_at: int = auth.expires_at
    parts = [user.username, ",".join(scopes), str(is_api), str(expires_at), auth.ticket, auth.uuid, auth.message]
    return " ".join(parts + [xpay_auth.redact_token(auth.access_token)])


def error_fields(e: XPayError) -> Dict[str, Any]:
    status: Optional[int] = e.status
    tag: Optional[str] = e.tag
    uuid: Optional[str] = e.uuid
    retry_after: Optional[float] = e.retry_after
    return {"code": e.code, "message": e.message, "status": status, "tag": tag, "uuid": uuid,
            "data": e.data, "retry_after": retry_after}


def sync_usage() -> None:
    with Client(timeout=10.0, max_retries=1, connect_timeout=5.0) as client:
        base_url: str = client.base_url
        print(describe(client.authenticate(USERNAME, SECRET, is_api=True)), base_url)
        session: Session = client.session(USERNAME, SECRET)
        token: str = session.access_token()
        data: Any = session.call("/client/echo", {"a": [1, 2.5, None]}, uuid=None)
        print(session.username, len(token), data, describe(session.authentication()))
        session.invalidate()
        header: str = session.authorization_header()
        assert header == "Bearer " + session.access_token()
        assert session.reauthorize(header).startswith("Bearer ")
        stats: SessionStats = session.stats()
        logins: int = stats["logins"]
        print(logins, stats["renewals"], stats["renewal_failures"], stats["waits"],
              stats["backoff_until_ms"], stats["expires_at_ms"])
        own_clients(client.base_url, session)
        try:
            client.authenticate(USERNAME, "wrong")
        except AuthenticationError as e:
            print(error_fields(e))
        try:
            session.call("no-leading-slash")
        except ValueError as e:  # InvalidArgumentError is also a ValueError
            assert isinstance(e, InvalidArgumentError)
    closed: bool = client.closed
    assert closed


def own_clients(base_url: str, session: Session) -> None:
    """The session's token on your own HTTP client (httpx and requests installed)."""
    import httpx
    import requests

    with httpx.Client(auth=HttpxAuth(session)) as http:
        print(http.post(base_url + "/client/echo", json=1).status_code)
    reply: requests.Response = requests.post(base_url + "/client/echo", json=1, auth=RequestsAuth(session), timeout=10)
    print(reply.status_code)


async def async_usage() -> None:
    async with AsyncClient(None, 10.0, 1) as client:
        auth: Authentication = await client.authenticate(USERNAME, SECRET)
        session: AsyncSession = client.session()
        tokens: List[str] = list(await asyncio.gather(*(session.access_token() for _ in range(10))))
        data: Any = await session.call("/client/echo", ["async"])
        current: Authentication = await session.authentication()
        session.invalidate()
        print(auth.user.username, len(set(tokens)), data, current.ticket, session.username)
        header: str = await session.authorization_header()
        again: str = await session.reauthorize(header)
        stats: SessionStats = session.stats()
        print(len(again), stats["logins"])
        import httpx

        async with httpx.AsyncClient(auth=HttpxAuth(session)) as http:
            print((await http.post(client.base_url + "/client/echo", json=2)).status_code)
        try:
            await session.call("/nowhere")
        except XPayError as e:
            print(type(e).__name__, e.code, e.status)
    await client.aclose()
    client.close()


def main() -> None:
    print(xpay_auth.__version__, xpay_auth.USER_AGENT, [cls.code for cls in ERRORS])
    sync_usage()
    asyncio.run(async_usage())


if __name__ == "__main__":
    main()
