"""Importing customers into Teamleader (issue 5): finding existing ones, creating and updating
without duplicates or wiped data, against a scripted CRM (httpx.MockTransport)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connector.contract.records import Address, Customer
from connector.contract.services import ServiceContext
from connector.contract.tokens import MemoryTokenStore, Tokens
from connector_teamleader.source import TeamleaderSource

IMPORT_TAG = "Exact Online Import"


class FakeCrm:
    """companies.* and contacts.* with list filters (ids, vat_number, email, term), add, update, link."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, dict[str, Any]]] = {"companies": {}, "contacts": {}}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.links: list[tuple[str, str]] = []

    def add(self, resource: str, **fields: Any) -> str:
        ident = f"{resource[:2]}-{len(self.records[resource]) + 1}"
        self.records[resource][ident] = {"id": ident, "emails": [], "telephones": [], "tags": [], **fields}
        return ident

    def handle(self, request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.lstrip("/")
        body = json.loads(request.content or b"{}")
        self.calls.append((endpoint, body))
        resource, _, action = endpoint.partition(".")
        records = self.records.get(resource, {})
        if action == "list":
            items = [item for item in records.values() if _matches(item, body.get("filter") or {})]
            page = body.get("page") or {"size": 20, "number": 1}
            start = (page["number"] - 1) * page["size"]
            return httpx.Response(200, json={"data": items[start : start + page["size"]]})
        if action == "info":
            return httpx.Response(200, json={"data": records[body["id"]]})
        if action == "add":
            ident = self.add(resource, **body)
            return httpx.Response(201, json={"data": {"type": resource[:-1], "id": ident}})
        if action == "update":
            records[body["id"]].update(body)
            return httpx.Response(204)
        if endpoint == "contacts.linkToCompany":
            self.links.append((body["id"], body["company_id"]))
            records[body["id"]].setdefault("companies", []).append(
                {"company": {"type": "company", "id": body["company_id"]}}
            )
            return httpx.Response(204)
        return httpx.Response(404, json={"errors": [{"title": f"unknown {endpoint}"}]})

    def endpoints(self) -> list[str]:
        return [endpoint for endpoint, _ in self.calls]


def _vat(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def _matches(item: dict[str, Any], flt: dict[str, Any]) -> bool:
    name = item.get("name") or f"{item.get('first_name', '')} {item.get('last_name', '')}"
    emails = {entry["email"].lower() for entry in item.get("emails") or []}
    return (
        ("ids" not in flt or item["id"] in flt["ids"])
        and ("vat_number" not in flt or _vat(item.get("vat_number")) == _vat(flt["vat_number"]))
        and ("email" not in flt or flt["email"]["email"].lower() in emails)
        and ("term" not in flt or flt["term"].lower() in name.lower())
    )


@pytest.fixture
def crm() -> FakeCrm:
    return FakeCrm()


@pytest.fixture
def source(crm: FakeCrm) -> TeamleaderSource:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    tokens = MemoryTokenStore(Tokens("access", "refresh", now + timedelta(hours=1), now))
    context = ServiceContext(
        "acme", "source", tokens=tokens, transport=httpx.MockTransport(crm.handle), clock=lambda: now
    )
    options = {
        "plugin": "teamleader",
        "department": "Acme BV",
        "client_id": "cid",
        "client_secret": "s",
        "api_url": "http://tl.test",
    }
    return TeamleaderSource(options, context)


def company(**fields: Any) -> Customer:
    values: dict[str, Any] = {"id": "exact-1", "kind": "company", "name": "Pied Piper BV", **fields}
    return Customer(**values)


def test_a_company_is_found_by_its_vat_number_however_it_is_written(
    crm: FakeCrm, source: TeamleaderSource
) -> None:
    crm.add("companies", name="Other", vat_number="NL123456782B01")
    wanted = crm.add("companies", name="Pied Piper", vat_number="BE0899623035")
    found = source.find_customer(company(vat_number="be 0899.623-035"), ["vat_number"])
    assert found == wanted
    assert crm.calls[0][1]["filter"] == {"vat_number": "BE0899623035"}


def test_matching_falls_through_to_email_then_exact_name(crm: FakeCrm, source: TeamleaderSource) -> None:
    crm.add("companies", name="Pied Piper BV Holding")
    by_name = crm.add("companies", name="Pied Piper BV")
    by_email = crm.add(
        "companies", name="PP", emails=[{"type": "primary", "email": "Info@PiedPiper.example"}]
    )
    customer = company(vat_number="BE0899623035", email="info@piedpiper.example")
    assert source.find_customer(customer, ["vat_number", "email", "name"]) == by_email
    assert source.find_customer(company(), ["vat_number", "email", "name"]) == by_name
    assert source.find_customer(company(name="Pied Piper"), ["name"]) is None


def test_a_new_company_is_created_with_its_details_and_the_import_tag(
    crm: FakeCrm, source: TeamleaderSource
) -> None:
    customer = company(
        vat_number="BE0899623035",
        email="info@piedpiper.example",
        phone="09 123 45 67",
        language="nl",
        address=Address("Dok Noord 3A", "9000", "Ghent", "BE"),
        tags=(IMPORT_TAG,),
    )
    ident = source.save_customer(customer, None)
    saved = crm.records["companies"][ident]
    assert (saved["name"], saved["vat_number"], saved["language"]) == ("Pied Piper BV", "BE0899623035", "nl")
    assert saved["emails"] == [{"type": "primary", "email": "info@piedpiper.example"}]
    assert saved["telephones"] == [{"type": "phone", "number": "09 123 45 67"}]
    assert saved["addresses"] == [
        {
            "type": "primary",
            "address": {"line_1": "Dok Noord 3A", "postal_code": "9000", "city": "Ghent", "country": "BE"},
        }
    ]
    assert saved["tags"] == [IMPORT_TAG]


def test_an_update_keeps_other_emails_and_tags(crm: FakeCrm, source: TeamleaderSource) -> None:
    """Teamleader replaces collections whole on update: the invoicing e-mail and tags must survive."""
    ident = crm.add(
        "companies",
        name="Pied Piper",
        tags=["vip"],
        emails=[
            {"type": "primary", "email": "old@pp.example"},
            {"type": "invoicing", "email": "bills@pp.example"},
        ],
    )
    assert source.save_customer(company(email="new@pp.example", tags=(IMPORT_TAG,)), ident) == ident
    saved = crm.records["companies"][ident]
    assert saved["name"] == "Pied Piper BV"
    assert saved["emails"] == [
        {"type": "primary", "email": "new@pp.example"},
        {"type": "invoicing", "email": "bills@pp.example"},
    ]
    assert saved["tags"] == ["vip", IMPORT_TAG]
    assert len(crm.records["companies"]) == 1


def test_a_person_is_saved_as_a_contact_linked_to_its_company(crm: FakeCrm, source: TeamleaderSource) -> None:
    company_id = crm.add("companies", name="Pied Piper")
    person = Customer(
        id="exact-c1",
        kind="person",
        name="Richard Hendricks",
        first_name="Richard",
        last_name="Hendricks",
        email="richard@pp.example",
        company_id=company_id,
        tags=(IMPORT_TAG,),
    )
    ident = source.save_customer(person, None)
    saved = crm.records["contacts"][ident]
    assert (saved["first_name"], saved["last_name"]) == ("Richard", "Hendricks")
    assert crm.links == [(ident, company_id)]
    source.save_customer(person, ident)
    assert crm.links == [(ident, company_id)], "an existing link is not made twice"
    assert source.find_customer(person, ["vat_number", "email"]) == ident


def test_a_person_without_a_last_name_gets_one_from_its_name(crm: FakeCrm, source: TeamleaderSource) -> None:
    """contacts.add requires last_name."""
    ident = source.save_customer(Customer(id="x", kind="person", name="Jian Yang"), None)
    assert (crm.records["contacts"][ident]["first_name"], crm.records["contacts"][ident]["last_name"]) == (
        "Jian",
        "Yang",
    )
