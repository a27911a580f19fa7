"""The Teamleader source's tokens and rate limits against a scripted Teamleader (MockTransport)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from teamleader_fake import (
    AUTH,
    CET,
    FakeTeamleader,
    make_source,
)

from connector.contract.errors import AuthorizationNeeded, ConfigurationError
from connector.contract.tokens import MemoryTokenStore
from connector.testing import FakeClock
from connector.transport.governor import SAFETY
from connector.transport.skew import PRIOR_SKEW
from connector_teamleader.source import TeamleaderSource

# -- tokens -----------------------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_and_the_new_pair_saved_before_use(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource, clock: FakeClock
) -> None:
    clock.moment += timedelta(minutes=56)  # 4 minutes left: inside the margin
    assert source.check_authorization() == "Dana Scully <dana@acme.test>"
    assert fake.count("oauth2/access_token") == 1
    assert fake.seen_store_refresh == ["refresh-1"]  # stored when users.me arrived with access-1
    assert store.tokens is not None and store.tokens.expires_at == clock.now() + timedelta(hours=1)


def test_a_refused_access_token_is_refreshed_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.access = {"someone-else"}
    assert source.check_authorization().startswith("Dana Scully")
    assert [path for path, _ in fake.calls] == ["users.me", "oauth2/access_token", "users.me"]


def test_a_revoked_refresh_token_asks_for_connector_auth(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    fake.refresh.clear()
    clock.moment += timedelta(hours=2)
    with pytest.raises(AuthorizationNeeded) as raised:
        source.check_authorization()
    assert "Token has been revoked" in str(raised.value)
    assert "connector auth RULES source" in str(raised.value)


def test_authorize_with_a_code_stores_the_pair(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource
) -> None:
    url = source.authorization_url("http://127.0.0.1:8765/callback", "xyz")
    assert url.startswith(f"{AUTH}/oauth2/authorize?client_id=cid&response_type=code&redirect_uri=http")
    assert url.endswith("&state=xyz")
    source.authorize(code="good-code", redirect_uri="http://127.0.0.1:8765/callback")
    assert store.tokens is not None and store.tokens.refresh_token == "refresh-1"
    with pytest.raises(AuthorizationNeeded, match="Authorization code has expired"):
        source.authorize(code="stale-code", redirect_uri="http://127.0.0.1:8765/callback")


def test_authorize_with_a_refresh_token_exchanges_it_at_once(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource
) -> None:
    source.authorize(refresh_token="refresh-0")
    assert store.tokens is not None and store.tokens.refresh_token == "refresh-1"
    with pytest.raises(AuthorizationNeeded):
        source.authorize(refresh_token="refresh-0")  # single use


def test_a_wrong_client_secret_is_a_configuration_error(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, client_secret="wrong")
    with pytest.raises(ConfigurationError, match="client_secret"):
        source.authorize(refresh_token="refresh-0")


# -- rate limits ------------------------------------------------------------------------------------


def test_a_429_waits_until_the_announced_iso_reset(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    reset = (clock.now() + timedelta(seconds=7)).astimezone(CET)
    refused: list[str] = []

    def limited(path: str, body: Any) -> httpx.Response | None:
        if path == "users.me" and not refused:
            refused.append(path)
            headers = {
                "X-RateLimit-Limit": "200",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000%z"),
            }
            return httpx.Response(429, headers=headers, json={"errors": [{"title": "Too Many Requests"}]})
        return None

    fake.before = limited
    assert source.check_authorization().startswith("Dana Scully")
    assert 7 <= sum(clock.slept) <= 7 + PRIOR_SKEW + SAFETY  # Teamleader's clock may be a little behind
    assert fake.count("users.me") == 2


def test_an_exhausted_minute_budget_waits_before_calling(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    """Remaining 0 in a response's headers: the next call waits for the reset instead of earning a 429."""
    reset = clock.now() + timedelta(seconds=20)
    original = fake.api

    def api(path: str, body: dict[str, Any]) -> httpx.Response:
        response = original(path, body)
        response.headers.update(
            {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.isoformat()}
        )
        return response

    fake.api = api  # type: ignore[method-assign]
    source.check_authorization()
    assert clock.slept == []
    source.check_authorization()
    assert 20 <= sum(clock.slept) <= 20 + PRIOR_SKEW + SAFETY
