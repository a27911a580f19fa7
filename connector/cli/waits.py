"""What a run waits for, said where a person looks: the rate governor's `Wait`s as lines.

On a terminal the wait takes the progress line's place until the next progress update:
``waiting 42 s for Bookkeeper's minute budget (resets 10:15:00)``. In a pipe, a file or CI, each
wait of `WORTH_A_LINE` seconds or more is one line, and shorter ones nothing: a run at the minute
limit waits about once a minute, and a line per wait is what a log can bear. A spent daily budget is
always said, with when the next run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import TextIO

from connector.contract.services import Service
from connector.reporting.render import in_place
from connector.transport.http import ApiClient, Wait

WORTH_A_LINE = 5.0
"""Seconds of waiting worth a line in a log."""


def wait_text(wait: Wait, *, now: datetime, zone: tzinfo | None = None) -> str:
    """The sentence for one wait; times in `zone` (the machine's own when None)."""
    resets = wait.resets_at.astimezone(zone) if wait.resets_at else None
    if wait.window == "day":
        if resets is None:
            return f"{wait.service}'s daily budget is spent; the next run goes on after its reset"
        today = now.astimezone(zone).date()
        day = (
            "today"
            if resets.date() == today
            else "tomorrow"
            if resets.date() == today + timedelta(days=1)
            else f"on {resets:%Y-%m-%d}"
        )
        return (
            f"{wait.service}'s daily budget is spent; the run stops here and the next one goes on "
            f"{day} at {resets:%H:%M}"
        )
    text = f"waiting {_seconds(wait.seconds)} for {wait.service}'s minute budget"
    return f"{text} (resets {resets:%H:%M:%S})" if resets else text


def _seconds(seconds: float) -> str:
    whole = max(int(seconds + 0.5), 1)
    return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"


def wait_teller(
    stream: TextIO,
    *,
    terminal: bool,
    clock: Callable[[], datetime],
    zone: tzinfo | None = None,
) -> Callable[[Wait], None]:
    """A governor's `on_wait` that writes to `stream`: in place on a terminal, a line otherwise."""

    def tell(wait: Wait) -> None:
        text = wait_text(wait, now=clock(), zone=zone)
        if terminal:
            stream.write(in_place(text))
        elif wait.window == "day" or wait.seconds >= WORTH_A_LINE:
            stream.write(text + "\n")
        else:
            return
        stream.flush()

    return tell


def tell_waits(services: list[Service], tell: Callable[[Wait], None]) -> None:
    """Have the rate governor of each service's API client say what it waits for."""
    for service in services:
        for value in vars(service).values():
            if isinstance(value, ApiClient):
                value.governor.on_wait = tell
