"""The Exact Online sink against the Exact simulator over real loopback HTTP, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from connector.contract.errors import ApiError, ConfigurationError, RetriableError
from connector.contract.records import Address, Customer, EntryLine, JournalEntry
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore
from connector.testing.sandbox import Fault
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_exact.sandbox.testing import api_client, make_sandbox
from connector_exact.sink import ExactOnlineSink

DEMO_CUSTOMER_VAT = "BE 0477.472.701"  # account 1001, stored as BE0477472701


@pytest.fixture
def exact_sandbox() -> Iterator[ExactSandbox]:
    server = make_sandbox()
    yield server
    server.stop()


def connect(sandbox: ExactSandbox, store: MemoryTokenStore | None = None) -> ExactOnlineSink:
    """A sink on the sandbox whose clock is the sandbox's: waiting for budget moves simulated time."""
    context = ServiceContext(
        "acme",
        "sink",
        tokens=store if store is not None else MemoryTokenStore(),
        clock=sandbox.clock.now,
        sleep=lambda seconds: sandbox.clock.advance(seconds),
    )
    options = {
        "plugin": "exact_online",
        "division": DIVISION,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "base_url": sandbox.url,
    }
    return ExactOnlineSink(options, context)


@pytest.fixture
def sink(exact_sandbox: ExactSandbox) -> Iterator[ExactOnlineSink]:
    connected = connect(exact_sandbox)
    connected.authorize(refresh_token=exact_sandbox.refresh_token())
    yield connected
    connected.close()


def entry(
    sink: ExactOnlineSink, kind: str, your_ref: str, amount: str = "100.00", vat: str = "21.00"
) -> JournalEntry:
    customer = sink.find_customer(
        Customer("tl-1", "company", "x", vat_number=DEMO_CUSTOMER_VAT), ["vat_number"]
    )
    assert customer is not None
    return JournalEntry(
        document_key=f"{kind}:{your_ref}",
        kind=kind,  # type: ignore[arg-type]
        journal="70" if kind == "invoice" else "71",
        your_ref=your_ref,
        customer_target_id=customer,
        date=date(2026, 2, 27),
        description=f"{your_ref} Brouwerij De Koperen Ketel BV",
        currency="EUR",
        payment_condition="30",
        lines=(
            EntryLine("7000", "4", Decimal(amount), Decimal(vat), "Consultancy"),
            EntryLine("7010", "2", Decimal("10.00"), Decimal("0.60"), "Books"),
        ),
    )


def stored_entry(sandbox: ExactSandbox, entry_id: str) -> dict:
    entries = sandbox.state()["divisions"][str(DIVISION)]["sales_entries"]
    [found] = [e for e in entries if e["EntryID"] == entry_id]
    return found


def test_a_sandbox_refresh_token_authorizes_and_names_the_user(exact_sandbox: ExactSandbox) -> None:
    store = MemoryTokenStore()
    sink = connect(exact_sandbox, store)
    sink.authorize(refresh_token=exact_sandbox.refresh_token())
    assert store.tokens is not None and store.saves == 1
    assert sink.check_authorization() == "Demo Boekhouder"
    assert sink.context.calls["/api/oauth2/token"] == 1  # the stored access token serves the checks


def test_reference_data_is_read_with_select_in_six_calls(sink: ExactOnlineSink, exact_sandbox) -> None:
    reference = sink.reference_data()
    assert reference.vat_codes["4"].type == "E" and reference.vat_codes["4"].percentage == Decimal("0.21")
    assert reference.vat_codes["1"].type == "I"
    assert reference.journals["70"].type == 20 and reference.journals["71"].type == 21
    assert reference.accounts["7000"].type == 110 and reference.accounts["7000"].id
    assert reference.payment_conditions["30EM"].end_of_months == 1
    assert reference.payment_conditions["DD"].method == "I"
    assert reference.cost_centers["100"].description == "Verkoop"
    assert not reference.cost_centers["900"].active and reference.cost_units["P02"].description == "Boeken"
    reads = [c for c in exact_sandbox.calls if c.path.startswith("/api/v1/")]
    assert len(reads) == 6 and all("%24select=" in c.query or "$select=" in c.query for c in reads)


def test_a_created_customer_is_found_by_its_vat_number_in_a_later_run(
    sink: ExactOnlineSink, exact_sandbox
) -> None:
    company = Customer(
        "tl-77",
        "company",
        "Zonnepanelen Vlaanderen NV",
        vat_number="BE 0999.888.777",
        email="info@zon.example",
        address=Address("Markt 1", "8000", "Brugge", "be"),
        language="nl",
    )
    assert sink.find_customer(company, ["vat_number"]) is None
    account_id = sink.save_customer(company, None)
    later = connect(exact_sandbox, sink.context.tokens)  # a new run: nothing cached
    assert later.find_customer(
        Customer("tl-77", "company", "other", vat_number="be0999888777"), ["vat_number"]
    ) == (account_id)
    accounts = exact_sandbox.state()["divisions"][str(DIVISION)]["accounts"]
    [stored] = [a for a in accounts if a["ID"] == account_id]
    assert (stored["Name"], stored["Status"], stored["IsSales"], stored["Language"]) == (
        "Zonnepanelen Vlaanderen NV",
        "C",
        True,
        "NL",
    )
    assert (stored["City"], stored["Country"]) == ("Brugge", "BE")
    sink.save_customer(Customer("tl-77", "company", "Zon NV", vat_number="BE0999888777"), account_id)
    [renamed] = [
        a for a in exact_sandbox.state()["divisions"][str(DIVISION)]["accounts"] if a["ID"] == account_id
    ]
    assert renamed["Name"] == "Zon NV"


def test_an_invoice_and_a_credit_note_are_booked_and_read_back(sink: ExactOnlineSink, exact_sandbox) -> None:
    invoice_id = sink.book(entry(sink, "invoice", "2026 / 3"))
    credit_id = sink.book(entry(sink, "credit_note", "2026 / 3", "40.00", "8.40"))
    invoice = stored_entry(exact_sandbox, invoice_id)
    assert (invoice["Type"], invoice["Journal"], invoice["YourRef"]) == (20, "70", "2026 / 3")
    assert Decimal(str(invoice["AmountFC"])) == Decimal("131.60")  # 100 + 21 + 10 + 0.60
    assert Decimal(str(invoice["VATAmountFC"])) == Decimal("21.60")
    assert [(line["VATCode"].strip(), line["AmountFC"]) for line in invoice["SalesEntryLines"]] == [
        ("4", 100.0),
        ("2", 10.0),
    ]
    credit = stored_entry(exact_sandbox, credit_id)
    assert (credit["Type"], credit["Journal"], credit["YourRef"]) == (21, "71", "2026 / 3")
    assert Decimal(str(credit["AmountFC"])) == Decimal(
        "-59.00"
    )  # a credit for the customer: 40 + 8.40 + 10.60
    assert Decimal(str(credit["VATAmountFC"])) == Decimal("-9.00")

    found = sink.existing_entries(
        {("70", "invoice", "2026 / 3"), ("71", "credit_note", "2026 / 3"), ("70", "invoice", "2026 / 4")}
    )
    assert found == {("70", "invoice", "2026 / 3"): invoice_id, ("71", "credit_note", "2026 / 3"): credit_id}


def test_a_booking_whose_answer_is_lost_is_found_by_its_reference_not_booked_twice(
    sink: ExactOnlineSink, exact_sandbox
) -> None:
    """Exact commits the entry but the answer never arrives: no resend; the next look-up links it."""
    invoice = entry(sink, "invoice", "2026 / 20")
    exact_sandbox.faults.append(Fault(path="salesentry/SalesEntries", kind="drop", method="POST"))
    with pytest.raises(RetriableError):
        sink.book(invoice)
    posts = [c for c in exact_sandbox.calls if c.method == "POST" and "SalesEntries" in c.path]
    assert len(posts) == 1
    found = sink.existing_entries({("70", "invoice", "2026 / 20")})
    [booked] = [
        e
        for e in exact_sandbox.state()["divisions"][str(DIVISION)]["sales_entries"]
        if e["YourRef"] == "2026 / 20"
    ]
    assert found == {("70", "invoice", "2026 / 20"): booked["EntryID"]}


def test_an_inaccessible_division_is_a_configuration_error(exact_sandbox: ExactSandbox) -> None:
    sink = connect(exact_sandbox)
    other = ExactOnlineSink({**sink.options, "division": 999}, sink.context)
    other.authorize(refresh_token=exact_sandbox.refresh_token())
    with pytest.raises(ConfigurationError, match="division 999 is not accessible to this user"):
        other.check_authorization()
    with pytest.raises(ConfigurationError, match="division 999"):
        other.reference_data()


def test_a_refused_entry_carries_exacts_message(sink: ExactOnlineSink) -> None:
    bad = entry(sink, "invoice", "2026 / 5")
    bad = JournalEntry(**{**bad.__dict__, "journal": "80"})  # a purchase journal
    with pytest.raises(ApiError, match="Dagboek"):
        sink.book(bad)


def test_booking_n_documents_costs_n_posts_and_a_handful_of_reads(
    sink: ExactOnlineSink, exact_sandbox
) -> None:
    exact_sandbox.calls.clear()
    entries = [entry(sink, "invoice", f"2026 / {n}") for n in range(1, 8)]
    sink.reference_data()
    assert sink.existing_entries({(e.journal, e.kind, e.your_ref) for e in entries}) == {}
    for each in entries:
        sink.book(each)
    api = [c for c in exact_sandbox.calls if c.path.startswith("/api/v1/")]
    posts = [c for c in api if c.method == "POST"]
    reads = [c for c in api if c.method == "GET"]
    assert len(posts) == 7
    assert len(reads) == 8  # accounts (once), 6 reference reads, one look-up of existing entries


def test_a_reconciled_receivable_is_reported_fully_paid_with_its_date(
    sink: ExactOnlineSink, exact_sandbox
) -> None:
    paid_id = sink.book(entry(sink, "invoice", "2026 / 10"))
    partial_id = sink.book(entry(sink, "invoice", "2026 / 11"))
    _, cursor = sink.payment_changes(None)
    assert cursor is not None

    exact_sandbox.clock.advance(timedelta(days=3).total_seconds())
    exact_sandbox.reconcile(entry_id=paid_id, date="2026-03-04")
    exact_sandbox.reconcile(entry_id=partial_id, date="2026-03-04", amount="50.00")
    changes, cursor = sink.payment_changes(cursor)
    by_entry = {change.target_id: change for change in changes}
    assert by_entry[paid_id].fully_paid and by_entry[paid_id].payment_date == date(2026, 3, 4)
    assert not by_entry[partial_id].fully_paid

    assert sink.payment_changes(cursor) == ([], cursor)  # nothing new since


def test_a_small_minute_budget_is_waited_for_instead_of_earning_a_429() -> None:
    """With 5 calls a minute the sink waits (in simulated time) at each reset; Exact never says 429."""
    sandbox = make_sandbox(per_minute=5)
    try:
        sink = connect(sandbox)
        sink.authorize(refresh_token=sandbox.refresh_token())
        began = sandbox.clock.now()
        for number in range(1, 5):
            sink.book(entry(sink, "invoice", f"2026 / {number}"))
        sink.reference_data()
        statuses = [c.status for c in sandbox.calls if c.path.startswith("/api/v1/")]
        assert len(statuses) == 11 and 429 not in statuses
        assert sandbox.clock.now() >= began.replace(second=0, microsecond=0) + timedelta(minutes=1)
        sink.close()
    finally:
        sandbox.stop()


def test_changed_customers_import_accounts_with_their_contacts(sink: ExactOnlineSink, exact_sandbox) -> None:
    with api_client(exact_sandbox) as api:
        ketel_id = api.get("crm/Accounts", params={"$filter": "trim(Code) eq '1001'"}).json()["d"]["results"][
            0
        ]["ID"]
        added = api.post(
            "crm/Contacts", json={"Account": ketel_id, "FirstName": "Pieter", "LastName": "Claes"}
        )
        assert added.status_code == 201, added.text
    customers, cursor = sink.changed_customers(None)
    companies = {c.id: c for c in customers if c.kind == "company"}
    ketel = companies[ketel_id]
    assert ketel.name == "Brouwerij De Koperen Ketel BV"
    assert ketel.vat_number == "BE0477472701" and ketel.tags == ("Exact Online Import",)
    assert ketel.address.city == "Gent" and ketel.language == "nl"
    people = {(p.name, p.company_id) for p in customers if p.kind == "person"}
    assert ("Pieter Claes", ketel_id) in people
    assert cursor is not None
    assert sink.changed_customers(cursor) == ([], cursor)
