"""The simulator's data: divisions holding tables of rows, and the global sync Timestamp.

Rows are plain dicts keyed by Exact's field names, holding Python values (Decimal amounts, naive UTC
datetimes, lower-case GUID strings). Keys starting with ``_`` are the simulator's own bookkeeping and are
never rendered. Every insert, update and delete takes the next value of one global, ever-increasing
Int64 `Timestamp` (notes §6.13), and deletes of synced tables leave a `sync/Deleted` row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.testing.sandbox import Clock

from .odata import new_guid
from .schema import DELETED_ENTITY_TYPES, SYNC_ENDPOINT_NAMES
from .tables import INDEXES, Table

TIMESTAMP_START = 2**32  # above Int32: a client that forgets the L suffix on Timestamp gets a 400

Row = dict[str, Any]


class Tables(dict[str, Table]):
    """A division's tables by name, each made with its indexes when first used."""

    def __missing__(self, name: str) -> Table:
        table = self[name] = Table(INDEXES.get(name, ()))
        return table


@dataclass
class Division:
    code: int
    description: str
    country: str
    currency: str
    vat_number: str = ""
    tables: Tables = field(default_factory=Tables)
    last_numbers: dict[tuple[str, int], int] = field(default_factory=dict)
    next_hid: int = 1

    def table(self, name: str) -> Table:
        return self.tables[name]

    def find(self, table: str, **match: Any) -> Row | None:
        """First row whose fields equal `match` (strings compared trimmed and case-insensitively),
        through an index when one of the fields has one."""
        rows = self.tables[table]
        candidates = rows.candidates({key: [value] for key, value in match.items()})
        for row in rows.values() if candidates is None else candidates:
            if all(_same(row.get(key), value) for key, value in match.items()):
                return row
        return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return bool(a == b)


class Store:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.timestamp = TIMESTAMP_START
        self.divisions: dict[int, Division] = {}
        self.history: list[tuple[int, datetime, str]] = []  # (timestamp, when, table), for SyncTimestamp

    def now(self) -> datetime:
        return self.clock.now().replace(tzinfo=None)

    def bump(self, table: str) -> int:
        self.timestamp += 1
        self.history.append((self.timestamp, self.now(), table))
        return self.timestamp

    def insert(self, division: Division, table: str, row: Row, key: str = "ID") -> Row:
        now = self.now()
        row.setdefault(key, new_guid())
        row.setdefault("Created", now)
        row["Modified"] = now
        row["Division"] = division.code
        row["Timestamp"] = self.bump(table)
        division.table(table)[row[key]] = row
        return row

    def touch(self, table: str, row: Row, **changes: Any) -> Row:
        row.update(changes)
        row["Modified"] = self.now()
        row["Timestamp"] = self.bump(table)
        division = self.divisions.get(row.get("Division"))  # type: ignore[arg-type]
        if division is not None:
            division.table(table).reindex(row)
        return row

    def delete(self, division: Division, table: str, key: Any) -> Row | None:
        row = division.table(table).pop(key, None)
        if row is None:
            return None
        entity_type = DELETED_ENTITY_TYPES.get(table)
        if entity_type is not None:
            now = self.now()
            deleted: Row = {
                "ID": new_guid(),
                "EntityKey": key,
                "EntityType": entity_type,
                "DeletedBy": None,
                "DeletedDate": now,
            }
            self.insert(division, "deleted", deleted)
        return row

    def sync_timestamp(self, modified: datetime, endpoint: str) -> int:
        """The highest Timestamp given to `endpoint`'s rows before `modified` (1 when none was)."""
        best = 1
        for stamp, when, table in self.history:
            if when < modified and SYNC_ENDPOINT_NAMES.get(table, "").lower() == endpoint.lower():
                best = max(best, stamp)
        return best
