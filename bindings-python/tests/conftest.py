"""Fixtures: the xpay-mock that tests/with-mock.sh started, reset before each test that uses it."""

from __future__ import annotations

import pytest

from mockctl import Mock, the_mock


@pytest.fixture(scope="session")
def shared_mock() -> Mock:
    return the_mock()


@pytest.fixture
def mock(shared_mock: Mock) -> Mock:
    """The mock, reset: default account, no queued replies, counts at zero."""
    shared_mock.reset()
    return shared_mock
