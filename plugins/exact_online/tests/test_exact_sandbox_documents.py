"""Documents, their attachments and the `Document` of a sales entry, as the simulator validates them."""

from __future__ import annotations

import base64

import httpx

from connector_exact.sandbox.testing import customer, error_text, results, sales_entry

PDF = base64.b64encode(b"%PDF-1.4 tiny").decode()


def new_document(api: httpx.Client, **body: object) -> dict:
    response = api.post("documents/Documents", json={"Subject": "Invoice 2026 / 1", "Type": 10, **body})
    assert response.status_code == 201, response.text
    return dict(response.json()["d"])


def test_document_types_list_the_sales_invoice(api: httpx.Client) -> None:
    types = {row["ID"]: row["Description"] for row in results(api.get("documents/DocumentTypes"))}
    assert types[10] == "Verkoopfactuur"


def test_a_document_needs_a_subject_a_known_type_and_an_existing_account(api: httpx.Client) -> None:
    response = api.post(
        "documents/Documents", json={"Type": 99, "Account": "00000000-0000-0000-0000-000000000001"}
    )
    assert response.status_code == 500
    assert error_text(response).split("\r\n") == [
        "Verplicht: Onderwerp",
        "Ongeldige referentie: Type",
        "Ongeldige referentie: Relatie",
    ]
    created = new_document(api, Account=customer(api))
    assert created["TypeDescription"] == "Verkoopfactuur" and created["AccountName"]


def test_an_attachment_needs_its_document_a_name_and_base64_content(api: httpx.Client) -> None:
    document = new_document(api)
    missing = api.post("documents/DocumentAttachments", json={"Document": document["ID"]})
    assert missing.status_code == 500
    assert error_text(missing).split("\r\n") == ["Verplicht: Bestandsnaam", "Verplicht: Bijlage"]
    garbled = api.post(
        "documents/DocumentAttachments",
        json={"Document": document["ID"], "FileName": "a.pdf", "Attachment": "not base64!"},
    )
    assert garbled.status_code == 400
    created = api.post(
        "documents/DocumentAttachments",
        json={"Document": document["ID"], "FileName": "a.pdf", "Attachment": PDF},
    )
    assert created.status_code == 201
    answer = created.json()["d"]
    assert answer["FileSize"] == len(b"%PDF-1.4 tiny")
    assert httpx.get(answer["Url"], headers=api.headers).content == b"%PDF-1.4 tiny"
    assert httpx.get(answer["Url"]).status_code == 401, "read with the API's token"
    found = results(
        api.get("documents/DocumentAttachments", params={"$filter": f"Document eq guid'{document['ID']}'"})
    )
    assert [row["FileName"] for row in found] == ["a.pdf"]


def test_a_sales_entry_links_an_existing_document_when_booked_or_changed(api: httpx.Client) -> None:
    wrong = api.post(
        "salesentry/SalesEntries", json=sales_entry(api, Document="00000000-0000-0000-0000-000000000002")
    )
    assert wrong.status_code == 500 and error_text(wrong) == "Ongeldige referentie: Document"
    first, second = new_document(api), new_document(api, Subject="Invoice 2026 / 2")
    booked = api.post("salesentry/SalesEntries", json=sales_entry(api, Document=first["ID"]))
    assert booked.status_code == 201 and booked.json()["d"]["Document"] == first["ID"]
    entry = booked.json()["d"]["EntryID"]
    assert (
        api.put(f"salesentry/SalesEntries(guid'{entry}')", json={"Document": second["ID"]}).status_code == 204
    )
    read = api.get(f"salesentry/SalesEntries(guid'{entry}')", params={"$select": "Document"})
    assert read.json()["d"]["Document"] == second["ID"]
    refused = api.put(f"salesentry/SalesEntries(guid'{entry}')", json={"Document": "nope"})
    assert refused.status_code == 500 and error_text(refused) == "Ongeldige referentie: Document"
