"""Fixtures for the Teamleader plugin's tests: a simulator on a free loopback port, and API clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from teamleader_fake import FakeTeamleader, make_source

from connector.contract.tokens import MemoryTokenStore, Tokens
from connector.testing import FakeClock
from connector_teamleader.sandbox import TeamleaderSandbox, start_sandbox
from connector_teamleader.source import TeamleaderSource


@pytest.fixture
def sandbox() -> Iterator[TeamleaderSandbox]:
    """The simulator with its demo data."""
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture
def bare() -> Iterator[TeamleaderSandbox]:
    """The simulator with one department (21%, 12%, 6%, 0%), two companies, and nothing booked."""
    server = start_sandbox(seed=False)
    server.seed(
        {
            "departments": [
                {
                    "name": "Acme BV",
                    "vat_number": "BE0456789012",
                    "tax_rates": [
                        {"description": "21%", "rate": "0.21"},
                        {"description": "12%", "rate": "0.12"},
                        {"description": "6%", "rate": "0.06"},
                        {"description": "0%", "rate": "0"},
                    ],
                },
                {"name": "Acme Services BV", "tax_rates": [{"description": "21%", "rate": "0.21"}]},
            ],
            "payment_terms": [{"type": "after_invoice_date", "days": 14, "default": True}],
            "companies": [
                {
                    "name": "Pied Piper BV",
                    "vat_number": "BE0899623035",
                    "emails": [{"type": "invoicing", "email": "invoices@piedpiper.example"}],
                },
                {"name": "Hooli B.V.", "vat_number": "NL123456782B01"},
            ],
        }
    )
    yield server
    server.stop()


class Api:
    """A thin client of the simulated API: `api("invoices.list", {...})` posts JSON with a bearer token."""

    def __init__(self, server: TeamleaderSandbox) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=5, trust_env=False)
        self.token, self.refresh = server.issue_tokens()

    def __call__(self, endpoint: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(
            f"/{endpoint}", json=body or {}, headers={"Authorization": f"Bearer {self.token}"}
        )

    def data(self, endpoint: str, body: dict[str, Any] | None = None) -> Any:
        response = self(endpoint, body)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def all_pages(self, endpoint: str, body: dict[str, Any], size: int = 100) -> list[dict[str, Any]]:
        """Page the way a client must when there is no `meta`: until a short page."""
        items: list[dict[str, Any]] = []
        number = 1
        while True:
            page = self.data(endpoint, {**body, "page": {"size": size, "number": number}})
            items += page
            if len(page) < size:
                return items
            number += 1


@pytest.fixture
def api(sandbox: TeamleaderSandbox) -> Iterator[Api]:
    client = Api(sandbox)
    yield client
    client.http.close()


@pytest.fixture
def bare_api(bare: TeamleaderSandbox) -> Iterator[Api]:
    client = Api(bare)
    yield client
    client.http.close()


# -- the scripted Teamleader of the source's unit tests (teamleader_fake.py) --------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(clock: FakeClock) -> MemoryTokenStore:
    return MemoryTokenStore(Tokens("access-0", "refresh-0", clock.now() + timedelta(hours=1), clock.now()))


@pytest.fixture
def fake(store: MemoryTokenStore) -> FakeTeamleader:
    return FakeTeamleader(store)


@pytest.fixture
def source(fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock) -> TeamleaderSource:
    return make_source(fake, store, clock)
