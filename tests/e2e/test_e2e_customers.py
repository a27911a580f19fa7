"""Importing Exact's companies and contacts into Teamleader (`sync.import_customers`), through the CLI."""

from __future__ import annotations

from typing import Any

import pytest

from connector.testing.e2e import World

TAG = "Exact Online Import"


def companies(world: World) -> list[Any]:
    return list(world.sandboxes["teamleader"].companies.values())  # type: ignore[attr-defined]


def contacts(world: World) -> list[Any]:
    return list(world.sandboxes["teamleader"].contacts.values())  # type: ignore[attr-defined]


def named(world: World, name: str) -> list[Any]:
    return [company for company in companies(world) if company.name == name]


@pytest.fixture
def importing(world: World) -> World:
    world.write_rules({"sync": {"import_customers": True}})
    return world


def import_customers(world: World) -> str:
    assert world.rules_path is not None
    result = world.cli("run", str(world.rules_path), "--only", "customers")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_full_import_creates_exacts_companies_and_their_contacts_tagged(importing: World) -> None:
    before = len(companies(importing))
    output = import_customers(importing)
    assert "customers import:" in output
    created = [c for c in companies(importing) if TAG in (c.get("tags") or [])]
    assert {c.name for c in created} >= {"Brouwerij De Koperen Ketel BV", "Atelier Lumière SRL"}
    assert len(companies(importing)) == before + len(created)
    sofie = [c for c in contacts(importing) if "sofie@koperenketel.example" in str(c.get("emails"))]
    assert len(sofie) == 1
    [ketel] = named(importing, "Brouwerij De Koperen Ketel BV")
    linked = [link["company_id"] for link in sofie[0].get("companies") or []]
    assert ketel.id in linked, "the contact is linked to its company"


def test_a_second_import_only_brings_what_is_new(importing: World) -> None:
    import_customers(importing)
    count = len(companies(importing))
    importing.sandboxes["exact_online"].add_account(  # type: ignore[attr-defined]
        {"Name": "Nieuwe Klant BV", "VATNumber": "BE0417497106", "Status": "C", "IsSales": True}
    )
    output = import_customers(importing)
    assert "1 created" in output
    assert len(companies(importing)) == count + 1
    assert len(named(importing, "Nieuwe Klant BV")) == 1


def test_a_company_already_in_teamleader_is_linked_not_doubled(importing: World) -> None:
    existing = companies(importing)[0]
    vat = existing.get("vat_number")
    spaced = f"{vat[:2]} {vat[2:6]}.{vat[6:9]}.{vat[9:]}"
    importing.sandboxes["exact_online"].add_account(  # type: ignore[attr-defined]
        {"Name": existing.name.upper(), "VATNumber": spaced, "Status": "C", "IsSales": True}
    )
    output = import_customers(importing)
    assert "linked" in output
    assert len(named(importing, existing.name.upper())) == 0, "matched by VAT number, not created"


def test_an_imported_companys_invoice_is_booked_on_its_original_exact_account(importing: World) -> None:
    import_customers(importing)
    [ketel] = named(importing, "Brouwerij De Koperen Ketel BV")
    teamleader = importing.sandboxes["teamleader"]
    invoice = teamleader.book_invoice(  # type: ignore[attr-defined]
        department="Acme BV",
        customer=ketel.id,
        date="2026-06-01",
        lines=[{"description": "Bier", "quantity": 10, "unit_price": 12.5, "tax": "21%"}],
    )
    assert importing.rules_path is not None
    result = importing.cli("run", str(importing.rules_path), "--only", "documents")
    assert result.returncode == 0, result.stdout + result.stderr
    division = importing.sandboxes["exact_online"].state()["divisions"]["1234567"]  # type: ignore[attr-defined]
    accounts = {a["ID"]: a for a in division["accounts"]}
    [entry] = [
        e for e in division["sales_entries"] if e["YourRef"] == invoice.invoice_number and e["Type"] == 20
    ]
    assert accounts[entry["Customer"]]["Name"] == "Brouwerij De Koperen Ketel BV"
    assert accounts[entry["Customer"]]["Code"].strip() == "1001", "the account it came from, not a new one"
