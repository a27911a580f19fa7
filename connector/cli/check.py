"""`connector check`: the rule file against both systems' live reference data, before syncing.

What a consultant runs before switching automatic sync on. It proves both authorizations work,
then reads the target's VAT codes, journals, accounts and payment conditions and the source's tax
rates (cached for an hour: see `connector.state.refcache`), and reports every problem at its line:

- errors (exit 2), which stop or falsify a run: what `check_mapping` finds (a VAT code missing or
  not exclusive, a journal that is not a sales journal, an account missing or not revenue, a
  payment condition missing); a payment condition with a payment discount (the source has none, so
  the target would expect less than the invoice says); a VAT code whose percentage is not the
  source rate's;
- warnings (exit 1): a source tax rate the file does not map (its documents are skipped); a VAT
  rule that matches no source tax rate; a direct-debit condition that is not a collection condition;
- what each plugin finds checking its own options against its account (`Service.check_settings`),
  at the severity it gives: errors, warnings, or notes (`info`, shown without changing the exit code).

Each comes with a suggestion where one can be made: the closest codes by percentage and description.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from connector.cli.check_periods import period_notes
from connector.contract.errors import (
    EXIT_CONFIGURATION,
    EXIT_OK,
    EXIT_PARTIAL,
    AuthorizationNeeded,
    ConfigurationError,
    ConnectorError,
    Problem,
)
from connector.contract.plugins import Plugins
from connector.contract.records import TaxRate
from connector.contract.services import (
    AccountInfo,
    CheckNote,
    PaymentConditionInfo,
    ReferenceData,
    Service,
    Sink,
)
from connector.engine.mapping import REVENUE_ACCOUNT, find_code, fraction, key_path, percent
from connector.engine.payment_terms import code_sort_key
from connector.engine.preflight import check_mapping, check_tax_rates
from connector.engine.runner import build_services
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.refcache import Fetched, ReferenceCache
from connector.state.store import StateStore

Severity = Literal["error", "warning", "info"]
COLLECTION = "I"
ON_CREDIT = "B"
SUGGESTIONS = 3
_WORD = re.compile(r"[a-z0-9%.,]+")


@dataclass(frozen=True)
class Finding:
    severity: Severity
    problem: Problem
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        p = self.problem
        return {
            "severity": self.severity,
            "file": p.file,
            "line": p.line,
            "column": p.column,
            "path": p.path,
            "message": p.message,
            "suggestion": self.suggestion,
        }


@dataclass
class CheckResult:
    file: str
    client: str
    authorized: dict[str, str] = field(default_factory=dict)  # side -> who
    findings: list[Finding] = field(default_factory=list)
    fetched: dict[str, Fetched] = field(default_factory=dict)
    checklist: list[str] = field(default_factory=list)  # to verify on the real accounts before going live

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def notes(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "info"]

    @property
    def exit_code(self) -> int:
        if self.errors:
            return EXIT_CONFIGURATION
        return EXIT_PARTIAL if self.warnings else EXIT_OK

    @property
    def status(self) -> str:
        return "errors" if self.errors else "warnings" if self.warnings else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "client": self.client,
            "status": self.status,
            "exit_code": self.exit_code,
            "authorized": self.authorized,
            "findings": [finding.to_dict() for finding in self.findings],
            "reference_data": {
                side: {"read_at": fetched.at.isoformat(), "from_cache": fetched.cached}
                for side, fetched in self.fetched.items()
            },
            "before_going_live": self.checklist,
        }


def run_check(
    rules: Rules, plugins: Plugins, *, state_dir: Path | None = None, refresh: bool = False
) -> CheckResult:
    """Authorize both sides, read their reference data (or the cache), and check `rules` against it."""
    directory = state_dir_for(rules.path or Path("."), state_dir)
    result = CheckResult(str(rules.path or rules.client), rules.client)
    with ClientLock(directory, rules.client), StateStore.for_client(directory, rules.client) as state:
        source, sink = build_services(rules, plugins, state)
        result.checklist = [*source.go_live_checklist, *sink.go_live_checklist]
        cache = ReferenceCache.for_client(directory, rules.client)
        try:
            result.authorized["source"] = source.check_authorization()
            result.authorized["sink"] = sink.check_authorization()
            reference = cache.sink_reference(sink, refresh=refresh)
            try:
                rates: list[TaxRate] | None = cache.source_tax_rates(source, refresh=refresh)
            except ConfigurationError as error:  # the department does not exist, say
                rates = None
                message = error.message + (f"; {error.hint}" if error.hint else "")
                result.findings.append(Finding("error", where(rules, "source", message)))
            result.findings += settings_findings(rules, "source", source)
            result.findings += settings_findings(rules, "sink", sink)
            result.findings += period_findings(rules, sink, state, date.today())
        finally:
            source.close()
            sink.close()
        result.fetched = dict(cache.fetched)
    result.findings += check_findings(rules, reference, rates)
    result.findings.sort(key=lambda f: (f.problem.line, f.problem.column, f.problem.path))
    return result


def period_findings(rules: Rules, sink: Sink, state: StateStore, today: date) -> list[Finding]:
    notes = period_notes(rules, sink, state, today)
    return [Finding(severity, where(rules, path, message), hint) for severity, path, message, hint in notes]  # type: ignore[arg-type]


def check_findings(rules: Rules, reference: ReferenceData, rates: list[TaxRate] | None) -> list[Finding]:
    """Every finding of `rules` against the reference data (`rates` None: the source was unreadable)."""
    findings = [
        Finding("error", problem, account_suggestion(problem, reference))
        for problem in check_mapping(rules, reference)
    ]
    findings += condition_findings(rules, reference)
    if rates is not None:
        findings += rate_findings(rules, reference, rates)
    return findings


def settings_findings(rules: Rules, side: str, service: Service) -> list[Finding]:
    """What `service` finds checking its own options, placed at their keys in the rule file."""
    try:
        notes = service.check_settings()
    except AuthorizationNeeded:
        raise
    except ConnectorError as error:
        message = f"could not check the {side}'s settings against its account: {error}"
        return [Finding("warning", where(rules, side, message))]
    return [note_finding(rules, side, note) for note in notes]


def note_finding(rules: Rules, side: str, note: CheckNote) -> Finding:
    path = f"{side}.{note.option}" if note.option else side
    return Finding(note.severity, where(rules, path, note.message), note.suggestion)


def where(rules: Rules, path: str, message: str) -> Problem:
    line, column = rules.where(path)
    return Problem(line, column, path, message, file=str(rules.path) if rules.path else "")


# ---------------------------------------------------------------- payment conditions


def condition_findings(rules: Rules, reference: ReferenceData) -> list[Finding]:
    terms = rules.payment_terms
    wanted = [("payment_terms.default", terms.default)]
    wanted += [(key_path("payment_terms", "map", key), code) for key, code in terms.map.items()]
    if terms.direct_debit:
        wanted.append(("payment_terms.direct_debit", terms.direct_debit))
    conditions = list(reference.payment_conditions.values())
    findings = []
    for path, code in wanted:
        condition = find_code(reference.payment_conditions, code)
        if condition is None:
            continue  # check_mapping reports it
        direct_debit = path == "payment_terms.direct_debit"
        if Decimal(condition.discount_percentage) != 0:
            alike = [
                c
                for c in conditions
                if Decimal(c.discount_percentage) == 0
                and c.days == condition.days
                and c.method.strip().upper()
                == (COLLECTION if direct_debit else condition.method.strip().upper())
            ]
            findings.append(
                Finding(
                    "error",
                    where(
                        rules,
                        path,
                        f"payment condition {code!r} ({condition.description}) has a payment discount of "
                        f"{percent(fraction(Decimal(condition.discount_percentage)))}: the source's "
                        "documents have none, so the target would expect less than the invoice says",
                    ),
                    listed("conditions without discount", alike),
                )
            )
        elif direct_debit and condition.method.strip().upper() != COLLECTION:
            collection = [c for c in conditions if c.method.strip().upper() == COLLECTION]
            findings.append(
                Finding(
                    "warning",
                    where(
                        rules,
                        path,
                        f"payment condition {code!r} ({condition.description}) is not a collection "
                        f"condition (method {condition.method or '-'}, not {COLLECTION}): direct-debit "
                        "invoices would not be collected",
                    ),
                    listed("collection conditions", collection),
                )
            )
    return findings


def listed(what: str, conditions: Iterable[PaymentConditionInfo]) -> str:
    found = sorted(conditions, key=lambda c: code_sort_key(c.code))
    if not found:
        return f"the target has no {what} of this kind: create one there"
    shown = ", ".join(f"{c.code.strip()!r} ({c.description}, {c.days} days)" for c in found[:SUGGESTIONS])
    return f"{what}: {shown}"


# ---------------------------------------------------------------- accounts


def account_suggestion(problem: Problem, reference: ReferenceData) -> str | None:
    """For an account problem: the revenue accounts closest to the code and the rule it stands in."""
    if not problem.path.endswith(("revenue_account", "discount_account")):
        return None
    revenue = [a for a in reference.accounts.values() if a.type == REVENUE_ACCOUNT]
    if not revenue:
        return "the target has no revenue account (type 110): create one there"
    found = re.search(r"account '([^']*)'", problem.message)
    code = found.group(1) if found else ""
    hint = problem.path.split(".")[1] if problem.path.startswith("vat.") else problem.path
    closest = closest_accounts(code, hint, revenue)
    return "revenue accounts: " + ", ".join(f"{a.code.strip()!r} ({a.description})" for a in closest)


def closest_accounts(code: str, hint: str, accounts: list[AccountInfo]) -> list[AccountInfo]:
    def score(account: AccountInfo) -> tuple[float, tuple[int, int, str]]:
        by_code = difflib.SequenceMatcher(None, code, account.code.strip()).ratio()
        by_words = similarity(hint, account.description)
        return (-(by_code + by_words), code_sort_key(account.code))

    return sorted(accounts, key=score)[:SUGGESTIONS]


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold().replace("(", " ").replace(")", " ")))


def similarity(left: str, right: str) -> float:
    """Shared words first (`0% ICL` is closest to `... 0% (ICL)`), then the characters."""
    shared = len(words(left) & words(right))
    return shared + difflib.SequenceMatcher(None, left.casefold(), right.casefold()).ratio()


# ---------------------------------------------------------------- source tax rates


def rate_findings(rules: Rules, reference: ReferenceData, rates: list[TaxRate]) -> list[Finding]:
    findings = []
    for rate in rates:
        unmapped = rules.vat_rule(rate.id, rate.description) is None
        for problem in check_tax_rates(rules, reference, [rate]):
            findings.append(Finding("warning" if unmapped else "error", problem))
    used = {id(rules.vat_rule(rate.id, rate.description)) for rate in rates}
    for rule in rules.vat:
        if id(rule) in used:
            continue
        names = [rate.description for rate in rates]
        close = difflib.get_close_matches(rule.key, names, n=SUGGESTIONS, cutoff=0.3)
        findings.append(
            Finding(
                "warning",
                where(
                    rules,
                    key_path("vat", rule.key),
                    f"{rule.key!r} is no tax rate of the source's department (neither its description "
                    "nor its id): no document uses this rule",
                ),
                "the department's rates: " + ", ".join(repr(name) for name in close or names)
                if names
                else None,
            )
        )
    return findings


# ---------------------------------------------------------------- output


def render_check(result: CheckResult) -> str:
    lines = [f"{result.file}: {side} authorized as {who}" for side, who in result.authorized.items()]
    for finding in result.findings:
        p = finding.problem
        lines.append(
            f"{p.file or result.file}:{p.line}:{p.column}: {finding.severity}: {p.path}: {p.message}"
        )
        if finding.suggestion:
            lines.append(f"    suggestion: {finding.suggestion}")
    ages = [
        f"{side} {'cached' if f.cached else 'read'} at {f.at:%H:%M:%S}" for side, f in result.fetched.items()
    ]
    read = f" (reference data: {', '.join(ages)}; --refresh reads it again)" if ages else ""
    if not result.errors and not result.warnings:
        lines.append(
            f"{result.file}: ok: every code exists and fits, every tax rate of the source is mapped{read}"
        )
    else:
        errors, warnings = len(result.errors), len(result.warnings)
        counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        lines.append(f"{result.file}: {counts}{read}")
        if errors:
            lines.append(
                "  while these errors stand, a run stops before booking anything, or leaves out the "
                "documents they concern (reported as failed); nothing is lost: fix them, check again, "
                "and the next run books what waited"
            )
    if result.checklist:
        lines.append("before going live, verify once on the real accounts (docs/accounting.md):")
        lines += [f"  [ ] {item}" for item in result.checklist]
    return "\n".join(lines)
