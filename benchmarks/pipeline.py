"""A first sync as a consultant runs it, measured against sped-up sandboxes.

    python benchmarks/pipeline.py --documents 1000 [--speed 60] [--json]
    python benchmarks/pipeline.py --documents 10000 --days      # also a sync spread over days

Both sandboxes run in this process at `--speed` (a sandbox minute lasts 60/speed wall seconds, with
Exact Online's real 60 calls a minute and Teamleader's 200; see docs/sandbox.md), with the demo
company plus `--documents` booked documents backdated over the last 300 days. The connector is the
real CLI in its own process (`connector run`), which follows the sandboxes' announced resets like
any client; its peak memory is that process's. Calls are counted per endpoint from the sandboxes'
request logs (OAuth token calls apart). Printed (one JSON object with `--json`):

- documents, new_customers: what the first sync booked and created;
- exact_calls_per_document, teamleader_calls_per_document (first sync), and the issue's bound for
  Exact, 1.02 × (documents + new customers) + 10;
- wall_over_exact_bound: the first sync's wall time ÷ (Exact calls ÷ 60 sandbox minutes);
- peak_rss_mb: the connector process of the first sync;
- idle_rerun_calls: a second run with nothing new, both services;
- idle_rerun_calls_with_two_failures: the same after two documents failed on an unmapped rate;
- new_invoice_renamed_customer_calls: a run after one new invoice for a customer renamed meanwhile;
- crowded_second_rerun_calls: in a second world where every document (1,000 generated and the
  demo's) changed in one second (a bulk import) a day ago, the run after the first sync;
- with `--days`: the same first sync at Exact's real 5,000 calls a day, run day after day (the
  sandbox clock moved to the next midnight between runs): days, and Teamleader calls per document
  over all of them;
- with `--first-day` (instead of the above): one run at Exact's real 5,000 calls a day, which reads
  the whole list, books the day's budget and parks the rest: its peak memory, at any size;
- http_429: 429 answers on either side, in all of the above.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.testing.e2e import World

UNLIMITED_DAY = {"exact_online": {"per_day": 10**9}}


def api_calls(box: Any) -> Counter[str]:
    """Calls per endpoint, OAuth and the sandbox's own admin routes apart."""
    return Counter(
        call.path.rsplit("/", 1)[-1] if "/api/v1/" not in call.path else call.path.split("/", 4)[-1]
        for call in box.calls
        if not call.path.startswith("/_sandbox/") and "oauth2" not in call.path
    )


def count_429(world: World) -> int:
    return sum(1 for box in world.sandboxes.values() for call in box.calls if call.status == 429)


class PeakMemory:
    """The peak resident memory of a running process, from its `VmHWM` in /proc, read every 50 ms
    until it exits. Not `ru_maxrss`: Linux carries the high-water mark of the address space a child
    had before its exec into it, which for a forked child is this process's, sandboxes and all."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.kilobytes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            try:
                text = self.path.read_text()
            except OSError:
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.kilobytes = max(self.kilobytes, int(line.split()[1]))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


class Measured:
    """One `connector run`: its exit code, wall seconds, peak memory and calls per service."""

    def __init__(self, world: World, *options: str) -> None:
        boxes = world.sandboxes
        for box in boxes.values():
            box.calls.clear()
        assert world.rules_path is not None
        command = [shutil.which("connector") or "connector", "run", str(world.rules_path), *options]
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **world.environment},
            cwd=world.directory,
        )
        output: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda n=name, s=stream: output.__setitem__(n, s.read()), daemon=True)
            for name, stream in (("out", process.stdout), ("err", process.stderr))
            if stream is not None
        ]
        for reader in readers:
            reader.start()
        peak = PeakMemory(process.pid)
        _, status, _ = os.wait4(process.pid, 0)
        peak.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        for reader in readers:
            reader.join()
        self.wall = time.monotonic() - started
        self.code = process.returncode
        self.stdout = output.get("out", "")
        self.output = self.stdout + output.get("err", "")
        self.peak_rss_mb = peak.kilobytes / 1024
        self.calls = {name: api_calls(box) for name, box in boxes.items()}

    def total(self, name: str | None = None) -> int:
        return sum(sum(c.values()) for n, c in self.calls.items() if name in (None, n))


def world(directory: Path, speed: float, documents: int, **options: Any) -> World:
    started = World.start(directory, speed=speed, documents=documents, **options)
    started.write_rules()
    started.authorize()
    return started


def booked(measured: Measured) -> tuple[int, int]:
    report = json.loads(measured.stdout)
    counts = report.get("counts", {})
    return counts.get("documents.booked", 0), counts.get("customers.created", 0)


def first_sync_figures(directory: Path, speed: float, documents: int) -> dict[str, Any]:
    box = world(directory, speed, documents, **UNLIMITED_DAY)
    try:
        first = Measured(box, "--json")
        assert first.code == 0, first.output
        docs, customers = booked(first)
        exact, teamleader = first.total("exact_online"), first.total("teamleader")
        figures: dict[str, Any] = {
            "documents": docs,
            "new_customers": customers,
            "exact_calls": exact,
            "exact_calls_bound": round(1.02 * (docs + customers) + 10),
            "exact_calls_per_document": round(exact / docs, 3),
            "teamleader_calls": teamleader,
            "teamleader_calls_per_document": round(teamleader / docs, 3),
            "wall_seconds": round(first.wall, 1),
            "wall_over_exact_bound": round(first.wall / (exact / speed), 3),
            "peak_rss_mb": round(first.peak_rss_mb, 1),
            "first_sync_calls": {name: dict(calls.most_common()) for name, calls in first.calls.items()},
        }
        idle = Measured(box)
        figures["idle_rerun_calls"] = idle.total()
        figures["idle_rerun_detail"] = {name: dict(calls) for name, calls in idle.calls.items()}

        teamleader_box: Any = box.sandboxes["teamleader"]
        box.write_rules({"vat": {"0% ICL": None}})
        today = teamleader_box.clock.now().date().isoformat()
        for price in (11, 12):
            teamleader_box.book_invoice(
                customer="Brouwerij De Klok BV", date=today, lines=[{"price": price, "tax": "0% ICL"}]
            )
        failing = Measured(box)
        assert failing.code == 1, failing.output
        two = Measured(box)
        figures["idle_rerun_calls_with_two_failures"] = two.total()
        figures["idle_rerun_with_two_failures_detail"] = {n: dict(c) for n, c in two.calls.items()}

        store = teamleader_box.store
        linked = next(i.customer_id for i in store.invoices.values() if i.customer_type == "company")
        company = store.companies[linked]  # a customer of the books already: its account is linked
        company.fields["name"] = company.name + " (renamed)"
        company.updated_at = store.now()
        customer = {"type": "company", "id": linked}
        teamleader_box.book_invoice(customer=customer, date=today, lines=[{"price": 40}])
        renamed = Measured(box)
        figures["new_invoice_renamed_customer_calls"] = renamed.total()
        figures["new_invoice_renamed_customer_detail"] = {n: dict(c) for n, c in renamed.calls.items()}
        figures["http_429"] = count_429(box)
        return figures
    finally:
        box.stop()


def crowded_second(directory: Path, speed: float) -> int:
    """1,000 documents stamped in one second a day ago, the newest change of all: the rerun after
    the first sync must not list that second's ten pages again."""
    box = world(directory, speed, 0, **UNLIMITED_DAY)
    try:
        teamleader: Any = box.sandboxes["teamleader"]
        store = teamleader.store
        moment = store.now() - timedelta(days=1)
        teamleader.generate(1000, seed=3, start=date.fromisoformat(f"{moment.year}-01-01"), days=1)
        for collection in (store.invoices, store.credit_notes):  # the bulk import: all in one second
            for document in collection.values():
                document.updated_at = moment
        first = Measured(box)
        assert first.code == 0, first.output
        again = Measured(box)
        if os.environ.get("PIPELINE_DETAIL"):
            print({name: dict(calls) for name, calls in again.calls.items()}, file=sys.stderr)
        return again.total()
    finally:
        box.stop()


def over_days(directory: Path, speed: float, documents: int) -> dict[str, Any]:
    """The first sync at 5,000 Exact calls a day: one run a day until it is done."""
    box = world(directory, speed, documents)
    try:
        days, teamleader_calls, docs = 0, 0, 0
        while True:
            run = Measured(box, "--json")
            days += 1
            teamleader_calls += run.total("teamleader")
            docs += booked(run)[0]
            if run.code == 0 or days > 40:
                break
            for sandbox in box.sandboxes.values():
                clock: Any = sandbox.clock  # type: ignore[attr-defined]
                now: datetime = clock.now()
                midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
                clock.set(midnight + timedelta(minutes=1))
        return {
            "days": days,
            "documents": docs,
            "teamleader_calls_per_document": round(teamleader_calls / max(docs, 1), 3),
            "http_429": count_429(box),
        }
    finally:
        box.stop()


def first_day(directory: Path, speed: float, documents: int) -> dict[str, Any]:
    """The first day of a first sync at Exact's real 5,000 calls a day: the whole list is read,
    the day's budget is booked, the rest is parked for the next days. Its memory is the sync's at
    any size, in the time a day's budget takes (100,000 documents: minutes, not hours)."""
    box = world(directory, speed, documents)
    try:
        run = Measured(box, "--json")
        docs = booked(run)[0]
        return {
            "documents_in_source": documents + 103,
            "documents_booked": docs,
            "exit": run.code,
            "wall_seconds": round(run.wall, 1),
            "peak_rss_mb": round(run.peak_rss_mb, 1),
            "teamleader_calls": dict(run.calls["teamleader"].most_common()),
            "exact_calls": run.total("exact_online"),
            "http_429": count_429(box),
        }
    finally:
        box.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--days", action="store_true", help="also the sync spread over days at 5,000 a day")
    parser.add_argument("--no-crowded", action="store_true", help="skip the crowded-second world")
    parser.add_argument("--days-only", action="store_true", help="only the sync spread over days")
    parser.add_argument(
        "--first-day", action="store_true", help="only the first day at 5,000 a day (memory at any size)"
    )
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        figures: dict[str, Any] = {"speed": options.speed}
        if options.first_day:
            (base / "day").mkdir()
            figures["first_day"] = first_day(base / "day", options.speed, options.documents)
        elif not options.days_only:
            (base / "first").mkdir()
            figures.update(first_sync_figures(base / "first", options.speed, options.documents))
        if not (options.no_crowded or options.days_only or options.first_day):
            (base / "crowded").mkdir()
            figures["crowded_second_rerun_calls"] = crowded_second(base / "crowded", options.speed)
        if options.days or options.days_only:
            (base / "days").mkdir()
            figures["over_days"] = over_days(base / "days", options.speed, options.documents)
    if options.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
