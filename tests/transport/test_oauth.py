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


def short_lived(age: float, lifetime: float = 10) -> MemoryTokenStore:
    issued = NOW - timedelta(seconds=age)
    return MemoryTokenStore(Tokens("a0", "r0", issued + timedelta(seconds=lifetime), issued))


def exact_like(store: MemoryTokenStore, refreshes: list[str]) -> TokenKeeper:
    from connector_exact.oauth import exact_keeper

    def refresh(token: str) -> TokenResponse:
        refreshes.append(token)
        return TokenResponse(f"access-{len(refreshes)}", f"refresh-{len(refreshes)}", 10)

    return exact_keeper(store, refresh, clock=lambda: NOW)


def test_a_token_of_ten_seconds_is_kept_for_most_of_its_life_not_refreshed_on_every_call() -> None:
    """Exact's 600 s token at sandbox speed 60 lives 10 s: a fixed 25 s margin would refresh it on
    every call; relative to its life it is refreshed at 575/600 of it, as the 600 s one is."""
    refreshes: list[str] = []
    assert exact_like(short_lived(age=9.0), refreshes).access_token() == "a0"
    assert exact_like(short_lived(age=9.5), refreshes).access_token() == "a0"
    assert refreshes == []
    assert exact_like(short_lived(age=9.7), refreshes).access_token() == "access-1"
    assert refreshes == ["r0"]


def test_the_real_lifetimes_keep_the_fixed_margins() -> None:
    """At 600 s: refreshed 25 s before expiry and never within 570 s, exactly as before."""
    refreshes: list[str] = []
    kept = exact_like(short_lived(age=574, lifetime=600), refreshes)
    assert kept.margins(kept.store.load()) == (timedelta(seconds=25), timedelta(seconds=570))  # type: ignore[arg-type]
    assert kept.access_token() == "a0"
    assert exact_like(short_lived(age=576, lifetime=600), refreshes).access_token() == "access-1"
