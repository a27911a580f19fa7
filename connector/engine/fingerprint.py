"""Content hashes: how the ledger tells that a record changed since it was synced."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

# Fields that change without the record's content changing (bookkeeping of the source itself, and
# a source's verdict on whether it can vouch for the document today).
VOLATILE = frozenset({"updated_at", "status", "paid", "due", "payable", "failure"})


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name not in VOLATILE
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def content_hash(record: Any) -> str:
    """A stable sha256 of a record's content, ignoring volatile fields."""
    text = json.dumps(_plain(record), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
