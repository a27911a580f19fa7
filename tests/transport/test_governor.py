"""The rate governor against a fake service counting per clock minute: it waits for the announced
reset (not 60 s after the oldest call), keeps clock minutes without headers, learns the server's clock,
counts calls from several threads, and still copes with a 429."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import httpx
import pytest

from connector.contract.errors import BudgetExhausted
from connector.testing.ratelimited import LockedClock, MinuteServer, minute_client
from connector.transport.governor import SAFETY, Wait
from connector.transport.skew import PRIOR_SKEW

HALF_PAST = datetime(2026, 12, 1, 10, 14, 30, tzinfo=UTC)


def calls(client: object, count: int) -> None:
    for _ in range(count):
        client.request("GET", "/things")  # type: ignore[attr-defined]


def test_a_full_minute_waits_until_the_announced_reset_not_60_s_after_its_first_call() -> None:
    """60 calls at 10:14:30 spend the minute; the 61st goes just after 10:15:00, 30 s later, not 60."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock)
    calls(minute_client(server), 61)
    assert server.refused == 0
    assert 30 <= sum(clock.slept) <= 30 + PRIOR_SKEW + SAFETY
    assert server.minutes[int(HALF_PAST.timestamp() // 60) + 1] == 1


def test_without_headers_the_windows_are_clock_minutes() -> None:
    """A service documented as counting per clock minute but announcing nothing is paced the same."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, headers=False)
    calls(minute_client(server), 61)
    assert server.refused == 0
    assert 30 <= sum(clock.slept) <= 30 + PRIOR_SKEW + SAFETY


def test_a_sliding_service_still_counts_60_s_from_each_answer() -> None:
    """Not every service counts clock minutes: without `aligned`, a call counts for a minute."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, headers=False)
    calls(minute_client(server, aligned=False), 61)
    assert 59 < sum(clock.slept) <= 60 + SAFETY


def test_a_sliding_service_that_announces_its_budget_is_followed_not_assumed() -> None:
    """With headers, the server's own count decides: 61 calls at half past wait 30 s for the
    announced reset, not 60 s from the first answer (a sped-up sandbox's minute is one second)."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock)
    calls(minute_client(server, aligned=False), 121)
    assert server.refused == 0
    assert 30 + 60 <= sum(clock.slept) <= 30 + 60 + 2 * (PRIOR_SKEW + SAFETY)


@pytest.mark.parametrize("skew", [-0.9, -0.4, 0.0, 0.3, 0.9, 4.0])
def test_a_server_clock_a_little_off_never_refuses_a_call(skew: float) -> None:
    """600 calls against a server whose clock is `skew` s ahead (behind: negative) of ours, each
    call 0.2 s on the wire: no 429 and never more than 60 in one of its minutes."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, skew=skew, latency=0.2)
    calls(minute_client(server), 600)
    assert server.refused == 0
    assert server.busiest_minute == 60


@pytest.mark.parametrize("skew", [-0.9, 0.5, 4.0])
def test_the_server_clock_is_learned_from_the_minutes_that_turn_while_calls_flow(skew: float) -> None:
    """Calls 0.7 s apart cross the server's minute boundaries: the answers before and after each
    boundary pin its clock to within two calls' time, even 4 s ahead of ours, far beyond the prior."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, skew=skew, latency=0.7)
    client = minute_client(server)
    calls(client, 600)
    low, high = client.governor.skew.bounds
    assert low - 0.001 <= skew <= high + 0.001  # to the millisecond the resets are written in
    assert high - low <= 1.4 + 0.001
    assert server.refused == 0


def test_a_server_clock_far_behind_costs_two_429s_not_one_a_minute() -> None:
    """Beyond what is assumed (PRIOR_SKEW), the refusals teach the governor where the minute ends."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, skew=-4.0, latency=0.2)
    client = minute_client(server)
    calls(client, 600)
    assert server.refused <= 2
    assert sum(server.minutes.values()) == 600


class PairedServer(MinuteServer):
    """Holds each call until a call of the other thread is on its way too (or 0.2 s passed), so that
    two calls are always in flight at once."""

    def __init__(self, clock: LockedClock, **options: float) -> None:
        super().__init__(clock, **options)  # type: ignore[arg-type]
        self.barrier = threading.Barrier(2, timeout=0.2)

    def handler(self, request: httpx.Request) -> httpx.Response:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.barrier.reset()
        return super().handler(request)


def test_two_threads_sharing_a_client_never_exceed_the_minute() -> None:
    """A reader and a writer thread on one client, their calls in flight together: each is counted
    from the moment it is sent, so no minute of the server holds more than its limit, none refused."""
    clock = LockedClock(HALF_PAST)
    server = PairedServer(clock, latency=0.05, skew=0.3, per_minute=59)  # odd: pairs do not fill it
    client = minute_client(server, per_minute=59)
    threads = [threading.Thread(target=calls, args=(client, 150)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(server.minutes.values()) == 300
    assert server.busiest_minute <= 59
    assert server.refused == 0


def test_calls_in_flight_count_before_their_answers_arrive() -> None:
    """60 calls sent by other threads and not yet answered fill the minute: the 61st waits (their
    answers arrive while it does) and then goes at the next minute."""
    clock = LockedClock(HALF_PAST)
    governor = minute_client(MinuteServer(clock)).governor
    in_flight = [governor.acquire() for _ in range(60)]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        while in_flight:  # the other threads' answers come in during the wait
            governor.settle(in_flight.pop(), [])
        clock.sleep(seconds)

    governor.sleep = sleep
    governor.acquire()
    assert waits, "the 61st call waited while 60 were in flight"
    assert clock.now() >= datetime(2026, 12, 1, 10, 15, tzinfo=UTC)


def test_a_429_from_another_app_sharing_the_budget_is_waited_out() -> None:
    """Another app spends 50 of this minute's calls right after our 10th: the 11th is refused, waits
    for the announced reset and goes through; the calls after it are paced by what the answers say."""
    clock = LockedClock(HALF_PAST)
    first = int(HALF_PAST.timestamp() // 60)

    def others(minute: int) -> int:
        return 50 if minute == first and server.minutes.get(minute, 0) >= 10 else 0

    server = MinuteServer(clock, others=others)
    client = minute_client(server)
    calls(client, 11)
    assert server.refused == 1
    assert server.minutes == {first: 10, first + 1: 1}
    calls(client, 59)
    assert server.refused == 1
    assert server.minutes[first + 1] == 60


def test_each_wait_is_told_with_its_length_and_the_reset() -> None:
    """What a terminal shows: the seconds to wait and the minute's announced reset."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock)
    told: list[Wait] = []
    calls(minute_client(server, on_wait=told.append), 61)
    assert [wait.window for wait in told] == ["minute"]
    assert told[0].resets_at == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)
    assert 30 <= told[0].seconds <= 30 + PRIOR_SKEW + SAFETY


def test_a_spent_day_is_told_before_the_run_stops() -> None:
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, per_day=3)
    told: list[Wait] = []
    client = minute_client(server, on_wait=told.append)
    calls(client, 3)
    with pytest.raises(BudgetExhausted) as caught:
        calls(client, 1)
    assert caught.value.resumes_at == datetime(2026, 12, 2, tzinfo=UTC)
    assert [(wait.window, wait.resets_at) for wait in told] == [("day", datetime(2026, 12, 2, tzinfo=UTC))]
    assert server.refused == 0


def test_a_server_clock_an_hour_ahead_never_makes_a_minute_wait_longer_than_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 21: a one-minute window announced a reset 3,630 s away and the run slept 3,630 s. No
    wait for a minute's budget lasts longer than the window and a second; the clock problem is
    logged once."""
    clock = LockedClock(HALF_PAST)
    server = MinuteServer(clock, skew=3600.0)
    with caplog.at_level("WARNING", logger="connector.http"):
        calls(minute_client(server, aligned=False), 181)
    assert clock.slept and max(clock.slept) <= 61.0, max(clock.slept)
    assert server.refused <= 1
    assert len([r for r in caplog.records if "its clock or ours is wrong" in r.getMessage()]) <= 1
