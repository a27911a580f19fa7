"""Payments, target → source: an entry whose receivable is fully matched makes its invoice paid.

One way only. The target's changes are read incrementally from its cursor (a few calls whatever the
ledger's size). A receivable that is partly paid, or only sent for collection, changes nothing; one
set back to open in the target leaves the source as it is and is reported; an invoice already paid
in the source gets no second payment. The ledger remembers every registered payment, and the cursor
moves only after all of them were recorded, so a crash repeats the reading, never the payment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from decimal import Decimal

from connector.contract.errors import ApiError, Paused, RetriableError
from connector.engine.run import Run
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
        try:
            killpoints.reached("payments.before_write")
            payment = run.source.mark_paid(document_id, paid_on)
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
            cursor = None  # read these changes again next run
            continue
        if payment is None:
            report.add("payments.already_paid")
            paid_at = datetime.combine(paid_on, time(0, 0), tzinfo=UTC)
            state.mark_paid(entry.source_key, Decimal(0), paid_at)  # paid in the source already
            continue
        state.mark_paid(entry.source_key, payment.amount, payment.paid_at)
        killpoints.reached("payments.after_ledger")
        report.add("payments.registered")
        if run.rules.notify.paid:
            report.paid.append(
                {
                    "document": entry.source_key,
                    "number": entry.number or "",
                    "amount": str(payment.amount),
                    "currency": payment.currency,
                    "paid_on": paid_on.isoformat(),
                }
            )
        log.info("%s set paid: %s %s on %s", label, payment.amount, payment.currency, paid_on)
    if cursor is not None and not run.dry_run:
        with state.transaction():
            state.cursor_set(CURSOR, cursor)
            killpoints.reached("payments.cursor_uncommitted")
