"""Imported customers: finding an existing company or contact, and writing one (issue 5).

Finding, by the rule file's `match` keys in order (notes §7.5, §7.6):
- ``vat_number``: `companies.list` with the `vat_number` filter, sent and compared normalised (no
  spaces, dots or hyphens, upper-case; DESIGN §8). Contacts have no VAT filter: skipped for persons.
- ``email``: `companies.list` / `contacts.list` with the `email` filter (``{type: primary, email}``),
  compared case-insensitively.
- ``name``: the `term` filter (a substring search), then an exact comparison of the name.

Writing: `companies.add` (201, id) / `companies.update` (204); `contacts.add` / `contacts.update`
for persons, then `contacts.linkToCompany {id, company_id}` when the person's company is given and
not yet linked. `contacts.add` has no field for companies in the official field lists (a contact's
`companies` are read-only), so linking is a second call; `linkToCompany` is documented on the API
portal (doc 041: `id`, `company_id`, optional `position`, `decision_maker`).

Collections (emails, telephones, addresses, tags) are replaced whole on update (notes §3), so an
update first reads the record (`.info`) and merges: the primary e-mail, phone and address are
replaced, other entries kept, tags added to. One extra call per update keeps a bookkeeper's
invoicing e-mail and a salesperson's tags from being wiped by an import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from connector.contract.errors import ApiError
from connector.contract.records import Customer

from .client import TeamleaderClient


def normalise_vat(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


class CustomerWriter:
    """Finds and saves customers through one client."""

    def __init__(self, client: TeamleaderClient) -> None:
        self.client = client

    # -- finding ----------------------------------------------------------------------------------

    def find(self, customer: Customer, match: Iterable[str]) -> str | None:
        person = customer.kind == "person"
        endpoint = "contacts.list" if person else "companies.list"
        for key in match:
            found: str | None = None
            if key == "vat_number" and customer.vat_number and not person:
                wanted = normalise_vat(customer.vat_number)
                found = self._first(
                    endpoint,
                    {"vat_number": wanted},
                    lambda item, wanted=wanted: normalise_vat(item.get("vat_number")) == wanted,
                )
            elif key == "email" and customer.email:
                email = customer.email.strip().lower()
                found = self._first(
                    endpoint,
                    {"email": {"type": "primary", "email": customer.email.strip()}},
                    lambda item, email=email: (
                        email in {str(entry.get("email") or "").lower() for entry in item.get("emails") or []}
                    ),
                )
            elif key == "name" and customer.name.strip():
                name = customer.name.strip()
                found = self._first(
                    endpoint, {"term": name}, lambda item, name=name: _name(item, person) == name
                )
            if found:
                return found
        return None

    def _first(self, endpoint: str, flt: dict[str, Any], accept: Any) -> str | None:
        for page in self.client.pages(endpoint, {"filter": flt}):
            for item in page:
                if accept(item):
                    return str(item["id"])
        return None

    # -- saving -----------------------------------------------------------------------------------

    def save(self, customer: Customer, existing_id: str | None) -> str:
        person = customer.kind == "person"
        resource = "contacts" if person else "companies"
        body = _person_body(customer) if person else _company_body(customer)
        current: dict[str, Any] = {}
        if existing_id is None:
            answer = self.client.call(f"{resource}.add", body, safe=False)
            ident = str((answer or {}).get("data", {}).get("id") or "")
            if not ident:
                raise ApiError(f"Teamleader's {resource}.add answered without an id")
        else:
            ident = existing_id
            current = self.client.data(f"{resource}.info", {"id": ident}) or {}
            self.client.call(f"{resource}.update", {"id": ident, **_merged(body, current)}, safe=False)
        if person and customer.company_id:
            linked = {
                str((entry.get("company") or {}).get("id"))
                for entry in current.get("companies") or []
                if isinstance(entry, dict)
            }
            if customer.company_id not in linked:
                self.client.call(
                    "contacts.linkToCompany", {"id": ident, "company_id": customer.company_id}, safe=False
                )
        return ident


def _name(item: dict[str, Any], person: bool) -> str:
    if person:
        parts = (item.get("first_name"), item.get("last_name"))
        return " ".join(str(part).strip() for part in parts if part and str(part).strip())
    return str(item.get("name") or "").strip()


def _common(customer: Customer) -> dict[str, Any]:
    """Fields both kinds share; unset ones are left out, so an update never blanks them."""
    body: dict[str, Any] = {}
    if customer.email:
        body["emails"] = [{"type": "primary", "email": customer.email}]
    if customer.phone:
        body["telephones"] = [{"type": "phone", "number": customer.phone}]
    address = customer.address
    if any((address.line_1, address.postal_code, address.city, address.country)):
        body["addresses"] = [
            {
                "type": "primary",
                "address": {
                    "line_1": address.line_1,
                    "postal_code": address.postal_code,
                    "city": address.city,
                    "country": address.country,
                },
            }
        ]
    if customer.language:
        body["language"] = customer.language
    if customer.tags:
        body["tags"] = list(customer.tags)
    return body


def _company_body(customer: Customer) -> dict[str, Any]:
    body: dict[str, Any] = {"name": customer.name}
    if customer.vat_number:
        body["vat_number"] = customer.vat_number
    return {**body, **_common(customer)}


def _person_body(customer: Customer) -> dict[str, Any]:
    first, last = customer.first_name, customer.last_name
    if not last:  # contacts.add requires last_name (notes §7.6)
        first, _, last = (customer.name or "").strip().rpartition(" ")
        first = first or customer.first_name
    body: dict[str, Any] = {"last_name": last or customer.name}
    if first:
        body["first_name"] = first
    return {**body, **_common(customer)}


def _merged(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """`body` with its collections merged into what the record already holds."""
    result = dict(body)
    if "emails" in body:
        result["emails"] = body["emails"] + [
            {"type": entry.get("type"), "email": entry.get("email")}
            for entry in current.get("emails") or []
            if entry.get("type") != "primary"
        ]
    if "telephones" in body:
        result["telephones"] = body["telephones"] + [
            {"type": entry.get("type"), "number": entry.get("number")}
            for entry in current.get("telephones") or []
            if entry.get("type") != "phone"
        ]
    if "addresses" in body:
        result["addresses"] = body["addresses"] + [
            {"type": entry.get("type"), "address": _address_write(entry.get("address") or {})}
            for entry in current.get("addresses") or []
            if entry.get("type") != "primary"
        ]
    if "tags" in body:
        existing = [str(tag) for tag in current.get("tags") or []]
        result["tags"] = existing + [tag for tag in body["tags"] if tag not in existing]
    return result


def _address_write(address: dict[str, Any]) -> dict[str, Any]:
    """An address as read, in the shape a write takes (`area_level_two` becomes its id)."""
    result = {key: address.get(key) for key in ("line_1", "postal_code", "city", "country")}
    area = address.get("area_level_two")
    if isinstance(area, dict) and area.get("id"):
        result["area_level_two_id"] = area["id"]
    if address.get("addressee"):
        result["addressee"] = address["addressee"]
    return result
