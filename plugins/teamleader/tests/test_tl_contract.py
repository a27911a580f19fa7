"""The Teamleader source passes connector's conformance suite for sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from connector.contract.records import PaymentTerm
from connector.contract.services import ServiceContext
from connector.testing.contract import SourceContract
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


def test_documents_known_at_the_cursors_moment_are_not_read_again(server: TeamleaderSandbox) -> None:
    """Teamleader's updated_since includes its own second: what the caller already has is skipped."""
    source = connected(server)
    try:
        invoice = server.book_invoice(
            department="Acme BV", customer="Bakkerij Peeters BV", date="2026-11-27", lines=[{"price": 10}]
        )
        [first] = [
            d
            for d in source.documents(kinds=("invoice",), start_date=date(2026, 11, 1), updated_since=None)
            if d.id == invoice.id
        ]
        assert first.updated_at is not None
        calls = len(server.calls)
        again = list(
            source.documents(
                kinds=("invoice",),
                start_date=date(2026, 11, 1),
                updated_since=first.updated_at,
                unchanged={first.key},
            )
        )
        assert first.key not in {d.key for d in again}
        assert not [c for c in server.calls[calls:] if c.path.endswith(".info")], "no .info for it"
        listed = source.documents(
            kinds=("invoice",), start_date=date(2026, 11, 1), updated_since=first.updated_at
        )
        assert first.key in {d.key for d in listed}, "without `unchanged` the filter includes its moment"
    finally:
        source.close()
