"""Builders of the Teamleader sandbox's invoice bodies, shared by its invoice and payment tests."""

from __future__ import annotations

from typing import Any

from connector_teamleader.sandbox import TeamleaderSandbox


def draft_body(server: TeamleaderSandbox, **extra: Any) -> dict[str, Any]:
    company = next(iter(server.companies.values()))
    body = {
        "invoicee": {"customer": {"type": "company", "id": company.id}},
        "department_id": server.department_id(),
        "payment_term": {"type": "after_invoice_date", "days": 30},
        "grouped_lines": [
            {
                "line_items": [
                    {
                        "quantity": 10,
                        "description": "Consultancy (hours)",
                        "unit_price": {"amount": 100.0, "tax": "excluding"},
                        "tax_rate_id": server.tax_rate_id("21%"),
                    }
                ]
            }
        ],
    }
    body.update(extra)
    return body


def line(server: TeamleaderSandbox, qty: Any, price: Any, rate: str, discount: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "quantity": qty,
        "description": f"{qty} x {price} at {rate}",
        "unit_price": {"amount": price, "tax": "excluding"},
        "tax_rate_id": server.tax_rate_id(rate),
    }
    if discount is not None:
        item["discount"] = {"type": "percentage", "value": discount}
    return item


def money(amount: Any) -> dict[str, Any]:
    return {"amount": amount, "currency": "EUR"}
