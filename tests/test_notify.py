"""Notifications after a run: log, webhook with paid notices and reports; never failing a sync."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import httpx
import pytest

from connector.notify import Notifier, masked, post_json
from connector.report import RunReport
from connector.rules.model import Journals, Notify, PaymentTermRules, PluginSection, Rules, SyncRules

SECRET_URL = "https://hooks.example.com/T0SECRET/abc123"


def rules(webhook: str | None, paid: bool = True) -> Rules:
    return Rules(
        version=1,
        client="acme",
        source=PluginSection("a"),
        sink=PluginSection("b"),
        sync=SyncRules(start_date=date(2026, 1, 1)),
        journals=Journals("70", "71"),
        vat=(),
        payment_terms=PaymentTermRules(default="30"),
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
