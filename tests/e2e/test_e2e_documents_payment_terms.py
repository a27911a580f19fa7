"""The payment condition of each Exact entry, case by case in DESIGN §8's order.

One company, one invoice (or credit note) per case, one dry run and one real run for the module; each
test then checks one case's `PaymentCondition` in Exact. Exact's demo conditions: `00` cash (K), `14`
and `30` on credit (B), `30EM` 30 days end of month (B), `DD` collection (I, 30 days), `8K` 30 days
with a 2 % payment discount (B).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import pytest

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import booked_entry
from connector_exact.translate import parse_day
from connector_teamleader.sandbox import TeamleaderSandbox

RULES: dict[str, Any] = {
    "sync": {"start_date": "2027-01-01"},
    "payment_terms": {
        "default": "14",
        "direct_debit": "DD",
        "map": {"cash": "00", "after_invoice_date 45": "30EM"},
    },
}

# case -> (payment term, expected payment method or None, the condition it must get)
CASES: dict[str, tuple[dict[str, Any], str | None, str]] = {
    "end of month": ({"type": "end_of_month", "days": 30}, None, "30EM"),
    "direct debit": ({"type": "after_invoice_date", "days": 30}, "sepa_direct_debit", "DD"),
    "map": ({"type": "after_invoice_date", "days": 45}, None, "30EM"),
    "automatic by days": ({"type": "after_invoice_date", "days": 30}, None, "30"),
    "cash": ({"type": "cash"}, None, "00"),
    "no match": ({"type": "after_invoice_date", "days": 60}, None, "14"),
}


@dataclass
class Booked:
    exact: ExactSandbox
    numbers: dict[str, str]  # case -> invoice number
    due: dict[str, date]  # case -> the due date Teamleader printed on the invoice
    dry_run: subprocess.CompletedProcess[str]
    run: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booked]:
    directory = tmp_path_factory.mktemp("payment-terms")
    world = World.start(directory, exact_online={"per_minute": 100_000, "per_day": 1_000_000})
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CONNECTOR_STATE_DIR", str(directory))
            world.write_rules(RULES)
            world.authorize()
            teamleader = cast(TeamleaderSandbox, world.sandboxes["teamleader"])
            numbers, ids, due = {}, {}, {}
            for day, (case, (term, method, _)) in enumerate(CASES.items(), start=1):
                invoice = teamleader.book_invoice(
                    customer="Brouwerij De Klok BV",
                    date=f"2027-03-{day:02d}",
                    payment_term=term,
                    expected_payment_method=method,
                    lines=[{"price": 100 * day}],
                )
                numbers[case], ids[case] = str(invoice.invoice_number), invoice.id
                due[case] = invoice.due_on
            teamleader.credit(ids["end of month"], "2027-03-20")
            dry_run = world.run("--dry-run")
            run = world.run()
        yield Booked(cast(ExactSandbox, world.sandboxes["exact_online"]), numbers, due, dry_run, run)
    finally:
        world.stop()


def test_the_run_books_every_case(booked: Booked) -> None:
    assert booked.run.returncode == 0, booked.run.stdout + booked.run.stderr
    assert f"documents: {len(CASES) + 1} booked" in booked.run.stdout


def test_a_credit_note_gets_the_default_condition(booked: Booked) -> None:
    """It credits the end-of-month invoice, which itself gets `30EM`."""
    entry = booked_entry(booked.exact, "2027 / 1", journal="71", type=21)
    assert entry["PaymentCondition"].strip() == "14"


@pytest.mark.parametrize("case", list(CASES))
def test_each_invoice_gets_the_condition_of_the_first_rule_that_applies(booked: Booked, case: str) -> None:
    entry = booked_entry(booked.exact, booked.numbers[case], journal="70", type=20)
    assert entry["PaymentCondition"].strip() == CASES[case][2]


@pytest.mark.parametrize("case", list(CASES))
def test_the_due_date_in_exact_is_the_one_on_the_invoice(booked: Booked, case: str) -> None:
    """Not one Exact derives from the condition: `30EM` on 1 March gives 30 April in Exact, while
    Teamleader's end-of-month term printed 31 March."""
    entry = booked_entry(booked.exact, booked.numbers[case], journal="70", type=20)
    assert parse_day(entry["DueDate"]) == booked.due[case]


def test_the_dry_run_says_which_rule_chose_each_condition(booked: Booked) -> None:
    plan = booked.dry_run.stdout
    assert "payment_terms.direct_debit" in plan
    assert 'payment_terms.map."after_invoice_date 45"' in plan
    assert "matches condition '30'" in plan
    assert "credit notes always get payment_terms.default" in plan
