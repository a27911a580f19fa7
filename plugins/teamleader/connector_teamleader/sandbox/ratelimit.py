"""Teamleader's rate limit: a sliding minute per integration and account, 200 requests by default.

Source: the API blueprint's introduction (limit 200 since 2023-03-29; headers on each response;
`X-RateLimit-Reset` is an ISO-8601 datetime of when the oldest counted request leaves the window),
and notes §"Evidence 2026-12": the limit is "per integration and per Teamleader account", and the
reset's examples carry milliseconds and a +01:00 offset (`2023-03-29T10:05:08.123+01:00`), which is
how it is written here. Time is the simulator's clock, so a test moves it instead of sleeping; on a
sped-up clock the window is 60 simulated seconds and the reset is shown as the wall-clock moment.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

WINDOW = timedelta(seconds=60)
RESET_OFFSET = timezone(timedelta(hours=1))
"""The offset the reset is written in: the documentation's examples show +01:00 (Brussels in winter)."""
Key = tuple[str, str]
"""(client id of the integration, account id): each pair has its own window."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: datetime

    def headers(self, wall: Callable[[datetime], datetime] = lambda moment: moment) -> dict[str, str]:
        """`wall` turns the simulator's moment into the wall-clock one a client waits for
        (`Clock.wall_of`)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": _ceil_millisecond(wall(self.reset))
            .astimezone(RESET_OFFSET)
            .isoformat(timespec="milliseconds"),
        }


class SlidingWindow:
    """Counts the requests each integration made on each account in the last 60 s; a refused request
    is not counted."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._hits: dict[Key, deque[datetime]] = {}

    def hit(self, key: Key, now: datetime) -> Verdict:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] + WINDOW <= now:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        reset = (hits[0] + WINDOW) if hits else now
        return Verdict(allowed, self.limit, max(self.limit - len(hits), 0), reset)

    def reset(self) -> None:
        self._hits.clear()


def _ceil_millisecond(moment: datetime) -> datetime:
    """Round up, so a client that waits until the shown moment is really let through."""
    extra = moment.microsecond % 1000
    return moment + timedelta(microseconds=1000 - extra) if extra else moment
