"""The Exact Online sink's HTTP behaviour: tokens, budgets, 429s, errors and paging (MockTransport)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.contract.errors import ApiError, AuthorizationNeeded, BudgetExhausted, ConfigurationError
from connector.transport.governor import SAFETY
from connector.transport.skew import PRIOR_SKEW
from connector_exact.sink import ExactOnlineSink
from connector_exact.testing import (
    BASE,
    CLIENT_ID,
    DIVISION,
    FakeClock,
    FakeExact,
    build_sink,
    ms,
    odata_error,
    page,
)
from connector_exact.translate import parse_date, parse_day

VAT = "vat/VATCodes"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def exact(clock: FakeClock) -> FakeExact:
    return FakeExact(clock)


@pytest.fixture
def make_sink(exact: FakeExact, clock: FakeClock) -> Callable[..., ExactOnlineSink]:
    return lambda age=0: build_sink(exact, clock, age)


def bearer(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


# ---------------------------------------------------------------- tokens


def test_the_stored_access_token_is_used_until_575_seconds_and_refreshed_after(
    make_sink, exact, clock
) -> None:
    """A token issued at t=0 serves calls until t=575 (never a refresh within 570 s), then one refresh."""
    sink = make_sink(age=0)
    exact.on("GET", VAT, page([]))
    for step in (0, 300, 260, 14):  # calls at 0, 300, 560 and 574 s
        clock.advance(step)
        sink.client.get(VAT)
    assert exact.token_requests() == []
    assert {bearer(r) for r in exact.api_requests()} == {"access-0"}
    clock.advance(2)  # 576 s after the token was issued
    sink.client.get(VAT)
    assert [t["grant_type"] for t in exact.token_requests()] == ["refresh_token"]
    assert bearer(exact.api_requests()[-1]) == "access-1"


def test_a_401_soon_after_a_refresh_waits_out_the_570_seconds_before_refreshing(
    make_sink, exact, clock
) -> None:
    """Exact refuses refreshes within 570 s; after a 401 on a young token connector waits, then asks."""
    sink = make_sink(age=100)
    exact.on("GET", VAT, httpx.Response(401), page([{"Code": "2  "}]))
    assert sink.client.get(VAT) == {"results": [{"Code": "2  "}]}
    assert sum(clock.slept) >= 470, "no refresh was asked for within 570 s of the last one"
    assert len(exact.token_requests()) == 1


def test_a_401_after_570_seconds_refreshes_once_and_retries(make_sink, exact) -> None:
    sink = make_sink(age=571)
    exact.on("GET", VAT, httpx.Response(401), page([{"Code": "2  "}]))
    assert sink.client.get(VAT) == {"results": [{"Code": "2  "}]}
    assert len(exact.token_requests()) == 1
    assert [bearer(r) for r in exact.api_requests()] == ["access-0", "access-1"]


def test_old_refresh_token_used_means_authorize_again(make_sink, exact, clock) -> None:
    sink = make_sink(age=590)
    exact.on(
        "POST",
        "/api/oauth2/token",
        httpx.Response(
            401, json={"error": "unauthorized_client", "error_description": "Old refresh token used."}
        ),
    )
    with pytest.raises(AuthorizationNeeded) as caught:
        sink.client.get(VAT)
    assert "Old refresh token used." in str(caught.value)
    assert "connector auth RULES sink" in str(caught.value)
    assert exact.api_requests() == []


def test_an_expired_refresh_token_means_authorize_again(make_sink, exact) -> None:
    sink = make_sink(age=700)
    description = "The refresh token expired at 10/11/2022 9:18:20 PM and it is now 10/28/2022 4:15:50 PM."
    exact.on(
        "POST",
        "/api/oauth2/token",
        httpx.Response(400, json={"error": "invalid_request", "error_description": description}),
    )
    with pytest.raises(AuthorizationNeeded, match="expired"):
        sink.client.get(VAT)


def test_too_early_to_refresh_keeps_using_a_still_valid_access_token(make_sink, exact, clock) -> None:
    """Should Exact still say TooEarlyToRefreshTokens, the stored token serves while it is valid."""
    sink = make_sink(age=590)  # 10 s of validity left, inside the 25 s margin: a refresh is tried
    exact.on(
        "POST",
        "/api/oauth2/token",
        httpx.Response(
            400,
            json={
                "error": "access_denied",
                "error_description": "Rate limit exceeded: access_token not expired",
            },
            headers={"Reason": "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired"},
        ),
    )
    exact.on("GET", VAT, page([]))
    sink.client.get(VAT)
    assert bearer(exact.api_requests()[0]) == "access-0"
    clock.advance(20)  # now expired: nothing usable is left
    with pytest.raises(AuthorizationNeeded, match="too early"):
        sink.client.get(VAT)


def test_authorize_with_a_refresh_token_exchanges_it_at_once_and_stores_the_pair(
    make_sink, exact, clock
) -> None:
    sink = make_sink(age=None)
    sink.authorize(refresh_token="RT!1 ")
    sent = exact.token_requests()
    assert sent == [
        {
            "grant_type": "refresh_token",
            "refresh_token": "RT!1",
            "client_id": CLIENT_ID,
            "client_secret": "s3cret",
        }
    ]
    stored = sink.context.tokens.load()
    assert (stored.access_token, stored.refresh_token) == ("access-1", "refresh-1")
    assert stored.expires_at == clock.now() + timedelta(seconds=600)  # "600" arrived as a string


def test_authorize_with_a_code_sends_the_redirect_uri(make_sink, exact) -> None:
    sink = make_sink(age=None)
    sink.authorize(code="stampNL001", redirect_uri="http://127.0.0.1:8765/callback")
    assert exact.token_requests()[0]["grant_type"] == "authorization_code"
    assert exact.token_requests()[0]["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert sink.context.tokens.load().refresh_token == "refresh-1"


def test_authorization_url_asks_for_a_code(make_sink) -> None:
    url = make_sink().authorization_url("http://127.0.0.1:8765/callback", "xyz")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/api/oauth2/auth"
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": ["http://127.0.0.1:8765/callback"],
        "response_type": ["code"],
        "state": ["xyz"],
    }


def test_check_authorization_names_the_user_and_refuses_an_inaccessible_division(make_sink, exact) -> None:
    sink = make_sink()
    exact.on("GET", "/api/v1/current/Me", page([{"CurrentDivision": DIVISION, "FullName": "Els Jansen"}]))
    exact.on("GET", "system/Divisions", page([{"Code": DIVISION, "Description": "Acme BV"}]))
    assert sink.check_authorization() == "Els Jansen"
    assert exact.api_requests()[0].url.params["$select"] == "CurrentDivision,FullName"
    exact.on("GET", "system/Divisions", odata_error(403, "Forbidden", Reason="NoDivisionAccess"))
    with pytest.raises(ConfigurationError, match=f"division {DIVISION} is not accessible to this user"):
        sink.check_authorization()


def test_every_call_says_json_and_return_representation(make_sink, exact) -> None:
    sink = make_sink()
    exact.on("GET", VAT, page([]))
    sink.client.get(VAT)
    request = exact.api_requests()[0]
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Prefer"] == "return=representation"
    assert request.headers["Authorization"] == "Bearer access-0"


# ---------------------------------------------------------------- budgets


def test_a_spent_minute_makes_the_next_call_wait_for_the_minutely_reset(make_sink, exact, clock) -> None:
    sink = make_sink()
    exact.minute_remaining = 0  # this answer spends the minute; it resets at 12:01:00
    exact.on("GET", VAT, page([]))
    sink.client.get(VAT)
    assert clock.slept == []
    sink.client.get(VAT)
    # from 12:00:10 to just after 12:01:00 on Exact's clock, which may be up to PRIOR_SKEW behind ours
    assert sum(clock.slept) == pytest.approx(50 + PRIOR_SKEW + SAFETY, abs=0.01)
    assert len(exact.api_requests()) == 2


def test_a_429_is_retried_at_the_minutely_reset(make_sink, exact, clock) -> None:
    sink = make_sink()
    reset = clock.now() + timedelta(seconds=42)
    limited = httpx.Response(
        429,
        headers={
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": ms(reset),
        },
    )
    exact.on("GET", VAT, limited, page([{"Code": "2  "}]))
    assert sink.client.get(VAT) == {"results": [{"Code": "2  "}]}
    assert len(exact.api_requests()) == 2
    assert clock.now() >= reset
    assert sum(clock.slept) <= 42 + PRIOR_SKEW + SAFETY


def test_a_429_for_the_day_stops_cleanly_without_hammering(make_sink, exact, clock) -> None:
    sink = make_sink()
    midnight = clock.now().replace(hour=0, minute=0, second=0) + timedelta(days=1)
    day_spent = httpx.Response(
        429,
        headers={
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": ms(midnight),
        },
    )
    exact.on("GET", "sync/Cashflow/PaymentTerms", day_spent)
    with pytest.raises(BudgetExhausted) as caught:
        sink.payment_changes(None)
    assert caught.value.resumes_at == midnight
    assert len(exact.api_requests()) == 1


def test_documents_stop_at_the_daily_reserve_while_payments_may_spend_it(make_sink, exact) -> None:
    """100 calls are kept for payments: booking stops there, reading payments goes on."""
    sink = make_sink()
    exact.day_remaining = 100
    exact.on("GET", VAT, page([]))
    exact.on("GET", "sync/Cashflow/PaymentTerms", page([]))
    sink.client.get(VAT)  # this answer says only the reserve is left
    with pytest.raises(BudgetExhausted):
        sink.client.get(VAT)
    assert sink.payment_changes("5") == ([], "5")
    assert len(exact.api_requests()) == 2


# ---------------------------------------------------------------- errors and paging


def test_an_odata_error_becomes_an_api_error_with_each_of_exacts_messages(make_sink, exact) -> None:
    sink = make_sink()
    exact.on("POST", "crm/Accounts", odata_error(500, "Verplicht: Factuur voor\r\nVerplicht: Besteld door"))
    with pytest.raises(ApiError) as caught:
        sink.client.post("crm/Accounts", {"Name": "x"})
    assert caught.value.messages == ["Verplicht: Factuur voor", "Verplicht: Besteld door"]
    assert "Verplicht: Factuur voor; Verplicht: Besteld door" in str(caught.value)
    assert caught.value.status == 500
    assert len(exact.api_requests()) == 1  # a refused write is never repeated


def test_a_collection_is_read_by_following_next_verbatim(make_sink, exact) -> None:
    sink = make_sink()
    next_url = f"{BASE}/api/v1/{DIVISION}/financial/GLAccounts?$select=ID,Code&$skiptoken=guid'0000-1'"
    exact.on("GET", "financial/GLAccounts", page([{"Code": "7000"}], next_url), page([{"Code": "8000"}]))
    rows = sink.client.rows("financial/GLAccounts", {"$select": "ID,Code"})
    assert [r["Code"] for r in rows] == ["7000", "8000"]
    second = exact.api_requests()[1]
    assert str(second.url) == str(httpx.URL(next_url))
    assert sink.context.calls["financial/GLAccounts"] == 2


def test_exact_dates_are_read_as_the_calendar_date_exact_shows() -> None:
    assert parse_date("/Date(1791331200000)/").isoformat() == "2026-10-07T00:00:00+00:00"
    assert parse_day("/Date(1791331200000+0100)/").isoformat() == "2026-10-07"
    assert parse_day(None) is None
