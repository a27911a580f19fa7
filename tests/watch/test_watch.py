"""Watch-mode scheduling, without services: a stand-in for run_once records what would run."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connector.contract.report import RunReport
from connector.rules.model import PluginSection, Rules, Triggers
from connector.rules.triggers import parse_trigger
from connector.testing import FakeClock
from connector.testing.rules import make_rules
from connector.watch import worker as watch


def rules(tmp_path: Path) -> Rules:
    return make_rules(
        source=PluginSection("a"),
        sink=PluginSection("b"),
        triggers=Triggers(
            documents=parse_trigger("every 15 minutes"), payments=parse_trigger("every 10 minutes")
        ),
        path=tmp_path / "acme.yaml",
    )


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Recorder:
    """Stands in for run_once: records the flows of each run; `hooks` run during the next one."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, ...]] = []
        self.hooks: list[Callable[[], None]] = []

    def __call__(
        self, rules: Rules, plugins: Any, *, flows: list[str], **options: Any
    ) -> tuple[RunReport, list[str]]:
        self.runs.append(tuple(flows))
        while self.hooks:
            self.hooks.pop()()
        return RunReport(rules.client, tuple(flows), datetime.now(UTC)), []


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    fake = Recorder()
    monkeypatch.setattr(watch, "run_once", fake)
    return fake


def worker_for(tmp_path: Path, clock: FakeClock) -> watch.ClientWorker:
    return watch.ClientWorker(
        tmp_path / "acme.yaml",
        rules(tmp_path),
        None,  # type: ignore[arg-type]  # the plugins: run_once is replaced, nothing is built
        None,
        tmp_path,
        lambda _: None,
        clock=clock.now,
    )


def test_each_flow_runs_at_start_then_on_its_own_trigger(tmp_path: Path, recorder: Recorder) -> None:
    clock = FakeClock()
    worker = worker_for(tmp_path, clock)
    runs = recorder.runs
    worker.start()
    try:
        eventually(lambda: runs == [("documents", "payments")])
        clock.advance(10 * 60)
        eventually(lambda: runs[-1] == ("payments",))
        clock.advance(5 * 60)
        eventually(lambda: runs[-1] == ("documents",))
        assert len(runs) == 3
    finally:
        worker.stop_all.set()
        worker.join(5)


def test_a_call_during_a_run_makes_one_more_run(tmp_path: Path, recorder: Recorder) -> None:
    """A document booked while a run reads may be missed by it: an immediate call then runs again."""
    clock = FakeClock()
    worker = worker_for(tmp_path, clock)
    runs = recorder.runs
    recorder.hooks.append(lambda: worker.now("documents"))
    worker.start()
    try:
        eventually(lambda: len(runs) == 2)
        assert runs == [("documents", "payments"), ("documents",)]
        time.sleep(0.3)
        assert len(runs) == 2, "then back to the schedule"
    finally:
        worker.stop_all.set()
        worker.join(5)


def test_daily_triggers_are_due_at_the_next_local_time() -> None:
    trigger = parse_trigger("daily at 02:00")
    after = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    due = watch.next_time(trigger, after)
    local = due.astimezone()
    assert (local.hour, local.minute) == (2, 0) and timedelta(0) < due - after <= timedelta(days=1)


def test_monthly_triggers_are_due_on_their_day_of_the_next_month_when_past() -> None:
    trigger = parse_trigger("monthly on day 2 at 06:00")
    local = datetime(2027, 3, 2, 5, 0).astimezone()
    assert watch.next_time(trigger, local).astimezone() == local.replace(hour=6)
    assert watch.next_time(trigger, local.replace(hour=7)).astimezone() == local.replace(
        month=4, day=2, hour=6
    )
    assert watch.next_time(trigger, local.replace(month=12, day=5)).astimezone() == local.replace(
        year=2028, month=1, day=2, hour=6
    )


def test_a_monthly_day_every_month_has_is_required() -> None:
    with pytest.raises(ValueError, match="the day must be 1 to 28"):
        parse_trigger("monthly on day 31 at 06:00")


def test_reconcile_runs_on_its_trigger_not_at_start_and_proves_the_month_before(
    tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    proven: list[tuple[Any, Any]] = []

    def fake_reconcile(rules: Rules, plugins: Any, start: Any, end: Any, **options: Any) -> Any:
        proven.append((start, end))
        assert options["lock"] is False, "watch mode holds the client's lock"
        return type("Outcome", (), {"result": None})()

    monkeypatch.setattr(watch, "reconcile_once", fake_reconcile)
    start = datetime(2027, 3, 1, 12, 0).astimezone()
    clock = FakeClock(start)
    worker = worker_for(tmp_path, clock)
    worker.rules = make_rules(
        source=PluginSection("a"),
        sink=PluginSection("b"),
        triggers=Triggers(
            documents=parse_trigger("every 15 minutes"), reconcile=parse_trigger("monthly on day 2 at 06:00")
        ),
        path=tmp_path / "acme.yaml",
    )
    worker.start()
    try:
        eventually(lambda: recorder.runs == [("documents",)])
        assert proven == [] and worker.due["reconcile"] == start.replace(day=2, hour=6, minute=0)
        clock.advance(18 * 3600)
        eventually(lambda: len(proven) == 1)
        assert proven == [(datetime(2027, 2, 1).date(), datetime(2027, 2, 28).date())]
        assert worker.due["reconcile"] == start.replace(month=4, day=2, hour=6, minute=0)
    finally:
        worker.stop_all.set()
        worker.join(5)
