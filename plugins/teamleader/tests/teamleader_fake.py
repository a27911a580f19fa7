"""A scripted Teamleader (httpx.MockTransport) for the source's unit tests: documents, customers,
paging, tokens and rate limits as the real API answers them, and builders of its JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta, timezone
from typing import Any

import httpx

from connector.contract.records import Document
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore
from connector.testing import FakeClock
from connector_teamleader.source import TeamleaderSource

API = "http://tl.test"
AUTH = "http://auth.tl.test"
DEPT, OTHER = "dept-acme", "dept-other"
R21, R6 = "rate-21", "rate-6"
CET = timezone(timedelta(hours=1))  # the +01:00 of Teamleader's examples


def money(amount: float, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def invoice(
    ident: str,
    *,
    day: str = "2026-02-10",
    status: str = "outstanding",
    dept: str = DEPT,
    customer: str = "co-1",
    currency: str = "EUR",
) -> dict[str, Any]:
    """A small invoices.info answer: one 21 % line of 100."""
    return {
        "id": ident,
        "department": {"type": "department", "id": dept},
        "invoice_number": f"2026 / {ident}",
        "invoice_date": day,
        "status": status,
        "due_on": "2026-03-12",
        "paid": status == "matched",
        "invoicee": {
            "name": "Pied Piper",
            "vat_number": "BE0899623035",
            "customer": {"type": "company", "id": customer},
        },
        "grouped_lines": [
            {
                "section": {"title": ""},
                "line_items": [
                    {
                        "quantity": 1,
                        "description": "Work",
                        "unit_price": {"amount": 100, "tax": "excluding"},
                        "tax": {"type": "taxRate", "id": R21},
                        "discount": None,
                        "total": {
                            "tax_exclusive": money(100, currency),
                            "tax_exclusive_before_discount": money(100, currency),
                            "tax_inclusive": money(121, currency),
                        },
                    }
                ],
            }
        ],
        "discounts": [],
        "total": {
            "tax_exclusive": money(100, currency),
            "tax_inclusive": money(121, currency),
            "payable": money(121, currency),
            "due": money(0 if status == "matched" else 121, currency),
            "taxes": [{"rate": 0.21, "taxable": money(100, currency), "tax": money(21, currency)}],
        },
        "payment_term": {"type": "after_invoice_date", "days": 30},
        "currency": currency,
        "currency_exchange_rate": {"from": currency, "to": "EUR", "rate": 1},
        "expected_payment_method": None,
        "updated_at": "2026-02-10T09:00:00+00:00",
    }


def company(ident: str, name: str = "Pied Piper") -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "vat_number": "BE0899623035",
        "emails": [
            {"type": "invoicing", "email": "bills@piedpiper.eu"},
            {"type": "primary", "email": "info@piedpiper.eu"},
        ],
        "telephones": [{"type": "fax", "number": "09 111"}, {"type": "phone", "number": "09 222"}],
        "primary_address": {
            "line_1": "Dok Noord 3A",
            "postal_code": "9000",
            "city": "Ghent",
            "country": "BE",
        },
        "language": "nl",
        "tags": ["vip"],
        "updated_at": "2026-01-05T10:00:00+00:00",
    }


class FakeTeamleader:
    """Just enough of Teamleader: rotating tokens, RPC reads with filters and paging, payments."""

    def __init__(self, store: MemoryTokenStore) -> None:
        self.store = store
        self.calls: list[tuple[str, Any]] = []
        self.invoices: dict[str, dict[str, Any]] = {}
        self.credit_notes: dict[str, dict[str, Any]] = {}
        self.companies: dict[str, dict[str, Any]] = {"co-1": company("co-1")}
        self.access = {"access-0"}
        self.refresh = {"refresh-0"}
        self.issued = 0
        self.paging_ignored = False
        self.filters_ignored = False
        self.before: Callable[[str, Any], httpx.Response | None] = lambda path, body: None
        self.seen_store_refresh: list[str | None] = []
        self.payments: list[dict[str, Any]] = []
        self.added_rates: list[dict[str, Any]] = []  # taxRates.list answers these after R21 and R6
        self.usd_per_eur: float | None = 1.1  # currencies.exchangeRates, base EUR; None: refused

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, path: str) -> int:
        return sum(1 for seen, _ in self.calls if seen == path)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.lstrip("/")
        if path == "oauth2/access_token":
            form = dict(httpx.QueryParams(request.content.decode()))
            self.calls.append((path, form))
            return self.token(form)
        body = json.loads(request.content or b"{}")
        self.calls.append((path, body))
        assert request.headers["X-Api-Version"] == "2023-09-26"
        scripted = self.before(path, body)
        if scripted is not None:
            return scripted
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.access:
            return error(401, "Access token could not be verified")
        stored = self.store.tokens
        self.seen_store_refresh.append(stored.refresh_token if stored else None)
        return self.api(path, body)

    def token(self, form: dict[str, str]) -> httpx.Response:
        if form.get("client_secret") != "secret":
            return error(401, "Client authentication failed")
        if form["grant_type"] == "refresh_token":
            if form["refresh_token"] not in self.refresh:
                return httpx.Response(
                    400,
                    json={
                        "errors": [
                            {
                                "code": 8,
                                "title": "The refresh token is invalid.",
                                "status": 400,
                                "meta": {"type": "invalid_request", "hint": "Token has been revoked"},
                            }
                        ]
                    },
                )
            self.refresh.discard(form["refresh_token"])
        elif form.get("code") != "good-code":
            return error(400, "Authorization code has expired")
        self.issued += 1
        self.access = {f"access-{self.issued}"}
        self.refresh.add(f"refresh-{self.issued}")
        return httpx.Response(
            200,
            json={
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": f"access-{self.issued}",
                "refresh_token": f"refresh-{self.issued}",
            },
        )

    def api(self, path: str, body: dict[str, Any]) -> httpx.Response:
        flt = body.get("filter") or {}
        if path == "departments.list":
            return ok(
                [
                    {"id": DEPT, "name": "Acme BV", "currency": "EUR"},
                    {"id": OTHER, "name": "Acme Services", "currency": "EUR"},
                ]
            )
        if path == "currencies.exchangeRates":
            if self.usd_per_eur is None or body.get("base") != "EUR":
                return error(403, "Forbidden")
            return ok(
                [{"code": "USD", "symbol": "$", "name": "US Dollar", "exchange_rate": self.usd_per_eur}]
            )
        if path == "users.me":
            return ok({"id": "u1", "first_name": "Dana", "last_name": "Scully", "email": "dana@acme.test"})
        if path == "taxRates.list":
            rates: list[dict[str, Any]] = [
                {
                    "id": R21,
                    "description": "21%",
                    "rate": 0.21,
                    "department": {"type": "department", "id": DEPT},
                },
                {
                    "id": R6,
                    "description": "6%",
                    "rate": 0.06,
                    "department": {"type": "department", "id": DEPT},
                },
                *self.added_rates,
            ]
            return ok(
                self.page(body, [rate for rate in rates if rate["department"]["id"] == flt["department_id"]])
            )
        if path in ("invoices.list", "creditNotes.list"):
            documents = self.invoices if path == "invoices.list" else self.credit_notes
            found = [doc for doc in documents.values() if self.filters_ignored or matches(doc, flt)]
            return ok(
                self.page(body, [{k: v for k, v in doc.items() if k != "grouped_lines"} for doc in found])
            )
        if path in ("invoices.info", "creditNotes.info"):
            documents = self.invoices if path == "invoices.info" else self.credit_notes
            if body["id"] not in documents:
                return error(404, f"Invoice {body['id']} not found")
            return ok(documents[body["id"]])
        if path == "companies.list":
            found = [item for item in self.companies.values() if item["id"] in flt.get("ids", [item["id"]])]
            return ok(self.page(body, found))
        if path == "invoices.registerPayment":
            if body["payment"]["amount"] <= 0:
                return error(400, "payment.amount must be positive")
            self.payments.append(body)
            return httpx.Response(204)
        return error(404, f"no endpoint {path}")

    def page(self, body: dict[str, Any], items: list[Any]) -> list[Any]:
        size, number = body.get("page", {}).get("size", 20), body.get("page", {}).get("number", 1)
        assert size <= 100, "Teamleader's page size is at most 100"
        assert number <= 20, "the client keeps paging: it would never stop"
        return items[:size] if self.paging_ignored else items[(number - 1) * size : number * size]


def matches(doc: dict[str, Any], flt: dict[str, Any]) -> bool:
    date_field = "invoice_date" if "invoice_number" in doc else "credit_note_date"
    return (
        ("ids" not in flt or doc["id"] in flt["ids"])
        and ("department_id" not in flt or doc["department"]["id"] == flt["department_id"])
        and ("status" not in flt or doc["status"] in flt["status"])
        and (f"{date_field}_after" not in flt or doc[date_field] >= flt[f"{date_field}_after"])
        and ("updated_since" not in flt or doc["updated_at"] >= flt["updated_since"])
    )


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data})


def error(status: int, title: str) -> httpx.Response:
    return httpx.Response(status, json={"errors": [{"title": title, "status": status}]})


def make_source(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock, **options: str
) -> TeamleaderSource:
    context = ServiceContext(
        "acme", "source", tokens=store, transport=fake.transport(), clock=clock.now, sleep=clock.sleep
    )
    settings = {
        "plugin": "teamleader",
        "department": "Acme BV",
        "client_id": "cid",
        "client_secret": "secret",
        "api_url": API,
        "auth_url": AUTH,
        **options,
    }
    return TeamleaderSource(settings, context)


def all_documents(source: TeamleaderSource, **kwargs: Any) -> list[Document]:
    arguments: dict[str, Any] = {
        "kinds": ["invoice", "credit_note"],
        "start_date": date(2026, 1, 1),
        "updated_since": None,
        **kwargs,
    }
    return list(source.documents(**arguments))
