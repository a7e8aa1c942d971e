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
    HTTPStatusError,
    InternalError,
    InvalidArgumentError,
    Session,
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


async def async_usage() -> None:
    async with AsyncClient(None, 10.0, 1) as client:
        auth: Authentication = await client.authenticate(USERNAME, SECRET)
        session: AsyncSession = client.session()
        tokens: List[str] = list(await asyncio.gather(*(session.access_token() for _ in range(10))))
        data: Any = await session.call("/client/echo", ["async"])
        current: Authentication = await session.authentication()
        session.invalidate()
        print(auth.user.username, len(set(tokens)), data, current.ticket, session.username)
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
