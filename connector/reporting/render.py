"""Turning reports into text a person reads at a terminal."""

from __future__ import annotations

import shutil
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime

from connector.contract.report import RunReport

# A dry run did none of it: "would book 103", not "103 booked".
WOULD = {
    "attached": "would attach",
    "booked": "would book",
    "created": "would create",
    "updated": "would update",
    "linked": "would link",
    "registered": "would register",
    "skipped": "would skip",
    "failed": "would fail",
}

STATUS_WORDS = {
    "success": "done",
    "partial": "PARTIAL: some records were skipped or failed",
    "failed": "FAILED",
}


def status_words(report: RunReport) -> str:
    """How a run ended, in words: a partial run with nothing skipped or failed was paused."""
    if report.status == "partial" and not report.outcomes:
        return "PAUSED: stopped early, nothing failed; the next run continues"
    return STATUS_WORDS[report.status]


def render_report(report: RunReport) -> str:
    """A readable summary; partial success is never printed as success."""
    title = "dry run (nothing was written)" if report.dry_run else "run"
    status = status_words(report)
    lines = [f"{report.client}: {title} of {', '.join(report.flows)}: {status}"]
    for group, parts in counted(report.counts, dry_run=report.dry_run).items():
        lines.append(f"  {group}: {', '.join(parts)}")
    if report.calls:
        lines.append("  API calls: " + ", ".join(f"{side} {count}" for side, count in report.calls.items()))
    for outcome in report.outcomes:
        status = WOULD.get(outcome.status, outcome.status) if report.dry_run else outcome.status
        lines.append(f"  {status} {outcome.record}: {outcome.reason}")
        if outcome.hint:
            lines.append(f"      what to do: {outcome.hint}")
    for paid in report.paid:
        what = "part paid" if paid.get("part") else "set paid"
        lines.append(f"  {what}: {paid['number']} ({paid['amount']} on {paid['paid_on']})")
    for notice in report.notices:
        lines.append(f"  note: {notice}")
    if report.error:
        lines.append(f"  stopped: {report.error}")
    return "\n".join(lines)


def counted(counts: dict[str, int], *, dry_run: bool = False) -> dict[str, list[str]]:
    """A report's counts per group as a person reads them: `{"documents": ["103 booked (100
    invoices, 3 credit notes)"], "customers": ["31 created"]}`; `would book 103` for a dry run."""
    groups: dict[str, list[str]] = {}
    booked = {key.partition(".")[2]: n for key, n in sorted(counts.items()) if key.startswith("booked.")}
    # Which kinds were booked, when there was more than one: "95 invoices, 8 credit notes".
    kinds = (
        ", ".join(
            f"{n} {kind.replace('_', ' ')[:-1] if n == 1 else kind.replace('_', ' ')}"
            for kind, n in sorted(booked.items(), key=lambda item: -item[1])
        )
        if len(booked) > 1
        else ""
    )
    order = ("documents", "attachments", "customers", "payments")  # what a run is for first
    for key in sorted(
        counts, key=lambda k: (order.index(g) if (g := k.partition(".")[0]) in order else 9, k)
    ):
        group, _, what = key.partition(".")
        if group == "booked":
            continue  # shown with documents: "103 booked (95 invoices, 8 credit notes)"
        detail = f" ({kinds})" if key == "documents.booked" and kinds else ""
        count = counts[key]
        said = what.replace("_", " ")
        text = f"{WOULD[what]} {count}" if dry_run and what in WOULD else f"{count} {said}"
        groups.setdefault(group.replace("_", " "), []).append(text + detail)
    return groups


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: Collection[int] = ()) -> str:
    """Columns padded to their widest cell, a rule under the headers; "-" for an empty cell. The
    columns numbered in `right` (amounts) are aligned to the right."""
    body = [["-" if cell is None or cell == "" else str(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in body:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    lines = [line(headers), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in body]
    return "\n".join(lines)


def when(moment: datetime | None, now: datetime | None = None) -> str:
    """`2026-11-28 13:48 UTC (5 min ago)`: a moment a person can place."""
    if moment is None:
        return "-"
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if now is None:
        return text
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return f"{text} (in {_span(-seconds)})"
    return f"{text} ({_span(seconds)} ago)"


def _span(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def in_place(text: str, columns: int | None = None) -> str:
    """`text` as one terminal line rewritten in place: back to the line's start, cut to the terminal's
    width (so it never wraps, which would break the rewrite) and the rest of the old line erased."""
    width = (columns or shutil.get_terminal_size((80, 24)).columns) - 1
    shown = text if len(text) <= width else text[: max(width - 1, 0)] + "…"
    return f"\r{shown}\x1b[K"
