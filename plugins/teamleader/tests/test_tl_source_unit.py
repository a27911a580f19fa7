"""The Teamleader source against a scripted Teamleader (httpx.MockTransport): documents, paging,
tokens, rate limits and error bodies, each as a user of the connector would notice them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from connector.contract.errors import ApiError, AuthorizationNeeded, ConfigurationError
from connector.contract.records import Document
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore, Tokens
from connector.testing import FakeClock
from connector_teamleader.source import TeamleaderSource

API = "http://tl.test"
AUTH = "http://auth.tl.test"
DEPT, OTHER = "dept-acme", "dept-other"
R21, R6 = "rate-21", "rate-6"


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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def store(clock: FakeClock) -> MemoryTokenStore:
    return MemoryTokenStore(Tokens("access-0", "refresh-0", clock.now() + timedelta(hours=1), clock.now()))


@pytest.fixture
def fake(store: MemoryTokenStore) -> FakeTeamleader:
    return FakeTeamleader(store)


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


@pytest.fixture
def source(fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock) -> TeamleaderSource:
    return make_source(fake, store, clock)


def all_documents(source: TeamleaderSource, **kwargs: Any) -> list[Document]:
    arguments: dict[str, Any] = {
        "kinds": ["invoice", "credit_note"],
        "start_date": date(2026, 1, 1),
        "updated_since": None,
        **kwargs,
    }
    return list(source.documents(**arguments))


# -- translation ------------------------------------------------------------------------------------


def mixed_invoice() -> dict[str, Any]:
    """USD, 21 % and 6 % lines, a 10 % line discount and a 5 % commercial discount, 500 already paid."""
    data = invoice("mixed", currency="USD")
    data["grouped_lines"] = [
        {
            "section": {"title": "Services"},
            "line_items": [
                {
                    "quantity": 10,
                    "description": "Consultancy",
                    "unit_price": {"amount": 100.0, "tax": "excluding"},
                    "tax": {"type": "taxRate", "id": R21},
                    "discount": None,
                    "total": {
                        "tax_exclusive": money(1000.0, "USD"),
                        "tax_exclusive_before_discount": money(1000.0, "USD"),
                    },
                },
                {
                    "quantity": 3,
                    "description": "Book",
                    "unit_price": {"amount": 16.65, "tax": "excluding"},
                    "tax": {"type": "taxRate", "id": R6},
                    "discount": {"type": "percentage", "value": 10},
                    "total": {
                        "tax_exclusive": money(44.96, "USD"),
                        "tax_exclusive_before_discount": money(49.95, "USD"),
                    },
                },
            ],
        }
    ]
    data["discounts"] = [{"type": "percentage", "value": 5, "description": "loyalty"}]
    data["total"] = {
        "tax_exclusive": money(992.21, "USD"),
        "tax_exclusive_before_discount": money(1049.95, "USD"),
        "tax_inclusive": money(1191.27, "USD"),
        "payable": money(1191.27, "USD"),
        "due": money(691.27, "USD"),
        "taxes": [
            {"rate": 0.21, "taxable": money(950.0, "USD"), "tax": money(199.5, "USD")},
            {"rate": 0.06, "taxable": money(42.21, "USD"), "tax": money(2.53, "USD")},
        ],
    }
    data["currency_exchange_rate"] = {"from": "USD", "to": "EUR", "rate": 0.9123}
    data["payment_term"] = {"type": "end_of_month", "days": 30}
    data["expected_payment_method"] = {"method": "sepa_direct_debit", "reference": "MANDATE-1"}
    data["purchase_order_number"] = "PO-7"
    return data


def test_a_mixed_rate_usd_invoice_with_discounts_is_translated_to_the_cent(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["mixed"] = mixed_invoice()
    [document] = all_documents(source)
    consultancy, book = document.lines
    assert (consultancy.tax_rate.description, consultancy.tax_rate.rate) == ("21%", Decimal("0.21"))
    assert (consultancy.quantity, consultancy.unit_price, consultancy.amount) == (
        10,
        Decimal("100.0"),
        Decimal("1000.00"),
    )
    assert consultancy.discount is None
    assert (book.tax_rate.description, book.unit_price) == ("6%", Decimal("16.65"))
    assert (book.amount_before_discount, book.amount) == (Decimal("49.95"), Decimal("44.96"))
    assert book.discount is not None and book.discount.percentage == Decimal("10")
    assert [(d.percentage, d.description) for d in document.discounts] == [(Decimal("5"), "loyalty")]
    totals = document.totals
    assert [(t.rate, t.taxable, t.tax) for t in totals.taxes] == [
        (Decimal("0.21"), Decimal("950.00"), Decimal("199.50")),
        (Decimal("0.06"), Decimal("42.21"), Decimal("2.53")),
    ]
    assert (totals.tax_exclusive, totals.tax_inclusive) == (Decimal("992.21"), Decimal("1191.27"))
    assert (totals.tax_exclusive_before_discount, totals.payable, totals.due) == (
        Decimal("1049.95"),
        Decimal("1191.27"),
        Decimal("691.27"),
    )
    assert (document.currency, document.exchange_rate) == ("USD", Decimal("0.9123"))
    assert document.failure is None, "0.9123 EUR per USD is within 5% of today's 1 EUR = 1.1 USD"
    assert document.payment_term is not None and document.payment_term.key == "end_of_month 30"
    assert document.expected_payment_method == "sepa_direct_debit"
    assert (document.number, document.date, document.due_date) == (
        "2026 / mixed",
        date(2026, 2, 10),
        date(2026, 3, 12),
    )
    assert (document.status, document.paid, document.reference) == ("outstanding", False, "PO-7")
    assert document.updated_at == datetime(2026, 2, 10, 9, tzinfo=UTC)


def test_the_customer_comes_from_the_company_with_its_primary_email_and_phone(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1")
    [document] = all_documents(source)
    customer = document.customer
    assert (customer.kind, customer.name, customer.vat_number) == ("company", "Pied Piper", "BE0899623035")
    assert (customer.email, customer.phone, customer.language) == ("info@piedpiper.eu", "09 222", "nl")
    assert (customer.address.city, customer.address.country, customer.tags) == ("Ghent", "BE", ("vip",))


def test_a_credit_note_names_the_invoice_it_credits(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    note = invoice("cn1")
    for name in ("invoice_number", "invoice_date", "due_on", "payment_term"):
        note.pop(name)
    note.update(
        credit_note_number="2026 / 1",
        credit_note_date="2026-02-11",
        status="booked",
        invoice={"type": "invoice", "id": "1"},
    )
    fake.credit_notes["cn1"] = note
    [document] = all_documents(source)
    assert (document.kind, document.number, document.date) == ("credit_note", "2026 / 1", date(2026, 2, 11))
    assert (document.invoice_id, document.key) == ("1", "credit_note:cn1")


# -- what is synced ---------------------------------------------------------------------------------


def test_only_booked_documents_of_the_department_from_the_start_date_appear(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices.update(
        {
            "booked": invoice("booked"),
            "paid": invoice("paid", status="matched"),
            "draft": invoice("draft", status="draft"),
            "other": invoice("other", dept=OTHER),
            "old": invoice("old", day="2025-12-31"),
        }
    )
    assert sorted(d.id for d in all_documents(source)) == ["booked", "paid"]


def test_documents_still_filtered_when_the_service_ignores_the_filter(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    """A list that answers unfiltered must not leak drafts, other departments or old documents."""
    fake.filters_ignored = True
    fake.invoices.update(
        {
            "booked": invoice("booked"),
            "draft": invoice("draft", status="draft"),
            "other": invoice("other", dept=OTHER),
            "old": invoice("old", day="2025-06-01"),
        }
    )
    assert [d.id for d in all_documents(source)] == ["booked"]


def test_updated_since_is_sent_in_utc_to_the_second(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices.update({"old": invoice("old"), "new": invoice("new")})
    fake.invoices["new"]["updated_at"] = "2026-02-20T08:00:00+00:00"
    since = datetime(2026, 2, 20, 9, 30, 15, 123456, tzinfo=UTC).astimezone(UTC) - timedelta(hours=2)
    found = all_documents(source, kinds=["invoice"], updated_since=since.astimezone(_cet()))
    assert [d.id for d in found] == ["new"]
    [(_, body)] = [call for call in fake.calls if call[0] == "invoices.list"]
    assert body["filter"]["updated_since"] == "2026-02-20T07:30:15+00:00"


def _cet() -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=1))


def test_paging_stops_at_the_first_short_page(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices.update({f"{n:03}": invoice(f"{n:03}") for n in range(250)})
    assert len(all_documents(source, kinds=["invoice"])) == 250
    assert fake.count("invoices.list") == 3


def test_a_list_that_ignores_paging_is_read_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.paging_ignored = True
    fake.invoices.update({f"{n:03}": invoice(f"{n:03}") for n in range(100)})
    assert len(all_documents(source, kinds=["invoice"])) == 100
    assert fake.count("invoices.list") == 2


def test_customers_and_tax_rates_cost_few_calls(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    """150 documents of 150 companies: 2 company calls (ids filter, 100 each), 1 tax-rate call."""
    for n in range(150):
        fake.companies[f"co-{n}"] = company(f"co-{n}", f"Customer {n}")
        fake.invoices[f"{n:03}"] = invoice(f"{n:03}", customer=f"co-{n}")
    documents = all_documents(source, kinds=["invoice"])
    assert {d.customer.name for d in documents} == {f"Customer {n}" for n in range(150)}
    all_documents(source, kinds=["invoice"])
    assert fake.count("companies.list") == 2
    assert fake.count("taxRates.list") == 1
    assert fake.count("invoices.info") == 300
    assert source.calls_used == len(fake.calls)


def test_a_vanished_customer_falls_back_to_the_invoicee_on_the_document(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1", customer="gone")
    [document] = all_documents(source)
    assert (document.customer.id, document.customer.name, document.customer.vat_number) == (
        "gone",
        "Pied Piper",
        "BE0899623035",
    )


def test_documents_by_key_skips_those_that_no_longer_exist(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices.update({"1": invoice("1"), "2": invoice("2")})
    found = list(source.documents_by_key(["invoice:2", "invoice:deleted", "credit_note:nope", "junk"]))
    assert [d.key for d in found] == ["invoice:2"]


def test_an_unknown_department_lists_the_ones_there_are(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, department="Acme NV")
    with pytest.raises(ConfigurationError) as raised:
        source.tax_rates()
    assert "'Acme BV'" in str(raised.value) and "'Acme Services'" in str(raised.value)


def test_the_department_may_be_given_by_id(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, department=DEPT)
    assert sorted(rate.description for rate in source.tax_rates()) == ["21%", "6%"]


# -- payments ---------------------------------------------------------------------------------------


def test_mark_paid_registers_what_is_still_due_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.invoices["mixed"] = mixed_invoice()
    payment = source.mark_paid("mixed", date(2026, 2, 27))
    assert payment is not None and payment.amount == Decimal("691.27")
    assert fake.payments == [
        {
            "id": "mixed",
            "payment": {"amount": 691.27, "currency": "USD"},
            "paid_at": "2026-02-27T00:00:00+00:00",
        }
    ]
    fake.invoices["mixed"].update(
        paid=True, status="matched", total={**mixed_invoice()["total"], "due": money(0, "USD")}
    )
    assert source.mark_paid("mixed", date(2026, 2, 28)) is None
    assert len(fake.payments) == 1


def test_an_error_body_becomes_an_api_error_with_its_title(
    fake: FakeTeamleader, source: TeamleaderSource
) -> None:
    fake.invoices["1"] = invoice("1")
    fake.invoices["1"]["total"]["due"] = money(-5)  # nothing due: nothing sent
    assert source.mark_paid("1", date(2026, 2, 27)) is None
    fake.before = lambda path, body: (
        error(400, "payment.currency must be the invoice currency EUR")
        if (path == "invoices.registerPayment")
        else None
    )
    fake.invoices["1"]["total"]["due"] = money(121)
    with pytest.raises(ApiError) as raised:
        source.mark_paid("1", date(2026, 2, 27))
    assert raised.value.status == 400
    assert "payment.currency must be the invoice currency EUR" in str(raised.value)


# -- tokens -----------------------------------------------------------------------------------------


def test_an_expiring_token_is_refreshed_and_the_new_pair_saved_before_use(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource, clock: FakeClock
) -> None:
    clock.moment += timedelta(minutes=56)  # 4 minutes left: inside the margin
    assert source.check_authorization() == "Dana Scully <dana@acme.test>"
    assert fake.count("oauth2/access_token") == 1
    assert fake.seen_store_refresh == ["refresh-1"]  # stored when users.me arrived with access-1
    assert store.tokens is not None and store.tokens.expires_at == clock.now() + timedelta(hours=1)


def test_a_refused_access_token_is_refreshed_once(fake: FakeTeamleader, source: TeamleaderSource) -> None:
    fake.access = {"someone-else"}
    assert source.check_authorization().startswith("Dana Scully")
    assert [path for path, _ in fake.calls] == ["users.me", "oauth2/access_token", "users.me"]


def test_a_revoked_refresh_token_asks_for_connector_auth(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    fake.refresh.clear()
    clock.moment += timedelta(hours=2)
    with pytest.raises(AuthorizationNeeded) as raised:
        source.check_authorization()
    assert "Token has been revoked" in str(raised.value)
    assert "connector auth RULES source" in str(raised.value)


def test_authorize_with_a_code_stores_the_pair(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource
) -> None:
    url = source.authorization_url("http://127.0.0.1:8765/callback", "xyz")
    assert url.startswith(f"{AUTH}/oauth2/authorize?client_id=cid&response_type=code&redirect_uri=http")
    assert url.endswith("&state=xyz")
    source.authorize(code="good-code", redirect_uri="http://127.0.0.1:8765/callback")
    assert store.tokens is not None and store.tokens.refresh_token == "refresh-1"
    with pytest.raises(AuthorizationNeeded, match="Authorization code has expired"):
        source.authorize(code="stale-code", redirect_uri="http://127.0.0.1:8765/callback")


def test_authorize_with_a_refresh_token_exchanges_it_at_once(
    fake: FakeTeamleader, store: MemoryTokenStore, source: TeamleaderSource
) -> None:
    source.authorize(refresh_token="refresh-0")
    assert store.tokens is not None and store.tokens.refresh_token == "refresh-1"
    with pytest.raises(AuthorizationNeeded):
        source.authorize(refresh_token="refresh-0")  # single use


def test_a_wrong_client_secret_is_a_configuration_error(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    source = make_source(fake, store, clock, client_secret="wrong")
    with pytest.raises(ConfigurationError, match="client_secret"):
        source.authorize(refresh_token="refresh-0")


# -- rate limits ------------------------------------------------------------------------------------


def test_a_429_waits_until_the_announced_iso_reset(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    reset = (clock.now() + timedelta(seconds=7)).astimezone(_cet())
    refused: list[str] = []

    def limited(path: str, body: Any) -> httpx.Response | None:
        if path == "users.me" and not refused:
            refused.append(path)
            headers = {
                "X-RateLimit-Limit": "200",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.000%z"),
            }
            return httpx.Response(429, headers=headers, json={"errors": [{"title": "Too Many Requests"}]})
        return None

    fake.before = limited
    assert source.check_authorization().startswith("Dana Scully")
    assert 7 <= sum(clock.slept) < 8
    assert fake.count("users.me") == 2


def test_an_exhausted_minute_budget_waits_before_calling(
    fake: FakeTeamleader, source: TeamleaderSource, clock: FakeClock
) -> None:
    """Remaining 0 in a response's headers: the next call waits for the reset instead of earning a 429."""
    reset = clock.now() + timedelta(seconds=20)
    original = fake.api

    def api(path: str, body: dict[str, Any]) -> httpx.Response:
        response = original(path, body)
        response.headers.update(
            {"X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset.isoformat()}
        )
        return response

    fake.api = api  # type: ignore[method-assign]
    source.check_authorization()
    assert clock.slept == []
    source.check_authorization()
    assert 20 <= sum(clock.slept) < 21


# -- exchange rates: which way they run, decided per document (connector_teamleader.exchange) -------


def usd(ident: str, rate: float) -> dict[str, Any]:
    data = invoice(ident, currency="USD")
    data["currency"] = "USD"
    data["currency_exchange_rate"] = {"from": "USD", "to": "EUR", "rate": rate}
    return data


def by_id(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock, **options: str
) -> dict[str, Document]:
    source = make_source(fake, store, clock, **options)
    return {document.id: document for document in all_documents(source)}


def test_detect_keeps_a_home_per_foreign_rate_and_inverts_a_foreign_per_home_one(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    """Today 1 EUR = 1.1 USD: 0.92 reads as EUR per USD, 1.08 as USD per EUR; one reference call."""
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 1.08), "c": invoice("c")}
    found = by_id(fake, store, clock)
    assert found["a"].failure is None and found["a"].exchange_rate == Decimal("0.92")
    assert found["b"].failure is None and found["b"].exchange_rate == Decimal("0.9259259259")
    assert found["c"].failure is None and found["c"].currency == "EUR"
    assert fake.count("currencies.exchangeRates") == 1
    assert [body for path, body in fake.calls if path == "currencies.exchangeRates"] == [{"base": "EUR"}]


def test_a_rate_that_fits_neither_orientation_is_not_booked_and_says_both_numbers_and_the_fix(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 1.5)}
    [document] = by_id(fake, store, clock).values()
    assert document.failure is not None
    message = document.failure.message
    assert "1.5" in message and "1 USD = 0.909091 EUR" in message and "1 EUR = 1.1 USD" in message
    assert "source.exchange_rate: home_per_foreign" in (document.failure.hint or "")


def test_a_rate_near_1_that_fits_both_orientations_is_not_booked(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.usd_per_eur = 1.02
    fake.invoices = {"a": usd("a", 1.0)}
    [document] = by_id(fake, store, clock).values()
    assert document.failure is not None and "fits both orientations" in document.failure.message


def test_without_a_reference_a_foreign_document_is_not_booked_but_a_euro_one_is(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.usd_per_eur = None
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 0.93), "c": invoice("c")}
    found = by_id(fake, store, clock)
    assert found["a"].failure is not None and "could not be read" in found["a"].failure.message
    assert found["b"].failure is not None and found["c"].failure is None
    assert fake.count("currencies.exchangeRates") == 1, "read once per run, also when it fails"


def test_a_pinned_orientation_reads_no_reference(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 1.25)}
    [pinned] = by_id(fake, store, clock, exchange_rate="foreign_per_home").values()
    assert pinned.failure is None and pinned.exchange_rate == Decimal("0.8")
    [kept] = by_id(fake, store, clock, exchange_rate="home_per_foreign").values()
    assert kept.failure is None and kept.exchange_rate == Decimal("1.25")
    assert fake.count("currencies.exchangeRates") == 0


def test_check_reports_the_orientation_recent_invoices_show(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 0.9), "c": invoice("c")}
    notes = make_source(fake, store, clock).check_settings()
    assert [(note.severity, note.option) for note in notes] == [("info", "exchange_rate")]
    assert "2 home_per_foreign" in notes[0].message and "among the latest 3" in notes[0].message


def test_check_warns_of_invoices_detect_would_not_book(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92), "b": usd("b", 1.5)}
    notes = make_source(fake, store, clock).check_settings()
    assert [note.severity for note in notes] == ["info", "warning"]
    assert "1 invoice would not be booked" in notes[1].message and "2026 / b" in notes[1].message


def test_check_warns_when_a_pinned_orientation_is_more_than_5_percent_off_today(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"a": usd("a", 0.92)}
    notes = make_source(fake, store, clock, exchange_rate="foreign_per_home").check_settings()
    assert [note.severity for note in notes] == ["info", "warning"]
    assert "pinned to foreign_per_home" in notes[1].message and "-16.4%" in notes[1].message
    assert make_source(fake, store, clock, exchange_rate="home_per_foreign").check_settings()[1:] == []


def test_check_without_foreign_invoices_says_so(
    fake: FakeTeamleader, store: MemoryTokenStore, clock: FakeClock
) -> None:
    fake.invoices = {"c": invoice("c")}
    [note] = make_source(fake, store, clock).check_settings()
    assert note.severity == "info" and "cannot be seen yet" in note.message
