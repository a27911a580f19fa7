"""A period's sales entries read back, for `connector reconcile`: counted first, then read with lines.

What it costs (Exact allows 60 calls a minute, 5,000 a day):

- the count: one `salesentry/SalesEntries/$count` with the period's filter (the `/$count` sub-resource
  answers a plain integer, notes §4.1: dotnet-ApiConnection `Count()`);
- the entries: `salesentry/SalesEntries` with `$expand=SalesEntryLines` (lines come back as
  `{"results": [...]}` when expanded, notes §4.1, dotnet-ApiResponseCleaner), 60 entries a call;
- their receivables: `bulk/Cashflow/Receivables` filtered on the same `EntryDate`s, 1,000 a call.
  `EntryDate` is one of the fields that bulk endpoint filters on (notes §"Evidence 2026-12",
  Endpoints that do and do not exist); `sync/Cashflow/PaymentTerms`, which the payments flow reads
  for changes, filters on nothing but its Timestamp, so reading a month through it would cost a
  call per 1,000 receivables ever booked. Both carry `IsFullyPaid` (notes §6.9, §6.13) and are
  turned into payment states by the same `translate.payment_statuses`.

The filter names the journals and the two dates, never a list of ids or references, so the URL
stays short however many entries the period has (the URL-length limit is why `existing_entries`
looks references up 40 at a time). `EntryDate lt` the day after the end takes in an entry dated on
the last day at any time of day. Fields of SalesEntries and their lines: notes §6.1, §6.2
(picqer `SalesEntry.php` / `SalesEntryLine.php`, fretje `SalesEntry.cs`).

Amounts are turned back to the document's convention: a credit note's are posted negative
(`translate.exact_amount`, docs/accounting.md), so a credit note read back is negated once; one
booked positive by hand then reads negative and shows as a difference.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from connector.contract.errors import ApiError
from connector.contract.records import BookedEntry, EntryLine
from connector.contract.services import ReadCost

from . import translate
from .client import ExactClient

ENTRIES = "salesentry/SalesEntries"
RECEIVABLES = "bulk/Cashflow/Receivables"
ENTRY_FIELDS = (
    "EntryID,EntryNumber,Journal,Type,YourRef,Customer,EntryDate,Currency,Rate,AmountFC,SalesEntryLines"
)
RECEIVABLE_FIELDS = "ID,TransactionEntryID,IsFullyPaid,Status,LastPaymentDate,EndDate"
PAGE = 60
BULK_PAGE = 1000


def dates(start: date, end: date) -> str:
    after = end + timedelta(days=1)
    return f"EntryDate ge datetime'{start.isoformat()}' and EntryDate lt datetime'{after.isoformat()}'"


def entry_filter(journals: Collection[str], start: date, end: date) -> str:
    codes = " or ".join(f"Journal eq {translate.odata_string(code.strip())}" for code in sorted(journals))
    return f"({codes}) and {dates(start, end)}"


def count(client: ExactClient, journals: Collection[str], start: date, end: date) -> ReadCost:
    """One call: how many entries the period has; then a call per 60 of them and per 1,000 receivables."""
    if not journals:
        return ReadCost(0, 0)
    response = client.request(
        "GET",
        client.url(f"{ENTRIES}/$count"),
        endpoint=f"{ENTRIES}/$count",
        params={"$filter": entry_filter(journals, start, end)},
    )
    try:
        found = int(response.text.strip())
    except ValueError as error:
        raise ApiError(
            f"Exact Online answered a count that is not a number: {response.text[:40]!r}"
        ) from error
    reads = max(-(-found // PAGE), 1) + max(-(-found // BULK_PAGE), 1)
    return ReadCost(records=found, calls=1 + reads, spent=1)


def entries(client: ExactClient, journals: Collection[str], start: date, end: date) -> list[BookedEntry]:
    """Every entry of `journals` in the period, with its lines and whether its receivable is paid."""
    if not journals:
        return []
    rows = client.rows(
        ENTRIES,
        {
            "$filter": entry_filter(journals, start, end),
            "$select": ENTRY_FIELDS,
            "$expand": "SalesEntryLines",
        },
    )
    receivables = client.rows(RECEIVABLES, {"$filter": dates(start, end), "$select": RECEIVABLE_FIELDS})
    paid = {status.target_id: status.fully_paid for status in translate.payment_statuses(receivables)}
    found = []
    for row in rows:
        entry = booked_entry(row, paid)
        if entry is not None:
            found.append(entry)
    return found


def booked_entry(row: dict[str, Any], paid: dict[str, bool]) -> BookedEntry | None:
    """One SalesEntries row (lines expanded) as a canonical entry; None when it is neither an invoice
    nor a credit note."""
    kind = translate.entry_kind(row)
    when = translate.parse_day(row.get("EntryDate"))
    if kind is None or when is None:
        return None
    expanded = row.get("SalesEntryLines") or {}
    lines = expanded.get("results", []) if isinstance(expanded, dict) else list(expanded)
    entry_id = str(row.get("EntryID") or "")
    rate = translate.decimal(row.get("Rate")) if row.get("Rate") not in (None, "") else None
    return BookedEntry(
        id=entry_id,
        journal=str(row.get("Journal") or "").strip(),
        kind=kind,
        your_ref=str(row.get("YourRef") or "").strip(),
        customer_target_id=str(row.get("Customer") or ""),
        date=when,
        currency=str(row.get("Currency") or ""),
        lines=tuple(
            EntryLine(
                account=str(line.get("GLAccountCode") or "").strip(),
                vat_code=str(line.get("VATCode") or "").strip(),
                amount=translate.exact_amount(kind, translate.decimal(line.get("AmountFC"))),
                vat_amount=translate.exact_amount(kind, translate.decimal(line.get("VATAmountFC"))),
                description=str(line.get("Description") or ""),
            )
            for line in lines
        ),
        number=str(row.get("EntryNumber") or ""),
        exchange_rate=rate,
        paid=paid.get(entry_id),
    )
