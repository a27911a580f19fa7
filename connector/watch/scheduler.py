"""Watch mode: every client on its own schedule, rule files hot-reloaded, stopped cleanly by a signal.

`connector run RULES --watch` serves one rule file; `connector run rules/ --watch` serves every rule
file of a folder, each client with its own schedule, state and lock. For each client a worker thread
runs the flows whose trigger is due (`every 15 minutes`, `every 2 hours`, `daily at 02:00`; a flow
without a trigger stays manual), one run at a time, so runs of one client never overlap. Payments run
in the background on their own trigger.

Hot reload: watchdog reports a changed rule file (editors that save by rename included); after a
short quiet period it is read and validated again. A valid edit takes effect between two runs, never
in the middle of one; an invalid one is printed with its file:line:col and the last good rules keep
running until the file changes again. Each reload is logged as applied or rejected with the rules'
sha256. A file added to the folder starts its client, a removed one stops it after its current run,
and one client's failure never stops another.

SIGINT and SIGTERM ask every worker to finish the record in hand, commit, and stop; the exit code is 0.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from connector import rules as rules_module
from connector.contract import secrets
from connector.contract.errors import EXIT_OK, ClientBusy, ConfigurationError, ConnectorError, RuleFileError
from connector.contract.plugins import Plugins
from connector.contract.services import Sink, Source
from connector.engine.runner import FLOW_ORDER, build_services, run_once
from connector.reporting.render import render_report
from connector.rules.model import Rules, Trigger
from connector.state.lock import ClientLock
from connector.state.store import StateStore, state_dir_for

log = logging.getLogger("connector.watch.scheduler")

RULE_SUFFIXES = (".yaml", ".yml")
DEBOUNCE = 0.3  # seconds of quiet after the last file event before a rule file is read again
TICK = 0.2  # how often a worker looks at the clock


def utcnow() -> datetime:
    return datetime.now(UTC)


def next_time(trigger: Trigger, after: datetime) -> datetime:
    """The first moment strictly after `after` at which `trigger` is due (daily times are local)."""
    if trigger.every is not None:
        return after + trigger.every
    assert trigger.daily_at is not None
    local = after.astimezone()
    candidate = local.replace(
        hour=trigger.daily_at.hour, minute=trigger.daily_at.minute, second=0, microsecond=0
    )
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)


def triggered_flows(rules: Rules, only: str | None) -> dict[str, Trigger]:
    flows = {flow: trigger for flow in FLOW_ORDER if (trigger := rules.triggers.get(flow)) is not None}  # type: ignore[arg-type]
    if flows.get("customers") and not rules.sync.import_customers:
        del flows["customers"]
    if only:
        flows = {flow: trigger for flow, trigger in flows.items() if flow == only}
    return flows


class BookedListener:
    """The HTTP endpoint the source calls when a document is booked (`triggers.immediate`).

    Only the secret path of `public_url` is answered; the body is not trusted (the source's calls
    carry ids only and no signature): a call just makes the next documents run happen now.
    """

    def __init__(self, host: str, port: int, path: str, on_call: Callable[[], None]) -> None:
        secret_path = path or "/"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                known = self.path.split("?")[0] == secret_path
                self.send_response(204 if known else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if known:
                    on_call()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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

    @property
    def client(self) -> str:
        return self.rules.client

    def start(self) -> None:
        directory = state_dir_for(self.path, self.state_dir)
        self._lock = ClientLock(directory, self.client)
        self._lock.acquire()  # held for the whole watch: a manual run of this client must wait
        self._reschedule(self.rules, first=True)
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
        old = self.rules
        self.rules = rules
        if {f: t.text for f, t in triggered_flows(old, self.only).items()} != {
            f: t.text for f, t in triggered_flows(rules, self.only).items()
        }:
            self._reschedule(rules, first=False)
        log.info("%s: reload applied (sha256 %s)", rules.client, rules.digest[:12])

    def _reschedule(self, rules: Rules, *, first: bool) -> None:
        now = self.clock()
        flows = triggered_flows(rules, self.only)
        self.due = {flow: now if first else next_time(trigger, now) for flow, trigger in flows.items()}
        if not flows:
            log.warning("%s: no trigger in the rule file: watch mode runs nothing for it", rules.client)

    def _loop(self) -> None:
        while not (self.stop_all.is_set() or self.removed.is_set()):
            now = self.clock()
            with self._guard:
                ready = [flow for flow in FLOW_ORDER if flow in self.due and self.due[flow] <= now]
            if ready:
                self._run(ready)
                continue
            self.stop_all.wait(TICK)
        log.info("%s: stopped", self.client)

    def _run(self, flows: list[str]) -> None:
        with self._guard:
            self.running = True
            rules = self.rules
        started = self.clock()
        try:
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
        except ConnectorError as error:  # one client's failure never stops another
            self.echo(f"{rules.client}: run failed: {secrets.mask(error.message)}")
            if error.hint:
                self.echo(f"  what to do: {secrets.mask(error.hint)}")
        except Exception as error:
            log.exception("%s: unexpected error in a run", rules.client)
            self.echo(f"{rules.client}: run failed unexpectedly: {secrets.mask(repr(error))}")
        finally:
            self.runs += 1
            triggers = triggered_flows(rules, self.only)
            with self._guard:
                for flow in flows:
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


class RuleFileEvents(FileSystemEventHandler):
    """Turns file-system events into 'this rule file may have changed' calls, debounced."""

    def __init__(self, wanted: Callable[[Path], bool], changed: Callable[[Path], None]) -> None:
        self.wanted = wanted
        self.changed = changed
        self.timers: dict[Path, threading.Timer] = {}
        self.guard = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(str(raw)).absolute()
            if self.wanted(path):
                self._later(path)

    def _later(self, path: Path) -> None:
        with self.guard:
            if path in self.timers:
                self.timers[path].cancel()
            timer = threading.Timer(DEBOUNCE, self._fire, args=(path,))
            timer.daemon = True
            self.timers[path] = timer
            timer.start()

    def _fire(self, path: Path) -> None:
        with self.guard:
            self.timers.pop(path, None)
        self.changed(path)

    def cancel(self) -> None:
        with self.guard:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()


class Watcher:
    """Every client of a rule file or a folder, their workers, and the file watch that reloads them."""

    def __init__(
        self,
        target: Path,
        *,
        plugins: Plugins,
        only: str | None = None,
        state_dir: Path | None = None,
        echo: Callable[[str], None] = print,
        clock: Callable[[], datetime] = utcnow,
        context_overrides: dict[str, object] | None = None,
    ) -> None:
        self.target = target.absolute()
        self.folder = self.target.is_dir()
        self.plugins = plugins
        self.only = only
        self.state_dir = state_dir
        self.echo = echo
        self.clock = clock
        self.context_overrides = context_overrides
        self.stop_event = threading.Event()
        self.workers: dict[Path, ClientWorker] = {}
        self.guard = threading.RLock()
        self.events = RuleFileEvents(self._wanted, self.changed)
        self.observer: Any = None
        self.reloads: list[tuple[Path, str, str, datetime]] = []  # (file, applied|rejected, sha, when)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if not self.target.exists():
            raise ConfigurationError(
                f"{self.target} does not exist", hint="give a rule file or a folder of them"
            )
        for path in self._rule_files():
            self._start_client(path)
        if not self.workers and not self.folder:
            raise ConfigurationError(f"{self.target}: nothing to watch")
        self.observer = Observer()
        self.observer.schedule(self.events, str(self.target if self.folder else self.target.parent))
        self.observer.start()

    def stop(self, timeout: float = 60.0) -> None:
        self.stop_event.set()
        self.events.cancel()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(5)
        with self.guard:
            workers = list(self.workers.values())
        for worker in workers:
            worker.join(timeout)

    def wait(self) -> None:
        """Block until stopped (by a signal); show when the next runs are, on a terminal."""
        status = sys.stderr.isatty()
        while not self.stop_event.wait(1.0):
            if status:
                sys.stderr.write("\r" + self.status_line()[:150].ljust(150))
                sys.stderr.flush()
        if status:
            sys.stderr.write("\n")

    def status_line(self) -> str:
        now = self.clock()
        parts = []
        with self.guard:
            workers = list(self.workers.values())
        for worker in workers:
            if worker.running:
                parts.append(f"{worker.client}: running")
                continue
            for flow, due in sorted(worker.due.items(), key=lambda item: item[1]):
                wait = max(int((due - now).total_seconds()), 0)
                parts.append(f"{worker.client} {flow} in {wait // 60}m{wait % 60:02d}s")
        return "next: " + ("; ".join(parts) or "nothing scheduled")

    # -- clients --------------------------------------------------------------------------------

    def _rule_files(self) -> Iterable[Path]:
        if not self.folder:
            return [self.target]
        return sorted(p.absolute() for p in self.target.iterdir() if self._wanted(p.absolute()))

    def _wanted(self, path: Path) -> bool:
        if self.folder:
            return (
                path.parent == self.target and path.suffix in RULE_SUFFIXES and not path.name.startswith(".")
            )
        return path == self.target

    def _load(self, path: Path) -> Rules | None:
        try:
            return rules_module.load(path, plugins=self.plugins)
        except RuleFileError as error:
            self.echo(str(error))
            self.echo(f"{path}: not used; fix it and save again (the last good rules keep running)")
            return None

    def _start_client(self, path: Path) -> None:
        rules = self._load(path)
        if rules is None:
            self._record(path, "rejected", "")
            return
        worker = ClientWorker(
            path,
            rules,
            self.plugins,
            self.only,
            self.state_dir,
            self.echo,
            clock=self.clock,
            stop_all=self.stop_event,
            context_overrides=self.context_overrides,
        )
        try:
            worker.start()
        except ClientBusy as error:
            self.echo(f"{path}: {error}")
            return
        with self.guard:
            self.workers[path] = worker
        self.echo(f"{rules.client}: watching {path.name} (sha256 {rules.digest[:12]})")

    def changed(self, path: Path) -> None:
        """A rule file was written, created, renamed into place or removed."""
        if self.stop_event.is_set():
            return
        with self.guard:
            worker = self.workers.get(path)
        if not path.exists():
            if worker is not None:
                worker.stop()
                with self.guard:
                    del self.workers[path]
                threading.Thread(target=worker.join, daemon=True).start()
                self.echo(f"{worker.client}: {path.name} was removed; stopping after its current run")
            return
        if worker is None:
            self._start_client(path)
            return
        rules = self._load(path)
        if rules is None:
            self._record(path, "rejected", worker.rules.digest)
            log.warning(
                "%s: reload rejected; still running sha256 %s", worker.client, worker.rules.digest[:12]
            )
            return
        if rules.digest == worker.rules.digest:
            return
        if rules.client != worker.client:
            self.echo(f"{path}: `client` changed from {worker.client} to {rules.client}: restart watch mode")
            self._record(path, "rejected", rules.digest)
            return
        outcome = worker.offer(rules)
        self._record(path, "applied", rules.digest)
        self.echo(f"{rules.client}: reload {outcome} (sha256 {rules.digest[:12]})")

    def _record(self, path: Path, outcome: str, digest: str) -> None:
        self.reloads.append((path, outcome, digest, utcnow()))
        log.info("%s: reload %s (sha256 %s)", path.name, outcome, digest[:12] or "-")


def watch_cli(
    target: Path,
    *,
    plugins: Plugins,
    only: str | None,
    state_dir: Path | None,
    echo: Callable[[str], None],
) -> int:
    """`connector run RULES --watch`: until SIGINT or SIGTERM."""
    watcher = Watcher(target, plugins=plugins, only=only, state_dir=state_dir, echo=echo)

    def stop(signum: int, frame: FrameType | None) -> None:
        echo(f"\n{signal.Signals(signum).name}: finishing the records in hand, then stopping")
        watcher.stop_event.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    watcher.start()
    echo(f"watching {target}; Ctrl-C stops")
    watcher.wait()
    watcher.stop()
    return EXIT_OK
