"""The plugin contract: every hook connector calls, in one file.

Plugins implement hooks with `from connector import hookimpl` and are found through the `connector`
entry-point group (see docs/plugins.md). Contributions come through `register_*(register)` hooks: the
core owns `register`, so a duplicate or malformed registration gets one clear message from one place.
Hook calls go through `connector.contract.plugins.Plugins`; no other module spells hook names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from connector.contract.errors import Problem
    from connector.contract.reconciliation import Reconciliation
    from connector.contract.report import RunReport
    from connector.contract.sandboxes import SandboxFactory
    from connector.contract.services import Sink, Source
    from connector.rules.model import Rules

PROJECT = "connector"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------------------------------
# Registration: called once per process, when the plugin manager is first asked for sources, sinks
# or sandboxes.
# ---------------------------------------------------------------------------------------------------


@hookspec
def register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register the source classes this plugin provides.

    Called once when connector builds its list of sources. Call ``register(SourceClass)`` for each;
    the class's ``name`` is what a rule file writes under ``source.plugin``, and its
    ``options_schema`` is the JSON Schema of that section. Return nothing.
    """


@hookspec
def register_sinks(register: Callable[[type[Sink]], None]) -> None:
    """Register the sink classes this plugin provides.

    Called once when connector builds its list of sinks. Call ``register(SinkClass)`` for each; the
    class's ``name`` is what a rule file writes under ``sink.plugin``. Return nothing.
    """


@hookspec
def register_sandboxes(register: Callable[[str, SandboxFactory], None]) -> None:
    """Register local simulators of the services this plugin talks to.

    Called by ``connector sandbox`` and ``connector demo``, and by tests. Call
    ``register(name, factory)`` where ``name`` is the plugin name the simulator stands in for and
    ``factory(seed=True, port=0)`` starts it and returns a running `connector.contract.sandboxes.Sandbox`.
    Return nothing.
    """


# ---------------------------------------------------------------------------------------------------
# Rule loading: called after a rule file passed the schema and the core's offline checks.
# ---------------------------------------------------------------------------------------------------


@hookspec
def validate_rules(rules: Rules) -> list[Problem] | None:
    """Offline checks of a plugin's own rules that a JSON Schema cannot express.

    Called for every rule file that passed the schema, with the loaded ``rules``. Return the
    problems found (each with the line and column from ``rules.where(path)``), or None. All
    implementations are called and their problems reported together.
    """


# ---------------------------------------------------------------------------------------------------
# Sync: observers of runs. They must not raise; a failing observer is logged and never stops a sync.
# ---------------------------------------------------------------------------------------------------


@hookspec
def run_started(rules: Rules, flows: tuple[str, ...], dry_run: bool) -> None:
    """A run of ``flows`` (in order) is about to start for ``rules.client``.

    Called after the client's lock is taken and before any API call. Return nothing.
    """


@hookspec
def run_finished(rules: Rules, report: RunReport) -> None:
    """A run ended, successfully or not; ``report`` is what it did, already stored.

    Called once per run, also when the run stopped on an error (then ``report.error`` is set).
    Notifications (log, webhook, e-mail) hang on this hook. Return nothing.
    """


@hookspec
def reconcile_finished(rules: Rules, result: Reconciliation) -> None:
    """`connector reconcile` compared a period for ``rules.client`` (by hand, or on watch mode's
    ``triggers.reconcile``); ``result`` holds its differences and totals (``result.to_dict()`` is
    the JSON of ``reconcile --json``). Not called for a dry run. Notifications hang on this hook
    too. Return nothing.
    """
