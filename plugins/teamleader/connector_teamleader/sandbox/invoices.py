"""The arithmetic of a Teamleader invoice: totals and VAT, due dates, numbers, payment references.

Pure functions of their inputs, so the rules can be read (and tested) apart from the HTTP layer.
Sources: notes §6 and §8 (tax-exclusive unit prices, percentage line discounts, `taxes[]` per rate,
`payable`, `due = payable - payments`, the payment-term types, `YYYY / n` numbers). The rounding
order is the simulator's choice (the notes mark it UNVERIFIED); docs/sandbox-teamleader.md states it.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .common import cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Line:
    """One `line_items[]` entry: a tax-exclusive unit price and an optional percentage discount."""

    quantity: Decimal
    description: str
    unit_price: Decimal
    tax_rate_id: str
    discount: Decimal | None = None
    extended_description: str | None = None
    product_id: str | None = None
    product_category_id: str | None = None
    unit_of_measure_id: str | None = None


@dataclass(frozen=True)
class Group:
    """A `grouped_lines[]` entry; `title` None when the group has no `section`."""

    lines: tuple[Line, ...]
    title: str | None = None


@dataclass(frozen=True)
class LineTotal:
    exclusive_before_discount: Decimal
    exclusive: Decimal
    inclusive_before_discount: Decimal
    inclusive: Decimal


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineTotal, ...]
    """Per line, in document order (groups flattened)."""
    taxes: tuple[TaxLine, ...] = field(default_factory=tuple)
    exclusive_before_discount: Decimal = Decimal(0)
    exclusive: Decimal = Decimal(0)
    inclusive_before_discount: Decimal = Decimal(0)
    inclusive: Decimal = Decimal(0)

    @property
    def payable(self) -> Decimal:
        """What the customer pays: the tax-inclusive total (no withholding taxes are simulated)."""
        return self.inclusive


def line_total(line: Line, rate: Decimal) -> LineTotal:
    """qty x unit price, minus the line's percentage discount, rounded half-up to cents per line."""
    gross = line.quantity * line.unit_price
    before = cents(gross)
    after = cents(gross * (HUNDRED - (line.discount or 0)) / HUNDRED)
    return LineTotal(before, after, cents(before * (1 + rate)), cents(after * (1 + rate)))


def compute_totals(
    groups: Sequence[Group], rates: Mapping[str, Decimal], discounts: Sequence[Decimal] = ()
) -> Totals:
    """Totals of a document.

    Lines are summed per tax rate; each document-level percentage discount (`discounts[]`) is then
    applied in turn to each rate's taxable amount, rounding to cents after each; the VAT of a rate is
    round(taxable x rate), computed once on the rounded taxable amount, not per line.
    """
    line_totals: list[LineTotal] = []
    before_by_rate: dict[Decimal, Decimal] = {}
    after_by_rate: dict[Decimal, Decimal] = {}
    for group in groups:
        for line in group.lines:
            rate = rates[line.tax_rate_id]
            total = line_total(line, rate)
            line_totals.append(total)
            before_by_rate[rate] = before_by_rate.get(rate, Decimal(0)) + total.exclusive_before_discount
            after_by_rate[rate] = after_by_rate.get(rate, Decimal(0)) + total.exclusive
    taxes = []
    for rate in sorted(after_by_rate, reverse=True):
        taxable = after_by_rate[rate]
        for percentage in discounts:
            taxable = cents(taxable * (HUNDRED - percentage) / HUNDRED)
        taxes.append(TaxLine(rate, taxable, cents(taxable * rate)))
    exclusive = sum((tax.taxable for tax in taxes), Decimal(0))
    before = sum(before_by_rate.values(), Decimal(0))
    before_tax = sum((cents(amount * rate) for rate, amount in before_by_rate.items()), Decimal(0))
    return Totals(
        lines=tuple(line_totals),
        taxes=tuple(taxes),
        exclusive_before_discount=before,
        exclusive=exclusive,
        inclusive_before_discount=before + before_tax,
        inclusive=exclusive + sum((tax.tax for tax in taxes), Decimal(0)),
    )


# -- due dates --------------------------------------------------------------------------------

PAYMENT_TERM_TYPES = ("cash", "end_of_month", "after_invoice_date")


def due_date(invoice_date: date, term_type: str, days: int) -> date:
    """after_invoice_date: date + days; end_of_month: last day of the month of date + days; cash: date."""
    if term_type == "cash":
        return invoice_date
    shifted = invoice_date + timedelta(days=days)
    if term_type == "end_of_month":
        return shifted.replace(day=calendar.monthrange(shifted.year, shifted.month)[1])
    return shifted


# -- numbers ----------------------------------------------------------------------------------


def document_number(year: int, sequence: int) -> str:
    """`2026 / 17`: fiscal-year name, space, slash, space, sequence (2019-01-24 change)."""
    return f"{year} / {sequence}"


def number_key(value: str | None) -> tuple[int, int] | None:
    """A document number as a sortable pair, so `2026 / 10` sorts after `2026 / 9`."""
    if not value:
        return None
    year, _, sequence = value.partition("/")
    try:
        return int(year.strip()), int(sequence.strip())
    except ValueError:
        return None


def payment_reference(year: int, sequence: int, department_index: int = 0) -> str:
    """A Belgian structured communication `+++ddd/dddd/ddddd+++` (10 digits + mod-97 check)."""
    base = int(f"{year:04d}{department_index % 10}{sequence % 100000:05d}")
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
