"""The ledger: which source record became which target record, and customer links both ways.

A document's life in the ledger::

    (new) ── record_intent ──▶ intent ── record_result ──▶ booked | linked ── mark_paid
                                  │                              (paid_at, payment_amount)
                                  └── fail ──▶ failed | skipped ── record_intent (retried next run)

`intent` is written and committed before the remote write, the result right after it. A row still
in `intent` after a crash means "the target may or may not have it": the engine looks it up in the
target before writing again, so nothing is booked twice. `linked` is an entry found in the target
(booked by hand before the link existed) rather than written by connector. A booked or linked row
never goes back: a later failure only records its error beside the link.

The methods live on `connector.state.store.StateStore`; this module holds them to keep each file small.
"""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, cast

LedgerStatus = Literal["intent", "booked", "linked", "failed", "skipped"]
STATUSES: tuple[LedgerStatus, ...] = ("intent", "booked", "linked", "failed", "skipped")
DONE: tuple[LedgerStatus, ...] = ("booked", "linked")


def to_text(moment: datetime) -> str:
    """Timestamps are stored as ISO 8601 text, so they sort and read back with their offset."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive datetime cannot be stored: {moment!r}")
    return moment.isoformat()


def _text(moment: datetime | None) -> str | None:
    return to_text(moment) if moment is not None else None


def from_text(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class LedgerEntry:
    """One source record (`source_key`, e.g. "invoice:<id>") and what became of it in the target.

    `attempts` counts the failed attempts; `last_error` and `hint` are the latest failure's reason
    and fix, cleared when the record is booked.
    """

    source_key: str
    kind: str
    number: str | None
    target_id: str | None
    content_hash: str | None
    status: LedgerStatus
    attempts: int
    last_error: str | None
    hint: str | None
    first_seen: datetime
    updated_at: datetime
    booked_at: datetime | None
    paid_at: datetime | None
    payment_amount: Decimal | None
    source_updated_at: datetime | None = None  # when the source last changed it, as last read
    retry_when: str | None = None  # a failure that waits for this to change (see `ledger_fail`)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> LedgerEntry:
        amount = row["payment_amount"]
        return cls(
            source_key=row["source_key"],
            kind=row["kind"],
            number=row["number"],
            target_id=row["target_id"],
            content_hash=row["content_hash"],
            status=cast(LedgerStatus, row["status"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            hint=row["hint"],
            first_seen=datetime.fromisoformat(row["first_seen"]),
            updated_at=datetime.fromisoformat(row["updated_at"]),
            booked_at=from_text(row["booked_at"]),
            paid_at=from_text(row["paid_at"]),
            payment_amount=Decimal(amount) if amount is not None else None,
            source_updated_at=from_text(row["source_updated_at"]),
            retry_when=row["retry_when"],
        )

    @property
    def done(self) -> bool:
        """Booked or linked: the target has it, and it must never be written again."""
        return self.status in DONE


@dataclass(frozen=True)
class CustomerLink:
    """A source customer and the target account it is linked to.

    Each direction keeps its own fingerprint: `content_hash` is the source customer as last sent to
    the target (documents flow), `import_hash` the target account as last imported into the source
    (customer import). Comparing one side's record with the other side's hash would make every
    import look like a change and send it back again.
    """

    source_id: str
    target_id: str
    content_hash: str | None
    updated_at: datetime
    import_hash: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CustomerLink:
        return cls(
            row["source_id"],
            row["target_id"],
            row["content_hash"],
            datetime.fromisoformat(row["updated_at"]),
            row["import_hash"],
        )


def _kind_of(key: str) -> str:
    return key.split(":", 1)[0]


class StoreMembers:
    """What a group of `StateStore` methods kept in a module of its own uses of the store."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        raise NotImplementedError

    def _now(self) -> str:
        raise NotImplementedError


class LedgerTables(StoreMembers):
    """The ledger and customer-link methods of `StateStore`."""

    # --- documents -------------------------------------------------------------------------------

    def ledger_get(self, key: str) -> LedgerEntry | None:
        rows = self._rows("SELECT * FROM ledger WHERE source_key = ?", (key,))
        return LedgerEntry.from_row(rows[0]) if rows else None

    def ledger_record_intent(
        self,
        key: str,
        kind: str,
        number: str | None,
        content_hash: str | None,
        source_updated_at: datetime | None = None,
    ) -> None:
        """Say a remote write of `key` is about to happen; commit this before making the call.

        Raises ValueError for a record already booked or linked: writing it again would duplicate it.
        """
        with self.transaction() as db:
            current = self.ledger_get(key)
            if current is not None and current.done:
                raise ValueError(f"{key} is already {current.status} as {current.target_id}")
            now = self._now()
            db.execute(
                "INSERT INTO ledger (source_key, kind, number, content_hash, status, first_seen, updated_at, "
                "source_updated_at) VALUES (?, ?, ?, ?, 'intent', ?, ?, ?) "
                "ON CONFLICT (source_key) DO UPDATE SET kind = excluded.kind, number = excluded.number, "
                "content_hash = excluded.content_hash, "
                "status = 'intent', updated_at = excluded.updated_at, "
                "source_updated_at = excluded.source_updated_at",
                (key, kind, number, content_hash, now, now, _text(source_updated_at)),
            )

    def ledger_withdraw_intent(self, key: str, earlier: str | None) -> None:
        """The write `ledger_record_intent` announced was never sent (the day's budget was spent
        before it, say): `key` is back to its `earlier` status, or unknown again when it had none.
        The target is still looked up before the next write, as for any record not booked."""
        where = "WHERE source_key = ? AND status = 'intent'"
        with self.transaction() as db:
            if earlier is None:
                db.execute(f"DELETE FROM ledger {where}", (key,))
            else:
                db.execute(f"UPDATE ledger SET status = ? {where}", (earlier, key))

    def ledger_record_result(
        self,
        key: str,
        target_id: str,
        status: str = "booked",
        *,
        kind: str | None = None,
        number: str | None = None,
        content_hash: str | None = None,
        source_updated_at: datetime | None = None,
    ) -> None:
        """Record that the target has `key` as `target_id`: "booked" by connector, or "linked" when
        found there already. A key without an intent row (a link found before writing) is created,
        its kind taken from the key when not given. Recording a result again (a new content hash
        for a booked record, say) keeps the original `booked_at`."""
        if status not in DONE:
            raise ValueError(f"a result is booked or linked, not {status!r}")
        now = self._now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO ledger (source_key, kind, number, target_id, content_hash, status, first_seen, "
                "updated_at, booked_at, source_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (source_key) DO UPDATE SET target_id = excluded.target_id, "
                "status = excluded.status, updated_at = excluded.updated_at, "
                "booked_at = CASE WHEN status IN ('booked', 'linked') THEN booked_at "
                "ELSE excluded.booked_at END, "
                "number = coalesce(excluded.number, number), "
                "content_hash = coalesce(excluded.content_hash, content_hash), "
                "source_updated_at = coalesce(excluded.source_updated_at, source_updated_at), "
                "last_error = NULL, hint = NULL, retry_when = NULL",
                (
                    key,
                    kind or _kind_of(key),
                    number,
                    target_id,
                    content_hash,
                    status,
                    now,
                    now,
                    now,
                    _text(source_updated_at),
                ),
            )

    def ledger_fail(
        self,
        key: str,
        reason: str,
        hint: str | None = None,
        status: str = "failed",
        *,
        kind: str | None = None,
        number: str | None = None,
        retry_when: str | None = None,
    ) -> None:
        """Record why `key` did not go through. "failed" counts an attempt; "skipped" is on purpose
        (unmapped, changed after booking). Both are retried next run, unless `retry_when` says what
        the failure waits for (a digest of the rules and reference data it failed against): then
        not before that changes, or the document does. A booked or linked row keeps its status and
        link, and only gets the reason beside it."""
        if status not in ("failed", "skipped"):
            raise ValueError(f"a failure is failed or skipped, not {status!r}")
        now = self._now()
        counted = 1 if status == "failed" else 0
        with self.transaction() as db:
            db.execute(
                "INSERT INTO ledger (source_key, kind, number, status, attempts, last_error, hint, "
                "first_seen, updated_at, retry_when) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (source_key) DO UPDATE SET "
                "status = CASE WHEN status IN ('booked', 'linked') THEN status ELSE excluded.status END, "
                "attempts = attempts + excluded.attempts, last_error = excluded.last_error, "
                "hint = excluded.hint, updated_at = excluded.updated_at, "
                "number = coalesce(excluded.number, number), retry_when = excluded.retry_when",
                (key, kind or _kind_of(key), number, status, counted, reason, hint, now, now, retry_when),
            )

    def ledger_by_target(self, target_id: str) -> LedgerEntry | None:
        """The source record linked to a target id (a paid receivable's entry, say)."""
        rows = self._rows(
            "SELECT * FROM ledger WHERE target_id = ? ORDER BY source_key LIMIT 1", (target_id,)
        )
        return LedgerEntry.from_row(rows[0]) if rows else None

    def ledger_keys(self, status: LedgerStatus) -> list[str]:
        rows = self._rows("SELECT source_key FROM ledger WHERE status = ? ORDER BY source_key", (status,))
        return [row["source_key"] for row in rows]

    def ledger_waiting_for(self) -> dict[str, str]:
        """Failed and skipped records that wait for something to change, and what (`retry_when`)."""
        rows = self._rows(
            "SELECT source_key, retry_when FROM ledger "
            "WHERE status IN ('failed', 'skipped') AND retry_when IS NOT NULL"
        )
        return {row["source_key"]: row["retry_when"] for row in rows}

    def ledger_failed_keys(self) -> list[str]:
        """Records that failed and are retried on the next run, whatever their date or cursor."""
        return self.ledger_keys("failed")

    def ledger_unpaid(self, kind: str = "invoice") -> list[LedgerEntry]:
        """Booked or linked records of `kind` not yet marked paid: what the payments flow watches."""
        rows = self._rows(
            "SELECT * FROM ledger WHERE kind = ? AND status IN ('booked', 'linked') AND paid_at IS NULL "
            "ORDER BY source_key",
            (kind,),
        )
        return [LedgerEntry.from_row(row) for row in rows]

    def ledger_counts(self) -> dict[str, int]:
        """Records per status, every status present (0 when none)."""
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for row in self._rows("SELECT status, count(*) AS n FROM ledger GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    def ledger_by_number(self, number: str) -> list[LedgerEntry]:
        """The records with this document number: an invoice and a credit note may share one."""
        rows = self._rows("SELECT * FROM ledger WHERE number = ? ORDER BY source_key", (number,))
        return [LedgerEntry.from_row(row) for row in rows]

    def ledger_waiting(self) -> list[LedgerEntry]:
        """Failed and skipped records, oldest change first: what waits for a person's fix."""
        rows = self._rows(
            "SELECT * FROM ledger WHERE status IN ('failed', 'skipped') ORDER BY updated_at, source_key"
        )
        return [LedgerEntry.from_row(row) for row in rows]

    def ledger_unlink(self, key: str) -> bool:
        """Forget `key` (its target entry was removed, say): the next run treats it as new, and
        still looks the target up by its reference before writing. False if it was unknown."""
        with self.transaction() as db:
            return db.execute("DELETE FROM ledger WHERE source_key = ?", (key,)).rowcount > 0

    def mark_paid(self, key: str, amount: Decimal, paid_at: datetime) -> None:
        """Record the payment registered on the source document, so it is never registered twice."""
        if not isinstance(amount, Decimal):
            raise TypeError(f"a payment amount is a Decimal, not {type(amount).__name__}")
        with self.transaction() as db:
            changed = db.execute(
                "UPDATE ledger SET paid_at = ?, payment_amount = ?, updated_at = ? WHERE source_key = ?",
                (to_text(paid_at), str(amount), self._now(), key),
            ).rowcount
            if not changed:
                raise KeyError(f"{key} is not in the ledger")

    # --- customers -------------------------------------------------------------------------------

    def customer_link_get(self, source_id: str) -> CustomerLink | None:
        rows = self._rows("SELECT * FROM customers WHERE source_id = ?", (source_id,))
        return CustomerLink.from_row(rows[0]) if rows else None

    def customer_link_by_target(self, target_id: str) -> CustomerLink | None:
        """The source customer a target account is linked to (the customer import asks this way)."""
        rows = self._rows(
            "SELECT * FROM customers WHERE target_id = ? ORDER BY updated_at, source_id LIMIT 1", (target_id,)
        )
        return CustomerLink.from_row(rows[0]) if rows else None

    def customer_link_set(self, source_id: str, target_id: str, content_hash: str | None) -> None:
        """Link (or re-link) a source customer to a target account, with the source customer's hash.

        Several source customers may share one account: duplicates in the source with the same VAT
        number are one legal entity, and their documents belong on the same account.
        """
        with self.transaction() as db:
            db.execute(
                "INSERT INTO customers (source_id, target_id, content_hash, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET target_id = excluded.target_id, "
                "content_hash = excluded.content_hash, updated_at = excluded.updated_at",
                (source_id, target_id, content_hash, self._now()),
            )

    def customer_link_imported(self, source_id: str, target_id: str, import_hash: str) -> None:
        """Link a source customer to the target account it was imported from (or matched), with the
        account's hash; the source-side hash is kept as it was."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO customers (source_id, target_id, import_hash, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source_id) DO UPDATE SET target_id = excluded.target_id, "
                "import_hash = excluded.import_hash, updated_at = excluded.updated_at",
                (source_id, target_id, import_hash, self._now()),
            )

    def customer_intent_set(self, direction: str, customer_id: str) -> None:
        """Say a customer is about to be created in the `direction` ("target" or "source")."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO customer_intents (direction, customer_id, created_at) "
                "VALUES (?, ?, ?)",
                (direction, customer_id, self._now()),
            )

    def customer_intent_pending(self, direction: str, customer_id: str) -> bool:
        """Whether an earlier run may have created this customer without recording the link."""
        rows = self._rows(
            "SELECT 1 FROM customer_intents WHERE direction = ? AND customer_id = ?", (direction, customer_id)
        )
        return bool(rows)

    def customer_intent_clear(self, direction: str, customer_id: str) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM customer_intents WHERE direction = ? AND customer_id = ?",
                (direction, customer_id),
            )

    def customer_links(self) -> list[CustomerLink]:
        return [
            CustomerLink.from_row(row) for row in self._rows("SELECT * FROM customers ORDER BY source_id")
        ]
