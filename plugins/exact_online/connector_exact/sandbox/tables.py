"""A division's tables with their secondary indexes, so a look-up costs the same at 50,000 rows as at 50.

A `Table` is a dict of rows by key that keeps an `Index` per field named in `INDEXES`: the rows
holding each value, compared the way both Exact's `$filter` (trailing spaces, case) and the
simulator's own `Division.find` (`trim`, case) compare strings. An index only narrows the search:
every candidate is tested against the full condition afterwards, so an index never changes an
answer, only what it costs. `positions` keep the table's insertion order, so rows found through an
index come out in the order a scan would have found them.

Rows are changed in place by the simulator; `Store.insert` and `Store.touch` (every change bumps the
Timestamp) re-index the row, which is what keeps an index true.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Row = dict[str, Any]

INDEXES: dict[str, tuple[str, ...]] = {
    "sales_entries": ("Journal", "YourRef", "Customer"),
    "sales_entry_lines": ("EntryID",),
    "transaction_lines": ("EntryID",),
    "receivables": ("TransactionEntryID", "Account"),
    "accounts": ("Code",),
    "contacts": ("Account",),
    "documents": ("Subject",),
    "document_attachments": ("Document",),
    "journals": ("Code", "Type"),
    "vat_codes": ("Code",),
    "payment_conditions": ("Code",),
    "gl_accounts": ("Code", "Type"),
    "cost_centers": ("Code",),
    "cost_units": ("Code",),
}
"""The fields each table is indexed on: what bookings look up (entry lines, receivables by entry,
codes) and what the connector filters on (`Journal`, `YourRef`, `Customer`, `Code`)."""

_ABSENT = object()


def index_key(value: Any) -> Any:
    """Coarser than both string comparisons the simulator makes (``eq`` ignores trailing spaces and
    case, `trim(...)` and `find` also leading spaces): equal values always share a key."""
    if isinstance(value, str):
        return value.strip().casefold()
    return value


class Index:
    """The rows of one table by the `index_key` of one field."""

    def __init__(self, field: str) -> None:
        self.field = field
        self.buckets: dict[Any, dict[Any, Row]] = {}
        self.keys: dict[Any, Any] = {}  # row key -> its index key
        self._highest: int | None = None  # cache of `highest_number`, None when unknown

    def add(self, key: Any, row: Row) -> None:
        value = index_key(row.get(self.field))
        old = self.keys.get(key, _ABSENT)
        if old is not _ABSENT and old != value:
            self.remove(key)
        self.keys[key] = value
        self.buckets.setdefault(value, {})[key] = row
        if self._highest is not None and isinstance(value, str) and value.isdigit():
            self._highest = max(self._highest, int(value))

    def remove(self, key: Any) -> None:
        value = self.keys.pop(key, _ABSENT)
        if value is _ABSENT:
            return
        if isinstance(value, str) and value.isdigit():
            self._highest = None
        bucket = self.buckets.get(value)
        if bucket is not None:
            bucket.pop(key, None)
            if not bucket:
                del self.buckets[value]

    def bucket(self, value: Any) -> dict[Any, Row]:
        return self.buckets.get(index_key(value), {})

    def highest_number(self) -> int:
        """The highest value that is a whole number (0 when none is), e.g. the last account code."""
        if self._highest is None:
            numbers = (int(v) for v in self.buckets if isinstance(v, str) and v.isdigit())
            self._highest = max(numbers, default=0)
        return self._highest

    def clear(self) -> None:
        self.buckets.clear()
        self.keys.clear()
        self._highest = None


class Table(dict[Any, Row]):
    """Rows by key, with an `Index` per field in `fields`."""

    def __init__(self, fields: Iterable[str] = ()) -> None:
        super().__init__()
        self.indexes = {name: Index(name) for name in fields}
        self.positions: dict[Any, int] = {}
        self._next = 0

    def __setitem__(self, key: Any, row: Row) -> None:
        if key not in self:
            self.positions[key] = self._next
            self._next += 1
        super().__setitem__(key, row)
        for index in self.indexes.values():
            index.add(key, row)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._forget(key)

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        row = super().pop(key)
        self._forget(key)
        return row

    def clear(self) -> None:
        super().clear()
        self.positions.clear()
        for index in self.indexes.values():
            index.clear()

    def _forget(self, key: Any) -> None:
        self.positions.pop(key, None)
        for index in self.indexes.values():
            index.remove(key)

    def reindex(self, row: Row) -> None:
        """After `row` changed in place: file it again under its current values."""
        for key, held in self._keys_of(row):
            for index in self.indexes.values():
                index.add(key, held)

    def _keys_of(self, row: Row) -> list[tuple[Any, Row]]:
        for name in ("ID", "EntryID"):
            key = row.get(name)
            if key is not None and self.get(key) is row:
                return [(key, row)]
        return [(key, held) for key, held in self.items() if held is row]

    def candidates(self, wanted: dict[str, list[Any]]) -> list[Row] | None:
        """The rows that may hold one of `wanted[field]` for some indexed field (the most selective
        one), in table order; None when no field of `wanted` is indexed (then scan the table)."""
        best: list[dict[Any, Row]] | None = None
        for field, values in wanted.items():
            index = self.indexes.get(field)
            if index is None:
                continue
            buckets = [index.bucket(value) for value in dict.fromkeys(index_key(v) for v in values)]
            if best is None or sum(map(len, buckets)) < sum(map(len, best)):
                best = buckets
        if best is None:
            return None
        found: dict[Any, Row] = {}
        for bucket in best:
            found.update(bucket)
        position = self.positions
        return [found[key] for key in sorted(found, key=position.__getitem__)]
