"""The engine's entry point: one run of a client's flows, under its lock, with its state and report.

A run loads the rules, takes the client's lock, opens its state, builds the source and the sink,
runs the flows in DESIGN §8's order (customer import, documents, payments), and always stores its
report and tells the `run_finished` observers, also when it stopped on an error.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from connector.contract import secrets
from connector.contract.errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    ConfigurationError,
    ConnectorError,
    Paused,
)
from connector.contract.plugins import Plugins
from connector.contract.report import RunReport
from connector.contract.services import ServiceContext, Sink, Source, utcnow
from connector.engine.flows.attachments import check_capable
from connector.engine.run import FlowFunction, Run
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.refcache import ReferenceCache
from connector.state.store import StateErrorLog, StateStore

log = logging.getLogger("connector.engine")

FLOW_ORDER = ("customers", "documents", "payments")


def flows_for(rules: Rules, only: str | None) -> tuple[str, ...]:
    """The flows a plain run does, in order; `only` narrows it to one."""
    if only:
        return (only,)
    wanted = []
    if rules.sync.import_customers:
        wanted.append("customers")
    if rules.sync.invoices or rules.sync.credit_notes:
        wanted.append("documents")
    wanted.append("payments")
    return tuple(flow for flow in FLOW_ORDER if flow in wanted)


def flow_function(name: str) -> FlowFunction:
    if name == "documents":
        from connector.engine.flows.documents import sync_documents

        return sync_documents
    if name == "payments":
        from connector.engine.flows.payments import sync_payments

        return sync_payments
    if name == "customers":
        from connector.engine.flows.customers import import_customers

        return import_customers
    raise ConfigurationError(f"unknown flow {name!r}", hint="use documents, payments or customers")


def build_services(
    rules: Rules, plugins: Plugins, state: StateStore, context_overrides: dict[str, object] | None = None
) -> tuple[Source, Sink]:
    sources, sinks = plugins.sources(), plugins.sinks()
    source_class = sources.get(rules.source.plugin)
    sink_class = sinks.get(rules.sink.plugin)
    if source_class is None or sink_class is None:
        missing = rules.source.plugin if source_class is None else rules.sink.plugin
        raise ConfigurationError(
            f"plugin {missing!r} is not installed",
            hint=f"installed: {', '.join(sorted({*sources, *sinks}))}; install it or fix the rule file",
        )
    extra: dict[str, object] = {"errors": StateErrorLog(state), **(context_overrides or {})}
    source = source_class(
        rules.source.options,
        ServiceContext(rules.client, "source", tokens=state.token_store("source"), **extra),  # type: ignore[arg-type]
    )
    sink = sink_class(
        rules.sink.options,
        ServiceContext(rules.client, "sink", tokens=state.token_store("sink"), **extra),  # type: ignore[arg-type]
    )
    return source, sink


def run_once(
    rules: Rules,
    plugins: Plugins,
    *,
    flows: Sequence[str],
    dry_run: bool = False,
    since: date | None = None,
    retry_failed: bool = False,
    state_dir: Path | None = None,
    context_overrides: dict[str, object] | None = None,
    lock: bool = True,
    stop: threading.Event | None = None,
    on_run: Callable[[Run], None] | None = None,
) -> tuple[RunReport, list[str]]:
    """One run of `flows` for one client; returns its report and, for a dry run, the plan.

    `lock=False` when the caller already holds the client's lock (watch mode holds it for its life).
    `on_run` is called with the `Run` before its flows start: to show progress, or to read the
    planned entries and the services' budgets after it returned.
    """
    directory = state_dir_for(rules.path or Path("."), state_dir)
    report = RunReport(client=rules.client, flows=tuple(flows), started_at=utcnow(), dry_run=dry_run)
    held = ClientLock(directory, rules.client) if lock else contextlib.nullcontext()
    with held, StateStore.for_client(directory, rules.client) as state:
        source, sink = build_services(rules, plugins, state, context_overrides)
        check_capable(rules, source, sink)
        kept = ReferenceCache.for_client(directory, rules.client)
        if (earlier := kept.fresh_source_state(source)) is not None:
            source.prime_reference(earlier)
        run = Run(
            rules,
            state,
            source,
            sink,
            report,
            dry_run=dry_run,
            since=since,
            stop=stop,
            retry_failed=retry_failed,
        )
        if on_run is not None:
            on_run(run)
        plugins.run_started(rules, tuple(flows), dry_run)
        try:
            for name in flows:
                try:
                    flow_function(name)(run)
                except Paused as error:  # this flow stops here; the next may still have budget
                    report.incomplete = True
                    report.notices.append(f"{name}: {error.message}; {error.hint}")
        except ConnectorError as error:
            report.error = secrets.mask(str(error))
            raise
        except Exception as error:
            report.error = secrets.mask(f"unexpected: {error!r}")
            raise
        finally:
            report.finished_at = utcnow()
            report.calls = {"source": source.calls_used, "sink": sink.calls_used}
            report.budgets = {
                side: budget.to_dict()
                for side, service in (("source", source), ("sink", sink))
                if (budget := service.context.day_budget) is not None
            }
            for notice in (*source.context.notices, *sink.context.notices):
                if notice not in report.notices:
                    report.notices.append(notice)
            source.close()
            sink.close()
            if not dry_run:
                state.save_run(report)
                if (read := source.reference_state()) is not None:
                    with contextlib.suppress(OSError):  # a cache: the next run reads again
                        kept.store_source_state(source, read)
            plugins.run_finished(rules, report)
    return report, run.plan


def exit_code(report: RunReport) -> int:
    return EXIT_OK if report.status == "success" else EXIT_PARTIAL
