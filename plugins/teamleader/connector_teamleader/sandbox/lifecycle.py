"""An invoice's life: draft, update (drafts only), book, payments, credit.

Source: notes §7.3 (bodies and answers) and §8 (status machine: draft -> outstanding with a number ->
matched when fully paid; removePayments back to outstanding). Every change bumps `updated_at` from the
simulated clock, which is what an `updated_since` sync relies on.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .booked import CreditNote, Discount, Invoice, Payment
from .common import ApiError, decimal, invalid, obj, parse_date, parse_datetime, relation, text
from .crm import invoicee
from .invoices import (
    PAYMENT_TERM_TYPES,
    Group,
    Line,
    compute_totals,
    document_number,
    due_date,
    payment_reference,
)
from .store import Store

CURRENCIES = [
    "BAM",
    "CAD",
    "CHF",
    "CLP",
    "CNY",
    "COP",
    "CZK",
    "DKK",
    "EUR",
    "GBP",
    "INR",
    "ISK",
    "JPY",
    "MAD",
    "MXN",
    "NOK",
    "PEN",
    "PLN",
    "RON",
    "SEK",
    "TRY",
    "USD",
    "ZAR",
]
PAYMENT_METHODS = [
    "sepa_direct_debit",
    "direct_debit",
    "credit_card",
    "cash",
    "cheque",
    "bankers_draft",
    "bank_transfer",
    "payment_card",
]
GROUPS_INVALID = "grouped_lines must be valid"  # the message [MCORE] reports for a bad section


def parse_groups(store: Store, department_id: str, raw: Any) -> list[Group]:
    if not isinstance(raw, list) or not raw:
        raise invalid("grouped_lines", GROUPS_INVALID)
    groups = []
    for g, entry in enumerate(raw):
        group = obj(entry, f"grouped_lines.{g}")
        title = None
        if "section" in group:
            title = obj(group["section"], f"grouped_lines.{g}.section").get("title")
            if not isinstance(title, str) or not title.strip():
                raise invalid(f"grouped_lines.{g}.section.title", GROUPS_INVALID)
        items = group.get("line_items")
        if not isinstance(items, list) or not items:
            raise invalid(f"grouped_lines.{g}.line_items", GROUPS_INVALID)
        groups.append(Group(tuple(_line(store, department_id, item, f"grouped_lines.{g}.line_items.{i}")
                                  for i, item in enumerate(items)), title))  # fmt: skip
    return groups


def _line(store: Store, department_id: str, raw: Any, path: str) -> Line:
    item = obj(raw, path)
    price = obj(item.get("unit_price"), f"{path}.unit_price")
    if price.get("tax") != "excluding":
        raise invalid(f"{path}.unit_price.tax", "unit_price.tax must be 'excluding'")
    rate_id = text(item.get("tax_rate_id"), f"{path}.tax_rate_id", required=True) or ""
    store.tax_rate(rate_id, department_id, f"{path}.tax_rate_id")
    discount = None
    if item.get("discount") is not None:
        spec = obj(item["discount"], f"{path}.discount")
        discount = decimal(spec.get("value"), f"{path}.discount.value")
        if spec.get("type") != "percentage" or not 0 <= discount <= 100:
            raise invalid(f"{path}.discount", "discount must be {type: percentage, value: 0..100}")
    return Line(
        quantity=decimal(item.get("quantity"), f"{path}.quantity"),
        description=text(item.get("description"), f"{path}.description", required=True) or "",
        unit_price=decimal(price.get("amount"), f"{path}.unit_price.amount"),
        tax_rate_id=rate_id,
        discount=discount,
        extended_description=text(item.get("extended_description"), f"{path}.extended_description"),
        product_id=text(item.get("product_id"), f"{path}.product_id"),
        product_category_id=text(item.get("product_category_id"), f"{path}.product_category_id"),
        unit_of_measure_id=text(item.get("unit_of_measure_id"), f"{path}.unit_of_measure_id"),
    )


def _discounts(raw: Any) -> list[Discount]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid("discounts", "discounts must be an array")
    result = []
    for position, entry in enumerate(raw):
        spec = obj(entry, f"discounts.{position}")
        value = decimal(spec.get("value"), f"discounts.{position}.value")
        if spec.get("type") != "percentage" or not 0 <= value <= 100:
            raise invalid(f"discounts.{position}", "discounts must be {type: percentage, value: 0..100}")
        result.append(Discount(value, text(spec.get("description"), f"discounts.{position}.description")))
    return result


def _payment_term(raw: Any) -> dict[str, Any]:
    term = obj(raw, "payment_term")
    kind, days = term.get("type"), term.get("days", 0)
    if kind not in PAYMENT_TERM_TYPES:
        raise invalid(
            "payment_term.type", f"payment_term.type must be one of {', '.join(PAYMENT_TERM_TYPES)}"
        )
    if kind != "cash" and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        raise invalid("payment_term.days", "payment_term.days must be a whole number of days")
    return {"type": kind, "days": days} if kind != "cash" else {"type": "cash"}


def _payment_method(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    spec = obj(raw, "expected_payment_method")
    if spec.get("method") not in PAYMENT_METHODS:
        raise invalid(
            "expected_payment_method.method", "expected_payment_method.method is not a known method"
        )
    return {"method": spec["method"], "reference": spec.get("reference")}


def _apply(store: Store, invoice: Invoice, body: dict[str, Any], *, creating: bool) -> None:
    """Read the draft fields of `body` into `invoice` (all of them when creating)."""
    if creating or "invoicee" in body:
        who = obj(body.get("invoicee"), "invoicee")
        kind, ident = relation(who.get("customer"), "invoicee.customer", ("company", "contact"))
        if not store.customer_exists(kind, ident):
            raise invalid("invoicee.customer.id", f"Customer {ident} does not exist")
        invoice.customer_type, invoice.customer_id = kind, ident
        attention = who.get("for_attention_of")
        invoice.for_attention_of = dict(obj(attention, "invoicee.for_attention_of")) if attention else None
    if creating or "payment_term" in body:
        invoice.payment_term = _payment_term(body.get("payment_term"))
    if creating or "grouped_lines" in body:
        invoice.groups = parse_groups(store, invoice.department_id, body.get("grouped_lines"))
    if "discounts" in body:
        invoice.discounts = _discounts(body["discounts"])
    if "currency" in body and body["currency"] is not None:
        currency = obj(body["currency"], "currency")
        if currency.get("code") not in CURRENCIES:
            raise invalid("currency.code", "currency.code is not a supported currency")
        home = store.departments[invoice.department_id].currency
        if currency.get("exchange_rate") is None:  # Teamleader fills in today's rate (assumed)
            rate = store.market.home_per_foreign(currency["code"], home)
        else:
            given = decimal(currency["exchange_rate"], "currency.exchange_rate")
            if given <= 0:
                raise invalid("currency.exchange_rate", "currency.exchange_rate must be positive")
            rate = Decimal(1) if currency["code"] == home else store.market.read(given)
        invoice.currency, invoice.exchange_rate = currency["code"], rate
    for name in ("purchase_order_number", "note"):
        if name in body:
            setattr(invoice, name, text(body[name], name))
    if "invoice_date" in body:
        invoice.invoice_date = (
            parse_date(body["invoice_date"], "invoice_date") if body["invoice_date"] else None
        )
    if "delivery_date" in body:
        invoice.delivery_date = (
            parse_date(body["delivery_date"], "delivery_date") if body["delivery_date"] else None
        )
    if "expected_payment_method" in body:
        invoice.expected_payment_method = _payment_method(body["expected_payment_method"])
    invoice.totals = compute_totals(invoice.groups, store.rates(), [d.value for d in invoice.discounts])
    _set_due(invoice)


def _set_due(invoice: Invoice) -> None:
    term = invoice.payment_term
    invoice.due_on = (
        due_date(invoice.invoice_date, term["type"], term.get("days", 0)) if invoice.invoice_date else None
    )


def draft(store: Store, body: dict[str, Any]) -> Invoice:
    department_id = text(body.get("department_id"), "department_id", required=True) or ""
    department = store.department(department_id)
    now = store.now()
    invoice = Invoice(
        id=store.ids.new(),
        department_id=department.id,
        customer_type="company",
        customer_id="",
        groups=[],
        discounts=[],
        currency=department.currency,
        exchange_rate=Decimal(1),
        totals=compute_totals([], {}),
        created_at=now,
        updated_at=now,
        sequence=store.sequence(),
    )
    _apply(store, invoice, body, creating=True)
    store.invoices[invoice.id] = invoice
    store.emit("invoice.drafted", "invoice", invoice.id)
    return invoice


def update(store: Store, body: dict[str, Any]) -> Invoice:
    invoice = store.invoice(body.get("id"))
    if invoice.status != "draft":
        raise ApiError(400, "Booked invoices cannot be updated", field="id")
    _apply(store, invoice, body, creating=False)
    invoice.updated_at = store.now()
    store.emit("invoice.updated", "invoice", invoice.id)
    return invoice


BOOKED_EDITABLE = ("invoicee", "payment_term", "grouped_lines", "invoice_date", "note")


def update_booked(store: Store, body: dict[str, Any]) -> Invoice:
    """`invoices.updateBooked` (notes §7.3): a booked invoice's invoicee, payment term, lines, date or
    note change; its number stays, totals and due date follow, `updated_at` moves. Only when the
    account allows editing booked invoices (`edit_booked`); `project_id`, `custom_fields` are not
    modelled and ignored."""
    invoice = store.invoice(body.get("id"))
    if invoice.status == "draft":
        raise ApiError(400, "Draft invoices are updated with invoices.update", field="id")
    if not store.edit_booked:
        raise ApiError(400, "Editing booked invoices is not allowed in this account's settings", field="id")
    _apply(store, invoice, {key: body[key] for key in BOOKED_EDITABLE if key in body}, creating=False)
    if "invoicee" in body:
        invoice.snapshot = invoicee(store, invoice.customer_type, invoice.customer_id)
    invoice.updated_at = store.now()
    _settle(invoice, store.now())
    store.emit("invoice.updated", "invoice", invoice.id)
    return invoice


def book(store: Store, invoice: Invoice, on: date) -> Invoice:
    if invoice.status != "draft":
        raise ApiError(400, "Only draft invoices can be booked", field="id")
    department = store.departments[invoice.department_id]
    sequence = store.next_number("invoice", department.id, on.year)
    invoice.status = "outstanding"
    invoice.invoice_date = on
    invoice.invoice_number = document_number(on.year, sequence)
    invoice.payment_reference = payment_reference(on.year, sequence, department.index)
    invoice.snapshot = invoicee(store, invoice.customer_type, invoice.customer_id)
    invoice.file_id = store.ids.new()
    _set_due(invoice)
    invoice.updated_at = store.now()
    _settle(invoice, store.now())  # a zero invoice is settled at once
    store.emit("invoice.booked", "invoice", invoice.id)
    return invoice


def _settle(invoice: Invoice, moment: datetime) -> None:
    """Fully paid (or credited) -> matched, paid_at the moment it became so; otherwise outstanding."""
    if invoice.status == "draft":
        return
    if invoice.due() <= 0:
        if invoice.status != "matched":
            invoice.status, invoice.paid_at = "matched", moment
    else:
        invoice.status, invoice.paid_at = "outstanding", None


def register_payment(store: Store, body: dict[str, Any]) -> Invoice:
    invoice = store.invoice(body.get("id"))
    payment = obj(body.get("payment"), "payment")
    amount = decimal(payment.get("amount"), "payment.amount")
    if amount <= 0:
        raise invalid("payment.amount", "payment.amount must be positive")
    if payment.get("currency") != invoice.currency:
        raise invalid("payment.currency", f"payment.currency must be the invoice currency {invoice.currency}")
    if "paid_at" not in body:
        raise invalid("paid_at", "paid_at is required")
    paid_at = parse_datetime(body["paid_at"], "paid_at")
    if invoice.status == "draft":
        raise ApiError(400, "Payments can only be registered on booked invoices", field="id")
    method = text(body.get("payment_method_id"), "payment_method_id")
    invoice.payments.append(Payment(paid_at, amount, invoice.currency, method))
    _settle(invoice, paid_at)
    invoice.updated_at = store.now()
    store.emit("invoice.paymentRegistered", "invoice", invoice.id)
    return invoice


def remove_payments(store: Store, body: dict[str, Any]) -> Invoice:
    invoice = store.invoice(body.get("id"))
    if invoice.status == "draft":
        raise ApiError(400, "Draft invoices have no payments", field="id")
    invoice.payments.clear()
    invoice.status, invoice.paid_at = "outstanding", None
    _settle(invoice, store.now())
    invoice.updated_at = store.now()
    store.emit("invoice.paymentRemoved", "invoice", invoice.id)
    return invoice


def credit(store: Store, invoice: Invoice, on: date | None = None, lines: int | None = None) -> CreditNote:
    """Credit the whole invoice: a booked credit note with a copy of its lines (`invoices.credit`);
    with `lines`, only its first `lines` lines, as `invoices.creditPartially` with those lines."""
    if invoice.status == "draft":
        raise ApiError(400, "Only booked invoices can be credited", field="id")
    if invoice.credit_note_ids and lines is None:
        raise ApiError(400, "This invoice has already been credited", field="id")
    groups = list(invoice.groups)
    totals = invoice.totals
    if lines is not None:
        groups = [Group(tuple(line for group in invoice.groups for line in group.lines)[:lines])]
        totals = compute_totals(groups, store.rates(), [d.value for d in invoice.discounts])
    on = on or store.now().date()
    now = store.now()
    sequence = store.next_number("credit_note", invoice.department_id, on.year)
    note = CreditNote(
        id=store.ids.new(),
        department_id=invoice.department_id,
        customer_type=invoice.customer_type,
        customer_id=invoice.customer_id,
        groups=groups,
        discounts=list(invoice.discounts),
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
        totals=totals,
        created_at=now,
        updated_at=now,
        sequence=store.sequence(),
        snapshot=dict(invoice.snapshot or {}),
        invoice_id=invoice.id,
        credit_note_number=document_number(on.year, sequence),
        credit_note_date=on,
    )
    store.credit_notes[note.id] = note
    invoice.credit_note_ids.append(note.id)
    if store.credit_reduces_due:
        invoice.credited += note.totals.payable
        _settle(invoice, now)
    invoice.updated_at = now
    store.emit("creditNote.booked", "creditNote", note.id)
    return note
