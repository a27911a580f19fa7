"""OAuth 2.0 as Exact runs it: codes, 600 s access tokens, single-use refresh tokens, the 570 s rule."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from connector_exact.sandbox import ExactSandbox
from connector_exact.sandbox.demo import DIVISION
from connector_exact.sandbox.testing import make_sandbox, token_request


def authorize(
    sandbox: ExactSandbox, redirect_uri: str = "http://127.0.0.1:8765/callback"
) -> dict[str, list[str]]:
    response = httpx.get(
        f"{sandbox.url}/api/oauth2/auth",
        params={
            "client_id": sandbox.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": "xyz",
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(redirect_uri)
    return parse_qs(urlsplit(location).query)


def test_start_sandbox_is_fast_and_serves_demo_data() -> None:
    """start_sandbox() is ready well under 2 s and answers with the demo division."""
    began = time.perf_counter()
    sandbox = make_sandbox()
    try:
        assert time.perf_counter() - began < 2
        env = sandbox.environment
        assert env["EXACT_BASE_URL"] == sandbox.url and env["EXACT_DIVISION"] == str(DIVISION)
        assert env["EXACT_CLIENT_ID"].startswith("{") and env["EXACT_CLIENT_SECRET"]
        token = token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token())
        me = httpx.get(
            f"{sandbox.url}/api/v1/current/Me",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
        assert me.json()["d"]["results"][0]["CurrentDivision"] == DIVISION
    finally:
        sandbox.stop()


def test_authorization_code_flow_gives_string_expires_in_and_code_is_single_use(
    sandbox: ExactSandbox,
) -> None:
    query = authorize(sandbox)
    assert query["state"] == ["xyz"]
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": "http://127.0.0.1:8765/callback",
    }
    first = token_request(sandbox, **form)
    assert first.status_code == 200
    body = first.json()
    assert body["expires_in"] == "600" and isinstance(body["expires_in"], str)
    assert body["token_type"] == "bearer" and body["access_token"] and "!" in body["refresh_token"]
    assert token_request(sandbox, **form).status_code == 400


def test_token_endpoint_accepts_http_basic_client_credentials(sandbox: ExactSandbox) -> None:
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    response = httpx.post(
        f"{sandbox.url}/api/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": sandbox.issue_refresh_token()},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


def test_wrong_client_secret_is_refused(sandbox: ExactSandbox) -> None:
    response = httpx.post(
        f"{sandbox.url}/api/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": sandbox.issue_refresh_token(),
            "client_id": sandbox.client_id,
            "client_secret": "wrong",
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


def test_refresh_token_used_twice_gives_401_old_refresh_token_used(sandbox: ExactSandbox) -> None:
    old = sandbox.issue_refresh_token()
    assert token_request(sandbox, grant_type="refresh_token", refresh_token=old).status_code == 200
    sandbox.clock.advance(600)
    again = token_request(sandbox, grant_type="refresh_token", refresh_token=old)
    assert again.status_code == 401
    assert again.json() == {"error": "unauthorized_client", "error_description": "Old refresh token used."}


def test_refresh_within_570_seconds_is_refused_and_the_token_stays_valid(sandbox: ExactSandbox) -> None:
    first = token_request(
        sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token()
    ).json()
    sandbox.clock.advance(569)
    early = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert early.status_code == 400
    assert early.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    assert early.headers["Reason"] == "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired"
    sandbox.clock.advance(1)
    later = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert later.status_code == 200 and later.json()["refresh_token"] != first["refresh_token"]


def test_refresh_token_unused_for_30_days_expires(sandbox: ExactSandbox) -> None:
    token = sandbox.issue_refresh_token()
    sandbox.clock.advance(timedelta(days=30, seconds=1).total_seconds())
    response = token_request(sandbox, grant_type="refresh_token", refresh_token=token)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"].startswith("The refresh token expired at 4/1/2026 10:00:0")
    assert "and it is now 4/1/2026" in response.json()["error_description"]
    assert "4\\/1\\/2026" in response.text  # .NET's JSON escapes slashes, as in the quoted real body


def test_refresh_token_idle_expiry_is_configurable() -> None:
    sandbox = make_sandbox(refresh_token_ttl=timedelta(hours=1))
    try:
        token = sandbox.issue_refresh_token()
        sandbox.clock.advance(3601)
        assert token_request(sandbox, grant_type="refresh_token", refresh_token=token).status_code == 400
    finally:
        sandbox.stop()


def test_access_token_expires_after_600_seconds(sandbox: ExactSandbox) -> None:
    access = token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token())
    headers = {"Authorization": f"Bearer {access.json()['access_token']}"}
    url = f"{sandbox.url}/api/v1/{DIVISION}/vat/VATCodes"
    sandbox.clock.advance(599)
    assert httpx.get(url, headers=headers).status_code == 200
    sandbox.clock.advance(2)
    assert httpx.get(url, headers=headers).status_code == 401
    assert httpx.get(url).status_code == 401


def test_token_calls_are_limited_per_day() -> None:
    sandbox = make_sandbox(token_calls_per_day=2)
    try:
        for _ in range(2):
            token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token())
        refused = token_request(
            sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token()
        )
        assert refused.status_code == 400 and refused.json()["error"] == "access_denied"
        sandbox.clock.advance(86400)
        ok = token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.issue_refresh_token())
        assert ok.status_code == 200
    finally:
        sandbox.stop()


def test_consent_page_when_auto_approve_is_off() -> None:
    sandbox = make_sandbox(auto_approve=False)
    try:
        params = {
            "client_id": sandbox.client_id,
            "redirect_uri": "http://localhost/cb",
            "response_type": "code",
            "state": "s",
        }
        page = httpx.get(f"{sandbox.url}/api/oauth2/auth", params=params)
        assert page.status_code == 200 and "<form" in page.text
        approved = httpx.post(f"{sandbox.url}/api/oauth2/auth", data=params)
        assert approved.status_code == 302 and "code=" in approved.headers["Location"]
    finally:
        sandbox.stop()


def test_admin_route_issues_a_refresh_token(sandbox: ExactSandbox) -> None:
    token = httpx.post(f"{sandbox.url}/_sandbox/refresh-token").json()["refresh_token"]
    assert token_request(sandbox, grant_type="refresh_token", refresh_token=token).status_code == 200
