"""The period-date table: financial years of twelve monthly periods, some of them closed.

`financial/FinancialPeriods` lists `FinYear`, `FinPeriod`, `StartDate`, `EndDate` (picqer
`FinancialPeriod.php`, after Exact's FinancialFinancialPeriods reference). Nothing in it says whether
a period is closed: a bookkeeper closes periods in Exact's screens, and the API tells it only by
refusing an entry dated in one. The refusals, as integrations report them:

- a closed period: "Periode is afgesloten" / "Period is closed" (spend.cloud's support article on
  Exact Online export errors: "The invoice falls within a period that has been closed");
- a date in no financial year: "Unknown: Financial year (Period-date table)" (Streamtime's support
  article; Simplicate's writes "Unknown: Fiscal year (Period - date table)"). Its Dutch wording was
  not found, so the sandbox answers this one in English, as those articles quote it.

The sandbox seeds calendar years around its clock's year at first use; tests close periods through
`close_through` and remove years with `remove_year` (also `POST /_sandbox/periods`).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from .odata import new_guid
from .store import Division, Row, Store

TABLE = "financial_periods"
YEARS_BEFORE, YEARS_AFTER = 10, 2  # around the clock's year when the table is first used
CLOSED = "Periode is afgesloten"
NO_YEAR = "Unknown: Financial year (Period-date table)"


def periods(store: Store, division: Division) -> list[Row]:
    """The division's periods, oldest first; seeded with calendar years at first use."""
    if TABLE not in division.tables:
        year = store.now().year
        for fin_year in range(year - YEARS_BEFORE, year + YEARS_AFTER + 1):
            add_year(store, division, fin_year)
    return sorted(division.table(TABLE).values(), key=lambda row: row["StartDate"])


def add_year(store: Store, division: Division, fin_year: int) -> None:
    """Twelve monthly periods of a calendar year, open."""
    for month in range(1, 13):
        last = calendar.monthrange(fin_year, month)[1]
        row: Row = {
            "ID": new_guid(),
            "Division": division.code,
            "FinYear": fin_year,
            "FinPeriod": month,
            "StartDate": datetime(fin_year, month, 1),
            "EndDate": datetime(fin_year, month, last),
            "Created": store.now(),
            "Modified": store.now(),
            "_closed": False,
        }
        store.insert(division, TABLE, row)


def period_of(store: Store, division: Division, day: date) -> Row | None:
    for row in periods(store, division):
        if row["StartDate"].date() <= day <= row["EndDate"].date():
            return row
    return None


def refusal(store: Store, division: Division, day: date) -> str | None:
    """Exact's message for an entry dated `day`, when it refuses one; None when the period is open."""
    row = period_of(store, division, day)
    if row is None:
        return NO_YEAR
    return CLOSED if row["_closed"] else None


def close_through(store: Store, division: Division, day: date) -> int:
    """Close every period that ends on or before `day` (the year-end close, say); how many."""
    closed = 0
    for row in periods(store, division):
        if row["EndDate"].date() <= day and not row["_closed"]:
            row["_closed"] = True
            closed += 1
    return closed


def reopen(store: Store, division: Division) -> None:
    for row in periods(store, division):
        row["_closed"] = False


def remove_year(store: Store, division: Division, fin_year: int) -> int:
    removed = [row for row in periods(store, division) if row["FinYear"] == fin_year]
    for row in removed:
        store.delete(division, TABLE, row["ID"])
    return len(removed)


def admin(store: Store, division: Division, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /_sandbox/periods` {"close_through": "2026-03-31"} | {"reopen": true} |
    {"remove_year": 2027} | {"add_year": 2030}."""
    if body.get("close_through"):
        return {"closed": close_through(store, division, date.fromisoformat(str(body["close_through"])))}
    if body.get("reopen"):
        reopen(store, division)
        return {"reopened": True}
    if body.get("remove_year") is not None:
        return {"removed": remove_year(store, division, int(body["remove_year"]))}
    if body.get("add_year") is not None:
        add_year(store, division, int(body["add_year"]))
        return {"added": 12}
    raise ValueError("say close_through, reopen, remove_year or add_year")
