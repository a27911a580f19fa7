"""Documents dated in a period Exact has closed, or in a financial year it lacks (issue 17).

Through the real `connector run` against both sandboxes. Exact tells a closed period only by refusing
the entry; each refusal counts against its error budget, so one refusal per period and run is all
the connector may spend.
"""

from __future__ import annotations

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_calls, booked_entries, money
from connector_exact.translate import parse_day
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def refused_posts(exact: ExactSandbox) -> int:
    return sum(1 for call in api_calls(exact, "POST") if "SalesEntries" in call.path and call.status >= 400)


def entries_by_ref(exact: ExactSandbox) -> dict[str, dict[str, object]]:
    return {str(entry["YourRef"]): entry for entry in booked_entries(exact)}


def test_a_closed_period_fails_its_documents_at_one_refusal_then_next_open_books_them_after_it(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    february = [
        teamleader.book_invoice(customer=CUSTOMER, date=day, lines=[{"price": price}])
        for day, price in (("2027-02-10", 100), ("2027-02-20", 200))
    ]
    march = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-05", lines=[{"price": 300}])
    exact.periods({"close_through": "2027-02-28"})
    exact.calls.clear()

    failed = later.run()

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "closed" in failed.stdout and "2027-02-10" in failed.stdout, failed.stdout
    assert refused_posts(exact) == 1, "the second February invoice costs no refused call"
    booked = entries_by_ref(exact)
    assert march.invoice_number in booked
    assert not any(invoice.invoice_number in booked for invoice in february)

    later.write_rules({"closed_period": "next_open"})
    exact.calls.clear()
    moved = later.run()

    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert refused_posts(exact) == 1, "one refusal teaches the run the period is closed"
    assert "first open period" in moved.stdout, moved.stdout
    booked = entries_by_ref(exact)
    for invoice, day, price in zip(february, ("2027-02-10", "2027-02-20"), (100, 200), strict=True):
        entry = booked[invoice.invoice_number]
        assert parse_day(entry["EntryDate"]).isoformat() == "2027-03-01"
        assert f"(dated {day})" in str(entry["Description"])
        assert money(entry["AmountDC"]) == money(price * 1.21)


def test_a_date_in_no_financial_year_fails_even_with_next_open_and_says_which_year_to_add(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(customer=CUSTOMER, date="2027-04-01", lines=[{"price": 100}])
    exact.periods({"remove_year": 2027})
    later.write_rules({"closed_period": "next_open"})

    result = later.run()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "no financial year for 2027-04-01" in result.stdout, result.stdout
    assert "period-date table" in result.stdout
    assert booked_entries_dated(exact, "2027") == []


def booked_entries_dated(exact: ExactSandbox, year: str) -> list[dict[str, object]]:
    return [entry for entry in booked_entries(exact) if str(parse_day(entry["EntryDate"])).startswith(year)]


def test_check_warns_of_a_missing_financial_year_and_of_documents_failed_on_a_closed_period(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    clean = later.cli("check", str(later.rules_path))
    assert "financial year" not in clean.stdout, clean.stdout
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-10", lines=[{"price": 100}])
    exact.periods({"close_through": "2027-02-28"})
    assert later.run().returncode == 1
    exact.periods({"remove_year": 2027})

    checked = later.cli("check", str(later.rules_path))

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "has no financial year for 2027-01-01 to " in checked.stdout, checked.stdout
    assert "1 document failed on a closed period or a missing financial year: 2027 / 1" in checked.stdout
