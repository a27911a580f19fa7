"""Kill a run at every point that matters; the next run ends with everything synced exactly once.

Each case SIGKILLs the real CLI at a named point (connector/killpoints.py) during a document run, a
payment run or a customer import against the sandboxes, then runs again and counts what each side
holds: every document booked once, every payment registered once, every customer created once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from connector.testing.e2e import World

DOCUMENT_POINTS = [
    ("documents.before_intent", 1),
    ("documents.after_intent", 1),
    ("documents.after_intent", 40),
    ("documents.after_write", 1),
    ("documents.after_write", 2),
    ("documents.after_write", 57),
    ("documents.after_result", 1),
    ("documents.after_result", 80),
    ("documents.cursor_uncommitted", 1),
    ("documents.after_cursor", 1),
    ("customers.after_write", 1),
    ("customers.after_write", 5),
    ("customers.after_write", 20),
]
PAYMENT_POINTS = [
    ("payments.before_write", 1),
    ("payments.after_write", 1),
    ("payments.after_write", 2),
    ("payments.after_write", 3),
    ("payments.after_ledger", 1),
    ("payments.after_ledger", 3),
    ("payments.cursor_uncommitted", 1),
]
IMPORT_POINTS = [("import.after_write", 1), ("import.after_write", 3), ("import.after_write", 5)]


def entries(world: World) -> list[dict[str, Any]]:
    division = world.sandboxes["exact_online"].state()["divisions"]["1234567"]  # type: ignore[attr-defined]
    return list(division["sales_entries"])


def accounts(world: World) -> list[dict[str, Any]]:
    division = world.sandboxes["exact_online"].state()["divisions"]["1234567"]  # type: ignore[attr-defined]
    return list(division["accounts"])


def run(world: World, *args: str, kill: str | None = None) -> int:
    assert world.rules_path is not None
    env = {"CONNECTOR_KILL_AT": kill} if kill else {}
    result = world.cli("run", str(world.rules_path), *args, env=env)
    if kill:
        assert result.returncode == -9, f"not killed at {kill}: {result.stdout}{result.stderr}"
    return result.returncode


def assert_each_document_once(world: World, expected: int) -> None:
    refs = Counter((e["Journal"].strip(), e["Type"], e["YourRef"]) for e in entries(world))
    doubled = {key: count for key, count in refs.items() if count > 1}
    assert not doubled, f"booked twice: {doubled}"
    assert len(refs) == expected, f"{expected - len(refs)} documents missing"


def assert_each_account_once(world: World) -> None:
    names = Counter(account["Name"] for account in accounts(world))
    assert not {name: n for name, n in names.items() if n > 1}, "an account was created twice"


@pytest.fixture(scope="module")
def expected_documents(tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many entries a clean run books from the demo data."""
    world = World.start(
        tmp_path_factory.mktemp("clean"), exact_online={"per_minute": 100_000, "per_day": 10**6}
    )
    try:
        world.write_rules()
        world.authorize()
        assert run(world, "--only", "documents") == 0
        return len(entries(world))
    finally:
        world.stop()


@pytest.mark.parametrize(("point", "nth"), DOCUMENT_POINTS)
def test_a_document_run_killed_anywhere_is_repaired_by_the_next(
    world: World, expected_documents: int, point: str, nth: int
) -> None:
    run(world, "--only", "documents", kill=f"{point}:{nth}")
    assert run(world, "--only", "documents") == 0
    assert_each_document_once(world, expected_documents)
    assert_each_account_once(world)
    assert run(world, "--only", "documents") == 0
    assert_each_document_once(world, expected_documents)


@pytest.mark.parametrize(("point", "nth"), PAYMENT_POINTS)
def test_a_payment_run_killed_anywhere_is_repaired_by_the_next(world: World, point: str, nth: int) -> None:
    assert run(world, "--only", "documents") == 0
    exact = world.sandboxes["exact_online"]
    teamleader = world.sandboxes["teamleader"]
    booked = {e["YourRef"] for e in entries(world) if e["Type"] == 20}
    open_ids = [
        invoice_id
        for invoice_id in teamleader.invoices  # type: ignore[attr-defined]
        if (info := teamleader.invoice_info(invoice_id))["status"] == "outstanding"  # type: ignore[attr-defined]
        and not info["payments"]
        and info["invoice_number"] in booked
    ][:4]
    for invoice_id in open_ids:
        number = teamleader.invoice_info(invoice_id)["invoice_number"]  # type: ignore[attr-defined]
        exact.reconcile(your_ref=number, journal="70", type=20, date="2026-05-04")  # type: ignore[attr-defined]
    run(world, "--only", "payments", kill=f"{point}:{nth}")
    assert run(world, "--only", "payments") == 0
    assert run(world, "--only", "payments") == 0
    for invoice_id in open_ids:
        info = teamleader.invoice_info(invoice_id)  # type: ignore[attr-defined]
        assert info["paid"] is True, info["invoice_number"]
        assert len(info["payments"]) == 1, f"{info['invoice_number']} paid {len(info['payments'])} times"


@pytest.mark.parametrize(("point", "nth"), IMPORT_POINTS)
def test_a_customer_import_killed_anywhere_is_repaired_by_the_next(
    world: World, point: str, nth: int
) -> None:
    world.write_rules({"sync": {"import_customers": True}})
    run(world, "--only", "customers", kill=f"{point}:{nth}")
    assert run(world, "--only", "customers") == 0
    teamleader = world.sandboxes["teamleader"]
    companies = Counter(c.name for c in teamleader.companies.values())  # type: ignore[attr-defined]
    people = Counter(c.name for c in teamleader.contacts.values())  # type: ignore[attr-defined]
    assert not {n: c for n, c in companies.items() if c > 1}, "a company imported twice"
    assert people["Sofie Maes"] <= 2 and people["Camille Dubois"] <= 1, "a contact imported twice"
