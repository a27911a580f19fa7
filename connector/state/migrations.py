"""The state database's schema, versioned with `PRAGMA user_version`.

`MIGRATIONS` are append-only: migration N (1-based) brings a database from version N-1 to N, each
applied inside the opening transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


def _v1_initial(db: sqlite3.Connection) -> None:
    statements = (
        """CREATE TABLE ledger (
            source_key     TEXT PRIMARY KEY,
            kind           TEXT NOT NULL,
            number         TEXT,
            target_id      TEXT,
            content_hash   TEXT,
            status         TEXT NOT NULL
                           CHECK (status IN ('intent', 'booked', 'linked', 'failed', 'skipped')),
            attempts       INTEGER NOT NULL DEFAULT 0,
            last_error     TEXT,
            hint           TEXT,
            first_seen     TEXT NOT NULL,
            updated_at     TEXT NOT NULL,
            booked_at      TEXT,
            paid_at        TEXT,
            payment_amount TEXT
        )""",
        "CREATE INDEX ledger_target ON ledger (target_id)",
        "CREATE INDEX ledger_status ON ledger (status)",
        """CREATE TABLE customers (
            source_id    TEXT PRIMARY KEY,
            target_id    TEXT NOT NULL,
            content_hash TEXT,
            updated_at   TEXT NOT NULL
        )""",
        "CREATE INDEX customers_target ON customers (target_id)",
        """CREATE TABLE cursors (
            name       TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE tokens (
            side          TEXT PRIMARY KEY,
            access_token  TEXT NOT NULL,
            refresh_token TEXT NOT NULL,
            expires_at    TEXT NOT NULL,
            refreshed_at  TEXT NOT NULL
        )""",
        """CREATE TABLE runs (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at  TEXT NOT NULL,
            finished_at TEXT,
            flows       TEXT NOT NULL,
            status      TEXT NOT NULL,
            report      TEXT NOT NULL
        )""",
    )
    for statement in statements:
        db.execute(statement)


def _v2_import_hash(db: sqlite3.Connection) -> None:
    """The customer import keeps its own fingerprint of the target account (see CustomerLink)."""
    db.execute("ALTER TABLE customers ADD COLUMN import_hash TEXT")


def _v3_endpoint_errors(db: sqlite3.Connection) -> None:
    """Error answers per service endpoint: the circuit breaker counts them across runs."""
    db.execute(
        "CREATE TABLE endpoint_errors (service TEXT NOT NULL, endpoint TEXT NOT NULL, at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX endpoint_errors_at ON endpoint_errors (service, endpoint, at)")


def _v4_customer_intents(db: sqlite3.Connection) -> None:
    """Customers about to be created on the other side: a crash between the write and the link is
    then repaired by a wider search instead of a second customer."""
    db.execute(
        "CREATE TABLE customer_intents (direction TEXT NOT NULL, customer_id TEXT NOT NULL, "
        "created_at TEXT NOT NULL, PRIMARY KEY (direction, customer_id))"
    )


def _v5_parked_documents(db: sqlite3.Connection) -> None:
    """Documents read and not yet booked are kept (see `connector.state.parked`), and the ledger
    remembers when the source last changed each document: a list item that shows the same moment
    needs no second read. A failure for a reason of the rules or of master data keeps what it
    waits for (`retry_when`): it is not tried again until that changes."""
    db.execute(
        "CREATE TABLE parked_documents (source_key TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "source_updated_at TEXT, document TEXT, parked_at TEXT NOT NULL)"
    )
    db.execute("ALTER TABLE ledger ADD COLUMN source_updated_at TEXT")
    db.execute("ALTER TABLE ledger ADD COLUMN retry_when TEXT")


def _v6_attachments(db: sqlite3.Connection) -> None:
    """Files attached to booked entries (`sync.attachments`, see `connector.state.attachments`): one
    row per document queued when it is booked, and one per step of the target's multi-call write,
    so a rerun after a crash neither attaches twice nor repeats a call already made."""
    db.execute(
        """CREATE TABLE attachments (
            source_key   TEXT PRIMARY KEY,
            kind         TEXT NOT NULL,
            number       TEXT NOT NULL,
            entry_id     TEXT NOT NULL,
            customer_id  TEXT,
            entry_date   TEXT,
            formats      TEXT NOT NULL,
            status       TEXT NOT NULL CHECK (status IN ('queued', 'attached', 'failed')),
            target_id    TEXT,
            attempts     INTEGER NOT NULL DEFAULT 0,
            last_error   TEXT,
            hint         TEXT,
            queued_at    TEXT NOT NULL,
            updated_at   TEXT NOT NULL,
            attached_at  TEXT
        )"""
    )
    db.execute("CREATE INDEX attachments_status ON attachments (status)")
    db.execute(
        "CREATE TABLE attachment_steps (source_key TEXT NOT NULL, step TEXT NOT NULL, "
        "value TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (source_key, step))"
    )


# Append only: migration N (1-based) brings a database from user_version N-1 to N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_initial,
    _v2_import_hash,
    _v3_endpoint_errors,
    _v4_customer_intents,
    _v5_parked_documents,
    _v6_attachments,
]

SCHEMA_VERSION = len(MIGRATIONS)
