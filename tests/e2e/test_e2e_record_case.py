"""`connector test RULES --record NUMBER` against the sandboxes: a live document becomes a case of the
rule file, with today's result as its expectation, and the file's own lines are kept."""

from __future__ import annotations

from connector.testing.e2e import World
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"


def test_recorded_cases_keep_the_file_and_pass_until_the_mapping_changes(
    later: World, teamleader: TeamleaderSandbox
) -> None:
    later.write_rules({"vat": {"12%": None}})
    assert later.rules_path is not None
    path = later.rules_path
    original = "# Acme's rules, reviewed by the consultant\n" + path.read_text().replace(
        "version: 1", "version: 1  # always 1", 1
    )
    path.write_text(original)
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100, "tax": "21%"}])
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 40, "tax": "12%"}])

    first = later.cli("test", str(path), "--record", "2027 / 1", "--name", "plain invoice")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "appended case 'plain invoice' expecting the entry it gives today" in first.stdout
    second = later.cli("test", str(path), "--record", "2027 / 2")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "expecting the refusal \"tax rate '12%' is not mapped\"" in second.stdout

    text = path.read_text()
    assert text.startswith(original), "the file's own lines stay as they were"
    assert text.count("# recorded ") == 2
    assert "- name: plain invoice" in text and "- name: 2027 / 2" in text

    passing = later.cli("test", str(path))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "2 cases passed, mapped against the target's codes as read on" in passing.stdout

    path.write_text(text.replace("vat:\n", 'vat:\n  "12%":\n    code: "5"\n', 1))
    failing = later.cli("test", str(path))
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "test '2027 / 2' failed" in failing.stdout
    assert "expected the refusal \"tax rate '12%' is not mapped\", got an entry" in failing.stdout


def test_a_number_the_source_does_not_have_is_refused_and_the_file_is_left_alone(later: World) -> None:
    assert later.rules_path is not None
    before = later.rules_path.read_text()
    result = later.cli("test", str(later.rules_path), "--record", "2099 / 9")
    assert result.returncode == 2
    assert "no booked document '2099 / 9' in the source" in result.stderr
    assert later.rules_path.read_text() == before
