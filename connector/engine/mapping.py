"""From a source document to the journal entry a sink books, and the checks that make that safe.

`check_mapping` runs before anything is written: every code the rule file names must exist in the
target and be of the right kind, or the run stops with every problem at its line in the file.
`build_entry` then turns one document into one entry whose totals equal the source's to the cent:
per VAT code the taxable amount and the VAT, and the total including VAT. docs/accounting.md tells
bookkeepers the same rules with a worked example.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from connector.contract.errors import RecordFailed, RecordSkipped
from connector.contract.records import CENT, Document, EntryLine, JournalEntry, Line, cents
from connector.contract.services import ReferenceData
from connector.engine.cost_codes import cost_codes
from connector.engine.payment_terms import choose_condition
from connector.rules.model import Rules, VatRule

EXCLUSIVE = "E"

SALES_JOURNAL = 20

RETURN_JOURNAL = 21

REVENUE_ACCOUNT = 110

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

T = TypeVar("T")


def key_path(*parts: str) -> str:
    """A dotted key path as `Rules.where` reads it: `vat."21%".code`. Keys that are not plain names
    are quoted as JSON strings, as the rule loader writes them."""
    return ".".join(
        part if _PLAIN_KEY.match(part) else json.dumps(part, ensure_ascii=False) for part in parts
    )


def fraction(percentage: Decimal) -> Decimal:
    """A VAT percentage as a fraction (0.21). Targets may state 21 or 0.21; above 1 is read as percent."""
    value = Decimal(percentage)
    return value / 100 if value > 1 else value


def percent(rate: Decimal) -> str:
    """0.21 → `21%`, 0.055 → `5.5%`."""
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}%"


def rule_file(rules: Rules) -> str:
    return str(rules.path) if rules.path else "the rule file"


def find_code(table: Mapping[str, T], code: str) -> T | None:
    """Look a code up, forgiving the blank padding some targets put around codes (`"2  "`)."""
    if code in table:
        return table[code]
    wanted = code.strip()
    for key, value in table.items():
        if key.strip() == wanted:
            return value
    return None


@dataclass(frozen=True)
class _Placed:
    """A source line with the rule, VAT code and revenue account it is booked on."""

    index: int
    line: Line
    rule: VatRule
    account: str
    costs: tuple[str | None, str | None] = (None, None)  # cost centre and cost unit

    @property
    def rate(self) -> Decimal:
        return self.line.tax_rate.rate


def build_entry(
    document: Document,
    rules: Rules,
    reference: ReferenceData,
    customer_target_id: str,
    your_ref: str,
    description: str,
) -> JournalEntry:
    """The journal entry for `document`, equal to the source's totals to the cent.

    Raises `RecordSkipped` when the rule file cannot place the document (an unmapped tax rate, no
    revenue account, no journal), and `RecordFailed` when the source's own totals do not fit its
    lines, so no entry can equal them.
    """
    journal = rules.journals.invoices if document.kind == "invoice" else rules.journals.credit_notes
    if not journal:
        name = "invoices" if document.kind == "invoice" else "credit_notes"
        raise RecordSkipped(
            f"no journal for {name}",
            record_id=document.key,
            field=f"journals.{name}",
            hint=f"set journals.{name} in {rule_file(rules)}",
        )
    if not document.lines:
        raise RecordSkipped(
            f"{document.number} has no lines: there is nothing to book",
            record_id=document.key,
            hint="add its lines in the source if it should be booked",
        )
    placed = [_place(index, line, document, rules) for index, line in enumerate(document.lines)]
    groups: dict[Decimal, dict[str, list[_Placed]]] = {}
    for item in placed:
        groups.setdefault(item.rate, {}).setdefault(item.rule.code, []).append(item)
    targets = _targets(document, groups)

    booked: dict[int, EntryLine] = {}
    discount_lines: list[EntryLine] = []
    for rate, by_code in groups.items():
        for code, members in by_code.items():
            taxable, tax = targets[(rate, code)]
            costs: dict[tuple[str | None, str | None], Decimal] = {}
            if rules.discount_account:
                amounts = [cents(m.line.amount_before_discount) for m in members]
                discount = taxable - sum(amounts, Decimal(0))
                for member, amount in zip(members, amounts, strict=True):
                    costs[member.costs] = costs.get(member.costs, Decimal(0)) + amount
                # the discount goes with the cost centres and units of what it was given on
                extra = _spread(discount, list(costs.values())) if discount else []
            else:
                amounts = _scale([cents(m.line.amount) for m in members], taxable)
                extra = []
            vats = _vat_amounts(amounts + extra, rate, tax)
            for member, amount, vat in zip(members, amounts, vats, strict=False):
                center, unit = member.costs
                booked[member.index] = EntryLine(
                    member.account, code, amount, vat, member.line.description, center, unit
                )
            for (center, unit), amount, vat in zip(costs, extra, vats[len(amounts) :], strict=False):
                if rules.discount_account and (amount or vat):
                    label = f"Discount ({percent(rate)} VAT)"
                    discount_lines.append(
                        EntryLine(rules.discount_account, code, amount, vat, label, center, unit)
                    )

    entry = JournalEntry(
        document_key=document.key,
        kind=document.kind,
        journal=journal,
        your_ref=your_ref,
        customer_target_id=customer_target_id,
        date=document.date,
        description=description,
        currency=document.currency,
        payment_condition=choose_condition(document, rules, reference),
        lines=tuple(booked[index] for index in sorted(booked)) + tuple(discount_lines),
        exchange_rate=document.exchange_rate,
        due_date=document.due_date,
    )
    _verify(entry, document, targets)
    return entry


def _place(index: int, line: Line, document: Document, rules: Rules) -> _Placed:
    rate = line.tax_rate
    rule = rules.vat_rule(rate.id, rate.description)
    if rule is None:
        raise RecordSkipped(
            f"tax rate {rate.description!r} is not mapped",
            record_id=document.key,
            field="vat",
            hint=f"add it under vat: in {rule_file(rules)}",
        )
    account = rule.revenue_account or rules.revenue_account
    if not account:
        raise RecordSkipped(
            f"no revenue account for tax rate {rate.description!r}",
            record_id=document.key,
            field=key_path("vat", rule.key, "revenue_account"),
            hint=f"add revenue_account under {key_path('vat', rule.key)}, or a default revenue_account, in "
            f"{rule_file(rules)}",
        )
    return _Placed(index, line, rule, account, cost_codes(rules, line))


def _fail(document: Document, message: str) -> RecordFailed:
    return RecordFailed(
        message,
        record_id=document.key,
        hint="the document's totals do not add up; correct the document in the source, then run again",
    )


def _targets(
    document: Document, groups: dict[Decimal, dict[str, list[_Placed]]]
) -> dict[tuple[Decimal, str], tuple[Decimal, Decimal]]:
    """The source's taxable amount and VAT per (rate, VAT code), after checking they fit the lines.

    The source totals VAT per percentage. Two rules of one percentage (`0%` and `0% ICL`) share
    that total: it is split between their codes in proportion to their lines' net amounts.
    """
    totals = document.totals
    source: dict[Decimal, list[Decimal]] = {}
    for tax_total in totals.taxes:
        pair = source.setdefault(tax_total.rate, [Decimal(0), Decimal(0)])
        pair[0] += cents(tax_total.taxable)
        pair[1] += cents(tax_total.tax)
    taxable_sum = sum((pair[0] for pair in source.values()), Decimal(0))
    tax_sum = sum((pair[1] for pair in source.values()), Decimal(0))
    if taxable_sum != cents(totals.tax_exclusive):
        raise _fail(
            document,
            f"the total excluding VAT is {cents(totals.tax_exclusive)} but the taxable amounts per rate "
            f"add up to {taxable_sum}",
        )
    if taxable_sum + tax_sum != cents(totals.tax_inclusive):
        raise _fail(
            document,
            f"the total including VAT is {cents(totals.tax_inclusive)} but taxable amounts plus VAT "
            f"add up to {taxable_sum + tax_sum}",
        )
    factor = Decimal(1)
    for discount in document.discounts:
        factor *= 1 - Decimal(discount.percentage) / 100

    targets: dict[tuple[Decimal, str], tuple[Decimal, Decimal]] = {}
    for rate in set(source) | set(groups):
        taxable, tax = source.get(rate, [Decimal(0), Decimal(0)])
        by_code = groups.get(rate, {})
        members = [m for group in by_code.values() for m in group]
        if not members:
            if taxable or tax:
                raise _fail(
                    document,
                    f"the source lists {percent(rate)} totals (taxable {taxable}, VAT {tax}) "
                    "but no line has that rate",
                )
            continue
        net = sum((cents(m.line.amount) for m in members), Decimal(0))
        tolerance = CENT * len(members)
        expected = net * factor
        if abs(expected - taxable) > tolerance:
            raise _fail(
                document,
                f"the taxable amount at {percent(rate)} is {taxable} but its lines add up to "
                f"{cents(expected)} after discounts",
            )
        if abs(cents(taxable * rate) - tax) > tolerance:
            raise _fail(
                document,
                f"the VAT at {percent(rate)} is {tax} but {percent(rate)} of {taxable} is "
                f"{cents(taxable * rate)}",
            )
        codes = list(by_code)
        weights = [sum((cents(m.line.amount) for m in by_code[code]), Decimal(0)) for code in codes]
        taxables = _spread(taxable, weights)
        taxes = _spread(tax, taxables)
        for code, code_taxable, code_tax in zip(codes, taxables, taxes, strict=True):
            targets[(rate, code)] = (code_taxable, code_tax)
    return targets


def _largest(amounts: Sequence[Decimal]) -> int:
    """Index of the largest line: the largest positive amount (a revenue line rather than a bigger
    discount line), else the largest by size; the first of equals."""
    return max(range(len(amounts)), key=lambda index: (amounts[index] > 0, abs(amounts[index])))


def _spread(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` in shares proportional to `weights`, each to the cent, adding up to `total` exactly.

    The cent left over by rounding goes to the largest weight.
    """
    if not weights:
        return []
    base = sum(weights, Decimal(0))
    shares = [cents(total * weight / base) for weight in weights] if base else [Decimal(0)] * len(weights)
    shares[_largest(weights)] += total - sum(shares, Decimal(0))
    return shares


def _scale(amounts: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """`amounts` moved to add up to `total`: the difference (a document discount) spread proportionally."""
    difference = total - sum(amounts, Decimal(0))
    return [amount + share for amount, share in zip(amounts, _spread(difference, amounts), strict=True)]


def _vat_amounts(amounts: Sequence[Decimal], rate: Decimal, tax: Decimal) -> list[Decimal]:
    """VAT per line, half-up to the cent, adding up to the source's VAT; the rest goes on the largest."""
    vats = [cents(amount * rate) for amount in amounts]
    if vats:
        vats[_largest(amounts)] += tax - sum(vats, Decimal(0))
    return vats


def _verify(
    entry: JournalEntry, document: Document, targets: dict[tuple[Decimal, str], tuple[Decimal, Decimal]]
) -> None:
    """The last word: the entry's sums per code and in total equal the source's, or nothing is booked."""
    wanted: dict[str, list[Decimal]] = {}
    for (_, code), (taxable, tax) in targets.items():
        pair = wanted.setdefault(code, [Decimal(0), Decimal(0)])
        pair[0] += taxable
        pair[1] += tax
    got: dict[str, list[Decimal]] = {}
    for line in entry.lines:
        pair = got.setdefault(line.vat_code, [Decimal(0), Decimal(0)])
        pair[0] += line.amount
        pair[1] += line.vat_amount
    for code, (taxable, tax) in wanted.items():
        amount, vat = got.get(code, [Decimal(0), Decimal(0)])
        if (amount, vat) != (taxable, tax):
            raise _fail(
                document,
                f"VAT code {code!r}: the entry would carry {amount} with VAT {vat}, "
                f"the source {taxable} with VAT {tax}",
            )
    total = entry.total_excluding + entry.total_vat
    if total != cents(document.totals.tax_inclusive):
        raise _fail(
            document, f"the entry would total {total}, the source {cents(document.totals.tax_inclusive)}"
        )
