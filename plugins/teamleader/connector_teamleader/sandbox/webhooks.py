"""Webhooks: `webhooks.register/list/unregister` and the POSTs Teamleader makes when things happen.

Source: notes §10. Registration is by (url, types), no ids, no secret; the payload carries ids only:
``{"type", "subject": {"type", "id"}, "account": {"type": "account", "id"}}`` (`account` UNVERIFIED).
Delivery runs on a background thread with a short timeout, so a slow receiver never holds up the API
request that caused the event; each attempt is recorded, a failure is never raised. Retries, headers
and ordering are UNVERIFIED: one attempt, in event order.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from connector.testing.sandbox import Response

from .common import invalid, iso, obj
from .store import Store

EVENT_TYPES = frozenset(
    [
        "account.deactivated",
        "account.deleted",
        "call.added",
        "call.completed",
        "call.deleted",
        "call.updated",
        "company.added",
        "company.deleted",
        "company.updated",
        "contact.added",
        "contact.deleted",
        "contact.linkedToCompany",
        "contact.unlinkedFromCompany",
        "contact.updatedLinkToCompany",
        "contact.updated",
        "creditNote.booked",
        "creditNote.deleted",
        "creditNote.peppolSubmissionFailed",
        "creditNote.peppolSubmissionSucceeded",
        "creditNote.sent",
        "creditNote.updated",
        "deal.created",
        "deal.deleted",
        "deal.lost",
        "deal.moved",
        "deal.updated",
        "deal.won",
        "incomingCreditNote.added",
        "incomingCreditNote.approved",
        "incomingCreditNote.bookkeepingSubmissionFailed",
        "incomingCreditNote.bookkeepingSubmissionSucceeded",
        "incomingCreditNote.deleted",
        "incomingCreditNote.refused",
        "incomingCreditNote.updated",
        "incomingInvoice.added",
        "incomingInvoice.approved",
        "incomingInvoice.bookkeepingSubmissionFailed",
        "incomingInvoice.bookkeepingSubmissionSucceeded",
        "incomingInvoice.deleted",
        "incomingInvoice.refused",
        "incomingInvoice.updated",
        "invoice.booked",
        "invoice.deleted",
        "invoice.drafted",
        "invoice.paymentRegistered",
        "invoice.paymentRemoved",
        "invoice.peppolSubmissionFailed",
        "invoice.peppolSubmissionSucceeded",
        "invoice.sent",
        "invoice.updated",
        "meeting.created",
        "meeting.completed",
        "meeting.deleted",
        "meeting.updated",
        "milestone.created",
        "milestone.updated",
        "nextgenProject.created",
        "nextgenProject.updated",
        "nextgenProject.closed",
        "nextgenProject.deleted",
        "nextgenTask.completed",
        "nextgenTask.created",
        "nextgenTask.deleted",
        "nextgenTask.updated",
        "product.added",
        "product.updated",
        "product.deleted",
        "project.created",
        "project.deleted",
        "project.updated",
        "receipt.added",
        "receipt.approved",
        "receipt.bookkeepingSubmissionFailed",
        "receipt.bookkeepingSubmissionSucceeded",
        "receipt.deleted",
        "receipt.refused",
        "receipt.updated",
        "subscription.added",
        "subscription.deactivated",
        "subscription.deleted",
        "subscription.updated",
        "task.completed",
        "task.created",
        "task.deleted",
        "task.updated",
        "ticket.closed",
        "ticket.created",
        "ticket.deleted",
        "ticket.reopened",
        "ticket.updated",
        "ticketMessage.added",
        "timeTracking.added",
        "timeTracking.deleted",
        "timeTracking.updated",
        "user.deactivated",
    ]
)


@dataclass
class Delivery:
    """One attempt to deliver one event to one URL."""

    url: str
    type: str
    subject_id: str
    at: str | None
    status: int | None = None
    error: str | None = None

    def json(self) -> dict[str, Any]:
        return asdict(self)


def _parse(body: dict[str, Any]) -> tuple[str, list[str]]:
    url, types = body.get("url"), body.get("types")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise invalid("url", "url must be an http(s) URL")
    if not isinstance(types, list) or not types:
        raise invalid("types", "types must be a non-empty array")
    for position, kind in enumerate(types):
        if kind not in EVENT_TYPES:
            raise invalid(f"types.{position}", f"{kind!r} is not a webhook event type")
    return url, types


def webhooks_register(store: Store, body: dict[str, Any]) -> Response:
    url, types = _parse(obj(body, "body"))
    store.webhooks.setdefault(url, set()).update(types)
    return Response.empty(204)


def webhooks_unregister(store: Store, body: dict[str, Any]) -> Response:
    url, types = _parse(obj(body, "body"))
    remaining = store.webhooks.get(url, set()) - set(types)
    if remaining:
        store.webhooks[url] = remaining
    else:
        store.webhooks.pop(url, None)
    return Response.empty(204)


def webhooks_list(store: Store, body: dict[str, Any]) -> Response:
    data = [{"url": url, "types": sorted(types)} for url, types in sorted(store.webhooks.items())]
    return Response.json({"data": data})


ENDPOINTS = {
    "webhooks.register": webhooks_register,
    "webhooks.unregister": webhooks_unregister,
    "webhooks.list": webhooks_list,
}


class Deliverer:
    """Posts queued events from one background thread; `flush()` waits until the queue is empty."""

    def __init__(self, store: Store, *, timeout: float = 2.0) -> None:
        self.store = store
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | threading.Event | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="teamleader-webhooks", daemon=True)
        self._thread.start()

    def emit(self, kind: str, subject_type: str, subject_id: str) -> None:
        """Called under the server lock by whatever changed; never blocks on the network."""
        payload = {
            "type": kind,
            "subject": {"type": subject_type, "id": subject_id},
            "account": {"type": "account", "id": self.store.user.account_id},
        }
        for url, types in self.store.webhooks.items():
            if kind in types:
                self._queue.put((url, payload))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (up to `timeout` s) until every event queued so far was attempted; True when all were."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def history(self) -> list[Delivery]:
        with self._lock:
            return list(self.deliveries)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=self.timeout + 1)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                url, payload = item
                record = Delivery(url, payload["type"], payload["subject"]["id"], iso(self.store.clock.now()))
                try:
                    answer = client.post(url, json=payload)
                    record.status = answer.status_code
                except httpx.HTTPError as error:
                    record.error = f"{type(error).__name__}: {error}"
                with self._lock:
                    self.deliveries.append(record)
