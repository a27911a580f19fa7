"""Payments, target → source: an entry whose receivable is fully matched makes its invoice paid.

One way only. The target's changes are read incrementally from its cursor (a few calls whatever the
ledger's size). A receivable that is partly paid, or only sent for collection, changes nothing; one
set back to open in the target leaves the source as it is and is reported; an invoice already paid
in the source gets no second payment. The ledger remembers every registered payment, and the cursor
moves only after all of them were recorded, so a crash repeats the reading, never the payment.

With `payments.partial: register` each change of what the target matched registers the part the
source does not count yet (`Source.register_payment`: the source's amount due less what the target
has open, read from the source right before writing, so a rerun or a crash after the write registers
nothing twice), dated with the target's latest payment; the ledger adds the parts up. A match undone
in the target (it matched less than was registered) is reported and nothing is undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import partial

from connector.contract.errors import ApiError, Paused, RetriableError
from connector.contract.records import Payment, PaymentStatus
from connector.engine.run import Run
from connector.state.ledger import LedgerEntry
from connector.testing import killpoints

log = logging.getLogger("connector.payments")

CURSOR = "payments.target_cursor"


def sync_payments(run: Run) -> None:
    state, report = run.state, run.report
    changes, cursor = run.sink.payment_changes(state.cursor_get(CURSOR))
    for change in changes:
        if run.stopping("payments"):
            cursor = None  # read the rest again next run
            break
        entry = state.ledger_by_target(change.target_id)
        if entry is None or entry.kind != "invoice":
            continue  # not booked by connector, or a credit note: nothing to mark in the source
        label = f"{entry.source_key} {entry.number or ''}".strip()
        if run.rules.payments.partial == "register":
            if not _register_part(run, entry, change, label):
                cursor = None  # read these changes again next run
            continue
        if not change.fully_paid:
            if entry.paid_at is not None:
                report.notices.append(
                    f"{label} was set back to open in the target; the source keeps it paid (one way only)"
                )
                report.add("payments.reopened_ignored")
            continue
        if entry.paid_at is not None:
            continue
        paid_on = change.payment_date or run.source.context.clock().date()
        if run.dry_run:
            run.plan.append(f"paid    {label}: paid on {paid_on.isoformat()} in the target")
            report.add("payments.registered")
            continue
        document_id = entry.source_key.split(":", 1)[1]
        if not _write(run, entry, label, paid_on, True, partial(run.source.mark_paid, document_id, paid_on)):
            cursor = None  # read these changes again next run
    if cursor is not None and not run.dry_run:
        with state.transaction():
            state.cursor_set(CURSOR, cursor)
            killpoints.reached("payments.cursor_uncommitted")


def _registered(run: Run, entry: LedgerEntry, payment: Payment, label: str, part: bool = False) -> None:
    run.report.add("payments.registered")
    if part:
        run.report.add("payments.partial")
    paid_on = payment.paid_at.date()
    if run.rules.notify.paid:
        run.report.paid.append(
            {
                "document": entry.source_key,
                "number": entry.number or "",
                "amount": str(payment.amount),
                "currency": payment.currency,
                "paid_on": paid_on.isoformat(),
                **({"part": "yes"} if part else {}),
            }
        )
    what = "part paid" if part else "set paid"
    log.info("%s %s: %s %s on %s", label, what, payment.amount, payment.currency, paid_on)


def _register_part(run: Run, entry: LedgerEntry, change: PaymentStatus, label: str) -> bool:
    """`payments.partial: register`: register what the target matched beyond what the source counts.
    False when the source refused (the change is read again next run)."""
    report = run.report
    registered = entry.payment_amount or Decimal(0)
    matched = change.amount_matched
    if not change.fully_paid:
        if entry.paid_at is not None or (matched is not None and matched < registered):
            shown = f"{matched} matched" if matched is not None else "set back to open"
            report.notices.append(
                f"{label}: {shown} in the target, {registered} registered in the source; the source "
                "keeps its payments (one way only)"
            )
            report.add("payments.reversal_reported")
            return True
        if matched is None or change.amount_open is None or matched <= registered:
            return True  # nothing (new) matched, or the sink cannot tell how much
    elif entry.paid_at is not None:
        return True
    paid_on = change.payment_date or run.source.context.clock().date()
    open_in_target = Decimal(0) if change.fully_paid else change.amount_open or Decimal(0)
    if run.dry_run:
        what = "paid   " if change.fully_paid else "part   "
        run.plan.append(
            f"{what} {label}: all but {open_in_target} open in the target, on {paid_on.isoformat()}"
        )
        report.add("payments.registered")
        return True
    document_id = entry.source_key.split(":", 1)[1]
    return _write(
        run,
        entry,
        label,
        paid_on,
        change.fully_paid,
        partial(run.source.register_payment, document_id, open_in_target, paid_on),
    )


def _write(
    run: Run,
    entry: LedgerEntry,
    label: str,
    paid_on: date,
    fully_paid: bool,
    write: Callable[[], Payment | None],
) -> bool:
    """Register a payment in the source (`write`) and record it in the ledger; False when the
    source refused (the change is read again next run). `write` answers None when the source
    counts the payment already (registered before a crash, paid there, or a credit note)."""
    state, report = run.state, run.report
    try:
        killpoints.reached("payments.before_write")
        payment = write()
        killpoints.reached("payments.after_write")
    except Paused:
        raise
    except (ApiError, RetriableError) as error:
        report.fail(
            entry.source_key,
            f"{entry.number}: payment not registered: {error.message}",
            error.hint,
            group="payments",
        )
        return False
    paid_at = datetime.combine(paid_on, time(0, 0), tzinfo=UTC) if fully_paid else None
    if payment is None:
        if fully_paid:
            report.add("payments.already_paid")
            state.mark_paid(entry.source_key, Decimal(0), paid_at)
        return True
    state.mark_paid(entry.source_key, payment.amount, paid_at)
    killpoints.reached("payments.after_ledger")
    _registered(run, entry, payment, label, part=not fully_paid)
    return True
