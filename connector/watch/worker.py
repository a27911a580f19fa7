"""One client in watch mode: a worker thread that runs the flows whose trigger is due, one run at a
time, so runs of one client never overlap; a reload waits for the run in hand."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from connector.contract import secrets
from connector.contract.errors import ConnectorError
from connector.contract.plugins import Plugins
from connector.contract.services import Sink, Source
from connector.engine.reconcile_run import last_month, reconcile_once
from connector.engine.runner import FLOW_ORDER, build_services, run_once
from connector.reporting.reconciliation import render as render_reconciliation
from connector.reporting.render import render_report
from connector.rules.model import Rules, Trigger
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.store import StateStore
from connector.watch.listener import BookedListener

log = logging.getLogger("connector.watch")

TICK = 0.2  # how often a worker looks at the clock
RECONCILE = "reconcile"  # not a flow of a run: `connector reconcile` of the month before


def utcnow() -> datetime:
    return datetime.now(UTC)


def next_time(trigger: Trigger, after: datetime) -> datetime:
    """The first moment strictly after `after` at which `trigger` is due (daily and monthly times
    are local)."""
    if trigger.every is not None:
        return after + trigger.every
    assert trigger.daily_at is not None
    local = after.astimezone()
    candidate = local.replace(
        hour=trigger.daily_at.hour, minute=trigger.daily_at.minute, second=0, microsecond=0
    )
    if trigger.monthly_on is not None:
        candidate = candidate.replace(day=trigger.monthly_on)
        if candidate <= local:
            month = candidate.month % 12 + 1
            candidate = candidate.replace(year=candidate.year + (month == 1), month=month)
        return candidate.astimezone(UTC)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)


def triggered_flows(rules: Rules, only: str | None) -> dict[str, Trigger]:
    flows = {flow: trigger for flow in FLOW_ORDER if (trigger := rules.triggers.get(flow)) is not None}  # type: ignore[arg-type]
    if flows.get("customers") and not rules.sync.import_customers:
        del flows["customers"]
    if only:
        flows = {flow: trigger for flow, trigger in flows.items() if flow == only}
    elif rules.triggers.reconcile is not None:
        flows[RECONCILE] = rules.triggers.reconcile
    return flows


@dataclass
class ClientWorker:
    """One client: its last good rules, its schedule, and the thread that runs it."""

    path: Path
    rules: Rules
    plugins: Plugins
    only: str | None
    state_dir: Path | None
    echo: Callable[[str], None]
    clock: Callable[[], datetime] = utcnow
    stop_all: threading.Event = field(default_factory=threading.Event)
    context_overrides: dict[str, object] | None = None
    due: dict[str, datetime] = field(default_factory=dict)
    running: bool = False
    runs: int = 0
    removed: threading.Event = field(default_factory=threading.Event)
    _pending: Rules | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _lock: ClientLock | None = None
    _listener: BookedListener | None = None
    _requested: set[str] = field(default_factory=set)
    last_started: dict[str, datetime] = field(default_factory=dict)  # when each flow's last run began

    @property
    def client(self) -> str:
        return self.rules.client

    def start(self) -> None:
        directory = state_dir_for(self.path, self.state_dir)
        self._lock = ClientLock(directory, self.client, purpose="watch mode")
        self._lock.acquire()  # held for the whole watch: a manual run of this client must wait
        self._schedule_all(self.rules)
        self._listen(self.rules)
        self._thread = threading.Thread(target=self._loop, name=f"client-{self.client}", daemon=True)
        self._thread.start()

    def now(self, flow: str) -> None:
        """Run `flow` as soon as the run in progress (if any) is over."""
        with self._guard:
            if self.running:
                self._requested.add(flow)  # the document may have been booked after the run read
            else:
                self.due[flow] = min(self.due.get(flow, self.clock()), self.clock())

    def _listen(self, rules: Rules) -> None:
        """Open the listener for `triggers.immediate` and ask the source to call it."""
        immediate = rules.triggers.immediate
        if immediate is None or self.only not in (None, "documents"):
            return
        self._listener = BookedListener(
            immediate.host, immediate.port, urlsplit(immediate.public_url).path, lambda: self.now("documents")
        )
        self._listener.start()
        try:
            with self._services(rules) as (source, _sink):
                source.subscribe(immediate.public_url)
            self.echo(
                f"{rules.client}: documents sync moments after booking (listening on "
                f"{immediate.host}:{immediate.port})"
            )
        except (ConnectorError, NotImplementedError) as error:
            self.echo(f"{rules.client}: immediate sync is off: {secrets.mask(str(error))}")

    def _unsubscribe(self) -> None:
        """Ask the source to stop calling a listener that is gone (best effort, never raises)."""
        immediate = self.rules.triggers.immediate
        if immediate is None:
            return
        try:
            with self._services(self.rules) as (source, _sink):
                source.unsubscribe(immediate.public_url)
        except Exception as error:  # shutting down: say it, do not fail the stop
            log.warning("%s: could not unregister %s: %s", self.client, immediate.public_url, error)

    @contextlib.contextmanager
    def _services(self, rules: Rules) -> Iterator[tuple[Source, Sink]]:
        directory = state_dir_for(self.path, self.state_dir)
        with StateStore.for_client(directory, rules.client) as store:
            source, sink = build_services(rules, self.plugins, store, self.context_overrides)
            try:
                yield source, sink
            finally:
                source.close()
                sink.close()

    def offer(self, rules: Rules) -> str:
        """New valid rules: applied now when idle, else right after the run in progress."""
        with self._guard:
            if self.running:
                self._pending = rules
                return "accepted; applies after the run in progress"
            self._apply(rules)
            return "applied"

    def stop(self) -> None:
        """Stop after the current run (a removed rule file)."""
        self.removed.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
            self._unsubscribe()
        if self._lock is not None and (self._thread is None or not self._thread.is_alive()):
            self._lock.release()

    # -- inside the worker thread ---------------------------------------------------------------

    def _apply(self, rules: Rules) -> None:
        """New rules between two runs. A flow whose trigger did not change keeps its place in the
        schedule; a changed or newly enabled trigger follows its own rule from the flow's last run."""
        old = triggered_flows(self.rules, self.only)
        self.rules = rules
        new = triggered_flows(rules, self.only)
        now = self.clock()
        due: dict[str, datetime] = {}
        for flow, trigger in new.items():
            kept = self.due.get(flow)
            if kept is not None and flow in old and old[flow].text == trigger.text:
                due[flow] = kept
            else:
                due[flow] = self._first_due(flow, trigger, now)
        for flow, moment in self.due.items():
            if flow not in new and flow not in old:
                due[flow] = moment  # asked for by the immediate listener: still wanted
        self.due = due
        if not new:
            log.warning("%s: no trigger in the rule file: watch mode runs nothing for it", rules.client)
        log.info("%s: reload applied (sha256 %s)", rules.client, rules.digest[:12])

    def _first_due(self, flow: str, trigger: Trigger, now: datetime) -> datetime:
        """When a flow with a new trigger is first due: `every` counts from the flow's last run (at
        once when it never ran or that is overdue); `daily at` waits for its next time."""
        if trigger.every is None:
            return next_time(trigger, now)
        last = self.last_started.get(flow) or self._last_run_from_state(flow)
        if last is None:
            return now
        return max(next_time(trigger, last), now)

    def _last_run_from_state(self, flow: str) -> datetime | None:
        """When the last run with `flow` started, from the client's run history (a manual run, say)."""
        directory = state_dir_for(self.path, self.state_dir)
        try:
            with StateStore.for_client(directory, self.client) as store:
                for run in store.runs(50):
                    if flow in run.flows:
                        return run.started_at
        except Exception as error:  # a schedule must not fail on history: run at once instead
            log.warning("%s: run history unreadable (%s); %s runs at once", self.client, error, flow)
        return None

    def _schedule_all(self, rules: Rules) -> None:
        """Watch mode starts: every flow with a trigger runs at once."""
        now = self.clock()
        flows = triggered_flows(rules, self.only)
        self.due = dict.fromkeys(flows, now)
        if RECONCILE in flows:  # a month's proof is not made at every start, only on its trigger
            self.due[RECONCILE] = next_time(flows[RECONCILE], now)
        if not flows:
            log.warning("%s: no trigger in the rule file: watch mode runs nothing for it", rules.client)

    def _loop(self) -> None:
        while not (self.stop_all.is_set() or self.removed.is_set()):
            now = self.clock()
            with self._guard:
                ready = [
                    flow for flow in (*FLOW_ORDER, RECONCILE) if flow in self.due and self.due[flow] <= now
                ]
            if ready:
                self._run(ready)
                continue
            self.stop_all.wait(TICK)
        log.info("%s: stopped", self.client)

    def _guarded(self, rules: Rules, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except ConnectorError as error:  # one client's failure never stops another
            self.echo(f"{rules.client}: {what} failed: {secrets.mask(error.message)}")
            if error.hint:
                self.echo(f"  what to do: {secrets.mask(error.hint)}")
        except Exception as error:
            log.exception("%s: unexpected error in a %s", rules.client, what)
            self.echo(f"{rules.client}: {what} failed unexpectedly: {secrets.mask(repr(error))}")

    def _sync(self, rules: Rules, flows: list[str]) -> None:
        report, _ = run_once(
            rules,
            self.plugins,
            flows=flows,
            state_dir=self.state_dir,
            context_overrides=self.context_overrides,
            lock=False,
            stop=self.stop_all,
        )
        self.echo(render_report(report))

    def _reconcile(self, rules: Rules) -> None:
        """The month before today's, proven; the notifications send the result (`reconcile_finished`)."""
        start, end = last_month(self.clock().astimezone().date())
        outcome = reconcile_once(
            rules,
            self.plugins,
            start,
            end,
            state_dir=self.state_dir,
            lock=False,
            context_overrides=self.context_overrides,
        )
        if outcome.result is not None:
            self.echo(f"{rules.client}: " + render_reconciliation(outcome.result, outcome.estimate.titles))

    def _run(self, flows: list[str]) -> None:
        with self._guard:
            self.running = True
            rules = self.rules
        started = self.clock()
        try:
            sync = [flow for flow in flows if flow != RECONCILE]
            if sync:
                self._guarded(rules, "run", lambda: self._sync(rules, sync))
            if RECONCILE in flows:
                self._guarded(rules, "reconcile", lambda: self._reconcile(rules))
        finally:
            self.runs += 1
            triggers = triggered_flows(rules, self.only)
            with self._guard:
                for flow in flows:
                    self.last_started[flow] = started
                    if flow not in triggers:
                        self.due.pop(flow, None)  # run on request (immediate): manual again
                    else:
                        # the next slot after this run started: no catch-up storm after a long run
                        due = next_time(triggers[flow], started)
                        now = self.clock()
                        self.due[flow] = due if due > now else next_time(triggers[flow], now)
                for flow in self._requested:  # asked for while this run was going: once more
                    self.due[flow] = self.clock()
                self._requested.clear()
                self.running = False
                if self._pending is not None:
                    self._apply(self._pending)
                    self._pending = None
