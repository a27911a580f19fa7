"""One SQLite database per client: the ledger, customer links, cursors, tokens and run reports.

The database lives in the client's state directory (`state_dir_for`), `.connector/` beside the rule
file unless `--state-dir` or `CONNECTOR_STATE_DIR` says otherwise. It holds refresh tokens, so the
directory is kept 0700 and the files 0600, checked on every open. Every write is a transaction in
WAL mode with `synchronous=FULL`: a crash (even SIGKILL) loses at most the transaction in flight,
which is how the ledger's intent-before-write rule recovers without booking anything twice.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS` are applied in order, each inside
the opening transaction. A database written by a newer connector is refused, never downgraded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.contract.errors import ConfigurationError
from connector.contract.report import RunReport
from connector.contract.tokens import Tokens
from connector.state.attachments import AttachmentTables
from connector.state.files import SIDE_FILES, client_file, ensure_private_dir, ensure_private_file, fsync_path
from connector.state.ledger import LedgerTables, from_text, to_text
from connector.state.migrations import MIGRATIONS
from connector.state.parked import ParkedTables

BUSY_TIMEOUT_SECONDS = 10.0

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class RunRow:
    """One saved run: its summary columns and the whole report as `RunReport.to_dict()` gave it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    flows: tuple[str, ...]
    status: str
    report: dict[str, Any]


def damaged(path: Path | None, detail: str) -> ConfigurationError:
    """What to say of a state database that cannot be read: which file, what is wrong, the way out."""
    name = str(path) if path else "<rules dir>/.connector/<client>.db"
    return ConfigurationError(
        f"the state database {path or '(of this client)'} is damaged ({detail}); nothing more was synced",
        hint=f"move it away and keep it (`mv {name} {name}.damaged`): the next run starts a fresh state "
        "and books nothing twice, since it looks every document up in the target by its reference "
        "before booking and links the entries already there (about one extra call per 40 documents); "
        "payments already registered are not registered again",
    )


class StateStore(LedgerTables, ParkedTables, AttachmentTables):
    """A client's state database. Open one per process; threads share it through an internal lock.

    Writes go through `transaction()`, which nests (an inner block is a savepoint): a caller can
    record a ledger result and move a cursor in one transaction, and a failure leaves neither.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._depth = 0
        ensure_private_dir(self.path.parent)
        ensure_private_file(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise ConfigurationError(f"cannot open the state database {self.path}: {error}") from error
        try:
            self._configure()
            self._check_integrity()
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise damaged(self.path, str(error)) from error
        except BaseException:
            self._db.close()
            raise
        self._protect_side_files()

    @classmethod
    def for_client(
        cls, state_dir: str | os.PathLike[str], client: str, *, clock: Clock | None = None
    ) -> StateStore:
        """The database of `client` in `state_dir`: `<state dir>/<client>.db`."""
        return cls(client_file(state_dir, client, ".db"), clock=clock)

    open = for_client  # the same, as callers in the engine were first written against it

    def _check_integrity(self) -> None:
        """SQLite's `quick_check` (every page and index reachable and well formed, in one pass)."""
        rows = self._db.execute("PRAGMA quick_check").fetchall()
        found = [str(row[0]) for row in rows]
        if found != ["ok"]:
            raise sqlite3.DatabaseError(
                "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
            )

    def _configure(self) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise ConfigurationError(
                f"the state database {self.path} cannot use write-ahead logging (journal mode {mode})",
                hint="put the state directory on a local file system (`--state-dir`)",
            )
        self._db.execute("PRAGMA synchronous = FULL")
        self._db.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            latest = len(MIGRATIONS)
            if version > latest:
                raise ConfigurationError(
                    f"the state database {self.path} has schema version {version}, newer than the "
                    f"version {latest} this connector knows",
                    hint="upgrade connector to the version that wrote it; an older one cannot read it",
                )
            for number in range(version, latest):
                MIGRATIONS[number](db)
            if version != latest:
                db.execute(f"PRAGMA user_version = {latest}")

    def _protect_side_files(self) -> None:
        for suffix in SIDE_FILES:
            side = self.path.with_name(self.path.name + suffix)
            try:
                if stat.S_IMODE(side.stat().st_mode) != 0o600:
                    side.chmod(0o600)
            except FileNotFoundError:
                continue

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Commit everything in the block, or nothing if it raises. Nested blocks are savepoints."""
        with self._lock:
            if self._depth == 0:
                self._db.execute("BEGIN IMMEDIATE")
                begin, commit, rollback = None, "COMMIT", "ROLLBACK"
            else:
                name = f"nested_{self._depth}"
                begin, commit, rollback = f"SAVEPOINT {name}", f"RELEASE {name}", f"ROLLBACK TO {name}"
            if begin:
                self._db.execute(begin)
            self._depth += 1
            try:
                yield self._db
            except BaseException:
                self._depth -= 1
                self._db.execute(rollback)
                if self._depth > 0:
                    self._db.execute(commit)  # a savepoint stays open after ROLLBACK TO
                raise
            self._depth -= 1
            self._db.execute(commit)

    def _rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, parameters)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    def _now(self) -> str:
        return to_text(self.clock())

    def integrity_check(self) -> str:
        """SQLite's own check of the whole file: "ok" when the database is sound."""
        return str(self._rows("PRAGMA integrity_check")[0][0])

    # --- cursors ---------------------------------------------------------------------------------

    def cursor_get(self, name: str) -> str | None:
        """Where a flow stopped reading last time (an opaque value the flow gave), or None."""
        rows = self._rows("SELECT value FROM cursors WHERE name = ?", (name,))
        return str(rows[0]["value"]) if rows else None

    def cursor_set(self, name: str, value: str) -> None:
        """Move a cursor; inside a caller's `transaction()` it commits together with the rest."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (name, value, self._now()),
            )

    def cursors(self) -> dict[str, str]:
        return {
            row["name"]: row["value"] for row in self._rows("SELECT name, value FROM cursors ORDER BY name")
        }

    # --- tokens ----------------------------------------------------------------------------------

    def token_store(self, side: str) -> SqliteTokenStore:
        """The `TokenStore` a service of this `side` ("source" or "sink") keeps its tokens in."""
        return SqliteTokenStore(self, side)

    def tokens_load(self, side: str) -> Tokens | None:
        rows = self._rows("SELECT * FROM tokens WHERE side = ?", (side,))
        if not rows:
            return None
        row = rows[0]
        return Tokens(
            access_token=row["access_token"],
            refresh_token=row["refresh_token"],
            expires_at=datetime.fromisoformat(row["expires_at"]),
            refreshed_at=datetime.fromisoformat(row["refreshed_at"]),
        )

    def tokens_save(self, side: str, tokens: Tokens) -> None:
        """Store a token pair and flush it to disk before returning: a rotated refresh token is
        single-use, and losing it in a crash would mean a person has to authorize again."""
        with self._lock:
            if self._depth:
                raise RuntimeError("tokens are saved on their own, never inside a larger transaction")
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO tokens (side, access_token, refresh_token, expires_at, refreshed_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (side) DO UPDATE SET "
                    "access_token = excluded.access_token, refresh_token = excluded.refresh_token, "
                    "expires_at = excluded.expires_at, refreshed_at = excluded.refreshed_at",
                    (
                        side,
                        tokens.access_token,
                        tokens.refresh_token,
                        to_text(tokens.expires_at),
                        to_text(tokens.refreshed_at),
                    ),
                )
            for suffix in ("", "-wal"):
                fsync_path(self.path.with_name(self.path.name + suffix))
            fsync_path(self.path.parent)

    # --- runs ------------------------------------------------------------------------------------

    def save_run(self, report: RunReport, run_id: int | None = None) -> int:
        """Keep a run's report; pass `run_id` to replace one saved earlier (saved at the start, say)."""
        data = report.to_dict()
        values = (
            data["started_at"],
            data["finished_at"],
            ",".join(report.flows),
            data["status"],
            json.dumps(data, default=str, sort_keys=True),
        )
        with self.transaction() as db:
            if run_id is None:
                cursor = db.execute(
                    "INSERT INTO runs (started_at, finished_at, flows, status, report) "
                    "VALUES (?, ?, ?, ?, ?)",
                    values,
                )
                return int(cursor.lastrowid or 0)
            cursor = db.execute(
                "UPDATE runs SET started_at = ?, finished_at = ?, flows = ?, status = ?, report = ? "
                "WHERE id = ?",
                (*values, run_id),
            )
            if cursor.rowcount != 1:
                raise KeyError(f"no saved run {run_id}")
            return run_id

    def runs(self, limit: int = 20) -> list[RunRow]:
        """The last `limit` runs, newest first."""
        rows = self._rows("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [_run_row(row) for row in rows]

    def run(self, run_id: int) -> RunRow | None:
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        return _run_row(rows[0]) if rows else None

    def last_run(self) -> RunRow | None:
        runs = self.runs(1)
        return runs[0] if runs else None


def _run_row(row: sqlite3.Row) -> RunRow:
    return RunRow(
        id=row["id"],
        started_at=datetime.fromisoformat(row["started_at"]),
        finished_at=from_text(row["finished_at"]),
        flows=tuple(flow for flow in row["flows"].split(",") if flow),
        status=row["status"],
        report=json.loads(row["report"]),
    )


class StateErrorLog:
    """`connector.contract.services.ErrorLog` in the client's state database; errors older than a day go."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def record(self, service: str, endpoint: str, at: datetime) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO endpoint_errors (service, endpoint, at) VALUES (?, ?, ?)",
                (service, endpoint, at.astimezone(UTC).isoformat()),
            )
            db.execute(
                "DELETE FROM endpoint_errors WHERE at < ?",
                ((at - timedelta(days=1)).astimezone(UTC).isoformat(),),
            )

    def count_since(self, service: str, endpoint: str, since: datetime) -> tuple[int, datetime | None]:
        row = self.store._rows(
            "SELECT count(*) AS n, min(at) AS oldest FROM endpoint_errors "
            "WHERE service = ? AND endpoint = ? AND at >= ?",
            (service, endpoint, since.astimezone(UTC).isoformat()),
        )[0]
        return int(row["n"]), datetime.fromisoformat(row["oldest"]) if row["oldest"] else None


class SqliteTokenStore:
    """A `connector.contract.tokens.TokenStore` backed by one side's row in the state database."""

    def __init__(self, store: StateStore, side: str) -> None:
        self.store = store
        self.side = side

    def load(self) -> Tokens | None:
        return self.store.tokens_load(self.side)

    def save(self, tokens: Tokens) -> None:
        self.store.tokens_save(self.side, tokens)
