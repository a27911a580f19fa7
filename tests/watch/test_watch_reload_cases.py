"""Watch mode refuses a reload that breaks a tests: case of the rule file, and keeps the last good
rules; no services: run_once is replaced by a stand-in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.rules.model import Rules
from connector.watch import worker as watch
from connector.watch.watcher import Watcher

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme.yaml"
ENV = {
    "TEAMLEADER_CLIENT_ID": "tl-client",
    "TEAMLEADER_CLIENT_SECRET": "tl-secret-value",
    "EXACT_CLIENT_ID": "exact-client",
    "EXACT_CLIENT_SECRET": "exact-secret-value",
}


def no_run(rules: Rules, plugins: Any, *, flows: list[str], **options: Any) -> tuple[RunReport, list[str]]:
    return RunReport(rules.client, tuple(flows), datetime.now(UTC)), []


@pytest.fixture
def watching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(watch, "run_once", no_run)
    path = tmp_path / "acme.yaml"
    path.write_text(EXAMPLE.read_text())
    printed: list[str] = []
    watcher = Watcher(path, plugins=Plugins.load(), echo=printed.append, state_dir=tmp_path / "state")
    watcher.start()
    try:
        yield watcher, path.absolute(), printed
    finally:
        watcher.stop(timeout=5)


def test_a_reload_that_breaks_a_case_is_rejected_and_the_last_good_rules_keep_running(watching: Any) -> None:
    watcher, path, printed = watching
    good = watcher.workers[path].rules
    assert good.tests.cases, "the example carries cases"
    path.write_text(path.read_text().replace('revenue_account: "7010"', 'revenue_account: "7000"', 1))
    watcher.changed(path)
    assert [outcome for _, outcome, _, _ in watcher.reloads] == ["rejected"]
    assert watcher.workers[path].rules.digest == good.digest
    shown = "\n".join(printed)
    assert "test 'invoice with two VAT rates and a line discount' failed" in shown
    assert "lines[1].account: expected '7010', got '7000'" in shown
    assert "not used: its tests fail" in shown


def test_a_reload_whose_cases_pass_is_applied(watching: Any) -> None:
    watcher, path, _ = watching
    path.write_text(path.read_text().replace("every 15 minutes", "every 20 minutes", 1))
    watcher.changed(path)
    assert [outcome for _, outcome, _, _ in watcher.reloads] == ["applied"]
    assert watcher.workers[path].rules.triggers.documents.text == "every 20 minutes"
