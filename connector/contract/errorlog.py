"""Where a service's error answers are remembered per endpoint, across runs: the circuit breaker's
memory (`connector.transport.http.ApiClient`). The state keeps them for real runs
(`connector.state.store.StateErrorLog`); `MemoryErrorLog` is the default of a `ServiceContext`."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ErrorLog(Protocol):
    """Where error answers are remembered per endpoint, across runs (the circuit breaker's memory)."""

    def record(self, service: str, endpoint: str, at: datetime) -> None: ...

    def count_since(self, service: str, endpoint: str, since: datetime) -> tuple[int, datetime | None]:
        """How many errors since `since`, and when the oldest of them was."""
        ...


class MemoryErrorLog:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str, datetime]] = []

    def record(self, service: str, endpoint: str, at: datetime) -> None:
        self.errors.append((service, endpoint, at))

    def count_since(self, service: str, endpoint: str, since: datetime) -> tuple[int, datetime | None]:
        moments = [at for s, e, at in self.errors if s == service and e == endpoint and at >= since]
        return len(moments), min(moments, default=None)
