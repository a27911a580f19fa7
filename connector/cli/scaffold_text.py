"""The text `connector init` writes: the rule file's sections from the reference data of both systems,
with a `# review:` line for every guess."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import connector
from connector.cli.check import similarity
from connector.contract.records import PaymentTerm, TaxRate
from connector.contract.services import (
    AccountInfo,
    PaymentConditionInfo,
    ReferenceData,
    Service,
)
from connector.engine.mapping import (
    EXCLUSIVE,
    RETURN_JOURNAL,
    REVENUE_ACCOUNT,
    SALES_JOURNAL,
    fraction,
    percent,
)
from connector.engine.payment_terms import code_sort_key, matching_conditions

DISCOUNT_WORDS = ("korting", "discount", "remise", "rabatt", "reduction", "réduction")

SCHEMA = Path(connector.__file__).resolve().parents[1] / "schemas" / "rules.schema.json"


@dataclass
class Section:
    """One plugin section: its YAML lines, and its options as the service is built with them."""

    plugin: str
    lines: list[str]
    effective: dict[str, Any]


def quoted(text: str) -> str:
    return json.dumps(text.strip(), ensure_ascii=False)


def described(items: list[Any], limit: int = 4) -> str:
    return ", ".join(f"{item.code.strip()!r} ({item.description})" for item in items[:limit]) or "none"


def vat_lines(rates: list[TaxRate], reference: ReferenceData, accounts: list[AccountInfo]) -> list[str]:
    lines = []
    descriptions = [rate.description for rate in rates]
    for rate in sorted(rates, key=lambda r: (-fraction(r.rate), r.description)):
        key = rate.description if descriptions.count(rate.description) == 1 else rate.id
        codes = [
            v
            for v in reference.vat_codes.values()
            if v.type == EXCLUSIVE and fraction(v.percentage) == fraction(rate.rate)
        ]
        codes.sort(key=lambda v: (-similarity(rate.description, v.description), code_sort_key(v.code)))
        if not codes:
            lines.append(f'  # {quoted(key)}: {{ code: "?" }}')
            lines.append(
                f"  # review: the target has no exclusive VAT code with {percent(fraction(rate.rate))}: "
                "create one, then map this rate (its documents are skipped until then)"
            )
            continue
        matched = [a for a in accounts if similarity(rate.description, a.description) >= 1]
        matched.sort(key=lambda a: (-similarity(rate.description, a.description), code_sort_key(a.code)))
        account = f", revenue_account: {quoted(matched[0].code)}" if matched else ""
        others = f"; other exclusive codes with this rate: {described(codes[1:])}" if len(codes) > 1 else ""
        why = f"; account {matched[0].description!r} by its name" if matched else ""
        lines.append(f"  {quoted(key)}: {{ code: {quoted(codes[0].code)}{account} }}")
        lines.append(f"  # review: {percent(fraction(rate.rate))} -> {codes[0].description!r}{others}{why}")
    return lines


def conditions_by_kind(reference: ReferenceData, method: str) -> list[PaymentConditionInfo]:
    found = [
        c
        for c in reference.payment_conditions.values()
        if c.method.strip().upper() == method and Decimal(c.discount_percentage) == 0
    ]
    return sorted(found, key=lambda c: (c.days, c.end_of_months, code_sort_key(c.code)))


def payment_lines(reference: ReferenceData, term: PaymentTerm | None) -> list[str]:
    on_credit = conditions_by_kind(reference, "B")
    matched = matching_conditions(term, reference.payment_conditions.values()) if term else []
    default: PaymentConditionInfo | None
    if matched:
        default, why = matched[0], f"matches the source's default term {term.key if term else ''}"
    elif on_credit:
        default, why = on_credit[0], "the shortest on-credit condition without discount"
    else:
        anything = sorted(reference.payment_conditions.values(), key=lambda c: code_sort_key(c.code))
        default, why = (
            (anything[0] if anything else None),
            "the target has no on-credit condition without discount",
        )
    code = default.code if default else "?"
    name = f"{default.description!r}, " if default else ""
    lines = [
        "payment_terms:",
        f"  default: {quoted(code)}",
        f"  # review: {name}{why}; also every credit note's",
    ]
    collection = conditions_by_kind(reference, "I")
    if collection:
        lines.append(f"  direct_debit: {quoted(collection[0].code)}")
        lines.append(
            f"  # review: {collection[0].description!r}: for invoices paid by direct debit (collection)"
        )
    else:
        lines.append(
            "  # direct_debit: the target has no collection condition; direct-debit invoices get the default"
        )
    cash = conditions_by_kind(reference, "K")
    if cash:
        lines += ["  map:", f'    "cash": {quoted(cash[0].code)}']
        lines.append(f"    # review: {cash[0].description!r}: cash is never matched automatically")
    automatic = ", ".join(
        f"{'end_of_month' if c.end_of_months else 'after_invoice_date'} {c.days} -> {c.code.strip()!r}"
        for c in on_credit
    )
    lines.append(f"  # terms are matched to conditions by days automatically: {automatic or 'none'}")
    return lines


def cost_lines(reference: ReferenceData) -> list[str]:
    """`cost_center:` and `cost_unit:` as comments listing the target's active codes: which lines go
    where only the consultant knows, so nothing is guessed."""
    lines = []
    kinds = (
        ("cost_center", "cost centres (kostenplaatsen)", reference.cost_centers),
        ("cost_unit", "cost units (kostendragers)", reference.cost_units),
    )
    for section, label, codes in kinds:
        active = sorted((c for c in codes.values() if c.active), key=lambda c: code_sort_key(c.code))
        if not active:
            lines.append(f"# {section}: the target has no active {label}")
            continue
        lines += [
            f"# {section}: the target's {label}: {described(active, 8)}",
            "# a line gets the code of its product, else of its product category (the source's ids), "
            "else the default:",
            f"# {section}:",
            f"#   default: {quoted(active[0].code)}",
            "#   product_category:",
            f'#     "<product category id>": {quoted(active[-1].code)}',
        ]
    return lines


def render_rules(
    client: str,
    classes: Mapping[str, type[Service]],
    sections: Mapping[str, Section],
    rates: list[TaxRate],
    reference: ReferenceData,
    term: PaymentTerm | None,
    start: date | None,
    output: Path,
) -> str:
    today = datetime.now(UTC).date()
    start = start or date(today.year, 1, 1)
    journals = sorted(reference.journals.values(), key=lambda j: code_sort_key(j.code))
    sales = [j for j in journals if j.type == SALES_JOURNAL]
    returns = [j for j in journals if j.type == RETURN_JOURNAL]
    revenue = sorted(
        (a for a in reference.accounts.values() if a.type == REVENUE_ACCOUNT),
        key=lambda a: code_sort_key(a.code),
    )
    discount = [a for a in revenue if any(word in a.description.casefold() for word in DISCOUNT_WORDS)]
    plain = [a for a in revenue if a not in discount]
    lines = []
    if SCHEMA.exists():
        lines.append(f"# yaml-language-server: $schema={os.path.relpath(SCHEMA, output.resolve().parent)}")
        lines.append("#")
    lines += [
        f"# Rule file of client {client}, written by `connector init` on {today.isoformat()} from the live",
        f"# reference data of {classes['source'].title or classes['source'].name} and "
        f"{classes['sink'].title or classes['sink'].name}.",
        "# Every guess is followed by a `# review:` line: read each, then run `connector validate` and",
        "# `connector check` on this file. docs/rules.md explains every key.",
        "version: 1",
        f"client: {client}",
        "",
        "source:",
        *sections["source"].lines,
        "",
        "sink:",
        *sections["sink"].lines,
        "",
        "sync:",
        f"  start_date: {start.isoformat()}",
        "  # review: the first document date that is synced; older documents are left alone",
        "  invoices: true",
        "  credit_notes: true",
        "  import_customers: false",
        "  attachments: none",
        "  # review: pdf, ubl or both attach each booked document's files to its entry (the UBL is the",
        "  # legal original of Belgian B2B invoices since 2026); a few more sink calls per document",
        "",
        "journals:",
    ]
    if sales:
        credit = returns[0] if returns else sales[0]
        lines += [
            f"  invoices: {quoted(sales[0].code)}",
            f"  # review: {sales[0].description!r} (sales, type 20); "
            f"the target's sales journals: {described(sales)}",
            f"  credit_notes: {quoted(credit.code)}",
            f"  # review: {credit.description!r} (type {credit.type}); may be the invoices' journal",
        ]
    else:
        lines.append("  # review: the target has no sales journal (type 20): create one, then name it here")
    lines += ["", "vat:", *vat_lines(rates, reference, plain), ""]
    if plain:
        lines += [
            f"revenue_account: {quoted(plain[0].code)}",
            f"# review: {plain[0].description!r} for lines whose VAT rule names no account; "
            f"revenue accounts: {described(plain)}",
        ]
    else:
        lines.append(
            "# review: the target has no revenue account (type 110): create one, then set revenue_account"
        )
    if discount:
        lines += [
            f"discount_account: {quoted(discount[0].code)}",
            f"# review: {discount[0].description!r} by its name; remove it to book lines net of discount",
        ]
    else:
        lines.append(
            "# discount_account: no revenue account looks like one; lines are booked net of discount"
        )
    lines += ["", *cost_lines(reference)]
    lines += [
        "",
        "customers:",
        "  match: [vat_number]",
        "  update: true",
        "",
        *payment_lines(reference, term),
        "",
    ]
    lines += [
        "# Watch mode (`connector run FILE --watch`): switch it on once `connector check` is clean.",
        "# triggers:",
        "#   documents: every 15 minutes",
        "#   payments: every 10 minutes",
        "",
    ]
    return "\n".join(lines)
