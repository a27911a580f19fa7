"""What `connector check` says of the target's financial periods.

- dates from `sync.start_date` to a month from now that no financial year of the target holds: a
  document dated then is refused, whatever `closed_period` says (a warning at `sync.start_date`);
- documents the ledger holds as failed on a closed period (a warning at `closed_period`): the
  target tells a closed period only by refusing an entry, so these are what earlier runs learned.

One read of the target's period-date table, when the sink has one.
"""

from __future__ import annotations

from datetime import date, timedelta

from connector.contract.errors import ApiError
from connector.contract.records import FinancialPeriod
from connector.contract.services import Sink
from connector.engine.flows.closed_periods import CLOSED, NO_YEAR
from connector.rules.model import Rules
from connector.state.store import StateStore

AHEAD = timedelta(days=31)


Note = tuple[str, str, str, str | None]  # severity, the rule file's key, message, suggestion


def period_notes(rules: Rules, sink: Sink, state: StateStore, today: date) -> list[Note]:
    findings: list[Note] = []
    try:
        table = sink.financial_periods()
    except NotImplementedError:
        table = None
    except ApiError as error:
        message = f"could not read the target's financial periods: {error.message}"
        findings.append(("warning", "sync.start_date", message, None))
        table = None
    if table is not None:
        for start, end in uncovered(table, rules.sync.start_date, today + AHEAD):
            message = (
                f"{sink.title or 'the target'} has no financial year for {start.isoformat()} to "
                f"{end.isoformat()}: documents dated then are refused"
            )
            hint = "add the year to the target's period-date table before documents of it are synced"
            findings.append(("warning", "sync.start_date", message, hint))
    waiting = [e for e in state.ledger_waiting() if (e.last_error or "").startswith((CLOSED, NO_YEAR))]
    if waiting:
        numbers = ", ".join(str(entry.number or entry.source_key) for entry in waiting[:5])
        more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        message = (
            f"{len(waiting)} document{'s' * (len(waiting) != 1)} failed on a closed period or a missing "
            f"financial year: {numbers}{more}"
        )
        hint = (
            "reopen the period (or add the year) and run `connector run --retry-failed`, or set "
            "closed_period: next_open"
        )
        findings.append(("warning", "closed_period", message, hint))
    return findings


def uncovered(table: list[FinancialPeriod], first: date, last: date) -> list[tuple[date, date]]:
    """The stretches of `first`..`last` that no period of `table` holds."""
    gaps: list[tuple[date, date]] = []
    day = first
    for period in sorted(table, key=lambda p: p.start):
        if period.end < day:
            continue
        if period.start > last:
            break
        if period.start > day:
            gaps.append((day, min(period.start - timedelta(days=1), last)))
        day = max(day, period.end + timedelta(days=1))
        if day > last:
            return gaps
    if day <= last:
        gaps.append((day, last))
    return gaps
