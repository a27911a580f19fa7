"""Financial periods: the sandbox's period-date table and its refusals, and how the sink reads them."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from connector.contract.errors import ApiError
from connector.contract.records import JournalEntry
from connector_exact import periods
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import error_text, results, sales_entry


def test_the_period_table_lists_twelve_months_a_year_and_no_closed_flag(api: httpx.Client) -> None:
    rows = results(api.get("financial/FinancialPeriods", params={"$filter": "FinYear eq 2026"}))
    assert sorted(row["FinPeriod"] for row in rows) == list(range(1, 13))
    assert not [key for key in rows[0] if "close" in key.lower()], "Exact's API does not say it"


def test_an_entry_in_a_closed_period_or_a_missing_year_is_refused_with_exacts_words(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    sandbox.periods({"close_through": "2026-01-31"})
    closed = api.post("salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-01-17"))
    assert closed.status_code == 500 and error_text(closed) == "Periode is afgesloten"
    assert (
        api.post("salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-02-01")).status_code == 201
    )

    sandbox.periods({"remove_year": 2026})
    missing = api.post("salesentry/SalesEntries", json=sales_entry(api, EntryDate="2026-03-01"))
    assert error_text(missing) == "Unknown: Financial year (Period-date table)"


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("Periode is afgesloten", "closed"),
        ("GLTransaction Period is closed", "closed"),  # spend.cloud's English
        ("Unknown: Financial year (Period-date table)", "no_year"),  # Streamtime
        ("Unknown: Fiscal year (Period - date table).", "no_year"),  # Simplicate
        ("Ongeldige referentie: Dagboek", None),
    ],
)
def test_the_sink_tells_a_refusal_for_the_date_from_other_refusals(message: str, said: str | None) -> None:
    entry = JournalEntry(
        "invoice:1", "invoice", "70", "2026 / 1", "c", date(2026, 1, 17), "", "EUR", "30", ()
    )
    refused = periods.refusal(ApiError(message, status=500), entry)
    assert (None if refused is None else ("no_year" if refused.missing_year else "closed")) == said
    if refused is not None:
        assert refused.day == date(2026, 1, 17) and "2026-01-17" in refused.message
