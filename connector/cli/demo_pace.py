"""How fast `connector demo` runs its sandboxes, and what the same run costs at the real limits.

The demo books about a hundred documents, which costs the sink some 140 calls: at a bookkeeping
service's 60 calls a minute that is three minute windows, two minutes of waiting, whatever the
machine. The sandboxes can run their clocks faster (`--speed`, docs/sandbox.md): limits stay per
sandbox minute and the headers announce wall-clock resets, so the connector simply waits less.

`DEMO_SPEED` is a fixed factor, measured rather than computed: at 60 a sandbox minute lasts one
wall second, so the waits shrink from two minutes to about two seconds and the run's own work
(roughly 5-8 s on a 2-core machine, the same at any speed) dominates; `time connector demo`
measured 6-9 s in all. A faster clock gains little more and shortens the sink's 10-minute token
to under 10 wall seconds, so a slow machine would spend its time refreshing tokens; a slower one
(20: 6 s of waiting) still fits 15 s but leaves less room on a busy machine.

What the run would take at the real limits is computed from what it did, not from the speed: the
side that needs the most minute windows (its calls ÷ its calls a minute, rounded up) waits for
each window after the first, a minute apiece, and the run's own work (its wall time less what the
governors waited) comes on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx

from connector.contract.sandboxes import Sandbox

DEMO_SPEED = 60.0
"""Sandbox seconds per wall second in `connector demo` (1 with `--real-time`)."""


@dataclass(frozen=True)
class SideCalls:
    """One side's calls in a run and the calls a minute its service allows (None: unannounced)."""

    side: str
    calls: int
    per_minute: int | None

    @property
    def windows(self) -> int:
        """Minute windows the calls need at the limit: 143 at 60 a minute need 3."""
        if not self.per_minute or not self.calls:
            return 0
        return math.ceil(self.calls / self.per_minute)


def real_time_seconds(
    sides: Iterable[SideCalls], *, wall: float, waited: float
) -> tuple[float, SideCalls | None]:
    """Seconds the run would take at the real limits, and the side that decides it.

    `wall` is the run's wall time and `waited` what its rate governors waited of it; the work
    itself (`wall - waited`) takes as long at any speed."""
    paced = [side for side in sides if side.windows]
    slowest = max(paced, key=lambda side: side.windows, default=None)
    minutes = slowest.windows - 1 if slowest else 0
    return 60.0 * minutes + max(wall - waited, 0.0), slowest


def duration_text(seconds: float) -> str:
    """`2 min 03 s`, `42 s`."""
    whole = max(int(seconds + 0.5), 1)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def real_limits_line(seconds: float, slowest: SideCalls | None, *, speed: float) -> str:
    """The demo's last line: how long this run takes at the real limits, and how to see it so."""
    limit = f" ({slowest.per_minute} calls a minute)" if slowest else ""
    text = f"at the real limits{limit} this run takes about {duration_text(seconds)}"
    if speed == 1:
        return text + " (it ran at them)"
    return text + f"; `connector demo --real-time` runs it so (this one ran {speed:g} times faster)"


@dataclass(frozen=True)
class SandboxCalls:
    """What one sandbox's request log says: calls answered, and how many of them with a 429."""

    name: str
    calls: int
    refused: int


def sandbox_calls(boxes: Mapping[str, Sandbox], *, timeout: float = 10.0) -> list[SandboxCalls]:
    """Each sandbox's request log (`GET /_sandbox/calls`, every simulator's admin surface), without
    the admin calls themselves; a sandbox whose log cannot be read is left out."""
    found = []
    for name, box in sorted(boxes.items()):
        try:
            response = httpx.get(f"{box.url}/_sandbox/calls", timeout=timeout)
            response.raise_for_status()
            records = [call for call in response.json() if not str(call["path"]).startswith("/_sandbox/")]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            continue
        found.append(SandboxCalls(name, len(records), sum(1 for call in records if call["status"] == 429)))
    return found


def sandbox_calls_line(found: list[SandboxCalls]) -> str | None:
    """`sandbox request logs: <sandbox> 150 calls (0 answered 429), <other sandbox> 118 calls (0 …)`."""
    if not found:
        return None
    parts = [f"{box.name} {box.calls} calls ({box.refused} answered 429)" for box in found]
    return "sandbox request logs: " + ", ".join(parts)
