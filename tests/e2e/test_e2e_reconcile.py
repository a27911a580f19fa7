"""`connector reconcile` through the real CLI against both sandboxes (issue 16, "Done when"): after a
first sync, a duplicate booked by hand, an unmapped-rate document and an amount changed by hand in
Exact are exactly the three differences, the totals differ by exactly their amounts, exit 1; once
they are fixed, exit 0."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import Any

from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_client, booked_entry, gl_account_id
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def reconcile(world: World, *options: str) -> tuple[int, str, str]:
    assert world.rules_path is not None
    result = world.cli("reconcile", str(world.rules_path), "--period", "2027-03", *options)
    return result.returncode, result.stdout, result.stderr


def totals(data: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """VAT code → the difference (net, VAT) of journal 70, for the codes that differ."""
    return {
        row["vat_code"]: (Decimal(row["difference"]["net"]), Decimal(row["difference"]["vat"]))
        for row in data["totals"]
        if row["journal"] == "70" and row["difference"] != {"net": "0.00", "vat": "0.00"}
    }


def test_reconcile_lists_exactly_the_duplicate_the_unmapped_document_and_the_changed_amount(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"vat": {"12%": None}})
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 100, "tax": "21%"}])
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-05", lines=[{"price": 200, "tax": "21%"}])
    unmapped = teamleader.book_invoice(
        customer=CUSTOMER,
        date="2027-03-08",
        lines=[{"price": 100, "tax": "21%"}, {"description": "Catering", "price": 40, "tax": "12%"}],
    )
    first = later.run()
    assert first.returncode == 1 and "documents: 2 booked, 1 skipped" in first.stdout, first.stdout

    synced = booked_entry(exact, "2027 / 1")
    copy = exact.book_by_hand(
        {
            "Journal": "70",
            "Customer": synced["Customer"],
            "EntryDate": "2027-03-02",
            "YourRef": "2027 / 1",
            "Description": "typed in again by the bookkeeper",
            "SalesEntryLines": [
                {"GLAccount": gl_account_id(exact, "7000"), "AmountFC": "100.00", "VATCode": "4"}
            ],
        }
    )
    [changed_line] = booked_entry(exact, "2027 / 2")["SalesEntryLines"]
    with api_client(exact) as api:
        answer = api.put(
            f"salesentry/SalesEntryLines(guid'{changed_line['ID']}')", json={"AmountFC": "250.00"}
        )
        assert answer.status_code == 204, answer.text

    code, out, err = reconcile(later, "--json")

    assert code == 1, out + err
    data = json.loads(out)
    assert data["period"] == {"from": "2027-03-01", "to": "2027-03-31"}
    assert data["calls"]["source"] > 0 and data["calls"]["sink"] > 0
    found = sorted((d["kind"], d["number"], d["sink_id"]) for d in data["differences"])
    assert found == [
        ("amount", "2027 / 2", booked_entry(exact, "2027 / 2")["EntryID"]),
        ("duplicate", "2027 / 1", copy["EntryID"]),
        ("missing_in_sink", str(unmapped.invoice_number), None),
    ]
    [missing] = [d for d in data["differences"] if d["kind"] == "missing_in_sink"]
    assert "tax rate '12%' is not mapped" in missing["detail"]
    # 21 %: +100 (+21 VAT) not booked, -100 (-21) booked twice, -50 (VAT as typed) changed by hand.
    assert totals(data) == {
        "4": (Decimal("-50.00"), Decimal("0.00")),
        "12% (not mapped)": (Decimal("40.00"), Decimal("4.80")),
    }
    assert "reading Teamleader Focus (source): 3 documents, about" in err

    # The fixes a bookkeeper makes: delete the copy, put the amount back, map the rate and sync.
    with api_client(exact) as api:
        assert api.delete(f"salesentry/SalesEntries(guid'{copy['EntryID']}')").status_code == 204
        answer = api.put(
            f"salesentry/SalesEntryLines(guid'{changed_line['ID']}')", json={"AmountFC": "200.00"}
        )
        assert answer.status_code == 204, answer.text
    later.write_rules()  # the demo file maps "12%" to code "5"
    assert later.run().returncode == 0

    code, out, err = reconcile(later, "--json")

    assert code == 0, out + err
    data = json.loads(out)
    assert data["differences"] == [] and totals(data) == {}


def test_the_table_the_dry_run_and_the_csv_a_consultant_reads(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    later.write_rules({"triggers": {"reconcile": "monthly on day 2 at 06:00"}})
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 100, "tax": "21%"}])
    assert later.run().returncode == 0
    assert later.rules_path is not None
    status = later.cli("status", str(later.rules_path), "--offline").stdout
    assert "reconcile monthly on day 2 at 06:00, next 20" in status and ", not at start" in status
    exact.book_by_hand(
        {
            "Journal": "70",
            "Customer": booked_entry(exact, "2027 / 1")["Customer"],
            "EntryDate": "2027-03-20",
            "YourRef": "EXT-991",
            "Description": "from the webshop integration",
            "SalesEntryLines": [
                {"GLAccount": gl_account_id(exact, "7000"), "AmountFC": "10.00", "VATCode": "4"}
            ],
        }
    )

    estimate, out, _ = reconcile(later, "--dry-run")
    code, table, _ = reconcile(later, "--csv", "march.csv")

    assert estimate == 0 and "a reconcile reads Exact Online (sink): 2 entries, about 3 API calls" in out
    assert "totals" not in out
    assert code == 1
    assert "missing in source  entry 27700002: invoice 27700002 in journal 70 dated 2027-03-20" in table
    assert (
        "  70       4             100.00       21.00    110.00     23.10    -10.00     -2.10  DIFFERS"
        in table
    )
    assert "what to do:\n  missing in source: ask who booked it" in table
    assert "DIFFERENT: 1 difference between the books (exit 1)" in table
    with (later.directory / "march.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["row"], row["vat_code"], row["difference_net"], row["kind"]) for row in rows] == [
        ("total", "4", "-10.00", ""),
        ("difference", "", "", "missing_in_source"),
    ]
