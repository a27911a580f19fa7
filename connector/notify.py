"""Notifications: the core's own `run_finished` plugin (DESIGN §4 `notify:`).

After every run: the report's summary and each invoice set paid go to the log. When the rule file
sets `notify.webhook`, each paid notice (with `notify.paid`) and the run report of a run that booked,
failed or skipped something are POSTed there as JSON, with a short timeout and a few retries. A
notification never blocks or fails a sync: a webhook that does not answer is logged and forgotten.
The webhook URL often carries a secret in its path, so only its scheme and host are ever logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from connector.hookspecs import hookimpl
from connector.render import render_report
from connector.report import RunReport
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
        url = rules.notify.webhook
        if not url or report.dry_run:
            return
        if rules.notify.paid:
            for notice in report.paid:
                post_json(
                    url, {"event": "invoice.paid", "client": rules.client, **notice}, transport=self.transport
                )
        if worth_reporting(report):
            post_json(url, {"event": "run.finished", **report.to_dict()}, transport=self.transport)
