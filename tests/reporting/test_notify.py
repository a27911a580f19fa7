"""Notifications after a run: log, webhook with paid notices and reports; never failing a sync."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, date, datetime

import httpx
import pytest

from connector.contract.reconciliation import Difference, Reconciliation
from connector.contract.report import RunReport
from connector.reporting import notify
from connector.reporting.notify import Notifier, masked, post_json
from connector.rules.model import Notify, PluginSection, Rules
from connector.testing.rules import make_rules

SECRET_URL = "https://hooks.example.com/T0SECRET/abc123"


def rules(webhook: str | None, paid: bool = True) -> Rules:
    return make_rules(
        source=PluginSection("a"),
        sink=PluginSection("b"),
        notify=Notify(paid=paid, webhook=webhook),
    )


def report_with_payment() -> RunReport:
    report = RunReport("acme", ("payments",), datetime(2026, 4, 2, tzinfo=UTC))
    report.add("payments.registered")
    report.paid.append(
        {"document": "invoice:1", "number": "2026 / 1", "amount": "121.00", "paid_on": "2026-04-02"}
    )
    return report


def recorder() -> tuple[httpx.MockTransport, list[dict[str, object]]]:
    received: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.content))
        return httpx.Response(200)

    return httpx.MockTransport(handler), received


def test_a_paid_invoice_and_the_run_report_are_posted() -> None:
    transport, received = recorder()
    Notifier(transport).run_finished(rules(SECRET_URL), report_with_payment())
    assert [payload["event"] for payload in received] == ["invoice.paid", "run.finished"]
    assert received[0]["number"] == "2026 / 1" and received[0]["amount"] == "121.00"
    assert received[1]["status"] == "success"


def test_without_notify_paid_only_the_report_goes_out() -> None:
    transport, received = recorder()
    Notifier(transport).run_finished(rules(SECRET_URL, paid=False), report_with_payment())
    assert [payload["event"] for payload in received] == ["run.finished"]


def test_a_reconcile_result_is_posted_and_mailed_whether_the_books_agree_or_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transport, received = recorder()
    mails: list[tuple[str, str]] = []
    monkeypatch.setattr(notify, "send_email", lambda settings, subject, body: mails.append((subject, body)))
    missing = Difference(
        "missing_in_sink", "not booked: tax rate '12%' is not mapped", "invoice:1", "2027 / 3"
    )
    month = (date(2027, 2, 1), date(2027, 2, 28))
    settings = dataclasses.replace(
        rules(SECRET_URL), notify=Notify(webhook=SECRET_URL, email={"to": ["a@b.example"]})
    )

    Notifier(transport).reconcile_finished(settings, Reconciliation(*month, (missing,), (), 1, 0))
    Notifier(transport).reconcile_finished(settings, Reconciliation(*month, (), (), 1, 1))

    assert [(p["event"], len(p["differences"])) for p in received] == [  # type: ignore[arg-type]
        ("reconcile.finished", 1),
        ("reconcile.finished", 0),
    ]
    assert received[0]["period"] == {"from": "2027-02-01", "to": "2027-02-28"}
    assert [subject for subject, _ in mails] == [
        "connector acme: reconcile 2027-02-01 to 2027-02-28: DIFFERENT",
        "connector acme: reconcile 2027-02-01 to 2027-02-28: agrees",
    ]
    assert "missing in sink    2027 / 3: not booked: tax rate '12%' is not mapped" in mails[0][1]


def test_a_quiet_run_posts_nothing() -> None:
    transport, received = recorder()
    Notifier(transport).run_finished(rules(SECRET_URL), RunReport("acme", ("documents",), datetime.now(UTC)))
    assert received == []


def test_a_dead_webhook_never_fails_the_sync_and_its_secret_is_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("refused", request=request)

    with caplog.at_level(logging.WARNING):
        delivered = post_json(
            SECRET_URL, {"event": "x"}, transport=httpx.MockTransport(handler), sleep=lambda s: None
        )
    assert delivered is False
    assert len(calls) == 3, "a few retries, then given up"
    assert "T0SECRET" not in caplog.text and "hooks.example.com" in caplog.text


def test_a_webhook_url_is_masked_to_its_host() -> None:
    assert masked(SECRET_URL) == "https://hooks.example.com/…"


class SmtpServer:
    """A minimal SMTP server on loopback that keeps what it receives (no TLS, no login)."""

    def __init__(self) -> None:
        import socketserver
        import threading

        self.messages: list[str] = []
        received = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost ESMTP test\r\n")
                while True:
                    line = self.rfile.readline().decode()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 localhost\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        body = []
                        while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                            body.append(chunk)
                        received.append("".join(body))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_report_worth_reading_is_sent_by_email() -> None:
    server = SmtpServer()
    try:
        email = {
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "starttls": False,
            "from": "connector@acme.example",
            "to": ["boekhouding@acme.example"],
        }
        settings = dataclasses.replace(rules(None), notify=Notify(paid=True, email=email))
        Notifier().run_finished(settings, report_with_payment())
    finally:
        server.stop()
    [message] = server.messages
    assert "Subject: connector acme: payments done, 1 invoice(s) set paid" in message
    assert "To: boekhouding@acme.example" in message
    assert "set paid: 2026 / 1 (121.00 on 2026-04-02)" in message


def test_an_unreachable_mail_server_never_fails_the_sync(caplog: pytest.LogCaptureFixture) -> None:
    email = {
        "smtp_host": "127.0.0.1",
        "smtp_port": 9,
        "starttls": False,
        "from": "a@b.example",
        "to": ["c@d.example"],
    }
    with caplog.at_level(logging.WARNING):
        Notifier().run_finished(
            dataclasses.replace(rules(None), notify=Notify(email=email)), report_with_payment()
        )
    assert "not sent" in caplog.text
