"""`connector status` and `connector history` as a consultant reads them, and the raw state as JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.contract.plugins import Plugins
from connector.testing.e2e import World
from connector.watch.watcher import Watcher
from connector_exact.sandbox import ExactSandbox
from connector_teamleader.sandbox import TeamleaderSandbox

CUSTOMER = "Brouwerij De Klok BV"
TRIGGERS = {"triggers": {"documents": "every 15 minutes", "payments": "every 10 minutes"}}


@pytest.fixture
def one_skipped(later: World, teamleader: TeamleaderSandbox) -> World:
    """One run: one invoice booked, one skipped for an unmapped tax rate."""
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-01", lines=[{"price": 100}])
    teamleader.book_invoice(customer=CUSTOMER, date="2027-03-02", lines=[{"price": 9, "tax": "12%"}])
    later.write_rules({"vat": {"12%": None}, **TRIGGERS})
    assert later.run().returncode == 1
    return later


def test_status_says_what_a_paused_sync_left_to_book(
    later: World, teamleader: TeamleaderSandbox, exact: ExactSandbox
) -> None:
    for day in range(1, 21):
        teamleader.book_invoice(customer=CUSTOMER, date=f"2027-03-{day:02d}", lines=[{"price": 10 * day}])
    exact.limiter.per_day = 20
    result = later.run()
    assert result.returncode == 1 and "PAUSED" in result.stdout, result.stdout + result.stderr
    out = status_of(later, "--offline")
    assert "PAUSED: stopped early, nothing failed" in out, "not 'some records were skipped or failed'"
    found = re.search(r"to book\s+(\d+) left by a paused run \((\d+) read and kept, (\d+) listed\)", out)
    assert found, out
    assert int(found[1]) == int(found[2]) + int(found[3]) > 0
    assert "interrupted mid-write" not in out, "a write refused before it was sent is in no doubt"


def status_of(world: World, *options: str) -> str:
    result = world.cli("status", str(world.rules_path), *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_status_says_how_the_last_run_went_what_waits_and_until_when_it_is_authorized(
    one_skipped: World,
) -> None:
    out = status_of(one_skipped)
    assert re.search(r"last run +run 1 at 20\d\d-.* UTC \(\d+ s ago\), documents and payments: PARTIAL", out)
    assert "documents: 1 booked, 1 skipped" in out
    assert "documents   1 in the books; 0 failed, 1 skipped" in out
    assert "waiting     1 for a fix (below)" in out and "tax rate '12%' is not mapped" in out
    assert "what to do: add it under vat" in out
    # Exact's refresh token lapses after 30 days unused (docs/api/exact-online.md §2.2); Teamleader's not
    assert re.search(r"sink: works, connected as Demo Boekhouder\n +valid until .* \(in (29|30) days\)", out)
    assert "source: works" in out and "valid until revoked in the service" in out
    assert re.search(r"sink: \d+ of 1000000 calls left today, resets", out)
    assert "source: no daily limit announced" in out
    assert "watch mode is not running: `connector run RULES --watch` starts it" in out
    assert "documents every 15 minutes, last " in out
    for internal in ("updated_since", "intent", "booked.invoices", '"seen"', "target_cursor"):
        assert internal not in out, f"{internal} is an internal: it belongs in --json"


def test_status_offline_shows_the_budget_the_last_run_left(one_skipped: World) -> None:
    out = status_of(one_skipped, "--offline")
    assert "source: not checked" in out
    assert re.search(r"sink: \d+ of 1000000 calls left today", out)
    assert "(as the last run left it; without --offline status reads it now)" in out


def test_status_json_has_the_raw_state_with_cursors_as_json_objects(one_skipped: World) -> None:
    data = json.loads(status_of(one_skipped, "--json", "--offline"))
    assert data["ledger"]["booked"] == 1 and data["ledger"]["skipped"] == 1
    assert [t["works"] for t in data["tokens"]] == [None, None]  # --offline calls nobody
    assert data["waiting"][0]["status"] == "skipped" and data["last_run"]["status"] == "partial"
    cursor = data["cursors"]["documents.updated_since"]
    assert isinstance(cursor, dict) and "since" in cursor, "an object, not JSON text inside JSON"
    assert isinstance(data["cursors"]["payments.target_cursor"], str), "a 64-bit timestamp stays exact"
    assert (
        data["tokens"][1]["refresh_token_lapses_at"] and data["tokens"][0]["refresh_token_lapses_at"] is None
    )
    assert data["budgets"]["sink"]["limit"] == 1_000_000 and data["budgets_live"] is False
    assert [item["flow"] for item in data["schedule"]] == ["documents", "payments"]


@pytest.fixture
def watched(one_skipped: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for key, value in one_skipped.environment.items():
        monkeypatch.setenv(key, value)
    assert one_skipped.rules_path is not None
    watcher = Watcher(one_skipped.rules_path, plugins=Plugins.load(), echo=lambda _: None)
    watcher.start()
    try:
        yield one_skipped
    finally:
        watcher.stop()


def test_status_while_watch_mode_runs_says_when_each_flow_runs_next(watched: World) -> None:
    out = status_of(watched)
    assert "sink: not checked while watch mode has the client" in out
    assert re.search(r"watch mode is running \(pid \d+ on .+\):", out)
    assert re.search(r"documents \(every 15 minutes\) (now|20\d\d-.* UTC \(in 1[45] min\))", out)
    assert re.search(r"payments \(every 10 minutes\) (now|20\d\d-.* UTC \(in (9|10) min\))", out)


def test_history_says_what_each_run_did_without_counting_documents_twice(one_skipped: World) -> None:
    path: Path = one_skipped.rules_path  # type: ignore[assignment]
    history = one_skipped.cli("history", str(path))
    assert history.returncode == 0
    assert re.search(r"run +started +took +flows +result +what happened", history.stdout)
    assert (
        "documents, payments  PARTIAL  documents: 1 booked, 1 skipped; customers: 1 created" in history.stdout
    )
    assert "booked.invoices" not in history.stdout
    runs = json.loads(one_skipped.cli("history", str(path), "--json", "--limit", "5").stdout)
    assert [run["status"] for run in runs] == ["partial"]
    missing = one_skipped.cli("history", str(path), "--run", "999")
    assert missing.returncode == 5 and "has no run 999" in missing.stderr
    one = one_skipped.cli("history", str(path), "--run", str(runs[0]["id"]))
    assert "skipped invoice:" in one.stdout and "what to do: add it under vat:" in one.stdout
