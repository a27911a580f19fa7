"""Simulated waiting for budget: the old rule (60 s after the oldest of the last 60 calls) vs the governor.

    python benchmarks/governor.py [--calls 600]

A fake service counts calls per clock minute of its own clock, 60 a minute, as the bookkeeping
service does (connector/testing/ratelimited.py); the run starts at 10:14:30 and each call spends
`latency` seconds on the wire. Time is simulated, so this runs in a second. Prints per scenario the
total simulated wait, the wall time of the run, the calls the service refused (429) and the least
wall time any client could have (the minute boundaries it must wait for, plus the calls' own time).

It runs N and N-1 calls: the governor spends the last slot of a minute or two sending a call when the
server's minute is due by its best estimate of the server's clock (to learn it), and when that call
lands in the next minute the slot it left is lost; with 600 calls, exactly ten full minutes, that one
slot costs an eleventh minute.
"""

from __future__ import annotations

import argparse
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.testing.ratelimited import LockedClock, MinuteServer, minute_client
from connector.transport.http import Budget

START = datetime(2026, 12, 1, 10, 14, 30, tzinfo=UTC)


class OldGovernor:
    """The rule of connector/transport/http.py before the governor followed the server (ddb0930):
    wait until 60 s after the oldest of the last `per_minute` calls, or until the announced reset when
    the minute's remaining is 0, whichever is later; a 429 waits until its reset."""

    def __init__(self, clock: LockedClock, per_minute: int = 60) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.recent: deque[datetime] = deque()
        self.minute: Budget | None = None
        self.day: Budget | None = None
        self.waited = 0.0

    def acquire(self) -> None:
        now = self.clock.now()
        delay = 0.0
        if self.minute and now < self.minute.resets_at and self.minute.remaining <= 0:
            delay = (self.minute.resets_at - now).total_seconds() + 0.05
        while self.recent and now - self.recent[0] >= timedelta(seconds=60):
            self.recent.popleft()
        if len(self.recent) >= self.per_minute:
            delay = max(delay, 60.0 - (now - self.recent[0]).total_seconds() + 0.05)
        if delay > 0:
            self.waited += delay
            self.clock.sleep(delay)
        self.recent.append(self.clock.now())
        if self.minute and self.minute.remaining > 0:
            self.minute.remaining -= 1

    def settle(self, ticket: Any, budgets: list[Budget]) -> None:
        for budget in budgets:
            if budget.window == "minute":
                self.minute = budget
            else:
                self.day = budget

    def wait_until(self, moment: datetime | None, fallback: float = 5.0) -> None:
        delay = (moment - self.clock.now()).total_seconds() + 0.05 if moment else fallback
        delay = min(max(delay, 0.05), 120.0)
        self.waited += delay
        self.clock.sleep(delay)


def run(rule: str, calls: int, latency: float, skew: float) -> dict[str, float]:
    clock = LockedClock(START)
    server = MinuteServer(clock, latency=latency, skew=skew)
    old = OldGovernor(clock) if rule == "old" else None
    client = minute_client(server, governor=old)  # type: ignore[arg-type]  # the old rule's duck
    for _ in range(calls):
        client.request("GET", "/things")
    wall = (clock.now() - START).total_seconds()
    waited = old.waited if old else client.governor.waited
    return {"waited": waited, "wall": wall, "refused": server.refused}


def least_wall(calls: int, latency: float, skew: float) -> float:
    """The run sent back to back, each call waiting only for a minute the server has room in."""
    moment, used, minute = START.timestamp(), 0, None
    for _ in range(calls):
        server_minute = int((moment + latency + skew) // 60)
        if server_minute != minute:
            minute, used = server_minute, 0
        if used >= 60:
            moment = (server_minute + 1) * 60 - skew - latency
            minute, used = server_minute + 1, 0
        moment += latency
        used += 1
    return moment - START.timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600)
    wanted = parser.parse_args().calls
    for calls in (wanted, wanted - 1):
        print(f"{calls} calls at 60 a minute, starting at {START:%H:%M:%S}; simulated seconds")
        header = f"{'latency':>7} {'skew':>5} | {'old wait':>8} {'old wall':>8} {'old 429':>7} |"
        print(header + f" {'new wait':>8} {'new wall':>8} {'new 429':>7} | {'least wall':>10}")
        for latency in (0.0, 0.25, 0.5, 1.0):
            for skew in (0.0, -0.5, 0.5, 3.0):
                before, after = run("old", calls, latency, skew), run("new", calls, latency, skew)
                print(
                    f"{latency:>7.2f} {skew:>+5.1f} | {before['waited']:>8.1f} {before['wall']:>8.1f} "
                    f"{before['refused']:>7.0f} | {after['waited']:>8.1f} {after['wall']:>8.1f} "
                    f"{after['refused']:>7.0f} | {least_wall(calls, latency, skew):>10.1f}"
                )
        print()


if __name__ == "__main__":
    main()
