"""Notifications: the core's own `run_finished` plugin (DESIGN §4 `notify:`).

After every run: the report's summary and each invoice set paid go to the log. When the rule file
sets `notify.webhook`, each paid notice (with `notify.paid`) and the run report of a run that booked,
failed or skipped something are POSTed there as JSON, with a short timeout and a few retries. With
`notify.email`, such a report (paid invoices included) is also sent by e-mail over SMTP (standard
library). A notification never blocks or fails a sync: a webhook or mail server that does not answer
is logged and forgotten. The webhook URL often carries a secret in its path, so only its scheme and
host are ever logged.

After every `connector reconcile` (by hand, or watch mode's `triggers.reconcile`) the verdict goes
to the log, and to the webhook (`reconcile.finished`, the JSON of `reconcile --json`) and by
e-mail (the table), whether the books agree or not: proving them is the point.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from connector.contract.hookspecs import hookimpl
from connector.contract.reconciliation import Reconciliation
from connector.contract.report import RunReport
from connector.contract.secrets import mask
from connector.reporting.reconciliation import render as render_reconciliation
from connector.reporting.render import render_report
from connector.rules.model import Rules

log = logging.getLogger("connector.notify")

TIMEOUT = 5.0
ATTEMPTS = 3


def masked(url: str) -> str:
    """`https://hooks.example.com/…`: the path may be the webhook's secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}/…"


def worth_reporting(report: RunReport) -> bool:
    """A run that changed or refused something; quiet runs make no noise."""
    moved = any(key.endswith((".booked", ".created", ".updated", ".registered")) for key in report.counts)
    return moved or bool(report.outcomes) or bool(report.error) or report.incomplete


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST with a few quick retries; True when the webhook took it. Never raises."""
    with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = client.post(url, json=payload)
                if response.status_code < 400:
                    return True
                reason = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break
            except httpx.HTTPError as error:
                reason = type(error).__name__
            if attempt < ATTEMPTS:
                sleep(0.5 * attempt)
    log.warning("notification to %s not delivered (%s); the sync is not affected", masked(url), reason)
    return False


def send_email(settings: Mapping[str, Any], subject: str, body: str) -> bool:
    """Send one plain-text message; True when the server took it. Never raises."""
    host = str(settings["smtp_host"])
    starttls = bool(settings.get("starttls", True))
    port = int(settings.get("smtp_port") or (587 if starttls else 25))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = str(settings["from"])
    message["To"] = ", ".join(str(address) for address in settings["to"])
    message.set_content(body)
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
            if starttls:
                smtp.starttls()
            if settings.get("username"):
                smtp.login(str(settings["username"]), str(settings.get("password") or ""))
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as error:
        log.warning(
            "e-mail to %s via %s not sent (%s); the sync is not affected",
            message["To"],
            host,
            mask(str(error)) or type(error).__name__,
        )
        return False


def email_subject(rules: Rules, report: RunReport) -> str:
    words = {"success": "done", "partial": "PARTIAL", "failed": "FAILED"}[report.status]
    paid = f", {len(report.paid)} invoice(s) set paid" if report.paid else ""
    return f"connector {rules.client}: {', '.join(report.flows)} {words}{paid}"


class Notifier:
    """The core's default plugin: registered by `Plugins.load()` before any installed plugin."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport

    @hookimpl
    def run_finished(self, rules: Rules, report: RunReport) -> None:
        log.info("%s", render_report(report).replace("\n", " | "))
        for notice in report.paid:
            log.info(
                "%s: invoice %s set paid (%s on %s)",
                rules.client,
                notice["number"],
                notice["amount"],
                notice["paid_on"],
            )
        if report.dry_run:
            return
        url = rules.notify.webhook
        if url and rules.notify.paid:
            for notice in report.paid:
                payload = {"event": "invoice.paid", "client": rules.client, **notice}
                post_json(url, payload, transport=self.transport)
        if url and worth_reporting(report):
            post_json(url, {"event": "run.finished", **report.to_dict()}, transport=self.transport)
        if rules.notify.email and worth_reporting(report):
            send_email(rules.notify.email, email_subject(rules, report), render_report(report))

    @hookimpl
    def reconcile_finished(self, rules: Rules, result: Reconciliation) -> None:
        verdict = "the books agree" if result.agrees else f"{len(result.differences)} difference(s)"
        period = f"{result.start.isoformat()} to {result.end.isoformat()}"
        log.info("%s: reconcile %s: %s", rules.client, period, verdict)
        url = rules.notify.webhook
        if url:
            payload = {"event": "reconcile.finished", "client": rules.client, **result.to_dict()}
            post_json(url, payload, transport=self.transport)
        if rules.notify.email:
            subject = (
                f"connector {rules.client}: reconcile {period}: {'agrees' if result.agrees else 'DIFFERENT'}"
            )
            send_email(rules.notify.email, subject, render_reconciliation(result, {}))
