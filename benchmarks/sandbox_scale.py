"""What one call costs the simulators as their data grows: per-operation timings at 1k, 10k, 50k.

    python benchmarks/sandbox_scale.py            # 1000 10000 50000
    python benchmarks/sandbox_scale.py 1000 5000  # other sizes
    python benchmarks/sandbox_scale.py --profile 10000   # and a cProfile of the hot paths

Requests go through each simulator's `dispatch` in this process, as the HTTP handler would hand them
over, so the figures are the simulator's own work (filtering, booking, rendering), without sockets.
Rate limits are lifted (the budgets are not what is measured). Prints milliseconds per operation:

- Exact: booking one sales entry (`POST salesentry/SalesEntries`), the connector's existing-entry
  look-up (`Journal eq … and (YourRef eq … or …)` with 40 references), a `substringof` filter (no
  index applies: a scan), an entry by key, an account by `trim(Code) eq …`, the payments feed read
  when nothing changed (`Timestamp gt …`: a scan), creating an account (its code is the next free one);
- Teamleader: building a company of N booked documents (`--documents N`), an `invoices.list` page of
  100 with `updated_since`, a `creditNotes.list` page, `invoices.info`, `companies.info`.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from connector.testing.sandbox import Request, Response
from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_teamleader.sandbox import TeamleaderSandbox

SIZES = (1000, 10_000, 50_000)


def timed(repeat: int, work: Callable[[int], Any]) -> float:
    """Milliseconds per call of `work(i)`, over `repeat` calls."""
    start = time.perf_counter()
    for index in range(repeat):
        work(index)
    return (time.perf_counter() - start) * 1000 / repeat


def call(box: Any, method: str, path: str, token: str, body: Any = None, **query: str) -> Response:
    raw = urlencode(query)
    request = Request(
        method=method,
        path=path,
        query={key: [value] for key, value in query.items()},
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps(body).encode() if body is not None else b"",
        raw_query=raw,
    )
    response = box.dispatch(request)
    assert response is not None and response.status < 300, (path, response and response.body[:300])
    return response


def exact_token(box: ExactSandbox) -> str:
    refresh = box.issue_refresh_token()
    form = urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": box.client_id,
            "client_secret": box.client_secret,
        }
    ).encode()
    request = Request("POST", "/api/oauth2/token", {}, {}, form)
    response = box.dispatch(request)
    assert response is not None
    return str(json.loads(response.body)["access_token"])


def exact_figures(n: int) -> dict[str, float]:
    box = ExactSandbox(seed=True, per_minute=10**9, per_day=10**9)
    base = f"/api/v1/{DIVISION}/"
    token = exact_token(box)
    ledger = box.ledger()
    accounts = [row["ID"] for row in ledger.division.table("accounts").values()]
    gl = next(row["ID"] for row in ledger.division.table("gl_accounts").values() if row["Code"] == "7000")

    def entry(index: int) -> dict[str, Any]:
        return {
            "Journal": "70",
            "Customer": accounts[index % len(accounts)],
            "EntryDate": "2026-01-17",
            "YourRef": f"2026 / {index}",
            "Description": f"Factuur 2026 / {index}",
            "SalesEntryLines": [{"GLAccount": gl, "AmountFC": "100.00", "VATCode": "4  "}],
        }

    figures: dict[str, float] = {}
    entries = base + "salesentry/SalesEntries"
    figures["book entry"] = timed(n, lambda i: call(box, "POST", entries, token, entry(i)))
    refs = " or ".join(f"YourRef eq '2026 / {n - 1 - k * (n // 40)}'" for k in range(40))
    lookup = {"$filter": f"(Journal eq '70' or Journal eq '71') and ({refs})", "$select": "EntryID,YourRef"}
    figures["40-ref YourRef look-up"] = timed(
        50, lambda i: call(box, "GET", base + "salesentry/SalesEntries", token, **lookup)
    )
    scan = {"$filter": "substringof('/ 7', YourRef)", "$select": "EntryID", "$top": "60"}
    figures["substringof filter (scan)"] = timed(
        5, lambda i: call(box, "GET", base + "salesentry/SalesEntries", token, **scan)
    )
    some = next(iter(ledger.division.table("sales_entries")))
    figures["entry by key"] = timed(
        200, lambda i: call(box, "GET", base + f"salesentry/SalesEntries(guid'{some}')", token)
    )
    figures["account by trim(Code)"] = timed(
        200,
        lambda i: call(
            box, "GET", base + "crm/Accounts", token, **{"$filter": "trim(Code) eq '1001'", "$select": "ID"}
        ),
    )
    stamp = box.store.timestamp
    figures["sync/Cashflow/PaymentTerms, nothing new"] = timed(
        20,
        lambda i: call(
            box,
            "GET",
            base + "sync/Cashflow/PaymentTerms",
            token,
            **{"$filter": f"Timestamp gt {stamp}L", "$select": "ID,Timestamp"},
        ),
    )
    figures["create account (next free code)"] = timed(
        200, lambda i: call(box, "POST", base + "crm/Accounts", token, {"Name": f"Klant {i}"})
    )
    return figures


def teamleader_figures(n: int) -> dict[str, float]:
    start = time.perf_counter()
    box = TeamleaderSandbox(seed=True, rate_limit=10**9, documents=n)
    figures = {"build --documents N (total ms)": (time.perf_counter() - start) * 1000}
    token, _ = box.issue_tokens()
    department = box.department_id()
    since = datetime(2026, 6, 1, tzinfo=UTC).isoformat()
    flt = {"department_id": department, "status": ["outstanding", "matched"], "updated_since": since}

    def page(endpoint: str, body: dict[str, Any]) -> Callable[[int], Any]:
        def one(i: int) -> Response:
            return call(
                box, "POST", f"/{endpoint}", token, {**body, "page": {"size": 100, "number": 1 + i % 5}}
            )

        return one

    figures["invoices.list page of 100"] = timed(20, page("invoices.list", {"filter": flt}))
    figures["creditNotes.list page of 100"] = timed(
        20, page("creditNotes.list", {"filter": {"department_id": department, "updated_since": since}})
    )
    some = list(box.store.invoices)[n // 2]
    figures["invoices.info"] = timed(200, lambda i: call(box, "POST", "/invoices.info", token, {"id": some}))
    company = list(box.store.companies)[-1]
    body = {"id": company}
    figures["companies.info"] = timed(200, lambda i: call(box, "POST", "/companies.info", token, body))
    box.httpd.server_close()
    return figures


def main(argv: list[str]) -> None:
    profile = "--profile" in argv
    sizes = [int(arg) for arg in argv if arg.isdigit()] or list(SIZES)
    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
        results[n] = {**{f"exact: {k}": v for k, v in exact_figures(n).items()}}
        results[n].update({f"teamleader: {k}": v for k, v in teamleader_figures(n).items()})
        if profile:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    names = list(next(iter(results.values())))
    print(f"{'ms per operation':<48}" + "".join(f"{n:>12,}" for n in sizes))
    for name in names:
        print(f"{name:<48}" + "".join(f"{results[n][name]:>12.2f}" for n in sizes))


if __name__ == "__main__":
    _ = date  # dates of generated documents are the sandbox's own
    main(sys.argv[1:])
