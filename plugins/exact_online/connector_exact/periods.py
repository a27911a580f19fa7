"""Exact's financial periods: the period-date table, and the refusal of an entry for its date.

The REST API lists the periods (`financial/FinancialPeriods`: FinYear, FinPeriod, StartDate, EndDate;
picqer `FinancialPeriod.php`) but no field says which are closed: Exact tells it only by refusing an
entry dated in one. The messages, as integrations report them (see the sandbox's `periods` for the
sources): "Periode is afgesloten" / "Period is closed", and "Unknown: Financial year (Period-date
table)" for a date in no financial year. They are matched in both languages.
"""

from __future__ import annotations

from connector.contract.errors import ApiError, PeriodClosed
from connector.contract.records import FinancialPeriod, JournalEntry

from . import translate
from .client import ExactClient

CLOSED_PERIOD = ("periode is afgesloten", "period is closed")
NO_FINANCIAL_YEAR = ("period-date table", "period - date table", "periode-datumtabel", "periode - datumtabel")


def said(message: str) -> str | None:
    """`closed`, `no_year` or None: what an error message of Exact's says of the entry's date."""
    text = message.casefold()
    if any(words in text for words in NO_FINANCIAL_YEAR):
        return "no_year"
    if any(words in text for words in CLOSED_PERIOD):
        return "closed"
    return None


def refusal(error: ApiError, entry: JournalEntry) -> PeriodClosed | None:
    """The refusal of `entry` for its date, as the core knows it; None for any other error."""
    reason = said(error.message)
    if reason is None:
        return None
    day = entry.date.isoformat()
    if reason == "no_year":
        return PeriodClosed(
            f"Exact Online has no financial year for {day} in its period-date table",
            day=entry.date,
            missing_year=True,
            hint=f"add the financial year of {day} to Exact's period-date table, then run "
            "`connector run --retry-failed`",
        )
    return PeriodClosed(
        f"Exact Online refuses entries dated {day}: their period is closed",
        day=entry.date,
        hint="reopen the period in Exact and run `connector run --retry-failed`, or set "
        "closed_period: next_open in the rule file to book it in the first open period",
    )


def read(client: ExactClient) -> list[FinancialPeriod]:
    """The period-date table, oldest first."""
    rows = client.rows("financial/FinancialPeriods", {"$select": "FinYear,FinPeriod,StartDate,EndDate"})
    found = []
    for row in rows:
        start, end = translate.parse_day(row.get("StartDate")), translate.parse_day(row.get("EndDate"))
        if start is not None and end is not None:
            found.append(FinancialPeriod(int(row["FinYear"]), int(row["FinPeriod"]), start, end))
    return sorted(found, key=lambda period: period.start)
