"""Documents read from the source and not yet booked: kept so that no document is read twice.

A first sync of thousands of documents spans days when the target allows a few thousand calls a
day. When a run pauses (the day's budget is spent, or it is asked to stop), what it had listed
and not reached is parked here:

- `document` set: read in full (its details cost a call each), kept as JSON with the moment the
  source last changed it; the next run books it without reading it again, unless the source's
  list shows it changed since;
- `document` NULL: listed only; the next run reads its details, and nothing else of the listing.

A parked row leaves when its document is booked, linked, failed or skipped (the ledger has it
then), or when the source no longer lists it.

The methods live on `connector.state.store.StateStore`; this module holds them to keep each file small.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.state.ledger import StoreMembers, from_text, to_text

PAGE = 500


@dataclass(frozen=True)
class ParkedDocument:
    source_key: str
    kind: str
    updated_at: datetime | None
    document: str | None  # the document as JSON, or None when only listed

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ParkedDocument:
        return cls(row["source_key"], row["kind"], from_text(row["source_updated_at"]), row["document"])


class ParkedTables(StoreMembers):
    """The parked-document methods of `StateStore`."""

    def park(self, items: Iterable[tuple[str, str, datetime | None, str | None]]) -> int:
        """Park (key, kind, source updated_at, document JSON or None) rows; a row already parked
        with its document keeps the document unless the new one has one too. Returns the count."""
        now = self._now()
        count = 0
        with self.transaction() as db:
            for key, kind, updated_at, document in items:
                db.execute(
                    "INSERT INTO parked_documents (source_key, kind, source_updated_at, document, parked_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source_key) DO UPDATE SET "
                    "document = CASE WHEN excluded.document IS NOT NULL THEN excluded.document "
                    "WHEN excluded.source_updated_at IS source_updated_at THEN document END, "
                    "source_updated_at = excluded.source_updated_at, parked_at = excluded.parked_at",
                    (key, kind, to_text(updated_at) if updated_at else None, document, now),
                )
                count += 1
        return count

    def parked_get(self, key: str) -> ParkedDocument | None:
        rows = self._rows("SELECT * FROM parked_documents WHERE source_key = ?", (key,))
        return ParkedDocument.from_row(rows[0]) if rows else None

    def parked(self) -> Iterator[ParkedDocument]:
        """Every parked document in key order, a page at a time (there may be many)."""
        after = ""
        while True:
            rows = self._rows(
                "SELECT * FROM parked_documents WHERE source_key > ? ORDER BY source_key LIMIT ?",
                (after, PAGE),
            )
            if not rows:
                return
            for row in rows:
                yield ParkedDocument.from_row(row)
            after = rows[-1]["source_key"]

    def parked_count(self) -> dict[str, int]:
        """How many parked documents wait to be booked, read ("read") or only listed ("listed");
        failures kept with what they were (they wait for a fix, the ledger says which) are not counted."""
        rows = self._rows(
            "SELECT p.document IS NOT NULL AS read, count(*) AS n FROM parked_documents p "
            "LEFT JOIN ledger l ON l.source_key = p.source_key "
            "WHERE l.status IS NULL OR l.status NOT IN ('failed', 'skipped') GROUP BY 1"
        )
        counts = {"read": 0, "listed": 0}
        for row in rows:
            counts["read" if row["read"] else "listed"] = row["n"]
        return counts

    def unpark(self, keys: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM parked_documents WHERE source_key = ?", ((key,) for key in keys))
