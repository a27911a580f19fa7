"""Helpers for tests and benchmarks that drive the simulator over real HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from connector.testing.sandbox import CallRecord

from .demo import DIVISION
from .server import ExactSandbox, start_sandbox

# A fixed simulated moment, 5 s into a minute, so a test never straddles a minute boundary by chance.
START = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


def make_sandbox(**options: Any) -> ExactSandbox:
    """A started sandbox whose clock stands at `START`."""
    sandbox = start_sandbox(**options)
    sandbox.clock.set(START)
    return sandbox


def token_request(sandbox: ExactSandbox, **form: str) -> httpx.Response:
    data = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, **form}
    return httpx.post(f"{sandbox.url}/api/oauth2/token", data=data)


def access_token(sandbox: ExactSandbox) -> str:
    response = token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token())
    response.raise_for_status()
    return str(response.json()["access_token"])


def api_client(sandbox: ExactSandbox, division: int = DIVISION) -> httpx.Client:
    """An httpx client on /api/v1/{division}/ with a fresh bearer token."""
    return httpx.Client(
        base_url=f"{sandbox.url}/api/v1/{division}/",
        headers={"Authorization": f"Bearer {access_token(sandbox)}", "Accept": "application/json"},
    )


def error_text(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"]["value"])


def results(response: httpx.Response) -> list[dict[str, Any]]:
    if response.status_code != 200:
        raise AssertionError(f"{response.status_code}: {response.text}")
    return list(response.json()["d"]["results"])


def lookup(api: httpx.Client, path: str, filter_: str, field: str = "ID") -> Any:
    rows = results(api.get(path, params={"$filter": filter_}))
    if len(rows) != 1:
        raise AssertionError(f"{len(rows)} rows for {path} {filter_}")
    return rows[0][field]


def gl(api: httpx.Client, code: str) -> str:
    return str(lookup(api, "financial/GLAccounts", f"Code eq '{code}'"))


def customer(api: httpx.Client, code: str = "1001") -> str:
    return str(lookup(api, "crm/Accounts", f"trim(Code) eq '{code}'"))


def sales_entry(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A valid invoice body: 100.00 on 7000 with VAT code "4  " (21% exclusive), unless overridden."""
    body: dict[str, Any] = {
        "Journal": "70",
        "Customer": customer(api),
        "EntryDate": "2026-01-17",
        "YourRef": "2026 / 1",
        "Description": "Factuur 2026 / 1",
        "PaymentCondition": "30",
        "SalesEntryLines": [{"GLAccount": gl(api, "7000"), "AmountFC": "100.00", "VATCode": "4  "}],
    }
    body.update(overrides)
    return body


def credit_note_entry(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A valid credit note body as Exact wants it posted: -100.00 on 7000 at "4  " (VAT -21.00),
    Type 21, journal 71 (notes §"Evidence 2026-12": credit amounts are negative when posted)."""
    line = {"GLAccount": gl(api, "7000"), "AmountFC": "-100.00", "VATCode": "4  "}
    body = sales_entry(api, Journal="71", Type=21, SalesEntryLines=[line])
    body.update(overrides)
    return body


# -- reading back what was booked (end-to-end tests assert on these, to the cent) ------------------

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """An amount from `state()` (a JSON number) as cents, through `str` so 0.1 stays 0.1."""
    return Decimal(str(value)).quantize(CENT)


def booked_entries(sandbox: ExactSandbox, division: int = DIVISION) -> list[dict[str, Any]]:
    """Every sales entry of the division with its lines, as a bookkeeper sees them in Exact."""
    return list(sandbox.state()["divisions"][str(division)]["sales_entries"])


def booked_entry(
    sandbox: ExactSandbox, your_ref: str, *, journal: str | None = None, type: int | None = None
) -> dict[str, Any]:
    """The one entry with this YourRef (in `journal`, of `type`); an AssertionError unless exactly one."""
    found = [
        entry
        for entry in booked_entries(sandbox)
        if entry["YourRef"] == your_ref
        and (journal is None or str(entry["Journal"]).strip() == journal)
        and (type is None or entry["Type"] == type)
    ]
    if len(found) != 1:
        where = f"journal {journal}, type {type}"
        raise AssertionError(f"{len(found)} entries with YourRef {your_ref!r} ({where})")
    return found[0]


def per_vat_code(entry: dict[str, Any]) -> dict[str, tuple[Decimal, Decimal]]:
    """VAT code (stripped) → (sum of line amounts, sum of line VAT) of one entry, in its currency."""
    sums: dict[str, tuple[Decimal, Decimal]] = {}
    for line in entry["SalesEntryLines"]:
        code = str(line["VATCode"] or "").strip()
        amount, vat = sums.get(code, (Decimal(0), Decimal(0)))
        sums[code] = (amount + money(line["AmountFC"]), vat + money(line["VATAmountFC"]))
    return sums


def api_calls(sandbox: ExactSandbox, *methods: str) -> list[CallRecord]:
    """The REST API calls (not OAuth, not /_sandbox/) in the call log, of the given methods (all: none)."""
    return [
        call
        for call in sandbox.calls
        if call.path.startswith("/api/v1/") and (not methods or call.method in methods)
    ]


def gl_account_id(sandbox: ExactSandbox, code: str, division: int = DIVISION) -> str:
    """The GUID of a GL account by its code, read in-process (no API call)."""
    rows = sandbox.ledger(division).division.table("gl_accounts").values()
    return str(next(row["ID"] for row in rows if str(row["Code"]).strip() == code))


def account_id(sandbox: ExactSandbox, code: str, division: int = DIVISION) -> str:
    """The GUID of a customer account by its (blank-padded) code, read in-process."""
    rows = sandbox.ledger(division).division.table("accounts").values()
    return str(next(row["ID"] for row in rows if str(row["Code"]).strip() == code))


KINDS = {20: "invoice", 21: "credit_note"}


def entry_keys(sandbox: ExactSandbox, division: int = DIVISION) -> Counter[tuple[str, str]]:
    """How many sales entries hold each (kind, YourRef): 1 each, when nothing was doubled."""
    return Counter(
        (KINDS.get(int(e["Type"]), str(e["Type"])), str(e["YourRef"]))
        for e in booked_entries(sandbox, division)
    )


def assert_each_once(sandbox: ExactSandbox, wanted: set[tuple[str, str]]) -> None:
    """Zero duplicates and zero missing among the (kind, YourRef) a run had to book."""
    holds = entry_keys(sandbox)
    doubled = {key: count for key, count in holds.items() if count > 1}
    missing = wanted - set(holds)
    assert not doubled, f"booked twice: {doubled}"
    assert not missing, f"{len(missing)} documents missing: {sorted(missing)[:5]}"


def receivable_of(sandbox: ExactSandbox, entry: dict[str, Any]) -> dict[str, Any]:
    """The one receivable (open item) a booked entry left behind."""
    [found] = [
        row
        for row in sandbox.state()["divisions"]["1234567"]["receivables"]
        if row["TransactionEntryID"] == entry["EntryID"]
    ]
    return found


def attached_files(sandbox: ExactSandbox, division: int = DIVISION) -> dict[str, list[tuple[str, bytes]]]:
    """The files linked to each sales entry through its `Document`, by EntryID, read in-process."""
    with sandbox.lock:
        tables = sandbox.ledger(division).division.tables
        files: dict[Any, list[tuple[str, bytes]]] = {}
        for row in tables["document_attachments"].values():
            files.setdefault(row["Document"], []).append((row["FileName"], row["_content"]))
        return {
            str(entry["EntryID"]): files.get(entry["Document"], [])
            for entry in tables["sales_entries"].values()
            if entry.get("Document")
        }
