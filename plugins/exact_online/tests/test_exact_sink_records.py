"""What the Exact Online sink sends and reads: entries, accounts, reference data, payments (MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from connector.contract.errors import ApiError, RetriableError
from connector.contract.records import Address, Customer, EntryLine, JournalEntry, PaymentStatus
from connector_exact.sink import ExactOnlineSink
from connector_exact.testing import FakeClock, FakeExact, build_sink, created, odata_error, page

GL_7000 = "0d9b6d1f-59c5-4a48-8bda-111111117000"
GL_7080 = "0d9b6d1f-59c5-4a48-8bda-111111117080"
CUSTOMER = "3f0956d9-c601-4ffb-9d62-f35966e5692d"
ENTRY_ID = "9b1c7b4e-0000-4000-8000-000000000001"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def exact(clock: FakeClock) -> FakeExact:
    fake = FakeExact(clock)
    fake.on(
        "GET",
        "vat/VATCodes",
        page(
            [
                {"Code": "4  ", "Description": "BTW 21%", "Type": "E", "Percentage": 0.21},
                {"Code": "2  ", "Description": "BTW 6%", "Type": "E", "Percentage": 0.06},
                {"Code": "5  ", "Description": "BTW 21% incl.", "Type": "I", "Percentage": 0.21},
            ]
        ),
    )
    fake.on("GET", "financial/Journals", page([{"Code": "70", "Description": "Verkoopboek", "Type": 20}]))
    fake.on(
        "GET",
        "financial/GLAccounts",
        page(
            [
                {"ID": GL_7000, "Code": "7000", "Description": "Omzet", "Type": 110},
                {"ID": GL_7080, "Code": "7080", "Description": "Kortingen", "Type": 110},
            ]
        ),
    )
    fake.on(
        "GET",
        "cashflow/PaymentConditions",
        page(
            [
                {
                    "Code": "30",
                    "Description": "30 dagen",
                    "PaymentDays": 30,
                    "PaymentEndOfMonths": 0,
                    "DiscountPercentage": 0.0,
                    "PaymentMethod": "B",
                }
            ]
        ),
    )
    return fake


@pytest.fixture
def sink(exact: FakeExact, clock: FakeClock) -> ExactOnlineSink:
    return build_sink(exact, clock)


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
    assert len(exact.api_requests()) == 4
    selects = {r.url.path.rsplit("/", 1)[-1]: r.url.params["$select"] for r in exact.api_requests()}
    assert selects == {
        "VATCodes": "Code,Description,Type,Percentage",
        "Journals": "Code,Description,Type",
        "GLAccounts": "ID,Code,Description,Type",
        "PaymentConditions": (
            "Code,Description,PaymentDays,PaymentEndOfMonths,DiscountPercentage,PaymentMethod"
        ),
    }
    assert sorted(reference.vat_codes) == ["2", "4", "5"]
    assert reference.vat_codes["4"].percentage == Decimal("0.21")
    assert reference.vat_codes["5"].type == "I"
    assert reference.accounts["7000"].id == GL_7000 and reference.accounts["7000"].type == 110
    assert reference.journals["70"].type == 20
    assert reference.payment_conditions["30"].method == "B"


# ---------------------------------------------------------------- booking


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


def test_existing_entries_cost_one_read_per_forty_references(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("GET", "salesentry/SalesEntries", page([]))
    sink.existing_entries({("70", "invoice", f"F{n:03d}") for n in range(100)})
    assert len(exact.api_requests()) == 3


# ---------------------------------------------------------------- customers


ACCOUNTS = [
    {
        "ID": "a-1",
        "Code": "              1001",
        "Name": "Noorderlicht BV",
        "VATNumber": "NL 8001.23.456 B01",
        "Email": None,
    },
    {
        "ID": "a-2",
        "Code": "              1002",
        "Name": "Jan Peeters",
        "VATNumber": None,
        "Email": "JAN@mail.example",
    },
]


def company(**changes: object) -> Customer:
    values: dict[str, object] = {
        "id": "tl-c1",
        "kind": "company",
        "name": "Noorderlicht B.V.",
        "vat_number": "nl800123456b01",
        "email": "info@noorderlicht.example",
        "phone": "+31 20 123 45 67",
        "address": Address("Keizersgracht 100", "1015 AA", "Amsterdam", "nl"),
        "language": "nl-BE",
    }
    values.update(changes)
    return Customer(**values)  # type: ignore[arg-type]


def test_customers_are_matched_in_memory_after_one_read_of_all_accounts(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("GET", "bulk/CRM/Accounts", page(ACCOUNTS))
    assert sink.find_customer(company(), ["vat_number"]) == "a-1"
    person = Customer(
        "tl-p1", "person", "Peeters Jan", first_name="Jan", last_name="Peeters", email="jan@mail.example"
    )
    assert sink.find_customer(person, ["vat_number", "email"]) == "a-2"
    assert sink.find_customer(person, ["name"]) == "a-2"  # "first last"
    assert sink.find_customer(company(vat_number=None, name="Unknown"), ["vat_number", "name"]) is None
    [read] = exact.api_requests()
    assert read.url.params["$filter"] == "Status eq 'C' or IsSales eq true"
    assert read.url.params["$select"] == "ID,Code,Name,VATNumber,Email"


def test_a_new_customer_is_created_as_a_sales_account_and_found_afterwards(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    exact.on("GET", "bulk/CRM/Accounts", page([]))
    exact.on("POST", "crm/Accounts", created({"ID": "a-new", "Code": "              1003"}))
    assert sink.find_customer(company(), ["vat_number"]) is None
    assert sink.save_customer(company(), None) == "a-new"
    assert sent_json(exact.api_requests("crm/Accounts")[0]) == {
        "Name": "Noorderlicht B.V.",
        "Status": "C",
        "IsSales": True,
        "VATNumber": "nl800123456b01",
        "Email": "info@noorderlicht.example",
        "Phone": "+31 20 123 45 67",
        "AddressLine1": "Keizersgracht 100",
        "Postcode": "1015 AA",
        "City": "Amsterdam",
        "Country": "NL",
        "Language": "NL",
    }
    assert sink.find_customer(company(id="tl-c9"), ["vat_number"]) == "a-new"
    assert len(exact.api_requests("bulk/CRM/Accounts")) == 1


def test_a_person_is_updated_with_a_put_named_first_last(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("PUT", "crm/Accounts(guid'a-2')", httpx.Response(204))
    person = Customer("tl-p1", "person", "Peeters, Jan", first_name="Jan", last_name="Peeters", language="fr")
    assert sink.save_customer(person, "a-2") == "a-2"
    [put] = exact.api_requests()
    assert put.method == "PUT"
    body = sent_json(put)
    assert isinstance(body, dict)
    assert body["Name"] == "Jan Peeters" and body["Language"] == "FR" and body["Status"] == "C"


# ---------------------------------------------------------------- payments


def term(timestamp: int, entry_id: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "Timestamp": timestamp,
        "ID": f"r-{entry_id}",
        "TransactionEntryID": entry_id,
        "LineType": 20,
        "IsFullyPaid": False,
        "Status": 20,
        "LastPaymentDate": None,
        "EndDate": None,
    }
    row.update(values)
    return row


def test_payment_changes_report_each_receivable_once_with_its_latest_state(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    paid_on = "/Date(1791331200000)/"  # 2026-10-07
    next_url = "https://start.exactonline.nl/api/v1/123456/sync/Cashflow/PaymentTerms?$skiptoken=4294967302L"
    exact.on(
        "GET",
        "sync/Cashflow/PaymentTerms",
        page(
            [
                term(4294967301, "e-1"),
                term(4294967302, "e-2", Status=30),
                term(4294967303, "e-9", LineType=22, IsFullyPaid=True, Status=50),
            ],
            next_url,
        ),
        page(
            [term(4294967310, "e-1", IsFullyPaid=True, Status=50, LastPaymentDate=paid_on, EndDate=paid_on)]
        ),
    )
    changes, cursor = sink.payment_changes(None)
    assert sorted(changes, key=lambda c: c.target_id) == [
        PaymentStatus("e-1", True, date(2026, 10, 7)),
        PaymentStatus("e-2", False, None, in_collection=True),
    ]
    assert cursor == "4294967310"
    first = exact.api_requests()[0]
    assert first.url.params["$filter"] == "Timestamp gt 1L"
    assert "TransactionEntryID" in first.url.params["$select"]


def test_payment_changes_with_nothing_new_keep_the_cursor(sink: ExactOnlineSink, exact: FakeExact) -> None:
    exact.on("GET", "sync/Cashflow/PaymentTerms", page([]))
    assert sink.payment_changes("4294967310") == ([], "4294967310")
    assert exact.api_requests()[0].url.params["$filter"] == "Timestamp gt 4294967310L"


# ---------------------------------------------------------------- customers from Exact


def test_changed_customers_are_companies_with_their_contacts_as_people(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    modified = "/Date(1791331200000)/"
    exact.on(
        "GET",
        "sync/CRM/Accounts",
        page(
            [
                {"Timestamp": 7, "ID": "a-1", "Name": "Old name", "Status": "C", "IsSales": True},
                {"Timestamp": 8, "ID": "a-2", "Name": "Supplier only", "Status": "A", "IsSupplier": True},
                {
                    "Timestamp": 9,
                    "ID": "a-1",
                    "Name": "Noorderlicht BV",
                    "Status": "C",
                    "IsSales": True,
                    "VATNumber": "NL800123456B01",
                    "Email": "info@noorderlicht.example",
                    "Country": "NL ",
                    "Language": "NL",
                    "Modified": modified,
                },
            ]
        ),
    )
    exact.on(
        "GET",
        "crm/Contacts",
        page(
            [
                {
                    "ID": "c-1",
                    "Account": "a-1",
                    "FirstName": "Els",
                    "LastName": "Jansen",
                    "Email": "els@x.example",
                }
            ]
        ),
    )
    customers, cursor = sink.changed_customers(None)
    assert cursor == "9"
    assert [(c.kind, c.id, c.name) for c in customers] == [
        ("company", "a-1", "Noorderlicht BV"),
        ("person", "c-1", "Els Jansen"),
    ]
    firm, els = customers
    assert firm.vat_number == "NL800123456B01" and firm.address.country == "NL" and firm.language == "nl"
    assert firm.tags == ("Exact Online Import",)
    assert firm.updated_at == datetime(2026, 10, 7, tzinfo=UTC)
    assert els.company_id == "a-1" and els.first_name == "Els" and els.tags == ("Exact Online Import",)
    contacts = exact.api_requests("crm/Contacts")[0]
    assert contacts.url.params["$filter"] == "(Account eq guid'a-1')"
