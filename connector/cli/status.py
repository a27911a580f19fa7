"""`connector status` and `connector history`: what the state database knows about a client, read.

Status gathers the ledger counts, cursors, the failures waiting for a fix, the runs, each flow's next
run (from its trigger and last run, while watch mode holds the client's lock), each side's day budget
(the last run's, or read now), and each token's last refresh, whether it still works (one cheap call
per side, skipped with `--offline` and while anyone holds the client's lock, since a token check may
have to rotate a single-use refresh token) and when it lapses. `status_text` renders it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.contract.codec import from_jsonable
from connector.contract.errors import ClientBusy, ConnectorError, NotFound
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.contract.services import DayBudget
from connector.engine.runner import build_services
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.ledger import LedgerEntry
from connector.state.lock import ClientLock, current_holder
from connector.state.store import RunRow, StateStore
from connector.watch.worker import RECONCILE, next_time, triggered_flows

SIDES = ("source", "sink")


@dataclass
class TokenState:
    side: str
    stored: bool
    refreshed_at: datetime | None = None
    expires_at: datetime | None = None
    works: bool | None = None  # None: not checked
    detail: str = ""  # who we are connected as, why it fails, or why it was not checked
    lapses_after: timedelta | None = None  # a refresh token's life unused, where the service says

    @property
    def lapses_at(self) -> datetime | None:
        """When the stored tokens stop working if no run uses them (None: until revoked)."""
        if self.lapses_after is None or self.refreshed_at is None:
            return None
        return self.refreshed_at + self.lapses_after

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "stored": self.stored,
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "access_token_expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refresh_token_lapses_at": self.lapses_at.isoformat() if self.lapses_at else None,
            "works": self.works,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Scheduled:
    """A flow with a trigger: when it last ran and when watch mode runs it next."""

    flow: str
    trigger: str
    last_started: datetime | None
    next_at: datetime | None  # None: at once when watch mode starts (it never ran)


@dataclass
class Status:
    client: str
    file: str
    counts: dict[str, int]
    cursors: dict[str, str]
    tokens: list[TokenState]
    waiting: list[LedgerEntry]
    last_run: RunRow | None
    parked: dict[str, int] = field(default_factory=dict)  # to book, read and kept or only listed
    attachments: dict[str, int] = field(default_factory=dict)  # queued, attached, failed
    schedule: list[Scheduled] = field(default_factory=list)
    watcher: dict[str, str] | None = None  # the lock holder's details while watch mode serves the client
    busy: dict[str, str] | None = None  # the holder while a run (or watch mode) has the client's lock
    budgets: dict[str, DayBudget] = field(default_factory=dict)
    budgets_live: bool = False  # read now (the token check's answer) rather than kept from the last run
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "file": self.file,
            "ledger": self.counts,
            "cursors": {name: cursor_value(text) for name, text in self.cursors.items()},
            "tokens": [token.to_dict() for token in self.tokens],
            "waiting": [entry_dict(entry) for entry in self.waiting],
            "to_book": self.parked,
            "attachments": self.attachments,
            "last_run": run_dict(self.last_run) if self.last_run else None,
            "schedule": [
                {
                    "flow": item.flow,
                    "trigger": item.trigger,
                    "last_started": item.last_started.isoformat() if item.last_started else None,
                    "next_at": item.next_at.isoformat() if item.next_at else None,
                }
                for item in self.schedule
            ],
            "watch_mode": self.watcher,
            "lock_holder": self.busy,
            "budgets": {side: budget.to_dict() for side, budget in self.budgets.items()},
            "budgets_live": self.budgets_live,
        }


def cursor_value(text: str) -> Any:
    """A cursor as the JSON object it holds, not JSON text inside JSON; a plain value stays text
    (a 64-bit timestamp would lose digits as a JSON number in many readers)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict | list) else text


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
    lifetimes = _token_lifetimes(rules, plugins)
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
                    lapses_after=lifetimes.get(side),
                )
            )
        runs = state.runs(200)
        status = Status(
            client=rules.client,
            file=str(rules.path or rules.client),
            counts=state.ledger_counts(),
            cursors=state.cursors(),
            tokens=tokens,
            waiting=state.ledger_waiting(),
            parked=state.parked_count(),
            attachments=state.attachment_counts(),
            last_run=runs[0] if runs else None,
            busy=current_holder(directory, rules.client),
        )
        if status.busy is not None and status.busy.get("purpose") == "watch mode":
            status.watcher = status.busy
        status.schedule = schedule(rules, runs, status.now)
        status.budgets = _kept_budgets(runs)
        if status.busy is not None and not offline:
            holder = status.busy.get("purpose") or "a run"
            for token in tokens:
                if token.stored:  # a check may rotate a single-use refresh token the holder uses
                    token.detail = f"not checked while {holder} has the client"
        elif not offline and any(token.stored for token in tokens):
            live = check_tokens(rules, plugins, directory, state, tokens)
            if live:
                status.budgets.update(live)
                status.budgets_live = True
        return status


def _token_lifetimes(rules: Rules, plugins: Plugins) -> dict[str, timedelta | None]:
    source = plugins.sources().get(rules.source.plugin)
    sink = plugins.sinks().get(rules.sink.plugin)
    return {
        "source": source.refresh_token_unused_for if source else None,
        "sink": sink.refresh_token_unused_for if sink else None,
    }


def _kept_budgets(runs: list[RunRow]) -> dict[str, DayBudget]:
    """Each side's day budget as the last run that saw it left it."""
    found: dict[str, DayBudget] = {}
    for run in runs:
        for side, data in (run.report.get("budgets") or {}).items():
            if side not in found:
                found[side] = DayBudget(
                    int(data["limit"]), int(data["remaining"]), datetime.fromisoformat(data["resets_at"])
                )
    return found


def schedule(rules: Rules, runs: list[RunRow], now: datetime) -> list[Scheduled]:
    """Each triggered flow's next run in watch mode: its rule from the flow's last run (watch mode
    runs a flow that never ran, or is overdue, at once; a missed slot is not caught up)."""
    found = []
    for flow, trigger in triggered_flows(rules, None).items():
        last = next((run.started_at for run in runs if flow in run.flows), None)
        due = next_time(trigger, last) if last is not None else None
        if flow == RECONCILE:  # not a run: it keeps no history, and waits for its trigger
            due = next_time(trigger, now)
        if due is not None and due < now:
            due = next_time(trigger, now) if trigger.every is None else now
        found.append(Scheduled(flow, trigger.text, last, due))
    return found


def check_tokens(
    rules: Rules, plugins: Plugins, directory: Path, state: StateStore, tokens: list[TokenState]
) -> dict[str, DayBudget]:
    """One cheap call per authorized side, under the client's lock; reloads what a refresh changed.
    Returns each side's day budget as that call's answer announced it."""
    budgets: dict[str, DayBudget] = {}
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
                    if service.context.day_budget is not None:
                        budgets[token.side] = service.context.day_budget
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
    return budgets


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
