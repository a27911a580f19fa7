"""Cost centres and cost units through the real CLI against both sandboxes (issue 17).

A line gets its product's code, else its product category's, else the default; Exact keeps the codes on
the entry's lines; `connector check` finds codes Exact lacks or has closed, with the closest ones.
"""

from __future__ import annotations

from typing import Any

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import booked_entries, booked_entry, money
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
WORKSHOP, BOOKS = "9f1c2a4e-0000-4000-8000-00000000w001", "9f1c2a4e-0000-4000-8000-00000000c002"
COSTS: dict[str, Any] = {
    "cost_center": {"default": "100", "product": {WORKSHOP: "300"}, "product_category": {BOOKS: "200"}},
    "cost_unit": {"product_category": {BOOKS: "P02"}},
}


def lines_of(entry: dict[str, Any]) -> list[tuple[str, str, Any, Any, Any]]:
    return [
        (
            line["GLAccountCode"].strip(),
            str(money(line["AmountFC"])),
            line["CostCenter"],
            line["CostCenterDescription"],
            line["CostUnit"],
        )
        for line in entry["SalesEntryLines"]
    ]


def test_each_line_is_booked_on_its_cost_centre_and_unit_and_the_discount_follows_them(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """300 for a workshop (its product: centre 300), 100 for books (their category: 200, unit P02),
    50 of consultancy (neither: the default 100); a 10 % discount on the whole invoice is booked per
    cost centre and unit on the discount account."""
    later.write_rules(COSTS)
    teamleader.book_invoice(
        customer=CUSTOMER,
        date="2027-02-03",
        lines=[
            {"description": "Workshop", "price": 300, "product_id": WORKSHOP, "product_category_id": BOOKS},
            {"description": "Books", "price": 100, "tax": "6%", "product_category_id": BOOKS},
            {"description": "Consultancy", "price": 50},
        ],
        discounts=[10],
    )

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    entry = booked_entry(exact, "2027 / 1", type=20)
    assert sorted(lines_of(entry)) == [
        ("7000", "300.00", "300", "Service", "P02"),
        ("7000", "50.00", "100", "Verkoop", None),
        ("7010", "100.00", "200", "Opleidingen", "P02"),
        ("7080", "-10.00", "200", "Opleidingen", "P02"),  # 10 % of the books, at 6 %
        ("7080", "-30.00", "300", "Service", "P02"),  # 10 % of the workshop, at 21 %
        ("7080", "-5.00", "100", "Verkoop", None),  # 10 % of the consultancy, at 21 %
    ]


def test_check_finds_a_code_exact_lacks_with_the_closest_ones_and_a_run_books_nothing_until_fixed(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"cost_center": {"default": "101", "product": {WORKSHOP: "900"}}})
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}])

    check = later.cli("check", str(later.rules_path))

    assert check.returncode == 2, check.stdout + check.stderr
    said = check.stdout
    assert "error: cost_center.default: cost centre '101' does not exist in the target" in said
    assert "suggestion: cost centres: '100' (Verkoop)" in said
    assert (
        f"warning: cost_center.product.\"{WORKSHOP}\": cost centre '900' (Oude vestiging) is inactive" in said
    )

    run = later.run()

    assert run.returncode == 2, run.stdout + run.stderr
    assert "cost centre '101' does not exist in the target" in run.stdout + run.stderr
    assert all(e["YourRef"] != "2027 / 1" for e in booked_entries(exact)), "nothing is booked"

    later.write_rules({"cost_center": {"default": "100"}})
    fixed = later.run()

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert {line["CostCenter"] for line in booked_entry(exact, "2027 / 1")["SalesEntryLines"]} == {"100"}
