"""Teamleader's two document resources, and the small conversions request bodies need."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

BOOKED_INVOICE = ("outstanding", "matched")
"""The invoice statuses of a booked invoice (notes §7.1); a credit note is booked unless draft."""
T = TypeVar("T")


@dataclass(frozen=True)
class Kind:
    resource: str  # the endpoints' prefix: `invoices.list`, `invoices.info`
    date: str  # the document date's field, also the `<date>_after` filter
    number: str


KINDS: dict[str, Kind] = {
    "invoice": Kind("invoices", "invoice_date", "invoice_number"),
    "credit_note": Kind("creditNotes", "credit_note_date", "credit_note_number"),
}


def utc_second(moment: datetime) -> str:
    """`updated_since` as Teamleader wants it: UTC, to the second (`2021-03-29T16:44:33+00:00`)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def json_amount(amount: Decimal) -> int | float:
    """A cent amount as a JSON number; a two-decimal float's repr is exactly its decimal text."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
