"""Fakes for testing code that talks to Exact Online without a network: a clock and a scripted Exact.

`FakeExact.handle` is an `httpx.MockTransport` handler; `build_sink` wires an `ExactOnlineSink` to it
through `ServiceContext(transport=...)`, with a clock that only moves when the code under test
sleeps. Used by this plugin's unit tests; a plugin that wraps this sink may use them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx

import connector.testing
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore, Tokens
from connector_exact.sink import ExactOnlineSink

BASE = "https://start.exactonline.nl"
DIVISION = 123456
START = datetime(2026, 11, 28, 12, 0, 10, tzinfo=UTC)
CLIENT_ID = "{b81cc4de-d192-400e-bcb4-09254394c52a}"

Responder = Callable[[httpx.Request], httpx.Response]


class FakeClock(connector.testing.FakeClock):
    """The shared fake clock, starting at `START` (10 s into a minute, so minutes are predictable)."""

    def __init__(self, start: datetime = START) -> None:
        super().__init__(start)


def ms(moment: datetime) -> str:
    """A moment as Exact's rate-limit headers write it: UTC epoch milliseconds."""
    return str(int(moment.timestamp() * 1000))


def page(rows: list[dict[str, Any]], next_url: str | None = None) -> httpx.Response:
    """One page of a collection, with `__next` when more follow."""
    d: dict[str, Any] = {"results": rows}
    if next_url:
        d["__next"] = next_url
    return httpx.Response(200, json={"d": d})


def created(entity: dict[str, Any]) -> httpx.Response:
    return httpx.Response(201, json={"d": entity})


def odata_error(status: int, message: str, **headers: str) -> httpx.Response:
    """An error as Exact answers it: ``{"error":{"code":"","message":{"lang":"","value":…}}}``."""
    body = {"error": {"code": "", "message": {"lang": "", "value": message}}}
    return httpx.Response(status, json=body, headers=headers)


class FakeExact:
    """Answers by path (the part after ``/api/v1/{division}/``, or the full path) and records requests.

    Each route holds a queue of answers whose last one repeats. The token endpoint issues numbered
    pairs (``access-1``/``refresh-1``, …) unless scripted. Every API answer carries the six rate-limit
    headers, from `day_remaining` and `minute_remaining`.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], list[Responder | httpx.Response]] = {}
        self.issued = 0
        self.minute_remaining = 59
        self.day_remaining = 4000

    def on(self, method: str, path: str, *answers: Responder | httpx.Response) -> None:
        self.routes[(method, path)] = list(answers)

    def rate_headers(self) -> dict[str, str]:
        now = self.clock.now()
        minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        return {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(self.day_remaining),
            "X-RateLimit-Reset": ms(midnight),
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": str(self.minute_remaining),
            "X-RateLimit-Minutely-Reset": ms(minute),
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        prefix = f"/api/v1/{DIVISION}/"
        short = path[len(prefix) :] if path.startswith(prefix) else path
        queue = self.routes.get((request.method, short))
        if queue is None:
            if path == "/api/oauth2/token":
                return self.issue()
            return odata_error(404, f"Resource not found for the segment '{short}'.")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        response = answer(request) if callable(answer) else answer
        if path.startswith("/api/v1/") and response.status_code != 429:
            for name, value in self.rate_headers().items():
                response.headers.setdefault(name, value)
        return response

    def issue(self) -> httpx.Response:
        self.issued += 1
        return httpx.Response(
            200,
            json={
                "access_token": f"access-{self.issued}",
                "token_type": "bearer",
                "expires_in": "600",
                "refresh_token": f"refresh-{self.issued}",
            },
        )

    def api_requests(self, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if r.url.path.startswith("/api/v1/") and (path is None or path in r.url.path)
        ]

    def token_requests(self) -> list[dict[str, str]]:
        return [
            {k: v[0] for k, v in parse_qs(r.content.decode()).items()}
            for r in self.requests
            if r.url.path == "/api/oauth2/token"
        ]


def build_sink(
    exact: FakeExact, clock: FakeClock, age: float | None = 0, options: dict[str, Any] | None = None
) -> ExactOnlineSink:
    """A sink talking to `exact`, whose stored access token was issued `age` s ago (None: none stored)."""
    store = MemoryTokenStore()
    if age is not None:
        issued = clock.now() - timedelta(seconds=age)
        store.tokens = Tokens("access-0", "refresh-0", issued + timedelta(seconds=600), issued)
    context = ServiceContext(
        "acme",
        "sink",
        tokens=store,
        transport=httpx.MockTransport(exact.handle),
        clock=clock.now,
        sleep=clock.sleep,
    )
    settings = {
        "plugin": "exact_online",
        "division": DIVISION,
        "client_id": CLIENT_ID,
        "client_secret": "s3cret",
        "base_url": BASE,
        **(options or {}),
    }
    return ExactOnlineSink(settings, context)
