"""Which stretches of the sync's dates no financial period of the target holds (`connector check`)."""

from __future__ import annotations

from datetime import date

from connector.cli.check_periods import uncovered
from connector.contract.records import FinancialPeriod


def months(year: int, *numbers: int) -> list[FinancialPeriod]:
    ends = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}
    return [FinancialPeriod(year, n, date(year, n, 1), date(year, n, ends.get(n, 31))) for n in numbers]


def test_a_whole_table_leaves_nothing_uncovered() -> None:
    assert uncovered(months(2026, *range(1, 13)), date(2026, 3, 15), date(2026, 12, 31)) == []


def test_a_missing_year_and_a_missing_month_are_reported_as_stretches() -> None:
    table = months(2026, *[n for n in range(1, 13) if n != 5])
    assert uncovered(table, date(2026, 1, 1), date(2027, 1, 20)) == [
        (date(2026, 5, 1), date(2026, 5, 31)),
        (date(2027, 1, 1), date(2027, 1, 20)),
    ]


def test_dates_before_the_first_period_are_uncovered() -> None:
    assert uncovered(months(2026, 1, 2), date(2025, 12, 20), date(2026, 2, 10)) == [
        (date(2025, 12, 20), date(2025, 12, 31))
    ]
