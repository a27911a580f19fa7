"""Set up a scenario without the API: seed collections, book an invoice from a compact spec.

Used by the admin routes (`POST /_sandbox/seed`, `POST /_sandbox/invoices`), by the server's Python
methods, and by the demo data and the benchmark generator. A compact invoice spec::

    {"department": "Acme BV",                       # name or id; default: the first department
     "customer": "Brouwerij De Klok BV",            # company name, VAT number, id, or {"type", "id"}
     "date": "2026-03-01",                          # booking date; default: today (simulated clock)
     "lines": [{"description": "Consultancy", "quantity": 10, "unit_price": 100, "tax": "21%",
                "discount": 10}],                   # tax: description or id; qty/price are aliases
     "discounts": [5],                              # commercial % discounts (or {"value", "description"})
     "payment_term": {"type": "after_invoice_date", "days": 30},
     "expected_payment_method": "sepa_direct_debit",
     "currency": "USD", "exchange_rate": 0.92,     # as invoices.draft reads it (`rate_orientation`);
                                                    # default: today's rate (`currencies`)
     "home_per_foreign": 0.92,                      # or the rate as 1 USD = 0.92 EUR, whatever the
                                                    # orientation (it is kept that way)
     "purchase_order_number": "PO-1", "note": "...",
     "draft": false,                                # true: leave it a draft
     "payments": [{"amount": 100, "paid_at": "2026-03-10T10:00:00+00:00"}],   # or "paid": true
     "credit": false}                               # true or a date: credit it completely
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from .booked import CreditNote, Invoice
from .common import ApiError, iso, number, parse_date, parse_datetime
from .crm import add_party, normalise_vat
from .lifecycle import book, credit, draft, register_payment
from .store import Department, PaymentTerm, Store, TaxRate


def _spec_error(message: str) -> ApiError:
    return ApiError(400, message, field="spec")


def find_department(store: Store, value: Any) -> Department:
    if value is None:
        if not store.departments:
            raise _spec_error("no department: seed one first")
        return next(iter(store.departments.values()))
    try:
        return store.department_named(str(value))
    except KeyError as error:
        raise _spec_error(f"unknown department {value!r}") from error


def find_customer(store: Store, value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("type", "company")), str(value.get("id"))
    if not isinstance(value, str):
        raise _spec_error("customer must be a name, VAT number, id or {type, id}")
    if value in store.companies:
        return "company", value
    if value in store.contacts:
        return "contact", value
    for company in store.companies.values():
        if company.name == value or (
            company.get("vat_number") and normalise_vat(company.get("vat_number")) == normalise_vat(value)
        ):
            return "company", company.id
    for contact in store.contacts.values():
        if contact.name == value:
            return "contact", contact.id
    raise _spec_error(f"unknown customer {value!r}")


def _moment(store: Store, on: date, minute: int = 0) -> datetime:
    """A seeded change happens on its document's date, 09:00 UTC, but never later than now."""
    stamp = datetime.combine(on, time(9, 0), UTC) + timedelta(minutes=minute)
    return min(stamp, store.clock.now().replace(microsecond=0))


def draft_body(store: Store, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The `invoices.draft` body a compact spec stands for."""
    department = find_department(store, spec.get("department"))
    kind, ident = find_customer(store, spec.get("customer"))
    lines = []
    for line in spec.get("lines") or []:
        tax = str(line.get("tax", line.get("tax_rate", "21%")))
        try:
            rate = store.tax_rate_described(department.id, tax)
        except KeyError as error:
            raise _spec_error(str(error)) from error
        item: dict[str, Any] = {
            "quantity": line.get("quantity", line.get("qty", 1)),
            "description": line.get("description", "Services"),
            "unit_price": {"amount": line.get("unit_price", line.get("price", 0)), "tax": "excluding"},
            "tax_rate_id": rate.id,
        }
        if line.get("discount"):
            item["discount"] = {"type": "percentage", "value": line["discount"]}
        for name in ("product_id", "product_category_id"):  # line_items fields of invoices.draft (§7.3)
            if line.get(name):
                item[name] = line[name]
        lines.append(item)
    discounts = spec.get("discounts") or ([spec["discount"]] if spec.get("discount") else [])
    body: dict[str, Any] = {
        "department_id": department.id,
        "invoicee": {"customer": {"type": kind, "id": ident}},
        "payment_term": spec.get("payment_term") or _default_term(store),
        "grouped_lines": [{"line_items": lines}],
        "discounts": [
            {
                "type": "percentage",
                **(d if isinstance(d, Mapping) else {"value": d, "description": "discount"}),
            }
            for d in discounts
        ],
    }
    if spec.get("for_attention_of"):
        body["invoicee"]["for_attention_of"] = {"name": spec["for_attention_of"]}
    method = spec.get("expected_payment_method")
    if method:
        body["expected_payment_method"] = method if isinstance(method, Mapping) else {"method": method}
    currency = spec.get("currency")
    if isinstance(currency, Mapping):
        body["currency"] = dict(currency)
    elif currency:
        body["currency"] = {"code": currency}
        if spec.get("exchange_rate") is not None:
            body["currency"]["exchange_rate"] = spec["exchange_rate"]
    for name in ("purchase_order_number", "note"):
        if spec.get(name):
            body[name] = spec[name]
    return body


def _default_term(store: Store) -> dict[str, Any]:
    for term in store.payment_terms:
        if term.id == store.default_payment_term_id:
            return {"type": term.type, "days": term.days}
    return {"type": "after_invoice_date", "days": 14}


def book_invoice(store: Store, spec: Mapping[str, Any], *, backdate: int | None = None) -> Invoice:
    """Draft and (unless `draft`) book an invoice from a compact spec; payments and credit optional.

    Changes are stamped now (simulated clock), so an `updated_since` sync sees them. With `backdate`
    (demo data, benchmark history) they are stamped on the document's own dates instead, 09:00 UTC plus
    `backdate` minutes, never later than now.
    """
    on = parse_date(spec["date"], "date") if spec.get("date") else store.clock.now().date()
    minute = backdate or 0
    store.frozen = _moment(store, on, minute) if backdate is not None else None
    try:
        invoice = draft(store, draft_body(store, spec))
        if spec.get("home_per_foreign") is not None:
            invoice.exchange_rate = Decimal(str(spec["home_per_foreign"]))
        if spec.get("draft"):
            if spec.get("date"):
                invoice.invoice_date = on
            return invoice
        book(store, invoice, on)
        if "payment_reference" in spec:  # another text, as Teamleader may hold (notes §"Evidence 2026-12")
            invoice.payment_reference = spec["payment_reference"]
        payments = list(spec.get("payments") or [])
        if spec.get("paid"):
            paid_on = on + timedelta(days=int(spec.get("paid_after_days", 10)))
            payments.append({"amount": invoice.due(), "paid_at": _moment(store, paid_on, minute)})
        for payment in payments:
            paid_at = payment.get("paid_at") or _moment(store, on + timedelta(days=7), minute)
            when = paid_at if isinstance(paid_at, datetime) else parse_datetime(paid_at, "paid_at")
            if store.frozen is not None:
                latest = store.clock.now().replace(microsecond=0)
                store.frozen = min(max(when.replace(microsecond=0), store.frozen), latest)
            register_payment(
                store,
                {
                    "id": invoice.id,
                    "payment": {"amount": str(payment["amount"]), "currency": invoice.currency},
                    "paid_at": iso(when),
                },
            )
        if spec.get("credit"):
            credit_on = on if spec["credit"] is True else parse_date(spec["credit"], "credit")
            if store.frozen is not None:
                store.frozen = max(_moment(store, credit_on, minute), store.frozen)
            credit(store, invoice, credit_on)
        return invoice
    finally:
        store.frozen = None


def credit_invoice(
    store: Store, invoice_id: str, on: date | None = None, lines: int | None = None
) -> CreditNote:
    return credit(store, store.invoice(invoice_id), on, lines)


def invoice_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "status": invoice.status,
        "payable": number(invoice.totals.payable),
        "due": number(invoice.due()),
        "currency": invoice.currency,
        "credit_notes": list(invoice.credit_note_ids),
    }


def seed(store: Store, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Add what `spec` lists (departments, tax_rates, payment_terms, companies, contacts, invoices,
    webhooks) and answer the new ids; `reset: true` empties the account first."""
    if spec.get("reset"):
        store.clear()
    created: dict[str, list[Any]] = {}
    for entry in spec.get("departments") or []:
        department = Department(
            id=entry.get("id") or store.ids.new(),
            name=entry["name"],
            vat_number=entry.get("vat_number"),
            currency=entry.get("currency", "EUR"),
            emails=list(entry.get("emails") or []),
            index=len(store.departments),
        )
        store.departments[department.id] = department
        created.setdefault("departments", []).append(department.id)
        for rate in entry.get("tax_rates") or []:
            _add_rate(store, department, rate, created)
    for rate in spec.get("tax_rates") or []:
        _add_rate(store, find_department(store, rate.get("department")), rate, created)
    for entry in spec.get("payment_terms") or []:
        term = PaymentTerm(entry.get("id") or store.ids.new(), entry["type"], int(entry.get("days", 0)))
        store.payment_terms.append(term)
        if entry.get("default") or store.default_payment_term_id is None:
            store.default_payment_term_id = term.id
        created.setdefault("payment_terms", []).append(term.id)
    for entry in spec.get("companies") or []:
        created.setdefault("companies", []).append(add_party(store, "company", dict(entry), admin=True).id)
    for entry in spec.get("contacts") or []:
        body = dict(entry)
        body["companies"] = [
            {**link, "company_id": find_customer(store, link.get("company_id") or link.get("company"))[1]}
            for link in entry.get("companies") or []
        ]
        created.setdefault("contacts", []).append(add_party(store, "contact", body, admin=True).id)
    for entry in spec.get("invoices") or []:
        created.setdefault("invoices", []).append(invoice_summary(book_invoice(store, entry)))
    for hook in spec.get("webhooks") or []:
        store.webhooks.setdefault(hook["url"], set()).update(hook["types"])
    return created


def _add_rate(
    store: Store, department: Department, entry: Mapping[str, Any], created: dict[str, list[Any]]
) -> None:
    rate = TaxRate(
        entry.get("id") or store.ids.new(), department.id, entry["description"], Decimal(str(entry["rate"]))
    )
    store.tax_rates[rate.id] = rate
    created.setdefault("tax_rates", []).append(rate.id)
