"""Payments, Exact → Teamleader, through the real CLI: reconciled means paid, once, one way only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.testing.e2e import World

PAID_ON = "2026-05-04"


def api_calls(box: Any) -> int:
    return sum(
        1 for call in box.calls if not call.path.startswith("/_sandbox/") and "oauth2" not in call.path
    )


def open_invoices(world: World, method: str | None = None) -> list[dict[str, Any]]:
    """Booked, unpaid EUR invoices of the demo department, as Teamleader's API shows them."""
    teamleader = world.sandboxes["teamleader"]
    department = teamleader.department_id("Acme BV")  # type: ignore[attr-defined]
    infos = [teamleader.invoice_info(i) for i in teamleader.invoices]  # type: ignore[attr-defined]
    return [
        info
        for info in infos
        if info["department"]["id"] == department
        and info["status"] == "outstanding"
        and not info["payments"]
        and info["currency"] == "EUR"
        and (info["expected_payment_method"] or {}).get("method") == method
    ]


def info(world: World, invoice_id: str) -> dict[str, Any]:
    return world.sandboxes["teamleader"].invoice_info(invoice_id)  # type: ignore[attr-defined, no-any-return]


def reconcile(world: World, number: str, **options: Any) -> None:
    world.sandboxes["exact_online"].reconcile(  # type: ignore[attr-defined]
        your_ref=number, journal="70", type=20, date=PAID_ON, **options
    )


@pytest.fixture
def booked(world: World) -> World:
    assert world.rules_path is not None
    result = world.cli("run", str(world.rules_path), "--only", "documents")
    assert result.returncode == 0, result.stdout + result.stderr
    return world


def run_payments(world: World) -> str:
    assert world.rules_path is not None
    result = world.cli("run", str(world.rules_path), "--only", "payments")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_reconciled_receivables_make_exactly_those_invoices_paid_once(booked: World) -> None:
    chosen, untouched = open_invoices(booked)[:3], open_invoices(booked)[3:6]
    dues = {i["id"]: Decimal(str(i["total"]["due"]["amount"])) for i in chosen}
    for invoice in chosen:
        reconcile(booked, invoice["invoice_number"])

    output = run_payments(booked)
    assert "3 registered" in output
    for invoice in chosen:
        now = info(booked, invoice["id"])
        assert now["paid"] is True and now["status"] == "matched"
        assert now["paid_at"] == f"{PAID_ON}T00:00:00+00:00"
        [payment] = now["payments"]
        assert Decimal(str(payment["payment"]["amount"])) == dues[invoice["id"]]
    for invoice in untouched:
        assert info(booked, invoice["id"])["paid"] is False

    run_payments(booked)
    for invoice in chosen:
        assert len(info(booked, invoice["id"])["payments"]) == 1, "never a second payment"


def test_setting_a_receivable_back_to_open_leaves_teamleader_paid(booked: World) -> None:
    invoice = open_invoices(booked)[0]
    reconcile(booked, invoice["invoice_number"])
    run_payments(booked)
    booked.sandboxes["exact_online"].unreconcile(  # type: ignore[attr-defined]
        your_ref=invoice["invoice_number"], journal="70", type=20
    )
    output = run_payments(booked)
    assert "set back to open" in output
    now = info(booked, invoice["id"])
    assert now["paid"] is True and len(now["payments"]) == 1


def test_a_partial_payment_leaves_the_invoice_unpaid(booked: World) -> None:
    invoice = open_invoices(booked)[0]
    due = Decimal(str(invoice["total"]["due"]["amount"]))
    reconcile(booked, invoice["invoice_number"], amount=str((due / 2).quantize(Decimal("0.01"))))
    run_payments(booked)
    now = info(booked, invoice["id"])
    assert now["paid"] is False and now["payments"] == []


def test_a_direct_debit_only_sent_for_collection_is_not_paid(booked: World) -> None:
    candidates = open_invoices(booked, "sepa_direct_debit") or open_invoices(booked, "direct_debit")
    assert candidates, "the demo data holds open direct-debit invoices"
    invoice = candidates[0]
    booked.sandboxes["exact_online"].process_direct_debit(  # type: ignore[attr-defined]
        your_ref=invoice["invoice_number"], journal="70", type=20
    )
    run_payments(booked)
    assert info(booked, invoice["id"])["paid"] is False


def test_an_invoice_already_paid_in_teamleader_gets_no_second_payment(booked: World) -> None:
    invoice = open_invoices(booked)[0]
    teamleader = booked.sandboxes["teamleader"]
    teamleader.register_payment(invoice["id"], invoice["total"]["due"]["amount"])  # type: ignore[attr-defined]
    reconcile(booked, invoice["invoice_number"])
    run_payments(booked)
    assert len(info(booked, invoice["id"])["payments"]) == 1


def test_a_payments_run_with_nothing_new_costs_at_most_two_calls_a_side(booked: World) -> None:
    run_payments(booked)
    before = {name: api_calls(box) for name, box in booked.sandboxes.items()}
    run_payments(booked)
    used = {name: api_calls(box) - before[name] for name, box in booked.sandboxes.items()}
    assert used["exact_online"] <= 2 and used["teamleader"] <= 2, used
