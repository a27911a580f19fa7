"""Documents, source → target: booked invoices and credit notes become journal entries, never twice.

A run streams: a reader thread lists what changed since the cursor and reads the documents' details
(`document_reader`), while this thread books them a batch at a time (`document_booking`), so the
source's calls overlap the target's and memory stays flat however many documents there are.

When the run pauses (the target's daily budget is spent, an endpoint's circuit opens) or is asked
to stop, what it read or listed and did not book is parked in the state: the next run books it
without reading it again. The cursor moves to the newest change of a list read to its end, once
every document of that list is booked, failed, skipped or parked; a second crowded with changes
(a bulk import) is stepped past once it is safely in the past, so it is not listed again.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from connector.contract.records import Document, DocumentKind
from connector.engine.flows.attachments import attach_documents
from connector.engine.flows.document_booking import Booking, BookingStopped, journal_for
from connector.engine.flows.document_reader import DocumentReader, Listing, parked_rows
from connector.engine.flows.document_retry import Conditions
from connector.engine.run import Run
from connector.testing import killpoints

__all__ = ["CURSOR", "journal_for", "kinds_synced", "read_cursor", "sync_documents"]

log = logging.getLogger("connector.documents")

CURSOR = "documents.updated_since"
LOOKUP_BATCH = 120
"""Documents per look-up round in the target (a sink that looks up 40 references a call makes three)."""
SETTLED = timedelta(minutes=10)
"""A change this old is visible in every list: its second is not listed again."""


def kinds_synced(run: Run) -> list[DocumentKind]:
    kinds: list[DocumentKind] = []
    if run.rules.sync.invoices:
        kinds.append("invoice")
    if run.rules.sync.credit_notes:
        kinds.append("credit_note")
    return kinds


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
    return datetime.fromisoformat(value), frozenset()  # a place kept by an older version


def retry_keys(run: Run) -> list[str]:
    """Documents to read again whatever the cursor: failed, skipped, or caught between intent and result."""
    state = run.state
    return [*state.ledger_failed_keys(), *state.ledger_keys("skipped"), *state.ledger_keys("intent")]


def sync_documents(run: Run) -> None:
    started = run.state.clock()
    since, seen = read_cursor(run)
    conditions = Conditions(run)
    held = conditions.held(run.state.ledger_waiting_for())
    retry = [key for key in retry_keys(run) if key not in held]
    reader = DocumentReader(run, kinds_synced(run), since, seen, retry, held).start()
    booking = Booking(run, conditions)
    tried: set[str] = set()  # of the held ones, those that changed and were tried again
    try:
        stream(run, reader, booking, since, seen, started, held, tried)
    finally:
        report_held(run, held - tried)
    attach_documents(run)  # after every booking of the run; not reached when the bookings paused


def stream(
    run: Run,
    reader: DocumentReader,
    booking: Booking,
    since: datetime | None,
    seen: frozenset[str],
    started: datetime,
    held: set[str],
    tried: set[str],
) -> None:
    done = 0
    batch: list[Document] = []
    try:
        while True:
            run.tick("documents", done, max(reader.expected, done))
            if run.stopping("documents"):
                raise BookingStopped(None, [])
            taken = reader.take(LOOKUP_BATCH)
            if taken is None:
                break
            if not taken:
                continue  # asked to stop while waiting: the check above stops the run
            batch = taken
            tried.update(document.key for document in batch if document.key in held)
            booking.book(batch)
            settle(run, batch, booking.waiting)
            done += len(batch)
            batch = []
    except BookingStopped as stopped:
        left = {document.key for document in stopped.left}
        settle(run, [document for document in batch if document.key not in left], booking.waiting)
        parked = park(run, reader, stopped.left)
        if parked:
            run.report.notices.append(f"documents: {parked} left for the next run, kept in the state")
        advance_cursor(run, reader.listing, since, seen, started)
        if stopped.paused is not None:
            raise stopped.paused from None
        return
    except BaseException:
        try:
            park(run, reader, batch)
        except Exception:  # the state itself may be what failed: the documents are read again
            log.exception("could not park the documents read")
        raise
    run.tick("documents", done, done)
    if not run.dry_run and reader.gone:
        run.state.unpark(reader.gone)
    advance_cursor(run, reader.listing, since, seen, started)


def settle(run: Run, documents: list[Document], waiting: set[str]) -> None:
    """Documents handled this run (the ledger has them now) leave the parked ones, but for failures
    that wait for a change: they stay parked with what they were."""
    if documents and not run.dry_run:
        run.state.unpark(document.key for document in documents if document.key not in waiting)


def report_held(run: Run, held: set[str]) -> None:
    """Failures that wait for a change are reported as they failed, without a call."""
    for key in sorted(held):
        entry = run.state.ledger_get(key)
        if entry is None:
            continue
        message = f"{entry.number or key}: {entry.last_error}"
        if entry.status == "skipped":
            run.report.skip(key, message, entry.hint)
        else:
            run.report.fail(key, message, entry.hint)
    if held:
        count = len(held)
        run.report.notices.append(
            f"documents: {count} failed before and {'wait' if count > 1 else 'waits'} for a fix; not tried "
            "again until the document, the rule file or the target's codes change "
            "(`connector run --retry-failed` tries now)"
        )


def park(run: Run, reader: DocumentReader, left: list[Document]) -> int:
    """Stop the reader and keep what was read or listed and not booked, for the next run."""
    read, unread = reader.stop()
    if run.dry_run:
        return 0
    return run.state.park(parked_rows([*left, *read], unread))


def advance_cursor(
    run: Run, listing: Listing, since: datetime | None, seen: frozenset[str], started: datetime
) -> None:
    """After a list read to its end was handled (booked, failed, skipped or parked), the next run
    reads only what changed since its newest change. A newest second safely in the past is stepped
    past: the documents of a crowded second are then not listed again and again."""
    if run.dry_run or run.since is not None or not listing.complete:
        return
    newest, at_newest = listing.newest, set(listing.at_newest)
    if since is not None and (newest is None or newest <= since):
        newest, at_newest = since, at_newest | set(seen) if newest == since else set(seen)
    if newest is None:
        return
    if started - newest >= SETTLED:
        value = json.dumps(
            {"since": (newest.replace(microsecond=0) + timedelta(seconds=1)).isoformat(), "seen": []}
        )
    else:
        value = json.dumps({"since": newest.isoformat(), "seen": sorted(at_newest)})
    if value == run.state.cursor_get(CURSOR):
        return
    with run.state.transaction():
        run.state.cursor_set(CURSOR, value)
        killpoints.reached("documents.cursor_uncommitted")
    killpoints.reached("documents.after_cursor")
