"""Webhooks: registration and delivery to a receiver on loopback (notes §10)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connector_teamleader.sandbox import TeamleaderSandbox


class Receiver:
    """A tiny HTTP server that queues every JSON body POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.put((self.path, json.loads(self.rfile.read(length))))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/s3cret"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def next(self) -> dict[str, Any]:
        return self.bodies.get(timeout=5)[1]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


TYPES = ["invoice.booked", "creditNote.booked", "invoice.paymentRegistered"]


def test_register_list_unregister(bare_api: Any, receiver: Receiver) -> None:
    assert bare_api("webhooks.register", {"url": receiver.url, "types": TYPES}).status_code == 204
    assert bare_api.data("webhooks.list") == [{"url": receiver.url, "types": sorted(TYPES)}]
    assert (
        bare_api("webhooks.unregister", {"url": receiver.url, "types": ["invoice.booked"]}).status_code == 204
    )
    assert bare_api.data("webhooks.list")[0]["types"] == ["creditNote.booked", "invoice.paymentRegistered"]


def test_unknown_event_type_is_400(bare_api: Any, receiver: Receiver) -> None:
    response = bare_api("webhooks.register", {"url": receiver.url, "types": ["invoice.paid"]})
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["field"] == "types.0"


def test_booking_paying_and_crediting_deliver_id_only_payloads(
    bare: TeamleaderSandbox, bare_api: Any, receiver: Receiver
) -> None:
    bare_api("webhooks.register", {"url": receiver.url, "types": TYPES})
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}])
    account = {"type": "account", "id": bare.credentials["account_id"]}
    assert receiver.next() == {
        "type": "invoice.booked",
        "subject": {"type": "invoice", "id": invoice.id},
        "account": account,
    }
    bare_api(
        "invoices.registerPayment",
        {
            "id": invoice.id,
            "payment": {"amount": 1, "currency": "EUR"},
            "paid_at": "2026-03-01T10:00:00+00:00",
        },
    )
    assert receiver.next()["type"] == "invoice.paymentRegistered"
    note = bare_api("invoices.credit", {"id": invoice.id}).json()["data"]["id"]
    assert receiver.next() == {
        "type": "creditNote.booked",
        "subject": {"type": "creditNote", "id": note},
        "account": account,
    }


def test_unsubscribed_events_are_not_delivered(
    bare: TeamleaderSandbox, bare_api: Any, receiver: Receiver
) -> None:
    bare_api("webhooks.register", {"url": receiver.url, "types": ["creditNote.booked"]})
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}])
    bare.credit(invoice.id)
    assert receiver.next()["type"] == "creditNote.booked"
    assert bare.flush_webhooks()
    assert receiver.bodies.empty()


def test_a_dead_receiver_is_recorded_not_raised(bare: TeamleaderSandbox, bare_api: Any) -> None:
    dead = Receiver()
    dead.stop()  # nothing listens there any more
    bare_api("webhooks.register", {"url": dead.url, "types": TYPES})
    response = bare_api("invoices.draft", {"department_id": "nope"})  # unrelated call still answers
    assert response.status_code == 400
    invoice = bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}])
    assert bare.flush_webhooks()
    deliveries = bare_api.http.get("/_sandbox/webhooks").json()["deliveries"]
    assert [(d["type"], d["subject_id"], d["status"]) for d in deliveries] == [
        ("invoice.booked", invoice.id, None)
    ]
    assert deliveries[0]["error"]


def test_a_receiver_error_status_is_recorded(bare: TeamleaderSandbox, bare_api: Any) -> None:
    failing = Receiver(status=500)
    try:
        bare_api("webhooks.register", {"url": failing.url, "types": TYPES})
        bare.book_invoice(customer="Pied Piper BV", lines=[{"price": 100}])
        failing.next()
        assert bare.flush_webhooks()
        assert [d.status for d in bare.deliverer.history()] == [500]
    finally:
        failing.stop()


def test_a_hanging_receiver_does_not_hold_up_the_api(bare: TeamleaderSandbox, bare_api: Any) -> None:
    release, arrived = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrived.set()
            release.wait(5)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    hanging = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=hanging.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{hanging.server_address[1]}/hook"
        bare_api("webhooks.register", {"url": url, "types": ["invoice.drafted", "invoice.booked"]})
        body = {
            "invoicee": {"customer": {"type": "company", "id": next(iter(bare.companies))}},
            "department_id": bare.department_id(),
            "payment_term": {"type": "cash"},
            "grouped_lines": [
                {
                    "line_items": [
                        {
                            "quantity": 1,
                            "description": "x",
                            "unit_price": {"amount": 1, "tax": "excluding"},
                            "tax_rate_id": bare.tax_rate_id("21%"),
                        }
                    ]
                }
            ],
        }
        ident = bare_api("invoices.draft", body).json()["data"]["id"]
        assert arrived.wait(5)  # the receiver now holds the first delivery
        answer = bare_api("invoices.book", {"id": ident, "on": "2026-02-02"})
        assert answer.status_code == 204 and not release.is_set()
    finally:
        release.set()
        assert bare.flush_webhooks()
        hanging.shutdown()
        hanging.server_close()
    assert [d.type for d in bare.deliverer.history()] == ["invoice.drafted", "invoice.booked"]
