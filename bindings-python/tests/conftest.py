"""Fixtures: a real xpay-mock on a free loopback port, reset before each test that uses it."""

from __future__ import annotations

from typing import Iterator

import pytest

from mockserver import Mock

@pytest.fixture(scope="session")
def shared_mock() -> Iterator[Mock]:
    mock = Mock()
    yield mock
    mock.close()


@pytest.fixture
def mock(shared_mock: Mock) -> Mock:
    """The shared mock, reset: default account, no queued replies, counts at zero."""
    shared_mock.reset()
    return shared_mock


@pytest.fixture
def own_mock() -> Iterator[Mock]:
    """A mock of the test's own, for tests that look at its connections."""
    mock = Mock()
    yield mock
    mock.close()
