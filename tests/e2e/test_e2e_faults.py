"""Faults injected into the sandboxes while the engine runs in this process on their simulated clock.

Every waiting (backoff, rate budget, token intervals) advances both sandboxes' clocks instead of
sleeping, so an hour of 429s and retries costs milliseconds. Each test ends by counting what Exact
holds per (journal, type, YourRef) against what Teamleader has booked in the rule file's range: no
document missing, none booked twice. What the user sees is the rendered report and its exit code.
The CLI-level faults (dropped answers, the client lock, refused tokens) are in test_e2e_faults_cli.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fault_engine import (
    ODATA_ERROR,
    Engine,
    api_calls,
    assert_each_document_once,
    entry_posts,
    sent_twice,
    wait_for,
)

from connector.testing.sandbox import Fault
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import entry_keys
from connector_teamleader.sandbox.testing import booked_documents

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
    read = [
        json.loads(call.body)["id"]
        for call in api_calls(engine.teamleader)
        if call.path in ("/invoices.info", "/creditNotes.info")
    ]
    assert len(read) == len(set(read)), "over the two days, no document was read twice"


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
