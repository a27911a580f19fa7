"""`sync.attachments`: each booked document's PDF and UBL kept on its entry in Exact, never twice.

Through the real `connector run` against both sandboxes; each test checks what a bookkeeper sees on
the entries in Exact afterwards (the files linked through their `Document`) and what the command
printed, and counts the calls each side's request log holds.
"""

from __future__ import annotations

import json
from collections import Counter
from xml.etree import ElementTree

import pytest

from connector.testing.e2e import World
from connector.testing.sandbox import Fault
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import api_calls, attached_files, booked_entries, booked_entry
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
ODATA_ERROR = '{"error":{"code":"","message":{"lang":"","value":"Interne fout: probeer het later opnieuw"}}}'


def with_attachments(world: World, setting: str) -> World:
    world.rule_defaults = {
        **world.rule_defaults,
        "sync": {**world.rule_defaults.get("sync", {}), "attachments": setting},
    }
    world.write_rules()
    return world


def calls_to(exact: ExactSandbox, method: str, resource: str) -> int:
    return sum(1 for call in api_calls(exact, method) if call.path.endswith(resource))


def lookups(exact: ExactSandbox) -> int:
    """The reads of `salesentry/SalesEntries` that look for entries already booked."""
    return sum(1 for call in api_calls(exact, "GET") if call.path.endswith("salesentry/SalesEntries"))


def downloads(teamleader: TeamleaderSandbox) -> int:
    return sum(1 for call in teamleader.calls if call.path.endswith(".download"))


def documents_in_exact(exact: ExactSandbox) -> list[dict[str, object]]:
    return list(exact.state()["divisions"]["1234567"]["documents"])


def test_both_puts_the_pdf_and_the_ubl_of_each_booked_document_on_its_entry(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    invoice = teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"qty": 4, "price": 95}])
    note = teamleader.credit(invoice.id, on="2027-02-10")
    with_attachments(later, "both")

    result = later.run()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "documents: 2 booked" in result.stdout and "attachments: 2 attached" in result.stdout
    files = attached_files(exact)
    entry = booked_entry(exact, "2027 / 1", type=20)
    names = dict(files[entry["EntryID"]])
    assert set(names) == {"invoice-2027-1.pdf", "invoice-2027-1.xml"}
    pdf = names["invoice-2027-1.pdf"]
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF") and b"Invoice 2027 / 1" in pdf
    ubl = ElementTree.fromstring(names["invoice-2027-1.xml"])
    assert ubl.tag.endswith("}Invoice") and ubl.findtext(f"{CBC}ID") == "2027 / 1"
    assert ubl.findtext(f"{CBC}IssueDate") == "2027-02-03"
    credit = booked_entry(exact, note.credit_note_number, type=21)
    credit_names = dict(files[credit["EntryID"]])
    assert set(credit_names) == {
        f"credit-note-{note.credit_note_number.replace(' / ', '-')}.pdf",
        f"credit-note-{note.credit_note_number.replace(' / ', '-')}.xml",
    }
    assert any(
        ElementTree.fromstring(c).tag.endswith("}CreditNote")
        for n, c in credit_names.items()
        if n.endswith(".xml")
    )
    subjects = sorted(str(d["Subject"]) for d in documents_in_exact(exact))
    assert subjects == sorted(["Invoice 2027 / 1", f"Credit note {note.credit_note_number}"])
    assert all(d["Type"] == 10 and d["AccountName"] == CUSTOMER for d in documents_in_exact(exact))


def test_a_first_sync_of_100_documents_stays_within_its_announced_budget_and_a_rerun_attaches_nothing(
    world: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """The plan's estimate, per side, holds what the real run spent: counted in the sandboxes' own
    request logs (API and file host alike). Each document costs exactly 3 Exact calls with one file."""
    with_attachments(world, "pdf")
    exact.calls.clear()
    plan = world.run("--dry-run", "--json")
    assert plan.returncode == 0, plan.stderr
    estimate = json.loads(plan.stdout)["estimate"]
    planned = [line for line in json.loads(plan.stdout)["plan"] if line.startswith("attach  ")]
    assert len(planned) >= 100
    planned_lookups = lookups(exact)
    exact.calls.clear()
    teamleader.calls.clear()

    result = world.run()

    assert result.returncode == 0, result.stdout + result.stderr
    booked = len(booked_entries(exact))
    assert booked == len(planned) and f"attachments: {booked} attached" in result.stdout
    writes = api_calls(exact, "POST", "PUT")
    assert len(writes) == estimate["sink"]["writes"], "Exact: the writes exactly as announced"
    # The look-ups before booking come in rounds as the reader hands documents over, so their
    # number follows timing (a call either way); every other read is as the plan counted it.
    reads = len(api_calls(exact, "GET")) - lookups(exact)
    assert reads <= estimate["sink"]["reads"] - planned_lookups, "Exact: more reads than announced"
    tl_calls = [c for c in teamleader.calls if not c.path.startswith(("/oauth2/", "/_sandbox/"))]
    assert len(tl_calls) <= estimate["source"]["needed"], "Teamleader: more calls than announced"
    assert calls_to(exact, "POST", "documents/Documents") == booked
    assert calls_to(exact, "POST", "documents/DocumentAttachments") == booked
    assert sum(1 for c in api_calls(exact, "PUT") if "salesentry/SalesEntries(" in c.path) == booked
    files = attached_files(exact)
    assert len(files) == booked and all(len(held) == 1 for held in files.values())

    exact.calls.clear()
    teamleader.calls.clear()
    again = world.run()

    assert again.returncode == 0, again.stdout + again.stderr
    assert "attached" not in again.stdout
    assert not [c for c in api_calls(exact) if "documents/" in c.path or c.method == "PUT"]
    assert downloads(teamleader) == 0
    assert len(documents_in_exact(exact)) == booked and len(attached_files(exact)) == booked


def test_when_the_days_budget_is_short_bookings_go_first_and_the_files_follow_the_next_day(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    for day in range(1, 7):
        teamleader.book_invoice(customer=CUSTOMER, date=f"2027-03-{day:02d}", lines=[{"price": 10 * day}])
    with_attachments(later, "pdf")
    exact.limiter.per_day = 24

    first = later.run()

    assert first.returncode == 1, first.stdout + first.stderr
    assert "documents: 6 booked" in first.stdout
    assert "documents wait for a later run to attach their files (bookings go first" in first.stdout
    attached_first = len(attached_files(exact))
    status = later.cli("status", str(later.rules_path), "--offline")
    assert (
        f"attachments {attached_first} documents with their files on their entries; {6 - attached_first} wait"
        in status.stdout
    )
    assert attached_first < 6
    exact.limiter.per_day = 1_000_000  # the next day's budget (moving the clock would lapse the tokens)

    second = later.run()

    assert second.returncode == 0, second.stdout + second.stderr
    assert f"attachments: {6 - attached_first} attached" in second.stdout
    assert "documents:" not in second.stdout, "nothing is booked again"
    assert len(booked_entries(exact)) == 6
    files = attached_files(exact)
    assert len(files) == 6 and all(len(held) == 1 for held in files.values())
    assert len(documents_in_exact(exact)) == 6, "a document begun the first day was not made twice"


def test_a_failed_attachment_is_reported_leaves_its_booking_alone_and_is_attached_by_the_next_run(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}])
    with_attachments(later, "ubl")
    exact.faults.append(
        Fault(path="documents/DocumentAttachments$", status=500, body=ODATA_ERROR, method="POST")
    )

    failed = later.run()

    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "documents: 1 booked" in failed.stdout and "attachments: 1 failed" in failed.stdout
    assert "2027 / 1: files not attached: Exact Online refused documents/DocumentAttachments" in failed.stdout
    assert "the entry stays booked" in failed.stdout
    assert attached_files(exact) == {}

    again = later.run()

    assert again.returncode == 0, again.stdout + again.stderr
    assert "attachments: 1 attached" in again.stdout and "documents:" not in again.stdout
    assert len(booked_entries(exact)) == 1 and calls_to(exact, "POST", "salesentry/SalesEntries") == 1
    assert calls_to(exact, "POST", "documents/Documents") == 1, (
        "the document made before the failure is reused"
    )
    (held,) = attached_files(exact).values()
    assert [name for name, _ in held] == ["invoice-2027-1.xml"]


def test_an_attachment_whose_answer_was_lost_is_looked_up_not_made_again(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    """Exact created the document and the answer never came back: the next run finds it by its
    subject and uses it, so the entry links one document with one file."""
    teamleader.book_invoice(customer=CUSTOMER, date="2027-02-03", lines=[{"price": 100}])
    with_attachments(later, "pdf")
    exact.faults.append(Fault(path="documents/Documents$", kind="drop", method="POST"))

    lost = later.run()

    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert "attachments: 1 failed" in lost.stdout and len(documents_in_exact(exact)) == 1
    again = later.run()
    assert again.returncode == 0, again.stdout + again.stderr
    assert calls_to(exact, "GET", "documents/Documents") == 1
    assert len(documents_in_exact(exact)) == 1
    (held,) = attached_files(exact).values()
    assert len(held) == 1


@pytest.mark.parametrize("nth", [1, 2, 3, 5])
def test_a_run_killed_between_the_exact_calls_of_an_attachment_is_repaired_without_doubles(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox, nth: int
) -> None:
    """Killed right after the Nth attachment call (document, file, link, then the next document's),
    before the state could record it: the next run ends with one document and one file per entry."""
    for day in (3, 4):
        teamleader.book_invoice(customer=CUSTOMER, date=f"2027-02-{day:02d}", lines=[{"price": 100 + day}])
    with_attachments(later, "pdf")
    killed = later.run(env={"CONNECTOR_KILL_AT": f"attachments.after_call:{nth}"})
    assert killed.returncode == -9, killed.stdout + killed.stderr

    again = later.run()

    assert again.returncode == 0, again.stdout + again.stderr
    assert len(booked_entries(exact)) == 2
    subjects = Counter(str(d["Subject"]) for d in documents_in_exact(exact))
    assert subjects == Counter({"Invoice 2027 / 1": 1, "Invoice 2027 / 2": 1})
    files = attached_files(exact)
    assert len(files) == 2 and all(len(held) == 1 for held in files.values())
    assert later.run().returncode == 0
    assert len(documents_in_exact(exact)) == 2
