"""The sync face: Client and Session, every public method, options and bad input."""

from __future__ import annotations

import math
from typing import Any

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock, refused_url


@pytest.fixture
def client(mock: Mock) -> xpay_auth.Client:
    return xpay_auth.Client(mock.url, timeout=5.0)


# -- construction ---------------------------------------------------------------------------


def test_client_without_arguments_reads_xpay_base_url(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPAY_BASE_URL", mock.url + "/")
    client = xpay_auth.Client()
    assert client.base_url == mock.url
    assert client.authenticate(USERNAME, SECRET).user.username == USERNAME


def test_client_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XPAY_BASE_URL", raising=False)
    assert xpay_auth.Client().base_url == "https://apis.xpay.stream"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "http://10.0.0.1"},
        {"base_url": "ftp://127.0.0.1"},
        {"base_url": "not a url"},
        {"timeout": 0.0},
        {"timeout": -1.0},
        {"timeout": math.nan},
        {"timeout": math.inf},
        {"max_retries": -1},
        {"max_retries": 2**40},
        {"connect_timeout": -0.5},
        {"max_body_bytes": 0},
        {"user_agent": "bad\nagent"},
        {"refresh_before": -1.0},
    ],
)
@pytest.mark.parametrize("cls", [xpay_auth.Client, xpay_auth.AsyncClient])
def test_bad_options_are_invalid_arguments(cls: Any, kwargs: Any) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError) as info:
        cls(**{"base_url": "http://127.0.0.1:1", **kwargs})
    assert isinstance(info.value, ValueError)
    assert info.value.code == "invalid_argument"


def test_wrong_option_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        xpay_auth.Client("http://127.0.0.1:1", timeout="soon")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        xpay_auth.Client("http://127.0.0.1:1", nonsense=1)  # type: ignore[call-arg]


def test_options_are_used(mock: Mock) -> None:
    client = xpay_auth.Client(
        mock.url, timeout=5.0, max_retries=0, connect_timeout=1.0, user_agent="mine/1",
        max_body_bytes=64, refresh_before=1.0,
    )
    with pytest.raises(xpay_auth.DecodeError):  # a login reply is longer than 64 bytes
        client.authenticate(USERNAME, SECRET)
    assert mock.requests()[-1]["headers"]["user-agent"] == "mine/1"


def test_result_types_cannot_be_built_from_python() -> None:
    for cls in (xpay_auth.Authentication, xpay_auth.User, xpay_auth.Session, xpay_auth.AsyncSession):
        with pytest.raises(TypeError):
            cls()


# -- authenticate ---------------------------------------------------------------------------


def test_authenticate(client: xpay_auth.Client, mock: Mock) -> None:
    auth = client.authenticate(USERNAME, SECRET)
    assert auth.access_token.startswith("eyJ")
    assert isinstance(auth.expires_at, int) and auth.expires_at > 1_600_000_000_000
    assert auth.user.username == USERNAME
    assert auth.user.scopes == ["tme_user"]
    assert auth.user.is_api is True
    assert len(auth.ticket) == 32
    assert auth.uuid == mock.requests()[-1]["headers"]["uuid"]
    assert auth.message == "Authenticated"
    assert mock.requests()[-1]["json"] == {"username": USERNAME, "secretKey": SECRET, "isAPI": True}


def test_authenticate_is_api_false(client: xpay_auth.Client, mock: Mock) -> None:
    assert client.authenticate(USERNAME, SECRET, is_api=False).user.is_api is False
    assert mock.requests()[-1]["json"]["isAPI"] is False


def test_authenticate_does_not_cache(client: xpay_auth.Client, mock: Mock) -> None:
    first = client.authenticate(USERNAME, SECRET)
    second = client.authenticate(USERNAME, SECRET)
    assert first.access_token != second.access_token
    assert mock.count("/client/authenticate") == 2


@pytest.mark.parametrize("username, secret", [("", SECRET), ("  ", SECRET), (USERNAME, "")])
def test_empty_credentials_fail_before_io(client: xpay_auth.Client, mock: Mock, username: str, secret: str) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError):
        client.authenticate(username, secret)
    assert mock.count("/client/authenticate") == 0


def test_credentials_must_be_strings(client: xpay_auth.Client) -> None:
    with pytest.raises(TypeError):
        client.authenticate(None, SECRET)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.authenticate(USERNAME, SECRET, is_api="yes")  # type: ignore[arg-type]


# -- session --------------------------------------------------------------------------------


def test_session_caches_and_invalidates(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    assert session.username == USERNAME
    token = session.access_token()
    assert session.access_token() == token
    assert session.authentication().access_token == token
    assert mock.count("/client/authenticate") == 1
    session.invalidate()
    assert session.access_token() != token
    assert mock.count("/client/authenticate") == 2


def test_session_from_environment(client: xpay_auth.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XPAY_USERNAME", USERNAME)
    monkeypatch.setenv("XPAY_SECRET_KEY", SECRET)
    session = client.session()
    assert session.username == USERNAME
    assert session.access_token().startswith("eyJ")


def test_session_from_missing_environment(client: xpay_auth.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XPAY_USERNAME", raising=False)
    monkeypatch.setenv("XPAY_SECRET_KEY", SECRET)
    with pytest.raises(xpay_auth.InvalidArgumentError, match="XPAY_USERNAME"):
        client.session()


def test_session_needs_both_credentials_or_neither(client: xpay_auth.Client) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError):
        client.session(USERNAME)
    with pytest.raises(xpay_auth.InvalidArgumentError):
        client.session(secret_key=SECRET)


def test_session_is_api_false(client: xpay_auth.Client, mock: Mock) -> None:
    assert client.session(USERNAME, SECRET, is_api=False).authentication().user.is_api is False
    assert mock.requests()[-1]["json"]["isAPI"] is False


# -- call -----------------------------------------------------------------------------------

BODIES = [
    {"a": 1},
    [1, "two", 3.5, None, True, False],
    "text",
    42,
    -(2**63),
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**30,
    {"wei": 18_500_000_000_000_000_000, "list": [-(10**40), 3]},
    1.25,
    True,
    None,
    {"nested": {"list": [{"x": []}, {}], "unicode": "žluťoučký 🐍"}},
]


@pytest.mark.parametrize("body", BODIES)
def test_call_round_trips_json_values(client: xpay_auth.Client, body: Any) -> None:
    session = client.session(USERNAME, SECRET)
    got = session.call("/client/echo", body)
    assert got == body
    assert type(got) is type(body)


def test_call_tuple_is_a_list_and_no_body_is_null(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    assert session.call("/client/echo", (1, 2)) == [1, 2]
    assert session.call("/client/echo") is None
    assert mock.requests()[-1]["body"] == "null"


def test_call_sends_bearer_uuid_and_user_agent(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    session.call("/client/echo", {"a": 1}, uuid="11111111-2222-4333-8444-555555555555")
    last = mock.requests()[-1]
    assert last["headers"]["authorization"] == "Bearer " + session.access_token()
    assert last["headers"]["uuid"] == "11111111-2222-4333-8444-555555555555"
    assert last["headers"]["user-agent"] == f"xpay-auth-python/{xpay_auth.__version__}"
    assert xpay_auth.USER_AGENT == f"xpay-auth-python/{xpay_auth.__version__}"


class Unserialisable:
    pass


def self_containing() -> Any:
    items: Any = []
    items.append(items)
    return items


@pytest.mark.parametrize(
    "body",
    [{1: "int key"}, {"a": {1, 2}}, Unserialisable(), math.nan, [math.inf],
     b"bytes", self_containing(), {"a": "\ud800"}],
)
def test_call_with_unusable_body_sends_nothing(client: xpay_auth.Client, mock: Mock, body: Any) -> None:
    session = client.session(USERNAME, SECRET)
    with pytest.raises(xpay_auth.InvalidArgumentError, match="JSON"):
        session.call("/client/echo", body)
    assert mock.count("/client/echo") == 0
    assert mock.count("/client/authenticate") == 0


def test_call_sends_and_returns_big_ints_exactly(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    assert session.call("/client/echo", {"amount": 10**30}) == {"amount": 10**30}
    assert mock.requests()[-1]["body"] == '{"amount":1000000000000000000000000000000}'
    mock.queue("/client/echo", [{"status": 200, "body": '{"success":{"data":{"b":123456789012345678901234567890}}}'}])
    assert session.call("/client/echo", {}) == {"b": 123456789012345678901234567890}


def test_call_raw_is_byte_for_byte(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    text = '{ "amount" : 123456789012345678901234567890.10 , "fee": 1E2 }'
    assert session.call_raw("/client/echo", text) == text
    assert mock.requests()[-1]["body"] == text
    assert session.call_raw("/client/echo", text.encode(), uuid="my-ref") == text
    assert mock.requests()[-1]["headers"]["uuid"] == "my-ref"


@pytest.mark.parametrize("text", ['{"a": 1', "1 2", "", b"\xff", 42])
def test_call_raw_refuses_what_is_not_one_json_value(client: xpay_auth.Client, mock: Mock, text: Any) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError):
        client.session(USERNAME, SECRET).call_raw("/client/echo", text)
    assert mock.count("/client/echo") == 0
    assert mock.count("/client/authenticate") == 0


@pytest.mark.parametrize("uuid", ["a\nb", "caf\u00e9", ""])
def test_call_with_a_bad_uuid_sends_nothing(client: xpay_auth.Client, mock: Mock, uuid: str) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError, match="uuid"):
        client.session(USERNAME, SECRET).call("/client/echo", {}, uuid=uuid)
    assert mock.count("/client/authenticate") == 0


@pytest.mark.parametrize("path", ["client/echo", "//evil.example/x", "https://x/y", "/a b", "", "/client/../x", "/client/%2E%2e/x"])
def test_call_with_bad_path_sends_nothing(client: xpay_auth.Client, mock: Mock, path: str) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError):
        client.session(USERNAME, SECRET).call(path, {})
    assert mock.count("/client/echo") == 0


def test_call_relogs_in_after_401(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    old = session.access_token()
    mock.revoke()
    assert session.call("/client/echo", {"again": True}) == {"again": True}
    assert session.access_token() != old


# -- close, context manager, repr -----------------------------------------------------------


def test_close_and_context_manager(mock: Mock) -> None:
    with xpay_auth.Client(mock.url) as client:
        assert client.closed is False
        session = client.session(USERNAME, SECRET)
        session.access_token()
    assert client.closed is True
    with pytest.raises(xpay_auth.InvalidArgumentError, match="closed"):
        client.authenticate(USERNAME, SECRET)
    session.invalidate()
    with pytest.raises(xpay_auth.InvalidArgumentError, match="closed"):
        session.access_token()
    client.close()  # twice is harmless


def test_context_manager_closes_on_error(mock: Mock) -> None:
    with pytest.raises(KeyError):
        with xpay_auth.Client(mock.url) as client:
            raise KeyError("x")
    assert client.closed


def test_reprs_are_useful_and_hide_secrets(client: xpay_auth.Client, mock: Mock) -> None:
    session = client.session(USERNAME, SECRET)
    auth = session.authentication()
    token = auth.access_token
    texts = {
        "client": repr(client),
        "session": repr(session),
        "auth": repr(auth),
        "str auth": str(auth),
        "user": repr(auth.user),
    }
    assert texts["client"] == f"<xpay_auth.Client base_url='{mock.url}' timeout=5.0 max_retries=2 closed=False>"
    assert texts["session"] == f"<xpay_auth.Session username='{USERNAME}' base_url='{mock.url}'>"
    assert f"access_token='{token[:6]}…({len(token)} chars)'" in texts["auth"]
    assert f"ticket='{auth.ticket}'" in texts["auth"]
    assert texts["user"] == f"User(username='{USERNAME}', scopes=['tme_user'], is_api=True)"
    for name, text in texts.items():
        assert SECRET not in text, name
        assert token not in text, name
        assert token[6:20] not in text, name


def test_repr_of_a_refused_client_error_hides_the_secret() -> None:
    client = xpay_auth.Client(refused_url(), max_retries=0)
    with pytest.raises(xpay_auth.APIConnectionError) as info:
        client.authenticate(USERNAME, "very-secret-value")
    for text in (repr(info.value), str(info.value), repr(info.value.__dict__)):
        assert "very-secret-value" not in text
