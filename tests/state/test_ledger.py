"""The ledger in the state database: a record from intent to booked to paid, failures, unlinking,
customer links and saved runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connector.contract.report import RunReport
from connector.state.store import StateStore
from connector.testing import FakeClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's start


# --- ledger --------------------------------------------------------------------------------------


def test_ledger_lifecycle_from_intent_to_booked_to_paid(store: StateStore, clock: FakeClock) -> None:
    store.ledger_record_intent("invoice:1", "invoice", "2026 / 1", "hash-1")
    entry = store.ledger_get("invoice:1")
    assert entry is not None
    assert (entry.status, entry.target_id, entry.first_seen) == ("intent", None, T0)
    clock.moment = T0 + timedelta(seconds=5)
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
    clock.moment = T0 + timedelta(days=1)
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


def test_an_intent_never_sent_is_withdrawn_to_what_the_record_was(store: StateStore) -> None:
    store.ledger_record_intent("invoice:1", "invoice", "2026 / 1", "hash-1")
    store.ledger_withdraw_intent("invoice:1", None)
    assert store.ledger_get("invoice:1") is None, "a new record is unknown again"
    store.ledger_fail("invoice:2", "unmapped rate", None, "failed", kind="invoice", number="2026 / 2")
    store.ledger_record_intent("invoice:2", "invoice", "2026 / 2", "hash-2")
    store.ledger_withdraw_intent("invoice:2", "failed")
    failed = store.ledger_get("invoice:2")
    assert failed is not None and (failed.status, failed.last_error) == ("failed", "unmapped rate")
    store.ledger_record_intent("invoice:3", "invoice", "2026 / 3", "hash-3")
    store.ledger_record_result("invoice:3", "entry-3")
    store.ledger_withdraw_intent("invoice:3", None)
    assert store.ledger_get("invoice:3") is not None, "a booked record is never withdrawn"


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
