"""Reading the rule file's `tests:` section: each case's document (inline, or a YAML file beside the
rule file), what it must give, and the reference data the cases are mapped against.

The section's own shape is checked by the rule file's schema; a document or reference file is
checked here against the same schema, each problem at its line in that file. A case must say
either `expect` or `fails`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.contract.codec import from_jsonable
from connector.contract.errors import Problem
from connector.contract.records import Document
from connector.contract.services import ReferenceData
from connector.rules import schema, yamlfile, yamllimits
from connector.rules.case_model import Case, Cases, ExpectedEntry
from connector.rules.case_schema import reference_schema
from connector.rules.record_schema import document_schema
from connector.rules.yamlfile import KeyPath, Parsed

if TYPE_CHECKING:
    from connector.contract.plugins import Plugins

# What a reference block may leave out, per table: the defaults of a code that exists.
REFERENCE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "vat_codes": {"description": "", "type": "E", "percentage": 0},
    "journals": {"description": "", "type": 20},
    "accounts": {"description": "", "type": 110},
    "payment_conditions": {
        "description": "",
        "days": 0,
        "end_of_months": 0,
        "discount_percentage": 0,
        "method": "B",
    },
    "cost_centers": {"description": "", "active": True},
    "cost_units": {"description": "", "active": True},
}


def _problem(parsed: Parsed, path: KeyPath, message: str, file: str) -> Problem:
    line, column = parsed.where_key(path)
    return Problem(line, column, yamlfile.dotted(path), message, file)


def _read_file(
    name: str, rule_file: Path, wanted: dict[str, Any], plugins: Plugins
) -> tuple[Any, list[Problem], str]:
    """The YAML value of a file named beside the rule file, checked against `wanted`."""
    path = rule_file.parent / name
    file = str(path)
    if not path.is_file():
        return None, [Problem(1, 1, "", f"{name} does not exist beside {rule_file.name}", file)], file
    _, text, problems = yamllimits.read(path, file)
    if text is None:
        return None, problems, file
    parsed, problems = yamlfile.parse(text, file)
    if parsed is None or problems:
        return None, problems, file
    found = schema.validate(parsed.data, wanted, parsed, plugins, file)
    return (None if found else parsed.data), found, file


def to_document(data: Mapping[str, Any]) -> Document:
    """A case's document: the canonical shape, with the ids a hand-written case may leave out."""
    values = copy.deepcopy(dict(data))
    values.setdefault("id", str(values["number"]))
    customer = values["customer"]
    customer.setdefault("id", str(customer["name"]))
    for line in values.get("lines") or []:
        rate = line["tax_rate"]
        rate.setdefault("id", str(rate["description"]))
    document: Document = from_jsonable(Document, values)
    return document


def to_reference(data: Mapping[str, Any]) -> ReferenceData:
    """A reference block: per table, each code with what it leaves out filled in."""
    tables = {}
    for table, defaults in REFERENCE_DEFAULTS.items():
        tables[table] = {
            str(code): {**defaults, **(values or {}), "code": str(code)}
            for code, values in (data.get(table) or {}).items()
        }
    reference: ReferenceData = from_jsonable(ReferenceData, tables)
    return reference


def read_cases(data: Any, parsed: Parsed, rule_file: Path, plugins: Plugins) -> tuple[Cases, list[Problem]]:
    """The `tests:` section of a schema-valid rule file; every problem of its cases and files."""
    if not data:
        return Cases(), []
    file = str(rule_file)
    problems: list[Problem] = []
    reference, reference_file = None, None
    raw_reference = data.get("reference")
    if isinstance(raw_reference, str):
        wanted = reference_schema()
        raw_reference, found, reference_file = _read_file(raw_reference, rule_file, wanted, plugins)
        problems += found
    if isinstance(raw_reference, dict):
        reference = to_reference(raw_reference)
    cases = []
    for index, item in enumerate(data.get("cases") or []):
        where: KeyPath = ("tests", "cases", index)
        line, column = parsed.where_key(where)
        if ("expect" in item) == ("fails" in item):
            message = "a case says either expect: (the entry) or fails: (the refusal)"
            problems.append(_problem(parsed, where, message, file))
            continue
        raw, document_file = item["document"], None
        if isinstance(raw, str):
            raw, found, document_file = _read_file(raw, rule_file, document_schema(), plugins)
            problems += found
            if raw is None:
                continue
        try:
            document = to_document(raw)
            expect = from_jsonable(ExpectedEntry, item["expect"]) if "expect" in item else None
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            problems.append(_problem(parsed, (*where, "document"), f"cannot be read: {error}", file))
            continue
        cases.append(
            Case(
                name=item["name"],
                document=document,
                line=line,
                column=column,
                expect=expect,
                fails=item.get("fails"),
                document_file=document_file,
            )
        )
    return Cases(tuple(cases), reference, reference_file), problems
