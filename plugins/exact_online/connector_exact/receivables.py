"""Receivables read back from Exact (`sync/Cashflow/PaymentTerms` rows) as payment states.

Pure functions, no HTTP, like `translate`: what is paid, open and matched of each booked entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connector.contract.records import PaymentStatus

from .translate import decimal, parse_day

RECEIPT_LINE_TYPE = 20  # sync/Cashflow/PaymentTerms LineType: 20 receipt (receivable), 22 payment
MATCHED, SELECTED, PROCESSED = 50, 30, 40  # receivable Status (notes §6.9)


def payment_statuses(rows: Sequence[Mapping[str, Any]]) -> list[PaymentStatus]:
    """sync/Cashflow/PaymentTerms rows → one status per entry, receivables (LineType 20) only.

    Sync results may repeat a key; only the last change counts (notes §6.13). An entry whose
    receivable was split is fully paid only when every part seen is.

    Amounts: a receivable "can be split so that one part is received on a different date. In that
    case the two records get a different EntryID" ([picqer-Receivable], `SyncPaymentTerm.php`
    EntryID), and after a partial payment "the AmountDC/AmountFC field then shows the outstanding
    amount" (Exact support, notes §7). No field says what was paid: `AmountFC` is "the amount"
    of the row and `TransactionAmountFC` the "total amount of the linked transaction"
    (picqer/exact-php-client `SyncPaymentTerm.php`, Exact's field documentation). So what is open
    is the AmountFC of the parts not fully paid, and what was matched TransactionAmountFC less
    that. Each match changes the open part, so it is in the same sync batch as the matched one (an
    entry with several open terms, an instalment condition, would need all of them: assumed not
    to happen, UNVERIFIED). Whether Exact
    splits on every partial match is UNVERIFIED: a receivable that stays one row with its whole
    amount shows nothing matched until it is fully paid (the Exact sandbox's `split_partial`
    setting plays both).
    """
    latest: dict[str, Mapping[str, Any]] = {}
    for row in sorted(rows, key=lambda r: int(r.get("Timestamp") or 0)):
        if row.get("LineType") not in (None, RECEIPT_LINE_TYPE) or not row.get("TransactionEntryID"):
            continue
        latest[str(row.get("ID") or row["TransactionEntryID"])] = row
    by_entry: dict[str, list[Mapping[str, Any]]] = {}
    for row in latest.values():
        by_entry.setdefault(str(row["TransactionEntryID"]), []).append(row)
    statuses = []
    for entry_id, parts in by_entry.items():
        paid = all(bool(p.get("IsFullyPaid")) for p in parts)
        ends = "EndDate" if paid else "LastPaymentDate"  # a part still open has no EndDate
        days = [d for p in parts if (d := parse_day(p.get("LastPaymentDate") or p.get(ends)))]
        collecting = not paid and any(int(p.get("Status") or 0) in (SELECTED, PROCESSED) for p in parts)
        open_amount = _open_amount(parts)
        total = _entry_total(parts)
        statuses.append(
            PaymentStatus(
                target_id=entry_id,
                fully_paid=paid,
                payment_date=max(days) if days else None,
                in_collection=collecting,
                amount_open=open_amount,
                amount_matched=max(total - open_amount, Decimal(0))
                if total is not None and open_amount is not None
                else None,
            )
        )
    return statuses


def _open_amount(parts: Sequence[Mapping[str, Any]]) -> Decimal | None:
    """What the parts not fully paid hold (AmountFC), None when the rows carry no amounts."""
    if not any("AmountFC" in p for p in parts):
        return None
    return abs(sum((decimal(p.get("AmountFC")) for p in parts if not p.get("IsFullyPaid")), Decimal(0)))


def _entry_total(parts: Sequence[Mapping[str, Any]]) -> Decimal | None:
    totals = [p.get("TransactionAmountFC") for p in parts if p.get("TransactionAmountFC") is not None]
    return abs(decimal(totals[0])) if totals else None
