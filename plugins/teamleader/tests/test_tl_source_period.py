"""The Teamleader source reading one period for `connector reconcile`, against the simulator: both
date bounds included for both kinds, only booked documents of the department, and a count whose
listing the read reuses, so the read costs no more than the count said."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore
from connector_teamleader.sandbox import TeamleaderSandbox
from connector_teamleader.source import TeamleaderSource

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
CUSTOMER = "Pied Piper BV"


@pytest.fixture
def source(bare: TeamleaderSandbox) -> Iterator[TeamleaderSource]:
    env = bare.environment
    context = ServiceContext(
        "acme", "source", tokens=MemoryTokenStore(), clock=bare.clock.now, sleep=bare.advance
    )
    options = {
        "plugin": "teamleader",
        "department": "Acme BV",
        "client_id": env["TEAMLEADER_CLIENT_ID"],
        "client_secret": env["TEAMLEADER_CLIENT_SECRET"],
        "api_url": env["TEAMLEADER_API_URL"],
        "auth_url": env["TEAMLEADER_AUTH_URL"],
    }
    connected = TeamleaderSource(options, context)
    connected.authorize(refresh_token=bare.refresh_token())
    yield connected
    connected.close()


def invoice(sandbox: TeamleaderSandbox, on: str, **extra: object) -> str:
    return str(
        sandbox.book_invoice(customer=CUSTOMER, date=on, lines=[{"price": 100}], **extra).invoice_number
    )


def api_calls(source: TeamleaderSource) -> int:
    return sum(n for endpoint, n in source.context.calls.items() if "oauth" not in endpoint)


def test_a_period_holds_both_of_its_last_days_and_nothing_around_them(
    bare: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    invoice(bare, "2026-02-28")
    first, last = invoice(bare, "2026-03-01"), invoice(bare, "2026-03-31")
    invoice(bare, "2026-04-01")
    invoice(bare, "2026-03-15", draft=True)
    bare.book_invoice(
        customer=CUSTOMER, department="Acme Services BV", date="2026-03-10", lines=[{"price": 5}]
    )
    credited = bare.book_invoice(customer=CUSTOMER, date="2026-02-20", lines=[{"price": 30}])
    bare.credit(credited.id, "2026-03-31")  # a credit note's `_before` bound is exclusive: still in
    other = bare.book_invoice(customer=CUSTOMER, date="2026-02-21", lines=[{"price": 30}])
    bare.credit(other.id, "2026-04-01")

    found = list(source.booked_documents(["invoice", "credit_note"], *MARCH))

    assert sorted((d.kind, d.number) for d in found) == [
        ("credit_note", "2026 / 1"),
        ("invoice", first),
        ("invoice", last),
    ]
    assert all(d.customer.name == CUSTOMER for d in found)


def test_the_count_lists_once_and_the_read_stays_within_what_it_said(
    bare: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    for day in range(1, 6):
        invoice(bare, f"2026-03-0{day}")

    cost = source.count_booked(["invoice", "credit_note"], *MARCH)
    counted = api_calls(source)
    found = list(source.booked_documents(["invoice", "credit_note"], *MARCH))

    assert cost.records == 5 and len(found) == 5
    assert cost.spent == counted  # the department and one list page per kind
    assert api_calls(source) <= cost.calls
    assert source.context.calls.get("invoices.list") == 1  # the read used the count's listing
