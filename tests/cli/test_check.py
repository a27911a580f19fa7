"""`connector check`'s findings against reference data, their severity and the exit code they make."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from connector.cli.check import CheckResult, Finding, check_findings, render_check, settings_findings
from connector.contract.errors import ApiError, Problem
from connector.contract.records import TaxRate
from connector.contract.services import (
    AccountInfo,
    CheckNote,
    CostCode,
    JournalInfo,
    PaymentConditionInfo,
    ReferenceData,
    Service,
    ServiceContext,
    VatCode,
)
from connector.rules.model import (
    CostRule,
    Journals,
    PaymentTermRules,
    PluginSection,
    Rules,
    SyncRules,
    VatRule,
)
from connector.testing.rules import make_rules

D = Decimal
REFERENCE = ReferenceData(
    vat_codes={
        "1": VatCode("1", "BTW 21% incl.", "I", D("0.21")),
        "4": VatCode("4", "BTW 21% excl.", "E", D("0.21")),
        "2": VatCode("2", "BTW 6% excl.", "E", D("0.06")),
    },
    journals={"70": JournalInfo("70", "Verkoopboek", 20), "80": JournalInfo("80", "Inkoopboek", 22)},
    accounts={
        "7000": AccountInfo("7000", "Omzet hoog", 110),
        "7010": AccountInfo("7010", "Omzet laag", 110),
        "4000": AccountInfo("4000", "Kosten", 121),
    },
    payment_conditions={
        "30": PaymentConditionInfo("30", "30 dagen", 30, 0, D("0"), "B"),
        "8K": PaymentConditionInfo("8K", "8 dagen 2% korting", 30, 0, D("0.02"), "B"),
        "DD": PaymentConditionInfo("DD", "Incasso", 30, 0, D("0"), "I"),
    },
)
RATES = [TaxRate("t21", "21%", D("0.21")), TaxRate("t6", "6%", D("0.06"))]


def rules(
    vat: tuple[VatRule, ...] = (VatRule("21%", "4"), VatRule("6%", "2")),
    journal: str = "70",
    account: str = "7000",
    default: str = "30",
    direct_debit: str | None = "DD",
) -> Rules:
    return make_rules(
        source=PluginSection("fake"),
        sink=PluginSection("fake"),
        sync=SyncRules(date(2026, 1, 1), credit_notes=False),
        journals=Journals(invoices=journal),
        vat=vat,
        payment_terms=PaymentTermRules(default=default, direct_debit=direct_debit),
        revenue_account=account,
        locations={"payment_terms.default": (30, 12), "vat": (10, 1), 'vat."9%"': (12, 3)},
    )


def severities(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.severity, f.problem.path) for f in findings)


def test_rules_that_fit_the_reference_data_have_no_findings_and_exit_0() -> None:
    findings = check_findings(rules(), REFERENCE, RATES)
    assert findings == []
    assert CheckResult("acme.yaml", "acme", findings=findings).exit_code == 0


def test_inclusive_code_purchase_journal_cost_account_and_discount_condition_are_errors() -> None:
    findings = check_findings(
        rules(vat=(VatRule("21%", "1"), VatRule("6%", "2")), journal="80", account="4000", default="8K"),
        REFERENCE,
        RATES,
    )
    assert severities(findings) == [
        ("error", "journals.invoices"),
        ("error", "payment_terms.default"),
        ("error", "revenue_account"),
        ("error", 'vat."21%".code'),
    ]
    assert CheckResult("acme.yaml", "acme", findings=findings).exit_code == 2


def test_a_cost_account_gets_revenue_accounts_as_suggestion() -> None:
    findings = check_findings(rules(account="4000"), REFERENCE, RATES)
    assert findings[0].suggestion == "revenue accounts: '7000' (Omzet hoog), '7010' (Omzet laag)"


def test_a_discount_condition_is_an_error_at_its_line_with_the_same_days_without_discount() -> None:
    [finding] = check_findings(rules(default="8K"), REFERENCE, RATES)
    assert (finding.problem.line, finding.problem.column) == (30, 12)
    assert "has a payment discount of 2%" in finding.problem.message
    assert finding.suggestion == "conditions without discount: '30' (30 dagen, 30 days)"


def test_unmapped_rate_unused_rule_and_non_collection_direct_debit_are_warnings_exit_1() -> None:
    findings = check_findings(
        rules(vat=(VatRule("21%", "4"), VatRule("9%", "2")), direct_debit="30"), REFERENCE, RATES
    )
    assert severities(findings) == [
        ("warning", "payment_terms.direct_debit"),
        ("warning", "vat"),
        ("warning", 'vat."9%"'),
    ]
    unused = next(f for f in findings if f.problem.path == 'vat."9%"')
    assert unused.problem.line == 12 and unused.suggestion == "the department's rates: '6%', '21%'"
    assert CheckResult("acme.yaml", "acme", findings=findings).exit_code == 1


def test_a_code_of_another_percentage_than_the_source_rate_is_an_error() -> None:
    findings = check_findings(rules(vat=(VatRule("21%", "2"), VatRule("6%", "2"))), REFERENCE, RATES)
    assert severities(findings) == [("error", 'vat."21%".code')]
    assert "is 6% in the target but source rate '21%' is 21%" in findings[0].problem.message


def test_without_source_rates_only_the_target_is_checked() -> None:
    assert check_findings(rules(vat=(VatRule("9%", "2"),)), REFERENCE, None) == []


def test_the_text_report_names_file_line_severity_and_counts() -> None:
    problem = Problem(3, 5, "journals.invoices", "journal '80' is wrong", file="acme.yaml")
    result = CheckResult(
        "acme.yaml",
        "acme",
        authorized={"source": "me"},
        findings=[Finding("error", problem, "use '70'")],
    )
    text = render_check(result)
    assert "acme.yaml: source authorized as me" in text
    assert "acme.yaml:3:5: error: journals.invoices: journal '80' is wrong\n    suggestion: use '70'" in text
    assert "1 error, 0 warnings" in text
    assert result.to_dict()["findings"][0]["suggestion"] == "use '70'"


class Noting(Service):
    """A service whose own options check finds what a test gives it."""

    name = "noting"

    def __init__(self, notes: list[CheckNote] | Exception) -> None:
        super().__init__({}, ServiceContext("acme", "source"))
        self.notes = notes

    def check_settings(self) -> list[CheckNote]:
        if isinstance(self.notes, Exception):
            raise self.notes
        return self.notes


def test_a_plugins_own_notes_are_shown_at_their_option_and_only_warnings_change_the_exit_code() -> None:
    """`Service.check_settings`: the plugin names its option, the core finds the line."""
    checked = rules()
    checked = dataclasses.replace(checked, locations={**checked.locations, "source.exchange_rate": (7, 3)})
    notes = [
        CheckNote("info", "exchange_rate", "3 invoices read as home_per_foreign"),
        CheckNote("info", "", "department found", "nothing to do"),
    ]
    findings = settings_findings(checked, "source", Noting(notes))
    assert [(f.severity, f.problem.path, f.problem.line) for f in findings] == [
        ("info", "source.exchange_rate", 7),
        ("info", "source", 1),
    ]
    result = CheckResult("acme.yaml", "acme", findings=findings)
    assert result.exit_code == 0 and result.status == "ok"
    text = render_check(result)
    assert "acme.yaml:7:3: info: source.exchange_rate: 3 invoices read as home_per_foreign" in text
    assert "ok: every code exists" in text

    warned = settings_findings(checked, "source", Noting([CheckNote("warning", "exchange_rate", "off")]))
    assert CheckResult("acme.yaml", "acme", findings=warned).exit_code == 1


def test_a_plugin_check_that_cannot_reach_its_account_is_a_warning_not_a_crash() -> None:
    [finding] = settings_findings(rules(), "sink", Noting(ApiError("refused", status=403)))
    assert finding.severity == "warning" and "could not check the sink's settings" in finding.problem.message


def test_a_service_has_no_notes_unless_it_checks_something() -> None:
    assert Service({}, ServiceContext("acme", "sink")).check_settings() == []


def test_a_cost_centre_the_target_lacks_is_an_error_with_the_closest_active_codes() -> None:
    reference = dataclasses.replace(
        REFERENCE,
        cost_centers={
            "100": CostCode("100", "Verkoop"),
            "110": CostCode("110", "Oud", active=False),
            "200": CostCode("200", "Opleidingen"),
        },
        cost_units={"P01": CostCode("P01", "Consultancy")},
    )
    costed = dataclasses.replace(
        rules(),
        cost_center=CostRule(default="101", product=MappingProxyType({"prod-1": "110"})),
        cost_unit=CostRule(default="P01"),
    )
    found = {f.problem.path: f for f in check_findings(costed, reference, RATES)}
    missing, inactive = found["cost_center.default"], found['cost_center.product."prod-1"']
    assert (missing.severity, missing.problem.message) == (
        "error",
        "cost centre '101' does not exist in the target",
    )
    assert missing.suggestion == "cost centres: '100' (Verkoop), '200' (Opleidingen)", (
        "inactive ones are not offered"
    )
    assert (inactive.severity, inactive.problem.message) == (
        "warning",
        "cost centre '110' (Oud) is inactive in the target",
    )
    assert "cost_unit.default" not in found


def test_an_account_that_needs_a_cost_centre_without_a_default_is_a_warning() -> None:
    accounts = dict(REFERENCE.accounts)
    accounts["7000"] = dataclasses.replace(accounts["7000"], needs_cost_center=True)
    reference = dataclasses.replace(
        REFERENCE, accounts=accounts, cost_centers={"100": CostCode("100", "Verkoop")}
    )
    found = [f for f in check_findings(rules(), reference, RATES) if f.problem.path == "revenue_account"]
    assert [(f.severity, f.problem.message) for f in found] == [
        (
            "warning",
            "account '7000' (Omzet hoog) needs a cost centre in the target: a line on it without one is "
            "refused; give cost_center a default",
        )
    ]
    with_default = dataclasses.replace(rules(), cost_center=CostRule(default="100"))
    assert not [
        f for f in check_findings(with_default, reference, RATES) if f.problem.path == "revenue_account"
    ]
