"""What a person sees while a run waits for a service's budget: on a terminal and in a log."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from connector.cli.plan import terminal_progress
from connector.cli.waits import tell_waits, wait_teller, wait_text
from connector.testing.ratelimited import LockedClock, MinuteServer, minute_client
from connector.transport.governor import Wait

NOW = datetime(2026, 12, 1, 10, 14, 18, tzinfo=UTC)
MINUTE = Wait("Exact Online", "minute", 42.1, datetime(2026, 12, 1, 10, 15, tzinfo=UTC))
DAY = Wait("Exact Online", "day", 49_000, datetime(2026, 12, 2, tzinfo=UTC))


def test_a_minute_wait_says_how_long_and_when_the_minute_resets() -> None:
    assert wait_text(MINUTE, now=NOW, zone=UTC) == (
        "waiting 42 s for Exact Online's minute budget (resets 10:15:00)"
    )


def test_a_spent_day_says_the_run_stops_and_when_the_next_goes_on() -> None:
    assert wait_text(DAY, now=NOW, zone=UTC) == (
        "Exact Online's daily budget is spent; the run stops here and the next one goes on tomorrow at 00:00"
    )


def test_in_a_log_only_waits_of_a_few_seconds_or_more_get_a_line() -> None:
    stream = io.StringIO()
    tell = wait_teller(stream, terminal=False, clock=lambda: NOW, zone=UTC)
    tell(Wait("Exact Online", "minute", 1.2, MINUTE.resets_at))
    tell(MINUTE)
    tell(DAY)
    assert stream.getvalue().splitlines() == [
        wait_text(MINUTE, now=NOW, zone=UTC),
        wait_text(DAY, now=NOW, zone=UTC),
    ]


def test_on_a_terminal_the_wait_takes_the_progress_lines_place_until_the_next_update() -> None:
    stream = io.StringIO()
    show = terminal_progress(stream, clock=iter([0.0, 1.0]).__next__)
    tell = wait_teller(stream, terminal=True, clock=lambda: NOW, zone=UTC)
    show("documents", 29, 103)
    tell(MINUTE)
    assert stream.getvalue().split("\r")[-1].startswith("waiting 42 s for Exact Online's minute budget")
    show("documents", 30, 103)
    assert "30/103" in stream.getvalue().split("\r")[-1]


def test_a_runs_services_tell_their_waits() -> None:
    """`connector run` hands the teller to every service's API client: a spent minute is said."""
    clock = LockedClock(datetime(2026, 12, 1, 10, 14, 30, tzinfo=UTC))
    client = minute_client(MinuteServer(clock))

    class Service:
        def __init__(self) -> None:
            self.client = client

    stream = io.StringIO()
    tell_waits([Service()], wait_teller(stream, terminal=False, clock=clock.now, zone=UTC))  # type: ignore[list-item]
    for _ in range(61):
        client.request("GET", "/things")
    assert stream.getvalue().startswith("waiting 31 s for the service's minute budget (resets 10:15:00)")
