"""Teamleader's rate limit: a sliding minute per integration (client id), 200 requests by default.

Source: the API blueprint's introduction (limit 200 since 2023-03-29; headers on each response;
`X-RateLimit-Reset` is an ISO-8601 datetime of when the oldest counted request leaves the window).
Time is the simulator's clock, so a test moves it instead of sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: datetime

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": _ceil_second(self.reset).isoformat(timespec="seconds"),
        }


class SlidingWindow:
    """Counts the requests each client made in the last 60 s; a refused request is not counted."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._hits: dict[str, deque[datetime]] = {}

    def hit(self, client_id: str, now: datetime) -> Verdict:
        hits = self._hits.setdefault(client_id, deque())
        while hits and hits[0] + WINDOW <= now:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        reset = (hits[0] + WINDOW) if hits else now
        return Verdict(allowed, self.limit, max(self.limit - len(hits), 0), reset)

    def reset(self) -> None:
        self._hits.clear()


def _ceil_second(moment: datetime) -> datetime:
    """Round up, so a client that waits until the shown moment is really let through."""
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment
