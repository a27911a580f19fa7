"""Invoices and credit notes as the simulated account keeps them (what `documents` serves and `store`
holds): their lines, discounts, payments and totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .invoices import Group, Totals

PEPPOL_STATUSES = (  # notes §"Evidence 2026-12" and §7 (OAS 1.112, developer portal)
    "sending",
    "sending_failed",
    "sent",
    "application_acknowledged",
    "application_accepted",
    "application_rejected",
    "receiver_acknowledged",
    "receiver_accepted",
    "receiver_rejected",
    "receiver_is_processing",
    "receiver_awaits_feedback",
    "receiver_conditionally_accepted",
    "receiver_paid",
)


class Changes:
    """How often any document or document collection changed: what a cached listing is checked
    against (`Store.listing`). One counter for every simulator in the process: a change in one
    only makes another one's cache recompute, never answer stale."""

    version = 0

    @classmethod
    def seen(cls) -> None:
        cls.version += 1


class Documents(dict[str, Any]):
    """Invoices or credit notes by id; every insertion or removal counts as a change."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        Changes.seen()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        Changes.seen()

    def pop(self, key: str, *default: Any) -> Any:
        Changes.seen()
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        Changes.seen()


@dataclass
class Discount:
    """A document-level commercial discount; only `percentage` exists (notes §6)."""

    value: Decimal
    description: str | None = None


@dataclass
class Payment:
    paid_at: datetime
    amount: Decimal
    currency: str
    payment_method_id: str | None = None


@dataclass
class Document:
    """What invoices and credit notes share."""

    id: str
    department_id: str
    customer_type: str
    customer_id: str
    groups: list[Group]
    discounts: list[Discount]
    currency: str
    exchange_rate: Decimal
    """Home (department) currency per one unit of `currency`, whatever orientation the API shows."""
    totals: Totals
    created_at: datetime
    updated_at: datetime
    sequence: int
    snapshot: dict[str, Any] | None = None
    """Invoicee name, VAT number, e-mail as they were at booking; None while a draft shows live data."""
    peppol_status: str | None = None
    """What the customer's Peppol access point last said (`PEPPOL_STATUSES`); never a payment."""

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        Changes.version += 1  # inline: a document sets ~50 attributes as it is made


@dataclass
class Invoice(Document):
    payment_term: dict[str, Any] = field(default_factory=dict)
    for_attention_of: dict[str, Any] | None = None
    status: str = "draft"
    invoice_number: str | None = None
    invoice_date: date | None = None
    due_on: date | None = None
    purchase_order_number: str | None = None
    payment_reference: str | None = None
    note: str | None = None
    expected_payment_method: dict[str, Any] | None = None
    delivery_date: date | None = None
    payments: list[Payment] = field(default_factory=list)
    paid_at: datetime | None = None
    credited: Decimal = Decimal(0)
    credit_note_ids: list[str] = field(default_factory=list)
    file_id: str | None = None
    sent: bool = False

    @property
    def paid(self) -> bool:
        return self.status == "matched"

    def due(self) -> Decimal:
        """payable - payments (- credited, see docs); negative when paid more than payable."""
        return self.totals.payable - sum((p.amount for p in self.payments), Decimal(0)) - self.credited


@dataclass
class CreditNote(Document):
    invoice_id: str | None = None
    credit_note_number: str | None = None
    credit_note_date: date | None = None
    status: str = "booked"
    paid_at: datetime | None = None
    """Credit notes have `paid`/`paid_at` too (the spec's example is `paid: true`) but no payment
    endpoint (notes §"Evidence 2026-12"): set through the admin surface."""
