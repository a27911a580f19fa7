"""`connector reconcile`'s period as a consultant gives it: a month, two dates, or by default last
month; and a period before the rule file's start date."""

from __future__ import annotations

from datetime import date, datetime

import click
import pytest

from connector.cli.reconcile import period_of
from connector.contract.errors import ConfigurationError
from connector.engine.reconcile_run import period_for
from connector.rules.model import SyncRules
from connector.testing.rules import make_rules

TODAY = date(2027, 3, 2)


def test_a_month_runs_from_its_first_to_its_last_day() -> None:
    assert period_of("2028-02", None, None, TODAY) == (date(2028, 2, 1), date(2028, 2, 29))


def test_without_a_period_it_is_last_month_as_on_the_2nd_of_the_next() -> None:
    assert period_of(None, None, None, TODAY) == (date(2027, 2, 1), date(2027, 2, 28))
    assert period_of(None, None, None, date(2027, 1, 2)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_from_and_to_go_together_and_not_with_a_period() -> None:
    start, end = datetime(2027, 1, 5), datetime(2027, 2, 5)
    assert period_of(None, start, end, TODAY) == (date(2027, 1, 5), date(2027, 2, 5))
    with pytest.raises(click.UsageError, match="--from and --to go together"):
        period_of(None, start, None, TODAY)
    with pytest.raises(click.UsageError, match="not both"):
        period_of("2027-01", start, end, TODAY)


def test_a_month_that_is_not_one_says_how_to_write_it() -> None:
    with pytest.raises(click.BadParameter, match=r"give YYYY-MM, e\.g\. 2027-03"):
        period_of("March", None, None, TODAY)


def test_a_period_starts_at_the_start_date_at_the_earliest_and_ends_after_it_starts() -> None:
    rules = make_rules(sync=SyncRules(start_date=date(2027, 1, 15)))

    moved = period_for(rules, date(2027, 1, 1), date(2027, 1, 31))

    assert (moved.start, moved.moved) == (date(2027, 1, 15), True)
    assert not period_for(rules, date(2027, 2, 1), date(2027, 2, 28)).moved
    with pytest.raises(ConfigurationError, match="before the rule file's start date"):
        period_for(rules, date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(ConfigurationError, match="ends"):
        period_for(rules, date(2027, 2, 2), date(2027, 2, 1))
