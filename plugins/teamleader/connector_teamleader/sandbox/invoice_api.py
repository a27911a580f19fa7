"""The RPC endpoints of invoices and credit notes.

Sources: notes §7.1-§7.4. `status` must be an array (2019-01-24 change); both invoice date bounds are
inclusive (teamleadercrm/api#621); a credit note's `credit_note_date_before` is exclusive. No list
carries `meta`: a client pages until a short page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from connector.testing.sandbox import Response

from .booked import CreditNote, Invoice
from .common import (
    ApiError,
    id_list,
    invalid,
    not_found,
    obj,
    parse_date,
    parse_datetime,
    relation,
    sort_spec,
)
from .common import sorted_by as _sorted_by
from .crm import by_ids
from .documents import credit_note_json, invoice_json
from .invoices import number_key
from .lifecycle import book, credit, draft, register_payment, remove_payments, update, update_booked
from .store import Store

STATUSES = ("draft", "outstanding", "matched")


def _customer(flt: dict[str, Any]) -> tuple[str, str] | None:
    if "customer" not in flt:
        return None
    return relation(flt["customer"], "filter.customer", ("company", "contact"))


def _invoice_filter(flt: dict[str, Any]) -> Callable[[Invoice], bool]:
    """Parse (and so validate) the filter once, then test invoices against it."""
    customer = _customer(flt)
    ids = id_list(flt["ids"], "filter.ids") if "ids" in flt else None
    statuses = flt.get("status")
    if statuses is not None:
        if not isinstance(statuses, list):
            raise invalid("filter.status", "filter.status must be an array")
        for value in statuses:
            if value not in STATUSES:
                raise invalid("filter.status", f"filter.status values must be one of {', '.join(STATUSES)}")
    since = parse_datetime(flt["updated_since"], "filter.updated_since") if "updated_since" in flt else None
    after = (
        parse_date(flt["invoice_date_after"], "filter.invoice_date_after")
        if "invoice_date_after" in flt
        else None
    )
    before = (
        parse_date(flt["invoice_date_before"], "filter.invoice_date_before")
        if "invoice_date_before" in flt
        else None
    )
    exact = {
        name: flt[name]
        for name in ("invoice_number", "purchase_order_number", "payment_reference")
        if name in flt
    }
    nothing = any(flt.get(name) for name in ("deal_id", "project_id", "subscription_id"))
    term = str(flt["term"]).lower() if "term" in flt else None

    def matches(invoice: Invoice) -> bool:
        if nothing:  # the simulator has no deals, projects or subscriptions
            return False
        if ids is not None and invoice.id not in ids:
            return False
        if "department_id" in flt and invoice.department_id != flt["department_id"]:
            return False
        if statuses is not None and invoice.status not in statuses:
            return False
        if since and invoice.updated_at < since:
            return False
        when = invoice.invoice_date
        if after and (when is None or when < after):
            return False
        if before and (when is None or when > before):  # both bounds inclusive (api#621)
            return False
        if customer and (invoice.customer_type, invoice.customer_id) != customer:
            return False
        if any(getattr(invoice, name) != value for name, value in exact.items()):
            return False
        if term is not None:
            name = (invoice.snapshot or {}).get("name") or ""
            fields = (invoice.invoice_number, invoice.purchase_order_number, invoice.payment_reference, name)
            if not any(term in (value or "").lower() for value in fields):
                return False
        return True

    return matches


def _listing_key(kind: str, flt: dict[str, Any], spec: list[tuple[str, bool]]) -> str:
    return kind + json.dumps([flt, spec], sort_keys=True, default=str)


def invoices_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    matches = _invoice_filter(flt)
    spec = sort_spec(body, ("invoice_number", "invoice_date"), "invoice_number")

    def listing() -> list[Invoice]:
        found = [invoice for invoice in by_ids(store.invoices, flt) if matches(invoice)]
        return _sorted_by(
            sorted(found, key=lambda item: item.sequence),
            spec,
            lambda item, name: (
                number_key(item.invoice_number) if name == "invoice_number" else item.invoice_date
            ),
        )

    # a customer's name (`term`) can change without its documents changing: never cached
    ordered = listing() if "term" in flt else store.listing(_listing_key("invoices", flt, spec), listing)
    return Response.json({"data": [invoice_json(store, item) for item in store.paging.page(body, ordered)]})


def invoices_info(store: Store, body: dict[str, Any]) -> Response:
    return Response.json({"data": invoice_json(store, store.invoice(body.get("id")), info=True)})


def invoices_draft(store: Store, body: dict[str, Any]) -> Response:
    invoice = draft(store, body)
    return Response.json({"data": {"type": "invoice", "id": invoice.id}}, 201)


def invoices_update(store: Store, body: dict[str, Any]) -> Response:
    update(store, body)
    return Response.empty(204)


def invoices_update_booked(store: Store, body: dict[str, Any]) -> Response:
    update_booked(store, body)
    return Response.empty(204)


def invoices_book(store: Store, body: dict[str, Any]) -> Response:
    invoice = store.invoice(body.get("id"))
    if "on" not in body:
        raise invalid("on", "on is required")
    book(store, invoice, parse_date(body["on"], "on"))
    return Response.empty(204)


def invoices_register_payment(store: Store, body: dict[str, Any]) -> Response:
    register_payment(store, body)
    return Response.empty(204)


def invoices_remove_payments(store: Store, body: dict[str, Any]) -> Response:
    remove_payments(store, body)
    return Response.empty(204)


def invoices_credit(store: Store, body: dict[str, Any]) -> Response:
    invoice = store.invoice(body.get("id"))
    on = parse_date(body["credit_note_date"], "credit_note_date") if body.get("credit_note_date") else None
    note = credit(store, invoice, on)
    return Response.json({"data": {"type": "creditNote", "id": note.id}}, 201)


def _note_filter(flt: dict[str, Any]) -> Callable[[CreditNote], bool]:
    customer = _customer(flt)
    ids = id_list(flt["ids"], "filter.ids") if "ids" in flt else None
    since = parse_datetime(flt["updated_since"], "filter.updated_since") if "updated_since" in flt else None
    after = (
        parse_date(flt["credit_note_date_after"], "filter.credit_note_date_after")
        if "credit_note_date_after" in flt
        else None
    )
    before = (
        parse_date(flt["credit_note_date_before"], "filter.credit_note_date_before")
        if "credit_note_date_before" in flt
        else None
    )

    def matches(note: CreditNote) -> bool:
        if flt.get("project_id"):
            return False
        if ids is not None and note.id not in ids:
            return False
        if "department_id" in flt and note.department_id != flt["department_id"]:
            return False
        if "invoice_id" in flt and note.invoice_id != flt["invoice_id"]:
            return False
        if since and note.updated_at < since:
            return False
        if customer and (note.customer_type, note.customer_id) != customer:
            return False
        when = note.credit_note_date
        if after and (when is None or when < after):
            return False
        return not (before and (when is None or when >= before))  # exclusive, unlike invoices (notes §7.4)

    return matches


def credit_notes_list(store: Store, body: dict[str, Any]) -> Response:
    flt = obj(body.get("filter"), "filter")
    matches = _note_filter(flt)

    def listing() -> list[CreditNote]:
        notes = by_ids(store.credit_notes, flt)
        return sorted((note for note in notes if matches(note)), key=lambda n: n.sequence)

    found = store.listing(_listing_key("creditNotes", flt, []), listing)
    return Response.json({"data": [credit_note_json(store, note) for note in store.paging.page(body, found)]})


def credit_notes_info(store: Store, body: dict[str, Any]) -> Response:
    ident = body.get("id")
    if not isinstance(ident, str):
        raise ApiError(400, "id is required", field="id")
    note = store.credit_notes.get(ident)
    if note is None:
        raise not_found("Credit note", ident)
    return Response.json({"data": credit_note_json(store, note, info=True)})


ENDPOINTS = {
    "invoices.list": invoices_list,
    "invoices.info": invoices_info,
    "invoices.draft": invoices_draft,
    "invoices.update": invoices_update,
    "invoices.updateBooked": invoices_update_booked,
    "invoices.book": invoices_book,
    "invoices.registerPayment": invoices_register_payment,
    "invoices.removePayments": invoices_remove_payments,
    "invoices.credit": invoices_credit,
    "creditNotes.list": credit_notes_list,
    "creditNotes.info": credit_notes_info,
}
