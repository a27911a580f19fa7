"""`connector reconcile`'s reading: both sides of a period, within the budget, into `reconcile.compare`.

First each side counts what it will read (a cheap call or two: the source's listing, kept for the
read, and the target's count); the caller is told the estimate before anything else is spent, and a
dry run stops there. The target's remaining daily budget, as its count's answer announced it, must
hold the read, or nothing more is read. Then the source's documents go through the same mapping
a run uses (`mapping.build_entry`, the rule file's templates and the customer links in the state),
so the comparison is with what a run would have booked.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from connector.contract.errors import ConfigurationError, Paused, RecordError
from connector.contract.plugins import Plugins
from connector.contract.reconciliation import Reconciliation
from connector.contract.records import Document, DocumentKind, EntryLine, cents
from connector.contract.services import ReadCost, ReferenceData, Service, Sink, Source
from connector.engine.mapping import build_entry, percent
from connector.engine.reconcile import Expected, compare
from connector.engine.runner import build_services
from connector.engine.templates import Templates
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.store import StateStore

NO_REFERENCE = ReferenceData(vat_codes={}, journals={}, accounts={}, payment_conditions={})
"""The payment condition is not compared, and it is all the target's reference data would decide."""


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    asked_start: date  # before the rule file's start date moved it

    @property
    def moved(self) -> bool:
        return self.start != self.asked_start


@dataclass(frozen=True)
class Estimate:
    source: ReadCost
    sink: ReadCost
    titles: dict[str, str]  # per side, the service's own name, for people
    left: dict[str, int | None]  # per side, the day's calls left as the count's answer announced

    @property
    def costs(self) -> dict[str, ReadCost]:
        return {"source": self.source, "sink": self.sink}

    def to_dict(self) -> dict[str, dict[str, int | None]]:
        return {
            side: {"records": cost.records, "calls": cost.calls, "left_today": self.left.get(side)}
            for side, cost in self.costs.items()
        }


@dataclass(frozen=True)
class Outcome:
    period: Period
    estimate: Estimate
    calls: dict[str, int]
    result: Reconciliation | None  # None for a dry run


def kinds_of(rules: Rules) -> list[DocumentKind]:
    kinds: list[DocumentKind] = []
    if rules.sync.invoices:
        kinds.append("invoice")
    if rules.sync.credit_notes:
        kinds.append("credit_note")
    return kinds


def journal_of(rules: Rules, kind: DocumentKind) -> str:
    journal = rules.journals.invoices if kind == "invoice" else rules.journals.credit_notes
    return (journal or "").strip()


def journals_of(rules: Rules) -> list[str]:
    return sorted({journal for kind in kinds_of(rules) if (journal := journal_of(rules, kind))})


def last_month(today: date) -> tuple[date, date]:
    """The month before `today`'s: what a reconcile on the 2nd of a month proves."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def period_for(rules: Rules, start: date, end: date) -> Period:
    """The period asked, starting no earlier than the rule file's start date: what comes before it
    is never synced, so nothing of it is expected in the target."""
    if end < start:
        raise ConfigurationError(
            f"the period ends ({end}) before it starts ({start})", hint="give --from before --to"
        )
    first = max(start, rules.sync.start_date)
    if first > end:
        raise ConfigurationError(
            f"the period {start} to {end} is before the rule file's start date {rules.sync.start_date}",
            hint="nothing before sync.start_date is synced, so there is nothing to compare",
        )
    return Period(first, end, start)


def expected_of(document: Document, rules: Rules, templates: Templates, state: StateStore) -> Expected:
    """What the target should hold for `document`: what a run books, or why it cannot."""
    link = state.customer_link_get(document.customer.id)
    ledger = state.ledger_get(document.key)
    customer = link.target_id if link is not None else None
    problem: str | None = document.failure.message if document.failure is not None else None
    your_ref, lines = document.number, _unmapped_lines(document, rules)
    if problem is None:
        try:
            your_ref = templates.your_ref(document)
            entry = build_entry(
                document, rules, NO_REFERENCE, customer or "", your_ref, templates.description(document)
            )
            lines = entry.lines
        except RecordError as error:
            problem = error.message
    return Expected(
        source_key=document.key,
        number=document.number,
        kind=document.kind,
        journal=journal_of(rules, document.kind),
        your_ref=your_ref,
        date=document.date,
        currency=document.currency,
        lines=lines,
        customer_target_id=customer,
        exchange_rate=document.exchange_rate,
        paid=document.paid if document.kind == "invoice" else None,
        target_id=ledger.target_id if ledger is not None and ledger.done else None,
        problem=problem,
    )


def _unmapped_lines(document: Document, rules: Rules) -> tuple[EntryLine, ...]:
    """A document the mapping refuses, by the source's own totals per rate: under the rate's VAT
    code where the rule file maps it, else under `12% (not mapped)`."""
    codes: dict[Decimal, str] = {}
    for line in document.lines:
        rule = rules.vat_rule(line.tax_rate.id, line.tax_rate.description)
        codes.setdefault(
            line.tax_rate.rate, rule.code if rule else f"{percent(line.tax_rate.rate)} (not mapped)"
        )
    return tuple(
        EntryLine(
            "", codes.get(tax.rate, f"{percent(tax.rate)} (not mapped)"), cents(tax.taxable), cents(tax.tax)
        )
        for tax in document.totals.taxes
    )


def estimate(source: Source, sink: Sink, rules: Rules, period: Period) -> Estimate:
    return Estimate(
        source.count_booked(kinds_of(rules), period.start, period.end),
        sink.count_entries(journals_of(rules), period.start, period.end),
        {"source": source.title or source.name, "sink": sink.title or sink.name},
        {
            side: budget.remaining if (budget := service.context.day_budget) else None
            for side, service in (("source", source), ("sink", sink))
        },
    )


def check_budget(service: Service, cost: ReadCost, side: str) -> None:
    """Stop before reading when the day's budget left (as last announced) cannot hold the read."""
    budget = service.context.day_budget
    needed = cost.calls - cost.spent
    if budget is not None and needed > budget.remaining:
        title = service.title or service.name
        raise Paused(
            f"{title} ({side}) has {budget.remaining} API calls left today; reading the period takes "
            f"about {needed}",
            service=title,
            resumes_at=budget.resets_at,
            hint=f"reconcile a shorter period (--from/--to), or again after the reset at "
            f"{budget.resets_at:%Y-%m-%d %H:%M} UTC",
        )


def reconcile_once(
    rules: Rules,
    plugins: Plugins,
    start: date,
    end: date,
    *,
    dry_run: bool = False,
    state_dir: Path | None = None,
    lock: bool = True,
    on_estimate: Callable[[Period, Estimate], None] | None = None,
    on_services: Callable[[Source, Sink], None] | None = None,
    context_overrides: dict[str, object] | None = None,
) -> Outcome:
    """Read both sides of the period and compare them; `on_estimate` hears the cost first, and
    `on_services` gets both services before their first call (to say what their budgets wait for)."""
    period = period_for(rules, start, end)
    directory = state_dir_for(rules.path or Path("."), state_dir)
    held = ClientLock(directory, rules.client) if lock else contextlib.nullcontext()
    with held, StateStore.for_client(directory, rules.client) as state:
        source, sink = build_services(rules, plugins, state, context_overrides)
        if on_services is not None:
            on_services(source, sink)
        try:
            found = estimate(source, sink, rules, period)
            if on_estimate is not None:
                on_estimate(period, found)
            result = None
            if not dry_run:
                check_budget(source, found.source, "source")
                check_budget(sink, found.sink, "sink")
                documents = list(source.booked_documents(kinds_of(rules), period.start, period.end))
                entries = sink.booked_entries(journals_of(rules), period.start, period.end)
                templates = Templates(rules)
                expected = [expected_of(document, rules, templates, state) for document in documents]
                result = compare(period.start, period.end, expected, entries)
            calls = {"source": source.calls_used, "sink": sink.calls_used}
            if result is not None:
                result = dataclasses.replace(result, calls=calls)
                plugins.reconcile_finished(rules, result)
        finally:
            source.close()
            sink.close()
    return Outcome(period, found, calls, result)
