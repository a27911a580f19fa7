"""The mapping checked against the sink's reference data before anything is written: VAT codes exist
and are exclusive, journals are sales journals of the right kind, accounts, payment conditions, cost
centres and cost units exist, and every tax rate the source uses is mapped. Each problem names the
rule file's key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from connector.contract.errors import Problem
from connector.contract.records import TaxRate
from connector.contract.services import ReferenceData, VatCode
from connector.engine.cost_codes import KINDS, listing
from connector.engine.mapping import (
    EXCLUSIVE,
    RETURN_JOURNAL,
    REVENUE_ACCOUNT,
    SALES_JOURNAL,
    find_code,
    fraction,
    key_path,
    percent,
)
from connector.engine.payment_terms import code_sort_key
from connector.rules.model import CostRule, Rules, VatRule

MAX_LISTED = 12

VAT_TYPES = {"I": "inclusive", "B": "base only", "N": "without VAT", "E": "exclusive"}

_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


def _listed(codes: Iterable[tuple[str, str]]) -> str:
    items = sorted(codes, key=lambda item: code_sort_key(item[0]))
    shown = ", ".join(
        f"{code!r} ({description})" if description else repr(code) for code, description in items
    )
    more = len(items) - MAX_LISTED
    if more > 0:
        shown = ", ".join(
            f"{code!r} ({description})" if description else repr(code)
            for code, description in items[:MAX_LISTED]
        )
        shown += f" and {more} more"
    return shown


def check_mapping(rules: Rules, reference: ReferenceData) -> list[Problem]:
    """Every configuration problem of `rules` against the target's reference data, sorted by line.

    Called before any write: a run with problems books nothing. Each problem names the rule file
    line and says what to do.
    """
    problems: list[Problem] = []
    problems += _check_vat(rules, reference)
    problems += _check_journals(rules, reference)
    problems += _check_accounts(rules, reference)
    problems += _check_payment_terms(rules, reference)
    problems += check_cost_codes(rules, reference)
    return sorted(problems)


def check_tax_rates(rules: Rules, reference: ReferenceData, tax_rates: Iterable[TaxRate]) -> list[Problem]:
    """For a preflight against the source too: unmapped source rates and codes of another percentage.

    Not part of `check_mapping`: an unmapped rate that no document uses must not stop a run (a
    document that uses one is skipped by `build_entry`), but `connector check` shows it.
    """
    problems: list[Problem] = []
    for rate in tax_rates:
        rule = rules.vat_rule(rate.id, rate.description)
        if rule is None:
            problems.append(
                _problem(
                    rules,
                    "vat",
                    f"source tax rate {rate.description!r} ({percent(rate.rate)}) is not mapped "
                    "(add it under vat)" + _exclusive_hint(reference, fraction(rate.rate)),
                )
            )
            continue
        vat = find_code(reference.vat_codes, rule.code)
        if vat is not None and fraction(vat.percentage) != fraction(rate.rate):
            problems.append(
                _problem(
                    rules,
                    key_path("vat", rule.key, "code"),
                    f"VAT code {rule.code!r} is {percent(fraction(vat.percentage))} in the target but "
                    f"source rate {rate.description!r} is {percent(rate.rate)}"
                    + _exclusive_hint(reference, fraction(rate.rate)),
                )
            )
    return sorted(problems)


def _problem(rules: Rules, path: str, message: str) -> Problem:
    line, column = rules.where(path)
    return Problem(line, column, path, message, file=str(rules.path) if rules.path else "")


def _exclusive_hint(reference: ReferenceData, rate: Decimal | None) -> str:
    """`; use one of the exclusive codes with 21%: '4' (BTW 21%)`, or how to get one, or nothing."""
    if rate is None:
        return ""
    codes = [
        (vat.code.strip(), vat.description)
        for vat in reference.vat_codes.values()
        if vat.type == EXCLUSIVE and fraction(vat.percentage) == rate
    ]
    if not codes:
        return f"; the target has no exclusive VAT code with {percent(rate)}: create one there first"
    return f"; use one of the exclusive codes with {percent(rate)}: {_listed(codes)}"


def rate_in(key: str) -> Decimal | None:
    """The percentage a rule key like `21%` or `0% ICL` states, if any, as a fraction."""
    found = _PERCENT.search(key)
    return Decimal(found.group(1).replace(",", ".")) / 100 if found else None


def _vat_rule_rate(rule: VatRule, vat: VatCode | None) -> Decimal | None:
    return fraction(vat.percentage) if vat is not None else rate_in(rule.key)


def _check_vat(rules: Rules, reference: ReferenceData) -> list[Problem]:
    problems = []
    for rule in rules.vat:
        path = key_path("vat", rule.key, "code")
        vat = find_code(reference.vat_codes, rule.code)
        rate = _vat_rule_rate(rule, vat)
        if vat is None:
            message = f"VAT code {rule.code!r} does not exist in the target"
        elif vat.type != EXCLUSIVE:
            kind = VAT_TYPES.get(vat.type, "not exclusive")
            message = (
                f"VAT code {rule.code!r} ({vat.description}) is {kind} (type {vat.type}); the source's "
                "amounts exclude VAT, so the code must be exclusive (type E)"
            )
        else:
            continue
        problems.append(_problem(rules, path, message + _exclusive_hint(reference, rate)))
    return problems


def _check_journals(rules: Rules, reference: ReferenceData) -> list[Problem]:
    problems = []
    sales = [(j.code.strip(), j.description) for j in reference.journals.values() if j.type == SALES_JOURNAL]
    returns = [
        (j.code.strip(), j.description) for j in reference.journals.values() if j.type == RETURN_JOURNAL
    ]
    wanted = (
        ("invoices", rules.journals.invoices, rules.sync.invoices, {SALES_JOURNAL}, sales),
        (
            "credit_notes",
            rules.journals.credit_notes,
            rules.sync.credit_notes,
            {SALES_JOURNAL, RETURN_JOURNAL},
            sales + returns,
        ),
    )
    for name, code, enabled, types, fitting in wanted:
        path = key_path("journals", name)
        label = (
            "a sales journal (type 20)" if len(types) == 1 else "a sales (20) or return-invoice (21) journal"
        )
        options = (
            f"; the target's: {_listed(fitting)}" if fitting else "; the target has none: create one first"
        )
        if code is None:
            if enabled:
                problems.append(
                    _problem(
                        rules, "journals", f"no journal for {name}: add journals.{name}, {label}" + options
                    )
                )
            continue
        journal = find_code(reference.journals, code)
        if journal is None:
            problems.append(
                _problem(rules, path, f"journal {code!r} does not exist in the target; use {label}" + options)
            )
        elif journal.type not in types:
            problems.append(
                _problem(
                    rules,
                    path,
                    f"journal {code!r} ({journal.description}) is of type {journal.type}, not {label}"
                    + options,
                )
            )
    return problems


def _check_accounts(rules: Rules, reference: ReferenceData) -> list[Problem]:
    wanted: list[tuple[str, str]] = []
    problems = []
    for rule in rules.vat:
        if rule.revenue_account:
            wanted.append((key_path("vat", rule.key, "revenue_account"), rule.revenue_account))
        elif not rules.revenue_account:
            problems.append(
                _problem(
                    rules,
                    key_path("vat", rule.key),
                    "no revenue account for lines at this rate: add revenue_account here, or a default "
                    "revenue_account at the top of the file",
                )
            )
    if rules.revenue_account:
        wanted.append(("revenue_account", rules.revenue_account))
    if rules.discount_account:
        wanted.append(("discount_account", rules.discount_account))
    for path, code in wanted:
        account = find_code(reference.accounts, code)
        if account is None:
            problems.append(_problem(rules, path, f"account {code!r} does not exist in the target"))
        elif account.type != REVENUE_ACCOUNT:
            problems.append(
                _problem(
                    rules,
                    path,
                    f"account {code!r} ({account.description}) is of type {account.type}, not a revenue "
                    f"account (type {REVENUE_ACCOUNT}): the target refuses sales lines on it; pick a revenue "
                    "account",
                )
            )
    return problems


def _check_payment_terms(rules: Rules, reference: ReferenceData) -> list[Problem]:
    terms = rules.payment_terms
    wanted = [("payment_terms.default", terms.default)]
    if terms.direct_debit:
        wanted.append(("payment_terms.direct_debit", terms.direct_debit))
    wanted += [(key_path("payment_terms", "map", key), code) for key, code in terms.map.items()]
    existing = [(c.code.strip(), c.description) for c in reference.payment_conditions.values()]
    problems = []
    for path, code in wanted:
        if find_code(reference.payment_conditions, code) is None:
            options = f"; the target's: {_listed(existing)}" if existing else ""
            problems.append(
                _problem(rules, path, f"payment condition {code!r} does not exist in the target" + options)
            )
    return problems


def required_cost_codes(rules: Rules, reference: ReferenceData) -> list[Problem]:
    """Revenue and discount accounts of the rule file on which the target wants a cost centre or
    unit while the file gives no default: a line no product or category matches would be refused.
    Not in `check_mapping` (the tables may cover every line the source has), but `connector check`
    warns."""
    wanted = [(key_path("vat", r.key, "revenue_account"), r.revenue_account) for r in rules.vat]
    wanted += [("revenue_account", rules.revenue_account), ("discount_account", rules.discount_account)]
    problems = []
    for path, code in wanted:
        account = find_code(reference.accounts, code) if code else None
        if account is None:
            continue
        for needed, section, label in (
            (account.needs_cost_center, "cost_center", "cost centre"),
            (account.needs_cost_unit, "cost_unit", "cost unit"),
        ):
            rule: CostRule | None = getattr(rules, section)
            if needed and (rule is None or not rule.default):
                message = (
                    f"account {code!r} ({account.description}) needs a {label} in the target: a line on "
                    f"it without one is refused; give {section} a default"
                )
                problems.append(_problem(rules, path, message))
    return problems


def check_cost_codes(rules: Rules, reference: ReferenceData, *, inactive: bool = False) -> list[Problem]:
    """A problem for every code of `cost_center:` and `cost_unit:` the target lacks; with `inactive`,
    for every code it has but marks inactive instead (whether a target books on one is not known,
    so `connector check` warns and a run goes on)."""
    problems = []
    for section, label in KINDS:
        rule: CostRule | None = getattr(rules, section)
        if rule is None:
            continue
        known = listing(reference, section)
        for path, code in rule.codes():
            found = find_code(known, code)
            if found is None and not inactive:
                message = f"{label} {code!r} does not exist in the target"
            elif found is not None and not found.active and inactive:
                message = f"{label} {code!r} ({found.description}) is inactive in the target"
            else:
                continue
            problems.append(_problem(rules, key_path(section, *path), message))
    return problems
