"""Canonical records: the only things that pass between a source and a sink.

A plugin translates its API's JSON to and from these. Money is always `Decimal` in the document's
currency, rounded half-up to cents where the document rounds. Amounts of a credit note are positive,
exactly as printed on it: the kind says which way they go, and the sink applies its own sign
convention (see docs/accounting.md).

`exchange_rate` always means units of the home currency (the target division's, which is the
source department's) per one unit of the document's currency: home amount = document amount × rate.
A source whose API says it the other way round, or does not say, turns it before yielding the
document; a sink whose API takes the other orientation turns it when booking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

CENT = Decimal("0.01")

CustomerKind = Literal["company", "person"]
DocumentKind = Literal["invoice", "credit_note"]
PaymentTermType = Literal["after_invoice_date", "end_of_month", "cash"]
Date = date  # the `date` fields below would shadow the type inside their classes


def cents(amount: Decimal | int | str | float) -> Decimal:
    """Round an amount half-up to cents; floats go through `str` so 0.1 stays 0.1."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Address:
    line_1: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class Customer:
    """A company or a person that documents are addressed to."""

    id: str
    kind: CustomerKind
    name: str
    first_name: str | None = None
    last_name: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    address: Address = field(default_factory=Address)
    language: str | None = None
    company_id: str | None = None  # for a person: the company it belongs to, when known
    updated_at: datetime | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxRate:
    """A VAT rate as the source defines it; rule files map it by `description` or `id`."""

    id: str
    description: str
    rate: Decimal  # 0.21 for 21 %


@dataclass(frozen=True)
class Discount:
    """A percentage discount on a line or on the whole document (a commercial discount)."""

    percentage: Decimal
    description: str | None = None


@dataclass(frozen=True)
class Line:
    """One document line; amounts exclude VAT."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: TaxRate
    amount_before_discount: Decimal  # quantity × unit price
    amount: Decimal  # after the line discount, before document discounts
    discount: Discount | None = None
    product_id: str | None = None  # the source's product on this line, when it names one
    product_category_id: str | None = None  # and the source's product category


@dataclass(frozen=True)
class TaxTotal:
    """The source's own total for one VAT rate: what the sink must reproduce to the cent."""

    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    tax_exclusive: Decimal
    tax_inclusive: Decimal
    taxes: tuple[TaxTotal, ...]
    tax_exclusive_before_discount: Decimal | None = None
    payable: Decimal | None = None
    due: Decimal | None = None


@dataclass(frozen=True)
class PaymentTerm:
    type: PaymentTermType
    days: int = 0

    @property
    def key(self) -> str:
        """The rule file's `payment_terms.map` key: `after_invoice_date 14`, `end_of_month 30`, `cash`."""
        return "cash" if self.type == "cash" else f"{self.type} {self.days}"


@dataclass(frozen=True)
class Failure:
    """Why a source will not let a document it yields be booked; it is tried again on the next run."""

    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Document:
    """A booked invoice or credit note."""

    id: str
    kind: DocumentKind
    number: str
    date: date
    customer: Customer
    currency: str
    lines: tuple[Line, ...]
    totals: Totals
    department_id: str | None = None
    due_date: Date | None = None
    exchange_rate: Decimal | None = None
    """Home currency per one unit of `currency` (1 USD = 0.92 EUR: 0.92); None when not given."""
    discounts: tuple[Discount, ...] = ()  # commercial discounts on the whole document
    payment_term: PaymentTerm | None = None
    expected_payment_method: str | None = None  # e.g. direct_debit, sepa_direct_debit, bank_transfer
    status: str | None = None
    paid: bool = False
    invoice_id: str | None = None  # for a credit note: the invoice it credits, when known
    reference: str | None = None  # purchase order number or payment reference, for templates
    payment_reference: str | None = None
    """What the customer quotes when paying (a Belgian structured `+++084/2613/66074+++`, or any text)."""
    updated_at: datetime | None = None
    failure: Failure | None = None
    """Set when the source cannot vouch for the document as it reads it (an exchange rate it cannot
    orient, say): the engine books nothing and reports the document as failed, with this reason."""

    @property
    def key(self) -> str:
        """Unique across kinds: an invoice and a credit note may share a number but never an id."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class EntryLine:
    """One line of a journal entry in the target: revenue account, VAT code, amounts excluding VAT."""

    account: str
    vat_code: str
    amount: Decimal
    vat_amount: Decimal
    description: str = ""
    cost_center: str | None = None  # the target's cost centre code (kostenplaats), None for none
    cost_unit: str | None = None  # the target's cost unit code (kostendrager), None for none


@dataclass(frozen=True)
class JournalEntry:
    """What the engine asks a sink to book for one document."""

    document_key: str
    kind: DocumentKind
    journal: str
    your_ref: str
    customer_target_id: str
    date: date
    description: str
    currency: str
    payment_condition: str
    lines: tuple[EntryLine, ...]
    exchange_rate: Decimal | None = None  # as `Document.exchange_rate`: home currency per unit of `currency`
    due_date: Date | None = None
    payment_reference: str | None = None  # for the bank import to match the payment; None for none

    @property
    def total_excluding(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total_vat(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class FinancialPeriod:
    """One period of the sink's period-date table (a month or a quarter of a financial year)."""

    year: int
    number: int
    start: date
    end: date  # the period's last day

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.year}/{self.number} ({self.start.isoformat()} to {self.end.isoformat()})"


@dataclass(frozen=True)
class BookedEntry:
    """An entry as the target's books hold it, read back to prove them (`connector reconcile`).

    Amounts are as the document prints them, like `JournalEntry`'s: a credit note's are positive and
    the sink undoes its own sign convention when reading (one booked the wrong way round by hand
    reads negative, and shows as a difference). `paid` is None when the sink cannot tell.
    """

    id: str
    journal: str
    kind: DocumentKind
    your_ref: str
    customer_target_id: str
    date: date
    currency: str
    lines: tuple[EntryLine, ...]
    number: str = ""  # the target's own entry number, for people
    exchange_rate: Decimal | None = None  # as `JournalEntry.exchange_rate`
    paid: bool | None = None
    amount_open: Decimal | None = None

    @property
    def total_excluding(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total_vat(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class PaymentStatus:
    """What the sink knows of an entry's receivable: paid in full or not, and when.

    `amount_open` is what the target still has open of it and `amount_matched` what it matched in
    all (payments and settlements against credit notes), both in the document's currency, None when
    the sink cannot tell; `payment_date` is the date of the latest payment matched on it.
    """

    target_id: str
    fully_paid: bool
    payment_date: date | None = None
    amount_open: Decimal | None = None
    in_collection: bool = False  # a direct debit sent to the bank but not yet matched
    amount_matched: Decimal | None = None


@dataclass(frozen=True)
class Payment:
    """A payment to register on a source document."""

    document_id: str
    amount: Decimal
    currency: str
    paid_at: datetime


AttachmentFormat = Literal["pdf", "ubl"]
"""A rendering of a booked document: `pdf` to read, `ubl` the structured e-invoice (UBL 2.1)."""


@dataclass(frozen=True)
class Attachment:
    """One file of a booked document, as the source renders it, to keep beside its entry."""

    format: AttachmentFormat
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class AttachmentTarget:
    """A document the target has booked, as the ledger knows it: the entry its files go on."""

    document_key: str
    kind: DocumentKind
    number: str
    entry_id: str  # the entry's id in the target
    customer_target_id: str | None = None
    date: Date | None = None

    @property
    def document_id(self) -> str:
        """The document's id in the source."""
        return self.document_key.partition(":")[2]
