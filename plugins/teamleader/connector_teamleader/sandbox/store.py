"""The simulated Teamleader account: every collection, the number counters, and the clock they read.

The server holds one `Store` and takes its lock around every request, so handlers change it freely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from connector.testing.sandbox import Clock

from .booked import Changes, Documents
from .common import ApiError, Ids, Paging, not_found, second
from .currencies import Market

if TYPE_CHECKING:
    from .booked import CreditNote, Invoice
    from .parties import Company, Contact

T = TypeVar("T")
LISTINGS_KEPT = 16
"""Cached listings (`Store.listing`): a few filters at a time (invoices, credit notes, per kind)."""

Emit = Callable[[str, str, str], None]
"""emit(event type, subject type, subject id): queue a webhook delivery."""


@dataclass
class Department:
    """A company entity ("department" in the API) with its own currency, tax rates and numbering."""

    id: str
    name: str
    vat_number: str | None
    currency: str = "EUR"
    emails: list[str] = field(default_factory=list)
    status: str = "active"
    index: int = 0


@dataclass
class TaxRate:
    id: str
    department_id: str
    description: str
    rate: Decimal


@dataclass
class PaymentTerm:
    id: str
    type: str
    days: int


@dataclass
class User:
    id: str
    account_id: str
    first_name: str = "Demo"
    last_name: str = "User"
    email: str = "demo@acme.example"


class Store:
    """All state of one simulated account."""

    def __init__(self, clock: Clock, *, seed: int = 0, emit: Emit | None = None) -> None:
        self.clock = clock
        self.paging = Paging()
        self.ids = Ids(seed)
        self.emit: Emit = emit or (lambda kind, subject, ident: None)
        self.user = User(id=self.ids.new(), account_id=self.ids.new())
        self.document_template_id = self.ids.new()
        self.credit_reduces_due = True
        self.market = Market()  # today's exchange rates, and how documents write theirs
        self.edit_booked = True  # the account setting that allows invoices.updateBooked
        """The blueprint: "The credit note reduces the due amount of the credited invoice"."""
        self.departments: dict[str, Department] = {}
        self.tax_rates: dict[str, TaxRate] = {}
        self.payment_terms: list[PaymentTerm] = []
        self.default_payment_term_id: str | None = None
        self.companies: dict[str, Company] = {}
        self.contacts: dict[str, Contact] = {}
        self.invoices: dict[str, Invoice] = Documents()
        self.credit_notes: dict[str, CreditNote] = Documents()
        self._listings: dict[str, tuple[int, list[Any]]] = {}
        self.webhooks: dict[str, set[str]] = {}
        self.counters: dict[tuple[str, str, int], int] = {}
        self._sequence = 0
        self.files: dict[str, tuple[bytes, str, datetime]] = {}  # download locations (files.py)

    frozen: datetime | None = None
    """While seeding: the moment changes are stamped with (a document's own date, never the future)."""

    def now(self) -> datetime:
        return self.frozen or second(self.clock.now())

    def clear(self) -> None:
        """Forget all data (not the user, the clients or their tokens)."""
        for collection in (self.departments, self.tax_rates, self.companies, self.contacts, self.invoices):
            collection.clear()
        self.credit_notes.clear()
        self.webhooks.clear()
        self.counters.clear()
        self.payment_terms.clear()
        self.default_payment_term_id = None

    def listing(self, key: str, compute: Callable[[], list[T]]) -> list[T]:
        """`compute()`, the filtered and sorted documents of a list call, kept while no document
        changes: the pages of one listing are cut from one sort instead of sorting per page."""
        cached = self._listings.get(key)
        if cached is not None and cached[0] == Changes.version:
            return cached[1]
        version = Changes.version
        result = compute()
        if len(self._listings) >= LISTINGS_KEPT:
            self._listings.pop(next(iter(self._listings)))
        self._listings[key] = (version, result)
        return result

    def sequence(self) -> int:
        """Creation order, the tie-breaker that keeps paging stable."""
        self._sequence += 1
        return self._sequence

    def next_number(self, kind: str, department_id: str, year: int) -> int:
        """Invoice and credit-note numbers run per department and fiscal (calendar) year."""
        key = (kind, department_id, year)
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    # -- look-ups that answer 404 / 400 -----------------------------------------------------------

    def department(self, ident: str, field_name: str = "department_id") -> Department:
        found = self.departments.get(ident)
        if found is None:
            raise ApiError(400, f"Department {ident} does not exist", field=field_name)
        return found

    def department_named(self, name_or_id: str) -> Department:
        if name_or_id in self.departments:
            return self.departments[name_or_id]
        for department in self.departments.values():
            if department.name == name_or_id:
                return department
        raise KeyError(f"no department {name_or_id!r}")

    def tax_rate(self, ident: str, department_id: str, field_name: str) -> TaxRate:
        found = self.tax_rates.get(ident)
        if found is None or found.department_id != department_id:
            raise ApiError(400, f"Tax rate {ident} does not exist in this department", field=field_name)
        return found

    def tax_rate_described(self, department_id: str, description: str) -> TaxRate:
        for rate in self.tax_rates.values():
            if rate.department_id == department_id and (
                rate.description == description or rate.id == description
            ):
                return rate
        raise KeyError(f"no tax rate {description!r} in department {department_id}")

    def invoice(self, ident: Any) -> Invoice:
        if not isinstance(ident, str):
            raise ApiError(400, "id is required", field="id")
        found = self.invoices.get(ident)
        if found is None:
            raise not_found("Invoice", ident)
        return found

    def customer_exists(self, kind: str, ident: str) -> bool:
        return ident in (self.companies if kind == "company" else self.contacts)

    def rates(self) -> dict[str, Decimal]:
        return {rate.id: rate.rate for rate in self.tax_rates.values()}
