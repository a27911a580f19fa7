"""Reference data kept for a while: repeated checks should not spend the target's daily budget.

`connector check` (and `connector init`) read the sink's reference data (VAT codes, journals,
accounts, payment conditions) and the source's tax rates. Some services allow only a few thousand
calls a day, and a consultant runs `check` again after every edit of the rule file; so what was read
is kept in `<state dir>/<client>.reference.json` (0600) for `DEFAULT_TTL`, keyed by the plugin and a
digest of its options (another division or department is another key). `--refresh` reads again.

Runs use it too, for an hour (see `connector.engine.flows.document_retry`): to tell whether the
failures of earlier runs could go through now, and to book against without reading it again; a
refused write drops it. They also keep what the source read of its own reference data (its
department and tax rates: `Source.reference_state`), so that a run that books one invoice does not
read them again within the hour.

The cached values are dataclasses of dataclasses (`ReferenceData`, `TaxRate`); `to_jsonable` and
`from_jsonable` (connector.contract.codec) turn any such tree into JSON and back from its type hints,
so a plugin needs no code of its own to be cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from connector.contract.codec import from_jsonable, to_jsonable
from connector.contract.records import TaxRate
from connector.contract.services import ReferenceData, Service, Sink, Source
from connector.state.files import client_file, ensure_private_dir

DEFAULT_TTL = timedelta(hours=1)
FORMAT = 2  # 2: the sink's reference data lists cost centres and cost units
T = TypeVar("T")


# ---------------------------------------------------------------- the cache


def identity(service: Service) -> str:
    """The plugin and a digest of its options without secrets: another account is another key."""
    return identity_of(service.name, service.options)


def identity_of(plugin: str, options: Mapping[str, Any]) -> str:
    """`identity` of the service a rule file's section would build, without building it."""
    kept = {key: value for key, value in options.items() if "secret" not in key.lower() and key != "plugin"}
    text = json.dumps(to_jsonable(kept), sort_keys=True, default=str)
    return f"{plugin}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


@dataclasses.dataclass(frozen=True)
class Fetched:
    """When a cached value was read from its service, and whether this answer came from the cache."""

    at: datetime
    cached: bool


class ReferenceCache:
    """A client's cached reference data, in a JSON file of its state directory."""

    def __init__(
        self,
        path: Path,
        *,
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.path = path
        self.ttl = ttl
        self.clock = clock
        self.fetched: dict[str, Fetched] = {}

    @classmethod
    def for_client(cls, state_dir: Path, client: str, **options: Any) -> ReferenceCache:
        return cls(client_file(state_dir, client, ".reference.json"), **options)

    def sink_reference(self, sink: Sink, *, refresh: bool = False) -> ReferenceData:
        value: ReferenceData = self._get("sink", sink, sink.reference_data, ReferenceData, refresh)
        return value

    def source_tax_rates(self, source: Source, *, refresh: bool = False) -> list[TaxRate]:
        value: list[TaxRate] = self._get("source", source, source.tax_rates, list[TaxRate], refresh)
        return value

    def store_sink(self, sink: Sink, data: ReferenceData) -> None:
        """Keep what was read elsewhere (by `connector init`), so the next check reads nothing."""
        self._put("sink", identity(sink), data)

    def store_source(self, source: Source, rates: list[TaxRate]) -> None:
        self._put("source", identity(source), rates)

    def fresh_sink(self, sink: Sink) -> ReferenceData | None:
        """The sink's cached reference data if it is younger than the lifetime; never reads."""
        value: ReferenceData | None = self._get("sink", sink, lambda: None, ReferenceData, False, store=False)
        return value

    def kept_sink(self, plugin: str, options: Mapping[str, Any]) -> tuple[ReferenceData, datetime] | None:
        """The sink's reference data last read for this section of the rule file, however old, and
        when it was read; None when none was kept. Never reads (`connector test` is offline)."""
        entry = self._read().get("sink")
        if not isinstance(entry, dict) or entry.get("identity") != identity_of(plugin, options):
            return None
        try:
            value: ReferenceData = from_jsonable(ReferenceData, entry["data"])
            return value, datetime.fromisoformat(entry["fetched_at"])
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return None  # written by another version

    def fresh_source_state(self, source: Source) -> Mapping[str, Any] | None:
        """What a run not long ago kept of the source's own reference data (`Source.reference_state`)."""
        value = self._get("source_state", source, lambda: None, Any, False, store=False)
        return value if isinstance(value, Mapping) else None

    def store_source_state(self, source: Source, state: Mapping[str, Any]) -> None:
        self._put("source_state", identity(source), state)

    def forget(self, side: str) -> None:
        """Drop one side's entry: the next question reads the service again."""
        entries = self._read()
        if entries.pop(side, None) is not None:
            self._write({"format": FORMAT, "entries": entries})

    def _get(
        self,
        side: str,
        service: Service,
        load: Callable[[], Any],
        kind: Any,
        refresh: bool,
        *,
        store: bool = True,
    ) -> Any:
        key = identity(service)
        entry = self._read().get(side)
        if not refresh and isinstance(entry, dict) and entry.get("identity") == key:
            at = datetime.fromisoformat(entry["fetched_at"])
            if timedelta(0) <= self.clock() - at < self.ttl:
                try:
                    value = from_jsonable(kind, entry["data"])
                except (KeyError, TypeError, ValueError, ArithmeticError):
                    value = None  # written by another version: read the service again
                if value is not None:
                    self.fetched[side] = Fetched(at, cached=True)
                    return value
        value = load()
        if store:
            self._put(side, key, value)
        return value

    def _put(self, side: str, key: str, value: Any) -> None:
        now = self.clock()
        entries = self._read()
        entries[side] = {"identity": key, "fetched_at": now.isoformat(), "data": to_jsonable(value)}
        self.fetched[side] = Fetched(now, cached=False)
        self._write({"format": FORMAT, "entries": entries})

    def _read(self) -> dict[str, Any]:
        try:
            content = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(content, dict) or content.get("format") != FORMAT:
            return {}
        entries = content.get("entries")
        return dict(entries) if isinstance(entries, dict) else {}

    def _write(self, content: dict[str, Any]) -> None:
        ensure_private_dir(self.path.parent)
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(content, handle, indent=1, sort_keys=True)
        os.replace(temporary, self.path)
