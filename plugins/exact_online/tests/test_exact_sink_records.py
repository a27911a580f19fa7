"""What the Exact Online sink sends and reads for entries: reference data, bookings, existing entries
(MockTransport; the fixtures are in conftest.py)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import httpx
import pytest

from connector.contract.errors import ApiError, RetriableError
from connector.contract.records import EntryLine, JournalEntry
from connector_exact.sink import ExactOnlineSink
from connector_exact.testing import FakeClock, FakeExact, build_sink, created, odata_error, page

GL_7000 = "0d9b6d1f-59c5-4a48-8bda-111111117000"
GL_7080 = "0d9b6d1f-59c5-4a48-8bda-111111117080"
CUSTOMER = "3f0956d9-c601-4ffb-9d62-f35966e5692d"
ENTRY_ID = "9b1c7b4e-0000-4000-8000-000000000001"


def sent_json(request: httpx.Request) -> object:
    return json.loads(request.content)


def entry(kind: str = "invoice", **changes: object) -> JournalEntry:
    values: dict[str, object] = {
        "document_key": f"{kind}:tl-1",
        "kind": kind,
        "journal": "70",
        "your_ref": "2026 / 3",
        "customer_target_id": CUSTOMER,
        "date": date(2026, 3, 1),
        "description": "2026 / 3 Noorderlicht BV",
        "currency": "EUR",
        "payment_condition": "30",
        "lines": (
            EntryLine("7000", "4", Decimal("100.00"), Decimal("21.00"), "Consultancy"),
            EntryLine("7000", "2", Decimal("50.00"), Decimal("3.00"), "Books"),
        ),
    }
    values.update(changes)
    return JournalEntry(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- reference data


def test_reference_data_is_read_once_with_select_and_codes_stripped(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    reference = sink.reference_data()
    again = sink.reference_data()
    assert again is reference
    assert len(exact.api_requests()) == 6
    selects = {r.url.path.rsplit("/", 1)[-1]: r.url.params["$select"] for r in exact.api_requests()}
    assert selects == {
        "VATCodes": "Code,Description,Type,Percentage",
        "Journals": "Code,Description,Type",
        "GLAccounts": "ID,Code,Description,Type,UseCostcenter,UseCostunit",
        "PaymentConditions": (
            "Code,Description,PaymentDays,PaymentEndOfMonths,DiscountPercentage,PaymentMethod"
        ),
        "Costcenters": "Code,Description,Active",
        "Costunits": "Code,Description",
    }
    assert sorted(reference.vat_codes) == ["2", "4", "5"]
    assert reference.vat_codes["4"].percentage == Decimal("0.21")
    assert reference.vat_codes["5"].type == "I"
    assert reference.accounts["7000"].id == GL_7000 and reference.accounts["7000"].type == 110
    assert reference.journals["70"].type == 20
    assert reference.payment_conditions["30"].method == "B"
    assert [(c.code, c.active) for c in reference.cost_centers.values()] == [("100", True), ("900", False)]
    assert reference.cost_units["P01"].active, "cost units have no Active flag: all are active"


# ---------------------------------------------------------------- booking


def test_reference_data_kept_from_another_run_is_booked_against_with_the_codes_as_listed(
    exact: FakeExact, clock: FakeClock
) -> None:
    kept = build_sink(exact, clock).reference_data()
    assert kept.vat_codes["4"].listed_as == "4  "
    exact.requests.clear()
    fresh = build_sink(exact, clock)
    assert fresh.prime_reference(kept)
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID, "EntryNumber": 26700001}))
    fresh.book(entry())
    assert [r.url.path.rsplit("/", 1)[-1] for r in exact.api_requests()] == ["SalesEntries"], "no reads"
    [post] = exact.api_requests("SalesEntries")
    assert sent_json(post)["SalesEntryLines"][0]["VATCode"] == "4  ", "padded, as Exact lists it"  # type: ignore[index]


def test_reference_data_without_the_codes_as_listed_is_not_primed(exact: FakeExact, clock: FakeClock) -> None:
    kept = build_sink(exact, clock).reference_data()
    old = dataclasses.replace(
        kept, vat_codes={k: dataclasses.replace(v, listed_as=None) for k, v in kept.vat_codes.items()}
    )
    assert not build_sink(exact, clock).prime_reference(old), "a cache of an older version: read again"


def test_an_invoice_is_posted_as_a_type_20_sales_entry(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID, "EntryNumber": 26700001}))
    assert sink.book(entry()) == ENTRY_ID
    [post] = exact.api_requests("SalesEntries")
    assert sent_json(post) == {
        "Journal": "70",
        "Type": 20,
        "Customer": CUSTOMER,
        "EntryDate": "2026-03-01",
        "YourRef": "2026 / 3",
        "Description": "2026 / 3 Noorderlicht BV",
        "Currency": "EUR",
        "PaymentCondition": "30",
        "SalesEntryLines": [
            {
                "GLAccount": GL_7000,
                "VATCode": "4  ",
                "AmountFC": "100.00",
                "VATAmountFC": "21.00",
                "Description": "Consultancy",
            },
            {
                "GLAccount": GL_7000,
                "VATCode": "2  ",
                "AmountFC": "50.00",
                "VATAmountFC": "3.00",
                "Description": "Books",
            },
        ],
    }


def test_a_credit_note_is_posted_as_type_21_with_negative_amounts_and_a_positive_discount(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    credit = entry(
        "credit_note",
        currency="USD",
        exchange_rate=Decimal("0.912345"),
        lines=(
            EntryLine("7000", "4", Decimal("80.00"), Decimal("16.80"), "Consultancy"),
            EntryLine("7080", "4", Decimal("-8.00"), Decimal("-1.68"), ""),
        ),
    )
    sink.book(credit)
    [post] = exact.api_requests("SalesEntries")
    assert sent_json(post) == {
        "Journal": "70",
        "Type": 21,
        "Customer": CUSTOMER,
        "EntryDate": "2026-03-01",
        "YourRef": "2026 / 3",
        "Description": "2026 / 3 Noorderlicht BV",
        "Currency": "USD",
        "Rate": "0.912345",
        "PaymentCondition": "30",
        "SalesEntryLines": [
            {
                "GLAccount": GL_7000,
                "VATCode": "4  ",
                "AmountFC": "-80.00",
                "VATAmountFC": "-16.80",
                "Description": "Consultancy",
            },
            {
                "GLAccount": GL_7080,
                "VATCode": "4  ",
                "AmountFC": "8.00",
                "VATAmountFC": "1.68",
                "Description": "2026 / 3 Noorderlicht BV",
            },
        ],
    }
    assert credit.lines[0].amount == Decimal("80.00"), "the canonical record stays as printed"


def test_a_refused_entry_raises_exacts_message_and_is_not_resent(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on(
        "POST",
        "salesentry/SalesEntries",
        odata_error(500, "Ongeldige referentie: Klant\r\nOngeldig: Dagboek"),
    )
    with pytest.raises(ApiError, match="Ongeldige referentie: Klant; Ongeldig: Dagboek"):
        sink.book(entry())
    assert len(exact.api_requests("SalesEntries")) == 1


def test_a_booking_without_an_answer_is_retriable_and_never_repeated(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    exact.on("POST", "salesentry/SalesEntries", timeout)
    with pytest.raises(RetriableError, match="no answer"):
        sink.book(entry())
    assert len(exact.api_requests("SalesEntries")) == 1


def test_existing_entries_are_found_in_one_read_by_journal_type_and_reference(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    """An invoice and a credit note may share a number: the Type tells them apart."""
    exact.on(
        "GET",
        "salesentry/SalesEntries",
        page(
            [
                {"EntryID": "e-inv", "Journal": "70", "Type": 20, "YourRef": "2026 / 3"},
                {"EntryID": "e-cn", "Journal": "71", "Type": 21, "YourRef": "2026 / 3"},
                {"EntryID": "e-other", "Journal": "70", "Type": 20, "YourRef": "2026 / 9"},
            ]
        ),
    )
    wanted = {("70", "invoice", "2026 / 3"), ("71", "credit_note", "2026 / 3"), ("70", "invoice", "O'Neil 1")}
    found = sink.existing_entries(wanted)
    assert found == {("70", "invoice", "2026 / 3"): "e-inv", ("71", "credit_note", "2026 / 3"): "e-cn"}
    [read] = exact.api_requests()
    assert read.url.params["$select"] == "EntryID,Journal,Type,YourRef,AmountFC"
    assert read.url.params["$filter"] == (
        "(Journal eq '70' or Journal eq '71') and (YourRef eq '2026 / 3' or YourRef eq 'O''Neil 1')"
    )


def test_a_hand_booked_credit_note_is_recognised_by_its_type_or_its_negative_total(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    """As Exact returns them (Evidence 2026-12): negative amounts, Type 21; an entry without a Type
    is told by its sign. Nothing read back is negated: a negative credit note is not an invoice."""
    exact.on(
        "GET",
        "salesentry/SalesEntries",
        page(
            [
                {"EntryID": "e-cn", "Journal": "71", "Type": 21, "YourRef": "CN 1", "AmountFC": -121.0},
                {"EntryID": "e-cn2", "Journal": "71", "YourRef": "CN 2", "AmountFC": -60.5},
                {"EntryID": "e-inv", "Journal": "71", "YourRef": "CN 3", "AmountFC": 60.5},
            ]
        ),
    )
    wanted = {
        ("71", "credit_note", "CN 1"),
        ("71", "invoice", "CN 1"),
        ("71", "credit_note", "CN 2"),
        ("71", "credit_note", "CN 3"),
    }
    assert sink.existing_entries(wanted) == {
        ("71", "credit_note", "CN 1"): "e-cn",
        ("71", "credit_note", "CN 2"): "e-cn2",
    }


def test_long_texts_are_cut_to_what_exact_takes_and_each_cut_is_a_notice(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    long_ref = "PO-2026-000123 / project Noorderlicht"  # 37 characters
    long_text = "Consultancy for the redesign of the Noorderlicht web shop, phase two of three"
    sink.book(
        entry(
            your_ref=long_ref,
            description=long_text,
            lines=(EntryLine("7000", "4", Decimal(100), Decimal(21), ""),),
        )
    )
    [post] = exact.api_requests("SalesEntries")
    body = sent_json(post)
    assert isinstance(body, dict)
    assert body["YourRef"] == long_ref[:30] and len(body["YourRef"]) == 30
    assert body["Description"] == long_text[:60].rstrip()
    assert body["SalesEntryLines"][0]["Description"] == body["Description"]
    notices = sink.context.notices
    assert len(notices) == 2, notices  # the header and its line share the one Description cut
    [ref] = [n for n in notices if "YourRef cut to 30 characters" in n]
    assert "sink.field_lengths.your_ref" in ref and "(was 37)" in ref
    assert any("Description cut to 60 characters" in n for n in notices)


def test_field_lengths_come_from_the_rule_file_and_the_look_up_uses_the_cut_reference(
    exact: FakeExact, clock: FakeClock
) -> None:
    sink = build_sink(exact, clock, options={"field_lengths": {"your_ref": 8, "description": 200}})
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    exact.on(
        "GET",
        "salesentry/SalesEntries",
        page([{"EntryID": "e-1", "Journal": "70", "Type": 20, "YourRef": "2026 / 1", "AmountFC": 1}]),
    )
    sink.book(entry(your_ref="2026 / 17 extra", description="x" * 150))
    [post] = exact.api_requests("SalesEntries")
    body = sent_json(post)
    assert isinstance(body, dict) and body["YourRef"] == "2026 / 1" and len(body["Description"]) == 150
    found = sink.existing_entries({("70", "invoice", "2026 / 17 extra"), ("70", "invoice", "2026 / 12")})
    assert found == {}, "'2026 / 1' is what both refs are once cut: neither is linked to it"
    assert any("once cut to 8 characters" in notice for notice in sink.context.notices)
    found = sink.existing_entries({("70", "invoice", "2026 / 17 extra")})
    assert found == {("70", "invoice", "2026 / 17 extra"): "e-1"}
    [*_, read] = exact.api_requests()
    assert "YourRef eq '2026 / 1'" in read.url.params["$filter"]


def test_short_texts_are_sent_as_they_are_without_notice(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    sink.book(entry(your_ref="x" * 30, description="y" * 60))
    assert sink.context.notices == []


def test_the_payment_reference_is_sent_whole_and_an_entry_without_one_sends_none(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    sink.book(entry(payment_reference="+++084/2613/66074+++"))
    sink.book(entry(your_ref="2026 / 4"))
    with_one, without = (sent_json(post) for post in exact.api_requests("SalesEntries"))
    assert isinstance(with_one, dict) and with_one["PaymentReference"] == "+++084/2613/66074+++"
    assert isinstance(without, dict) and "PaymentReference" not in without
    assert sink.context.notices == []


def test_a_payment_reference_longer_than_its_length_is_left_out_whole_never_cut(
    exact: FakeExact, clock: FakeClock
) -> None:
    """A bank matches only the whole reference: half of one would match nothing, or another invoice."""
    sink = build_sink(exact, clock, options={"field_lengths": {"payment_reference": 12}})
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    sink.book(entry(payment_reference="+++084/2613/66074+++"))
    [post] = exact.api_requests("SalesEntries")
    body = sent_json(post)
    assert isinstance(body, dict) and "PaymentReference" not in body
    [notice] = sink.context.notices
    assert "got no PaymentReference" in notice and "'+++084/2613/66074+++' is 20 characters" in notice
    assert "sink.field_lengths.payment_reference" in notice


def test_cost_centres_and_units_go_on_the_lines_that_have_them(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("POST", "salesentry/SalesEntries", created({"EntryID": ENTRY_ID}))
    lines = (
        EntryLine("7000", "4", Decimal(100), Decimal(21), "Workshop", cost_center="300", cost_unit="P03"),
        EntryLine("7000", "4", Decimal(50), Decimal("10.50"), "Consulting", cost_center="100"),
        EntryLine("7000", "4", Decimal(10), Decimal("2.10"), "Other"),
    )
    sink.book(entry(lines=lines))
    [post] = exact.api_requests("SalesEntries")
    body = sent_json(post)
    assert isinstance(body, dict)
    sent = [(line.get("CostCenter"), line.get("CostUnit")) for line in body["SalesEntryLines"]]
    assert sent == [("300", "P03"), ("100", None), (None, None)]
    assert "CostUnit" not in body["SalesEntryLines"][1], "no code is sent as nothing, not as null"


def test_existing_entries_cost_one_read_per_forty_references(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("GET", "salesentry/SalesEntries", page([]))
    sink.existing_entries({("70", "invoice", f"F{n:03d}") for n in range(100)})
    assert len(exact.api_requests()) == 3
