"""The Teamleader source passes connector's conformance suite for sources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.contract import SourceContract
from connector.records import PaymentTerm
from connector.services import ServiceContext
from connector_teamleader.sandbox import TeamleaderSandbox, start_sandbox
from connector_teamleader.source import TeamleaderSource


def connected(server: TeamleaderSandbox) -> TeamleaderSource:
    env = server.environment
    options = {
        "department": "Acme BV",
        "client_id": env["TEAMLEADER_CLIENT_ID"],
        "client_secret": env["TEAMLEADER_CLIENT_SECRET"],
        "api_url": env["TEAMLEADER_API_URL"],
        "auth_url": env["TEAMLEADER_AUTH_URL"],
    }
    source = TeamleaderSource(options, ServiceContext("acme", "source", clock=server.clock.now))
    source.authorize(refresh_token=server.refresh_token())
    return source


@pytest.fixture
def server() -> Iterator[TeamleaderSandbox]:
    started = start_sandbox(seed=True, port=0)
    yield started
    started.stop()


class TestTeamleaderSourceContract(SourceContract):
    @pytest.fixture
    def source(self, server: TeamleaderSandbox) -> Iterator[TeamleaderSource]:  # type: ignore[override]
        source = connected(server)
        yield source
        source.close()


def test_the_default_payment_term_is_read_from_payment_terms_meta(server: TeamleaderSandbox) -> None:
    """The demo account's default term is 14 days after the invoice date (paymentTerms.list meta)."""
    source = connected(server)
    try:
        assert source.default_payment_term() == PaymentTerm("after_invoice_date", 14)
    finally:
        source.close()
