"""Documents, source → target: booked invoices and credit notes become journal entries, never twice.

The order of one run:

1. the target's reference data, read once, and the mapping checked against it: a VAT code that is
   missing or inclusive, a missing journal or account stops the run before anything is written;
2. the documents changed since the cursor (all of them on the first run, or since `--since`), plus
   the ones that failed before, whatever their date;
3. for each: a document the ledger has booked is left alone (a change after booking is reported);
   one the source says it cannot vouch for (`Document.failure`) fails with the source's reason; its
   template fields are rendered; then one bulk look-up in the target by (journal, kind,
   your_ref) links entries that are already there (booked by hand, or by a run that crashed after
   writing), so they are never booked again;
4. the rest: the customer's account found or created, the entry built (amounts to the cent), the
   intent recorded, the entry booked, the result recorded;
5. the cursor moves to the newest document seen, only after all of that.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta

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
from connector.engine.fingerprint import content_hash
from connector.engine.flows.customer_links import CustomerLinker
from connector.engine.mapping import build_entry
from connector.engine.payment_terms import choose
from connector.engine.preflight import check_mapping
from connector.engine.run import Run
from connector.engine.templates import Templates
from connector.testing import killpoints

log = logging.getLogger("connector.documents")

CURSOR = "documents.updated_since"


def kinds_synced(run: Run) -> list[DocumentKind]:
    kinds: list[DocumentKind] = []
    if run.rules.sync.invoices:
        kinds.append("invoice")
    if run.rules.sync.credit_notes:
        kinds.append("credit_note")
    return kinds


def journal_for(run: Run, kind: DocumentKind) -> str:
    journal = run.rules.journals.invoices if kind == "invoice" else run.rules.journals.credit_notes
    assert journal is not None, "the rule file's checks require a journal for every synced kind"
    return journal


def read_cursor(run: Run) -> tuple[datetime | None, frozenset[str]]:
    """Where the last run stopped reading: the newest change it saw, and the documents changed at
    exactly that moment (a source's filter may include that moment: those need not be read again).
    `--since` reads from that day, everything."""
    if run.since is not None:
        return datetime(run.since.year, run.since.month, run.since.day, tzinfo=UTC), frozenset()
    value = run.state.cursor_get(CURSOR)
    if not value:
        return None, frozenset()
    if value.startswith("{"):
        data = json.loads(value)
        return datetime.fromisoformat(data["since"]), frozenset(data.get("seen", ()))
    return datetime.fromisoformat(value), frozenset()  # a place kept by a paused run


def collect(run: Run) -> list[Document]:
    """Changed documents, and the ones to retry; each once, in date order."""
    kinds = kinds_synced(run)
    since, seen = read_cursor(run)
    documents = {
        document.key: document
        for document in run.source.documents(
            kinds=kinds, start_date=run.rules.sync.start_date, updated_since=since, unchanged=seen
        )
    }
    retry = [key for key in run.state.ledger_failed_keys() if key not in documents]
    retry += [key for key in run.state.ledger_keys("skipped") if key not in documents]
    retry += [key for key in run.state.ledger_keys("intent") if key not in documents]
    if retry:
        for document in run.source.documents_by_key(retry):
            documents[document.key] = document
    return sorted(documents.values(), key=lambda d: (d.date, d.kind, d.number))


def sync_documents(run: Run) -> None:
    rules, state, report = run.rules, run.state, run.report
    documents = collect(run)
    templates = Templates(rules)
    pending: list[tuple[Document, str, str, str]] = []  # document, your_ref, description, hash
    newest: datetime | None = None
    for document in documents:
        if document.updated_at and (newest is None or document.updated_at > newest):
            newest = document.updated_at
        fingerprint = content_hash(document)
        known = state.ledger_get(document.key)
        if known is not None and known.done:
            if document.failure is not None:
                continue  # booked already; what the source cannot vouch for today cannot be compared
            if known.content_hash and known.content_hash != fingerprint:
                reason = (
                    f"{document.number} changed in the source after it was booked as {known.target_id}; "
                    "it is not booked again"
                )
                report.skip(document.key, reason, "correct the entry in the target by hand if needed")
                if not run.dry_run:
                    state.ledger_record_result(
                        document.key, known.target_id or "", known.status, content_hash=fingerprint
                    )
            continue
        if document.failure is not None:
            failure = document.failure
            record_problem(
                run, document, RecordFailed(failure.message, record_id=document.key, hint=failure.hint)
            )
            continue
        try:
            your_ref = templates.your_ref(document)
            description = templates.description(document)
        except RecordError as error:
            record_problem(run, document, error)
            continue
        pending.append((document, your_ref, description, fingerprint))

    if not pending:  # nothing to book: the target's reference data is not even read
        advance_cursor(run, documents, newest)
        return
    # Read once per run, and checked before the first write: a missing or inclusive VAT code, a
    # journal or account that is not there, stops the run before anything is booked.
    reference = run.sink.reference_data()
    problems = check_mapping(rules, reference)
    if problems:
        file = str(rules.path or rules.client)
        raise RuleFileError(
            file,
            problems,
            hint="this run booked nothing, and nothing is lost: "
            + (f"the {len(pending)} documents wait" if len(pending) > 1 else "the document waits")
            + " and the first run after the fix books them. Fix the lines above, then run "
            f"`connector check {file}`, which checks the codes in the target as this run did",
        )
    wanted = {(journal_for(run, d.kind), d.kind, ref) for d, ref, _, _ in pending}
    existing = run.sink.existing_entries(wanted)
    linker = CustomerLinker(rules, state, run.sink, report, run.dry_run, run.plan)

    stopped = False
    for done, (document, your_ref, description, fingerprint) in enumerate(pending):
        run.tick("documents", done, len(pending))
        if run.stopping("documents"):
            stopped = True
            break
        journal = journal_for(run, document.kind)
        found = existing.get((journal, document.kind, your_ref))
        if found is not None:
            report.add("documents.linked")
            run.plan.append(
                f"link    {document.key} {document.number}: already in journal {journal} as {found}"
            )
            if not run.dry_run:
                state.ledger_record_result(
                    document.key, found, "linked", number=document.number, content_hash=fingerprint
                )
            continue
        try:
            # The entry first: a document that is skipped or fails must not create its customer.
            entry = build_entry(document, rules, reference, "", your_ref, description)
            customer_target = linker.target_for(document.customer)
            entry = dataclasses.replace(entry, customer_target_id=customer_target)
            if run.dry_run:
                run.planned.append(entry)
                report.add("documents.booked")
                report.add(f"booked.{document.kind}s")
                chosen = choose(document, rules, reference)
                lines = len(entry.lines)
                run.plan.append(
                    f"book    {document.key} {document.number}: journal {journal}, "
                    f"{lines} line{'s' * (lines != 1)}, "
                    f"{entry.total_excluding} + VAT {entry.total_vat} {entry.currency}, "
                    f"condition {entry.payment_condition} ({chosen.reason})"
                )
                continue
            killpoints.reached("documents.before_intent")
            state.ledger_record_intent(document.key, document.kind, document.number, fingerprint)
            killpoints.reached("documents.after_intent")
            target = run.sink.book(entry)
            killpoints.reached("documents.after_write")
            state.ledger_record_result(document.key, target, "booked", number=document.number)
            killpoints.reached("documents.after_result")
            report.add("documents.booked")
            report.add(f"booked.{document.kind}s")
        except RecordError as error:
            record_problem(run, document, error)
        except ApiError as error:
            record_problem(
                run, document, RecordFailed(error.message, record_id=document.key, hint=error.hint)
            )
        except Paused:
            report.notices.append(f"documents: {len(pending) - done} left for the next run")
            keep_place(run, [item[0] for item in pending[done:]])
            raise
        except RetriableError as error:
            hint = "the next run looks the entry up in the target before booking it, so it is never doubled"
            record_problem(run, document, RecordFailed(error.message, record_id=document.key, hint=hint))

    run.tick("documents", len(pending), len(pending))
    if not stopped:
        advance_cursor(run, documents, newest)


def advance_cursor(run: Run, documents: list[Document], newest: datetime | None) -> None:
    """After every document was handled: the next run reads only what changed since the newest."""
    if newest is None or run.dry_run or run.since is not None:
        return
    seen = sorted(document.key for document in documents if document.updated_at == newest)
    value = json.dumps({"since": newest.isoformat(), "seen": seen})
    with run.state.transaction():
        run.state.cursor_set(CURSOR, value)
        killpoints.reached("documents.cursor_uncommitted")
    killpoints.reached("documents.after_cursor")


def keep_place(run: Run, left: list[Document]) -> None:
    """A paused run moves the cursor up to just before the oldest change it did not reach, so the
    next run reads only from there, not every document again."""
    if run.dry_run or run.since is not None:
        return
    stamps = [document.updated_at for document in left if document.updated_at]
    if not stamps:
        return
    place = min(stamps) - timedelta(seconds=1)  # whether the source's filter is inclusive or not
    current, _ = read_cursor(run)
    if current is None or current < place:
        run.state.cursor_set(CURSOR, place.isoformat())


def record_problem(run: Run, document: Document, error: RecordError) -> None:
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
            document.key, error.message, error.hint, status, kind=document.kind, number=document.number
        )
