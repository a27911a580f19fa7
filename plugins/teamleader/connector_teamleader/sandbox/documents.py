"""Invoices and credit notes as the simulator keeps them, and the JSON shapes the API shows.

Shapes from notes §7.1 (list item), §7.2/§8 (invoices.info), §7.4/§9 (credit notes). The list item
carries no lines, payments, payment_term or currency; `info` adds them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .booked import CreditNote, Document, Invoice
from .common import WEB, day, iso, money, number, ref
from .crm import invoicee
from .store import Store

"""`receiver_paid` is the customer's message that it paid, not a payment Teamleader registered: the
invoice stays unpaid (`paid`, `total.due`) until a payment is registered."""


def _invoicee(store: Store, doc: Document, *, info: bool) -> dict[str, Any]:
    data = doc.snapshot or invoicee(store, doc.customer_type, doc.customer_id)
    result: dict[str, Any] = {
        "name": data["name"],
        "vat_number": data["vat_number"],
        "customer": {"type": doc.customer_type, "id": doc.customer_id},
    }
    if isinstance(doc, Invoice):
        attention = doc.for_attention_of
        result["for_attention_of"] = (
            {"name": attention.get("name"), "contact": ref("contact", attention.get("contact_id"))}
            if attention
            else None
        )
    if info:
        result["email"] = data["email"]
        result["national_identification_number"] = data["national_identification_number"]
    return result


def _exchange(store: Store, doc: Document) -> dict[str, Any]:
    """`from` the document's currency `to` the department's (notes §"Evidence 2026-12"); the rate in
    the orientation the `rate_orientation` setting names, as its direction is UNVERIFIED (`currencies`)."""
    department = store.departments[doc.department_id]
    rate = Decimal(1) if doc.currency == department.currency else store.market.show(doc.exchange_rate)
    return {"from": doc.currency, "to": department.currency, "rate": number(rate)}


def _total(doc: Document, *, info: bool) -> dict[str, Any]:
    totals, currency = doc.totals, doc.currency
    result: dict[str, Any] = {
        "tax_exclusive": money(totals.exclusive, currency),
        "tax_inclusive": money(totals.inclusive, currency),
        "payable": money(totals.payable, currency),
        "taxes": [
            {
                "rate": number(tax.rate),
                "taxable": money(tax.taxable, currency),
                "tax": money(tax.tax, currency),
            }
            for tax in totals.taxes
        ],
    }
    if isinstance(doc, Invoice):
        result["due"] = money(doc.due(), currency)
    if info:
        result["tax_exclusive_before_discount"] = money(totals.exclusive_before_discount, currency)
        result["tax_inclusive_before_discount"] = money(totals.inclusive_before_discount, currency)
        if isinstance(doc, Invoice):
            result["withheld_taxes"] = []
    return result


def _grouped_lines(doc: Document, *, invoice: bool) -> list[dict[str, Any]]:
    groups, position = [], 0
    for group in doc.groups:
        items = []
        for line in group.lines:
            total = doc.totals.lines[position]
            position += 1
            item: dict[str, Any] = {
                "product": ref("product", line.product_id),
                "product_category": ref("productCategory", line.product_category_id),
                "quantity": number(line.quantity),
                "description": line.description,
                "extended_description": line.extended_description,
                "unit": ref("unitOfMeasure", line.unit_of_measure_id),
                "unit_price": {"amount": number(line.unit_price), "tax": "excluding"},
                "tax": {"type": "taxRate", "id": line.tax_rate_id},
                "discount": (
                    {"type": "percentage", "value": number(line.discount)}
                    if line.discount is not None
                    else None
                ),
                "total": {
                    "tax_exclusive": money(total.exclusive, doc.currency),
                    "tax_exclusive_before_discount": money(total.exclusive_before_discount, doc.currency),
                    "tax_inclusive": money(total.inclusive, doc.currency),
                    "tax_inclusive_before_discount": money(total.inclusive_before_discount, doc.currency),
                },
            }
            if invoice:
                item["withheld_tax"] = None
            items.append(item)
        groups.append({"section": {"title": group.title or ""}, "line_items": items})
    return groups


def _discounts(doc: Document) -> list[dict[str, Any]]:
    return [
        {"type": "percentage", "value": number(item.value), "description": item.description}
        for item in doc.discounts
    ]


def invoice_json(store: Store, invoice: Invoice, *, info: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": invoice.id,
        "department": {"type": "department", "id": invoice.department_id},
        "invoice_number": invoice.invoice_number,
        "invoice_date": day(invoice.invoice_date),
        "status": invoice.status,
        "due_on": day(invoice.due_on),
        "paid": invoice.paid,
        "paid_at": iso(invoice.paid_at),
        "sent": invoice.sent,
        "purchase_order_number": invoice.purchase_order_number,
        "payment_reference": invoice.payment_reference,
        "invoicee": _invoicee(store, invoice, info=info),
        "total": _total(invoice, info=info),
        "currency_exchange_rate": _exchange(store, invoice),
        "created_at": iso(invoice.created_at),
        "updated_at": iso(invoice.updated_at),
        "web_url": f"{WEB}/invoice_detail.php?id={invoice.id}",
        "file": ref("file", invoice.file_id),
        "deal": None,
        "project": None,
        "subscription": None,
        "delivery_date": day(invoice.delivery_date),
    }
    if info:
        data.update(
            discounts=_discounts(invoice),
            grouped_lines=_grouped_lines(invoice, invoice=True),
            payment_term=dict(invoice.payment_term),
            payments=[
                {"paid_at": iso(payment.paid_at), "payment": money(payment.amount, payment.currency)}
                for payment in invoice.payments
            ],
            note=invoice.note,
            currency=invoice.currency,
            expected_payment_method=invoice.expected_payment_method,
            on_hold_since=None,
            custom_fields=[],
            document_template={"type": "documentTemplate", "id": store.document_template_id},
            peppol_status=invoice.peppol_status,
        )
    return data


def credit_note_json(store: Store, note: CreditNote, *, info: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": note.id,
        "department": {"type": "department", "id": note.department_id},
        "credit_note_number": note.credit_note_number,
        "credit_note_date": day(note.credit_note_date),
        "status": note.status,
        "invoice": ref("invoice", note.invoice_id),
        "paid": note.paid_at is not None,
        "paid_at": iso(note.paid_at),
        "invoicee": _invoicee(store, note, info=info),
        "total": _total(note, info=info),
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
    }
    if info:
        data.update(
            discounts=_discounts(note),
            grouped_lines=_grouped_lines(note, invoice=False),
            currency=note.currency,
            currency_exchange_rate=_exchange(store, note),
            document_template={"type": "documentTemplate", "id": store.document_template_id},
            peppol_status=note.peppol_status,
        )
    return data
