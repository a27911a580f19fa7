"""What the Exact Online sink reads and writes besides entries: accounts, payments, customers from
Exact (MockTransport; the fixtures are in conftest.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx

from connector.contract.records import Address, Customer, PaymentStatus
from connector_exact.sink import ExactOnlineSink
from connector_exact.testing import FakeExact, created, page

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
    assert json.loads(exact.api_requests("crm/Accounts")[0].content) == {
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
    body = json.loads(put.content)
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


def test_a_split_receivable_tells_what_is_matched_and_open_and_the_latest_payment_date(
    sink: ExactOnlineSink, exact: FakeExact
) -> None:
    """A partial payment splits the receivable (notes §6.9 EntryID, §7): the matched part is its own
    fully paid row; the open row's AmountFC is what is still open."""
    tenth, twentieth = "/Date(1791590400000)/", "/Date(1792454400000)/"  # 2026-10-10, 2026-10-20
    parts = {"TransactionAmountFC": 242.0}
    exact.on(
        "GET",
        "sync/Cashflow/PaymentTerms",
        page(
            [
                term(5, "e-1", AmountFC=192.0, LastPaymentDate=tenth, **parts),
                {
                    **term(
                        6, "e-1", AmountFC=50.0, IsFullyPaid=True, Status=50, LastPaymentDate=tenth, **parts
                    ),
                    "ID": "r-e-1-part",
                },
                term(7, "e-2", AmountFC=-60.5, TransactionAmountFC=-60.5),  # a credit note: negative
                term(8, "e-3"),  # no amounts selected: the sink cannot tell
                term(
                    9,
                    "e-4",
                    AmountFC=0.0,
                    IsFullyPaid=True,
                    Status=50,
                    LastPaymentDate=twentieth,
                    TransactionAmountFC=100.0,
                ),
            ]
        ),
    )
    changes = {c.target_id: c for c in sink.payment_changes(None)[0]}
    first = changes["e-1"]
    assert (first.fully_paid, first.amount_open, first.amount_matched) == (False, Decimal(192), Decimal(50))
    assert first.payment_date == date(2026, 10, 10)
    assert (changes["e-2"].amount_open, changes["e-2"].amount_matched) == (Decimal("60.5"), Decimal(0))
    assert (changes["e-3"].amount_open, changes["e-3"].amount_matched) == (None, None)
    assert changes["e-4"].fully_paid and changes["e-4"].amount_matched == Decimal(100)
    assert changes["e-4"].payment_date == date(2026, 10, 20)


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
