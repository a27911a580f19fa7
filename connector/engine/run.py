"""The run one flow works in: the rules, the state, both services and the report being written.

It lives apart from the runner so that the flows can import it without importing the engine that
calls them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from connector.contract.records import JournalEntry
from connector.contract.report import RunReport
from connector.contract.services import Sink, Source
from connector.rules.model import Rules
from connector.state.store import StateStore


@dataclass
class Run:
    """Everything one flow needs: the rules, the state, both services, the report being written."""

    rules: Rules
    state: StateStore
    source: Source
    sink: Sink
    report: RunReport
    dry_run: bool = False
    since: date | None = None
    retry_failed: bool = False  # try failures that wait for a change again now
    plan: list[str] = field(default_factory=list)  # what a dry run would do, one line per record
    stop: threading.Event | None = None  # set by SIGINT/SIGTERM in watch mode
    planned: list[JournalEntry] = field(default_factory=list)  # the entries a dry run would book
    progress: Callable[[str, int, int], None] | None = None  # (flow, done, total), for a terminal
    # calls a dry run counts without making them (downloads, attachments), per side, for the estimate
    planned_reads: dict[str, int] = field(default_factory=dict)
    planned_writes: dict[str, int] = field(default_factory=dict)

    def tick(self, flow: str, done: int, total: int) -> None:
        """Tell whoever watches (a progress bar on a terminal) how far a flow got."""
        if self.progress is not None:
            self.progress(flow, done, total)

    def stopping(self, flow: str) -> bool:
        """True when asked to stop: the flow ends after the record in hand, leaving its cursor where
        it was, so the next run picks up every record this one did not reach."""
        if self.stop is None or not self.stop.is_set():
            return False
        self.report.incomplete = True
        notice = f"{flow}: stopped on request; the next run continues"
        if notice not in self.report.notices:
            self.report.notices.append(notice)
        return True


FlowFunction = Callable[[Run], None]
