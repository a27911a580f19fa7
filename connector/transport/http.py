"""Talking to a service over HTTP: call counting, rate budgets, retries by kind.

`ApiClient` is what both plugins' clients build on. Per request it:

- waits for budget (`RateGovernor`, in governor.py) instead of earning a 429, calibrated from the
  headers of every response (the plugin parses them into `Budget`s), counting the call from the
  moment it is sent until its answer, from any thread;
- retries timeouts, connection errors and 5xx with exponential backoff and jitter, but only for
  requests that are safe to repeat; a write whose outcome is unknown raises `RetriableError` and is
  reconciled by the engine (looked up before it is ever sent again);
- on a 429 waits until the announced reset and tries again (the service did not process it);
- on a 401 asks the token keeper for a new access token once;
- never retries another 4xx: it raises the plugin's `ApiError`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from connector.contract.errors import ApiError, BudgetExhausted, CircuitOpen, RetriableError
from connector.contract.services import DayBudget, ServiceContext
from connector.transport.governor import Budget, RateGovernor, Wait

__all__ = ["ApiClient", "Budget", "RateGovernor", "Wait", "parse_reset"]

log = logging.getLogger("connector.http")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ERROR_WINDOW = timedelta(hours=1)
EPOCH_MS = 10**11
"""A number this large is milliseconds: as seconds it would be after the year 5000."""
EPOCH_S = 10**8
"""A number this large (1973 on) is an epoch timestamp; a smaller one is seconds from now."""


def parse_reset(value: str | None, now: datetime | None = None) -> datetime | None:
    """A rate-limit reset header as an aware moment, whatever form the service writes it in.

    Accepted: epoch seconds (``1767261600``) and epoch milliseconds (``1767261600000``), with or
    without a fraction; seconds from `now` (``30``); an ISO-8601 datetime with or without fractions
    of a second and with an offset (``2026-12-01T10:00:00.123+01:00``, ``+0100``, ``Z``) or without
    one, which is read as UTC. None for an absent or unreadable value, so the caller falls back to
    its own guess instead of failing on a header.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is not None:
        if not number.is_finite() or number < 0:
            return None
        if number >= EPOCH_MS:
            return datetime.fromtimestamp(float(number / 1000), UTC)
        if number >= EPOCH_S:
            return datetime.fromtimestamp(float(number), UTC)
        return (now or datetime.now(UTC)) + timedelta(seconds=float(number))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        log.warning("unreadable rate-limit reset %r", value)
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ApiClient:
    """The HTTP layer a plugin's client builds on; subclasses say how to authenticate and parse.

    A circuit breaker per endpoint: once `max_errors_per_hour` error answers (any 4xx but 429, and
    5xx) came from one endpoint within the last hour, that endpoint is not called again until the
    oldest of them is an hour old (`CircuitOpen`: the run stops cleanly). Services that block an app
    after a number of errors per endpoint per hour (10, for one of them) are never reached that way.
    The errors are kept in the client's state (`ServiceContext.errors`), so separate runs add up.
    """

    service = "service"
    max_retries = 4
    backoff_base = 0.5
    max_errors_per_hour = 6

    def __init__(self, base_url: str, context: ServiceContext, governor: RateGovernor) -> None:
        self.base_url = base_url.rstrip("/")
        self.context = context
        self.governor = governor
        self.http = httpx.Client(timeout=context.timeout, transport=context.transport)
        self.retries = 0

    # -- what a subclass provides ---------------------------------------------------------------

    def auth_headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        return {}

    def budgets(self, response: httpx.Response) -> list[Budget]:
        """The rate windows announced by a response's headers."""
        return []

    def retry_at(self, response: httpx.Response) -> datetime | None:
        """When a 429 says to try again."""
        return None

    def error(self, response: httpx.Response, endpoint: str) -> ApiError:
        return ApiError(
            f"{self.service} answered {response.status_code} on {endpoint}: {response.text[:300]}",
            status=response.status_code,
            response=response,
        )

    # -- the request loop -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str | None = None,
        safe: bool | None = None,
        authenticated: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one logical request; `safe` says whether it may be repeated after an unknown outcome."""
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        endpoint = endpoint or path.split("?")[0]
        repeatable = method.upper() in SAFE_METHODS if safe is None else safe
        extra_headers: dict[str, str] = dict(kwargs.pop("headers", None) or {})
        attempt = 0
        refreshed = force_refresh = False
        while True:
            attempt += 1
            self.check_circuit(endpoint)
            headers = dict(extra_headers)
            if authenticated:
                headers.update(self.auth_headers(force_refresh=force_refresh))
            force_refresh = False
            ticket = self.governor.acquire()
            try:
                self._count(endpoint)
                response = self.http.request(method, url, headers=headers, **kwargs)
            except BaseException as error:
                self.governor.settle(ticket, [])  # counted, whatever became of it
                if not isinstance(error, (httpx.TimeoutException, httpx.TransportError)):
                    raise
                if repeatable and attempt <= self.max_retries:
                    self._backoff(attempt, f"{type(error).__name__} on {endpoint}")
                    continue
                raise RetriableError(
                    f"{self.service}: no answer on {endpoint} ({type(error).__name__})",
                    hint="the outcome is unknown; the next run reconciles it before anything is resent",
                ) from error
            self.governor.settle(ticket, self.budgets(response))
            day = self.governor.day
            if day is not None:
                self.context.day_budget = DayBudget(day.limit, day.remaining, day.resets_at)
            status = response.status_code
            if status >= 400 and status != 429:
                self.context.errors.record(self.service, endpoint, self.context.clock())
            if status == 429:
                day = self.governor.day
                if day is not None and day.remaining <= 0 and self.context.clock() < day.resets_at:
                    raise BudgetExhausted(self.service, day.resets_at)  # waiting cannot help today
                if attempt <= self.max_retries + 2:
                    self.retries += 1
                    self.governor.wait_until(self.retry_at(response))
                    continue
                raise RetriableError(f"{self.service}: still rate limited on {endpoint}", response=response)
            if status == 401 and authenticated and not refreshed:
                refreshed = force_refresh = True
                attempt -= 1
                continue
            if status >= 500:
                if repeatable and attempt <= self.max_retries:
                    self._backoff(attempt, f"{status} on {endpoint}")
                    continue
                raise self.server_error(response, endpoint, repeatable)
            if status >= 400:
                raise self.error(response, endpoint)
            return response

    def check_circuit(self, endpoint: str) -> None:
        now = self.context.clock()
        count, oldest = self.context.errors.count_since(self.service, endpoint, now - ERROR_WINDOW)
        if count >= self.max_errors_per_hour:
            raise CircuitOpen(self.service, endpoint, count, (oldest or now) + ERROR_WINDOW)

    def server_error(self, response: httpx.Response, endpoint: str, repeatable: bool) -> Exception:
        """A 5xx that was not (or no longer) retried."""
        if repeatable:
            return RetriableError(
                f"{self.service} kept failing on {endpoint} ({response.status_code})", response=response
            )
        return self.error(response, endpoint)

    def _count(self, endpoint: str) -> None:
        calls: Mapping[str, int] = self.context.calls
        self.context.calls[endpoint] = calls.get(endpoint, 0) + 1

    def _backoff(self, attempt: int, why: str) -> None:
        self.retries += 1
        delay = self.backoff_base * (2 ** (attempt - 1)) * (1 + random.random())
        log.info("%s: %s; retrying in %.1f s", self.service, why, delay)
        self.context.sleep(delay)

    def close(self) -> None:
        self.http.close()
