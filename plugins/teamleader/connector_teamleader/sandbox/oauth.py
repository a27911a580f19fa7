"""Teamleader's OAuth 2.0 authorization server: authorization codes and rotating refresh tokens.

Source: the blueprint's `authentication.apib` (endpoints, form or JSON bodies, 1 h access tokens,
single-use refresh tokens), Teamleader staff in teamleadercrm/api#799 (codes live 10 minutes) and the
viaacode/teamleader2db README (the 400 body of a revoked refresh token). That body is the error format
of the PHP League oauth2-server (code 8 "The refresh token is invalid.", meta type/hint); the other
errors reuse that library's codes and titles, which is an inference, written down in
docs/sandbox-teamleader.md.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from connector.testing.sandbox import Request, Response

from .common import ApiError

ACCESS_TTL = timedelta(hours=1)
CODE_TTL = timedelta(minutes=10)

MALFORMED = (
    "The request is missing a required parameter, includes an invalid parameter value, "
    "includes a parameter more than once, or is otherwise malformed."
)


def _invalid_request(hint: str) -> ApiError:
    return ApiError(400, MALFORMED, code=3, meta={"type": "invalid_request", "hint": hint})


def _invalid_client() -> ApiError:
    return ApiError(401, "Client authentication failed", code=4, meta={"type": "invalid_client"})


def _invalid_refresh_token(hint: str) -> ApiError:
    """The observed answer to a reused or revoked refresh token (viaacode/teamleader2db README)."""
    return ApiError(
        400, "The refresh token is invalid.", code=8, meta={"type": "invalid_request", "hint": hint}
    )


def access_denied(hint: str) -> ApiError:
    """An API call without a valid bearer token (HTTP 401 per the blueprint; body inferred)."""
    return ApiError(
        401,
        "The resource owner or authorization server denied the request.",
        code=9,
        meta={"type": "access_denied", "hint": hint},
    )


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...] = ()
    """Whitelisted redirect URIs; empty accepts any http(s) URI (the sandbox cannot know the consultant's)."""


@dataclass
class Grant:
    client_id: str
    user_id: str
    expires_at: datetime
    redirect_uri: str | None = None
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    expires_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user_id: str
    access_token: str
    revoked: bool = False


@dataclass
class OAuthServer:
    """All tokens the simulated authorization server issued, and the rules for trading them."""

    clients: dict[str, Client]
    user_id: str
    auto_approve: bool = True
    revoke_access_on_refresh: bool = True
    speed: float = 1.0
    """The simulator clock's speed: `expires_in` is announced in wall seconds."""
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)

    # -- /oauth2/authorize ------------------------------------------------------------------------

    def authorize(self, request: Request, now: datetime) -> Response:
        """The consent screen; in auto-approve mode (demos) it approves at once with a 302."""
        client_id = request.param("client_id") or ""
        redirect_uri = request.param("redirect_uri") or ""
        state = request.param("state")
        client = self.clients.get(client_id)
        if client is None:
            return _invalid_client().response()
        if request.param("response_type") != "code":
            return ApiError(
                400,
                "The authorization grant type is not supported by the authorization server.",
                code=2,
                meta={"type": "unsupported_grant_type", "hint": "Only response_type=code is simulated"},
            ).response()
        if not _acceptable_redirect(client, redirect_uri):
            return _invalid_request("Check the `redirect_uri` parameter").response()
        decision = request.param("decision")
        if decision is None and not self.auto_approve:
            return _consent_page(request)
        if decision == "deny":
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = "def502" + secrets.token_hex(64)
        self.codes[code] = Grant(client_id, self.user_id, now + CODE_TTL, redirect_uri)
        return _redirect(redirect_uri, {"code": code, "state": state})

    # -- /oauth2/access_token ---------------------------------------------------------------------

    def token(self, request: Request, now: datetime) -> Response:
        try:
            params = _token_params(request)
            client = self._client(params)
            grant_type = params.get("grant_type")
            if grant_type == "authorization_code":
                user_id = self._redeem_code(client, params, now)
            elif grant_type == "refresh_token":
                user_id = self._rotate(client, params)
            else:
                raise ApiError(
                    400,
                    "The authorization grant type is not supported by the authorization server.",
                    code=2,
                    meta={"type": "unsupported_grant_type", "hint": "Check the `grant_type` parameter"},
                )
        except ApiError as error:
            return error.response({"Cache-Control": "no-store"})
        access, refresh = self.issue(client.client_id, user_id, now)
        lifetime = int(ACCESS_TTL.total_seconds() / self.speed)  # in wall seconds, as `Clock` runs
        body = {"token_type": "Bearer", "expires_in": lifetime, "access_token": access}
        body["refresh_token"] = refresh
        return Response.json(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def issue(self, client_id: str, user_id: str, now: datetime) -> tuple[str, str]:
        access = _jwt_like(client_id, user_id, now)
        refresh = "def502" + secrets.token_hex(96)
        self.access_tokens[access] = AccessToken(access, client_id, user_id, now + ACCESS_TTL)
        self.refresh_tokens[refresh] = RefreshToken(refresh, client_id, user_id, access)
        return access, refresh

    def _client(self, params: dict[str, str]) -> Client:
        client = self.clients.get(params.get("client_id", ""))
        if client is None or not secrets.compare_digest(client.secret, params.get("client_secret", "")):
            raise _invalid_client()
        return client

    def _redeem_code(self, client: Client, params: dict[str, str], now: datetime) -> str:
        code = params.get("code")
        if not code:
            raise _invalid_request("Check the `code` parameter")
        grant = self.codes.get(code)
        if grant is None or grant.client_id != client.client_id:
            raise _invalid_request("Cannot decrypt the authorization code")
        if grant.revoked:
            raise _invalid_request("Authorization code has been revoked")
        if now >= grant.expires_at:
            raise _invalid_request("Authorization code has expired")
        if grant.redirect_uri and params.get("redirect_uri") != grant.redirect_uri:
            raise _invalid_request("Invalid redirect URI")
        grant.revoked = True  # single use
        return grant.user_id

    def _rotate(self, client: Client, params: dict[str, str]) -> str:
        token = params.get("refresh_token")
        if not token:
            raise _invalid_request("Check the `refresh_token` parameter")
        stored = self.refresh_tokens.get(token)
        if stored is None:
            raise _invalid_refresh_token("Cannot decrypt the refresh token")
        if stored.client_id != client.client_id:
            raise _invalid_refresh_token("Token is not linked to client")
        if stored.revoked:
            raise _invalid_refresh_token("Token has been revoked")
        stored.revoked = True
        if self.revoke_access_on_refresh and stored.access_token in self.access_tokens:
            self.access_tokens[stored.access_token].revoked = True
        return stored.user_id

    # -- bearer tokens on API calls ---------------------------------------------------------------

    def authenticate(self, authorization: str | None, now: datetime) -> AccessToken:
        if not authorization:
            raise access_denied('Missing "Authorization" header')
        scheme, _, token = authorization.partition(" ")
        stored = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if stored is None:
            raise access_denied("Access token could not be verified")
        if stored.revoked:
            raise access_denied("Access token has been revoked")
        if now >= stored.expires_at:
            raise access_denied("The access token has expired")
        return stored

    def revoke_all(self, client_id: str | None = None) -> int:
        """As when the user uninstalls the integration or its Marketplace settings are saved (viaacode)."""
        count = 0
        tokens: list[AccessToken | RefreshToken] = [
            *self.access_tokens.values(),
            *self.refresh_tokens.values(),
        ]
        for token in tokens:
            if (client_id is None or token.client_id == client_id) and not token.revoked:
                token.revoked = True
                count += 1
        return count


def _acceptable_redirect(client: Client, redirect_uri: str) -> bool:
    if client.redirect_uris:
        return redirect_uri in client.redirect_uris
    return urlsplit(redirect_uri).scheme in ("http", "https")


def _redirect(target: str, params: dict[str, str | None]) -> Response:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    separator = "&" if urlsplit(target).query else "?"
    return Response(302, b"", {"Location": f"{target}{separator}{query}"})


def _consent_page(request: Request) -> Response:
    base = f"/oauth2/authorize?{request.raw_query}"
    page = (
        "<!doctype html><title>Teamleader Focus sandbox</title>"
        "<h1>Allow this integration to access the demo account?</h1>"
        f'<p><a href="{base}&amp;decision=approve">Approve</a> '
        f'<a href="{base}&amp;decision=deny">Deny</a></p>'
    )
    return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def _token_params(request: Request) -> dict[str, str]:
    """Form-encoded or JSON body; client credentials may also come as HTTP Basic."""
    content_type = (request.header("Content-Type") or "").lower()
    params: dict[str, str] = {}
    if "json" in content_type:
        try:
            payload: Any = json.loads(request.body or b"{}")
        except ValueError as error:
            raise _invalid_request("The body is not valid JSON") from error
        if not isinstance(payload, dict):
            raise _invalid_request("The body must be a JSON object")
        params = {key: str(value) for key, value in payload.items() if value is not None}
    else:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params = {key: values[0] for key, values in form.items()}
    basic = request.header("Authorization") or ""
    if basic.lower().startswith("basic ") and "client_id" not in params:
        try:
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
        except ValueError as error:
            raise _invalid_client() from error
        params.update(client_id=user, client_secret=password)
    return params


def _jwt_like(client_id: str, user_id: str, now: datetime) -> str:
    """Access tokens look like JWTs (`eyJ0eXAiOiJKV1Qi...` in the blueprint); only their string matters."""

    def part(payload: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()

    claims = {
        "aud": client_id,
        "jti": secrets.token_hex(20),
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TTL).timestamp()),
        "sub": user_id,
    }
    signature = base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.{signature}"
