"""The engine's flows against a fake source and a recording sink: what gets booked, linked, paid."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from engine_cases import HOOLI, PIED_PIPER, RATE_6, RATE_21, booked_refs, document, rules_for, run

from connector.contract.errors import RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.records import (
    Failure,
    JournalEntry,
    PaymentStatus,
)
from connector.engine.runner import flows_for
from connector.reporting.render import render_report
from connector.rules.model import PaymentRules, SyncRules, VatRule
from connector.state.store import StateStore
from connector.testing import FakeSink, FakeSource


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


def test_with_partial_register_each_part_is_registered_once_and_a_reversal_is_only_reported(
    tmp_path: Path, plugins: Plugins
) -> None:
    rules = dataclasses.replace(rules_for(tmp_path), payments=PaymentRules(partial="register"))
    FakeSource.documents_queue = [document(1)]
    run(rules, plugins)
    [entry_id] = FakeSink.entries
    part = PaymentStatus(entry_id, False, date(2026, 4, 2), Decimal("71.00"), amount_matched=Decimal("50.00"))
    FakeSink.payment_feed = [part, part]  # read twice: registered once
    report, plan = run(rules, plugins, flows=("payments",), dry_run=True)
    assert FakeSource.paid == {} and plan[0].startswith("part") and "71.00 open" in plan[0], plan
    report, _ = run(rules, plugins, flows=("payments",))
    assert FakeSource.paid == {"invoice-1": (Decimal("50.00"), date(2026, 4, 2))}
    assert report.counts == {"payments.registered": 1, "payments.partial": 1}

    FakeSink.payment_feed.append(
        PaymentStatus(entry_id, True, date(2026, 4, 9), Decimal(0), amount_matched=Decimal("121.00"))
    )
    report, _ = run(rules, plugins, flows=("payments",))
    assert FakeSource.paid == {"invoice-1": (Decimal("121.00"), date(2026, 4, 9))}, "only the rest, 71.00"
    with StateStore.for_client(tmp_path, "acme") as state:
        entry = state.ledger_by_target(entry_id)
    assert entry is not None and entry.payment_amount == Decimal("121.00") and entry.paid_at is not None

    FakeSink.payment_feed.append(
        PaymentStatus(entry_id, False, None, Decimal("121.00"), amount_matched=Decimal(0))
    )
    report, _ = run(rules, plugins, flows=("payments",))
    assert report.counts == {"payments.reversal_reported": 1}
    assert FakeSource.paid["invoice-1"][0] == Decimal("121.00"), "nothing undone"


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
    assert any(notice == "documents: 1 left for the next run, kept in the state" for notice in report.notices)
    with StateStore.for_client(tmp_path, "acme") as state:
        assert [p.source_key for p in state.parked()] == ["invoice:invoice-3"], "read, not booked: kept"
    FakeSink.writes_left = None
    FakeSource.read = []
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2", "2026 / 3"]
    assert report.status == "success"
    assert FakeSource.read == ["listing"], "the kept document is not read again"
    with StateStore.for_client(tmp_path, "acme") as state:
        assert list(state.parked()) == []
    FakeSource.read = []
    run(rules_for(tmp_path), plugins)
    assert FakeSource.read == ["listing"], "an idle rerun lists and reads nothing"


def test_a_document_changed_in_the_cursors_own_second_is_still_booked(
    tmp_path: Path, plugins: Plugins
) -> None:
    """The rerun skips what it saw at the cursor's moment, never a new document of that same moment.
    (A moment just now: one safely in the past is stepped past, see the next test.)"""
    moment = datetime.now(UTC).replace(microsecond=0)
    FakeSource.documents_queue = [dataclasses.replace(document(1), updated_at=moment)]
    run(rules_for(tmp_path), plugins)
    FakeSource.documents_queue.append(dataclasses.replace(document(2), updated_at=moment))
    FakeSource.read = []
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts.get("documents.booked") == 1
    assert booked_refs() == ["2026 / 1", "2026 / 2"]
    assert FakeSource.read == ["listing", "invoice:invoice-2"], "the one seen then is not read again"


def test_a_crowded_second_safely_in_the_past_is_listed_once_then_stepped_past(
    tmp_path: Path, plugins: Plugins
) -> None:
    """A bulk import changes 300 documents in one second: once that second is ten minutes old, the
    cursor moves past it, and an idle rerun's list asks for nothing of it."""
    FakeSource.documents_queue = [document(n, updated=5) for n in range(1, 301)]
    run(rules_for(tmp_path), plugins)
    with StateStore.for_client(tmp_path, "acme") as state:
        place = json.loads(state.cursor_get("documents.updated_since") or "{}")
    moment = document(1, updated=5).updated_at
    assert moment is not None
    assert place == {"since": (moment + timedelta(seconds=1)).isoformat(), "seen": []}
    FakeSource.read = []
    run(rules_for(tmp_path), plugins)
    assert FakeSource.read == ["listing"]
    assert FakeSource.pages_listed == 0, "not one of the 300 is listed again"
