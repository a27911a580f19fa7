"""Token keeping: reuse, refresh, the minimum refresh interval, durable save before use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.contract.errors import AuthorizationNeeded
from connector.contract.tokens import MemoryTokenStore, Tokens
from connector.transport.oauth import TokenKeeper, TokenResponse

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def keeper(store: MemoryTokenStore, clock: list[datetime], refreshes: list[str]) -> TokenKeeper:
    def refresh(token: str) -> TokenResponse:
        refreshes.append(token)
        if token == "dead":
            raise AuthorizationNeeded("refused")
        # the new pair must not be used before it was saved: the store still holds the old one here
        assert store.tokens is not None and store.tokens.refresh_token == token
        return TokenResponse(f"access-{len(refreshes)}", f"refresh-{len(refreshes)}", 600)

    return TokenKeeper(
        store,
        refresh,
        clock=lambda: clock[0],
        service="fake",
        side="sink",
        min_refresh_interval=timedelta(seconds=570),
    )


def stored(refresh_token: str = "r0", age: int = 0) -> MemoryTokenStore:
    issued = NOW - timedelta(seconds=age)
    return MemoryTokenStore(Tokens("a0", refresh_token, issued + timedelta(seconds=600), issued))


def test_a_valid_access_token_is_reused_without_a_refresh() -> None:
    refreshes: list[str] = []
    assert keeper(stored(age=100), [NOW], refreshes).access_token() == "a0"
    assert refreshes == []


def test_an_expiring_token_is_refreshed_and_the_new_pair_saved() -> None:
    store, refreshes = stored(age=590), []
    token = keeper(store, [NOW], refreshes).access_token()
    assert token == "access-1" and refreshes == ["r0"]
    assert store.tokens is not None and store.tokens.refresh_token == "refresh-1"
    assert store.saves == 1


def test_a_forced_refresh_within_the_minimum_interval_waits_for_it_first() -> None:
    """A 401 on a token 100 s old: asking at once would be refused, so wait 470 s, then ask."""
    store, refreshes, clock = stored(age=100), [], [NOW]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    tokens = keeper(store, clock, refreshes)
    tokens.sleep = sleep
    assert tokens.access_token(force=True) == "access-1"
    assert waited == [470.0] and refreshes == ["r0"]


def test_never_authorized_says_run_connector_auth() -> None:
    with pytest.raises(AuthorizationNeeded) as caught:
        keeper(MemoryTokenStore(), [NOW], []).access_token()
    assert "connector auth" in str(caught.value)


def test_a_refused_refresh_token_needs_authorization() -> None:
    with pytest.raises(AuthorizationNeeded):
        keeper(stored("dead", age=700), [NOW], []).access_token()
