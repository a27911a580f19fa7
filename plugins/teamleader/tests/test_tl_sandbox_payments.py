"""The Teamleader sandbox's payments, credit notes, currencies, due dates and demo data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sandbox_documents import draft_body, money

from connector_teamleader.sandbox import TeamleaderSandbox
from connector_teamleader.sandbox.invoices import due_date


def pay(api: Any, ident: str, amount: Any, at: str = "2026-03-10T10:00:00+00:00") -> Any:
    return api("invoices.registerPayment", {"id": ident, "payment": money(amount), "paid_at": at})


def test_partial_then_full_payment(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", date="2026-03-01", lines=[{"price": 100}])  # 121.00
    assert pay(bare_api, invoice.id, 21).status_code == 204
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert (info["status"], info["paid"], info["paid_at"]) == ("outstanding", False, None)
    assert info["total"]["due"] == money(100)
    assert pay(bare_api, invoice.id, 100, "2026-03-20T08:30:00+00:00").status_code == 204
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert (info["status"], info["paid"]) == ("matched", True)
    assert info["paid_at"] == "2026-03-20T08:30:00+00:00"
    assert info["total"]["due"] == money(0)
    assert [p["payment"] for p in info["payments"]] == [money(21), money(100)]


def test_payment_on_a_paid_invoice_is_accepted_and_overpays(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}], paid=True)
    assert invoice.status == "matched"
    assert pay(bare_api, invoice.id, 5).status_code == 204
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert info["status"] == "matched" and info["total"]["due"] == money(-5)


def test_remove_payments_resets_to_outstanding(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}], paid=True)
    assert bare_api("invoices.removePayments", {"id": invoice.id}).status_code == 204
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert (info["status"], info["paid"], info["paid_at"], info["payments"]) == (
        "outstanding",
        False,
        None,
        [],
    )
    assert info["total"]["due"] == money(121)


def test_payment_validation(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}])
    wrong_currency = {
        "id": invoice.id,
        "payment": {"amount": 1, "currency": "USD"},
        "paid_at": "2026-03-01T00:00:00Z",
    }
    assert bare_api("invoices.registerPayment", wrong_currency).status_code == 400
    no_date = {"id": invoice.id, "payment": money(1)}
    assert bare_api("invoices.registerPayment", no_date).json()["errors"][0]["meta"]["field"] == "paid_at"
    ident = bare_api("invoices.draft", draft_body(bare)).json()["data"]["id"]
    assert pay(bare_api, ident, 1).status_code == 400


def test_every_change_bumps_updated_at(bare: TeamleaderSandbox, bare_api: Any) -> None:
    ident = bare_api("invoices.draft", draft_body(bare)).json()["data"]["id"]
    seen = [bare_api.data("invoices.info", {"id": ident})["updated_at"]]
    for action in (
        lambda: bare_api("invoices.book", {"id": ident, "on": "2026-03-01"}),
        lambda: pay(bare_api, ident, 1),
        lambda: bare_api("invoices.removePayments", {"id": ident}),
        lambda: bare_api("invoices.credit", {"id": ident}),
    ):
        bare.advance(5)
        assert action().status_code in (201, 204)
        seen.append(bare_api.data("invoices.info", {"id": ident})["updated_at"])
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_credit_creates_a_booked_positive_credit_note(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(
        customer="Pied Piper BV", date="2026-02-01", lines=[{"price": 100, "discount": 10}]
    )
    created = bare_api("invoices.credit", {"id": invoice.id, "credit_note_date": "2026-02-15"})
    assert created.status_code == 201
    assert created.json()["data"]["type"] == "creditNote"
    note = bare_api.data("creditNotes.info", {"id": created.json()["data"]["id"]})
    assert isinstance(note, dict)
    assert note["status"] == "booked" and note["credit_note_number"] == "2026 / 1"
    assert note["credit_note_date"] == "2026-02-15"
    assert note["invoice"] == {"type": "invoice", "id": invoice.id}
    assert note["total"]["payable"] == money(108.9)
    assert note["grouped_lines"][0]["line_items"][0]["discount"] == {"type": "percentage", "value": 10}
    assert note["invoicee"]["name"] == "Pied Piper BV"
    listed = bare_api.data("creditNotes.list", {"filter": {"invoice_id": invoice.id}})
    assert [item["id"] for item in listed] == [note["id"]]
    after = bare_api.data("invoices.info", {"id": invoice.id})
    assert after["total"]["due"] == money(0) and after["status"] == "matched"
    assert bare_api("invoices.credit", {"id": invoice.id}).status_code == 400


def test_credit_note_numbers_run_per_department(bare: TeamleaderSandbox) -> None:
    a = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 1}], date="2026-06-01")
    b = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 1}], date="2026-06-01")
    c = bare.book_invoice(
        department="Acme Services BV", customer="Pied Piper BV", lines=[{"price": 1}], date="2026-06-01"
    )
    numbers = [bare.credit(item.id, "2026-06-02").credit_note_number for item in (a, b, c)]
    assert numbers == ["2026 / 1", "2026 / 2", "2026 / 1"]


def test_credit_defaults_to_todays_date(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 1}], date="2026-01-05")
    bare.advance(86400 * 3)
    bare_api.token, _ = bare.issue_tokens()  # the old one expired meanwhile
    ident = bare_api("invoices.credit", {"id": invoice.id}).json()["data"]["id"]
    assert (
        bare_api.data("creditNotes.info", {"id": ident})["credit_note_date"]
        == bare.clock.now().date().isoformat()
    )


def test_invoicee_is_a_snapshot_taken_at_booking(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 1}])
    company = invoice.customer_id
    assert (
        bare_api(
            "companies.update", {"id": company, "name": "Pied Piper NV", "vat_number": "BE0111111111"}
        ).status_code
        == 204
    )
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert info["invoicee"]["name"] == "Pied Piper BV"
    assert info["invoicee"]["vat_number"] == "BE0899623035"
    assert info["invoicee"]["email"] == "invoices@piedpiper.example"


def test_foreign_currency_invoice(bare: TeamleaderSandbox, bare_api: Any) -> None:
    body = draft_body(bare, currency={"code": "USD", "exchange_rate": 1.0843})
    ident = bare_api("invoices.draft", body).json()["data"]["id"]
    info = bare_api.data("invoices.info", {"id": ident})
    assert info["currency"] == "USD"
    assert info["currency_exchange_rate"] == {"from": "USD", "to": "EUR", "rate": 1.0843}
    assert info["total"]["payable"] == {"amount": 1210, "currency": "USD"}
    listed = bare_api.data("invoices.list", {"filter": {"ids": [ident]}})[0]
    assert listed["total"]["tax_inclusive"]["currency"] == "USD"


def test_same_currency_exchange_rate_is_one(sandbox: TeamleaderSandbox, api: Any) -> None:
    item = api.data("invoices.list", {"page": {"size": 1}})[0]
    assert item["currency_exchange_rate"] == {"from": "EUR", "to": "EUR", "rate": 1}


@pytest.mark.parametrize(
    ("kind", "days", "on", "due"),
    [
        ("after_invoice_date", 14, date(2026, 1, 20), date(2026, 2, 3)),
        ("after_invoice_date", 30, date(2026, 1, 31), date(2026, 3, 2)),
        ("end_of_month", 30, date(2026, 1, 20), date(2026, 2, 28)),
        ("end_of_month", 0, date(2026, 4, 2), date(2026, 4, 30)),
        ("cash", 0, date(2026, 5, 5), date(2026, 5, 5)),
    ],
)
def test_due_dates_from_payment_terms(kind: str, days: int, on: date, due: date) -> None:
    assert due_date(on, kind, days) == due


def test_due_on_shown_for_an_end_of_month_invoice(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(
        customer="Pied Piper BV",
        date="2026-01-20",
        lines=[{"price": 1}],
        payment_term={"type": "end_of_month", "days": 30},
    )
    assert bare_api.data("invoices.info", {"id": invoice.id})["due_on"] == "2026-02-28"


def test_expected_payment_method_is_shown(bare: TeamleaderSandbox, bare_api: Any) -> None:
    invoice = bare.book_invoice(
        customer="Pied Piper BV",
        lines=[{"price": 1}],
        expected_payment_method={"method": "sepa_direct_debit", "reference": "M-1"},
    )
    info = bare_api.data("invoices.info", {"id": invoice.id})
    assert info["expected_payment_method"] == {"method": "sepa_direct_debit", "reference": "M-1"}


def test_demo_data_has_what_the_demo_needs(sandbox: TeamleaderSandbox) -> None:
    main = sandbox.department_id("Acme BV")
    booked = [i for i in sandbox.invoices.values() if i.department_id == main and i.status != "draft"]
    assert 90 <= len(booked) <= 110
    assert min(i.invoice_date for i in booked if i.invoice_date) == date(2026, 1, 5)
    assert sum(i.status == "draft" for i in sandbox.invoices.values()) >= 3
    assert any(i.currency == "USD" for i in booked)
    assert sum(i.paid for i in booked) >= 5
    assert any(i.payments and not i.paid for i in booked)
    assert sum((i.expected_payment_method or {}).get("method") == "sepa_direct_debit" for i in booked) >= 3
    assert any(i.discounts for i in booked)
    assert any(line.discount for i in booked for group in i.groups for line in group.lines)
    assert len({tax.rate for i in booked for tax in i.totals.taxes}) >= 3
    assert len(sandbox.credit_notes) >= 3
    assert len(sandbox.companies) >= 24 and len(sandbox.contacts) >= 6
    vats = [c.get("vat_number") for c in sandbox.companies.values()]
    assert any(v.startswith("BE") for v in vats) and any(v.startswith("NL") for v in vats)


def test_demo_data_is_deterministic() -> None:
    from connector_teamleader.sandbox import start_sandbox

    one, two = start_sandbox(), start_sandbox()
    try:

        def fingerprint(server: TeamleaderSandbox) -> list[tuple[Any, ...]]:
            return [(i.id, i.invoice_number, i.totals.payable, i.status) for i in server.invoices.values()]

        assert fingerprint(one) == fingerprint(two)
        assert one.generate(50, seed=7) == two.generate(50, seed=7)
        assert fingerprint(one) == fingerprint(two)
    finally:
        one.stop()
        two.stop()


def test_generate_books_n_documents_quickly(bare: TeamleaderSandbox) -> None:
    """The benchmark's helper: 5,000 booked documents in process, numbered in date order."""
    result = bare.generate(5000, seed=1)
    assert result["invoices"] + result["credit_notes"] == 5000
    assert len(bare.invoices) + len(bare.credit_notes) == 5000
    ordered = sorted(bare.invoices.values(), key=lambda i: i.sequence)
    assert ordered[0].invoice_number == "2025 / 1"
    assert all(i.status != "draft" for i in ordered)
    assert sum((i.totals.payable for i in ordered), Decimal(0)) > 0
