"""Failures that last (an unmapped rate) cost nothing on the next runs until something changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from engine_cases import RATE_6, REFERENCE, booked_refs, document, rules_for, run

from connector.contract.errors import ApiError
from connector.contract.plugins import Plugins
from connector.contract.records import JournalEntry
from connector.contract.services import VatCode
from connector.engine.flows import document_retry
from connector.rules.model import VatRule
from connector.testing import FakeSink, FakeSource

SIX = (("Books", "50.00", RATE_6),)


def refuse(monkeypatch: pytest.MonkeyPatch, your_ref: str, error: ApiError) -> Callable[..., str]:
    """The fake sink refuses to book `your_ref` with `error`; returns its own `book`, to put back."""
    book = FakeSink.book

    def refusing(self: FakeSink, entry: JournalEntry) -> str:
        if entry.your_ref == your_ref:
            raise error
        return book(self, entry)

    monkeypatch.setattr(FakeSink, "book", refusing)
    return book


def two_unmapped(tmp_path: Path, plugins: Plugins) -> None:
    FakeSource.documents_queue = [document(1), document(2, lines=SIX), document(3, lines=SIX)]
    first, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1"] and first.counts["documents.skipped"] == 2
    FakeSource.read = []
    FakeSink.log = []


def test_an_idle_rerun_with_two_lingering_failures_calls_the_target_not_once(
    tmp_path: Path, plugins: Plugins
) -> None:
    two_unmapped(tmp_path, plugins)
    report, _ = run(rules_for(tmp_path), plugins)
    assert FakeSink.log == [], "no reference read, no look-up"
    assert FakeSource.read == ["listing"], "nothing read again"
    assert report.status == "partial", "the books are still not complete: the run says so"
    assert sorted(o.record for o in report.outcomes) == ["invoice:invoice-2", "invoice:invoice-3"]
    assert all("6%" in o.reason for o in report.outcomes)
    assert any("--retry-failed" in notice for notice in report.notices)


def test_retry_failed_tries_them_now_without_reading_them_again(tmp_path: Path, plugins: Plugins) -> None:
    two_unmapped(tmp_path, plugins)
    report, _ = run(rules_for(tmp_path), plugins, retry_failed=True)
    assert "primed" in FakeSink.log, "tried against the target's codes, kept from the first run"
    assert FakeSource.read == ["listing"], "what they were is kept: nothing read from the source"
    assert report.counts["documents.skipped"] == 2


def test_mapping_the_rate_books_them_on_the_next_run(tmp_path: Path, plugins: Plugins) -> None:
    two_unmapped(tmp_path, plugins)
    fixed = rules_for(tmp_path, vat=(VatRule("21%", "4"), VatRule("6%", "2")))
    report, _ = run(fixed, plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2", "2026 / 3"]
    assert report.status == "success"
    assert FakeSource.read == ["listing"]


def test_a_failed_document_that_changed_in_the_source_is_read_and_tried_again(
    tmp_path: Path, plugins: Plugins
) -> None:
    two_unmapped(tmp_path, plugins)
    changed = document(2)  # its line is 21 % now
    assert changed.updated_at is not None
    FakeSource.documents_queue[1] = dataclasses.replace(
        changed, updated_at=changed.updated_at + timedelta(days=1)
    )
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2"]
    assert [o.record for o in report.outcomes] == ["invoice:invoice-3"], "the other one still waits"
    assert FakeSource.read == ["listing", "invoice:invoice-2"]


def test_a_change_of_the_targets_codes_is_seen_once_the_cached_ones_are_old(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_unmapped(tmp_path, plugins)
    monkeypatch.setattr(document_retry, "REFERENCE_TTL", timedelta(0))
    run(rules_for(tmp_path), plugins)
    assert FakeSink.log == ["reference"], "the codes read again, and nothing changed: not tried"
    codes = {**REFERENCE.vat_codes, "9": VatCode("9", "12% excl", "E", Decimal("0.12"))}
    FakeSink.reference = dataclasses.replace(REFERENCE, vat_codes=codes)
    FakeSink.log = []
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts["documents.skipped"] == 2, "tried again (still unmapped in the rules)"
    assert "reference" in FakeSink.log


def test_a_refused_write_is_tried_again_on_the_next_run(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A service's status does not tell a lasting refusal from a passing fault: it is tried again."""
    FakeSource.documents_queue = [document(1), document(2)]
    book = refuse(monkeypatch, "2026 / 2", ApiError("Interne fout: probeer het later opnieuw", status=400))
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.status == "partial"
    monkeypatch.setattr(FakeSink, "book", book)
    report, _ = run(rules_for(tmp_path), plugins)
    assert booked_refs() == ["2026 / 1", "2026 / 2"] and report.status == "success"


def test_a_run_within_the_hour_books_against_the_codes_kept_and_reads_them_again_on_a_refusal(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSource.documents_queue = [document(1)]
    run(rules_for(tmp_path), plugins)
    FakeSource.documents_queue += [document(2, updated=2), document(3, updated=3)]
    FakeSink.log = []
    refuse(monkeypatch, "2026 / 2", ApiError("Ongeldige referentie: Grootboekrekening", status=500))
    run(rules_for(tmp_path), plugins)
    assert FakeSink.log[:2] == ["primed", "existing_entries"], "booked against the codes kept, not read"
    assert FakeSink.log[FakeSink.log.index("forgot") + 1] == "reference", "read again at once"
    assert booked_refs() == ["2026 / 1", "2026 / 3"]
