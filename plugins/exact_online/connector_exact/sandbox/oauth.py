"""Exact Online's OAuth 2.0 server as clients meet it (notes §2).

Authorization code (single use, ~3 minutes), access tokens of 600 s, and rotating single-use refresh
tokens: every refresh returns a new refresh token and the presented one becomes "old" (401
``Old refresh token used.``); a refresh within 570 s of the previous token issue is refused with 400
``access_denied`` and a ``Reason: TooEarlyToRefreshTokens`` header (the presented refresh token stays
valid); a refresh token unused for 30 days expires (400 ``invalid_request``); 200 token calls per client
per day.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from connector.testing.sandbox import Clock, Request, Response

from .odata import ODataError

ACCESS_TTL = timedelta(seconds=600)
CODE_TTL = timedelta(minutes=3)
TOO_EARLY_BODY = (
    b'{ "error":"access_denied","error_description":"Rate limit exceeded: access_token not expired" }'
)
TOO_EARLY_REASON = "TooEarlyToRefreshTokens: Rate limit exceeded: access_token not expired"


@dataclass
class Client:
    client_id: str
    secret: str
    user_id: str


@dataclass
class Grant:
    """One authorization: the chain of refresh tokens a consent produced."""

    client_id: str
    user_id: str
    refresh_token: str
    refresh_issued: datetime
    access_issued: datetime | None = None
    old_tokens: set[str] = field(default_factory=set)


@dataclass
class AccessToken:
    token: str
    client_id: str
    user_id: str
    expires: datetime


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    expires: datetime
    used: bool = False


def _exact_time(moment: datetime) -> str:
    """10/11/2022 9:18:20 PM, as Exact's refresh-token expiry message writes times."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment.minute:02d}:{moment.second:02d} {half}"


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps({"error": error, "error_description": description}).replace("/", "\\/")
    return Response(
        status, body.encode(), {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


class OAuthServer:
    def __init__(
        self,
        clock: Clock,
        clients: list[Client],
        *,
        auto_approve: bool = True,
        refresh_token_ttl: timedelta = timedelta(days=30),
        min_refresh_interval: float = 570,
        token_calls_per_day: int = 200,
    ) -> None:
        self.clock = clock
        self.clients = {client.client_id: client for client in clients}
        self.auto_approve = auto_approve
        self.refresh_token_ttl = refresh_token_ttl
        self.min_refresh_interval = timedelta(seconds=min_refresh_interval)
        self.token_calls_per_day = token_calls_per_day
        self.grants: dict[str, Grant] = {}  # every refresh token ever issued -> its grant
        self.access_tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, Code] = {}
        self.token_calls: dict[tuple[str, str], int] = {}

    # -- authorize ------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """GET /api/oauth2/auth; POST is the consent form's "approve" answer."""
        params = {k: v[0] for k, v in request.query.items()}
        if request.method == "POST":
            params.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or not redirect_uri:
            return Response(
                400,
                b"<html><body>Unknown client or missing redirect_uri.</body></html>",
                {"Content-Type": "text/html; charset=utf-8"},
            )
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        if not self.auto_approve and request.method != "POST":
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
            )
            page = (
                "<html><body><h1>Exact Online (sandbox)</h1>"
                "<p>Allow this app to access your administration?</p>"
                f'<form method="post" action="/api/oauth2/auth">{fields}<button>Allow</button></form>'
                "</body></html>"
            )
            return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        code = "stampNL" + secrets.token_urlsafe(24)
        self.codes[code] = Code(client.client_id, redirect_uri, self.clock.now() + CODE_TTL)
        return self._redirect(redirect_uri, {"code": code, "state": state})

    @staticmethod
    def _redirect(uri: str, params: dict[str, str | None]) -> Response:
        parts = urlsplit(uri)
        query = "&".join(p for p in (parts.query, urlencode({k: v for k, v in params.items() if v})) if p)
        return Response(302, b"", {"Location": urlunsplit(parts._replace(query=query))})

    # -- token -----------------------------------------------------------------------------------

    def token(self, request: Request) -> Response:
        if request.method != "POST":
            return _oauth_error(405, "invalid_request", "Use POST.")
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.header("Authorization") or ""
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except ValueError:
                client_id = secret = None
        client = self.clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.secret, secret or ""):
            return _oauth_error(400, "invalid_client", "Invalid client credentials.")
        day = self.clock.now().date().isoformat()
        calls = self.token_calls.get((client.client_id, day), 0) + 1
        self.token_calls[(client.client_id, day)] = calls
        if calls > self.token_calls_per_day:
            return _oauth_error(
                400,
                "access_denied",
                "Rate limit exceeded: too many token requests today",
                {"Reason": "TooManyTokenRequests: Rate limit exceeded: too many token requests today"},
            )
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh(client, form.get("refresh_token", ""))
        return _oauth_error(400, "unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")

    def _exchange_code(self, client: Client, form: dict[str, str]) -> Response:
        code = self.codes.get(form.get("code", ""))
        now = self.clock.now()
        if code is None or code.used or code.expires < now or code.client_id != client.client_id:
            return _oauth_error(
                400, "invalid_grant", "The authorization code is invalid, expired or already used."
            )
        code.used = True
        if form.get("redirect_uri") and form["redirect_uri"] != code.redirect_uri:
            return _oauth_error(
                400, "invalid_grant", "The redirect_uri does not match the authorization request."
            )
        grant = Grant(client.client_id, client.user_id, "", now)
        return self._issue(grant)

    def _refresh(self, client: Client, token: str) -> Response:
        grant = self.grants.get(token)
        now = self.clock.now()
        if grant is None or grant.client_id != client.client_id:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token.")
        if token in grant.old_tokens:
            return _oauth_error(401, "unauthorized_client", "Old refresh token used.")
        expires = grant.refresh_issued + self.refresh_token_ttl
        if now > expires:
            return _oauth_error(
                400,
                "invalid_request",
                f"The refresh token expired at {_exact_time(expires)} and it is now {_exact_time(now)}.",
            )
        if grant.access_issued is not None and now < grant.access_issued + self.min_refresh_interval:
            return Response(
                400,
                TOO_EARLY_BODY,
                {"Content-Type": "application/json; charset=utf-8", "Reason": TOO_EARLY_REASON},
            )
        return self._issue(grant)

    def _issue(self, grant: Grant) -> Response:
        now = self.clock.now()
        if grant.refresh_token:
            grant.old_tokens.add(grant.refresh_token)
        grant.refresh_token = self._new_refresh_token(grant)
        grant.refresh_issued = grant.access_issued = now
        access = AccessToken(
            "AAEAA" + secrets.token_urlsafe(48), grant.client_id, grant.user_id, now + ACCESS_TTL
        )
        self.access_tokens[access.token] = access
        payload: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "bearer",
            # in wall seconds: on a sped-up clock the 600 simulated seconds pass sooner (`Clock`)
            "expires_in": str(int(self.clock.wall_seconds(ACCESS_TTL.total_seconds()))),
            "refresh_token": grant.refresh_token,
        }
        return Response(
            200, json.dumps(payload).encode(), {"Content-Type": "application/json; charset=utf-8"}
        )

    def _new_refresh_token(self, grant: Grant) -> str:
        token = "Gd1!" + secrets.token_urlsafe(36)
        self.grants[token] = grant
        return token

    def issue_refresh_token(self, client_id: str) -> str:
        """A refresh token as if the user had just consented; refreshable at once."""
        client = self.clients[client_id]
        grant = Grant(client.client_id, client.user_id, "", self.clock.now())
        grant.refresh_token = self._new_refresh_token(grant)
        return grant.refresh_token

    # -- API calls ------------------------------------------------------------------------------

    def bearer(self, request: Request) -> AccessToken:
        """The valid access token of an API call, or a 401 (missing, unknown or older than 600 s)."""
        header = request.header("Authorization") or ""
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        access = self.access_tokens.get(token)
        if access is None or access.expires <= self.clock.now():
            raise ODataError(
                401, "Unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        return access

    def state(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "grants": len({id(grant) for grant in self.grants.values()}),
            "live_access_tokens": sum(1 for a in self.access_tokens.values() if a.expires > now),
            "token_calls": {f"{client}@{day}": n for (client, day), n in self.token_calls.items()},
        }
