"""The plugin contract: each hook does what docs/plugins.md promises, through the real plugin manager."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from connector import hookimpl
from connector.contract import hookspecs
from connector.contract.errors import PluginError, Problem
from connector.contract.plugins import Plugins
from connector.contract.reconciliation import Reconciliation
from connector.contract.report import RunReport
from connector.contract.services import Sink, Source
from connector.rules.model import Rules
from connector.testing.rules import make_rules as base_rules

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(
    name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "connector_spec")
)


def make_rules() -> Rules:
    return base_rules(
        locations={"payment_terms.default": (12, 3)},
    )


@pytest.fixture
def plugins() -> Iterator[Callable[[object], Plugins]]:
    """Installed plugins plus temporary ones, always unregistered after the test."""
    loaded = Plugins.load()
    added: list[object] = []

    def with_plugin(plugin: object) -> Plugins:
        loaded.manager.register(plugin)
        added.append(plugin)
        return loaded

    yield with_plugin
    for plugin in added:
        loaded.manager.unregister(plugin)


class FakeSource(Source):
    name = "fake_source"


class FakeSink(Sink):
    name = "fake_sink"


def test_every_hook_is_documented_with_its_signature() -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text()
    for name in HOOKS:
        arguments = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"`{name}({arguments})`" in docs, f"docs/plugins.md does not document {name}({arguments})"


def test_every_hook_has_a_test() -> None:
    tests = re.findall(r"def (test_hook_\w+)\(", Path(__file__).read_text())
    untested = [name for name in HOOKS if not any(test.startswith(f"test_hook_{name}") for test in tests)]
    assert not untested, f"hooks without a test_hook_<name>: {untested}"


def test_hook_register_sources(plugins: Callable[[object], Plugins]) -> None:
    class Plugin:
        @hookimpl
        def register_sources(self, register: Callable[[type[Source]], None]) -> None:
            register(FakeSource)

    loaded = plugins(Plugin())
    assert loaded.sources()["fake_source"] is FakeSource
    assert "teamleader" in loaded.sources(), "installed plugins still register theirs"


def test_hook_register_sources_refuses_a_duplicate_name(plugins: Callable[[object], Plugins]) -> None:
    class Twice:
        @hookimpl
        def register_sources(self, register: Callable[[type[Source]], None]) -> None:
            register(FakeSource)
            register(FakeSource)

    with pytest.raises(PluginError, match="two plugins register a source named 'fake_source'"):
        plugins(Twice()).sources()


def test_hook_register_sinks(plugins: Callable[[object], Plugins]) -> None:
    class Plugin:
        @hookimpl
        def register_sinks(self, register: Callable[[type[Sink]], None]) -> None:
            register(FakeSink)

    loaded = plugins(Plugin())
    assert loaded.sinks()["fake_sink"] is FakeSink
    assert "exact_online" in loaded.sinks()


def test_hook_register_sinks_refuses_what_is_not_a_sink(plugins: Callable[[object], Plugins]) -> None:
    class Plugin:
        @hookimpl
        def register_sinks(self, register: Callable[[Any], None]) -> None:
            register(FakeSource)

    with pytest.raises(PluginError, match="is not a Sink subclass"):
        plugins(Plugin()).sinks()


def test_hook_register_sandboxes(plugins: Callable[[object], Plugins]) -> None:
    started: list[int] = []

    class Plugin:
        @hookimpl
        def register_sandboxes(self, register: Callable[[str, Any], None]) -> None:
            register("fake_source", lambda *, seed=True, port=0: started.append(port))

    sandboxes = plugins(Plugin()).sandboxes()
    assert {"teamleader", "exact_online", "fake_source"} <= set(sandboxes)
    sandboxes["fake_source"](seed=False, port=0)
    assert started == [0]


def test_hook_validate_rules(plugins: Callable[[object], Plugins]) -> None:
    class Plugin:
        @hookimpl
        def validate_rules(self, rules: Rules) -> list[Problem]:
            line, column = rules.where("payment_terms.default")
            return [Problem(line, column, "payment_terms.default", "not known to the fake sink")]

    problems = plugins(Plugin()).validate_rules(make_rules())
    assert problems == [Problem(12, 3, "payment_terms.default", "not known to the fake sink")]


def test_hook_run_started(plugins: Callable[[object], Plugins]) -> None:
    seen: list[tuple[str, tuple[str, ...], bool]] = []

    class Plugin:
        @hookimpl
        def run_started(self, rules: Rules, flows: tuple[str, ...], dry_run: bool) -> None:
            seen.append((rules.client, flows, dry_run))

    plugins(Plugin()).run_started(make_rules(), ("documents", "payments"), True)
    assert seen == [("acme", ("documents", "payments"), True)]


def test_hook_run_finished_survives_a_failing_observer(plugins: Callable[[object], Plugins]) -> None:
    seen: list[str] = []

    class Broken:
        @hookimpl
        def run_finished(self, rules: Rules, report: RunReport) -> None:
            raise RuntimeError("observer bug")

    class Recorder:
        @hookimpl
        def run_finished(self, rules: Rules, report: RunReport) -> None:
            seen.append(report.status)

    plugins(Broken())
    loaded = plugins(Recorder())
    report = RunReport(client="acme", flows=("documents",), started_at=datetime.now(UTC))
    loaded.run_finished(make_rules(), report)
    assert seen == ["success"]


def test_hook_reconcile_finished_hears_each_result_and_survives_a_failing_observer(
    plugins: Callable[[object], Plugins],
) -> None:
    seen: list[tuple[str, bool]] = []

    class Broken:
        @hookimpl
        def reconcile_finished(self, rules: Rules, result: Reconciliation) -> None:
            raise RuntimeError("observer bug")

    class Recorder:
        @hookimpl
        def reconcile_finished(self, rules: Rules, result: Reconciliation) -> None:
            seen.append((rules.client, result.agrees))

    plugins(Broken())
    loaded = plugins(Recorder())
    loaded.reconcile_finished(make_rules(), Reconciliation(date(2027, 2, 1), date(2027, 2, 28), (), (), 0, 0))
    assert seen == [("acme", True)]


def test_a_misspelled_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def register_source(self, register: Callable[[Any], None]) -> None:  # missing "s"
            pass

    loaded = Plugins.load()
    loaded.manager.register(Typo())
    with pytest.raises(Exception, match="unknown hook 'register_source'"):
        loaded.manager.check_pending()


def test_disabled_plugins_do_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECTOR_DISABLE_PLUGINS", "teamleader")
    loaded = Plugins.load()
    assert "teamleader" not in loaded.sources()
    assert "exact_online" in loaded.sinks()
