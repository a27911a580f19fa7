"""Immediate sync: a small HTTP listener for the source's booked-document webhooks, which asks the
client's worker for one more documents run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class BookedListener:
    """The HTTP endpoint the source calls when a document is booked (`triggers.immediate`).

    Only the secret path of `public_url` is answered; the body is not trusted (the source's calls
    carry ids only and no signature): a call just makes the next documents run happen now.
    """

    def __init__(self, host: str, port: int, path: str, on_call: Callable[[], None]) -> None:
        secret_path = path or "/"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                known = self.path.split("?")[0] == secret_path
                self.send_response(204 if known else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if known:
                    on_call()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
