"""Payments in the simulator: reconcile, partial, unreconcile, direct debit, sync feeds, faults."""

from __future__ import annotations

import httpx
import pytest

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_exact.sandbox.testing import credit_note_entry, gl, results, sales_entry

SYNC = "sync/Cashflow/PaymentTerms"
SELECT = "ID,TransactionEntryID,Status,IsFullyPaid,LastPaymentDate,AmountDC,LineType,Timestamp"


def _book(api: httpx.Client, **overrides: object) -> dict:
    response = api.post("salesentry/SalesEntries", json=sales_entry(api, **overrides))
    assert response.status_code == 201, response.text
    return dict(response.json()["d"])


def _open_items(api: httpx.Client) -> list[dict]:
    return results(api.get("read/financial/ReceivablesList"))


def _terms_since(api: httpx.Client, stamp: int) -> list[dict]:
    return results(api.get(SYNC, params={"$filter": f"Timestamp gt {stamp}L", "$select": SELECT}))


def test_a_reconciled_receivable_shows_in_the_sync_feed_and_leaves_the_open_list(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    entry = _book(api)
    before = _terms_since(api, 1)
    assert [row["Status"] for row in before] == [20] and before[0]["LineType"] == 20
    assert [row["YourRef"] for row in _open_items(api)] == ["2026 / 1"]
    stamp = before[0]["Timestamp"]
    httpx.post(
        f"{sandbox.url}/_sandbox/reconcile",
        json={"your_ref": "2026 / 1", "journal": "70", "date": "2026-02-14"},
    ).raise_for_status()
    after = _terms_since(api, stamp)
    assert len(after) == 1 and after[0]["Timestamp"] > stamp
    assert after[0]["TransactionEntryID"] == entry["EntryID"]
    assert after[0]["Status"] == 50 and after[0]["IsFullyPaid"] is True
    assert after[0]["LastPaymentDate"] == "/Date(1771027200000)/"
    assert _open_items(api) == []
    assert _terms_since(api, after[0]["Timestamp"]) == []


def test_a_partial_payment_leaves_the_item_open_with_the_rest(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    entry = _book(api)
    receivable = sandbox.reconcile(entry_id=entry["EntryID"], amount="21.00", date="2026-02-01")
    assert receivable["Status"] == 20 and receivable["IsFullyPaid"] is False
    items = _open_items(api)
    assert [item["Amount"] for item in items] == [100.0]
    sandbox.reconcile(entry_id=entry["EntryID"])
    assert _open_items(api) == []


def test_unreconcile_reopens_the_item(sandbox: ExactSandbox, api: httpx.Client) -> None:
    entry = _book(api)
    sandbox.reconcile(entry_id=entry["EntryID"])
    stamp = sandbox.store.timestamp
    response = httpx.post(f"{sandbox.url}/_sandbox/unreconcile", json={"entry_id": entry["EntryID"]})
    assert response.status_code == 200
    reopened = _terms_since(api, stamp)
    assert reopened[0]["Status"] == 20 and reopened[0]["IsFullyPaid"] is False
    assert [item["Amount"] for item in _open_items(api)] == [121.0]
    deleted = results(
        api.get("sync/Deleted", params={"$filter": f"Timestamp gt {stamp}L", "$select": "EntityType"})
    )
    assert {row["EntityType"] for row in deleted} == {1}  # the payment's transaction lines


def test_a_processed_direct_debit_is_not_paid(sandbox: ExactSandbox, api: httpx.Client) -> None:
    entry = _book(api, PaymentCondition="DD")
    receivable = sandbox.process_direct_debit(entry_id=entry["EntryID"])
    assert receivable["Status"] == 40 and receivable["IsFullyPaid"] is False
    assert len(_open_items(api)) == 1


def test_reconcile_needs_an_unambiguous_entry(sandbox: ExactSandbox, api: httpx.Client) -> None:
    _book(api)
    response = api.post("salesentry/SalesEntries", json=credit_note_entry(api, Journal="70"))
    assert response.status_code == 201, response.text
    ambiguous = httpx.post(
        f"{sandbox.url}/_sandbox/reconcile", json={"your_ref": "2026 / 1", "journal": "70"}
    )
    assert ambiguous.status_code == 409
    exact = httpx.post(
        f"{sandbox.url}/_sandbox/reconcile", json={"your_ref": "2026 / 1", "journal": "70", "type": 21}
    )
    assert exact.status_code == 200 and exact.json()["AmountDC"] == -121.0


def test_payment_lines_show_in_the_transaction_line_feed(sandbox: ExactSandbox, api: httpx.Client) -> None:
    entry = _book(api)
    stamp = sandbox.store.timestamp
    sandbox.reconcile(entry_id=entry["EntryID"], date="2026-02-14")
    lines = results(
        api.get(
            "sync/Financial/TransactionLines",
            params={
                "$filter": f"Timestamp gt {stamp}L",
                "$select": "Type,AmountDC,GLAccountCode,JournalCode",
            },
        )
    )
    assert sorted((row["GLAccountCode"], row["AmountDC"]) for row in lines) == [
        ("1100", 121.0),
        ("1300", -121.0),
    ]
    assert {row["Type"] for row in lines} == {40} and {row["JournalCode"] for row in lines} == {"20"}


def test_sync_timestamp_gives_a_starting_point(sandbox: ExactSandbox, api: httpx.Client) -> None:
    _book(api)
    response = api.get(
        "read/sync/Sync/SyncTimestamp",
        params={"modified": "datetime'2030-01-01'", "endPoint": "'PaymentTerms'"},
    )
    stamp = results(response)[0]["TimeStampAsBigInt"]
    assert stamp == _terms_since(api, 1)[0]["Timestamp"]


def test_deleting_an_entry_is_reported_by_sync_deleted(sandbox: ExactSandbox, api: httpx.Client) -> None:
    entry = _book(api)
    stamp = sandbox.store.timestamp
    assert api.delete(f"salesentry/SalesEntries(guid'{entry['EntryID']}')").status_code == 204
    deleted = results(
        api.get(
            "sync/Deleted", params={"$filter": f"Timestamp gt {stamp}L", "$select": "EntityType,EntityKey"}
        )
    )
    assert {row["EntityType"] for row in deleted} == {1, 10}
    assert _open_items(api) == []


def test_a_500_fault_is_served_instead_of_the_call(sandbox: ExactSandbox, api: httpx.Client) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/faults", json={"path": "SalesEntries", "status": 500, "method": "POST"}
    )
    assert api.post("salesentry/SalesEntries", json=sales_entry(api)).status_code == 500
    assert sandbox.state()["divisions"]["1234567"]["sales_entries"] == []
    assert api.post("salesentry/SalesEntries", json=sales_entry(api)).status_code == 201


def test_a_dropped_response_after_commit_leaves_the_entry_booked(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    body = sales_entry(api, YourRef="2026 / 7")
    httpx.post(
        f"{sandbox.url}/_sandbox/faults", json={"path": "SalesEntries", "kind": "drop", "method": "POST"}
    )
    with pytest.raises(httpx.TransportError):
        api.post("salesentry/SalesEntries", json=body)
    found = results(api.get("salesentry/SalesEntries", params={"$filter": "YourRef eq '2026 / 7'"}))
    assert len(found) == 1


def test_admin_state_and_seed(sandbox: ExactSandbox, api: httpx.Client) -> None:
    _book(api)
    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    division = state["divisions"]["1234567"]
    assert len(division["sales_entries"]) == 1 and division["receivables"][0]["Outstanding"] == 121.0
    assert httpx.post(f"{sandbox.url}/_sandbox/seed", json={}).status_code == 200
    assert httpx.get(f"{sandbox.url}/_sandbox/state").json()["divisions"]["1234567"]["sales_entries"] == []


def test_admin_books_an_entry_by_hand(sandbox: ExactSandbox, api: httpx.Client) -> None:
    body = sales_entry(api, YourRef="HAND-1")
    response = httpx.post(f"{sandbox.url}/_sandbox/entries", json=body)
    assert response.status_code == 201 and response.json()["EntryNumber"] == 26700001
    assert len(results(api.get("salesentry/SalesEntries", params={"$filter": "YourRef eq 'HAND-1'"}))) == 1


def test_an_invoice_settled_against_its_credit_note_is_paid_with_no_bank_line(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    """Evidence 2026-12: matched against a credit note, both end Status 50 with no bank transaction."""
    invoice = _book(api)
    credit = _book(api, **{k: v for k, v in credit_note_entry(api).items() if k != "Customer"})
    stamp, lines_before = (
        sandbox.store.timestamp,
        sandbox.state()["divisions"][str(DIVISION)]["transaction_lines"],
    )
    settled = httpx.post(
        f"{sandbox.url}/_sandbox/settle",
        json={
            "invoice": {"entry_id": invoice["EntryID"]},
            "credit_note": {"your_ref": "2026 / 1", "journal": "71"},
            "date": "2026-02-03",
        },
    )
    assert settled.status_code == 200, settled.text
    both = settled.json()
    assert (both["invoice"]["AmountFC"], both["credit_note"]["AmountFC"]) == (121.0, -121.0)
    assert {(side["Status"], side["IsFullyPaid"], side["Outstanding"]) for side in both.values()} == {
        (50, True, 0.0)
    }
    assert sandbox.state()["divisions"][str(DIVISION)]["transaction_lines"] == lines_before, "no bank line"
    terms = {row["TransactionEntryID"]: row for row in _terms_since(api, stamp)}
    assert {terms[invoice["EntryID"]]["IsFullyPaid"], terms[credit["EntryID"]]["IsFullyPaid"]} == {True}
    assert _open_items(api) == []

    sandbox.unreconcile(entry_id=invoice["EntryID"])
    assert sorted(item["Amount"] for item in _open_items(api)) == [-121.0, 121.0], "both open again"


def test_a_smaller_credit_note_leaves_the_invoice_partly_open(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    invoice = _book(api)
    line = {"GLAccount": gl(api, "7000"), "AmountFC": "-50.00", "VATCode": "4  "}
    credit = _book(
        api, **{k: v for k, v in credit_note_entry(api, SalesEntryLines=[line]).items() if k != "Customer"}
    )
    both = sandbox.settle({"entry_id": invoice["EntryID"]}, {"entry_id": credit["EntryID"]}, "2026-02-03")
    assert (both["invoice"]["Status"], both["invoice"]["Outstanding"]) == (20, 60.5)
    assert (both["credit_note"]["Status"], both["credit_note"]["Outstanding"]) == (50, 0.0)


def test_settling_needs_an_invoice_and_a_credit_note(sandbox: ExactSandbox, api: httpx.Client) -> None:
    first, second = _book(api), _book(api, YourRef="2026 / 2")
    refused = httpx.post(
        f"{sandbox.url}/_sandbox/settle",
        json={"invoice": {"entry_id": first["EntryID"]}, "credit_note": {"entry_id": second["EntryID"]}},
    )
    assert refused.status_code == 409 and "opposite sign" in refused.json()["error"]
    assert httpx.post(f"{sandbox.url}/_sandbox/settle", json={"invoice": {}}).status_code == 400
