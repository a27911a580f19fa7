"""The documents flow streams: it reads ahead while it books, keeps what it read when it stops, and
a sync spread over days reads each document once."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from engine_cases import booked_refs, document, rules_for, run

from connector.contract.errors import ApiError
from connector.contract.plugins import Plugins
from connector.contract.records import JournalEntry
from connector.contract.services import Listed
from connector.engine.flows.document_reader import READ_AHEAD
from connector.state.store import StateStore
from connector.testing import FakeSink, FakeSource


def many(count: int) -> list[Any]:
    return [document(n, day=1 + n % 28, updated=n % 60) for n in range(1, count + 1)]


def documents_read() -> list[str]:
    return [key for key in FakeSource.read if key != "listing"]


def test_the_first_entry_is_booked_long_before_the_last_document_is_read(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSource.documents_queue = many(1000)
    read_at_each_write: list[int] = []
    book = FakeSink.book

    def counting(self: FakeSink, entry: JournalEntry) -> str:
        read_at_each_write.append(len(documents_read()))
        return book(self, entry)

    monkeypatch.setattr(FakeSink, "book", counting)
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.counts["documents.booked"] == 1000
    assert read_at_each_write[0] < 1000, "the first write waited for nothing but its batch"
    ahead = max(read - written for written, read in enumerate(read_at_each_write))
    assert ahead <= READ_AHEAD + 2 * 120 + 100, f"{ahead} documents were read ahead of the booking"


def test_a_sync_over_four_days_reads_each_document_once_and_books_each_once(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = many(1000)
    days = 0
    while True:
        FakeSink.writes_left = 300
        report, _ = run(rules_for(tmp_path), plugins)
        days += 1
        if report.status == "success":
            break
        assert report.incomplete and days < 6
    assert days == 4
    assert len(FakeSink.entries) == 1000 and len(set(booked_refs())) == 1000
    assert sorted(documents_read()) == sorted(d.key for d in FakeSource.documents_queue), "each once"
    assert FakeSource.read.count("listing") == 4
    with StateStore.for_client(tmp_path, "acme") as state:
        assert list(state.parked()) == []


def test_a_parked_document_that_changed_is_read_again_and_booked_as_it_is_now(
    tmp_path: Path, plugins: Plugins
) -> None:
    FakeSource.documents_queue = many(400)
    FakeSink.writes_left = 10
    run(rules_for(tmp_path), plugins)
    with StateStore.for_client(tmp_path, "acme") as state:
        parked = {p.source_key: p for p in state.parked()}
    assert len(parked) == 390
    kept = next(key for key, row in parked.items() if row.document)
    position = next(i for i, d in enumerate(FakeSource.documents_queue) if d.key == kept)
    old = FakeSource.documents_queue[position]
    assert old.updated_at is not None
    FakeSource.documents_queue[position] = dataclasses.replace(
        old, reference="PO-NEW", updated_at=old.updated_at + timedelta(days=300)
    )
    FakeSink.writes_left = None
    FakeSource.read = []
    run(rules_for(tmp_path), plugins)
    assert kept in documents_read(), "changed since it was parked: read again"
    assert len(FakeSink.entries) == 400


def test_a_run_asked_to_stop_keeps_what_it_read_and_the_next_run_reads_only_the_rest(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSource.documents_queue = many(600)
    stop = threading.Event()
    book = FakeSink.book

    def stopping_after_50(self: FakeSink, entry: JournalEntry) -> str:
        if len(FakeSink.entries) == 49:
            stop.set()
        return book(self, entry)

    monkeypatch.setattr(FakeSink, "book", stopping_after_50)
    report, _ = run(rules_for(tmp_path), plugins, stop=stop)
    assert report.incomplete and len(FakeSink.entries) == 50
    monkeypatch.setattr(FakeSink, "book", book)
    first = documents_read()
    FakeSource.read = []
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.status == "success" and len(set(booked_refs())) == 600
    assert not set(first) & set(documents_read()), "nothing read by the stopped run is read again"


def test_an_error_of_the_source_mid_list_fails_the_run_and_loses_nothing(
    tmp_path: Path, plugins: Plugins, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeSource.documents_queue = many(300)
    details = FakeSource.details
    calls = {"n": 0}

    def failing_on_the_third(self: FakeSource, listed: Any, start: Any = None) -> Iterator[Any]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ApiError("invoices.info failed", status=500, hint="try again later")
        return details(self, listed, start)

    monkeypatch.setattr(FakeSource, "details", failing_on_the_third)
    with pytest.raises(ApiError, match=r"invoices\.info failed"):
        run(rules_for(tmp_path), plugins)
    assert len(FakeSink.entries) == 200, "what was read before the error is booked"
    with StateStore.for_client(tmp_path, "acme") as state:
        assert state.runs(1)[0].status == "failed"
    monkeypatch.setattr(FakeSource, "details", details)
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.status == "success" and len(set(booked_refs())) == 300


def test_listed_is_what_a_source_lists_before_reading_details() -> None:
    item = Listed("credit_note", "x-1")
    assert item.key == "credit_note:x-1"


def test_a_parked_document_that_cannot_be_read_back_is_read_again_from_the_source(
    tmp_path: Path, plugins: Plugins
) -> None:
    """Kept by another version, or damaged: the run reads it again instead of failing."""
    FakeSource.documents_queue = many(30)
    FakeSink.writes_left = 10
    run(rules_for(tmp_path), plugins)
    with StateStore.for_client(tmp_path, "acme") as state:
        rows = [(p.source_key, p.kind, p.updated_at, '{"id": 1}') for p in state.parked()]
        assert len(rows) == 20
        state.park(rows)
    FakeSink.writes_left = None
    FakeSource.read = []
    report, _ = run(rules_for(tmp_path), plugins)
    assert report.status == "success" and len(set(booked_refs())) == 30
    assert sorted(documents_read()) == sorted(key for key, *_ in rows)
