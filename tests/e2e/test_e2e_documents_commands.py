"""`connector run` and its options through the real CLI: an unmapped VAT rate, `--dry-run`, `--since`,
`--only documents` (DESIGN §5, issue 4)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from connector.state.store import StateStore
from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import (
    account_id,
    api_calls,
    booked_entries,
    booked_entry,
    gl_account_id,
    per_vat_code,
)
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
NEW_CUSTOMER = "Kaasmakerij Van Hout BV"


def test_an_unmapped_vat_rate_skips_only_its_documents_until_the_rule_file_maps_it(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"vat": {"12%": None}})
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100, "tax": "21%"}])
    teamleader.book_invoice(
        customer=CUSTOMER,
        date="2027-03-02",
        lines=[{"price": 100, "tax": "21%"}, {"description": "Catering", "price": 40, "tax": "12%"}],
    )

    first = later.run()

    assert first.returncode == 1, first.stdout + first.stderr
    assert "PARTIAL" in first.stdout and "documents: 1 booked, 1 skipped" in first.stdout
    assert "2027 / 2: tax rate '12%' is not mapped" in first.stdout
    assert f"what to do: add it under vat: in {later.rules_path}" in first.stdout
    assert [entry["YourRef"] for entry in booked_entries(exact)] == ["2027 / 1"]

    later.write_rules()  # the demo file maps "12%" to code "5"
    second = later.run()

    assert second.returncode == 0, second.stdout + second.stderr
    assert "documents: 1 booked" in second.stdout and "skipped" not in second.stdout
    assert per_vat_code(booked_entry(exact, "2027 / 2")) == {
        "4": (Decimal("100.00"), Decimal("21.00")),
        "5": (Decimal("40.00"), Decimal("4.80")),
    }


def dry_run_scenario(later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox) -> dict[str, str]:
    """Four invoices: one to book for a new customer, one already typed into Exact, one with an
    unmapped rate, one whose totals do not add up. Returns number -> document key."""
    later.write_rules({"vat": {"12%": None}})
    teamleader.seed({"companies": [{"name": NEW_CUSTOMER, "vat_number": "BE0123456749"}]})
    to_book = teamleader.book_invoice(customer=NEW_CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    typed = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 50}])
    unmapped = teamleader.book_invoice(
        customer=CUSTOMER, date="2027-03-03", lines=[{"price": 9, "tax": "12%"}]
    )
    broken = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-04", lines=[{"price": 10}])
    with teamleader.lock:  # a source whose own totals do not add up: 12.10 + 0.01
        broken.totals = dataclasses.replace(
            broken.totals, inclusive=broken.totals.inclusive + Decimal("0.01")
        )
    exact.book_by_hand(
        {
            "Journal": "70",
            "Customer": account_id(exact, "1001"),
            "EntryDate": "2027-03-02",
            "YourRef": "2027 / 2",
            "SalesEntryLines": [
                {"GLAccount": gl_account_id(exact, "7000"), "AmountFC": "50.00", "VATCode": "4"}
            ],
        }
    )
    exact.calls.clear()
    teamleader.calls.clear()
    return {str(i.invoice_number): f"invoice:{i.id}" for i in (to_book, typed, unmapped, broken)}


def test_a_dry_run_writes_nothing_and_says_per_document_what_a_run_would_do(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, state_dir: Path
) -> None:
    keys = dry_run_scenario(later, teamleader, exact)
    entries = len(booked_entries(exact))

    result = later.run("--dry-run")

    assert result.returncode == 1, result.stdout + result.stderr  # it would skip and fail documents
    out = result.stdout
    assert "dry run (nothing was written)" in out
    assert f"book    {keys['2027 / 1']} 2027 / 1: journal 70, 1 line, 100.00 + VAT 21.00 EUR" in out
    assert f"link    {keys['2027 / 2']} 2027 / 2: already in journal 70 as" in out
    assert f"skip    {keys['2027 / 3']} 2027 / 3: tax rate '12%' is not mapped" in out
    assert f"fail    {keys['2027 / 4']} 2027 / 4: the total including VAT is 12.11" in out
    # nothing happened: the summary says what a run would do, not what was done
    assert "documents: would book 1, would fail 1, would link 1, would skip 1" in out
    assert "booked" not in out.split("dry run (nothing was written)")[1]
    assert api_calls(exact, "POST", "PUT", "DELETE") == []
    assert len(booked_entries(exact)) == entries
    assert [call.path for call in teamleader.calls if not call.path.endswith((".list", ".info", ".me"))] == []
    with StateStore.for_client(state_dir, "demo") as state:
        assert not any(state.ledger_counts().values())
        assert state.customer_links() == []
        assert state.cursors() == {}
        assert state.runs() == []


def test_a_dry_run_names_the_customers_it_would_create(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Only the customer of the document it would book: the others' documents are linked or fail."""
    dry_run_scenario(later, teamleader, exact)

    result = later.run("--dry-run")

    assert NEW_CUSTOMER in result.stdout
    assert "customers: would create 1" in result.stdout


def test_a_skipped_document_creates_no_customer_account(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """DESIGN §8: an account is created only when one of its documents is about to be booked."""
    later.write_rules({"vat": {"12%": None}})
    teamleader.seed({"companies": [{"name": NEW_CUSTOMER, "vat_number": "BE0123456749"}]})
    teamleader.book_invoice(customer=NEW_CUSTOMER, date="2027-03-01", lines=[{"price": 9, "tax": "12%"}])

    result = later.run()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "created" not in result.stdout
    names = [account["Name"] for account in exact.state()["divisions"]["1234567"]["accounts"]]
    assert NEW_CUSTOMER not in names


def test_since_lists_documents_changed_since_that_day_without_booking_them_again(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 200}])
    assert later.run().returncode == 0
    exact.calls.clear()
    teamleader.calls.clear()
    yesterday = (teamleader.clock.now() - timedelta(days=1)).date()

    result = later.run("--since", yesterday.isoformat())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "booked" not in result.stdout
    listed = [json.loads(call.body) for call in teamleader.calls if call.path == "/invoices.list"]
    assert [body["filter"]["updated_since"] for body in listed] == [f"{yesterday.isoformat()}T00:00:00+00:00"]
    info = [call for call in teamleader.calls if call.path == "/invoices.info"]
    assert info == [], "both are booked as the list shows them still: neither is read again"
    assert api_calls(exact, "POST", "PUT", "DELETE") == []
    assert len(booked_entries(exact)) == 2


def test_only_documents_books_but_runs_no_payments(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    first = later.run("--only", "documents")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "run of documents: done" in first.stdout and "documents: 1 booked" in first.stdout
    exact.reconcile(your_ref="2027 / 1", journal="70", type=20, date="2027-03-20")
    exact.calls.clear()

    second = later.run("--only", "documents")

    assert second.returncode == 0, second.stdout + second.stderr
    assert not [call for call in api_calls(exact) if "PaymentTerms" in call.path]
    assert teamleader.invoice_info(invoice.id)["paid"] is False
    plain = later.run()  # the contrast: a plain run does pick the payment up
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert teamleader.invoice_info(invoice.id)["paid"] is True


def test_a_template_that_fails_for_one_document_skips_only_that_document_and_names_its_line(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    template = "{{ document.number }} {{ customer.vat_number.upper() }}"
    rules = later.write_rules({"fields": {"description": template}})
    line = next(
        n for n, text in enumerate(rules.read_text().splitlines(), 1) if "customer.vat_number" in text
    )
    teamleader.seed({"contacts": [{"first_name": "Els", "last_name": "Wouters"}]})  # no VAT number
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    teamleader.book_invoice(customer="Els Wouters", date="2027-03-02", lines=[{"price": 100}])

    result = later.run()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "documents: 1 booked, 1 skipped" in result.stdout
    assert f"document 2027 / 2: fields.description ({rules}:{line}:" in result.stdout
    assert "only this document is skipped" in result.stdout
    [entry] = booked_entries(exact)
    assert entry["YourRef"] == "2027 / 1" and entry["Description"].startswith("2027 / 1 BE")


def test_an_inclusive_vat_code_stops_the_run_before_anything_is_written(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    rules = later.write_rules({"vat": {"21%": {"code": "1"}}})  # "1" is Exact's BTW 21% incl.
    line = next(n for n, text in enumerate(rules.read_text().splitlines(), 1) if "code: '1'" in text)
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])

    result = later.run()

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{rules}:{line}:" in result.stderr and 'vat."21%".code' in result.stderr
    assert "is inclusive (type I)" in result.stderr and "'4' (BTW 21%" in result.stderr
    assert api_calls(exact, "POST", "PUT", "DELETE") == [] and booked_entries(exact) == []
    # validate says ok (it reads no target): the message points to the check that would have seen it
    assert f"connector check {rules}" in result.stderr and "validate" not in result.stderr
    assert "booked nothing, and nothing is lost" in result.stderr
