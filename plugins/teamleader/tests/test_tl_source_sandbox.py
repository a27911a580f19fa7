"""The Teamleader source end to end against the Teamleader simulator over loopback HTTP.

The source's clock is the simulator's and its `sleep` moves that clock, so waiting for a rate-limit
reset or for a token to expire costs no real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from connector.contract.errors import AuthorizationNeeded
from connector.contract.records import Document
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore
from connector_teamleader.sandbox import TeamleaderSandbox, start_sandbox
from connector_teamleader.source import TeamleaderSource

START = date(2026, 2, 1)


@pytest.fixture
def tl_sandbox() -> Iterator[TeamleaderSandbox]:
    server = start_sandbox(seed=True, port=0)
    yield server
    server.stop()


def connect(
    server: TeamleaderSandbox, store: MemoryTokenStore | None = None, **extra: str
) -> TeamleaderSource:
    """A source configured from the sandbox's environment, the way `examples/demo.yaml` points at it."""
    env = server.environment
    context = ServiceContext(
        "acme",
        "source",
        tokens=store or MemoryTokenStore(),
        clock=server.clock.now,
        sleep=lambda seconds: _advance(server, seconds),
    )
    options = {
        "plugin": "teamleader",
        "department": "Acme BV",
        "client_id": env["TEAMLEADER_CLIENT_ID"],
        "client_secret": env["TEAMLEADER_CLIENT_SECRET"],
        "api_url": env["TEAMLEADER_API_URL"],
        "auth_url": env["TEAMLEADER_AUTH_URL"],
        **extra,
    }
    return TeamleaderSource(options, context)


def _advance(server: TeamleaderSandbox, seconds: float) -> None:
    """The source's `sleep`: move the simulator's clock instead of waiting."""
    server.advance(seconds)


@pytest.fixture
def source(tl_sandbox: TeamleaderSandbox) -> Iterator[TeamleaderSource]:
    connected = connect(tl_sandbox)
    connected.authorize(refresh_token=tl_sandbox.refresh_token())
    yield connected
    connected.close()


def documents(source: TeamleaderSource, **kwargs: object) -> list[Document]:
    arguments: dict[str, object] = {
        "kinds": ["invoice", "credit_note"],
        "start_date": START,
        "updated_since": None,
    }
    arguments.update(kwargs)
    return list(source.documents(**arguments))  # type: ignore[arg-type]


def test_sandbox_authorization_names_the_demo_user(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    user = tl_sandbox.store.user
    assert source.check_authorization() == f"{user.first_name} {user.last_name} <{user.email}>"


def test_sandbox_lists_exactly_the_booked_documents_of_the_department(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    department = tl_sandbox.department_id("Acme BV")
    expected = {
        f"invoice:{i.id}"
        for i in tl_sandbox.invoices.values()
        if i.department_id == department
        and i.status != "draft"
        and i.invoice_date
        and i.invoice_date >= START
    } | {
        f"credit_note:{n.id}"
        for n in tl_sandbox.credit_notes.values()
        if n.department_id == department and n.credit_note_date and n.credit_note_date >= START
    }
    assert any(i.status == "draft" for i in tl_sandbox.invoices.values()), "the demo data has drafts"
    assert any(i.department_id != department for i in tl_sandbox.invoices.values()), "and another department"
    found = documents(source)
    assert {d.key for d in found} == expected
    assert len(found) == len(expected)
    for document in found:
        assert document.date >= START and document.department_id == department
        assert document.customer.name and document.lines
        by_rate: dict[Decimal, Decimal] = {}
        for line in document.lines:
            by_rate[line.tax_rate.rate] = by_rate.get(line.tax_rate.rate, Decimal(0)) + line.amount
        if not document.discounts:  # without commercial discounts the lines add up per rate
            assert {t.rate: t.taxable for t in document.totals.taxes} == by_rate


def test_sandbox_carries_currency_and_discounts_through(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    found = documents(source, start_date=date(2026, 1, 1), kinds=["invoice"])
    usd = [d for d in found if d.currency == "USD"]
    assert usd and usd[0].exchange_rate == Decimal("0.92")  # 1 USD = 0.92 EUR
    info = tl_sandbox.invoice_info(usd[0].id)
    assert usd[0].totals.tax_inclusive == Decimal(str(info["total"]["tax_inclusive"]["amount"]))
    assert any(d.discounts for d in found) and any(line.discount for d in found for line in d.lines)


def test_sandbox_incremental_sync_returns_only_what_changed(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    documents(source)
    tl_sandbox.advance(120)
    since = tl_sandbox.clock.now()
    tl_sandbox.advance(5)
    booked = tl_sandbox.book_invoice(
        customer="Brouwerij De Klok BV", date="2026-03-02", lines=[{"price": 100, "tax": "21%"}]
    )
    changed = documents(source, updated_since=since)
    assert [d.key for d in changed] == [f"invoice:{booked.id}"]
    assert changed[0].customer.name == "Brouwerij De Klok BV"
    assert changed[0].totals.tax_inclusive == Decimal("121.00")


def test_sandbox_mark_paid_registers_the_due_amount_once(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    invoice = tl_sandbox.book_invoice(
        customer="Bakkerij Peeters BV",
        date="2026-03-02",
        lines=[{"price": 200, "tax": "6%"}],
        payments=[{"amount": 12}],
    )
    payment = source.mark_paid(invoice.id, date(2026, 3, 20))
    assert payment is not None and payment.amount == Decimal("200.00")
    assert (payment.currency, payment.paid_at.isoformat()) == ("EUR", "2026-03-20T00:00:00+00:00")
    info = tl_sandbox.invoice_info(invoice.id)
    assert (info["paid"], info["status"], info["total"]["due"]["amount"]) == (True, "matched", 0)
    assert info["payments"][-1] == {
        "paid_at": "2026-03-20T00:00:00+00:00",
        "payment": {"amount": 200, "currency": "EUR"},
    }
    assert source.mark_paid(invoice.id, date(2026, 3, 21)) is None
    assert len(tl_sandbox.invoice_info(invoice.id)["payments"]) == 2


@pytest.mark.parametrize("orientation", ["home_per_foreign", "foreign_per_home"])
def test_sandbox_usd_rate_reaches_the_connector_as_euro_per_dollar_either_way(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource, orientation: str
) -> None:
    tl_sandbox.store.market.set_orientation(orientation)
    [usd] = [
        d for d in documents(source, start_date=date(2026, 1, 1), kinds=["invoice"]) if d.currency == "USD"
    ]
    assert usd.failure is None and abs(usd.exchange_rate - Decimal("0.92")) < Decimal("0.00001")  # type: ignore[operator]


def test_sandbox_a_peppol_receiver_paid_message_is_not_a_payment(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    """`receiver_paid` is what the customer's access point says (notes §"Evidence 2026-12"), not a
    payment: the invoice stays open, and once the bookkeeping says it is paid it is registered."""
    invoice = tl_sandbox.book_invoice(
        customer="Bakkerij Peeters BV", date="2026-03-02", lines=[{"price": 200, "tax": "6%"}]
    )
    answer = httpx.post(
        f"{tl_sandbox.url}/_sandbox/invoices/{invoice.id}/peppol", json={"status": "receiver_paid"}
    )
    assert answer.status_code == 200
    info = tl_sandbox.invoice_info(invoice.id)
    assert (info["peppol_status"], info["paid"], info["total"]["due"]["amount"]) == (
        "receiver_paid",
        False,
        212,
    )
    [document] = [d for d in documents(source) if d.id == invoice.id]
    assert document.paid is False
    payment = source.mark_paid(invoice.id, date(2026, 3, 20))
    assert payment is not None and payment.amount == Decimal("212.00")
    assert tl_sandbox.invoice_info(invoice.id)["paid"] is True


def test_sandbox_finds_a_customer_by_its_vat_number(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    from connector.contract.records import Customer

    company = next(
        c for c in tl_sandbox.companies.values() if str(c.get("vat_number") or "").startswith("BE")
    )
    vat = str(company.get("vat_number"))
    written = f"{vat[:2]} {vat[2:6]}.{vat[6:9]}.{vat[9:]}"
    customer = Customer(id="exact-1", kind="company", name="whatever", vat_number=written)
    assert source.find_customer(customer, ["vat_number"]) == company.id


def test_sandbox_tokens_rotate_and_the_old_refresh_token_dies(tl_sandbox: TeamleaderSandbox) -> None:
    first = tl_sandbox.refresh_token()
    store = MemoryTokenStore()
    source = connect(tl_sandbox, store)
    source.authorize(refresh_token=first)
    issued = store.tokens
    assert issued is not None and issued.refresh_token != first
    tl_sandbox.advance(3600)  # the access token expired
    assert source.check_authorization()
    assert store.tokens is not None and store.tokens.refresh_token != issued.refresh_token
    with pytest.raises(AuthorizationNeeded, match="connector auth RULES source"):
        connect(tl_sandbox).authorize(refresh_token=first)
    source.close()


def test_sandbox_rate_budget_is_respected_without_earning_a_429() -> None:
    """With room for 20 calls a minute, a longer read waits for the window instead of being refused."""
    server = start_sandbox(seed=True, port=0, rate_limit=20)
    try:
        source = connect(server)
        source.authorize(refresh_token=server.refresh_token())
        found = documents(source, kinds=["invoice"], start_date=date(2026, 3, 1))
        expected = [
            i
            for i in server.invoices.values()
            if i.department_id == server.department_id()
            and i.status != "draft"
            and i.invoice_date
            and i.invoice_date >= date(2026, 3, 1)
        ]
        assert len(found) == len(expected) > 20
        assert source.client.retries == 0 and source.client.governor.waited > 0
        source.close()
    finally:
        server.stop()


def test_sandbox_429_is_waited_out_until_its_iso_reset() -> None:
    """Another process of the same integration spent the minute: the source waits for the reset."""
    server = start_sandbox(seed=True, port=0, rate_limit=5)
    try:
        source = connect(server)
        source.authorize(refresh_token=server.refresh_token())
        access, _ = server.issue_tokens()
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            for _ in range(5):
                http.post("/users.me", json={}, headers={"Authorization": f"Bearer {access}"})
        before = server.clock.now()
        assert source.check_authorization()
        assert source.client.retries == 1
        assert timedelta(seconds=55) <= server.clock.now() - before <= timedelta(seconds=62)
        source.close()
    finally:
        server.stop()


def test_sandbox_imported_company_is_created_then_found_and_updated_in_place(
    tl_sandbox: TeamleaderSandbox, source: TeamleaderSource
) -> None:
    from connector.contract.records import Address, Customer

    imported = Customer(
        id="exact-42",
        kind="company",
        name="Nieuw Bedrijf BV",
        vat_number="BE0477.472.701",
        email="info@nieuw.example",
        address=Address("Kouter 1", "9000", "Gent", "BE"),
        language="nl",
        tags=("Exact Online Import",),
    )
    assert source.find_customer(imported, ["vat_number", "email", "name"]) is None
    ident = source.save_customer(imported, None)
    assert source.find_customer(imported, ["vat_number"]) == ident
    before = len(tl_sandbox.companies)
    source.save_customer(Customer(**{**imported.__dict__, "email": "hallo@nieuw.example"}), ident)
    assert len(tl_sandbox.companies) == before
    company = tl_sandbox.companies[ident]
    assert company.get("tags") == ["Exact Online Import"]
    assert company.email("primary") == "hallo@nieuw.example"
    assert company.primary_address() is not None and company.primary_address()["city"] == "Gent"
