"""Teamleader's OAuth 2.0 server: the browser URL and the token endpoint (notes §2).

``GET {auth_url}/oauth2/authorize?client_id&response_type=code&redirect_uri&state`` sends a person
to consent; ``POST {auth_url}/oauth2/access_token`` trades an authorization code or a refresh token
for a new pair. Refresh tokens are single-use: the answer to a refresh is the only copy of the next
one, so `TokenKeeper` stores it before anything uses the new access token.

A refused refresh token answers 400 ``{"errors":[{"code":8,"title":"The refresh token is invalid.",
"meta":{"hint":"Token has been revoked"}}]}`` (viaacode/teamleader2db README): only a person can fix
that, so it becomes `AuthorizationNeeded`. A 401 from the token endpoint means the client id or
secret is wrong, which `connector auth` cannot fix either: that is a `ConfigurationError`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from connector.contract.errors import ApiError, AuthorizationNeeded, ConfigurationError
from connector.transport.oauth import TokenResponse

from .client import TeamleaderClient, error_title

DEFAULT_EXPIRES_IN = 3600  # "usually 1 hour" (notes §2)


class TeamleaderOAuth:
    """The token endpoint and the authorization URL of one Marketplace integration."""

    def __init__(
        self,
        client: TeamleaderClient,
        *,
        auth_url: str,
        client_id: str,
        client_secret: str,
        side: str = "source",
        rules: str = "RULES",
    ) -> None:
        self.client = client
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.side = side
        self.rules = rules

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.auth_url}/oauth2/authorize?{query}"

    def refresh(self, refresh_token: str) -> TokenResponse:
        """Trade a refresh token for a new pair; the given one is dead afterwards."""
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}, "refresh token")

    def exchange_code(self, code: str, redirect_uri: str) -> TokenResponse:
        """Trade an authorization code (single use, valid 10 minutes) for the first pair."""
        return self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
            "authorization code",
        )

    def _token(self, params: dict[str, str], what: str) -> TokenResponse:
        form = {"client_id": self.client_id, "client_secret": self.client_secret, **params}
        try:
            response = self.client.request(
                "POST",
                f"{self.auth_url}/oauth2/access_token",
                endpoint="oauth2/access_token",
                safe=False,  # a lost answer may already have consumed the refresh token
                authenticated=False,
                data=form,
                headers={"Accept": "application/json"},
            )
        except ApiError as error:
            raise self._refused(error, what) from error
        try:
            payload: Any = response.json()
            return TokenResponse(
                access_token=str(payload["access_token"]),
                refresh_token=str(payload["refresh_token"]),
                expires_in=int(payload.get("expires_in") or DEFAULT_EXPIRES_IN),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ApiError(
                "Teamleader's token endpoint answered without an access and a refresh token",
                status=response.status_code,
                response=response,
            ) from error

    def _refused(self, error: ApiError, what: str) -> Exception:
        status = error.status or 0
        title, meta = error_title(error.response) if error.response is not None else (str(error), {})
        hint = meta.get("hint")
        said = f"{title} ({hint})" if hint else title
        if status == 401:
            return ConfigurationError(
                f"Teamleader refused the integration's credentials: {said}",
                hint="check source.client_id and source.client_secret against the Marketplace integration",
            )
        if 400 <= status < 500:
            return AuthorizationNeeded(
                f"Teamleader refused the {what}: {said}", rules=self.rules, side=self.side
            )
        return error
