"""`contacts.linkToCompany`: a contact's companies, as contacts.info shows them."""

from __future__ import annotations

from typing import Any


def test_a_contact_linked_to_a_company_lists_it_once(bare_api: Any) -> None:
    [company] = bare_api.data("companies.list", {"filter": {"vat_number": "BE0899623035"}})
    contact = bare_api("contacts.add", {"first_name": "Sofie", "last_name": "Maes"}).json()["data"]
    for _ in range(2):
        answer = bare_api("contacts.linkToCompany", {"id": contact["id"], "company_id": company["id"]})
        assert answer.status_code == 204
    info = bare_api.data("contacts.info", {"id": contact["id"]})
    assert [link["company"]["id"] for link in info["companies"]] == [company["id"]]


def test_linking_to_an_unknown_company_is_a_404(bare_api: Any) -> None:
    contact = bare_api("contacts.add", {"last_name": "Maes"}).json()["data"]
    answer = bare_api("contacts.linkToCompany", {"id": contact["id"], "company_id": "nope"})
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["title"]
