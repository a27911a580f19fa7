"""What tests and benchmarks ask of the simulator's state, in one place."""

from __future__ import annotations

from datetime import date

from connector_teamleader.sandbox.server import TeamleaderSandbox


def booked_documents(
    sandbox: TeamleaderSandbox, start: date = date(2026, 1, 1), department: str = "Acme BV"
) -> set[tuple[str, str]]:
    """(kind, number) of every booked invoice and credit note of `department` dated on or after `start`:
    what a run with that start date must book, each exactly once."""
    department_id = sandbox.department_id(department)
    wanted = {
        ("invoice", str(item.invoice_number))
        for item in sandbox.invoices.values()
        if item.status != "draft"
        and item.department_id == department_id
        and item.invoice_date is not None
        and item.invoice_date >= start
    }
    wanted |= {
        ("credit_note", str(item.credit_note_number))
        for item in sandbox.credit_notes.values()
        if item.status != "draft"
        and item.department_id == department_id
        and item.credit_note_date is not None
        and item.credit_note_date >= start
    }
    return wanted
