"""The engine's flows against a fake source and a recording sink: what gets booked, linked, paid."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connector import hookimpl
from connector.contract.errors import RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.records import (
    Customer,
    Document,
    Failure,
    JournalEntry,
    Line,
    PaymentStatus,
    TaxRate,
    TaxTotal,
    Totals,
    cents,
)
from connector.contract.services import (
    AccountInfo,
    JournalInfo,
    PaymentConditionInfo,
    ReferenceData,
    VatCode,
)
from connector.engine.runner import flows_for, run_once
from connector.reporting.render import render_report
from connector.rules.model import Rules, SyncRules, VatRule
from connector.state.store import StateStore
from connector.testing import FakeSink, FakeSource
from connector.testing.rules import make_rules

RATE_21 = TaxRate("tr-21", "21%", Decimal("0.21"))
RATE_6 = TaxRate("tr-6", "6%", Decimal("0.06"))
PIED_PIPER = Customer("c-1", "company", "Pied Piper", vat_number="BE0899623035")
HOOLI = Customer("c-2", "company", "Hooli", vat_number="BE0477472701")

REFERENCE = ReferenceData(
    vat_codes={
        "4": VatCode("4", "21% excl", "E", Decimal("0.21")),
        "2": VatCode("2", "6% excl", "E", Decimal("0.06")),
        "1": VatCode("1", "21% incl", "I", Decimal("0.21")),
    },
    journals={"70": JournalInfo("70", "Verkoopboek", 20), "71": JournalInfo("71", "Creditnota's", 21)},
    accounts={"7000": AccountInfo("7000", "Omzet", 110, "gl-7000")},
    payment_conditions={"30": PaymentConditionInfo("30", "30 dagen", 30, 0, Decimal(0), "B")},
)


def rules_for(tmp_path: Path, **changes: object) -> Rules:
    rules = make_rules(
        vat=(VatRule("21%", "4"),),
        revenue_account="7000",
        path=tmp_path / "acme.yaml",
    )
    return dataclasses.replace(rules, **changes)  # type: ignore[arg-type]


def document(
    number: int,
    *,
    kind: str = "invoice",
    customer: Customer = PIED_PIPER,
    lines: tuple[tuple[str, str, TaxRate], ...] = (("Consultancy", "100.00", RATE_21),),
    day: int = 10,
    updated: int = 1,
) -> Document:
    built = tuple(
        Line(text, Decimal(1), Decimal(price), rate, Decimal(price), Decimal(price))
        for text, price, rate in lines
    )
    per_rate: dict[Decimal, Decimal] = {}
    for line in built:
        per_rate[line.tax_rate.rate] = per_rate.get(line.tax_rate.rate, Decimal(0)) + line.amount
    taxes = tuple(TaxTotal(rate, taxable, cents(taxable * rate)) for rate, taxable in per_rate.items())
    excluding = sum((t.taxable for t in taxes), Decimal(0))
    including = excluding + sum((t.tax for t in taxes), Decimal(0))
    return Document(
        id=f"{kind}-{number}",
        kind=kind,  # type: ignore[arg-type]
        number=f"2026 / {number}",
        date=date(2026, 3, day),
        customer=customer,
        currency="EUR",
        lines=built,
        totals=Totals(excluding, including, taxes, payable=including, due=including),
        updated_at=datetime(2026, 3, day, 12, updated, tzinfo=UTC),
    )


@pytest.fixture
def plugins() -> Iterator[Plugins]:
    class Fakes:
        @hookimpl
        def register_sources(self, register: object) -> None:
            register(FakeSource)  # type: ignore[operator]

        @hookimpl
        def register_sinks(self, register: object) -> None:
            register(FakeSink)  # type: ignore[operator]

    loaded = Plugins.load()
    fakes = Fakes()
    loaded.manager.register(fakes)
    FakeSource.reset()
    FakeSink.reset(REFERENCE)
    yield loaded
    loaded.manager.unregister(fakes)


def run(rules: Rules, plugins: Plugins, flows: tuple[str, ...] = ("documents",), **options: object):  # type: ignore[no-untyped-def]
    report, plan = run_once(rules, plugins, flows=flows, **options)  # type: ignore[arg-type]
    return report, plan


def booked_refs() -> list[str]:
    return sorted(entry.your_ref for entry in FakeSink.entries.values())


def test_documents_are_booked_once_and_a_rerun_writes_nothing(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1), document(2), document(1, kind="credit_note")]
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts["documents.booked"] == 3
    assert report.status == "success"
    kinds = sorted((e.journal, e.kind, e.your_ref) for e in FakeSink.entries.values())
    assert kinds == [
        ("70", "invoice", "2026 / 1"),
        ("70", "invoice", "2026 / 2"),
        ("71", "credit_note", "2026 / 1"),
    ]
    assert report.counts["customers.created"] == 1, "one account for the customer of all three"
    assert "documents: 3 booked (2 invoices, 1 credit note)" in render_report(report)

    again, _ = run(rules_for(tmp_path), plugins)
    assert len(FakeSink.entries) == 3
    assert "documents.booked" not in again.counts
    assert again.calls["sink"] == 0, "a no-change rerun does not even read the reference data"


def test_an_entry_booked_by_hand_is_linked_not_doubled(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1)]
    FakeSink.book_by_hand(
        JournalEntry("", "invoice", "70", "2026 / 1", "acc-x", date(2026, 3, 10), "", "EUR", "30", ())
    )
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts == {"documents.linked": 1}
    assert len(FakeSink.entries) == 1


def test_a_dropped_response_after_the_write_is_reconciled_without_a_duplicate(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2)]
    FakeSink.drop_responses = 1
    first, _ = run(rules_for(tmp_path), plugins)
    assert first.status == "partial" and first.counts["documents.failed"] == 1
    second, _ = run(rules_for(tmp_path), plugins)
    assert second.counts.get("documents.linked") == 1
    assert booked_refs() == ["2026 / 1", "2026 / 2"], "each document exactly once"


def test_an_unmapped_rate_skips_only_its_documents_and_is_retried_once_mapped(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2, lines=(("Books", "50.00", RATE_6),))]
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1"]
    assert report.status == "partial"
    [outcome] = report.outcomes
    assert outcome.status == "skipped" and "6%" in outcome.reason

    fixed = rules_for(tmp_path, vat=(VatRule("21%", "4"), VatRule("6%", "2")))
    report, _ = run(fixed, plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2"]
    assert report.status == "success"


def test_an_inclusive_vat_code_stops_the_run_before_any_write(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1)]
    with pytest.raises(RuleFileError) as caught:
        run(rules_for(tmp_path, vat=(VatRule("21%", "1"),)), plugins)
    assert "exclusive" in str(caught.value).lower() or "type E" in str(caught.value)
    assert FakeSink.entries == {}


def test_a_document_the_source_cannot_vouch_for_fails_with_its_reason_and_is_booked_once_fixed(
    tmp_path: Path, plugins: Plugins
) -> None:
    """`Document.failure`: nothing is booked, the report says why and what to do, the next run retries."""
    refused = Failure("the rate 3.5 fits no orientation", hint="pin it in the rule file")
    FakeSource.documents_queue = [dataclasses.replace(document(1), failure=refused), document(2)]
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 2"]
    assert report.status == "partial"
    [outcome] = report.outcomes
    assert outcome.status == "failed" and "3.5 fits no orientation" in outcome.reason
    assert "pin it in the rule file" in render_report(report)

    FakeSource.documents_queue = [document(1), document(2)]
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2"]
    assert report.status == "success"

    FakeSource.documents_queue = [dataclasses.replace(document(1), failure=refused)]
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.status == "success" and report.outcomes == [], "a booked document is left alone"


def test_a_document_changed_after_booking_is_reported_not_rebooked(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1)]
    run(rules_for(tmp_path), plugins)
    FakeSource.documents_queue = [document(1, lines=(("Consultancy", "120.00", RATE_21),), updated=5)]
    report, _ = run(rules_for(tmp_path), plugins)
    assert len(FakeSink.entries) == 1
    assert report.outcomes[0].status == "skipped"
    assert "changed in the source after it was booked" in report.outcomes[0].reason


def test_a_dry_run_writes_nothing_and_lists_the_plan(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1), document(2, customer=HOOLI)]
    report, plan = run(rules_for(tmp_path), plugins, dry_run=True)
    assert FakeSink.entries == {} and FakeSink.accounts == {}
    assert [line.split()[0] for line in plan] == ["create", "book", "create", "book"]
    assert report.counts["customers.created"] == 2
    with StateStore.for_client(tmp_path, "acme") as state:
        assert state.ledger_counts()["booked"] == 0
        assert state.runs() == []


def test_a_fully_matched_receivable_pays_the_invoice_once(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1), document(2)]
    run(rules_for(tmp_path), plugins)
    entry_of = {e.your_ref: entry_id for entry_id, e in FakeSink.entries.items()}
    FakeSink.payment_feed = [
        PaymentStatus(entry_of["2026 / 1"], fully_paid=True, payment_date=date(2026, 4, 2)),
        PaymentStatus(entry_of["2026 / 2"], fully_paid=False, amount_open=Decimal("20")),
    ]
    report, _ = run(rules_for(tmp_path), plugins, flows=("payments",))
    assert FakeSource.paid == {"invoice-1": (Decimal("121.00"), date(2026, 4, 2))}
    assert report.counts == {"payments.registered": 1}

    FakeSink.payment_feed.append(PaymentStatus(entry_of["2026 / 1"], fully_paid=False))
    report, _ = run(rules_for(tmp_path), plugins, flows=("payments",))
    assert FakeSource.paid == {"invoice-1": (Decimal("121.00"), date(2026, 4, 2))}, "one way only"
    assert report.counts == {"payments.reopened_ignored": 1}


def test_a_plain_run_imports_customers_then_documents_then_payments(tmp_path: Path) -> None:
    rules = rules_for(tmp_path, sync=SyncRules(start_date=date(2026, 1, 1), import_customers=True))
    assert flows_for(rules, None) == ("customers", "documents", "payments")
    assert flows_for(rules, "payments") == ("payments",)


def test_an_imported_company_is_linked_both_ways_and_its_invoices_use_its_account(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSink.accounts["acc-exact-1"] = PIED_PIPER
    FakeSink.customer_feed = [dataclasses.replace(PIED_PIPER, id="acc-exact-1")]
    report, _ = run(rules_for(tmp_path), plugins, flows=("customers",))
    assert report.counts == {"customers_import.created": 1}
    [(source_id, _imported)] = FakeSource.customers_saved.items()

    FakeSource.documents_queue = [document(1, customer=dataclasses.replace(PIED_PIPER, id=source_id))]
    report, _ = run(rules_for(tmp_path), plugins)
    [entry] = FakeSink.entries.values()
    assert entry.customer_target_id == "acc-exact-1"
    assert "customers.updated" not in report.counts, "an import is not sent back as a change"

    again, _ = run(rules_for(tmp_path), plugins, flows=("customers",))
    assert again.counts == {}, "nor is the document flow's link seen as a change by the next import"


def test_a_spent_budget_stops_documents_cleanly_payments_still_run_and_the_next_run_goes_on(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1, updated=1), document(2, updated=2), document(3, updated=3)]
    FakeSink.writes_left = 2
    report, _ = run(rules_for(tmp_path), plugins, flows=("documents", "payments"))
    assert report.counts["documents.booked"] == 2
    assert report.status == "partial" and report.incomplete
    assert any(notice.startswith("documents: the daily call budget") for notice in report.notices)
    assert FakeSink.log[-1] == "payment_changes", "the payments flow still ran after documents paused"
    with StateStore.for_client(tmp_path, "acme") as state:
        place = state.cursor_get("documents.updated_since")
    third = document(3, updated=3).updated_at
    assert third is not None and place == (third - timedelta(seconds=1)).isoformat(), "read again from doc 3"
    FakeSink.writes_left = None
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2", "2026 / 3"]
    assert report.status == "success"


def test_a_document_changed_in_the_cursors_own_second_is_still_booked(
    tmp_path: Path, plugins: Plugins
) -> None:
    """The rerun skips what it saw at the cursor's moment, never a new document of that same moment."""
    FakeSource.documents_queue = [document(1, updated=5)]
    run(rules_for(tmp_path), plugins)
    FakeSource.documents_queue.append(document(2, updated=5))
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts.get("documents.booked") == 1
    assert booked_refs() == ["2026 / 1", "2026 / 2"]
