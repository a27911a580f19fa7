"""Invoice business rules of the simulator: totals and VAT, numbers, payments, credit notes (notes §7-§9)."""

from __future__ import annotations

from typing import Any

from sandbox_documents import draft_body, line, money

from connector_teamleader.sandbox import TeamleaderSandbox


def test_notes_example_invoice_totals(bare: TeamleaderSandbox, bare_api: Any) -> None:
    """10 x 100 at 21% and 2 x 250 at 6% less 10%: the self-consistent example of notes §8."""
    body = draft_body(
        bare,
        grouped_lines=[
            {
                "section": {"title": "Services"},
                "line_items": [line(bare, 10, 100, "21%"), line(bare, 2, 250, "6%", discount=10)],
            }
        ],
    )
    created = bare_api("invoices.draft", body)
    assert created.status_code == 201
    ident = created.json()["data"]["id"]
    assert created.json()["data"]["type"] == "invoice"
    total = bare_api.data("invoices.info", {"id": ident})["total"]
    assert total["tax_exclusive"] == money(1450)
    assert total["tax_exclusive_before_discount"] == money(1500)
    assert total["tax_inclusive"] == money(1687)
    assert total["tax_inclusive_before_discount"] == money(1740)
    assert total["taxes"] == [
        {"rate": 0.21, "taxable": money(1000), "tax": money(210)},
        {"rate": 0.06, "taxable": money(450), "tax": money(27)},
    ]


def test_mixed_rates_with_line_and_commercial_discounts(bare: TeamleaderSandbox, bare_api: Any) -> None:
    """Worked by hand, half-up to cents:

    21%: 3 x 33.33 = 99.99, -10% = 89.991 -> 89.99; 1 x 100 = 100.00; sum 189.99
    12%: 7 x 1.15 = 8.05, -15% = 6.8425 -> 6.84
     6%: 2 x 12.345 = 24.69
     0%: 1 x 10.125 = 10.125 -> 10.13 (half-even would say 10.12)
    commercial 5% per rate: 189.99 -> 180.4905 -> 180.49; 6.84 -> 6.498 -> 6.50;
                            24.69 -> 23.4555 -> 23.46; 10.13 -> 9.6235 -> 9.62
    VAT per rate on the rounded taxable: 180.49 x .21 = 37.9029 -> 37.90; 6.50 x .12 = 0.78;
                                         23.46 x .06 = 1.4076 -> 1.41; 0
    tax_exclusive 220.07; VAT 40.09; tax_inclusive 260.16
    """
    lines = [
        line(bare, 3, 33.33, "21%", discount=10),
        line(bare, 1, 100, "21%"),
        line(bare, 7, 1.15, "12%", discount=15),
        line(bare, 2, 12.345, "6%"),
        line(bare, 1, 10.125, "0%"),
    ]
    discounts = [{"type": "percentage", "value": 5, "description": "loyalty"}]
    ident = bare_api(
        "invoices.draft", draft_body(bare, grouped_lines=[{"line_items": lines}], discounts=discounts)
    )
    ident = ident.json()["data"]["id"]
    assert bare_api("invoices.book", {"id": ident, "on": "2026-04-01"}).status_code == 204
    info = bare_api.data("invoices.info", {"id": ident})
    total = info["total"]
    assert total["taxes"] == [
        {"rate": 0.21, "taxable": money(180.49), "tax": money(37.9)},
        {"rate": 0.12, "taxable": money(6.5), "tax": money(0.78)},
        {"rate": 0.06, "taxable": money(23.46), "tax": money(1.41)},
        {"rate": 0, "taxable": money(9.62), "tax": money(0)},
    ]
    assert total["tax_exclusive"] == money(220.07)
    assert total["tax_inclusive"] == money(260.16)
    assert total["payable"] == money(260.16)
    assert total["due"] == money(260.16)
    assert total["tax_exclusive_before_discount"] == money(242.86)
    items = info["grouped_lines"][0]["line_items"]
    assert items[0]["total"]["tax_exclusive"] == money(89.99)
    assert items[0]["total"]["tax_exclusive_before_discount"] == money(99.99)
    assert items[0]["discount"] == {"type": "percentage", "value": 10}
    assert items[2]["total"]["tax_exclusive"] == money(6.84)
    assert items[4]["total"]["tax_exclusive"] == money(10.13)
    assert info["discounts"] == [{"type": "percentage", "value": 5, "description": "loyalty"}]


def test_numbers_run_per_department_and_year(bare: TeamleaderSandbox) -> None:
    first = bare.book_invoice(customer="Pied Piper BV", date="2026-01-10", lines=[{"price": 10}])
    second = bare.book_invoice(customer="Hooli B.V.", date="2026-01-11", lines=[{"price": 10}])
    other = bare.book_invoice(
        department="Acme Services BV", customer="Hooli B.V.", date="2026-01-12", lines=[{"price": 10}]
    )
    next_year = bare.book_invoice(customer="Hooli B.V.", date="2027-01-02", lines=[{"price": 10}])
    assert [first.invoice_number, second.invoice_number] == ["2026 / 1", "2026 / 2"]
    assert other.invoice_number == "2026 / 1"
    assert next_year.invoice_number == "2027 / 1"


def test_draft_has_no_number_and_booking_gives_one_over_the_api(
    bare: TeamleaderSandbox, bare_api: Any
) -> None:
    ident = bare_api("invoices.draft", draft_body(bare)).json()["data"]["id"]
    info = bare_api.data("invoices.info", {"id": ident})
    assert info["status"] == "draft" and info["invoice_number"] is None
    assert bare_api("invoices.book", {"id": ident, "on": "2026-05-04"}).status_code == 204
    info = bare_api.data("invoices.info", {"id": ident})
    assert info["status"] == "outstanding"
    assert info["invoice_number"] == "2026 / 1"
    assert info["invoice_date"] == "2026-05-04"
    assert info["due_on"] == "2026-06-03"
    assert info["payment_reference"].startswith("+++")


def test_booking_twice_and_updating_a_booked_invoice_are_refused(
    bare: TeamleaderSandbox, bare_api: Any
) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 10}])
    assert bare_api("invoices.book", {"id": invoice.id, "on": "2026-05-04"}).status_code == 400
    assert bare_api("invoices.update", {"id": invoice.id, "note": "x"}).status_code == 400


def test_update_replaces_a_drafts_lines(bare: TeamleaderSandbox, bare_api: Any) -> None:
    ident = bare_api("invoices.draft", draft_body(bare)).json()["data"]["id"]
    response = bare_api(
        "invoices.update", {"id": ident, "grouped_lines": [{"line_items": [line(bare, 1, 5, "6%")]}]}
    )
    assert response.status_code == 204
    assert bare_api.data("invoices.info", {"id": ident})["total"]["tax_inclusive"] == money(5.3)


def test_validation_errors_name_the_field(bare: TeamleaderSandbox, bare_api: Any) -> None:
    bad_line = {**line(bare, 1, 5, "6%"), "tax_rate_id": "nope"}
    cases = {
        "department_id": draft_body(bare, department_id="nope"),
        "payment_term.type": draft_body(bare, payment_term={"type": "whenever"}),
        "grouped_lines.0.line_items.0.tax_rate_id": draft_body(
            bare, grouped_lines=[{"line_items": [bad_line]}]
        ),
        "grouped_lines.0.section.title": draft_body(
            bare, grouped_lines=[{"section": {"title": ""}, "line_items": [line(bare, 1, 5, "6%")]}]
        ),
        "invoicee.customer.id": draft_body(bare, invoicee={"customer": {"type": "company", "id": "nope"}}),
    }
    for field, body in cases.items():
        response = bare_api("invoices.draft", body)
        assert response.status_code == 400, field
        assert response.json()["errors"][0]["meta"]["field"] == field


def test_a_tax_rate_of_another_department_is_refused(bare: TeamleaderSandbox, bare_api: Any) -> None:
    foreign = {**line(bare, 1, 5, "21%"), "tax_rate_id": bare.tax_rate_id("21%", "Acme Services BV")}
    assert (
        bare_api("invoices.draft", draft_body(bare, grouped_lines=[{"line_items": [foreign]}])).status_code
        == 400
    )
