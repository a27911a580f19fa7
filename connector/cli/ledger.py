"""`connector ledger RULES show|unlink DOCUMENT`: one document's link, and undoing it.

A document is named by its number as the source prints it (`2026 / 17`) or by its ledger key
(`invoice:<id>`). An invoice and a credit note may share a number; then both are listed and the
key is asked for.

Unlinking is for an entry that was deleted in the target after it was booked (the source's own
integration support calls the symptom "booking number already exists"). The ledger row is replaced
by an intent: the next run picks the document up whatever its date or cursor, looks it up in the
target by journal, kind and reference, links it if it is still there, and books it again if not. So
an unlink never makes a duplicate.
"""

from __future__ import annotations

from pathlib import Path

from connector.contract.errors import ConfigurationError, NotFound
from connector.reporting.render import when
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.ledger import LedgerEntry
from connector.state.lock import ClientLock
from connector.state.store import StateStore


def find_entry(state: StateStore, document: str) -> LedgerEntry:
    """The one ledger record `document` names; a clear error when none or several do."""
    text = document.strip()
    entry = state.ledger_get(text)
    if entry is not None:
        return entry
    found = state.ledger_by_number(text)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(
            f"{text!r} is not in the ledger: no document with that number or key was synced",
            hint="give the number as the source prints it (`2026 / 17`) or the key (`invoice:<id>`); "
            "`connector status RULES` lists the ones waiting for a fix",
        )
    listed = "; ".join(f"{e.source_key} ({e.kind}, {e.status})" for e in found)
    raise ConfigurationError(
        f"{text!r} is the number of {len(found)} documents: {listed}",
        hint="give the key of the one you mean, e.g. `connector ledger RULES show "
        + found[0].source_key
        + "`",
    )


def show(rules: Rules, document: str, *, state_dir: Path | None = None) -> LedgerEntry:
    directory = state_dir_for(rules.path or Path("."), state_dir)
    with StateStore.for_client(directory, rules.client) as state:
        return find_entry(state, document)


def render_entry(entry: LedgerEntry) -> str:
    rows = [
        ("key", entry.source_key),
        ("kind", entry.kind),
        ("number", entry.number or "-"),
        ("status", entry.status),
        ("target id", entry.target_id or "-"),
        ("first seen", when(entry.first_seen)),
        ("updated", when(entry.updated_at)),
        ("booked", when(entry.booked_at)),
        ("paid", _paid(entry)),
        ("attempts", str(entry.attempts)),
    ]
    if entry.last_error:
        rows.append(("last error", entry.last_error))
    if entry.hint:
        rows.append(("what to do", entry.hint))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def unlink(rules: Rules, document: str, *, state_dir: Path | None = None) -> LedgerEntry:
    """Forget the link of `document` and queue it for the next run, which looks before it books."""
    directory = state_dir_for(rules.path or Path("."), state_dir)
    with ClientLock(directory, rules.client), StateStore.for_client(directory, rules.client) as state:
        entry = find_entry(state, document)
        with state.transaction():
            state.ledger_unlink(entry.source_key)
            state.ledger_record_intent(entry.source_key, entry.kind, entry.number, None)
    return entry


UNLINK_EXPLAINED = (
    "The next `connector run` looks this document up in the target by journal, kind and reference: "
    "if the entry is still there it is linked again, if it was deleted it is booked again."
)


def _paid(entry: LedgerEntry) -> str:
    if entry.paid_at is not None:
        return f"{when(entry.paid_at)} ({entry.payment_amount})"
    return f"in part ({entry.payment_amount} registered)" if entry.payment_amount else "-"
