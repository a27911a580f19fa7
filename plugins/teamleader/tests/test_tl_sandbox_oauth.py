"""The simulated OAuth server: codes, rotating refresh tokens, bearer checks (notes §2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector_teamleader.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, TeamleaderSandbox, start_sandbox

REDIRECT = "http://127.0.0.1:8765/callback"
REVOKED = {
    "errors": [
        {
            "code": 8,
            "title": "The refresh token is invalid.",
            "status": 400,
            "meta": {"type": "invalid_request", "hint": "Token has been revoked"},
        }
    ]
}


@pytest.fixture
def http(sandbox: TeamleaderSandbox) -> Any:
    with httpx.Client(base_url=sandbox.url, timeout=5, trust_env=False) as client:
        yield client


def authorize(http: httpx.Client, state: str = "s1") -> str:
    response = http.get(
        "/oauth2/authorize",
        params={
            "client_id": DEMO_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "state": state,
        },
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def exchange(http: httpx.Client, code: str, *, as_json: bool = False) -> httpx.Response:
    params = {
        "grant_type": "authorization_code",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT,
    }
    return (
        http.post("/oauth2/access_token", json=params)
        if as_json
        else http.post("/oauth2/access_token", data=params)
    )


def refresh(http: httpx.Client, token: str, secret: str = DEMO_CLIENT_SECRET) -> httpx.Response:
    return http.post(
        "/oauth2/access_token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": secret,
            "refresh_token": token,
        },
    )


def me(http: httpx.Client, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.post("/users.me", json={}, headers=headers)


def test_auto_approved_code_trades_for_a_one_hour_bearer_pair(http: httpx.Client) -> None:
    response = exchange(http, authorize(http))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token"}
    assert me(http, body["access_token"]).json()["data"]["account"]["type"] == "account"


def test_token_endpoint_accepts_a_json_body(http: httpx.Client) -> None:
    assert exchange(http, authorize(http), as_json=True).status_code == 200


def test_an_authorization_code_works_once(http: httpx.Client) -> None:
    code = authorize(http)
    assert exchange(http, code).status_code == 200
    again = exchange(http, code)
    assert again.status_code == 400
    assert again.json()["errors"][0]["meta"]["hint"] == "Authorization code has been revoked"


def test_an_authorization_code_expires_after_ten_minutes(
    sandbox: TeamleaderSandbox, http: httpx.Client
) -> None:
    code = authorize(http)
    sandbox.advance(601)
    response = exchange(http, code)
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["hint"] == "Authorization code has expired"


def test_a_code_is_bound_to_its_redirect_uri(http: httpx.Client) -> None:
    code = authorize(http)
    response = http.post(
        "/oauth2/access_token",
        data={
            "grant_type": "authorization_code",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "code": code,
            "redirect_uri": "http://127.0.0.1:9999/elsewhere",
        },
    )
    assert response.status_code == 400


def test_a_wrong_client_secret_is_refused(http: httpx.Client) -> None:
    response = refresh(http, "anything", secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["errors"][0]["meta"]["type"] == "invalid_client"


def test_refresh_tokens_rotate_and_the_old_one_is_dead(http: httpx.Client) -> None:
    first = exchange(http, authorize(http)).json()
    second = refresh(http, first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    reused = refresh(http, first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == REVOKED
    assert refresh(http, second.json()["refresh_token"]).status_code == 200


def test_refreshing_revokes_the_previous_access_token(http: httpx.Client) -> None:
    first = exchange(http, authorize(http)).json()
    second = refresh(http, first["refresh_token"]).json()
    assert me(http, first["access_token"]).status_code == 401
    assert me(http, second["access_token"]).status_code == 200


def test_unknown_grant_type_is_a_400(http: httpx.Client) -> None:
    response = http.post(
        "/oauth2/access_token",
        data={"grant_type": "password", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["type"] == "unsupported_grant_type"


def test_api_call_without_bearer_is_401_with_errors_body(http: httpx.Client) -> None:
    response = me(http, None)
    assert response.status_code == 401
    assert response.json()["errors"][0]["status"] == 401


def test_access_token_expires_after_an_hour(sandbox: TeamleaderSandbox, http: httpx.Client) -> None:
    access, _ = sandbox.issue_tokens()
    sandbox.advance(3599)
    assert me(http, access).status_code == 200
    sandbox.advance(2)
    response = me(http, access)
    assert response.status_code == 401
    assert response.json()["errors"][0]["title"]


def test_admin_refresh_token_lets_a_headless_client_start(http: httpx.Client) -> None:
    issued = http.post("/_sandbox/refresh-token").json()
    response = refresh(http, issued["refresh_token"])
    assert response.status_code == 200
    assert me(http, response.json()["access_token"]).status_code == 200


def test_protocol_refresh_token_is_usable_once(sandbox: TeamleaderSandbox, http: httpx.Client) -> None:
    token = sandbox.refresh_token()
    assert refresh(http, token).status_code == 200
    assert refresh(http, token).json() == REVOKED


def test_revoking_the_integration_kills_refresh_tokens(
    sandbox: TeamleaderSandbox, http: httpx.Client
) -> None:
    token = sandbox.refresh_token()
    assert http.post("/_sandbox/tokens/revoke").status_code == 200
    assert refresh(http, token).json() == REVOKED


def test_expire_tokens_admin_route_moves_the_clock(sandbox: TeamleaderSandbox, http: httpx.Client) -> None:
    access, _ = sandbox.issue_tokens()
    http.post("/_sandbox/tokens/expire")
    assert me(http, access).status_code == 401


def test_consent_page_without_auto_approve_and_denial_redirects_with_error() -> None:
    server = start_sandbox(seed=False, auto_approve=False)
    try:
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            params = {
                "client_id": DEMO_CLIENT_ID,
                "response_type": "code",
                "redirect_uri": REDIRECT,
                "state": "x",
            }
            page = http.get("/oauth2/authorize", params=params)
            assert page.status_code == 200 and "Approve" in page.text
            denied = http.get("/oauth2/authorize", params={**params, "decision": "deny"})
            assert denied.status_code == 302
            assert parse_qs(urlsplit(denied.headers["Location"]).query)["error"] == ["access_denied"]
            approved = http.get("/oauth2/authorize", params={**params, "decision": "approve"})
            assert "code" in parse_qs(urlsplit(approved.headers["Location"]).query)
    finally:
        server.stop()


def test_unknown_client_cannot_authorize(http: httpx.Client) -> None:
    response = http.get(
        "/oauth2/authorize", params={"client_id": "nobody", "response_type": "code", "redirect_uri": REDIRECT}
    )
    assert response.status_code == 401
