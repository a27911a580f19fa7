"""Loading plugins, and the one typed facade through which the core calls hooks.

`Plugins.load()` builds a fresh plugin manager (never at import time), registers the core's own
default plugin, loads every plugin of the `connector` entry-point group except those named in
``CONNECTOR_DISABLE_PLUGINS`` (comma-separated), and calls `check_pending()` so that a misspelled
hook name fails loudly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

import pluggy

from connector.contract import hookspecs
from connector.contract.errors import PluginError, Problem
from connector.contract.reconciliation import Reconciliation
from connector.contract.report import RunReport
from connector.contract.sandboxes import SandboxFactory
from connector.contract.services import Service, Sink, Source
from connector.rules.model import Rules

DISABLE_ENV = "CONNECTOR_DISABLE_PLUGINS"

S = TypeVar("S", bound=Service)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    hooks: tuple[str, ...]


def disabled_plugins(environ: dict[str, str] | None = None) -> set[str]:
    raw = (environ if environ is not None else os.environ).get(DISABLE_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


class Plugins:
    """The plugin manager behind a typed facade: the only place that spells hook names."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self._sources: dict[str, type[Source]] | None = None
        self._sinks: dict[str, type[Sink]] | None = None

    @classmethod
    def load(cls, *, disabled: Iterable[str] | None = None, entry_points: bool = True) -> Plugins:
        manager = pluggy.PluginManager(hookspecs.PROJECT)
        manager.add_hookspecs(hookspecs)
        from connector.reporting.notify import Notifier  # the core's own behaviour goes through the hooks too

        manager.register(Notifier(), name="connector.notify")
        blocked = set(disabled) if disabled is not None else disabled_plugins()
        for name in blocked:
            manager.set_blocked(name)
        if entry_points:
            try:
                manager.load_setuptools_entrypoints(hookspecs.PROJECT)
            except Exception as error:
                raise PluginError(
                    f"a plugin failed to load: {error}",
                    hint=f"reinstall it, or disable it with {DISABLE_ENV}=<name>",
                ) from error
        try:
            manager.check_pending()
        except pluggy.PluginValidationError as error:
            raise PluginError(
                str(error), hint="the plugin implements a hook connector does not know"
            ) from error
        return cls(manager)

    # -- registration ---------------------------------------------------------------------------

    def _collect(self, hook: Any, kind: str, base: type[S]) -> dict[str, type[S]]:
        found: dict[str, type[S]] = {}

        def register(service: type[S]) -> None:
            if not (isinstance(service, type) and issubclass(service, base)):
                raise PluginError(f"register_{kind}s: {service!r} is not a {base.__name__} subclass")
            name = getattr(service, "name", None)
            if not isinstance(name, str) or not name:
                raise PluginError(f"register_{kind}s: {service.__name__} has no `name`")
            if name in found:
                raise PluginError(
                    f"two plugins register a {kind} named {name!r}: "
                    f"{found[name].__module__} and {service.__module__}",
                    hint=f"uninstall one, or disable it with {DISABLE_ENV}",
                )
            found[name] = service

        hook(register=register)
        return found

    def sources(self) -> dict[str, type[Source]]:
        if self._sources is None:
            self._sources = self._collect(self.manager.hook.register_sources, "source", Source)
        return self._sources

    def sinks(self) -> dict[str, type[Sink]]:
        if self._sinks is None:
            self._sinks = self._collect(self.manager.hook.register_sinks, "sink", Sink)
        return self._sinks

    def sandboxes(self) -> dict[str, SandboxFactory]:
        found: dict[str, SandboxFactory] = {}

        def register(name: str, factory: SandboxFactory) -> None:
            if name in found:
                raise PluginError(f"two plugins register a sandbox named {name!r}")
            found[name] = factory

        self.manager.hook.register_sandboxes(register=register)
        return found

    # -- rule loading ---------------------------------------------------------------------------

    def validate_rules(self, rules: Rules) -> list[Problem]:
        results: list[list[Problem] | None] = self.manager.hook.validate_rules(rules=rules)
        return [problem for problems in results if problems for problem in problems]

    # -- observers ------------------------------------------------------------------------------

    def run_started(self, rules: Rules, flows: tuple[str, ...], dry_run: bool) -> None:
        self._observe(self.manager.hook.run_started, rules=rules, flows=flows, dry_run=dry_run)

    def run_finished(self, rules: Rules, report: RunReport) -> None:
        self._observe(self.manager.hook.run_finished, rules=rules, report=report)

    def reconcile_finished(self, rules: Rules, result: Reconciliation) -> None:
        self._observe(self.manager.hook.reconcile_finished, rules=rules, result=result)

    def _observe(self, hook: pluggy.HookCaller, **kwargs: Any) -> None:
        """Call an observer hook; one failing observer never stops a sync or the others."""
        import logging

        log = logging.getLogger("connector.plugins")
        for impl in reversed(hook.get_hookimpls()):
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook.name)

    # -- introspection --------------------------------------------------------------------------

    def info(self) -> list[PluginInfo]:
        versions = {
            ep.name: dist.version
            for dist in metadata.distributions()
            for ep in dist.entry_points
            if ep.group == hookspecs.PROJECT
        }
        rows = []
        for name, plugin in self.manager.list_name_plugin():
            if plugin is None:
                continue
            hooks = tuple(sorted(impl.name for impl in self.manager.get_hookcallers(plugin) or []))
            rows.append(PluginInfo(name, versions.get(name, "-"), hooks))
        return sorted(rows, key=lambda row: row.name)
