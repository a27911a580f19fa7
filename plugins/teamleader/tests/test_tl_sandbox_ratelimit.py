"""The simulated rate limit: a sliding minute per client id, with its headers (notes §5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

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


def test_reset_is_an_iso_datetime_not_epoch_seconds(limited: tuple[TeamleaderSandbox, httpx.Client]) -> None:
    _, client = limited
    value = client.post("/users.me", json={}).headers["X-RateLimit-Reset"]
    assert "T" in value and datetime.fromisoformat(value).tzinfo is not None


def test_default_limit_is_200(api: object) -> None:
    response = api("users.me")  # type: ignore[operator]
    assert response.headers["X-RateLimit-Limit"] == "200"
