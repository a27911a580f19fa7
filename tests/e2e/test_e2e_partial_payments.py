"""`payments.partial: register` (issue 17), through the real CLI against both sandboxes.

Each payment Exact matched on a receivable becomes a payment of its own in Teamleader, with its date
and amount; a later full match registers only the rest; a match undone in Exact is reported and
nothing is undone; never more than Teamleader's `total.due` in all. Whether Exact splits a receivable
on a partial match is UNVERIFIED (see `connector_exact.receivables.payment_statuses`), so the tests that
depend on it run both ways: split (the documented way), and one row that shows nothing until paid.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import money
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
INVOICE = {"your_ref": "2027 / 1", "journal": "70", "type": 20}
SECOND = {"your_ref": "2027 / 2", "journal": "70", "type": 20}


@pytest.fixture(params=[True, False], ids=["split", "one-row"])
def split(request: pytest.FixtureRequest, exact: ExactSandbox) -> bool:
    exact.options.split_partial = request.param
    return bool(request.param)


def api_calls(box: Any) -> int:
    return sum(1 for c in box.calls if not c.path.startswith("/_sandbox/") and "oauth2" not in c.path)


def register(world: World, partial: str = "register") -> None:
    world.write_rules({"payments": {"partial": partial}})


def book(world: World, teamleader: TeamleaderSandbox, *prices: int) -> list[str]:
    """Invoices of one line each at `prices`, booked in Teamleader and synced to Exact."""
    ids = [
        teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": price}]).id
        for price in prices
    ]
    result = world.run("--only", "documents")
    assert result.returncode == 0, result.stdout + result.stderr
    return ids


def payments(world: World) -> str:
    result = world.run("--only", "payments")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def paid(teamleader: TeamleaderSandbox, invoice_id: str) -> list[tuple[Decimal, str]]:
    """The invoice's payments in Teamleader: (amount, day paid)."""
    return [
        (money(p["payment"]["amount"]), p["paid_at"][:10])
        for p in teamleader.invoice_info(invoice_id)["payments"]
    ]


def due(teamleader: TeamleaderSandbox, invoice_id: str) -> Decimal:
    return money(teamleader.invoice_info(invoice_id)["total"]["due"]["amount"])


def test_a_partial_match_registers_its_amount_and_date_and_the_full_match_only_the_rest(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, split: bool
) -> None:
    register(later)
    [invoice] = book(later, teamleader, 200)
    total = due(teamleader, invoice)
    exact.reconcile(**INVOICE, amount="50.00", date="2027-02-10")

    first = payments(later)

    if split:
        assert paid(teamleader, invoice) == [(money("50.00"), "2027-02-10")]
        assert due(teamleader, invoice) == total - 50 and "1 partial" in first
    else:  # Exact shows no amount until the receivable is paid: nothing to register yet
        assert paid(teamleader, invoice) == []
    exact.reconcile(**INVOICE, date="2027-02-20")

    payments(later)
    payments(later)

    expected = (
        [(money("50.00"), "2027-02-10"), (total - 50, "2027-02-20")] if split else [(total, "2027-02-20")]
    )
    assert paid(teamleader, invoice) == expected, "each part once, the rest only"
    assert teamleader.invoice_info(invoice)["paid"] is True and due(teamleader, invoice) == 0


def test_one_bank_payment_over_two_invoices_registers_each_its_own_part(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    register(later)
    first, second = book(later, teamleader, 100, 300)
    first_due = due(teamleader, first)
    exact.reconcile_group(
        [{**INVOICE, "amount": str(first_due)}, {**SECOND, "amount": "79.00"}], date="2027-02-15"
    )

    output = payments(later)

    assert paid(teamleader, first) == [(first_due, "2027-02-15")]
    assert teamleader.invoice_info(first)["paid"] is True
    assert paid(teamleader, second) == [(money("79.00"), "2027-02-15")]
    assert teamleader.invoice_info(second)["paid"] is False
    assert "2 registered" in output
    before = {name: api_calls(box) for name, box in later.sandboxes.items()}
    payments(later)
    used = {name: api_calls(box) - before[name] for name, box in later.sandboxes.items()}
    assert used["exact_online"] <= 2 and used["teamleader"] <= 2, f"nothing new costs little: {used}"
    assert len(paid(teamleader, second)) == 1


def test_a_match_undone_in_exact_is_reported_and_nothing_is_undone(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    register(later)
    [invoice] = book(later, teamleader, 200)
    exact.reconcile(**INVOICE, amount="60.00", date="2027-02-10")
    payments(later)
    exact.unreconcile(**INVOICE)

    output = payments(later)

    assert "one way only" in output and "0 matched" in output, output
    assert paid(teamleader, invoice) == [(money("60.00"), "2027-02-10")]
    exact.reconcile(**INVOICE, amount="100.00", date="2027-02-25")  # matched again: 100 of which 60 known
    payments(later)
    assert paid(teamleader, invoice) == [(money("60.00"), "2027-02-10"), (money("40.00"), "2027-02-25")]


def test_with_ignore_a_partial_match_changes_nothing_and_the_full_match_registers_all_due(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, split: bool
) -> None:
    register(later, "ignore")
    [invoice] = book(later, teamleader, 200)
    total = due(teamleader, invoice)
    exact.reconcile(**INVOICE, amount="50.00", date="2027-02-10")
    payments(later)
    assert paid(teamleader, invoice) == []
    exact.reconcile(**INVOICE, date="2027-02-20")

    payments(later)

    assert paid(teamleader, invoice) == [(total, "2027-02-20")]


def test_an_invoice_partly_settled_by_a_credit_note_never_gets_more_than_total_due(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, split: bool
) -> None:
    """Evidence 2026-12: the credit note lowered `total.due` in Teamleader already; its settlement in
    Exact is no payment, so the payments registered add up to what the customer paid."""
    register(later)
    invoice = teamleader.book_invoice(
        customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}, {"price": 300}]
    ).id
    teamleader.credit(invoice, "2027-02-05", lines=1)  # the first line, 100 + VAT
    assert later.run("--only", "documents").returncode == 0
    left = due(teamleader, invoice)
    credit: dict[str, Any] = {"your_ref": "2027 / 1", "journal": "71", "type": 21}
    exact.settle(INVOICE, credit, date="2027-02-06")
    assert payments(later) and paid(teamleader, invoice) == [], "a settlement is not a payment"
    exact.reconcile(**INVOICE, amount="100.00", date="2027-02-10")
    payments(later)
    exact.reconcile(**INVOICE, date="2027-02-20")

    payments(later)

    registered = paid(teamleader, invoice)
    assert sum(amount for amount, _ in registered) == left
    if split:
        assert registered == [(money("100.00"), "2027-02-10"), (left - 100, "2027-02-20")]
    assert due(teamleader, invoice) == 0


@pytest.mark.parametrize("point", ["payments.after_write", "payments.after_ledger"])
def test_a_payments_run_killed_after_registering_a_part_never_registers_it_twice(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, point: str
) -> None:
    register(later)
    [invoice] = book(later, teamleader, 200)
    exact.reconcile(**INVOICE, amount="50.00", date="2027-02-10")

    killed = later.run("--only", "payments", env={"CONNECTOR_KILL_AT": f"{point}:1"})
    assert killed.returncode == -9, killed.stdout + killed.stderr
    payments(later)
    payments(later)

    assert paid(teamleader, invoice) == [(money("50.00"), "2027-02-10")]
