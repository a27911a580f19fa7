"""What `connector reconcile` spends, against what it said it would, for a first sync's books.

    python benchmarks/reconcile.py [documents]

Both sandboxes with their demo data plus `documents` generated booked Teamleader documents (as
`connector sandbox --documents N`), limits lifted so the first sync does not wait; one real run books
them all, then `reconcile` proves the whole year by month and at once. Prints per period the
documents and entries, the calls estimated and spent per side, the differences found, and how long
the read and compare took in this process (no rate-limit waits: what the API calls cost in time at
the real limits follows from the calls and 60 a minute).
"""

from __future__ import annotations

import calendar
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from connector import rules as rules_module
from connector.contract.plugins import Plugins
from connector.engine.reconcile_run import reconcile_once
from connector.engine.runner import flows_for, run_once
from connector.testing.e2e import World


def main(documents: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="connector-reconcile-"))
    os.environ["CONNECTOR_STATE_DIR"] = str(directory)
    world = World.start(
        directory,
        documents=documents,
        exact_online={"per_minute": 1_000_000, "per_day": 10_000_000},
        teamleader={"rate_limit": 1_000_000},
    )
    try:
        world.write_rules()
        world.authorize()
        os.environ.update(world.environment)
        plugins = Plugins.load()
        assert world.rules_path is not None
        rules = rules_module.load(world.rules_path, plugins=plugins)
        began = time.perf_counter()
        report, _ = run_once(rules, plugins, flows=flows_for(rules, "documents"))
        booked = report.counts.get("documents.booked", 0)
        print(f"first sync: {booked} booked in {time.perf_counter() - began:.1f} s")
        print(
            "period                    docs  entries  source est/spent  sink est/spent  differences  seconds"
        )
        months = [(date(2026, m, 1), date(2026, m, calendar.monthrange(2026, m)[1])) for m in range(1, 13)]
        for first, last in [*months, (date(2026, 1, 1), date(2026, 12, 31))]:
            began = time.perf_counter()
            outcome = reconcile_once(rules, plugins, first, last)
            took = time.perf_counter() - began
            result, estimate, calls = outcome.result, outcome.estimate, outcome.calls
            assert result is not None
            print(
                f"{first} to {last}  {result.documents:>5}  {result.entries:>7}  "
                f"{estimate.source.calls:>8}/{calls['source']:<7}  "
                f"{estimate.sink.calls:>6}/{calls['sink']:<7}  {len(result.differences):>11}  {took:7.2f}"
            )
    finally:
        world.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
