"""`connector auth`'s loopback flow: the code arrives at 127.0.0.1 and is exchanged; state is checked."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from connector.cli.authorize import authorize_service
from connector.contract.errors import AuthorizationNeeded
from connector.contract.services import ServiceContext, Source


class Browser(Source):
    """A service whose 'person' approves at once by calling the redirect URI, like a browser would."""

    name = "browser"

    def __init__(self, tamper: bool = False) -> None:
        super().__init__({}, ServiceContext("acme", "source"))
        self.tamper = tamper
        self.exchanged: dict[str, Any] = {}

    def authorization_url(self, redirect_uri: str, state: str) -> str:
        sent = "forged" if self.tamper else state
        threading.Timer(0.05, lambda: httpx.get(f"{redirect_uri}?code=abc&state={sent}")).start()
        return f"https://auth.example/authorize?redirect_uri={redirect_uri}&state={state}"

    def authorize(
        self, *, code: str | None = None, redirect_uri: str | None = None, refresh_token: str | None = None
    ) -> None:
        self.exchanged = {"code": code, "redirect_uri": redirect_uri, "refresh_token": refresh_token}

    def check_authorization(self) -> str:
        return "Jane Doe <jane@example.com>"


def test_the_code_from_the_loopback_redirect_is_exchanged() -> None:
    printed: list[str] = []
    service = Browser()
    who = authorize_service(service, refresh_token=None, echo=printed.append, timeout=5)
    assert who == "Jane Doe <jane@example.com>"
    assert service.exchanged["code"] == "abc"
    redirect = service.exchanged["redirect_uri"]
    assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
    url = next(line for line in printed if "https://auth.example" in line).strip()
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == [redirect]


def test_a_forged_state_is_refused() -> None:
    with pytest.raises(AuthorizationNeeded, match="state does not match"):
        authorize_service(Browser(tamper=True), refresh_token=None, echo=lambda _: None, timeout=5)


def test_a_given_refresh_token_is_exchanged_without_a_browser() -> None:
    service = Browser()
    authorize_service(service, refresh_token="def502-token", echo=lambda _: None)
    assert service.exchanged == {"code": None, "redirect_uri": None, "refresh_token": "def502-token"}
