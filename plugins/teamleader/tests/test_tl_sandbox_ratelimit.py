"""The simulated rate limit: a sliding minute per integration and account, with its headers
(notes §5 and §"Evidence 2026-12")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from connector.contract.services import ServiceContext
from connector_teamleader.client import TeamleaderClient
from connector_teamleader.sandbox import TeamleaderSandbox, start_sandbox


@pytest.fixture
def limited() -> Iterator[tuple[TeamleaderSandbox, httpx.Client]]:
    server = start_sandbox(seed=False, rate_limit=5)
    access, _ = server.issue_tokens()
    headers = {"Authorization": f"Bearer {access}"}
    with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as client:
        yield server, client
    server.stop()


def test_headers_count_down_on_every_answer(limited: tuple[TeamleaderSandbox, httpx.Client]) -> None:
    _, client = limited
    remaining = [client.post("/users.me", json={}).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["4", "3", "2"]
    answer = client.post("/departments.list", json={})
    assert answer.headers["X-RateLimit-Limit"] == "5"
    assert answer.headers["X-RateLimit-Remaining"] == "1"


def test_errors_count_too(limited: tuple[TeamleaderSandbox, httpx.Client]) -> None:
    _, client = limited
    assert client.post("/nothing.here", json={}).headers["X-RateLimit-Remaining"] == "4"


def test_over_the_limit_is_429_until_the_oldest_request_leaves_the_window(
    limited: tuple[TeamleaderSandbox, httpx.Client],
) -> None:
    server, client = limited
    first = server.clock.now()
    for _ in range(5):
        assert client.post("/users.me", json={}).status_code == 200
        server.advance(1)
    refused = client.post("/users.me", json={})
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["status"] == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset = datetime.fromisoformat(refused.headers["X-RateLimit-Reset"])
    assert first + timedelta(seconds=59) <= reset <= first + timedelta(seconds=61)
    assert refused.headers["X-Api-Version"] == "2023-09-26"
    server.clock.set(reset)
    again = client.post("/users.me", json={})
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "0"
    assert client.post("/users.me", json={}).status_code == 429
    server.advance(60)
    assert client.post("/users.me", json={}).headers["X-RateLimit-Remaining"] == "4"


def test_reset_is_an_iso_datetime_with_milliseconds_and_an_offset(
    limited: tuple[TeamleaderSandbox, httpx.Client],
) -> None:
    """As the documentation's examples: `2023-03-29T10:05:08.123+01:00`, never epoch seconds."""
    server, client = limited
    server.advance(0.0004)  # a moment with a fraction of a millisecond: rounded up, never down
    before = server.clock.now()
    value = client.post("/users.me", json={}).headers["X-RateLimit-Reset"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+01:00", value), value
    assert datetime.fromisoformat(value) >= before + timedelta(seconds=60)


def test_each_integration_on_the_account_has_its_own_window(
    limited: tuple[TeamleaderSandbox, httpx.Client],
) -> None:
    server, client = limited
    for _ in range(5):
        client.post("/users.me", json={})
    assert client.post("/users.me", json={}).status_code == 429
    server.add_integration("second-integration", "second-secret")
    access, _ = server.issue_tokens("second-integration")
    other = httpx.post(
        f"{server.url}/users.me", json={}, headers={"Authorization": f"Bearer {access}"}, trust_env=False
    )
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"


def test_the_client_waits_until_the_reset_the_sandbox_writes() -> None:
    """The plugin's client reads the reset with milliseconds and offset as the right moment."""
    server = start_sandbox(seed=False, rate_limit=5)
    try:
        access, _ = server.issue_tokens()
        answer = httpx.post(
            f"{server.url}/users.me", json={}, headers={"Authorization": f"Bearer {access}"}, trust_env=False
        )
        context = ServiceContext("acme", "source", clock=server.clock.now)
        client = TeamleaderClient(server.url, context, lambda force: access)
        [budget] = client.budgets(answer)
        assert budget.resets_at == datetime.fromisoformat(answer.headers["X-RateLimit-Reset"])
        assert timedelta(seconds=55) < budget.resets_at - server.clock.now() <= timedelta(seconds=60.001)
        client.close()
    finally:
        server.stop()


def test_default_limit_is_200(api: object) -> None:
    response = api("users.me")  # type: ignore[operator]
    assert response.headers["X-RateLimit-Limit"] == "200"
