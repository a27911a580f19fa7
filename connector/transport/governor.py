"""Waiting for a service's call budget, so that it never has a call to refuse.

A service limits calls per minute, often per day too, and says in each answer where it stands:
limit, remaining and the moment the window resets (the plugin parses its headers into `Budget`s).
The governor counts every call from the moment it is sent (`acquire`) to its answer (`settle`), from
any number of threads, and lets a call go only when every window it may be counted in has room:

- **clock-aligned windows** (``aligned=True``: a plugin whose service counts per clock minute, e.g.
  10:14:00-10:15:00): the announced reset names the window's end; a full window is waited out until
  its reset on the server's clock, not 60 s after the oldest call. Without headers, windows are the
  clock minutes. A call near a boundary may be counted in either window, so it counts in both until
  its answer says which;
- **sliding windows** (the default): a call counts for `window` seconds after its answer; a spent
  announced budget is waited out until the announced reset;
- **the day**: when what is left of the announced daily budget is down to the reserve, the run
  stops cleanly (`BudgetExhausted`) instead of waiting for tomorrow.

The server's clock is not ours: `ClockSkew` learns the difference from the resets, and every wait
lasts until the latest local moment the reset can be (plus `SAFETY`). (Holding back a minute's last
call to send it when the reset is due by the middle estimate would learn the clock faster, but when
it lands in the next minute its slot is lost: benchmarks/governor.py measured a minute more for 600
calls, so the governor learns only from the calls a run makes anyway.)

Before it sleeps, or stops for the day, the governor tells `on_wait` (a `Wait`), so a terminal can
say what the run waits for.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from connector.contract.errors import BudgetExhausted
from connector.transport.skew import ClockSkew

log = logging.getLogger("connector.http")

SAFETY = 0.1
CEILING_MARGIN = 1.0  # no wait for a window lasts longer than the window and this
"""Seconds added to every wait beyond the moment the reset is due."""
WINDOW = 60.0
IN_FLIGHT_POLL = 0.05
"""Seconds to wait when only answers still on their way can free budget."""
LONGEST_FLIGHT = 300.0
"""Seconds after which a call never settled counts as answered (no HTTP timeout is longer)."""


@dataclass
class Budget:
    """One rate window as the service announced it in a response's headers."""

    window: str  # "minute" or "day"
    limit: int
    remaining: int
    resets_at: datetime


@dataclass(frozen=True)
class Wait:
    """What the governor is about to wait for: `seconds` until `resets_at` (the service's announced
    or assumed reset) for `window` "minute", or, for "day", the run stopping until `resets_at`."""

    service: str
    window: str
    seconds: float
    resets_at: datetime | None


@dataclass(eq=False)
class Ticket:
    """One call as the governor counts it: sent, answered, and the minute window it was counted in."""

    sent: float
    received: float | None = None
    window_end: float | None = None


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class RateGovernor:
    """Makes calls wait for budget. One per service and account (or division); thread-safe."""

    def __init__(
        self,
        *,
        service: str,
        per_minute: int,
        per_day: int | None = None,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        day_reserve: int = 0,
        reserve_share: float = 1.0,
        aligned: bool = False,
        window: float = WINDOW,
        on_wait: Callable[[Wait], None] | None = None,
    ) -> None:
        self.service = service
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self.sleep = sleep
        self.day_reserve = day_reserve
        self.reserve_share = reserve_share
        self.aligned = aligned
        self.window = window
        self.on_wait = on_wait
        self.minute: Budget | None = None
        self.day: Budget | None = None
        self.skew = ClockSkew()
        self.waited = 0.0
        self.clock_warned = False  # a reset beyond any window's length was said once
        self.tickets: list[Ticket] = []
        self.counted: dict[float, int] = {}  # window end -> most calls the service said it counted
        self.anchor = 0.0  # a known window end: clock minutes until the service announces one
        self.lock = threading.RLock()

    # -- the two calls an ApiClient makes around each request -----------------------------------

    def acquire(self) -> Ticket:
        """Block until a call fits in every window it may count in; stop cleanly when the day is
        spent. The returned ticket counts the call until `settle`."""
        while True:
            with self.lock:
                now = self.clock().timestamp()
                self._check_day(now)
                delay, resets = self._delay(now)
                if delay <= 0:
                    ticket = Ticket(sent=now)
                    self.tickets.append(ticket)
                    return ticket
            self._pause(delay, resets)

    def settle(self, ticket: Ticket, budgets: list[Budget]) -> None:
        """The call's answer arrived (or none will: `budgets` empty); take the service's word."""
        with self.lock:
            ticket.received = self.clock().timestamp()
            announced = {budget.window: budget for budget in budgets}
            minute, day = announced.get("minute"), announced.get("day")
            if minute is not None:
                self._observe_minute(ticket, minute)
            if day is not None:
                self._observe_day(day)
            elif self.day is not None and self.day.remaining > 0:
                self.day.remaining -= 1  # counted by the service even if this answer did not say

    # -- what the plan and older callers use -------------------------------------------------------

    def wait_for_budget(self) -> None:
        """Wait until a call fits, and count it as sent and answered at once."""
        self.settle(self.acquire(), [])

    def observe(self, budgets: list[Budget]) -> None:
        """Take a service's announced budgets that came with no call of ours (or before any)."""
        with self.lock:
            for budget in budgets:
                if budget.window == "minute":
                    self.minute = budget
                    self.per_minute = max(budget.limit, 1)
                elif budget.window == "day":
                    self._observe_day(budget)

    def wait_until(self, moment: datetime | None, fallback: float = 5.0) -> None:
        """Wait after a 429 until the moment it announced, on the server's clock."""
        if moment is None:
            delay = fallback
        else:
            delay = moment.timestamp() - self.skew.low - self.clock().timestamp() + SAFETY
        delay = min(max(delay, SAFETY), 120.0)
        self._pause(delay, moment)

    @property
    def reserve(self) -> int:
        """The calls of the day kept back: `day_reserve`, but at most `reserve_share` of the daily
        limit, so that a division allowed 150 calls a day does not keep 100 of them unused."""
        limit = self.day.limit if self.day else self.per_day
        if not limit:
            return self.day_reserve
        return min(self.day_reserve, math.ceil(limit * self.reserve_share))

    # -- the day ------------------------------------------------------------------------------------

    def _observe_day(self, budget: Budget) -> None:
        same_day = self.day is not None and self.day.resets_at == budget.resets_at
        if self.day is not None and same_day:
            budget.remaining = min(budget.remaining, self.day.remaining)  # answers may come out of order
        self.day = budget
        self.per_day = budget.limit

    def _check_day(self, now: float) -> None:
        day = self.day
        if day is None or now >= day.resets_at.timestamp():
            return
        in_flight = sum(1 for ticket in self.tickets if ticket.received is None)
        if day.remaining - in_flight <= self.reserve:
            self._tell(Wait(self.service, "day", day.resets_at.timestamp() - now, day.resets_at))
            raise BudgetExhausted(self.service, day.resets_at)

    # -- the minute ---------------------------------------------------------------------------------

    def _observe_minute(self, ticket: Ticket, budget: Budget) -> None:
        self.minute = budget
        self.per_minute = max(budget.limit, 1)
        reset = round(budget.resets_at.timestamp(), 3)
        assert ticket.received is not None
        self.skew.learn(
            sent=ticket.sent,
            received=ticket.received,
            reset=reset,
            window=self.window if self.aligned else None,
        )
        if not self.aligned:
            return
        if reset != self.anchor and reset > self.anchor - self.window:
            step = abs(reset - self.anchor)
            if 0 < step < self.window and self.anchor:
                self.window = step  # the service's windows are shorter than documented
            self.anchor = max(self.anchor, reset)
        ticket.window_end = reset
        used = budget.limit - budget.remaining
        self.counted[reset] = max(self.counted.get(reset, 0), used)

    def _delay(self, now: float) -> tuple[float, datetime | None]:
        """Seconds to wait before a call may go, and the reset it waits for; 0 when it may go now."""
        self._forget(now)
        if self.aligned:
            return self._aligned_delay(now)
        return self._sliding_delay(now)

    def _end(self, server_moment: float) -> float:
        """The end of the aligned window that holds `server_moment` (server epoch seconds)."""
        steps = math.floor((server_moment - self.anchor) / self.window) + 1
        return round(self.anchor + steps * self.window, 3)

    def _windows(self, start: float, stop: float) -> list[float]:
        """The ends of the windows a call sent at local `start` and answered by `stop` may count in."""
        first, last = self._end(start + self.skew.low), self._end(stop + self.skew.high)
        count = max(round((last - first) / self.window), 0) + 1
        return [round(first + step * self.window, 3) for step in range(count)]

    def _landed(self, ticket: Ticket, now: float) -> float:
        """When the call was answered, or the latest it can still be."""
        if ticket.received is not None:
            return ticket.received
        return min(now, ticket.sent + LONGEST_FLIGHT)

    def _charged(self, end: float, now: float) -> int:
        answered = sum(1 for ticket in self.tickets if ticket.window_end == end)
        uncertain = sum(
            1
            for ticket in self.tickets
            if ticket.window_end is None and end in self._windows(ticket.sent, self._landed(ticket, now))
        )
        return max(self.counted.get(end, 0), answered) + uncertain

    def _aligned_delay(self, now: float) -> tuple[float, datetime | None]:
        windows = self._windows(now, now)
        full = [end for end in windows if self._charged(end, now) >= self.per_minute]
        if full:
            return max(full) - self.skew.low - now + SAFETY, _moment(max(full))
        return 0.0, None

    def _sliding_delay(self, now: float) -> tuple[float, datetime | None]:
        delay, resets = 0.0, None
        in_flight = sum(1 for ticket in self.tickets if ticket.received is None)
        minute = self.minute
        counted = self.tickets
        if minute is not None:
            due = minute.resets_at.timestamp() - self.skew.low
            if now < due:  # the server's own count is current: it alone decides
                if minute.remaining - in_flight <= 0:
                    return due - now + SAFETY, minute.resets_at
                return 0.0, None
            # Its window was reset since: calls answered before that count no more (a service whose
            # minutes are shorter than 60 s, a sped-up sandbox's, is followed rather than assumed).
            counted = [t for t in self.tickets if t.received is None or t.received > due]
        expire = len(counted) - self.per_minute + 1  # calls that must leave the window first
        if expire > 0:
            answered = sorted(t.received for t in counted if t.received is not None)
            if len(answered) < expire:
                delay = max(delay, IN_FLIGHT_POLL)
            else:  # a call counts until `window` seconds after its answer, whatever the server's clock
                delay = max(delay, answered[expire - 1] + self.window - now + SAFETY)
        return delay, resets

    def _forget(self, now: float) -> None:
        """Drop the calls that can no longer count in any window a new call may count in."""
        if self.aligned:
            current = self._end(now + self.skew.low)
            self.tickets = [
                ticket
                for ticket in self.tickets
                if (ticket.window_end or self._windows(ticket.sent, self._landed(ticket, now))[-1]) >= current
            ]
            self.counted = {end: used for end, used in self.counted.items() if end >= current}
        else:
            self.tickets = [t for t in self.tickets if self._landed(t, now) + self.window > now]

    # -- telling and sleeping -----------------------------------------------------------------------

    def _pause(self, delay: float, resets: datetime | None) -> None:
        ceiling = self.window + CEILING_MARGIN  # a minute's budget is back within a minute
        if delay > ceiling:
            if not self.clock_warned:
                log.warning(
                    "%s announced a reset %.0f s away for a %.0f-second window: its clock or ours is "
                    "wrong; waiting %.0f s instead",
                    self.service,
                    delay,
                    self.window,
                    ceiling,
                )
                self.clock_warned = True
            delay = ceiling
        self._tell(Wait(self.service, "minute", delay, resets))
        log.info("%s: waiting %.1f s for rate budget", self.service, delay)
        with self.lock:
            self.waited += delay
        self.sleep(delay)

    def _tell(self, wait: Wait) -> None:
        if self.on_wait is not None and wait.seconds > IN_FLIGHT_POLL:
            self.on_wait(wait)
