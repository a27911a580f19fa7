"""Files attached to booked entries (`sync.attachments`): what waits, what is done, each step.

An attachment's life::

    (booked) ── attachment_queue ──▶ queued ── attachment_done ──▶ attached
                                       │  ▲
                      attachment_fail  ▼  │ (tried again next run)
                                      failed

A document is queued in the same transaction that records its booking, so no booked document is
ever left without its files, whatever the moment of a crash. The attachment itself takes several
calls in the target; each is a step (`attachment_steps`, see `connector.contract.steps`): begun
(committed before the call) and finished with what it gave (right after). A rerun hands the sink
the same steps, so a step finished is never made again, and a step begun and not finished is
looked up in the target before it is. `attached` never goes back: a rerun never attaches twice.

The methods live on `connector.state.store.StateStore`; this module holds them to keep each file small.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast

from connector.contract.records import AttachmentFormat, AttachmentTarget, DocumentKind
from connector.state.ledger import StoreMembers, from_text

AttachmentStatus = Literal["queued", "attached", "failed"]


@dataclass(frozen=True)
class QueuedAttachment:
    """A booked document whose files are to be attached (or were), with its latest failure."""

    entry: AttachmentTarget
    formats: tuple[AttachmentFormat, ...]
    status: AttachmentStatus
    target_id: str | None
    attempts: int
    last_error: str | None
    hint: str | None
    attached_at: datetime | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> QueuedAttachment:
        day = row["entry_date"]
        entry = AttachmentTarget(
            document_key=row["source_key"],
            kind=cast(DocumentKind, row["kind"]),
            number=row["number"],
            entry_id=row["entry_id"],
            customer_target_id=row["customer_id"],
            date=date.fromisoformat(day) if day else None,
        )
        formats = tuple(cast(AttachmentFormat, f) for f in str(row["formats"]).split(",") if f)
        return cls(
            entry,
            formats,
            cast(AttachmentStatus, row["status"]),
            row["target_id"],
            row["attempts"],
            row["last_error"],
            row["hint"],
            from_text(row["attached_at"]),
        )


class StoredSteps:
    """`Steps` of one document's attachment, kept in `attachment_steps`; each call commits."""

    def __init__(self, store: AttachmentTables, key: str) -> None:
        self.store, self.key = store, key

    def _value(self, step: str) -> tuple[bool, str | None]:
        rows = self.store._rows(
            "SELECT value FROM attachment_steps WHERE source_key = ? AND step = ?", (self.key, step)
        )
        return (True, rows[0]["value"]) if rows else (False, None)

    def done(self, step: str) -> str | None:
        return self._value(step)[1]

    def begun(self, step: str) -> bool:
        present, value = self._value(step)
        return present and value is None

    def begin(self, step: str) -> None:
        self._write(step, None)

    def finish(self, step: str, value: str) -> None:
        self._write(step, value)

    def _write(self, step: str, value: str | None) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO attachment_steps (source_key, step, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source_key, step) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (self.key, step, value, self.store._now()),
            )


class AttachmentTables(StoreMembers):
    """The attachment methods of `StateStore`."""

    def attachment_queue(self, entry: AttachmentTarget, formats: Iterable[AttachmentFormat]) -> None:
        """Queue the files of a booked document. One already queued or attached for the same entry
        is left as it is (a relink never attaches twice); a new entry of the document (booked again
        after `ledger unlink`, its old entry deleted) gets its files anew, from the first step."""
        now = self._now()
        with self.transaction() as db:
            known = self.attachment_get(entry.document_key)
            if known is not None and known.entry.entry_id != entry.entry_id:
                db.execute("DELETE FROM attachments WHERE source_key = ?", (entry.document_key,))
                db.execute("DELETE FROM attachment_steps WHERE source_key = ?", (entry.document_key,))
            db.execute(
                "INSERT OR IGNORE INTO attachments (source_key, kind, number, entry_id, customer_id, "
                "entry_date, formats, status, queued_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                (
                    entry.document_key,
                    entry.kind,
                    entry.number,
                    entry.entry_id,
                    entry.customer_target_id,
                    entry.date.isoformat() if entry.date else None,
                    ",".join(formats),
                    now,
                    now,
                ),
            )

    def attachment_get(self, key: str) -> QueuedAttachment | None:
        rows = self._rows("SELECT * FROM attachments WHERE source_key = ?", (key,))
        return QueuedAttachment.from_row(rows[0]) if rows else None

    def attachments_waiting(self) -> list[QueuedAttachment]:
        """Queued and failed attachments, in the order their documents were booked."""
        rows = self._rows(
            "SELECT * FROM attachments WHERE status IN ('queued', 'failed') ORDER BY queued_at, rowid"
        )
        return [QueuedAttachment.from_row(row) for row in rows]

    def attachment_steps(self, key: str) -> StoredSteps:
        return StoredSteps(self, key)

    def attachment_done(self, key: str, target_id: str) -> None:
        """The target holds the files of `key` as `target_id`: never attached again."""
        now = self._now()
        with self.transaction() as db:
            db.execute(
                "UPDATE attachments SET status = 'attached', target_id = ?, attached_at = ?, "
                "updated_at = ?, last_error = NULL, hint = NULL WHERE source_key = ?",
                (target_id, now, now, key),
            )

    def attachment_fail(self, key: str, reason: str, hint: str | None = None) -> None:
        """An attempt failed: it is tried again next run, from the steps it had made."""
        with self.transaction() as db:
            db.execute(
                "UPDATE attachments SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                "hint = ?, updated_at = ? WHERE source_key = ? AND status != 'attached'",
                (reason, hint, self._now(), key),
            )

    def attachment_counts(self) -> dict[str, int]:
        """Attachments per status, every status present (0 when none)."""
        counts = dict.fromkeys(("queued", "attached", "failed"), 0)
        for row in self._rows("SELECT status, count(*) AS n FROM attachments GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts
