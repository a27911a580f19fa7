"""Payment conditions: the first rule of DESIGN §8 that applies wins, and the plan says which one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pytest

from connector.contract.records import Customer, Document, PaymentTerm, PaymentTermType, Totals
from connector.contract.services import PaymentConditionInfo, ReferenceData
from connector.engine.payment_terms import choose, choose_condition, code_sort_key
from connector.rules.model import PaymentTermRules, Rules
from connector.testing.rules import make_rules

D = Decimal


def condition(
    code: str, days: int, end_of_months: int = 0, discount: str = "0", method: str = "B"
) -> PaymentConditionInfo:
    return PaymentConditionInfo(code, f"condition {code}", days, end_of_months, D(discount), method)


CONDITIONS = [
    condition("00", 0, method="K"),  # cash
    condition("14", 14),
    condition("30", 30),
    condition("30EM", 30, end_of_months=1),
    condition("30S", 30, discount="2"),  # 2% discount when paid in time
    condition("DD", 30, method="I"),  # collection (direct debit)
    condition("60I", 60, method="I"),
    condition("45K", 45, method="K"),
    condition("21", 21),
    condition("7", 21),  # a second 21-day condition: ties go to the lowest code
    condition("21B", 21),
]


def reference(conditions: list[PaymentConditionInfo] = CONDITIONS) -> ReferenceData:
    return ReferenceData(
        vat_codes={}, journals={}, accounts={}, payment_conditions={c.code: c for c in conditions}
    )


def rules(direct_debit: str | None = "DD", mapping: Mapping[str, str] | None = None) -> Rules:
    return make_rules(
        payment_terms=PaymentTermRules(default="DEF", direct_debit=direct_debit, map=mapping or {}),
    )


def doc(
    term: tuple[PaymentTermType, int] | None,
    *,
    kind: str = "invoice",
    method: str | None = None,
) -> Document:
    return Document(
        id="d1",
        kind=kind,  # type: ignore[arg-type]  # only the two kinds are passed
        number="2026 / 3",
        date=date(2026, 3, 2),
        customer=Customer(id="c1", kind="company", name="Acme BV"),
        currency="EUR",
        lines=(),
        totals=Totals(D("0"), D("0"), ()),
        payment_term=PaymentTerm(*term) if term else None,
        expected_payment_method=method,
    )


def test_credit_note_gets_the_default_whatever_its_term_and_method() -> None:
    credit = doc(("after_invoice_date", 30), kind="credit_note", method="direct_debit")
    choice = choose(credit, rules(mapping={"after_invoice_date 30": "30"}), reference())
    assert (choice.code, choice.rule) == ("DEF", "credit_note")


@pytest.mark.parametrize("method", ["direct_debit", "sepa_direct_debit"])
def test_direct_debit_invoice_gets_the_direct_debit_condition_before_the_map(method: str) -> None:
    invoice = doc(("after_invoice_date", 14), method=method)
    choice = choose(invoice, rules(mapping={"after_invoice_date 14": "14"}), reference())
    assert (choice.code, choice.rule) == ("DD", "direct_debit")


def test_direct_debit_without_a_direct_debit_condition_falls_through_to_matching() -> None:
    invoice = doc(("after_invoice_date", 14), method="sepa_direct_debit")
    assert choose(invoice, rules(direct_debit=None), reference()).code == "14"


def test_other_payment_methods_are_not_direct_debit() -> None:
    invoice = doc(("after_invoice_date", 14), method="bank_transfer")
    assert choose(invoice, rules(), reference()).code == "14"


def test_map_wins_over_automatic_matching() -> None:
    choice = choose(
        doc(("after_invoice_date", 30)), rules(mapping={"after_invoice_date 30": "30S"}), reference()
    )
    assert (choice.code, choice.rule, choice.reason) == (
        "30S",
        "map",
        'payment_terms.map."after_invoice_date 30"',
    )


def test_map_keys_with_extra_spaces_still_match() -> None:
    choice = choose(doc(("end_of_month", 30)), rules(mapping={"end_of_month  30": "30"}), reference())
    assert (choice.code, choice.rule) == ("30", "map")


def test_cash_term_is_matched_only_through_the_map() -> None:
    assert choose(doc(("cash", 0)), rules(mapping={"cash": "00"}), reference()).code == "00"
    choice = choose(doc(("cash", 0)), rules(), reference())
    assert (choice.code, choice.rule) == ("DEF", "default")


def test_automatic_match_on_days_without_end_of_month() -> None:
    choice = choose(doc(("after_invoice_date", 30)), rules(), reference())
    assert (choice.code, choice.rule) == ("30", "automatic")
    assert (
        choice.reason == "term after_invoice_date 30 matches condition '30' (30 days, on credit, no discount)"
    )


def test_automatic_match_of_end_of_month_needs_an_end_of_month_condition() -> None:
    choice = choose(doc(("end_of_month", 30)), rules(), reference())
    assert (choice.code, choice.rule) == ("30EM", "automatic")


def test_end_of_month_term_without_an_end_of_month_condition_gets_the_default() -> None:
    assert choose(doc(("end_of_month", 14)), rules(), reference()).code == "DEF"


def test_tie_goes_to_the_lowest_code_numeric_codes_compared_as_numbers() -> None:
    """21 days fits `21`, `7` and `21B`: 7 < 21 as numbers (as text "21" < "7")."""
    assert choose_condition(doc(("after_invoice_date", 21)), rules(), reference()) == "7"


def test_tie_between_text_codes_goes_to_the_alphabetically_first() -> None:
    conditions = [condition("NET30B", 30), condition("NET30A", 30)]
    assert choose_condition(doc(("after_invoice_date", 30)), rules(), reference(conditions)) == "NET30A"


def test_conditions_with_a_payment_discount_are_never_matched() -> None:
    conditions = [condition("30S", 30, discount="2")]
    assert choose_condition(doc(("after_invoice_date", 30)), rules(), reference(conditions)) == "DEF"


@pytest.mark.parametrize("method", ["I", "K"])
def test_collection_and_cash_conditions_are_never_matched_automatically(method: str) -> None:
    conditions = [condition("X60", 60, method=method)]
    assert choose_condition(doc(("after_invoice_date", 60)), rules(), reference(conditions)) == "DEF"


def test_no_match_falls_back_to_the_default() -> None:
    choice = choose(doc(("after_invoice_date", 90)), rules(), reference())
    assert (choice.code, choice.rule) == ("DEF", "default")
    assert choice.reason == "no condition matches term after_invoice_date 90: payment_terms.default"


def test_document_without_a_term_gets_the_default() -> None:
    assert choose(doc(None), rules(), reference()).rule == "default"


def test_code_order_puts_numbers_first_by_value_then_text() -> None:
    assert sorted(["30EM", "30", "7", "A", "100"], key=code_sort_key) == ["7", "30", "100", "30EM", "A"]
