"""Fixtures for the Exact Online simulator tests: a running sandbox and an authorized API client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_client, make_sandbox


@pytest.fixture
def sandbox() -> Iterator[ExactSandbox]:
    server = make_sandbox()
    yield server
    server.stop()


@pytest.fixture
def api(sandbox: ExactSandbox) -> Iterator[httpx.Client]:
    with api_client(sandbox) as client:
        yield client
