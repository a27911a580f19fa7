"""The client state database: schema, file safety, transactions, ledger, tokens, runs, crashes."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import connector.state.store as state_module
from connector.contract.errors import ConfigurationError
from connector.contract.report import RunReport
from connector.contract.tokens import Tokens
from connector.state.files import state_dir_for
from connector.state.migrations import SCHEMA_VERSION
from connector.state.store import StateStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(state_dir: Path, clock: FakeClock) -> Iterator[StateStore]:
    with StateStore.for_client(state_dir, "acme", clock=clock) as opened:
        yield opened


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
    with pytest.raises(ConfigurationError, match="not a usable state database"):
        StateStore.for_client(state_dir, "acme")


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


# --- ledger --------------------------------------------------------------------------------------


def test_ledger_lifecycle_from_intent_to_booked_to_paid(store: StateStore, clock: FakeClock) -> None:
    store.ledger_record_intent("invoice:1", "invoice", "2026 / 1", "hash-1")
    entry = store.ledger_get("invoice:1")
    assert entry is not None
    assert (entry.status, entry.target_id, entry.first_seen) == ("intent", None, T0)
    clock.now = T0 + timedelta(seconds=5)
    store.ledger_record_result("invoice:1", "entry-guid-1")
    booked = store.ledger_get("invoice:1")
    assert booked is not None
    assert (booked.status, booked.target_id, booked.booked_at, booked.number) == (
        "booked",
        "entry-guid-1",
        T0 + timedelta(seconds=5),
        "2026 / 1",
    )
    assert store.ledger_by_target("entry-guid-1") == booked
    assert [e.source_key for e in store.ledger_unpaid()] == ["invoice:1"]
    store.mark_paid("invoice:1", Decimal("121.00"), T0 + timedelta(days=3))
    paid = store.ledger_get("invoice:1")
    assert paid is not None
    assert (paid.payment_amount, paid.paid_at) == (Decimal("121.00"), T0 + timedelta(days=3))
    assert store.ledger_unpaid() == []
    assert store.ledger_counts() == {"intent": 0, "booked": 1, "linked": 0, "failed": 0, "skipped": 0}


def test_a_booked_record_can_never_be_written_again(store: StateStore, clock: FakeClock) -> None:
    store.ledger_record_result("credit_note:7", "entry-7", "linked", number="2026 / 3")
    with pytest.raises(ValueError, match="already linked as entry-7"):
        store.ledger_record_intent("credit_note:7", "credit_note", "2026 / 3", "h")
    clock.now = T0 + timedelta(days=1)
    store.ledger_record_result("credit_note:7", "entry-7", "linked", content_hash="changed")
    store.ledger_fail("credit_note:7", "changed after booking", "correct it by hand", status="skipped")
    entry = store.ledger_get("credit_note:7")
    assert entry is not None
    assert (entry.status, entry.target_id, entry.kind, entry.last_error) == (
        "linked",
        "entry-7",
        "credit_note",
        "changed after booking",
    )
    assert (entry.booked_at, entry.content_hash) == (T0, "changed")


def test_failures_are_counted_as_attempts_and_cleared_by_a_later_booking(store: StateStore) -> None:
    for _ in range(2):
        store.ledger_record_intent("invoice:2", "invoice", "2026 / 2", "h2")
        store.ledger_fail("invoice:2", "VAT code 9 is inclusive", "map rate 21% to an exclusive code")
    store.ledger_fail("invoice:3", "tax rate not mapped", "add it to vat.map", status="skipped")
    failed = store.ledger_get("invoice:2")
    assert failed is not None
    assert (failed.status, failed.attempts, failed.hint) == ("failed", 2, "map rate 21% to an exclusive code")
    assert store.ledger_failed_keys() == ["invoice:2"]
    assert store.ledger_keys("skipped") == ["invoice:3"]
    store.ledger_record_intent("invoice:2", "invoice", "2026 / 2", "h2")
    store.ledger_record_result("invoice:2", "entry-2")
    booked = store.ledger_get("invoice:2")
    assert booked is not None
    assert (booked.status, booked.attempts, booked.last_error, booked.hint) == ("booked", 2, None, None)
    assert store.ledger_failed_keys() == []


def test_unlinking_forgets_a_record(store: StateStore) -> None:
    store.ledger_record_result("invoice:4", "entry-4")
    assert store.ledger_unlink("invoice:4") is True
    assert store.ledger_get("invoice:4") is None
    assert store.ledger_unlink("invoice:4") is False


def test_paying_an_unknown_record_or_with_a_float_is_refused(store: StateStore) -> None:
    with pytest.raises(KeyError):
        store.mark_paid("invoice:404", Decimal("1.00"), T0)
    store.ledger_record_result("invoice:5", "entry-5")
    with pytest.raises(TypeError):
        store.mark_paid("invoice:5", 1.1, T0)  # type: ignore[arg-type]  # the point of the test


def test_customer_links_are_found_both_ways_and_duplicates_share_one_account(store: StateStore) -> None:
    store.customer_link_set("company:a", "account-1", "ha")
    link = store.customer_link_by_target("account-1")
    assert link is not None and (link.source_id, link.content_hash) == ("company:a", "ha")
    store.customer_link_set("company:a", "account-1", "ha2")
    updated = store.customer_link_get("company:a")
    assert updated is not None and updated.content_hash == "ha2"
    store.customer_link_set("company:b", "account-1", "hb")
    duplicate = store.customer_link_get("company:b")
    assert duplicate is not None and duplicate.target_id == "account-1"
    first = store.customer_link_by_target("account-1")
    assert first is not None and first.source_id == "company:a", "the first linked customer answers for it"


# --- runs ----------------------------------------------------------------------------------------


def test_runs_are_saved_with_their_report_and_read_back_newest_first(store: StateStore) -> None:
    first = RunReport("acme", ("documents",), started_at=T0, finished_at=T0 + timedelta(minutes=1))
    first.add("documents.booked", 3)
    second = RunReport("acme", ("documents", "payments"), started_at=T0 + timedelta(hours=1))
    second.fail("invoice:9", "customer has no VAT number", "add it in the source")
    first_id = store.save_run(first)
    second_id = store.save_run(second)
    assert second_id > first_id
    runs = store.runs(10)
    assert [run.id for run in runs] == [second_id, first_id]
    last = store.last_run()
    assert last is not None
    assert (last.flows, last.status, last.finished_at) == (("documents", "payments"), "partial", None)
    assert last.report["outcomes"] == [
        {
            "record": "invoice:9",
            "status": "failed",
            "reason": "customer has no VAT number",
            "hint": "add it in the source",
        }
    ]
    assert runs[1].report["counts"] == {"documents.booked": 3}
    second.finished_at = T0 + timedelta(hours=2)
    assert store.save_run(second, second_id) == second_id
    finished = store.last_run()
    assert finished is not None and finished.finished_at == T0 + timedelta(hours=2)


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
