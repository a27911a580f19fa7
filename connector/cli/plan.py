"""`connector run` once, as a person or a script sees it: the plan, payloads, call estimate, JSON.

A dry run (the plan) prints per document what a run would do, then, with `--show-payload`, each
entry it would book, and the API calls the real run would need against the budget the target has
left today (known from the last answer's rate-limit headers; "unknown" before any). `--json` prints
the run report (with the plan, for a dry run) as one JSON document instead. On a terminal a progress
line shows how far the documents are, and what the run waits for when a service's budget is spent
(`waits.py`); in a pipe, a file or CI only a line per longer wait.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from connector import rules as rules_module
from connector.cli.waits import tell_waits, wait_teller
from connector.contract.codec import to_jsonable
from connector.contract.errors import AuthorizationNeeded
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.contract.services import Service
from connector.engine.run import Run
from connector.engine.runner import exit_code, flows_for, run_once
from connector.reporting.render import in_place, render_report
from connector.transport.http import ApiClient, Budget, RateGovernor

PACE_WINDOW = 60.0  # seconds of progress the time left is judged on: one rate-limit minute


@dataclass(frozen=True)
class Estimate:
    """The calls a real run would make, per side, the day's budget left where it is known, and the
    calls a minute each side allows (the lower of the plugin's documented limit and the announced)."""

    reads: dict[str, int]
    writes: dict[str, int]
    budgets: dict[str, Budget | None]
    per_minute: dict[str, int | None] = field(default_factory=dict)

    def needed(self, side: str) -> int:
        return self.reads.get(side, 0) + self.writes.get(side, 0)

    def minutes(self, side: str) -> int | None:
        """Whole minutes a real run waits for `side`'s minute limit: the first minute's calls go at
        once, each further minute's after it (a sliding window of 60 s; where the service counts
        clock minutes the first wait is shorter, by up to a minute)."""
        limit = self.per_minute.get(side)
        if not limit:
            return None
        return max(-(-self.needed(side) // limit) - 1, 0)

    def days_short(self, side: str) -> int:
        """Days beyond today a real run needs, when today's budget is too small."""
        budget = self.budgets.get(side)
        short = self.needed(side) - budget.remaining if budget else 0
        return -(-short // budget.limit) if budget and short > 0 and budget.limit else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            side: {
                "reads": self.reads.get(side, 0),
                "writes": self.writes.get(side, 0),
                "needed": self.needed(side),
                "left_today": budget.remaining if budget else None,
                "daily_limit": budget.limit if budget else None,
                "resets_at": budget.resets_at.isoformat() if budget else None,
                "per_minute": self.per_minute.get(side),
                "minutes_at_limit": self.minutes(side),
            }
            for side, budget in self.budgets.items()
        }


def governor(service: Service) -> RateGovernor | None:
    """The rate governor of a service's API client, if it has one."""
    for value in vars(service).values():
        if isinstance(value, ApiClient):
            return value.governor
    return None


def day_budget(service: Service) -> Budget | None:
    """The daily budget a service's last answer announced, if it has one and announced it."""
    found = governor(service)
    return found.day if found else None


def minute_limit(service: Service) -> int | None:
    """Calls a minute the run may make: the plugin's documented limit, or less if announced."""
    found = governor(service)
    if found is None:
        return None
    announced = found.minute.limit if found.minute else found.per_minute
    return min(found.per_minute, announced)


def estimate(report: RunReport, run: Run) -> Estimate:
    """One write per entry to book and per customer to create or update in the sink, one per
    payment to register in the source, and what attaching files costs (`sync.attachments`: the
    sink's calls per document, the source's downloads); the other reads are the ones this dry run
    made, which a real run makes too."""
    counts = report.counts
    sink_writes = sum(
        counts.get(key, 0) for key in ("documents.booked", "customers.created", "customers.updated")
    )
    source_writes = counts.get("payments.registered", 0)
    reads = {side: n + run.planned_reads.get(side, 0) for side, n in report.calls.items()}
    writes = {"source": source_writes, "sink": sink_writes}
    writes = {side: n + run.planned_writes.get(side, 0) for side, n in writes.items()}
    return Estimate(
        reads=reads,
        writes=writes,
        budgets={"source": day_budget(run.source), "sink": day_budget(run.sink)},
        per_minute={"source": minute_limit(run.source), "sink": minute_limit(run.sink)},
    )


def render_estimate(found: Estimate) -> list[str]:
    lines = []
    for side, budget in found.budgets.items():
        need = found.needed(side)
        reads, writes = found.reads.get(side, 0), found.writes.get(side, 0)
        text = f"  {side}: a real run needs about {need} API calls ({reads} reads, {writes} writes)"
        if budget is None:
            text += "; budget left today: unknown (the service announced no daily limit)"
        else:
            text += f"; budget left today: {budget.remaining} of {budget.limit}"
            if need > budget.remaining:
                text += (
                    f" - NOT ENOUGH: the run would pause and go on after the reset at "
                    f"{budget.resets_at:%Y-%m-%d %H:%M} UTC"
                )
        lines.append(text)
    lines.append(_duration(found))
    return lines


def _duration(found: Estimate) -> str:
    """`a real run takes at least 2 min: sink 143 calls at 60 a minute`: the slower side decides."""
    slowest = max(found.budgets, key=lambda side: found.minutes(side) or 0)
    minutes, limit = found.minutes(slowest), found.per_minute.get(slowest)
    if minutes is None or limit is None:
        return "  duration: unknown (no side announced a minute limit)"
    took = "under a minute" if minutes == 0 else f"at least {minutes} min"
    days = max(found.days_short(side) for side in found.budgets)
    if days:  # the daily budget decides: the run pauses at it and goes on after each reset
        took = f"{days + 1} days (it pauses when a day's budget is spent and goes on after the reset)"
    return (
        f"  a real run takes {took}: {slowest} {found.needed(slowest)} calls at {limit} a minute "
        "(the calls' own time comes on top)"
    )


def terminal_progress(
    stream: TextIO, clock: Callable[[], float] = time.monotonic
) -> Callable[[str, int, int], None]:
    """A one-line progress display on `stream` (a terminal), rewritten in place. Once a minute has
    passed it adds the time left at the last minute's pace (`about 1 min 40 s left`): services limit
    calls per minute, so a run goes in bursts, and only a whole minute shows its real pace."""
    samples: dict[str, deque[tuple[float, int]]] = {}

    def show(flow: str, done: int, total: int) -> None:
        if total <= 1:
            return
        if done >= total:
            stream.write(in_place("") + "\r")
            stream.flush()
            return
        now = clock()
        seen = samples.setdefault(flow, deque())
        seen.append((now, done))
        base = None
        while len(seen) > 1 and now - seen[1][0] >= PACE_WINDOW:
            seen.popleft()  # keep the newest sample that is at least a window old
        if now - seen[0][0] >= PACE_WINDOW:
            base = seen[0]
        width = 30
        filled = width * done // total
        line = f"{flow}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if base is not None and done > base[1]:
            line += f", about {_left((now - base[0]) / (done - base[1]) * (total - done))} left"
        stream.write(in_place(line))
        stream.flush()

    return show


def _left(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def run_command(
    rules_path: Path,
    *,
    dry_run: bool,
    since: date | None,
    only: str | None,
    state_dir: Path | None,
    show_payload: bool,
    retry_failed: bool = False,
    as_json: bool,
    echo: Callable[[str], None],
    progress_stream: TextIO | None,
) -> int:
    """`connector run` without --watch: load, run once, print; the exit code says how it went."""
    plugins = Plugins.load()
    rules = rules_module.load(rules_path, plugins=plugins)
    seen: list[Run] = []

    def watch(run: Run) -> None:
        seen.append(run)
        if progress_stream is None:
            return
        terminal = not as_json and progress_stream.isatty()
        if terminal:
            run.progress = terminal_progress(progress_stream)
        tell = wait_teller(progress_stream, terminal=terminal, clock=lambda: datetime.now(UTC))
        tell_waits([run.source, run.sink], tell)

    try:
        report, plan = run_once(
            rules,
            plugins,
            flows=flows_for(rules, only),
            dry_run=dry_run,
            since=since,
            retry_failed=retry_failed,
            state_dir=state_dir,
            on_run=watch,
        )
    except AuthorizationNeeded as error:  # name the user's own rule file in the hint
        raise AuthorizationNeeded(error.message, rules=str(rules_path), side=error.side) from error
    run = seen[0]
    found = estimate(report, run) if dry_run else None
    if as_json:
        data = report.to_dict()
        if dry_run:
            data["plan"] = plan
            data["estimate"] = found.to_dict() if found else None
        if show_payload:
            data["entries"] = [to_jsonable(entry) for entry in run.planned]
        echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return exit_code(report)
    if dry_run:  # a real run's problems are in its report; repeating them as plan lines is noise
        for line in plan:
            echo(line)
    if show_payload:
        for entry in run.planned:
            echo(f"entry for {entry.document_key} ({entry.your_ref}):")
            echo(json.dumps(to_jsonable(entry), indent=2, ensure_ascii=False))
    echo(render_report(report))
    if found is not None:
        for line in render_estimate(found):
            echo(line)
    return exit_code(report)
