"""A fake service that counts calls per minute of its own clock, for governor tests and benchmarks.

Its windows are the clock minutes of a clock `skew` seconds ahead of the test's (behind: negative),
as a service that announces ``X-RateLimit-Minutely-Reset`` at the next whole minute counts them
(docs/api, the bookkeeping service's notes §5: "minutely reset at the next minute boundary"); the
daily window ends at UTC midnight. A call over a limit is refused with 429 and counted nowhere.
`others` adds calls of another app sharing the budget, per minute.

    clock = LockedClock(datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC))
    server = MinuteServer(clock, skew=-0.5, latency=0.2)
    client = minute_client(server)
    client.request("GET", "/things")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from connector.contract.services import ServiceContext
from connector.testing.fakes import FakeClock
from connector.transport.http import ApiClient, Budget, RateGovernor, Wait, parse_reset

DAILY = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
MINUTELY = ("X-RateLimit-Minutely-Limit", "X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset")


class LockedClock(FakeClock):
    """A `FakeClock` that several threads may sleep on and read at once."""

    def __init__(self, start: datetime = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)) -> None:
        super().__init__(start)
        self.lock = threading.Lock()

    def now(self) -> datetime:
        with self.lock:
            return self.moment

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            self.moment += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.moment += timedelta(seconds=seconds)


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


class MinuteServer:
    """Counts calls per clock minute and per UTC day of its own clock; `handler` is its transport."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        per_minute: int = 60,
        per_day: int = 5000,
        skew: float = 0.0,
        latency: float = 0.0,
        headers: bool = True,
        others: Callable[[int], int] | None = None,
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.per_day = per_day
        self.skew = skew
        self.latency = latency
        self.headers = headers
        self.others = others or (lambda minute: 0)
        self.minutes: dict[int, int] = {}
        self.days: dict[int, int] = {}
        self.refused = 0
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if self.latency:
                self.clock.advance(self.latency)  # the time on the wire, both ways
            now = self.clock.now().timestamp() + self.skew
            minute, day = int(now // 60), int(now // 86400)
            used = self.minutes.get(minute, 0) + self.others(minute)
            spent_day = self.days.get(day, 0) >= self.per_day
            refused = spent_day or used >= self.per_minute
            if not refused:
                self.minutes[minute] = self.minutes.get(minute, 0) + 1
                self.days[day] = self.days.get(day, 0) + 1
                used += 1
            else:
                self.refused += 1
            headers = {}
            if self.headers:
                headers = {
                    MINUTELY[0]: str(self.per_minute),
                    MINUTELY[1]: str(max(self.per_minute - used, 0)),
                    MINUTELY[2]: _ms((minute + 1) * 60),
                    DAILY[0]: str(self.per_day),
                    DAILY[1]: str(max(self.per_day - self.days.get(day, 0), 0)),
                    DAILY[2]: _ms((day + 1) * 86400),
                }
            return httpx.Response(429 if refused else 200, headers=headers, json={})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    @property
    def busiest_minute(self) -> int:
        return max(self.minutes.values(), default=0)


class MinuteClient(ApiClient):
    """An `ApiClient` that reads the six ``X-RateLimit-*`` headers `MinuteServer` sends."""

    service = "the service"

    def budgets(self, response: httpx.Response) -> list[Budget]:
        found = []
        now = self.context.clock()
        for window, (limit, remaining, reset) in (("day", DAILY), ("minute", MINUTELY)):
            resets_at = parse_reset(response.headers.get(reset), now)
            if remaining in response.headers and resets_at is not None:
                found.append(
                    Budget(window, int(response.headers[limit]), int(response.headers[remaining]), resets_at)
                )
        return found

    def retry_at(self, response: httpx.Response) -> datetime | None:
        return parse_reset(response.headers.get(MINUTELY[2]), self.context.clock())


def minute_client(
    server: MinuteServer,
    *,
    aligned: bool = True,
    per_minute: int = 60,
    governor: RateGovernor | None = None,
    on_wait: Callable[[Wait], None] | None = None,
) -> MinuteClient:
    """A client of `server` on its clock, whose governor counts clock-aligned windows by default."""
    clock = server.clock
    context = ServiceContext("acme", "sink", transport=server.transport(), clock=clock.now, sleep=clock.sleep)
    governor = governor or RateGovernor(
        service=MinuteClient.service,
        per_minute=per_minute,
        per_day=server.per_day,
        clock=clock.now,
        sleep=clock.sleep,
        aligned=aligned,
        on_wait=on_wait,
    )
    return MinuteClient("http://minute.test", context, governor)
