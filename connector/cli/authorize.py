"""`connector auth`: connect a client's source or sink account, once, by a person.

Either the authorization-code flow with a loopback redirect (a one-shot HTTP server on 127.0.0.1
receives the code; the URL to open is printed), or a given refresh token exchanged at once, which
proves it works and stores the new pair. Both happen under the client's lock, because the stored
refresh token is single-use.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connector.contract.errors import AuthorizationNeeded, ConfigurationError
from connector.contract.plugins import Plugins
from connector.contract.services import Service
from connector.rules.model import Rules
from connector.state.files import state_dir_for
from connector.state.lock import ClientLock
from connector.state.store import StateStore

CALLBACK_PATH = "/callback"


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 that waits for the OAuth redirect."""

    def __init__(self, port: int = 0) -> None:
        self.params: dict[str, str] = {}
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.params = {key: values[0] for key, values in parse_qs(parts.query).items()}
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"connector: authorization received, you can close this window.\n")
                receiver.arrived.set()

        self.server = HTTPServer(("127.0.0.1", port), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}{CALLBACK_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout: float) -> dict[str, str]:
        if not self.arrived.wait(timeout):
            raise AuthorizationNeeded(f"no authorization arrived within {timeout:.0f} s")
        return self.params


def authorize_service(
    service: Service,
    *,
    refresh_token: str | None,
    echo: Callable[[str], None],
    timeout: float = 600.0,
    port: int = 0,
) -> str:
    """Authorize one service; returns who it is connected as."""
    if refresh_token:
        service.authorize(refresh_token=refresh_token)
    else:
        state = secrets.token_urlsafe(16)
        with LoopbackReceiver(port) as receiver:
            url = service.authorization_url(receiver.redirect_uri, state)
            echo(f"Open this URL in a browser and approve the access:\n\n  {url}\n")
            echo(f"Waiting for the redirect to {receiver.redirect_uri} ...")
            params = receiver.wait(timeout)
        if params.get("state") != state:
            raise AuthorizationNeeded("the redirect's state does not match: start `connector auth` again")
        if "code" not in params:
            raise AuthorizationNeeded(f"access was not granted ({params.get('error', 'no code')})")
        service.authorize(code=params["code"], redirect_uri=receiver.redirect_uri)
    return service.check_authorization()


def run_auth(
    rules: Rules,
    plugins: Plugins,
    side: str,
    *,
    refresh_token: str | None,
    state_dir: Path | None,
    echo: Callable[[str], None],
    timeout: float = 600.0,
) -> str:
    from connector.engine.runner import build_services

    if side not in ("source", "sink"):
        raise ConfigurationError(f"unknown side {side!r}", hint="use `source` or `sink`")
    directory = state_dir_for(rules.path or Path("."), state_dir)
    with ClientLock(directory, rules.client), StateStore.for_client(directory, rules.client) as store:
        source, sink = build_services(rules, plugins, store)
        service = source if side == "source" else sink
        try:
            who = authorize_service(service, refresh_token=refresh_token, echo=echo, timeout=timeout)
        finally:
            source.close()
            sink.close()
    return who
