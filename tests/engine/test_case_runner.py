"""The tests: cases run offline: which reference data they are mapped against, and how a result is judged."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

from connector.contract.records import PaymentTerm
from connector.contract.services import PaymentConditionInfo, ReferenceData
from connector.engine.case_reference import from_rule_file, offline_reference
from connector.engine.case_runner import check_cases, run_cases
from connector.engine.template_sample import SAMPLE_DOCUMENT
from connector.rules.case_model import Case, Cases, ExpectedEntry, ExpectedLine
from connector.rules.model import CostRule, PaymentTermRules, PluginSection, Rules, VatRule
from connector.state.refcache import ReferenceCache
from connector.testing.rules import make_rules

DOCUMENT = dataclasses.replace(SAMPLE_DOCUMENT, payment_term=PaymentTerm("after_invoice_date", 21))


def rules_with(*cases: Case, reference: ReferenceData | None = None) -> Rules:
    return make_rules(
        sink=PluginSection("fake_sink", {"division": 7}),
        vat=(VatRule("21%", "4", "7000"),),
        payment_terms=PaymentTermRules(default="30"),
        tests=Cases(cases, reference),
    )


def kept(conditions: dict[str, PaymentConditionInfo], rules: Rules) -> ReferenceData:
    data = dataclasses.replace(from_rule_file(rules), payment_conditions=conditions)
    return data


def condition(code: str, days: int) -> PaymentConditionInfo:
    return PaymentConditionInfo(code, f"{days} days", days, 0, Decimal(0), "B")


def expecting(condition_code: str) -> Case:
    return Case("term", DOCUMENT, 3, 7, expect=ExpectedEntry(payment_condition=condition_code))


def test_without_reference_data_the_codes_of_the_rule_file_are_used_and_no_condition_is_automatic(
    tmp_path: Path,
) -> None:
    rules = rules_with(expecting("30"))
    run, lines = check_cases(rules, tmp_path)
    assert lines == [] and len(run.outcomes) == 1
    assert not run.reference.checked
    assert "not checked against the target" in run.reference.origin


def test_the_reference_data_kept_by_check_is_used_however_old_and_its_conditions_match_automatically(
    tmp_path: Path,
) -> None:
    rules = rules_with(expecting("21"))
    cache = ReferenceCache.for_client(tmp_path, "acme")
    cache.store_sink(
        SimpleNamespace(name="fake_sink", options={"division": 7}),
        kept({"30": condition("30", 30), "21": condition("21", 21)}, rules),
    )
    reference = offline_reference(rules, tmp_path)
    assert reference.checked and "as read on" in reference.origin
    run = run_cases(rules, reference)
    assert [outcome.passed for outcome in run.outcomes] == [True]


def test_reference_data_kept_for_another_division_is_not_used(tmp_path: Path) -> None:
    rules = rules_with(expecting("30"))
    cache = ReferenceCache.for_client(tmp_path, "acme")
    cache.store_sink(SimpleNamespace(name="fake_sink", options={"division": 8}), kept({}, rules))
    assert not offline_reference(rules, tmp_path).checked


def test_the_tests_sections_own_reference_wins_over_the_kept_one(tmp_path: Path) -> None:
    base = rules_with()
    own = kept({"30": condition("30", 30), "22": condition("22", 21)}, base)
    rules = rules_with(expecting("22"), reference=own)
    cache = ReferenceCache.for_client(tmp_path, "acme")
    cache.store_sink(
        SimpleNamespace(name="fake_sink", options={"division": 7}),
        kept({"30": condition("30", 30), "21": condition("21", 21)}, rules),
    )
    run, lines = check_cases(rules, tmp_path)
    assert lines == []
    assert run.reference.origin == "the target's codes as the tests: section states them"


def test_a_difference_names_the_key_and_both_values(tmp_path: Path) -> None:
    rules = rules_with(expecting("14"))
    _, lines = check_cases(rules, tmp_path)
    assert lines[:2] == ["acme:3:7: test 'term' failed", "  payment_condition: expected '14', got '30'"]


def test_refusals_are_matched_by_kind_or_by_words_of_the_message(tmp_path: Path) -> None:
    no_lines = dataclasses.replace(DOCUMENT, lines=())
    rules = rules_with(
        Case("kind", no_lines, fails="no lines"),
        Case("words", no_lines, fails="NOTHING to book"),
        Case("wrong", no_lines, fails="unmapped rate"),
    )
    run, _ = check_cases(rules, tmp_path)
    assert [outcome.passed for outcome in run.outcomes] == [True, True, False]
    assert run.outcomes[2].differences == (
        "expected the refusal 'unmapped rate', got '2026 / 1 has no lines: there is nothing to book'",
    )


def test_a_case_states_cost_codes_per_line_and_the_payment_reference_and_the_rule_files_codes_suffice(
    tmp_path: Path,
) -> None:
    """Without reference data the rule file's cost codes are taken as the target's, as its VAT codes are."""
    product_line = dataclasses.replace(SAMPLE_DOCUMENT.lines[0], product_id="prod-1")
    document = dataclasses.replace(DOCUMENT, lines=(product_line,))
    expect = ExpectedEntry(
        payment_reference="+++084/2613/66074+++",
        lines=(ExpectedLine(cost_center="300", cost_unit="P01"),),
    )
    wrong = ExpectedEntry(lines=(ExpectedLine(cost_center="100"),))
    rules = dataclasses.replace(
        rules_with(Case("costs", document, 3, 7, expect=expect), Case("wrong", document, 9, 7, expect=wrong)),
        cost_center=CostRule(default="100", product=MappingProxyType({"prod-1": "300"})),
        cost_unit=CostRule(default="P01"),
    )
    run, _ = check_cases(rules, tmp_path)
    assert run.problems == ()
    right, mistaken = run.outcomes
    assert right.passed, right.differences
    assert mistaken.differences == ("lines[0].cost_center: expected '100', got '300'",)
