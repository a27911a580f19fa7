"""A USD invoice in Exact's ledger at the right euro amount, whichever way Teamleader writes its rate.

Teamleader does not document which way `currency_exchange_rate.rate` runs (api notes, Evidence
2026-12), so its sandbox can write it either way (`rate_orientation`) and each test runs both. Exact
books `AmountDC = AmountFC × Rate` with Rate in euro per unit of the document's currency. Through the
real `connector run` and both sandboxes over loopback HTTP; what is checked is the entry Exact
stores, not the request that was sent.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import booked_entries, booked_entry, money, receivable_of
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
EUR_PER_USD = Decimal("0.92")
CENT = Decimal("0.01")
ORIENTATIONS = ["home_per_foreign", "foreign_per_home"]


def orient(teamleader: TeamleaderSandbox, orientation: str) -> None:
    """Through the sandbox's admin surface, as a test of a real client would."""
    answer = httpx.post(f"{teamleader.url}/_sandbox/settings", json={"rate_orientation": orientation})
    assert answer.status_code == 200 and answer.json()["rate_orientation"] == orientation


def book_usd(teamleader: TeamleaderSandbox, **spec: object) -> str:
    invoice = teamleader.book_invoice(
        customer=CUSTOMER,
        date="2027-03-01",
        currency="USD",
        lines=[
            {"description": "Licence", "qty": 3, "price": "333.33", "tax": "21%"},
            {"description": "Support", "qty": 1, "price": "120.45", "tax": "21%"},
        ],
        **spec,
    )
    return invoice.id


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_usd_invoice_is_in_exact_at_its_euro_value_in_either_orientation_and_a_rerun_changes_nothing(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, orientation: str
) -> None:
    orient(teamleader, orientation)
    ident = book_usd(teamleader, home_per_foreign=str(EUR_PER_USD))
    shown = teamleader.invoice_info(ident)["currency_exchange_rate"]
    written = {"home_per_foreign": 0.92, "foreign_per_home": 1.08696}[orientation]
    assert shown == {"from": "USD", "to": "EUR", "rate": written}

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    entry = booked_entry(exact, "2027 / 1")
    assert entry["Currency"] == "USD"
    assert abs(Decimal(str(entry["Rate"])) - EUR_PER_USD) < Decimal("0.00001")
    total_fc = money(teamleader.invoice_info(ident)["total"]["tax_inclusive"]["amount"])
    assert money(entry["AmountFC"]) == total_fc == money("1355.73")
    assert abs(money(entry["AmountDC"]) - total_fc * EUR_PER_USD) <= CENT
    for line in entry["SalesEntryLines"]:
        assert abs(money(line["AmountDC"]) - money(line["AmountFC"]) * EUR_PER_USD) <= CENT

    before = booked_entries(exact)
    again = later.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert booked_entries(exact) == before


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_rate_that_fits_neither_orientation_is_not_booked_and_the_report_gives_both_numbers(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, orientation: str
) -> None:
    orient(teamleader, orientation)
    book_usd(teamleader, exchange_rate="1.5")  # 1.5 whichever way: neither 0.92 nor 1.087

    result = later.run()

    assert result.returncode == 1, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "2027 / 1" in output and "USD→EUR 1.5" in output
    assert "1 USD = 0.919963 EUR" in output and "1 EUR = 1.087 USD" in output
    assert "source.exchange_rate: home_per_foreign" in output
    assert [e for e in booked_entries(exact) if e["YourRef"] == "2027 / 1"] == []


def test_a_pinned_orientation_books_without_asking_for_todays_rates(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    orient(teamleader, "foreign_per_home")
    later.write_rules({"source": {"exchange_rate": "foreign_per_home"}})
    book_usd(teamleader, home_per_foreign=str(EUR_PER_USD))

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert abs(Decimal(str(booked_entry(exact, "2027 / 1")["Rate"])) - EUR_PER_USD) < Decimal("0.00001")
    assert [call for call in teamleader.calls if "currencies.exchangeRates" in call.path] == []


@pytest.mark.parametrize(("orientation", "status"), [("home_per_foreign", 0), ("foreign_per_home", 1)])
def test_check_reports_the_orientation_recent_invoices_show_and_a_pinned_one_that_is_off(
    world: World, teamleader: TeamleaderSandbox, orientation: str, status: int
) -> None:
    """The demo's USD invoice is at 0.92 EUR per USD; pinned the other way, it is 15% off."""
    detected = world.cli("check", str(world.rules_path))
    assert detected.returncode == 0, detected.stdout + detected.stderr
    assert "info: source.exchange_rate:" in detected.stdout and "1 home_per_foreign" in detected.stdout
    checklist = detected.stdout.split("before going live, verify once on the real accounts", 1)[1]
    assert "[ ] foreign-currency invoice: book one" in checklist

    world.write_rules({"source": {"exchange_rate": orientation}})
    pinned = world.cli("check", str(world.rules_path))
    assert pinned.returncode == status, pinned.stdout + pinned.stderr
    if status:
        assert "warning: source.exchange_rate:" in pinned.stdout
        assert "pinned to foreign_per_home" in pinned.stdout


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_a_usd_credit_note_is_negative_in_exact_at_its_euro_value_in_either_orientation(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, orientation: str
) -> None:
    """The two conventions together: a credit note's amounts negative (Type 21, negative receivable)
    and its euro amount FC × EUR-per-USD, whichever way Teamleader writes the rate."""
    orient(teamleader, orientation)
    ident = book_usd(teamleader, home_per_foreign=str(EUR_PER_USD))
    credit = teamleader.credit(ident, on="2027-03-05")

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    entry = booked_entry(exact, credit.credit_note_number, type=21)
    assert entry["Currency"] == "USD" and abs(Decimal(str(entry["Rate"])) - EUR_PER_USD) < Decimal("0.00001")
    assert money(entry["AmountFC"]) == -money("1355.73")
    assert abs(money(entry["AmountDC"]) - money(entry["AmountFC"]) * EUR_PER_USD) <= CENT
    assert all(money(line["AmountFC"]) < 0 for line in entry["SalesEntryLines"])
    assert money(receivable_of(exact, entry)["AmountFC"]) == -money("1355.73")

    before = booked_entries(exact)
    assert later.run().returncode == 0
    assert booked_entries(exact) == before
