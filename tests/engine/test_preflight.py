"""The mapping checked against the sink's reference data before anything is written (engine/preflight)."""

from __future__ import annotations

from mapping_cases import (
    REFERENCE,
    T12,
    T21,
    make_rules,
)

from connector.engine.mapping import key_path
from connector.engine.preflight import check_mapping, check_tax_rates
from connector.rules.model import Journals, PaymentTermRules, VatRule

# ---------------------------------------------------------------- check_mapping


def test_a_sound_mapping_has_no_problems() -> None:
    assert check_mapping(make_rules(discount_account="7080"), REFERENCE) == []


def test_inclusive_vat_code_is_a_problem_at_its_line_suggesting_exclusive_codes_of_that_percentage() -> None:
    rules = make_rules(vat=(VatRule("21%", "1", "7000"),))
    [problem] = check_mapping(rules, REFERENCE)
    assert (problem.file, problem.line, problem.column, problem.path) == (
        "rules/acme.yaml",
        15,
        17,
        'vat."21%".code',
    )
    assert problem.message == (
        "VAT code '1' (BTW 21% incl.) is inclusive (type I); the source's amounts exclude VAT, so the code "
        "must be exclusive (type E); use one of the exclusive codes with 21%: '4' (BTW 21%), "
        "'5' (BTW 21% verlegd)"
    )


def test_missing_vat_code_suggests_by_the_percentage_in_the_rule_key() -> None:
    [problem] = check_mapping(make_rules(vat=(VatRule("6%", "9", "7010"),)), REFERENCE)
    assert problem.path == 'vat."6%".code'
    assert (
        problem.message
        == "VAT code '9' does not exist in the target; use one of the exclusive codes with 6%: '2' (BTW 6%)"
    )


def test_missing_and_non_sales_journals_are_problems() -> None:
    problems = check_mapping(make_rules(journals=Journals("99", "90")), REFERENCE)
    assert [(p.path, p.line) for p in problems] == [("journals.invoices", 10), ("journals.credit_notes", 11)]
    assert problems[0].message.startswith(
        "journal '99' does not exist in the target; use a sales journal (type 20)"
    )
    assert "'70' (Verkoopboek)" in problems[0].message
    assert problems[1].message.startswith(
        "journal '90' (Memoriaal) is of type 90, not a sales (20) or return-invoice"
    )


def test_a_return_journal_serves_credit_notes_but_not_invoices() -> None:
    problems = check_mapping(make_rules(journals=Journals("71", "71")), REFERENCE)
    assert [p.path for p in problems] == ["journals.invoices"]


def test_non_revenue_and_missing_accounts_are_problems() -> None:
    rules = make_rules(revenue_account="1300", discount_account="7999")
    problems = check_mapping(rules, REFERENCE)
    assert [(p.path, p.line) for p in problems] == [("revenue_account", 20), ("discount_account", 21)]
    assert problems[0].message.startswith(
        "account '1300' (Debiteuren) is of type 20, not a revenue account (type 110)"
    )
    assert problems[1].message == "account '7999' does not exist in the target"


def test_rate_without_any_revenue_account_is_a_problem() -> None:
    [problem] = check_mapping(make_rules(revenue_account=None), REFERENCE)
    assert problem.path == 'vat."0%"' and problem.line == 17
    assert "add revenue_account here" in problem.message


def test_unknown_payment_conditions_are_problems() -> None:
    terms = PaymentTermRules(default="60", direct_debit="DD", map={"after_invoice_date 14": "14B"})
    problems = check_mapping(make_rules(payment_terms=terms), REFERENCE)
    assert [(p.path, p.line) for p in problems] == [
        ("payment_terms.default", 24),
        ("payment_terms.direct_debit", 25),
        ('payment_terms.map."after_invoice_date 14"', 27),
    ]
    assert (
        problems[0].message == "payment condition '60' does not exist in the target; "
        "the target's: '14' (14 dagen), '30' (30 dagen)"
    )


def test_source_rates_unmapped_or_of_another_percentage_are_reported_for_the_preflight() -> None:
    rules = make_rules(vat=(VatRule("21%", "2", "7000"),))
    problems = check_tax_rates(rules, REFERENCE, [T21, T12])
    assert [p.path for p in problems] == ["vat", 'vat."21%".code']
    assert problems[0].message.startswith(
        "source tax rate '12%' (12%) is not mapped (add it under vat); the target has no exclusive"
    )
    assert problems[1].message.startswith("VAT code '2' is 6% in the target but source rate '21%' is 21%")


def test_key_paths_quote_keys_that_are_not_plain_names() -> None:
    assert key_path("vat", "0% ICL", "code") == 'vat."0% ICL".code'
    assert key_path("payment_terms", "default") == "payment_terms.default"
