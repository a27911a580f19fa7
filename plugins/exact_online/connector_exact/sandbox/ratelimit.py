"""Exact's call budgets: 60 per minute and 5,000 per day per app and division, and the error budget.

Every API response carries the six ``X-RateLimit-*`` headers (resets in UTC epoch milliseconds: the next
whole minute, the next UTC midnight, of the simulator's clock; on a sped-up clock, the wall-clock
moment it shows them, see `Clock.wall_of`). When the minute is spent the answer is 429 with an empty body and
only the minutely headers; when the day is spent, 429 with only the daily headers (notes §5).

The error budget ("no more than 10 errors per API key, per user, per company, per endpoint, and per
hour", notes §4.6; "more than 10 errors (400/401/403/404) ... block the key for an hour", notes
§"Evidence 2026-12", Limits and OAuth) is enforced by default, as on Exact: the 11th error within an
hour blocks the endpoint for that app and division for an hour, answering 403. `enforce=False`
(`enforce_error_limit=False` on the sandbox) only records it, for a test that needs many errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.testing.sandbox import Clock

from .odata import ODataError

ERROR_STATUSES = frozenset({400, 401, 403, 404})
BLOCKED_MESSAGE = "Forbidden - API key blocked: too many errors on this endpoint within an hour"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class Usage:
    minute: int = -1
    minute_calls: int = 0
    day: str = ""
    day_calls: int = 0


class RateLimiter:
    def __init__(self, clock: Clock, *, per_minute: int = 60, per_day: int = 5000) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.per_day = per_day
        self.usage: dict[tuple[str, int], Usage] = {}

    def take(self, client_id: str, division: int) -> dict[str, str]:
        """Count one call and return the headers to send, or raise the 429."""
        now = self.clock.now()
        minute = int(now.timestamp() // 60)
        day = now.date().isoformat()
        usage = self.usage.setdefault((client_id, division), Usage())
        if usage.minute != minute:
            usage.minute, usage.minute_calls = minute, 0
        if usage.day != day:
            usage.day, usage.day_calls = day, 0
        midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
        next_minute = datetime.fromtimestamp((minute + 1) * 60, UTC)
        # Announced in wall-clock time: at speed N the next simulated minute is 60/N s away at most.
        daily = {
            "X-RateLimit-Limit": str(self.per_day),
            "X-RateLimit-Reset": str(_ms(self.clock.wall_of(midnight))),
        }
        minutely = {
            "X-RateLimit-Minutely-Limit": str(self.per_minute),
            "X-RateLimit-Minutely-Reset": str(_ms(self.clock.wall_of(next_minute))),
        }
        if usage.day_calls >= self.per_day:
            raise ODataError(429, headers={**daily, "X-RateLimit-Remaining": "0"}, empty=True)
        if usage.minute_calls >= self.per_minute:
            raise ODataError(429, headers={**minutely, "X-RateLimit-Minutely-Remaining": "0"}, empty=True)
        usage.minute_calls += 1
        usage.day_calls += 1
        return {
            **daily,
            "X-RateLimit-Remaining": str(self.per_day - usage.day_calls),
            **minutely,
            "X-RateLimit-Minutely-Remaining": str(self.per_minute - usage.minute_calls),
        }

    def state(self) -> dict[str, Any]:
        return {
            f"{client}@{division}": {"minute_calls": u.minute_calls, "day_calls": u.day_calls, "day": u.day}
            for (client, division), u in self.usage.items()
        }


class ErrorBudget:
    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = 10,
        enforce: bool = True,
        statuses: frozenset[int] = ERROR_STATUSES,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.enforce = enforce
        self.statuses = statuses
        self.window = timedelta(hours=1)
        self.errors: dict[tuple[str, int, str], list[datetime]] = {}
        self.blocked_until: dict[tuple[str, int, str], datetime] = {}

    def check(self, client_id: str, division: int, endpoint: str) -> None:
        until = self.blocked_until.get((client_id, division, endpoint))
        if self.enforce and until is not None and self.clock.now() < until:
            raise ODataError(403, BLOCKED_MESSAGE, headers={"Reason": "TooManyErrors"})

    def record(self, client_id: str, division: int, endpoint: str, status: int) -> None:
        if status not in self.statuses:
            return
        now = self.clock.now()
        key = (client_id, division, endpoint)
        recent = [t for t in self.errors.get(key, []) if now - t < self.window] + [now]
        self.errors[key] = recent
        until = self.blocked_until.get(key)
        if len(recent) > self.limit and (until is None or until <= now):
            self.blocked_until[key] = now + self.window

    def state(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "limit_per_hour": self.limit,
            "enforced": self.enforce,
            "endpoints": {
                f"{client}@{division} {endpoint}": {
                    "errors_last_hour": sum(1 for t in times if now - t < self.window),
                    "over_limit": sum(1 for t in times if now - t < self.window) > self.limit,
                    "blocked_until": (
                        self.blocked_until[(client, division, endpoint)].isoformat()
                        if (client, division, endpoint) in self.blocked_until
                        and self.blocked_until[(client, division, endpoint)] > now
                        else None
                    ),
                }
                for (client, division, endpoint), times in self.errors.items()
            },
        }
