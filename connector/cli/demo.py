"""`connector demo`: the whole main job end to end against the local simulators.

Starts every installed sandbox with its demo data, points the demo rule file at them through the
environment, authorizes both sides with sandbox-issued refresh tokens (as `connector auth
--refresh-token` would), runs every flow once in a fresh state directory, and prints the report.

The sandboxes run `DEMO_SPEED` times faster than real time (why that factor: `demo_pace`), so the
demo takes seconds, not the two minutes a bookkeeping service's minute limit costs; the last lines
say what the sandboxes' request logs counted (429s included) and how long the same run takes at
the real limits. `--real-time` runs them at speed 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from connector import rules as rules_module
from connector.cli.demo_pace import (
    DEMO_SPEED,
    SideCalls,
    real_limits_line,
    real_time_seconds,
    sandbox_calls,
    sandbox_calls_line,
)
from connector.cli.plan import governor, minute_limit, terminal_progress
from connector.cli.waits import tell_waits, wait_teller
from connector.contract.errors import ConfigurationError
from connector.contract.plugins import Plugins
from connector.contract.sandboxes import Sandbox
from connector.engine.run import Run
from connector.engine.runner import build_services, flows_for, run_once
from connector.reporting.render import render_report
from connector.state.lock import ClientLock
from connector.state.store import StateStore

DEMO_RULES = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"


def show_progress(run: Run) -> None:
    """The run's progress line on the terminal (never in a pipe or a file), and its waits."""
    terminal = sys.stderr.isatty()
    if terminal:
        run.progress = terminal_progress(sys.stderr)
    tell_waits(
        [run.source, run.sink], wait_teller(sys.stderr, terminal=terminal, clock=lambda: datetime.now(UTC))
    )


def run_demo(
    *,
    rules_path: Path | None,
    state_dir: Path | None,
    echo: Callable[[str], None],
    keep_running: bool = False,
    speed: float = DEMO_SPEED,
) -> int:
    path = rules_path or DEMO_RULES
    if not path.exists():
        raise ConfigurationError(f"{path} does not exist", hint="pass --rules with a demo rule file")
    plugins = Plugins.load()
    boxes: dict[str, Sandbox] = {}
    options = {"speed": speed} if speed != 1 else {}  # factories get speed only when it is not 1
    try:
        for name, factory in sorted(plugins.sandboxes().items()):
            boxes[name] = factory(seed=True, port=0, **options)
            echo(f"sandbox {name}: {boxes[name].url}")
            os.environ.update(boxes[name].environment)
        rules = rules_module.load(path, plugins=plugins)
        echo(
            "Bookkeeping services allow few calls a minute: a first run of about a hundred documents "
            "can take a few minutes, because connector waits for budget instead of being blocked."
            + (f" The sandboxes run {speed:g} times faster than real time." if speed != 1 else "")
        )
        directory = state_dir or Path(tempfile.mkdtemp(prefix="connector-demo-"))
        for plugin in (rules.source.plugin, rules.sink.plugin):
            if plugin not in boxes:
                raise ConfigurationError(f"no sandbox is installed for plugin {plugin!r}")
        with ClientLock(directory, rules.client), StateStore.for_client(directory, rules.client) as store:
            source, sink = build_services(rules, plugins, store)
            try:
                source.authorize(refresh_token=boxes[rules.source.plugin].refresh_token())
                sink.authorize(refresh_token=boxes[rules.sink.plugin].refresh_token())
                echo(f"source authorized as {source.check_authorization()}")
                echo(f"sink authorized as {sink.check_authorization()}")
            finally:
                source.close()
                sink.close()
        runs: list[Run] = []

        def started(run: Run) -> None:
            runs.append(run)
            show_progress(run)

        began = time.monotonic()
        report, _ = run_once(
            rules, plugins, flows=flows_for(rules, None), state_dir=directory, on_run=started
        )
        wall = time.monotonic() - began
        echo(render_report(report))
        echo(f"state kept in {directory}")
        logs = sandbox_calls_line(sandbox_calls(boxes))
        if logs:
            echo(logs)
        echo(real_limits_line(*real_time(report.calls, runs, wall=wall), speed=speed))
        return 0 if report.status == "success" else 1
    finally:
        for box in boxes.values():
            box.stop()


def real_time(calls: dict[str, int], runs: list[Run], *, wall: float) -> tuple[float, SideCalls | None]:
    """How long the run takes at the real limits, from its calls per side and its services' limits."""
    sides = []
    waited = 0.0
    for run in runs[:1]:  # every flow's Run shares the same two services
        for side, service in (("source", run.source), ("sink", run.sink)):
            sides.append(SideCalls(side, calls.get(side, 0), minute_limit(service)))
            found = governor(service)
            waited = max(waited, found.waited if found else 0.0)  # the two sides wait at once, if at all
    return real_time_seconds(sides, wall=wall, waited=waited)
