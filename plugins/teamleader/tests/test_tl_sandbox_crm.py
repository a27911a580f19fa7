"""Companies and contacts in the simulator (notes §7.5, §7.6)."""

from __future__ import annotations

from typing import Any

import pytest

from connector_teamleader.sandbox import TeamleaderSandbox


@pytest.mark.parametrize("spelling", ["BE0899623035", "BE 0899.623.035", "be-0899-623-035", "be0899623035"])
def test_vat_number_filter_ignores_spaces_dots_hyphens_and_case(bare_api: Any, spelling: str) -> None:
    found = bare_api.data("companies.list", {"filter": {"vat_number": spelling}})
    assert [item["name"] for item in found] == ["Pied Piper BV"]


def test_vat_number_filter_does_not_match_a_prefix(bare_api: Any) -> None:
    assert bare_api.data("companies.list", {"filter": {"vat_number": "BE08996230"}}) == []


def test_add_then_info_then_update(bare: TeamleaderSandbox, bare_api: Any) -> None:
    created = bare_api(
        "companies.add",
        {
            "name": "Initech BV",
            "vat_number": "BE0417497106",
            "emails": [{"type": "primary", "email": "info@initech.example"}],
            "addresses": [
                {
                    "type": "invoicing",
                    "address": {
                        "line_1": "Dok Noord 3",
                        "postal_code": "9000",
                        "city": "Gent",
                        "country": "BE",
                    },
                }
            ],
            "tags": ["Prospect"],
        },
    )
    assert created.status_code == 201
    ident = created.json()["data"]["id"]
    info = bare_api.data("companies.info", {"id": ident})
    assert info["name"] == "Initech BV" and info["tags"] == ["Prospect"]
    assert info["addresses"][0]["address"]["city"] == "Gent"
    assert info["web_url"].endswith(ident)
    before = info["updated_at"]
    bare.advance(3)
    assert bare_api("companies.update", {"id": ident, "tags": ["customer"]}).status_code == 204
    after = bare_api.data("companies.info", {"id": ident})
    assert after["tags"] == ["customer"] and after["updated_at"] > before
    assert after["name"] == "Initech BV"


def test_company_without_name_is_400(bare_api: Any) -> None:
    response = bare_api("companies.add", {"vat_number": "BE0417497106"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["meta"]["field"] == "name"


def test_payment_term_is_not_writable(bare_api: Any) -> None:
    ident = bare_api("companies.add", {"name": "X", "payment_term": {"type": "cash"}}).json()["data"]["id"]
    assert bare_api.data("companies.info", {"id": ident})["payment_term"] is None


def test_company_filters(sandbox: TeamleaderSandbox, api: Any) -> None:
    company = next(iter(sandbox.companies.values()))
    email = company.emails()[0]["email"]
    by_email = api.data("companies.list", {"filter": {"email": {"type": "primary", "email": email.upper()}}})
    assert [item["id"] for item in by_email] == [company.id]
    by_term = api.data("companies.list", {"filter": {"term": company.name.split()[0].lower()}})
    assert company.id in {item["id"] for item in by_term}
    by_ids = api.data("companies.list", {"filter": {"ids": [company.id]}})
    assert [item["id"] for item in by_ids] == [company.id]
    tagged = api.data("companies.list", {"filter": {"tags": ["key account"]}})
    assert len(tagged) == 1


def test_company_updated_since(sandbox: TeamleaderSandbox, api: Any) -> None:
    company = list(sandbox.companies.values())[4]
    mark = sandbox.advance(30).replace(microsecond=0).isoformat()
    sandbox.advance(1)
    api("companies.update", {"id": company.id, "website": "https://example.org"})
    changed = api.data("companies.list", {"filter": {"updated_since": mark}})
    assert [item["id"] for item in changed] == [company.id]


def test_companies_sorted_by_name_and_paged(api: Any) -> None:
    names = [item["name"] for item in api.all_pages("companies.list", {}, size=7)]
    assert names == sorted(names, key=str.lower) and len(names) == 30


def test_contact_filters_and_info(sandbox: TeamleaderSandbox, api: Any) -> None:
    contact = next(c for c in sandbox.contacts.values() if c.get("companies"))
    company_id = contact.get("companies")[0]["company_id"]
    linked = api.data("contacts.list", {"filter": {"company_id": company_id}})
    assert contact.id in {item["id"] for item in linked}
    email = contact.emails()[0]["email"]
    assert [
        c["id"] for c in api.data("contacts.list", {"filter": {"email": {"type": "primary", "email": email}}})
    ] == [contact.id]
    assert [c["id"] for c in api.data("contacts.list", {"filter": {"term": contact.get("last_name")}})] == [
        contact.id
    ]
    info = api.data("contacts.info", {"id": contact.id})
    assert info["companies"][0]["company"] == {"type": "company", "id": company_id}
    assert "vat_number" in info


def test_contact_add_requires_last_name_and_update_bumps(sandbox: TeamleaderSandbox, api: Any) -> None:
    assert api("contacts.add", {"first_name": "Ann"}).status_code == 400
    ident = api("contacts.add", {"first_name": "Ann", "last_name": "Smet"}).json()["data"]["id"]
    mark = sandbox.advance(10).replace(microsecond=0).isoformat()
    api("contacts.update", {"id": ident, "first_name": "Anna"})
    changed = api.data("contacts.list", {"filter": {"updated_since": mark}})
    assert [(c["first_name"], c["last_name"]) for c in changed] == [("Anna", "Smet")]


def test_invoice_to_a_person(sandbox: TeamleaderSandbox, api: Any) -> None:
    people = api.all_pages("invoices.list", {"filter": {"status": ["outstanding", "matched"]}})
    persons = [item for item in people if item["invoicee"]["customer"]["type"] == "contact"]
    assert persons
    assert persons[0]["invoicee"]["name"]
