"""The two starter cases `connector init` writes into a new rule file's `tests:` section.

They are the client's own recent documents (the newest invoice and the newest credit note of the
last three months, or the two newest invoices), read while init has both systems open, each with
what the new file makes of it today as its expectation: once the consultant has reviewed them,
every later edit of the mapping is checked against them (`connector test`, `validate`, watch
mode). A source that cannot list documents, or a file the cases would make invalid, just gets no
starters: init never fails for them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from connector import rules as rules_module
from connector.cli.record_case import appended, case_data
from connector.contract.errors import ConnectorError
from connector.contract.plugins import Plugins
from connector.contract.records import Document
from connector.contract.services import Listed, ReferenceData, Source
from connector.engine.case_reference import OfflineReference

RECENT = timedelta(days=92)

MAX_PAGES = 3  # of the listing: a few calls, whatever the client's volume

HEADER = (
    "# Cases `connector test` runs offline through this file's mapping (`validate` and watch mode run\n"
    "# them too; docs/rules.md, tests). init wrote two from recent documents, expecting what this file\n"
    "# makes of them today: correct what is wrong, then every later edit is checked against them.\n"
)


def recent_documents(source: Source, today: date) -> list[Document]:
    """The newest invoice and credit note of the last months (or the two newest invoices)."""
    listed: list[Listed] = []
    try:
        pages = source.listing(
            kinds=("invoice", "credit_note"), start_date=today - RECENT, updated_since=None
        )
        for number, page in enumerate(pages, start=1):
            listed += page
            if number >= MAX_PAGES:
                break
        newest = sorted(listed, key=lambda item: (item.date or date.min, item.number), reverse=True)
        invoices = [item for item in newest if item.kind == "invoice"]
        credit_notes = [item for item in newest if item.kind == "credit_note"]
        chosen = invoices[:1] + credit_notes[:1] if credit_notes else invoices[:2]
        return list(source.details(chosen)) if chosen else []
    except (ConnectorError, NotImplementedError):
        return []


def add_starter_cases(
    output: Path,
    plugins: Plugins,
    documents: list[Document],
    reference: ReferenceData,
    echo: Callable[[str], None],
) -> int:
    """Append a case per document to the rule file at `output`; how many were added."""
    if not documents:
        return 0
    original = output.read_text()
    rules = rules_module.load(output, plugins=plugins)
    offline = OfflineReference(reference, "the target's codes as init read them", True)
    text = original
    note = f"# review: read by `connector init` on {date.today()}"
    for document in documents:
        case = case_data(f"{document.kind.replace('_', ' ')} {document.number}", document, rules, offline)
        text = appended(text, case, note, HEADER)
    output.write_text(text)
    if rules_module.check(output, plugins=plugins):
        output.write_text(original)  # the file stays valid; the starters were a courtesy
        echo("could not add starter test cases from recent documents; see docs/rules.md, tests")
        return 0
    return len(documents)
