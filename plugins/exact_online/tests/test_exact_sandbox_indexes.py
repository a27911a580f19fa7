"""The indexed tables answer exactly what a scan of the same rows answers, whatever the filter."""

from __future__ import annotations

import random
from typing import Any

import pytest

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.query import filter_rows
from connector_exact.sandbox.schema import ENDPOINTS
from connector_exact.sandbox.tables import Table

ENTRIES = ENDPOINTS["salesentry/salesentries"]


@pytest.fixture(scope="module")
def books() -> Any:
    """400 entries with references that differ only by case or trailing spaces, over two journals
    and all demo customers; a few changed after booking (reference, customer)."""
    box = ExactSandbox(seed=True, per_minute=10**6, per_day=10**6)
    ledger = box.ledger()
    accounts = [row["ID"] for row in ledger.division.table("accounts").values()]
    gl = ledger.division.find("gl_accounts", Code="7000")
    assert gl is not None
    rng = random.Random(4)
    for index in range(400):
        ref = rng.choice([f"2026 / {index % 150}", f"2026 / {index % 150}  ", f"INV-{index % 90}", "inv-7"])
        ledger.book(
            {
                "Journal": rng.choice(["70", "71"]),
                "Customer": rng.choice(accounts),
                "EntryDate": "2026-02-01",
                "YourRef": ref,
                "SalesEntryLines": [{"GLAccount": gl["ID"], "AmountFC": str(rng.randint(1, 900))}],
            }
        )
    entries = list(ledger.division.table("sales_entries").values())
    for entry in entries[::37]:
        ledger.update_entry(entry, {"YourRef": f"changed {entry['EntryNumber']}", "Customer": accounts[0]})
    return ledger


FILTERS = [
    "YourRef eq '2026 / 5'",
    "YourRef eq 'INV-7' or YourRef eq '2026 / 149' or YourRef eq 'nothing'",
    "(Journal eq '70' or Journal eq '71') and (YourRef eq 'inv-7' or YourRef eq '2026 / 12')",
    "Journal eq '71' and YourRef eq '2026 / 12  '",
    "YourRef eq '2026 / 3' or Journal eq '70'",  # no common field: a scan
    "substringof('/ 1', YourRef) and Journal eq '70'",
    "substringof('INV', YourRef)",
    "not (YourRef eq 'inv-7')",
    "trim(YourRef) eq '2026 / 7'",
    "YourRef eq ' 2026 / 7'",  # a leading space counts: matches nothing
    "YourRef eq null",
]


@pytest.mark.parametrize("text", FILTERS)
def test_a_filter_answers_through_the_index_what_a_scan_answers(books: Any, text: str) -> None:
    table = books.division.table("sales_entries")
    assert isinstance(table, Table)
    indexed = filter_rows(ENTRIES, ENTRIES.entity, table, text)
    scanned = filter_rows(ENTRIES, ENTRIES.entity, list(table.values()), text)
    assert [row["EntryID"] for row in indexed] == [row["EntryID"] for row in scanned]


def test_changed_references_and_customers_are_found_by_their_new_values_only(books: Any) -> None:
    table = books.division.table("sales_entries")
    changed = [row for row in table.values() if str(row["YourRef"]).startswith("changed ")]
    assert changed
    customer = changed[0]["Customer"]
    text = f"Customer eq guid'{customer}'"
    by_customer = filter_rows(ENTRIES, ENTRIES.entity, table, text)
    assert by_customer == [row for row in table.values() if row["Customer"] == customer]
    old = [row for row in table.values() if row["YourRef"] == "2026 / 0"]
    assert filter_rows(ENTRIES, ENTRIES.entity, table, "YourRef eq '2026 / 0'") == old


def test_lines_receivables_and_codes_are_found_as_a_scan_finds_them(books: Any) -> None:
    division = books.division
    lines = division.table("sales_entry_lines").values()
    for entry in list(division.table("sales_entries").values())[::41]:
        assert books.lines_of(entry) == sorted(
            (line for line in lines if line["EntryID"] == entry["EntryID"]), key=lambda r: r["LineNumber"]
        )
        [receivable] = [
            r for r in division.table("receivables").values() if r["TransactionEntryID"] == entry["EntryID"]
        ]
        assert division.find("receivables", TransactionEntryID=entry["EntryID"]) is receivable
    assert division.find("accounts", Code="1001") is not None  # codes are padded; find trims
    assert division.find("vat_codes", Code="4") is division.find("vat_codes", Code="4  ")


def test_a_deleted_entry_leaves_no_trace_in_the_indexes(books: Any) -> None:
    table = books.division.table("sales_entries")
    entry = next(row for row in table.values() if row["YourRef"] == "inv-7")
    before = len(filter_rows(ENTRIES, ENTRIES.entity, table, "YourRef eq 'inv-7'"))
    books.delete_entry(entry)
    after = filter_rows(ENTRIES, ENTRIES.entity, table, "YourRef eq 'inv-7'")
    assert len(after) == before - 1 and entry not in after
    assert books.lines_of(entry) == []


def test_an_account_without_a_code_gets_the_next_free_one_also_after_codes_change() -> None:
    from connector_exact.sandbox.crm import save_account

    box = ExactSandbox(seed=True)
    ledger = box.ledger()
    highest = max(int(str(r["Code"]).strip()) for r in ledger.division.table("accounts").values())
    first = save_account(box.store, ledger.division, {"Name": "Nieuw BV"}, 400)
    assert str(first["Code"]).strip() == str(highest + 1)
    save_account(box.store, ledger.division, {"Code": "990000"}, 400, first)  # renumbered by hand
    second = save_account(box.store, ledger.division, {"Name": "Nog een BV"}, 400)
    assert str(second["Code"]).strip() == "990001"
    box.store.delete(ledger.division, "accounts", second["ID"])
    third = save_account(box.store, ledger.division, {"Name": "Derde BV"}, 400)
    assert str(third["Code"]).strip() == "990001"
