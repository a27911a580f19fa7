"""Cost centres and cost units per line: looked up by product, then product category, then the default;
every code checked in the target before anything is written."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from mapping_cases import REFERENCE, T6, T21, D, document, entry_for, line, make_rules

from connector.contract.records import Line
from connector.contract.services import CostCode
from connector.engine.preflight import check_cost_codes, check_mapping
from connector.rules.model import CostRule, Rules

BOOKS = "cat-books"
WORKSHOP = "prod-workshop"


def with_product(item: Line, product: str | None = None, category: str | None = None) -> Line:
    return dataclasses.replace(item, product_id=product, product_category_id=category)


def costed(rules: Rules | None = None, **rule: CostRule) -> Rules:
    return dataclasses.replace(rules or make_rules(), **rule)


CENTERS = CostRule(
    default="100",
    product=MappingProxyType({WORKSHOP: "300"}),
    product_category=MappingProxyType({BOOKS: "200"}),
)
UNITS = CostRule(product_category=MappingProxyType({BOOKS: "P-BOOK"}))


def test_each_line_gets_its_products_code_else_its_categorys_else_the_default() -> None:
    doc = document(
        [
            with_product(line("Workshop", "100.00", T21), WORKSHOP, BOOKS),  # the product wins
            with_product(line("Books", "50.00", T6), category=BOOKS),
            line("Consulting", "10.00", T21),
        ],
        [("0.21", "110.00", "23.10"), ("0.06", "50.00", "3.00")],
    )
    entry = entry_for(doc, costed(cost_center=CENTERS, cost_unit=UNITS))
    assert [(e.description, e.cost_center, e.cost_unit) for e in entry.lines] == [
        ("Workshop", "300", "P-BOOK"),
        ("Books", "200", "P-BOOK"),
        ("Consulting", "100", None),  # no cost unit rule matches and it has no default
    ]


def test_without_cost_rules_lines_carry_no_codes() -> None:
    doc = document([line("Consulting", "10.00", T21)], [("0.21", "10.00", "2.10")])
    [booked] = entry_for(doc).lines
    assert (booked.cost_center, booked.cost_unit) == (None, None)


def test_a_discount_goes_with_the_cost_centres_of_the_lines_it_was_given_on() -> None:
    """300 on centre 300 and 100 on centre 100, 10% off: -30.00 on 300, -10.00 on 100, same VAT code."""
    doc = document(
        [with_product(line("Workshop", "300.00", T21), WORKSHOP), line("Consulting", "100.00", T21)],
        [("0.21", "360.00", "75.60")],
        discounts=["10"],
    )
    entry = entry_for(doc, costed(make_rules(discount_account="7080"), cost_center=CENTERS))
    discounts = [
        (str(e.amount), str(e.vat_amount), e.cost_center) for e in entry.lines if e.account == "7080"
    ]
    assert discounts == [("-30.00", "-6.30", "300"), ("-10.00", "-2.10", "100")]
    assert entry.total_excluding + entry.total_vat == D("435.60")
    assert entry.description == "2026 / 3 Acme BV", "the discount lines' text is theirs only"


def test_one_discount_line_per_code_when_every_line_shares_a_cost_centre() -> None:
    doc = document(
        [line("A", "300.00", T21), line("B", "100.00", T21)], [("0.21", "360.00", "75.60")], discounts=["10"]
    )
    entry = entry_for(doc, costed(make_rules(discount_account="7080"), cost_center=CENTERS))
    assert [(str(e.amount), e.cost_center) for e in entry.lines if e.account == "7080"] == [("-40.00", "100")]


def test_every_code_the_target_lacks_is_a_problem_at_its_key() -> None:
    reference = dataclasses.replace(
        REFERENCE,
        cost_centers={"100": CostCode("100", "Verkoop"), "200": CostCode("200", "Boeken")},
        cost_units={},
    )
    problems = check_mapping(costed(cost_center=CENTERS, cost_unit=UNITS), reference)
    assert [(p.path, p.message) for p in problems] == [
        ('cost_center.product."prod-workshop"', "cost centre '300' does not exist in the target"),
        ('cost_unit.product_category."cat-books"', "cost unit 'P-BOOK' does not exist in the target"),
    ]


def test_an_inactive_code_is_not_a_run_stopping_problem_but_is_found_on_request() -> None:
    reference = dataclasses.replace(REFERENCE, cost_centers={"100": CostCode("100", "Oud", active=False)})
    rules = costed(cost_center=CostRule(default="100"))
    assert check_mapping(rules, reference) == []
    [inactive] = check_cost_codes(rules, reference, inactive=True)
    assert (inactive.path, inactive.message) == (
        "cost_center.default",
        "cost centre '100' (Oud) is inactive in the target",
    )
