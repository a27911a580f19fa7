"""Booking documents in the target, a batch at a time as the reader hands them over.

Per batch:

1. each document is sorted out: one the ledger has booked is left alone (a change after booking is
   reported); one the source cannot vouch for (`Document.failure`) fails with the source's reason;
   its template fields are rendered;
2. before the run's first write, the target's reference data is read (once per run) and the
   mapping checked against it: a VAT code that is missing or inclusive, a missing journal or
   account, stops the run before anything is booked;
3. one bulk look-up in the target by (journal, kind, your_ref) links entries that are already
   there (booked by hand, or by a run that crashed after writing), so they are never booked again;
4. the rest: the customer's account found or created, the entry built (amounts to the cent), the
   intent recorded, the entry booked, the result recorded.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from connector.contract.errors import (
    ApiError,
    Paused,
    RecordError,
    RecordFailed,
    RecordSkipped,
    RetriableError,
    RuleFileError,
)
from connector.contract.records import Document, DocumentKind
from connector.contract.services import ReferenceData
from connector.engine import payment_reference
from connector.engine.fingerprint import content_hash, same_content
from connector.engine.flows.attachments import queue_attachments
from connector.engine.flows.closed_periods import ClosedPeriods
from connector.engine.flows.customer_links import CustomerLinker
from connector.engine.flows.document_reader import encode
from connector.engine.flows.document_retry import Conditions
from connector.engine.mapping import build_entry
from connector.engine.payment_terms import choose
from connector.engine.preflight import check_mapping
from connector.engine.run import Run
from connector.engine.templates import Templates
from connector.testing import killpoints

log = logging.getLogger("connector.documents")


class BookingStopped(Exception):
    """The run stopped in the middle of a batch: the target paused it (`paused`), or it was asked to
    stop (`paused` None). `left` was not booked."""

    def __init__(self, paused: Paused | None, left: list[Document]) -> None:
        super().__init__(str(paused or "stopped on request"))
        self.paused = paused
        self.left = left


@dataclass
class Pending:
    document: Document
    your_ref: str
    description: str
    fingerprint: str
    payment_reference: payment_reference.Checked


def journal_for(run: Run, kind: DocumentKind) -> str:
    journal = run.rules.journals.invoices if kind == "invoice" else run.rules.journals.credit_notes
    assert journal is not None, "the rule file's checks require a journal for every synced kind"
    return journal


@dataclass
class Booking:
    """Books what the reader hands over; holds what is read once per run."""

    run: Run
    conditions: Conditions
    _reference: ReferenceData | None = None
    _primed: bool = False  # booking against reference data kept from an earlier run

    def __post_init__(self) -> None:
        run = self.run
        self.templates = Templates(run.rules)
        self.linker = CustomerLinker(run.rules, run.state, run.sink, run.report, run.dry_run, run.plan)
        self.waiting: set[str] = set()  # failed this run, parked until what they wait for changes
        self.periods = ClosedPeriods(run)

    def fail(self, document: Document, error: RecordError, lasting: bool = True) -> None:
        """A document that cannot go through; one that fails for a reason that lasts is parked with
        what it waits for (see `document_retry`)."""
        when = self.conditions.value() if lasting and not self.run.dry_run else None
        record_problem(self.run, document, error, when)
        if when is not None:
            self.run.state.park([(document.key, document.kind, document.updated_at, encode(document))])
            self.waiting.add(document.key)

    def reference(self) -> ReferenceData:
        """The target's reference data, read before the first write and checked against the rules."""
        if self._reference is None:
            rules = self.run.rules
            sink = self.run.sink
            kept = self.conditions.kept()
            if kept is not None and sink.prime_reference(kept):
                reference, self._primed = kept, True  # read less than an hour ago by another run
            else:
                reference = sink.reference_data()
                if not self.run.dry_run:
                    self.conditions.read(reference)
            problems = check_mapping(rules, reference)
            if problems:
                file = str(rules.path or rules.client)
                raise RuleFileError(
                    file,
                    problems,
                    hint="this run booked nothing, and nothing is lost: the documents wait and the "
                    "first run after the fix books them. Fix the lines above, then run "
                    f"`connector check {file}`, which checks the codes in the target as this run did",
                )
            self._reference = reference
        return self._reference

    def book(self, documents: list[Document]) -> None:
        """Book a batch; raises `BookingStopped` with what is left when the run stops in the middle."""
        pending = [item for document in documents if (item := self.sort_out(document)) is not None]
        if not pending:
            return
        run = self.run
        wanted = {(journal_for(run, p.document.kind), p.document.kind, p.your_ref) for p in pending}
        try:
            self.reference()  # before the batch's first call: a mapping the codes refuse stops here
            existing = run.sink.existing_entries(wanted)
        except Paused as paused:
            raise BookingStopped(paused, [p.document for p in pending]) from paused
        for position, item in enumerate(pending):
            if run.stopping("documents"):
                raise BookingStopped(None, [p.document for p in pending[position:]])
            try:
                # Per document: a refusal drops kept codes, read again before the next write.
                self.book_one(item, self.reference(), existing)
            except Paused as paused:
                raise BookingStopped(paused, [p.document for p in pending[position:]]) from paused

    def sort_out(self, document: Document) -> Pending | None:
        """What needs booking; the rest is settled here (left alone, reported, failed)."""
        run, state, report = self.run, self.run.state, self.run.report
        fingerprint = content_hash(document)
        known = state.ledger_get(document.key)
        if known is not None and known.done:
            if document.failure is not None:
                return None  # booked already; what the source cannot vouch for today cannot be compared
            if known.content_hash and not same_content(known.content_hash, document):
                reason = (
                    f"{document.number} changed in the source after it was booked as {known.target_id}; "
                    "it is not booked again"
                )
                report.skip(document.key, reason, "correct the entry in the target by hand if needed")
            if not run.dry_run and (
                known.content_hash != fingerprint or known.source_updated_at != document.updated_at
            ):
                state.ledger_record_result(
                    document.key,
                    known.target_id or "",
                    known.status,
                    content_hash=fingerprint,
                    source_updated_at=document.updated_at,
                )
            return None
        if document.failure is not None:
            failure = document.failure
            # The source's verdict may change with nothing else (a rate it could not check today).
            error = RecordFailed(failure.message, record_id=document.key, hint=failure.hint)
            self.fail(document, error, lasting=False)
            return None
        try:
            your_ref = self.templates.your_ref(document)
            description = self.templates.description(document)
            paying = payment_reference.check(self.templates.payment_reference(document))
        except RecordError as error:
            self.fail(document, error)
            return None
        return Pending(document, your_ref, description, fingerprint, paying)

    def left_out_reference(self, item: Pending) -> None:
        problem = item.payment_reference.problem
        if problem:
            self.run.report.notices.append(
                f"{item.document.key} {item.document.number}: payment reference {problem}; the entry is "
                "booked without one, so the bank import will not match its payment by reference: "
                "correct it in the source or in fields.payment_reference"
            )

    def book_one(
        self, item: Pending, reference: ReferenceData, existing: dict[tuple[str, DocumentKind, str], str]
    ) -> None:
        run, state, report = self.run, self.run.state, self.run.report
        document = item.document
        journal = journal_for(run, document.kind)
        found = existing.get((journal, document.kind, item.your_ref))
        if found is not None:
            report.add("documents.linked")
            run.plan.append(
                f"link    {document.key} {document.number}: already in journal {journal} as {found}"
            )
            if not run.dry_run:
                # Written by a run that lost its answer or crashed (an intent was recorded: the row
                # has a fingerprint) rather than booked by hand: its files are attached too.
                earlier = state.ledger_get(document.key)
                ours = earlier is not None and earlier.content_hash is not None and not earlier.done
                link = state.customer_link_get(document.customer.id)
                with state.transaction():
                    state.ledger_record_result(
                        document.key,
                        found,
                        "linked",
                        number=document.number,
                        content_hash=item.fingerprint,
                        source_updated_at=document.updated_at,
                    )
                    if ours:
                        queue_attachments(run, document, found, link.target_id if link else None)
            return
        try:
            # The entry first: a document that is skipped or fails must not create its customer.
            entry = build_entry(document, run.rules, reference, "", item.your_ref, item.description)
            entry = dataclasses.replace(
                entry,
                customer_target_id=self.linker.target_for(document.customer),
                payment_reference=item.payment_reference.value,
            )
            if run.dry_run:
                self.left_out_reference(item)
                run.planned.append(entry)
                report.add("documents.booked")
                report.add(f"booked.{document.kind}s")
                chosen = choose(document, run.rules, reference)
                lines = len(entry.lines)
                run.plan.append(
                    f"book    {document.key} {document.number}: journal {journal}, "
                    f"{lines} line{'s' * (lines != 1)}, "
                    f"{entry.total_excluding} + VAT {entry.total_vat} {entry.currency}, "
                    f"condition {entry.payment_condition} ({chosen.reason})"
                )
                return
            killpoints.reached("documents.before_intent")
            earlier = state.ledger_get(document.key)
            state.ledger_record_intent(
                document.key, document.kind, document.number, item.fingerprint, document.updated_at
            )
            killpoints.reached("documents.after_intent")
            try:
                target, booked = self.periods.book(entry)
            except Paused:  # refused before it was sent: no write is in doubt
                state.ledger_withdraw_intent(document.key, earlier.status if earlier else None)
                raise
            if booked.date != entry.date:
                report.notices.append(
                    f"{document.number} is dated {entry.date.isoformat()}, in a period that is closed in "
                    f"the target: booked on {booked.date.isoformat()}, the first open period "
                    "(closed_period: next_open)"
                )
            killpoints.reached("documents.after_write")
            with state.transaction():  # the files are queued with the booking, or neither is recorded
                state.ledger_record_result(document.key, target, "booked", number=document.number)
                queue_attachments(run, document, target, entry.customer_target_id)
            killpoints.reached("documents.after_result")
            report.add("documents.booked")
            report.add(f"booked.{document.kind}s")
            self.left_out_reference(item)
        except RecordError as error:
            self.fail(document, error)
        except ApiError as error:
            # Retried every run: a service's status does not tell a lasting refusal from a passing
            # fault (some services answer validation errors with a 500 as often as with a 400).
            refused = RecordFailed(error.message, record_id=document.key, hint=error.hint)
            self.fail(document, refused, lasting=False)
            if self._primed:  # the codes kept may be what is out of date: read them again
                self._primed = False
                self._reference = None
                self.run.sink.forget_reference()
                self.conditions.stale()
        except Paused:
            raise
        except RetriableError as error:
            hint = "the next run looks the entry up in the target before booking it, so it is never doubled"
            self.fail(document, RecordFailed(error.message, record_id=document.key, hint=hint), lasting=False)


def record_problem(run: Run, document: Document, error: RecordError, retry_when: str | None = None) -> None:
    """A document that cannot go through: reported, kept in the ledger, retried or skipped."""
    label = f"{document.key} {document.number}"
    if isinstance(error, RecordSkipped):
        run.report.skip(document.key, f"{document.number}: {error.message}", error.hint)
        run.plan.append(f"skip    {label}: {error.message}")
        status = "skipped"
    else:
        run.report.fail(document.key, f"{document.number}: {error.message}", error.hint)
        run.plan.append(f"fail    {label}: {error.message}")
        status = "failed"
    log.warning("%s %s: %s", status, label, error.message)
    if not run.dry_run:
        run.state.ledger_fail(
            document.key,
            error.message,
            error.hint,
            status,
            kind=document.kind,
            number=document.number,
            retry_when=retry_when,
        )
