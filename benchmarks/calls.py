"""API calls per run against the sandboxes, for a generated company of N documents.

    python benchmarks/calls.py 100 1000 5000

For each N: a fresh Teamleader sandbox (demo data plus N generated booked documents dated 2026) and
a fresh Exact sandbox with the real default limits (60 a minute, 5,000 a day). The connector's clock
and sleep are the sandboxes' simulated clock, so waiting for rate budget costs no real time. Prints,
per service, the calls of a first run, Exact calls per booked document, and the calls of a second run
when nothing changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from connector import rules as rules_module
from connector.contract.plugins import Plugins
from connector.engine.runner import build_services, run_once
from connector.state.store import StateStore
from connector_exact.sandbox import start_sandbox as start_exact
from connector_teamleader.sandbox import start_sandbox as start_teamleader

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.yaml"


def api_calls(box: Any) -> int:
    return sum(1 for c in box.calls if not c.path.startswith("/_sandbox/") and "oauth2" not in c.path)


def measure(n: int) -> dict[str, Any]:
    teamleader = start_teamleader(seed=True)
    exact = start_exact(seed=True)
    try:
        teamleader.generate(n, seed=7, start=date(2026, 1, 1), days=300, backdate=True)
        os.environ.update(teamleader.environment)
        os.environ.update(exact.environment)

        def clock() -> datetime:
            return exact.clock.now()

        def sleep(seconds: float) -> None:
            exact.clock.advance(seconds)
            teamleader.clock.advance(seconds)

        plugins = Plugins.load()
        rules = rules_module.load(DEMO, plugins=plugins)
        directory = Path(tempfile.mkdtemp(prefix="connector-bench-"))
        overrides: dict[str, object] = {"clock": clock, "sleep": sleep}
        with StateStore.for_client(directory, rules.client) as store:
            source, sink = build_services(rules, plugins, store, overrides)
            source.authorize(refresh_token=teamleader.refresh_token())
            sink.authorize(refresh_token=exact.refresh_token())
            source.close()
            sink.close()
        figures: dict[str, Any] = {"n": n}
        for label in ("first", "second"):
            before_tl, before_ex = api_calls(teamleader), api_calls(exact)
            started = exact.clock.now()
            report, _ = run_once(
                rules, plugins, flows=("documents",), state_dir=directory, context_overrides=overrides
            )
            figures[label] = {
                "teamleader": api_calls(teamleader) - before_tl,
                "exact": api_calls(exact) - before_ex,
                "booked": report.counts.get("documents.booked", 0),
                "customers": report.counts.get("customers.created", 0),
                "status": report.status,
                "simulated_minutes": (exact.clock.now() - started).total_seconds() / 60,
                "429s": sum(1 for c in exact.calls if c.status == 429),
            }
        return figures
    finally:
        teamleader.stop()
        exact.stop()


def main(argv: list[str]) -> None:
    sizes = [int(arg) for arg in argv] or [100, 1000]
    print(
        f"{'N':>6} {'booked':>7} {'new cust':>8} {'TL 1st':>7} {'EX 1st':>7} {'EX/doc':>7} "
        f"{'EX/(doc+cust)':>13} {'TL 2nd':>7} {'EX 2nd':>7} {'sim min':>8} {'429s':>5}"
    )
    for n in sizes:
        f = measure(n)
        first, second = f["first"], f["second"]
        booked = max(first["booked"], 1)
        per_doc = first["exact"] / booked
        per_doc_and_customers = (first["exact"] - first["customers"]) / booked
        print(
            f"{n:>6} {first['booked']:>7} {first['customers']:>8} {first['teamleader']:>7} "
            f"{first['exact']:>7} {per_doc:>7.3f} {per_doc_and_customers:>13.3f} "
            f"{second['teamleader']:>7} {second['exact']:>7} {first['simulated_minutes']:>8.1f} "
            f"{first['429s']:>5}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
