"""Exact Online's OAuth 2.0 token endpoint, and token keeping under its rules (notes §2).

- The token request is ``POST {base_url}/api/oauth2/token``, form-encoded, with ``client_id`` and
  ``client_secret`` in the body (as picqer, ossobv and Exact's own Ruby client send them).
- ``expires_in`` comes as a *string* (``"600"``).
- Refresh tokens rotate and are single use: the new pair is saved (durably, by `TokenKeeper`) before
  the new access token is used.
- Exact refuses a refresh within 570 s of the previous one. `exact_keeper` therefore never asks
  sooner: it reuses the stored access token until 25 s before it expires, i.e. 575 s after it was
  issued, and a forced refresh (after a 401) within 570 s asks for authorization instead. A token
  announced with a shorter life (a sped-up sandbox) keeps the same proportions (`TokenKeeper.margins`).
- Should Exact still answer ``TooEarlyToRefreshTokens`` (another process refreshed, or the clocks
  disagree), the stored access token is used while it is valid; otherwise the person is told how long
  to wait. Nothing is stored then: the presented refresh token stays the valid one.
- ``Old refresh token used.`` (401), ``The refresh token expired …`` (400) and every other refusal
  mean a person has to authorize again: `AuthorizationNeeded` says to run ``connector auth RULES sink``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from connector.contract.errors import AuthorizationNeeded, RetriableError
from connector.contract.services import ServiceContext
from connector.contract.tokens import Tokens, TokenStore
from connector.transport.oauth import TokenKeeper, TokenResponse

log = logging.getLogger("connector.exact_online.oauth")

SERVICE = "Exact Online"
ACCESS_LIFETIME = timedelta(seconds=600)
MIN_REFRESH_INTERVAL = timedelta(seconds=570)
EXPIRY_MARGIN = timedelta(seconds=25)
# Relative to a shorter announced lifetime (a sped-up sandbox), the same proportions: refreshed at
# 575/600 of its life, never before 570/600 (`TokenKeeper.margins`).
EXPIRY_FRACTION = EXPIRY_MARGIN / ACCESS_LIFETIME
REFRESH_FRACTION = MIN_REFRESH_INTERVAL / ACCESS_LIFETIME
TOKEN_PATH = "/api/oauth2/token"
AUTH_PATH = "/api/oauth2/auth"


class TooEarlyToRefresh(Exception):
    """Exact refused a refresh because the last one was less than 570 s ago."""


class TokenEndpoint:
    """The token requests of one Exact app: code exchange and refresh."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        http: httpx.Client,
        context: ServiceContext,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http
        self.context = context

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "state": state,
            }
        )
        return f"{self.base_url}{AUTH_PATH}?{query}"

    def exchange_code(self, code: str, redirect_uri: str) -> TokenResponse:
        return self._request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    def refresh(self, refresh_token: str) -> TokenResponse:
        return self._request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _request(self, form: dict[str, str]) -> TokenResponse:
        """One token call. Never repeated on an unknown outcome: the refresh token may have rotated."""
        data = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        calls = self.context.calls
        calls[TOKEN_PATH] = calls.get(TOKEN_PATH, 0) + 1
        try:
            response = self.http.post(
                f"{self.base_url}{TOKEN_PATH}", data=data, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as error:
            raise RetriableError(
                f"{SERVICE}: no answer from the token endpoint ({type(error).__name__})",
                hint="try again; if the next attempt says the refresh token is old, authorize again",
            ) from error
        if response.status_code >= 500:
            raise RetriableError(
                f"{SERVICE}: the token endpoint failed ({response.status_code})", response=response
            )
        if response.status_code != 200:
            raise refusal(response)
        return parse_token_response(response)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def refusal(response: httpx.Response) -> Exception:
    """What a refused token request means for the person running connector."""
    body = _body(response)
    description = str(body.get("error_description") or body.get("error") or response.text[:200]).strip()
    reason = response.headers.get("Reason", "")
    if "TooEarlyToRefreshTokens" in reason or "access_token not expired" in description:
        return TooEarlyToRefresh(description or reason)
    if "old refresh token" in description.lower():
        why = (
            "the stored refresh token was already used (Exact: Old refresh token used.); "
            "another process or copy of the state may have refreshed it"
        )
    elif "expired" in description.lower():
        why = f"the refresh token expired, it was not used for too long (Exact: {description})"
    else:
        why = f"the token request was refused ({response.status_code}: {description or 'no reason given'})"
    return AuthorizationNeeded(f"{SERVICE}: {why}", side="sink")


def parse_token_response(response: httpx.Response) -> TokenResponse:
    body = _body(response)
    try:
        token_type = str(body.get("token_type", "bearer"))
        if token_type.lower() != "bearer":
            raise ValueError(f"token type {token_type!r}")
        return TokenResponse(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_in=int(str(body["expires_in"]).strip()),  # Exact sends "600", a string
        )
    except (KeyError, ValueError) as error:
        raise AuthorizationNeeded(
            f"{SERVICE}: the token endpoint answered something unexpected ({error})", side="sink"
        ) from error


class ExactTokenKeeper(TokenKeeper):
    """`TokenKeeper` that survives Exact's "too early" refusal by keeping the stored access token."""

    def _exchange(self, refresh_token: str) -> Tokens:
        try:
            return super()._exchange(refresh_token)
        except TooEarlyToRefresh as refused:
            tokens = self.store.load()
            now = self.clock()
            if tokens is not None and tokens.expires_at > now:
                log.warning(
                    "%s refused an early refresh (%s); the stored token is still valid", SERVICE, refused
                )
                return tokens
            since = now - tokens.refreshed_at if tokens else timedelta(0)
            interval = self.margins(tokens)[1] if tokens else self.min_refresh_interval
            wait = max((interval - since).total_seconds(), 0.0) or 570.0
            raise self.needed(
                f"Exact refused a token refresh as too early ({refused}); wait {wait:.0f} s and run again"
            ) from refused


def exact_keeper(
    store: TokenStore,
    refresh: Callable[[str], TokenResponse],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] | None = None,
) -> ExactTokenKeeper:
    return ExactTokenKeeper(
        store,
        refresh,
        clock=clock,
        sleep=sleep or time.sleep,
        service=SERVICE,
        side="sink",
        expiry_margin=EXPIRY_MARGIN,
        min_refresh_interval=MIN_REFRESH_INTERVAL,
        expiry_fraction=EXPIRY_FRACTION,
        refresh_fraction=REFRESH_FRACTION,
    )
