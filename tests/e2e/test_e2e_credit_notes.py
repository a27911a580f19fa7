"""Credit notes in Exact as Exact books them (notes §"Evidence 2026-12"): negative, Type 21.

Through the real `connector run` against both sandboxes. Each test reads the Exact ledger the way a
bookkeeper would (the entry, its lines, its receivable), not only what was sent.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import (
    account_id,
    api_calls,
    booked_entries,
    booked_entry,
    gl_account_id,
    money,
    receivable_of,
)
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def entry_posts(exact: ExactSandbox) -> list[dict[str, Any]]:
    return [json.loads(call.body) for call in api_calls(exact, "POST") if "SalesEntries" in call.path]


def test_a_credit_note_is_negative_with_type_21_and_a_negative_receivable_and_a_rerun_books_nothing(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """200 with a 10 % commercial discount, credited: the revenue line -200 and the discount line
    +20 (a discount on a credit note flips too), VAT -37.80, total -217.80."""
    invoice = teamleader.book_invoice(
        customer=CUSTOMER, date="2027-02-03", lines=[{"price": 200}], discounts=[10]
    )
    teamleader.credit(invoice.id, "2027-02-10")

    first = later.run()

    assert first.returncode == 0, first.stdout + first.stderr
    assert "documents: 2 booked" in first.stdout
    sold = booked_entry(exact, "2027 / 1", type=20)
    credit = booked_entry(exact, "2027 / 1", type=21)
    assert (money(sold["AmountFC"]), money(sold["VATAmountFC"])) == (money("217.80"), money("37.80"))
    assert (credit["Type"], credit["Journal"].strip()) == (21, "71")
    assert (money(credit["AmountFC"]), money(credit["VATAmountFC"])) == (money("-217.80"), money("-37.80"))
    lines = sorted(
        (line["GLAccountCode"].strip(), money(line["AmountFC"]), money(line["VATAmountFC"]), line["Type"])
        for line in credit["SalesEntryLines"]
    )
    assert lines == [
        ("7000", money("-200.00"), money("-42.00"), 21),
        ("7080", money("20.00"), money("4.20"), 21),
    ]
    receivable = receivable_of(exact, credit)
    assert (money(receivable["AmountFC"]), receivable["TransactionType"]) == (money("-217.80"), 21)
    assert money(receivable_of(exact, sold)["AmountFC"]) == money("217.80")
    [sent] = [body for body in entry_posts(exact) if body["Type"] == 21]
    assert sorted(line["AmountFC"] for line in sent["SalesEntryLines"]) == ["-200.00", "20.00"]

    exact.calls.clear()
    again = later.run()

    assert again.returncode == 0, again.stdout + again.stderr
    assert entry_posts(exact) == [], "a rerun books nothing"
    assert len(booked_entries(exact)) == 2


def typed_in_credit_note(exact: ExactSandbox, your_ref: str, amount: str, **extra: Any) -> dict[str, Any]:
    """A credit note as a bookkeeper types it into Exact: negative, on account 1001, revenue 7000."""
    return {
        "Journal": "71",
        "Customer": account_id(exact, "1001"),
        "EntryDate": "2027-02-10",
        "YourRef": your_ref,
        "Description": "typed in by the bookkeeper",
        "SalesEntryLines": [{"GLAccount": gl_account_id(exact, "7000"), "AmountFC": amount, "VATCode": "4"}],
        **extra,
    }


def test_a_hand_booked_negative_credit_note_is_linked_not_booked_twice(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Booked by hand as Exact holds credit notes (negative, Type 21, the same YourRef): found by the
    look-up and linked; and one typed without a Type, which Exact derives from the negative total."""
    first_invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 200}])
    second_invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-04", lines=[{"price": 50}])
    teamleader.credit(first_invoice.id, "2027-02-10")
    teamleader.credit(second_invoice.id, "2027-02-11")
    typed = exact.book_by_hand(typed_in_credit_note(exact, "2027 / 1", "-200.00", Type=21))
    derived = exact.book_by_hand(typed_in_credit_note(exact, "2027 / 2", "-50.00"))
    assert (typed["Type"], derived["Type"]) == (21, 21)

    first = later.run()

    assert first.returncode == 0, first.stdout + first.stderr
    assert "documents: 2 booked, 2 linked" in first.stdout
    assert [body["Type"] for body in entry_posts(exact)] == [20, 20], "only the invoices were booked"
    assert booked_entry(exact, "2027 / 1", type=21)["EntryID"] == typed["EntryID"]
    assert booked_entry(exact, "2027 / 2", type=21)["EntryID"] == derived["EntryID"]
    second = later.run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(booked_entries(exact)) == 4


def test_an_invoice_settled_against_its_credit_note_registers_nothing_beyond_total_due(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Evidence 2026-12: matched against the credit note, the invoice is paid in Exact with no bank
    line; Teamleader already lowered its `total.due` by the credit (to 0), so no payment is
    registered in Teamleader at all."""
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 200}])
    teamleader.credit(invoice.id, "2027-02-10")
    assert later.run("--only", "documents").returncode == 0
    before = teamleader.invoice_info(invoice.id)
    assert money(before["total"]["due"]["amount"]) == money("0.00") and before["payments"] == []

    settled = httpx.post(
        f"{exact.url}/_sandbox/settle",
        json={
            "invoice": {"your_ref": "2027 / 1", "journal": "70", "type": 20},
            "credit_note": {"your_ref": "2027 / 1", "journal": "71", "type": 21},
            "date": "2027-02-12",
        },
    )
    assert settled.status_code == 200, settled.text
    assert {side["Status"] for side in settled.json().values()} == {50}

    result = later.run("--only", "payments")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered" not in result.stdout, result.stdout
    after = teamleader.invoice_info(invoice.id)
    assert after["payments"] == [], "nothing more than total.due (0) is registered"
    assert money(after["total"]["due"]["amount"]) == money("0.00")


def test_a_reference_too_long_for_exact_is_cut_and_the_report_says_so(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"fields": {"your_ref": "{{ document.number }} for the kitchen renovation"}})
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 10}])

    first = later.run()

    assert first.returncode == 0, first.stdout + first.stderr
    [entry] = [e for e in booked_entries(exact) if e["YourRef"].startswith("2027 / 1")]
    assert entry["YourRef"] == "2027 / 1 for the kitchen renov"
    assert "YourRef cut to 30 characters" in first.stdout and "sink.field_lengths.your_ref" in first.stdout
    again = later.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert len([e for e in booked_entries(exact) if e["YourRef"].startswith("2027 / 1")]) == 1
