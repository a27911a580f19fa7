"""The shared HTTP layer: budgets, retries by kind, 401 refresh — with an injected MockTransport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from connector.contract.errors import ApiError, BudgetExhausted, CircuitOpen, RetriableError
from connector.contract.services import ServiceContext
from connector.testing import FakeClock
from connector.transport.http import ApiClient, Budget, RateGovernor, parse_reset
from connector.transport.skew import PRIOR_SKEW


class Client(ApiClient):
    service = "fake"

    def __init__(self, handler: httpx.MockTransport, clock: FakeClock, per_minute: int = 60) -> None:
        context = ServiceContext("acme", "sink", transport=handler, clock=clock.now, sleep=clock.sleep)
        governor = RateGovernor(
            service="fake", per_minute=per_minute, per_day=100, clock=clock.now, sleep=clock.sleep
        )
        super().__init__("http://fake.test", context, governor)
        self.tokens = ["first", "second"]
        self.clock = clock

    def auth_headers(self, *, force_refresh: bool = False) -> dict[str, str]:
        if force_refresh:
            self.tokens.pop(0)
        return {"Authorization": f"Bearer {self.tokens[0]}"}

    def budgets(self, response: httpx.Response) -> list[Budget]:
        if "X-Day-Remaining" not in response.headers:
            return []
        return [
            Budget(
                "day", 100, int(response.headers["X-Day-Remaining"]), self.clock.now() + timedelta(hours=5)
            )
        ]

    def retry_at(self, response: httpx.Response) -> datetime | None:
        return self.clock.now() + timedelta(seconds=int(response.headers.get("X-Wait", "7")))


def scripted(*responses: httpx.Response | type[Exception]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, type):
            raise answer("boom", request=request)  # type: ignore[call-arg]
        return answer

    return httpx.MockTransport(handler), seen


def test_a_429_waits_for_the_announced_reset_then_succeeds() -> None:
    """The reset is on the server's clock: until answers say how far it is from ours, the wait
    allows for a server up to `PRIOR_SKEW` seconds behind."""
    clock = FakeClock()
    transport, seen = scripted(httpx.Response(429, headers={"X-Wait": "7"}), httpx.Response(200, json={}))
    response = Client(transport, clock).request("GET", "/things")
    assert response.status_code == 200
    assert len(seen) == 2
    assert 7 <= sum(clock.slept) < 7 + PRIOR_SKEW + 0.5


def test_a_read_is_retried_after_a_5xx_but_a_write_is_not() -> None:
    clock = FakeClock()
    transport, seen = scripted(httpx.Response(503), httpx.Response(200, json={"ok": True}))
    assert Client(transport, clock).request("GET", "/things").json() == {"ok": True}
    assert len(seen) == 2

    transport, seen = scripted(httpx.Response(500, text="Ongeldig: Dagboek"))
    with pytest.raises(ApiError, match="Ongeldig: Dagboek"):
        Client(transport, clock).request("POST", "/entries", json={})
    assert len(seen) == 1, "a write is never blindly repeated"


def test_a_timeout_on_a_write_is_an_unknown_outcome_and_not_repeated() -> None:
    clock = FakeClock()
    transport, seen = scripted(httpx.ReadTimeout)
    with pytest.raises(RetriableError, match="no answer"):
        Client(transport, clock).request("POST", "/entries", json={})
    assert len(seen) == 1


def test_timeouts_on_reads_are_retried_a_bounded_number_of_times() -> None:
    clock = FakeClock()
    transport, seen = scripted(*([httpx.ConnectError] * 10))
    with pytest.raises(RetriableError):
        Client(transport, clock).request("GET", "/things")
    assert len(seen) == Client.max_retries + 1
    assert all(b > a for a, b in zip(clock.slept, clock.slept[1:], strict=False)), "backoff grows"


def test_a_4xx_is_never_retried() -> None:
    transport, seen = scripted(httpx.Response(400, text="bad filter"), httpx.Response(200))
    with pytest.raises(ApiError) as caught:
        Client(transport, FakeClock()).request("GET", "/things")
    assert caught.value.status == 400
    assert len(seen) == 1


def test_a_401_refreshes_the_token_once_and_repeats_the_call() -> None:
    transport, seen = scripted(httpx.Response(401), httpx.Response(200))
    client = Client(transport, FakeClock())
    client.request("GET", "/things")
    assert [r.headers["Authorization"] for r in seen] == ["Bearer first", "Bearer second"]


def test_calls_wait_for_the_minute_budget_instead_of_earning_429s() -> None:
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    client = Client(transport, clock, per_minute=5)
    for _ in range(6):
        client.request("GET", "/things")
    assert len(clock.slept) == 1 and 59 < clock.slept[0] <= 61
    assert client.context.calls == {"/things": 6}


def test_a_spent_daily_budget_stops_cleanly() -> None:
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, headers={"X-Day-Remaining": "0"}))
    client = Client(transport, clock)
    client.request("GET", "/things")
    with pytest.raises(BudgetExhausted) as caught:
        client.request("GET", "/things")
    assert caught.value.resumes_at == clock.now() + timedelta(hours=5)


def test_the_minute_budget_is_calibrated_from_the_headers() -> None:
    """An app allowed 100 a minute by its headers is not held to the documented 60."""
    clock = FakeClock()
    reset = clock.now() + timedelta(seconds=60)

    class Calibrated(Client):
        def budgets(self, response: httpx.Response) -> list[Budget]:
            return [Budget("minute", 100, 100 - len(self.tokens), reset)]

    client = Calibrated(httpx.MockTransport(lambda request: httpx.Response(200)), clock, per_minute=60)
    for _ in range(80):
        client.request("GET", "/things")
    assert clock.slept == []
    assert client.governor.per_minute == 100


def test_an_endpoint_that_keeps_failing_is_left_alone_for_the_hour() -> None:
    """Exact blocks an app after 10 errors per endpoint per hour: connector stops well before."""
    clock = FakeClock()
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(400 if request.url.path == "/entries" else 200, text="Ongeldig: Dagboek")

    client = Client(httpx.MockTransport(handler), clock)
    for _ in range(Client.max_errors_per_hour):
        with pytest.raises(ApiError):
            client.request("POST", "/entries", json={})
    with pytest.raises(CircuitOpen) as caught:
        client.request("POST", "/entries", json={})
    assert caught.value.resumes_at == clock.now() + timedelta(hours=1)
    assert len(seen) == Client.max_errors_per_hour, "the open circuit sent nothing"
    assert client.request("GET", "/things").status_code == 200, "other endpoints go on"

    clock.sleep(3601)
    with pytest.raises(ApiError):
        client.request("POST", "/entries", json={})
    assert len(seen) == Client.max_errors_per_hour + 2


def test_the_daily_reserve_shrinks_with_a_small_daily_limit() -> None:
    """A reserve of 100 calls in 5,000 is 2%: a division allowed 150 a day keeps 3, not 100."""
    clock = FakeClock()
    resets = clock.now() + timedelta(hours=5)

    def governor(limit: int, remaining: int) -> RateGovernor:
        kept = RateGovernor(
            service="fake",
            per_minute=60,
            per_day=5000,
            clock=clock.now,
            sleep=clock.sleep,
            day_reserve=100,
            reserve_share=0.02,
        )
        kept.observe([Budget("day", limit, remaining, resets)])
        return kept

    governor(150, 4).wait_for_budget()  # 4 left, 3 kept: one more call may go
    with pytest.raises(BudgetExhausted):
        governor(150, 3).wait_for_budget()
    governor(5000, 101).wait_for_budget()
    with pytest.raises(BudgetExhausted):
        governor(5000, 100).wait_for_budget()
    spent = governor(150, 3)
    spent.day_reserve = 0  # what `reserve(0)` does for the payments flow: the reserve may be spent
    spent.wait_for_budget()


NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RESET = datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "header",
    [
        "1796115630",  # epoch seconds
        "1796115630000",  # epoch milliseconds
        "1796115630.000",
        "30",  # seconds from now
        "2026-12-01T10:00:30.000+01:00",  # ISO-8601 with milliseconds and an offset (Teamleader's examples)
        "2026-12-01T10:00:30+0100",
        "2026-12-01T09:00:30Z",
        "2026-12-01T09:00:30",  # no offset: UTC
        "2026-12-01T09:00:30.0000000+00:00",
    ],
)
def test_every_common_form_of_a_reset_header_reads_as_the_same_moment(header: str) -> None:
    assert parse_reset(header, NOW) == RESET


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "NaN"])
def test_an_unreadable_reset_header_is_none_so_the_caller_keeps_its_own_guess(header: str | None) -> None:
    assert parse_reset(header, NOW) is None


def test_a_reset_with_an_offset_keeps_the_moment_not_the_wall_clock() -> None:
    moment = parse_reset("2026-12-01T10:00:30.250+01:00", NOW)
    assert moment is not None and moment.utcoffset() == timezone(timedelta(hours=1)).utcoffset(None)
    assert moment - RESET == timedelta(milliseconds=250)
