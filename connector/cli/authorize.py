"""`connector auth`: connect a client's source or sink account, once, by a person.

Either the authorization-code flow with a loopback redirect (a one-shot HTTP server on 127.0.0.1
receives the code; the URL to open is printed), or a given refresh token exchanged at once, which
proves it works and stores the new pair. Both happen under the client's lock, because the stored
refresh token is single-use.

Without a browser on this machine (a server over ssh), the URL is opened on any other machine; its
browser is then sent to the 127.0.0.1 address, which does not load there, and the person pastes
that address back into the terminal: the code and state in it finish the flow just as the redirect
would have.
"""

from __future__ import annotations

import queue
import secrets
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, TextIO
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

    def offer(self, text: str) -> bool:
        """A redirected address pasted by a person; True when it carries the answer (code or error)."""
        params = {key: values[0] for key, values in parse_qs(urlsplit(text.strip()).query).items()}
        if "code" not in params and "error" not in params:
            return False
        self.params = params
        self.arrived.set()
        return True

    def wait(
        self, timeout: float, pasted: PastedLines | None = None, echo: Callable[[str], None] = print
    ) -> dict[str, str]:
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.daemon = True
        timer.start()
        try:
            while not self.arrived.is_set():
                if deadline.is_set():
                    raise AuthorizationNeeded(f"no authorization arrived within {timeout:.0f} s")
                line = pasted.get(0.2) if pasted else None
                if line is None:
                    self.arrived.wait(0.2)
                elif line.strip() and not self.offer(line):
                    echo(
                        "That is not the address the browser was sent to (it has no code=): paste all of it."
                    )
        finally:
            timer.cancel()
        return self.params


class PastedLines:
    """Lines typed or pasted into the terminal, read by one thread for the whole command (two
    authorizations in a row must not race two readers for one line)."""

    _shared: PastedLines | None = None

    def __init__(self, stream: TextIO) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    @classmethod
    def stdin(cls) -> PastedLines:
        if cls._shared is None:
            cls._shared = cls(sys.stdin)
        return cls._shared

    def _read(self, stream: TextIO) -> None:
        try:
            for line in stream:
                self.lines.put(line)
        except (OSError, ValueError):  # no terminal, or closed: nothing will be pasted
            return

    def get(self, timeout: float) -> str | None:
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None


def authorize_service(
    service: Service,
    *,
    refresh_token: str | None,
    echo: Callable[[str], None],
    timeout: float = 600.0,
    port: int = 0,
    step: str = "",
    pasted: PastedLines | None = None,
) -> str:
    """Authorize one service; returns who it is connected as. `step` says which of several this is
    ("1 of 2"); `pasted` gives the lines a person pastes (the redirected address, browser elsewhere)."""
    if refresh_token:
        service.authorize(refresh_token=refresh_token)
    else:
        state = secrets.token_urlsafe(16)
        with LoopbackReceiver(port) as receiver:
            url = service.authorization_url(receiver.redirect_uri, state)
            which = f" ({step})" if step else ""
            echo(
                f"{service.title or service.name}{which}: open this URL in a browser and approve the access:"
            )
            echo(f"\n  {url}\n")
            echo(f"Waiting for the redirect to {receiver.redirect_uri} ...")
            if pasted is not None:
                echo(
                    "No browser on this machine? Open the URL on another one. After you approve, that "
                    "browser is sent to the 127.0.0.1 address above and cannot load it: copy the whole "
                    "address from its address bar, paste it here and press Enter."
                )
            params = receiver.wait(timeout, pasted, echo)
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
    pasted: PastedLines | None = None,
) -> str:
    from connector.engine.runner import build_services

    if side not in ("source", "sink"):
        raise ConfigurationError(f"unknown side {side!r}", hint="use `source` or `sink`")
    directory = state_dir_for(rules.path or Path("."), state_dir)
    with ClientLock(directory, rules.client), StateStore.for_client(directory, rules.client) as store:
        source, sink = build_services(rules, plugins, store)
        service = source if side == "source" else sink
        try:
            who = authorize_service(
                service, refresh_token=refresh_token, echo=echo, timeout=timeout, pasted=pasted
            )
        finally:
            source.close()
            sink.close()
    return who
