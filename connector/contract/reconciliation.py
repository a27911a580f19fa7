"""The result of `connector reconcile`: what differs between a period's documents and its entries,
and the totals per journal and VAT code on both sides.

It lives in the contract, as the run report does, so that the engine that makes it, the command
line that prints it and the notifications that send it share one shape. `to_dict` is the JSON
contract of `connector reconcile --json` (docs/commands.md): amounts as decimal strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from connector.contract.records import cents

DifferenceKind = Literal["missing_in_sink", "missing_in_source", "duplicate", "amount", "customer", "payment"]
KINDS: tuple[DifferenceKind, ...] = (
    "missing_in_sink",
    "missing_in_source",
    "duplicate",
    "amount",
    "customer",
    "payment",
)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    detail: str
    source_key: str | None = None
    number: str | None = None
    sink_id: str | None = None
    entry_number: str | None = None  # the sink's own number of `sink_id`, for people (not in JSON)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source_key": self.source_key,
            "number": self.number,
            "sink_id": self.sink_id,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Amounts:
    net: Decimal = ZERO
    vat: Decimal = ZERO

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.net + other.net, self.vat + other.vat)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.net - other.net, self.vat - other.vat)

    def to_dict(self) -> dict[str, str]:
        return {"net": str(cents(self.net)), "vat": str(cents(self.vat))}


@dataclass(frozen=True)
class Total:
    """One journal and VAT code: the source's sum, the target's, and what the target lacks (+) or
    has too much (-) is `difference` = source - target."""

    journal: str
    vat_code: str
    source: Amounts
    sink: Amounts

    @property
    def difference(self) -> Amounts:
        return self.source - self.sink

    @property
    def agrees(self) -> bool:
        return self.difference == Amounts()

    def to_dict(self) -> dict[str, Any]:
        return {
            "journal": self.journal,
            "vat_code": self.vat_code,
            "source": self.source.to_dict(),
            "sink": self.sink.to_dict(),
            "difference": self.difference.to_dict(),
        }


@dataclass(frozen=True)
class Reconciliation:
    start: date
    end: date
    differences: tuple[Difference, ...]
    totals: tuple[Total, ...]
    documents: int
    entries: int
    calls: dict[str, int] | None = None  # per side, once read

    @property
    def agrees(self) -> bool:
        return not self.differences and all(total.agrees for total in self.totals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "calls": dict(self.calls or {"source": 0, "sink": 0}),
            "totals": [total.to_dict() for total in self.totals],
            "differences": [difference.to_dict() for difference in self.differences],
        }
