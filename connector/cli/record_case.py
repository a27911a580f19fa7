"""`connector test RULES --record NUMBER`: a live document appended to the rule file as a case.

The document is read from the source the way a run reads it (`documents_by_key` for one the ledger
knows, else the listing and `details`), the target's reference data from the sink (the cached copy
while it is fresh, as `connector check` does), and mapped exactly as `connector test` maps a case.
Today's result becomes the case's expectation, for the consultant to review: the case is appended
to `tests.cases` as text, so every comment and every line of the file stays as it was.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from connector import rules as rules_module
from connector.contract.codec import to_jsonable
from connector.contract.errors import EXIT_OK, ConfigurationError, RecordError, RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.records import Document, DocumentKind
from connector.contract.services import Source
from connector.engine.case_reference import OfflineReference
from connector.engine.case_runner import map_document
from connector.engine.runner import build_services
from connector.engine.templates import Templates
from connector.rules.model import Rules
from connector.rules.yamllimits import _compose
from connector.state.refcache import ReferenceCache
from connector.state.store import StateStore


def find_document(source: Source, state: StateStore, rules: Rules, number: str) -> Document:
    """The document with this number (or ledger key, `invoice:<id>`), read from the source."""
    keys = [number] if ":" in number else [entry.source_key for entry in state.ledger_by_number(number)]
    found = list(source.documents_by_key(keys)) if keys else []
    if not found:
        kinds: list[DocumentKind] = []
        if rules.sync.invoices:
            kinds.append("invoice")
        if rules.sync.credit_notes:
            kinds.append("credit_note")
        for page in source.listing(kinds=kinds, start_date=rules.sync.start_date, updated_since=None):
            wanted = [listed for listed in page if listed.number == number]
            if wanted:
                found = list(source.details(wanted))
                break
    if not found:
        raise ConfigurationError(
            f"no booked document {number!r} in the source since {rules.sync.start_date}",
            hint="give the number as the source prints it (`2026 / 17`) or the key (`invoice:<id>`)",
        )
    if len(found) > 1:
        listed = ", ".join(document.key for document in found)
        raise ConfigurationError(
            f"{number!r} is the number of {len(found)} documents: {listed}", hint="give its key"
        )
    return found[0]


def _pruned(value: Any) -> Any:
    """A record's JSON without what is empty: a recorded case shows what the document holds."""
    if isinstance(value, dict):
        kept = {key: _pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


def case_data(name: str, document: Document, rules: Rules, reference: OfflineReference) -> dict[str, Any]:
    """The case for `document`: today's entry (or refusal) as what it must give."""
    result = map_document(document, rules, Templates(rules), reference)
    case: dict[str, Any] = {"name": name, "document": _pruned(to_jsonable(document))}
    if isinstance(result, RecordError):
        case["fails"] = result.message
    else:
        case["expect"] = _pruned(to_jsonable(result))
    return case


def case_text(case: dict[str, Any], indent: int) -> str:
    """The case as one block-sequence item whose dash stands at column `indent` (0-based)."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump([case], out)
    prefix = " " * max(indent - 2, 0)
    return "".join(prefix + line if line.strip() else line for line in out.getvalue().splitlines(True))


def appended(text: str, case: dict[str, Any], note: str, header: str = "") -> str:
    """The rule file's text with `case` appended to `tests.cases`; the section, after the comment
    lines of `header`, is added when missing."""
    root = _compose(text)
    tests = next((value for key, value in root.value if key.value == "tests"), None)
    if tests is None:
        return text.rstrip("\n") + f"\n\n{header}tests:\n  cases:\n    {note}\n" + case_text(case, 4)
    cases = next((value for key, value in tests.value if key.value == "cases"), None)
    if cases is None or cases.flow_style or not cases.value:
        raise ConfigurationError(
            "tests.cases is empty or written in brackets: a recorded case cannot be added below it",
            hint="write the first case as a block (`- name: ...`) or remove `cases: []`",
        )
    indent = cases.value[0].start_mark.column - 2
    lines = text.splitlines(True)
    end = min(tests.end_mark.line + (1 if tests.end_mark.column else 0), len(lines))
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    block = "\n" + " " * indent + note + "\n" + case_text(case, indent)
    if end and not lines[end - 1].endswith("\n"):
        block = "\n" + block
    return "".join(lines[:end]) + block + "".join(lines[end:])


def record_case(
    rules_path: Path,
    rules: Rules,
    plugins: Plugins,
    number: str,
    name: str | None,
    state_dir: Path,
    *,
    echo: Callable[[str], None],
) -> int:
    """Read document `number` live, append it as a case with today's result; print what was added."""
    with StateStore.for_client(state_dir, rules.client) as state:
        source, sink = build_services(rules, plugins, state)
        try:
            document = find_document(source, state, rules, number)
            data = ReferenceCache.for_client(state_dir, rules.client).sink_reference(sink)
        finally:
            source.close()
            sink.close()
    reference = OfflineReference(data, "the target's codes as read now", True)
    case = case_data(name or document.number, document, rules, reference)
    note = f"# recorded {date.today()} by `connector test --record`: review what it expects"
    original = rules_path.read_text()
    rules_path.write_text(appended(original, case, note))
    try:
        rules_module.load(rules_path, plugins=plugins)
    except RuleFileError:
        rules_path.write_text(original)  # never leave the file worse than it was
        raise
    outcome = f"the refusal {case['fails']!r}" if "fails" in case else "the entry it gives today"
    echo(f"{rules_path}: appended case {case['name']!r} expecting {outcome}; review it, then commit")
    return EXIT_OK
