"""Conformance tests a plugin's test module subclasses in three lines (singer-sdk's test classes).

    from connector.testing.contract import SourceContract

    class TestMySource(SourceContract):
        @pytest.fixture
        def source(self): ...   # an authorized Source against the plugin's sandbox, with documents

Every test here asserts what the engine relies on, whatever the service behind the plugin: the
records are canonical and add up, keys find their documents again, a customer can be found by its
VAT number, an entry that was booked is found again by (journal, kind, reference). Only for tests:
it imports pytest.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from connector.contract.records import CENT, Attachment, AttachmentTarget, Customer, Document, JournalEntry
from connector.contract.services import ReferenceData, Service, Sink, Source
from connector.contract.steps import MemorySteps

EARLY = date(2000, 1, 1)


def check_service_class(service: Service) -> None:
    kind = type(service)
    assert isinstance(kind.name, str) and kind.name.isidentifier(), "`name` is what rule files write"
    Draft202012Validator.check_schema(dict(kind.options_schema))
    properties = kind.options_schema.get("properties", {})
    assert all("description" in spec for spec in properties.values()), "every option is described"


class SourceContract:
    """Provide a `source` fixture: an authorized source with at least one booked document."""

    @pytest.fixture
    def source(self) -> Source:
        raise NotImplementedError("a plugin's test class provides the `source` fixture")

    @pytest.fixture
    def documents(self, source: Source) -> list[Document]:
        found = list(source.documents(kinds=("invoice", "credit_note"), start_date=EARLY, updated_since=None))
        assert found, "the contract needs a source with booked documents"
        return found

    def test_name_and_options_schema(self, source: Source) -> None:
        check_service_class(source)

    def test_documents_are_canonical_and_add_up(self, documents: list[Document]) -> None:
        for document in documents:
            assert document.kind in ("invoice", "credit_note")
            assert document.key == f"{document.kind}:{document.id}"
            assert document.lines, f"{document.number} has lines"
            totals = document.totals
            for amount in (totals.tax_exclusive, totals.tax_inclusive):
                assert isinstance(amount, Decimal) and amount == amount.quantize(CENT)
            taxes = sum((tax.tax for tax in totals.taxes), Decimal(0))
            taxable = sum((tax.taxable for tax in totals.taxes), Decimal(0))
            assert taxable == totals.tax_exclusive, f"{document.number}: per-rate taxable adds up"
            assert totals.tax_exclusive + taxes == totals.tax_inclusive, f"{document.number}: VAT adds up"
            assert isinstance(document.customer, Customer) and document.customer.id

    def test_keys_find_their_documents_again(self, source: Source, documents: list[Document]) -> None:
        wanted = {document.key for document in documents[:5]}
        again = {document.key for document in source.documents_by_key(wanted)}
        assert again == wanted

    def test_a_booked_document_downloads_as_each_format(
        self, source: Source, documents: list[Document]
    ) -> None:
        """Skipped for a source that cannot render its documents (`sync.attachments` stays `none`)."""
        first = documents[0]
        booked = AttachmentTarget(first.key, first.kind, first.number, "contract-entry")
        for file_format in ("pdf", "ubl"):
            before = source.calls_used
            try:
                file = source.download(booked, file_format)
            except NotImplementedError:
                pytest.skip(f"{source.name} does not download documents")
            assert file.format == file_format and file.filename and file.content and file.content_type
            assert source.calls_used - before <= source.download_calls

    def test_updated_since_now_returns_nothing_old(self, source: Source, documents: list[Document]) -> None:
        newest = max(d.updated_at for d in documents if d.updated_at)
        later = list(source.documents(kinds=("invoice",), start_date=EARLY, updated_since=newest))
        assert all(d.updated_at and d.updated_at >= newest for d in later)

    def test_a_period_holds_the_documents_dated_in_it_as_counted(
        self, source: Source, documents: list[Document]
    ) -> None:
        day = documents[0].date
        wanted = {d.key for d in documents if d.date == day}
        cost = source.count_booked(("invoice", "credit_note"), day, day)
        found = {d.key for d in source.booked_documents(("invoice", "credit_note"), day, day)}
        assert found == wanted and cost.records == len(wanted) and cost.calls >= cost.spent


class SinkContract:
    """Provide a `sink` fixture (authorized, against a sandbox) and `entry(sink, your_ref)`: a
    bookable `JournalEntry` for an existing customer of that sink."""

    @pytest.fixture
    def sink(self) -> Sink:
        raise NotImplementedError("a plugin's test class provides the `sink` fixture")

    def entry(self, sink: Sink, your_ref: str) -> JournalEntry:
        raise NotImplementedError("a plugin's test class builds a bookable entry")

    def test_name_and_options_schema(self, sink: Sink) -> None:
        check_service_class(sink)

    def test_reference_data_is_read_with_codes_as_keys(self, sink: Sink) -> None:
        reference = sink.reference_data()
        assert isinstance(reference, ReferenceData)
        tables: list[Any] = [reference.vat_codes, reference.journals, reference.accounts]
        for table in tables:
            assert table, "reference data is not empty"
            assert all(code == row.code for code, row in table.items())

    def test_a_booked_entry_is_found_again_by_journal_kind_and_reference(self, sink: Sink) -> None:
        entry = self.entry(sink, "CONTRACT-1")
        target = sink.book(entry)
        assert target
        key = (entry.journal, entry.kind, entry.your_ref)
        assert sink.existing_entries([key]) == {key: target}
        assert sink.existing_entries([(entry.journal, entry.kind, "CONTRACT-NONE")]) == {}

    def test_a_booked_entry_reads_back_in_its_period_as_booked(self, sink: Sink) -> None:
        entry = self.entry(sink, "CONTRACT-2")
        target = sink.book(entry)
        cost = sink.count_entries([entry.journal], entry.date, entry.date)
        [found] = [e for e in sink.booked_entries([entry.journal], entry.date, entry.date) if e.id == target]
        assert cost.records >= 1 and cost.calls >= cost.spent
        assert (found.kind, found.your_ref, found.date) == (entry.kind, entry.your_ref, entry.date)
        wanted = [(line.vat_code.strip(), line.amount, line.vat_amount) for line in entry.lines]
        assert [(line.vat_code.strip(), line.amount, line.vat_amount) for line in found.lines] == wanted

    def test_an_unknown_customer_is_not_found(self, sink: Sink) -> None:
        stranger = Customer("contract-x", "company", "Nobody At All BV", vat_number="XX000000000")
        assert sink.find_customer(stranger, ["vat_number"]) is None

    def test_attaching_costs_what_it_announces_and_never_twice_with_the_same_steps(self, sink: Sink) -> None:
        """Skipped for a sink that cannot attach files (`sync.attachments` then stays `none`)."""
        entry = self.entry(sink, "CONTRACT-2")
        booked = AttachmentTarget(
            "invoice:contract-2", "invoice", "CONTRACT-2", sink.book(entry), entry.customer_target_id
        )
        files = [Attachment("pdf", "contract-2.pdf", "application/pdf", b"%PDF-1.4 contract")]
        steps = MemorySteps()
        before = sink.calls_used
        try:
            target = sink.attach(booked, files, steps)
        except NotImplementedError:
            pytest.skip(f"{sink.name} does not attach files")
        assert target and sink.calls_used - before == sink.attach_calls(len(files))
        again = sink.calls_used
        assert sink.attach(booked, files, steps) == target
        assert sink.calls_used == again, "every step was done: nothing is called again"

    def test_payment_changes_give_a_cursor_that_moves_on(self, sink: Sink) -> None:
        _, cursor = sink.payment_changes(None)
        again, _ = sink.payment_changes(cursor)
        assert again == [], "nothing changed since the cursor"
