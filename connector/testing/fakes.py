"""Fakes for testing the engine and plugins: a source that yields queued records, a sink that records.

`FakeSource` and `FakeSink` are real `Source`/`Sink` subclasses that keep everything in memory, so
the engine's flows run unchanged against them (singer-sdk's `TargetMock`, llm's `MockModel`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, ClassVar

from connector.contract.errors import ApiError, BudgetExhausted, RetriableError
from connector.contract.records import (
    Attachment,
    AttachmentFormat,
    AttachmentTarget,
    Customer,
    Document,
    DocumentKind,
    JournalEntry,
    Payment,
    PaymentStatus,
)
from connector.contract.services import Listed, ReferenceData, Sink, Source
from connector.contract.steps import Steps


class FakeClock:
    """Time that moves only when the code under test sleeps, or the test says so: pass `now` as a
    `ServiceContext.clock` and `sleep` as its `sleep`, and waiting for a rate budget costs nothing."""

    def __init__(self, start: datetime = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) -> None:
        self.moment = start
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.moment += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


class FakeSource(Source):
    """Documents queued by a test; payments and customers it receives are recorded."""

    name = "fake_source"
    options_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    documents_queue: ClassVar[list[Document]] = []
    page_size: ClassVar[int] = 100
    paid: ClassVar[dict[str, tuple[Decimal, date]]] = {}
    customers_saved: ClassVar[dict[str, Customer]] = {}
    read: ClassVar[list[str]] = []  # what was asked for: "listing", or the key of a document read
    pages_listed: ClassVar[int] = 0  # pages of the last listing

    @classmethod
    def reset(cls) -> None:
        cls.read = []
        cls.documents_queue = []
        cls.paid = {}
        cls.customers_saved = {}

    def listing(
        self,
        *,
        kinds: Iterable[DocumentKind],
        start_date: date,
        updated_since: datetime | None,
        unchanged: Collection[str] = (),
    ) -> Iterator[list[Listed]]:
        self.context.calls["listing"] = self.context.calls.get("listing", 0) + 1
        self.read.append("listing")
        type(self).pages_listed = 0
        wanted = set(kinds)
        page: list[Listed] = []
        for document in self.documents_queue:
            if document.kind not in wanted or document.date < start_date:
                continue
            if updated_since and document.updated_at and document.updated_at < updated_since:
                continue  # inclusive, like the services it stands in for
            if document.key in unchanged and document.updated_at == updated_since:
                continue
            page.append(
                Listed(document.kind, document.id, document.updated_at, document.date, document.number)
            )
            if len(page) == self.page_size:
                type(self).pages_listed += 1
                yield page
                page = []
        if page:
            type(self).pages_listed += 1
            yield page

    def details(self, listed: Sequence[Listed], start_date: date | None = None) -> Iterator[Document]:
        self.context.calls["details"] = self.context.calls.get("details", 0) + len(listed)
        self.read.extend(item.key for item in listed)
        by_key = {document.key: document for document in self.documents_queue}
        for item in listed:
            document = by_key.get(item.key)
            if document is not None and (start_date is None or document.date >= start_date):
                yield document

    def documents_by_key(self, keys: Iterable[str]) -> Iterator[Document]:
        wanted = set(keys)
        return (d for d in self.documents_queue if d.key in wanted)

    def download(self, document: AttachmentTarget, format: AttachmentFormat) -> Attachment:
        self.read.append(f"download {format} {document.document_key}")
        name = f"{document.number.replace(' / ', '-')}.{'pdf' if format == 'pdf' else 'xml'}"
        return Attachment(format, name, "application/octet-stream", f"{format} {document.number}".encode())

    def mark_paid(self, document_id: str, paid_on: date) -> Payment | None:
        if document_id in self.paid:
            return None
        document = next(d for d in self.documents_queue if d.id == document_id)
        self.paid[document_id] = (document.totals.tax_inclusive, paid_on)
        paid_at = datetime.combine(paid_on, time(0, 0), tzinfo=UTC)
        return Payment(document_id, document.totals.tax_inclusive, document.currency, paid_at)

    def register_payment(self, document_id: str, open_in_target: Decimal, paid_on: date) -> Payment | None:
        """Register the total less what was registered and what the target has open (parts add up
        in `paid`; a document fully registered gets nothing more)."""
        document = next(d for d in self.documents_queue if d.id == document_id)
        before = self.paid.get(document_id, (Decimal(0), paid_on))[0]
        amount = document.totals.tax_inclusive - before - max(open_in_target, Decimal(0))
        if amount <= 0:
            return None
        self.paid[document_id] = (before + amount, paid_on)
        paid_at = datetime.combine(paid_on, time(0, 0), tzinfo=UTC)
        return Payment(document_id, amount, document.currency, paid_at)

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        for source_id, saved in self.customers_saved.items():
            if saved.vat_number and saved.vat_number == customer.vat_number:
                return source_id
        return None

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        source_id = existing_id or f"src-{len(self.customers_saved) + 1}"
        self.customers_saved[source_id] = customer
        return source_id


class FakeSink(Sink):
    """Books entries into memory; `fail_next_write_after_commit` simulates a dropped response."""

    name = "fake_sink"
    options_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    reference: ClassVar[ReferenceData | None] = None
    entries: ClassVar[dict[str, JournalEntry]] = {}
    accounts: ClassVar[dict[str, Customer]] = {}
    payment_feed: ClassVar[list[PaymentStatus]] = []
    customer_feed: ClassVar[list[Customer]] = []
    drop_responses: ClassVar[int] = 0
    writes_left: ClassVar[int | None] = None  # the day's budget for writes; None is unlimited
    attached: ClassVar[dict[str, list[str]]] = {}  # entry id -> file names, one list per attachment
    refuse_attachments: ClassVar[int] = 0  # the next N attachments are refused
    log: ClassVar[list[str]] = []  # every call, in order, across instances
    ids: ClassVar[Iterator[int]] = itertools.count(1)

    @classmethod
    def reset(cls, reference: ReferenceData) -> None:
        cls.reference = reference
        cls.entries = {}
        cls.accounts = {}
        cls.payment_feed = []
        cls.customer_feed = []
        cls.drop_responses = 0
        cls.writes_left = None
        cls.attached = {}
        cls.refuse_attachments = 0
        cls.log = []
        cls.ids = itertools.count(1)

    def _call(self, name: str) -> None:
        self.context.calls[name] = self.context.calls.get(name, 0) + 1
        self.log.append(name)

    def reference_data(self) -> ReferenceData:
        self._call("reference")
        assert self.reference is not None, "FakeSink.reset(reference) first"
        return self.reference

    def prime_reference(self, data: ReferenceData) -> bool:
        self.log.append("primed")
        return True

    def forget_reference(self) -> None:
        self.log.append("forgot")

    def find_customer(self, customer: Customer, match: Iterable[str]) -> str | None:
        for target_id, account in self.accounts.items():
            if "vat_number" in match and account.vat_number and account.vat_number == customer.vat_number:
                return target_id
        return None

    def save_customer(self, customer: Customer, existing_id: str | None) -> str:
        self._call("save_customer")
        target_id = existing_id or f"acc-{next(self.ids)}"
        self.accounts[target_id] = customer
        return target_id

    def existing_entries(
        self, wanted: Iterable[tuple[str, DocumentKind, str]]
    ) -> dict[tuple[str, DocumentKind, str], str]:
        self._call("existing_entries")
        index = {(e.journal, e.kind, e.your_ref): entry_id for entry_id, e in self.entries.items()}
        return {key: index[key] for key in wanted if key in index}

    def _spend(self) -> None:
        if self.writes_left is not None:
            if self.writes_left <= 0:
                raise BudgetExhausted(self.name, None)
            type(self).writes_left = self.writes_left - 1

    def book(self, entry: JournalEntry) -> str:
        self._spend()
        self._call("book")
        entry_id = f"entry-{next(self.ids)}"
        self.entries[entry_id] = entry
        if self.drop_responses > 0:
            type(self).drop_responses -= 1
            raise RetriableError("no answer (response dropped after the write was committed)")
        return entry_id

    def attach(self, entry: AttachmentTarget, files: Sequence[Attachment], steps: Steps) -> str:
        """One write per attachment (all its files at once), recorded as the step `files`."""
        if steps.done("files") is None:
            self._spend()
            self._call("attach")
            if self.refuse_attachments > 0:
                type(self).refuse_attachments -= 1
                raise ApiError(f"{entry.number}: the attachment was refused", status=400)
            steps.begin("files")
            self.attached.setdefault(entry.entry_id, []).extend(file.filename for file in files)
            steps.finish("files", f"doc-{entry.entry_id}")
        return f"doc-{entry.entry_id}"

    def attach_calls(self, files: int) -> int:
        return 1

    @classmethod
    def book_by_hand(cls, entry: JournalEntry) -> str:
        """An entry a bookkeeper typed before the link existed."""
        entry_id = f"hand-{next(cls.ids)}"
        cls.entries[entry_id] = dataclasses.replace(entry, document_key="")
        return entry_id

    def payment_changes(self, cursor: str | None) -> tuple[list[PaymentStatus], str | None]:
        self._call("payment_changes")
        start = int(cursor or 0)
        return self.payment_feed[start:], str(len(self.payment_feed))

    def changed_customers(self, cursor: str | None) -> tuple[list[Customer], str | None]:
        self._call("changed_customers")
        start = int(cursor or 0)
        return self.customer_feed[start:], str(len(self.customer_feed))
