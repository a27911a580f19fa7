"""The client state database: schema and migrations, file safety, transactions, tokens, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import connector.state.store as state_module
from connector.contract.errors import ConfigurationError
from connector.contract.tokens import Tokens
from connector.state.files import state_dir_for
from connector.state.migrations import SCHEMA_VERSION
from connector.state.store import StateStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- schema --------------------------------------------------------------------------------------


def test_new_database_is_created_at_the_current_schema_and_reopens_unchanged(state_dir: Path) -> None:
    with StateStore.for_client(state_dir, "acme") as store:
        assert store.schema_version == SCHEMA_VERSION
        store.cursor_set("documents", "2026-03-01")
    with StateStore.for_client(state_dir, "acme") as again:
        assert again.schema_version == SCHEMA_VERSION
        assert again.cursor_get("documents") == "2026-03-01"
        assert again.integrity_check() == "ok"


def test_a_new_migration_is_applied_once_to_an_existing_database(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateStore.for_client(state_dir, "acme").close()
    applied: list[int] = []

    def v2(db: sqlite3.Connection) -> None:
        applied.append(1)
        db.execute("ALTER TABLE cursors ADD COLUMN note TEXT")

    monkeypatch.setattr(state_module, "MIGRATIONS", [*state_module.MIGRATIONS, v2])
    with StateStore.for_client(state_dir, "acme") as store:
        assert store.schema_version == SCHEMA_VERSION + 1
    with StateStore.for_client(state_dir, "acme") as store:
        assert store.schema_version == SCHEMA_VERSION + 1
    assert applied == [1]


def test_a_failing_migration_leaves_the_database_at_its_old_version(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    StateStore.for_client(state_dir, "acme").close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(state_module, "MIGRATIONS", [*state_module.MIGRATIONS, broken])
    with pytest.raises(RuntimeError, match="migration bug"):
        StateStore.for_client(state_dir, "acme")
    db = sqlite3.connect(state_dir / "acme.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall()
    db.close()


def test_a_database_from_a_newer_connector_is_refused_and_left_alone(state_dir: Path) -> None:
    db = sqlite3.connect(state_dir / "acme.db")
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(ConfigurationError, match="schema version 99, newer than") as caught:
        StateStore.for_client(state_dir, "acme")
    assert "upgrade connector" in str(caught.value)
    db = sqlite3.connect(state_dir / "acme.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    db.close()


def test_a_file_that_is_not_a_database_is_a_configuration_error(state_dir: Path) -> None:
    (state_dir / "acme.db").write_bytes(b"this is not SQLite, it is a shopping list" * 100)
    with pytest.raises(ConfigurationError, match=r"acme\.db is damaged") as caught:
        StateStore.for_client(state_dir, "acme")
    assert "books nothing twice" in str(caught.value.hint)


def test_random_bytes_in_the_middle_of_a_state_file_are_found_at_open(state_dir: Path) -> None:
    """The header still reads as SQLite; `quick_check` finds the damaged pages before anything uses them."""
    with StateStore.for_client(state_dir, "acme") as store:
        for number in range(400):
            store.ledger_record_intent(f"invoice:{number}", "invoice", f"2026 / {number}", "x" * 200)
    path = state_dir / "acme.db"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes((index * 37 + 11) % 256 for index in range(4096))
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigurationError, match=r"acme\.db is damaged") as caught:
        StateStore.for_client(state_dir, "acme")
    assert f"mv {path} {path}.damaged" in str(caught.value.hint)


def test_a_client_name_that_leaves_the_state_directory_is_refused(state_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot name a state file"):
        StateStore.for_client(state_dir, "../acme")


# --- file safety ---------------------------------------------------------------------------------


def test_state_directory_is_0700_and_database_files_0600_despite_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with StateStore.for_client(tmp_path / "new" / ".connector", "acme") as store:
            store.cursor_set("documents", "x")
            files = [store.path, *(store.path.with_name(f"acme.db{s}") for s in ("-wal", "-shm"))]
            assert all(path.exists() for path in files)
            assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
            assert mode(store.path.parent) == 0o700
    finally:
        os.umask(old)


def test_loose_modes_are_tightened_when_the_database_is_opened(state_dir: Path) -> None:
    StateStore.for_client(state_dir, "acme").close()
    (state_dir / "acme.db").chmod(0o644)
    state_dir.chmod(0o755)
    StateStore.for_client(state_dir, "acme").close()
    assert mode(state_dir / "acme.db") == 0o600
    assert mode(state_dir) == 0o700


def test_state_directory_flag_wins_over_environment_which_wins_over_default(tmp_path: Path) -> None:
    rules = tmp_path / "rules" / "acme.yaml"
    env = {"CONNECTOR_STATE_DIR": str(tmp_path / "env")}
    assert state_dir_for(rules, tmp_path / "flag", env) == tmp_path / "flag"
    assert state_dir_for(rules, None, env) == tmp_path / "env"
    assert state_dir_for(rules, None, {}) == tmp_path / "rules" / ".connector"
    assert state_dir_for(rules, "", {"CONNECTOR_STATE_DIR": ""}) == tmp_path / "rules" / ".connector"


def test_the_test_suite_never_uses_a_real_state_directory(state_dir: Path) -> None:
    """conftest points CONNECTOR_STATE_DIR at the test's tmp_path for every test."""
    assert state_dir_for("rules/acme.yaml") == state_dir


# --- transactions --------------------------------------------------------------------------------


def test_a_failed_transaction_leaves_nothing_behind(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.ledger_record_intent("invoice:1", "invoice", "2026 / 1", "h1")
        store.cursor_set("documents", "2026-03-01")
        raise RuntimeError("the remote write went wrong")
    assert store.ledger_get("invoice:1") is None
    assert store.cursor_get("documents") is None
    store.cursor_set("documents", "after")  # the store is usable again
    assert store.cursor_get("documents") == "after"


def test_a_failed_inner_block_is_undone_while_the_outer_one_commits(store: StateStore) -> None:
    with store.transaction():
        store.cursor_set("payments", "p1")
        with pytest.raises(RuntimeError), store.transaction():
            store.cursor_set("documents", "d1")
            raise RuntimeError("inner")
    assert store.cursors() == {"payments": "p1"}


# --- tokens --------------------------------------------------------------------------------------


def test_tokens_round_trip_and_a_fresh_store_on_the_same_file_reads_the_new_refresh_token(
    state_dir: Path, store: StateStore
) -> None:
    sink = store.token_store("sink")
    assert sink.load() is None
    first = Tokens("access-1", "refresh-1", T0 + timedelta(minutes=10), T0)
    rotated = Tokens("access-2", "refresh-2", T0 + timedelta(minutes=20), T0 + timedelta(minutes=10))
    sink.save(first)
    sink.save(rotated)
    assert sink.load() == rotated
    with StateStore.for_client(state_dir, "acme") as other_process:
        assert other_process.token_store("sink").load() == rotated
        assert other_process.token_store("source").load() is None


def test_tokens_cannot_be_saved_inside_a_larger_transaction(store: StateStore) -> None:
    """A token saved there would only be durable when the caller commits; refuse instead."""
    with pytest.raises(RuntimeError, match="on their own"), store.transaction():
        store.token_store("source").save(Tokens("a", "r", T0, T0))
    assert store.token_store("source").load() is None


# --- crashes -------------------------------------------------------------------------------------

WRITER = """
import sys
from connector.state.store import StateStore
store = StateStore(sys.argv[1])
n = 0
while True:
    with store.transaction():
        store.ledger_record_intent(f"invoice:{n}", "invoice", str(n), "h" * 200)
        store.ledger_record_result(f"invoice:{n}", f"entry-{n}")
        store.cursor_set("documents", str(n))
    n += 1
    if n == 50:
        print("writing", flush=True)
"""


def test_the_database_survives_a_writer_killed_in_the_middle_of_writes(state_dir: Path) -> None:
    path = state_dir / "acme.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "writing\n"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    with StateStore(path) as store:
        assert store.integrity_check() == "ok"
        counts = store.ledger_counts()
        assert counts["booked"] >= 50 and counts["intent"] == 0  # whole transactions or nothing
        cursor = store.cursor_get("documents")
        assert cursor is not None and int(cursor) == counts["booked"] - 1


def test_a_version_1_database_keeps_its_customer_links_through_migration_2(tmp_path: Path) -> None:
    path = tmp_path / "acme.db"
    db = sqlite3.connect(path)
    state_module.MIGRATIONS[0](db)
    db.execute(
        "INSERT INTO customers (source_id, target_id, content_hash, updated_at) "
        "VALUES ('company:a', 'account-1', 'h', '2026-01-01T00:00:00+00:00')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with StateStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 2
        link = store.customer_link_get("company:a")
        assert link is not None and (link.target_id, link.content_hash, link.import_hash) == (
            "account-1",
            "h",
            None,
        )
        store.customer_link_imported("company:a", "account-1", "imported")
        again = store.customer_link_get("company:a")
        assert again is not None and (again.content_hash, again.import_hash) == ("h", "imported")


def test_endpoint_errors_add_up_across_runs(tmp_path: Path) -> None:
    from connector.state.store import StateErrorLog

    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    with StateStore(tmp_path / "acme.db") as store:
        log = StateErrorLog(store)
        log.record("exact", "salesentry/SalesEntries", now - timedelta(minutes=90))
        log.record("exact", "salesentry/SalesEntries", now - timedelta(minutes=30))
        log.record("exact", "crm/Accounts", now - timedelta(minutes=10))
    with StateStore(tmp_path / "acme.db") as store:
        count, oldest = StateErrorLog(store).count_since(
            "exact", "salesentry/SalesEntries", now - timedelta(hours=1)
        )
    assert (count, oldest) == (1, now - timedelta(minutes=30))
