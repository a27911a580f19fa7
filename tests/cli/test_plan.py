"""The dry run's estimate: calls against today's budget, and how long a real run takes at the limits."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.cli.plan import Estimate, render_estimate
from connector.transport.http import Budget

RESET = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)


def estimate(sink_writes: int, *, left: int = 4989, per_minute: int = 60) -> Estimate:
    return Estimate(
        reads={"source": 111, "sink": 9},
        writes={"source": 0, "sink": sink_writes},
        budgets={"source": None, "sink": Budget("day", 5000, left, RESET)},
        per_minute={"source": 200, "sink": per_minute},
    )


def test_the_demo_takes_two_minutes_at_exacts_60_calls_a_minute() -> None:
    """143 calls: 60 at once, 60 after a minute, 23 after two (the demo measured 2 min 1 s)."""
    lines = render_estimate(estimate(134))
    assert lines[-1].startswith("  a real run takes at least 2 min: sink 143 calls at 60 a minute")


def test_a_run_within_one_minute_of_calls_says_so() -> None:
    assert "a real run takes under a minute: " in render_estimate(estimate(40))[-1]


def test_a_first_sync_beyond_todays_budget_says_how_many_days() -> None:
    """12,000 calls with 4,989 left today: today's, then 5,000 tomorrow, the rest the day after."""
    lines = render_estimate(estimate(11_991))
    assert "NOT ENOUGH" in lines[1]
    assert "a real run takes 3 days (it pauses when a day's budget is spent" in lines[-1]


def test_the_progress_line_says_how_long_is_left_at_the_last_minutes_pace() -> None:
    """What `connector run` and `connector demo` show on a terminal while Exact's limit paces them:
    29 documents in the first second (the minute's burst), then 29 a minute."""
    import io

    from connector.cli.plan import terminal_progress

    ticks = [(0.0, 0), (1.0, 29), (30.0, 40), (61.0, 58), (121.0, 87)]
    moments = iter(moment for moment, _ in ticks)
    stream = io.StringIO()
    show = terminal_progress(stream, clock=lambda: next(moments))
    lines = []
    for _, done in ticks:
        show("documents", done, 103)
        lines.append(stream.getvalue().split("\r")[-1])
    assert "29/103" in lines[1] and "left" not in lines[1], "no guess from the first burst"
    assert "left" not in lines[2]
    assert "58/103" in lines[3] and "about 1 min 33 s left" in lines[3]  # 45 more at 29 in 60 s
    assert "87/103" in lines[4] and "about 33 s left" in lines[4]
    show("documents", 103, 103)
    assert stream.getvalue().endswith("\r"), "the line is wiped when done"
