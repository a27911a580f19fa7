"""The Teamleader Focus simulator: one loopback server for both the API and the /oauth2/ paths.

Every API call goes: bearer token (401) -> rate limit per integration and account (429) -> endpoint (404 when
unknown) -> handler (400 / 404 on bad input). Every API answer carries `X-Api-Version` and, once the
client is known, the `X-RateLimit-*` headers (notes §1, §5).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from connector.testing.sandbox import Request, Response, SandboxServer

from . import crm, files, invoice_api, reference, webhooks
from .admin import admin_route
from .booked import PEPPOL_STATUSES, CreditNote, Document, Invoice
from .common import API_VERSION, ApiError, Paging, iso, parse_datetime, second
from .currencies import DEFAULT_ORIENTATION, Orientation
from .demo import generate, seed_demo
from .documents import credit_note_json, invoice_json
from .lifecycle import register_payment, update_booked
from .oauth import Client, OAuthServer
from .ratelimit import SlidingWindow
from .scenario import book_invoice, credit_invoice, seed
from .store import Store

DEMO_CLIENT_ID = "demo-teamleader-client"
DEMO_CLIENT_SECRET = "demo-teamleader-secret"
Handler = Callable[[Store, dict[str, Any]], Response]
ENDPOINT = re.compile(r"^/([a-zA-Z]+\.[a-zA-Z]+)$")
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HISTORY_DAYS = 300
"""`--documents`: the generated documents are dated over the 300 days before today."""

CRM_ENDPOINTS: dict[str, Handler] = {
    "companies.list": crm.companies_list,
    "companies.info": crm.companies_info,
    "companies.add": crm.companies_add,
    "companies.update": crm.companies_update,
    "contacts.list": crm.contacts_list,
    "contacts.info": crm.contacts_info,
    "contacts.add": crm.contacts_add,
    "contacts.update": crm.contacts_update,
    "contacts.linkToCompany": crm.contacts_link_to_company,
}


class TeamleaderSandbox(SandboxServer):
    """A simulated Teamleader Focus account with one demo user and one integration (client id)."""

    name = "teamleader"

    def __init__(
        self,
        *,
        port: int = 0,
        seed: bool = True,
        rate_limit: int = 200,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        redirect_uris: tuple[str, ...] = (),
        auto_approve: bool = True,
        max_page_size: int = 100,
        clamp_page_size: bool = False,
        revoke_access_on_refresh: bool = True,
        credit_reduces_due: bool = True,
        webhook_timeout: float = 2.0,
        rate_orientation: Orientation = DEFAULT_ORIENTATION,
        speed: float = 1.0,
        documents: int = 0,
    ) -> None:
        super().__init__(port=port, speed=speed)
        # small answers go out as two writes (headers, body): without TCP_NODELAY each waits ~40 ms for
        # the client's delayed ACK. The handler class is this server's own, so this touches no other.
        self.httpd.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        self.store = Store(self.clock)
        self.store.paging = Paging(max_page_size, clamp_page_size)
        self.store.credit_reduces_due = credit_reduces_due
        self.store.market.set_orientation(rate_orientation)
        self.deliverer = webhooks.Deliverer(self.store, timeout=webhook_timeout)
        self.client_id, self.client_secret = client_id, client_secret
        self.oauth = OAuthServer(
            clients={client_id: Client(client_id, client_secret, redirect_uris)},
            user_id=self.store.user.id,
            auto_approve=auto_approve,
            revoke_access_on_refresh=revoke_access_on_refresh,
            speed=self.clock.speed,
        )
        self.limiter = SlidingWindow(rate_limit)
        self.endpoints: dict[str, Handler] = {
            **reference.ENDPOINTS,
            **CRM_ENDPOINTS,
            **invoice_api.ENDPOINTS,
            **webhooks.ENDPOINTS,
            "invoices.download": lambda store, body: files.download(store, body, "invoice", self.url),
            "creditNotes.download": lambda store, body: files.download(store, body, "credit_note", self.url),
        }
        if seed:
            seed_demo(self.store)
        if documents:
            self.generate_history(documents)
        self.store.emit = self.deliverer.emit  # after seeding: demo data fires no webhooks

    # -- the Sandbox protocol ---------------------------------------------------------------------

    @property
    def environment(self) -> Mapping[str, str]:
        return {
            "TEAMLEADER_API_URL": self.url,
            "TEAMLEADER_AUTH_URL": self.url,
            "TEAMLEADER_CLIENT_ID": self.client_id,
            "TEAMLEADER_CLIENT_SECRET": self.client_secret,
        }

    @property
    def credentials(self) -> Mapping[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "login": self.store.user.email,
            "account_id": self.store.user.account_id,
            "authorize_url": f"{self.url}/oauth2/authorize",
            "token_url": f"{self.url}/oauth2/access_token",
        }

    def refresh_token(self) -> str:
        return self.issue_refresh_token()

    def start(self) -> TeamleaderSandbox:
        """As the base class, but polling for shutdown every 10 ms (not 0.5 s) so tests stop it fast."""
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        super().stop()
        self.deliverer.stop()

    # -- HTTP -------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        now = self.clock.now()
        if request.path == "/oauth2/authorize" and request.method == "GET":
            return self.oauth.authorize(request, now)
        if request.path == "/oauth2/access_token" and request.method == "POST":
            return self.oauth.token(request, now)
        if request.path.startswith("/files/") and request.method == "GET":  # the file host: no token
            with self.lock:
                return files.serve(self.store, request.path[len("/files/") :])
        version = request.header("X-Api-Version") or ""
        headers = {"X-Api-Version": version if VERSION.match(version) else API_VERSION}
        try:
            token = self.oauth.authenticate(request.header("Authorization"), now)
        except ApiError as error:
            return error.response(headers)
        verdict = self.limiter.hit((token.client_id, self.account_of(token.user_id)), now)
        headers.update(verdict.headers(self.clock.wall_of))
        if not verdict.allowed:
            return ApiError(
                429, "Too Many Requests", meta={"retry_after": headers["X-RateLimit-Reset"]}
            ).response(headers)
        try:
            response = self._call(request)
        except ApiError as error:
            response = error.response()
        response.headers.update(headers)
        return response

    def _call(self, request: Request) -> Response:
        match = ENDPOINT.match(request.path)
        handler = self.endpoints.get(match.group(1)) if match else None
        if handler is None:
            raise ApiError(404, f"Endpoint {request.path.lstrip('/')} does not exist")
        if request.method != "POST":
            raise ApiError(405, f"Use POST for {request.path.lstrip('/')}")
        try:
            body = json.loads(request.body) if request.body.strip() else {}
        except ValueError as error:
            raise ApiError(400, "The request body is not valid JSON") from error
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        return handler(self.store, body)

    def account_of(self, user_id: str) -> str:
        """The account a token's user belongs to (one account per simulator, shared by every user)."""
        return self.store.user.account_id

    def admin(self, request: Request) -> Response | None:
        return admin_route(self, request)

    # -- in-process conveniences (tests, demo, benchmark) -----------------------------------------

    @property
    def invoices(self) -> dict[str, Invoice]:
        return self.store.invoices

    @property
    def credit_notes(self) -> dict[str, CreditNote]:
        return self.store.credit_notes

    @property
    def companies(self) -> dict[str, crm.Company]:
        return self.store.companies

    @property
    def contacts(self) -> dict[str, crm.Contact]:
        return self.store.contacts

    def department_id(self, name: str = "Acme BV") -> str:
        return self.store.department_named(name).id

    def tax_rate_id(self, description: str, department: str = "Acme BV") -> str:
        return self.store.tax_rate_described(self.department_id(department), description).id

    def generate_history(self, documents: int, days: int = HISTORY_DAYS) -> dict[str, int]:
        """A backdated company (`connector sandbox --documents N`): `documents` booked invoices and
        credit notes with their customers, dated over the `days` days before today and stamped on
        those dates, so a first sync finds them all."""
        today = self.clock.now().date()
        with self.lock:
            return generate(
                self.store, documents, 15, start=today - timedelta(days=days), days=days - 1, backdate=True
            )

    def seed(self, spec: Mapping[str, Any] | None = None, *, demo: bool = False) -> dict[str, Any]:
        with self.lock:
            if demo:
                seed_demo(self.store)
            return seed(self.store, spec or {})

    def book_invoice(self, **spec: Any) -> Invoice:
        """Book an invoice from a compact spec (see `scenario`), e.g. lines=[{"price": 100, "tax": "21%"}]."""
        with self.lock:
            return book_invoice(self.store, spec)

    def update_booked(self, invoice_id: str, **body: Any) -> Invoice:
        """Change a booked invoice as `invoices.updateBooked` would (lines, term, date, invoicee, note)."""
        with self.lock:
            return update_booked(self.store, {**body, "id": invoice_id})

    def credit(self, invoice_id: str, on: date | str | None = None, lines: int | None = None) -> CreditNote:
        """Credit the invoice, or (`lines`) only its first `lines` lines."""
        with self.lock:
            when = date.fromisoformat(on) if isinstance(on, str) else on
            return credit_invoice(self.store, invoice_id, when, lines)

    def register_payment(
        self, invoice_id: str, amount: Decimal | str | float, paid_at: datetime | str | None = None
    ) -> Invoice:
        """Register a payment as `invoices.registerPayment` would (paid_at default: now)."""
        with self.lock:
            invoice = self.store.invoice(invoice_id)
            body = {
                "id": invoice_id,
                "payment": {"amount": str(amount), "currency": invoice.currency},
                "paid_at": paid_at if isinstance(paid_at, str) else iso(paid_at or self.clock.now()),
            }
            return register_payment(self.store, body)

    def mark_credit_note_paid(self, credit_note_id: str, paid_at: datetime | str | None = None) -> CreditNote:
        """Set a credit note `paid: true` with `paid_at` (default: now), as Teamleader shows once it is
        settled; there is no API call for it."""
        with self.lock:
            note = self._credit_note(credit_note_id)
            when = paid_at if isinstance(paid_at, datetime) else None
            if isinstance(paid_at, str):
                when = parse_datetime(paid_at, "paid_at")
            note.paid_at = when or second(self.clock.now())
            note.updated_at = self.store.now()
            return note

    def set_peppol_status(self, kind: str, ident: str, status: str | None) -> Document:
        """What the customer's access point reports on an invoice or credit note sent over Peppol."""
        if status is not None and status not in PEPPOL_STATUSES:
            raise ApiError(400, f"peppol status must be one of {', '.join(PEPPOL_STATUSES)}", field="status")
        with self.lock:
            doc: Document = self.store.invoice(ident) if kind == "invoice" else self._credit_note(ident)
            doc.peppol_status = status
            doc.updated_at = self.store.now()
            return doc

    def _credit_note(self, ident: str) -> CreditNote:
        found = self.store.credit_notes.get(ident)
        if found is None:
            raise ApiError(404, f"CreditNote {ident} not found")
        return found

    def generate(self, n: int, seed: int = 0, **options: Any) -> dict[str, int]:
        """Book `n` documents deterministically (a benchmark company); see `demo.generate`."""
        with self.lock:
            emit, self.store.emit = self.store.emit, lambda kind, subject, ident: None
            try:
                return generate(self.store, n, seed, **options)
            finally:
                self.store.emit = emit

    def issue_refresh_token(self) -> str:
        """A refresh token for the demo user, as if they had just authorized in a browser."""
        with self.lock:
            return self.oauth.issue(self.client_id, self.store.user.id, self.clock.now())[1]

    def issue_tokens(self, client_id: str | None = None) -> tuple[str, str]:
        """(access token, refresh token) for the demo user, of the demo integration or `client_id`'s."""
        with self.lock:
            return self.oauth.issue(client_id or self.client_id, self.store.user.id, self.clock.now())

    def add_integration(self, client_id: str, client_secret: str) -> None:
        """A second Marketplace integration on the same account (it gets its own rate window)."""
        with self.lock:
            self.oauth.clients[client_id] = Client(client_id, client_secret, ())

    def revoke_tokens(self) -> int:
        with self.lock:
            return self.oauth.revoke_all(self.client_id)

    def advance(self, seconds: float) -> datetime:
        return self.clock.advance(seconds)

    def flush_webhooks(self, timeout: float = 5.0) -> bool:
        return self.deliverer.flush(timeout)

    def invoice_info(self, invoice_id: str) -> dict[str, Any]:
        """What `invoices.info` would answer (without going over HTTP or counting against the limit)."""
        with self.lock:
            return invoice_json(self.store, self.store.invoice(invoice_id), info=True)

    def credit_note_info(self, credit_note_id: str) -> dict[str, Any]:
        with self.lock:
            return credit_note_json(self.store, self.store.credit_notes[credit_note_id], info=True)


def start_sandbox(*, seed: bool = True, port: int = 0, **options: Any) -> TeamleaderSandbox:
    """Start a Teamleader simulator on loopback (demo data unless `seed=False`)."""
    sandbox = TeamleaderSandbox(port=port, seed=seed, **options)
    sandbox.start()
    return sandbox
