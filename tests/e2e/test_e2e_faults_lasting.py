"""Faults that last: an endpoint that keeps failing (the circuit breaker), and tokens that expire in
the middle of a run. The harness is tests/fault_engine.py, as for test_e2e_faults.py."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fault_engine import (
    ODATA_ERROR,
    Engine,
    api_calls,
    assert_each_document_once,
)

from connector.engine.flows import document_reader
from connector.testing.sandbox import CallRecord, Fault

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


def test_access_tokens_expiring_mid_run_are_refreshed_in_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clock that runs fast (5 s per reading of the booking thread) over ~400 documents: hours
    pass, both access tokens expire many times, both keepers refresh before they do, and Exact never
    sees a refresh within 570 s of the previous one."""
    engine.teamleader.generate(300, seed=11, start=date(2026, 1, 1), days=300, backdate=True)
    engine.tick = 5.0
    # Read ahead little, so that Teamleader's calls spread over the whole run as Exact's do.
    monkeypatch.setattr(document_reader, "READ_AHEAD", 5)
    monkeypatch.setattr(document_reader, "DETAILS_BATCH", 5)
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
