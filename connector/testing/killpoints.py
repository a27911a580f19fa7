"""Named points where a crash test can kill the process, to prove a rerun repairs everything.

Set ``CONNECTOR_KILL_AT=name`` (or ``name:N`` for the Nth time the point is reached) and the process
SIGKILLs itself there: no cleanup, no `finally`, exactly as a power cut or an OOM kill would leave it.
Unset (always, outside tests) a point costs one dictionary lookup. tests/e2e/test_e2e_crash.py kills a
run at each point and checks that the next run ends with everything synced exactly once.
"""

from __future__ import annotations

import os
import signal

ENVIRONMENT_VARIABLE = "CONNECTOR_KILL_AT"

POINTS = (
    "documents.before_intent",
    "documents.after_intent",
    "documents.after_write",
    "documents.after_result",
    "documents.cursor_uncommitted",
    "documents.after_cursor",
    "customers.after_write",
    "payments.before_write",
    "payments.after_write",
    "payments.after_ledger",
    "payments.cursor_uncommitted",
    "import.after_write",
    "attachments.after_call",  # a sink's call of a multi-call attachment made, its step not yet finished
)

_seen: dict[str, int] = {}


def reached(name: str) -> None:
    spec = os.environ.get(ENVIRONMENT_VARIABLE)
    if not spec:
        return
    wanted, _, nth = spec.partition(":")
    if wanted != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
