"""Local simulators of the services, as plugins register them (`register_sandboxes`).

A sandbox is a real HTTP server on loopback that behaves like the service it stands in for. The
core owns what every simulator shares, and nothing of what they simulate:

- `SandboxServer`: a threaded HTTP server in a background thread; a subclass implements `handle()`
  (the service's API) and may add `admin()` routes.
- The admin surface under ``/_sandbox/`` (never confused with an API path):
  ``GET /_sandbox/calls`` the call log; ``DELETE /_sandbox/calls`` clears it;
  ``POST /_sandbox/clock {"advance": seconds}`` or ``{"set": iso}`` moves the clock;
  ``GET /_sandbox/clock``; ``POST /_sandbox/faults {...}`` injects a fault (see `Fault`);
  ``DELETE /_sandbox/faults`` clears them. A subclass's `admin()` serves the rest of ``/_sandbox/``.
- `Clock`: the simulator's time, real time (optionally `speed` times faster) plus an offset that
  tests move forward without sleeping.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN_PREFIX = "/_sandbox/"


class Clock:
    """Simulated time: the real clock, run `speed` times faster, plus an offset that only moves
    forward on request.

    At speed N a simulated minute lasts 60/N wall seconds and a simulated day 86,400/N. What the
    simulator announces to a client in wall-clock terms (a rate limit's reset moment, a token's
    `expires_in`) goes through `wall_of` and `wall_seconds`, so a client that follows the headers
    needs no test-only switch. At speed 1 both are the identity: the simulator behaves exactly as a
    clock without speed (and a test that moved the clock reads the headers against it).
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"a clock's speed must be positive, not {speed}")
        self.speed = float(speed)
        self._origin = datetime.now(UTC)
        self._offset = timedelta()
        self._lock = threading.Lock()

    def _run(self, wall: datetime) -> datetime:
        """Where the clock would stand at `wall` without any offset."""
        if self.speed == 1:
            return wall
        return self._origin + (wall - self._origin) * self.speed

    def now(self) -> datetime:
        with self._lock:
            return self._run(datetime.now(UTC)) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, moment: datetime) -> datetime:
        with self._lock:
            self._offset = moment - self._run(datetime.now(UTC))
        return self.now()

    def wall_of(self, moment: datetime) -> datetime:
        """The wall-clock moment at which this clock shows `moment` (unless it is moved first)."""
        if self.speed == 1:
            return moment
        with self._lock:
            wall = datetime.now(UTC)
            return wall + (moment - (self._run(wall) + self._offset)) / self.speed

    def wall_seconds(self, seconds: float) -> float:
        """How many wall seconds `seconds` of this clock's time last."""
        return seconds / self.speed


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    raw_query: str = ""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
        return cls(status, b"", dict(headers or {}))


@dataclass
class Fault:
    """A misbehaviour the next `count` matching requests meet.

    kind ``status``: answer `status` with `body` instead of serving the request.
    kind ``drop``: serve the request (the write is committed), then close the connection without
    answering. kind ``slow``: wait `delay` seconds, then serve. `path` is a regular expression
    searched in the request path; `method` limits it to one method when set.
    """

    path: str
    kind: str = "status"
    count: int = 1
    status: int = 500
    body: str = ""
    delay: float = 0.0
    method: str | None = None

    def matches(self, request: Request) -> bool:
        if self.method and self.method.upper() != request.method:
            return False
        return re.search(self.path, request.path) is not None


@dataclass
class CallRecord:
    at: str
    method: str
    path: str
    query: str
    status: int
    body: str


class SandboxServer:
    """A simulator's HTTP server on loopback. Subclasses implement `handle` and may add `admin`."""

    name = "sandbox"

    def __init__(self, *, port: int = 0, host: str = "127.0.0.1", speed: float = 1.0) -> None:
        self.clock = Clock(speed)
        self.lock = threading.RLock()  # one request changes state at a time, as a real service's DB would
        self.calls: list[CallRecord] = []
        self.faults: list[Fault] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers=dict(self.headers.items()),
                    body=body,
                    raw_query=parts.query,
                )
                response = server.dispatch(request)
                if response is None:  # a dropped response: the connection just ends
                    self.close_connection = True
                    return
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if response.body:
                    self.wfile.write(response.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        accept = self.httpd.get_request

        def get_request() -> tuple[socket.socket, Any]:
            # Without TCP_NODELAY every keep-alive call waits ~40 ms for delayed ACKs.
            connection, address = accept()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection, address

        self.httpd.get_request = get_request  # type: ignore[method-assign]
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch -------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response | None:
        if request.path.startswith(ADMIN_PREFIX):
            with self.lock:
                return self._admin(request)
        fault = self._take_fault(request)
        if fault and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault and fault.kind == "status":
            response = Response(fault.status, fault.body.encode(), {"Content-Type": "application/json"})
        else:
            with self.lock:
                try:
                    response = self.handle(request)
                except Exception as error:  # a simulator bug must show, not hang the client
                    response = Response.json({"error": f"sandbox error: {error!r}"}, 500)
        self._log(request, response.status if response else 0)
        if fault and fault.kind == "drop":
            return None
        return response

    def handle(self, request: Request) -> Response:
        """Serve one API request. Called with `self.lock` held."""
        raise NotImplementedError

    def admin(self, request: Request) -> Response | None:
        """Serve a simulator-specific admin route under /_sandbox/, or None when unknown."""
        return None

    def _take_fault(self, request: Request) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.matches(request):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _log(self, request: Request, status: int) -> None:
        with self.lock:
            self.calls.append(
                CallRecord(
                    at=self.clock.now().isoformat(),
                    method=request.method,
                    path=request.path,
                    query=request.raw_query,
                    status=status,
                    body=request.body.decode("utf-8", "replace")[:2000],
                )
            )

    def _admin(self, request: Request) -> Response:
        route = request.path[len(ADMIN_PREFIX) :].strip("/")
        if route == "calls" and request.method == "GET":
            return Response.json([asdict(call) for call in self.calls])
        if route == "calls" and request.method == "DELETE":
            self.calls.clear()
            return Response.empty()
        if route == "clock" and request.method == "GET":
            shown: dict[str, Any] = {"now": self.clock.now().isoformat()}
            if self.clock.speed != 1:
                shown["speed"] = self.clock.speed
            return Response.json(shown)
        if route == "clock" and request.method == "POST":
            payload = request.json() or {}
            if "set" in payload:
                moment = self.clock.set(datetime.fromisoformat(payload["set"]))
            else:
                moment = self.clock.advance(float(payload.get("advance", 0)))
            return Response.json({"now": moment.isoformat()})
        if route == "faults" and request.method == "POST":
            self.faults.append(Fault(**(request.json() or {})))
            return Response.empty()
        if route == "faults" and request.method == "DELETE":
            self.faults.clear()
            return Response.empty()
        answer = self.admin(request)
        if answer is None:
            return Response.json({"error": f"unknown sandbox admin route {request.method} {route}"}, 404)
        return answer
