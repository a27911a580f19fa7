"""`DueDate` is writable on sales entries (notes §6.1): a sent one is kept, else the condition's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx

from connector.contract.records import EntryLine, JournalEntry
from connector_exact.sandbox.testing import sales_entry
from connector_exact.translate import entry_payload


def test_a_posted_due_date_is_kept_and_the_receivable_follows_it(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api, DueDate="2026-01-31")).json()["d"]
    assert entry["DueDate"] == "/Date(1769817600000)/"  # 31/01, not 17/01 + 30 days
    [receivable] = api.get(
        "cashflow/Receivables", params={"$filter": f"TransactionEntryID eq guid'{entry['EntryID']}'"}
    ).json()["d"]["results"]
    assert receivable["DueDate"] == entry["DueDate"]


def test_a_put_keeps_the_due_date_unless_the_condition_or_the_due_date_changes(api: httpx.Client) -> None:
    entry = api.post("salesentry/SalesEntries", json=sales_entry(api, DueDate="2026-01-31")).json()["d"]
    key = f"salesentry/SalesEntries(guid'{entry['EntryID']}')"
    assert api.put(key, json={"Description": "Nieuw"}).status_code == 204
    assert api.get(key).json()["d"]["DueDate"] == "/Date(1769817600000)/"  # still 31/01
    assert api.put(key, json={"DueDate": "2026-02-15"}).status_code == 204
    assert api.get(key).json()["d"]["DueDate"] == "/Date(1771113600000)/"  # 15/02
    assert api.put(key, json={"PaymentCondition": "14"}).status_code == 204
    assert api.get(key).json()["d"]["DueDate"] == "/Date(1769817600000)/"  # 17/01 + 14 days


def test_the_sink_sends_the_documents_due_date() -> None:
    entry = JournalEntry(
        document_key="invoice:1",
        kind="invoice",
        journal="70",
        your_ref="2026 / 3",
        customer_target_id="c",
        date=date(2026, 3, 1),
        description="2026 / 3",
        currency="EUR",
        payment_condition="30EM",
        lines=(EntryLine("7000", "4", Decimal("100.00"), Decimal("21.00")),),
        due_date=date(2026, 3, 31),
    )
    payload = entry_payload(entry, {"7000": "gl-7000"}, {"4": "4  "})
    assert payload["DueDate"] == "2026-03-31"
