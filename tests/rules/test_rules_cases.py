"""Reading the tests: section: documents inline or beside the rule file, each problem at its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from connector.contract.plugins import Plugins
from connector.rules import check, load

ENV = {"A": "a"}
BASE = """\
version: 1
client: acme
source: { plugin: teamleader, department: Acme BV, client_id: x, client_secret: "${A}" }
sink: { plugin: exact_online, division: 1, client_id: x, client_secret: "${A}" }
sync: { start_date: 2026-01-01 }
journals: { invoices: "70", credit_notes: "70" }
vat:
  "21%": { code: "4", revenue_account: "7000" }
payment_terms: { default: "30" }
"""
DOCUMENT = """\
kind: invoice
number: "1"
date: 2026-02-01
currency: EUR
customer: { kind: company, name: Globex NV }
lines:
  - { description: Work, quantity: 1, unit_price: 10, tax_rate: { description: "21%", rate: 0.21 },
      amount_before_discount: 10, amount: 10 }
totals: { tax_exclusive: 10, tax_inclusive: 12.10, taxes: [{ rate: 0.21, taxable: 10, tax: 2.10 }] }
"""


def write(tmp_path: Path, tests: str) -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(BASE + tests)
    return path


def problems(path: Path) -> list[str]:
    return [str(problem) for problem in check(path, plugins=Plugins.load(), environ=ENV)]


def test_a_document_file_beside_the_rule_file_is_read_with_the_ids_a_case_may_leave_out(
    tmp_path: Path,
) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "one.yaml").write_text(DOCUMENT)
    path = write(
        tmp_path, "tests:\n  cases:\n    - name: one\n      document: cases/one.yaml\n      fails: x\n"
    )
    rules = load(path, plugins=Plugins.load(), environ=ENV)
    (case,) = rules.tests.cases
    assert (case.name, case.line, case.fails) == ("one", 12, "x")
    assert case.document_file == str(tmp_path / "cases" / "one.yaml")
    assert case.document.id == "1" and case.document.customer.id == "Globex NV"
    assert case.document.lines[0].tax_rate.id == "21%"
    assert case.document.totals.tax_inclusive == Decimal("12.10")


def test_a_wrong_value_in_a_document_file_is_reported_at_its_line_in_that_file(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(DOCUMENT.replace("kind: invoice", "kind: bill"))
    path = write(tmp_path, "tests:\n  cases:\n    - name: one\n      document: one.yaml\n      fails: x\n")
    assert problems(path) == [
        f'{tmp_path / "one.yaml"}:1:7: kind: expected one of invoice, credit_note, got "bill"'
    ]


def test_a_missing_document_file_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "tests:\n  cases:\n    - name: one\n      document: gone.yaml\n      fails: x\n")
    assert problems(path) == [f"{tmp_path / 'gone.yaml'}:1:1: gone.yaml does not exist beside acme.yaml"]


def test_a_case_says_either_expect_or_fails(tmp_path: Path) -> None:
    inline = "      document:\n" + "".join(f"        {line}\n" for line in DOCUMENT.splitlines())
    path = write(tmp_path, "tests:\n  cases:\n    - name: one\n" + inline)
    assert problems(path) == [
        f"{path}:12:7: tests.cases[0]: a case says either expect: (the entry) or fails: (the refusal)"
    ]


def test_an_inline_document_is_checked_by_the_rule_files_schema(tmp_path: Path) -> None:
    inline = "      document:\n" + "".join(f"        {line}\n" for line in DOCUMENT.splitlines())
    path = write(
        tmp_path,
        "tests:\n  cases:\n    - name: one\n" + inline.replace("number:", "numbr:") + "      fails: x\n",
    )
    found = problems(path)
    assert any("tests.cases[0].document.numbr: unknown key numbr (did you mean number?)" in p for p in found)


def test_a_reference_block_fills_in_what_it_leaves_out(tmp_path: Path) -> None:
    reference = 'vat_codes: { "4": { percentage: 21 } }\npayment_conditions: { "30": { days: 30 } }\n'
    (tmp_path / "codes.yaml").write_text(reference)
    path = write(tmp_path, "tests:\n  reference: codes.yaml\n  cases: []\n")
    cases = load(path, plugins=Plugins.load(), environ=ENV).tests
    assert cases.reference is not None and cases.reference_file == str(tmp_path / "codes.yaml")
    vat = cases.reference.vat_codes["4"]
    assert (vat.code, vat.type, vat.percentage) == ("4", "E", Decimal(21))
    condition = cases.reference.payment_conditions["30"]
    assert (condition.days, condition.method, condition.end_of_months) == (30, "B", 0)
