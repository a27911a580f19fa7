"""OAuth 2.0 token keeping that both services share: single-use rotating refresh tokens.

`TokenKeeper` hands out a valid access token. It reuses the stored one until shortly before it
expires, never refreshes sooner than the service allows (`min_refresh_interval`: some services refuse a
refresh within 570 s of the last one), and saves a refreshed pair durably *before* the new access
token is used, because the old refresh token is dead the moment the service answered.

Both margins are relative to the token's announced lifetime (`expires_in`): the margin before
expiry is at most `expiry_fraction` of it and the interval at most `refresh_fraction` of it, each
capped at its fixed value. With the services' real lifetimes the fixed values apply, as always; a
token that lives 10 s (a 600 s token on a sandbox at speed 60) is kept for about 9.6 s instead of
being refreshed on every call because a 25 s margin is more than its whole life.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.contract import secrets
from connector.contract.errors import AuthorizationNeeded
from connector.contract.tokens import Tokens, TokenStore

log = logging.getLogger("connector.oauth")


@dataclass(frozen=True)
class TokenResponse:
    """What a token endpoint answered, parsed by the plugin."""

    access_token: str
    refresh_token: str
    expires_in: int


class TokenKeeper:
    """Valid access tokens from a store, refreshing through `refresh` when needed."""

    def __init__(
        self,
        store: TokenStore,
        refresh: Callable[[str], TokenResponse],
        *,
        clock: Callable[[], datetime],
        service: str,
        side: str,
        rules: str = "RULES",
        expiry_margin: timedelta = timedelta(seconds=20),
        min_refresh_interval: timedelta = timedelta(0),
        expiry_fraction: float = 0.1,
        refresh_fraction: float = 0.95,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self._refresh = refresh
        self.clock = clock
        self.service = service
        self.side = side
        self.rules = rules
        self.expiry_margin = expiry_margin
        self.min_refresh_interval = min_refresh_interval
        self.expiry_fraction = expiry_fraction
        self.refresh_fraction = refresh_fraction
        self.sleep = sleep
        self._lock = threading.Lock()

    def needed(self, message: str) -> AuthorizationNeeded:
        return AuthorizationNeeded(f"{self.service}: {message}", rules=self.rules, side=self.side)

    def access_token(self, *, force: bool = False) -> str:
        """A usable access token; `force` refreshes even a token that looks valid (after a 401)."""
        with self._lock:
            tokens = self.store.load()
            if tokens is None:
                raise self.needed("no tokens stored: this client was never authorized")
            secrets.register(tokens.access_token, tokens.refresh_token)
            now = self.clock()
            margin, interval = self.margins(tokens)
            fresh_enough = tokens.expires_at - margin > now
            if fresh_enough and not force:
                return tokens.access_token
            if now - tokens.refreshed_at < interval:
                if tokens.expires_at > now and not force:
                    return tokens.access_token
                # Refused (or expired) too soon to ask again: asking now would be refused as well,
                # so wait for the moment the service allows (at most the interval).
                wait = (tokens.refreshed_at + interval - now).total_seconds()
                log.warning(
                    "%s: a new access token may only be asked for in %.0f s; waiting", self.service, wait
                )
                self.sleep(wait)
            return self._exchange(tokens.refresh_token).access_token

    def margins(self, tokens: Tokens) -> tuple[timedelta, timedelta]:
        """(refresh this long before expiry, never refresh sooner than this after the last refresh)
        for `tokens`: the fixed values, or less for a token whose life is shorter (see above)."""
        lifetime = tokens.expires_at - tokens.refreshed_at
        if lifetime <= timedelta(0):
            return self.expiry_margin, self.min_refresh_interval
        return (
            min(self.expiry_margin, lifetime * self.expiry_fraction),
            min(self.min_refresh_interval, lifetime * self.refresh_fraction),
        )

    def store_response(self, response: TokenResponse) -> Tokens:
        """Persist a token response (durably) and return the stored pair."""
        secrets.register(response.access_token, response.refresh_token)
        now = self.clock()
        tokens = Tokens(
            access_token=response.access_token,
            refresh_token=response.refresh_token,
            expires_at=now + timedelta(seconds=response.expires_in),
            refreshed_at=now,
        )
        self.store.save(tokens)
        return tokens

    def _exchange(self, refresh_token: str) -> Tokens:
        response = self._refresh(refresh_token)  # raises AuthorizationNeeded when refused
        return self.store_response(response)
