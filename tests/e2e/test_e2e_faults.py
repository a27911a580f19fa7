"""Faults injected into the sandboxes while the engine runs in this process on their simulated clock.

Every waiting (backoff, rate budget, token intervals) advances both sandboxes' clocks instead of
sleeping, so an hour of 429s and retries costs milliseconds. Each test ends by counting what Exact
holds per (journal, type, YourRef) against what Teamleader has booked in the rule file's range: no
document missing, none booked twice. What the user sees is the rendered report and its exit code.
The CLI-level faults (dropped answers, the client lock, refused tokens) are in test_e2e_faults_cli.py.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from connector import rules as rules_module
from connector.contract.errors import ConnectorError
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.e2e import World
from connector.engine.runner import build_services, exit_code, flows_for, run_once
from connector.reporting.render import render_report
from connector.rules.model import Rules
from connector.state.store import StateStore, state_dir_for
from connector.testing.sandbox import CallRecord, Fault
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import assert_each_once, entry_keys
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
        if self.tick:
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


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Both sandboxes with demo data and no tight limits (tests set their own), both sides authorized."""
    world = World.start(
        tmp_path,
        exact_online={"per_minute": 100_000, "per_day": 1_000_000},
        teamleader={"rate_limit": 100_000},
    )
    try:
        world.write_rules()
        started = Engine(world, monkeypatch)
        started.authorize()
        yield started
    finally:
        world.stop()


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


# -- retries by kind ------------------------------------------------------------------------------


def test_a_5xx_burst_on_teamleader_reads_is_retried_and_nothing_is_lost(engine: Engine) -> None:
    burst = '{"errors":[{"title":"Service Unavailable"}]}'
    engine.teamleader.faults.append(Fault(path=r"^/invoices\.info$", status=503, count=3, body=burst))
    outcome = engine.run()
    assert outcome.code == 0, outcome.text
    assert outcome.text.splitlines()[0].endswith(": done")
    assert "failed" not in outcome.text
    assert len(api_calls(engine.teamleader, 503)) == 3, "three answers wasted, each retried"
    assert engine.slept > 0, "the retries backed off"
    assert_each_document_once(engine)


def test_slow_reads_past_the_timeout_are_retried(engine: Engine) -> None:
    """A read that does not answer within the client's timeout is safe to send again."""
    engine.teamleader.faults.append(Fault(path=r"^/invoices\.list$", kind="slow", delay=1.0))
    engine.exact.faults.append(
        Fault(path="salesentry/SalesEntries$", kind="slow", delay=1.0, method="GET"),
    )
    outcome = engine.run(timeout=0.3)
    assert outcome.code == 0, outcome.text
    assert "failed" not in outcome.text
    wait_for(lambda: sent_twice(engine.teamleader, "/invoices.list"))  # the slow one is logged late
    wait_for(lambda: sent_twice(engine.exact, "SalesEntries"))
    assert_each_document_once(engine)


def test_a_slow_exact_post_is_reported_unknown_and_linked_by_the_next_run(engine: Engine) -> None:
    """The client gives up on the POST, the sandbox still books it: never sent again, linked next run."""
    engine.exact.faults.append(
        Fault(path="salesentry/SalesEntries$", kind="slow", delay=1.0, method="POST"),
    )
    first = engine.run(timeout=0.3)
    assert first.code == 1, first.text
    assert "PARTIAL" in first.text
    failures = [line for line in first.text.splitlines() if line.strip().startswith("failed")]
    assert len(failures) == 1, first.text
    assert "no answer on salesentry/SalesEntries (ReadTimeout)" in failures[0]
    assert "never doubled" in first.text
    wanted = booked_documents(engine.teamleader)
    wait_for(lambda: len(entry_keys(engine.exact)) == len(wanted))

    second = engine.run(timeout=0.3)
    assert second.code == 0, second.text
    assert second.report is not None and second.report.counts.get("documents.linked") == 1
    assert "documents.booked" not in second.report.counts
    assert_each_document_once(engine)


def test_a_5xx_on_an_exact_post_is_not_retried_and_the_next_run_books_it_once(engine: Engine) -> None:
    engine.exact.faults.append(
        Fault(path="salesentry/SalesEntries$", status=503, body=ODATA_ERROR, method="POST"),
    )
    first = engine.run()
    assert first.code == 1 and "PARTIAL" in first.text
    assert "refused salesentry/SalesEntries (503): Interne fout: probeer het later opnieuw" in first.text
    posts = entry_posts(engine.exact)
    sent = [(json.loads(call.body)["Journal"], json.loads(call.body)["YourRef"]) for call in posts]
    assert posts[0].status == 503 and sent[0] not in sent[1:], "the refused write was not repeated this run"

    second = engine.run()
    assert second.code == 0, second.text
    assert second.report is not None and second.report.counts.get("documents.booked") == 1
    assert_each_document_once(engine)


# -- rate limits --------------------------------------------------------------------------------


class Storm(httpx.HTTPTransport):
    """Another process of the same Exact app spends the rest of the minute (or of the day) before
    every `every`-th API call: that call earns a real 429 with the minutely (or daily) headers."""

    def __init__(self, exact: ExactSandbox, every: int, window: str = "minute") -> None:
        super().__init__()
        self.exact = exact
        self.every = every
        self.window = window
        self.seen = 0
        self.spent: list[datetime] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.port == httpx.URL(self.exact.url).port and "/api/v1/" in request.url.path:
            self.seen += 1
            if self.seen % self.every == 0:
                with self.exact.lock:
                    now, limiter = self.exact.clock.now(), self.exact.limiter
                    for usage in limiter.usage.values():
                        if self.window == "minute":
                            usage.minute, usage.minute_calls = int(now.timestamp() // 60), limiter.per_minute
                        else:
                            usage.day, usage.day_calls = now.date().isoformat(), limiter.per_day
                    self.spent.append(now)
        return super().handle_request(request)


def test_a_429_storm_on_exact_is_waited_out_and_no_document_fails(engine: Engine) -> None:
    """429s without headers (wait and try again) and with the minutely headers (wait for the reset)."""
    engine.exact.limiter.per_minute = 60  # the real default
    engine.exact.faults += [
        Fault(path="financial/Journals$", status=429, count=3),
        Fault(path="salesentry/SalesEntries$", status=429, count=2, method="POST"),
    ]
    storm = Storm(engine.exact, every=40)
    outcome = engine.run(transport=storm)
    assert outcome.code == 0, outcome.text
    assert "failed" not in outcome.text
    refused = api_calls(engine.exact, 429)
    assert len(storm.spent) >= 3
    assert len(refused) == 5 + len(storm.spent), "no 429 beyond the injected ones"
    calls = api_calls(engine.exact)
    for index, call in enumerate(calls[:-1]):
        if call.status == 429 and call.query == calls[index + 1].query:
            retried_at = datetime.fromisoformat(calls[index + 1].at)
            refused_at = datetime.fromisoformat(call.at)
            assert retried_at > refused_at, "a 429 is tried again only after a wait"
    for spent in storm.spent:
        reset = datetime.fromtimestamp((int(spent.timestamp() // 60) + 1) * 60, UTC)
        after = [c for c in calls if datetime.fromisoformat(c.at) > spent]
        assert after[0].status == 429, "the minute was spent: the next call earned a 429"
        assert datetime.fromisoformat(after[1].at) >= reset, "then connector waited for the announced reset"
    assert_each_document_once(engine)


def next_midnight(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)


def test_a_429_for_the_day_stops_the_run_cleanly_and_the_next_day_goes_on(engine: Engine) -> None:
    """Another process spent the day: one 429 with the daily headers, then no call until the reset."""
    storm = Storm(engine.exact, every=30, window="day")
    first = engine.run(transport=storm)
    assert first.code == 1, first.text
    assert "the daily call budget of Exact Online is spent" in first.text
    assert f"resumes at {next_midnight(storm.spent[0]).isoformat()}" in first.text
    assert first.report is not None and first.report.outcomes == [], "no document failed"
    assert len(api_calls(engine.exact, 429)) == 1, "nothing was sent after the daily 429"
    assert len(storm.spent) == 1

    engine.sleep((next_midnight(engine.exact.clock.now()) - engine.exact.clock.now()).total_seconds() + 60)
    second = engine.run()
    assert second.code == 0, second.text
    assert_each_document_once(engine)


@pytest.fixture
def budget_day(engine: Engine) -> Iterator[Engine]:
    """Exact allows 150 calls a day (60 a minute); Teamleader holds ~180 documents for 2026."""
    engine.exact.limiter.per_minute, engine.exact.limiter.per_day = 60, 150
    engine.teamleader.generate(80, seed=5, start=date(2026, 1, 1), days=300, backdate=True)
    yield engine


def test_a_spent_daily_budget_stops_cleanly_and_the_next_day_completes(budget_day: Engine) -> None:
    engine = budget_day
    day_one = engine.exact.clock.now()
    first = engine.run()
    assert first.code == 1, first.text
    assert "PAUSED" in first.text
    assert "the daily call budget of Exact Online is spent" in first.text
    assert f"resumes at {next_midnight(day_one).isoformat()}" in first.text
    assert first.report is not None and first.report.outcomes == [], "nothing failed: it stopped in time"
    assert not api_calls(engine.exact, 429), "the daily limit was never hit"
    payments = [call for call in api_calls(engine.exact) if "PaymentTerms" in call.path]
    assert [call.status for call in payments] == [200], "the payments flow ran within the reserve"
    assert len(api_calls(engine.exact)) <= 150

    engine.sleep((next_midnight(engine.exact.clock.now()) - engine.exact.clock.now()).total_seconds() + 60)
    second = engine.run()
    assert second.code == 0, second.text
    assert not api_calls(engine.exact, 429)
    assert_each_document_once(engine)


def test_a_spent_daily_budget_says_how_many_documents_are_left(budget_day: Engine) -> None:
    engine = budget_day
    first = engine.run()
    assert first.report is not None
    left = len(booked_documents(engine.teamleader)) - first.report.counts.get("documents.booked", 0)
    assert re.search(rf"documents: .*\b{left} left\b", first.text), first.text


def test_a_run_stopped_by_the_budget_does_not_claim_records_failed(budget_day: Engine) -> None:
    first = budget_day.run()
    assert first.report is not None and first.report.outcomes == []
    assert "skipped or failed" not in first.text.splitlines()[0], first.text


# -- the circuit breaker ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 400])
def test_an_endpoint_that_keeps_failing_is_left_alone_before_exact_blocks_the_app(
    engine: Engine, status: int
) -> None:
    """Exact blocks an app after 10 errors per endpoint per hour; connector stops calling at 6."""
    engine.exact.error_budget.enforce = True
    engine.exact.faults.append(
        Fault(path="salesentry/SalesEntries$", status=status, count=10**6, body=ODATA_ERROR, method="POST")
    )
    started = engine.exact.clock.now()
    first = engine.run()
    posts = [
        call for call in api_calls(engine.exact) if call.method == "POST" and "SalesEntries" in call.path
    ]
    assert len(posts) == 6, "no call after the breaker's threshold"
    assert first.code == 1 and "PARTIAL" in first.text
    assert "stopped calling salesentry/SalesEntries after 6 errors in the last hour" in first.text
    resumes = re.search(r"calls resume at (\S+)", first.text)
    assert resumes, first.text
    assert datetime.fromisoformat(resumes.group(1)) >= started + timedelta(minutes=59)
    assert [c.status for c in api_calls(engine.exact) if "PaymentTerms" in c.path] == [200], "payments ran"
    endpoints = engine.exact.state()["errors"]["endpoints"]
    counted = [e for name, e in endpoints.items() if name.endswith(" salesentry/SalesEntries")]
    if status == 400:  # Exact counts 400, 401, 403, 404 (notes §4.6)
        assert counted and counted[0]["errors_last_hour"] == 6
    assert all(e["errors_last_hour"] < 10 and e["blocked_until"] is None for e in counted)

    engine.exact.faults.clear()
    engine.sleep(3600)
    second = engine.run()
    assert second.code == 0, second.text
    assert_each_document_once(engine)


# -- tokens ---------------------------------------------------------------------------------------


def token_calls(box: Any) -> list[CallRecord]:
    return [call for call in box.calls if "oauth2" in call.path and call.method == "POST"]


def test_access_tokens_expiring_mid_run_are_refreshed_in_time(engine: Engine) -> None:
    """A clock that runs fast (3 s per reading) over ~400 documents: hours pass, both access tokens
    expire many times, both keepers refresh before they do, and Exact never sees a refresh within
    570 s of the previous one."""
    engine.teamleader.generate(300, seed=11, start=date(2026, 1, 1), days=300, backdate=True)
    engine.tick = 3.0
    started = engine.exact.clock.now()
    outcome = engine.run()
    assert outcome.code == 0, outcome.text
    assert engine.exact.clock.now() - started > timedelta(hours=2)
    exact_tokens = token_calls(engine.exact)
    assert len(exact_tokens) >= 5 and len(token_calls(engine.teamleader)) >= 2
    assert all(call.status == 200 for call in exact_tokens + token_calls(engine.teamleader))
    moments = [datetime.fromisoformat(call.at) for call in exact_tokens]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(moments)]
    assert min(gaps) >= 570, "Exact was asked for a refresh within 570 s of the previous one"
    assert not api_calls(engine.exact, 401) and not api_calls(engine.teamleader, 401), "refreshed before"
    assert_each_document_once(engine)
