"""Teamleader JSON to canonical records: documents, lines, totals, customers, tax rates.

Shapes from the notes: invoices.info (§7.2, §8), creditNotes.info (§7.4, §9), companies (§7.5),
contacts (§7.6), taxRates.list (§7.7). Amounts are JSON numbers; they become `Decimal` through `str`
so 123.3 stays 123.3, and money is rounded half-up to cents. Credit-note amounts stay positive, as
printed (see `connector.contract.records`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from connector.contract.records import (
    Address,
    Customer,
    CustomerKind,
    Discount,
    Document,
    DocumentKind,
    Line,
    PaymentTerm,
    PaymentTermType,
    TaxRate,
    TaxTotal,
    Totals,
    cents,
)

from .client import parse_moment

PAYMENT_TERM_TYPES = ("after_invoice_date", "end_of_month", "cash")


# -- scalars ------------------------------------------------------------------------------------


def number(value: Any) -> Decimal | None:
    """A JSON number (or numeric string) as Decimal; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def money(value: Any) -> Decimal | None:
    """``{"amount": 123.03, "currency": "EUR"}`` as cents; None when absent."""
    if isinstance(value, Mapping):
        amount = number(value.get("amount"))
        return cents(amount) if amount is not None else None
    return None


def currency_of(value: Any) -> str | None:
    return value.get("currency") if isinstance(value, Mapping) else None


def day(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def moment(value: Any) -> datetime | None:
    return parse_moment(value) if isinstance(value, str) else None


def ref_id(value: Any) -> str | None:
    """The id of a ``{"type": ..., "id": ...}`` relation."""
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return cast(str, value["id"])
    return None


def text(value: Any) -> str | None:
    if value is None:
        return None
    result = str(value).strip()
    return result or None


# -- reference data -----------------------------------------------------------------------------


def tax_rate(item: Mapping[str, Any]) -> TaxRate:
    """A `taxRates.list` item: ``{"id", "description": "21%", "rate": 0.21, "department"}``."""
    return TaxRate(
        id=str(item["id"]),
        description=str(item.get("description") or item["id"]),
        rate=number(item.get("rate")) or Decimal(0),
    )


# -- customers ----------------------------------------------------------------------------------


def _email(emails: Any, preferred: tuple[str, ...]) -> str | None:
    entries = [entry for entry in emails or [] if isinstance(entry, Mapping) and entry.get("email")]
    for kind in preferred:
        for entry in entries:
            if entry.get("type") == kind:
                return str(entry["email"])
    return str(entries[0]["email"]) if entries else None


def _phone(telephones: Any) -> str | None:
    entries = [entry for entry in telephones or [] if isinstance(entry, Mapping) and entry.get("number")]
    for kind in ("phone", "mobile"):
        for entry in entries:
            if entry.get("type") == kind:
                return str(entry["number"])
    return str(entries[0]["number"]) if entries else None


def address(item: Mapping[str, Any]) -> Address:
    """`primary_address`, else the primary (or first) entry of `addresses` (info only)."""
    found = item.get("primary_address")
    if not isinstance(found, Mapping):
        entries = [entry for entry in item.get("addresses") or [] if isinstance(entry, Mapping)]
        primary = [entry for entry in entries if entry.get("type") == "primary"] or entries
        found = primary[0].get("address") if primary else None
    if not isinstance(found, Mapping):
        return Address()
    return Address(
        line_1=text(found.get("line_1")),
        postal_code=text(found.get("postal_code")),
        city=text(found.get("city")),
        country=text(found.get("country")),
    )


def company(item: Mapping[str, Any]) -> Customer:
    """A `companies.list` / `companies.info` item; e-mail: the primary one, else the invoicing one."""
    return Customer(
        id=str(item["id"]),
        kind="company",
        name=str(item.get("name") or ""),
        vat_number=text(item.get("vat_number")),
        email=_email(item.get("emails"), ("primary", "invoicing")),
        phone=_phone(item.get("telephones")),
        address=address(item),
        language=text(item.get("language")),
        updated_at=moment(item.get("updated_at")),
        tags=tuple(str(tag) for tag in item.get("tags") or []),
    )


def contact(item: Mapping[str, Any]) -> Customer:
    """A `contacts.list` / `contacts.info` item: a person named "first last".

    Only `contacts.info` lists the companies a contact works for; from a list item `company_id`
    stays None.
    """
    first, last = text(item.get("first_name")), text(item.get("last_name"))
    companies = [entry for entry in item.get("companies") or [] if isinstance(entry, Mapping)]
    return Customer(
        id=str(item["id"]),
        kind="person",
        name=" ".join(part for part in (first, last) if part),
        first_name=first,
        last_name=last,
        vat_number=text(item.get("vat_number")),
        email=_email(item.get("emails"), ("primary",)),
        phone=_phone(item.get("telephones")),
        address=address(item),
        language=text(item.get("language")),
        company_id=ref_id(companies[0].get("company")) if companies else None,
        updated_at=moment(item.get("updated_at")),
        tags=tuple(str(tag) for tag in item.get("tags") or []),
    )


def invoicee_customer(invoicee: Mapping[str, Any]) -> Customer:
    """The customer as the document shows it, for when the company or contact is gone.

    `invoicee` is a snapshot taken at booking (notes §8, assumed): name, VAT number, e-mail.
    """
    customer = invoicee.get("customer") or {}
    kind: CustomerKind = "person" if customer.get("type") == "contact" else "company"
    return Customer(
        id=str(customer.get("id") or ""),
        kind=kind,
        name=str(invoicee.get("name") or ""),
        vat_number=text(invoicee.get("vat_number")),
        email=text(invoicee.get("email")),
    )


# -- documents ----------------------------------------------------------------------------------


def payment_term(value: Any) -> PaymentTerm | None:
    if not isinstance(value, Mapping) or value.get("type") not in PAYMENT_TERM_TYPES:
        return None
    days = value.get("days")
    return PaymentTerm(
        type=cast(PaymentTermType, value["type"]),
        days=int(days) if isinstance(days, int | float) and value["type"] != "cash" else 0,
    )


def discount(value: Any) -> Discount | None:
    """A ``{"type": "percentage", "value": 10, "description"?}`` discount; the only type there is."""
    if not isinstance(value, Mapping) or value.get("type", "percentage") != "percentage":
        return None
    percentage = number(value.get("value"))
    if percentage is None or percentage == 0:
        return None
    return Discount(percentage=percentage, description=text(value.get("description")))


def unknown_rate(tax_id: str, item: Mapping[str, Any]) -> TaxRate:
    """A line's tax rate that `taxRates.list` did not show: its rate worked out from the line."""
    total = item.get("total") or {}
    exclusive = number((total.get("tax_exclusive") or {}).get("amount"))
    inclusive = number((total.get("tax_inclusive") or {}).get("amount"))
    rate = Decimal(0)
    if exclusive and inclusive is not None:
        rate = ((inclusive - exclusive) / exclusive).quantize(Decimal("0.0001"))
    return TaxRate(id=tax_id, description=f"unknown tax rate {tax_id}", rate=rate)


def line(item: Mapping[str, Any], rates: Mapping[str, TaxRate], section: str | None) -> Line:
    """One `grouped_lines[].line_items[]` entry.

    `amount_before_discount` is the line's `total.tax_exclusive_before_discount` (quantity × unit
    price) and `amount` its `total.tax_exclusive` (after the line discount, before document
    discounts); both are worked out from quantity, price and discount when a total is missing.
    """
    quantity = number(item.get("quantity")) or Decimal(0)
    unit_price = number((item.get("unit_price") or {}).get("amount")) or Decimal(0)
    line_discount = discount(item.get("discount"))
    tax_id = ref_id(item.get("tax")) or ""
    rate = rates.get(tax_id) or unknown_rate(tax_id, item)
    total = item.get("total") or {}
    before = money(total.get("tax_exclusive_before_discount"))
    if before is None:
        before = cents(quantity * unit_price)
    amount = money(total.get("tax_exclusive"))
    if amount is None:
        factor = 1 - (line_discount.percentage / 100 if line_discount else Decimal(0))
        amount = cents(quantity * unit_price * factor)
    description = text(item.get("description")) or section or ""
    return Line(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        tax_rate=rate,
        amount_before_discount=before,
        amount=amount,
        discount=line_discount,
        # `product` and `product_category`, each {type, id} or null (notes §8, invoices.info example)
        product_id=ref_id(item.get("product")),
        product_category_id=ref_id(item.get("product_category")),
    )


def tax_rate_ids(data: Mapping[str, Any]) -> set[str]:
    """The ids of the tax rates a document's lines name."""
    return {
        ident
        for group in data.get("grouped_lines") or []
        for item in group.get("line_items") or []
        if (ident := ref_id(item.get("tax")))
    }


def lines(data: Mapping[str, Any], rates: Mapping[str, TaxRate]) -> tuple[Line, ...]:
    result = []
    for group in data.get("grouped_lines") or []:
        section = text((group.get("section") or {}).get("title"))
        for item in group.get("line_items") or []:
            result.append(line(item, rates, section))
    return tuple(result)


def totals(total: Mapping[str, Any]) -> Totals:
    """`total`: per-rate `taxes`, `tax_exclusive`, `tax_inclusive`, `payable`, `due` (invoices only)."""
    taxes = tuple(
        TaxTotal(
            rate=number(entry.get("rate")) or Decimal(0),
            taxable=money(entry.get("taxable")) or Decimal(0),
            tax=money(entry.get("tax")) or Decimal(0),
        )
        for entry in total.get("taxes") or []
    )
    return Totals(
        tax_exclusive=money(total.get("tax_exclusive")) or Decimal(0),
        tax_inclusive=money(total.get("tax_inclusive")) or Decimal(0),
        taxes=taxes,
        tax_exclusive_before_discount=money(total.get("tax_exclusive_before_discount")),
        payable=money(total.get("payable")),
        due=money(total.get("due")),
    )


def document(
    kind: DocumentKind, data: Mapping[str, Any], customer: Customer, rates: Mapping[str, TaxRate]
) -> Document:
    """An `invoices.info` or `creditNotes.info` answer's `data` as a `Document`."""
    total = data.get("total") or {}
    exchange = data.get("currency_exchange_rate")
    currency = (
        text(data.get("currency"))
        or currency_of(total.get("tax_inclusive"))
        or (text(exchange.get("from")) if isinstance(exchange, Mapping) else None)
        or "EUR"
    )
    method = data.get("expected_payment_method")
    invoice = kind == "invoice"
    return Document(
        id=str(data["id"]),
        kind=kind,
        number=str(data.get("invoice_number" if invoice else "credit_note_number") or ""),
        date=day(data.get("invoice_date" if invoice else "credit_note_date")) or date.min,
        customer=customer,
        currency=currency,
        lines=lines(data, rates),
        totals=totals(total),
        department_id=ref_id(data.get("department")),
        due_date=day(data.get("due_on")),
        exchange_rate=number(exchange.get("rate")) if isinstance(exchange, Mapping) else None,
        discounts=tuple(
            found for found in (discount(item) for item in data.get("discounts") or []) if found is not None
        ),
        payment_term=payment_term(data.get("payment_term")),
        expected_payment_method=text(method.get("method")) if isinstance(method, Mapping) else None,
        status=text(data.get("status")),
        paid=bool(data.get("paid")),
        invoice_id=None if invoice else ref_id(data.get("invoice")),
        reference=text(data.get("purchase_order_number")) or text(data.get("payment_reference")),
        # invoices.info `payment_reference`, nullable (notes §7.1, §"Evidence 2026-12"); credit notes
        # have none (notes §9)
        payment_reference=text(data.get("payment_reference")) if invoice else None,
        updated_at=moment(data.get("updated_at")),
    )
