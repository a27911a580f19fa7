"""Looking entries up by their reference: `or` filters in batches short enough for a URL.

In `existing_entries` (see `sink`), the references of a batch of documents, 40 to a read: about
1.5 kB of URL at Teamleader's invoice numbers, where ossobv batches 40 for URL size (notes §4.3);
the exact limit of Exact's servers is not published.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from connector.contract.records import DocumentKind

from . import translate
from .client import ExactClient

BATCH = 40  # values per `or` filter: ossobv batches 40 to keep URLs short (notes §4.3)
ENTRY_FIELDS = "EntryID,Journal,Type,YourRef,AmountFC"

Key = tuple[str, DocumentKind, str]


def batches(values: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def any_of(field: str, literals: Iterable[str]) -> str:
    return "(" + " or ".join(f"{field} eq {literal}" for literal in literals) + ")"


def entries(client: ExactClient, wanted: Mapping[Key, Key]) -> dict[Key, str]:
    """The ids of the entries whose (journal, kind, reference as sent) is a key of `wanted`, by the
    original (journal, kind, reference) `wanted` maps it to: one read per `BATCH` references."""
    journals = any_of("Journal", sorted({translate.odata_string(j) for j, _, _ in wanted}))
    refs = sorted({ref for _, _, ref in wanted})
    found: dict[Key, str] = {}
    for batch in batches(refs):
        query = f"{journals} and {any_of('YourRef', (translate.odata_string(r) for r in batch))}"
        for row in client.rows("salesentry/SalesEntries", {"$filter": query, "$select": ENTRY_FIELDS}):
            told = translate.entry_kind(row)
            if told is None:
                continue
            key = (str(row.get("Journal") or "").strip(), told, str(row.get("YourRef") or "").strip())
            original = wanted.get(key)
            if original is not None and original not in found:
                found[original] = str(row["EntryID"])
    return found
