"""The session's token from your own HTTP client: HttpxAuth (httpx sync and async) and
RequestsAuth (requests) against the mock, session.stats() against the mock's counts, and no
token in any log line at the most verbose level."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import json
import logging
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List

import httpx
import pytest
import requests

import xpay_auth
from mockctl import SECRET, USERNAME, Mock, wait_until

LOGIN = "/client/authenticate"
ECHO = "/client/echo"
UNAUTHORIZED = {"status": 401, "json": {"error": {"message": "unauthorized", "data": None, "tag": "t-401"}, "uuid": "{{uuid}}"}}


def echo_bearers(mock: Mock) -> List[str]:
    return [r["headers"].get("authorization", "") for r in mock.requests() if r["path"] == ECHO]


def chunks() -> Iterator[bytes]:
    yield b'{"streamed": '
    yield b"true}"


# ---- import and packaging -------------------------------------------------------------------


def test_importing_xpay_auth_imports_neither_http_client() -> None:
    code = "import sys, xpay_auth; print(sorted(m for m in ('httpx', 'requests') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_neither_http_client_is_a_dependency() -> None:
    requires = importlib.metadata.requires("xpay-auth") or []
    assert not [r for r in requires if r.split()[0].lower() in ("httpx", "requests") and "extra" not in r]


def test_adapters_are_the_http_clients_auth_types(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    assert isinstance(xpay_auth.HttpxAuth(session), httpx.Auth)
    assert isinstance(xpay_auth.RequestsAuth(session), requests.auth.AuthBase)
    with pytest.raises(TypeError):
        xpay_auth.RequestsAuth("not a session")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xpay_auth.HttpxAuth(object())  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        xpay_auth.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_authorization_header_is_bearer_and_the_token(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    assert session.authorization_header() == "Bearer " + session.access_token()
    assert mock.count(LOGIN) == 1

    async def run() -> None:
        s = xpay_auth.AsyncClient(mock.url).session(USERNAME, SECRET)
        assert await s.authorization_header() == "Bearer " + await s.access_token()

    asyncio.run(run())
    assert mock.count(LOGIN) == 2


# ---- requests -------------------------------------------------------------------------------


def test_requests_sends_the_bearer(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    reply = requests.post(mock.url + ECHO, json={"a": 1}, auth=xpay_auth.RequestsAuth(session), timeout=10)
    assert reply.status_code == 200 and reply.json()["success"]["data"] == {"a": 1}
    assert echo_bearers(mock) == ["Bearer " + session.access_token()]
    assert mock.count(LOGIN) == 1


def test_requests_401_logs_in_once_more_and_resends_once(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    auth = xpay_auth.RequestsAuth(session)
    with requests.Session() as http:
        http.auth = auth
        assert http.post(mock.url + ECHO, json=1, timeout=10).status_code == 200
        old = session.access_token()
        mock.revoke()
        reply = http.post(mock.url + ECHO, data=b'{"b": 2}', timeout=10)
        assert reply.status_code == 200 and reply.json()["success"]["data"] == {"b": 2}
        assert [r.status_code for r in reply.history] == [401]
        assert mock.count(LOGIN) == 2 and mock.count(ECHO) == 3
        assert session.access_token() != old
        assert echo_bearers(mock)[-2:] == ["Bearer " + old, "Bearer " + session.access_token()]
        # Refused again after the fresh login: one re-send only, the caller gets the 401.
        mock.queue(ECHO, [UNAUTHORIZED, UNAUTHORIZED])
        reply = http.post(mock.url + ECHO, json=3, timeout=10)
        assert reply.status_code == 401
        assert mock.count(LOGIN) == 3 and mock.count(ECHO) == 5
    assert session.stats()["logins"] == 3


def test_requests_a_streamed_body_is_not_resent(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    session.access_token()
    mock.revoke()
    reply = requests.post(mock.url + ECHO, data=chunks(), auth=xpay_auth.RequestsAuth(session), timeout=10)
    assert reply.status_code == 401 and reply.history == []
    assert mock.count(ECHO) == 1 and mock.count(LOGIN) == 1


def test_requests_100_threads_share_one_login(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    auth = xpay_auth.RequestsAuth(session)

    def one(i: int) -> int:
        return requests.post(mock.url + ECHO, json=i, auth=auth, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        codes = list(pool.map(one, range(100)))
    assert codes == [200] * 100
    assert mock.count(LOGIN) == 1 and mock.count(ECHO) == 100
    assert len(set(echo_bearers(mock))) == 1
    stats = session.stats()
    assert stats["logins"] == 1 and 1 <= stats["waits"] <= 100


# ---- httpx ----------------------------------------------------------------------------------


def test_httpx_sync_bearer_401_and_single_resend(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    with httpx.Client(auth=xpay_auth.HttpxAuth(session), timeout=10) as http:
        reply = http.post(mock.url + ECHO, json={"a": 1})
        assert reply.status_code == 200 and reply.json()["success"]["data"] == {"a": 1}
        assert echo_bearers(mock) == ["Bearer " + session.access_token()]
        old = session.access_token()
        mock.revoke()
        reply = http.post(mock.url + ECHO, content=b'{"b": 2}')
        assert reply.status_code == 200 and reply.json()["success"]["data"] == {"b": 2}
        assert [r.status_code for r in reply.history] == [401]
        assert mock.count(LOGIN) == 2 and mock.count(ECHO) == 3
        assert echo_bearers(mock)[-2:] == ["Bearer " + old, "Bearer " + session.access_token()]
        mock.queue(ECHO, [UNAUTHORIZED, UNAUTHORIZED])
        assert http.post(mock.url + ECHO, json=3).status_code == 401
        assert mock.count(LOGIN) == 3 and mock.count(ECHO) == 5
        # A streamed body cannot be sent again: the 401 is the answer, nothing more is sent.
        mock.revoke()
        assert http.post(mock.url + ECHO, content=chunks()).status_code == 401
        assert mock.count(LOGIN) == 3 and mock.count(ECHO) == 6
    assert session.stats()["logins"] == mock.count(LOGIN)


def test_httpx_async_bearer_401_single_resend_and_one_login(mock: Mock) -> None:
    async def stream() -> Any:
        yield b'{"streamed": true}'

    async def run() -> None:
        session = xpay_auth.AsyncClient(mock.url).session(USERNAME, SECRET)
        async with httpx.AsyncClient(auth=xpay_auth.HttpxAuth(session), timeout=30) as http:
            replies = await asyncio.gather(*(http.post(mock.url + ECHO, json=i) for i in range(50)))
            assert [r.status_code for r in replies] == [200] * 50
            assert mock.count(LOGIN) == 1
            assert set(echo_bearers(mock)) == {"Bearer " + await session.access_token()}
            mock.revoke()
            reply = await http.post(mock.url + ECHO, json={"b": 2})
            assert reply.status_code == 200 and [r.status_code for r in reply.history] == [401]
            assert mock.count(LOGIN) == 2 and mock.count(ECHO) == 52
            mock.queue(ECHO, [UNAUTHORIZED, UNAUTHORIZED])
            assert (await http.post(mock.url + ECHO, json=3)).status_code == 401
            assert mock.count(LOGIN) == 3 and mock.count(ECHO) == 54
            mock.revoke()
            assert (await http.post(mock.url + ECHO, content=stream())).status_code == 401
            assert mock.count(LOGIN) == 3 and mock.count(ECHO) == 55
        assert session.stats()["logins"] == 3

    asyncio.run(run())


def test_httpx_with_the_wrong_session_kind_says_so(mock: Mock) -> None:
    async_session = xpay_auth.AsyncClient(mock.url).session(USERNAME, SECRET)
    with httpx.Client(auth=xpay_auth.HttpxAuth(async_session)) as http:
        with pytest.raises(TypeError, match="AsyncClient"):
            http.post(mock.url + ECHO, json=1)
    assert mock.count(ECHO) == 0


# ---- stats ----------------------------------------------------------------------------------


def test_stats_match_the_mocks_counts(mock: Mock) -> None:
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    assert session.stats() == {"logins": 0, "renewals": 0, "renewal_failures": 0, "waits": 0,
                               "backoff_until_ms": 0, "expires_at_ms": 0}
    auth = session.authentication()
    stats = session.stats()
    assert stats["logins"] == mock.count(LOGIN) == 1 and stats["waits"] == 1
    assert stats["expires_at_ms"] == auth.expires_at
    bad = xpay_auth.Client(mock.url).session(USERNAME, "wrong")
    with pytest.raises(xpay_auth.AuthenticationError):
        bad.access_token()
    assert bad.stats()["logins"] == 1 and bad.stats()["backoff_until_ms"] > 1_600_000_000_000


def test_stats_count_a_failed_renewal(mock: Mock) -> None:
    mock.reset({"token_ttl_ms": 2000})
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    session.access_token()
    mock.queue(LOGIN, [{"json": {"error": {"message": "invalid credentials", "data": None, "tag": "t"}, "uuid": "u"}}])

    def renewed_and_failed() -> bool:
        session.access_token()
        return session.stats()["renewal_failures"] == 1

    wait_until(renewed_and_failed)
    stats = session.stats()
    assert stats["renewals"] == 1 and stats["logins"] == mock.count(LOGIN) == 2
    assert stats["backoff_until_ms"] > 0


# ---- logs -----------------------------------------------------------------------------------


def test_no_token_in_any_log_line_at_the_most_verbose_level(mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1, logger="xpay_auth")
    mock.reset({"token_ttl_ms": 2000})
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    tokens = [session.access_token()]
    with httpx.Client(auth=xpay_auth.HttpxAuth(session), timeout=10) as http:
        mock.revoke()
        assert http.post(mock.url + ECHO, json=1).status_code == 200
    tokens.append(session.access_token())
    mock.revoke()
    assert requests.post(mock.url + ECHO, json=2, auth=xpay_auth.RequestsAuth(session), timeout=10).status_code == 200
    tokens.append(session.access_token())
    mock.queue(LOGIN, [{"json": {"error": {"message": "no", "data": None, "tag": "t"}, "uuid": "u"}}])

    def failed_renewal() -> bool:
        tokens.append(session.access_token())
        return session.stats()["renewal_failures"] == 1

    wait_until(failed_renewal)
    lines = [r.getMessage() + " " + json.dumps(r.__dict__, default=str) for r in caplog.records]
    assert len(lines) > 5
    for token in set(tokens):
        assert not [line for line in lines if token in line]
    fingerprints = {hashlib.sha256(t.encode()).hexdigest()[:8] for t in tokens}
    assert any(fp in line for fp in fingerprints for line in lines), lines
    assert not [line for line in lines if SECRET in line]
