"""`connector reconcile`'s result as a person reads it (a table), as an accountant opens it (CSV),
and the estimate said before reading."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from connector.contract.reconciliation import Reconciliation
from connector.contract.services import ReadCost
from connector.reporting.render import table

KIND_WORDS = {
    "missing_in_sink": "missing in sink",
    "missing_in_source": "missing in source",
    "duplicate": "booked twice",
    "amount": "amount differs",
    "customer": "customer differs",
    "payment": "payment differs",
}


WHAT_TO_DO = {
    "missing_in_sink": "`connector run` books what was never booked (once its reason is fixed: an "
    "unmapped rate, say); one the ledger links to a deleted entry needs `connector ledger RULES unlink "
    "NUMBER` first",
    "missing_in_source": "ask who booked it: by hand, or another integration still writing to the journal",
    "duplicate": "delete the extra entry in the sink (its id is given); the other one is the document's",
    "amount": "correct the entry in the sink to the document, or credit and book the document again",
    "customer": "move the entry in the sink to the account the source's customer is linked to",
    "payment": "register the payment in the sink too; the reverse is set paid by the next payments run",
}


def plural(count: int, things: str) -> str:
    """`1 document`, `2 documents`, `1 entry`."""
    if count != 1:
        return f"{count} {things}"
    return f"1 {things[:-3] + 'y' if things.endswith('ies') else things[:-1]}"


def render_estimate(
    costs: Mapping[str, ReadCost], titles: Mapping[str, str], left: Mapping[str, int | None], dry_run: bool
) -> list[str]:
    """`reading Invoicing (source): 12 documents, about 17 API calls (3 spent counting)`."""
    words = {"source": "documents", "sink": "entries"}
    lines = []
    for side, cost in costs.items():
        counted = plural(cost.records, words[side])
        text = f"{titles.get(side, side)} ({side}): {counted}, about {cost.calls} API calls"
        text += f" ({cost.spent} spent counting)" if cost.spent else ""
        budget = left.get(side)
        text += f"; {budget} left today" if budget is not None else ""
        lines.append(("a reconcile reads " if dry_run else "reading ") + text)
    return lines


def render(result: Reconciliation, titles: Mapping[str, str]) -> str:
    """The totals table, then every difference, then the verdict."""
    lines = [
        f"reconcile {result.start.isoformat()} to {result.end.isoformat()}: "
        f"{plural(result.documents, 'documents')} in the source ({titles.get('source', 'source')}), "
        f"{plural(result.entries, 'entries')} in the sink ({titles.get('sink', 'sink')})",
        "",
        "totals per journal and VAT code (home currency, credit notes negative):",
    ]
    rows = [
        (
            total.journal,
            total.vat_code,
            *total.source.to_dict().values(),
            *total.sink.to_dict().values(),
            *total.difference.to_dict().values(),
            "ok" if total.agrees else "DIFFERS",
        )
        for total in result.totals
    ]
    headers = (
        "journal",
        "VAT code",
        "source net",
        "source VAT",
        "sink net",
        "sink VAT",
        "diff net",
        "diff VAT",
        "",
    )
    shown = table(headers, rows, right=range(2, 8)).splitlines()
    lines += ["  " + line for line in shown] if rows else ["  (nothing booked)"]
    lines.append("")
    if result.differences:
        lines.append(f"differences ({len(result.differences)}):")
        for difference in result.differences:
            entry = f"entry {difference.entry_number}" if difference.entry_number else difference.sink_id
            who = difference.number or entry or "-"
            lines.append(f"  {KIND_WORDS[difference.kind]:<17}  {who}: {difference.detail}")
            if difference.source_key or difference.sink_id:
                ids = [f"source {difference.source_key}"] if difference.source_key else []
                ids += [f"sink {difference.sink_id}"] if difference.sink_id else []
                lines.append(f"  {'':<17}  ({', '.join(ids)})")
        lines.append("")
        lines.append(
            f"DIFFERENT: {plural(len(result.differences), 'differences')} between the books (exit 1)"
        )
        lines.append("what to do:")
        for kind in dict.fromkeys(difference.kind for difference in result.differences):
            lines.append(f"  {KIND_WORDS[kind]}: {WHAT_TO_DO[kind]}")
    elif not result.agrees:
        lines.append("DIFFERENT: the totals differ (exit 1)")
    else:
        lines.append("the books agree: every document of the period is in the sink once, as booked")
    if result.calls:
        lines.append("API calls: " + ", ".join(f"{side} {count}" for side, count in result.calls.items()))
    return "\n".join(lines)


CSV_HEADERS = (
    "row",
    "journal",
    "vat_code",
    "source_net",
    "source_vat",
    "sink_net",
    "sink_vat",
    "difference_net",
    "difference_vat",
    "kind",
    "number",
    "source_key",
    "sink_id",
    "detail",
)


def write_csv(path: Path, result: Reconciliation) -> None:
    """One file for the accountant: a `total` row per journal and VAT code, then a `difference` row
    per difference. Amounts with a decimal point, no thousands separator."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADERS)
        for total in result.totals:
            source, sink, difference = (
                total.source.to_dict(),
                total.sink.to_dict(),
                total.difference.to_dict(),
            )
            writer.writerow(
                [
                    "total",
                    total.journal,
                    total.vat_code,
                    source["net"],
                    source["vat"],
                    sink["net"],
                    sink["vat"],
                    difference["net"],
                    difference["vat"],
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        for item in result.differences:
            row = ["difference", *[""] * 8, item.kind, item.number or "", item.source_key or ""]
            writer.writerow([*row, item.sink_id or "", item.detail])
