"""The rule file's `tests:` section as frozen objects: documents and what the mapping must make of them.

`connector.rules.cases` reads them (inline or from files beside the rule file) when the rule file is
loaded; `connector.engine.case_runner` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from connector.contract.records import Document
from connector.contract.services import ReferenceData


@dataclass(frozen=True)
class ExpectedLine:
    """One line of the expected entry; None: not compared."""

    account: str | None = None
    vat_code: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    description: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None


@dataclass(frozen=True)
class ExpectedCustomer:
    name: str | None = None
    match: str | None = None


@dataclass(frozen=True)
class ExpectedEntry:
    """The entry a case's document must give; a key left out (None) is not compared."""

    journal: str | None = None
    customer: ExpectedCustomer | None = None
    your_ref: str | None = None
    description: str | None = None
    payment_condition: str | None = None
    payment_reference: str | None = None
    currency: str | None = None
    exchange_rate: Decimal | None = None
    lines: tuple[ExpectedLine, ...] | None = None


@dataclass(frozen=True)
class Case:
    """One case: a document and the entry (`expect`) or the refusal (`fails`) it must give."""

    name: str
    document: Document
    line: int = 0  # where the case stands in the rule file
    column: int = 0
    expect: ExpectedEntry | None = None
    fails: str | None = None
    document_file: str | None = None  # the file the document was read from, when not inline


@dataclass(frozen=True)
class Cases:
    """The `tests:` section: its cases and, when it states them, the target's codes to map against."""

    cases: tuple[Case, ...] = ()
    reference: ReferenceData | None = None
    reference_file: str | None = None
