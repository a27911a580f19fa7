"""`connector ledger show|unlink`: finding a document by number or key, and an unlink that queues it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connector.cli.ledger import find_entry, unlink
from connector.contract.errors import ConfigurationError
from connector.rules.model import Journals, PaymentTermRules, PluginSection, Rules, SyncRules
from connector.state.store import StateStore
from connector.testing.rules import make_rules


def rules(path: Path) -> Rules:
    return make_rules(
        source=PluginSection("fake"),
        sink=PluginSection("fake"),
        sync=SyncRules(date(2026, 1, 1)),
        journals=Journals("70", "70"),
        payment_terms=PaymentTermRules("30"),
        path=path,
    )


def test_a_number_shared_by_an_invoice_and_a_credit_note_lists_both_and_asks_for_the_key(
    tmp_path: Path,
) -> None:
    with StateStore.for_client(tmp_path, "acme") as state:
        state.ledger_record_result("invoice:1", "E1", number="2026 / 3")
        state.ledger_record_result("credit_note:9", "E2", number="2026 / 3")
        state.ledger_record_result("invoice:2", "E3", number="2026 / 4")

        assert find_entry(state, "2026 / 4").source_key == "invoice:2"
        assert find_entry(state, "credit_note:9").target_id == "E2"
        with pytest.raises(ConfigurationError) as raised:
            find_entry(state, "2026 / 3")
    assert "credit_note:9 (credit_note, booked); invoice:1 (invoice, booked)" in raised.value.message
    assert "give the key" in (raised.value.hint or "")


def test_unlink_turns_the_link_into_an_intent_the_next_run_looks_up_first(tmp_path: Path) -> None:
    with StateStore.for_client(tmp_path, "acme") as state:
        state.ledger_record_result("invoice:1", "E1", number="2026 / 3")

    unlink(rules(tmp_path / "acme.yaml"), "2026 / 3", state_dir=tmp_path)

    with StateStore.for_client(tmp_path, "acme") as state:
        entry = state.ledger_get("invoice:1")
        assert entry is not None and entry.status == "intent" and entry.target_id is None
        assert entry.number == "2026 / 3" and state.ledger_keys("intent") == ["invoice:1"]
