"""Steps of a write that takes several calls, recorded as the ledger records a booking.

Attaching a file in a target can take more than one call (create a document, upload the file, link
it to the entry). A crash between two of them must not repeat the ones already made, and a call
whose outcome is unknown must be looked up before it is made again. The core keeps, per record, a
row per step the sink names: `begin` is committed before the call, `finish` (with what the call
gave, an id) right after it. A step begun and not finished means "the target may or may not have
it": the sink looks before it writes again.
"""

from __future__ import annotations

from typing import Protocol


class Steps(Protocol):
    """The recorded steps of one record's multi-call write; each method commits at once."""

    def done(self, step: str) -> str | None:
        """What the finished `step` gave (an id), or None when it is not finished."""
        ...

    def begun(self, step: str) -> bool:
        """Whether `step` was begun and never finished: its call may or may not have been made."""
        ...

    def begin(self, step: str) -> None:
        """Say the call of `step` is about to be made."""
        ...

    def finish(self, step: str, value: str) -> None:
        """Record that `step` was made, and what it gave."""
        ...


class MemorySteps:
    """`Steps` kept in memory: for tests and plugin authors' conformance suites."""

    def __init__(self) -> None:
        self.values: dict[str, str | None] = {}

    def done(self, step: str) -> str | None:
        return self.values.get(step)

    def begun(self, step: str) -> bool:
        return step in self.values and self.values[step] is None

    def begin(self, step: str) -> None:
        self.values[step] = None

    def finish(self, step: str, value: str) -> None:
        self.values[step] = value
