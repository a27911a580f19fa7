"""The Teamleader source against a scripted Teamleader (httpx.MockTransport): translation, what is
synced, payments and error bodies, each as a user of the connector would notice them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from teamleader_fake import (
    CET,
    DEPT,
    OTHER,
    R6,
    R21,
    FakeTeamleader,
    all_documents,
    company,
    error,
    invoice,
    make_source,
    money,
)

from connector.contract.errors import ApiError, ConfigurationError
from connector.contract.tokens import MemoryTokenStore
from connector.testing import FakeClock
from connector_teamleader.source import TeamleaderSource

# -- translation ------------------------------------------------------------------------------------


def mixed_invoice() -> dict[str, Any]:
    """USD, 21 % and 6 % lines, a 10 % line discount and a 5 % commercial discount, 500 already paid."""
    data = invoice("mixed", currency="USD")
    data["grouped_lines"] = [
        {
            "section": {"title": "Services"},
            "line_items": [
                {
                    "quantity": 10,
                    "description": "Consultancy",
                    "unit_price": {"amount": 100.0, "tax": "excluding"},
                    "tax": {"type": "taxRate", "id": R21},
                    "discount": None,
                    "total": {
                        "tax_exclusive": money(1000.0, "USD"),
                        "tax_exclusive_before_discount": money(1000.0, "USD"),
                    },
                },
                {
                    "quantity": 3,
                    "description": "Book",
                    "product": {"type": "product", "id": "prod-book"},
                    "product_category": {"type": "productCategory", "id": "cat-books"},
                    "unit_price": {"amount": 16.65, "tax": "excluding"},
                    "tax": {"type": "taxRate", "id": R6},
                    "discount": {"type": "percentage", "value": 10},
                    "total": {
                        "tax_exclusive": money(44.96, "USD"),
                        "tax_exclusive_before_discount": money(49.95, "USD"),
                    },
                },
            ],
        }
    ]
    data["discounts"] = [{"type": "percentage", "value": 5, "description": "loyalty"}]
    data["total"] = {
        "tax_exclusive": money(992.21, "USD"),
        "tax_exclusive_before_discount": money(1049.95, "USD"),
        "tax_inclusive": money(1191.27, "USD"),
        "payable": money(1191.27, "USD"),
        "due": money(691.27, "USD"),
        "taxes": [
            {"rate": 0.21, "taxable": money(950.0, "USD"), "tax": money(199.5, "USD")},
            {"rate": 0.06, "taxable": money(42.21, "USD"), "tax": money(2.53, "USD")},
        ],
    }
    data["currency_exchange_rate"] = {"from": "USD", "to": "EUR", "rate": 0.9123}
    data["payment_term"] = {"type": "end_of_month", "days": 30}
    data["expected_payment_method"] = {"method": "sepa_direct_debit", "reference": "MANDATE-1"}
    data["purchase_order_number"] = "PO-7"
    data["payment_reference"] = "+++084/2613/66074+++"
    return data


def test_a_mixed_rate_usd_invoice_with_discounts_is_translated_to_the_cent(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["mixed"] = mixed_invoice()
    [document] = all_documents(source)
    consultancy, book = document.lines
    assert (consultancy.tax_rate.description, consultancy.tax_rate.rate) == ("21%", Decimal("0.21"))
    assert (consultancy.quantity, consultancy.unit_price, consultancy.amount) == (
        10,
        Decimal("100.0"),
        Decimal("1000.00"),
    )
    assert consultancy.discount is None
    assert (consultancy.product_id, consultancy.product_category_id) == (None, None)
    assert (book.product_id, book.product_category_id) == ("prod-book", "cat-books")
    assert (book.tax_rate.description, book.unit_price) == ("6%", Decimal("16.65"))
    assert (book.amount_before_discount, book.amount) == (Decimal("49.95"), Decimal("44.96"))
    assert book.discount is not None and book.discount.percentage == Decimal("10")
    assert [(d.percentage, d.description) for d in document.discounts] == [(Decimal("5"), "loyalty")]
    totals = document.totals
    assert [(t.rate, t.taxable, t.tax) for t in totals.taxes] == [
        (Decimal("0.21"), Decimal("950.00"), Decimal("199.50")),
        (Decimal("0.06"), Decimal("42.21"), Decimal("2.53")),
    ]
    assert (totals.tax_exclusive, totals.tax_inclusive) == (Decimal("992.21"), Decimal("1191.27"))
    assert (totals.tax_exclusive_before_discount, totals.payable, totals.due) == (
        Decimal("1049.95"),
        Decimal("1191.27"),
        Decimal("691.27"),
    )
    assert (document.currency, document.exchange_rate) == ("USD", Decimal("0.9123"))
    assert document.failure is None, "0.9123 EUR per USD is within 5% of today's 1 EUR = 1.1 USD"
    assert document.payment_term is not None and document.payment_term.key == "end_of_month 30"
    assert document.expected_payment_method == "sepa_direct_debit"
    assert (document.number, document.date, document.due_date) == (
        "2026 / mixed",
        date(2026, 2, 10),
        date(2026, 3, 12),
    )
    assert (document.status, document.paid, document.reference) == ("outstanding", False, "PO-7")
    assert document.payment_reference == "+++084/2613/66074+++"
    assert document.updated_at == datetime(2026, 2, 10, 9, tzinfo=UTC)


def test_the_customer_comes_from_the_company_with_its_primary_email_and_phone(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1")
    [document] = all_documents(source)
    customer = document.customer
    assert (customer.kind, customer.name, customer.vat_number) == ("company", "Pied Piper", "BE0899623035")
    assert (customer.email, customer.phone, customer.language) == ("info@piedpiper.eu", "09 222", "nl")
    assert (customer.address.city, customer.address.country, customer.tags) == ("Ghent", "BE", ("vip",))


def test_a_credit_note_names_the_invoice_it_credits(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    note = invoice("cn1")
    for name in ("invoice_number", "invoice_date", "due_on", "payment_term"):
        note.pop(name)
    note.update(
        credit_note_number="2026 / 1",
        credit_note_date="2026-02-11",
        status="booked",
        invoice={"type": "invoice", "id": "1"},
        payment_reference="+++084/2613/66074+++",  # not in creditNotes.info (notes §9): never read
    )
    fake.credit_notes["cn1"] = note
    [document] = all_documents(source)
    assert (document.kind, document.number, document.date) == ("credit_note", "2026 / 1", date(2026, 2, 11))
    assert (document.invoice_id, document.key) == ("1", "credit_note:cn1")
    assert document.payment_reference is None


# -- what is synced ---------------------------------------------------------------------------------


def test_only_booked_documents_of_the_department_from_the_start_date_appear(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices.update(
        {
            "booked": invoice("booked"),
            "paid": invoice("paid", status="matched"),
            "draft": invoice("draft", status="draft"),
            "other": invoice("other", dept=OTHER),
            "old": invoice("old", day="2025-12-31"),
        }
    )
    assert sorted(d.id for d in all_documents(source)) == ["booked", "paid"]


def test_documents_still_filtered_when_the_service_ignores_the_filter(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    """A list that answers unfiltered must not leak drafts, other departments or old documents."""
    fake.filters_ignored = True
    fake.invoices.update(
        {
            "booked": invoice("booked"),
            "draft": invoice("draft", status="draft"),
            "other": invoice("other", dept=OTHER),
            "old": invoice("old", day="2025-06-01"),
        }
    )
    assert [d.id for d in all_documents(source)] == ["booked"]


def test_updated_since_is_sent_in_utc_to_the_second(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices.update({"old": invoice("old"), "new": invoice("new")})
    fake.invoices["new"]["updated_at"] = "2026-02-20T08:00:00+00:00"
    since = datetime(2026, 2, 20, 9, 30, 15, 123456, tzinfo=UTC).astimezone(UTC) - timedelta(hours=2)
    found = all_documents(source, kinds=["invoice"], updated_since=since.astimezone(CET))
    assert [d.id for d in found] == ["new"]
    [(_, body)] = [call for call in fake.calls if call[0] == "invoices.list"]
    assert body["filter"]["updated_since"] == "2026-02-20T07:30:15+00:00"


def test_paging_stops_at_the_first_short_page(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices.update({f"{n:03}": invoice(f"{n:03}") for n in range(250)})
    assert len(all_documents(source, kinds=["invoice"])) == 250
    assert fake.count("invoices.list") == 3


def test_a_list_that_ignores_paging_is_read_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.paging_ignored = True
    fake.invoices.update({f"{n:03}": invoice(f"{n:03}") for n in range(100)})
    assert len(all_documents(source, kinds=["invoice"])) == 100
    assert fake.count("invoices.list") == 2


def test_customers_and_tax_rates_cost_few_calls(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    """150 documents of 150 companies: 2 company calls (ids filter, 100 each), 1 tax-rate call."""
    for n in range(150):
        fake.companies[f"co-{n}"] = company(f"co-{n}", f"Customer {n}")
        fake.invoices[f"{n:03}"] = invoice(f"{n:03}", customer=f"co-{n}")
    documents = all_documents(source, kinds=["invoice"])
    assert {d.customer.name for d in documents} == {f"Customer {n}" for n in range(150)}
    all_documents(source, kinds=["invoice"])
    assert fake.count("companies.list") == 2
    assert fake.count("taxRates.list") == 1
    assert fake.count("invoices.info") == 300
    assert source.calls_used == len(fake.calls)


def test_a_vanished_customer_falls_back_to_the_invoicee_on_the_document(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1", customer="gone")
    [document] = all_documents(source)
    assert (document.customer.id, document.customer.name, document.customer.vat_number) == (
        "gone",
        "Pied Piper",
        "BE0899623035",
    )


def test_documents_by_key_skips_those_that_no_longer_exist(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices.update({"1": invoice("1"), "2": invoice("2")})
    found = list(source.documents_by_key(["invoice:2", "invoice:deleted", "credit_note:nope", "junk"]))
    assert [d.key for d in found] == ["invoice:2"]


def test_an_unknown_department_lists_the_ones_there_are(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, department="Acme NV")
    with pytest.raises(ConfigurationError) as raised:
        source.tax_rates()
    assert "'Acme BV'" in str(raised.value) and "'Acme Services'" in str(raised.value)


def test_the_department_may_be_given_by_id(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, department=DEPT)
    assert sorted(rate.description for rate in source.tax_rates()) == ["21%", "6%"]


# -- payments ---------------------------------------------------------------------------------------


def test_mark_paid_registers_what_is_still_due_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices["mixed"] = mixed_invoice()
    payment = source.mark_paid("mixed", date(2026, 2, 27))
    assert payment is not None and payment.amount == Decimal("691.27")
    assert fake.payments == [
        {
            "id": "mixed",
            "payment": {"amount": 691.27, "currency": "USD"},
            "paid_at": "2026-02-27T00:00:00+00:00",
        }
    ]
    fake.invoices["mixed"].update(
        paid=True, status="matched", total={**mixed_invoice()["total"], "due": money(0, "USD")}
    )
    assert source.mark_paid("mixed", date(2026, 2, 28)) is None
    assert len(fake.payments) == 1


def test_an_error_body_becomes_an_api_error_with_its_title(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1")
    fake.invoices["1"]["total"]["due"] = money(-5)  # nothing due: nothing sent
    assert source.mark_paid("1", date(2026, 2, 27)) is None
    fake.before = lambda path, body: (
        error(400, "payment.currency must be the invoice currency EUR")
        if (path == "invoices.registerPayment")
        else None
    )
    fake.invoices["1"]["total"]["due"] = money(121)
    with pytest.raises(ApiError) as raised:
        source.mark_paid("1", date(2026, 2, 27))
    assert raised.value.status == 400
    assert "payment.currency must be the invoice currency EUR" in str(raised.value)
