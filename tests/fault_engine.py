"""The engine of the fault tests: both sandboxes, the engine run in this process on their simulated
clock (every wait advances the clocks instead of sleeping), and what counts both sides."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import pytest

from connector import rules as rules_module
from connector.contract.errors import ConnectorError
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.engine.runner import build_services, exit_code, flows_for, run_once
from connector.reporting.render import render_report
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.store import StateStore
from connector.testing.e2e import World
from connector.testing.sandbox import CallRecord
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import assert_each_once
from connector_teamleader.sandbox import TeamleaderSandbox
from connector_teamleader.sandbox.testing import booked_documents

DIVISION = "1234567"
ODATA_ERROR = '{"error":{"code":"","message":{"lang":"","value":"Interne fout: probeer het later opnieuw"}}}'


@dataclass
class Outcome:
    """What `connector run` would have shown: its exit code and its text."""

    code: int
    text: str
    report: RunReport | None


class Engine:
    """`run_once` in this process against the world's sandboxes, on their simulated clock."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in world.environment.items():
            monkeypatch.setenv(name, value)
        self.world = world
        self.exact = cast(ExactSandbox, world.sandboxes["exact_online"])
        self.teamleader = cast(TeamleaderSandbox, world.sandboxes["teamleader"])
        self.plugins = Plugins.load()
        self.tick = 0.0  # seconds every clock() call moves both sandboxes (a clock that runs fast)
        self.slept = 0.0

    def authorize(self) -> None:
        """Both sides, as `connector auth --refresh-token` does, without starting a process."""
        rules = self.rules()
        with StateStore.for_client(state_dir_for(self.world.rules_path or "."), rules.client) as state:
            source, sink = build_services(rules, self.plugins, state, {"clock": self.clock})
            source.authorize(refresh_token=self.teamleader.refresh_token())
            sink.authorize(refresh_token=self.exact.refresh_token())
            source.close()
            sink.close()

    def rules(self) -> Rules:
        assert self.world.rules_path is not None
        return rules_module.load(self.world.rules_path, plugins=self.plugins)

    def advance(self, seconds: float) -> None:
        self.exact.clock.advance(seconds)
        self.teamleader.clock.advance(seconds)

    def clock(self) -> datetime:
        # Only the booking's readings move it: the reader thread reads the clock concurrently,
        # and a clock that jumped 3 s at each of its readings would age a token between another
        # thread's check and its request, which no real clock does.
        if self.tick and threading.current_thread() is threading.main_thread():
            self.advance(self.tick)
        return self.exact.clock.now()

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.advance(seconds)

    def run(self, *flows: str, **overrides: Any) -> Outcome:
        rules = self.rules()
        context = {"clock": self.clock, "sleep": self.sleep, **overrides}
        try:
            report, _ = run_once(
                rules, self.plugins, flows=flows or flows_for(rules, None), context_overrides=context
            )
        except ConnectorError as error:
            return Outcome(error.exit_code, f"error: {error.message}\n  what to do: {error.hint}", None)
        return Outcome(exit_code(report), render_report(report), report)


# -- counting both sides --------------------------------------------------------------------------


def assert_each_document_once(engine: Engine) -> None:
    """Zero duplicates, zero missing: Exact holds every booked Teamleader document exactly once."""
    assert_each_once(engine.exact, booked_documents(engine.teamleader))


def api_calls(box: Any, *statuses: int) -> list[CallRecord]:
    """The service's API calls (not its admin routes), those answered with `statuses` if given."""
    return [
        call
        for call in box.calls
        if not call.path.startswith("/_sandbox/") and (not statuses or call.status in statuses)
    ]


def entry_posts(exact: ExactSandbox) -> list[CallRecord]:
    """The POSTs of sales entries that reached Exact."""
    return [call for call in api_calls(exact) if call.method == "POST" and "SalesEntries" in call.path]


def sent_twice(box: Any, path: str) -> bool:
    """Whether one request (same method, path, query and body) reached the sandbox twice."""
    sent = Counter((c.method, c.path, c.query, c.body) for c in api_calls(box) if path in c.path)
    return any(count > 1 for count in sent.values())


def wait_for(condition: Any, seconds: float = 3.0) -> None:
    """For a slow request the client gave up on: the sandbox serves it a moment later."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sandbox never finished the slow request"
        time.sleep(0.02)
