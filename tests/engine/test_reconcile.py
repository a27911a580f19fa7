"""The comparison behind `connector reconcile`, with hand-made documents and entries: every kind of
difference, how documents find their entries, and the totals a bookkeeper checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.contract.errors import Paused
from connector.contract.records import BookedEntry, EntryLine
from connector.contract.services import DayBudget, ReadCost, ServiceContext
from connector.engine.reconcile import Expected, compare
from connector.engine.reconcile_run import check_budget
from connector.testing import FakeSink

START, END = date(2027, 3, 1), date(2027, 3, 31)


def line(code: str, amount: str, vat: str) -> EntryLine:
    return EntryLine("7000", code, Decimal(amount), Decimal(vat))


def doc(number: str = "2027 / 1", *lines: EntryLine, **changes: object) -> Expected:
    made = Expected(
        source_key=f"invoice:{number}",
        number=number,
        kind="invoice",
        journal="70",
        your_ref=number,
        date=date(2027, 3, 3),
        currency="EUR",
        lines=lines or (line("4", "100.00", "21.00"),),
        customer_target_id="acc-1",
        paid=False,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def entry(ident: str = "e1", ref: str = "2027 / 1", *lines: EntryLine, **changes: object) -> BookedEntry:
    made = BookedEntry(
        id=ident,
        journal="70",
        kind="invoice",
        your_ref=ref,
        customer_target_id="acc-1",
        date=date(2027, 3, 3),
        currency="EUR",
        lines=lines or (line("4", "100.00", "21.00"),),
        number=f"2670000{ident[-1]}",
        paid=False,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def kinds(result: object) -> list[tuple[str, str | None, str | None]]:
    return [(d.kind, d.number, d.sink_id) for d in result.differences]  # type: ignore[attr-defined]


def totals(result: object) -> dict[tuple[str, str], tuple[str, str, str, str]]:
    return {
        (t.journal, t.vat_code): (
            str(t.source.net),
            str(t.sink.net),
            str(t.difference.net),
            str(t.difference.vat),
        )
        for t in result.totals  # type: ignore[attr-defined]
    }


def test_books_that_agree_have_no_difference_and_equal_totals() -> None:
    result = compare(START, END, [doc("2027 / 1"), doc("2027 / 2")], [entry("e1"), entry("e2", "2027 / 2")])

    assert result.differences == () and result.agrees
    assert totals(result) == {("70", "4"): ("200.00", "200.00", "0.00", "0.00")}
    assert (result.documents, result.entries) == (2, 2)


def test_a_document_without_entry_is_missing_in_the_sink_and_its_amount_is_the_totals_difference() -> None:
    result = compare(START, END, [doc("2027 / 1"), doc("2027 / 2")], [entry("e1")])

    assert kinds(result) == [("missing_in_sink", "2027 / 2", None)]
    assert "no entry in journal 70 with reference '2027 / 2'" in result.differences[0].detail
    assert totals(result)[("70", "4")] == ("200.00", "100.00", "100.00", "21.00")
    assert not result.agrees


def test_an_unmapped_document_says_why_and_counts_under_its_rate() -> None:
    unmapped = doc(
        "2027 / 2",
        line("4", "100.00", "21.00"),
        line("12% (not mapped)", "40.00", "4.80"),
        problem="tax rate '12%' is not mapped",
    )

    result = compare(START, END, [doc(), unmapped], [entry()])

    [missing] = result.differences
    assert (missing.kind, missing.detail) == ("missing_in_sink", "not booked: tax rate '12%' is not mapped")
    assert totals(result)[("70", "12% (not mapped)")] == ("40.00", "0.00", "40.00", "4.80")


def test_an_entry_no_document_claims_is_missing_in_the_source() -> None:
    result = compare(START, END, [doc()], [entry(), entry("e9", "typed by hand")])

    [extra] = result.differences
    assert (extra.kind, extra.sink_id, extra.source_key) == ("missing_in_source", "e9", None)
    assert "reference 'typed by hand', 100.00 + VAT 21.00" in extra.detail
    assert totals(result)[("70", "4")] == ("100.00", "200.00", "-100.00", "-21.00")


def test_a_second_entry_of_the_same_reference_is_a_duplicate_of_its_document() -> None:
    result = compare(START, END, [doc()], [entry("e1"), entry("e2")])

    assert kinds(result) == [("duplicate", "2027 / 1", "e2")]
    assert "besides 26700001" in result.differences[0].detail


def test_the_ledger_link_decides_which_of_two_entries_is_the_document_s() -> None:
    """The hand-booked copy came first (lower number); the ledger says connector booked e2."""
    result = compare(START, END, [doc(target_id="e2")], [entry("e1"), entry("e2")])

    assert kinds(result) == [("duplicate", "2027 / 1", "e1")]


def test_a_linked_entry_that_is_gone_falls_back_to_the_reference_else_says_so() -> None:
    found = compare(START, END, [doc(target_id="gone")], [entry("e1")])
    lost = compare(START, END, [doc(target_id="gone")], [])

    assert found.differences == ()
    assert "the ledger links it to entry gone" in lost.differences[0].detail


def test_an_entry_changed_by_hand_is_one_amount_difference_saying_what_differs() -> None:
    changed = entry("e1", "2027 / 1", line("4", "150.00", "21.00"))

    result = compare(START, END, [doc()], [changed])

    [amount] = result.differences
    assert (amount.kind, amount.number, amount.sink_id) == ("amount", "2027 / 1", "e1")
    assert amount.detail == (
        "VAT code 4: 100.00 + VAT 21.00 in the source, 150.00 + VAT 21.00 in the sink; "
        "incl. VAT 121.00 in the source, 171.00 in the sink"
    )
    assert totals(result)[("70", "4")][2:] == ("-50.00", "0.00")


def test_amounts_on_the_wrong_vat_code_differ_even_when_the_total_is_right() -> None:
    moved = entry("e1", "2027 / 1", line("2", "100.00", "21.00"))

    [amount] = compare(START, END, [doc()], [moved]).differences

    assert "VAT code 2: 0.00 + VAT 0.00 in the source, 100.00 + VAT 21.00 in the sink" in amount.detail
    assert "incl. VAT" not in amount.detail


def test_vat_codes_padded_by_the_sink_are_the_same_codes() -> None:
    padded = entry("e1", "2027 / 1", line("4  ", "60.00", "12.60"), line("4", "40.00", "8.40"))

    result = compare(START, END, [doc()], [padded])

    assert result.agrees and list(totals(result)) == [("70", "4")]


def test_a_different_customer_account_is_reported_and_an_unlinked_customer_is_not_compared() -> None:
    other = entry(customer_target_id="acc-2")

    assert kinds(compare(START, END, [doc()], [other])) == [("customer", "2027 / 1", "e1")]
    assert compare(START, END, [doc(customer_target_id=None)], [other]).agrees


def test_payment_states_that_differ_are_reported_both_ways() -> None:
    paid_in_source = compare(START, END, [doc(paid=True)], [entry(paid=False)])
    paid_in_sink = compare(START, END, [doc(paid=False)], [entry(paid=True)])
    unknown = compare(START, END, [doc(paid=True)], [entry(paid=None)])

    assert paid_in_source.differences[0].detail == "paid in the source, still open in the sink"
    assert "paid in the sink, still open in the source (allowed" in paid_in_sink.differences[0].detail
    assert unknown.agrees


def test_credit_notes_count_negative_so_a_shared_journal_nets_them() -> None:
    note = doc(
        "2027 / 1", line("4", "30.00", "6.30"), kind="credit_note", source_key="credit_note:1", paid=None
    )
    booked_note = entry("e2", "2027 / 1", line("4", "30.00", "6.30"), kind="credit_note", paid=True)

    result = compare(START, END, [doc(), note], [entry(), booked_note])

    assert result.agrees, (
        result.differences
    )  # same number, told apart by kind; a note's payment is not compared
    assert totals(result)[("70", "4")] == ("70.00", "70.00", "0.00", "0.00")


def test_totals_are_in_the_home_currency_at_each_side_s_rate_and_a_rate_changed_by_hand_shows() -> None:
    dollars = doc(currency="USD", exchange_rate=Decimal("0.9"), lines=(line("4", "100.01", "21.00"),))
    same = entry(currency="USD", exchange_rate=Decimal("0.9"), lines=(line("4", "100.01", "21.00"),))
    other_rate = replace(same, exchange_rate=Decimal("0.95"))

    agreed = compare(START, END, [dollars], [same])
    differs = compare(START, END, [dollars], [other_rate])

    assert agreed.agrees and totals(agreed)[("70", "4")][0] == "90.01"  # 100.01 × 0.9, to the cent
    assert "exchange rate 0.9 in the source, 0.95 in the sink" in differs.differences[0].detail
    assert totals(differs)[("70", "4")][2] == "-5.00"


def test_two_documents_of_one_reference_take_one_entry_each() -> None:
    first, second = doc("2027 / 1"), doc("2027 / 1", source_key="invoice:other", date=date(2027, 3, 4))

    result = compare(START, END, [first, second], [entry("e1"), entry("e2")])

    assert result.agrees


def test_the_json_shape_is_the_documented_contract_with_amounts_as_strings() -> None:
    result = compare(START, END, [doc(), doc("2027 / 2")], [entry()])
    data = replace(result, calls={"source": 3, "sink": 2}).to_dict()

    assert list(data) == ["period", "calls", "totals", "differences"]
    assert data["period"] == {"from": "2027-03-01", "to": "2027-03-31"}
    assert data["calls"] == {"source": 3, "sink": 2}
    assert data["totals"] == [
        {
            "journal": "70",
            "vat_code": "4",
            "source": {"net": "200.00", "vat": "42.00"},
            "sink": {"net": "100.00", "vat": "21.00"},
            "difference": {"net": "100.00", "vat": "21.00"},
        }
    ]
    assert data["differences"] == [
        {
            "kind": "missing_in_sink",
            "source_key": "invoice:2027 / 2",
            "number": "2027 / 2",
            "sink_id": None,
            "detail": "no entry in journal 70 with reference '2027 / 2'",
        }
    ]


def test_a_read_the_day_s_budget_cannot_hold_stops_before_it_starts_with_what_to_do() -> None:
    sink = FakeSink({}, ServiceContext("acme", "sink"))
    resets = datetime(2027, 3, 3, tzinfo=UTC)
    sink.context.day_budget = DayBudget(limit=5000, remaining=40, resets_at=resets)

    check_budget(sink, ReadCost(records=2000, calls=41, spent=1), "sink")  # 40 still to spend: fits
    with pytest.raises(Paused) as stopped:
        check_budget(sink, ReadCost(records=3000, calls=52, spent=1), "sink")

    assert "has 40 API calls left today; reading the period takes about 51" in stopped.value.message
    assert (
        stopped.value.hint
        == "reconcile a shorter period (--from/--to), or again after the reset at 2027-03-03 00:00 UTC"
    )
