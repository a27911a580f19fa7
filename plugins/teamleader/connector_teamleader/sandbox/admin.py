"""Teamleader-specific admin routes under /_sandbox/ (the base class serves calls, clock and faults).

POST /_sandbox/seed              {"reset"?, "demo"?, departments, tax_rates, payment_terms,
                                  companies, contacts, invoices (compact specs), webhooks}
GET  /_sandbox/state             everything, as the API's info shapes; /_sandbox/state/<collection>
POST /_sandbox/invoices          book one invoice from a compact spec -> {id, invoice_number, ...}
GET  /_sandbox/invoices/<id>     its invoices.info shape
POST /_sandbox/invoices/<id>/payments  {"amount", "paid_at"?}
POST /_sandbox/invoices/<id>/credit    {"date"?}
POST /_sandbox/invoices/<id>/peppol    {"status"}: one of the documented peppol_status values, or null
POST /_sandbox/credit_notes/<id>/paid  {"paid_at"?}: paid true (credit notes have no payment call)
POST /_sandbox/credit_notes/<id>/peppol {"status"}
POST /_sandbox/generate          {"n", "seed"?, "start"?, "days"?, "department"?}
POST /_sandbox/refresh-token     -> {"refresh_token", "access_token"} for the demo user
POST /_sandbox/tokens/expire     moves the clock past the access-token lifetime (3601 s)
POST /_sandbox/tokens/revoke     revokes every token (as uninstalling the integration does)
GET  /_sandbox/webhooks          registrations and delivery attempts; POST .../flush waits for them
GET|POST /_sandbox/settings      rate_limit, auto_approve, max_page_size, clamp_page_size,
                                 rate_orientation, exchange_rates ({"USD": 1.087}: 1 EUR = ...), ...
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from connector.testing.sandbox import Request, Response

from .common import ApiError
from .crm import company_json, contact_json
from .documents import credit_note_json, invoice_json
from .oauth import OAuthServer
from .ratelimit import SlidingWindow
from .reference import department_json, tax_rate_json
from .scenario import invoice_summary
from .store import Store
from .webhooks import Deliverer


class Served(Protocol):
    """What the admin routes use of the running sandbox (`server.TeamleaderSandbox`)."""

    deliverer: Deliverer
    limiter: SlidingWindow
    oauth: OAuthServer
    store: Store

    def advance(self, *args: Any, **kwargs: Any) -> Any: ...
    def book_invoice(self, *args: Any, **kwargs: Any) -> Any: ...
    def credit(self, *args: Any, **kwargs: Any) -> Any: ...
    def flush_webhooks(self, *args: Any, **kwargs: Any) -> Any: ...
    def generate(self, *args: Any, **kwargs: Any) -> Any: ...
    def invoice_info(self, *args: Any, **kwargs: Any) -> Any: ...
    def issue_tokens(self, *args: Any, **kwargs: Any) -> Any: ...
    def mark_credit_note_paid(self, *args: Any, **kwargs: Any) -> Any: ...
    def register_payment(self, *args: Any, **kwargs: Any) -> Any: ...
    def revoke_tokens(self, *args: Any, **kwargs: Any) -> Any: ...
    def seed(self, *args: Any, **kwargs: Any) -> Any: ...
    def set_peppol_status(self, *args: Any, **kwargs: Any) -> Any: ...


COLLECTIONS = (
    "departments",
    "tax_rates",
    "payment_terms",
    "companies",
    "contacts",
    "invoices",
    "credit_notes",
)


def state(server: Served, collection: str | None = None) -> Any:
    store = server.store
    views = {
        "departments": lambda: [department_json(item, info=True) for item in store.departments.values()],
        "tax_rates": lambda: [tax_rate_json(item) for item in store.tax_rates.values()],
        "payment_terms": lambda: [
            {
                "id": term.id,
                "type": term.type,
                "days": term.days,
                "default": term.id == store.default_payment_term_id,
            }
            for term in store.payment_terms
        ],
        "companies": lambda: [company_json(item, info=True) for item in store.companies.values()],
        "contacts": lambda: [contact_json(item, info=True) for item in store.contacts.values()],
        "invoices": lambda: [invoice_json(store, item, info=True) for item in store.invoices.values()],
        "credit_notes": lambda: [
            credit_note_json(store, item, info=True) for item in store.credit_notes.values()
        ],
    }
    if collection is not None:
        return views[collection]()
    return {name: view() for name, view in views.items()}


def _settings(server: Served) -> dict[str, Any]:
    return {
        "rate_limit": server.limiter.limit,
        "auto_approve": server.oauth.auto_approve,
        "revoke_access_on_refresh": server.oauth.revoke_access_on_refresh,
        "max_page_size": server.store.paging.max_size,
        "clamp_page_size": server.store.paging.clamp,
        "credit_reduces_due": server.store.credit_reduces_due,
        "edit_booked": server.store.edit_booked,
        "rate_orientation": server.store.market.orientation,
        "exchange_rates": {code: float(rate) for code, rate in server.store.market.eur.items()},
    }


def admin_route(server: Served, request: Request) -> Response | None:
    route = request.path.strip("/").split("/")[1:]
    try:
        body = request.json() if request.body.strip() else {}
        return _route(server, request.method, route, body or {})
    except ApiError as error:
        return error.response()
    except (KeyError, ValueError, TypeError) as error:
        return ApiError(400, f"bad sandbox admin request: {error}").response()


def _route(server: Served, method: str, route: list[str], body: dict[str, Any]) -> Response | None:
    store = server.store
    match method, route:
        case "POST", ["seed"]:
            return Response.json(server.seed(body, demo=bool(body.get("demo"))), 201)
        case "GET", ["state"]:
            return Response.json(state(server))
        case "GET", ["state", collection] if collection in COLLECTIONS:
            return Response.json(state(server, collection))
        case "POST", ["invoices"]:
            return Response.json(invoice_summary(server.book_invoice(**body)), 201)
        case "GET", ["invoices", ident]:
            return Response.json(server.invoice_info(ident))
        case "POST", ["invoices", ident, "payments"]:
            invoice = server.register_payment(ident, body["amount"], body.get("paid_at"))
            return Response.json(invoice_summary(invoice), 201)
        case "POST", ["invoices", ident, "credit"]:
            note = server.credit(ident, body.get("date"), body.get("lines"))
            return Response.json({"id": note.id, "credit_note_number": note.credit_note_number}, 201)
        case "POST", ["invoices" | "credit_notes" as collection, ident, "peppol"]:
            kind = "invoice" if collection == "invoices" else "credit_note"
            doc = server.set_peppol_status(kind, ident, body.get("status"))
            return Response.json({"id": doc.id, "peppol_status": doc.peppol_status})
        case "POST", ["credit_notes", ident, "paid"]:
            note = server.mark_credit_note_paid(ident, body.get("paid_at"))
            return Response.json(credit_note_json(store, note, info=True))
        case "POST", ["generate"]:
            options: dict[str, Any] = {key: body[key] for key in ("department", "days") if key in body}
            if "start" in body:
                options["start"] = date.fromisoformat(body["start"])
            return Response.json(server.generate(int(body["n"]), int(body.get("seed", 0)), **options), 201)
        case "POST", ["refresh-token"]:
            access, refresh = server.issue_tokens()
            lifetime = int(3600 / server.oauth.speed)  # wall seconds, as the token endpoint says
            return Response.json(
                {"refresh_token": refresh, "access_token": access, "expires_in": lifetime}, 201
            )
        case "POST", ["tokens", "expire"]:
            return Response.json({"now": server.advance(3601).isoformat()})
        case "POST", ["tokens", "revoke"]:
            return Response.json({"revoked": server.revoke_tokens()})
        case "GET", ["webhooks"]:
            registered = [
                {"url": url, "types": sorted(types)} for url, types in sorted(store.webhooks.items())
            ]
            deliveries = [item.json() for item in server.deliverer.history()]
            return Response.json({"registered": registered, "deliveries": deliveries})
        case "POST", ["webhooks", "flush"]:
            return Response.json({"flushed": server.flush_webhooks()})
        case "GET", ["settings"]:
            return Response.json(_settings(server))
        case "POST", ["settings"]:
            _apply_settings(server, body)
            return Response.json(_settings(server))
    return None


def _apply_settings(server: Served, body: dict[str, Any]) -> None:
    if "rate_limit" in body:
        server.limiter.limit = int(body["rate_limit"])
    if "auto_approve" in body:
        server.oauth.auto_approve = bool(body["auto_approve"])
    if "revoke_access_on_refresh" in body:
        server.oauth.revoke_access_on_refresh = bool(body["revoke_access_on_refresh"])
    if "max_page_size" in body:
        server.store.paging.max_size = int(body["max_page_size"])
    if "clamp_page_size" in body:
        server.store.paging.clamp = bool(body["clamp_page_size"])
    if "credit_reduces_due" in body:
        server.store.credit_reduces_due = bool(body["credit_reduces_due"])
    if "edit_booked" in body:
        server.store.edit_booked = bool(body["edit_booked"])
    if "rate_orientation" in body:
        server.store.market.set_orientation(body["rate_orientation"])
    if "exchange_rates" in body:
        server.store.market.set_eur_rates(body["exchange_rates"])
