"""`connector status` and `connector history`: what the state database knows about a client.

Status is what a consultant looks at while living with a client: how many documents are booked,
linked, failed or skipped; where each flow's cursor stands; when each token was last refreshed and
whether it still works (one cheap call per side, skipped with `--offline`, and skipped while a run
holds the client's lock, since a token check may have to rotate a single-use refresh token); the
failures waiting for a fix; the last run. History lists the past runs and shows any one report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connector.contract.errors import ClientBusy, ConnectorError, NotFound
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.engine.runner import build_services
from connector.reporting.render import render_report, table, when
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.ledger import LedgerEntry
from connector.state.lock import ClientLock
from connector.state.refcache import from_jsonable
from connector.state.store import RunRow, StateStore

SIDES = ("source", "sink")


@dataclass
class TokenState:
    side: str
    stored: bool
    refreshed_at: datetime | None = None
    expires_at: datetime | None = None
    works: bool | None = None  # None: not checked
    detail: str = ""  # who we are connected as, why it fails, or why it was not checked

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "stored": self.stored,
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "access_token_expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "works": self.works,
            "detail": self.detail,
        }


@dataclass
class Status:
    client: str
    file: str
    counts: dict[str, int]
    cursors: dict[str, str]
    tokens: list[TokenState]
    waiting: list[LedgerEntry]
    last_run: RunRow | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "file": self.file,
            "ledger": self.counts,
            "cursors": self.cursors,
            "tokens": [token.to_dict() for token in self.tokens],
            "waiting": [entry_dict(entry) for entry in self.waiting],
            "last_run": run_dict(self.last_run) if self.last_run else None,
        }


def entry_dict(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "key": entry.source_key,
        "kind": entry.kind,
        "number": entry.number,
        "status": entry.status,
        "target_id": entry.target_id,
        "attempts": entry.attempts,
        "reason": entry.last_error,
        "hint": entry.hint,
        "first_seen": entry.first_seen.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "booked_at": entry.booked_at.isoformat() if entry.booked_at else None,
        "paid_at": entry.paid_at.isoformat() if entry.paid_at else None,
        "payment_amount": str(entry.payment_amount) if entry.payment_amount is not None else None,
    }


def run_dict(row: RunRow) -> dict[str, Any]:
    return {"id": row.id, **row.report}


def client_state(rules: Rules, state_dir: Path | None) -> tuple[Path, StateStore]:
    directory = state_dir_for(rules.path or Path("."), state_dir)
    return directory, StateStore.for_client(directory, rules.client)


def read_status(
    rules: Rules, plugins: Plugins, *, state_dir: Path | None = None, offline: bool = False
) -> Status:
    directory, state = client_state(rules, state_dir)
    with state:
        tokens = []
        for side in SIDES:
            stored = state.tokens_load(side)
            tokens.append(
                TokenState(
                    side,
                    stored is not None,
                    stored.refreshed_at if stored else None,
                    stored.expires_at if stored else None,
                    detail="" if stored else "never authorized: run `connector auth RULES " + side + "`",
                )
            )
        if not offline and any(token.stored for token in tokens):
            check_tokens(rules, plugins, directory, state, tokens)
        return Status(
            client=rules.client,
            file=str(rules.path or rules.client),
            counts=state.ledger_counts(),
            cursors=state.cursors(),
            tokens=tokens,
            waiting=state.ledger_waiting(),
            last_run=state.last_run(),
        )


def check_tokens(
    rules: Rules, plugins: Plugins, directory: Path, state: StateStore, tokens: list[TokenState]
) -> None:
    """One cheap call per authorized side, under the client's lock; reloads what a refresh changed."""
    try:
        with ClientLock(directory, rules.client):
            source, sink = build_services(rules, plugins, state)
            try:
                for token, service in zip(tokens, (source, sink), strict=True):
                    if not token.stored:
                        continue
                    try:
                        token.detail = f"connected as {service.check_authorization()}"
                        token.works = True
                    except ConnectorError as error:
                        token.works = False
                        token.detail = error.message + (f" ({error.hint})" if error.hint else "")
                    fresh = state.tokens_load(token.side)
                    if fresh is not None:
                        token.refreshed_at, token.expires_at = fresh.refreshed_at, fresh.expires_at
            finally:
                source.close()
                sink.close()
    except ClientBusy:
        for token in tokens:
            if token.stored:
                token.detail = "not checked: a run of this client is in progress"


def render_status(status: Status) -> str:
    now = status.now
    lines = [f"{status.client} ({status.file})", "", "ledger:"]
    lines.append("  " + ", ".join(f"{count} {name}" for name, count in status.counts.items()))
    lines += ["", "cursors:"]
    lines += [f"  {name}: {value}" for name, value in status.cursors.items()] or ["  none yet"]
    lines += ["", "tokens:"]
    rows = []
    for token in status.tokens:
        works = "-" if token.works is None else "yes" if token.works else "NO"
        rows.append((token.side, when(token.refreshed_at, now), works, token.detail))
    lines += ["  " + line for line in table(("side", "refreshed", "works", ""), rows).splitlines()]
    lines += ["", f"waiting for a fix: {len(status.waiting)}"]
    for entry in status.waiting:
        tries = f", {entry.attempts} attempts" if entry.attempts else ""
        lines.append(f"  {entry.status} {entry.source_key} {entry.number or ''}{tries}: {entry.last_error}")
        if entry.hint:
            lines.append(f"      what to do: {entry.hint}")
    lines += ["", "last run:"]
    if status.last_run is None:
        lines.append("  none yet")
    else:
        lines += ["  " + line for line in render_report(saved_report(status.last_run)).splitlines()]
        lines.append(f"  at {when(status.last_run.started_at, now)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- history


def saved_report(row: RunRow) -> RunReport:
    """A saved run's report as the object it was, to render it the way the run printed it."""
    report: RunReport = from_jsonable(RunReport, row.report)
    return report


def read_history(
    rules: Rules, *, state_dir: Path | None = None, limit: int = 20, run_id: int | None = None
) -> list[RunRow]:
    _, state = client_state(rules, state_dir)
    with state:
        if run_id is None:
            return state.runs(limit)
        one = state.run(run_id)
        found = [one] if one else []
    if not found:
        raise NotFound(f"{rules.client} has no run {run_id}", hint="`connector history RULES` lists them")
    return found


def render_history(rows: list[RunRow], detailed: bool = False) -> str:
    if not rows:
        return "no runs yet"
    if detailed:
        return "\n\n".join(
            f"run {row.id} at {when(row.started_at)}\n{render_report(saved_report(row))}" for row in rows
        )
    body = []
    for row in rows:
        counts = row.report.get("counts", {})
        took = (row.finished_at - row.started_at).total_seconds() if row.finished_at else None
        summary = ", ".join(f"{n} {key}" for key, n in sorted(counts.items())) or "nothing to do"
        body.append(
            (
                row.id,
                when(row.started_at),
                f"{took:.1f} s" if took is not None else "-",
                ",".join(row.flows),
                row.status,
                summary,
            )
        )
    text = table(("run", "started", "took", "flows", "status", "what happened"), body)
    return text + "\n\n`connector history RULES --run N` shows one run's whole report"
