"""Which way a Teamleader exchange rate runs, decided per document against currencies.exchangeRates
(connector_teamleader.exchange), against a scripted Teamleader (MockTransport)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from teamleader_fake import (
    FakeTeamleader,
    all_documents,
    invoice,
    make_source,
)

from connector.contract.records import Document
from connector.contract.tokens import MemoryTokenStore
from connector.testing import FakeClock

# -- exchange rates: which way they run, decided per document (connector_teamleader.exchange) -------


def usd(ident: str, rate: float) -> dict[str, Any]:
    data = invoice(ident, currency="USD")
    data["currency"] = "USD"
    data["currency_exchange_rate"] = {"from": "USD", "to": "EUR", "rate": rate}
    return data


def by_id(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock, **options: str
) -> dict[str, Document]:
    source = make_source(fake, store, clock, **options)
    return {document.id: document for document in all_documents(source)}


def test_detect_keeps_a_home_per_foreign_rate_and_inverts_a_foreign_per_home_one(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    """Today 1 EUR = 1.1 USD: 0.92 reads as EUR per USD, 1.08 as USD per EUR; one reference call."""
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 1.08), "c": invoice("c")}
    found = by_id(fake, store, clock)
    assert found["a"].failure is None and found["a"].exchange_rate == Decimal("0.92")
    assert found["b"].failure is None and found["b"].exchange_rate == Decimal("0.9259259259")
    assert found["c"].failure is None and found["c"].currency == "EUR"
    assert fake.count("currencies.exchangeRates") == 1
    assert [body for path, body in fake.calls if path == "currencies.exchangeRates"] == [{"base": "EUR"}]


def test_a_rate_that_fits_neither_orientation_is_not_booked_and_says_both_numbers_and_the_fix(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 1.5)}
    [document] = by_id(fake, store, clock).values()
    assert document.failure is not None
    message = document.failure.message
    assert "1.5" in message and "1 USD = 0.909091 EUR" in message and "1 EUR = 1.1 USD" in message
    assert "source.exchange_rate: home_per_foreign" in (document.failure.hint or "")


def test_a_rate_near_1_that_fits_both_orientations_is_not_booked(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.usd_per_eur = 1.02
    fake.invoices = {"a": usd("a", 1.0)}
    [document] = by_id(fake, store, clock).values()
    assert document.failure is not None and "fits both orientations" in document.failure.message


def test_without_a_reference_a_foreign_document_is_not_booked_but_a_euro_one_is(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.usd_per_eur = None
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 0.93), "c": invoice("c")}
    found = by_id(fake, store, clock)
    assert found["a"].failure is not None and "could not be read" in found["a"].failure.message
    assert found["b"].failure is not None and found["c"].failure is None
    assert fake.count("currencies.exchangeRates") == 1, "read once per run, also when it fails"


def test_a_pinned_orientation_reads_no_reference(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 1.25)}
    [pinned] = by_id(fake, store, clock, exchange_rate="foreign_per_home").values()
    assert pinned.failure is None and pinned.exchange_rate == Decimal("0.8")
    [kept] = by_id(fake, store, clock, exchange_rate="home_per_foreign").values()
    assert kept.failure is None and kept.exchange_rate == Decimal("1.25")
    assert fake.count("currencies.exchangeRates") == 0


def test_check_reports_the_orientation_recent_invoices_show(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 0.9), "c": invoice("c")}
    notes = make_source(fake, store, clock).check_settings()
    assert [(note.severity, note.option) for note in notes] == [("info", "exchange_rate")]
    assert "2 home_per_foreign" in notes[0].message and "among the latest 3" in notes[0].message


def test_check_warns_of_invoices_detect_would_not_book(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 1.5)}
    notes = make_source(fake, store, clock).check_settings()
    assert [note.severity for note in notes] == ["info", "warning"]
    assert "1 invoice would not be booked" in notes[1].message and "2026 / b" in notes[1].message


def test_check_warns_when_a_pinned_orientation_is_more_than_5_percent_off_today(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92)}
    notes = make_source(fake, store, clock, exchange_rate="foreign_per_home").check_settings()
    assert [note.severity for note in notes] == ["info", "warning"]
    assert "pinned to foreign_per_home" in notes[1].message and "-16.4%" in notes[1].message
    assert make_source(fake, store, clock, exchange_rate="home_per_foreign").check_settings()[1:] == []


def test_check_without_foreign_invoices_says_so(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"c": invoice("c")}
    [note] = make_source(fake, store, clock).check_settings()
    assert note.severity == "info" and "cannot be seen yet" in note.message
