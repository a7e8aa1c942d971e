"""Corporate networks: the TLS and proxy keywords of Client and AsyncClient, checked when the
client is made. (Trusting a private CA, mutual TLS and the proxies themselves are the shared
scenarios of tests/conformance/networks.json, run by tests/testee.py in both faces.)"""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock

CLIENTS = [xpay_auth.Client, xpay_auth.AsyncClient]


@pytest.mark.parametrize("cls", CLIENTS)
@pytest.mark.parametrize(
    "kwargs, says",
    [
        ({"ca_bundle": b"not a certificate"}, "CA bundle"),
        ({"ca_bundle": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "CA bundle"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
        ({"ca_bundle": pathlib.Path("/nonexistent/ca.pem")}, "/nonexistent/ca.pem"),
        ({"ca_bundle": 42}, "ca_bundle"),
        ({"tls_roots": "everything"}, "tls_roots"),
        ({"client_cert": b"-----BEGIN CERTIFICATE-----\n"}, "client_key"),
        ({"client_key": b"key"}, "client_cert"),
        ({"client_cert": "/nonexistent/c.pem", "client_key": "/nonexistent/c.key"}, "client_cert"),
        ({"proxy": "ftp://user:hunter2@127.0.0.1:21"}, "proxy"),
        ({"proxy": "http://"}, "proxy"),
    ],
)
def test_bad_network_options_are_invalid_arguments(cls: Any, kwargs: Any, says: str, mock: Mock) -> None:
    with pytest.raises(xpay_auth.InvalidArgumentError) as info:
        cls(mock.url, **kwargs)
    assert says in str(info.value)
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)
    assert mock.count("/client/authenticate") == 0


@pytest.mark.parametrize("cls", CLIENTS)
def test_network_options_that_parse_make_a_client(cls: Any) -> None:
    for roots in ("system+bundled", "system", "bundled", "none"):
        cls("http://127.0.0.1:9", tls_roots=roots, proxy="socks5://user:pw@127.0.0.1:1080")
    cls("https://apis.xpay.stream", proxy="https://proxy.example:8443")


def test_an_explicit_proxy_is_used_for_loopback(mock: Mock) -> None:
    # Nothing listens on the proxy's port: the login fails to connect, naming the proxy (never
    # its password), and the mock sees nothing.
    client = xpay_auth.Client(mock.url, max_retries=0, proxy="http://u:hunter2@127.0.0.1:9")
    with pytest.raises(xpay_auth.APIConnectionError) as info:
        client.authenticate(USERNAME, SECRET)
    assert "http://127.0.0.1:9" in str(info.value)
    assert "hunter2" not in str(info.value)
    assert mock.count("/client/authenticate") == 0
