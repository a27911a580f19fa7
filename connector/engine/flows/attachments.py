"""Attachments: each booked document's files (its PDF, its UBL e-invoice) kept beside its entry.

With `sync.attachments` set, a document is queued in the state in the same transaction that
records its booking (`queue_attachments`), and the documents flow ends with `attach_documents`:
for each queued document, oldest first, the source renders its files (`Source.download`) and the
sink attaches them to the entry (`Sink.attach`, which records each of its calls as a step, see
`connector.contract.steps`).

The rules this keeps:

- **bookings go first**: attaching starts once this run's bookings are done, and not at all when
  the bookings paused (the day's budget spent); what waits is attached by a later run;
- **a failed attachment never touches its booking**: it is reported, kept as failed and tried
  again next run, from the steps it had made; the entry stays booked, as it was;
- **never twice**: an attached document is never attached again, and a step begun before a crash
  is looked up in the target before it is made again.

A dry run attaches nothing and downloads nothing: it says what a real run would attach and counts
its calls (`Run.planned_reads`, `Run.planned_writes`) for the plan's estimate.
"""

from __future__ import annotations

import logging

from connector.contract.errors import (
    ApiError,
    ConfigurationError,
    Paused,
    RecordError,
    RetriableError,
)
from connector.contract.records import AttachmentTarget, Document
from connector.contract.services import Sink, Source
from connector.engine.run import Run
from connector.rules.model import Rules
from connector.state.attachments import QueuedAttachment

log = logging.getLogger("connector.attachments")

RETRY_HINT = "the entry stays booked; the next run tries again, and never attaches a file twice"


def check_capable(rules: Rules, source: Source, sink: Sink) -> None:
    """With `sync.attachments`, both plugins must download and attach: said before anything is
    synced, not after the bookings."""
    if not rules.sync.attachment_formats:
        return
    missing = [
        f"{service.name} cannot {verb}"
        for service, base, method, verb in (
            (source, Source, "download", "download its documents"),
            (sink, Sink, "attach", "attach files to entries"),
        )
        if getattr(type(service), method) is getattr(base, method)
    ]
    if missing:
        raise ConfigurationError(
            f"sync.attachments is {rules.sync.attachments!r}, but {' and '.join(missing)}",
            hint="set sync.attachments to none, or use plugins that can download and attach documents",
        )


def queue_attachments(run: Run, document: Document, entry_id: str, customer_target_id: str | None) -> None:
    """Queue the files of a document just booked (call it inside the booking's transaction)."""
    formats = run.rules.sync.attachment_formats
    if not formats or run.dry_run:
        return
    entry = AttachmentTarget(
        document.key, document.kind, document.number, entry_id, customer_target_id, document.date
    )
    run.state.attachment_queue(entry, formats)


def attach_documents(run: Run) -> None:
    """Attach what waits, oldest first; a spent budget stops here and the rest waits, still queued."""
    if not run.rules.sync.attachment_formats:
        return
    waiting = run.state.attachments_waiting()
    if run.dry_run:
        plan_attachments(run, waiting)
        return
    for position, item in enumerate(waiting):
        if run.stopping("attachments"):
            return
        run.tick("attachments", position, len(waiting))
        try:
            attach_one(run, item)
        except Paused:
            left = len(waiting) - position
            waits = f"{left} documents wait" if left > 1 else "1 document waits"
            run.report.notices.append(
                f"attachments: {waits} for a later run to attach {'their' if left > 1 else 'its'} files "
                "(bookings go first: this run booked all it read)"
            )
            raise
    run.tick("attachments", len(waiting), len(waiting))


def attach_one(run: Run, item: QueuedAttachment) -> None:
    entry = item.entry
    key = entry.document_key
    try:
        files = [run.source.download(entry, file_format) for file_format in item.formats]
        target = run.sink.attach(entry, files, run.state.attachment_steps(key))
    except Paused:
        raise
    except NotImplementedError as error:
        raise ConfigurationError(
            f"sync.attachments is {run.rules.sync.attachments!r}, but {error}",
            hint="set sync.attachments to none, or use plugins that can download and attach documents",
        ) from error
    except (RecordError, ApiError, RetriableError) as error:
        hint = error.hint or RETRY_HINT
        run.state.attachment_fail(key, error.message, hint)
        run.report.fail(
            key, f"{entry.number}: files not attached: {error.message}", hint, group="attachments"
        )
        log.warning("attachment of %s %s failed: %s", key, entry.number, error.message)
        return
    run.state.attachment_done(key, target)
    run.report.add("attachments.attached")
    log.info("attached %s to %s %s", ", ".join(item.formats), key, entry.number)


def plan_attachments(run: Run, waiting: list[QueuedAttachment]) -> None:
    """What a real run would attach: the documents waiting from earlier runs, then the ones this
    run would book; and what it would cost, side by side."""
    formats = run.rules.sync.attachment_formats
    sink, source = run.sink.title or run.sink.name, run.source.title or run.source.name
    items = [(item.entry.document_key, item.entry.number, item.formats) for item in waiting]
    items += [(entry.document_key, entry.your_ref, formats) for entry in run.planned]
    try:
        for key, number, files in items:
            calls = run.sink.attach_calls(len(files))
            downloads = len(files) * run.source.download_calls
            run.plan.append(
                f"attach  {key} {number}: {' and '.join(f.upper() for f in files)} "
                f"({calls} {sink} calls, {downloads} {source} calls)"
            )
            run.report.add("attachments.attached")
            run.planned_writes["sink"] = run.planned_writes.get("sink", 0) + calls
            run.planned_reads["source"] = run.planned_reads.get("source", 0) + downloads
    except NotImplementedError as error:
        raise ConfigurationError(
            f"sync.attachments is {run.rules.sync.attachments!r}, but {error}",
            hint="set sync.attachments to none, or use plugins that can download and attach documents",
        ) from error
