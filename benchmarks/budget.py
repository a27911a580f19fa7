"""The daily-budget soak: 6,000 documents against Exact's real default limits, on a simulated clock.

    python benchmarks/budget.py [documents]

A fresh Teamleader sandbox (demo data plus generated booked documents, 6,000 in all, dated 2026) and
a fresh Exact sandbox with the real default limits (60 calls a minute, 5,000 a day; Teamleader 200 a
sliding minute). The engine runs in this process; its clock and sleep are the sandboxes' simulated
clock, so a day of waiting for rate budget costs seconds. Day 1 starts at 06:00 UTC and runs until
Exact's daily budget (less the reserve kept for payments) is spent; day 2 starts at 06:00 UTC the
next day and must finish. Prints the calls per day, the 429s received (must be 0), the calls wasted
on retries, where day 1 stopped and what it said, and that Exact then holds every document exactly
once (by journal, type and YourRef).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from connector import rules as rules_module
from connector.contract.plugins import Plugins
from connector.engine.runner import build_services, exit_code, flows_for, run_once
from connector.reporting.render import render_report
from connector.state.store import StateStore
from connector.testing.e2e import World
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import entry_keys
from connector_teamleader.sandbox import TeamleaderSandbox
from connector_teamleader.sandbox.testing import booked_documents

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
DIVISION = "1234567"


def api_calls(box: Any, day: date | None = None) -> list[Any]:
    """A sandbox's API calls (not its token endpoint, not its admin routes), of one day if given."""
    return [
        call
        for call in box.calls
        if not call.path.startswith("/_sandbox/")
        and "oauth2" not in call.path
        and (day is None or datetime.fromisoformat(call.at).date() == day)
    ]


def soak(total: int) -> bool:
    directory = Path(tempfile.mkdtemp(prefix="connector-soak-"))
    os.environ["CONNECTOR_STATE_DIR"] = str(directory)
    world = World.start(directory)  # the real default limits: Exact 60/min and 5,000/day, Teamleader 200/min
    exact = cast(ExactSandbox, world.sandboxes["exact_online"])
    teamleader = cast(TeamleaderSandbox, world.sandboxes["teamleader"])
    try:
        for box in (exact, teamleader):
            box.clock.set(START)
        world.write_rules()
        os.environ.update(world.environment)
        plugins = Plugins.load()
        assert world.rules_path is not None
        rules = rules_module.load(world.rules_path, plugins=plugins)
        demo = len(booked_documents(teamleader, rules.sync.start_date))
        teamleader.generate(total - demo, seed=6000, start=date(2026, 1, 1), days=300, backdate=True)
        wanted = booked_documents(teamleader, rules.sync.start_date)

        def clock() -> datetime:
            return exact.clock.now()

        def sleep(seconds: float) -> None:
            exact.clock.advance(seconds)
            teamleader.clock.advance(seconds)

        overrides: dict[str, object] = {"clock": clock, "sleep": sleep}
        with StateStore.for_client(directory, rules.client) as state:
            source, sink = build_services(rules, plugins, state, overrides)
            source.authorize(refresh_token=teamleader.refresh_token())
            sink.authorize(refresh_token=exact.refresh_token())
            source.close()
            sink.close()

        print(f"{len(wanted)} documents booked in Teamleader; Exact allows 60 calls a minute, 5,000 a day")
        finished = False
        for day in (1, 2):
            started, real = clock(), time.monotonic()
            report, _ = run_once(rules, plugins, flows=flows_for(rules, None), context_overrides=overrides)
            today = started.date()
            print(f"\n== day {day} ({today}), started {started:%H:%M} UTC ==")
            print(render_report(report))
            hours, seconds = (clock() - started).total_seconds() / 3600, time.monotonic() - real
            print(f"exit code {exit_code(report)}; {hours:.1f} simulated hours in {seconds:.0f} s")
            exact_today = api_calls(exact, today)
            payments = [c for c in exact_today if "PaymentTerms" in c.path]
            print(
                f"calls this day: Exact {len(exact_today)} (payments flow {len(payments)}), "
                f"Teamleader {len(api_calls(teamleader, today))}"
            )
            entries = len(exact.state()["divisions"][DIVISION]["sales_entries"])
            print(f"Exact holds {entries} of {len(wanted)} documents ({len(wanted) - entries} left)")
            if report.status == "success":
                finished = True
                break
            sleep((datetime.combine(today + timedelta(days=1), START.time(), UTC) - clock()).total_seconds())

        holds = entry_keys(exact)
        duplicates = sum(count - 1 for count in holds.values() if count > 1)
        missing = len(wanted - set(holds))
        refused = [c for box in (exact, teamleader) for c in api_calls(box) if c.status == 429]
        wasted = [
            c
            for box in (exact, teamleader)
            for c in api_calls(box)
            if c.status in (0, 429) or c.status >= 500
        ]
        print("\n== totals ==")
        print(f"429s received: {len(refused)}")
        print(f"calls wasted on retries (429, 5xx, dropped): {len(wasted)}")
        print(f"Exact entries: {sum(holds.values())}; duplicates: {duplicates}; missing: {missing}")
        print(f"completed on day 2: {finished}")
        return finished and not refused and not duplicates and not missing
    finally:
        world.stop()


def main(argv: list[str]) -> int:
    return 0 if soak(int(argv[0]) if argv else 6000) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
