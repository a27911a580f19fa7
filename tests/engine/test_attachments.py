"""`sync.attachments` in the engine, against the fakes: files after bookings, never twice, and a
failure or a spent budget that never touches a booking."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from engine_cases import booked_refs, document, rules_for, run

from connector.contract.errors import ConfigurationError
from connector.contract.plugins import Plugins
from connector.contract.records import JournalEntry
from connector.contract.services import ServiceContext, Sink
from connector.engine.flows.attachments import check_capable
from connector.rules.model import Rules
from connector.state.store import StateStore
from connector.testing import FakeSink, FakeSource


def with_attachments(tmp_path: Path, setting: str = "both") -> Rules:
    rules = rules_for(tmp_path)
    return dataclasses.replace(rules, sync=dataclasses.replace(rules.sync, attachments=setting))


def test_each_booked_document_gets_its_files_after_the_bookings_and_a_rerun_attaches_nothing(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2)]
    report, _ = run(with_attachments(tmp_path), plugins)
    assert report.counts["documents.booked"] == 2 and report.counts["attachments.attached"] == 2
    assert sorted(FakeSink.attached.values()) == [["2026-1.xml", "2026-1.pdf"], ["2026-2.xml", "2026-2.pdf"]]
    assert FakeSink.log.index("attach") > max(i for i, call in enumerate(FakeSink.log) if call == "book")
    FakeSource.read = []
    again, _ = run(with_attachments(tmp_path), plugins)
    assert "attachments.attached" not in again.counts
    assert not [read for read in FakeSource.read if read.startswith("download")]
    assert all(len(files) == 2 for files in FakeSink.attached.values())


def test_without_the_setting_nothing_is_downloaded_or_queued(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1)]
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts["documents.booked"] == 1 and FakeSink.attached == {}
    assert not [read for read in FakeSource.read if read.startswith("download")]
    with StateStore.for_client(tmp_path, "acme") as state:
        assert state.attachment_counts() == {"queued": 0, "attached": 0, "failed": 0}


def test_a_refused_attachment_is_reported_keeps_its_booking_and_is_attached_by_the_next_run(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1)]
    FakeSink.refuse_attachments = 1
    report, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert report.counts["documents.booked"] == 1 and report.counts["attachments.failed"] == 1
    assert report.status == "partial"
    (outcome,) = report.outcomes
    assert "2026 / 1: files not attached" in outcome.reason and "stays booked" in (outcome.hint or "")
    with StateStore.for_client(tmp_path, "acme") as state:
        entry = state.ledger_get("invoice:invoice-1")
        assert entry is not None and entry.status == "booked"
    again, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert again.counts == {"attachments.attached": 1} and again.status == "success"
    assert booked_refs() == ["2026 / 1"] and list(FakeSink.attached.values()) == [["2026-1.pdf"]]


def test_a_spent_budget_books_everything_first_and_the_files_wait_for_the_next_run(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2), document(3)]
    FakeSink.writes_left = 4  # 3 bookings, then 1 attachment
    report, _ = run(with_attachments(tmp_path, "pdf"), plugins, flows=("documents", "payments"))
    assert report.counts["documents.booked"] == 3 and report.counts["attachments.attached"] == 1
    assert report.incomplete and FakeSink.log[-1] == "payment_changes"
    assert "attachments: 2 documents wait for a later run to attach their files" in " ".join(report.notices)
    FakeSink.writes_left = None
    again, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert again.counts == {"attachments.attached": 2}
    assert booked_refs() == ["2026 / 1", "2026 / 2", "2026 / 3"] and len(FakeSink.attached) == 3


def test_a_dry_run_plans_and_counts_the_attachments_and_attaches_nothing(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2)]
    report, plan = run(with_attachments(tmp_path, "ubl"), plugins, dry_run=True)
    assert report.counts["attachments.attached"] == 2
    attach = [line for line in plan if line.startswith("attach  ")]
    assert attach == [
        "attach  invoice:invoice-1 2026 / 1: UBL (1 fake_sink calls, 1 fake_source calls)",
        "attach  invoice:invoice-2 2026 / 2: UBL (1 fake_sink calls, 1 fake_source calls)",
    ]
    assert FakeSink.attached == {} and "attach" not in FakeSink.log


def test_bookings_that_paused_leave_the_attachments_for_later_without_a_download(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1), document(2), document(3)]
    FakeSink.writes_left = 2
    report, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert report.counts["documents.booked"] == 2 and "attachments.attached" not in report.counts
    assert not [read for read in FakeSource.read if read.startswith("download")], "bookings go first"
    FakeSink.writes_left = None
    again, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert again.counts["documents.booked"] == 1 and again.counts["attachments.attached"] == 3


def test_an_entry_written_by_a_run_that_lost_its_answer_gets_its_files_once_linked(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = [document(1)]
    FakeSink.drop_responses = 1
    report, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert report.counts["documents.failed"] == 1 and FakeSink.attached == {}
    again, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert again.counts["documents.linked"] == 1 and again.counts["attachments.attached"] == 1
    assert list(FakeSink.attached.values()) == [["2026-1.pdf"]]


def test_an_entry_booked_by_hand_is_linked_and_gets_no_files(tmp_path: Path, plugins: Plugins) -> None:
    """A bookkeeper's entry may hold a document of their own: connector leaves it as it is."""
    FakeSource.documents_queue = [document(1)]
    hand = FakeSink.book_by_hand(
        JournalEntry("", "invoice", "70", "2026 / 1", "acc-x", date(2026, 3, 10), "", "EUR", "30", ())
    )
    report, _ = run(with_attachments(tmp_path, "pdf"), plugins)
    assert report.counts == {"documents.linked": 1}
    assert hand not in FakeSink.attached and FakeSink.attached == {}


def test_plugins_that_cannot_attach_stop_the_run_before_anything_is_booked(tmp_path: Path) -> None:
    class PlainSink(Sink):
        name = "plain_sink"

    source, sink = (
        FakeSource({}, ServiceContext("acme", "source")),
        PlainSink({}, ServiceContext("acme", "sink")),
    )
    check_capable(rules_for(tmp_path), source, sink)  # without the setting, nothing is asked of them
    with pytest.raises(ConfigurationError) as refused:
        check_capable(with_attachments(tmp_path, "pdf"), source, sink)
    assert refused.value.message == "sync.attachments is 'pdf', but plain_sink cannot attach files to entries"
