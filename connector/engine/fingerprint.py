"""Content hashes: how the ledger tells that a record changed since it was synced."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

# Fields that change without the record's content changing (bookkeeping of the source itself, and
# a source's verdict on whether it can vouch for the document today).
VOLATILE = frozenset({"updated_at", "status", "paid", "due", "payable", "failure"})
# Fields added after documents were first booked: a hash kept from before them is still the same
# content (`same_content`), so an upgrade never reports every booked document as changed.
ADDED_LATER = frozenset({"payment_reference", "product_id", "product_category_id"})


def _plain(value: Any, left_out: frozenset[str] = VOLATILE) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name), left_out)
            for field in dataclasses.fields(value)
            if field.name not in left_out
        }
    if isinstance(value, tuple | list):
        return [_plain(item, left_out) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item, left_out) for key, item in value.items()}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def content_hash(record: Any, left_out: frozenset[str] = VOLATILE) -> str:
    """A stable sha256 of a record's content, ignoring volatile fields."""
    text = json.dumps(_plain(record, left_out), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def same_content(kept: str, record: Any) -> bool:
    """Whether hash `kept` is `record`'s content: as hashed now, or as hashed before the fields
    `ADDED_LATER` existed."""
    return kept in (content_hash(record), content_hash(record, VOLATILE | ADDED_LATER))
