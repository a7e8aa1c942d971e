"""Python logging receives the core's request lines (logger xpay_auth), never secrets."""

from __future__ import annotations

import logging

import pytest

import xpay_auth
from mockctl import SECRET, USERNAME, Mock


def test_request_lines_reach_python_logging(mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="xpay_auth")
    session = xpay_auth.Client(mock.url).session(USERNAME, SECRET)
    session.call("/client/echo", {"a": 1}, uuid="11111111-2222-4333-8444-555555555555")
    token = session.access_token()
    with pytest.raises(xpay_auth.AuthenticationError):
        xpay_auth.Client(mock.url).authenticate(USERNAME, "wrong-secret-value")

    ours = [r for r in caplog.records if r.name == "xpay_auth"]
    lines = [r.getMessage() for r in ours]
    assert any("/client/echo" in line and "11111111-2222-4333-8444-555555555555" in line and "status=200" in line for line in lines), lines
    assert any("/client/authenticate" in line for line in lines), lines
    # One record per request: the span's mirror records are not forwarded.
    everything = [r.getMessage() for r in caplog.records if r.name.startswith("xpay_auth")]
    assert sum("/client/echo" in line for line in everything) == 1, everything
    assert not any(line.startswith("xpay_request") for line in everything), everything
    for line in lines:
        assert SECRET not in line and "wrong-secret-value" not in line and token not in line


def test_logger_level_is_honoured(mock: Mock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="xpay_auth")
    xpay_auth.Client(mock.url).session(USERNAME, SECRET).call("/client/echo", {})
    assert [r for r in caplog.records if r.name == "xpay_auth" and r.levelno < logging.WARNING] == []
