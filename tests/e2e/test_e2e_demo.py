"""`connector demo` as a person runs it: the report, the sandboxes' call logs, the real-limits line."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from connector.cli import demo as demo_module
from connector.cli.demo_pace import SideCalls, real_time_seconds
from connector.cli.main import main
from connector.testing.e2e import _executable


def test_the_demo_books_everything_with_no_429_and_says_how_long_at_the_real_limits(tmp_path: Path) -> None:
    result = subprocess.run(
        [_executable(), "demo", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a timing assertion
        env=os.environ.copy(),
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "documents: 103 booked (100 invoices, 3 credit notes)" in out  # the same as at real time
    assert "customers: 31 created" in out
    logs = re.search(r"sandbox request logs: (.*)", out)
    assert logs, out
    assert re.findall(r"\((\d+) answered 429\)", logs.group(1)) == ["0", "0"]
    assert re.search(
        r"at the real limits \(60 calls a minute\) this run takes about 2 min \d\d s; "
        r"`connector demo --real-time` runs it so",
        out,
    ), out


def test_real_time_runs_the_sandboxes_at_speed_one(monkeypatch: Any) -> None:
    seen: dict[str, float] = {}

    def fake_run_demo(**options: Any) -> int:
        seen["speed"] = options["speed"]
        return 0

    monkeypatch.setattr(demo_module, "run_demo", fake_run_demo)
    assert main(["demo", "--real-time"]) == 0
    assert seen["speed"] == 1
    assert main(["demo"]) == 0
    assert seen["speed"] > 1


def test_the_real_limits_are_a_minute_per_window_after_the_first_plus_the_work() -> None:
    """144 sink calls at 60 a minute need 3 windows: 2 minutes of waiting, plus 1.5 s of work."""
    seconds, slowest = real_time_seconds(
        [SideCalls("source", 111, 200), SideCalls("sink", 144, 60)], wall=3.5, waited=2.0
    )
    assert slowest is not None and slowest.side == "sink"
    assert seconds == 121.5
