"""`connector status` and `connector history` as a consultant reads them; `--json` has the raw state.

Status answers what someone living with a client asks: how did the last run go, what is in the
books, what waits for a fix, when is the next run, how much of today's API budget is left, and until
when the authorization holds. Internals (cursors, ledger statuses) are in `--json` only.
"""

from __future__ import annotations

from datetime import datetime

from connector.cli.status import Status, TokenState, saved_report
from connector.contract.services import DayBudget
from connector.reporting.render import counted, render_report, status_words, table, when
from connector.state.store import RunRow
from connector.watch.worker import RECONCILE

LABEL = 12  # width of the labels in the status overview


def render_status(status: Status) -> str:
    now = status.now
    lines = [f"{status.client} (rules: {status.file})", ""]

    def field(label: str, *values: str) -> None:
        first, *rest = values or ("",)
        lines.append(f"{label:<{LABEL}}{first}")
        lines.extend(" " * LABEL + value for value in rest)

    field("last run", *_last_run(status.last_run, now))
    field("documents", _documents(status.counts))
    if any(status.attachments.values()):
        files = status.attachments
        text = f"{files.get('attached', 0)} documents with their files on their entries"
        if files.get("queued"):
            text += f"; {files['queued']} wait for a later run"
        if files.get("failed"):
            text += f"; {files['failed']} failed, tried again by the next run"
        field("attachments", text)
    waiting = len(status.waiting)
    field("waiting", f"{waiting} for a fix (below)" if waiting else "nothing waits for a fix")
    to_book = sum(status.parked.values())
    if to_book:
        read, listed = status.parked.get("read", 0), status.parked.get("listed", 0)
        field(
            "to book",
            f"{to_book} left by a paused run ({read} read and kept, {listed} listed); the next run goes on",
        )
    field("next runs", *_next_runs(status, now))
    field("API budget", *_budgets(status, now))
    field("tokens", *(line for token in status.tokens for line in _token(token, now)))
    if status.waiting:
        lines += ["", "waiting for a fix:"]
        for entry in status.waiting:
            tries = f", {entry.attempts} attempts" if entry.attempts else ""
            number = f" {entry.number}" if entry.number else ""
            lines.append(f"  {entry.status} {entry.source_key}{number}{tries}: {entry.last_error}")
            if entry.hint:
                lines.append(f"      what to do: {entry.hint}")
    lines += ["", "`connector history RULES` lists the runs; `--json` shows the raw state"]
    return "\n".join(lines)


def _last_run(row: RunRow | None, now: datetime) -> list[str]:
    if row is None:
        return ["none yet: `connector run RULES --dry-run` shows what the first would do"]
    report = saved_report(row)
    took = f" in {_seconds(row)}" if row.finished_at else ""
    head = f"run {row.id} at {when(row.started_at, now)}, {' and '.join(row.flows)}: "
    head += f"{status_words(report)}{took}"
    said = [f"{group}: {', '.join(parts)}" for group, parts in counted(report.counts).items()]
    lines = [head, "; ".join(said) or "nothing to do"]
    if report.error:
        lines.append(f"stopped: {report.error}")
    return lines


def _seconds(row: RunRow) -> str:
    assert row.finished_at is not None
    took = (row.finished_at - row.started_at).total_seconds()
    return f"{took:.1f} s" if took < 120 else f"{took / 60:.0f} min"


def _documents(counts: dict[str, int]) -> str:
    booked, linked = counts.get("booked", 0), counts.get("linked", 0)
    text = f"{booked + linked} in the books"
    if linked:
        text += f" ({booked} booked by connector, {linked} found already there and linked)"
    text += f"; {counts.get('failed', 0)} failed, {counts.get('skipped', 0)} skipped"
    if counts.get("intent"):
        text += f"; {counts['intent']} interrupted mid-write (the next run finds out, never twice)"
    return text


def _next_runs(status: Status, now: datetime) -> list[str]:
    if not status.schedule:
        return ["manual only: the rule file has no triggers (`connector run RULES` runs it)"]
    if status.watcher is None:
        lines = ["watch mode is not running: `connector run RULES --watch` starts it, and each flow"]
        lines.append("then runs at once and on its trigger:")
        for item in status.schedule:
            last = f", last {when(item.last_started, now)}" if item.last_started else ", never ran"
            if item.flow == RECONCILE:  # not at once: only on its trigger, which says when
                last = f", next {when(item.next_at, now)}, not at start" if item.next_at else ""
            lines.append(f"  {item.flow} {item.trigger}{last}")
        return lines
    pid, host = status.watcher.get("pid", "?"), status.watcher.get("host", "?")
    lines = [f"watch mode is running (pid {pid} on {host}):"]
    for item in status.schedule:
        at = when(item.next_at, now) if item.next_at else "now"
        lines.append(f"  {item.flow} ({item.trigger}) {at}")
    return lines


def _budgets(status: Status, now: datetime) -> list[str]:
    lines = []
    for side in ("source", "sink"):
        budget = status.budgets.get(side)
        lines.append(f"{side}: " + (_budget(budget, now) if budget else "no daily limit announced"))
    if status.budgets and not status.budgets_live:
        lines.append("(as the last run left it; without --offline status reads it now)")
    return lines


def _budget(budget: DayBudget, now: datetime) -> str:
    if budget.resets_at <= now:
        return f"{budget.limit} calls a day, full again since {when(budget.resets_at)}"
    return f"{budget.remaining} of {budget.limit} calls left today, resets {when(budget.resets_at, now)}"


def _token(token: TokenState, now: datetime) -> list[str]:
    if not token.stored:
        return [f"{token.side}: {token.detail}"]
    works = {None: "not checked", True: "works", False: "REFUSED"}[token.works]
    detail = f", {token.detail}" if token.detail else ""
    if token.works is None and token.detail.startswith("not checked"):
        works, detail = token.detail, ""
    lapses = token.lapses_at
    life = (
        f"  valid until {when(lapses, now)} if no run uses it (each run renews it)"
        if lapses is not None
        else "  valid until revoked in the service"
    )
    return [f"{token.side}: {works}{detail}", life]


# ---------------------------------------------------------------- history


def render_history(rows: list[RunRow], detailed: bool = False) -> str:
    if not rows:
        return "no runs yet"
    if detailed:
        return "\n\n".join(
            f"run {row.id} at {when(row.started_at)}\n{render_report(saved_report(row))}" for row in rows
        )
    body = []
    for row in rows:
        report = saved_report(row)
        said = [f"{group}: {', '.join(parts)}" for group, parts in counted(report.counts).items()]
        body.append(
            (
                row.id,
                when(row.started_at),
                _seconds(row) if row.finished_at else "-",
                ", ".join(row.flows),
                status_words(report).split(":")[0],
                "; ".join(said) or "nothing to do",
            )
        )
    text = table(("run", "started", "took", "flows", "result", "what happened"), body)
    return text + "\n\n`connector history RULES --run N` shows one run's whole report"
