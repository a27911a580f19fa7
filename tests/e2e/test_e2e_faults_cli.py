"""Faults a consultant meets at the terminal: the real `connector run` against faulty sandboxes.

A response lost after Exact committed the write, a second process starting while the first runs,
refresh tokens the services refuse. Each test checks the exit code and the text printed, and that
Exact holds every document Teamleader booked exactly once (by journal, type and YourRef).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from connector.contract.tokens import Tokens
from connector.state.store import StateStore
from connector.testing.e2e import World
from connector.testing.sandbox import CallRecord, Fault
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import assert_each_once
from connector_teamleader.sandbox import TeamleaderSandbox
from connector_teamleader.sandbox.testing import booked_documents

DIVISION = "1234567"


def assert_each_document_once(exact: ExactSandbox, teamleader: TeamleaderSandbox) -> None:
    assert_each_once(exact, booked_documents(teamleader))


def token_calls(box: Any) -> list[CallRecord]:
    return [call for call in box.calls if "oauth2" in call.path and call.method == "POST"]


def test_a_response_dropped_after_exact_booked_is_linked_by_the_next_run_never_doubled(
    world: World, exact: ExactSandbox, teamleader: TeamleaderSandbox
) -> None:
    exact.faults.append(Fault(path="salesentry/SalesEntries$", kind="drop", method="POST"))
    first = world.run()
    assert first.returncode == 1, first.stdout + first.stderr
    assert "PARTIAL" in first.stdout
    failed = [line for line in first.stdout.splitlines() if line.strip().startswith("failed")]
    assert len(failed) == 1 and "no answer on salesentry/SalesEntries" in failed[0], first.stdout
    assert "never doubled" in first.stdout
    posts = [c for c in exact.calls if c.method == "POST" and c.path.endswith("salesentry/SalesEntries")]
    assert posts[0].status == 201, "Exact did book the first one"

    second = world.run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "1 linked" in second.stdout and "booked" not in second.stdout
    assert_each_document_once(exact, teamleader)


def test_a_second_process_is_refused_by_the_lock_before_it_touches_a_token(
    world: World, exact: ExactSandbox, teamleader: TeamleaderSandbox
) -> None:
    """Two runs of one client would race for single-use refresh tokens: the second one never starts."""
    teamleader.faults.append(Fault(path=r"^/departments\.list$", kind="slow", delay=2.5))
    tokens_before = len(token_calls(exact)), len(token_calls(teamleader))
    assert world.rules_path is not None
    first = world.popen("run", str(world.rules_path))
    try:
        deadline = time.monotonic() + 10
        while teamleader.faults:  # taken when the first run's request arrived: it holds the lock
            assert first.poll() is None and time.monotonic() < deadline, "the first run never got there"
            time.sleep(0.02)
        second = world.run()
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert second.returncode == 4, second.stdout + second.stderr
    assert "already running" in second.stderr and f"pid {first.pid}" in second.stderr
    assert (len(token_calls(exact)), len(token_calls(teamleader))) == tokens_before, "no refresh at all"
    assert first.returncode == 0, out + err
    assert_each_document_once(exact, teamleader)


def test_a_revoked_teamleader_refresh_token_asks_for_connector_auth_without_retrying(
    world: World, exact: ExactSandbox, teamleader: TeamleaderSandbox
) -> None:
    teamleader.revoke_tokens()  # as when the integration is uninstalled
    before = len(token_calls(teamleader))
    result = world.run()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "The refresh token is invalid. (Token has been revoked)" in result.stderr
    assert "run `connector auth" in result.stderr and "source`" in result.stderr
    assert len(token_calls(teamleader)) == before + 1, "one token call, no retry loop"


def test_an_old_exact_refresh_token_asks_for_connector_auth_without_retrying(
    world: World, exact: ExactSandbox, state_dir: Path
) -> None:
    """Another copy of the state refreshed first: Exact answers "Old refresh token used."."""
    with StateStore.for_client(state_dir, "demo") as state:
        store = state.token_store("sink")
        stored = store.load()
        assert stored is not None
        exact.clock.advance(600)  # past Exact's 570 s, so the other copy's refresh is allowed
        other = httpx.post(
            f"{exact.url}/api/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": stored.refresh_token,
                "client_id": exact.client_id,
                "client_secret": exact.client_secret,
            },
        )
        assert other.status_code == 200
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)  # so this run must refresh
        store.save(Tokens(stored.access_token, stored.refresh_token, an_hour_ago, an_hour_ago))
    before = len(token_calls(exact))
    result = world.run()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Old refresh token used." in result.stderr
    assert "run `connector auth" in result.stderr and "sink`" in result.stderr
    assert len(token_calls(exact)) == before + 1, "one token call, no retry loop"
    assert [c.status for c in token_calls(exact)][-1] == 401


def test_a_refused_refresh_token_names_the_rule_file_to_authorize_again(
    world: World, teamleader: TeamleaderSandbox
) -> None:
    teamleader.revoke_tokens()
    result = world.run()
    assert result.returncode == 3
    assert f"run `connector auth {world.rules_path} source`" in result.stderr, result.stderr
