"""Which reference data the rule file's cases are mapped against, offline.

The mapping needs the target's codes (VAT codes with their type, journals, accounts, payment
conditions), and `connector test` reads no service. In this order:

1. the `tests.reference` block (or the file it names): the consultant wrote down the codes, so
   the cases give the same result on every machine;
2. the reference data `connector check`, `init` or a run last read from the target, kept in the
   client's state directory (`connector.state.refcache`), however old: the codes as the target
   had them then;
3. otherwise what the rule file itself names: every VAT code exclusive, with the percentage its
   `vat:` key states; every journal a sales journal; every account a revenue account; every
   payment condition present but never chosen automatically; every cost centre and unit present.
   The codes were not checked against the target, and the summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from connector.contract.services import (
    AccountInfo,
    CostCode,
    JournalInfo,
    PaymentConditionInfo,
    ReferenceData,
    VatCode,
)
from connector.engine.mapping import REVENUE_ACCOUNT, SALES_JOURNAL
from connector.engine.preflight import rate_in
from connector.rules.model import Rules
from connector.state.refcache import ReferenceCache

NOT_AUTOMATIC = ""  # a method no condition is chosen automatically by (payment_terms.py wants B)


@dataclass(frozen=True)
class OfflineReference:
    """The reference data cases are mapped against, and a sentence saying where it came from."""

    data: ReferenceData
    origin: str
    checked: bool  # False: made up from the rule file, not the target's own codes


def from_rule_file(rules: Rules) -> ReferenceData:
    """The target's codes as the rule file names them (step 3 of the module's docstring)."""
    vat = {
        rule.code: VatCode(rule.code, rule.key, "E", rate_in(rule.key) or Decimal(0)) for rule in rules.vat
    }
    journals = {
        code: JournalInfo(code, "", SALES_JOURNAL)
        for code in (rules.journals.invoices, rules.journals.credit_notes)
        if code
    }
    accounts = {
        code: AccountInfo(code, "", REVENUE_ACCOUNT)
        for code in (rules.revenue_account, rules.discount_account, *(r.revenue_account for r in rules.vat))
        if code
    }
    terms = rules.payment_terms
    conditions = {
        code: PaymentConditionInfo(code, "", 0, 0, Decimal(0), NOT_AUTOMATIC)
        for code in (terms.default, terms.direct_debit, *terms.map.values())
        if code
    }
    costs = {
        section: {code: CostCode(code, "") for _, code in rule.codes()} if rule else {}
        for section, rule in (("cost_center", rules.cost_center), ("cost_unit", rules.cost_unit))
    }
    return ReferenceData(vat, journals, accounts, conditions, costs["cost_center"], costs["cost_unit"])


def offline_reference(rules: Rules, state_dir: Path | None) -> OfflineReference:
    """The reference data for `rules`' cases (see the module's docstring for the order)."""
    cases = rules.tests
    if cases.reference is not None:
        where = cases.reference_file or "the tests: section"
        return OfflineReference(cases.reference, f"the target's codes as {where} states them", True)
    if state_dir is not None:
        kept = ReferenceCache.for_client(state_dir, rules.client).kept_sink(
            rules.sink.plugin, rules.sink.options
        )
        if kept is not None:
            data, at = kept
            return OfflineReference(data, f"the target's codes as read on {_moment(at)}", True)
    return OfflineReference(
        from_rule_file(rules),
        "the codes the rule file names, not checked against the target (run `connector check` "
        "once to keep the target's, or give them in tests.reference)",
        False,
    )


def _moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
