"""``xpay_auth.HttpxAuth``: the session's token on an httpx client's requests.

Imported only when ``xpay_auth.HttpxAuth`` is first used (httpx is not a dependency). The
token, its renewal and the one shared login after a 401 are the core's; this is only httpx's
auth-flow protocol around ``authorization_header()`` and ``reauthorize()``.
"""

from __future__ import annotations

from typing import AsyncGenerator, Generator, Union

import httpx

from ._native import AsyncSession, Session


def _can_resend(request: httpx.Request) -> bool:
    """A request whose body httpx holds in memory (not a stream) can be sent again."""
    try:
        request.content
    except httpx.RequestNotRead:
        return False
    return True


class HttpxAuth(httpx.Auth):
    """``httpx.Client(auth=HttpxAuth(session))`` with a ``Session``, or
    ``httpx.AsyncClient(auth=HttpxAuth(async_session))`` with an ``AsyncSession``.

    Every request gets ``Authorization: Bearer <token>``. On a 401 the token is dropped, a
    fresh one fetched (one login shared by every concurrent caller) and the request sent once
    more, unless its body was a stream that cannot be sent again.
    """

    def __init__(self, session: Union[Session, AsyncSession]) -> None:
        if not isinstance(session, (Session, AsyncSession)):
            raise TypeError("HttpxAuth needs an xpay_auth.Session or xpay_auth.AsyncSession")
        self._session = session

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        session = self._session
        if not isinstance(session, Session):
            raise TypeError("an httpx.Client needs HttpxAuth(Session); an AsyncSession goes with httpx.AsyncClient")
        header = session.authorization_header()
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code == 401 and _can_resend(request):
            request.headers["Authorization"] = session.reauthorize(header)
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        session = self._session
        if not isinstance(session, AsyncSession):
            raise TypeError("an httpx.AsyncClient needs HttpxAuth(AsyncSession); a Session goes with httpx.Client")
        header = await session.authorization_header()
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code == 401 and _can_resend(request):
            request.headers["Authorization"] = await session.reauthorize(header)
            yield request

    def __repr__(self) -> str:
        return f"<xpay_auth.HttpxAuth {self._session!r}>"
