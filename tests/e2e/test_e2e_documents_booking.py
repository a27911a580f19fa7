"""Which documents reach Exact, as what, on which customer, and never twice (DESIGN §3, §8).

Through the real `connector run` against both sandboxes; each test checks what a bookkeeper would
check in Exact afterwards, and what the command printed and returned.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import (
    account_id,
    api_calls,
    booked_entries,
    booked_entry,
    gl_account_id,
    money,
)
from connector_exact.translate import parse_day
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def test_drafts_other_departments_and_documents_before_the_start_date_are_never_booked(
    world: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    draft = teamleader.book_invoice(customer=CUSTOMER, date="2026-06-02", draft=True, lines=[{"price": 10}])
    early = teamleader.book_invoice(customer=CUSTOMER, date="2025-12-31", lines=[{"price": 777.77}])
    acme = teamleader.department_id("Acme BV")
    start = date(2026, 1, 1)
    wanted = {
        (20, invoice.invoice_number)
        for invoice in teamleader.invoices.values()
        if invoice.department_id == acme and invoice.status != "draft" and invoice.invoice_date >= start
    } | {
        (21, note.credit_note_number)
        for note in teamleader.credit_notes.values()
        if note.department_id == acme and note.credit_note_date and note.credit_note_date >= start
    }
    others = [i for i in teamleader.invoices.values() if i.department_id != acme]
    assert others and draft.status == "draft" and early.invoice_number == "2025 / 1"

    result = world.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"documents: {len(wanted)} booked" in result.stdout
    entries = booked_entries(exact)
    assert len(entries) == len(wanted)
    assert {(entry["Type"], entry["YourRef"]) for entry in entries} == wanted
    # Acme Services BV numbers its invoices `2026 / 1`... too: none of its customers' entries exist.
    assert not [entry for entry in entries if money(entry["AmountFC"]) == money("941.11")]  # 777.77 + 21 %
    described = {entry["Description"] for entry in entries}
    for invoice in others:
        name = teamleader.invoice_info(invoice.id)["invoicee"]["name"]
        assert f"{invoice.invoice_number} {name}" not in described


def test_an_invoice_is_a_type_20_sales_entry_in_the_invoice_journal(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(
        customer=CUSTOMER, date="2027-02-03", lines=[{"description": "Consultancy", "qty": 4, "price": 95}]
    )

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 1 booked" in result.stdout and "customers: 1 created" in result.stdout
    entry = booked_entry(exact, "2027 / 1")
    assert invoice.invoice_number == "2027 / 1"
    assert (entry["Type"], entry["Journal"].strip()) == (20, "70")
    assert parse_day(entry["EntryDate"]) == date(2027, 2, 3)
    assert entry["CustomerName"] == CUSTOMER
    assert entry["Description"] == f"2027 / 1 {CUSTOMER}"
    assert (money(entry["AmountFC"]), money(entry["VATAmountFC"])) == (money("459.80"), money("79.80"))
    [line] = entry["SalesEntryLines"]
    assert (line["GLAccountCode"].strip(), line["VATCode"].strip(), line["Description"]) == (
        "7000",
        "4",
        "Consultancy",
    )


def test_a_credit_note_is_a_type_21_entry_in_the_credit_note_journal_posted_negative(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Invoice and credit note share the number `2027 / 1`: told apart by journal and type. The
    connector posts the credit note negative (docs/accounting.md, Evidence 2026-12); Exact holds it
    as posted, a credit for the customer."""
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 200}])
    note = teamleader.credit(invoice.id, "2027-02-10")
    assert note.credit_note_number == invoice.invoice_number == "2027 / 1"

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 2 booked" in result.stdout
    booked = booked_entry(exact, "2027 / 1", type=20)
    credit = booked_entry(exact, "2027 / 1", type=21)
    assert (booked["Journal"].strip(), money(booked["AmountFC"])) == ("70", money("242.00"))
    assert (credit["Journal"].strip(), money(credit["AmountFC"])) == ("71", money("-242.00"))
    assert money(credit["VATAmountFC"]) == money("-42.00")
    assert [money(line["AmountFC"]) for line in credit["SalesEntryLines"]] == [money("-200.00")]
    assert credit["PaymentCondition"].strip() == "30"  # credit notes get payment_terms.default
    posted = [json.loads(call.body) for call in api_calls(exact, "POST") if "SalesEntries" in call.path]
    [sent] = [body for body in posted if body["Type"] == 21]
    assert [line["AmountFC"] for line in sent["SalesEntryLines"]] == ["-200.00"]
    assert [line["VATAmountFC"] for line in sent["SalesEntryLines"]] == ["-42.00"]


def test_an_existing_account_with_the_same_vat_number_written_differently_is_used(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.seed({"companies": [{"name": "Kaasmakerij Van Hout BV", "vat_number": "BE0123456749"}]})
    account = exact.add_account(
        {"Name": "Kaasmakerij Van Hout", "VATNumber": "be 0123.456.749", "Status": "C", "IsSales": True}
    )
    accounts = len(exact.state()["divisions"]["1234567"]["accounts"])
    teamleader.book_invoice(customer="Kaasmakerij Van Hout BV", date="2027-03-01", lines=[{"price": 10}])

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "customers: 1 linked" in result.stdout and "created" not in result.stdout
    assert booked_entry(exact, "2027 / 1")["Customer"] == account["ID"]
    assert len(exact.state()["divisions"]["1234567"]["accounts"]) == accounts


def test_an_entry_booked_by_hand_before_the_first_run_is_linked_not_doubled(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Found by journal, type and YourRef together: a hand-booked credit note `2027 / 2` in journal
    71 does not stand for invoice `2027 / 2`."""
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 50}])
    by_hand = exact.book_by_hand(typed_in(exact, "70", 20, "2027 / 1", "100.00"))
    exact.book_by_hand(typed_in(exact, "71", 21, "2027 / 2", "-50.00"))

    first = later.run()

    assert first.returncode == 0, first.stdout + first.stderr
    assert "documents: 1 booked, 1 linked" in first.stdout
    assert booked_entry(exact, "2027 / 1")["EntryID"] == by_hand["EntryID"]
    assert booked_entry(exact, "2027 / 2", journal="70", type=20)["Description"] == f"2027 / 2 {CUSTOMER}"
    second = later.run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(booked_entries(exact)) == 3


def test_a_rerun_writes_nothing(world: World, exact: ExactSandbox, teamleader: TeamleaderSandbox) -> None:
    """The second run over the whole demo company: no write to Exact, a handful of reads."""
    first = world.run()
    assert first.returncode == 0, first.stdout + first.stderr
    entries = len(booked_entries(exact))
    exact.calls.clear()
    teamleader.calls.clear()

    second = world.run()

    assert second.returncode == 0, second.stdout + second.stderr
    assert "booked" not in second.stdout and "created" not in second.stdout
    assert api_calls(exact, "POST", "PUT", "DELETE") == []
    reads = api_calls(exact, "GET")
    assert len(reads) <= 5, [call.path for call in reads]
    assert len(booked_entries(exact)) == entries
    writes = (".add", ".update", ".registerPayment")
    assert not [call for call in teamleader.calls if call.path.endswith(writes)]


def test_a_document_changed_in_the_source_after_booking_is_reported_not_booked_again(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    assert later.run().returncode == 0
    teamleader.advance(60)
    teamleader.update_booked(
        invoice.id,
        grouped_lines=[
            {
                "line_items": [
                    {
                        "quantity": 1,
                        "description": "Corrected price",
                        "unit_price": {"amount": 120, "tax": "excluding"},
                        "tax_rate_id": teamleader.tax_rate_id("21%"),
                    }
                ]
            }
        ],
    )

    changed = later.run()

    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "PARTIAL" in changed.stdout
    assert "2027 / 1 changed in the source after it was booked" in changed.stdout
    assert "correct the entry in the target by hand" in changed.stdout
    [entry] = booked_entries(exact)
    assert money(entry["AmountFC"]) == money("121.00")
    again = later.run()
    assert again.returncode == 0, again.stdout + again.stderr  # reported once, not on every run
    assert len(booked_entries(exact)) == 1


def typed_in(exact: ExactSandbox, journal: str, kind: int, your_ref: str, amount: str) -> dict[str, Any]:
    """A sales entry as a bookkeeper types it into Exact: on account 1001, revenue 7000, 21 %."""
    return {
        "Journal": journal,
        "Type": kind,
        "Customer": account_id(exact, "1001"),
        "EntryDate": "2027-03-01",
        "YourRef": your_ref,
        "Description": "typed in by the bookkeeper",
        "SalesEntryLines": [{"GLAccount": gl_account_id(exact, "7000"), "AmountFC": amount, "VATCode": "4"}],
    }


def test_a_run_within_the_hour_books_a_new_invoice_without_reading_the_department_or_its_rates(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """What the last run read of Teamleader's department and tax rates is kept for an hour: the
    next run's calls go to what changed (DESIGN §7, issue 15)."""
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-01", lines=[{"price": 50}])
    assert later.run().returncode == 0
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    teamleader.calls.clear()

    second = later.run()

    assert second.returncode == 0, second.stdout + second.stderr
    paths = [call.path for call in teamleader.calls]
    assert not [path for path in paths if path.endswith(("departments.list", "taxRates.list"))], paths
    assert any(path.endswith("invoices.info") for path in paths)
    [entry] = [entry for entry in booked_entries(exact) if parse_day(entry["EntryDate"]) == date(2027, 3, 1)]
    assert money(entry["AmountDC"]) == money(121)
