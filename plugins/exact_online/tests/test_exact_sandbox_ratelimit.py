"""Rate limits and the error budget: headers on every response, 429s, resets on the simulated clock."""

from __future__ import annotations

import httpx

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.testing import START, access_token, api_client, make_sandbox, token_request

MINUTELY = {"x-ratelimit-minutely-limit", "x-ratelimit-minutely-remaining", "x-ratelimit-minutely-reset"}
DAILY = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}


def _ratelimit_headers(response: httpx.Response) -> set[str]:
    return {name for name in response.headers if name.startswith("x-ratelimit")}


def test_every_api_response_carries_the_six_headers(api: httpx.Client) -> None:
    ok = api.get("vat/VATCodes")
    bad = api.get("crm/Accounts")
    for response in (ok, bad):
        assert _ratelimit_headers(response) == MINUTELY | DAILY
    assert (
        ok.headers["X-RateLimit-Minutely-Remaining"] == "59"
        and bad.headers["X-RateLimit-Remaining"] == "4998"
    )
    assert ok.headers["X-RateLimit-Minutely-Reset"] == str(int(START.timestamp()) // 60 * 60_000 + 60_000)
    assert ok.headers["X-RateLimit-Reset"] == "1772496000000"  # 2026-03-03T00:00:00Z


def test_the_61st_call_in_a_minute_gets_a_429_with_only_minutely_headers(
    sandbox: ExactSandbox, api: httpx.Client
) -> None:
    for _ in range(60):
        assert api.get("financial/Journals").status_code == 200
    refused = api.get("financial/Journals")
    assert refused.status_code == 429 and refused.content == b""
    assert _ratelimit_headers(refused) == MINUTELY
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "0"
    reset_ms = int(refused.headers["X-RateLimit-Minutely-Reset"])
    sandbox.clock.advance(reset_ms / 1000 - sandbox.clock.now().timestamp())
    assert api.get("financial/Journals").status_code == 200


def test_token_calls_do_not_spend_the_api_budget(sandbox: ExactSandbox, api: httpx.Client) -> None:
    for _ in range(3):
        token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token())
    assert api.get("financial/Journals").headers["X-RateLimit-Minutely-Remaining"] == "59"


def test_the_daily_limit_answers_429_with_only_daily_headers() -> None:
    sandbox = make_sandbox(per_day=3)
    try:
        with api_client(sandbox) as api:
            for _ in range(3):
                assert api.get("financial/Journals").status_code == 200
            refused = api.get("financial/Journals")
            assert refused.status_code == 429 and _ratelimit_headers(refused) == DAILY
            assert refused.headers["X-RateLimit-Remaining"] == "0"
            sandbox.clock.advance(15 * 3600)  # past 00:00 UTC
            api.headers["Authorization"] = f"Bearer {access_token(sandbox)}"
            assert api.get("financial/Journals").status_code == 200
    finally:
        sandbox.stop()


def test_limits_are_per_division_and_configurable() -> None:
    sandbox = make_sandbox(per_minute=2)
    try:
        with api_client(sandbox) as api:
            assert [api.get("financial/Journals").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        sandbox.stop()


def test_errors_are_counted_per_endpoint(sandbox: ExactSandbox, api: httpx.Client) -> None:
    for _ in range(3):
        api.get("crm/Accounts")
    api.get("vat/VATCodes", params={"$filter": "bad eq"})
    endpoints = httpx.get(f"{sandbox.url}/_sandbox/errors").json()["endpoints"]
    counts = {key.split(" ", 1)[1]: value["errors_last_hour"] for key, value in endpoints.items()}
    assert counts == {"crm/Accounts": 3, "vat/VATCodes": 1}


def test_the_error_budget_is_on_by_default_and_blocks_the_endpoint_for_an_hour() -> None:
    """More than 10 errors per endpoint per hour block the app (notes §4.6, Evidence 2026-12)."""
    sandbox = make_sandbox()
    try:
        with api_client(sandbox) as api:
            for _ in range(10):
                assert api.get("crm/Accounts").status_code == 400
            assert api.get("crm/Accounts", params={"$filter": "Name eq 'x'"}).status_code == 200
            assert api.get("crm/Accounts").status_code == 400  # the 11th
            blocked = api.get("crm/Accounts", params={"$filter": "Name eq 'x'"})
            assert blocked.status_code == 403 and blocked.headers["Reason"] == "TooManyErrors"
            assert api.get("vat/VATCodes").status_code == 200
            sandbox.clock.advance(3600)
            api.headers["Authorization"] = f"Bearer {access_token(sandbox)}"
            assert api.get("crm/Accounts", params={"$filter": "Name eq 'x'"}).status_code == 200
    finally:
        sandbox.stop()


def test_the_error_budget_can_be_switched_off_for_a_test_that_needs_many_errors() -> None:
    sandbox = make_sandbox(enforce_error_limit=False)
    try:
        with api_client(sandbox) as api:
            assert {api.get("crm/Accounts").status_code for _ in range(12)} == {400}
            assert api.get("crm/Accounts", params={"$filter": "Name eq 'x'"}).status_code == 200
        assert sandbox.state()["errors"]["endpoints"]
    finally:
        sandbox.stop()
