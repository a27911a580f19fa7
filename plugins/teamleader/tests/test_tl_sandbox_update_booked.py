"""`invoices.updateBooked` (notes §7.3): a booked invoice changes, keeps its number, moves `updated_at`."""

from __future__ import annotations

from typing import Any

from connector_teamleader.sandbox import TeamleaderSandbox


def lines(server: TeamleaderSandbox, price: float) -> list[dict[str, Any]]:
    item = {
        "quantity": 1,
        "description": "Corrected",
        "unit_price": {"amount": price, "tax": "excluding"},
        "tax_rate_id": server.tax_rate_id("21%"),
    }
    return [{"line_items": [item]}]


def test_a_booked_invoice_gets_new_lines_and_totals_and_keeps_its_number(
    bare: TeamleaderSandbox, bare_api: Any
) -> None:
    invoice = bare.book_invoice(customer="Pied Piper BV", date="2026-05-04", lines=[{"price": 10}])
    before = bare_api.data("invoices.info", {"id": invoice.id})
    bare.advance(60)

    response = bare_api("invoices.updateBooked", {"id": invoice.id, "grouped_lines": lines(bare, 20)})

    assert response.status_code == 204
    after = bare_api.data("invoices.info", {"id": invoice.id})
    assert after["invoice_number"] == before["invoice_number"] == "2026 / 1"
    assert after["status"] == "outstanding"
    assert after["total"]["tax_inclusive"] == {"amount": 24.2, "currency": "EUR"}
    assert after["grouped_lines"][0]["line_items"][0]["description"] == "Corrected"
    assert after["updated_at"] > before["updated_at"]


def test_update_booked_refuses_drafts_and_accounts_that_do_not_allow_it(
    bare: TeamleaderSandbox, bare_api: Any
) -> None:
    draft = bare.book_invoice(customer="Pied Piper BV", draft=True, lines=[{"price": 10}])
    booked = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 10}])
    assert bare_api("invoices.updateBooked", {"id": draft.id, "note": "x"}).status_code == 400

    bare.store.edit_booked = False
    refused = bare_api("invoices.updateBooked", {"id": booked.id, "note": "x"})

    assert refused.status_code == 400
    assert "not allowed" in refused.json()["errors"][0]["title"]
