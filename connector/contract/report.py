"""What a run did: counts, failures with their fix, API calls; kept in the state store and printed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from connector.contract.secrets import mask


@dataclass
class Outcome:
    """One record that did not simply go through: skipped or failed, with why and what to do."""

    record: str
    status: str  # "skipped" or "failed"
    reason: str
    hint: str | None = None


@dataclass
class RunReport:
    client: str
    flows: tuple[str, ...]
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)  # e.g. documents.booked, customers.created
    outcomes: list[Outcome] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)  # API calls per service
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)  # each side's day budget after it
    notices: list[str] = field(default_factory=list)
    paid: list[dict[str, str]] = field(default_factory=list)  # invoices set paid: notified with notify.paid
    error: str | None = None
    incomplete: bool = False  # stopped early on purpose (a spent daily budget); the next run goes on

    def add(self, key: str, amount: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + amount

    def skip(self, record: str, reason: str, hint: str | None = None, group: str = "documents") -> None:
        self.outcomes.append(Outcome(record, "skipped", mask(reason), mask(hint) if hint else None))
        self.add(f"{group}.skipped")

    def fail(self, record: str, reason: str, hint: str | None = None, group: str = "documents") -> None:
        self.outcomes.append(Outcome(record, "failed", mask(reason), mask(hint) if hint else None))
        self.add(f"{group}.failed")

    @property
    def status(self) -> str:
        """success, partial (something skipped or failed) or failed (the run stopped on an error)."""
        if self.error:
            return "failed"
        return "partial" if self.outcomes or self.incomplete else "success"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["status"] = self.status
        return data
