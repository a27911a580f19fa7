"""Watch mode: every client on its own schedule, rule files hot-reloaded, stopped cleanly by a signal.

`connector run RULES --watch` serves one rule file; `connector run rules/ --watch` serves every rule
file of a folder, each client with its own schedule, state and lock. For each client a worker thread
runs the flows whose trigger is due (`every 15 minutes`, `every 2 hours`, `daily at 02:00`; a flow
without a trigger stays manual), one run at a time, so runs of one client never overlap. Payments run
in the background on their own trigger.

Hot reload: watchdog reports a changed rule file (editors that save by rename included); after a
short quiet period it is read and validated again. A valid edit takes effect between two runs, never
in the middle of one; an invalid one, or one that breaks a case of the file's `tests:` section, is
printed with its file:line:col (the failing case's) and the last good rules keep running until the
file changes again. Each reload is logged as applied or rejected with the rules' sha256. A file
added to the folder starts its client, a removed one stops it after its current run, and one
client's failure never stops another.

SIGINT and SIGTERM ask every worker to finish the record in hand, commit, and stop; the exit code is 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from watchdog.observers import Observer

from connector import rules as rules_module
from connector.contract.errors import EXIT_OK, ClientBusy, ConfigurationError, RuleFileError
from connector.contract.plugins import Plugins
from connector.engine.case_runner import check_cases
from connector.reporting.render import in_place
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.watch.reload import RULE_SUFFIXES, RuleFileEvents, file_digest
from connector.watch.worker import ClientWorker, utcnow

log = logging.getLogger("connector.watch")


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
        self.seen: dict[Path, str] = {}  # sha256 of the version of each file last read

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
                sys.stderr.write(in_place(self.status_line()))
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
        """The file's rules when they load and their `tests:` cases pass; else None, said why."""
        try:
            rules = rules_module.load(path, plugins=self.plugins)
        except RuleFileError as error:
            self.echo(str(error))
            self.echo(f"{path}: not used; fix it and save again (the last good rules keep running)")
            return None
        run, lines = check_cases(rules, state_dir_for(path, self.state_dir))
        if lines:
            for line in lines:
                self.echo(line)
            what = "the mapping refuses its codes" if run.problems else "its tests fail"
            self.echo(f"{path}: not used: {what}; fix it and save again (the last good rules keep running)")
            return None
        return rules

    def _start_client(self, path: Path) -> None:
        with self.guard:
            self.seen[path] = file_digest(path)
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
            with self.guard:
                self.seen.pop(path, None)
            if worker is not None:
                worker.stop()
                with self.guard:
                    del self.workers[path]
                threading.Thread(target=worker.join, daemon=True).start()
                self.echo(f"{worker.client}: {path.name} was removed; stopping after its current run")
            return
        digest = file_digest(path)
        with self.guard:
            if self.seen.get(path) == digest:
                return  # the version already applied or already rejected: say nothing again
            self.seen[path] = digest
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
