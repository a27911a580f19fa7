"""Documents dated in a period the target has closed, or in a financial year it lacks.

The target says so by refusing the entry (`PeriodClosed`); it often cannot be asked beforehand
(a target's period-date table need not say which periods are closed). The rule file's `closed_period` decides:

- `fail` (the default): the document fails with the target's reason, naming the period. It waits,
  costing nothing, until the rules change or `connector run --retry-failed` (reopen the period
  first).
- `next_open`: the entry is booked on the first day of the first period after its own that the
  target accepts; the document's own date is kept in the description, and the report says so. A
  date in no financial year is never moved: the year is missing, not closed.

What a refusal taught is kept for the run: the next document dated in the same period costs no
call. That matters beyond the call: every refusal counts against the target's error budget (some
targets block an endpoint for an hour after ten errors in one).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from connector.contract.errors import ApiError, PeriodClosed
from connector.contract.records import FinancialPeriod, JournalEntry
from connector.engine.run import Run

MAX_MOVES = 24  # periods tried forward for one document before giving up


CLOSED = "closed period: "  # how the ledger's failures start, for `connector check` to find them
NO_YEAR = "no financial year: "


def told(refused: PeriodClosed) -> PeriodClosed:
    """The refusal as the ledger keeps it: its message starts with `CLOSED` or `NO_YEAR`."""
    prefix = NO_YEAR if refused.missing_year else CLOSED
    if refused.message.startswith(prefix):
        return refused
    return PeriodClosed(
        prefix + refused.message, day=refused.day, missing_year=refused.missing_year, hint=refused.hint
    )


class ClosedPeriods:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.refused: list[tuple[FinancialPeriod | None, date, PeriodClosed]] = []
        self._table: list[FinancialPeriod] | None = None

    def book(self, entry: JournalEntry) -> tuple[str, JournalEntry]:
        """Book `entry`, moved forward when its period is closed and the rules allow; the target's
        id and the entry as booked. Raises `PeriodClosed` when it cannot be booked for its date."""
        original = entry
        for _ in range(MAX_MOVES):
            refused = self.known(entry.date)
            if refused is None:
                try:
                    return self.run.sink.book(entry), entry
                except PeriodClosed as error:
                    self.learn(error)
                    refused = error
            if self.run.rules.closed_period != "next_open" or refused.missing_year:
                raise told(refused)
            moved = self.moved(entry, original)
            if moved is None:
                target = self.run.sink.title or "the target"
                raise PeriodClosed(
                    f"{CLOSED}{refused.message}; no open period after it in {target}",
                    day=original.date,
                    hint="add or reopen a period in the target, then run `connector run --retry-failed`",
                )
            entry = moved
        raise PeriodClosed(
            f"{CLOSED}no open period in the {MAX_MOVES} after {original.date.isoformat()}",
            day=original.date,
            hint="reopen a period in the target, then run `connector run --retry-failed`",
        )

    def table(self) -> list[FinancialPeriod]:
        if self._table is None:
            try:
                self._table = self.run.sink.financial_periods()
            except (NotImplementedError, ApiError):  # then a refusal is known for its own day only
                self._table = []
        return self._table

    def period_of(self, day: date) -> FinancialPeriod | None:
        return next((period for period in self.table() if period.holds(day)), None)

    def learn(self, refused: PeriodClosed) -> None:
        self.refused.append((self.period_of(refused.day), refused.day, refused))

    def known(self, day: date) -> PeriodClosed | None:
        """What this run learned of `day`'s period: the refusal to repeat without a call, or None."""
        for period, refused_day, refused in self.refused:
            if refused_day == day:
                return refused
            if period is not None and period.holds(day):
                target = self.run.sink.title or "the target"
                return PeriodClosed(
                    f"the period {period} is closed in {target} (it refused an entry dated "
                    f"{refused_day.isoformat()} this run)",
                    day=day,
                    missing_year=refused.missing_year,
                    hint=refused.hint,
                )
        return None

    def moved(self, entry: JournalEntry, original: JournalEntry) -> JournalEntry | None:
        """`entry` on the first day of the period after its own, its own date in the description."""
        period = self.period_of(entry.date)
        later = [p for p in self.table() if p.start > (period.end if period else entry.date)]
        if not later:
            return None
        dated = f"(dated {original.date.isoformat()})"
        description = (
            original.description if dated in original.description else f"{original.description} {dated}"
        )
        return dataclasses.replace(entry, date=later[0].start, description=description.strip())
