"""Proving the books: what the source booked in a period against what the target's journals hold.

Pure: `compare` takes the documents as the target should hold them (`Expected`, made by
`reconcile_read` through the same mapping a run uses) and the entries it does hold (`BookedEntry`),
and returns every difference and the totals per journal and VAT code on both sides.

Each document is matched to one entry: the one the ledger links it to when that entry is among the
period's, else one of its journal, kind and reference (YourRef). Then:

- no entry: `missing_in_sink` (with the reason when the mapping cannot make one, an unmapped rate);
- more entries of its journal, kind and reference than documents: each extra one is a `duplicate`;
- an entry no document claims: `missing_in_source` (booked by hand, or by another integration);
- a matched pair whose amounts differ (excluding VAT, VAT per code, including VAT; in the document's
  currency): one `amount` difference listing what differs; a different customer account than the
  source customer's link: `customer`; paid on one side and open on the other: `payment` (an invoice
  paid in the sink and still open in the source is allowed, the payments flow follows it, but it
  is reported all the same).

Totals are in the home currency (each line at the document's exchange rate, rounded to the cent as
the target does), with credit notes negative, so that a journal holding both nets them as the
books do. Every document and entry counts in them, also the ones that differ: the difference of a
total is the sum of what differs in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from connector.contract.reconciliation import Amounts, Difference, DifferenceKind, Reconciliation, Total
from connector.contract.records import BookedEntry, DocumentKind, EntryLine, cents


@dataclass(frozen=True)
class Expected:
    """A source document as the target should hold it: journal, reference and lines as the mapping
    makes them (`lines` per VAT code, amounts as printed). When the mapping cannot make an entry of
    it (`problem`), its lines carry a label instead of a VAT code, e.g. `12% (not mapped)`."""

    source_key: str
    number: str
    kind: DocumentKind
    journal: str
    your_ref: str
    date: date
    currency: str
    lines: tuple[EntryLine, ...]
    customer_target_id: str | None = None  # the source customer's link; None when not linked yet
    exchange_rate: Decimal | None = None
    paid: bool | None = None  # None when the source does not say (credit notes)
    target_id: str | None = None  # the entry the ledger links it to
    problem: str | None = None


def _code(text: str) -> str:
    return text.strip()


def _ref_key(journal: str, kind: str, ref: str) -> tuple[str, str, str]:
    return (journal.strip(), kind, ref.strip())


def compare(
    start: date, end: date, expected: Sequence[Expected], booked: Sequence[BookedEntry]
) -> Reconciliation:
    """Every difference between the documents and the entries of one period, and their totals."""
    by_id = {entry.id: entry for entry in booked}
    by_ref: dict[tuple[str, str, str], list[BookedEntry]] = {}
    for entry in sorted(booked, key=lambda e: (e.number, e.id)):
        by_ref.setdefault(_ref_key(entry.journal, entry.kind, entry.your_ref), []).append(entry)
    documents = sorted(expected, key=lambda d: (d.date, d.source_key))
    claimed: dict[str, Expected] = {}
    matches: dict[str, BookedEntry] = {}
    for document in documents:  # the ledger's links first: they are certain
        linked = by_id.get(document.target_id or "")
        if linked is not None and linked.id not in claimed:
            claimed[linked.id], matches[document.source_key] = document, linked
    for document in documents:
        if document.source_key in matches:
            continue
        key = _ref_key(document.journal, document.kind, document.your_ref)
        free = [candidate for candidate in by_ref.get(key, []) if candidate.id not in claimed]
        if free:
            claimed[free[0].id], matches[document.source_key] = document, free[0]

    differences: list[Difference] = []
    for document in documents:
        match = matches.get(document.source_key)
        if match is None:
            differences.append(_missing_in_sink(document))
        else:
            differences.extend(_differences(document, match))
    owners = {_ref_key(d.journal, d.kind, d.your_ref): d for d in documents if d.source_key in matches}
    for entry in sorted(booked, key=lambda e: (e.date, e.number, e.id)):
        if entry.id in claimed:
            continue
        owner = owners.get(_ref_key(entry.journal, entry.kind, entry.your_ref))
        if owner is not None:
            differences.append(_duplicate(owner, entry, matches[owner.source_key]))
        else:
            differences.append(_missing_in_source(entry))
    return Reconciliation(
        start,
        end,
        tuple(differences),
        totals(documents, booked),
        documents=len(documents),
        entries=len(booked),
    )


def per_code(lines: Iterable[EntryLine]) -> dict[str, Amounts]:
    found: dict[str, Amounts] = {}
    for line in lines:
        code = _code(line.vat_code)
        found[code] = found.get(code, Amounts()) + Amounts(line.amount, line.vat_amount)
    return found


def _differences(document: Expected, entry: BookedEntry) -> list[Difference]:
    found: list[Difference] = []
    amounts = _amount_detail(document, entry)
    if amounts:
        found.append(_difference("amount", "; ".join(amounts), document, entry))
    wanted, got = document.customer_target_id, entry.customer_target_id
    if wanted and got and wanted.strip().lower() != got.strip().lower():
        found.append(
            _difference(
                "customer",
                f"booked on customer account {got}; the source's customer is linked to account {wanted}",
                document,
                entry,
            )
        )
    if document.paid is not None and entry.paid is not None and document.paid != entry.paid:
        if document.paid:
            detail = "paid in the source, still open in the sink"
        else:
            detail = (
                "paid in the sink, still open in the source (allowed: the next payments run sets it paid)"
            )
        found.append(_difference("payment", detail, document, entry))
    return found


def _amount_detail(document: Expected, entry: BookedEntry) -> list[str]:
    parts: list[str] = []
    if document.currency.strip().upper() != entry.currency.strip().upper():
        parts.append(f"currency {document.currency} in the source, {entry.currency} in the sink")
    rates = (document.exchange_rate or Decimal(1), entry.exchange_rate or Decimal(1))
    if rates[0] != rates[1]:
        parts.append(f"exchange rate {rates[0]} in the source, {rates[1]} in the sink")
    if document.problem is None:  # the mapping says which VAT code each amount belongs on
        wanted, got = per_code(document.lines), per_code(entry.lines)
        for code in sorted(set(wanted) | set(got)):
            mine, theirs = wanted.get(code, Amounts()), got.get(code, Amounts())
            if mine != theirs:
                parts.append(
                    f"VAT code {code}: {_money(mine.net)} + VAT {_money(mine.vat)} in the source, "
                    f"{_money(theirs.net)} + VAT {_money(theirs.vat)} in the sink"
                )
    net_s = sum((line.amount for line in document.lines), Decimal(0))
    vat_s = sum((line.vat_amount for line in document.lines), Decimal(0))
    net_t, vat_t = entry.total_excluding, entry.total_vat
    if document.problem is not None and (net_s, vat_s) != (net_t, vat_t):
        parts.append(
            f"excl. VAT {_money(net_s)} in the source, {_money(net_t)} in the sink; "
            f"VAT {_money(vat_s)} in the source, {_money(vat_t)} in the sink"
        )
    if parts and net_s + vat_s != net_t + vat_t:
        parts.append(f"incl. VAT {_money(net_s + vat_s)} in the source, {_money(net_t + vat_t)} in the sink")
    return parts


def _money(amount: Decimal) -> str:
    return str(cents(amount))


def _difference(kind: DifferenceKind, detail: str, document: Expected, entry: BookedEntry) -> Difference:
    return Difference(kind, detail, document.source_key, document.number, entry.id, entry.number or None)


def _missing_in_sink(document: Expected) -> Difference:
    where = f"journal {document.journal}"
    if document.problem is not None:
        detail = f"not booked: {document.problem}"
    elif document.target_id:
        detail = (
            f"the ledger links it to entry {document.target_id}, which is not among the {where} entries "
            "of the period (deleted, or moved to another date or journal?)"
        )
    else:
        detail = f"no entry in {where} with reference {document.your_ref!r}"
    return Difference("missing_in_sink", detail, document.source_key, document.number, None)


def _duplicate(owner: Expected, entry: BookedEntry, kept: BookedEntry) -> Difference:
    return Difference(
        "duplicate",
        f"a second entry {_named(entry)} in journal {entry.journal.strip()} with reference "
        f"{entry.your_ref.strip()!r}, besides {_named(kept)}",
        owner.source_key,
        owner.number,
        entry.id,
        entry.number or None,
    )


def _missing_in_source(entry: BookedEntry) -> Difference:
    kind = entry.kind.replace("_", " ")
    return Difference(
        "missing_in_source",
        f"{kind} {_named(entry)} in journal {entry.journal.strip()} dated {entry.date.isoformat()}, "
        f"reference {entry.your_ref.strip()!r}, {_money(entry.total_excluding)} + VAT "
        f"{_money(entry.total_vat)}: no document of the period in the source (booked by hand or by "
        "another integration?)",
        None,
        None,
        entry.id,
        entry.number or None,
    )


def _named(entry: BookedEntry) -> str:
    return entry.number or entry.id


def _home(amount: Decimal, rate: Decimal | None) -> Decimal:
    return cents(amount * rate) if rate is not None and rate != 1 else cents(amount)


def _signed_home(kind: str, lines: Iterable[EntryLine], rate: Decimal | None) -> dict[str, Amounts]:
    sign = -1 if kind == "credit_note" else 1
    found: dict[str, Amounts] = {}
    for line in lines:
        code = _code(line.vat_code)
        home = Amounts(sign * _home(line.amount, rate), sign * _home(line.vat_amount, rate))
        found[code] = found.get(code, Amounts()) + home
    return found


def totals(expected: Iterable[Expected], booked: Iterable[BookedEntry]) -> tuple[Total, ...]:
    """Per journal and VAT code, both sides, in the home currency, credit notes negative."""
    sides: dict[tuple[str, str], list[Amounts]] = {}
    for document in expected:
        for code, amounts in _signed_home(document.kind, document.lines, document.exchange_rate).items():
            pair = sides.setdefault((document.journal.strip(), code), [Amounts(), Amounts()])
            pair[0] += amounts
    for entry in booked:
        for code, amounts in _signed_home(entry.kind, entry.lines, entry.exchange_rate).items():
            pair = sides.setdefault((entry.journal.strip(), code), [Amounts(), Amounts()])
            pair[1] += amounts
    return tuple(
        Total(journal, code, source, sink) for (journal, code), (source, sink) in sorted(sides.items())
    )
