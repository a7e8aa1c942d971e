"""Every exception class, raised for real by both faces, with its attributes."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Callable, Dict, List, Optional, Type

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock, refused_url

ALL = [
    (xpay_auth.InvalidArgumentError, "invalid_argument"),
    (xpay_auth.AuthenticationError, "authentication"),
    (xpay_auth.APIError, "api"),
    (xpay_auth.HTTPStatusError, "http_status"),
    (xpay_auth.APITimeoutError, "timeout"),
    (xpay_auth.APIConnectionError, "connection"),
    (xpay_auth.DecodeError, "decode"),
    (xpay_auth.InternalError, "internal"),
]


def run_call(face: str, base_url: str, path: str, body: Any, timeout: float = 5.0) -> Any:
    """session.call through the sync or the async face."""
    if face == "sync":
        return xpay_auth.Client(base_url, timeout=timeout, max_retries=0).session(USERNAME, SECRET).call(path, body)

    async def go() -> Any:
        client = xpay_auth.AsyncClient(base_url, timeout=timeout, max_retries=0)
        return await client.session(USERNAME, SECRET).call(path, body)

    return asyncio.run(go())


def run_login(face: str, base_url: str, username: str, secret: str) -> Any:
    if face == "sync":
        return xpay_auth.Client(base_url, max_retries=0).authenticate(username, secret)

    async def go() -> Any:
        return await xpay_auth.AsyncClient(base_url, max_retries=0).authenticate(username, secret)

    return asyncio.run(go())


FACES = ["sync", "async"]


@pytest.mark.parametrize("face", FACES)
def test_invalid_argument(face: str, mock: Mock) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError) as info:
        run_login(face, mock.url, "", SECRET)
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, xpay_auth.XPayError)
    assert (e.code, e.status, e.tag, e.uuid, e.data) == ("invalid_argument", None, None, None, None)
    assert "username" in e.message
    assert str(e).startswith("invalid_argument error: ") and "nothing was sent" in str(e)


@pytest.mark.parametrize("face", FACES)
def test_authentication(face: str, mock: Mock) -> None:
    with pytest.raises(xpay_auth.AuthenticationError) as info:
        run_login(face, mock.url, USERNAME, "wrong")
    e = info.value
    assert (e.code, e.message, e.status) == ("authentication", "invalid credentials", 200)
    assert e.data == {"invalid": True}  # Python objects, not a JSON string
    assert e.tag and e.uuid
    assert "check the username and secret key" in str(e)
    assert f"[uuid {e.uuid}]" in str(e)


@pytest.mark.parametrize("face", FACES)
def test_api(face: str, mock: Mock) -> None:
    mock.queue("/client/echo", [{"json": {"error": {"message": "wallet exists", "data": {"ids": [1, 2]}, "tag": "t-1"}, "uuid": "u-1"}}])
    with pytest.raises(xpay_auth.APIError) as info:
        run_call(face, mock.url, "/client/echo", {})
    e = info.value
    assert (e.code, e.message, e.status, e.tag, e.uuid, e.data) == ("api", "wallet exists", 200, "t-1", "u-1", {"ids": [1, 2]})


@pytest.mark.parametrize("face", FACES)
def test_http_status(face: str, mock: Mock) -> None:
    mock.queue("/client/echo", [{"status": 502, "headers": {"content-type": "text/html"}, "body": "<h1>Bad gateway</h1>"}])
    with pytest.raises(xpay_auth.HTTPStatusError) as info:
        run_call(face, mock.url, "/client/echo", {})
    assert (info.value.code, info.value.status) == ("http_status", 502)
    assert info.value.uuid


@pytest.mark.parametrize("face", FACES)
def test_timeout(face: str, mock: Mock) -> None:
    mock.queue("/client/echo", [{"delay_ms": 3000, "json": {"success": {"message": "OK", "data": 1}}}])
    with pytest.raises(xpay_auth.APITimeoutError) as info:
        run_call(face, mock.url, "/client/echo", {}, timeout=0.5)
    assert info.value.code == "timeout" and info.value.status is None


@pytest.mark.parametrize("face", FACES)
def test_connection(face: str) -> None:
    with pytest.raises(xpay_auth.APIConnectionError) as info:
        run_login(face, refused_url(), USERNAME, SECRET)
    assert info.value.code == "connection"


@pytest.mark.parametrize("face", FACES)
def test_decode(face: str, mock: Mock) -> None:
    mock.queue("/client/authenticate", [{"body": "this is not json"}])
    with pytest.raises(xpay_auth.DecodeError) as info:
        run_login(face, mock.url, USERNAME, SECRET)
    assert (info.value.code, info.value.status) == ("decode", 200)


def test_retry_after_is_seconds(mock: Mock) -> None:
    mock.queue("/client/echo", [{"status": 503, "headers": {"Retry-After": "7"}}])
    with pytest.raises(xpay_auth.HTTPStatusError) as info:
        run_call("sync", mock.url, "/client/echo", {})
    assert info.value.retry_after == 7.0


@pytest.mark.parametrize("cls, code", ALL)
def test_hierarchy_and_codes(cls: Type[xpay_auth.XPayError], code: str) -> None:
    assert issubclass(cls, xpay_auth.XPayError) and issubclass(cls, Exception)
    assert cls.code == code
    assert issubclass(cls, ValueError) == (code == "invalid_argument")
    e = cls("boom", status=500, tag="t", uuid="u", data={"k": [1]})
    assert (str(e), e.code, e.status, e.tag, e.uuid, e.data) == ("boom", code, 500, "t", "u", {"k": [1]})


@pytest.mark.parametrize("cls, code", ALL)
def test_native_factory_picks_the_class(cls: Type[xpay_auth.XPayError], code: str) -> None:
    from xpay_auth._exceptions import _from_native

    e = _from_native("m", code=code, description="d", status=None, tag=None, uuid=None, data=None, retry_after=None)
    assert type(e) is cls and str(e) == "d" and e.message == "m"


def test_unknown_code_gets_the_base_class() -> None:
    from xpay_auth._exceptions import _from_native

    e = _from_native("m", code="from_the_future")
    assert type(e) is xpay_auth.XPayError and e.code == "from_the_future"


def test_exceptions_pickle_with_their_attributes(mock: Mock) -> None:
    with pytest.raises(xpay_auth.AuthenticationError) as info:
        run_login("sync", mock.url, USERNAME, "wrong")
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is xpay_auth.AuthenticationError
    fields: Callable[[Any], List[Optional[object]]] = lambda e: [str(e), e.code, e.message, e.status, e.tag, e.uuid, e.data]
    assert fields(copy) == fields(info.value)


def test_repr_shows_the_fields() -> None:
    e = xpay_auth.APIError("no", status=200, tag="t", data={"a": 1})
    assert repr(e) == "APIError(code='api', message='no', status=200, tag='t', data={'a': 1})"


def test_every_public_exception_is_exported() -> None:
    exported: Dict[str, Any] = {name: getattr(xpay_auth, name) for name in xpay_auth.__all__}
    for cls, _ in ALL:
        assert exported[cls.__name__] is cls
    assert exported["XPayError"] is xpay_auth.XPayError
