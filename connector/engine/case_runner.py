"""Running the rule file's cases offline, through the mapping code of a real run.

Each case's document goes the way the documents flow takes it (`document_booking`): the source's
own refusal (`Document.failure`), the `fields:` templates (`your_ref`, `description`),
`build_entry` with the payment terms, against reference data that `check_mapping` accepted. No
service is built and nothing is read from the network: the reference data is the offline one
(`case_reference`). What differs from the expectation is listed per key path, the case's file:line
first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.contract.errors import Problem, RecordError, RecordFailed, RecordSkipped
from connector.contract.records import Customer, Document, JournalEntry
from connector.engine import payment_reference
from connector.engine.case_reference import OfflineReference, offline_reference
from connector.engine.mapping import build_entry
from connector.engine.preflight import check_mapping
from connector.engine.templates import Templates
from connector.rules.case_model import Case, ExpectedEntry
from connector.rules.model import Rules

LINE_KEYS = ("account", "vat_code", "amount", "vat_amount", "description", "cost_center", "cost_unit")
# The refusals a case names by kind (`fails: unmapped rate`); other words are looked for in the message.
REFUSALS = {
    "unmapped rate": lambda error: isinstance(error, RecordSkipped) and error.field == "vat",
    "no revenue account": lambda error: error.message.startswith("no revenue account"),
    "no journal": lambda error: error.message.startswith("no journal"),
    "no lines": lambda error: "has no lines" in error.message,
    "totals do not add up": lambda error: isinstance(error, RecordFailed),
    "not synced": lambda error: "not synced" in error.message,
}


@dataclass(frozen=True)
class Outcome:
    """What one case gave: the entry (as an expectation would state it) or the refusal."""

    case: Case
    entry: dict[str, Any] | None
    refusal: str | None
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class CaseRun:
    """Every case's outcome, or the problems that kept them from running (a mapping the codes refuse)."""

    outcomes: tuple[Outcome, ...]
    reference: OfflineReference
    problems: tuple[Problem, ...] = ()

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(outcome for outcome in self.outcomes if not outcome.passed)


def customer_match(customer: Customer, rules: Rules) -> str:
    """How an account not linked yet is looked up: the first `customers.match` key the customer
    has, with its value, or `none` (a new account is made)."""
    for key in rules.customers.match:
        value = getattr(customer, key, None)
        if value:
            return f"{key} {value}"
    return "none"


def entry_view(entry: JournalEntry, document: Document, rules: Rules) -> dict[str, Any]:
    """The entry as a case's `expect:` states it."""
    return {
        "journal": entry.journal,
        "customer": {"name": document.customer.name, "match": customer_match(document.customer, rules)},
        "your_ref": entry.your_ref,
        "description": entry.description,
        "payment_condition": entry.payment_condition,
        "payment_reference": entry.payment_reference,
        "currency": entry.currency,
        "exchange_rate": entry.exchange_rate,
        "lines": [
            {
                "account": line.account,
                "vat_code": line.vat_code,
                "amount": line.amount,
                "vat_amount": line.vat_amount,
                "description": line.description,
                "cost_center": line.cost_center,
                "cost_unit": line.cost_unit,
            }
            for line in entry.lines
        ],
    }


def map_document(document: Document, rules: Rules, templates: Templates, reference: OfflineReference) -> Any:
    """The entry view for `document`, or the `RecordError` a run would report for it."""
    synced = rules.sync.invoices if document.kind == "invoice" else rules.sync.credit_notes
    try:
        if not synced:
            name = "invoices" if document.kind == "invoice" else "credit_notes"
            raise RecordSkipped(f"{name} are not synced (sync.{name}: false)", record_id=document.key)
        if document.failure is not None:
            raise RecordFailed(document.failure.message, record_id=document.key, hint=document.failure.hint)
        your_ref = templates.your_ref(document)
        description = templates.description(document)
        paying = payment_reference.check(templates.payment_reference(document)).value
        entry = build_entry(document, rules, reference.data, "", your_ref, description)
        entry = dataclasses.replace(entry, payment_reference=paying)
    except RecordError as error:
        return error
    return entry_view(entry, document, rules)


def refused_as(error: RecordError, wanted: str) -> bool:
    kind = REFUSALS.get(" ".join(wanted.lower().split()))
    if kind is not None:
        return kind(error)
    return wanted.lower() in error.message.lower()


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return repr(value) if isinstance(value, str) else str(value)


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Decimal) or isinstance(actual, Decimal):
        return actual is not None and expected is not None and Decimal(expected) == Decimal(actual)
    return bool(expected == actual)


def compare(expect: ExpectedEntry, actual: dict[str, Any]) -> Iterator[str]:
    """One line per key whose value differs, as `path: expected X, got Y`."""
    for item in fields(expect):
        wanted = getattr(expect, item.name)
        if wanted is None:
            continue
        got = actual[item.name]
        if item.name == "customer":
            for key in ("name", "match"):
                value = getattr(wanted, key)
                if value is not None and value != got[key]:
                    yield f"customer.{key}: expected {_show(value)}, got {_show(got[key])}"
        elif item.name == "lines":
            if len(wanted) != len(got):
                yield f"lines: expected {len(wanted)} lines, got {len(got)}"
            for index, (line, booked) in enumerate(zip(wanted, got, strict=False)):
                for key in LINE_KEYS:
                    value = getattr(line, key)
                    if value is not None and not _same(value, booked[key]):
                        yield f"lines[{index}].{key}: expected {_show(value)}, got {_show(booked[key])}"
            for index, booked in enumerate(got[len(wanted) :], start=len(wanted)):
                yield f"lines[{index}]: not expected, got {_line(booked)}"
        elif not _same(wanted, got):
            yield f"{item.name}: expected {_show(wanted)}, got {_show(got)}"


def _line(line: dict[str, Any]) -> str:
    amounts = f"{_show(line['amount'])} + VAT {_show(line['vat_amount'])}"
    return f"account {line['account']}, VAT code {line['vat_code']}: {amounts}"


def judge(case: Case, result: Any) -> Outcome:
    """The outcome of `case` given what the mapping made of its document."""
    if isinstance(result, RecordError):
        refusal = result.message
        if case.fails is not None:
            if refused_as(result, case.fails):
                return Outcome(case, None, refusal, ())
            return Outcome(case, None, refusal, (f"expected the refusal {case.fails!r}, got {refusal!r}",))
        return Outcome(case, None, refusal, (f"expected an entry, got the refusal {refusal!r}",))
    if case.fails is not None:
        return Outcome(case, result, None, (f"expected the refusal {case.fails!r}, got an entry",))
    assert case.expect is not None, "a case has expect or fails (cases.read_cases)"
    return Outcome(case, result, None, tuple(compare(case.expect, result)))


def run_cases(rules: Rules, reference: OfflineReference) -> CaseRun:
    """Every case of `rules`, against `reference`; nothing runs when the mapping refuses its codes."""
    problems = check_mapping(rules, reference.data)
    if problems:
        return CaseRun((), reference, tuple(problems))
    templates = Templates(rules)
    outcomes = tuple(
        judge(case, map_document(case.document, rules, templates, reference)) for case in rules.tests.cases
    )
    return CaseRun(outcomes, reference)


def where(rules: Rules, case: Case) -> str:
    return f"{rules.path or rules.client}:{case.line}:{case.column}"


def render(rules: Rules, run: CaseRun) -> list[str]:
    """What `connector test` prints: each failing case with its place and differences, then a count."""
    lines = []
    for outcome in run.failed:
        lines.append(f"{where(rules, outcome.case)}: test {outcome.case.name!r} failed")
        lines += [f"  {difference}" for difference in outcome.differences]
    passed = len(run.outcomes) - len(run.failed)
    lines.append(
        f"{passed} of {len(run.outcomes)} case{'s' * (len(run.outcomes) != 1)} passed, mapped against "
        f"{run.reference.origin}"
    )
    return lines


def check_cases(rules: Rules, state_dir: Path | None) -> tuple[CaseRun, list[str]]:
    """Run the cases against the offline reference data; what to print (problems or failures)."""
    run = run_cases(rules, offline_reference(rules, state_dir))
    if run.problems:
        return run, [str(problem) for problem in run.problems]
    return run, render(rules, run) if run.failed else []
