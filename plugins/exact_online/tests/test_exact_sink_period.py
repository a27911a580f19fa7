"""The Exact Online sink reading a period back for `connector reconcile`, against the simulator: the
count it says first, the entries with their lines as the documents print them (credit notes turned
positive again), what is paid, and what it costs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from connector.contract.records import Customer, EntryLine, JournalEntry
from connector.contract.services import ServiceContext
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_exact.sandbox.testing import make_sandbox
from connector_exact.sink import ExactOnlineSink

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def exact_sandbox() -> Iterator[ExactSandbox]:
    server = make_sandbox()
    yield server
    server.stop()


@pytest.fixture
def sink(exact_sandbox: ExactSandbox) -> Iterator[ExactOnlineSink]:
    context = ServiceContext(
        "acme",
        "sink",
        clock=exact_sandbox.clock.now,
        sleep=lambda seconds: exact_sandbox.clock.advance(seconds),
    )
    options = {
        "plugin": "exact_online",
        "division": DIVISION,
        "client_id": exact_sandbox.client_id,
        "client_secret": exact_sandbox.client_secret,
        "base_url": exact_sandbox.url,
    }
    connected = ExactOnlineSink(options, context)
    connected.authorize(refresh_token=exact_sandbox.refresh_token())
    yield connected
    connected.close()


def entry(
    sink: ExactOnlineSink, kind: str, ref: str, on: date = MARCH[0], journal: str | None = None
) -> JournalEntry:
    """Account 1001's entry of 100 at 21 % and 10 at 6 %, as the documents flow books it."""
    customer = sink.find_customer(Customer("tl-1", "company", "x", vat_number="BE0477472701"), ["vat_number"])
    assert customer is not None
    return JournalEntry(
        document_key=f"{kind}:{ref}",
        kind=kind,  # type: ignore[arg-type]
        journal=journal or ("70" if kind == "invoice" else "71"),
        your_ref=ref,
        customer_target_id=customer,
        date=on,
        description=ref,
        currency="EUR",
        payment_condition="30",
        lines=(
            EntryLine("7000", "4", Decimal("100.00"), Decimal("21.00"), "Consultancy"),
            EntryLine("7010", "2", Decimal("10.00"), Decimal("0.60"), "Books"),
        ),
    )


def book(sink: ExactOnlineSink, kind: str, ref: str, on: date, journal: str | None = None) -> str:
    return sink.book(entry(sink, kind, ref, on, journal))


def calls(sandbox: ExactSandbox) -> list[str]:
    return [call.path for call in sandbox.calls if call.path.startswith("/api/v1/")]


def test_the_count_is_one_call_and_the_read_costs_what_it_said(
    sink: ExactOnlineSink, exact_sandbox: ExactSandbox
) -> None:
    for day in (1, 15, 31):
        book(sink, "invoice", f"2026 / {day}", date(2026, 3, day))
    book(sink, "invoice", "before", date(2026, 2, 28))
    book(sink, "invoice", "after", date(2026, 4, 1))
    book(sink, "invoice", "other journal", date(2026, 3, 10), journal="71")
    exact_sandbox.calls.clear()

    cost = sink.count_entries(["70"], *MARCH)
    found = sink.booked_entries(["70"], *MARCH)

    assert (cost.records, cost.spent, cost.calls) == (3, 1, 3)
    assert sorted(e.your_ref for e in found) == ["2026 / 1", "2026 / 15", "2026 / 31"]
    assert len(calls(exact_sandbox)) == cost.calls
    assert calls(exact_sandbox)[0].endswith("salesentry/SalesEntries/$count")


def test_entries_come_back_as_booked_with_lines_customer_and_number(sink: ExactOnlineSink) -> None:
    booked = book(sink, "invoice", "2026 / 7", date(2026, 3, 7))
    made = entry(sink, "invoice", "2026 / 7")

    [found] = sink.booked_entries(["70", "71"], *MARCH)

    assert (found.id, found.journal, found.kind, found.your_ref) == (booked, "70", "invoice", "2026 / 7")
    assert (found.customer_target_id, found.date, found.currency) == (
        made.customer_target_id,
        date(2026, 3, 7),
        "EUR",
    )
    assert found.number.startswith("2670")
    assert [(line.vat_code, line.amount, line.vat_amount) for line in found.lines] == [
        ("4", Decimal("100.00"), Decimal("21.00")),
        ("2", Decimal("10.00"), Decimal("0.60")),
    ]
    assert found.paid is False


def test_a_credit_note_posted_negative_reads_back_as_printed(sink: ExactOnlineSink) -> None:
    book(sink, "credit_note", "2026 / 2", date(2026, 3, 9))

    [note] = sink.booked_entries(["71"], *MARCH)

    assert note.kind == "credit_note"
    assert [line.amount for line in note.lines] == [Decimal("100.00"), Decimal("10.00")]
    assert (note.total_excluding, note.total_vat) == (Decimal("110.00"), Decimal("21.60"))


def test_a_reconciled_receivable_reads_paid(sink: ExactOnlineSink, exact_sandbox: ExactSandbox) -> None:
    paid = book(sink, "invoice", "2026 / 1", date(2026, 3, 2))
    book(sink, "invoice", "2026 / 2", date(2026, 3, 3))
    exact_sandbox.reconcile(entry_id=paid, date="2026-03-20")

    found = {e.your_ref: e.paid for e in sink.booked_entries(["70"], *MARCH)}

    assert found == {"2026 / 1": True, "2026 / 2": False}


def test_no_journal_costs_nothing(sink: ExactOnlineSink, exact_sandbox: ExactSandbox) -> None:
    exact_sandbox.calls.clear()

    assert sink.count_entries([], *MARCH).calls == 0 and sink.booked_entries([], *MARCH) == []
    assert calls(exact_sandbox) == []


def test_an_entry_line_keeps_its_account_code() -> None:
    """The account a line was booked on comes back stripped of Exact's padding."""
    from connector_exact.booked import booked_entry

    row = {
        "EntryID": "e",
        "Journal": "70 ",
        "Type": 20,
        "YourRef": "r",
        "Customer": "c",
        "EntryDate": "/Date(1772323200000)/",
        "Currency": "EUR",
        "Rate": 1,
        "SalesEntryLines": {
            "results": [{"GLAccountCode": "  7000", "VATCode": "4  ", "AmountFC": 5, "VATAmountFC": 1.05}]
        },
    }

    found = booked_entry(row, {})

    assert found is not None and found.lines == (EntryLine("7000", "4", Decimal("5"), Decimal("1.05"), ""),)
    assert found.journal == "70" and found.paid is None
