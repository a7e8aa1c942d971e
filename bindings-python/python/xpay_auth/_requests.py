"""``xpay_auth.RequestsAuth``: the session's token on requests' requests.

Imported only when ``xpay_auth.RequestsAuth`` is first used (requests is not a dependency).
The token, its renewal and the one shared login after a 401 are the core's; this is only
requests' auth protocol (a callable plus a response hook, as ``HTTPDigestAuth`` does it)
around ``authorization_header()`` and ``reauthorize()``.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.auth import AuthBase

from ._native import Session


def _can_resend(request: requests.PreparedRequest) -> bool:
    """A body held in memory (none, text or bytes) can be sent again; a stream or file cannot."""
    return request.body is None or isinstance(request.body, (bytes, str))


class RequestsAuth(AuthBase):
    """``requests.get(url, auth=RequestsAuth(session))``, or ``s.auth = RequestsAuth(session)``
    on a ``requests.Session``; safe to share between threads.

    Every request gets ``Authorization: Bearer <token>``. On a 401 the token is dropped, a
    fresh one fetched (one login shared by every concurrent caller) and the request sent once
    more, unless its body was a stream or file that cannot be sent again.
    """

    def __init__(self, session: Session) -> None:
        if not isinstance(session, Session):
            raise TypeError("RequestsAuth needs an xpay_auth.Session (requests is synchronous)")
        self._session = session

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._session.authorization_header()
        request.register_hook("response", self._handle_401)
        return request

    def _handle_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or not _can_resend(request):
            return response
        header = self._session.reauthorize(str(request.headers.get("Authorization", "")))
        # Done with the refused reply: its connection goes back to the pool for the re-send.
        response.content
        response.close()
        again = request.copy()
        again.headers["Authorization"] = header
        # The adapter's send runs no hooks: this re-send is the only one.
        retry: requests.Response = response.connection.send(again, **kwargs)
        retry.history.append(response)
        retry.request = again
        return retry

    def __repr__(self) -> str:
        return f"<xpay_auth.RequestsAuth {self._session!r}>"
